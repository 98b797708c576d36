"""Ley 29733: a person downloads all her data; an admin anonymises a learner and the figures stay right."""

import json
from datetime import date
from decimal import Decimal

import pytest
from flask import url_for
from sqlalchemy import func, select

from lms.accounts.models import AuditEvent, Cohort, User
from lms.certificates.models import Certificate
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion, QuizAttempt
from lms.workshops.models import Attendance, Workshop

WITHDRAWN = "(nombre retirado a pedido de la titular)"


@pytest.fixture
def history(app, make_course):
    """Factory: history(user) gives her an enrolment (completed), a completion, an attempt, attendance,
    a cohort and a certificate; returns the certificate code."""
    def make(user, cohort_name=None, course=None):
        course = course or make_course()
        with app.app_context():
            enrolment = Enrolment(user_id=user.id, course_id=course.id, status="completed", method="trainer")
            db.session.add(enrolment)
            db.session.flush()
            db.session.add(LessonCompletion(enrolment_id=enrolment.id, lesson_id=course.lesson_ids[0]))
            quiz_id = course.quiz_ids[0]
            db.session.add(QuizAttempt(enrolment_id=enrolment.id, quiz_id=quiz_id, number=1, token=f"t{user.id}",
                                       answers={str(k): v for k, v in course.answers[quiz_id].items()}, score=100,
                                       pass_mark=70, passed=True))
            workshop = Workshop(course_id=course.id, starts_at=date(2026, 3, 15), place="Local comunal")
            db.session.add(workshop)
            db.session.flush()
            db.session.add(Attendance(workshop_id=workshop.id, user_id=user.id, present=True))
            cohort = Cohort(name=cohort_name or f"Grupo de {user.username}", region=user.region)
            cohort.members = [db.session.get(User, user.id)]
            db.session.add(cohort)
            certificate = Certificate(enrolment_id=enrolment.id, learner_name=user.full_name,
                                      course_title=course.title, theme="Seguridad y salud", hours=Decimal("4"),
                                      completed_on=date(2026, 3, 15), issued_on=date(2026, 3, 16),
                                      network_name="RNM-MAPE", signatories=[["Rosa Mamani", "Presidenta"]])
            db.session.add(certificate)
            db.session.commit()
            return certificate.code
    return make


