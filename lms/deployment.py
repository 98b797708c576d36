"""Operations: checks before going live, and backups of SQLite or PostgreSQL (used by `flask lms ...`)."""

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - runs pg_dump/pg_restore with fixed arguments, never a shell
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from config import DEFAULT_SECRET_KEY
from lms.accounts.models import User
from lms.courses.models import Course, CourseStatus
from lms.extensions import db

MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Deployment:
    """How the app is about to run: what the config cannot tell by itself."""

    workers: int = 1
    hosts: int = 1
    debug: bool = False


def deploy_problems(config, deployment: Deployment, demo_usernames, demo_courses=()) -> list[str]:
    """Every reason this configuration is not safe to serve real people; empty when it is."""
    problems = []
    if deployment.debug or config.get("DEBUG"):
        problems.append("debug is on: never serve real users with the debugger (FLASK_DEBUG=0).")
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET_KEY or len(secret) < MIN_SECRET_LENGTH:
        problems.append(f"SECRET_KEY is the default or shorter than {MIN_SECRET_LENGTH} characters.")
    if config["PUBLIC_BASE_URL"].startswith("https://") and not (
            config.get("SESSION_COOKIE_SECURE") or config.get("TRUSTED_PROXIES")):
        problems.append("served over HTTPS but session cookies would not be Secure: set SESSION_COOKIE_SECURE=1 "
                        "or TRUSTED_PROXIES to the number of proxies in front.")
    if not config["PUBLIC_BASE_URL"].startswith("https://"):
        problems.append("PUBLIC_BASE_URL is not https: certificates' QR codes and cookies need HTTPS.")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory") and deployment.workers * deployment.hosts > 1:
        problems.append("in-memory rate limiting with several workers or hosts: each would count on its own; "
                        "set RATELIMIT_STORAGE_URI=redis://...")
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and deployment.hosts > 1:
        problems.append("SQLite cannot be shared by several app hosts: use PostgreSQL (DATABASE_URL).")
    if demo_usernames:
        problems.append(f"demo accounts are present ({', '.join(sorted(demo_usernames)[:5])}): delete them.")
    if demo_courses:
        problems.append(f"example courses (demo: true) are published ({', '.join(sorted(demo_courses)[:5])}): "
                        "unpublish or delete them; they are not the network's.")
    return problems


def demo_accounts_present(usernames) -> list[str]:
    return list(db.session.scalars(select(User.username).where(User.username.in_(list(usernames)))))


def published_demo_courses() -> list[str]:
    """Slugs of example courses that learners can see: never on a real deployment."""
    return list(db.session.scalars(select(Course.slug).where(Course.demo.is_(True),
                                                             Course.status == CourseStatus.PUBLISHED)))


def _sqlite_path(url) -> Path:
    return Path(url.database)


def backup(database_uri: str, destination: Path) -> Path:
    """Copy the live database to `destination` (SQLite online backup, or pg_dump's custom format)."""
    url = make_url(database_uri)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(destination) as target:
            source.backup(target)
        return destination
    _pg(url, "pg_dump", "--format=custom", "--no-owner", f"--file={destination}", _libpq(url))
    return destination


def restore(database_uri: str, source: Path) -> None:
    """Replace the database's content with a backup made by `backup` (stop the app first)."""
    if not source.is_file():
        raise FileNotFoundError(source)
    url = make_url(database_uri)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(source) as backup_db, sqlite3.connect(_sqlite_path(url)) as live:
            backup_db.backup(live)
        return
    _pg(url, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", f"--dbname={_libpq(url)}",
        str(source))


def _libpq(url) -> str:
    """A libpq URL without the password (that goes in PGPASSWORD, not on a command line anyone can read)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _pg(url, program: str, *args: str) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise RuntimeError(f"{program} is not installed (Debian: postgresql-client).")
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    subprocess.run([executable, *args], check=True, capture_output=True, env=env)  # noqa: S603  # nosec B603
