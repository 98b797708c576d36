"""Cohorts (web): named groups of learners with a region and trainers; members, join codes, enrolling a cohort."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.accounts.access import cohort_for, cohorts_of
from lms.accounts.forms import region_choices, strip
from lms.accounts.guards import STAFF, require_roles
from lms.accounts.models import Cohort, Role, User, audit, cohort_member
from lms.courses.access import courses_of
from lms.extensions import db, db_ids
from lms.learning import enrolling
from lms.learning.access import cohort_courses, find_learners, in_learner_scope
from lms.learning.forms import EnrolInCourseForm

bp = Blueprint("cohorts", __name__, url_prefix="/manage/cohorts")
bp.before_request(require_roles(*STAFF))
PAGE_SIZE = 50


class CohortForm(FlaskForm):
    name = StringField(_l("Nombre del grupo"), filters=[strip],
                       description=_l("Por ejemplo: Pallaqueras La Rinconada 2026"),
                       validators=[DataRequired(_l("Escribe el nombre del grupo.")), Length(max=120)])
    region = SelectField(_l("Región (opcional)"), choices=region_choices, validate_choice=True, default="")
    trainers = SelectMultipleField(_l("Formadoras del grupo"), coerce=int, widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(), render_kw={"class": "checks"})


def _form(cohort: Cohort | None = None) -> CohortForm:
    form = CohortForm(obj=cohort)
    if not form.is_submitted():
        form.trainers.data = [t.id for t in cohort.trainers] if cohort else [current_user.id]
    trainers = db.session.scalars(select(User).where(User.role.in_([Role.TRAINER, Role.COORDINATOR]),
                                                     User.active.is_(True))
                                  .order_by(User.full_name)).all()
    form.trainers.choices = [SelectChoice(t.id, t.full_name) for t in trainers]
    return form


def _save(form: CohortForm, cohort: Cohort) -> bool:
    """Copy the form onto the cohort in a savepoint; False (with a message) when the name is taken or the region
    is outside a coordinator's."""
    moved = cohort.id is None or (form.region.data or None) != cohort.region
    if current_user.is_coordinator and moved and form.region.data not in current_user.regions:
        form.region.errors.append(_("Elige una de tus regiones."))
        return False
    chosen = set(form.trainers.data or []) | ({current_user.id} if current_user.role == Role.TRAINER else set())
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
    cohorts = cohorts_of(current_user)
    sizes = dict(db.session.execute(select(cohort_member.c.cohort_id, func.count()).where(
        cohort_member.c.cohort_id.in_([c.id for c in cohorts])).group_by(cohort_member.c.cohort_id)).all())
    return render_template("cohorts/index.html", cohorts=cohorts, sizes=sizes)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _form()
    if form.validate_on_submit():
        cohort = Cohort()
        cohort.new_join_code()
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
    """Her courses to enrol the group in: real courses first, example courses last; no course chosen for her."""
    courses = sorted(courses_of(current_user, archived=False), key=lambda c: (c.demo, c.title))
    form = EnrolInCourseForm()
    form.course_id.choices = [SelectChoice(0, _("— Elige un curso —"))] + [
        SelectChoice(c.id, c.title + (" " + _("(ejemplo)") if c.demo else "")) for c in courses]
    return form


@bp.route("/<int:cohort_id>")
def show(cohort_id):
    """Members (with «Quitar»), the join code, a search among her learners, «inscribir el grupo en un curso»."""
    cohort = cohort_for(current_user, cohort_id)
    q = request.args.get("q", "").strip()[:60]
    found = find_learners(current_user, q, PAGE_SIZE) if q else []
    member_ids = {m.id for m in cohort.members}
    return render_template("cohorts/show.html", cohort=cohort, q=q, found=found, member_ids=member_ids,
                           course_form=_course_form(), courses=cohort_courses(current_user, cohort.id))


@bp.route("/<int:cohort_id>/members", methods=["POST"])
def add_members(cohort_id):
    cohort = cohort_for(current_user, cohort_id)
    learners = in_learner_scope(current_user, db_ids(request.form.getlist("user_id")))  # never someone else's
    added = sum(cohort.add_member(user_id) for user_id in learners)
    db.session.commit()
    flash(ngettext("%(num)d participante añadida al grupo.", "%(num)d participantes añadidas al grupo.", added),
          "success")
    return redirect(url_for(".show", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/members/<int:user_id>/remove", methods=["POST"])
def remove_member(cohort_id, user_id):
    """Take a learner out of the cohort; her enrolments stay."""
    cohort = cohort_for(current_user, cohort_id)
    audit("cohort.member_removed", actor=current_user, address=request.remote_addr, cohort=cohort.id,
          member=user_id)
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
    course = next((c for c in courses_of(current_user) if c.id == form.course_id.data), None)
    if not form.validate_on_submit() or course is None:
        flash(_("Elige el curso en que quieres inscribir al grupo."), "error")
        return redirect(url_for(".show", cohort_id=cohort.id))
    count = enrolling.enrol_cohort(cohort, course, current_user, request.remote_addr)
    db.session.commit()
    flash(enrolling.cohort_enrolled_message(cohort, count), "success")
    return redirect(url_for(".show", cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/code", methods=["POST"])
def new_code(cohort_id):
    """A new join code: the old one stops working (when it was given to the wrong people)."""
    cohort = cohort_for(current_user, cohort_id)
    cohort.new_join_code()
    audit("cohort.code_changed", actor=current_user, address=request.remote_addr, cohort=cohort.id)
    db.session.commit()
    flash(_("Nuevo código del grupo: %(code)s. El anterior ya no sirve.", code=cohort.join_code_display), "success")
    return redirect(url_for(".show", cohort_id=cohort.id))
