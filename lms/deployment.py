"""Operations: checks before going live, and backups of SQLite or PostgreSQL (used by `flask lms ...`)."""

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - runs pg_dump/pg_restore with fixed arguments, never a shell
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from config import DEFAULT_SECRET_KEY
from lms.accounts.models import User
from lms.courses.models import Course, CourseStatus
from lms.extensions import db

MIN_SECRET_LENGTH = 32
STATIC_FOLDER = Path(__file__).resolve().parent / "static"


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
    uploads = Path(config["UPLOAD_FOLDER"]).resolve()
    if uploads.is_relative_to(STATIC_FOLDER) or STATIC_FOLDER.is_relative_to(uploads):
        problems.append(f"UPLOAD_FOLDER ({uploads}) is inside the app's static folder: uploaded files would be served "
                        "to anyone, unchecked. Keep them outside it (default: instance/uploads).")
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


SQLITE_MEMBER, PG_MEMBER, UPLOADS_MEMBER = "database.sqlite3", "database.pgdump", "uploads"


def backup(database_uri: str, upload_folder: str | Path, destination: Path) -> Path:
    """One archive (tar.gz) at `destination` with the database (SQLite online backup, or pg_dump's custom format)
    and every uploaded file (lessons' audio, images, PDFs, covers)."""
    url = make_url(database_uri)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / (SQLITE_MEMBER if url.get_backend_name() == "sqlite" else PG_MEMBER)
        if url.get_backend_name() == "sqlite":
            with sqlite3.connect(_sqlite_path(url)) as source, sqlite3.connect(dump) as target:
                source.backup(target)
        else:
            _pg(url, "pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _libpq(url))
        with tarfile.open(destination, "w:gz") as archive:
            archive.add(dump, arcname=dump.name)
            uploads = Path(upload_folder)
            if uploads.is_dir():
                archive.add(uploads, arcname=UPLOADS_MEMBER)
    return destination


def restore(database_uri: str, upload_folder: str | Path, source: Path) -> None:
    """Put back the database and the uploaded files of a backup made by `backup` (stop the app first).

    The upload folder ends up holding exactly the backup's files.
    """
    if not source.is_file():
        raise FileNotFoundError(source)
    url = make_url(database_uri)
    with tempfile.TemporaryDirectory() as work, tarfile.open(source, "r:gz") as archive:
        archive.extractall(work, filter="data")  # no absolute paths, no '..', no links out of `work`
        dump = Path(work) / (SQLITE_MEMBER if url.get_backend_name() == "sqlite" else PG_MEMBER)
        if not dump.is_file():
            raise ValueError(f"{source} has no {dump.name}: it is not a backup of this kind of database.")
        if url.get_backend_name() == "sqlite":
            with sqlite3.connect(dump) as backup_db, sqlite3.connect(_sqlite_path(url)) as live:
                backup_db.backup(live)
        else:
            _pg(url, "pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                f"--dbname={_libpq(url)}", str(dump))
        _replace_folder(Path(upload_folder), Path(work) / UPLOADS_MEMBER)


def _replace_folder(target: Path, saved: Path) -> None:
    """Make `target` hold exactly what `saved` holds (an empty folder when the backup had none)."""
    if target.exists():
        shutil.rmtree(target)
    if saved.is_dir():
        shutil.copytree(saved, target)
    else:
        target.mkdir(parents=True)


def _libpq(url) -> str:
    """A libpq URL without the password (that goes in PGPASSWORD, not on a command line anyone can read)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _pg(url, program: str, *args: str) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise RuntimeError(f"{program} is not installed (Debian: postgresql-client).")
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    subprocess.run([executable, *args], check=True, capture_output=True, env=env)  # noqa: S603  # nosec B603
