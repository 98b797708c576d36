"""Completion rules, «Mis cursos», and the trainers' progress pages."""

import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import select, update

from lms.accounts.models import Cohort, User
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.learning.progress import check_completion
from lms.learning.signals import enrolment_completed
from lms.workshops.models import Attendance, Workshop
from lms.workshops.signals import attendance_recorded


def status_of(app, enrolment_id):
    with app.app_context():
        return db.session.get(Enrolment, enrolment_id).status


def do_lessons(client, course, count=None):
    for lesson_slug in [f"leccion-{m}-{k}" for m in (1, 2) for k in (1, 2)][:count]:
        client.post(f"/aprender/{course.slug}/{lesson_slug}/completar")


def pass_quiz(client, course, quiz_id, answers=None):
    data = {f"q{q}": c for q, c in (answers or course.answers[quiz_id]).items()}
    return client.post(f"/aprender/{course.slug}/evaluacion/{quiz_id}", data={**data, "token": uuid.uuid4().hex})


def attend(app, user, course, present=True):
    """Record a workshop attendance and send the signal, as the workshops package does."""
    with app.app_context():
        workshop = Workshop(course_id=course.id, starts_at=datetime.now(UTC), place="Casa comunal")
        db.session.add(workshop)
        db.session.flush()
        db.session.add(Attendance(workshop_id=workshop.id, user_id=user.id, present=present))
        attendance_recorded.send(workshop, user_ids=[user.id])
        db.session.commit()


def test_lessons_alone_do_not_complete_a_course_that_requires_quizzes(make_user, make_course, client_for, enrol,
                                                                       app):
    learner = make_user()
    course = make_course()
    enrolment_id = enrol(learner, course)
    client = client_for(learner)
    do_lessons(client, course)
    assert status_of(app, enrolment_id) == "active"
    pass_quiz(client, course, course.quiz_ids[0])
    assert status_of(app, enrolment_id) == "active"
    pass_quiz(client, course, course.quiz_ids[1])
    assert status_of(app, enrolment_id) == "completed"


def test_a_course_not_requiring_quizzes_completes_with_its_lessons(make_user, make_course, client_for, enrol, app):
    learner = make_user()
    course = make_course(require_quizzes=False)
    enrolment_id = enrol(learner, course)
    client = client_for(learner)
    do_lessons(client, course, 3)
    assert status_of(app, enrolment_id) == "active"
    response = client.post(f"/aprender/{course.slug}/leccion-2-2/completar")
    assert response.headers["Location"] == f"/aprender/{course.slug}/completado"
    assert status_of(app, enrolment_id) == "completed"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "¡Completaste el curso!" in page and "Descargar certificado (PDF · " in page


def test_workshop_attendance_completes_a_course_with_min_sessions(make_user, make_course, client_for, enrol, app):
    learner = make_user()
    course = make_course(require_quizzes=False, min_sessions=2)
    enrolment_id = enrol(learner, course)
    do_lessons(client_for(learner), course)
    assert status_of(app, enrolment_id) == "active"
    attend(app, learner, course, present=False)
    attend(app, learner, course)
    assert status_of(app, enrolment_id) == "active", "absent does not count"
    attend(app, learner, course)
    assert status_of(app, enrolment_id) == "completed"


def test_attendance_only_course_completes_on_attendance(make_user, make_course, enrol, app):
    learner = make_user()
    course = make_course(require_lessons=False, require_quizzes=False, min_sessions=1)
    enrolment_id = enrol(learner, course)
    attend(app, learner, course)
    assert status_of(app, enrolment_id) == "completed"


def test_completion_happens_once_and_the_entry_point_signal_is_sent_once(make_user, make_course, enrol, app):
    course = make_course(require_lessons=False, require_quizzes=False)
    enrolment_id, stale_id = enrol(make_user(), course), enrol(make_user(), course)
    sent = []

    def receiver(enrolment, **_extra):
        sent.append(enrolment.id)

    enrolment_completed.connect(receiver)
    try:
        with app.app_context():
            enrolment = db.session.get(Enrolment, enrolment_id)
            assert check_completion(enrolment) is True
            assert check_completion(enrolment) is False
            db.session.commit()
            stale = db.session.get(Enrolment, stale_id)  # still "active" in memory...
            with db.engine.begin() as elsewhere:  # ...while another request completes it
                elsewhere.execute(update(Enrolment).where(Enrolment.id == stale_id).values(status="completed"))
            assert check_completion(stale) is False
            db.session.commit()
    finally:
        enrolment_completed.disconnect(receiver)
    assert sent == [enrolment_id]


