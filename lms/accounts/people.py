"""Trainers create learners and reset their PINs; admins manage trainers and roles."""

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from lms.accounts.access import require_roles
from lms.accounts.forms import LearnerForm, RoleForm, StaffForm
from lms.accounts.models import Role, User, audit
from lms.accounts.pins import one_time_pin
from lms.extensions import db, db_int

bp = Blueprint("people", __name__, url_prefix="/manage/people")
bp.before_request(require_roles(Role.TRAINER, Role.ADMIN))
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")
admin_bp.before_request(require_roles(Role.ADMIN))
PAGE_SIZE = 50


def person_for_management(actor: User, user_id: int) -> User:
    """The account `actor` may manage: trainers manage learners only, admins everyone but themselves."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if actor.is_admin and user.id != actor.id:
        return user
    if user.role != Role.LEARNER or actor.role != Role.TRAINER:
        abort(403)
    return user


def one_time_slip(user: User, secret: str, reset: bool):
    """The page with a one-time PIN to hand over: shown once, never cached, never in a URL."""
    response = make_response(render_template("people/one_time_pin.html", person=user, secret=secret, reset=reset))
    response.headers["Cache-Control"] = "no-store"
    return response


def create_with_one_time_secret(user: User, secret: str):
    """Save a new account whose secret must be replaced at first sign-in, and show that secret once."""
    user.set_secret(secret, current_app.config["PASSWORD_HASH_METHOD"], one_time=True)
    db.session.add(user)
    db.session.flush()
    audit("account.created", actor=current_user, subject=user, address=request.remote_addr, role=user.role)
    db.session.commit()
    return one_time_slip(user, secret, reset=False)


def people_page(roles, template: str):
    """A searchable, paged list of accounts with these roles."""
    q = request.args.get("q", "").strip()[:60]
    page = max(request.args.get("page", 1, type=db_int), 1)
    people = search_people(roles, q, page)
    return render_template(template, people=people[:PAGE_SIZE], q=q, page=page, has_more=len(people) > PAGE_SIZE)


def search_people(roles, q: str, page: int):
    query = select(User).where(User.role.in_(roles)).order_by(User.full_name)
    if q:  # % and _ typed in the box are searched as themselves, not as wildcards
        query = query.where(or_(User.username.contains(q.lower(), autoescape=True),
                                User.full_name.icontains(q, autoescape=True), User.phone.contains(q, autoescape=True)))
    return db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()


@bp.route("/")
def index():
    return people_page([Role.LEARNER], "people/index.html")


@bp.route("/new", methods=["GET", "POST"])
def new_learner():
    form = LearnerForm()
    if form.validate_on_submit():
        user = User(role=Role.LEARNER, created_by_id=current_user.id)
        form.apply_to(user)
        user.username = user.username or User.free_username(user.full_name)
        return create_with_one_time_secret(user, one_time_pin())
    return render_template("people/new_learner.html", form=form)


@bp.route("/<int:user_id>")
def show(user_id):
    person = person_for_management(current_user, user_id)
    return render_template("people/show.html", person=person)


@bp.route("/<int:user_id>/reset", methods=["POST"])
def reset_pin(user_id):
    person = person_for_management(current_user, user_id)
    secret = one_time_pin() if person.role == Role.LEARNER else one_time_passphrase()
    person.set_secret(secret, current_app.config["PASSWORD_HASH_METHOD"], one_time=True)
    audit("pin.reset", actor=current_user, subject=person, address=request.remote_addr)
    db.session.commit()
    return one_time_slip(person, secret, reset=True)


def one_time_passphrase() -> str:
    """A one-time passphrase for staff: three groups of four letters and digits, easy to copy."""
    import secrets

    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


@admin_bp.route("/people")
def people():
    return people_page([Role.ADMIN, Role.TRAINER, Role.LEARNER], "admin/people.html")


@admin_bp.route("/people/new", methods=["GET", "POST"])
def new_staff():
    form = StaffForm()
    if form.validate_on_submit():
        user = User(role=form.role.data, email=form.email.data, created_by_id=current_user.id)
        form.apply_to(user)
        return create_with_one_time_secret(user, one_time_passphrase())
    return render_template("admin/new_staff.html", form=form)


@admin_bp.route("/people/<int:user_id>/role", methods=["GET", "POST"])
def edit_role(user_id):
    person = person_for_management(current_user, user_id)
    form = RoleForm(obj=person)
    if form.validate_on_submit():
        before = (person.role, person.active)
        person.role, person.active = form.role.data, form.active.data
        if (person.role, person.active) != before:
            person.end_sessions()
            audit("role.changed", actor=current_user, subject=person, address=request.remote_addr,
                  before=before[0], after=person.role, active=person.active)
        db.session.commit()
        flash(_("Cambios guardados para %(name)s.", name=person.full_name), "success")
        return redirect(url_for("admin.people"))
    return render_template("admin/edit_role.html", form=form, person=person)
