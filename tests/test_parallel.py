"""Never lose work, never count twice: parallel requests against a real threaded server on the test database.

The test database is a FILE (SQLite) or PostgreSQL, so the requests really race in separate connections.
"""

import http.client
import http.cookiejar
import re
import threading
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion, QuizAttempt
from lms.learning.signals import enrolment_completed

AGENT = "parallel-test"


@pytest.fixture
def server(app):
    """The app served by werkzeug in a thread, on a free port; yields its port."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    thread.join(10)


def session_cookie(port: int, username: str, secret: str) -> str:
    """Sign in over HTTP and return the Cookie header of the signed-in session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", AGENT)]
    body = urllib.parse.urlencode({"login": username, "secret": secret}).encode()
    with opener.open(f"http://127.0.0.1:{port}/login", data=body, timeout=30) as response:
        assert response.status == 200 and response.url.endswith("/inicio")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def post(port: int, cookie: str, path: str, fields: dict | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=urllib.parse.urlencode(fields or {}, doseq=True),
                           headers={"Cookie": cookie, "User-Agent": AGENT,
                                    "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location", "")
    finally:
        connection.close()


def all_at_once(count: int, call) -> list:
    """Run `call()` in `count` threads released together."""
    barrier = threading.Barrier(count)

    def go(_n):
        barrier.wait()
        return call(_n)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(go, range(count)))


@pytest.fixture
def enrolled(app, make_user, make_course, enrol, server):
    """A learner enrolled in a new course; returns (cookie, course, enrolment id)."""
    def make(**course_fields):
        learner = make_user()
        course = make_course(**course_fields)
        enrolment_id = enrol(learner, course)
        return session_cookie(server, learner.username, learner.password), course, enrolment_id
    return make


def test_20_parallel_completions_of_one_lesson_make_one_record_and_no_error(app, server, enrolled):
    cookie, course, enrolment_id = enrolled()
    path = f"/aprender/{course.slug}/leccion-1-1/completar"
    answers = all_at_once(20, lambda _n: post(server, cookie, path))
    assert {status for status, _location in answers} <= {200, 302}, answers
    assert {location for _status, location in answers} == {f"/aprender/{course.slug}/leccion-1-2"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(LessonCompletion.enrolment_id == enrolment_id)) == 1


def test_5_parallel_submits_of_one_quiz_form_make_one_attempt(app, server, enrolled):
    cookie, course, enrolment_id = enrolled()
    quiz_id = course.quiz_ids[0]
    form = {"token": uuid.uuid4().hex, **{f"q{q}": c for q, c in course.answers[quiz_id].items()}}
    answers = all_at_once(5, lambda _n: post(server, cookie, f"/aprender/{course.slug}/evaluacion/{quiz_id}", form))
    assert {status for status, _location in answers} == {302}, answers
    assert {location for _status, location in answers} == {
        f"/aprender/{course.slug}/evaluacion/{quiz_id}/intento/1"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(QuizAttempt.enrolment_id == enrolment_id)) == 1


def test_parallel_last_steps_complete_the_enrolment_once_and_signal_once(app, server, enrolled):
    cookie, course, enrolment_id = enrolled(modules=2, lessons=3, quiz=False)
    paths = [f"/aprender/{course.slug}/leccion-{m}-{k}/completar" for m in (1, 2) for k in (1, 2, 3)] * 2
    sent = []

    def receiver(enrolment, **_extra):
        sent.append(enrolment.id)

    enrolment_completed.connect(receiver)
    try:
        answers = all_at_once(len(paths), lambda n: post(server, cookie, paths[n]))
    finally:
        enrolment_completed.disconnect(receiver)
    assert {status for status, _location in answers} <= {200, 302}, answers
    assert sent == [enrolment_id]
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        assert enrolment.status == "completed" and enrolment.completed_at is not None
        assert db.session.scalar(select(func.count()).where(LessonCompletion.enrolment_id == enrolment_id)) == 6


def test_parallel_submits_of_different_forms_respect_the_attempt_limit(app, server, enrolled):
    from lms.courses.models import Quiz

    cookie, course, enrolment_id = enrolled()
    quiz_id = course.quiz_ids[0]
    with app.app_context():
        db.session.get(Quiz, quiz_id).max_attempts = 2
        db.session.commit()
    wrong = {f"q{q}": c for q, c in course.wrong[quiz_id].items()}
    answers = all_at_once(6, lambda _n: post(server, cookie, f"/aprender/{course.slug}/evaluacion/{quiz_id}",
                                              {"token": uuid.uuid4().hex, **wrong}))
    assert sorted(status for status, _location in answers) == [302, 302, 403, 403, 403, 403], answers
    with app.app_context():
        numbers = db.session.scalars(select(QuizAttempt.number).where(QuizAttempt.enrolment_id == enrolment_id))
        assert sorted(numbers) == [1, 2]
    assert all(re.search(r"/intento/[12]$", location) for status, location in answers if status == 302)


def post_file(port: int, cookie: str, path: str, name: str, data: bytes) -> tuple[int, str]:
    """A multipart/form-data POST with one file, as a browser sends it."""
    boundary = uuid.uuid4().hex
    payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
               f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=payload, headers={
            "Cookie": cookie, "User-Agent": AGENT, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_parallel_csv_imports_of_the_same_names_never_fail_and_give_each_her_own_username(
        app, server, make_user, make_course):
    """Two trainers upload lists with the same names at the same moment: each new learner gets a free username."""
    from lms.accounts.models import Role, User

    names = ["María Quispe Apaza", "Juana Ccori Huanca", "Rosa Mamani Tito", "Elena Cusi Mendoza"]
    uploads = []
    for _n in range(4):
        trainer = make_user(role="trainer")
        course = make_course(trainers=[trainer], modules=1, lessons=1, quiz=False)
        uploads.append((session_cookie(server, trainer.username, trainer.password), course))
    data = ("nombre\n" + "\n".join(names) + "\n").encode()
    answers = all_at_once(len(uploads), lambda n: post_file(server, uploads[n][0],
                                                            f"/manage/teaching/{uploads[n][1].id}/csv",
                                                            "lista.csv", data))
    assert [status for status, _page in answers] == [302] * len(uploads), [page[-400:] for _s, page in answers]
    assert all("/manage/people/hoja/" in page for _status, page in answers)  # each went on to her PIN sheet
    with app.app_context():
        usernames = list(db.session.scalars(select(User.username).where(User.role == Role.LEARNER)))
        assert len(usernames) == len(names) * len(uploads) == len(set(usernames))
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == len(names) * len(uploads)
