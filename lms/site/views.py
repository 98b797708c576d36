"""Front page, role homes, language switch, /healthz and the error pages."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from limits import parse
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from lms.accounts.guards import public, safe_next
from lms.accounts.models import Role, audit
from lms.certificates.issuing import my_courses_for
from lms.extensions import db, limiter

bp = Blueprint("site", __name__)

ERROR_MESSAGES = {
    400: (_l("Solicitud no válida"), _l("Algo en el formulario no llegó bien. Vuelve atrás e inténtalo otra vez.")),
    403: (_l("No tienes permiso"), _l("Esta página no es para tu cuenta.")),
    404: (_l("Página no encontrada"), _l("No encontramos lo que buscas. Revisa la dirección.")),
    405: (_l("Acción no permitida"), _l("Esta página no acepta esa acción.")),
    413: (_l("Archivo demasiado grande"), _l("El archivo pasa el tamaño permitido. Elige uno más pequeño.")),
    429: (_l("Demasiados intentos"), _l("Espera unos minutos antes de volver a intentarlo.")),
    500: (_l("Error del servidor"), _l("Algo falló de nuestro lado. No perdiste nada; inténtalo en un momento.")),
}


@bp.before_app_request
def refuse_nul_bytes():
    """No person types a NUL byte, and PostgreSQL can neither store nor compare one: 400 before any query."""
    pairs = [("", request.path), *request.args.items(multi=True), *request.form.items(multi=True)]
    if any("\x00" in key or "\x00" in value for key, value in pairs):
        abort(400)


@bp.route("/")
@public
def index():
    if current_user.is_authenticated:
        return redirect(url_for("site.dashboard"))
    return render_template("site/index.html")


@bp.route("/inicio")
def dashboard():
    template = {Role.ADMIN: "site/home_admin.html", Role.COORDINATOR: "site/home_coordinator.html",
                Role.TRAINER: "site/home_trainer.html"}
    if current_user.role in template:
        return render_template(template[current_user.role])
    mine = my_courses_for(current_user, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return render_template("site/home_learner.html", my=mine)


@bp.route("/idioma")
@public
def language_page():
    """Every language in its own name, as big buttons; the header's globe leads here from any page."""
    return render_template("site/language.html", next=safe_next(request.args.get("next"), url_for("site.index")))


@bp.route("/idioma", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("site.index")))


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        current_app.logger.exception("health check: database unreachable")
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


def log_refusal() -> None:
    """Put a 403 in the audit log — at most FORBIDDEN_LOGGED_PER_HOUR per person (or address, for visitors), so a
    flood of refusals cannot flood the log. The path is kept; the query string (it may hold a search) is not."""
    who = f"user:{current_user.id}" if current_user.is_authenticated else f"address:{request.remote_addr}"
    per_hour = parse(f"{current_app.config['FORBIDDEN_LOGGED_PER_HOUR']} per hour")
    if not limiter.limiter.hit(per_hour, "forbidden-logged", who):
        return
    db.session.rollback()  # nothing the refused request began is kept
    audit("access.denied", actor=current_user if current_user.is_authenticated else None,
          address=request.remote_addr, method=request.method, path=request.path[:200],
          endpoint=request.endpoint)
    db.session.commit()


def error_page(error: HTTPException):
    code = error.code if error.code in ERROR_MESSAGES else 500
    if code == 403:
        log_refusal()
    title, message = ERROR_MESSAGES[code]
    if isinstance(error, CSRFError):
        message = _("La página caducó o se abrió en otra sesión. Vuelve atrás, recarga la página e inténtalo otra vez.")
    return render_template("errors.html", code=code, title=title, message=message), code


def server_error(_error):
    db.session.rollback()
    title, message = ERROR_MESSAGES[500]
    return render_template("errors.html", code=500, title=title, message=message), 500


def register_error_pages(app):
    for code in ERROR_MESSAGES:
        if code != 500:
            app.register_error_handler(code, error_page)
    app.register_error_handler(500, server_error)


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# No page may use the camera, the microphone or the location, except the editor's pages that record
# (lms/authoring/views.py, RECORDING_PAGES): the microphone for this site, and playing back the recording
# the page holds in memory (a blob: URL) before it is uploaded.
PERMISSIONS = "camera=(), microphone=(), geolocation=()"
RECORDING_PERMISSIONS = "camera=(), microphone=(self), geolocation=()"
RECORDING_CSP = CSP.replace("media-src 'self'", "media-src 'self' blob:")


