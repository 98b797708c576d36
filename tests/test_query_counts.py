"""The learner's and trainers' pages make the same number of SQL statements whatever the amount of data."""

import uuid

import pytest
from sqlalchemy import event

from lms.courses.models import Choice, Question, Quiz
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion, QuizAttempt


def statements(app, client, url: str) -> int:
    """SQL statements run while serving one GET of `url` (which must answer 200)."""
    with app.app_context():
        engine = db.engine
    seen = []

    def counter(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", counter)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(seen)


@pytest.fixture
def world(app, make_user, make_course, client_for):
    """Factory: a learner in `courses` courses of `modules` x `lessons`, half done, plus `others` classmates."""
    def make(courses: int, modules: int, lessons: int, others: int = 0, questions: int = 2):
        trainer, learner = make_user(role="trainer"), make_user()
        made = [make_course(trainers=[trainer], modules=modules, lessons=lessons) for _ in range(courses)]
        with app.app_context():
            for course in made:
                for number in range(1, questions - 1):
                    quiz = db.session.get(Quiz, course.quiz_ids[0])
                    quiz.questions.append(Question(kind="multiple", text=f"Extra {number}", position=10 + number,
                                                   choices=[Choice(text="Sí", correct=True), Choice(text="No")]))
                for user in [learner] + [make_user() for _ in range(others)]:
                    enrolment = Enrolment(user_id=user.id, course_id=course.id)
                    db.session.add(enrolment)
                    db.session.flush()
                    for lesson_id in course.lesson_ids[:len(course.lesson_ids) // 2]:
                        db.session.add(LessonCompletion(enrolment_id=enrolment.id, lesson_id=lesson_id))
                    for number, quiz_id in enumerate(course.quiz_ids, 1):
                        db.session.add(QuizAttempt(enrolment_id=enrolment.id, quiz_id=quiz_id, number=1,
                                                   token=uuid.uuid4().hex, score=50 * number, pass_mark=70,
                                                   passed=number > 1))
            db.session.commit()
        return client_for(learner), client_for(trainer), made[0]
    return make


PAGES = {
    "lesson": lambda c: f"/aprender/{c.slug}/leccion-1-1",
    "resume": lambda c: f"/aprender/{c.slug}",
    "quiz": lambda c: f"/aprender/{c.slug}/evaluacion/{c.quiz_ids[0]}",
    "result": lambda c: f"/aprender/{c.slug}/evaluacion/{c.quiz_ids[0]}/intento/1",
    "my_courses": lambda c: "/mis-cursos",
    "home": lambda c: "/inicio",
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_learner_pages_make_a_constant_number_of_queries(app, world, page):
    small_client, _t, small = world(courses=1, modules=2, lessons=2)
    big_client, _t2, big = world(courses=5, modules=4, lessons=6, questions=8)
    counts = []
    for client, course in ((small_client, small), (big_client, big)):
        url = PAGES[page](course)
        client.get(url)  # the first visit may record activity; count the next one
        counts.append(statements(app, client, url))
    print(f"{page}: {counts}")
    assert counts[0] == counts[1], f"{page}: {counts}"


@pytest.mark.parametrize("page", ["", "/participantes/{user}"])
def test_trainer_pages_make_a_constant_number_of_queries(app, world, page):
    _l, small_client, small = world(courses=1, modules=2, lessons=2, others=1)
    _l2, big_client, big = world(courses=1, modules=4, lessons=6, others=9)
    counts = []
    for client, course in ((small_client, small), (big_client, big)):
        with app.app_context():
            user_id = db.session.scalar(db.select(Enrolment.user_id).where(Enrolment.course_id == course.id).limit(1))
        counts.append(statements(app, client, f"/manage/teaching/{course.id}" + page.format(user=user_id)))
    print(f"trainer{page or ' list'}: {counts}")
    assert counts[0] == counts[1], counts
