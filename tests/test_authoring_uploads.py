"""Uploads in the authoring pages: the real type decides, sizes are limited and shown, refusals are in Spanish."""

import io
import re

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from lms.courses.models import Course, Lesson, Media
from lms.extensions import db
from tests.conftest import audio_sample

MP3 = audio_sample("tone.mp3")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML_AS_PNG = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


@pytest.fixture
def lesson(make_user, make_course, client_for):
    """A trainer's client and the URLs of the first lesson of her draft course."""
    from types import SimpleNamespace

    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], status="draft")
    base = f"/manage/courses/{course.id}"
    lesson_id = course.lesson_ids[0]
    return SimpleNamespace(web=client_for(trainer), course=course, id=lesson_id, base=base,
                           edit=f"{base}/lessons/{lesson_id}/edit", files=f"{base}/lessons/{lesson_id}/files")


def png_bytes(width=400, height=300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 60)).save(out, "PNG")
    return out.getvalue()


def upload(client, url, kind, data, filename, **kwargs):
    """POST one file; the body is encoded here in memory (the test client would spool big ones to a file it leaks)."""
    boundary, body = encode_multipart({f"{kind}-file": FileStorage(io.BytesIO(data), filename)})
    return client.post(f"{url}/{kind}", data=body, content_type=f"multipart/form-data; boundary={boundary}", **kwargs)


def media_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Media))


def test_an_html_file_renamed_png_is_refused_with_a_spanish_message(app, lesson, upload_folder):
    response = upload(lesson.web, lesson.files, "attachment", HTML_AS_PNG, "foto.png")
    assert response.status_code == 200
    assert "Ese archivo no es una imagen o un PDF válido." in response.get_data(as_text=True)
    assert media_count(app) == 0 and not any(upload_folder.glob("*"))


def test_svg_is_refused_as_attachment_and_as_cover(app, lesson, make_user):
    refused = upload(lesson.web, lesson.files, "attachment", SVG, "dibujo.svg")
    assert "Ese archivo no es una imagen o un PDF válido." in refused.get_data(as_text=True)
    with app.app_context():
        theme_id = db.session.get(Course, lesson.course.id).theme_id
    cover = lesson.web.post(f"{lesson.base}/edit", content_type="multipart/form-data", data={
        "title": "Título nuevo", "theme_id": theme_id, "language": "es", "hours": "1", "min_sessions": "0",
        "cover_file": (io.BytesIO(SVG), "portada.svg")})
    assert cover.status_code == 200
    assert "Ese archivo no es una imagen válida (PNG, JPEG, GIF o WebP)." in cover.get_data(as_text=True)
    with app.app_context():
        course = db.session.get(Course, lesson.course.id)
        assert course.title == lesson.course.title and course.cover_id is None, "nothing half-written"
    assert media_count(app) == 0


def test_an_oversized_upload_is_refused_with_its_size_and_the_limit(app, lesson):
    app.config["MAX_UPLOAD_MB"] = 1
    big = PDF + b"0" * (1536 * 1024)
    response = upload(lesson.web, lesson.files, "attachment", big, "manual.pdf")
    assert "El archivo pesa 1,5 MB; el máximo es 1 MB." in response.get_data(as_text=True)
    assert media_count(app) == 0


def test_a_request_over_the_server_limit_gets_the_spanish_413_page(app, lesson):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = upload(lesson.web, lesson.files, "attachment", PDF + b"0" * 100_000, "manual.pdf")
    assert response.status_code == 413 and "Archivo demasiado grande" in response.get_data(as_text=True)


def test_a_real_png_is_accepted_and_shown_with_its_type_and_size(app, lesson, upload_folder):
    response = upload(lesson.web, lesson.files, "attachment", png_bytes(), "../../casco seguro.png")
    assert response.headers["Location"] == f"{lesson.edit}#archivos"
    page = lesson.web.get(lesson.edit).get_data(as_text=True)
    with app.app_context():
        media = db.session.get(Lesson, lesson.id).attachments[0]
        kilobytes = max(1, round(media.size_bytes / 1024))
        assert (media.kind, media.filename, media.width) == ("image", "casco-seguro.png", 400)
        assert (upload_folder / media.stored_name).is_file()
    assert "casco-seguro.png" in page and f"Imagen · {kilobytes} KB" in page
    preview = lesson.web.get(f"{lesson.base}/preview/lessons/{lesson.id}").get_data(as_text=True)
    assert f"Imagen · {kilobytes} KB" in preview


def test_audio_and_pdf_are_attached_shown_with_sizes_and_removed(app, lesson):
    assert upload(lesson.web, lesson.files, "audio", MP3, "leccion.mp3").headers["Location"].startswith(lesson.edit)
    upload(lesson.web, lesson.files, "attachment", PDF, "guia.pdf")
    page = lesson.web.get(lesson.edit).get_data(as_text=True)
    assert re.search(r"Español</strong> <span class=\"muted\">\(idioma del curso\)</span>:\s+leccion\.mp3 "
                     r"<span class=\"muted\">· 0:02 · Audio · 8 KB", page)
    assert "guia.pdf" in page and "PDF · 1 KB" in page
    with app.app_context():
        db_lesson = db.session.get(Lesson, lesson.id)
        audio_id, pdf_id = db_lesson.audio_id, db_lesson.attachments[0].id
    for media_id in (audio_id, pdf_id):
        removed = lesson.web.post(f"{lesson.files}/{media_id}/remove")
        assert removed.headers["Location"] == f"{lesson.edit}#archivos"
    assert lesson.web.post(f"{lesson.files}/{pdf_id}/remove").status_code == 404
    with app.app_context():
        db_lesson = db.session.get(Lesson, lesson.id)
        assert db_lesson.audio_id is None and db_lesson.attachments == []


def test_a_pdf_is_not_taken_as_audio(app, lesson):
    response = upload(lesson.web, lesson.files, "audio", PDF, "audio.mp3")
    assert "Ese archivo no es un audio válido (MP3, OGG, WebM o M4A, sin video)." in response.get_data(as_text=True)
    assert media_count(app) == 0


def test_a_cover_image_is_stored_small_and_can_be_removed(app, lesson):
    with app.app_context():
        theme_id = db.session.get(Course, lesson.course.id).theme_id
    data = {"title": "Con portada", "theme_id": theme_id, "language": "es", "hours": "1", "min_sessions": "0"}
    saved = lesson.web.post(f"{lesson.base}/edit", content_type="multipart/form-data",
                            data=data | {"cover_file": (io.BytesIO(png_bytes(2000, 1000)), "portada.png")})
    assert saved.headers["Location"] == lesson.base
    with app.app_context():
        cover = db.session.get(Course, lesson.course.id).cover
        assert (cover.kind, cover.width, cover.height) == ("image", 1000, 500)
    assert "Portada actual" in lesson.web.get(f"{lesson.base}/edit").get_data(as_text=True)
    lesson.web.post(f"{lesson.base}/edit", data=data | {"remove_cover": "y"})
    with app.app_context():
        assert db.session.get(Course, lesson.course.id).cover_id is None


def test_deleting_a_draft_course_deletes_its_files_records(app, lesson):
    upload(lesson.web, lesson.files, "attachment", png_bytes(), "mapa.png")
    upload(lesson.web, lesson.files, "audio", MP3, "leccion.mp3")
    assert media_count(app) == 2
    assert lesson.web.post(f"{lesson.base}/delete").headers["Location"] == "/manage/courses/"
    assert media_count(app) == 0
