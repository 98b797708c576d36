"""SQL metacharacters, NUL bytes, huge numbers and odd Unicode in every form field and query parameter.

Never a 500, nothing deleted or escalated afterwards, and id filters that get junk answer gracefully.
"""

from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from lms.accounts.models import Cohort, User
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.workshops.models import Workshop

PAYLOADS = ["' OR 1=1 --", '"; DROP TABLE "user"; --', "%", "_", "\\", "a\x00b", "x" * 3000, "ñ" * 80,
            "ñÑ漢字🙂\u202e", "-1", "0", "99999999999999999999999999", "9999-12-31", "0001-01-01", "2026-02-30", "²",
            "1e9", "None", "[]", "../../etc/passwd"]
QUERY_PAYLOADS = [p for p in PAYLOADS if p not in ("0", "None", "[]", "1e9", "2026-02-30", "0001-01-01")]
QUERY_PARAMETERS = ("q", "page", "cohort", "course", "from", "to", "region", "theme", "person", "action", "before",
                    "code", "enrolment", "download", "next")
# Routes whose POST destroys or closes something: probed for access elsewhere, not filled with junk here.
DESTRUCTIVE = ("/delete", "/remove", "/retirar", "/anonymise", "/logout", "/reset", "/role", "/idioma")


class _Forms(HTMLParser):
    """The POST forms of a page: action and fields (name -> default value, and whether it is free text)."""

    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.path, self.forms, self.links, self._select = path, [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.forms.append(SimpleNamespace(action=a.get("action") or self.path, fields={}, files=False))
        if not self.forms or not a.get("name"):
            return
        fields = self.forms[-1].fields
        if tag == "input" and a.get("type") == "file":
            self.forms[-1].files = True
        elif tag == "input" and a.get("type") in ("checkbox", "radio"):
            fields.setdefault(a["name"], a.get("value", "y") if "checked" in a else None)
        elif tag in ("input", "textarea", "button"):
            fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
            fields.setdefault(a["name"], None)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None

    def handle_starttag_option(self, attrs):
        pass


def post_forms(client, path: str) -> tuple[list, list]:
    page = client.get(path)
    assert page.status_code < 500, path
    if page.mimetype != "text/html":
        return [], []
    parser = _Forms(path)
    parser.feed(page.get_data(as_text=True))
    return [form for form in parser.forms], parser.links


def _counts(app) -> dict:
    with app.app_context():
        return {table.name: set(db.session.execute(select(*table.primary_key.columns)).all())
                for table in db.metadata.sorted_tables}


def _roles(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(User.id, User.role)).all())


def _assert_nothing_lost(app, before: dict, roles: dict) -> None:
    after = _counts(app)
    for table, keys in before.items():
        assert keys <= after[table], f"rows gone from {table}: {keys - after[table]}"
    now = _roles(app)
    assert all(now[user_id] == role for user_id, role in roles.items()), "a role changed"


@pytest.fixture
def world(app, make_user, make_course, client_for):
    """An admin, a trainer with a course (enrolled learner, certificate), a cohort and a workshop."""
    admin, trainer, learner, other = make_user(role="admin"), make_user(role="trainer"), make_user(), make_user()
    make_user()  # not enrolled: the trainer's «inscribir» search offers her
    course = make_course(trainers=[trainer], modules=1, lessons=1, enrolment_key="clave-1")
    learner_client = client_for(learner)
    learner_client.post(f"/aprender/{course.slug}/inscribirme")
    client_for(other).post(f"/aprender/{course.slug}/inscribirme")
    learner_client.post(f"/aprender/{course.slug}/leccion-1-1/completar")
    quiz_id = course.quiz_ids[0]
    learner_client.post(f"/aprender/{course.slug}/evaluacion/{quiz_id}", data={
        "token": "b" * 32, **{f"q{q}": choices for q, choices in course.answers[quiz_id].items()}})
    with app.app_context():
        cohort = Cohort(name="Grupo de prueba", trainers=[db.session.get(User, trainer.id)],
                        members=[db.session.get(User, learner.id)])
        db.session.add(cohort)
        db.session.flush()
        from datetime import datetime

        db.session.add(Workshop(course_id=course.id, cohort_id=cohort.id, place="Local comunal",
                                starts_at=datetime(2026, 3, 15, 14, 30)))
        db.session.commit()
        assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.completed_at.is_not(None))) == 1
        cohort_id = cohort.id
    return SimpleNamespace(admin=client_for(admin), trainer=client_for(trainer), learner=learner_client,
                           course=course, learner_user=learner, cohort_id=cohort_id)


