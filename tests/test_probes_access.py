"""Access probes over HTTP: IDOR on every object route, CSRF with someone else's token, path traversal on file
routes and open redirects."""

import hashlib
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from lms.accounts.models import Cohort, User
from lms.certificates.models import Certificate
from lms.courses.models import Course, Lesson, Media, Question
from lms.extensions import db
from lms.learning.models import Enrolment, QuizAttempt
from lms.workshops.models import Attendance, Workshop
from tests.test_security import concrete_urls

# the public check of a certificate by its code; Open Badges documents any verifier must fetch (a course's
# achievement, the revocation list): public by design, no personal data
PUBLIC_BY_CODE = {"certificates.verify_code", "badges.achievement", "badges.status_list"}


def _media(app, folder: Path, course_id: int, data: bytes = b"\x89PNG\r\n\x1a\n" + b"p" * 64) -> int:
    stored = hashlib.sha256(data + str(course_id).encode()).hexdigest()[:20] + ".png"
    (folder / stored).write_bytes(data)
    with app.app_context():
        media = Media(course_id=course_id, kind="image", filename="foto.png", stored_name=stored,
                      content_type="image/png", size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
        db.session.add(media)
        db.session.commit()
        return media.id


def _complete(client, course) -> None:
    """The learner's own path through a course: enrol, every lesson, every quiz passed."""
    client.post(f"/aprender/{course.slug}/inscribirme")
    for module in range(1, len(course.module_ids) + 1):
        client.post(f"/aprender/{course.slug}/leccion-{module}-1/completar")
    for quiz_id in course.quiz_ids:
        client.post(f"/aprender/{course.slug}/evaluacion/{quiz_id}",
                    data={"token": hashlib.md5(str(quiz_id).encode()).hexdigest(),  # noqa: S324 - a form token
                          **{f"q{q}": c for q, c in course.answers[quiz_id].items()}})


def _side(app, trainer, learner, course, draft, folder) -> SimpleNamespace:
    """One trainer's objects: a cohort, a workshop with attendance, files of a draft course."""
    with app.app_context():
        cohort = Cohort(name=f"Grupo de {trainer.username}", trainers=[db.session.get(User, trainer.id)],
                        members=[db.session.get(User, learner.id)])
        workshop = Workshop(course_id=course.id, place="Local comunal", starts_at=datetime(2026, 3, 15, 14, 30))
        db.session.add_all([cohort, workshop])
        db.session.flush()
        db.session.add(Attendance(workshop_id=workshop.id, user_id=learner.id, present=True))
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id,
                                                              Enrolment.course_id == course.id))
        cert = db.session.scalar(select(Certificate).where(Certificate.enrolment_id == enrolment.id))
        question = db.session.scalar(select(Question.id).where(Question.quiz_id == course.quiz_ids[0]))
        ids = SimpleNamespace(cohort_id=cohort.id, workshop_id=workshop.id, cert_id=cert.id, code=cert.code,
                              question_id=question)
        db.session.commit()
    media_id = _media(app, folder, draft.id)
    with app.app_context():
        db.session.get(Lesson, draft.lesson_ids[0]).attachments = [db.session.get(Media, media_id)]
        db.session.get(Course, draft.id).cover_id = media_id
        db.session.commit()
    return SimpleNamespace(course=course, draft=draft, media_id=media_id, learner=learner, trainer=trainer, **vars(ids))


@pytest.fixture
def sides(app, make_user, make_course, client_for, tmp_path):
    """Trainer A and trainer B, each with a published course (learner who completed it: attempt, certificate),
    a draft course with a file, a cohort and a workshop; plus A's second learner, enrolled but without attempts."""
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    result = {}
    for side in ("a", "b"):
        trainer, learner = make_user(role="trainer"), make_user()
        course = make_course(trainers=[trainer], modules=1, lessons=1)
        draft = make_course(trainers=[trainer], modules=1, lessons=1, status="draft")
        clients = SimpleNamespace(trainer=client_for(trainer), learner=client_for(learner))
        _complete(clients.learner, course)
        result[side] = _side(app, trainer, learner, course, draft, tmp_path)
        result[side].clients = clients
    result["admin"] = client_for(make_user(role="admin"))
    classmate = make_user()
    result["classmate"] = client_for(classmate)
    result["classmate"].post(f"/aprender/{result['a'].course.slug}/inscribirme")
    return SimpleNamespace(**result)


