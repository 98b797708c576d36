"""`flask lms ...` commands: create an admin, seed demo data; `flask courses ...`: the course library as files."""

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lms.accounts.models import Role, User, audit, utcnow
from lms.accounts.pins import secret_problem
from lms.certificates.issuing import certificate_problems
from lms.deployment import (
    Deployment,
    backup,
    demo_accounts_present,
    deploy_problems,
    published_demo_courses,
    restore,
)
from lms.extensions import db

lms_cli = AppGroup("lms", help="Administración de la plataforma.")
DEMO_PASSWORD = "minera-segura-2026"  # noqa: S105  # nosec B105 - demo only, refused in production

DEMO_PEOPLE = [
    ("admin.demo", "Rosa Mamani Condori", Role.ADMIN, "puno", None),
    ("formadora.demo", "Cecilia Huamán Ríos", Role.TRAINER, "puno", "La Rinconada"),
    ("formadora2.demo", "Justa Taipe Llerena", Role.TRAINER, "arequipa", "Chaparra"),
    ("minera.demo", "María Quispe Apaza", Role.LEARNER, "puno", "La Rinconada"),
    ("juana.demo", "Juana Ccori Huanca", Role.LEARNER, "puno", "La Rinconada"),
    ("lucia.demo", "Lucía Ñahui Choque", Role.LEARNER, "puno", "Cerro Lunar"),
    ("teresa.demo", "Teresa Ticona Pari", Role.LEARNER, "puno", "Cerro Lunar"),
    ("norma.demo", "Norma Yupanqui Ayala", Role.LEARNER, "puno", "Ananea"),
    ("elena.demo", "Elena Cusi Mendoza", Role.LEARNER, "arequipa", "Chaparra"),
    ("sonia.demo", "Sonia Alanoca Vargas", Role.LEARNER, "arequipa", "Secocha"),
    ("rocio.demo", "Rocío Paucar Salas", Role.LEARNER, "arequipa", "Secocha"),
    ("martha.demo", "Martha Layme Quispe", Role.LEARNER, "arequipa", "Relave"),
    ("gladys.demo", "Gladys Huarca Tito", Role.LEARNER, "arequipa", "Chala"),
]


def _ensure_user(username: str, full_name: str, role: Role, region: str, community: str | None,
                 password: str) -> tuple[User, bool]:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None:
        return user, False
    user = User(username=username, full_name=full_name, role=role, region=region, community=community,
                consent_at=utcnow())
    user.set_secret(password, current_app.config["PASSWORD_HASH_METHOD"])
    db.session.add(user)
    return user, True


@lms_cli.command("create-admin")
@click.option("--username", prompt="Usuario")
@click.option("--full-name", prompt="Nombre completo")
@click.password_option("--password", prompt="Contraseña (al menos 10 caracteres)")
def create_admin(username: str, full_name: str, password: str) -> None:
    """Create an administrator account (the network's board)."""
    problem = secret_problem(password, staff=True, username=username)
    if problem:
        raise click.ClickException(problem)
    user, created = _ensure_user(username.strip().lower(), full_name.strip(), Role.ADMIN, "puno", None, password)
    if not created:
        raise click.ClickException(f"El usuario {username} ya existe.")
    db.session.flush()
    audit("account.created", subject=user, role=Role.ADMIN, via="cli")
    db.session.commit()
    click.echo(f"Administradora {user.username} creada.")