def _endpoints_pages(app, client, starts) -> list[str]:
    """One GET URL per endpoint reachable from `starts` (by following links)."""
    seen_rules, urls, queue, visited = set(), [], list(starts), set()
    adapter = app.url_map.bind("localhost")
    while queue:
        url = queue.pop(0).split("#")[0]
        parts = urlsplit(url)
        if parts.netloc or not url.startswith("/") or parts.path in visited or parts.path.startswith(
                ("/static/", "/logout")):
            continue
        visited.add(parts.path)
        try:
            endpoint, _args = adapter.match(parts.path, method="GET")
        except HTTPException:  # a link that is not a page of this app
            continue
        if endpoint not in seen_rules:
            seen_rules.add(endpoint)
            urls.append(parts.path)
        response = client.get(parts.path)
        if response.mimetype == "text/html":
            parser = _Forms(parts.path)
            parser.feed(response.get_data(as_text=True))
            queue.extend(parser.links)
    return urls


class Probe:
    """Sends requests and collects every server error (an exception in testing) instead of stopping at one."""

    def __init__(self):
        self.failures = []

    def __call__(self, client, method: str, url: str, payload: str = "", **kwargs):
        try:
            response = client.open(url, method=method, **kwargs)
        except Exception as error:  # noqa: BLE001 - a 500: recorded with what caused it
            self.failures.append((method, url, repr(payload[:30]), type(error).__name__, str(error)[:120]))
            return None
        if response.status_code >= 500:
            self.failures.append((method, url, repr(payload[:30]), response.status_code))
        return response

    def check(self):
        assert not self.failures, "\n".join(map(str, sorted(set(self.failures))))


def test_query_parameters_with_sql_metacharacters_never_break_a_page(app, world):
    before, roles, probe = _counts(app), _roles(app), Probe()
    urls = _endpoints_pages(app, world.admin, ["/inicio", "/manage/reports/network", "/manage/reports/audit",
                                               f"/manage/reports/courses/{world.course.id}"])
    urls += [f"/manage/reports/courses/{world.course.id}/grid.csv", "/manage/reports/network/courses.xlsx"]
    assert len(urls) > 40
    for payload in QUERY_PAYLOADS:
        query = dict.fromkeys(QUERY_PARAMETERS, payload)
        for url in urls:
            probe(world.admin, "GET", url, payload, query_string=query)
        for url in ("/cursos", f"/cursos/{world.course.slug}", "/mis-cursos", "/verify", "/perfil"):
            probe(world.learner, "GET", url, payload, query_string=query)
    probe.check()
    _assert_nothing_lost(app, before, roles)


def _fuzzed(form, payload: str) -> dict:
    """Every field of the form set to the payload (checkboxes and selects too: the server must refuse junk)."""
    return {name: payload for name in form.fields if name != "csrf_token"}


def _forms_of(client, pages: list[str]) -> list:
    found = {}
    for path in pages:
        forms, _links = post_forms(client, path)
        for form in forms:
            if not any(word in form.action for word in DESTRUCTIVE):
                found.setdefault(form.action, form)
    return list(found.values())


def test_every_form_field_with_sql_metacharacters_is_refused_or_stored_harmlessly(app, world):
    before, roles, probe = _counts(app), _roles(app), Probe()
    pages = _endpoints_pages(app, world.admin, ["/inicio", f"/manage/courses/{world.course.id}"])
    pages += [f"/manage/courses/{world.course.id}/modules/{world.course.module_ids[0]}/quiz",
              f"/manage/certificates/course/{world.course.id}/issue", "/manage/courses/themes/new",
              f"/manage/cohorts/{world.cohort_id}?q=Persona", f"/manage/teaching/{world.course.id}/inscribir?q=Persona",
              f"/manage/courses/{world.course.id}/quizzes/{world.course.quiz_ids[0]}/questions/new"]
    admin_forms = _forms_of(world.admin, pages)
    learner_forms = _forms_of(world.learner, ["/perfil", "/pin", f"/cursos/{world.course.slug}",
                                              f"/aprender/{world.course.slug}/clave",
                                              f"/aprender/{world.course.slug}/evaluacion/{world.course.quiz_ids[0]}"])
    anonymous = app.test_client()
    anonymous_forms = _forms_of(anonymous, ["/login", "/register"])
    assert len(admin_forms) > 20, [f.action for f in admin_forms]
    for payload in PAYLOADS:
        for client, forms in ((world.admin, admin_forms), (world.learner, learner_forms),
                              (anonymous, anonymous_forms)):
            for form in forms:
                probe(client, "POST", form.action, payload, data=_fuzzed(form, payload))
    probe.check()
    _assert_nothing_lost(app, before, roles)


PATHS = ["/cursos/{p}", "/verify/{p}", "/aprender/{p}", "/aprender/{p}/{p}", "/aprender/{slug}/evaluacion/{p}",
         "/manage/reports/courses/{c}/{p}.csv", "/manage/reports/courses/{c}/grid.{p}",
         "/manage/reports/network/{p}.xlsx", "/manage/courses/{c}/{p}/{m}/move",
         "/manage/courses/{c}/lessons/{l}/files/{p}", "/manage/people/{p}", "/certificados/{p}.pdf", "/media/{p}"]


