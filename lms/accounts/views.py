"""Sign in and out, one-time PIN change, self-registration, the person's own profile and joining a cohort."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from lms.accounts.forms import ChangeSecretForm, JoinCohortForm, LoginForm, NewSecretForm, ProfileForm, RegisterForm
from lms.accounts.guards import mark_session_start, public, safe_next, signin_guard
from lms.accounts.models import Cohort, Role, User, audit, normalise_join_code, utcnow
from lms.accounts.pins import secret_problem
from lms.accounts.signin import authenticate, check_current_secret, count_guess, guess_allowed
from lms.courses.media import human_size
from lms.extensions import db, limiter
from lms.privacy.data import export_json

bp = Blueprint("accounts", __name__)
bp.before_app_request(signin_guard)
TOO_MANY = _l("Demasiados intentos fallidos. Espera 15 minutos o pide ayuda a tu formadora.")


def client_address() -> str:
    return request.remote_addr or "unknown"


def start_session(user: User) -> None:
    """A fresh session for `user` (never the current_user proxy itself, which would point at itself)."""
    user = getattr(user, "_get_current_object", lambda: user)()
    session.clear()
    login_user(user, remember=False)
    mark_session_start()


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(current_app.config, form.login.data, form.secret.data, client_address())
        db.session.commit()
        if result.user:
            start_session(result.user)
            return redirect(safe_next(request.args.get("next"), url_for("site.dashboard")))
        if result.throttled:
            flash(str(TOO_MANY), "error")
            return render_template("accounts/login.html", form=form), 429
        flash(_("El usuario o el PIN no son correctos."), "error")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("Saliste de tu cuenta."), "info")
    return redirect(url_for("site.index"))


@bp.route("/pin", methods=["GET", "POST"])
def change_pin():
    first_time = current_user.must_change_pin
    form = NewSecretForm() if first_time else ChangeSecretForm()
    if form.validate_on_submit():
        if not first_time:
            matches = check_current_secret(current_app.config, current_user, form.current.data, client_address())
            db.session.commit()  # the failure or the lock is in the audit log, whatever comes next
            if matches is None:
                flash(str(TOO_MANY), "error")
                return render_template("accounts/change_pin.html", form=form, first_time=first_time), 429
            if not matches:
                form.current.errors.append(_("Tu PIN actual no es correcto."))
                return render_template("accounts/change_pin.html", form=form, first_time=first_time)
        problem = secret_problem(form.secret.data, staff=current_user.is_staff, username=current_user.username,
                                 dni=current_user.dni, birth_year=current_user.birth_year)
        if problem is None:
            current_user.set_secret(form.secret.data, current_app.config["PASSWORD_HASH_METHOD"])
            audit("pin.changed", actor=current_user, subject=current_user, address=client_address())
            db.session.commit()
            start_session(current_user)
            flash(_("Listo. Tu nuevo PIN quedó guardado."), "success")
            return redirect(url_for("site.dashboard"))
        flash(problem, "error")
    return render_template("accounts/change_pin.html", form=form, first_time=first_time)


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["REGISTRATIONS_PER_ADDRESS"], methods=["POST"])
def register():
    if not current_app.config["SELF_REGISTRATION"]:
        abort(404)
    form = RegisterForm()
    if form.validate_on_submit():
        problem = secret_problem(form.secret.data, staff=False, username=form.username.data,
                                 birth_year=form.birth_year.data)
        if problem is None:
            user = User(role=Role.LEARNER, consent_at=utcnow())
            form.apply_to(user)
            user.set_secret(form.secret.data, current_app.config["PASSWORD_HASH_METHOD"])
            db.session.add(user)
            db.session.flush()
            audit("account.registered", actor=user, subject=user, address=client_address())
            db.session.commit()
            start_session(user)
            flash(_("Bienvenida, %(name)s. Tu cuenta está lista.", name=user.full_name), "success")
            return redirect(url_for("site.dashboard"))
        form.secret.errors.append(problem)
    return render_template("accounts/register.html", form=form)


@bp.route("/perfil", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    form.own_id = current_user.id
    if form.validate_on_submit():
        form.apply_to(current_user)
        session["lang"] = current_user.language
        db.session.commit()
        flash(_("Tus datos quedaron guardados."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, export_size=export_size(current_user))


def export_size(user: User) -> str:
    """What «Descargar mis datos» weighs, said before she taps it."""
    return human_size(len(export_json(user).encode()))


@bp.route("/grupo", methods=["GET", "POST"])
def join_cohort():
    """A learner joins a cohort with the code her trainer gave her: her own act brings her into its trainers'
    care (no trainer can search the whole network for her)."""
    form, config, address = JoinCohortForm(), current_app.config, client_address()
    if form.validate_on_submit():
        if not guess_allowed(config, "cohort-code", current_user.id, address):
            flash(str(TOO_MANY), "error")
            return render_template("accounts/join_cohort.html", form=form), 429
        code = normalise_join_code(form.code.data)
        cohort = db.session.scalar(select(Cohort).where(Cohort.join_code == code)) if code else None
        if cohort is not None and current_user.role == Role.LEARNER:
            new = cohort.add_member(current_user.id)
            audit("cohort.joined", actor=current_user, subject=current_user, address=address, cohort=cohort.id)
            db.session.commit()
            flash(_("Ya eres parte del grupo «%(name)s».", name=cohort.name) if new
                  else _("Ya estabas en el grupo «%(name)s».", name=cohort.name), "success")
            return redirect(url_for("site.dashboard"))
        count_guess(config, "cohort-code", current_user.id, address)
        audit("cohort.code_failed", actor=current_user, address=address)
        db.session.commit()
        form.code.errors.append(_("Ese código no es de ningún grupo. Revisa las letras y los números."))
    return render_template("accounts/join_cohort.html", form=form)
