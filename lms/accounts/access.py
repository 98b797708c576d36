"""Who may come in and what accounts' objects they may reach: guards, sessions, the cohort scope and loader.

The scope model (docs/architecture.md, «Quién ve qué») is written once per package in its access.py:
cohorts here; courses in courses/access.py; learners and their records in learning/access.py.
"""

import time

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import false, or_, select, true

from lms.accounts.models import Cohort, Role, User, cohort_member, cohort_trainer
from lms.extensions import db

# Endpoints a person with a one-time PIN may reach before choosing her own.
PIN_CHANGE_ALLOWED = {"accounts.change_pin", "accounts.logout", "site.set_language", "static"}


def public(view):
    """Mark a view as open to anonymous visitors; every other view needs a signed-in person."""
    view.public = True
    return view


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the session holds 'id:token'; a rotated token means signed out."""
    raw_id, _sep, token = user_id.partition(":")
    user = db.session.get(User, int(raw_id)) if raw_id.isdigit() else None
    if user is None or not user.active or not token or token != user.session_token:
        return None
    return user


def _is_public_endpoint() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return request.endpoint is None or request.endpoint == "static" or getattr(view, "public", False)


def mark_session_start() -> None:
    """Stamp a new session with its start (for the absolute lifetime) and its last use."""
    session["born"] = session["seen"] = int(time.time())


def _session_expired() -> str | None:
    """Why the signed-in person's session is over (too long idle, or too old), else None; refreshes the stamp."""
    now, seen, born = int(time.time()), session.get("seen", 0), session.get("born", 0)
    if now - born > current_app.config["SESSION_MAX_HOURS"] * 3600:
        return _("Tu sesión se cerró porque pasaron muchas horas desde que entraste. Vuelve a entrar.")
    if now - seen > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return _("Tu sesión se cerró porque no la usaste por un tiempo. Vuelve a entrar.")
    if now - seen > 60:
        session["seen"] = now
    return None


def signin_guard():
    """App-wide: end idle or too old sessions, send anonymous visitors to sign in, enforce a PIN change."""
    if current_user.is_authenticated and (reason := _session_expired()):
        logout_user()
        session.clear()
        flash(reason, "info")
        return redirect(url_for("accounts.login"))
    if _is_public_endpoint():
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.path))
    if current_user.must_change_pin and request.endpoint not in PIN_CHANGE_ALLOWED:
        return redirect(url_for("accounts.change_pin"))
    return None


STAFF = (Role.ADMIN, Role.COORDINATOR, Role.TRAINER)


def require_roles(*roles):
    """A blueprint guard that lets only these roles through (anonymous visitors are handled above)."""
    def guard():
        if current_user.is_authenticated and current_user.role not in roles:
            abort(403)
    return guard


def require_admin(user: User) -> None:
    """Network-wide settings, staff accounts, the audit log and erasure are for admins only."""
    if not user.is_admin:
        abort(403)


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to, never another site (browsers drop tabs and newlines: «/⇥/evil» is «//evil»)."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable()):
        return target
    return default


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