def _values_for(rule, side) -> dict:
    """Placeholder values of `rule` pointing at `side`'s objects."""
    course = side.draft if rule.endpoint.startswith("courses.") else side.course
    values = {"course_id": course.id, "module_id": course.module_ids[0], "lesson_id": course.lesson_ids[0],
              "quiz_id": course.quiz_ids[0], "question_id": side.question_id, "media_id": side.media_id,
              "cert_id": side.cert_id, "cohort_id": side.cohort_id, "user_id": side.learner.id,
              "workshop_id": side.workshop_id, "number": 1, "slug": course.slug, "lesson_slug": "leccion-1-1",
              "kind": "module" if "item_id" in rule.arguments else "audio", "item_id": course.module_ids[0],
              "key": "members" if "cohort" in rule.endpoint else "grid", "fmt": "csv", "code": side.code, "list_id": 1,
              "language": "qu"}
    return {arg: values[arg] for arg in rule.arguments}


def status_of(client, url: str, method: str = "GET", **kwargs) -> int:
    """The status of a request, its body read and any file behind it closed (as a server does)."""
    response = client.open(url, method=method, **kwargs)
    response.get_data()
    response.close()
    return response.status_code


def object_routes(app):
    """Every rule with an integer argument (an object id), with the methods it answers."""
    return [(rule, sorted(rule.methods & {"GET", "POST"})) for rule in app.url_map.iter_rules()
            if any(isinstance(c, IntegerConverter) for c in rule._converters.values())]


def snapshot(app) -> dict:
    """Every row of every table except the audit log and sign-in times (refusals write neither)."""
    with app.app_context():
        return {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
                for table in db.metadata.sorted_tables if table.name != "audit_event"}


def test_every_object_route_refuses_another_trainer_and_another_learner(app, sides):
    before, checked = snapshot(app), 0
    with app.test_request_context():
        urls = [(rule, methods, url_for(rule.endpoint, **_values_for(rule, sides.a)))
                for rule, methods in object_routes(app)]
    assert len(urls) > 50
    for rule, methods, url in urls:  # the ids are right: A's trainer or A's learner gets each page
        if "GET" in methods and rule.endpoint != "courses.cover":  # a draft's cover is shown to no one
            owners = (sides.a.clients.trainer, sides.a.clients.learner, sides.admin)
            assert {status_of(c, url) for c in owners} & {200, 302}, url
    for rule, methods, url in urls:  # no exemption: nothing of A's is B's
        if rule.endpoint in PUBLIC_BY_CODE:
            continue
        for method in methods:
            for who, client in (("trainer B", sides.b.clients.trainer), ("learner B", sides.b.clients.learner)):
                status = status_of(client, url, method, data={})
                assert status in (403, 404), (who, method, url, status)
                checked += 1
    assert checked > 100
    assert snapshot(app) == before


def test_trainer_b_cannot_reach_a_objects_through_her_own_course(app, sides):
    """Mixed ids: B's own course (which she may edit) with A's module, lesson, quiz, question, file or learner."""
    before, checked = snapshot(app), 0
    with app.test_request_context():
        for rule, methods in object_routes(app):
            if "course_id" not in rule.arguments or len(rule.arguments - {"course_id", "kind", "key", "fmt"}) == 0:
                continue
            values = _values_for(rule, sides.a) | {"course_id": sides.b.course.id}
            url = url_for(rule.endpoint, **values)
            for method in methods:
                status = status_of(sides.b.clients.trainer, url, method, data={})
                assert status == 404, (method, url, status)
                checked += 1
    assert checked > 15
    assert snapshot(app) == before


def test_a_learner_cannot_see_a_classmates_attempt_or_certificate(app, sides):
    a = sides.a
    quiz = a.course.quiz_ids[0]
    assert a.clients.learner.get(f"/aprender/{a.course.slug}/evaluacion/{quiz}/intento/1").status_code == 200
    assert status_of(a.clients.learner, f"/certificados/{a.cert_id}.pdf") == 200
    assert sides.classmate.get(f"/aprender/{a.course.slug}/evaluacion/{quiz}/intento/1").status_code == 404
    assert status_of(sides.classmate, f"/certificados/{a.cert_id}.pdf") == 404
    for client in (sides.classmate, sides.b.clients.learner, sides.b.clients.trainer):
        assert status_of(client, f"/certificados/{a.cert_id}.pdf") == 404
        assert client.get(f"/manage/teaching/{a.course.id}/participantes/{a.learner.id}").status_code in (403, 404)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(QuizAttempt.id))) == 2  # A's and B's learners only


# ---- CSRF ------------------------------------------------------------------------------------------------

def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def post_routes(app) -> list[str]:
    return [url for _rule, url in concrete_urls(app, "POST")]


