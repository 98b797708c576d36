"""Guards of the web layer: the app-wide sign-in guard, sessions that end, role guards per blueprint, safe
redirects. They read the request and the session, so they are web code (domain code never does)."""

import time

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from lms.accounts.models import Role

# Endpoints a person with a one-time PIN may reach before choosing her own.
PIN_CHANGE_ALLOWED = {"accounts.change_pin", "accounts.logout", "site.set_language", "static"}
STAFF = (Role.ADMIN, Role.COORDINATOR, Role.TRAINER)


def public(view):
    """Mark a view as open to anonymous visitors; every other view needs a signed-in person."""
    view.public = True
    return view


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


def require_roles(*roles):
    """A blueprint guard that lets only these roles through (anonymous visitors are handled above)."""
    def guard():
        if current_user.is_authenticated and current_user.role not in roles:
            abort(403)
    return guard


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to, never another site (browsers drop tabs and newlines: «/⇥/evil» is «//evil»)."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable()):
        return target
    return default
