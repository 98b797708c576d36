"""Dashboards: the numbers on the page, in the CSV and in the database agree; access; constant query counts."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import event, func, select

from lms.accounts.models import Cohort, User
from lms.certificates.models import Certificate
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion, QuizAttempt
from lms.workshops.models import Attendance, Workshop

NOW = datetime.now(UTC).replace(tzinfo=None)


class _Tables(HTMLParser):
    """Text of every table cell and every stats value, by the id of the section's heading."""

    def __init__(self):
        super().__init__()
        self.tables, self.stats, self.section, self.cell, self.row = {}, {}, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2" and (attrs.get("id") or "").startswith("t-"):
            self.section = attrs["id"][2:]
        elif tag == "tr" and self.section:
            self.row = []
            self.tables.setdefault(self.section, []).append(self.row)
        elif tag in ("td", "th", "dd", "dt") and self.section:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "dd" and self.cell is not None:
            self.stats.setdefault(self.section, []).append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "dt":
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_tables(response) -> tuple[dict, dict]:
    """({section key: [header row, *rows]}, {section key: [stat values]}) of a dashboard page."""
    assert response.status_code == 200, response.status_code
    parser = _Tables()
    parser.feed(response.get_data(as_text=True))
    return parser.tables, parser.stats


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def progress(app):
    """Factory functions writing learning data straight through the ORM (as the learning pages would)."""
    class Progress:
        def enrol(self, user, course, status="active", days_ago=0, active_days_ago=None, completed_days_ago=None):
            with app.app_context():
                enrolment = Enrolment(user_id=user.id, course_id=course.id, status=status,
                                      enrolled_at=NOW - timedelta(days=days_ago),
                                      last_activity_at=None if active_days_ago is None
                                      else NOW - timedelta(days=active_days_ago),
                                      completed_at=None if completed_days_ago is None
                                      else NOW - timedelta(days=completed_days_ago))
                db.session.add(enrolment)
                db.session.commit()
                return enrolment.id

        def complete(self, enrolment_id, lesson_ids):
            with app.app_context():
                db.session.add_all(LessonCompletion(enrolment_id=enrolment_id, lesson_id=lesson_id)
                                   for lesson_id in lesson_ids)
                db.session.commit()

        def attempt(self, enrolment_id, quiz_id, *scores):
            with app.app_context():
                for number, score in enumerate(scores, start=1):
                    db.session.add(QuizAttempt(enrolment_id=enrolment_id, quiz_id=quiz_id, number=number,
                                               token=f"t-{enrolment_id}-{quiz_id}-{number}", score=score,
                                               pass_mark=70, passed=score >= 70))
                db.session.commit()

        def cohort(self, name, trainers=(), members=()):
            with app.app_context():
                cohort = Cohort(name=name, region="puno")
                cohort.trainers = [db.session.get(User, t.id) for t in trainers]
                cohort.members = [db.session.get(User, m.id) for m in members]
                db.session.add(cohort)
                db.session.commit()
                return cohort.id

    return Progress()


@pytest.fixture
def known_course(make_user, make_course, progress):
    """A course of 2 modules (2 lessons and a quiz each) with five learners in known situations."""
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer])
    l1, l2, l3, l4 = course.lesson_ids
    q1, q2 = course.quiz_ids
    people = {name: make_user(full_name=full) for name, full in
              [("ana", "Ana Apaza"), ("bea", "Beatriz Ccori"), ("cel", "Celia Ñahui"), ("dor", "Dora Pari"),
               ("eva", "Eva Quispe")]}
    ana = progress.enrol(people["ana"], course, status="completed", days_ago=50, active_days_ago=1,
                         completed_days_ago=1)
    progress.complete(ana, [l1, l2, l3, l4])
    progress.attempt(ana, q1, 100)
    progress.attempt(ana, q2, 60, 100)
    bea = progress.enrol(people["bea"], course, days_ago=45, active_days_ago=20)
    progress.complete(bea, [l1])
    progress.attempt(bea, q1, 50, 100)
    progress.enrol(people["cel"], course, days_ago=40)
    dor = progress.enrol(people["dor"], course, status="withdrawn", days_ago=30, active_days_ago=2)
    progress.complete(dor, [l1, l2])
    eva = progress.enrol(people["eva"], course, days_ago=10, active_days_ago=1)
    progress.complete(eva, [l1, l2])
    progress.attempt(eva, q1, 40)
    return trainer, course, people


