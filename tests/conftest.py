"""Fixtures: a real database (SQLite file, or PostgreSQL from TEST_DATABASE_URL), factories, clients."""

import os
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import delete, select

from lms import create_app
from lms.accounts.models import Role, User
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "minera-segura-2026"
AUDIO_SAMPLES = ROOT / "tests" / "audio"


def audio_sample(name: str) -> bytes:
    """A small real recording from tests/audio/ (what each file is: tests/audio/README.md)."""
    return (AUDIO_SAMPLES / name).read_bytes()


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
def key_dir(tmp_path_factory) -> Path:
    """The network's signing keys for the test apps: one Ed25519 key, generated once."""
    from lms.certificates.signing import generate_key

    folder = tmp_path_factory.mktemp("keys") / "keys"
    generate_key(folder)
    return folder


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
def app(_schema, database_url, key_dir):
    app = create_app(app_config(database_url, SIGNING_KEY_DIR=str(key_dir)))
    yield app
    with app.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def make_app(database_url, key_dir):
    """Factory for extra apps with other settings; their connections are closed afterwards."""
    apps = []

    def make(**overrides):
        apps.append(create_app(app_config(database_url, **{"SIGNING_KEY_DIR": str(key_dir), **overrides})))
        return apps[-1]

    yield make
    for extra in apps:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    """A plain test client: pytest-flask's keeps its last request context open, which hides other clients."""
    return app.test_client()


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


@pytest.fixture
def make_course(app):
    """Factory: make_course(trainers=[user], modules=2, lessons=2, quiz=True, status="published", **fields).

    Returns a SimpleNamespace with id, slug, title, module_ids, lesson_ids (in course order), quiz_ids and,
    per quiz, `answers[quiz_id]` = {question_id: [correct choice ids]} to pass it and `wrong[quiz_id]` to fail.
    """
    from types import SimpleNamespace

    from lms.courses.models import Choice, Course, Lesson, Module, Question, Quiz, Theme, ensure_starter_themes

    counter = iter(range(1, 10_000))

    def make(trainers=(), modules: int = 2, lessons: int = 2, quiz: bool = True, status: str = "published",
             theme: str = "seguridad-salud", **fields):
        n = next(counter)
        with app.app_context():
            ensure_starter_themes()
            course = Course(slug=fields.pop("slug", f"curso-{n}"), title=fields.pop("title", f"Curso de prueba {n}"),
                            summary="Un curso para probar.", status=status,
                            theme=db.session.scalar(select(Theme).where(Theme.slug == theme)), **fields)
            course.trainers = [db.session.get(User, t.id) for t in trainers]
            for m in range(1, modules + 1):
                module = Module(slug=f"modulo-{m}", title=f"Módulo {m}", position=m)
                course.modules.append(module)
                for k in range(1, lessons + 1):
                    module.lessons.append(Lesson(course=course, slug=f"leccion-{m}-{k}", title=f"Lección {m}.{k}",
                                                 body=f"Texto de la **lección {m}.{k}**.", minutes=5, position=k))
                if quiz:
                    module.quiz = Quiz(course=course, title=f"Evaluación {m}", pass_mark=70)
                    module.quiz.questions = [
                        Question(kind="single", text="¿Cuál es correcta?", explanation="Porque sí.", position=1,
                                 choices=[Choice(text="Esta", correct=True, position=1),
                                          Choice(text="Otra", position=2)]),
                        Question(kind="truefalse", text="El mercurio es seguro.", explanation="Es tóxico.",
                                 position=2, choices=[Choice(text="Verdadero", position=1),
                                                      Choice(text="Falso", correct=True, position=2)]),
                    ]
            db.session.add(course)
            db.session.commit()
            result = SimpleNamespace(
                id=course.id, slug=course.slug, title=course.title,
                module_ids=[m.id for m in course.modules],
                lesson_ids=[lesson.id for lesson in course.lessons()],
                quiz_ids=[q.id for q in course.quizzes()],
                answers={q.id: {qu.id: [c.id for c in qu.choices if c.correct] for qu in q.questions}
                         for q in course.quizzes()},
                wrong={q.id: {qu.id: [c.id for c in qu.choices if not c.correct][:1] for qu in q.questions}
                       for q in course.quizzes()},
            )
        return result

    return make


@pytest.fixture
def enrol(app):
    """Factory: enrol(user, course, **fields) -> enrolment id, written straight to the database."""
    from lms.learning.models import Enrolment

    def make(user, course, **fields):
        with app.app_context():
            enrolment = Enrolment(user_id=user.id, course_id=course.id, **fields)
            db.session.add(enrolment)
            db.session.commit()
            return enrolment.id

    return make
