"""Quizzes: the form, server-side grading and attempt limit, stored snapshots, double submits, the result."""

import re
import uuid

import pytest
from sqlalchemy import select

from lms.courses.models import Choice, Question, Quiz
from lms.extensions import db
from lms.learning.models import Enrolment, QuizAttempt
from lms.learning.signals import enrolment_completed


@pytest.fixture
def taking(app, make_user, make_course, enrol, client_for):
    """A learner enrolled in a course; returns (client, course, enrolment id, quiz url of the first quiz)."""
    def make(**course_fields):
        learner = make_user()
        course = make_course(**course_fields)
        enrolment_id = enrol(learner, course)
        return client_for(learner), course, enrolment_id, f"/aprender/{course.slug}/evaluacion/{course.quiz_ids[0]}"
    return make


def form_of(answers: dict, token: str | None = None) -> dict:
    data = {f"q{question}": choices for question, choices in answers.items()}
    data["token"] = token or uuid.uuid4().hex
    return data


def attempts(app, enrolment_id):
    with app.app_context():
        return db.session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id == enrolment_id)
                                  .order_by(QuizAttempt.number)).all()


def test_quiz_page_has_fieldsets_radios_and_a_one_time_token(taking, app):
    client, course, _e, url = taking()
    with app.app_context():
        quiz = db.session.get(Quiz, course.quiz_ids[0])
        quiz.questions.append(Question(kind="multiple", text="¿Cuáles protegen?", position=3, choices=[
            Choice(text="Guantes", correct=True), Choice(text="Mascarilla", correct=True), Choice(text="Nada")]))
        db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert page.count("<fieldset") == 3 and page.count("<legend>") == 3
    assert page.count('type="radio"') == 4 and page.count('type="checkbox"') == 3
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page).group(1)
    assert token not in client.get(url).get_data(as_text=True), "each form gets a new token"


def test_submitting_grades_on_the_server_and_stores_a_snapshot(taking, app):
    client, course, enrolment_id, url = taking()
    quiz_id = course.quiz_ids[0]
    response = client.post(url, data=form_of(course.wrong[quiz_id]))
    assert response.headers["Location"] == f"{url}/intento/1"
    (attempt,) = attempts(app, enrolment_id)
    assert attempt.score == 0 and not attempt.passed and attempt.pass_mark == 70 and attempt.number == 1
    assert attempt.answers == {str(q): c for q, c in course.wrong[quiz_id].items()}
    with app.app_context():
        db.session.get(Quiz, quiz_id).pass_mark = 90
        db.session.commit()
    assert attempts(app, enrolment_id)[0].pass_mark == 70, "the pass mark in force is kept"


def test_result_page_shows_score_answers_correct_ones_and_explanations(taking):
    client, course, _e, url = taking()
    client.post(url, data=form_of(course.wrong[course.quiz_ids[0]]))
    page = client.get(f"{url}/intento/1").get_data(as_text=True)
    assert "0 %" in page and "No aprobaste esta vez" in page and "Necesitas 70 % para aprobar." in page
    assert "0 de 2 respuestas correctas" in page
    assert "Tu respuesta: Otra" in page and "Respuesta correcta: <strong>Esta</strong>" in page
    assert "Tu respuesta: Verdadero" in page and "Respuesta correcta: <strong>Falso</strong>" in page
    assert "Porque sí." in page and "Es tóxico." in page
    assert "Intentar otra vez" in page and "Seguir con" not in page, "after a fail, one next step: try again"


def test_passing_result_says_so_and_offers_to_continue(taking):
    client, course, _e, url = taking()
    client.post(url, data=form_of(course.answers[course.quiz_ids[0]]))
    page = client.get(f"{url}/intento/1").get_data(as_text=True)
    assert "100 %" in page and "Aprobaste" in page and "Seguir con: Lección 2.1" in page
    assert "Respuesta correcta:" not in page, "the right answer is not repeated when hers was right"
    assert page.count("Correcta") == 2 and "Intentar otra vez" not in page


