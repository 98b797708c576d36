"""Read-only aggregates for the dashboards: a few GROUP BY queries each, never one query per row."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select, true, tuple_
from sqlalchemy.orm import aliased

from lms.accounts.models import AuditEvent, User, cohort_member
from lms.courses.access import course_scope
from lms.courses.models import Course, CourseStatus, Lesson, Module, Quiz
from lms.extensions import db
from lms.learning.access import cohort_enrolments
from lms.learning.models import Enrolment, EnrolmentStatus, LessonCompletion, QuizAttempt

ACTIVE_DAYS = 30
IDLE_DAYS = 14


def naive_utc(moment: datetime) -> datetime:
    """Columns hold naive UTC; compare them with naive UTC."""
    return moment.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) if moment.tzinfo else moment


def day_start_utc(day: date, tz: str) -> datetime:
    """The first instant of `day` in the local time zone, as naive UTC."""
    return naive_utc(datetime.combine(day, time.min, tzinfo=ZoneInfo(tz)))


def utc_offset_hours(tz: str) -> int:
    """Hours between local time and UTC (Lima: -5, no daylight saving)."""
    return int(datetime.now(ZoneInfo(tz)).utcoffset().total_seconds() // 3600)


def percent(part: int | float | None, whole: int | float | None) -> float:
    return round(100.0 * (part or 0) / whole, 1) if whole else 0.0


def _round(value) -> float | None:
    return None if value is None else round(float(value), 1)


# ---- one course (optionally only the learners of one cohort) ----

@dataclass(frozen=True)
class CourseScope:
    """The enrolments a course dashboard counts: not withdrawn, those the viewer sees (`visible`, the learning
    package's record scope), maybe only the cohort's learners."""

    course_id: int
    cohort_id: int | None = None
    visible: object = field(default_factory=true)

    @property
    def conditions(self) -> list:
        conditions = [Enrolment.course_id == self.course_id, Enrolment.status != EnrolmentStatus.WITHDRAWN,
                      self.visible]
        if self.cohort_id is not None:
            conditions.append(cohort_enrolments(self.cohort_id))
        return conditions

    def enrolment_ids(self):
        return select(Enrolment.id).where(*self.conditions)


def _idle_condition(now: datetime):
    idle_since = naive_utc(now) - timedelta(days=IDLE_DAYS)
    return and_(Enrolment.status == EnrolmentStatus.ACTIVE,
                func.coalesce(Enrolment.last_activity_at, Enrolment.enrolled_at) < idle_since)


@dataclass
class CourseSummary:
    enrolled: int
    active: int
    completed: int
    idle: int
    average_score: float | None

    @property
    def completion_rate(self) -> float:
        return percent(self.completed, self.enrolled)


def course_summary(scope: CourseScope, now: datetime) -> CourseSummary:
    """Enrolled, active lately, completed, idle and the average best quiz score, in two queries."""
    active_since = naive_utc(now) - timedelta(days=ACTIVE_DAYS)
    row = db.session.execute(select(
        func.count(Enrolment.id),
        func.count(case((Enrolment.last_activity_at >= active_since, 1))),
        func.count(case((Enrolment.status == EnrolmentStatus.COMPLETED, 1))),
        func.count(case((_idle_condition(now), 1))),
    ).where(*scope.conditions)).one()
    # The best score of each learner in each quiz, found from the course's quizzes (an index on quiz_id).
    best = (select(func.max(QuizAttempt.score).label("best"))
            .where(QuizAttempt.quiz_id.in_(select(Quiz.id).where(Quiz.course_id == scope.course_id)),
                   QuizAttempt.enrolment_id.in_(scope.enrolment_ids()))
            .group_by(QuizAttempt.enrolment_id, QuizAttempt.quiz_id).subquery())
    average = db.session.scalar(select(func.avg(best.c.best)))
    return CourseSummary(row[0], row[1], row[2], row[3], _round(average))


@dataclass
class Outline:
    """A course's modules and lessons in course order, and which module has which quiz."""

    modules: list  # rows (id, title)
    lessons: list  # rows (id, title, module_id)
    quiz_of_module: dict[int, int]

    def lesson_count(self, module_id: int) -> int:
        return sum(1 for lesson in self.lessons if lesson.module_id == module_id)


def course_outline(course_id: int) -> Outline:
    modules = db.session.execute(select(Module.id, Module.title).where(Module.course_id == course_id)
                                 .order_by(Module.position, Module.id)).all()
    lessons = db.session.execute(select(Lesson.id, Lesson.title, Lesson.module_id).join(Module)
                                 .where(Lesson.course_id == course_id)
                                 .order_by(Module.position, Module.id, Lesson.position, Lesson.id)).all()
    quizzes = db.session.execute(select(Quiz.module_id, Quiz.id).where(Quiz.course_id == course_id)).all()
    return Outline(modules, lessons, dict(quizzes))


def completions_per_lesson(scope: CourseScope) -> dict[int, int]:
    """How many of the counted learners completed each lesson (found from the course's lessons)."""
    rows = db.session.execute(select(LessonCompletion.lesson_id, func.count())
                              .where(LessonCompletion.lesson_id.in_(select(Lesson.id)
                                                                    .where(Lesson.course_id == scope.course_id)),
                                     LessonCompletion.enrolment_id.in_(scope.enrolment_ids()))
                              .group_by(LessonCompletion.lesson_id))
    return dict(rows.all())


def idle_learners(scope: CourseScope, now: datetime, limit: int | None = None) -> list:
    """Learners still in the course with no activity for IDLE_DAYS, longest idle first."""
    last_seen = func.coalesce(Enrolment.last_activity_at, Enrolment.enrolled_at)
    query = (select(User.full_name, User.username, Enrolment.last_activity_at, Enrolment.enrolled_at)
             .join(User, User.id == Enrolment.user_id).where(*scope.conditions, _idle_condition(now))
             .order_by(last_seen, User.full_name, Enrolment.id))
    return db.session.execute(query.limit(limit) if limit else query).all()


@dataclass
class GridRow:
    full_name: str
    username: str
    status: str
    last_activity_at: datetime | None
    done_by_module: dict[int, int] = field(default_factory=dict)
    passed_quizzes: set[int] = field(default_factory=set)


def progress_grid(scope: CourseScope, offset: int = 0, limit: int | None = None) -> list[GridRow]:
    """Learners (by name) with lessons done per module and quizzes passed: three queries per page."""
    query = (select(Enrolment.id, User.full_name, User.username, Enrolment.status, Enrolment.last_activity_at)
             .join(User, User.id == Enrolment.user_id).where(*scope.conditions)
             .order_by(User.full_name, Enrolment.id))
    page = db.session.execute(query.offset(offset).limit(limit) if limit else query).all()
    rows = {r.id: GridRow(r.full_name, r.username, r.status, r.last_activity_at) for r in page}
    if not rows:
        return []
    ids = list(rows) if limit else scope.enrolment_ids()
    done = db.session.execute(select(LessonCompletion.enrolment_id, Lesson.module_id, func.count())
                              .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
                              .where(LessonCompletion.enrolment_id.in_(ids))
                              .group_by(LessonCompletion.enrolment_id, Lesson.module_id))
    for enrolment_id, module_id, count in done:
        rows[enrolment_id].done_by_module[module_id] = count
    passed = db.session.execute(select(QuizAttempt.enrolment_id, QuizAttempt.quiz_id)
                                .where(QuizAttempt.enrolment_id.in_(ids), QuizAttempt.passed).distinct())
    for enrolment_id, quiz_id in passed:
        rows[enrolment_id].passed_quizzes.add(quiz_id)
    return list(rows.values())


# ---- one cohort ----

def cohort_courses(cohort_id: int, now: datetime, visible=None) -> list:
    """Per course the cohort's learners take (of the records `visible`): enrolled, active lately, completed,
    average best score."""
    active_since = naive_utc(now) - timedelta(days=ACTIVE_DAYS)
    conditions = [cohort_enrolments(cohort_id), true() if visible is None else visible]
    best = (select(Enrolment.course_id, func.max(QuizAttempt.score).label("best"))
            .join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id).where(*conditions)
            .group_by(QuizAttempt.enrolment_id, QuizAttempt.quiz_id, Enrolment.course_id).subquery())
    scores = select(best.c.course_id, func.avg(best.c.best).label("average")).group_by(best.c.course_id).subquery()
    query = (select(Course.id, Course.title, func.count(Enrolment.id).label("enrolled"),
                    func.count(case((Enrolment.last_activity_at >= active_since, 1))).label("active"),
                    func.count(case((Enrolment.status == EnrolmentStatus.COMPLETED, 1))).label("completed"),
                    func.max(scores.c.average).label("average"))
             .join(Course, Course.id == Enrolment.course_id).outerjoin(scores, scores.c.course_id == Course.id)
             .where(*conditions).group_by(Course.id, Course.title).order_by(Course.title))
    return db.session.execute(query).all()


