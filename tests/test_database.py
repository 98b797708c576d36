"""The database behaves the same on SQLite and PostgreSQL where the code relies on it."""

from sqlalchemy import select

from lms.accounts.models import User
from lms.extensions import db


def test_a_released_savepoint_is_undone_by_rolling_back_the_request(app):
    with app.app_context():
        with db.session.begin_nested():
            db.session.add(User(username="ahorro", full_name="Ahorro", password_hash="x"))
        db.session.rollback()
        assert db.session.scalar(select(User).where(User.username == "ahorro")) is None


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    from lms.accounts.models import AuditEvent

    with app.app_context():
        db.session.add(AuditEvent(action="x", actor_id=999_999))
        try:
            db.session.commit()
            raised = False
        except IntegrityError:
            db.session.rollback()
            raised = True
        assert raised