def test_course_dashboard_numbers_agree_with_the_database_and_the_csv(app, known_course, client_for):
    trainer, course, _people = known_course
    with app.app_context():  # the figures straight from the database, counted another way
        counted = [e for e in db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id))
                   if e.status != "withdrawn"]
        best = db.session.execute(select(func.max(QuizAttempt.score)).where(
            QuizAttempt.enrolment_id.in_([e.id for e in counted])).group_by(QuizAttempt.enrolment_id,
                                                                            QuizAttempt.quiz_id)).scalars().all()
    assert len(counted) == 4 and sorted(best) == [40, 100, 100, 100]
    staff = client_for(trainer)
    tables, stats = page_tables(staff.get(f"/manage/reports/courses/{course.id}"))
    assert stats["summary"] == ["4", "3", "1", "25 %", "85 %", "2"]
    assert tables["lessons"][1:] == [["1. Lección 1.1", "3", "75 %", "Módulo 1"],
                                     ["2. Lección 1.2", "2", "50 %", "Módulo 1"],
                                     ["3. Lección 2.1", "1", "25 %", "Módulo 2"],
                                     ["4. Lección 2.2", "1", "25 %", "Módulo 2"]]
    assert [row[0] for row in tables["idle"][1:]] == ["Celia Ñahui", "Beatriz Ccori"]
    grid = {row[0]: row[4:] for row in tables["grid"][1:]}
    assert grid == {"Ana Apaza": ["✓Completo", "✓Completo"], "Beatriz Ccori": ["50 %", "0 %"],
                    "Celia Ñahui": ["0 %", "0 %"], "Eva Quispe": ["100 %", "0 %"]}
    assert csv_rows(staff.get(f"/manage/reports/courses/{course.id}/summary.csv")) == [
        ["Inscritas", "Activas en los últimos 30 días", "Completaron", "Tasa de finalización",
         "Promedio de evaluaciones", "Sin actividad hace 14 días o más"], ["4", "3", "1", "25.0", "85.0", "2"]]
    lessons = csv_rows(staff.get(f"/manage/reports/courses/{course.id}/lessons.csv"))
    assert [row[:2] + row[3:] for row in lessons[1:]] == [r[:2] + r[3:] for r in tables["lessons"][1:]]
    assert [row[2] for row in lessons[1:]] == ["75.0", "50.0", "25.0", "25.0"]
    grid_csv = csv_rows(staff.get(f"/manage/reports/courses/{course.id}/grid.csv"))
    assert grid_csv[0][:4] == ["Nombre", "Usuario", "Estado", "Última actividad"]
    assert {row[0]: row[4:] for row in grid_csv[1:]} == {
        "Ana Apaza": ["✓", "✓"], "Beatriz Ccori": ["50", "0"], "Celia Ñahui": ["0", "0"], "Eva Quispe": ["100", "0"]}
    idle_csv = csv_rows(staff.get(f"/manage/reports/courses/{course.id}/idle.csv"))
    assert [row[0] for row in idle_csv[1:]] == ["Celia Ñahui", "Beatriz Ccori"]
    assert [row[3] for row in idle_csv[1:]] == ["40", "20"]


def test_cohort_filter_counts_only_the_cohorts_members(app, known_course, make_user, progress, client_for):
    trainer, course, people = known_course
    cohort_id = progress.cohort("Pallaqueras 2026", trainers=[trainer], members=[people["bea"], people["cel"]])
    client = client_for(trainer)
    tables, stats = page_tables(client.get(f"/manage/reports/courses/{course.id}?cohort={cohort_id}"))
    assert stats["summary"] == ["2", "1", "0", "0 %", "100 %", "2"]
    assert [row[0] for row in tables["grid"][1:]] == ["Beatriz Ccori", "Celia Ñahui"]
    cohort_tables, _stats = page_tables(client.get(f"/manage/reports/cohorts/{cohort_id}"))
    assert cohort_tables["courses"][1] == [course.title, "2", "1", "0", "0 %", "100 %"]
    assert [row[:4] for row in cohort_tables["members"][1:]] == [["Beatriz Ccori", people["bea"].username, "1", "0"],
                                                                 ["Celia Ñahui", people["cel"].username, "1", "0"]]
    members_csv = csv_rows(client.get(f"/manage/reports/cohorts/{cohort_id}/members.csv"))
    assert [row[:4] for row in members_csv[1:]] == [row[:4] for row in cohort_tables["members"][1:]]
    other = client_for(make_user(role="trainer"))
    assert other.get(f"/manage/reports/cohorts/{cohort_id}").status_code == 403
    assert other.get(f"/manage/reports/courses/{course.id}?cohort={cohort_id}").status_code == 403


