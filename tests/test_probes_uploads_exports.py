"""Upload probes (oversized, disguised, empty, decompression bombs, broken CSV) on every upload route, and
formula injection in every export (reports CSV/XLSX of every table, certificate batch CSV)."""

import csv
import io
import re
import struct
import zlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.accounts.models import Cohort, Role, User
from lms.courses.models import Course, Media, Module, Theme
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.workshops.models import Attendance, Workshop
from tests.conftest import audio_sample

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
JS = b"alert(document.domain);//"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
PHP = b"<?php system($_GET['c']); ?>"
GIF_SCRIPT = b"GIF89a/*\x01\x00\x01\x00\x00\xff\x00*/=1;<script>alert(1)</script>"  # classic GIF/JS polyglot
DISGUISED = {"html.png": HTML, "script.mp3": JS, "dibujo.png": SVG, "shell.pdf": PHP, "shell.php.png": PHP,
             "gif-script.gif": GIF_SCRIPT, "html.jpg": b"\xff\xd8\xff" + HTML, "vacío.png": b""}


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 60, 30)).save(out, "PNG")
    return out.getvalue()


def gif_with_script_comment() -> bytes:
    """A valid GIF whose comment block carries a script: Pillow opens it, so only re-encoding removes it."""
    out = io.BytesIO()
    Image.new("P", (20, 20), 1).save(out, "GIF", comment=b"<script>alert(1)</script>")
    return out.getvalue()


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A few hundred bytes announcing 3.6 gigapixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 10_000))
            + chunk(b"IEND", b""))


