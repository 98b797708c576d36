"""Issuing certificates: one current certificate per enrolment, a snapshot of what was awarded."""

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User, cohort_member, utcnow
from lms.certificates.models import Certificate, CertificateStatus, new_code
from lms.certificates.pdf import CertificateData, normalize_language
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus

DEFAULT_SIGNATORIES = [["María Reyes", "Presidenta de la RNM-MAPE"]]
CODE_ATTEMPTS = 5
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ReissueError(ValueError):
    """A certificate cannot be reissued; the message says why, in words for the admin."""


class IssueError(ValueError):
    """No certificate can be issued for this enrolment; the message says why, in words for the staff."""


def local_date(moment: datetime | None) -> date:
    """The calendar date of a UTC moment (naive means UTC) in the network's time zone."""
    moment = moment or utcnow()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "America/Lima"))).date()


def network_name() -> str:
    """The issuer as printed: «Red Nacional … del Perú (RNM-MAPE)»."""
    name, short = current_app.config["NETWORK_NAME"], current_app.config.get("NETWORK_SHORT_NAME")
    return f"{name} ({short})" if short and short not in name else name


def current_certificate(enrolment_id: int) -> Certificate | None:
    """The newest certificate of an enrolment (valid, revoked, or replaced only if nothing newer exists)."""
    query = select(Certificate).where(Certificate.enrolment_id == enrolment_id)
    return db.session.scalars(query.order_by(Certificate.generation.desc()).limit(1)).first()


def certificates_by_enrolment(enrolment_ids: Iterable[int]) -> dict[int, Certificate]:
    """{enrolment_id: its current certificate} for many enrolments in ONE query (for «Mis cursos»)."""
    ids = list(enrolment_ids)
    if not ids:
        return {}
    query = select(Certificate).where(Certificate.enrolment_id.in_(ids)).order_by(Certificate.generation)
    return {cert.enrolment_id: cert for cert in db.session.scalars(query)}  # the newest generation wins


def _insert(enrolment_id: int, generation: int, fields: dict) -> Certificate:
    """Insert generation `generation` in a savepoint; if a parallel request won, return its certificate."""
    for _attempt in range(CODE_ATTEMPTS):
        cert = Certificate(enrolment_id=enrolment_id, generation=generation, code=new_code(), **fields)
        try:
            with db.session.begin_nested():
                db.session.add(cert)
        except IntegrityError:
            existing = current_certificate(enrolment_id)
            if existing is not None and existing.generation >= generation:
                return existing
            continue  # the rare clash of random codes: draw another
        return cert
    raise RuntimeError("could not draw a free certificate code")


def issue_certificate(enrolment: Enrolment, issued_by: User | None = None, language: str | None = None) -> Certificate:
    """The enrolment's current certificate, issuing it now if there is none (idempotent; the caller commits)."""
    existing = current_certificate(enrolment.id)
    if existing is not None:
        return existing
    course, learner = enrolment.course, enrolment.user
    if course.demo:  # an example course is never official: nothing that looks like the network's certificate
        raise IssueError(_("Los cursos de ejemplo no dan certificado."))
    if enrolment.completed_at is None:  # a sender may have completed it with a bulk UPDATE: read it back
        db.session.refresh(enrolment, ["completed_at"])
    lang = normalize_language(language or learner.language)
    signatories = current_app.config.get("CERTIFICATE_SIGNATORIES") or DEFAULT_SIGNATORIES
    fields = {
        "learner_name": learner.full_name, "course_title": course.title, "theme": course.theme.label(lang),
        "hours": course.hours, "completed_on": local_date(enrolment.completed_at), "issued_on": local_date(None),
        "language": lang, "network_name": network_name(), "signatories": [list(pair) for pair in signatories],
        "issued_by_id": issued_by.id if issued_by else None,
    }
    return _insert(enrolment.id, 1, fields)


def complete_in_person(enrolment: Enrolment) -> bool:
    """Mark an enrolment completed now unless it already is (atomic); True if this call completed it."""
    result = db.session.execute(
        update(Enrolment).where(Enrolment.id == enrolment.id, Enrolment.status != EnrolmentStatus.COMPLETED)
        .values(status=EnrolmentStatus.COMPLETED, completed_at=utcnow()).execution_options(synchronize_session=False))
    db.session.refresh(enrolment)
    return result.rowcount == 1


def reissue_certificate(old: Certificate, issued_by: User | None = None) -> Certificate:
    """A new certificate with the learner's current name and a new code; the old one is marked replaced."""
    if not old.is_valid:
        raise ReissueError(_("Solo se puede volver a emitir un certificado válido."))
    name = old.enrolment.user.full_name
    if name == old.learner_name:
        raise ReissueError(_("El nombre no cambió. Corrige primero el nombre en la cuenta de la participante."))
    keep = ("course_title", "theme", "hours", "completed_on", "language", "network_name", "signatories")
    fields = {key: getattr(old, key) for key in keep}
    fields.update(learner_name=name, issued_on=local_date(None), issued_by_id=issued_by.id if issued_by else None)
    new = _insert(old.enrolment_id, old.generation + 1, fields)
    old.status, old.replaced_by_id = CertificateStatus.REPLACED, new.id
    db.session.flush()
    return new


def verify_url(cert: Certificate, base_url: str) -> str:
    """The absolute address a QR code holds: PUBLIC_BASE_URL/verify/<code>."""
    return f"{base_url.rstrip('/')}/verify/{cert.code}"


def certificate_data(cert: Certificate, base_url: str) -> CertificateData:
    """What the PDF prints, from the snapshot only (never the live course or learner)."""
    return CertificateData(
        learner_name=cert.learner_name, course_title=cert.course_title, theme=cert.theme, hours=cert.hours,
        completed_on=cert.completed_on, issued_on=cert.issued_on, code=cert.display_code,
        verify_url=verify_url(cert, base_url), network_name=cert.network_name,
        signatories=tuple((str(name), str(role)) for name, role in cert.signatories), language=cert.language)


def valid_certificates(course_id: int | None = None, cohort_id: int | None = None) -> list[Certificate]:
    """Valid certificates of a course, or of a cohort (enrolled through it or its members), by learner name."""
    query = select(Certificate).join(Enrolment).where(Certificate.status == CertificateStatus.VALID)
    if course_id is not None:
        query = query.where(Enrolment.course_id == course_id)
    if cohort_id is not None:
        members = select(cohort_member.c.user_id).where(cohort_member.c.cohort_id == cohort_id)
        query = query.where(or_(Enrolment.cohort_id == cohort_id, Enrolment.user_id.in_(members)))
    return list(db.session.scalars(query.order_by(Certificate.learner_name, Certificate.course_title)))


def safe_cell(value) -> str:
    """A spreadsheet cell that cannot run as a formula: a leading = + - @ tab or CR gets an apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def roster_csv(certs: Iterable[Certificate], base_url: str) -> str:
    """The ceremony list as CSV text with a BOM, so spreadsheet programs read the accents right."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL)  # one cell per text, whatever list separator Excel uses
    writer.writerow([_("nombre"), _("curso"), _("código"), _("fecha"), _("URL de verificación")])
    for cert in certs:
        row = (cert.learner_name, cert.course_title, cert.display_code, cert.completed_on.isoformat(),
               verify_url(cert, base_url))
        writer.writerow([safe_cell(value) for value in row])
    return "\ufeff" + out.getvalue()
