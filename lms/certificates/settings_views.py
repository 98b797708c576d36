"""/admin/certificados: who signs the network's certificates and its logo (admins only)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.guards import require_roles
from lms.accounts.models import Role, audit
from lms.certificates.forms import SIGNATORY_SLOTS, SettingsForm
from lms.certificates.issuing import save_settings, settings_row
from lms.courses.media import MediaError, store_upload
from lms.courses.models import MediaKind
from lms.extensions import db

bp = Blueprint("certificate_settings", __name__, url_prefix="/admin/certificados")
bp.before_request(require_roles(Role.ADMIN))


def stored_image(field, keep: int | None) -> int | None:
    """The media id of a newly uploaded image in `field`, else the one kept (MediaError says why not)."""
    if not field.data or not getattr(field.data, "filename", ""):
        return keep
    config = current_app.config
    media = store_upload(field.data.read(), field.data.filename, None, {MediaKind.IMAGE}, config["UPLOAD_FOLDER"],
                         config["MAX_UPLOAD_MB"] * 1024 * 1024)
    return media.id


def filled(form: SettingsForm) -> SettingsForm:
    """The form with what is saved now (GET)."""
    row = settings_row()
    for n, entry in enumerate(row.signatories if row else [], start=1):
        name, title, _signature = form.slot(n)
        name.data, title.data = entry["name"], entry["title"]
    return form


def submitted(form: SettingsForm) -> tuple[list[dict], int | None]:
    """The signatories and logo from the form; images uploaded now replace those saved in the same slot."""
    row = settings_row()
    saved = row.signatories if row else []
    signatories = []
    for n in range(1, SIGNATORY_SLOTS + 1):
        name, title, signature = form.slot(n)
        if name.data:
            keep = saved[n - 1].get("signature_media_id") if n <= len(saved) else None
            signatories.append({"name": name.data, "title": title.data,
                                "signature_media_id": stored_image(signature, keep)})
    return signatories, stored_image(form.logo, row.logo_media_id if row else None)


@bp.route("/", methods=["GET", "POST"])
def edit():
    form = SettingsForm()
    if request.method == "GET":
        filled(form)
    if form.validate_on_submit():
        try:
            signatories, logo = submitted(form)
        except MediaError as error:
            form.logo.errors.append(str(error))
        else:
            save_settings(signatories, logo, current_user)
            audit("certificate.settings_changed", actor=current_user, address=request.remote_addr,
                  signatories=[entry["name"] for entry in signatories])
            db.session.commit()
            flash(_("Guardado. Los certificados que se emitan desde ahora llevarán estas firmas."), "success")
            return redirect(url_for(".edit"))
    saved = settings_row()
    return render_template("certificates/settings.html", form=form, saved=saved,
                           slots=range(1, SIGNATORY_SLOTS + 1)), 200 if request.method == "GET" else 400
