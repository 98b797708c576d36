"""The scope model (docs/architecture.md, «Quién ve qué») holds on lists, searches, filters and exports — not only
on object URLs (tests/test_probes_access.py walks those) — for a second trainer and a regional coordinator."""

import csv
import io
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from lms.accounts.models import AuditEvent, Cohort, CoordinatorRegion, User, cohort_member
from lms.certificates.issuing import issue_certificate
from lms.extensions import db
from lms.learning.models import Enrolment
from lms.workshops.models import Workshop


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def csv_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data().decode("utf-8-sig")


@pytest.fixture
def network(app, make_user, make_course, enrol):
    """Puno: trainer A (course CA, cohort KA) and her learners; a rights course CR taught by trainer R that A's
    learner also took (certificate); Arequipa: trainer B (course CB, cohort KB) and her learner; a coordinator of
    Puno; an admin."""
    a, b, r = (make_user(role="trainer", region=region, full_name=name) for region, name in
               (("puno", "Formadora Ana"), ("arequipa", "Formadora Berta"), ("lima", "Formadora Rita")))
    ca = make_course(trainers=[a], title="Curso de Ana", modules=1, lessons=1)
    cb = make_course(trainers=[b], title="Curso de Berta", modules=1, lessons=1)
    cr = make_course(trainers=[r], title="Nuestros derechos", modules=1, lessons=1, sensitive=True)
    enrolled = make_user(full_name="Lucía Enrolada", region="puno")
    member = make_user(full_name="Marta Miembro", region="puno")
    created = make_user(full_name="Carla Creada", region="puno", created_by_id=a.id)
    berta_s = make_user(full_name="Sonia Arequipeña", region="arequipa")
    enrol(enrolled, ca)
    enrol(berta_s, cb)
    rights_enrolment = enrol(enrolled, cr, status="completed", completed_at=datetime(2026, 11, 20))
    with app.app_context():
        ka = Cohort(name="Grupo de Ana", region="puno", trainers=[db.session.get(User, a.id)],
                    members=[db.session.get(User, u.id) for u in (enrolled, member)])
        kb = Cohort(name="Grupo de Berta", region="arequipa", trainers=[db.session.get(User, b.id)])
        db.session.add_all([ka, kb])
        cert = issue_certificate(db.session.get(Enrolment, rights_enrolment))
        db.session.commit()
        ids = SimpleNamespace(ka=ka.id, kb=kb.id, rights_cert=cert.id)
    coordinator = make_user(role="coordinator", region="puno", full_name="Coordinadora Coca")
    with app.app_context():
        db.session.add(CoordinatorRegion(user_id=coordinator.id, region="puno"))
        db.session.commit()
    return SimpleNamespace(a=a, b=b, r=r, ca=ca, cb=cb, cr=cr, enrolled=enrolled, member=member, created=created,
                           berta_s=berta_s, coordinator=coordinator, admin=make_user(role="admin"), **vars(ids))


def test_a_trainer_lists_and_finds_only_the_learners_she_teaches(network, client_for):
    n = network
    ana, berta = client_for(n.a), client_for(n.b)
    mine = body(ana.get("/manage/people/"))
    assert all(name in mine for name in ("Lucía Enrolada", "Marta Miembro", "Carla Creada"))
    assert "Sonia Arequipeña" not in mine
    theirs = body(berta.get("/manage/people/"))
    assert "Sonia Arequipeña" in theirs and not any(x in theirs for x in ("Lucía", "Marta", "Carla"))
    for url in ("/manage/people/?q=lucia", f"/manage/teaching/{n.cb.id}/inscribir?q=lucia",
                f"/manage/cohorts/{n.kb}?q=lucia"):
        assert "Lucía Enrolada" not in body(berta.get(url)), url
    assert "Lucía Enrolada" in body(ana.get("/manage/people/?q=LUCIA"))  # any case, without the accent


def test_a_second_trainer_cannot_pull_another_trainers_learner_into_her_cohort_to_read_her_records(
        app, network, client_for):
    """The attack of issue 11: add her to my cohort, then read her progress through the cohort filter."""
    n = network
    berta = client_for(n.b)
    assert berta.post(f"/manage/cohorts/{n.kb}/members", data={"user_id": [n.enrolled.id, n.member.id]}
                      ).headers["Location"] == f"/manage/cohorts/{n.kb}"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(cohort_member)
                                 .where(cohort_member.c.cohort_id == n.kb)) == 0
    for url in (f"/manage/reports/courses/{n.ca.id}?cohort={n.kb}", f"/manage/reports/courses/{n.cr.id}?cohort={n.kb}",
                f"/manage/reports/courses/{n.cr.id}/grid.csv?cohort={n.kb}",
                f"/manage/teaching/{n.ca.id}?cohort={n.kb}"):
        assert berta.get(url).status_code == 403, url
    assert "Lucía" not in body(berta.get(f"/manage/reports/cohorts/{n.kb}"))
    assert berta.get(f"/manage/certificates/cohort/{n.kb}.csv").headers["Location"] == "/manage/certificates/"
    assert berta.post(f"/manage/teaching/{n.cb.id}/inscribir", data={"user_id": n.enrolled.id}).status_code == 404


