"""Fill a PostgreSQL database with a network-sized data set for the dashboard benchmark.

100,000 learners across regions, 50 courses (4 modules of 5 lessons and a quiz each), ~200,000 enrolments,
~1,000,000 lesson completions, quiz attempts, certificates, workshops with attendance, cohorts and audit events.
Everything is made inside PostgreSQL with INSERT ... SELECT generate_series (no rows travel from Python), so it
takes about a minute on 2 cores.

Run from the repository root:
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lms_bench .venv/bin/python bench/generate_data.py --create
--create makes the database if missing and runs the migrations; --reset empties a database that has data.
Sign-in for the benchmark: admin.bench and formadora.bench, password minera-segura-2026.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "minera-segura-2026"  # noqa: S105  # nosec B105 - bench accounts in a throwaway database
TABLES = ("audit_event", "attendance", "workshop", "certificate", "quiz_attempt", "lesson_completion", "enrolment",
          "cohort_member", "cohort_trainer", "cohort", "course_trainer", "question", "choice", "quiz", "lesson",
          "module", "course", "media", "theme", '"user"')

# (name, SQL) in order; :learners, :courses and :trainers are written in as integers, :password_hash is bound.
STEPS = [
    ("themes", """
INSERT INTO theme (slug, name, name_en, position) VALUES ('formalizacion', 'Formalización', 'Formalization', 0),
  ('seguridad-salud', 'Seguridad y salud', 'Safety and health', 1), ('derechos', 'Derechos', 'Rights', 2)"""),
    ("staff", """
INSERT INTO "user" (username, full_name, role, password_hash, must_change_pin, session_token, active, language,
                    region, created_at)
SELECT CASE WHEN i = 0 THEN 'admin.bench' WHEN i = 1 THEN 'formadora.bench' ELSE 'formadora' || i END,
       'Formadora ' || i, CASE WHEN i = 0 THEN 'admin' ELSE 'trainer' END, :password_hash, false,
       md5('s' || i), true, 'es', 'puno', now() - interval '800 days'
FROM generate_series(0, :trainers) AS i"""),
    ("learners", """
INSERT INTO "user" (username, full_name, role, password_hash, must_change_pin, session_token, active, language,
                    region, community, created_at, last_login_at)
SELECT 'minera' || i, (ARRAY['María','Juana','Lucía','Teresa','Norma','Elena','Sonia','Rocío'])[1 + i % 8] || ' '
       || (ARRAY['Quispe','Mamani','Ccori','Apaza','Huanca','Choque','Ticona','Pari'])[1 + (i / 8) % 8] || ' ' || i,
       'learner', '!', false, md5('l' || i), true, 'es',
       CASE WHEN r < 0.40 THEN 'puno' WHEN r < 0.65 THEN 'arequipa' WHEN r < 0.80 THEN 'madre-de-dios'
            WHEN r < 0.90 THEN 'junin'
            ELSE (ARRAY['ayacucho','cusco','la-libertad','piura','ica','apurimac'])[1 + i % 6] END,
       'Comunidad ' || (i % 300), now() - (730 * random()) * interval '1 day', now() - random() * interval '60 days'
FROM (SELECT i, random() AS r FROM generate_series(1, :learners) AS i) AS s"""),
    ("courses", """
INSERT INTO course (slug, title, summary, theme_id, language, hours, status, sensitive, self_enrol, require_lessons,
                    require_quizzes, min_sessions, created_at, updated_at, published_at)
SELECT 'curso-' || c, 'Curso ' || c || ' de ' || t.name, 'Resumen', t.id, 'es', 6, 'published', t.slug = 'derechos',
       true, true, true, 0, now() - interval '800 days', now(), now() - interval '760 days'
FROM generate_series(1, :courses) AS c JOIN theme t ON t.position = c % 3"""),
    ("modules", """
INSERT INTO module (course_id, slug, title, position)
SELECT c.id, 'modulo-' || m, 'Módulo ' || m, m FROM course c CROSS JOIN generate_series(1, 4) AS m"""),
    ("lessons", """
INSERT INTO lesson (course_id, module_id, slug, title, body, minutes, position)
SELECT m.course_id, m.id, 'leccion-' || m.position || '-' || k, 'Lección ' || m.position || '.' || k, 'Texto.', 5, k
FROM module m CROSS JOIN generate_series(1, 5) AS k"""),
    ("quizzes", """
INSERT INTO quiz (course_id, module_id, title, pass_mark, max_attempts)
SELECT course_id, id, 'Evaluación ' || position, 70, 0 FROM module"""),
    ("course trainers", """
