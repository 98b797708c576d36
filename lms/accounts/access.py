"""Who may come in: sign-in with throttling, the app-wide sign-in guard and role guards."""

import time
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from limits import parse
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import User, audit, utcnow
from lms.extensions import limiter

# Checked against when the account does not exist, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-secret", method="scrypt")
# Endpoints a person with a one-time PIN may reach before choosing her own.
PIN_CHANGE_ALLOWED = {"accounts.change_pin", "accounts.logout", "site.set_language", "static"}


def public(view):
    """Mark a view as open to anonymous visitors; every other view needs a signed-in person."""
    view.public = True
    return view


@dataclass(frozen=True)
class SigninResult:
    user: User | None
    throttled: bool = False


def _limits_and_keys(config, login: str, address: str):
    return ((parse(config["SIGNIN_FAILURES_PER_ACCOUNT"]), ("signin-account", login.strip().lower())),
            (parse(config["SIGNIN_FAILURES_PER_ADDRESS"]), ("signin-address", address)))


def is_throttled(config, login: str, address: str) -> bool:
    """True when this account or this address has failed too often lately."""
    return any(not limiter.limiter.test(item, *key) for item, key in _limits_and_keys(config, login, address))


def authenticate(config, login: str, secret: str, address: str) -> SigninResult:
    """Check the credentials; unknown user and wrong secret fail alike. The caller commits."""
    if is_throttled(config, login, address):
        audit("signin.throttled", address=address)
        return SigninResult(None, throttled=True)
    user = User.find_for_signin(login)
    if user is None:
        check_password_hash(_DUMMY_HASH, secret)
    if user is None or not user.active or not user.check_secret(secret):
        for item, key in _limits_and_keys(config, login, address):
            limiter.limiter.hit(item, *key)
        audit("signin.failed", subject=user, address=address)
        return SigninResult(None)
    user.last_login_at = utcnow()
    audit("signin", actor=user, subject=user, address=address)
    return SigninResult(user)


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: the session holds 'id:token'; a rotated token means signed out."""
    from lms.extensions import db

    raw_id, _sep, token = user_id.partition(":")
    user = db.session.get(User, int(raw_id)) if raw_id.isdigit() else None
    if user is None or not user.active or not token or token != user.session_token:
        return None
    return user


def _is_public_endpoint() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return request.endpoint is None or request.endpoint == "static" or getattr(view, "public", False)


def _idle_too_long() -> bool:
    """True when the signed-in person was inactive longer than allowed; refreshes the stamp."""
    now, seen = int(time.time()), session.get("seen", 0)
    if seen and now - seen > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        return True
    if now - seen > 60:
        session["seen"] = now
    return False


def signin_guard():
    """App-wide: end idle sessions, send anonymous visitors to sign in, enforce a PIN change."""
    if current_user.is_authenticated and _idle_too_long():
        logout_user()
        session.clear()
        flash(_("Tu sesión se cerró porque no la usaste por un tiempo. Vuelve a entrar."), "info")
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
