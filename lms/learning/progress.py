"""Progress and completion: what a learner has done in a course, and the rule that completes it.

Writes are idempotent under parallel requests: the enrolment row is locked first (FOR UPDATE on
PostgreSQL; SQLite has one writer at a time anyway), completions and attempts are inserted in a SAVEPOINT
and a clash on their unique constraint means "already done", and the enrolment is completed by a
conditional UPDATE that only one request can win.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, selectinload

from lms.accounts.models import utcnow
from lms.courses.models import Course, CourseStatus, Lesson, Module, Question, Quiz
from lms.extensions import db
from lms.learning import grading
from lms.learning.models import AttemptSource, Enrolment, EnrolmentStatus, ExtraAttempts, LessonCompletion, QuizAttempt
from lms.learning.signals import enrolment_completed
from lms.workshops.models import Attendance, Workshop

TOUCH_EVERY = timedelta(minutes=5)


class NoAttemptsLeft(Exception):
    """The quiz's attempt limit is reached."""


class ForeignToken(Exception):
    """The form token belongs to somebody else's attempt."""


@dataclass
class Step:
    kind: str  # "lesson" or "quiz"
    id: int
    title: str
    module_id: int
    slug: str | None = None
    minutes: int = 0
    done: bool = False


@dataclass
class ModuleOutline:
    id: int
    title: str
    lessons: list[Step] = field(default_factory=list)
    quiz: Step | None = None