def test_every_post_with_another_sessions_csrf_token_is_refused(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    admin, trainer = make_user(role="admin"), make_user(role="trainer")
    victim, colleague, stranger = app.test_client(), app.test_client(), app.test_client()
    for client, user in ((victim, admin), (colleague, trainer)):
        token = csrf_token(client)
        assert client.post("/login", data={"login": user.username, "secret": user.password,
                                           "csrf_token": token}).status_code == 302
    foreign = {"anonymous visitor": csrf_token(stranger), "signed-in trainer": csrf_token(colleague, "/perfil"),
               "forged": csrf_token(victim, "/perfil")[:-4] + "AAAA"}
    urls = post_routes(app)
    assert len(urls) > 40
    for url in urls:
        for whose, token in foreign.items():
            response = victim.post(url, data={"csrf_token": token})
            assert response.status_code == 400, (url, whose)
            assert "La página caducó" in response.get_data(as_text=True), (url, whose)
    own = csrf_token(victim, "/perfil")
    assert victim.post("/idioma", data={"lang": "es", "csrf_token": own}).status_code == 302  # the control


# ---- path traversal --------------------------------------------------------------------------------------

TRAVERSALS = ["..%2f..%2fconfig.py", "%2e%2e/%2e%2e/config.py", "%252e%252e%252fconfig.py", "..%5c..%5cconfig.py",
              "....//....//config.py", "%2fetc%2fpasswd", "/etc/passwd", "..%c0%af..%c0%afconfig.py",
              "css/../../../config.py", "css/%2e%2e/%2e%2e/%2e%2e/config.py", "%00../config.py",
              "C:%5cWindows%5cwin.ini"]
SECRETS = (b"DEFAULT_SECRET_KEY", b"root:x:0:0", b"[fonts]", b"SQLALCHEMY_DATABASE_URI")


def test_file_routes_refuse_path_traversal(app, sides):
    clients = (app.test_client(), sides.a.clients.learner, sides.admin)
    a = sides.a
    templates = ["/static/{t}", "/media/{t}", "/media/1/{t}", f"/media/{a.media_id}/{{t}}", "/certificados/{t}.pdf",
                 "/certificados/{t}", f"/manage/reports/courses/{a.course.id}/{{t}}.csv",
                 f"/manage/reports/courses/{a.course.id}/grid.{{t}}", "/manage/reports/network/{t}.xlsx",
                 "/manage/certificates/course/{t}.csv", "/perfil/{t}", "/verify/{t}"]
    for template in templates:
        for traversal in TRAVERSALS:
            url = template.format(t=traversal)
            for client in clients:
                response = client.get(url)
                body = response.get_data()
                response.close()
                if response.status_code in (302, 308):  # signing in, or werkzeug merging slashes: stays here
                    location = response.headers["Location"].removeprefix("http://localhost")
                    assert is_local(location), (url, location)
                else:
                    assert response.status_code in (400, 403, 404, 429), (url, response.status_code)
                assert not any(secret in body for secret in SECRETS), url
    assert status_of(clients[0], "/static/css/site.css") == 200  # the control: static files are served


def test_a_stored_name_with_a_path_never_leaves_the_upload_folder(app, sides, tmp_path):
    outside = tmp_path.parent / "outside-secret.txt"
    outside.write_text("DEFAULT_SECRET_KEY")
    for stored in (f"../{outside.name}", str(outside), f"..\\{outside.name}", "../../../../etc/passwd"):
        with app.app_context():
            media = db.session.get(Media, sides.a.media_id)
            media.stored_name = stored
            db.session.commit()
        response = sides.a.clients.trainer.get(f"/media/{sides.a.media_id}")
        assert response.status_code == 404 and b"DEFAULT_SECRET_KEY" not in response.get_data(), stored


# ---- open redirects --------------------------------------------------------------------------------------

REDIRECTS = ["//evil.example", "/\\evil.example", "/\t/evil.example", "/%09/evil.example", "\t//evil.example",
             "/\n/evil.example", "/\r\n/evil.example", "https:evil.example", "http://evil.example",
             "javascript:alert(1)", "/%2F/evil.example", "\\\\evil.example", " //evil.example", "/\u3000/evil.example",
             "///evil.example", "/\x00/evil.example"]


def is_local(location: str) -> bool:
    """A path on this site, also after a browser drops tabs and newlines and reads backslashes as slashes."""
    seen = re.sub(r"[\t\n\r]", "", location).replace("\\", "/")
    return seen.startswith("/") and not seen.startswith("//") and location.isprintable()


@pytest.mark.parametrize("target", REDIRECTS)
def test_sign_in_and_language_switch_never_send_anyone_to_another_site(app, make_user, login, target):
    user = make_user()
    client = app.test_client()
    response = login(client, user.username, user.password, query_string={"next": target})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert is_local(response.headers["Location"]), repr(response.headers["Location"])
    response = client.post("/idioma", data={"lang": "es", "next": target})
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert is_local(response.headers["Location"]), repr(response.headers["Location"])
