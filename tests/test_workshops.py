"""In-person sessions: creating them in Lima time, taking attendance on a phone, CSV import, the sheet."""

import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from lms.accounts.models import AuditEvent, Cohort, User
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.workshops.models import Attendance, Workshop
from lms.workshops.signals import attendance_recorded


@pytest.fixture
def enrol(app):
    """Factory: enrol(course_id, users, cohort_id=None, status="active")."""
    def make(course_id, users, cohort_id=None, status="active"):
        with app.app_context():
            for user in users:
                db.session.add(Enrolment(user_id=user.id, course_id=course_id, cohort_id=cohort_id, status=status,
                                         method="trainer"))
            db.session.commit()
    return make


@pytest.fixture
def make_cohort(app):
    def make(name, members=(), trainers=()):
        with app.app_context():
            cohort = Cohort(name=name, region="puno")
            cohort.members = [db.session.get(User, m.id) for m in members]
            cohort.trainers = [db.session.get(User, t.id) for t in trainers]
            db.session.add(cohort)
            db.session.commit()
            return cohort.id
    return make


def create_session(client, course_id, **fields) -> int:
    data = {"course": course_id, "module": "", "day": "2026-03-15", "time": "09:30", "place": "Local comunal",
            "cohort": "", **fields}
    response = client.post("/manage/workshops/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    workshop_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert response.headers["Location"] == f"/manage/workshops/{workshop_id}"
    return workshop_id


def checkbox_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'name="present" value="(\d+)"', page)]


def test_session_typed_in_lima_time_is_stored_in_utc_and_listed(app, make_user, client_for, make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    client = client_for(trainer)
    workshop_id = create_session(client, course.id, module=course.module_ids[1], place="Local de Ananea")
    with app.app_context():
        workshop = db.session.get(Workshop, workshop_id)
        assert workshop.starts_at == datetime(2026, 3, 15, 14, 30)  # Lima is UTC-5
        assert workshop.module_id == course.module_ids[1] and workshop.created_by_id == trainer.id
    page = client.get("/manage/workshops/").get_data(as_text=True)
    assert "Local de Ananea" in page and "09:30" in page and course.title in page
    form = client.get(f"/manage/workshops/{workshop_id}/edit").get_data(as_text=True)
    assert 'value="2026-03-15"' in form and 'value="09:30"' in form


def test_list_separates_upcoming_from_past_sessions(app, make_user, client_for, make_course):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    client = client_for(trainer)
    soon = (datetime.now() + timedelta(days=20)).date().isoformat()
    create_session(client, course.id, day=soon, place="Taller que viene")
    create_session(client, course.id, day="2020-05-01", place="Taller antiguo")
    page = client.get("/manage/workshops/").get_data(as_text=True)
    upcoming, past = page.split("Pasadas", 1)
    assert "Taller que viene" in upcoming and "Taller antiguo" in past


def test_module_of_another_course_is_refused_and_nothing_is_created(app, make_user, client_for, make_course):
    trainer = make_user(role="trainer")
    course, other = make_course(trainers=[trainer]), make_course(trainers=[trainer])
    response = client_for(trainer).post("/manage/workshops/new", data={
        "course": course.id, "module": other.module_ids[0], "day": "2026-03-15", "time": "09:30", "place": "X"})
    assert response.status_code == 200 and "Ese módulo no es del curso elegido." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Workshop.id))) == 0


def test_twenty_five_learners_marked_present_in_one_post_then_one_corrected(app, make_user, client_for, make_course,
                                                                             enrol):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    learners = [make_user(full_name=f"Minera {n:02d}") for n in range(25)]
    enrol(course.id, learners)
    client = client_for(trainer)
    workshop_id = create_session(client, course.id)
    page = client.get(f"/manage/workshops/{workshop_id}").get_data(as_text=True)
    ids = checkbox_ids(page)
    assert sorted(ids) == sorted(u.id for u in learners) and "Guardar asistencia" in page
    response = client.post(f"/manage/workshops/{workshop_id}", data={"present": ids})
    assert response.headers["Location"] == f"/manage/workshops/{workshop_id}"
    assert "Presentes: 25. Ausentes: 0." in client.get(response.headers["Location"]).get_data(as_text=True)
    response = client.post(f"/manage/workshops/{workshop_id}", data={"present": ids[1:]})
    assert "Presentes: 24. Ausentes: 1." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(Attendance).where(Attendance.workshop_id == workshop_id)).all()
        assert len(rows) == 25 and sum(r.present for r in rows) == 24
        assert [r.user_id for r in rows if not r.present] == [ids[0]]
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "workshop.attendance_recorded").order_by(AuditEvent.id)).all()
        assert [(e.detail["present"], e.detail["absent"]) for e in events] == [(25, 0), (24, 1)]
        assert all(e.actor_id == trainer.id for e in events)