def test_a_cohort_of_her_own_never_opens_another_trainers_course(app, known_course, make_user, progress,
                                                                 client_for):
    """Leading a cohort whose members take a course she does not teach shows her none of their records there."""
    trainer, course, people = known_course
    leader = make_user(role="trainer")
    cohort_id = progress.cohort("Grupo de otra formadora", trainers=[leader], members=[people["bea"], people["cel"]])
    client = client_for(leader)
    assert client.get(f"/manage/reports/courses/{course.id}").status_code == 403
    assert client.get(f"/manage/reports/courses/{course.id}?cohort={cohort_id}").status_code == 403
    assert client.get(f"/manage/reports/courses/{course.id}/grid.csv?cohort={cohort_id}").status_code == 403
    cohort_tables, _stats = page_tables(client.get(f"/manage/reports/cohorts/{cohort_id}"))
    assert len(cohort_tables.get("courses", [])) <= 1, "no course she does not teach"
    assert [row[:4] for row in cohort_tables["members"][1:]] == [["Beatriz Ccori", people["bea"].username, "0", "0"],
                                                                 ["Celia Ñahui", people["cel"].username, "0", "0"]]
    members_csv = csv_rows(client.get(f"/manage/reports/cohorts/{cohort_id}/members.csv"))
    assert [row[2:4] for row in members_csv[1:]] == [["0", "0"], ["0", "0"]]


def test_trainer_sees_only_her_own_courses(known_course, make_user, make_course, client_for):
    trainer, course, _people = known_course
    other_course = make_course(trainers=[make_user(role="trainer")], title="Curso de otra formadora")
    client = client_for(trainer)
    page = client.get("/manage/reports/").get_data(as_text=True)
    assert course.title in page and "Curso de otra formadora" not in page
    assert client.get(f"/manage/reports/courses/{other_course.id}").status_code == 403
    assert client.get("/manage/reports/network").status_code == 403
    assert client.get("/manage/reports/audit").status_code == 403
    assert client.get("/manage/reports/courses/999999").status_code == 404


def test_learners_are_refused_every_report(known_course, make_user, client_for):
    _trainer, course, _people = known_course
    learner = client_for(make_user())
    for url in ("/manage/reports/", f"/manage/reports/courses/{course.id}", "/manage/reports/network",
                "/manage/reports/audit", f"/manage/reports/courses/{course.id}/grid.csv"):
        assert learner.get(url).status_code == 403, url


def test_grid_is_paged_by_fifty_and_keeps_every_row_in_the_file(app, make_user, make_course, progress, client_for):
    trainer = make_user(role="trainer")
    course = make_course(trainers=[trainer], modules=1, lessons=1, quiz=False)
    for n in range(53):
        progress.enrol(make_user(full_name=f"Participante {n:02d}"), course, active_days_ago=1)
    client = client_for(trainer)
    first, _stats = page_tables(client.get(f"/manage/reports/courses/{course.id}"))
    second, _stats = page_tables(client.get(f"/manage/reports/courses/{course.id}?page=2"))
    assert len(first["grid"]) == 51 and [row[0] for row in second["grid"][1:]] == [
        "Participante 50", "Participante 51", "Participante 52"]
    assert len(csv_rows(client.get(f"/manage/reports/courses/{course.id}/grid.csv"))) == 54


# ---- the network dashboard ----

@pytest.fixture
def network(app, make_user, make_course, progress):
    """Learners in two regions, courses in two themes, and a known amount of everything, in two months."""
    admin = make_user(role="admin")
    safety = make_course(title="Seguridad básica", modules=1, lessons=1, quiz=False)
    rights = make_course(title="Mis derechos", theme="derechos", modules=1, lessons=1, quiz=False)
    puno = [make_user(region="puno", full_name=f"Puno {n}") for n in range(3)]
    arequipa = [make_user(region="arequipa", full_name=f"Arequipa {n}") for n in range(2)]
    enrolments = [progress.enrol(puno[0], safety, status="completed", completed_days_ago=0),
                  progress.enrol(puno[1], safety), progress.enrol(puno[0], rights),
                  progress.enrol(arequipa[0], rights, status="completed", completed_days_ago=0),
                  progress.enrol(arequipa[1], safety)]
    with app.app_context():
        for enrolment_id in (enrolments[0], enrolments[3]):
            db.session.add(Certificate(enrolment_id=enrolment_id, learner_name="x", course_title="y", theme="z",
                                       hours=1, completed_on=date.today(), issued_on=date.today(),
                                       network_name="RNM-MAPE"))
        workshop = Workshop(course_id=safety.id, starts_at=NOW, place="La Rinconada")
        db.session.add(workshop)
        db.session.flush()
        db.session.add_all([Attendance(workshop_id=workshop.id, user_id=puno[0].id, present=True),
                            Attendance(workshop_id=workshop.id, user_id=puno[1].id, present=True),
                            Attendance(workshop_id=workshop.id, user_id=arequipa[1].id, present=False)])
        db.session.commit()
    return admin, safety, rights


