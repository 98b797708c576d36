"""Time every dashboard against a database filled by bench/generate_data.py, and count its SQL statements.

Run from the repository root:
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lms_bench .venv/bin/python bench/bench_dashboards.py [-n 10]
Each page is requested through Flask's test client (the whole request: guard, queries, template), twice to warm up,
then n times; the table shows the median and the slowest run, the number of SQL statements and the page size.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "minera-segura-2026"  # noqa: S105  # nosec B105 - the bench accounts of generate_data.py
BUDGET_MS = 300


def make_app():
    from lms import create_app

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        sys.exit("DATABASE_URL must point at the PostgreSQL database filled by bench/generate_data.py")
    url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
                       "SESSION_IDLE_MINUTES": 600})


def signed_in(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"login": username, "secret": PASSWORD})
    if response.status_code != 302:
        sys.exit(f"Could not sign in as {username}: run bench/generate_data.py first.")
    return client


def targets(app) -> list[tuple[str, str, str]]:
    """(who, label, url): the trainer's biggest course and cohort, and the admin's pages."""
    from sqlalchemy import func, select

    from lms.accounts.models import User, cohort_member, cohort_trainer
    from lms.courses.models import course_trainer
    from lms.extensions import db
    from lms.learning.models import Enrolment

    with app.app_context():
        trainer_id = db.session.scalar(select(User.id).where(User.username == "formadora.bench"))
        course_id, enrolled = db.session.execute(
            select(Enrolment.course_id, func.count()).join(course_trainer, course_trainer.c.course_id ==
                                                           Enrolment.course_id)
            .where(course_trainer.c.user_id == trainer_id).group_by(Enrolment.course_id)
            .order_by(func.count().desc()).limit(1)).one()
        cohort_id = db.session.scalar(select(cohort_trainer.c.cohort_id).where(cohort_trainer.c.user_id == trainer_id)
                                      .limit(1))
        members = db.session.scalar(select(func.count()).where(cohort_member.c.cohort_id == cohort_id))
        learner = db.session.scalar(select(User.username).where(User.role == "learner").limit(1))
        events = db.session.scalar(select(func.count()).select_from(db.metadata.tables["audit_event"]))
    base = "/manage/reports"
    return [
        ("trainer", "reports index", f"{base}/"),
        ("trainer", f"course dashboard ({enrolled:,} enrolments)", f"{base}/courses/{course_id}"),
        ("trainer", "course dashboard, page 40 of the grid", f"{base}/courses/{course_id}?page=40"),
        ("trainer", f"course dashboard, one cohort ({members} members)",
         f"{base}/courses/{course_id}?cohort={cohort_id}"),
        ("trainer", "cohort dashboard", f"{base}/cohorts/{cohort_id}"),
        ("admin", "course dashboard (admin)", f"{base}/courses/{course_id}"),
        ("admin", "network dashboard, no filter", f"{base}/network"),
        ("admin", "network, region + theme", f"{base}/network?region=puno&theme=derechos"),
        ("admin", "network, one course + dates", f"{base}/network?course={course_id}&from=2025-06-01&to=2026-05-31"),
        ("admin", f"audit log, newest ({events:,} events)", f"{base}/audit"),
        ("admin", "audit log, page after 50", f"{base}/audit?before=150000"),
        ("admin", "audit log, person", f"{base}/audit?person={learner}"),
        ("admin", "audit log, action + dates", f"{base}/audit?action=pin.reset&from=2026-01-01&to=2026-12-31"),
        ("trainer", "export: full grid CSV (not budgeted)", f"{base}/courses/{course_id}/grid.csv"),
        ("admin", "export: network by course XLSX", f"{base}/network/courses.xlsx"),
    ]


def measure(app, client, url: str, runs: int) -> tuple[float, float, int, int]:
    """(median ms, slowest ms, SQL statements, response KB) of GET url."""
    from sqlalchemy import event

    from lms.extensions import db

    with app.app_context():
        engine = db.engine
    for _ in range(2):
        assert client.get(url).status_code == 200, url
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    statements = []
    listener = lambda *_args: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    client.get(url)
    event.remove(engine, "before_cursor_execute", listener)
    return statistics.median(timings), max(timings), len(statements), len(response.get_data()) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--runs", type=int, default=10)
    args = parser.parse_args()
    app = make_app()
    clients = {"trainer": signed_in(app, "formadora.bench"), "admin": signed_in(app, "admin.bench")}
    print(f"| page | median ms | slowest ms | SQL statements | KB | ≤ {BUDGET_MS} ms |")
    print("|---|---:|---:|---:|---:|:-:|")
    for who, label, url in targets(app):
        median, slowest, statements, size = measure(app, clients[who], url, args.runs)
        verdict = "—" if label.startswith("export") else ("yes" if median <= BUDGET_MS else "NO")
        print(f"| {label} | {median:.0f} | {slowest:.0f} | {statements} | {size} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
