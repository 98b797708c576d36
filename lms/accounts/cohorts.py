"""Cohorts: named groups of learners with a region and trainers; enrol a whole cohort in a course."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.accounts.access import require_roles
from lms.accounts.forms import region_choices, strip
from lms.accounts.models import Cohort, Role, User, audit, cohort_member
from lms.accounts.people import PAGE_SIZE, search_people
from lms.courses.models import Course
from lms.extensions import db, db_ids
from lms.learning import enrolling
from lms.learning.forms import EnrolInCourseForm
from lms.learning.teaching import flash_cohort_enrolled

bp = Blueprint("cohorts", __name__, url_prefix="/manage/cohorts")
bp.before_request(require_roles(Role.TRAINER, Role.ADMIN))


class CohortForm(FlaskForm):
    name = StringField(_l("Nombre del grupo"), filters=[strip],
                       description=_l("Por ejemplo: Pallaqueras La Rinconada 2026"),
                       validators=[DataRequired(_l("Escribe el nombre del grupo.")), Length(max=120)])
    region = SelectField(_l("Región (opcional)"), choices=region_choices, validate_choice=True, default="")
    trainers = SelectMultipleField(_l("Formadoras del grupo"), coerce=int, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(), render_kw={"class": "checks"})


def cohort_for(user: User, cohort_id: int) -> Cohort:
    """A cohort `user` leads (admins: any); 404 if missing, 403 if not hers."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        abort(404)
    if not cohort.is_led_by(user):
        abort(403)
    return cohort


def _form(cohort: Cohort | None = None) -> CohortForm:
    form = CohortForm(obj=cohort)
    if not form.is_submitted():
        form.trainers.data = [t.id for t in cohort.trainers] if cohort else [current_user.id]
    trainers = db.session.scalars(select(User).where(User.role == Role.TRAINER, User.active.is_(True))
                                  .order_by(User.full_name)).all()
    form.trainers.choices = [(t.id, t.full_name) for t in trainers]
    return form


def _save(form: CohortForm, cohort: Cohort) -> bool:
    """Copy the form onto the cohort in a savepoint; False (with a message) when the name is taken."""
    chosen = set(form.trainers.data or []) | ({current_user.id} if not current_user.is_admin else set())
    try:
        with db.session.begin_nested():
            cohort.name, cohort.region = form.name.data, form.region.data or None
            cohort.trainers = list(db.session.scalars(select(User).where(User.id.in_(chosen))))
            db.session.add(cohort)
        return True
    except IntegrityError:
        form.name.errors.append(_("Ya existe un grupo con ese nombre."))
        return False


@bp.route("/")
def index():
    query = select(Cohort).order_by(Cohort.name)
    if not current_user.is_admin:
        query = query.where(Cohort.trainers.any(User.id == current_user.id))
    cohorts = db.session.scalars(query).all()
    sizes = dict(db.session.execute(select(cohort_member.c.cohort_id, func.count()).where(
        cohort_member.c.cohort_id.in_([c.id for c in cohorts])).group_by(cohort_member.c.cohort_id)).all())
    return render_template("cohorts/index.html", cohorts=cohorts, sizes=sizes)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _form()
    if form.validate_on_submit():
        cohort = Cohort()
        if _save(form, cohort):
            audit("cohort.created", actor=current_user, address=request.remote_addr, cohort=cohort.id)
            db.session.commit()
            flash(_("Grupo «%(name)s» creado.", name=cohort.name), "success")
            return redirect(url_for(".show", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=None)


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
def edit(cohort_id):
    cohort = cohort_for(current_user, cohort_id)
    form = _form(cohort)
    if form.validate_on_submit() and _save(form, cohort):
        db.session.commit()
        flash(_("Cambios guardados."), "success")
        return redirect(url_for(".show", cohort_id=cohort.id))
    return render_template("cohorts/edit.html", form=form, cohort=cohort)


def _course_form() -> EnrolInCourseForm:
    query = select(Course).order_by(Course.title)
    if not current_user.is_admin:
        query = query.where(Course.trainers.any(User.id == current_user.id))
    form = EnrolInCourseForm()
    form.course_id.choices = [(c.id, c.title) for c in db.session.scalars(query)]
    return form


@bp.route("/<int:cohort_id>")
def show(cohort_id):
    """Members (with «Quitar»), a search to add learners, and «inscribir el grupo en un curso»."""
    cohort = cohort_for(current_user, cohort_id)
    q = request.args.get("q", "").strip()[:60]
    found = search_people([Role.LEARNER], q, 1)[:PAGE_SIZE] if q else []
    member_ids = {m.id for m in cohort.members}
    return render_template("cohorts/show.html", cohort=cohort, q=q, found=found, member_ids=member_ids,
                           course_form=_course_form())


@bp.route("/<int:cohort_id>/members", methods=["POST"])
def add_members(cohort_id):
    cohort = cohort_for(current_user, cohort_id)
    ids = db_ids(request.form.getlist("user_id"))
    learners = db.session.scalars(select(User.id).where(User.id.in_(ids), User.role == Role.LEARNER)).all()
    added = sum(enrolling.add_member(cohort, user_id) for user_id in learners)
    db.session.commit()
    flash(ngettext("%(num)d participante añadida al grupo.", "%(num)d participantes añadidas al grupo.", added),
          "success")
    return redirect(url_for(".show", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/members/<int:user_id>/remove", methods=["POST"])
def remove_member(cohort_id, user_id):
    """Take a learner out of the cohort; her enrolments stay."""
    cohort = cohort_for(current_user, cohort_id)
    db.session.execute(delete(cohort_member).where(cohort_member.c.cohort_id == cohort.id,
                                                   cohort_member.c.user_id == user_id))
    db.session.commit()
    flash(_("Participante quitada del grupo."), "success")
    return redirect(url_for(".show", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/enrol", methods=["POST"])
def enrol(cohort_id):
    """Enrol every member in one of the trainer's courses (idempotent)."""
    cohort = cohort_for(current_user, cohort_id)
    form = _course_form()
    if not form.validate_on_submit():
        abort(400)
    course = db.session.get(Course, form.course_id.data)
    count = enrolling.enrol_cohort(cohort, course, current_user, request.remote_addr)
    db.session.commit()
    flash_cohort_enrolled(cohort, count)
    return redirect(url_for("teaching.course", course_id=course.id, cohort=cohort.id))
