"""`flask lms check-deploy` refuses every insecure setting; backup and restore round-trip the data."""

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.deployment import STATIC_FOLDER, Deployment, backup, deploy_problems, restore
from lms.extensions import db

SAFE = {"SECRET_KEY": "s" * 48, "PUBLIC_BASE_URL": "https://cursos.rnm-mape.pe", "SESSION_COOKIE_SECURE": True,
        "TRUSTED_PROXIES": 1, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://lms@db/lms", "DEBUG": False,
        "UPLOAD_FOLDER": "/srv/lms/uploads",
        "CERTIFICATE_SIGNATORIES": [["Rosa Ccahuana Huamán", "Presidenta de la RNM-MAPE"]]}
PRODUCTION = Deployment(workers=4, hosts=2)


def test_a_production_like_configuration_passes():
    assert deploy_problems(SAFE, PRODUCTION, []) == []


@pytest.mark.parametrize(("change", "deployment", "demo", "fragment"), [
    ({"DEBUG": True}, PRODUCTION, [], "debug is on"),
    ({}, Deployment(workers=4, hosts=2, debug=True), [], "debug is on"),
    ({"SECRET_KEY": "dev-only-change-me"}, PRODUCTION, [], "SECRET_KEY"),
    ({"SECRET_KEY": "short-secret"}, PRODUCTION, [], "SECRET_KEY"),
    ({"SESSION_COOKIE_SECURE": False, "TRUSTED_PROXIES": 0}, PRODUCTION, [], "would not be Secure"),
    ({"PUBLIC_BASE_URL": "http://cursos.rnm-mape.pe"}, PRODUCTION, [], "not https"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, Deployment(workers=4), [], "in-memory rate limiting"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/lms.db"}, Deployment(hosts=2), [], "SQLite cannot be shared"),
    ({}, PRODUCTION, ["admin.demo"], "demo accounts"),
    ({"UPLOAD_FOLDER": str(STATIC_FOLDER / "uploads")}, PRODUCTION, [], "inside the app's static folder"),
    ({"UPLOAD_FOLDER": str(STATIC_FOLDER / "css" / ".." / "media")}, PRODUCTION, [], "static folder"),
])
def test_each_insecure_setting_is_refused(change, deployment, demo, fragment):
    problems = deploy_problems({**SAFE, **change}, deployment, demo)
    assert len(problems) == 1 and fragment in problems[0]


def test_one_worker_on_one_host_may_use_memory_and_sqlite():
    config = {**SAFE, "RATELIMIT_STORAGE_URI": "memory://", "SQLALCHEMY_DATABASE_URI": "sqlite:////srv/lms.db"}
    assert deploy_problems(config, Deployment(), []) == []


def test_backup_then_restore_brings_the_data_and_the_uploaded_files_back(app, make_user, tmp_path):
    make_user(username="antes.del.respaldo", full_name="Norma Yupanqui")
    uploads = tmp_path / "uploads"
    (uploads / "ab").mkdir(parents=True)
    (uploads / "ab" / "audio.ogg").write_bytes(b"OggS" + bytes(range(256)))
    (uploads / "portada.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"p" * 100)
    with app.app_context():
        saved = backup(app.config["SQLALCHEMY_DATABASE_URI"], uploads, tmp_path / "lms.tar.gz")
        assert saved.stat().st_size > 0
        db.session.execute(db.delete(User))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
        (uploads / "portada.png").unlink()
        (uploads / "after-the-backup.pdf").write_bytes(b"%PDF-1.4 later")
        restore(app.config["SQLALCHEMY_DATABASE_URI"], uploads, saved)
        db.engine.dispose()
        names = list(db.session.scalars(select(User.full_name)))
    assert names == ["Norma Yupanqui"]
    assert sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*") if p.is_file()) == [
        "ab/audio.ogg", "portada.png"]
    assert (uploads / "ab" / "audio.ogg").read_bytes() == b"OggS" + bytes(range(256))


def test_restore_of_a_missing_file_fails_clearly(app, tmp_path):
    with pytest.raises(FileNotFoundError):
        restore(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "uploads", tmp_path / "nada.backup")


def test_restore_refuses_an_archive_that_escapes_its_folder(app, tmp_path):
    import io
    import tarfile

    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as archive:
        data = b"pwned"
        info = tarfile.TarInfo("../../outside.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(tarfile.TarError):
        restore(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "uploads", evil)
    assert not (tmp_path.parent / "outside.txt").exists()


def test_check_deploy_command_passes_on_a_production_like_configuration(app):
    app.config.update({key: value for key, value in SAFE.items() if key != "SQLALCHEMY_DATABASE_URI"})
    result = app.test_cli_runner().invoke(args=["lms", "check-deploy", "--workers", "4", "--hosts", "2"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert result.exit_code == 1 and "SQLite cannot be shared" in result.output
        result = app.test_cli_runner().invoke(args=["lms", "check-deploy", "--workers", "4", "--hosts", "1"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_check_deploy_command_fails_on_the_default_settings_and_on_demo_accounts(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["lms", "seed-demo"]).exit_code == 0
    result = runner.invoke(args=["lms", "check-deploy", "--workers", "4"])
    assert result.exit_code == 1
    for fragment in ("SECRET_KEY", "in-memory rate limiting", "demo accounts", "not https"):
        assert fragment in result.output


def test_backup_and_restore_commands_round_trip(app, make_user, tmp_path):
    make_user(username="respaldo.cli", full_name="Elena Cusi")
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "leccion.mp3").write_bytes(b"ID3" + b"a" * 50)
    runner = app.test_cli_runner()
    saved = tmp_path / "cli.tar.gz"
    assert runner.invoke(args=["lms", "backup", str(saved)]).exit_code == 0
    with app.app_context():
        db.session.execute(db.delete(User))
        db.session.commit()
    result = runner.invoke(args=["lms", "restore", "--yes", str(saved)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
        assert list(db.session.scalars(select(User.username))) == ["respaldo.cli"]
    assert (tmp_path / "uploads" / "leccion.mp3").read_bytes() == b"ID3" + b"a" * 50