def cohort_members(cohort_id: int, offset: int = 0, limit: int | None = None, visible=None) -> list:
    """The cohort's members with their courses, completed courses and last activity (of the records `visible`)."""
    joined = and_(Enrolment.user_id == User.id, Enrolment.status != EnrolmentStatus.WITHDRAWN,
                  true() if visible is None else visible)
    query = (select(User.full_name, User.username, func.count(Enrolment.id).label("courses"),
                    func.count(case((Enrolment.status == EnrolmentStatus.COMPLETED, 1))).label("completed"),
                    func.max(Enrolment.last_activity_at).label("last_activity_at"))
             .select_from(cohort_member).join(User, User.id == cohort_member.c.user_id).outerjoin(Enrolment, joined)
             .where(cohort_member.c.cohort_id == cohort_id)
             .group_by(User.id, User.full_name, User.username).order_by(User.full_name, User.id))
    return db.session.execute(query.offset(offset).limit(limit) if limit else query).all()


def cohort_member_count(cohort_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(cohort_member)
                             .where(cohort_member.c.cohort_id == cohort_id))


def reportable_courses(user: User) -> list:
    """The courses a person may see dashboards of: those she teaches (admins: all; coordinators: also every
    published course, where she sees the learners of her regions)."""
    shown = course_scope(user)
    if user.is_coordinator:
        shown = or_(shown, Course.status != CourseStatus.DRAFT)
    return db.session.execute(select(Course.id, Course.title, Course.status).where(shown)
                              .order_by(Course.title)).all()


