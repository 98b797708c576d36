"""Issuing certificates: one current certificate per enrolment, a snapshot of what was awarded."""

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User, utcnow
from lms.certificates import signing
from lms.certificates.models import (
    WITHDRAWN_CERTIFICATE_NAME,
    Certificate,
    CertificateSettings,
    CertificateStatus,
    new_code,
)
from lms.certificates.pdf import CertificateData, normalize_language
from lms.extensions import db
from lms.learning.access import next_workshops
from lms.learning.models import Enrolment
from lms.learning.progress import MyCourses, my_enrolments
from lms.workshops.models import start_of_today

PLACEHOLDER_SIGNATORY = "María Reyes"  # the example every fresh install prints until someone is configured
DEFAULT_SIGNATORIES = [[PLACEHOLDER_SIGNATORY, "Presidenta de la RNM-MAPE"]]
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


def my_courses_for(user, timezone: str) -> MyCourses:
    """The person's courses with progress, her next session where one is still missing, and each completed one's
    current certificate (for «Mis cursos»)."""
    mine = my_enrolments(user)
    mine.certificates = certificates_by_enrolment(e.id for e in mine.completed)
    if any(mine.progress[e.id].sessions_missing for e in mine.in_progress):
        mine.next_workshops = next_workshops(user, start_of_today(timezone))
    return mine


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
    fields = {
        "learner_name": learner.full_name, "course_title": course.title, "theme": course.theme.label(lang),
        "hours": course.hours, "completed_on": local_date(enrolment.completed_at), "issued_on": local_date(None),
        "language": lang, "network_name": network_name(), "signatories": current_signatories(),
        "issued_by_id": issued_by.id if issued_by else None,
    }
    return sign_certificate(_insert(enrolment.id, 1, fields))


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
    return sign_certificate(new)


def settings_row() -> CertificateSettings | None:
    return db.session.get(CertificateSettings, 1)


def current_signatories() -> list[list]:
    """Who signs now: the admin's settings, else CERTIFICATE_SIGNATORIES, else the placeholder.

    Each is [name, title] or [name, title, signature image media id] (the snapshot a certificate keeps)."""
    row = settings_row()
    if row is not None and row.signatories:
        return [[s["name"], s["title"]] + ([s["signature_media_id"]] if s.get("signature_media_id") else [])
                for s in row.signatories]
    configured = current_app.config.get("CERTIFICATE_SIGNATORIES") or DEFAULT_SIGNATORIES
    return [list(pair)[:2] for pair in configured]


def save_settings(signatories: list[dict], logo_media_id: int | None, by: User) -> CertificateSettings:
    """What an admin set: [{"name", "title", "signature_media_id"}] and the logo; certificates issued from
    now on snapshot these signatories (issued ones keep theirs). The caller commits."""
    row = settings_row() or CertificateSettings(id=1)
    row.signatories = [dict(entry) for entry in signatories]
    row.logo_media_id = logo_media_id
    row.updated_by_id = by.id
    db.session.add(row)
    db.session.flush()
    return row


def certificate_problems() -> list[str]:
    """What keeps certificates from being trusted: no signing key, or the placeholder signatory (check-deploy)."""
    problems = []
    try:
        if signing.signing_key(key_dir()) is None:
            problems.append(f"no certificate signing key in {key_dir()}: run `flask lms keys generate`.")
    except (OSError, ValueError, signing.KeyStoreError) as error:
        problems.append(f"the certificate signing key cannot be used: {error}")
    row = settings_row()
    if not (row and row.signatories) and not current_app.config.get("CERTIFICATE_SIGNATORIES"):
        problems.append(f"certificates would be signed by the placeholder «{PLACEHOLDER_SIGNATORY}»: set the "
                        "signatories in /admin/certificados or CERTIFICATE_SIGNATORIES.")
    return problems


def key_dir() -> Path:
    return Path(current_app.config["SIGNING_KEY_DIR"])


def statement(cert: Certificate, kid: str) -> signing.Statement:
    return signing.statement_for(kid, cert.code, cert.learner_name, cert.course_title, cert.hours, cert.completed_on)


def sign_certificate(cert: Certificate) -> Certificate:
    """Sign the certificate's statement with the network's active key; unsigned while no key exists.

    Signed once: a certificate that has a key id was signed, and if its signature is gone it was anonymised."""
    if cert.signature is not None or cert.signing_kid is not None:
        return cert
    active = signing.signing_key(key_dir())
    if active is not None:
        kid, private = active
        cert.signing_kid = kid
        cert.signature = signing.b64url(signing.sign(statement(cert, kid), private))
        db.session.flush()
    return cert


def unsigned_certificates() -> list[Certificate]:
    """Valid certificates with no signature yet, whose snapshot still names her (for `keys sign-missing`)."""

    query = select(Certificate).where(Certificate.signing_kid.is_(None), Certificate.status == CertificateStatus.VALID,
                                      Certificate.learner_name != WITHDRAWN_CERTIFICATE_NAME)
    return list(db.session.scalars(query.order_by(Certificate.id)))


def signed_fragment(cert: Certificate) -> str:
    """The QR's fragment: the signed statement in the QR alphabet ("" when the certificate is unsigned)."""
    if not cert.signature or not cert.signing_kid:
        return ""
    signature = signing.b64decode(cert.signature)
    return signing.pack(statement(cert, cert.signing_kid), signature)


def verify_url(cert: Certificate, base_url: str) -> str:
    """The public address of a certificate: PUBLIC_BASE_URL/verify/<code>."""
    return f"{base_url.rstrip('/')}/verify/{cert.code}"


def qr_content(cert: Certificate, base_url: str) -> str:
    """What the QR holds: the verification URL, and the signed statement in its fragment (never sent)."""
    fragment = signed_fragment(cert)
    return verify_url(cert, base_url) + (f"#{fragment}" if fragment else "")


def media_file(media_id: int | None) -> str | None:
    """The stored file of an uploaded image, for the renderers (which never touch the database)."""
    from lms.courses.media import media_path
    from lms.courses.models import Media

    media = db.session.get(Media, media_id) if media_id else None
    return str(media_path(media, current_app.config["UPLOAD_FOLDER"])) if media is not None else None


def certificate_data(cert: Certificate, base_url: str) -> CertificateData:
    """What the PDF prints, from the snapshot only (never the live course or learner); the logo is today's."""
    row = settings_row()
    return CertificateData(
        learner_name=cert.learner_name, course_title=cert.course_title, theme=cert.theme, hours=cert.hours,
        completed_on=cert.completed_on, issued_on=cert.issued_on, code=cert.display_code,
        verify_url=verify_url(cert, base_url), network_name=cert.network_name,
        signatories=tuple((str(entry[0]), str(entry[1])) for entry in cert.signatories), language=cert.language,
        qr_content=qr_content(cert, base_url),
        signature_images=tuple(media_file(entry[2] if len(entry) > 2 else None) for entry in cert.signatories),
        logo=media_file(row.logo_media_id if row else None))


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
