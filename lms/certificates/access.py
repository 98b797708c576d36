"""Which certificates a person may see and change (docs/architecture.md, «Quién ve qué»)."""

from flask import abort
from sqlalchemy import exists, func, select

from lms.accounts.models import User, cohort_member
from lms.certificates.models import Certificate, CertificateStatus
from lms.courses.models import Course, CourseStatus
from lms.extensions import db
from lms.learning.access import cohort_enrolments, record_scope
from lms.learning.models import Enrolment


def certificate_for(user: User, cert_id: int, manage: bool = False) -> Certificate:
    """Her own valid certificate, or (staff) one whose record she sees; 404 otherwise, whoever asks."""
    cert = db.session.get(Certificate, cert_id)
    if cert is None:
        abort(404)
    if not manage and cert.enrolment.user_id == user.id and cert.is_valid:
        return cert
    if user.is_staff and db.session.scalar(select(Enrolment.id).where(Enrolment.id == cert.enrolment_id,
                                                                      record_scope(user))):
        return cert
    abort(404)


def certificate_for_admin(user: User, cert_id: int) -> Certificate:
    """A certificate only an admin may change (revoke, reinstate, reissue): it speaks for the whole network."""
    cert = certificate_for(user, cert_id, manage=True)
    if not user.is_admin:
        abort(403)
    return cert


def managed_certificates(user: User, course_id: int | None, offset: int, limit: int,
                         learner_id: int | None = None) -> list[Certificate]:
    """Certificates whose records `user` sees, newest first, maybe of one course or one learner."""
    query = select(Certificate).join(Enrolment).where(record_scope(user))
    if course_id:
        query = query.where(Enrolment.course_id == course_id)
    if learner_id:
        query = query.where(Enrolment.user_id == learner_id)
    query = query.order_by(Certificate.created_at.desc(), Certificate.id.desc())
    return list(db.session.scalars(query.offset(offset).limit(limit)))


def valid_certificates(user: User, course_id: int | None = None, cohort_id: int | None = None) -> list[Certificate]:
    """Valid certificates `user` sees, of a course or of a cohort's learners, by learner name (for a ceremony)."""
    query = select(Certificate).join(Enrolment).where(Certificate.status == CertificateStatus.VALID,
                                                      record_scope(user))
    if course_id is not None:
        query = query.where(Enrolment.course_id == course_id)
    if cohort_id is not None:
        query = query.where(cohort_enrolments(cohort_id))
    return list(db.session.scalars(query.order_by(Certificate.learner_name, Certificate.course_title)))


def course_for_achievement(course_id: int) -> Course:
    """A course as an Open Badges Achievement, public: published, or once a certificate names it (archived courses
    stay resolvable for the credentials that point at them); 404 otherwise."""
    course = db.session.get(Course, course_id)
    awarded = exists().where(Certificate.enrolment_id == Enrolment.id, Enrolment.course_id == course_id)
    if course is None or (course.status != CourseStatus.PUBLISHED and not db.session.scalar(select(awarded))):
        abort(404)
    return course


def valid_counts(user: User, course_ids, cohort_ids) -> tuple[dict[int, int], dict[int, int]]:
    """How many valid certificates `user` would print per course and per cohort (two queries)."""
    valid = (Certificate.status == CertificateStatus.VALID, record_scope(user))
    by_course = dict(db.session.execute(
        select(Enrolment.course_id, func.count(Certificate.id))
        .join(Certificate, Certificate.enrolment_id == Enrolment.id)
        .where(*valid, Enrolment.course_id.in_(list(course_ids))).group_by(Enrolment.course_id)).all())
    by_cohort = dict(db.session.execute(
        select(cohort_member.c.cohort_id, func.count(Certificate.id))
        .join(Enrolment, Enrolment.user_id == cohort_member.c.user_id)
        .join(Certificate, Certificate.enrolment_id == Enrolment.id)
        .where(*valid, Enrolment.status != "withdrawn", cohort_member.c.cohort_id.in_(list(cohort_ids)))
        .group_by(cohort_member.c.cohort_id)).all())
    return by_course, by_cohort
