"""XSS probes over HTTP: payloads typed into every field that is shown back, then every page that shows them.

The data goes in through the forms people use (registration, profile, learner creation, cohorts, authoring,
workshops, CSV imports, certificates); then each actor's pages are crawled and parsed with html.parser.
"""

import csv
import io
import re
from html.parser import HTMLParser
from urllib.parse import quote, urldefrag, urlsplit

import pytest
from sqlalchemy import select

from lms.accounts.models import Cohort, User
from lms.certificates.models import Certificate
from lms.courses.models import Choice, Course, Lesson, Module, Question, Quiz, Theme
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.workshops.models import Workshop

# One string with every vector, short enough for 120-character fields (names, cohorts, places).
MIXED = "'\"><script>alert(1)</script><img src=x onerror=alert(1)><svg onload=alert(1)>X{{7*7}}Y</textarea>%(x)s"
# Where a value could end up in an href/src: it must begin with the scheme.
SCHEME = "javascript:alert(1)//X{{7*7}}Y<script>alert(2)</script>"
SHORT = "<script>alert(1)</script><svg onload=alert(1)>X{{7*7}}Y"  # for 80-character fields
PAYLOADS = {"mixed": MIXED, "scheme": SCHEME}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "background", "srcset"}
DANGEROUS_TAGS = {"iframe", "frame", "object", "embed", "base", "applet"}
SKIPPED = (".csv", ".xlsx", ".pdf", ".json")
PIN = "583920"