def test_path_segments_with_metacharacters_are_404_never_500(world):
    probe = Probe()
    for path in PATHS:
        for payload in QUERY_PAYLOADS:
            url = path.format(p=quote(payload, safe=""), slug=world.course.slug, c=world.course.id,
                              m=world.course.module_ids[0], l=world.course.lesson_ids[0])
            for client in (world.admin, world.learner):
                response = probe(client, "POST" if url.endswith("/move") else "GET", url, payload)
                assert response is None or response.status_code in (200, 302, 400, 403, 404, 405, 429), url
    probe.check()


def test_ids_beyond_what_a_column_holds_are_not_found(world):
    for url in ("/manage/people/2147483648", "/manage/courses/99999999999999999999999",
                f"/aprender/{world.course.slug}/evaluacion/1/intento/{'9' * 20}", "/media/18446744073709551616",
                "/manage/certificates/9223372036854775808", "/certificados/9223372036854775807.pdf"):
        assert world.admin.get(url).status_code == 404, url
    assert world.admin.get("/manage/people/2147483647").status_code == 404


def test_id_filters_with_junk_fall_back_to_everything(world):
    course = world.course.id
    for query in ({"cohort": "abc"}, {"cohort": "-1"}, {"cohort": "²"}, {"cohort": "1 OR 1=1"}, {"page": "-1"},
                  {"page": "abc"}, {"page": "0"}, {"page": str(2**40)}, {"course": "abc"}, {"before": "x"}):
        for url in (f"/manage/teaching/{course}", f"/manage/reports/courses/{course}", "/manage/certificates/",
                    "/manage/people/", "/manage/workshops/", "/manage/reports/audit"):
            response = world.admin.get(url, query_string=query)
            assert response.status_code == 200, (url, query)
    page = world.admin.get(f"/manage/teaching/{course}", query_string={"cohort": "1 OR 1=1"}).get_data(as_text=True)
    assert world.learner_user.full_name in page
    assert world.admin.get(f"/manage/reports/courses/{course}", query_string={"cohort": 999}).status_code == 404


def test_far_dates_are_refused_with_a_message(app, world):
    response = world.admin.get("/manage/reports/network", query_string={"from": "0001-01-01", "to": "9999-12-31"})
    assert response.status_code == 200 and "no es válida" in response.get_data(as_text=True)
    response = world.admin.get("/manage/reports/audit", query_string={"to": "9999-12-31"})
    assert response.status_code == 200 and "no es válida" in response.get_data(as_text=True)
    response = world.trainer.post("/manage/workshops/new", data={
        "course": world.course.id, "module": "", "day": "9999-12-31", "time": "23:59", "place": "Local"})
    assert response.status_code == 200 and "Escribe la fecha" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Workshop.id))) == 1


def test_numbers_that_are_not_ascii_digits_are_ignored_not_a_crash(app, world):
    quiz = world.course.quiz_ids[0]
    response = world.learner.post(f"/aprender/{world.course.slug}/evaluacion/{quiz}",
                                  data={"token": "c" * 32, **{f"q{q}": "²" for q in world.course.answers[quiz]}})
    assert response.status_code == 200 and "Responde todas las preguntas" in response.get_data(as_text=True)
    question = next(iter(world.course.answers[quiz]))
    response = world.admin.post(f"/manage/courses/{world.course.id}/questions/{question}/edit", data={
        "kind": "single", "text": "¿Cuál?", "choices-0-choice_id": "²", "choices-0-text": "Sí",
        "choices-0-correct": "y", "choices-1-choice_id": "99999999999999999999", "choices-1-text": "No"})
    assert response.status_code == 302
    response = world.admin.post(f"/manage/teaching/{world.course.id}/inscribir", data={"user_id": "9" * 30})
    assert response.status_code == 404
    response = world.admin.post(f"/manage/cohorts/{world.cohort_id}/members",
                                data={"user_id": ["²", "١", "9" * 30, "-3"]})
    assert response.status_code == 302


def test_nul_bytes_anywhere_in_a_request_are_a_400(world):
    assert world.admin.get("/manage/people/", query_string={"q": "a\x00"}).status_code == 400
    assert world.admin.get(f"/cursos/{world.course.slug}%00").status_code == 400
    response = world.admin.post("/manage/cohorts/new", data={"name": "Grupo\x00", "region": "puno"})
    assert response.status_code == 400 and "Solicitud no válida" in response.get_data(as_text=True)


def test_percent_and_underscore_in_search_boxes_are_searched_literally(app, world, make_user):
    make_user(full_name="Ana 100% segura")
    for q, expected in (("%", 1), ("_", 0), ("100%", 1), ("\\", 0), ("' OR 1=1 --", 0)):
        page = world.admin.get("/admin/people", query_string={"q": q}).get_data(as_text=True)
        assert page.count('href="/admin/people/') - page.count('href="/admin/people/new') == expected, q
        page = world.admin.get(f"/manage/cohorts/{world.cohort_id}", query_string={"q": q}).get_data(as_text=True)
        assert ("Ana 100% segura" in page) == bool(expected), q
    assert "Grupo de prueba" not in world.admin.get("/manage/reports/", query_string={"q": "%"}).get_data(as_text=True)