def test_my_courses_shows_progress_continue_completed_and_the_certificate_slot(make_user, make_course, client_for,
                                                                               enrol, app):
    learner = make_user(full_name="María Quispe")
    going, done, draft = make_course(title="Curso en marcha"), make_course(title="Curso terminado"), \
        make_course(title="Curso borrador", status="draft")
    enrol(learner, going)
    enrol(learner, done, status="completed", completed_at=datetime(2026, 3, 2, 15, tzinfo=UTC))
    enrol(learner, draft)
    client = client_for(learner)
    do_lessons(client, going, 3)
    page = client.get("/mis-cursos").get_data(as_text=True)
    assert "Curso en marcha" in page and "50 % hecho" in page and "Continuar" in page
    assert f'href="/aprender/{going.slug}"' in page
    assert "Cursos completados" in page and "Curso terminado" in page and "2 de marzo de 2026" in page
    assert "certificate-slot" in page or "certificado" in page.lower()
    assert "Curso borrador" not in page
    assert 'href="/cursos"' in page
    home = client.get("/inicio").get_data(as_text=True)
    assert "Curso en marcha" in home and "Hola, María" in home


def test_my_courses_without_enrolments_points_to_the_catalogue(make_user, client_for):
    page = client_for(make_user()).get("/mis-cursos").get_data(as_text=True)
    assert "Aquí verás tus cursos" in page and 'href="/cursos"' in page


def test_trainer_list_shows_progress_activity_best_scores_status_and_filters_by_cohort(
        make_user, make_course, client_for, enrol, app):
    trainer = make_user(role="trainer")
    ana, eva = make_user(full_name="Ana Mamani"), make_user(full_name="Eva Huarca")
    course = make_course(trainers=[trainer])
    enrol(ana, course)
    enrol(eva, course)
    with app.app_context():
        db.session.add(Cohort(name="Grupo Ananea", members=[db.session.get(User, ana.id)],
                              trainers=[db.session.get(User, trainer.id)]))
        db.session.commit()
        cohort_id = db.session.scalar(select(Cohort.id))
    client = client_for(ana)
    do_lessons(client, course, 2)
    quiz_id = course.quiz_ids[0]
    pass_quiz(client, course, quiz_id, course.wrong[quiz_id])
    pass_quiz(client, course, quiz_id)
    staff = client_for(trainer)
    page = staff.get(f"/manage/teaching/{course.id}").get_data(as_text=True)
    assert "Ana Mamani" in page and "Eva Huarca" in page and "2 participantes" in page
    ana_row = re.search(r"Ana Mamani.*?</li>", page, re.S).group(0)
    assert "50 % hecho" in ana_row and "Última actividad:" in ana_row and "Evaluación 1: 100 % ✓" in ana_row
    assert "Evaluación 2: —" in ana_row and "En curso" in ana_row
    eva_row = re.search(r"Eva Huarca.*?</li>", page, re.S).group(0)
    assert "0 % hecho" in eva_row and "Sin actividad todavía" in eva_row
    filtered = staff.get(f"/manage/teaching/{course.id}?cohort={cohort_id}").get_data(as_text=True)
    assert "Ana Mamani" in filtered and "Eva Huarca" not in filtered


def test_trainer_page_per_learner_lists_lessons_with_dates_and_attempts(make_user, make_course, client_for, enrol):
    trainer, learner = make_user(role="trainer"), make_user(full_name="Lucía Ñahui")
    course = make_course(trainers=[trainer])
    enrol(learner, course)
    client = client_for(learner)
    do_lessons(client, course, 1)
    quiz_id = course.quiz_ids[0]
    pass_quiz(client, course, quiz_id, course.wrong[quiz_id])
    pass_quiz(client, course, quiz_id)
    page = client_for(trainer).get(f"/manage/teaching/{course.id}/participantes/{learner.id}").get_data(as_text=True)
    assert "Lucía Ñahui" in page and "Lección 1.1" in page and "33 % hecho" in page
    assert re.search(r"Lección 1\.1.*?\d{1,2}/\d{1,2}/\d{2}", page, re.S), "the date it was done"
    assert "<td>Evaluación 1</td><td>1</td>" in page and "0 % no aprobó" in page and "100 % aprobó" in page
    assert client_for(trainer).get(f"/manage/teaching/{course.id}/participantes/999999").status_code == 404


def test_teaching_index_lists_only_her_courses(make_user, make_course, client_for):
    trainer = make_user(role="trainer")
    mine, other = make_course(trainers=[trainer], title="Mi curso"), make_course(title="Curso ajeno")
    page = client_for(trainer).get("/manage/teaching/").get_data(as_text=True)
    assert "Mi curso" in page and "Curso ajeno" not in page
    assert f"/manage/teaching/{mine.id}" in page and f"/manage/teaching/{other.id}" not in page


def test_course_page_links_its_trainer_to_the_progress_page(make_user, make_course, client_for):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    page = client_for(trainer).get(f"/cursos/{course.slug}").get_data(as_text=True)
    assert f'href="/manage/teaching/{course.id}"' in page
