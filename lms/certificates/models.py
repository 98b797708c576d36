"""Certificates: a snapshot of what was awarded, with a public code anyone can check."""

import secrets
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import utcnow
from lms.extensions import db
from lms.learning.models import Enrolment

# No look-alikes: no 0/O, 1/I/L. 31 symbols, 10 of them give ~49 bits: guessing is hopeless and throttled.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
WITHDRAWN_CERTIFICATE_NAME = "(nombre retirado a pedido de la titular)"  # the snapshot after anonymisation


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(value: str) -> str:
    """What a person typed, in any case, with or without dashes or spaces, as stored."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def display_code(code: str) -> str:
    """K7QXM4PA93 -> K7QX-M4PA-93."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


class CertificateStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    REPLACED = "replaced"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {CertificateStatus.VALID: _l("Válido"), CertificateStatus.REVOKED: _l("Revocado"),
                 CertificateStatus.REPLACED: _l("Reemplazado")}


class Certificate(db.Model):
    """At most one current certificate per enrolment; a reissue replaces it with a new code."""

    __table_args__ = (UniqueConstraint("enrolment_id", "generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"), index=True)
    generation: Mapped[int] = mapped_column(default=1)
    code: Mapped[str] = mapped_column(String(16), unique=True, default=new_code)
    status: Mapped[str] = mapped_column(String(10), default=CertificateStatus.VALID)
    learner_name: Mapped[str] = mapped_column(String(120))
    course_title: Mapped[str] = mapped_column(String(160))
    theme: Mapped[str] = mapped_column(String(80))
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1))
    completed_on: Mapped[date]
    issued_on: Mapped[date]
    language: Mapped[str] = mapped_column(String(5), default="es")
    network_name: Mapped[str] = mapped_column(String(200))
    signatories: Mapped[list] = mapped_column(JSON, default=list)  # [[name, role], ...]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(300))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id", ondelete="SET NULL"))
    # Ed25519 signature (base64url) of the statement the QR carries, and the network key that made it.
    signature: Mapped[str | None] = mapped_column(String(100))
    signing_kid: Mapped[str | None] = mapped_column(String(16))

    enrolment: Mapped[Enrolment] = relationship()
    replaced_by: Mapped["Certificate | None"] = relationship(remote_side=[id])

    @property
    def display_code(self) -> str:
        return display_code(self.code)

    @property
    def status_label(self) -> str:
        return CertificateStatus(self.status).label

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID

    def revoke(self, reason: str) -> None:
        self.status = CertificateStatus.REVOKED
        self.revoked_at = utcnow()
        self.revoked_reason = reason

    def reinstate(self) -> None:
        """Undo a revocation (a mistake): valid again, the same code and signature, the reason kept nowhere."""
        if self.status != CertificateStatus.REVOKED:
            raise ValueError("only a revoked certificate can be reinstated")
        self.status = CertificateStatus.VALID
        self.revoked_at = None
        self.revoked_reason = None

    def withdraw_name(self, placeholder: str) -> None:
        """Anonymisation: the snapshot stops naming her, and the stored signature over her name goes too
        (with it anyone could test guesses of her name); the QR on her paper still carries its own copy."""
        self.learner_name = placeholder
        self.signature = None


class CertificateSettings(db.Model):
    """How the network's certificates look and who signs them, set by an admin (one row, id 1).

    `signatories` is [{"name", "title", "signature_media_id"}]; images live in the media store.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    signatories: Mapped[list] = mapped_column(JSON, default=list)
    logo_media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
