"""Configuration: defaults here, overridden by environment variables of the same name."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - refused in production by create_app


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def database_url() -> str:
    """DATABASE_URL, with the postgres:// spelling some hosts give mapped to psycopg 3."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'lms.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = os.environ.get("LMS_ENV", "development")  # development | production | testing
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 20)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024
    BABEL_DEFAULT_LOCALE = "es"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "America/Lima")
    LANGUAGES = ("es", "en")
    SELF_REGISTRATION = env_bool("SELF_REGISTRATION", True)
    SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)  # a session ends this long after signing in, used or not
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PUBLIC_BASE_URL.startswith("https://"))
    SESSION_COOKIE_NAME = "lms_session"
    REMEMBER_COOKIE_DURATION = 0
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)  # how many proxy hops to trust for X-Forwarded-*
    SIGNIN_FAILURES_PER_ACCOUNT = os.environ.get("SIGNIN_FAILURES_PER_ACCOUNT", "5 per 15 minutes")
    SIGNIN_FAILURES_PER_ADDRESS = os.environ.get("SIGNIN_FAILURES_PER_ADDRESS", "20 per 15 minutes")
    # Wrong course keys and cohort codes, per person and per address (many women may share one mobile address).
    CODE_FAILURES_PER_ACCOUNT = os.environ.get("CODE_FAILURES_PER_ACCOUNT", "5 per 15 minutes")
    CODE_FAILURES_PER_ADDRESS = os.environ.get("CODE_FAILURES_PER_ADDRESS", "30 per 15 minutes")
    REGISTRATIONS_PER_ADDRESS = os.environ.get("REGISTRATIONS_PER_ADDRESS", "10 per hour")
    FORBIDDEN_LOGGED_PER_HOUR = env_int("FORBIDDEN_LOGGED_PER_HOUR", 20)  # 403s audited per person or address
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a slow 2G form must not expire
    SEND_FILE_MAX_AGE_DEFAULT = 365 * 24 * 3600  # static URLs carry a content hash (static_url)
    # The network's Ed25519 signing keys: files outside the database (`flask lms keys generate`), owner-only.
    SIGNING_KEY_DIR = os.environ.get("SIGNING_KEY_DIR", str(INSTANCE_DIR / "keys"))
    NETWORK_NAME = "Red Nacional de Mujeres de la Minería Artesanal y de Pequeña Escala del Perú"
    NETWORK_SHORT_NAME = "RNM-MAPE"
    # Who signs certificates: "Name|Role;Name|Role". An admin's settings (/admin/certificados) win over this; with
    # neither, certificates print the placeholder «María Reyes» and `flask lms check-deploy` fails.
    CERTIFICATE_SIGNATORIES = [pair.split("|", 1) for pair in
                               os.environ.get("CERTIFICATE_SIGNATORIES", "").split(";") if "|" in pair]