def test_a_cohort_leader_sees_her_members_records_only_in_the_courses_she_teaches(network, client_for):
    """Lucía took «Nuestros derechos» with another trainer: Ana, who leads her cohort, sees nothing of it."""
    n = network
    ana = client_for(n.a)
    dashboard = body(ana.get(f"/manage/reports/cohorts/{n.ka}"))
    assert "Curso de Ana" in dashboard and "Nuestros derechos" not in dashboard
    members = csv_text(ana.get(f"/manage/reports/cohorts/{n.ka}/members.csv"))
    lucia = next(row for row in csv.reader(io.StringIO(members)) if row[0] == "Lucía Enrolada")
    assert lucia[2:4] == ["1", "0"], "one course (hers), none completed: the rights course is not counted"
    for url in ("/manage/certificates/", f"/manage/certificates/cohort/{n.ka}.csv"):
        response = ana.get(url)
        assert "Nuestros derechos" not in response.get_data(as_text=True), url
    assert ana.get(f"/manage/certificates/{n.rights_cert}").status_code == 404
    assert ana.get(f"/manage/reports/courses/{n.cr.id}").status_code == 403


def test_a_coordinator_sees_and_acts_on_her_regions_only(app, network, client_for):
    n = network
    coca = client_for(n.coordinator)
    people = body(coca.get("/manage/people/"))
    assert "Lucía Enrolada" in people and "Carla Creada" in people and "Sonia Arequipeña" not in people
    assert coca.post(f"/manage/people/{n.enrolled.id}/reset").headers["Location"].startswith("/manage/people/hoja/")
    assert coca.post(f"/manage/people/{n.berta_s.id}/reset").status_code == 404
    network_page = body(coca.get("/manage/reports/network"))
    assert "Puno" in network_page and "Arequipa" not in network_page.split("<h2", 1)[1]
    assert "No conocemos esa región" in body(coca.get("/manage/reports/network?region=arequipa"))
    # a course of the whole network: her region's learners only
    grid = csv_text(coca.get(f"/manage/reports/courses/{n.cb.id}/grid.csv"))
    assert "Sonia Arequipeña" not in grid
    rights = csv_text(coca.get(f"/manage/reports/courses/{n.cr.id}/grid.csv"))
    assert "Lucía Enrolada" in rights
    assert coca.get(f"/manage/cohorts/{n.ka}").status_code == 200  # a cohort of Puno
    assert coca.get(f"/manage/cohorts/{n.kb}").status_code == 403
    for url in ("/admin/people", "/manage/reports/audit", f"/admin/privacy/{n.enrolled.id}/anonymise"):
        assert coca.get(url).status_code == 403, url
    assert coca.get(f"/manage/courses/{n.cb.id}/edit").status_code == 403


def test_a_coordinator_edits_the_courses_of_her_region_and_no_other(app, network, client_for, make_course):
    n = network
    regional = make_course(title="Curso de Puno", region="puno")
    other = make_course(title="Curso de Cusco", region="cusco")
    coca = client_for(n.coordinator)
    assert coca.get(f"/manage/courses/{regional.id}/edit").status_code == 200
    assert coca.get(f"/manage/courses/{other.id}/edit").status_code == 403
    listed = body(coca.get("/manage/courses/"))
    assert "Curso de Puno" in listed and "Curso de Cusco" not in listed and "Curso de Berta" not in listed


def make_workshop(app, course, cohort_id) -> int:
    with app.app_context():
        workshop = Workshop(course_id=course.id, cohort_id=cohort_id, place="Local comunal",
                            starts_at=datetime(2026, 12, 5, 14, 0))
        db.session.add(workshop)
        db.session.commit()
        return workshop.id


