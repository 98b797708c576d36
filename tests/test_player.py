"""The lesson player: outline with ticks, progress, «Marcar como completada», resume, who may see it."""

import re

import pytest
from sqlalchemy import select

from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus, LessonCompletion


@pytest.fixture
def learner_in(make_user, make_course, enrol, client_for):
    """A learner enrolled in a 2x2 course with quizzes; returns (client, course, enrolment id)."""
    def make(**course_fields):
        learner = make_user()
        course = make_course(**course_fields)
        return client_for(learner), course, enrol(learner, course)
    return make


def lesson_url(course, n):
    m, k = divmod(n, 2)
    return f"/aprender/{course.slug}/leccion-{m + 1}-{k + 1}"


def completions(app, enrolment_id):
    with app.app_context():
        return set(db.session.scalars(select(LessonCompletion.lesson_id).where(
            LessonCompletion.enrolment_id == enrolment_id)))


def test_lesson_page_shows_title_body_outline_progress_and_the_complete_button(learner_in):
    client, course, _e = learner_in()
    page = client.get(lesson_url(course, 0)).get_data(as_text=True)
    assert '<h1 lang="es">Lección 1.1</h1>' in page and "<strong>lección 1.1</strong>" in page
    assert "Lección 2.2" in page and "✎</span> Evaluación 1" in page, "the outline lists every step"
    assert 'aria-current="page"' in page
    assert re.search(r'<progress max="100" value="0"', page) and "0 % hecho" in page
    assert "Marcar como completada" in page
    assert 'rel="next"' in page and 'rel="prev"' not in page


def test_completing_a_lesson_is_idempotent_and_moves_to_the_next_lesson(learner_in, app):
    client, course, enrolment_id = learner_in()
    first = client.post(lesson_url(course, 0) + "/completar")
    again = client.post(lesson_url(course, 0) + "/completar")
    assert first.headers["Location"] == lesson_url(course, 1)
    assert again.headers["Location"] == lesson_url(course, 1)
    assert completions(app, enrolment_id) == {course.lesson_ids[0]}
    page = client.get(lesson_url(course, 0)).get_data(as_text=True)
    assert "Completaste esta lección." in page and "Marcar como completada" not in page
    assert "✓" in page and "16 % hecho" in page, "1 of 6 required steps (4 lessons + 2 quizzes)"


def test_finishing_a_modules_lessons_leads_to_its_quiz(learner_in):
    client, course, _e = learner_in()
    client.post(lesson_url(course, 0) + "/completar")
    response = client.post(lesson_url(course, 1) + "/completar")
    assert response.headers["Location"] == f"/aprender/{course.slug}/evaluacion/{course.quiz_ids[0]}"


def test_module_without_quiz_goes_on_to_the_next_module(learner_in):
    client, course, _e = learner_in(quiz=False)
    client.post(lesson_url(course, 0) + "/completar")
    assert client.post(lesson_url(course, 1) + "/completar").headers["Location"] == lesson_url(course, 2)


def test_resume_goes_to_the_first_unfinished_step(learner_in):
    client, course, _e = learner_in()
    assert client.get(f"/aprender/{course.slug}").headers["Location"] == lesson_url(course, 0)
    client.post(lesson_url(course, 1) + "/completar")
    assert client.get(f"/aprender/{course.slug}").headers["Location"] == lesson_url(course, 0)
    client.post(lesson_url(course, 0) + "/completar")
    assert client.get(f"/aprender/{course.slug}").headers["Location"] == \
        f"/aprender/{course.slug}/evaluacion/{course.quiz_ids[0]}"


def test_last_activity_is_recorded_when_a_lesson_is_completed(learner_in, app):
    client, course, enrolment_id = learner_in()
    client.post(lesson_url(course, 0) + "/completar")
    with app.app_context():
        assert db.session.get(Enrolment, enrolment_id).last_activity_at is not None


def test_lesson_pages_are_only_for_enrolled_learners(make_user, make_course, client_for, enrol, app):
    course = make_course()
    stranger = client_for(make_user())
    assert stranger.get(lesson_url(course, 0)).status_code == 404
    assert stranger.post(lesson_url(course, 0) + "/completar").status_code == 404
    assert stranger.get(f"/aprender/{course.slug}").status_code == 404
    withdrawn = make_user()
    enrol(withdrawn, course, status=EnrolmentStatus.WITHDRAWN)
    assert client_for(withdrawn).get(lesson_url(course, 0)).status_code == 404


def test_draft_courses_cannot_be_studied(make_user, make_course, client_for, enrol):
    learner = make_user()
    course = make_course(status="draft")
    enrol(learner, course)
    assert client_for(learner).get(lesson_url(course, 0)).status_code == 404


def test_unknown_lesson_is_404(learner_in):
    client, course, _e = learner_in()
    assert client.get(f"/aprender/{course.slug}/no-existe").status_code == 404
    assert client.post(f"/aprender/{course.slug}/no-existe/completar").status_code == 404


def test_sensitive_course_lessons_have_quick_exit_and_a_neutral_title(learner_in):
    client, course, _e = learner_in(sensitive=True, theme="derechos")
    page = client.get(lesson_url(course, 0)).get_data(as_text=True)
    assert "Salir rápido" in page
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert course.title not in title and "Lección 1.1" not in title
    plain_client, plain, _e = learner_in()
    assert "Salir rápido" not in plain_client.get(lesson_url(plain, 0)).get_data(as_text=True)


def test_archived_course_stays_open_to_its_learners(learner_in, app):
    client, course, _e = learner_in()
    with app.app_context():
        db.session.get(Course, course.id).archive()
        db.session.commit()
    assert client.get(lesson_url(course, 0)).status_code == 200


def test_lesson_edits_keep_completion_ticks(learner_in, app):
    client, course, _e = learner_in()
    client.post(lesson_url(course, 0) + "/completar")
    with app.app_context():
        lesson = db.session.get(Lesson, course.lesson_ids[0])
        lesson.title = "Lección renombrada"
        db.session.commit()
    page = client.get(lesson_url(course, 0)).get_data(as_text=True)
    assert "Lección renombrada" in page and "Completaste esta lección." in page