@dataclass(frozen=True)
class Progress:
    """Required items done of the total — lessons, quizzes and in-person sessions, as the course asks."""

    done: int
    total: int
    completed: bool = False
    sessions_needed: int = 0
    sessions_attended: int = 0

    @property
    def percent(self) -> int:
        """Share of required items done, rounded down so 100 means everything (never while a session is missing)."""
        if self.completed:
            return 100
        if self.total == 0:
            return 0
        return min(100 * min(self.done, self.total) // self.total, 99)

    @property
    def sessions_missing(self) -> int:
        return 0 if self.completed else max(self.sessions_needed - self.sessions_attended, 0)


def with_sessions(done: int, total: int, completed: bool, needed: int, attended: int) -> Progress:
    """Progress counting the in-person sessions the course requires as items too."""
    return Progress(done + min(attended, needed), total + needed, completed, needed, attended)


@dataclass
class Outline:
    """A course's steps in order (each module's lessons, then its quiz), with what this learner has done."""

    modules: list[ModuleOutline]

    @property
    def steps(self) -> list[Step]:
        return [s for m in self.modules for s in m.lessons + ([m.quiz] if m.quiz else [])]

    def lesson(self, slug: str) -> Step | None:
        return next((s for s in self.steps if s.kind == "lesson" and s.slug == slug), None)

    def first_unfinished(self) -> Step | None:
        return next((s for s in self.steps if not s.done), None)

    def neighbours(self, step: Step) -> tuple[Step | None, Step | None]:
        steps = self.steps
        i = steps.index(step)
        return (steps[i - 1] if i else None), (steps[i + 1] if i + 1 < len(steps) else None)

    def after_lesson(self, step: Step) -> Step | None:
        """Where to go once `step` is done: the module's quiz when its lessons are all done, else onwards."""
        module = next(m for m in self.modules if m.id == step.module_id)
        if module.quiz and not module.quiz.done and all(s.done for s in module.lessons):
            return module.quiz
        return self.neighbours(step)[1]

    def progress(self, course, completed: bool = False, attended: int = 0) -> Progress:
        required = [s for s in self.steps if (s.kind == "lesson" and course.require_lessons)
                    or (s.kind == "quiz" and course.require_quizzes)]
        return with_sessions(sum(s.done for s in required), len(required), completed, course.min_sessions, attended)


def course_outline(course, enrolment: Enrolment | None = None) -> Outline:
    """The outline of `course` with ticks for `enrolment`, in five queries whatever the course's size."""
    modules = {m.id: ModuleOutline(m.id, m.title) for m in db.session.execute(
        select(Module.id, Module.title).where(Module.course_id == course.id).order_by(Module.position, Module.id))}
    done_lessons, passed = set(), set()
    if enrolment is not None:
        done_lessons = set(db.session.scalars(
            select(LessonCompletion.lesson_id).where(LessonCompletion.enrolment_id == enrolment.id)))
        passed = set(db.session.scalars(select(QuizAttempt.quiz_id).distinct().where(
            QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.passed.is_(True))))
    for row in db.session.execute(select(Lesson.id, Lesson.slug, Lesson.title, Lesson.module_id, Lesson.minutes)
                                  .where(Lesson.course_id == course.id).order_by(Lesson.position, Lesson.id)):
        modules[row.module_id].lessons.append(Step("lesson", row.id, row.title, row.module_id, row.slug,
                                                   row.minutes, row.id in done_lessons))
    for row in db.session.execute(select(Quiz.id, Quiz.title, Quiz.module_id).where(Quiz.course_id == course.id)):
        modules[row.module_id].quiz = Step("quiz", row.id, row.title, row.module_id, done=row.id in passed)
    return Outline(list(modules.values()))


def progress_by_enrolment(enrolments: list[Enrolment]) -> dict[int, Progress]:
    """Progress of many enrolments (their courses loaded) in four GROUP BY queries."""
    if not enrolments:
        return {}
    ids, course_ids = [e.id for e in enrolments], {e.course_id for e in enrolments}
    lessons = dict(db.session.execute(select(Lesson.course_id, func.count()).where(
        Lesson.course_id.in_(course_ids)).group_by(Lesson.course_id)).all())
    quizzes = dict(db.session.execute(select(Quiz.course_id, func.count()).where(
        Quiz.course_id.in_(course_ids)).group_by(Quiz.course_id)).all())
    done = dict(db.session.execute(select(LessonCompletion.enrolment_id, func.count()).where(
        LessonCompletion.enrolment_id.in_(ids)).group_by(LessonCompletion.enrolment_id)).all())
    passed = dict(db.session.execute(select(QuizAttempt.enrolment_id, func.count(QuizAttempt.quiz_id.distinct()))
                                     .where(QuizAttempt.enrolment_id.in_(ids), QuizAttempt.passed.is_(True))
                                     .group_by(QuizAttempt.enrolment_id)).all())
    attended = attendance_counts([e for e in enrolments if e.course.min_sessions])
    result = {}
    for e in enrolments:
        on_l, on_q = e.course.require_lessons, e.course.require_quizzes
        result[e.id] = with_sessions(done.get(e.id, 0) * on_l + passed.get(e.id, 0) * on_q,
                                     lessons.get(e.course_id, 0) * on_l + quizzes.get(e.course_id, 0) * on_q,
                                     e.is_completed, e.course.min_sessions, attended.get((e.user_id, e.course_id), 0))
    return result


def attendance_counts(enrolments: list[Enrolment]) -> dict[tuple[int, int], int]:
    """{(user, course): sessions attended} for these enrolments, in one query (none when the list is empty)."""
    if not enrolments:
        return {}
    query = (select(Attendance.user_id, Workshop.course_id, func.count()).join(Workshop)
             .where(Attendance.present.is_(True), Attendance.user_id.in_({e.user_id for e in enrolments}),
                    Workshop.course_id.in_({e.course_id for e in enrolments}))
             .group_by(Attendance.user_id, Workshop.course_id))
    return {(user_id, course_id): n for user_id, course_id, n in db.session.execute(query)}


def sessions_attended(enrolment: Enrolment) -> int:
    """How many sessions of her course she attended (a query only when the course asks for sessions)."""
    if not enrolment.course.min_sessions:
        return 0
    return attendance_counts([enrolment]).get((enrolment.user_id, enrolment.course_id), 0)


@dataclass
class MyCourses:
    """A learner's courses (not withdrawn, not drafts), most recent first, with progress (and certificates,
    which the certificates package adds)."""

    in_progress: list[Enrolment]
    completed: list[Enrolment]
    progress: dict[int, Progress]
    certificates: dict = field(default_factory=dict)
    next_workshops: dict = field(default_factory=dict)  # course id -> her next session, where one is missing


def my_enrolments(user) -> MyCourses:
    """The person's courses with their progress, in a fixed number of queries."""
    enrolments = db.session.scalars(
        select(Enrolment).join(Enrolment.course).options(contains_eager(Enrolment.course))
        .where(Enrolment.user_id == user.id, Enrolment.status != EnrolmentStatus.WITHDRAWN,
               Course.status != CourseStatus.DRAFT)).all()
    enrolments = sorted(enrolments, key=lambda e: e.last_activity_at or e.enrolled_at, reverse=True)
    return MyCourses([e for e in enrolments if not e.is_completed], [e for e in enrolments if e.is_completed],
                     progress_by_enrolment(enrolments))


def lock(enrolment: Enrolment) -> None:
    """Serialise writers on one enrolment (a row lock on PostgreSQL; SQLite has a single writer)."""
    db.session.execute(select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update())


def touch(enrolment: Enrolment, always: bool = True) -> None:
    """Record activity now (on page views only when the last record is a few minutes old)."""
    now, last = utcnow(), enrolment.last_activity_at
    if always or last is None or now - (last if last.tzinfo else last.replace(tzinfo=UTC)) > TOUCH_EVERY:
        enrolment.last_activity_at = now


def completion_rule_met(enrolment: Enrolment) -> bool:
    """All lessons done (if required), all quizzes passed (if required), enough workshops attended."""
    course, count = enrolment.course, db.session.scalar
    if course.require_lessons and count(select(func.count()).where(Lesson.course_id == course.id)) > count(
            select(func.count()).where(LessonCompletion.enrolment_id == enrolment.id)):
        return False
    if course.require_quizzes and count(select(func.count()).where(Quiz.course_id == course.id)) > count(
            select(func.count(QuizAttempt.quiz_id.distinct())).where(QuizAttempt.enrolment_id == enrolment.id,
                                                                     QuizAttempt.passed.is_(True))):
        return False
    if course.min_sessions:
        attended = count(select(func.count()).select_from(Attendance).join(Workshop).where(
            Attendance.user_id == enrolment.user_id, Attendance.present.is_(True),
            Workshop.course_id == enrolment.course_id))
        return attended >= course.min_sessions
    return True


def check_completion(enrolment: Enrolment) -> bool:
    """Complete the enrolment if its course's rule is met; True only for the one call that completed it."""
    if enrolment.status != EnrolmentStatus.ACTIVE:
        return False
    lock(enrolment)
    if not completion_rule_met(enrolment):
        return False
    won = db.session.execute(
        update(Enrolment).where(Enrolment.id == enrolment.id, Enrolment.status == EnrolmentStatus.ACTIVE)
        .values(status=EnrolmentStatus.COMPLETED, completed_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(enrolment)
    if won:
        on_enrolment_completed(enrolment)
    return won


def on_enrolment_completed(enrolment: Enrolment, by=None) -> None:
    """The single entry point for what follows a completion (certificates subscribe to the signal)."""
    enrolment_completed.send(enrolment, by=by)


def complete_in_person(enrolment: Enrolment, by=None) -> bool:
    """Complete an enrolment now, whatever its course's rule (a trainer saw it done in person), unless it already
    is; True if this call completed it, and then the completion is announced like any other."""
    lock(enrolment)
    won = db.session.execute(
        update(Enrolment).where(Enrolment.id == enrolment.id, Enrolment.status != EnrolmentStatus.COMPLETED)
        .values(status=EnrolmentStatus.COMPLETED, completed_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.refresh(enrolment)
    if won:
        on_enrolment_completed(enrolment, by=by)
    return won


def recheck_enrolments(course_id: int, user_ids) -> int:
    """Re-check completion for these learners in this course (after attendance); how many completed now."""
    enrolments = db.session.scalars(select(Enrolment).where(
        Enrolment.course_id == course_id, Enrolment.user_id.in_(list(user_ids)),
        Enrolment.status == EnrolmentStatus.ACTIVE)).all()
    return sum(check_completion(enrolment) for enrolment in enrolments)


def complete_lesson(enrolment: Enrolment, lesson_id: int) -> bool:
    """Mark a lesson done (insert-or-ignore), then check completion; True if it was new."""
    lock(enrolment)
    try:
        with db.session.begin_nested():
            db.session.add(LessonCompletion(enrolment_id=enrolment.id, lesson_id=lesson_id))
        created = True
    except IntegrityError:
        created = False
    touch(enrolment)
    check_completion(enrolment)
    return created


def quiz_questions(quiz: Quiz) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.quiz_id == quiz.id)
                                   .options(selectinload(Question.choices)).order_by(Question.position, Question.id)))


def answer_key(questions: list[Question]) -> list[grading.QuestionKey]:
    """What grading needs of the quiz's current questions."""
    return [grading.key(q.id, [(c.id, c.correct) for c in q.choices]) for q in questions]


def attempts_used(enrolment: Enrolment, quiz: Quiz) -> int:
    """Online attempts made (a score entered from paper does not use one up)."""
    return db.session.scalar(select(func.count()).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.quiz_id == quiz.id,
        QuizAttempt.source == AttemptSource.ONLINE))


def attempts_allowed(enrolment: Enrolment, quiz: Quiz) -> int | None:
    """The quiz's limit plus what a trainer granted her; None when the quiz has no limit."""
    if not quiz.max_attempts:
        return None
    extra = db.session.scalar(select(ExtraAttempts.extra).where(ExtraAttempts.enrolment_id == enrolment.id,
                                                                ExtraAttempts.quiz_id == quiz.id)) or 0
    return quiz.max_attempts + extra


def attempts_left(enrolment: Enrolment, quiz: Quiz) -> int | None:
    allowed = attempts_allowed(enrolment, quiz)
    return None if allowed is None else max(allowed - attempts_used(enrolment, quiz), 0)


def _next_number(enrolment: Enrolment, quiz: Quiz) -> int:
    return db.session.scalar(select(func.coalesce(func.max(QuizAttempt.number), 0)).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.quiz_id == quiz.id)) + 1


