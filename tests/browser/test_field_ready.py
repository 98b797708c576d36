"""Field-ready journeys (issue 13) on a 360 px phone: what a learner and a trainer walk through without getting
stuck or exposed — measured targets and header, quick exit, reloads, corrections, revocation, extra attempts, paper
scores and the in-person part made visible."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.extensions import db
from lms.learning.models import Enrolment, QuizAttempt
from lms.workshops.models import Attendance, Workshop
from tests.browser.conftest import describe, run_axe, sign_in

HEADER_MAX = 110  # px, the header and the menu together, at 360 px wide
TARGET_MIN = 48  # px, every interactive element on a learner page
MEASURE = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (el.closest('[hidden]') || el.classList.contains('skip') || el.closest('.lesson-body')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const target = (el.matches('input') && el.closest('label')) || el;  // a checkbox is tapped by its label
    const box = target.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    const text = (el.innerText || el.value || el.name || '').trim().slice(0, 40);
    if (box.height < 47.5) small.push(`${el.tagName} «${text}» ${Math.round(box.height)} px`);
  }
  const menu = document.querySelector('nav.nav') || document.querySelector('header.top');
  return {small, header: Math.round(menu.getBoundingClientRect().bottom)};
}"""


def passed_and_failed(client, course) -> None:
    for lesson in ("leccion-1-1", "leccion-1-2"):
        assert client.post(f"/aprender/{course.slug}/{lesson}/completar").status_code == 302
    quiz_id = course.quiz_ids[0]
    wrong = {f"q{q}": choices for q, choices in course.wrong[quiz_id].items()}
    client.post(f"/aprender/{course.slug}/evaluacion/{quiz_id}", data={"token": uuid.uuid4().hex, **wrong})


@pytest.fixture
def field(app, make_user, make_course, enrol, client_for):
    """A learner half-way through a course that asks for a workshop (one coming up), a graduate of another course
    (with her certificate), their trainer and an admin."""
    trainer, admin = make_user(role="trainer", full_name="Juana Huamán"), make_user(role="admin")
    learner = make_user(full_name="Sonia Alanoca Vargas")
    graduate = make_user(full_name="Marìa Quispe Apaza", created_by_id=trainer.id)  # a misspelled name
    course = make_course(trainers=[trainer], modules=1, lessons=2, title="Seguridad en el socavón", min_sessions=1)
    short = make_course(trainers=[trainer], modules=1, lessons=1, quiz=False, title="Curso corto")
    enrol(learner, course)
    enrol(graduate, short)
    passed_and_failed(client_for(learner), course)
    assert client_for(graduate).post(f"/aprender/{short.slug}/leccion-1-1/completar").status_code == 302
    with app.app_context():
        soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3)
        workshop = Workshop(course_id=course.id, place="Local comunal de La Rinconada", starts_at=soon,
                            created_by_id=trainer.id)
        db.session.add(workshop)
        db.session.commit()
        cert = db.session.scalar(select(Certificate))
        ids = SimpleNamespace(workshop=workshop.id, cert=cert.id, code=cert.code)
    return SimpleNamespace(trainer=trainer, admin=admin, learner=learner, graduate=graduate, course=course,
                           short=short, **vars(ids))


def learner_pages(field) -> list[str]:
    course, quiz_id = field.course, field.course.quiz_ids[0]
    return ["/inicio", "/mis-cursos", "/mis-talleres", "/cursos", f"/cursos/{course.slug}",
            f"/aprender/{course.slug}/leccion-1-1", f"/aprender/{course.slug}/evaluacion/{quiz_id}",
            f"/aprender/{course.slug}/evaluacion/{quiz_id}/intento/1", "/perfil", "/idioma?next=/inicio", "/grupo",
            "/verify", f"/verify/{field.code}"]


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_learner_page_has_a_compact_header_and_48_px_targets(phone, live_server, field, language):
    sign_in(phone, live_server, field.learner.username, field.learner.password)
    if language == "en":
        phone.get_by_role("button", name="English").click()
    problems, checked = {}, 0
    for person, paths in ((field.learner, learner_pages(field)),
                          (field.graduate, ["/mis-cursos", f"/aprender/{field.short.slug}/completado"])):
        if person is field.graduate:
            phone.context.clear_cookies()
            sign_in(phone, live_server, person.username, person.password)
            if language == "en":
                phone.get_by_role("button", name="English").click()
        for path in paths:
            assert phone.goto(live_server + path).ok, path
            expect(phone.locator("html")).to_have_attribute("lang", language)
            found = phone.evaluate(MEASURE)
            if found["header"] > HEADER_MAX or found["small"]:
                problems[path] = found
            checked += 1
            if path in ("/mis-cursos", f"/aprender/{field.course.slug}/leccion-1-1"):
                phone.shot(f"header-{language}-{path.strip('/').replace('/', '-')}")
    assert checked == len(learner_pages(field)) + 2
    assert not problems, "\n".join(f"{path}: header {p['header']} px; {p['small']}" for path, p in problems.items())