@lms_cli.command("seed-demo")
@click.option("--password", default=DEMO_PASSWORD, show_default=True, help="Contraseña de las cuentas demo.")
def seed_demo(password: str) -> None:
    """Create demo accounts (refused in production). Running it twice changes nothing."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("seed-demo no se permite en producción.")
    if secret_problem(password, staff=True):
        raise click.ClickException(secret_problem(password, staff=True))
    created = sum(_ensure_user(*person, password)[1] for person in DEMO_PEOPLE)
    db.session.commit()
    click.echo(f"Cuentas demo: {created} creadas, {len(DEMO_PEOPLE) - created} ya existían.")


@lms_cli.command("check-deploy")
@click.option("--workers", type=int, default=lambda: int(os.environ.get("WEB_CONCURRENCY", "1")),
              help="Procesos por host (gunicorn workers).")
@click.option("--hosts", type=int, default=1, help="Servidores de aplicación detrás del proxy.")
def check_deploy(workers: int, hosts: int) -> None:
    """Fail on any setting that is unsafe for real users (docs/deploy.md)."""
    debug = os.environ.get("FLASK_DEBUG", "0").lower() in {"1", "true", "yes"}
    demo = demo_accounts_present(username for username, *_ in DEMO_PEOPLE)
    problems = deploy_problems(current_app.config, Deployment(workers=workers, hosts=hosts, debug=debug), demo,
                               published_demo_courses())
    problems += certificate_problems()
    for problem in problems:
        click.echo(f"FAIL  {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"OK    ready for {workers} worker(s) on {hosts} host(s).")


@lms_cli.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(destination: Path) -> None:
    """Back up the database and the uploaded files to DESTINATION (one .tar.gz file)."""
    saved = backup(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.config["UPLOAD_FOLDER"], destination)
    click.echo(f"Respaldo guardado en {saved} ({saved.stat().st_size} bytes).")


@lms_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.confirmation_option(prompt="Esto reemplaza todos los datos actuales. ¿Continuar?")
def restore_command(source: Path) -> None:
    """Replace the database and the uploaded files with the backup SOURCE (stop the app first)."""
    db.session.remove()
    db.engine.dispose()
    restore(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.config["UPLOAD_FOLDER"], source)
    click.echo(f"Datos restaurados desde {source}.")


courses_cli = AppGroup("courses", help="La biblioteca de cursos como archivos (courses/README.md).")
OUTCOMES = {"created": "creado", "updated": "actualizado", "unchanged": "sin cambios"}
TOTALS = {"created": "creados", "updated": "actualizados", "unchanged": "sin cambios", "skipped": "de ejemplo omitidos"}


@courses_cli.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publicar los cursos nuevos (los que ya existen guardan su estado).")
@click.option("--demo", is_flag=True, help="Importar también los cursos de ejemplo (demo: true). Nunca en producción.")
def import_courses_command(path: Path, publish: bool, demo: bool) -> None:
    """Import courses/ (every course) or one course folder; with any error, nothing is imported."""
    from lms.courses.importer import ImportErrors, import_courses

    try:
        results = import_courses(path, publish=publish, include_demo=demo)
    except ImportErrors as errors:
        db.session.rollback()
        for problem in errors.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(errors.problems)} error(es): no se importó nada.", err=True)
        sys.exit(1)
    db.session.commit()
    for result in results:
        if result.outcome == "skipped":
            click.echo(f"{result.slug}: omitido — es un curso de ejemplo (demo: true); se importa solo con --demo")
            continue
        click.echo(f"{result.slug}: {OUTCOMES[result.outcome]} — {result.modules} módulos, {result.lessons} lecciones, "
                   f"{result.quizzes} evaluaciones, {result.questions} preguntas")
        for warning in result.warnings:
            click.echo(f"  aviso: {warning}")
    counts = {outcome: sum(r.outcome == outcome for r in results) for outcome in TOTALS}
    click.echo("Cursos: " + ", ".join(f"{counts[key]} {label}" for key, label in TOTALS.items()
                                      if key != "skipped" or counts[key]) + ".")


@courses_cli.command("export")
@click.argument("slug")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_course_command(slug: str, folder: Path) -> None:
    """Write one course (by slug) as files in FOLDER, in the library format."""
    from lms.courses.importer import export_course
    from lms.courses.models import Course

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"No existe un curso con el slug «{slug}».")
    try:
        export_course(course, folder)
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Curso «{course.title}» exportado en {folder}.")


@courses_cli.command("stale")
def stale_command() -> None:
    """List the lessons whose review date (review_by) has passed: their laws, numbers or health rules need checking."""
    from lms.courses.models import lessons_to_review, local_today

    today = local_today()  # the network's calendar day (TIMEZONE)
    lessons = lessons_to_review(today)
    click.echo(f"Lecciones con la fecha de revisión (review_by) vencida al {today.isoformat()}: {len(lessons)}")
    for lesson in lessons:
        reviewed = lesson.reviewed_on.isoformat() if lesson.reviewed_on else "?"
        click.echo(f"  {lesson.review_by.isoformat()}  {lesson.course.slug}/{lesson.slug}  «{lesson.title}»"
                   f" (revisada el {reviewed})")


def register_cli(app: Flask) -> None:
    from lms.certificates.commands import register as register_certificate_commands

    register_certificate_commands(lms_cli)
    app.cli.add_command(lms_cli)
    app.cli.add_command(courses_cli)
