"""Bulk enrolment by CSV: every row checked first, nothing written on any error, a printable PIN sheet."""

import io
import re

import pytest
from sqlalchemy import func, select

from lms.accounts.models import AuditEvent, Cohort, User
from lms.extensions import db
from lms.learning.models import Enrolment


@pytest.fixture
def trainer_course(make_user, make_course, client_for):
    """(client of a trainer, her course, the trainer)."""
    trainer = make_user(role="trainer", region="arequipa")
    return client_for(trainer), make_course(trainers=[trainer]), trainer


def upload(client, course, text: str | bytes, encoding="utf-8"):
    """Upload a list; a good one is saved and answered with a redirect to the PIN sheet (GET), which is followed."""
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return client.post(f"/manage/teaching/{course.id}/csv", data={"file": (io.BytesIO(data), "lista.csv")},
                       content_type="multipart/form-data", follow_redirects=True)


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (User, Enrolment, Cohort))


def sheet_rows(page: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<tr><td>([^<]+)</td><td class="mono">([^<]+)</td><td class="mono pin">(\d{6})</td></tr>', page)


def test_upload_page_explains_the_columns(trainer_course):
    client, course, _t = trainer_course
    page = client.get(f"/manage/teaching/{course.id}/csv").get_data(as_text=True)
    assert "usuario" in page and "celular" in page and "grupo" in page and 'enctype="multipart/form-data"' in page


def test_new_learners_get_accounts_one_time_pins_enrolment_and_cohort(trainer_course, app):
    client, course, trainer = trainer_course
    response = upload(client, course, "nombre;celular;dni;region;comunidad;grupo\n"
                                      "María Quispe Apaza;987 654 321;12345678;Puno;La Rinconada;Pallaqueras 2026\n"
                                      "Juana Ccori;;;madre de dios;;Pallaqueras 2026\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = sheet_rows(page)
    assert [(name, username) for name, username, _pin in rows] == [("María Quispe Apaza", "maria.quispe"),
                                                                    ("Juana Ccori", "juana.ccori")]
    with app.app_context():
        maria = db.session.scalar(select(User).where(User.username == "maria.quispe"))
        assert maria.check_secret(rows[0][2]) and maria.must_change_pin and maria.created_by_id == trainer.id
        assert (maria.phone, maria.dni, maria.region, maria.community) == ("+51987654321", "12345678", "puno",
                                                                          "La Rinconada")
        juana = db.session.scalar(select(User).where(User.username == "juana.ccori"))
        assert juana.region == "madre-de-dios"
        cohort = db.session.scalar(select(Cohort).where(Cohort.name == "Pallaqueras 2026"))
        assert [m.username for m in cohort.members] == ["juana.ccori", "maria.quispe"]
        assert [t.id for t in cohort.trainers] == [trainer.id] and cohort.region == "arequipa"
        enrolments = db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id)).all()
        assert {(e.method, e.cohort_id, e.enrolled_by_id) for e in enrolments} == {("csv", cohort.id, trainer.id)}
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "enrolment.bulk"))
        assert event.detail["count"] == 2 and event.detail["created"] == 2 and event.actor_id == trainer.id
        assert "9876" not in str(event.detail) and "Quispe" not in str(event.detail)


def test_existing_learners_by_username_are_enrolled_without_a_new_pin(trainer_course, make_user, app):
    client, course, trainer = trainer_course
    learner = make_user(username="rosa.mamani", full_name="Rosa Mamani", created_by_id=trainer.id)
    page = upload(client, course, "usuario\nRosa.Mamani\n").get_data(as_text=True)
    assert sheet_rows(page) == [] and "rosa.mamani" in page and "Ya tenían cuenta" in page
    with app.app_context():
        assert db.session.get(User, learner.id).check_secret(learner.password), "her PIN is unchanged"
        assert db.session.scalar(select(Enrolment.method).where(Enrolment.user_id == learner.id)) == "csv"


NOT_HERS = "Ninguna de tus participantes tiene el usuario «%s»."


