"""axe-core on every main page, as each kind of person sees it: no serious or critical violation."""

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from lms.accounts.models import Cohort, User
from lms.certificates.models import Certificate
from lms.courses.models import Course
from lms.extensions import db
from lms.workshops.models import Workshop
from tests.browser.conftest import describe, run_axe, sign_in


def finish_course(client, course) -> None:
    """Complete every lesson and pass every quiz over HTTP, as the learner would."""
    for lesson in ("leccion-1-1", "leccion-1-2"):  # make_course(modules=1, lessons=2)
        assert client.post(f"/aprender/{course.slug}/{lesson}/completar").status_code == 302
    for quiz_id in course.quiz_ids:
        answers = {f"q{q}": choices for q, choices in course.answers[quiz_id].items()}
        response = client.post(f"/aprender/{course.slug}/evaluacion/{quiz_id}",
                               data={"token": uuid.uuid4().hex, **answers})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]


@pytest.fixture
def world(app, make_user, make_course, enrol, client_for):
    """A course with its trainer, an admin, a learner half-way (a failed attempt), one who finished it, a cohort
    and a workshop: enough that every page shows real content."""
    trainer, admin = make_user(role="trainer", full_name="Juana Huamán"), make_user(role="admin")
    learner, graduate = make_user(full_name="Sonia Alanoca"), make_user(full_name="María Quispe")
    course = make_course(trainers=[trainer], modules=1, lessons=2, title="Seguridad en el socavón")
    for person in (learner, graduate):
        enrol(person, course)
    finish_course(client_for(graduate), course)
    wrong = {f"q{q}": choices for q, choices in course.wrong[course.quiz_ids[0]].items()}
    client_for(learner).post(f"/aprender/{course.slug}/evaluacion/{course.quiz_ids[0]}",
                             data={"token": uuid.uuid4().hex, **wrong})
    with app.app_context():
        cohort = Cohort(name="Pallaqueras La Rinconada 2026", region="puno",
                        trainers=[db.session.get(User, trainer.id)],
                        members=[db.session.get(User, learner.id), db.session.get(User, graduate.id)])
        workshop = Workshop(course_id=course.id, cohort=cohort, place="Local comunal de La Rinconada",
                            starts_at=datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3),
                            created_by_id=trainer.id)
        db.session.add_all([cohort, workshop])
        db.session.commit()
        cert = db.session.scalar(select(Certificate))
        ids = SimpleNamespace(cohort=cohort.id, workshop=workshop.id, cert=cert.id, code=cert.code)
    return SimpleNamespace(trainer=trainer, admin=admin, learner=learner, course=course, **vars(ids))


def violations_on(page, base: str, paths: list[str], shots: bool = True, axe=lambda path: True) -> str:
    """Visit each page, screenshot it and list axe-core's serious and critical findings and any sideways
    scrolling of the whole page ("" when none)."""
    found = {}
    for number, path in enumerate(paths, 1):
        response = page.goto(base + path)
        assert response.ok, f"{path}: HTTP {response.status}"
        if shots:
            page.shot(f"{number:02d}-" + ("-".join(path.strip("/").split("/")[-2:]) or "home"))
        violations = run_axe(page) if axe(path) else []
        if violations:
            found[path] = describe(violations)
        if page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"):
            found[path] = found.get(path, "") + " wider than the 360 px screen (WCAG 1.4.10 reflow)"
    return "\n".join(f"{path}: {found[path]}" for path in found)


def test_public_pages_have_no_serious_accessibility_violation(phone, live_server, world):
    paths = ["/", "/login", "/register", "/cursos", f"/cursos/{world.course.slug}", "/verify",
             f"/verify/{world.code}", "/clima"]
    found = violations_on(phone, live_server, paths)
    assert not found, found
    phone.goto(f"{live_server}/verify/NOEXISTE00")  # «not found» is a 404 by design
    violations = run_axe(phone)
    assert not violations, describe(violations)


def test_learner_pages_have_no_serious_accessibility_violation(phone, live_server, world):
    course, quiz_id = world.course, world.course.quiz_ids[0]
    sign_in(phone, live_server, world.learner.username, world.learner.password)
    paths = ["/inicio", "/cursos", f"/cursos/{course.slug}", f"/aprender/{course.slug}/leccion-1-1",
             f"/aprender/{course.slug}/evaluacion/{quiz_id}", f"/aprender/{course.slug}/evaluacion/{quiz_id}/intento/1",
             "/mis-cursos", "/perfil", "/pin"]
    found = violations_on(phone, live_server, paths)
    assert not found, found


def test_trainer_pages_have_no_serious_accessibility_violation(phone, live_server, world):
    course_id = world.course.id
    sign_in(phone, live_server, world.trainer.username, world.trainer.password)
    paths = ["/inicio", "/manage/courses/", f"/manage/courses/{course_id}", f"/manage/courses/{course_id}/edit",
             "/manage/people/", f"/manage/people/{world.learner.id}", "/manage/people/new", "/manage/cohorts/",
             f"/manage/cohorts/{world.cohort}", "/manage/teaching/", f"/manage/teaching/{course_id}",
             f"/manage/teaching/{course_id}/participantes/{world.learner.id}", "/manage/workshops/",
             f"/manage/workshops/{world.workshop}", "/manage/reports/", f"/manage/reports/courses/{course_id}",
             "/manage/certificates/"]
    found = violations_on(phone, live_server, paths)
    assert not found, found


def test_admin_pages_have_no_serious_accessibility_violation(phone, live_server, world):
    sign_in(phone, live_server, world.admin.username, world.admin.password)
    paths = ["/inicio", "/manage/reports/network", "/manage/reports/audit", "/manage/certificates/",
             f"/manage/certificates/{world.cert}", "/admin/people"]
    found = violations_on(phone, live_server, paths)
    assert not found, found


def test_a_one_time_pin_slip_has_no_serious_accessibility_violation(phone, live_server, world):
    sign_in(phone, live_server, world.trainer.username, world.trainer.password)
    phone.goto(f"{live_server}/manage/people/new")
    phone.get_by_label("Nombre completo").fill("Rosa Mamani Ccama")
    phone.get_by_label("Región", exact=True).select_option("puno")
    phone.get_by_role("button", name="Crear cuenta").click()
    phone.shot("slip")
    violations = run_axe(phone)
    assert not violations, describe(violations)


def test_every_page_of_the_course_library_fits_a_phone_without_serious_accessibility_violation(
        app, phone, live_server, library, make_user, enrol):
    """Real lessons (long words, links, lists) and quizzes of courses/, not just the factories' short ones."""
    learner = make_user()
    paths, checked = ["/cursos"], {"/cursos"}
    with app.app_context():
        for course in db.session.scalars(select(Course).order_by(Course.slug)):
            enrol(learner, course)
            lessons = [f"/aprender/{course.slug}/{lesson.slug}" for lesson in course.lessons()]
            quizzes = [f"/aprender/{course.slug}/evaluacion/{quiz.id}" for quiz in course.quizzes()]
            paths += [f"/cursos/{course.slug}", *lessons, *quizzes]
            checked |= {f"/cursos/{course.slug}", lessons[0], quizzes[0]}
    sign_in(phone, live_server, learner.username, learner.password)
    # every page must fit 360 px; axe-core (slower) runs on the catalogue and each course's page, lesson and quiz
    found = violations_on(phone, live_server, paths, shots=False, axe=checked.__contains__)
    assert not found, found
