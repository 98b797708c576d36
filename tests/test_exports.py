"""Exports: CSV with BOM and accents, XLSX with the same rows, formulas neutralised, only one's own data, audited."""

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.accounts.models import AuditEvent
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.reports.exports import Column, Table, neutralise, to_csv, to_xlsx

HOSTILE_NAMES = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\tX", "\rX"]


def enrol(app, user, course_id, **fields):
    with app.app_context():
        db.session.add(Enrolment(user_id=user.id, course_id=course_id, **fields))
        db.session.commit()


@pytest.fixture
def hostile_course(app, make_user, make_course):
    """A course whose learners have names a spreadsheet would run as formulas, and one with accents."""
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    for name in [*HOSTILE_NAMES, "María Ñahui Ccori"]:
        enrol(app, make_user(full_name=name), course.id, last_activity_at=datetime(2026, 1, 10, 15, 30))
    return trainer, course


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body[:3] == b"\xef\xbb\xbf", "UTF-8 with a BOM, so Excel reads the accents right"
    return list(csv.reader(io.StringIO(body.decode("utf-8")[1:])))


def same(cell):
    """A cell compared across formats: numbers as numbers, line ends as XML stores them (CR becomes LF)."""
    try:
        return float(cell)
    except ValueError:
        return str(cell).replace("\r", "\n")


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("text, expected", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(1)", "'@SUM(1)"),
    ("\tX", "'\tX"), ("\rX", "'\rX"), ("María", "María"), ("1-2", "1-2"), ("", ""),
])
def test_neutralise_prefixes_formula_starts_with_an_apostrophe(text, expected):
    assert neutralise(text) == expected


def test_csv_export_neutralises_formulas_in_learner_names_and_keeps_accents(hostile_course, client_for):
    trainer, course = hostile_course
    response = client_for(trainer).get(f"/manage/reports/courses/{course.id}/grid.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="course-')
    assert response.headers["Cache-Control"] == "no-store"
    names = [row[0] for row in read_csv(response)[1:]]
    assert sorted(names) == sorted(["'" + name for name in HOSTILE_NAMES] + ["María Ñahui Ccori"])
    assert not [name for name in names if name.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_xlsx_export_opens_with_openpyxl_and_has_the_same_rows_as_the_csv(hostile_course, client_for):
    trainer, course = hostile_course
    client = client_for(trainer)
    for key in ("grid", "summary", "lessons", "idle"):
        rows = read_csv(client.get(f"/manage/reports/courses/{course.id}/{key}.csv"))
        response = client.get(f"/manage/reports/courses/{course.id}/{key}.xlsx")
        assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        sheet = read_xlsx(response)
        assert [[same(value) for value in row] for row in sheet] == [[same(cell) for cell in row] for row in rows], key
    grid = read_xlsx(client.get(f"/manage/reports/courses/{course.id}/grid.xlsx"))
    assert "'=cmd|' /C calc'!A0" in [row[0] for row in grid]
    maria = next(row for row in grid if row[0] == "María Ñahui Ccori")
    assert maria[3] == "2026-01-10 10:30", "times in America/Lima"
    assert maria[4:] == [0, 0], "numbers stay numbers"


def test_xlsx_cells_that_look_like_formulas_are_stored_as_text():
    table = Table("t", "Prueba: [1]/2", [Column("Nombre"), Column("N", "int")], [["=1+1", 3], ["-1", -1]])
    sheet = load_workbook(io.BytesIO(to_xlsx(table, "America/Lima"))).active
    assert sheet.title == "Prueba   1  2"
    assert [(cell.value, cell.data_type) for cell in sheet["A"]] == [("Nombre", "s"), ("'=1+1", "s"), ("'-1", "s")]
    assert sheet["B3"].value == -1 and sheet["B3"].data_type == "n"
    assert to_csv(table, "America/Lima").decode("utf-8-sig").splitlines() == ['"Nombre","N"', '"\'=1+1",3',
                                                                                 '"\'-1",-1']


def test_trainer_cannot_export_another_trainers_course(hostile_course, make_user, make_course, client_for):
    trainer, course = hostile_course
    other = client_for(make_user(role="trainer"))
    for key in ("grid", "summary"):
        for fmt in ("csv", "xlsx"):
            assert other.get(f"/manage/reports/courses/{course.id}/{key}.{fmt}").status_code == 403
    assert other.get("/manage/reports/network/regions.csv").status_code == 403
    own = client_for(trainer)
    assert own.get(f"/manage/reports/courses/{course.id}/nothing.csv").status_code == 404
    assert own.get(f"/manage/reports/courses/{course.id}/grid.pdf").status_code == 404


def test_learner_is_refused_every_export(hostile_course, make_user, client_for):
    _trainer, course = hostile_course
    learner = client_for(make_user())
    for url in (f"/manage/reports/courses/{course.id}/grid.csv", f"/manage/reports/courses/{course.id}/grid.xlsx",
                "/manage/reports/network/totals.csv", "/manage/reports/network/courses.xlsx",
                "/manage/reports/cohorts/1/members.csv"):
        assert learner.get(url).status_code == 403, url


def test_every_export_is_in_the_audit_log_and_names_mark_it_personal(app, hostile_course, make_user, client_for):
    trainer, course = hostile_course
    client = client_for(trainer)
    client.get(f"/manage/reports/courses/{course.id}/grid.csv")
    client.get(f"/manage/reports/courses/{course.id}/summary.xlsx")
    client_for(make_user(role="admin")).get("/manage/reports/network/regions.csv?region=puno")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.actor_id, e.detail["report"], e.detail["table"], e.detail["format"], e.detail["personal"])
                for e in events][:2] == [(trainer.id, "course", "grid", "csv", True),
                                         (trainer.id, "course", "summary", "xlsx", False)]
        assert events[0].detail["course_id"] == course.id and events[0].detail["rows"] == 7
        assert events[2].detail["region"] == "puno"
        assert all("Ñahui" not in str(e.detail) for e in events)


def test_network_exports_have_spanish_headers(make_user, client_for):
    client = client_for(make_user(role="admin"))
    response = client.get("/manage/reports/network/regions.csv")
    assert read_csv(response)[0] == ["Región", "Participantes", "Inscripciones", "Cursos completados",
                                     "Certificados", "Asistencias a talleres"]
    assert datetime.now(UTC).year >= 2026
