"""People, roles and the audit log of security events."""

import secrets
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    ADMIN = "admin"
    TRAINER = "trainer"
    LEARNER = "learner"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {Role.ADMIN: _l("Administradora"), Role.TRAINER: _l("Formadora"), Role.LEARNER: _l("Participante")}
STAFF_ROLES = frozenset({Role.ADMIN, Role.TRAINER})

# Peru's departments (and Callao): the network's four regions first, then the rest alphabetically.
REGIONS = {
    "puno": "Puno", "arequipa": "Arequipa", "madre-de-dios": "Madre de Dios", "junin": "Junín",
    "amazonas": "Amazonas", "ancash": "Áncash", "apurimac": "Apurímac", "ayacucho": "Ayacucho",
    "cajamarca": "Cajamarca", "callao": "Callao", "cusco": "Cusco", "huancavelica": "Huancavelica",
    "huanuco": "Huánuco", "ica": "Ica", "la-libertad": "La Libertad", "lambayeque": "Lambayeque",
    "lima": "Lima", "loreto": "Loreto", "moquegua": "Moquegua", "pasco": "Pasco", "piura": "Piura",
    "san-martin": "San Martín", "tacna": "Tacna", "tumbes": "Tumbes", "ucayali": "Ucayali",
}
LANGUAGE_NAMES = {"es": "Español", "en": "English", "qu": "Runasimi", "ay": "Aymar aru"}


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default=Role.LEARNER)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_pin: Mapped[bool] = mapped_column(default=False)
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    dni: Mapped[str | None] = mapped_column(String(8), unique=True)
    birth_year: Mapped[int | None]
    region: Mapped[str | None] = mapped_column(String(20))
    community: Mapped[str | None] = mapped_column(String(120))
    organisation: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5), default="es")
    consent_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

    # Flask-Login identifies the session by id *and* token, so rotating the token ends every session.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def region_name(self) -> str:
        return REGIONS.get(self.region or "", "")

    @property
    def masked_dni(self) -> str:
        return f"••••{self.dni[-3:]}" if self.dni else ""

    def set_secret(self, secret: str, method: str, one_time: bool = False) -> None:
        """Store a PIN or passphrase hash; a new secret ends every open session."""
        self.password_hash = generate_password_hash(secret, method=method)
        self.must_change_pin = one_time
        self.end_sessions()

    def check_secret(self, secret: str) -> bool:
        return check_password_hash(self.password_hash, secret)

    def end_sessions(self) -> None:
        self.session_token = new_session_token()

    @classmethod
    def free_username(cls, full_name: str) -> str:
        """A username made from the first name and first surname, numbered if taken: maria.quispe2."""
        words = [w for w in _ascii_words(full_name) if w][:2] or ["participante"]
        base = ".".join(words)[:34]
        taken = set(db.session.scalars(select(cls.username).where(cls.username.like(f"{base}%"))))
        candidates = [base] + [f"{base}{n}" for n in range(2, len(taken) + 3)]
        return next(name for name in candidates if name not in taken)

    @classmethod
    def find_for_signin(cls, login: str) -> "User | None":
        """The account whose username, or phone number, is `login`."""
        login = login.strip().lower()
        phone = normalise_phone(login)
        query = select(cls).where(cls.username == login)
        if phone:
            query = select(cls).where((cls.username == login) | (cls.phone == phone))
        return db.session.scalars(query.limit(1)).first()


def _ascii_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return ["".join(ch for ch in word if ch.isalnum()) for word in plain.split()]


def normalise_phone(value: str) -> str | None:
    """Digits of a Peruvian mobile number without the +51 prefix, or None if it is not one."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if value.strip().startswith("+51") or (len(digits) == 11 and digits.startswith("51")):
        digits = digits[2:]
    return digits if len(digits) == 9 and digits.startswith("9") else None


class AuditEvent(db.Model):
    """A security or content event: who did what to whom, when and from where. Never a secret."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


def audit(action: str, actor: User | None = None, subject: User | None = None,
          address: str | None = None, **detail) -> AuditEvent:
    """Add an audit event to the session (the caller commits)."""
    event = AuditEvent(action=action, actor_id=actor.id if actor else None,
                       subject_id=subject.id if subject else None, address=address, detail=detail)
    db.session.add(event)
    return event


cohort_trainer = db.Table(
    "cohort_trainer", db.metadata,
    db.Column("cohort_id", ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)
cohort_member = db.Table(
    "cohort_member", db.metadata,
    db.Column("cohort_id", ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Cohort(db.Model):
    """A named group of learners with a region and trainers, e.g. «Pallaqueras La Rinconada 2026»."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainer, order_by=User.full_name)
    members: Mapped[list[User]] = relationship(secondary=cohort_member, order_by=User.full_name)

    @property
    def region_name(self) -> str:
        return REGIONS.get(self.region or "", "")

    def is_led_by(self, user: User) -> bool:
        return user.is_admin or any(trainer.id == user.id for trainer in self.trainers)