def test_roster_sorted_by_name_without_closed_accounts_and_ticks_only_people_on_it(
        app, make_user, client_for, make_course, enrol, make_cohort):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    zoila, ana, beatriz = (make_user(full_name=n) for n in ("Zoila Mamani", "Ángela Quispe", "Beatriz Ccori"))
    stranger, withdrawn, elsewhere = make_user(), make_user(), make_user(full_name="Otra Región")
    closed, left = make_user(full_name="Cuenta Cerrada", active=False), make_user(full_name="Ya No Está")
    not_enrolled = make_user(full_name="Sin Inscribir")
    cohort_id = make_cohort("Pallaqueras La Rinconada", members=[zoila, ana, beatriz, closed, withdrawn, not_enrolled],
                            trainers=[trainer])
    enrol(course.id, [zoila, ana, closed])
    enrol(course.id, [beatriz, left], cohort_id=cohort_id)  # «left» was enrolled through the cohort, then left it
    enrol(course.id, [elsewhere])
    enrol(course.id, [withdrawn], cohort_id=cohort_id, status="withdrawn")
    client = client_for(trainer)
    workshop_id = create_session(client, course.id, cohort=cohort_id)
    page = client.get(f"/manage/workshops/{workshop_id}").get_data(as_text=True)
    assert checkbox_ids(page) == [ana.id, beatriz.id, zoila.id]  # the cohort's learners in the course, by name
    client.post(f"/manage/workshops/{workshop_id}", data={"present": [ana.id, stranger.id, "x"]})
    with app.app_context():
        marks = dict(db.session.execute(select(Attendance.user_id, Attendance.present)).all())
        assert marks == {ana.id: True, beatriz.id: False, zoila.id: False}


def test_only_trainers_of_the_course_and_admins_reach_its_sessions(app, make_user, client_for, make_course):
    owner, other, admin = make_user(role="trainer"), make_user(role="trainer"), make_user(role="admin")
    course, others_course = make_course(trainers=[owner]), make_course(trainers=[other])
    workshop_id = create_session(client_for(owner), course.id)
    intruder = client_for(other)
    for path in ("", "/edit", "/sheet", "/import"):
        assert intruder.get(f"/manage/workshops/{workshop_id}{path}").status_code == 403, path
    assert intruder.post(f"/manage/workshops/{workshop_id}", data={"present": []}).status_code == 403
    assert intruder.get("/manage/workshops/9999").status_code == 404
    assert place_not_listed(intruder, "Local comunal")
    refused = client_for(owner).post("/manage/workshops/new", data={
        "course": others_course.id, "day": "2026-03-15", "time": "09:30", "place": "X"})
    assert refused.status_code == 200 and 'id="course-error"' in refused.get_data(as_text=True)
    assert others_course.title not in client_for(owner).get("/manage/workshops/new").get_data(as_text=True)
    learner = client_for(make_user())
    assert learner.get("/manage/workshops/").status_code == 403
    assert learner.get(f"/manage/workshops/{workshop_id}").status_code == 403
    assert client_for(admin).get(f"/manage/workshops/{workshop_id}").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(Workshop.id))) == 1


def place_not_listed(client, place: str) -> bool:
    return place not in client.get("/manage/workshops/").get_data(as_text=True)


def upload(client, workshop_id, text: str, encoding="utf-8"):
    data = {"file": (io.BytesIO(text.encode(encoding)), "asistencia.csv")}
    return client.post(f"/manage/workshops/{workshop_id}/import", data=data, content_type="multipart/form-data")


def test_csv_import_reports_every_bad_row_and_writes_nothing_then_a_good_file_is_saved(
        app, make_user, client_for, make_course, enrol):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    maria, juana = make_user(username="maria.quispe", dni="41234567"), make_user(username="juana.ccori")
    not_enrolled = make_user(username="rosa.tito", full_name="Rosa Tito")
    enrol(course.id, [maria, juana])
    client = client_for(trainer)
    workshop_id = create_session(client, course.id)
    bad = ("usuario,presente\nmaria.quispe,si\nnadie.existe,si\njuana.ccori,quizas\n"
           f"{not_enrolled.username},si\nmaria.quispe,no\n,si\n")
    page = upload(client, workshop_id, bad).get_data(as_text=True)
    assert "No se guardó nada" in page and "Rosa Tito" not in page  # never names someone off the list
    for expected in ("Fila 3: nadie de la lista de este taller tiene ese usuario o DNI.",
                     "Fila 4: en «presente» escribe sí, no, 1, 0 o x.",
                     "Fila 5: nadie de la lista de este taller tiene ese usuario o DNI.",
                     "Fila 6: esta persona ya aparece en la fila 2.", "Fila 7: falta el usuario o el DNI."):
        assert expected in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id))) == 0
    good = "\ufeffDNI;Usuario;Presente\n41234567;;Sí\n;JUANA.CCORI;0\n"
    response = upload(client, workshop_id, good)
    assert response.headers["Location"] == f"/manage/workshops/{workshop_id}"
    with app.app_context():
        marks = dict(db.session.execute(select(Attendance.user_id, Attendance.present)).all())
        assert marks == {maria.id: True, juana.id: False}
        event_ = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "workshop.attendance_recorded"))
        assert (event_.detail["source"], event_.detail["present"], event_.detail["absent"]) == ("csv", 1, 1)