INSERT INTO course_trainer (course_id, user_id)
SELECT c.id, u.id FROM course c JOIN "user" u ON u.role = 'trainer'
  AND (u.id - 1) % :trainers IN ((c.id - 1) % :trainers, (c.id + 7) % :trainers)"""),
    ("cohorts", """
INSERT INTO cohort (name, region, created_at)
SELECT 'Grupo ' || g, 'puno', now() - interval '700 days' FROM generate_series(1, :learners / 50) AS g"""),
    ("cohort members", """
INSERT INTO cohort_member (cohort_id, user_id)
SELECT (SELECT min(id) FROM cohort) + (row_number() OVER (ORDER BY id) - 1) / 50, id
FROM "user" WHERE role = 'learner'"""),
    ("cohort trainers", """
INSERT INTO cohort_trainer (cohort_id, user_id)
SELECT c.id, t.id FROM cohort c JOIN "user" t ON t.role = 'trainer' AND (t.id - 1) % :trainers = c.id % :trainers"""),
    ("enrolments", """
INSERT INTO enrolment (user_id, course_id, cohort_id, status, method, enrolled_at, completed_at, last_activity_at)
SELECT d.id, course.id, m.cohort_id, d.status, 'cohort', d.enrolled_at,
       CASE WHEN d.status = 'completed' THEN d.last END, d.last
FROM (SELECT id, slot, enrolled_at, least(enrolled_at + r * interval '90 days', now()) AS last,
             CASE WHEN (id * 7 + slot * 13) % 100 < 16 THEN 'completed'
                  WHEN (id * 13 + slot) % 50 = 0 THEN 'withdrawn' ELSE 'active' END AS status
      FROM (SELECT u.id, slot, least(u.created_at + random() * interval '30 days', now()) AS enrolled_at, random() AS r
            FROM "user" u CROSS JOIN generate_series(0, 1) AS slot WHERE u.role = 'learner') AS raw) AS d
JOIN cohort_member m ON m.user_id = d.id
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM course) AS course
  ON course.n = CASE WHEN d.slot = 0 THEN d.id % :courses
                     ELSE (d.id % :courses + 1 + (d.id / :courses) % (:courses - 1)) % :courses END"""),
    ("never started", """
UPDATE enrolment SET last_activity_at = NULL WHERE status <> 'completed' AND (id * 37) % 6 = 0"""),
    ("lesson ranks", """
CREATE TEMP TABLE lesson_rank AS
SELECT l.id, l.course_id, l.module_id, row_number() OVER (PARTITION BY l.course_id ORDER BY m.position, l.position) AS n
FROM lesson l JOIN module m ON m.id = l.module_id"""),
    ("lesson completions", """
INSERT INTO lesson_completion (enrolment_id, lesson_id, completed_at)
SELECT e.id, r.id, least(e.enrolled_at + r.n * interval '2 days', now())
FROM enrolment e JOIN lesson_rank r ON r.course_id = e.course_id
 AND r.n <= CASE WHEN e.status = 'completed' THEN 20 ELSE (e.id * 37) % 6 END"""),
    ("quiz attempts", """
INSERT INTO quiz_attempt (enrolment_id, quiz_id, number, token, answers, score, pass_mark, passed, submitted_at)
SELECT e.id, q.id, a.number, 'b' || e.id || '-' || q.id || '-' || a.number, '{}',
       CASE WHEN a.number = 2 OR e.status = 'completed' AND a.tries = 1 THEN 70 + (e.id + q.id) % 31
            ELSE 20 + (e.id * q.id) % 50 END, 70,
       a.number = 2 OR e.status = 'completed' AND a.tries = 1, e.last_activity_at
FROM enrolment e JOIN module mo ON mo.course_id = e.course_id JOIN quiz q ON q.module_id = mo.id
CROSS JOIN LATERAL (SELECT n AS number, 1 + (e.id + q.id) % 2 AS tries FROM generate_series(1, 2) AS n) AS a
WHERE a.number <= a.tries
  AND (e.status = 'completed' OR (e.id * 37) % 6 >= 3 AND mo.position = 1)"""),
    ("certificates", """
INSERT INTO certificate (enrolment_id, generation, code, status, learner_name, course_title, theme, hours,
                         completed_on, issued_on, language, network_name, signatories, created_at)
SELECT e.id, 1, 'B' || lpad(e.id::text, 9, '0'), 'valid', u.full_name, c.title, t.name, 6, e.completed_at::date,
       e.completed_at::date, 'es', 'RNM-MAPE', '[]', e.completed_at