def test_quick_exit_leaves_no_page_of_the_course_one_back_away_after_three_lessons(
        phone, live_server, make_user, make_course, enrol):
    learner = make_user()
    course = make_course(modules=1, lessons=3, quiz=False, title="Vivir sin violencia", sensitive=True)
    enrol(learner, course)
    sign_in(phone, live_server, learner.username, learner.password)
    phone.goto(f"{live_server}/mis-cursos")
    phone.get_by_role("link", name="Empezar").click()
    expect(phone.get_by_role("heading", name="Lección 1.1")).to_be_visible()
    phone.get_by_role("button", name="Marcar como completada").click()  # a form: replaced, not added
    expect(phone.get_by_role("heading", name="Lección 1.2")).to_be_visible()
    phone.get_by_role("link", name="Siguiente").click()  # a link: replaced too
    expect(phone.get_by_role("heading", name="Lección 1.3")).to_be_visible()
    phone.get_by_role("link", name="Lección 1.1").click()  # the outline
    expect(phone.get_by_role("heading", name="Lección 1.1")).to_be_visible()
    phone.shot("01-third-step")
    phone.get_by_role("link", name="Salir rápido").click()
    phone.wait_for_url(f"{live_server}/clima")
    phone.go_back()
    expect(phone).to_have_url(f"{live_server}/mis-cursos")
    phone.go_back()
    assert f"/aprender/{course.slug}" not in phone.url and f"/cursos/{course.slug}" not in phone.url, phone.url
    phone.shot("02-back-twice")


def test_reloading_the_slip_after_creating_an_account_shows_the_same_pin_and_makes_no_second_account(
        app, phone, live_server, make_user):
    trainer = make_user(role="trainer")
    sign_in(phone, live_server, trainer.username, trainer.password)
    phone.goto(f"{live_server}/manage/people/new")
    phone.get_by_label("Nombre completo").fill("Rosa Mamani Ccama")
    phone.get_by_label("Región", exact=True).select_option("puno")
    phone.get_by_role("button", name="Crear cuenta").click()
    pin = phone.locator(".slip strong.mono").inner_text()
    expect(phone.get_by_role("button", name="Imprimir")).to_be_visible()
    phone.shot("01-slip")
    phone.reload()
    assert phone.locator(".slip strong.mono").inner_text() == pin
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.full_name == "Rosa Mamani Ccama")) == 1


def test_a_trainer_corrects_a_misspelled_name_and_reissues_the_certificate(app, phone, live_server, field):
    sign_in(phone, live_server, field.trainer.username, field.trainer.password)
    phone.goto(f"{live_server}/manage/people/{field.graduate.id}")
    phone.get_by_role("link", name="Corregir sus datos").click()
    phone.get_by_label("Nombre completo").fill("María Quispe Apaza")
    phone.shot("01-edit")
    phone.get_by_role("button", name="Guardar").click()
    expect(phone.get_by_role("heading", name="Sus certificados llevan otro nombre")).to_be_visible()
    phone.shot("02-prompt")
    phone.get_by_role("link", name=re.compile("Curso corto")).click()
    phone.get_by_role("button", name="Volver a emitir con el nombre corregido").click()
    expect(phone.get_by_text("el anterior quedó reemplazado")).to_be_visible()
    phone.shot("03-reissued")
    with app.app_context():
        certificates = db.session.scalars(select(Certificate).order_by(Certificate.generation)).all()
        assert [(c.learner_name, c.status) for c in certificates] == [("Marìa Quispe Apaza", "replaced"),
                                                                      ("María Quispe Apaza", "valid")]


def test_an_admin_revokes_after_confirming_and_reinstates_and_verification_follows(app, open_phone, live_server,
                                                                                   field):
    admin = open_phone("admin")
    sign_in(admin, live_server, field.admin.username, field.admin.password)
    admin.goto(f"{live_server}/manage/certificates/{field.cert}")
    admin.get_by_role("link", name="Revocar este certificado…").click()
    expect(admin.get_by_role("button", name="Sí, revocar el certificado")).to_be_visible()
    admin.get_by_role("button", name="Sí, revocar el certificado").click()
    expect(admin.get_by_text("Escribe el motivo.")).to_be_visible()  # nothing revoked without a reason
    admin.get_by_label("Motivo").fill("Se emitió por error.")
    admin.shot("01-confirm")
    admin.get_by_role("button", name="Sí, revocar el certificado").click()
    expect(admin.locator("p.state")).to_have_text("REVOCADO")
    someone = open_phone("someone")
    someone.goto(f"{live_server}/verify/{field.code}")
    expect(someone.get_by_role("heading", name="Certificado revocado")).to_be_visible()
    someone.shot("02-verify-revoked")
    admin.get_by_role("button", name="Restituir el certificado").click()
    expect(admin.locator("p.state")).to_have_text("VÁLIDO")
    someone.reload()
    expect(someone.get_by_role("heading", name="Certificado válido")).to_be_visible()
    someone.shot("03-verify-valid-again")
    with app.app_context():
        assert db.session.get(Certificate, field.cert).status == "valid"


