"""What accounts' objects a person may reach: the cohort scope and loader, and the session's user loader.

The scope model (docs/architecture.md, «Quién ve qué») is written once per package in its access.py:
cohorts here; courses in courses/access.py; learners and their records in learning/access.py; sessions in
workshops/attendance.py; certificates in certificates/access.py. Loaders take the person as an argument and
answer 404 (nothing there for her) or 403 (there, not hers).
"""

from flask import abort
from sqlalchemy import false, or_, select, true

from lms.accounts.models import Cohort, OneTimeSheet, User, cohort_member, cohort_trainer
from lms.extensions import db


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the session holds 'id:token'; a rotated token means signed out."""
    raw_id, _sep, token = user_id.partition(":")
    user = db.session.get(User, int(raw_id)) if raw_id.isdigit() else None
    if user is None or not user.active or not token or token != user.session_token:
        return None
    return user


def sheet_for(user: User, sheet_id: str, secret_key: str) -> dict:
    """The content of a one-time sheet `user` made and that has not expired; 404 for anyone else or later."""
    sheet = db.session.get(OneTimeSheet, sheet_id[:32])
    content = sheet.content(secret_key) if sheet is not None and sheet.actor_id == user.id else None
    if content is None:
        abort(404)
    return content


def require_admin(user: User) -> None:
    """Network-wide settings, staff accounts, the audit log and erasure are for admins only."""
    if not user.is_admin:
        abort(403)


# ---- cohorts -----------------------------------------------------------------------------------------------

def cohort_scope(user: User):
    """The cohorts `user` manages: admins all; coordinators those of her regions and those she leads; trainers
    those she leads; learners none."""
    if user.is_admin:
        return true()
    if not user.is_staff:
        return false()
    led = Cohort.id.in_(select(cohort_trainer.c.cohort_id).where(cohort_trainer.c.user_id == user.id))
    return or_(led, Cohort.region.in_(user.regions)) if user.is_coordinator else led


def cohort_for(user: User, cohort_id: int) -> Cohort:
    """A cohort `user` manages; 404 if missing, 403 if not hers."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        abort(404)
    if not db.session.scalar(select(Cohort.id).where(Cohort.id == cohort.id, cohort_scope(user))):
        abort(403)
    return cohort


def cohorts_of(user: User, name: str = "", limit: int | None = None) -> list[Cohort]:
    """The cohorts `user` manages, by name, maybe only those whose name contains `name`."""
    query = select(Cohort).where(cohort_scope(user)).order_by(Cohort.name)
    if name:
        query = query.where(Cohort.name.icontains(name, autoescape=True))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def cohort_members(cohort_id: int):
    """The ids of a cohort's members now (a select): what «the cohort's learners» means everywhere."""
    return select(cohort_member.c.user_id).where(cohort_member.c.cohort_id == cohort_id)
