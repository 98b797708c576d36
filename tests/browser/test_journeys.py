"""Whole journeys on a 360 px phone, clicking through the UI as the women and the staff of the Red do."""

import re
from io import BytesIO
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.browser.conftest import sign_in

LEARNER_NAME = "Rosa Mamani Ccama"
COHORT_NAME = "Pallaqueras La Rinconada 2026"
OWN_PIN = "408215"
REASON = "Se emitió por error: el curso se completó con otra cuenta."


def trainer_enrols_a_new_learner(page, base: str, trainer, course) -> tuple[str, str]:
    """Stage a: a trainer creates a learner (no email, no phone) and a cohort, and enrols the cohort."""
    sign_in(page, base, trainer.username, trainer.password)
    page.shot("01-home")
    page.get_by_role("link", name="Crear cuenta de participante").click()
    page.get_by_label("Nombre completo").fill(LEARNER_NAME)
    page.get_by_label("Región", exact=True).select_option("puno")
    page.shot("02-new-learner")
    page.get_by_role("button", name="Crear cuenta").click()
    slip = page.locator(".slip")
    username, pin = slip.locator("strong.big").nth(0).inner_text(), slip.locator("strong.mono").inner_text()
    assert re.fullmatch(r"\d{6,}", pin), "a one-time PIN of digits"
    page.shot("03-one-time-pin")

    menu = page.get_by_role("navigation", name="Menú principal")
    menu.get_by_role("link", name="Grupos").click()
    page.get_by_role("link", name="Crear grupo").click()
    page.get_by_label("Nombre del grupo").fill(COHORT_NAME)
    page.get_by_label("Región (opcional)").select_option("puno")
    page.get_by_role("button", name="Guardar").click()
    expect(page.get_by_role("heading", name=COHORT_NAME)).to_be_visible()

    page.get_by_label("Buscar entre tus participantes por nombre, usuario o celular").fill("rosa mamani")
    page.get_by_role("button", name="Buscar").click()
    page.get_by_label(LEARNER_NAME).check()
    page.shot("04-cohort-add")
    page.get_by_role("button", name="Añadir al grupo").click()
    expect(page.locator(".list").get_by_text(LEARNER_NAME)).to_be_visible()

    page.get_by_label("Inscribir a todo el grupo en un curso").select_option(label=course.title)
    page.get_by_role("button", name="Inscribir a la participante").click()
    expect(page.get_by_text("1 participante inscrita ahora")).to_be_visible()
    page.shot("05-cohort-enrolled")
    page.get_by_role("link", name=course.title).click()  # «Cursos del grupo» leads to the follow-up
    expect(page.get_by_role("link", name=LEARNER_NAME)).to_be_visible()
    return username, pin


def answer_quiz(page, choices: list[str]) -> None:
    for choice in choices:
        page.get_by_label(choice, exact=True).check()
    page.get_by_role("button", name="Enviar mis respuestas").click()


def learner_completes_the_course(page, base: str, username: str, pin: str) -> bytes:
    """Stage b: one-time PIN, her own PIN, every lesson, a failed then a passed quiz, the certificate PDF."""
    sign_in(page, base, username, pin)
    expect(page).to_have_url(f"{base}/pin")
    page.shot("01-choose-pin")
    page.goto(f"{base}/mis-cursos")
    expect(page, "no other page before she chooses her own PIN").to_have_url(f"{base}/pin")
    page.get_by_label("Nuevo PIN o contraseña", exact=True).fill(OWN_PIN)
    page.get_by_label("Repite el nuevo PIN o contraseña").fill(OWN_PIN)
    page.get_by_role("button", name="Guardar mi PIN").click()
    expect(page).to_have_url(f"{base}/inicio")

    page.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Mis cursos").click()
    page.shot("02-my-courses")
    page.get_by_role("link", name="Empezar").click()
    page.shot("03-first-lesson")
    page.get_by_role("button", name="Marcar como completada").click()
    page.get_by_role("navigation", name="Menú principal").get_by_role("link", name="Mis cursos").click()
    page.get_by_role("link", name="Continuar").click()
    expect(page.get_by_role("heading", name="Lección 1.2"), "Continuar resumes at the next lesson").to_be_visible()
    page.get_by_role("button", name="Marcar como completada").click()

    expect(page.get_by_role("heading", name="Evaluación 1")).to_be_visible()
    page.shot("04-quiz")
    answer_quiz(page, ["Otra", "Verdadero"])
    expect(page.get_by_text("No aprobaste esta vez")).to_be_visible()
    page.shot("05-quiz-failed")
    page.get_by_role("link", name="Intentar otra vez").click()
    answer_quiz(page, ["Esta", "Falso"])
    expect(page.get_by_text("Aprobaste", exact=True)).to_be_visible()
    page.shot("06-quiz-passed")
    page.get_by_role("link", name="Ver mi certificado").click()
    expect(page.get_by_text("¡Completaste el curso!")).to_be_visible()
    page.shot("07-completed")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"Descargar certificado \(PDF · \d+ KB\)")).click()
    return Path(download.value.path()).read_bytes()


