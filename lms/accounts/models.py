"""People, roles and the audit log of security events."""

import base64
import hashlib
import json
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String, Text, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from lms.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"  # an admin's powers over the people, courses and reports of her regions
    TRAINER = "trainer"
    LEARNER = "learner"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {Role.ADMIN: _l("Administradora"), Role.COORDINATOR: _l("Coordinadora regional"),
               Role.TRAINER: _l("Formadora"), Role.LEARNER: _l("Participante")}
STAFF_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR, Role.TRAINER})

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


class AccountClash(Exception):
    """Another account took this username, DNI or phone while this one was being saved."""


class CoordinatorRegion(db.Model):
    """A region a regional coordinator looks after (one row per coordinator and region)."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String(20), primary_key=True)


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
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)  # E.164: +51987654321
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
    anonymised_at: Mapped[datetime | None]

    region_rows: Mapped[list[CoordinatorRegion]] = relationship(cascade="all, delete-orphan",
                                                                order_by=CoordinatorRegion.region)

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
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def regions(self) -> list[str]:
        """The regions a coordinator looks after (nobody else has any)."""
        return [row.region for row in self.region_rows] if self.is_coordinator else []

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def region_name(self) -> str:
        return REGIONS.get(self.region or "", "")

    @property
    def masked_dni(self) -> str:
        return f"••••{self.dni[-3:]}" if self.dni else ""

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

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
    def free_username(cls, full_name: str, salt: str = "") -> str:
        """A username made from the first name and first surname, numbered if taken: maria.quispe2."""
        words = [w for w in _ascii_words(full_name) if w][:2]
        base = (".".join(words)[:30] if words and not "".join(words).isdigit() else "participante") + salt
        taken = set(db.session.scalars(select(cls.username).where(cls.username.like(f"{base}%"))))
        candidates = [base] + [f"{base}{n}" for n in range(2, len(taken) + 3)]
        return next(name for name in candidates if name not in taken)

    @classmethod
    def find_for_signin(cls, login: str) -> "User | None":
        """The account `login` names: a phone number finds the account with that phone (never a username
        that merely looks like one, unless no account has that phone); anything else is a username."""
        login = login.strip().lower()
        phone = normalise_phone(login)
        if phone:
            user = db.session.scalars(select(cls).where(cls.phone == phone)).first()
            if user is not None:
                return user
        return db.session.scalars(select(cls).where(cls.username == login)).first()

    def add_new(self, name_for_username: str | None = None) -> None:
        """Insert this new account; with `name_for_username`, under the first free username made from it.

        Two imports may pick the same free name at once: the loser of the race draws again (AccountClash when
        what clashes is not the username, e.g. a DNI two files share).
        """
        for attempt in range(6):
            if name_for_username is not None:
                self.username = User.free_username(name_for_username, "" if attempt < 3 else secrets.token_hex(2))
            try:
                with db.session.begin_nested():
                    db.session.add(self)
                return
            except IntegrityError:
                if name_for_username is None or db.session.scalar(
                        select(User.id).where(User.username == self.username)) is None:
                    raise AccountClash from None
        raise AccountClash


def _ascii_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return ["".join(ch for ch in word if ch.isalnum()) for word in plain.split()]


def normalise_phone(value: str | None) -> str | None:
    """A mobile number in E.164 (+51987654321), Peruvian unless it starts with +; None if it is not one."""
    text = (value or "").strip()
    if not text or len(text) > 24 or not any(ch.isdigit() for ch in text):
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if not text.startswith("+") and len(digits) == 11 and digits.startswith("51"):
        text = "+" + digits  # 51987654321 typed without the plus
    try:
        number = phonenumbers.parse(text, "PE")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
            phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(value: str) -> bool:
    """True for text a person could mean as a phone number (a username must never look like one)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return normalise_phone(value) is not None or (len(digits) >= 7 and len(digits) >= len(value.strip()) - 3)


def display_phone(phone: str | None) -> str:
    """A stored phone as people write it: 987 654 321 for Peru, +591 … for other countries."""
    if not phone:
        return ""
    try:
        number = phonenumbers.parse(phone, "PE")
    except phonenumbers.NumberParseException:
        return phone
    style = phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 51 else \
        phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


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


# Cohort join codes: no look-alikes (0/O, 1/I/L), easy to read aloud and type on a phone.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(6))


def normalise_join_code(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())[:12]


class Cohort(db.Model):
    """A named group of learners with a region and trainers, e.g. «Pallaqueras La Rinconada 2026»."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    region: Mapped[str | None] = mapped_column(String(20), index=True)
    join_code: Mapped[str | None] = mapped_column(String(12), unique=True)  # a learner types it to join
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainer, order_by=User.full_name)
    members: Mapped[list[User]] = relationship(secondary=cohort_member, order_by=User.full_name)

    @property
    def region_name(self) -> str:
        return REGIONS.get(self.region or "", "")

    def add_member(self, user_id: int) -> bool:
        """Put a learner in this cohort (insert-or-ignore); True if she was not in it."""
        try:
            with db.session.begin_nested():
                db.session.execute(insert(cohort_member).values(cohort_id=self.id, user_id=user_id))
            return True
        except IntegrityError:
            return False

    def new_join_code(self) -> None:
        """Give the cohort a fresh join code (the old one stops working); retried on the rare clash."""
        for _attempt in range(5):
            code = new_join_code()
            if db.session.scalar(select(Cohort.id).where(Cohort.join_code == code)) is None:
                self.join_code = code
                return
        raise RuntimeError("could not draw a free join code")

    @property
    def join_code_display(self) -> str:
        return f"{self.join_code[:3]}-{self.join_code[3:]}" if self.join_code else ""


SHEET_MINUTES = 30  # how long a trainer may show (and print) the one-time secrets she just gave


def _sheet_cipher(secret_key: str) -> Fernet:
    """Sheets are encrypted at rest with a key derived from the app's SECRET_KEY (never stored anywhere)."""
    digest = hashlib.sha256(b"rnm-mape one-time sheet\0" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


class OneTimeSheet(db.Model):
    """The one-time PINs (or passphrases) a staff member just gave, kept encrypted for SHEET_MINUTES so the page
    that shows them is a plain GET: a reload shows the same sheet and never makes new accounts or new PINs.

    The id in the URL is random and says nothing about anyone; only the person who made it may open it.
    """

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    payload: Mapped[str] = mapped_column(Text)

    @classmethod
    def keep(cls, actor: User, content: dict, secret_key: str) -> "OneTimeSheet":
        """Store `content` (JSON-able) for `actor`; expired sheets of anyone are removed on the way."""
        db.session.execute(delete(cls).where(cls.created_at < utcnow() - timedelta(minutes=SHEET_MINUTES)))
        sheet = cls(id=secrets.token_urlsafe(18), actor_id=actor.id,
                    payload=_sheet_cipher(secret_key).encrypt(json.dumps(content).encode()).decode())
        db.session.add(sheet)
        return sheet

    def content(self, secret_key: str) -> dict | None:
        """What was stored, or None once expired (or if SECRET_KEY changed since)."""
        created = self.created_at if self.created_at.tzinfo else self.created_at.replace(tzinfo=UTC)
        if utcnow() - created > timedelta(minutes=SHEET_MINUTES):
            return None
        try:
            return json.loads(_sheet_cipher(secret_key).decrypt(self.payload.encode()))
        except InvalidToken:
            return None