# ---- the audit log ----

@dataclass
class AuditFilter:
    person: str = ""
    action: str = ""
    start: datetime | None = None  # naive UTC, inclusive
    end: datetime | None = None  # naive UTC, exclusive


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def matching_people(text: str, limit: int = 500) -> list[int]:
    """Ids of the people whose username starts with `text` or whose name contains it (one scan of people)."""
    text = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = select(User.id).where(or_(User.username.like(f"{text}%", escape="\\"),
                                      func.lower(User.full_name).like(f"%{text}%", escape="\\")))
    return list(db.session.scalars(query.order_by(User.id).limit(limit)))


def audit_page(flt: AuditFilter, before: int | None, limit: int) -> list:
    """Newest first, `limit` events older than event `before` (keyset), with actor and subject names."""
    actor, subject = aliased(User), aliased(User)
    query = (select(AuditEvent, actor.username, actor.full_name, subject.username, subject.full_name)
             .outerjoin(actor, actor.id == AuditEvent.actor_id).outerjoin(subject, subject.id == AuditEvent.subject_id)
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if flt.person:
        people = matching_people(flt.person)
        query = query.where(or_(AuditEvent.actor_id.in_(people), AuditEvent.subject_id.in_(people)))
    if flt.action:
        query = query.where(AuditEvent.action == flt.action)
    if flt.start:
        query = query.where(AuditEvent.at >= flt.start)
    if flt.end:
        query = query.where(AuditEvent.at < flt.end)
    if before:
        cursor_at = select(AuditEvent.at).where(AuditEvent.id == before).scalar_subquery()
        query = query.where(tuple_(AuditEvent.at, AuditEvent.id) < tuple_(cursor_at, before))
    return db.session.execute(query.limit(limit)).all()