def download(client):
    response = client.get("/perfil/mis-datos.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "application/json"
    return response.get_data(as_text=True)


def test_export_has_all_her_data_and_nothing_of_another_learner_nor_any_secret(app, make_user, client_for,
                                                                               history):
    maria = make_user(full_name="María Quispe Apaza", dni="41234567", phone="987654321", community="La Rinconada")
    other = make_user(full_name="Juana Ccori Huanca", dni="47654321", phone="912345678", community="Cerro Lunar")
    code = history(maria, cohort_name="Pallaqueras La Rinconada")
    history(other, cohort_name="Grupo de Cerro Lunar")
    client = client_for(maria)
    text = download(client)
    data = json.loads(text)
    assert data["profile"]["full_name"] == "María Quispe Apaza" and data["profile"]["dni"] == "41234567"
    assert data["profile"]["phone"] == "987654321" and data["profile"]["region_name"] == "Puno"
    assert len(data["enrolments"]) == 1 and data["enrolments"][0]["lessons_completed"] == 1
    assert data["enrolments"][0]["lessons_total"] == 4 and data["enrolments"][0]["status"] == "completed"
    assert len(data["lesson_completions"]) == 1
    assert data["quiz_attempts"][0]["score"] == 100 and data["quiz_attempts"][0]["answers"]
    assert data["attendance"] == [{"course": data["enrolments"][0]["course"]["title"],
                                   "starts_at_utc": "2026-03-15T00:00:00", "place": "Local comunal",
                                   "present": True, "recorded_at": data["attendance"][0]["recorded_at"]}]
    assert [c["code"] for c in data["certificates"]] == [code]
    assert data["certificates"][0]["learner_name"] == "María Quispe Apaza"
    assert data["cohorts"] == [{"name": "Pallaqueras La Rinconada", "region": "puno"}]
    assert any(e["action"] == "signin" and e["by_me"] for e in data["audit_events"])
    for foreign in ("Juana", "47654321", "912345678", "Cerro Lunar", str(other.username)):
        assert foreign not in text, foreign
    with app.app_context():
        user = db.session.get(User, maria.id)
        for secret in (user.password_hash, user.session_token):
            assert secret not in text
        assert "password" not in text and "session_token" not in text
        exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.exported"))
        assert exported.actor_id == maria.id and exported.subject_id == maria.id


def test_export_leaves_out_who_acted_on_her_and_from_where(app, make_user, client_for, login):
    trainer = make_user(role="trainer")
    learner = make_user(created_by_id=trainer.id)
    staff = client_for(trainer)
    staff.post(f"/manage/people/{learner.id}/reset", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    with app.app_context():
        user = db.session.get(User, learner.id)
        user.set_secret(learner.password, app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
    data = json.loads(download(client_for(learner)))
    reset = [e for e in data["audit_events"] if e["action"] == "pin.reset"]
    assert reset and reset[0]["by_me"] is False and reset[0]["address"] is None
    assert "10.1.2.3" not in json.dumps(data)


def test_profile_page_links_to_the_download(make_user, client_for):
    page = client_for(make_user()).get("/perfil").get_data(as_text=True)
    assert 'href="/perfil/mis-datos.json"' in page and "Descargar mis datos" in page


def anonymise(client, user, confirm=None):
    return client.post(f"/admin/privacy/{user.id}/anonymise", data={"confirm": confirm or user.username})


def figures_by_region():
    by_region = select(User.region, func.count(Enrolment.id)).join(Enrolment, Enrolment.user_id == User.id)
    return (db.session.execute(by_region.group_by(User.region).order_by(User.region)).all(),
            db.session.scalar(select(func.count(LessonCompletion.id))),
            db.session.scalar(select(func.count(Attendance.id)).where(Attendance.present.is_(True))),
            db.session.execute(select(Enrolment.status, func.count()).group_by(Enrolment.status)).all())


def test_anonymising_removes_her_identity_everywhere_and_keeps_the_figures(app, make_user, client_for, login,
                                                                           history):
    admin = make_user(role="admin")
    maria = make_user(full_name="María Quispe Apaza", dni="41234567", phone="987654321", community="La Rinconada",
                      organisation="Asociación Virgen de la Candelaria", birth_year=1985, email="m@example.pe")
    code = history(maria)
    history(make_user(region="arequipa"))
    her_session = client_for(maria)
    with app.app_context():
        before = figures_by_region()
    staff = client_for(admin)
    confirm_page = staff.get(f"/admin/privacy/{maria.id}/anonymise").get_data(as_text=True)
    assert "María Quispe Apaza" in confirm_page and "No se puede deshacer" in confirm_page
    response = anonymise(staff, maria)
    assert response.headers["Location"] == f"/admin/privacy/{maria.id}/anonymise"
    with app.app_context():
        user = db.session.get(User, maria.id)
        assert user.full_name == f"Participante anonimizada #{maria.id}"
        assert user.username.startswith(f"anon-{maria.id}-") and user.region == "puno"
        assert (user.dni, user.phone, user.email, user.community, user.organisation, user.birth_year) == (None,) * 6
        assert not user.active and not user.check_secret(maria.password)
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        assert certificate.learner_name == WITHDRAWN and certificate.status == "valid"
        assert figures_by_region() == before
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.anonymised"))
        assert (event.actor_id, event.subject_id) == (admin.id, maria.id)
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.actor_id == maria.id, AuditEvent.address.is_not(None))) == 0
        everything = " ".join(str(v) for v in db.session.execute(select(User.__table__)).all()
                              + db.session.execute(select(Certificate.__table__)).all())
        for identifying in ("María", "Quispe", "41234567", "987654321", "La Rinconada", "Candelaria", "m@example"):
            assert identifying not in everything, identifying
    assert her_session.get("/inicio").headers["Location"].startswith("/login"), "her sessions ended"
    assert login(app.test_client(), maria.username, maria.password).status_code == 200, "cannot sign in"
    assert "ya fue anonimizada" in staff.get(f"/admin/privacy/{maria.id}/anonymise").get_data(as_text=True)


def test_verification_page_shows_the_name_withdrawn_after_anonymisation(app, make_user, client_for, client,
                                                                       history):
    if "certificates.verify_code" not in app.view_functions:
        pytest.skip("the certificate verification page is not built yet")
    maria = make_user(full_name="María Quispe Apaza")
    code = history(maria)
    anonymise(client_for(make_user(role="admin")), maria)
    with app.test_request_context():
        path = url_for("certificates.verify_code", code=code)
    page = client.get(path).get_data(as_text=True)
    assert WITHDRAWN in page and "María" not in page and "Quispe" not in page


def test_wrong_confirmation_changes_nothing(app, make_user, client_for):
    maria = make_user(full_name="María Quispe Apaza")
    response = anonymise(client_for(make_user(role="admin")), maria, confirm="otra.persona")
    assert response.status_code == 200 and "El usuario no coincide" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, maria.id).full_name == "María Quispe Apaza"
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "privacy.anonymised")) == 0