def _expected_by_region(app):
    """Figures per region computed in Python from plain rows (not by the report's queries)."""
    with app.app_context():
        region = dict(db.session.execute(select(User.id, User.region)).all())
        learners = [u for u in db.session.scalars(select(User).where(User.role == "learner"))]
        enrolments = db.session.scalars(select(Enrolment)).all()
        certificates = db.session.scalars(select(Certificate)).all()
        attendance = db.session.scalars(select(Attendance).where(Attendance.present)).all()
        by_enrolment = {e.id: e for e in enrolments}
    expected = {}
    for name in ("puno", "arequipa"):
        expected[name] = [sum(u.region == name for u in learners),
                          sum(region[e.user_id] == name for e in enrolments),
                          sum(region[e.user_id] == name and e.status == "completed" for e in enrolments),
                          sum(region[by_enrolment[c.enrolment_id].user_id] == name for c in certificates),
                          sum(region[a.user_id] == name for a in attendance)]
    return expected


def test_network_dashboard_numbers_agree_with_the_database_and_the_csv(app, network, client_for):
    admin, _safety, _rights = network
    expected = _expected_by_region(app)
    assert expected == {"puno": [3, 3, 1, 1, 2], "arequipa": [2, 2, 1, 1, 0]}
    client = client_for(admin)
    tables, stats = page_tables(client.get("/manage/reports/network"))
    assert stats["totals"] == ["5", "5", "2", "2", "2"]
    regions = {row[0]: row[1:] for row in tables["regions"][1:]}
    assert regions == {"Puno": [str(n) for n in expected["puno"]],
                       "Arequipa": [str(n) for n in expected["arequipa"]]}
    assert {row[0]: row[1:] for row in tables["themes"][1:]} == {
        "Formalización": ["0", "0", "0", "0"], "Seguridad y salud": ["3", "1", "1", "2"],
        "Derechos": ["2", "1", "1", "0"]}
    assert {row[0]: row[2:] for row in tables["courses"][1:]} == {"Seguridad básica": ["3", "1", "1", "2"],
                                                                   "Mis derechos": ["2", "1", "1", "0"]}
    this_month = datetime.now(UTC).strftime("%Y-%m")
    months = csv_rows(client.get("/manage/reports/network/months.csv"))
    assert months[-1][0] in (this_month, (datetime.now(UTC) - timedelta(hours=5)).strftime("%Y-%m"))
    for key in ("regions", "themes", "courses", "totals"):
        rows = csv_rows(client.get(f"/manage/reports/network/{key}.csv"))
        shown = tables.get(key) or [[], stats["totals"]]
        assert [row[-4:] for row in rows[1:]] == [row[-4:] for row in shown[1:]], key


def test_network_filters_narrow_the_figures_and_survive_in_the_links(app, network, client_for):
    admin, safety, _rights = network
    client = client_for(admin)
    response = client.get("/manage/reports/network?region=puno&theme=seguridad-salud")
    _tables, stats = page_tables(response)
    assert stats["totals"] == ["2", "2", "1", "1", "2"]
    page = response.get_data(as_text=True)
    assert "/manage/reports/network/regions.csv?region=puno&amp;theme=seguridad-salud" in page
    rows = csv_rows(client.get("/manage/reports/network/totals.csv?region=puno&theme=seguridad-salud"))
    assert rows[1] == ["2", "2", "1", "1", "2"]
    _tables, stats = page_tables(client.get(f"/manage/reports/network?course={safety.id}"))
    assert stats["totals"][1:] == ["3", "1", "1", "2"]
    future = (date.today() + timedelta(days=40)).isoformat()
    _tables, stats = page_tables(client.get(f"/manage/reports/network?from={future}"))
    assert stats["totals"] == ["0", "0", "0", "0", "0"]


