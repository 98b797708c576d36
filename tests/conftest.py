"""Fixtures: a real database (SQLite file, or PostgreSQL from TEST_DATABASE_URL), factories, clients."""

import os
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import delete

from lms import create_app
from lms.accounts.models import Role, User
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "minera-segura-2026"


def _test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def app_config(url: str, **extra) -> dict:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_STORAGE_URI": "memory://",
            "SERVER_NAME": None, "ENV_NAME": "testing", **extra}


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """Compile the .po catalogues so pages can be seen in English."""
    for po_path in (ROOT / "lms" / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return _test_database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _schema(database_url):
    app = create_app(app_config(database_url))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_tables():
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(delete(table))
    db.session.commit()


@pytest.fixture
def app(_schema, database_url):
    app = create_app(app_config(database_url))
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def make_app(database_url):
    """Factory for extra apps with other settings; their connections are closed afterwards."""
    apps = []

    def make(**overrides):
        apps.append(create_app(app_config(database_url, **overrides)))
        return apps[-1]

    yield make
    for extra in apps:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def _push_request_context():
    """Override pytest-flask's: a pushed request context would hide missing commits."""


@pytest.fixture
def make_user(app):
    """Factory: make_user(role=..., **fields) -> a detached User with .password set to its secret."""
    counter = iter(range(1, 10_000))

    def make(role: str = Role.LEARNER, password: str = PASSWORD, **fields) -> User:
        n = next(counter)
        fields.setdefault("username", f"{role}{n}")
        fields.setdefault("full_name", f"Persona {role} {n}")
        fields.setdefault("region", "puno")
        with app.app_context():
            user = User(role=role, **fields)
            user.set_secret(password, app.config["PASSWORD_HASH_METHOD"], one_time=fields.get("must_change_pin", False))
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        user.password = password
        return user

    return make


@pytest.fixture
def login():
    """Sign a test client in; returns the response of the POST."""
    def sign_in(client, login: str, secret: str = PASSWORD, **kwargs):
        return client.post("/login", data={"login": login, "secret": secret}, **kwargs)

    return sign_in


@pytest.fixture
def client_for(app, login):
    """A new client signed in as `user` (one client per actor)."""
    def make(user):
        client = app.test_client()
        response = login(client, user.username, user.password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return make
