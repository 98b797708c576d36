"""`flask lms` commands."""

from sqlalchemy import func, select

from lms.accounts.models import Role, User
from lms.cli import DEMO_PEOPLE
from lms.extensions import db


def test_seed_demo_creates_the_demo_accounts_once(app, login):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "seed-demo"])
    assert first.exit_code == 0 and f"{len(DEMO_PEOPLE)} creadas" in first.output
    second = runner.invoke(args=["lms", "seed-demo"])
    assert "0 creadas" in second.output
    with app.app_context():
        roles = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
        regions = set(db.session.scalars(select(User.region).where(User.role == Role.LEARNER)))
    assert roles == {"admin": 1, "trainer": 2, "learner": 10} and regions == {"puno", "arequipa"}
    for username in ("admin.demo", "formadora.demo", "minera.demo"):
        assert login(app.test_client(), username, "minera-segura-2026").headers["Location"] == "/inicio"


def test_seed_demo_takes_a_password_and_is_refused_in_production(app, login):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["lms", "seed-demo", "--password", "otra clave larga"]).exit_code == 0
    assert login(app.test_client(), "minera.demo", "otra clave larga").headers["Location"] == "/inicio"
    app.config["ENV_NAME"] = "production"
    refused = runner.invoke(args=["lms", "seed-demo"])
    assert refused.exit_code != 0 and "producción" in refused.output


def test_create_admin_applies_the_passphrase_policy(app, login):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["lms", "create-admin", "--username", "maria.reyes", "--full-name", "María Reyes",
                                "--password", "corta"])
    assert short.exit_code != 0 and "al menos 10" in short.output
    ok = runner.invoke(args=["lms", "create-admin", "--username", "maria.reyes", "--full-name", "María Reyes",
                             "--password", "la red crece en puno"])
    assert ok.exit_code == 0, ok.output
    assert login(app.test_client(), "maria.reyes", "la red crece en puno").headers["Location"] == "/inicio"