def multipart(fields: dict, files: dict) -> dict:
    """A multipart body built in memory (the test client would spool big files to a temporary file it leaks)."""
    boundary, body = encode_multipart({**fields, **{name: FileStorage(io.BytesIO(data), filename)
                                                    for name, (data, filename) in files.items()}})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def place(app, make_user, make_course, client_for, tmp_path):
    """A trainer's client, her draft course (for files) and her published course with a workshop."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    trainer = make_user(role="trainer")
    draft = make_course(trainers=[trainer], status="draft")
    course = make_course(trainers=[trainer])
    with app.app_context():
        workshop = Workshop(course_id=course.id, place="Local", starts_at=datetime(2026, 3, 15, 14, 30))
        db.session.add(workshop)
        db.session.commit()
        theme_id, workshop_id = db.session.get(Course, draft.id).theme_id, workshop.id
    lesson = f"/manage/courses/{draft.id}/lessons/{draft.lesson_ids[0]}/files"
    course_fields = {"title": "Curso con portada", "theme_id": theme_id, "language": "es", "hours": "1",
                     "min_sessions": "0"}
    return SimpleNamespace(web=client_for(trainer), draft=draft, course=course, folder=tmp_path / "uploads",
                           file_routes=[(f"{lesson}/audio", "audio-file", {}), (f"{lesson}/attachment",
                                                                                 "attachment-file", {}),
                                        (f"/manage/courses/{draft.id}/edit", "cover_file", course_fields),
                                        ("/manage/courses/new", "cover_file", course_fields)],
                           csv_routes=[f"/manage/teaching/{course.id}/csv", f"/manage/workshops/{workshop_id}/import"])


def stored(app, place) -> tuple[int, int, int, int]:
    """Files on disk, media rows, courses and learners: what a refused upload must leave unchanged."""
    files = len(list(place.folder.glob("*"))) if place.folder.exists() else 0
    with app.app_context():
        return (files, db.session.scalar(select(func.count(Media.id))), db.session.scalar(select(func.count(
            Course.id))), db.session.scalar(select(func.count(User.id)).where(User.role == Role.LEARNER)))


def send(client, url: str, field: str, fields: dict, data: bytes, filename: str, follow: bool = False):
    response = client.post(url, **multipart(fields, {field: (data, filename)}), follow_redirects=follow)
    return response.status_code, response.get_data(as_text=True)


def test_disguised_and_empty_files_are_refused_in_spanish_on_every_upload_route(app, place):
    before = stored(app, place)
    for url, field, fields in place.file_routes:
        for filename, data in DISGUISED.items():
            status, page = send(place.web, url, field, fields, data, filename)
            assert status == 200, (url, filename, status)
            assert "no es una imagen" in page or "no es un audio" in page or "está vacío" in page \
                or "está dañada" in page, (url, filename)
    assert stored(app, place) == before


def test_decompression_bombs_are_refused_before_decoding(app, place):
    before = stored(app, place)
    for url, field, fields in place.file_routes[1:]:
        status, page = send(place.web, url, field, fields, png_bomb(), "bomba.png")
        assert status == 200 and "demasiado grande (demasiados píxeles)" in page, url
    assert stored(app, place) == before


def test_a_valid_gif_carrying_a_script_is_stored_re_encoded_without_it(app, place):
    url, field, fields = place.file_routes[1]
    status, _page = send(place.web, url, field, fields, gif_with_script_comment(), "dibujo.gif")
    assert status == 302
    files = list(place.folder.glob("*"))
    assert len(files) == 1 and b"<script" not in files[0].read_bytes()
    assert not files[0].name.endswith(".gif"), "re-encoded as PNG or JPEG"


def test_magic_bytes_followed_by_html_are_only_ever_served_as_a_sandboxed_download_or_audio(app, place):
    """«%PDF-» then HTML, or real MP3 frames then HTML, pass the type check (audio is read whole, so «ID3» then
    HTML alone does not); serving must not run either."""
    url, field, fields = place.file_routes[1]
    assert send(place.web, url, field, fields, b"%PDF-1.4\n" + HTML, "doc.pdf")[0] == 302
    url, field, fields = place.file_routes[0]
    assert send(place.web, url, field, fields, b"ID3\x03\x00\x00\x00\x00\x00\x0f" + HTML, "audio.mp3")[0] == 200
    assert send(place.web, url, field, fields, audio_sample("tone.mp3") + HTML, "audio.mp3")[0] == 302
    with app.app_context():
        media = db.session.scalars(select(Media).order_by(Media.id)).all()
    pdf, mp3 = (place.web.get(f"/media/{m.id}") for m in media)
    assert pdf.mimetype == "application/pdf" and pdf.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in pdf.headers["Content-Security-Policy"]
    assert mp3.mimetype == "audio/mpeg" and "script-src 'self'" in mp3.headers["Content-Security-Policy"]
    for response in (pdf, mp3):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        response.close()


def test_over_the_upload_limit_is_a_form_error_and_over_the_request_limit_a_spanish_413(app, place):
    app.config.update(MAX_UPLOAD_MB=1, MAX_CONTENT_LENGTH=3 * 1024 * 1024)
    before = stored(app, place)
    big = b"%PDF-1.4\n" + b"0" * (1536 * 1024)
    for url, field, fields in place.file_routes:
        status, page = send(place.web, url, field, fields, big, "grande.pdf")
        assert status == 200 and ("el máximo es 1 MB" in page or "no es una imagen" in page), url
    for url in place.csv_routes:
        status, page = send(place.web, url, "file", {}, b"usuario;presente\n" + b"x" * (1536 * 1024), "a.csv")
        assert status == 200 and ("pasa de 1 MB" in page or "demasiado grande" in page), url
    huge = b"0" * (3 * 1024 * 1024 + 10)
    for url, field, fields in place.file_routes + [(url, "file", {}) for url in place.csv_routes]:
        status, page = send(place.web, url, field, fields, huge, "enorme.pdf")
        assert status == 413 and "Archivo demasiado grande" in page, url
    assert stored(app, place) == before


BROKEN_CSV = {"binary.csv": png(), "empty.csv": b"",
              "long-cell.csv": b"nombre;presente\n" + b"x" * 200_000 + b";si\n",
              "utf16.csv": "nombre;usuario\nMaría;maria\n".encode("utf-16"), "quotes.csv": b'"nombre\n"""";"\n',
              "html.csv": HTML, "many-columns.csv": b";".join([b"c"] * 20_000) + b"\n1\n"}


def test_broken_csv_files_are_refused_with_a_message_and_write_nothing(app, place):
    before = stored(app, place)
    for url in place.csv_routes:
        for filename, data in BROKEN_CSV.items():
            status, page = send(place.web, url, "file", {}, data, filename)
            assert status == 200, (url, filename, status)
            assert 'class="error' in page or "flash-error" in page or "problem" in page, (url, filename)
    assert stored(app, place) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 0


def test_nul_bytes_in_csv_files_are_dropped_not_sent_to_the_database(app, place, make_user):
    learner = make_user(username="rosa.mamani")
    status, page = send(place.web, place.csv_routes[0], "file", {}, b"nombre;usuario\nMar\x00\xc3\xada Quispe;\x00\n",
                        "lista.csv", follow=True)  # a saved list goes on to its PIN sheet
    assert status == 200 and "María Quispe" in page
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).join(User, User.id == Enrolment.user_id).where(
            User.full_name == "María Quispe", Enrolment.course_id == place.course.id))
        assert enrolment is not None
    status, page = send(place.web, place.csv_routes[1], "file", {}, b"usuario;presente\nrosa.\x00mamani;s\x00i\n",
                        "asistencia.csv")
    assert status == 200 and "Fila 2: nadie de la lista de este taller" in page  # read once the NUL is gone
    assert learner.full_name not in page
    with app.app_context():
        assert not any("\x00" in name for name in db.session.scalars(select(User.full_name)))