def security_headers(response):
    """Headers every response carries (see README, «Seguridad»)."""
    recording = g.get("records_audio", False)  # set by the editor's pages with «Grabar audio»
    response.headers.setdefault("Content-Security-Policy", RECORDING_CSP if recording else CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "same-origin")  # a view may be stricter (verification)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = RECORDING_PERMISSIONS if recording else PERMISSIONS
    if current_app.config["PUBLIC_BASE_URL"].startswith("https://"):
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Read the session, not current_user: after the view's commit the user row is expired and asking
    # current_user.is_authenticated (is_active) would cost one more query on every signed-in page.
    if session.get("_user_id"):
        response.headers.setdefault("Cache-Control", "no-store")  # a shared phone keeps no copy of her pages
    return response


def buffer_static(response):
    """Read small static files into memory so compression can close the file (and compress them)."""
    if request.endpoint == "static" and response.direct_passthrough:
        # Any status: a 304 or a request the browser abandoned must not leave the file open either.
        data = b"" if response.status_code == 304 else b"".join(response.response)
        getattr(response.response, "close", lambda: None)()
        response.direct_passthrough = False
        response.set_data(data)
    return response


def select_locale() -> str:
    """The person's saved language, else the one chosen on this device, else Spanish."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    return session.get("lang") if session.get("lang") in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=256)
def _fingerprint(static_folder: str, filename: str) -> str:
    path = Path(static_folder) / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"


def static_url(filename: str) -> str:
    """URL of a static file with its content hash, so browsers may cache it for a year."""
    return url_for("static", filename=filename, v=_fingerprint(current_app.static_folder, filename))


@bp.app_template_filter("when")
def when(moment) -> str:
    """A session's day and time as people say it, in the page's language: «viernes 4 de diciembre, 17:00»."""
    return format_datetime(moment, _("EEEE d 'de' MMMM, HH:mm"))


@bp.app_template_filter("present")
def present(attributes: dict) -> dict:
    """Only the HTML attributes that have a value (WTForms would print None as "None")."""
    return {key: value for key, value in attributes.items() if value not in (None, False, "")}


LEARNER_MENU = (("learning.my_courses", _l("Mis cursos")), ("learning.my_workshops", _l("Talleres")),
                ("courses.catalogue", _l("Catálogo")), ("accounts.profile", _l("Perfil")))
STAFF_MENU = (("site.dashboard", _l("Inicio")), ("people.index", _l("Participantes")),
              ("cohorts.index", _l("Grupos")), ("workshops.index", _l("Talleres")),
              ("authoring.index", _l("Editar cursos")), ("reports.index", _l("Reportes")))


def learner_menu(_user):
    return LEARNER_MENU


def staff_menu(user):
    """One word, one place: «Editar cursos» is authoring, «Catálogo» (footer) is what learners see."""
    admin = (("admin.people", _l("Cuentas")),) if user.is_admin else ()
    return STAFF_MENU + admin + (("accounts.profile", _l("Perfil")),)


@bp.app_context_processor
def layout_context():
    from flask_babel import get_locale

    names = {"es": "Español", "en": "English"}
    languages = [(code, names.get(code, code)) for code in current_app.config["LANGUAGES"]]
    return {"current_locale": str(get_locale() or "es"), "languages": languages, "static_url": static_url,
            "learner_menu": learner_menu, "staff_menu": staff_menu}


OFFLINE_FILES = ("css/site.css", "js/verify.js", "icons/favicon.svg")  # what the offline pages use


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker, served from the root so it may serve the whole site; its text (and so its version)
    changes whenever a file it precaches or a published signing key changes, so browsers update it."""
    from lms.certificates.issuing import key_dir
    from lms.certificates.signing import public_keys

    precache = [url_for("certificates.verify")] + [static_url(name) for name in OFFLINE_FILES]
    keys = sorted(public.hex() for public in public_keys(key_dir()).values())
    version = hashlib.sha256(json.dumps([precache, keys]).encode()).hexdigest()[:12]
    source = (Path(current_app.static_folder) / "js" / "sw.js").read_text(encoding="utf-8")
    body = source.replace("__VERSION__", version).replace("__PRECACHE__", json.dumps(precache))
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response
