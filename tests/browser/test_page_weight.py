"""Page weight of the learner's pages on a cold load over the network: the budgets of DESIGN.md.

Bytes are what crossed the wire (compressed bodies plus headers, CDP encodedDataLength): deterministic, not timed.
Run with -s to see the figures.
"""

import re
import uuid
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from lms.courses.models import Course, Lesson, Question, Quiz
from lms.extensions import db
from tests.browser.conftest import measure_cold_load, signed_in_state

BUDGET_BYTES = 30 * 1024
BUDGET_REQUESTS = 10
ONE_YEAR = 365 * 24 * 3600


def heaviest(app, sensitive: bool) -> SimpleNamespace:
    """Among (non-)sensitive courses: the one with the longest lesson, that lesson and its longest quiz."""
    with app.app_context():
        course_id, slug, lesson = db.session.execute(
            select(Lesson.course_id, Course.slug, Lesson.slug).join(Course).where(Course.sensitive.is_(sensitive))
            .order_by(func.length(Lesson.body).desc()).limit(1)).one()
        quiz_id = db.session.scalar(select(Quiz.id).join(Question).where(Quiz.course_id == course_id)
                                    .group_by(Quiz.id).order_by(func.count().desc(), Quiz.id).limit(1))
        questions = db.session.scalars(select(Question).where(Question.quiz_id == quiz_id)).all()
        answers = {f"q{q.id}": [c.id for c in q.choices if c.correct] for q in questions}
    return SimpleNamespace(id=course_id, slug=slug, lesson=lesson, quiz_id=quiz_id, answers=answers)


@pytest.fixture
def learner_pages(app, live_server, browser, library, make_user, enrol, client_for):
    """The learner's pages on the real library (the longest lessons, the longest quiz, her result, her courses)
    and her signed-in storage state."""
    learner = make_user(full_name="Sonia Alanoca Ccori")
    course, private = heaviest(app, sensitive=False), heaviest(app, sensitive=True)
    enrol(learner, course)
    enrol(learner, private)
    quiz = f"/aprender/{course.slug}/evaluacion/{course.quiz_id}"
    client_for(learner).post(quiz, data={"token": uuid.uuid4().hex, **course.answers})
    paths = {"catálogo": "/cursos", "curso": f"/cursos/{course.slug}", "lección": f"/aprender/{course.slug}/"
             f"{course.lesson}", "lección (sensible)": f"/aprender/{private.slug}/{private.lesson}",
             "evaluación": quiz, "resultado": f"{quiz}/intento/1", "mis cursos": "/mis-cursos"}
    return paths, signed_in_state(browser, live_server, learner)


def is_media(url: str) -> bool:
    """Course files (covers, audio, PDFs) under /media/: outside the page budget ("no media"), reported apart."""
    return urlsplit(url).path.startswith("/media/")


def test_learner_pages_stay_within_30_kb_and_10_requests_on_a_cold_load(browser, live_server, learner_pages):
    paths, state = learner_pages
    print(f"\n  {'page':<19} {'path':<58} {'bytes':>6} {'+media':>6} requests")
    for name, path in paths.items():
        transfer = measure_cold_load(browser, live_server + path, storage_state=state)
        page_bytes, media_bytes = transfer.bytes_of(lambda url: not is_media(url)), transfer.bytes_of(is_media)
        print(f"  {name:<19} {path:<58} {page_bytes:>6} {media_bytes:>6} {transfer.requests:>8}")
        assert transfer.urls and transfer.urls[0] == live_server + path, f"{name}: not signed in? {transfer.urls}"
        assert transfer.requests <= BUDGET_REQUESTS, (name, transfer.urls)
        assert page_bytes <= BUDGET_BYTES, (name, transfer.sizes)
        assert all(url.startswith(live_server + "/") for url in transfer.urls), f"{name}: external request"


def test_pages_and_their_css_are_compressed_and_static_files_fingerprinted_and_cached_a_year(
        browser, live_server, learner_pages):
    paths, state = learner_pages
    context = browser.new_context(storage_state=state, extra_http_headers={"Accept-Encoding": "gzip, deflate, br"})
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    for path in (paths["catálogo"], paths["lección"], "/login"):
        page.goto(live_server + path, wait_until="networkidle")
    context.close()

    documents = [r for r in responses if r.request.resource_type == "document"]
    assert len(documents) == 3
    statics = [r for r in responses if urlsplit(r.url).path.startswith("/static/")]
    assert any(r.url.endswith(".css") or "/css/" in r.url for r in statics), "the stylesheet was loaded"
    for response in documents + [r for r in statics if "/css/" in r.url]:
        assert response.headers.get("content-encoding") in ("gzip", "br"), (response.url, response.headers)
    for response in statics:
        version = parse_qs(urlsplit(response.url).query).get("v", [""])[0]
        assert re.fullmatch(r"[0-9a-f]{8,}", version), f"{response.url} carries no content hash"
        max_age = re.search(r"max-age=(\d+)", response.headers.get("cache-control", ""))
        assert max_age and int(max_age.group(1)) >= ONE_YEAR, (response.url, response.headers.get("cache-control"))
