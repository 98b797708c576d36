"""Sign in and out, one-time PIN change, self-registration and the person's own profile."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.accounts.access import authenticate, public, safe_next, signin_guard
from lms.accounts.forms import ChangeSecretForm, LoginForm, NewSecretForm, PersonForm, RegisterForm
from lms.accounts.models import Role, User, audit, utcnow
from lms.accounts.pins import secret_problem
from lms.extensions import db

bp = Blueprint("accounts", __name__)
bp.before_app_request(signin_guard)


def client_address() -> str:
    return request.remote_addr or "unknown"


def start_session(user: User) -> None:
    """A fresh session for `user` (never the current_user proxy itself, which would point at itself)."""
    user = getattr(user, "_get_current_object", lambda: user)()
    session.clear()
    login_user(user, remember=False)


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
            flash(_("Demasiados intentos fallidos. Espera 15 minutos o pide ayuda a tu formadora."), "error")
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
        problem = _secret_problem_for(current_user, form)
        if problem is None:
            current_user.set_secret(form.secret.data, current_app.config["PASSWORD_HASH_METHOD"])
            audit("pin.changed", actor=current_user, subject=current_user, address=client_address())
            db.session.commit()
            start_session(current_user)
            flash(_("Listo. Tu nuevo PIN quedó guardado."), "success")
            return redirect(url_for("site.dashboard"))
        flash(problem, "error")
    return render_template("accounts/change_pin.html", form=form, first_time=first_time)


def _secret_problem_for(user: User, form) -> str | None:
    if hasattr(form, "current") and not user.check_secret(form.current.data):
        return _("Tu PIN actual no es correcto.")
    return secret_problem(form.secret.data, staff=user.is_staff, username=user.username,
                          dni=user.dni, birth_year=user.birth_year)


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    if not current_app.config["SELF_REGISTRATION"]:
        abort(404)
    form = RegisterForm()
    if form.validate_on_submit():
        problem = secret_problem(form.secret.data, staff=False, username=form.username.data,
                                 dni=form.dni.data, birth_year=form.birth_year.data)
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
    form = PersonForm(obj=current_user)
    form.own_id = current_user.id
    if form.validate_on_submit():
        form.apply_to(current_user)
        session["lang"] = current_user.language
        db.session.commit()
        flash(_("Tus datos quedaron guardados."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form)