def test_csv_in_windows_encoding_with_x_marks_is_read(app, make_user, client_for, make_course, enrol):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    nuñez = make_user(username="lucia.nunez", full_name="Lucía Núñez")
    enrol(course.id, [nuñez])
    client = client_for(trainer)
    workshop_id = create_session(client, course.id)
    response = upload(client, workshop_id, "usuario,nombre,presente\nlucia.nunez,Lucía Núñez,x\n", "cp1252")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Attendance.present)) is True


def test_csv_without_the_needed_columns_is_refused(app, make_user, client_for, make_course):
    trainer = make_user(role="trainer")
    client = client_for(trainer)
    workshop_id = create_session(client, make_course(trainers=[trainer]).id)
    page = upload(client, workshop_id, "nombre,asistio\nMaría,si\n").get_data(as_text=True)
    assert "El archivo necesita una columna «usuario» o «dni» y una columna «presente»." in page


def test_print_sheet_has_names_and_session_but_no_dni_or_phone(app, make_user, client_for, make_course, enrol):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], title="Seguridad en la bocamina")
    maria = make_user(full_name="María Quispe Apaza", dni="41234567", phone="987654321")
    enrol(course.id, [maria])
    client = client_for(trainer)
    workshop_id = create_session(client, course.id, place="Local comunal de La Rinconada")
    page = client.get(f"/manage/workshops/{workshop_id}/sheet").get_data(as_text=True)
    for expected in ("María Quispe Apaza", "Seguridad en la bocamina", "Local comunal de La Rinconada",
                     "domingo, 15 de marzo de 2026", "09:30", "Firma o huella"):
        assert expected in page, expected
    assert "41234567" not in page and "987654321" not in page and "567" not in page


def test_attendance_recorded_signal_names_everyone_recorded(app, make_user, client_for, make_course, enrol):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    learners = [make_user(), make_user()]
    enrol(course.id, learners)
    client = client_for(trainer)
    workshop_id = create_session(client, course.id)
    received = []

    def receiver(sender, user_ids):
        received.append((sender.id, user_ids, db.session().in_transaction()))

    with attendance_recorded.connected_to(receiver):
        client.post(f"/manage/workshops/{workshop_id}", data={"present": [learners[0].id]})
    assert received == [(workshop_id, sorted(u.id for u in learners), True)]


def test_attendance_counts_toward_completion_when_the_course_sets_a_minimum(app, make_user, client_for,
                                                                           make_course, enrol):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], modules=1, lessons=1, quiz=False, require_lessons=False,
                         require_quizzes=False, min_sessions=1)
    learner = make_user()
    enrol(course.id, [learner])
    client = client_for(trainer)
    workshop_id = create_session(client, course.id)
    client.post(f"/manage/workshops/{workshop_id}", data={"present": [learner.id]})
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
        assert enrolment.status == "completed"


def count_queries(app, client, path: str) -> int:
    statements = []

    def counter(*_args):
        statements.append(1)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)
    return len(statements)


def test_attendance_page_and_list_queries_do_not_grow_with_learners(app, make_user, client_for, make_course,
                                                                    enrol, make_cohort):
    trainer = make_user(role="trainer")
    small, large = make_course(trainers=[trainer]), make_course(trainers=[trainer])
    few, many = [make_user() for _ in range(2)], [make_user() for _ in range(12)]
    enrol(small.id, few)
    enrol(large.id, many)
    client = client_for(trainer)
    small_id, large_id = create_session(client, small.id), create_session(client, large.id)
    client.post(f"/manage/workshops/{small_id}", data={"present": [u.id for u in few]})
    client.post(f"/manage/workshops/{large_id}", data={"present": [u.id for u in many]})
    assert count_queries(app, client, f"/manage/workshops/{small_id}") == \
        count_queries(app, client, f"/manage/workshops/{large_id}")
    before = count_queries(app, client, "/manage/workshops/")
    for n in range(5):
        create_session(client, large.id, cohort=make_cohort(f"Grupo {n}", trainers=[trainer]))
    assert count_queries(app, client, "/manage/workshops/") == before