# ---- formula injection in exports ------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = ['=HYPERLINK("http://evil.example","clic")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
           "Ana;=1+1", "Rosa\t=1+1", "Eva,=1+1"]
# What would make a PDF run or fetch something; fpdf2's «/OpenAction [page /FitH null]» only sets the zoom.
PDF_ACTIONS = re.compile(rb"/JavaScript|/JS\b|/OpenAction\s*<<|/Launch|/AA\b|/URI\s*\(javascript|/EmbeddedFile"
                         rb"|/SubmitForm")


@pytest.fixture
def hostile(app, make_user, make_course, client_for):
    """An admin's view of a course, cohort and theme named like formulas, with learners named like formulas:
    idle ones, ones who completed it (certificates) and attendance, so every report table has rows."""
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], modules=1, lessons=1, quiz=False, title="=1+1 curso",
                         theme="derechos")
    long_ago = datetime.now(UTC) - timedelta(days=40)
    with app.app_context():
        db.session.scalar(select(Theme).where(Theme.slug == "derechos")).name = "@tema"
        db.session.get(Module, course.module_ids[0]).title = "+módulo"
        cohort = Cohort(name="-grupo", trainers=[db.session.get(User, trainer.id)])
        db.session.add(cohort)
        db.session.flush()
        cohort_id = cohort.id
        db.session.commit()
    for n, name in enumerate(HOSTILE):
        learner = make_user(full_name=name, community=name)
        with app.app_context():
            done = n % 2 == 0
            enrolment = Enrolment(user_id=learner.id, course_id=course.id, cohort_id=cohort_id,
                                  enrolled_at=long_ago, last_activity_at=long_ago,
                                  status=EnrolmentStatus.ACTIVE)
            db.session.add(enrolment)
            cohort = db.session.get(Cohort, cohort_id)
            cohort.members.append(db.session.get(User, learner.id))
            db.session.commit()
        if done:
            client_for(learner).post(f"/aprender/{course.slug}/leccion-1-1/completar")
    return SimpleNamespace(admin=client_for(make_user(role="admin")), trainer=client_for(trainer), course=course,
                           cohort_id=cohort_id)


def export_links(client, pages: list[str]) -> set[str]:
    links = set()
    for page in pages:
        html = client.get(page).get_data(as_text=True)
        links |= {href for href in re.findall(r'href="([^"]+)"', html)
                  if re.search(r"\.(csv|xlsx|pdf)(\?|$)", href)}
    return {link.replace("&amp;", "&") for link in links}


def cells_of(response) -> list[list]:
    body = response.get_data()
    if response.mimetype == "application/pdf":
        return []
    if response.mimetype.startswith("text/csv"):
        text = body.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        # Excel set to another list separator (common in Spanish) splits the same line on it.
        for separator in (";", "\t"):
            rows += list(csv.reader(io.StringIO(text), delimiter=separator))
        return rows
    workbook = load_workbook(io.BytesIO(body))
    sheet = workbook.active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row), "a formula cell"
    return [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]


def test_every_export_neutralises_formulas_in_every_cell(app, hostile):
    pages = ["/manage/reports/network", f"/manage/reports/courses/{hostile.course.id}",
             f"/manage/reports/courses/{hostile.course.id}?cohort={hostile.cohort_id}",
             f"/manage/reports/cohorts/{hostile.cohort_id}", "/manage/certificates/"]
    links = export_links(hostile.admin, pages)
    assert len(links) >= 30, sorted(links)
    neutralised = 0
    for link in sorted(links):
        response = hostile.admin.get(link)
        assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment"), link
        if response.mimetype == "application/pdf":
            assert not PDF_ACTIONS.search(response.get_data()), link
        for row in cells_of(response):
            for cell in row:
                assert not (isinstance(cell, str) and cell.startswith(FORMULA_STARTS)), (link, cell)
                neutralised += isinstance(cell, str) and cell.startswith("'") and cell[1:2] in "=+-@\t\r\n"
    assert neutralised > 40  # the hostile names, titles and themes really are in the files


def test_the_personal_data_export_is_json_not_a_spreadsheet(app, make_user, client_for):
    learner = make_user(full_name=HOSTILE[0], community=HOSTILE[1])
    response = client_for(learner).get("/perfil/mis-datos.json")
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == 'attachment; filename="mis-datos-rnm-mape.json"'
    assert response.get_json()  # parses as JSON: nothing in it is read as a formula