def test_unanswered_questions_return_the_form_with_a_message_and_nothing_stored(taking, app):
    client, course, enrolment_id, url = taking()
    question_id, choices = next(iter(course.answers[course.quiz_ids[0]].items()))
    response = client.post(url, data=form_of({question_id: choices}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Responde todas las preguntas antes de enviar." in page
    assert f'value="{choices[0]}" checked' in page, "her answers are kept"
    assert attempts(app, enrolment_id) == []


def test_a_double_submit_with_the_same_token_returns_the_first_attempt(taking, app):
    client, course, enrolment_id, url = taking()
    data = form_of(course.wrong[course.quiz_ids[0]])
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.headers["Location"] == second.headers["Location"] == f"{url}/intento/1"
    assert len(attempts(app, enrolment_id)) == 1


def test_the_attempt_limit_is_enforced_on_the_server(taking, app):
    client, course, enrolment_id, url = taking()
    with app.app_context():
        db.session.get(Quiz, course.quiz_ids[0]).max_attempts = 2
        db.session.commit()
    wrong = course.wrong[course.quiz_ids[0]]
    assert "Te quedan 2 intentos." in client.get(url).get_data(as_text=True)
    client.post(url, data=form_of(wrong))
    assert "Te queda 1 intento." in client.get(url).get_data(as_text=True)
    client.post(url, data=form_of(wrong))
    refused = client.post(url, data=form_of(course.answers[course.quiz_ids[0]]))
    assert refused.status_code == 403 and "Ya usaste todos tus intentos" in refused.get_data(as_text=True)
    assert [a.number for a in attempts(app, enrolment_id)] == [1, 2]
    page = client.get(url).get_data(as_text=True)
    assert "Ya usaste todos tus intentos" in page and 'name="token"' not in page
    assert "Intentar otra vez" not in client.get(f"{url}/intento/2").get_data(as_text=True)


def test_a_token_of_another_learners_attempt_is_refused(taking):
    client, course, _e, url = taking()
    data = form_of(course.wrong[course.quiz_ids[0]])
    client.post(url, data=data)
    other_client, other, _e2, other_url = taking()
    stolen = {**form_of(other.wrong[other.quiz_ids[0]]), "token": data["token"]}
    assert other_client.post(other_url, data=stolen).status_code == 400


def test_a_malformed_token_is_refused(taking):
    client, course, _e, url = taking()
    assert client.post(url, data={**form_of(course.answers[course.quiz_ids[0]]), "token": "x"}).status_code == 400


def test_results_are_private_to_their_learner(taking):
    client, course, _e, url = taking()
    client.post(url, data=form_of(course.answers[course.quiz_ids[0]]))
    assert client.get(f"{url}/intento/2").status_code == 404
    other_client, _course, _e2, _url = taking()
    assert other_client.get(f"{url}/intento/1").status_code == 404


def test_quiz_of_another_course_is_404(taking):
    client, course, _e, _url = taking()
    _other_client, other, _e2, _u = taking()
    assert client.get(f"/aprender/{course.slug}/evaluacion/{other.quiz_ids[0]}").status_code == 404


def test_passing_the_last_quiz_completes_the_course_once_and_sends_the_signal(taking, app):
    client, course, enrolment_id, _url = taking(modules=1, lessons=1)
    sent = []

    def receiver(enrolment, **_extra):
        sent.append(enrolment.id)

    enrolment_completed.connect(receiver)
    try:
        client.post(f"/aprender/{course.slug}/leccion-1-1/completar")
        url = f"/aprender/{course.slug}/evaluacion/{course.quiz_ids[0]}"
        client.post(url, data=form_of(course.answers[course.quiz_ids[0]]))
        client.post(url, data=form_of(course.answers[course.quiz_ids[0]]))
    finally:
        enrolment_completed.disconnect(receiver)
    assert sent == [enrolment_id]
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        assert enrolment.status == "completed" and enrolment.completed_at is not None
    result = client.get(f"{url}/intento/1").get_data(as_text=True)
    assert f'href="/aprender/{course.slug}/completado"' in result and "Ver mi certificado" in result
    assert "¡Completaste el curso!" in client.get(f"/aprender/{course.slug}/completado").get_data(as_text=True)