class _Scan(HTMLParser):
    """Collects what would run: inline or foreign scripts, on* handlers, script URLs, embedding tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.links, self.echoes = [], [], 0

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> without a local src: {values}")
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            plain = re.sub(r"[\s\x00-\x1f]+", "", value or "").lower()
            if name in URL_ATTRIBUTES and plain.startswith(("javascript:", "vbscript:", "data:text/html")):
                self.problems.append(f"script URL in {name}= on <{tag}>")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.echoes += "X{{7*7}}Y" in data
        if "X49Y" in data:
            self.problems.append("template expression evaluated (X49Y)")


def scan(html: str) -> _Scan:
    parser = _Scan()
    parser.feed(html)
    parser.close()
    if "X49Y" in html:
        parser.problems.append("template expression evaluated (X49Y)")
    return parser


def assert_safe(response, where: str = "") -> _Scan:
    """The response is not a server error and its HTML carries nothing that would run."""
    assert response.status_code < 500, (where, response.status_code)
    if not response.mimetype.startswith("text/html"):
        return _Scan()
    result = scan(response.get_data(as_text=True))
    assert not result.problems, (where or response.request.path, result.problems)
    return result


def crawl(client, starts, limit: int = 400) -> tuple[int, int]:
    """Visit every local page reachable from `starts` (GET links only), checking each.

    Returns how many pages were visited and how many showed a payload (as harmless text).
    """
    seen, queue, echoing = set(), list(starts), 0
    while queue and len(seen) < limit:
        url = urldefrag(queue.pop(0))[0]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/") or url in seen:
            continue
        if parts.path.endswith(SKIPPED) or parts.path.startswith(("/static/", "/media/")) or "download=1" in url:
            continue
        seen.add(url)
        response = client.get(url)
        result = assert_safe(response, url)
        echoing += result.echoes > 0
        queue.extend(link for link in result.links if link not in seen)
    return len(seen), echoing


def post(client, url: str, **kwargs):
    """POST, follow the redirect, check every page on the way."""
    response = client.post(url, follow_redirects=True, **kwargs)
    assert_safe(response, url)
    return response


def test_the_scanner_catches_each_payload_when_it_is_not_escaped():
    for payload in (MIXED, SCHEME, SHORT, "<a href='javascript:alert(1)'>x</a>", "<p>X49Y</p>",
                    '<iframe src="/"></iframe>', "<body onload=alert(1)>"):
        html = payload if payload.startswith("<a") else f'<a href="{payload}">{payload}</a>'
        assert scan(html).problems, payload
    assert not scan('<script src="/static/js/print.js?v=1" defer></script><a href="/cursos">x</a>').problems


def _profile(name: str, payload: str) -> dict:
    return {"full_name": name, "community": payload, "organisation": payload, "region": "puno", "language": "es"}


def _csv(rows: list[list[str]]) -> io.BytesIO:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    return io.BytesIO(buffer.getvalue().encode())


def _scalar(app, query):
    with app.app_context():
        return db.session.scalar(query)


def _build_course(app, trainer, payload: str) -> dict:
    """A course whose every text (title, summary, module, lesson, quiz, question, choices) is the payload."""
    data = {"title": payload, "summary": payload, "language": "es", "hours": "2", "self_enrol": "y",
            "require_lessons": "y", "require_quizzes": "y", "min_sessions": "0"}
    trainer.get("/manage/courses/new")
    data["theme_id"] = _scalar(app, select(Theme.id).limit(1))
    created = trainer.post("/manage/courses/new", data=data)
    course_id = int(created.headers["Location"].rsplit("/", 1)[1])
    post(trainer, f"/manage/courses/{course_id}/modules", data={"title": payload})
    module_id = _scalar(app, select(Module.id).where(Module.course_id == course_id))
    lesson = {"title": payload, "module_id": module_id, "minutes": "5",
              "body": f"{payload}\n\n[enlace](javascript:alert(1)) <b onclick=alert(1)>x</b> ![i](x onerror=alert(1))"}
    base = f"/manage/courses/{course_id}"
    assert_safe(trainer.post(f"{base}/modules/{module_id}/lessons/new", data={**lesson, "action": "preview"}))
    post(trainer, f"{base}/modules/{module_id}/lessons/new", data=lesson)
    post(trainer, f"{base}/modules/{module_id}/quiz", data={"title": payload, "pass_mark": "70", "max_attempts": "0"})
    quiz_id = _scalar(app, select(Quiz.id).where(Quiz.course_id == course_id))
    post(trainer, f"{base}/quizzes/{quiz_id}/questions/new", data={
        "kind": "single", "text": payload, "explanation": payload, "truth": "true",
        "choices-0-text": payload + "a", "choices-0-correct": "y", "choices-1-text": payload + "b"})
    post(trainer, f"{base}/status", data={"action": "publish"})
    slug = _scalar(app, select(Course.slug).where(Course.id == course_id))
    lesson_slug = _scalar(app, select(Lesson.slug).where(Lesson.course_id == course_id))
    return {"id": course_id, "slug": slug, "lesson_slug": lesson_slug, "module_id": module_id, "quiz_id": quiz_id}


def _learner_completes(app, learner, course: dict) -> None:
    post(learner, f"/aprender/{course['slug']}/inscribirme")
    post(learner, f"/aprender/{course['slug']}/{course['lesson_slug']}/completar")
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.quiz_id == course["quiz_id"]))
        right = db.session.scalar(select(Choice.id).where(Choice.question_id == question.id, Choice.correct))
    post(learner, f"/aprender/{course['slug']}/evaluacion/{course['quiz_id']}",
         data={f"q{question.id}": str(right), "token": "a" * 32})


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_payloads_in_every_shown_field_never_come_back_executable(app, make_user, client_for, make_course, login,
                                                                    payload):
    admin_user, trainer_user = make_user(role="admin"), make_user(role="trainer", region="puno")
    admin, trainer = client_for(admin_user), client_for(trainer_user)

    # A learner registers herself, then edits her profile (name, community, organisation).
    learner = app.test_client()
    post(learner, "/register", data={**_profile(payload, payload), "username": "xss.learner", "secret": PIN,
                                     "confirm": PIN, "consent": "y"})
    post(learner, "/perfil", data=_profile(payload, payload))
    learner_id = _scalar(app, select(User.id).where(User.username == "xss.learner"))

    # A trainer creates a learner and a cohort; an admin adds a theme.
    post(trainer, "/manage/people/new", data=_profile(payload, payload))
    post(trainer, "/manage/cohorts/new", data={"name": payload, "region": "puno", "trainers": [trainer_user.id]})
    cohort_id = _scalar(app, select(Cohort.id).limit(1))
    post(trainer, f"/manage/cohorts/{cohort_id}/members", data={"user_id": [learner_id]})
    post(admin, "/manage/courses/themes/new", data={"name": SHORT, "name_en": SHORT})

    # The whole course is written with payloads, then workshops, attendance and CSV imports.
    course = _build_course(app, trainer, payload)
    base = "/manage/workshops"
    post(trainer, f"{base}/new", data={"course": course["id"], "module": "", "day": "2026-03-15", "time": "09:30",
                                       "place": payload, "cohort": cohort_id})
    workshop_id = _scalar(app, select(Workshop.id).limit(1))
    post(trainer, f"{base}/{workshop_id}/import",
         data={"file": (_csv([["usuario", "presente"], [payload, "si"]]), "asistencia.csv")})
    post(trainer, f"{base}/{workshop_id}/import",
         data={"file": (_csv([["usuario", "presente"], ["xss.learner", payload]]), "asistencia.csv")})
    teaching = f"/manage/teaching/{course['id']}/csv"
    post(trainer, teaching, data={"file": (_csv([["nombre", "region", "comunidad"], [payload, payload, payload]]),
                                           "malo.csv")})
    post(trainer, teaching, data={"file": (_csv([["nombre", "comunidad", "grupo"], [payload, payload, payload]]),
                                           "lista.csv")})
    post(trainer, teaching, data={"file": (_csv([[payload, "nombre"], ["a", "b"]]), "cabecera.csv")})

    # The learner studies and passes: a certificate with her name; she renames herself; it is reissued, revoked.
    _learner_completes(app, learner, course)
    post(learner, "/perfil", data=_profile(payload[::-1][:120], payload))
    with app.app_context():
        cert_id = db.session.scalar(select(Certificate.id).join(Enrolment).where(Enrolment.user_id == learner_id))
    post(admin, f"/manage/certificates/{cert_id}/reissue")
    new_id = _scalar(app, select(Certificate.id).where(Certificate.id != cert_id).order_by(Certificate.id.desc()))
    post(admin, f"/manage/certificates/{new_id}/revoke", data={"reason": payload})
    created_id = _scalar(app, select(User.id).where(User.id != learner_id, User.role == "learner").limit(1))
    post(trainer, f"/manage/teaching/{course['id']}/inscribir", data={"user_id": created_id})
    enrolment_id = _scalar(app, select(Enrolment.id).where(Enrolment.user_id == created_id))
    post(trainer, f"/manage/certificates/course/{course['id']}/issue",
         data={"enrolment": enrolment_id, "reason": payload})

    # A course with a key: the wrong key typed is shown back.
    keyed = make_course(trainers=[trainer_user], enrolment_key="clave-de-prueba")
    post(learner, f"/aprender/{keyed.slug}/clave", data={"key": payload[:40]})

    # Search boxes and filters echo what was typed.
    searches = {"q": payload}
    for url in ("/cursos", "/manage/people/", f"/manage/cohorts/{cohort_id}", "/manage/reports/",
                f"/manage/teaching/{course['id']}/inscribir"):
        assert_safe(trainer.get(url, query_string=searches), url)
    assert_safe(admin.get("/admin/people", query_string=searches))
    assert_safe(admin.get("/manage/reports/audit", query_string={"person": payload, "action": payload,
                                                                  "from": payload, "to": payload}))
    assert_safe(admin.get("/manage/reports/network", query_string={"region": payload, "theme": payload,
                                                                    "course": payload, "from": payload,
                                                                    "to": payload}))
    assert_safe(admin.get("/manage/certificates/", query_string={"course": payload}))
    assert_safe(trainer.get(f"/manage/teaching/{course['id']}", query_string={"cohort": payload}))
    anonymous = app.test_client()
    assert_safe(anonymous.get("/verify", query_string={"code": payload}))
    assert_safe(anonymous.get("/login", query_string={"next": payload}))
    assert_safe(anonymous.post("/login", data={"login": payload[:40], "secret": payload}))
    for path in (f"/{quote(payload)}", f"/cursos/{quote(payload)}", f"/verify/{quote(payload)}"):
        assert_safe(anonymous.get(path), path)  # error pages

    # Every page each person can reach, including the public verification pages of both certificates.
    codes = _scalar(app, select(db.func.count(Certificate.id)))
    assert codes >= 3
    with app.app_context():
        verify = [f"/verify/{code}" for code in db.session.scalars(select(Certificate.code))]
    tallies = [crawl(admin, ["/inicio", "/admin/people", "/manage/reports/network", "/manage/reports/audit",
                             f"/manage/reports/courses/{course['id']}", f"/manage/reports/cohorts/{cohort_id}",
                             f"/manage/certificates/{cert_id}", f"/manage/certificates/{new_id}",
                             "/manage/courses/themes/new", f"/manage/people/{learner_id}"]),
               crawl(trainer, ["/inicio", f"/manage/workshops/{workshop_id}/sheet",
                               f"/manage/teaching/{course['id']}/participantes/{learner_id}"]),
               crawl(learner, ["/inicio", "/mis-cursos", "/perfil", f"/cursos/{course['slug']}",
                               f"/aprender/{course['slug']}/evaluacion/{course['quiz_id']}/intento/1"]),
               crawl(anonymous, ["/", "/cursos", f"/cursos/{course['slug']}", *verify])]
    print("pages visited, pages showing a payload, per actor:", tallies)
    assert sum(pages for pages, _echo in tallies) > 80
    assert all(echoing for _pages, echoing in tallies)
    assert sum(echoing for _pages, echoing in tallies) > 40
    _assert_payloads_were_stored(app, payload)


def _assert_payloads_were_stored(app, payload: str) -> None:
    """The probe is only worth something if the payloads really went in."""
    from lms.certificates.models import CertificateStatus

    with app.app_context():
        assert db.session.scalar(select(db.func.count(User.id)).where(User.community == payload)) >= 3
        assert db.session.scalar(select(db.func.count(Cohort.id)).where(Cohort.name == payload)) >= 1
        assert db.session.scalar(select(Course.title).where(Course.title == payload)) == payload
        assert db.session.scalar(select(Theme.id).where(Theme.name == SHORT))
        assert db.session.scalar(select(db.func.count(Workshop.id)).where(Workshop.place == payload)) >= 1
        assert db.session.scalar(select(db.func.count(Question.id)).where(Question.text == payload)) >= 1
        revoked = db.session.scalar(select(Certificate).where(Certificate.status == CertificateStatus.REVOKED))
        assert revoked.revoked_reason == payload and revoked.learner_name == payload[::-1][:120]
        assert db.session.scalar(select(db.func.count(Certificate.id)).where(Certificate.learner_name == payload)) == 2
