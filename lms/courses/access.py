"""Which courses a person may edit and teach, and the course loaders (docs/architecture.md, «Quién ve qué»)."""

from flask import abort
from sqlalchemy import false, or_, select, true
from sqlalchemy.orm import defer, joinedload, selectinload

from lms.accounts.models import User
from lms.courses.models import Course, CourseStatus, Lesson, Module, course_trainer
from lms.extensions import db


def course_scope(user: User):
    """The courses `user` edits and teaches: admins all; coordinators those of her regions and those she
    teaches; trainers those she teaches; learners none."""
    if user.is_admin:
        return true()
    if not user.is_staff:
        return false()
    taught = Course.id.in_(select(course_trainer.c.course_id).where(course_trainer.c.user_id == user.id))
    return or_(taught, Course.region.in_(user.regions)) if user.is_coordinator else taught


def may_edit(user, course: Course) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Course.id).where(Course.id == course.id, course_scope(user))) is not None


def course_for_edit(user: User, course_id: int) -> Course:
    """A course `user` edits or teaches; 404 if missing, 403 if not hers."""
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    if not may_edit(user, course):
        abort(403)
    return course


def courses_of(user: User, with_modules: bool = False, archived: bool = True) -> list[Course]:
    """The courses `user` edits and teaches, by title."""
    query = select(Course).where(course_scope(user)).order_by(Course.title)
    if not archived:
        query = query.where(Course.status != CourseStatus.ARCHIVED)
    if with_modules:
        query = query.options(selectinload(Course.modules))
    return list(db.session.scalars(query))


def course_for_viewer(user, slug: str) -> Course:
    """The course as published, or in any state for those who edit it; 404 otherwise."""
    modules = selectinload(Course.modules)
    course = db.session.scalar(select(Course).where(Course.slug == slug).options(
        joinedload(Course.cover), selectinload(Course.trainers),
        modules.selectinload(Module.lessons).options(defer(Lesson.body)),
        modules.selectinload(Module.quiz)))
    if course is None or (not course.is_published and not may_edit(user, course)):
        abort(404)
    return course