FROM enrolment e JOIN "user" u ON u.id = e.user_id JOIN course c ON c.id = e.course_id JOIN theme t ON t.id = c.theme_id
WHERE e.status = 'completed'"""),
    ("workshops", """
INSERT INTO workshop (course_id, starts_at, place, created_at)
SELECT c.id, now() - (w * 70) * interval '1 day' + interval '15 hours', 'Local comunal ' || w, now()
FROM course c CROSS JOIN generate_series(0, 9) AS w"""),
    ("attendance", """
INSERT INTO attendance (workshop_id, user_id, present, recorded_at)
SELECT w.id, e.user_id, (e.user_id + w.id) % 7 <> 0, w.starts_at
FROM (SELECT id, course_id, starts_at, row_number() OVER (PARTITION BY course_id ORDER BY id) - 1 AS n
      FROM workshop) AS w
JOIN (SELECT user_id, course_id, row_number() OVER (PARTITION BY course_id ORDER BY id) - 1 AS n FROM enrolment) AS e
  ON e.course_id = w.course_id AND e.n / 25 = w.n"""),
    ("audit events", """
INSERT INTO audit_event (at, action, actor_id, subject_id, address, detail)
SELECT now() - (i::float / (:learners * 2) * 365) * interval '1 day',
       (ARRAY['signin', 'signin', 'signin', 'signin', 'signin.failed', 'pin.changed', 'pin.reset',
              'account.created'])[1 + i % 8],
       CASE WHEN i % 8 IN (6, 7) THEN b.trainer WHEN i % 8 = 4 THEN NULL ELSE b.first + i % :learners END,
       b.first + i % :learners, '10.0.' || (i % 250) || '.' || (i % 200), '{}'
FROM generate_series(1, :learners * 2) AS i
CROSS JOIN (SELECT min(id) FILTER (WHERE role = 'learner') AS first,
                   min(id) FILTER (WHERE username = 'formadora.bench') AS trainer FROM "user") AS b"""),
]


# The indexes the dashboards rely on (declared on the models; created here too in case the database was
# migrated before their migration existed).
INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_enrolment_course_id_status ON enrolment (course_id, status)",
    "CREATE INDEX IF NOT EXISTS ix_lesson_completion_lesson_id_enrolment_id"
    " ON lesson_completion (lesson_id, enrolment_id)",
    "CREATE INDEX IF NOT EXISTS ix_quiz_attempt_quiz_id_enrolment_id_score"
    " ON quiz_attempt (quiz_id, enrolment_id, score)",
    "CREATE INDEX IF NOT EXISTS ix_audit_event_subject_id ON audit_event (subject_id)",
)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        sys.exit("DATABASE_URL must point at a PostgreSQL database, e.g. postgresql://postgres@127.0.0.1:5432/lms_bench")
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def create_database(url: str) -> None:
    """Create the database if missing and bring it to the latest migration."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    from flask_migrate import upgrade

    from lms import create_app

    with create_app({"SQLALCHEMY_DATABASE_URI": url}).app_context():
        upgrade()


def fill(url: str, learners: int, courses: int, trainers: int, reset: bool) -> None:
    from werkzeug.security import generate_password_hash

    engine = create_engine(url)
    sizes = {"learners": learners, "courses": courses, "trainers": trainers}
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    with engine.begin() as conn:
        if conn.scalar(text('SELECT count(*) FROM "user"')) and not reset:
            sys.exit("The database already has data: use --reset to empty it first.")
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
        conn.execute(text("SELECT setseed(0.42)"))
        for name, sql in STEPS:
            started = time.perf_counter()
            for name_, value in sizes.items():
                sql = sql.replace(f":{name_}", str(int(value)))
            result = conn.execute(text(sql), {"password_hash": password_hash} if ":password_hash" in sql else {})
            print(f"{name:20} {max(result.rowcount, 0):>10,} rows {time.perf_counter() - started:7.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        started = time.perf_counter()
        for statement in INDEXES:
            conn.execute(text(statement))
        conn.execute(text("VACUUM ANALYZE"))
        print(f"{'indexes, analyze':20} {'':>15} {time.perf_counter() - started:7.1f} s")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=50)
    parser.add_argument("--trainers", type=int, default=40)
    parser.add_argument("--create", action="store_true", help="create the database and run the migrations")
    parser.add_argument("--reset", action="store_true", help="empty the tables first")
    args = parser.parse_args()
    url = database_url()
    started = time.perf_counter()
    if args.create:
        create_database(url)
    fill(url, args.learners, args.courses, args.trainers, args.reset)
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
