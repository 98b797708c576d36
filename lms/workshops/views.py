"""Trainers' in-person sessions: list, create and edit them, take attendance, import it, print a sheet."""

import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, or_, select

from lms.accounts.access import cohorts_of
from lms.accounts.guards import STAFF, require_roles
from lms.accounts.models import User, audit
from lms.courses.access import courses_of
from lms.extensions import db, db_int
from lms.learning.access import cohort_enrolments
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.workshops.attendance import (
    CSV_MAX_BYTES,
    Recorded,
    parse_attendance_csv,
    present_ids,
    record_attendance,
    workshop_for,
    workshops_of,
)
from lms.workshops.forms import AttendanceForm, AttendanceImportForm, WorkshopForm
from lms.workshops.models import Attendance, Workshop, start_of_today

bp = Blueprint("workshops", __name__, url_prefix="/manage/workshops")
bp.before_request(require_roles(*STAFF))
PAGE_SIZE = 30
UPCOMING_LIMIT = 100


def roster(workshop: Workshop) -> list[User]:
    """Who is on the list, by name: the course's enrolled learners (active accounts) or, with a cohort, the
    cohort's learners in the course; plus anyone already recorded for the session."""
    enrolled = select(Enrolment.user_id).where(Enrolment.course_id == workshop.course_id,
                                               Enrolment.status != EnrolmentStatus.WITHDRAWN)
    expected = enrolled if workshop.cohort_id is None else enrolled.where(cohort_enrolments(workshop.cohort_id))
    recorded = select(Attendance.user_id).where(Attendance.workshop_id == workshop.id)
    people = db.session.scalars(select(User).where(or_(
        User.id.in_(recorded), and_(User.active.is_(True), User.id.in_(expected)))))
    return sorted(people, key=lambda person: (name_key(person.full_name), person.id))


def name_key(name: str) -> str:
    """Sort María with Maria, before Martha, whatever the database's collation."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def _timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


@bp.route("/")
def index():
    page = max(request.args.get("page", 1, type=db_int), 1)
    since = start_of_today(_timezone())
    upcoming = workshops_of(current_user, True, since, UPCOMING_LIMIT) if page == 1 else []
    past = workshops_of(current_user, False, since, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    return render_template("workshops/index.html", upcoming=upcoming, past=past[:PAGE_SIZE], page=page,
                           has_more=len(past) > PAGE_SIZE, q=None)


def _workshop_form(workshop: Workshop | None = None) -> WorkshopForm:
    """The form, offering her courses and cohorts (and the session's own, should they be outside them)."""
    courses = courses_of(current_user, with_modules=True, archived=False)
    cohorts = cohorts_of(current_user)
    if workshop is not None:
        courses += [workshop.course] if workshop.course not in courses else []
        cohorts += [workshop.cohort] if workshop.cohort and workshop.cohort not in cohorts else []
        local = workshop.local_start(_timezone())
        initial = {"course": workshop.course_id, "module": workshop.module_id, "cohort": workshop.cohort_id,
                   "place": workshop.place, "day": local.date(), "time": local.time()}
    else:
        initial = {"day": datetime.now(ZoneInfo(_timezone())).date()}
    form = WorkshopForm(data=initial)
    form.offer(courses, cohorts)
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _workshop_form()
    if form.validate_on_submit():
        workshop = Workshop(created_by_id=current_user.id)
        form.apply_to(workshop, _timezone())
        db.session.add(workshop)
        db.session.flush()
        audit("workshop.created", actor=current_user, address=request.remote_addr, workshop=workshop.id,
              course=workshop.course_id)
        db.session.commit()
        flash(_("Sesión guardada. Ya puedes tomar la asistencia."), "success")
        return redirect(url_for("workshops.attendance", workshop_id=workshop.id))
    return render_template("workshops/new.html", form=form)


@bp.route("/<int:workshop_id>/edit", methods=["GET", "POST"])
def edit(workshop_id):
    workshop = workshop_for(current_user, workshop_id)
    form = _workshop_form(workshop)
    if form.validate_on_submit():
        form.apply_to(workshop, _timezone())
        db.session.commit()
        flash(_("Cambios guardados."), "success")
        return redirect(url_for("workshops.attendance", workshop_id=workshop.id))
    return render_template("workshops/edit.html", form=form, workshop=workshop)


def _saved(workshop: Workshop, result: Recorded, source: str):
    """Audit and commit recorded attendance, then go back to the list."""
    audit("workshop.attendance_recorded", actor=current_user, address=request.remote_addr, workshop=workshop.id,
          course=workshop.course_id, present=result.present, absent=result.absent, source=source)
    db.session.commit()
    flash(_("Asistencia guardada. Presentes: %(present)d. Ausentes: %(absent)d.",
            present=result.present, absent=result.absent), "success")
    return redirect(url_for("workshops.attendance", workshop_id=workshop.id))


@bp.route("/<int:workshop_id>", methods=["GET", "POST"])
def attendance(workshop_id):
    workshop = workshop_for(current_user, workshop_id)
    people = roster(workshop)
    form = AttendanceForm()
    if form.validate_on_submit() and people:
        ticked = set(request.form.getlist("present", type=db_int))
        result = record_attendance(workshop, {person.id: person.id in ticked for person in people}, current_user)
        return _saved(workshop, result, "form")
    return render_template("workshops/attendance.html", workshop=workshop, people=people, form=form,
                           present=present_ids(workshop))


@bp.route("/<int:workshop_id>/import", methods=["GET", "POST"])
def import_csv(workshop_id):
    workshop = workshop_for(current_user, workshop_id)
    form = AttendanceImportForm()
    errors = []
    if form.validate_on_submit():
        parsed = parse_attendance_csv(form.file.data.read(CSV_MAX_BYTES + 1), {p.id for p in roster(workshop)})
        if not parsed.errors:
            result = record_attendance(workshop, parsed.marks, current_user)
            return _saved(workshop, result, "csv")
        errors = parsed.errors
    return render_template("workshops/import_csv.html", workshop=workshop, form=form, errors=errors)


@bp.route("/<int:workshop_id>/sheet")
def sheet(workshop_id):
    workshop = workshop_for(current_user, workshop_id)
    return render_template("workshops/sheet.html", workshop=workshop, people=roster(workshop))