def verification_url_in(pdf: bytes) -> str:
    """The URL in the certificate's QR code, decoded from the rendered page."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    decoded = [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.QRCode]
    document.close()
    assert len(decoded) == 1, decoded
    return decoded[0]


def admin_revokes_the_certificate(page, base: str, admin) -> None:
    """Stage c (admin): from her home to the certificate, revoked with a reason."""
    sign_in(page, base, admin.username, admin.password)
    page.get_by_role("link", name="Certificados").click()
    page.get_by_role("link", name=LEARNER_NAME).click()
    page.get_by_role("link", name="Revocar este certificado…").click()
    page.get_by_label("Motivo").fill(REASON)
    page.shot("01-revoke-confirm")
    page.get_by_role("button", name="Sí, revocar el certificado").click()
    expect(page.get_by_text("revocado.").first).to_be_visible()
    page.shot("02-revoked")


def test_trainer_enrols_a_new_learner_who_completes_the_course_and_gets_a_certificate_verifiable_until_revoked(
        app, live_server, open_phone, make_user, make_course):
    app.config["PUBLIC_BASE_URL"] = live_server
    trainer, admin = make_user(role="trainer", full_name="Juana Huamán"), make_user(role="admin")
    course = make_course(trainers=[trainer], modules=1, lessons=2, title="Seguridad en el socavón")

    username, pin = trainer_enrols_a_new_learner(open_phone("trainer"), live_server, trainer, course)
    pdf = learner_completes_the_course(open_phone("learner"), live_server, username, pin)

    text = " ".join(PdfReader(BytesIO(pdf)).pages[0].extract_text().split())
    assert LEARNER_NAME in text and course.title in text
    url = verification_url_in(pdf)
    assert re.fullmatch(rf"{re.escape(live_server)}/verify/[A-Z0-9]+#[0-9A-Z$*+.-]+", url), url  # + signed statement
    someone = open_phone("someone")
    someone.goto(url)
    expect(someone.get_by_role("heading", name="Certificado válido")).to_have_text(re.compile("VÁLIDO"))
    expect(someone.get_by_text(LEARNER_NAME)).to_have_count(2)  # the server's check and the QR's signed statement
    expect(someone.get_by_role("heading", name="VÁLIDO", exact=True)).to_be_visible()  # the QR's own signature
    someone.shot("01-valid")

    admin_revokes_the_certificate(open_phone("admin"), live_server, admin)
    someone.goto("about:blank")  # the same URL with a #fragment would not load the page again
    someone.goto(url)
    expect(someone.get_by_role("heading", name="Certificado revocado")).to_have_text(re.compile("REVOCADO"))
    expect(someone.get_by_text(REASON)).to_be_visible()
    expect(someone.get_by_text(LEARNER_NAME), "a revoked certificate names nobody").to_have_count(0)
    someone.shot("02-revoked")


def test_language_switch_turns_a_learner_page_english_and_is_remembered(phone, live_server, make_user, make_course,
                                                                       enrol):
    learner = make_user(full_name="Sonia Alanoca")
    enrol(learner, make_course(title="Derechos de la mujer minera"))
    sign_in(phone, live_server, learner.username, learner.password)
    phone.goto(f"{live_server}/mis-cursos")
    phone.get_by_role("button", name="English").click()
    expect(phone).to_have_url(f"{live_server}/mis-cursos")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
    phone.shot("01-english")
    phone.get_by_role("navigation", name="Main menu").get_by_role("link", name="Profile").click()
    expect(phone).to_have_url(f"{live_server}/perfil")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
    phone.shot("02-still-english")
    phone.get_by_role("button", name="Español").click()
    expect(phone.locator("html")).to_have_attribute("lang", "es")


def test_quick_exit_lands_on_the_neutral_page_and_back_does_not_return_to_the_lesson(
        phone, live_server, make_user, make_course, enrol):
    learner = make_user()
    course = make_course(modules=1, lessons=1, quiz=False, title="Vivir sin violencia", sensitive=True)
    enrol(learner, course)
    sign_in(phone, live_server, learner.username, learner.password)
    phone.goto(f"{live_server}/mis-cursos")
    lesson_url = f"{live_server}/aprender/{course.slug}/leccion-1-1"
    phone.goto(lesson_url)
    expect(phone, "a sensitive lesson does not name itself").to_have_title("Lección · RNM-MAPE")
    phone.shot("01-sensitive-lesson")
    phone.get_by_role("link", name="Salir rápido").click()
    phone.wait_for_url(f"{live_server}/clima")
    expect(phone).to_have_title("El tiempo hoy")
    assert "RNM" not in phone.content()
    phone.shot("02-neutral")
    phone.go_back()
    expect(phone).to_have_url(f"{live_server}/mis-cursos")
    assert phone.url != lesson_url, "the lesson is not the previous entry in the history"


@pytest.mark.parametrize("phone", [False], indirect=True)
def test_a_learner_completes_a_lesson_and_submits_a_quiz_with_javascript_off(
        app, phone, live_server, make_user, make_course, enrol):
    from lms.extensions import db
    from lms.learning.models import LessonCompletion, QuizAttempt

    learner = make_user()
    course = make_course(modules=1, lessons=1)
    enrol(learner, course)
    sign_in(phone, live_server, learner.username, learner.password)
    phone.goto(f"{live_server}/aprender/{course.slug}")
    phone.shot("01-lesson")
    phone.get_by_role("button", name="Marcar como completada").click()
    expect(phone).to_have_url(f"{live_server}/aprender/{course.slug}/evaluacion/{course.quiz_ids[0]}")
    answer_quiz(phone, ["Esta", "Falso"])
    expect(phone.get_by_text("Aprobaste", exact=True)).to_be_visible()
    phone.shot("02-result")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LessonCompletion)) == 1
        assert db.session.scalar(select(QuizAttempt.passed)) is True
