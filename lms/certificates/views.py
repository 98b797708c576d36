"""Certificates on the web: the learner's download, public verification, and staff pages under /manage."""

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, func, select

import lms.certificates  # noqa: F401 - connects the «enrolment completed» receiver
from lms.accounts.access import cohort_for, cohorts_of
from lms.accounts.guards import STAFF, public, require_roles
from lms.accounts.models import User, audit
from lms.certificates import signing
from lms.certificates.access import (
    certificate_for,
    certificate_for_admin,
    managed_certificates,
    valid_certificates,
    valid_counts,
)
from lms.certificates.forms import ManualIssueForm, ReasonForm
from lms.certificates.issuing import (
    IssueError,
    ReissueError,
    certificate_data,
    issue_certificate,
    key_dir,
    reissue_certificate,
    roster_csv,
    sign_certificate,
)
from lms.certificates.models import Certificate, CertificateStatus, normalise_code
from lms.certificates.pdf import format_hours, render_batch, render_certificate
from lms.courses.access import course_for_edit, courses_of
from lms.courses.media import human_size
from lms.extensions import db, db_int, limiter
from lms.learning.access import in_learner_scope
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.learning.progress import complete_in_person

bp = Blueprint("certificates", __name__, url_prefix=None)
admin_bp = Blueprint("certificates_admin", __name__, url_prefix="/manage/certificates")
admin_bp.before_request(require_roles(*STAFF))
PAGE_SIZE = 50
APPROX_PDF_KB = 16  # measured by bench/bench_certificate_pdf.py; shown so a learner on 2G knows the cost
bp.add_app_template_global(APPROX_PDF_KB, "certificate_pdf_kb")
VERIFY_HEADERS = {"X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def hours_text(cert: Certificate) -> str:
    return format_hours(cert.hours, str(get_locale() or "es"))


def file_response(body: bytes | str, mimetype: str, filename: str):
    """A download that is never cached and names no person."""
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def signed_certificate_for(user: User, cert_id: int) -> Certificate:
    """certificate_for, signing a valid certificate issued before the network had a key (and committing that)."""
    cert = certificate_for(user, cert_id)
    if cert.signing_kid is None and cert.is_valid:
        sign_certificate(cert)
        db.session.commit()
    return cert


@bp.route("/certificados/<int:cert_id>.pdf")
def download(cert_id):
    cert = signed_certificate_for(current_user, cert_id)
    pdf = render_certificate(certificate_data(cert, current_app.config["PUBLIC_BASE_URL"]))
    return file_response(pdf, "application/pdf", f"certificado-{cert.display_code}.pdf")


def verification_page(cert: Certificate | None, state: str, status: int = 200):
    """The public page: only name, course, hours, completion date and issuer of a valid certificate."""
    facts = {}
    if cert is not None:
        facts = {"hours": hours_text(cert),
                 "completed": format_date(cert.completed_on, "long"),
                 "revoked": format_date(cert.revoked_at, "long") if cert.revoked_at else ""}
    response = make_response(render_template("certificates/verify.html", cert=cert, state=state,
                                             network_keys=published_keys(), **facts), status)
    response.headers.update(VERIFY_HEADERS)
    return response


def published_keys() -> dict[str, str]:
    """{kid: public key hex} of every key the network has used: what the page's script verifies with."""
    return {kid: public.hex() for kid, public in signing.public_keys(key_dir()).items()}


@bp.route("/verify")
@public
def verify():
    code = normalise_code(request.args.get("code", ""))
    if code:
        return redirect(url_for(".verify_code", code=code))
    return verification_page(None, "empty" if "code" in request.args else "ask")


@bp.route("/verify/<code>")
@public
@limiter.limit("30 per minute")
def verify_code(code):
    code = normalise_code(code)
    cert = db.session.scalar(select(Certificate).where(Certificate.code == code)) if len(code) <= 16 else None
    if cert is None:
        return verification_page(None, "missing", 404)
    return verification_page(cert, cert.status)


@bp.route("/verify/<code>/status.json")
@public
@limiter.limit("30 per minute")
def verify_status(code):
    """What the offline check asks once there is signal: is this code still valid? Nothing else about her."""
    code = normalise_code(code)
    cert = db.session.scalar(select(Certificate).where(Certificate.code == code)) if len(code) <= 16 else None
    response = jsonify(code=code, status=cert.status if cert else "missing")
    response.status_code = 200 if cert else 404
    response.headers.update(VERIFY_HEADERS)
    return response


@admin_bp.route("/")
def index():
    course_id = request.args.get("course", type=db_int)
    page = max(request.args.get("page", 1, type=db_int), 1)
    certs = managed_certificates(current_user, course_id, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)
    courses, cohorts = courses_of(current_user), cohorts_of(current_user)
    by_course, by_cohort = valid_counts(current_user, [c.id for c in courses], [c.id for c in cohorts])
    return render_template("certificates/index.html", certificates=certs[:PAGE_SIZE], courses=courses,
                           cohorts=cohorts, course_id=course_id, page=page, has_more=len(certs) > PAGE_SIZE,
                           by_course=by_course, by_cohort=by_cohort, batch_size=batch_size)


# Measured on the bundled fonts and a signed QR (tests/test_certificates.py keeps these honest).
BATCH_PDF_BYTES, PAGE_PDF_BYTES, CSV_ROW_BYTES = 16_000, 3_000, 140


def batch_size(count: int, fmt: str) -> str:
    """What a ceremony file of `count` certificates will weigh, before anyone spends data on it: «≈ 46 KB»."""
    size = BATCH_PDF_BYTES + PAGE_PDF_BYTES * count if fmt == "pdf" else 120 + CSV_ROW_BYTES * count
    return "≈ " + human_size(size)


@admin_bp.route("/<int:cert_id>")
def show(cert_id):
    cert = certificate_for(current_user, cert_id, manage=True)
    learner = cert.enrolment.user
    editable = learner.id in in_learner_scope(current_user, [learner.id])
    return render_template("certificates/show.html", cert=cert, hours=hours_text(cert), learner=learner,
                           editable=editable)


@admin_bp.route("/<int:cert_id>/revoke", methods=["GET", "POST"])
def revoke(cert_id):
    """Revoking asks first: what it means, the reason (shown publicly), and a button that says what it does."""
    cert = certificate_for_admin(current_user, cert_id)
    form = ReasonForm()
    if not cert.is_valid:
        flash(_("Este certificado ya no está vigente."), "error")
        return redirect(url_for(".show", cert_id=cert.id))
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("certificates/revoke.html", cert=cert, form=form, hours=hours_text(cert)), status
    cert.revoke(form.reason.data)
    audit("certificate.revoked", actor=current_user, subject=cert.enrolment.user, address=request.remote_addr,
          certificate_id=cert.id, course_id=cert.enrolment.course_id, reason=form.reason.data)
    db.session.commit()
    flash(_("Certificado %(code)s revocado.", code=cert.display_code), "success")
    return redirect(url_for(".show", cert_id=cert.id))


@admin_bp.route("/<int:cert_id>/reinstate", methods=["POST"])
def reinstate(cert_id):
    """Undo a revocation made by mistake (admins): valid again, with the same code; verification says so."""
    cert = certificate_for_admin(current_user, cert_id)
    if cert.status != CertificateStatus.REVOKED:
        flash(_("Solo un certificado revocado se puede restituir."), "error")
        return redirect(url_for(".show", cert_id=cert.id))
    cert.reinstate()
    audit("certificate.reinstated", actor=current_user, subject=cert.enrolment.user, address=request.remote_addr,
          certificate_id=cert.id, course_id=cert.enrolment.course_id)
    db.session.commit()
    flash(_("Certificado %(code)s restituido: vuelve a ser válido.", code=cert.display_code), "success")
    return redirect(url_for(".show", cert_id=cert.id))


@admin_bp.route("/<int:cert_id>/reissue", methods=["POST"])
def reissue(cert_id):
    """A new certificate with her corrected name: whoever sees the record may do it (the trainer who fixed the name
    at a workshop hands the right paper); revoking and reinstating stay with the admins."""
    cert = certificate_for(current_user, cert_id, manage=True)
    try:
        new = reissue_certificate(cert, issued_by=current_user)
    except ReissueError as error:
        flash(str(error), "error")
        return redirect(url_for(".show", cert_id=cert.id))
    audit("certificate.reissued", actor=current_user, subject=cert.enrolment.user, address=request.remote_addr,
          certificate_id=new.id, replaces_id=cert.id, course_id=cert.enrolment.course_id)
    db.session.commit()
    flash(_("Nuevo certificado %(code)s emitido; el anterior quedó reemplazado.", code=new.display_code), "success")
    return redirect(url_for(".show", cert_id=new.id))


def issuable_choices(course_id: int) -> list[tuple[int, str]]:
    """Enrolments of a course (not withdrawn) that have no certificate yet, by name."""
    has_cert = exists().where(Certificate.enrolment_id == Enrolment.id)
    rows = db.session.execute(
        select(Enrolment.id, User.full_name, User.username).join(User, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course_id, Enrolment.status != EnrolmentStatus.WITHDRAWN, ~has_cert)
        .order_by(func.lower(User.full_name)))
    return [(0, _("— Elige a la participante —"))] + [(row.id, f"{row.full_name} ({row.username})") for row in rows]


@admin_bp.route("/course/<int:course_id>/issue", methods=["GET", "POST"])
def issue(course_id):
    course = course_for_edit(current_user, course_id)
    form = ManualIssueForm()
    form.enrolment.choices = issuable_choices(course.id)
    if request.method == "GET":
        form.enrolment.data = request.args.get("enrolment", 0, type=db_int)
    if form.validate_on_submit():
        enrolment = db.session.get(Enrolment, form.enrolment.data)
        try:
            completed_now = complete_in_person(enrolment, by=current_user)  # the completion signal issues it
            cert = issue_certificate(enrolment, issued_by=current_user)
        except IssueError as error:
            db.session.rollback()
            flash(str(error), "error")
            return render_template("certificates/issue.html", form=form, course=course)
        audit("certificate.issued_manually", actor=current_user, subject=enrolment.user, address=request.remote_addr,
              certificate_id=cert.id, course_id=course.id, completed_now=completed_now, reason=form.reason.data)
        db.session.commit()
        flash(_("Certificado %(code)s emitido.", code=cert.display_code), "success")
        return redirect(url_for(".show", cert_id=cert.id))
    return render_template("certificates/issue.html", form=form, course=course)


def batch_response(certs: list[Certificate], fmt: str, stem: str, **scope):
    """The ceremony PDF (one certificate per page) or CSV list; audited; nothing when there is nothing."""
    if not certs:
        flash(_("Todavía no hay certificados válidos para imprimir aquí."), "info")
        return redirect(url_for(".index"))
    base = current_app.config["PUBLIC_BASE_URL"]
    if fmt == "pdf":
        body, mimetype = render_batch(certificate_data(cert, base) for cert in certs), "application/pdf"
    else:
        body, mimetype = roster_csv(certs, base), "text/csv"
    audit("certificate.batch_exported", actor=current_user, address=request.remote_addr, format=fmt,
          count=len(certs), **scope)
    db.session.commit()
    return file_response(body, mimetype, f"{stem}.{fmt}")


@admin_bp.route("/course/<int:course_id>.<any(pdf, csv):fmt>")
def course_batch(course_id, fmt):
    course = course_for_edit(current_user, course_id)
    return batch_response(valid_certificates(current_user, course_id=course.id), fmt,
                          f"certificados-curso-{course.id}", course_id=course.id)


@admin_bp.route("/cohort/<int:cohort_id>.<any(pdf, csv):fmt>")
def cohort_batch(cohort_id, fmt):
    cohort = cohort_for(current_user, cohort_id)
    return batch_response(valid_certificates(current_user, cohort_id=cohort.id), fmt,
                          f"certificados-grupo-{cohort.id}", cohort_id=cohort.id)


bp.register_blueprint(admin_bp)
