"""What learning holds about a person, for her data export (erasure keeps it: progress is not identifying)."""

from sqlalchemy import func, select

from lms.accounts.models import Cohort, User
from lms.accounts.privacy import plain, row
from lms.courses.models import Course, Lesson, Quiz
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion, QuizAttempt


def rows(user: User) -> dict:
    return {"enrolments": _enrolments(user), "lesson_completions": _completions(user),
            "quiz_attempts": _attempts(user)}


def _enrolments(user: User) -> list[dict]:
    lessons = (select(Lesson.course_id, func.count(Lesson.id).label("n")).group_by(Lesson.course_id).subquery())
    done = (select(LessonCompletion.enrolment_id, func.count(LessonCompletion.id).label("n"))
            .group_by(LessonCompletion.enrolment_id).subquery())
    found = db.session.execute(
        select(Enrolment, Course.slug, Course.title, Cohort.name, lessons.c.n, done.c.n)
        .join(Course, Course.id == Enrolment.course_id).outerjoin(Cohort, Cohort.id == Enrolment.cohort_id)
        .outerjoin(lessons, lessons.c.course_id == Course.id).outerjoin(done, done.c.enrolment_id == Enrolment.id)
        .where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at))
    return [row(e, ("id", "status", "method", "enrolled_at", "completed_at", "withdrawn_at", "last_activity_at"))
            | {"course": {"slug": slug, "title": title}, "cohort": cohort,
               "lessons_total": total or 0, "lessons_completed": completed or 0}
            for e, slug, title, cohort, total, completed in found]


def _completions(user: User) -> list[dict]:
    found = db.session.execute(
        select(LessonCompletion.completed_at, Lesson.title, Course.title)
        .join(Enrolment, Enrolment.id == LessonCompletion.enrolment_id)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id).join(Course, Course.id == Lesson.course_id)
        .where(Enrolment.user_id == user.id).order_by(LessonCompletion.completed_at))
    return [{"course": course, "lesson": lesson, "completed_at": plain(at)} for at, lesson, course in found]


def _attempts(user: User) -> list[dict]:
    found = db.session.execute(
        select(QuizAttempt, Quiz.title, Course.title).join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id).join(Course, Course.id == Quiz.course_id)
        .where(Enrolment.user_id == user.id).order_by(QuizAttempt.submitted_at))
    return [row(a, ("number", "answers", "score", "pass_mark", "passed", "submitted_at"))
            | {"quiz": quiz, "course": course} for a, quiz, course in found]
