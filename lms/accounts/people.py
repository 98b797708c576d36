"""People (web): staff create learners and reset the PINs of the learners they teach; admins manage the team."""

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from lms.accounts.access import sheet_for
from lms.accounts.forms import LearnerEditForm, LearnerForm, RoleForm, StaffForm
from lms.accounts.guards import STAFF, require_roles
from lms.accounts.models import CoordinatorRegion, OneTimeSheet, Role, User, audit
from lms.accounts.pins import one_time_pin
from lms.certificates.access import managed_certificates
from lms.extensions import db, db_int, fold, folded
from lms.learning.access import find_learners, learner_for

bp = Blueprint("people", __name__, url_prefix="/manage/people")
bp.before_request(require_roles(*STAFF))
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_bp.before_request(require_roles(Role.ADMIN))
PAGE_SIZE = 50


def one_time_slip(user: User, secret: str, reset: bool):
    """Keep the one-time secret for a short while (encrypted), commit, and send her to the page that shows it: a
    reload of that page shows the same slip and never makes a second account or a second PIN."""
    sheet = OneTimeSheet.keep(current_user, {"kind": "slip", "reset": reset, "people": [
        {"id": user.id, "name": user.full_name, "username": user.username, "secret": secret, "role": user.role}]},
        current_app.config["SECRET_KEY"])
    db.session.commit()
    return redirect(url_for("people.sheet", sheet_id=sheet.id))


def create_with_one_time_secret(user: User, secret: str, name_for_username: str | None = None):
    """Save a new account whose secret must be replaced at first sign-in, and show that secret once."""
    user.set_secret(secret, current_app.config["PASSWORD_HASH_METHOD"], one_time=True)
    user.add_new(name_for_username)
    audit("account.created", actor=current_user, subject=user, address=request.remote_addr, role=user.role)
    return one_time_slip(user, secret, reset=False)


@bp.route("/hoja/<sheet_id>")
def sheet(sheet_id):
    """The one-time PINs she just gave: a slip for one person, or the sheet of a CSV import."""
    content = sheet_for(current_user, sheet_id, current_app.config["SECRET_KEY"])
    template = "learning/csv_sheet.html" if content["kind"] == "csv" else "people/one_time_pin.html"
    return render_template(template, sheet=content)


def _query_and_page() -> tuple[str, int]:
    return request.args.get("q", "").strip()[:60], max(request.args.get("page", 1, type=db_int), 1)


@bp.route("/")
def index():
    """The learners she teaches (admins: all; coordinators: also those of her regions), searchable."""
    q, page = _query_and_page()
    people = find_learners(current_user, q, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    return render_template("people/index.html", people=people[:PAGE_SIZE], q=q, page=page,
                           has_more=len(people) > PAGE_SIZE)


@bp.route("/new", methods=["GET", "POST"])
def new_learner():
    form = LearnerForm()
    if form.validate_on_submit():
        user = User(role=Role.LEARNER, created_by_id=current_user.id)
        form.apply_to(user)
        return create_with_one_time_secret(user, one_time_pin(), None if user.username else user.full_name)
    return render_template("people/new_learner.html", form=form)


@bp.route("/<int:user_id>")
def show(user_id):
    """Her data, her PIN, and — when her name no longer matches — her certificates to issue again."""
    person = learner_for(current_user, user_id)
    outdated = [c for c in managed_certificates(current_user, None, 0, 100, learner_id=person.id)
                if c.is_valid and c.learner_name != person.full_name]
    return render_template("people/show.html", person=person, outdated=outdated)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
def edit(user_id):
    """Staff correct a learner's name, phone, DNI, region or community (a name misspelled at a workshop)."""
    person = learner_for(current_user, user_id)
    form = LearnerEditForm(person=person, show_dni=current_user.is_admin)
    if form.validate_on_submit():
        before = {name: getattr(person, name) for name in form.PROFILE_FIELDS}
        form.apply_to(person)
        changed = sorted(name for name, value in before.items() if getattr(person, name) != value)
        if changed:  # which fields, never their values: the log is not a second copy of her data
            audit("account.edited", actor=current_user, subject=person, address=request.remote_addr, fields=changed)
        db.session.commit()
        flash(_("Datos de %(name)s guardados.", name=person.full_name), "success")
        if "full_name" in changed:
            return redirect(url_for(".show", user_id=person.id, renamed=1))
        return redirect(url_for(".show", user_id=person.id))
    return render_template("people/edit.html", form=form, person=person)


@bp.route("/<int:user_id>/reset", methods=["POST"])
def reset_pin(user_id):
    person = learner_for(current_user, user_id)
    secret = one_time_pin()
    person.set_secret(secret, current_app.config["PASSWORD_HASH_METHOD"], one_time=True)
    audit("pin.reset", actor=current_user, subject=person, address=request.remote_addr)
    return one_time_slip(person, secret, reset=True)


def one_time_passphrase() -> str:
    """A one-time passphrase for staff: three groups of four letters and digits, easy to copy."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def account_for_admin(actor: User, user_id: int) -> User:
    """Any account but the admin's own (she cannot lock herself out)."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == actor.id:
        abort(403)
    return user


@admin_bp.route("/people")
def people():
    q, page = _query_and_page()
    query = select(User).order_by(User.full_name, User.id)
    if q:
        query = query.where(or_(folded(User.full_name).contains(fold(q), autoescape=True),
                                User.username.contains(q.lower(), autoescape=True),
                                User.phone.contains(q, autoescape=True)))
    found = list(db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return render_template("admin/people.html", people=found[:PAGE_SIZE], q=q, page=page,
                           has_more=len(found) > PAGE_SIZE)


def _set_regions(person: User, regions: list[str]) -> None:
    person.region_rows = [CoordinatorRegion(region=r) for r in sorted(set(regions))] \
        if person.role == Role.COORDINATOR else []


@admin_bp.route("/people/new", methods=["GET", "POST"])
def new_staff():
    form = StaffForm()
    if form.validate_on_submit():
        user = User(role=form.role.data, email=form.email.data, created_by_id=current_user.id)
        form.apply_to(user)
        _set_regions(user, form.regions.data or [])
        return create_with_one_time_secret(user, one_time_passphrase())
    return render_template("admin/new_staff.html", form=form)


@admin_bp.route("/people/<int:user_id>/reset", methods=["POST"])
def reset_staff(user_id):
    """A one-time passphrase for a member of the team (or a learner) who forgot hers."""
    person = account_for_admin(current_user, user_id)
    secret = one_time_pin() if person.role == Role.LEARNER else one_time_passphrase()
    person.set_secret(secret, current_app.config["PASSWORD_HASH_METHOD"], one_time=True)
    audit("pin.reset", actor=current_user, subject=person, address=request.remote_addr)
    return one_time_slip(person, secret, reset=True)


@admin_bp.route("/people/<int:user_id>/role", methods=["GET", "POST"])
def edit_role(user_id):
    person = account_for_admin(current_user, user_id)
    form = RoleForm(obj=person)
    if form.validate_on_submit():
        before = (person.role, person.active, sorted(person.regions))
        person.role, person.active = form.role.data, form.active.data
        _set_regions(person, form.regions.data or [])
        if (person.role, person.active, sorted(person.regions)) != before:
            person.end_sessions()
            audit("role.changed", actor=current_user, subject=person, address=request.remote_addr,
                  before=before[0], after=person.role, active=person.active, regions=sorted(person.regions))
        db.session.commit()
        flash(_("Cambios guardados para %(name)s.", name=person.full_name), "success")
        return redirect(url_for("admin.people"))
    return render_template("admin/edit_role.html", form=form, person=person)