def test_only_admins_anonymise_and_only_learners_accounts(app, make_user, client_for):
    maria, trainer, admin = make_user(), make_user(role="trainer"), make_user(role="admin")
    for actor in (trainer, make_user()):
        client = client_for(actor)
        assert client.get(f"/admin/privacy/{maria.id}/anonymise").status_code == 403
        assert anonymise(client, maria).status_code == 403
    staff = client_for(admin)
    assert anonymise(staff, trainer).status_code == 403
    assert staff.get("/admin/privacy/99999/anonymise").status_code == 404
    with app.app_context():
        assert db.session.get(User, maria.id).active and db.session.get(User, trainer.id).active


def text_columns_holding(app, needles: list[str]) -> list[str]:
    """Every table.column (text or JSON) where any of `needles` appears, case-insensitive."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (db.String, db.Text, db.JSON))]
            for row in db.session.execute(select(*columns)).all() if columns else ():
                for column, value in zip(columns, row, strict=True):
                    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
                    found += [f"{table.name}.{column.name}: {n}" for n in needles if text and n.lower() in text.lower()]
    return found


def test_after_anonymising_no_text_column_holds_her_name_dni_phone_or_ip(app, make_user, make_course, client_for,
                                                                        login, history, enrol):
    """Also where others wrote about her (a revocation's reason, a manual issue's reason) and where her
    addresses were recorded without her as the actor (a failed sign-in against her, a throttled attempt)."""
    trainer, admin = make_user(role="trainer"), make_user(role="admin")
    her = make_user(full_name="Maricruz Yapuchura Quenaya", dni="47654321", phone="+51976543210",
                    username="maricruz.y", email="maricruz@example.pe", created_by_id=trainer.id)
    code = history(her)
    course = make_course(trainers=[trainer])
    enrol(her, course)
    her_phone = {"REMOTE_ADDR": "203.0.113.77"}
    login(app.test_client(), "976 543 210", her.password, environ_base=her_phone)  # her own sign-in
    login(app.test_client(), her.username, "mal-pin-0", environ_base={"REMOTE_ADDR": "198.51.100.45"})
    staff, board = client_for(trainer), client_for(admin)
    staff.post(f"/manage/people/{her.id}/reset", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    with app.app_context():
        cert_id = db.session.scalar(select(Certificate.id).where(Certificate.code == code))
        enrolment_id = db.session.scalar(select(Enrolment.id).where(Enrolment.course_id == course.id))
    board.post(f"/manage/certificates/{cert_id}/revoke",
               data={"reason": "Error: Maricruz Yapuchura Quenaya (DNI 47654321) no asistió, dijo Quenaya"})
    staff.post(f"/manage/certificates/course/{course.id}/issue",
               data={"enrolment": enrolment_id, "reason": "Yapuchura completó en el taller; tel. 976 543 210"})
    needles = ["Maricruz", "Yapuchura", "Quenaya", "47654321", "976543210", "976 543 210", "maricruz.y",
               "maricruz@example", "203.0.113.77", "198.51.100.45"]
    assert text_columns_holding(app, needles)  # the control: before, she is everywhere
    assert anonymise(board, her).headers["Location"] == f"/admin/privacy/{her.id}/anonymise"
    assert text_columns_holding(app, needles) == []
    pages = [board.get(url).get_data(as_text=True) for url in
             ("/manage/reports/audit", f"/manage/reports/audit?person={her.id}", "/admin/people",
              f"/manage/people/{her.id}", f"/manage/certificates/{cert_id}", f"/verify/{code}")]
    for page in pages:
        assert not [n for n in needles if n in page]


def test_a_learner_named_like_an_anonymised_account_can_still_be_anonymised(app, make_user, client_for):
    her = make_user(username="sara.tito", full_name="Sara Tito")
    client = client_for(her)
    client.post("/perfil", data={"full_name": f"Participante anonimizada #{her.id}", "region": "puno",
                                 "language": "es"})
    board = client_for(make_user(role="admin"))
    assert "ya fue anonimizada" not in board.get(f"/admin/privacy/{her.id}/anonymise").get_data(as_text=True)
    anonymise(board, her, confirm="sara.tito")
    with app.app_context():
        user = db.session.get(User, her.id)
        assert user.anonymised_at is not None and user.username.startswith("anon-") and not user.active
