"""Flask extensions, created unbound and initialised by create_app()."""

import sqlite3
import unicodedata

from flask import request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from werkzeug.routing import IntegerConverter

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The largest id (and page) the database can hold: PostgreSQL's integer; SQLite overflows past 2**63 anyway.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """<int:...> in URLs: an id beyond what a column can hold is a 404, never a database error."""

    def __init__(self, map, fixed_digits=0, min=0, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def db_int(value: str) -> int:
    """A query-string or form number that fits an id column (`type=db_int`); ValueError for anything else."""
    if not (isinstance(value, str) and value.isascii() and value.strip().isdigit()):
        raise ValueError(value)
    number = int(value)
    if number > MAX_ID:
        raise ValueError(value)
    return number


def db_id(value, default=None):
    """The value as an id (see db_int), else `default`."""
    try:
        return db_int(value)
    except ValueError:
        return default


def db_ids(values) -> list[int]:
    """The values that are ids (see db_int); the others are dropped."""
    return [number for number in map(db_id, values) if number is not None]


# Spanish accents folded in SQL; upper case too, because SQLite's lower() only knows ASCII.
ACCENT_FOLDS = tuple(zip("áéíóúüñÁÉÍÓÚÜÑàèìòùÀÈÌÒÙ", "aeiouunaeiouunaeiouaeiou", strict=True))


def fold(text: str) -> str:
    """Lower case without accents, as searches compare: "Minería" -> "mineria"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def folded(column):
    """The SQL twin of fold(): a text column lower-cased without Spanish accents, on SQLite and PostgreSQL."""
    expression = func.lower(column)
    for accented, plain in ACCENT_FOLDS:
        expression = func.replace(expression, accented, plain)
    return expression


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL for concurrent readers, foreign keys enforced, a wait instead of 'database is locked'."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(connection, _name):
    """pysqlite opens a transaction only before DML, so a SAVEPOINT issued first would start (and its
    RELEASE commit) a transaction of its own: open the real one first. Reads stay outside, as before,
    so readers never deadlock upgrading to a write lock."""
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
        if not raw.in_transaction:
            raw.execute("BEGIN")


class SessionInterface(SecureCookieSessionInterface):
    """Mark the session cookie Secure whenever the request came over HTTPS (or config forces it)."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)
