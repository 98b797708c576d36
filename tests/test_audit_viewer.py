"""The audit log viewer: admins only, newest first, 50 a page, filters by person, action and date."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from lms.accounts.models import AuditEvent
from lms.extensions import db

URL = "/manage/reports/audit"


def add_events(app, *events):
    """events: (action, actor, subject, at, detail) tuples, written straight to the log."""
    with app.app_context():
        db.session.add_all(AuditEvent(action=action, actor_id=actor and actor.id, subject_id=subject and subject.id,
                                      at=at, address="10.0.0.7", detail=detail or {})
                           for action, actor, subject, at, detail in events)
        db.session.commit()


def shown(response) -> list[str]:
    """The action labels of the listed events, in page order."""
    assert response.status_code == 200
    return re.findall(r"<li>\s*<strong>([^<]+)</strong>", response.get_data(as_text=True))


@pytest.fixture
def people(make_user):
    return {"admin": make_user(role="admin", username="rosa.admin"),
            "trainer": make_user(role="trainer", username="cecilia.formadora", full_name="Cecilia Huamán"),
            "learner": make_user(username="maria.quispe", full_name="María Quispe")}


@pytest.fixture
def log(app, people):
    add_events(app,
               ("pin.reset", people["trainer"], people["learner"], datetime(2026, 3, 1, 3, 0), {}),
               ("role.changed", people["admin"], people["trainer"], datetime(2026, 2, 10, 12, 0),
                {"before": "learner", "after": "trainer"}),
               ("course.published", people["trainer"], None, datetime(2026, 1, 5, 12, 0), {"course_id": 4}),
               ("signin.failed", None, None, datetime(2026, 3, 2, 12, 0), {}))


def test_only_admins_see_the_audit_log(people, client_for):
    assert client_for(people["trainer"]).get(URL).status_code == 403
    assert client_for(people["learner"]).get(URL).status_code == 403


def test_events_are_listed_newest_first_with_spanish_labels_and_lima_time(log, people, client_for):
    response = client_for(people["admin"]).get(URL)
    labels = shown(response)
    assert labels[-4:] == ["Entrada fallida", "PIN reiniciado por el equipo", "Rol o estado de la cuenta cambiado",
                           "Curso publicado"]
    assert labels[0] == "Entrada", "the admin's own sign-in, just now, comes first"
    page = response.get_data(as_text=True)
    assert "28 feb 2026, 22:00" in page, "03:00 UTC on 1 March is 22:00 on 28 February in Lima"
    assert "Cecilia Huamán (cecilia.formadora)" in page and "María Quispe (maria.quispe)" in page
    assert "before: learner · after: trainer" in page and "10.0.0.7" in page


@pytest.mark.parametrize("query, expected", [
    ("person=maria.quispe", ["PIN reiniciado por el equipo"]),
    ("person=Cecilia", ["PIN reiniciado por el equipo", "Rol o estado de la cuenta cambiado", "Curso publicado"]),
    ("action=course.published", ["Curso publicado"]),
    ("from=2026-02-01&to=2026-02-28", ["PIN reiniciado por el equipo", "Rol o estado de la cuenta cambiado"]),
    ("person=cecilia&action=pin.reset&from=2026-02-28&to=2026-02-28", ["PIN reiniciado por el equipo"]),
])
def test_filters_by_person_action_and_lima_dates(log, people, client_for, query, expected):
    assert shown(client_for(people["admin"]).get(f"{URL}?{query}")) == expected


def test_bad_filters_are_ignored_with_a_message(log, people, client_for):
    client = client_for(people["admin"])
    page = client.get(f"{URL}?action=borrar.todo&from=ayer").get_data(as_text=True)
    assert "No conocemos esa acción" in page and "no es válida" in page
    assert len(shown(client.get(f"{URL}?action=borrar.todo"))) == 5


def test_pages_hold_fifty_events_and_link_to_older_ones(app, people, client_for):
    start = datetime(2026, 1, 1)
    add_events(app, *[("pin.reset", people["trainer"], people["learner"], start + timedelta(minutes=n), {"n": n})
                      for n in range(120)])
    client = client_for(people["admin"])
    response = client.get(f"{URL}?action=pin.reset")
    page = response.get_data(as_text=True)
    assert len(shown(response)) == 50 and "n: 119" in page and "n: 70" in page and "n: 69" not in page
    older = re.search(r'href="(/manage/reports/audit\?[^"]*before=\d+[^"]*)"', page).group(1).replace("&amp;", "&")
    assert "action=pin.reset" in older
    second = client.get(older).get_data(as_text=True)
    assert "n: 69" in second and "n: 20" in second and "n: 19" not in second and "n: 70" not in second


def test_audit_viewer_query_count_does_not_grow_with_events(app, people, client_for):
    client = client_for(people["admin"])

    def queries(url):
        statements = []
        with app.app_context():
            engine = db.engine
        listener = lambda *_args: statements.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        client.get(url)
        event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    add_events(app, ("pin.reset", people["trainer"], people["learner"], datetime(2026, 1, 1), {}))
    urls = [URL, f"{URL}?person=maria", f"{URL}?action=pin.reset&from=2025-01-01"]
    before = [queries(url) for url in urls]
    add_events(app, *[("pin.reset", people["trainer"], people["learner"], datetime(2026, 1, 2), {"n": n})
                      for n in range(80)])
    assert [queries(url) for url in urls] == before
