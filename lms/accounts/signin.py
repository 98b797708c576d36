"""Signing in: one failure counter per account (whatever was typed to name it) and per address.

An unknown name, an inactive account and a wrong secret fail alike and take the same time: each checks
exactly one password hash.
"""

from dataclasses import dataclass

from limits import parse
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts.models import User, audit, normalise_phone, utcnow
from lms.extensions import limiter

# Checked against when the account does not exist, so every failure costs one hash.
_DUMMY_HASH = generate_password_hash("not-a-real-secret", method="scrypt")


@dataclass(frozen=True)
class SigninResult:
    user: User | None
    throttled: bool = False


def account_key(user: User | None, login: str) -> str:
    """The per-account counter's key: the account's id, or (no such account) what was typed, normalised."""
    if user is not None:
        return f"user:{user.id}"
    login = login.strip().lower()
    return f"name:{normalise_phone(login) or login}"


def _limits(config, account: str, address: str):
    return ((parse(config["SIGNIN_FAILURES_PER_ACCOUNT"]), ("signin-account", account)),
            (parse(config["SIGNIN_FAILURES_PER_ADDRESS"]), ("signin-address", address)))


def is_throttled(config, account: str, address: str) -> bool:
    """True when this account or this address has failed too often lately."""
    return any(not limiter.limiter.test(item, *key) for item, key in _limits(config, account, address))


def count_failure(config, account: str, address: str) -> None:
    for item, key in _limits(config, account, address):
        limiter.limiter.hit(item, *key)


def authenticate(config, login: str, secret: str, address: str) -> SigninResult:
    """Check the credentials; every failure looks and takes alike. The caller commits."""
    user = User.find_for_signin(login)
    account = account_key(user, login)
    if is_throttled(config, account, address):
        audit("signin.throttled", subject=user, address=address)
        return SigninResult(None, throttled=True)
    matches = user.check_secret(secret) if user is not None else check_password_hash(_DUMMY_HASH, secret)
    if not (matches and user.active):
        count_failure(config, account, address)
        audit("signin.failed", subject=user, address=address)
        return SigninResult(None)
    user.last_login_at = utcnow()
    audit("signin", actor=user, subject=user, address=address)
    return SigninResult(user)


def check_current_secret(config, user: User, secret: str, address: str) -> bool | None:
    """Whether `secret` is the account's (the change-PIN form); None while the account is throttled.

    A wrong guess here counts against the same limit as a wrong sign-in.
    """
    account = account_key(user, "")
    if is_throttled(config, account, address):
        audit("signin.throttled", actor=user, subject=user, address=address, form="pin")
        return None
    if user.check_secret(secret):
        return True
    count_failure(config, account, address)
    audit("signin.failed", actor=user, subject=user, address=address, form="pin")
    return False


# ---- guessed codes (course keys, cohort join codes): a limit per person and per address -------------------

def _guess_limits(config, what: str, user_id: int, address: str):
    return ((parse(config["CODE_FAILURES_PER_ACCOUNT"]), (what, f"user:{user_id}")),
            (parse(config["CODE_FAILURES_PER_ADDRESS"]), (what, f"address:{address}")))


def guess_allowed(config, what: str, user_id: int, address: str) -> bool:
    """False once this person, or this address, has guessed `what` wrong too often lately."""
    return all(limiter.limiter.test(item, *key) for item, key in _guess_limits(config, what, user_id, address))


def count_guess(config, what: str, user_id: int, address: str) -> None:
    for item, key in _guess_limits(config, what, user_id, address):
        limiter.limiter.hit(item, *key)
