"""Whom a person acts on and whose records she sees; the learner's own loaders (docs/architecture.md).

- The learners a person acts on (`learner_scope`): admins every learner; everyone else the learners she
  teaches — enrolled in a course of her `course_scope`, members of a cohort of her `cohort_scope`, or accounts
  she created — and a coordinator also every learner of her regions.
- The records she sees (`record_scope`, on enrolments): admins all; trainers those of the courses they teach;
  coordinators also those of the learners of their regions, in any course.
- «A cohort's learners in a course» (`cohort_enrolments`): its members now, enrolled and not withdrawn.
"""

from flask import abort
from sqlalchemy import and_, false, func, or_, select, true

from lms.accounts.access import cohort_members, cohort_scope
from lms.accounts.models import Cohort, Role, User, cohort_member
from lms.courses.access import course_scope, may_edit
from lms.courses.models import Course, CourseStatus, Media, Quiz
from lms.extensions import db, fold, folded
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.workshops.models import Attendance, Workshop


def _courses_of(user: User):
    return select(Course.id).where(course_scope(user))


def learner_scope(user: User):
    """A condition on User: the learners `user` acts on (see the module's docstring)."""
    if user.is_admin:
        return User.role == Role.LEARNER
    if not user.is_staff:
        return false()
    taught = or_(
        User.id.in_(select(Enrolment.user_id).where(Enrolment.course_id.in_(_courses_of(user)))),
        User.id.in_(select(cohort_member.c.user_id).where(
            cohort_member.c.cohort_id.in_(select(Cohort.id).where(cohort_scope(user))))),
        User.created_by_id == user.id,
        *([User.region.in_(user.regions)] if user.is_coordinator else []))
    return and_(User.role == Role.LEARNER, taught)


def learner_for(user: User, learner_id: int) -> User:
    """A learner `user` acts on; 404 when there is none she may reach (whether or not the account exists)."""
    learner = db.session.scalar(select(User).where(User.id == learner_id, learner_scope(user)))
    if learner is None:
        abort(404)
    return learner


def in_learner_scope(user: User, ids) -> list[int]:
    """Those of `ids` that are learners `user` acts on."""
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(select(User.id).where(User.id.in_(ids), learner_scope(user))))


def find_learners(user: User, q: str, limit: int, offset: int = 0) -> list[User]:
    """Her learners whose name, username or phone has `q` (case and accents ignored), by name."""
    query = select(User).where(learner_scope(user)).order_by(User.full_name, User.id)
    if q:
        words = q.split()[:4]
        query = query.where(*(or_(folded(User.full_name).contains(fold(word), autoescape=True),
                                  User.username.contains(word.lower(), autoescape=True),
                                  User.phone.contains(word, autoescape=True)) for word in words))
    return list(db.session.scalars(query.offset(offset).limit(limit)))


def record_scope(user: User):
    """A condition on Enrolment: the learner-in-course records `user` sees (see the module's docstring)."""
    if user.is_admin:
        return true()
    if not user.is_staff:
        return false()
    taught = Enrolment.course_id.in_(_courses_of(user))
    if user.is_coordinator:
        return or_(taught, Enrolment.user_id.in_(select(User.id).where(User.region.in_(user.regions))))
    return taught


def cohort_enrolments(cohort_id: int):
    """A condition on Enrolment: the cohort's learners — its members now — enrolled and not withdrawn."""
    return and_(Enrolment.user_id.in_(cohort_members(cohort_id)), Enrolment.status != EnrolmentStatus.WITHDRAWN)


def sees_records_of(user: User, course: Course) -> bool:
    """Whether `user` sees any record of this course: she teaches it, or coordinates learners who may take it."""
    return user.is_admin or user.is_coordinator or may_edit(user, course)


def enrolment_in(course: Course, user_id: int) -> Enrolment:
    """A learner's enrolment in a course the caller already authorised; 404 if she is not enrolled."""
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.course_id == course.id,
                                                          Enrolment.user_id == user_id))
    if enrolment is None:
        abort(404)
    return enrolment


# ---- the learner's own ------------------------------------------------------------------------------------

def course_for_learner(slug: str) -> Course:
    """A course a learner may study in: published, or archived (she keeps her progress); 404 otherwise."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or course.status == CourseStatus.DRAFT:
        abort(404)
    return course


def enrolment_for(user: User, course: Course) -> Enrolment:
    """The learner's own enrolment in `course`; 404 when she is not (or no longer) enrolled."""
    enrolment = current_enrolment(user, course)
    if enrolment is None:
        abort(404)
    return enrolment


def current_enrolment(user, course: Course) -> Enrolment | None:
    """The person's enrolment in `course` unless withdrawn (None for visitors)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course.id,
                                                     Enrolment.status != EnrolmentStatus.WITHDRAWN))


def quiz_of(course: Course, quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.course_id != course.id:
        abort(404)
    return quiz


def media_for(user: User, media_id: int) -> Media:
    """A course file `user` may fetch: those who edit the course, and its learners (enrolled, not withdrawn) while
    it is published or archived; a file of no course, staff only. 404 otherwise, whoever asks."""
    media = db.session.get(Media, media_id)
    if media is None:
        abort(404)
    course = db.session.get(Course, media.course_id) if media.course_id else None
    if course is None:
        allowed = user.is_staff
    else:
        allowed = may_edit(user, course) or (course.status != CourseStatus.DRAFT
                                              and current_enrolment(user, course) is not None)
    if not allowed:
        abort(404)
    return media


def her_workshops(user: User):
    """A condition on Workshop: the sessions a learner is expected at — of the courses she is enrolled in (not
    withdrawn), for everyone or for a cohort she is a member of."""
    courses = select(Enrolment.course_id).where(Enrolment.user_id == user.id,
                                                Enrolment.status != EnrolmentStatus.WITHDRAWN)
    cohorts = select(cohort_member.c.cohort_id).where(cohort_member.c.user_id == user.id)
    return and_(Workshop.course_id.in_(courses), or_(Workshop.cohort_id.is_(None), Workshop.cohort_id.in_(cohorts)))


def upcoming_workshops(user: User, since, limit: int = 50) -> list[Workshop]:
    """Her sessions from `since` (naive UTC) on, soonest first."""
    query = (select(Workshop).where(her_workshops(user), Workshop.starts_at >= since)
             .order_by(Workshop.starts_at, Workshop.id).limit(limit))
    return list(db.session.scalars(query))


def my_attendance(user: User, limit: int = 100) -> list[tuple[Workshop, bool]]:
    """The sessions where her attendance was taken, newest first, with whether she was there."""
    query = (select(Workshop, Attendance.present).join(Attendance, Attendance.workshop_id == Workshop.id)
             .where(Attendance.user_id == user.id).order_by(Workshop.starts_at.desc()).limit(limit))
    return [(workshop, present) for workshop, present in db.session.execute(query)]


def next_workshops(user: User, since) -> dict[int, Workshop]:
    """{course id: her next session} from `since` on, in one query."""
    found: dict[int, Workshop] = {}
    for workshop in upcoming_workshops(user, since):
        found.setdefault(workshop.course_id, workshop)
    return found


def cohort_courses(user: User, cohort_id: int) -> list[tuple[Course, int]]:
    """The courses the cohort's learners are in (only those whose records `user` sees), with how many of them."""
    query = (select(Course, func.count(Enrolment.id)).join(Enrolment, Enrolment.course_id == Course.id)
             .where(cohort_enrolments(cohort_id), record_scope(user))
             .group_by(Course.id).order_by(Course.title))
    return [(course, count) for course, count in db.session.execute(query)]