def grant_attempt(enrolment: Enrolment, quiz: Quiz, by) -> int:
    """One more attempt for her at this quiz (a trainer's decision); how many extra she now has."""
    lock(enrolment)
    row = db.session.get(ExtraAttempts, (enrolment.id, quiz.id))
    if row is None:
        row = ExtraAttempts(enrolment_id=enrolment.id, quiz_id=quiz.id, extra=0)
        db.session.add(row)
    row.extra, row.granted_by_id = row.extra + 1, by.id
    db.session.flush()
    return row.extra


def record_paper_score(enrolment: Enrolment, quiz: Quiz, score: int, by) -> QuizAttempt:
    """A quiz taken on paper at a workshop: its score, marked «en papel», counts like an online attempt."""
    lock(enrolment)
    for _try in range(3):
        attempt = QuizAttempt(enrolment_id=enrolment.id, quiz_id=quiz.id, number=_next_number(enrolment, quiz),
                              token=uuid.uuid4().hex, answers={}, score=score, pass_mark=quiz.pass_mark,
                              passed=score >= quiz.pass_mark, source=AttemptSource.PAPER, recorded_by_id=by.id)
        try:
            with db.session.begin_nested():
                db.session.add(attempt)
        except IntegrityError:
            continue  # an online attempt took the number meanwhile
        touch(enrolment)
        if attempt.passed:
            check_completion(enrolment)
        return attempt
    raise RuntimeError("could not number the paper attempt")


