"""Open Badges 3.0 on the web: her credential (JSON, baked badge) and phone picture; the public issuer documents."""

import json

from flask import Blueprint, abort, current_app
from flask_login import current_user

from lms.accounts.guards import public
from lms.accounts.models import utcnow
from lms.certificates import badges, signing
from lms.certificates.access import course_for_achievement
from lms.certificates.images import badge_png, certificate_png
from lms.certificates.issuing import certificate_data, key_dir
from lms.certificates.models import Certificate
from lms.certificates.views import file_response, signed_certificate_for

bp = Blueprint("badges", __name__)
APPROX_PNG_KB = 35  # the phone picture, measured by bench/bench_certificate_pdf.py; shown next to the link
bp.add_app_template_global(APPROX_PNG_KB, "certificate_png_kb")
PUBLIC_HEADERS = {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}  # wallets read these anywhere


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def json_document(document: dict, mimetype: str = "application/json"):
    response = current_app.response_class(json.dumps(document, ensure_ascii=False, indent=1), mimetype=mimetype)
    response.headers.update(PUBLIC_HEADERS)
    return response


def owned_signed(cert_id: int) -> Certificate:
    return signed_certificate_for(current_user, cert_id)


@bp.route("/certificados/<int:cert_id>.json")
def credential(cert_id):
    cert = owned_signed(cert_id)
    document = badges.signed_credential(cert, base_url(), key_dir(), current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return file_response(json.dumps(document, ensure_ascii=False, indent=1), "application/json",
                         f"insignia-{cert.display_code}.json")


@bp.route("/certificados/<int:cert_id>-insignia.png")
def badge(cert_id):
    cert = owned_signed(cert_id)
    document = badges.signed_credential(cert, base_url(), key_dir(), current_app.config["BABEL_DEFAULT_TIMEZONE"])
    image = badge_png(cert.course_title, current_app.config["NETWORK_SHORT_NAME"], document)
    return file_response(image, "image/png", f"insignia-{cert.display_code}.png")


@bp.route("/certificados/<int:cert_id>.png")
def picture(cert_id):
    cert = owned_signed(cert_id)
    return file_response(certificate_png(certificate_data(cert, base_url())), "image/png",
                         f"certificado-{cert.display_code}.png")


@bp.route("/.well-known/did.json")
@public
def did_document():
    keys = signing.public_keys(key_dir())
    return json_document(badges.did_document(base_url(), keys), "application/did+json")


@bp.route("/credentials/issuer")
@public
def issuer():
    return json_document(badges.profile_document(base_url(), current_app.config["NETWORK_NAME"]))


@bp.route("/credentials/achievements/<int:course_id>")
@public
def achievement(course_id):
    course = course_for_achievement(course_id)
    return json_document(badges.achievement_document(course, base_url()))


@bp.route("/credentials/status/<int:list_id>")
@public
def status_list(list_id):
    if list_id < 1 or list_id > 1_000:
        abort(404)
    try:
        document = badges.signed_status_list(list_id, base_url(), key_dir(), utcnow())
    except signing.KeyStoreError:
        abort(404)
    return json_document(document)