def test_a_cohorts_learners_in_a_course_are_the_same_on_the_four_pages_that_list_them(
        app, make_user, make_course, enrol, client_for):
    """Teaching, workshops, certificates and reports agree: members now, enrolled, not withdrawn."""
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], modules=1, lessons=1)
    people = {name: make_user(full_name=name) for name in
              ("Ana Miembro", "Bea Miembro", "Cira Se Fue", "Dora Retirada", "Eva Sin Inscribir", "Flor Ajena")}
    with app.app_context():
        cohort = Cohort(name="Grupo Ananea", trainers=[db.session.get(User, trainer.id)],
                        members=[db.session.get(User, people[n].id) for n in
                                 ("Ana Miembro", "Bea Miembro", "Dora Retirada", "Eva Sin Inscribir")])
        db.session.add(cohort)
        db.session.commit()
        cohort_id = cohort.id
    for name in ("Ana Miembro", "Bea Miembro", "Flor Ajena"):
        enrol(people[name], course, status="completed", completed_at=datetime(2026, 11, 20))
    enrol(people["Cira Se Fue"], course, cohort_id=cohort_id, status="completed", completed_at=datetime(2026, 11, 20))
    enrol(people["Dora Retirada"], course, cohort_id=cohort_id, status="withdrawn")
    with app.app_context():
        for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.status == "completed")):
            issue_certificate(enrolment)
        db.session.commit()
    staff = client_for(trainer)
    expected = {"Ana Miembro", "Bea Miembro"}

    def named(text: str) -> set[str]:
        return {name for name in people if name in text}

    teaching = body(staff.get(f"/manage/teaching/{course.id}?cohort={cohort_id}"))
    roster = body(staff.get(f"/manage/workshops/{make_workshop(app, course, cohort_id)}"))
    ceremony = csv_text(staff.get(f"/manage/certificates/cohort/{cohort_id}.csv"))
    report = csv_text(staff.get(f"/manage/reports/courses/{course.id}/grid.csv?cohort={cohort_id}"))
    assert named(teaching) == named(roster) == named(ceremony) == named(report) == expected


def test_a_learner_joins_a_cohort_with_its_code_and_then_her_trainer_sees_her(app, make_user, client_for):
    trainer, learner = make_user(role="trainer"), make_user(full_name="Nora Nueva")
    staff = client_for(trainer)
    cohort_id = int(staff.post("/manage/cohorts/new", data={"name": "Grupo Cerro Lunar", "region": "puno"})
                    .headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        code = db.session.get(Cohort, cohort_id).join_code
    assert code and f"{code[:3]}-{code[3:]}" in body(staff.get(f"/manage/cohorts/{cohort_id}"))
    assert "Nora Nueva" not in body(staff.get("/manage/people/"))
    her = client_for(learner)
    response = her.post("/grupo", data={"code": f" {code[:3].lower()}-{code[3:]} "})
    assert response.headers["Location"] == "/inicio"
    assert "Nora Nueva" in body(staff.get("/manage/people/"))
    staff.post(f"/manage/cohorts/{cohort_id}/code")
    with app.app_context():
        assert db.session.get(Cohort, cohort_id).join_code != code


def test_wrong_cohort_codes_are_throttled_per_person_and_per_address(app, make_user, client_for):
    app.config["CODE_FAILURES_PER_ADDRESS"] = "7 per 15 minutes"
    her = client_for(make_user())
    for _n in range(5):
        page = her.post("/grupo", data={"code": "ZZZ-ZZZ"})
        assert "no es de ningún grupo" in body(page)
    assert her.post("/grupo", data={"code": "ZZZ-ZZZ"}).status_code == 429
    neighbour = client_for(make_user())  # same address (the test client's), another person
    assert neighbour.post("/grupo", data={"code": "ZZZ-ZZZ"}).status_code == 200
    assert neighbour.post("/grupo", data={"code": "ZZZ-ZZZ"}).status_code == 200
    assert neighbour.post("/grupo", data={"code": "ZZZ-ZZZ"}).status_code == 429, "the address's limit"


def test_registration_never_asks_for_nor_says_anything_about_a_dni_or_phone(app, client, make_user):
    make_user(dni="41234567", phone="+51987654321")
    form = client.get("/register").get_data(as_text=True)
    assert 'name="dni"' not in form and 'name="phone"' not in form
    data = {"full_name": "Ana Poma", "username": "ana.poma", "region": "puno", "secret": "730592",
            "confirm": "730592", "language": "es", "consent": "y", "dni": "41234567", "phone": "987654321"}
    response = client.post("/register", data=data)
    assert response.headers["Location"] == "/inicio"
    with app.app_context():
        ana = db.session.scalar(select(User).where(User.username == "ana.poma"))
        assert ana.dni is None and ana.phone is None


def test_registration_is_throttled_per_address(app, client):
    app.config["REGISTRATIONS_PER_ADDRESS"] = "3 per hour"
    for n in range(3):
        client.post("/register", data={"full_name": f"Ana {n}", "username": f"ana.bot{n}", "region": "puno",
                                       "secret": "730592", "confirm": "730592", "language": "es", "consent": "y"})
    refused = client.post("/register", data={"full_name": "Ana X", "username": "ana.botx", "region": "puno",
                                             "secret": "730592", "confirm": "730592", "language": "es",
                                             "consent": "y"})
    assert refused.status_code == 429 and "Demasiados intentos" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 3


def test_refusals_are_in_the_audit_log_but_a_flood_of_them_is_not(app, network, client_for):
    app.config["FORBIDDEN_LOGGED_PER_HOUR"] = 3
    berta = client_for(network.b)
    for _n in range(10):
        assert berta.get(f"/manage/teaching/{network.ca.id}").status_code == 403
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
        assert len(events) == 3
        assert events[0].actor_id == network.b.id and events[0].detail["path"] == f"/manage/teaching/{network.ca.id}"