def test_a_trainer_grants_an_extra_attempt_and_enters_a_paper_score_that_counts(app, phone, live_server, field,
                                                                                  client_for):
    from lms.courses.models import Quiz

    with app.app_context():
        db.session.get(Quiz, field.course.quiz_ids[0]).max_attempts = 1
        db.session.commit()
    learner = client_for(field.learner)
    assert "Ya usaste todos tus intentos" in learner.get(
        f"/aprender/{field.course.slug}/evaluacion/{field.course.quiz_ids[0]}").get_data(as_text=True)
    sign_in(phone, live_server, field.trainer.username, field.trainer.password)
    phone.goto(f"{live_server}/manage/teaching/{field.course.id}/participantes/{field.learner.id}")
    expect(phone.get_by_text("Le quedan 0 intentos.")).to_be_visible()
    phone.get_by_role("button", name="Darle un intento más").click()
    expect(phone.get_by_text("tiene un intento más")).to_be_visible()
    phone.get_by_label("Nota de la evaluación en papel (0 a 100)").fill("85")
    phone.get_by_role("button", name="Guardar la nota en papel").click()
    expect(phone.get_by_text("Nota en papel guardada: 85 %")).to_be_visible()
    expect(phone.get_by_text("en papel", exact=False).first).to_be_visible()
    phone.shot("01-paper-score")
    assert "Te queda 1 intento." in learner.get(
        f"/aprender/{field.course.slug}/evaluacion/{field.course.quiz_ids[0]}").get_data(as_text=True)
    with app.app_context():
        attempts = db.session.scalars(select(QuizAttempt).order_by(QuizAttempt.number)).all()
        assert [(a.source, a.score, a.passed) for a in attempts] == [("online", 0, False), ("paper", 85, True)]


def test_a_required_workshop_is_visible_to_her_until_she_attends_it(app, phone, live_server, field, client_for):
    learner = client_for(field.learner)
    quiz_id = field.course.quiz_ids[0]
    right = {f"q{q}": c for q, c in field.course.answers[quiz_id].items()}
    learner.post(f"/aprender/{field.course.slug}/evaluacion/{quiz_id}", data={"token": uuid.uuid4().hex, **right})
    sign_in(phone, live_server, field.learner.username, field.learner.password)
    phone.goto(f"{live_server}/mis-cursos")
    expect(phone.get_by_text("Te falta 1 taller presencial.")).to_be_visible()
    expect(phone.get_by_text("Local comunal de La Rinconada")).to_be_visible()
    expect(phone.get_by_text("100 % hecho")).to_have_count(0)
    expect(phone.get_by_text("75 % hecho")).to_be_visible()  # 2 lessons + 1 quiz done of 4 items
    phone.shot("01-te-falta-un-taller")
    phone.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Talleres").click()
    expect(phone.get_by_text("Local comunal de La Rinconada")).to_be_visible()
    phone.shot("02-mis-talleres")
    with app.app_context():
        db.session.add(Attendance(workshop_id=field.workshop, user_id=field.learner.id, present=True))
        from lms.learning.progress import recheck_enrolments
        recheck_enrolments(field.course.id, [field.learner.id])
        db.session.commit()
        assert db.session.scalar(select(Enrolment.status).where(Enrolment.user_id == field.learner.id)) == "completed"
    phone.goto(f"{live_server}/mis-talleres")
    expect(phone.get_by_text("Fuiste", exact=True)).to_be_visible()
    phone.goto(f"{live_server}/mis-cursos")
    expect(phone.get_by_text("Te falta")).to_have_count(0)


def test_new_pages_have_no_serious_accessibility_violation(phone, live_server, field):
    sign_in(phone, live_server, field.graduate.username, field.graduate.password)
    found = {}
    for path in ("/mis-talleres", f"/aprender/{field.short.slug}/completado", "/idioma?next=/inicio", "/grupo"):
        phone.goto(live_server + path)
        if violations := run_axe(phone):
            found[path] = describe(violations)
    phone.context.clear_cookies()
    sign_in(phone, live_server, field.admin.username, field.admin.password)
    for path in (f"/manage/certificates/{field.cert}/revoke", f"/manage/people/{field.graduate.id}/edit"):
        phone.goto(live_server + path)
        if violations := run_axe(phone):
            found[path] = describe(violations)
    assert not found, found
