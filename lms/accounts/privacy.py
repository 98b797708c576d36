"""Personal data under Peru's Ley 29733: all of a person's data as JSON, and anonymising a learner.

This module is the one place that knows every table holding personal data, so unlike the rest of
`accounts` it reads the models of the packages above it (learning, workshops, certificates).
"""

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select, update

from lms.accounts.models import REGIONS, AuditEvent, Cohort, Role, User, cohort_member
from lms.certificates.models import Certificate
from lms.courses.models import Course, Lesson, Quiz
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion, QuizAttempt
from lms.workshops.models import Attendance, Workshop

ANONYMOUS_NAME = "Participante anonimizada #%d"
WITHDRAWN_CERTIFICATE_NAME = "(nombre retirado a pedido de la titular)"
PROFILE_FIELDS = ("id", "username", "full_name", "role", "email", "phone", "dni", "birth_year", "region",
                  "community", "organisation", "language", "consent_at", "created_at", "last_login_at", "active")


def _plain(value):
    """JSON-friendly values: dates as ISO 8601, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _row(obj, names) -> dict:
    return {name: _plain(getattr(obj, name)) for name in names}


def personal_data(user: User) -> dict:
    """Everything the platform keeps about `user`, and nothing about anyone else (never a secret)."""
    profile = _row(user, PROFILE_FIELDS) | {"region_name": REGIONS.get(user.region or "")}
    return {"generated_at": _plain(datetime.now(UTC)), "profile": profile,
            "enrolments": _enrolments(user), "lesson_completions": _completions(user),
            "quiz_attempts": _attempts(user), "attendance": _attendance(user),
            "certificates": _certificates(user), "cohorts": _cohorts(user), "audit_events": _events(user)}


def _enrolments(user: User) -> list[dict]:
    lessons = (select(Lesson.course_id, func.count(Lesson.id).label("n")).group_by(Lesson.course_id).subquery())
    done = (select(LessonCompletion.enrolment_id, func.count(LessonCompletion.id).label("n"))
            .group_by(LessonCompletion.enrolment_id).subquery())
    rows = db.session.execute(
        select(Enrolment, Course.slug, Course.title, Cohort.name, lessons.c.n, done.c.n)
        .join(Course, Course.id == Enrolment.course_id).outerjoin(Cohort, Cohort.id == Enrolment.cohort_id)
        .outerjoin(lessons, lessons.c.course_id == Course.id).outerjoin(done, done.c.enrolment_id == Enrolment.id)
        .where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at))
    return [_row(e, ("id", "status", "method", "enrolled_at", "completed_at", "withdrawn_at", "last_activity_at"))
            | {"course": {"slug": slug, "title": title}, "cohort": cohort,
               "lessons_total": total or 0, "lessons_completed": completed or 0}
            for e, slug, title, cohort, total, completed in rows]


def _completions(user: User) -> list[dict]:
    rows = db.session.execute(
        select(LessonCompletion.completed_at, Lesson.title, Course.title)
        .join(Enrolment, Enrolment.id == LessonCompletion.enrolment_id)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id).join(Course, Course.id == Lesson.course_id)
        .where(Enrolment.user_id == user.id).order_by(LessonCompletion.completed_at))
    return [{"course": course, "lesson": lesson, "completed_at": _plain(at)} for at, lesson, course in rows]


def _attempts(user: User) -> list[dict]:
    rows = db.session.execute(
        select(QuizAttempt, Quiz.title, Course.title).join(Enrolment, Enrolment.id == QuizAttempt.enrolment_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id).join(Course, Course.id == Quiz.course_id)
        .where(Enrolment.user_id == user.id).order_by(QuizAttempt.submitted_at))
    return [_row(a, ("number", "answers", "score", "pass_mark", "passed", "submitted_at"))
            | {"quiz": quiz, "course": course} for a, quiz, course in rows]


def _attendance(user: User) -> list[dict]:
    rows = db.session.execute(
        select(Attendance.present, Attendance.recorded_at, Workshop.starts_at, Workshop.place, Course.title)
        .join(Workshop, Workshop.id == Attendance.workshop_id).join(Course, Course.id == Workshop.course_id)
        .where(Attendance.user_id == user.id).order_by(Workshop.starts_at))
    return [{"course": course, "starts_at_utc": _plain(starts), "place": place, "present": present,
             "recorded_at": _plain(recorded)} for present, recorded, starts, place, course in rows]


def _certificates(user: User) -> list[dict]:
    query = (select(Certificate).join(Enrolment, Enrolment.id == Certificate.enrolment_id)
             .where(Enrolment.user_id == user.id).order_by(Certificate.created_at))
    return [_row(c, ("code", "status", "generation", "learner_name", "course_title", "theme", "hours",
                     "completed_on", "issued_on", "language", "network_name", "signatories", "revoked_at",
                     "revoked_reason")) for c in db.session.scalars(query)]


def _cohorts(user: User) -> list[dict]:
    query = select(Cohort).join(cohort_member).where(cohort_member.c.user_id == user.id).order_by(Cohort.name)
    return [{"name": c.name, "region": c.region} for c in db.session.scalars(query)]


def _events(user: User) -> list[dict]:
    """Her own events; of those done to her by someone else, only what happened and when (not who or where)."""
    query = (select(AuditEvent).where(or_(AuditEvent.actor_id == user.id, AuditEvent.subject_id == user.id))
             .order_by(AuditEvent.at))
    return [{"at": _plain(e.at), "action": e.action, "by_me": e.actor_id == user.id,
             "address": e.address if e.actor_id == user.id else None,
             "detail": e.detail if e.subject_id == user.id or (e.actor_id == user.id and e.subject_id is None)
             else {}}
            for e in db.session.scalars(query)]


def is_anonymised(user: User) -> bool:
    return user.full_name == ANONYMOUS_NAME % user.id


def anonymise(user: User) -> None:
    """Remove what identifies a learner, keep what counts (region, enrolments, progress, attendance).

    Her certificates keep their status, but their snapshot no longer names her. The caller audits and commits.
    """
    if user.role != Role.LEARNER:
        raise ValueError("only learners are anonymised")
    user.full_name = ANONYMOUS_NAME % user.id
    user.username = f"anon-{user.id}-{secrets.token_hex(4)}"
    for name in ("dni", "phone", "email", "community", "organisation", "birth_year"):
        setattr(user, name, None)
    user.password_hash = "!" + secrets.token_hex(32)  # not a hash of anything: no secret can ever match
    user.must_change_pin, user.active = False, False
    user.end_sessions()
    certificates = select(Certificate).join(Enrolment).where(Enrolment.user_id == user.id)
    for certificate in db.session.scalars(certificates):
        certificate.withdraw_name(WITHDRAWN_CERTIFICATE_NAME)
    # Where she signed in from is personal data too; the events stay, for the counts.
    db.session.execute(update(AuditEvent).where(AuditEvent.actor_id == user.id).values(address=None))
    db.session.flush()
