"""What certificates hold about a person: her export, and the change erasure makes to their snapshots."""

from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.privacy import Traces, row
from lms.certificates.models import WITHDRAWN_CERTIFICATE_NAME, Certificate
from lms.extensions import db
from lms.learning.models import Enrolment

FIELDS = ("code", "status", "generation", "learner_name", "course_title", "theme", "hours", "completed_on",
          "issued_on", "language", "network_name", "signatories", "revoked_at", "revoked_reason")


def _hers(user: User):
    return select(Certificate).join(Enrolment).where(Enrolment.user_id == user.id).order_by(Certificate.created_at)


def rows(user: User) -> dict:
    return {"certificates": [row(c, FIELDS) for c in db.session.scalars(_hers(user))]}


def erase(user: User, traces: Traces) -> None:
    """Her certificates keep their status but no longer name her: the snapshot's name is withdrawn and what staff
    wrote about them (a revocation's reason) loses her traces."""
    for certificate in db.session.scalars(_hers(user)):
        certificate.withdraw_name(WITHDRAWN_CERTIFICATE_NAME)
        certificate.revoked_reason = traces.scrub(certificate.revoked_reason)
    db.session.flush()