@pytest.mark.parametrize(("line", "field", "reason"), [
    ("nadie.existe;;;;", "usuario", NOT_HERS % "nadie.existe"),
    ("otra.learner;;;;", "usuario", NOT_HERS % "otra.learner"),  # exists, but another trainer's: the same answer
    (";;;;", None, None),  # a blank row is skipped, not an error
    (";Ana Poma;1234567;;", "dni", "El DNI tiene 8 números."),
    (";Ana Poma;;12345;", "celular", "Escribe un celular peruano de 9 números que empiece con 9."),
    (";Ana Poma;;;Narnia", "region", "Región desconocida: «Narnia»."),
    (";;;987654321;", "nombre", "Falta el nombre completo"),
    (";Ana Poma;11112222;;", "dni", "Ya hay una cuenta con este DNI"),
    (";Ana Poma;;912345678;", "celular", "Ya hay una cuenta con este celular"),
    ("formadora.x;;;;", "usuario", NOT_HERS % "formadora.x"),
])
def test_each_bad_row_is_reported_with_row_field_and_reason(trainer_course, make_user, app, line, field, reason):
    client, course, _t = trainer_course
    make_user(dni="11112222", phone="+51912345678")
    make_user(role="trainer", username="formadora.x")
    make_user(username="otra.learner")
    before = counts(app)
    page = upload(client, course, f"usuario;nombre;dni;celular;region\n;Eva Luna;;;puno\n{line}\n").get_data(
        as_text=True)
    if field is None:
        assert "eva.luna" in page
        return
    assert "No se guardó nada" in page
    assert re.search(rf"<tr><td>3</td><td>{field}</td><td>{re.escape(reason)}", page), page[-3000:]
    assert counts(app) == before


def test_repeated_dni_phone_or_username_in_the_file_is_reported(trainer_course, make_user, app):
    client, course, trainer = trainer_course
    make_user(username="ines.choque", created_by_id=trainer.id)
    text = ("usuario,nombre,dni,celular\n"
            ",Ana Poma,44445555,\n"
            ",Eva Poma,44445555,\n"
            ",Sara Poma,,987000111\n"
            ",Lía Poma,,+51 987 000 111\n"
            "ines.choque,,,\n"
            "INES.CHOQUE,,,\n")
    before = counts(app)
    page = upload(client, course, text).get_data(as_text=True)
    assert "<tr><td>3</td><td>dni</td><td>Se repite: ya está en la fila 2.</td></tr>" in page
    assert "<tr><td>5</td><td>celular</td><td>Se repite: ya está en la fila 4.</td></tr>" in page
    assert "<tr><td>7</td><td>usuario</td><td>Se repite: ya está en la fila 6.</td></tr>" in page
    assert counts(app) == before


def test_unknown_columns_and_a_missing_name_column_are_reported(trainer_course, app):
    client, course, _t = trainer_course
    page = upload(client, course, "celuar;dni\n987654321;12345678\n").get_data(as_text=True)
    assert "<tr><td>1</td><td>celuar</td><td>Columna desconocida." in page
    assert "Falta la columna «usuario» o la columna «nombre»." in page


def test_an_empty_file_is_reported(trainer_course):
    client, course, _t = trainer_course
    assert "El archivo no tiene filas de participantes." in upload(client, course, "nombre\n").get_data(as_text=True)


def test_no_file_returns_the_form_with_a_message(trainer_course):
    client, course, _t = trainer_course
    page = client.post(f"/manage/teaching/{course.id}/csv", data={}).get_data(as_text=True)
    assert "Elige un archivo CSV." in page


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_utf8_with_or_without_bom_and_latin1_files_are_read(trainer_course, app, encoding):
    client, course, _t = trainer_course
    page = upload(client, course, "Nombre,Región,Comunidad\nÑusta Huamán,Junín,Pampa Ñahui\n",
                  encoding).get_data(as_text=True)
    assert "Ñusta Huamán" in page and "nusta.huaman" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "nusta.huaman"))
        assert (user.full_name, user.region, user.community) == ("Ñusta Huamán", "junin", "Pampa Ñahui")


def test_a_cohort_led_by_someone_else_is_refused(trainer_course, make_user, app):
    client, course, _t = trainer_course
    with app.app_context():
        db.session.add(Cohort(name="Grupo Ajeno"))
        db.session.commit()
    page = upload(client, course, "nombre;grupo\nEva Luna;grupo ajeno\n").get_data(as_text=True)
    assert "No diriges el grupo «Grupo Ajeno»." in page


def test_another_trainers_course_is_refused(trainer_course, make_user, client_for):
    _client, course, _t = trainer_course
    other = client_for(make_user(role="trainer"))
    assert upload(other, course, "nombre\nEva Luna\n").status_code == 403


def test_cohort_names_match_in_any_case_even_with_accents(trainer_course, app):
    client, course, trainer = trainer_course
    with app.app_context():
        db.session.add(Cohort(name="Grupo Ñahui", trainers=[db.session.get(User, trainer.id)]))
        db.session.commit()
    page = upload(client, course, "nombre;grupo\nEva Luna;GRUPO ÑAHUI\nAna Poma;grupo ñahui\n").get_data(as_text=True)
    assert "eva.luna" in page and "ana.poma" in page
    with app.app_context():
        (cohort,) = db.session.scalars(select(Cohort)).all()
        assert cohort.name == "Grupo Ñahui" and len(cohort.members) == 2