def _attempt_with_token(enrolment: Enrolment, token: str) -> QuizAttempt | None:
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.token == token))
    if attempt is not None and attempt.enrolment_id != enrolment.id:
        raise ForeignToken(token)
    return attempt


def submit_attempt(enrolment: Enrolment, quiz: Quiz, questions: list[Question], token: str,
                   answers: dict[int, list[int]]) -> QuizAttempt:
    """Grade and store an attempt once per form token (a double submit gets the first attempt back)."""
    lock(enrolment)
    result = grading.grade(answer_key(questions), answers, quiz.pass_mark)
    for _try in range(3):
        if (existing := _attempt_with_token(enrolment, token)) is not None:
            return existing
        left = attempts_left(enrolment, quiz)
        if left is not None and left < 1:
            raise NoAttemptsLeft
        attempt = QuizAttempt(enrolment_id=enrolment.id, quiz_id=quiz.id, number=_next_number(enrolment, quiz),
                              token=token,
                              answers={str(q): sorted(a) for q, a in answers.items()}, score=result.score,
                              pass_mark=quiz.pass_mark, passed=result.passed)
        try:
            with db.session.begin_nested():
                db.session.add(attempt)
        except IntegrityError:
            continue  # same token (a double submit) or same number (another tab): look again
        touch(enrolment)
        if attempt.passed:
            check_completion(enrolment)
        return attempt
    raise NoAttemptsLeft