def test_monthly_figures_fall_in_lima_months(app, make_user, make_course, client_for):
    admin = client_for(make_user(role="admin", created_at=datetime(2025, 6, 1)))
    course = make_course(modules=1, lessons=1, quiz=False)
    learner = make_user(created_at=datetime(2026, 1, 1, 3, 0))  # 31 Dec 2025, 22:00 in Lima
    other = make_user(created_at=datetime(2026, 1, 20))
    with app.app_context():
        db.session.add_all([
            Enrolment(user_id=learner.id, course_id=course.id, enrolled_at=datetime(2026, 2, 1, 3, 0),  # January
                      status="completed", completed_at=datetime(2026, 3, 1, 2, 0)),  # February in Lima
            Enrolment(user_id=other.id, course_id=course.id, enrolled_at=datetime(2026, 2, 10, 12, 0))])
        db.session.flush()
        first = db.session.scalar(select(Enrolment.id).where(Enrolment.user_id == learner.id))
        db.session.add(Certificate(enrolment_id=first, learner_name="x", course_title="y", theme="z", hours=1,
                                   completed_on=date(2026, 2, 28), issued_on=date(2026, 3, 2), network_name="R"))
        workshop = Workshop(course_id=course.id, starts_at=datetime(2026, 3, 1, 4, 0), place="Juliaca")  # February
        db.session.add(workshop)
        db.session.flush()
        db.session.add(Attendance(workshop_id=workshop.id, user_id=other.id, present=True))
        db.session.commit()
    rows = csv_rows(admin.get("/manage/reports/network/months.csv"))
    months = {row[0]: row[1:] for row in rows[1:] if "2025-12" <= row[0] <= "2026-03"}
    assert months == {"2025-12": ["1", "0", "0", "0", "0"], "2026-01": ["1", "1", "0", "0", "0"],
                      "2026-02": ["0", "1", "1", "0", "1"], "2026-03": ["0", "0", "0", "1", "0"]}
    tables, _stats = page_tables(admin.get("/manage/reports/network?from=2026-02-01&to=2026-02-28"))
    assert {row[0]: row[1:] for row in tables["months"][1:]} == {"febrero 2026": ["0", "1", "1", "0", "1"]}


@pytest.mark.parametrize("query, message", [
    ("region=narnia", "No conocemos esa región"), ("theme=magia", "No conocemos ese tema"),
    ("course=abc", "No conocemos ese curso"), ("from=31-12-2026", "no es válida"),
    ("from=2026-05-01&to=2026-01-01", "La fecha de inicio es posterior"),
])
def test_bad_network_filters_are_ignored_with_a_spanish_message(network, client_for, query, message):
    admin, _safety, _rights = network
    response = client_for(admin).get(f"/manage/reports/network?{query}")
    _tables, stats = page_tables(response)
    assert message in response.get_data(as_text=True)
    assert stats["totals"] == ["5", "5", "2", "2", "2"]


def test_charts_are_server_drawn_svg_with_a_title_a_description_and_a_table(network, client_for):
    admin, _safety, _rights = network
    page = client_for(admin).get("/manage/reports/network").get_data(as_text=True)
    svgs = re.findall(r'<svg[^>]*role="img".*?</svg>', page, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        labelled = re.search(r'role="img" aria-labelledby="([\w-]+) ([\w-]+)"', svg)
        assert labelled and f'<title id="{labelled.group(1)}">' in svg and f'<desc id="{labelled.group(2)}">' in svg
        assert "<script" not in svg and " on" not in svg.split(">")[0]
    assert "<script" not in page
    assert page.count("<table") == 4 and 'id="t-regions"' in page


# ---- query counts ----

def count_queries(app, client, url: str) -> int:
    statements = []

    def counter(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return len(statements)


def _grow(app, make_user, progress, course, learners: int):
    for n in range(learners):
        enrolment = progress.enrol(make_user(full_name=f"Extra {n}", region="junin"), course, active_days_ago=n)
        progress.complete(enrolment, course.lesson_ids[: 1 + n % len(course.lesson_ids)])
        progress.attempt(enrolment, course.quiz_ids[0], 40, 80)


def test_dashboard_query_counts_do_not_grow_with_data(app, known_course, make_user, progress, client_for):
    trainer, course, people = known_course
    admin = make_user(role="admin")
    cohort_id = progress.cohort("Grupo", trainers=[trainer], members=list(people.values()))
    urls = [f"/manage/reports/courses/{course.id}", f"/manage/reports/courses/{course.id}?cohort={cohort_id}",
            f"/manage/reports/cohorts/{cohort_id}"]
    staff, boss = client_for(trainer), client_for(admin)
    before = [count_queries(app, staff, url) for url in urls] + [count_queries(app, boss, "/manage/reports/network")]
    _grow(app, make_user, progress, course, 12)
    after = [count_queries(app, staff, url) for url in urls] + [count_queries(app, boss, "/manage/reports/network")]
    assert before == after, (before, after)


def test_staff_home_links_to_the_reports(make_user, client_for):
    page = client_for(make_user(role="trainer")).get("/inicio").get_data(as_text=True)
    assert 'href="/manage/reports/"' in page
