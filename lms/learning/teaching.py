"""Trainers' pages: their courses' learners and progress; enrol one learner, a cohort or a CSV; unenrol."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import contains_eager, joinedload
from wtforms.fields.choices import SelectChoice

from lms.accounts.access import cohort_for, cohorts_of
from lms.accounts.guards import STAFF, require_roles
from lms.accounts.models import AccountClash, Cohort, OneTimeSheet, User, audit
from lms.courses.access import course_for_edit, courses_of
from lms.courses.models import Course, Module, Quiz
from lms.extensions import db, db_int
from lms.learning import enrolling, progress
from lms.learning.access import cohort_enrolments, enrolment_in, find_learners, learner_for, quiz_of
from lms.learning.forms import CsvForm, EnrolCohortForm, EnrolLearnerForm, PaperScoreForm
from lms.learning.models import Enrolment, EnrolmentMethod, EnrolmentStatus, LessonCompletion, QuizAttempt
from lms.workshops.models import Attendance, Workshop

bp = Blueprint("teaching", __name__, url_prefix="/manage/teaching")
bp.before_request(require_roles(*STAFF))
PAGE_SIZE = 50


def learner_rows(course: Course, cohort: Cohort | None) -> tuple[list[Enrolment], dict, dict]:
    """Enrolments with their learner, progress and best score per quiz: a fixed number of queries."""
    query = (select(Enrolment).join(Enrolment.user).options(contains_eager(Enrolment.user),
                                                            joinedload(Enrolment.cohort))
             .where(Enrolment.course_id == course.id).order_by(User.full_name, User.id))
    if cohort is not None:
        query = query.where(cohort_enrolments(cohort.id))
    enrolments = list(db.session.scalars(query))
    best = {}
    for enrolment_id, quiz_id, score, passed in db.session.execute(
            select(QuizAttempt.enrolment_id, QuizAttempt.quiz_id, func.max(QuizAttempt.score),
                   func.max(case((QuizAttempt.passed.is_(True), 1), else_=0)))
            .join(Enrolment).where(Enrolment.course_id == course.id)
            .group_by(QuizAttempt.enrolment_id, QuizAttempt.quiz_id)):
        best[enrolment_id, quiz_id] = (score, bool(passed))
    return enrolments, progress.progress_by_enrolment(enrolments), best


def course_quizzes(course: Course) -> list[Quiz]:
    return list(db.session.scalars(select(Quiz).join(Module).where(Quiz.course_id == course.id)
                                   .order_by(Module.position, Module.id)))


@bp.route("/")
def index():
    """The courses she teaches, with how many learners are in each."""
    courses = courses_of(current_user)
    counts = dict(db.session.execute(select(Enrolment.course_id, func.count()).where(
        Enrolment.course_id.in_([c.id for c in courses]), Enrolment.status != EnrolmentStatus.WITHDRAWN)
        .group_by(Enrolment.course_id)).all())
    return render_template("learning/teaching_index.html", courses=courses, counts=counts)


@bp.route("/<int:course_id>")
def course(course_id):
    course = course_for_edit(current_user, course_id)
    cohort_id = request.args.get("cohort", type=db_int)
    cohort = cohort_for(current_user, cohort_id) if cohort_id else None
    enrolments, progress_of, best = learner_rows(course, cohort)
    cohorts = cohorts_of(current_user)
    form = EnrolCohortForm()
    form.cohort_id.choices = [SelectChoice(c.id, c.name) for c in cohorts]
    return render_template("learning/teaching_course.html", course=course, enrolments=enrolments,
                           progress_of=progress_of, best=best, quizzes=course_quizzes(course), cohorts=cohorts,
                           cohort_id=cohort_id, cohort_form=form)


@bp.route("/<int:course_id>/participantes/<int:user_id>")
def learner(course_id, user_id):
    course = course_for_edit(current_user, course_id)
    enrolment = enrolment_in(course, user_id)
    outline = progress.course_outline(course, enrolment)
    done_at = dict(db.session.execute(select(LessonCompletion.lesson_id, LessonCompletion.completed_at)
                                      .where(LessonCompletion.enrolment_id == enrolment.id)).all())
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.enrolment_id == enrolment.id)
                                  .order_by(QuizAttempt.submitted_at, QuizAttempt.id)).all()
    attended = db.session.scalar(select(func.count()).select_from(Attendance).join(Workshop).where(
        Attendance.user_id == user_id, Attendance.present.is_(True), Workshop.course_id == course.id))
    quiz_titles = {s.id: s.title for s in outline.steps if s.kind == "quiz"}
    quizzes = [(quiz, progress.attempts_left(enrolment, quiz)) for quiz in course_quizzes(course)]
    return render_template("learning/teaching_learner.html", course=course, enrolment=enrolment, outline=outline,
                           done_at=done_at, attempts=attempts, attended=attended, quiz_titles=quiz_titles,
                           progress=outline.progress(course, enrolment.is_completed, attended), quizzes=quizzes,
                           paper_form=PaperScoreForm())


def _learner_and_quiz(course_id: int, user_id: int, quiz_id: int):
    course = course_for_edit(current_user, course_id)
    enrolment = enrolment_in(course, user_id)
    return course, enrolment, quiz_of(course, quiz_id)


@bp.route("/<int:course_id>/participantes/<int:user_id>/evaluacion/<int:quiz_id>/intento-extra", methods=["POST"])
def grant_attempt(course_id, user_id, quiz_id):
    """One more attempt for her at a quiz with a limit (she had a bad day; the trainer decides)."""
    course, enrolment, quiz = _learner_and_quiz(course_id, user_id, quiz_id)
    extra = progress.grant_attempt(enrolment, quiz, current_user)
    audit("quiz.attempt_granted", actor=current_user, subject=enrolment.user, address=request.remote_addr,
          course=course.id, quiz=quiz.id, extra=extra)
    db.session.commit()
    flash(_("%(name)s tiene un intento más en «%(quiz)s».", name=enrolment.user.full_name, quiz=quiz.title),
          "success")
    return redirect(url_for(".learner", course_id=course.id, user_id=user_id))


@bp.route("/<int:course_id>/participantes/<int:user_id>/evaluacion/<int:quiz_id>/papel", methods=["POST"])
def paper_score(course_id, user_id, quiz_id):
    """The score of a quiz she took on paper: it counts like an online attempt, marked «en papel»."""
    course, enrolment, quiz = _learner_and_quiz(course_id, user_id, quiz_id)
    form = PaperScoreForm()
    if not form.validate_on_submit():
        for error in form.score.errors:
            flash(error, "error")
        return redirect(url_for(".learner", course_id=course.id, user_id=user_id))
    attempt = progress.record_paper_score(enrolment, quiz, form.score.data, current_user)
    audit("quiz.paper_score", actor=current_user, subject=enrolment.user, address=request.remote_addr,
          course=course.id, quiz=quiz.id, score=attempt.score, passed=attempt.passed)
    db.session.commit()
    flash(_("Nota en papel guardada: %(score)d %% en «%(quiz)s».", score=attempt.score, quiz=quiz.title), "success")
    return redirect(url_for(".learner", course_id=course.id, user_id=user_id))


@bp.route("/<int:course_id>/inscribir")
def find_learner(course_id):
    """Search one of her learners (never the whole network) to enrol her."""
    course = course_for_edit(current_user, course_id)
    q = request.args.get("q", "").strip()[:60]
    people = find_learners(current_user, q, PAGE_SIZE) if q else []
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(
        Enrolment.course_id == course.id, Enrolment.user_id.in_([p.id for p in people]),
        Enrolment.status != EnrolmentStatus.WITHDRAWN)))
    form = EnrolCohortForm()
    form.cohort_id.choices = [SelectChoice(c.id, c.name) for c in cohorts_of(current_user)]
    return render_template("learning/teaching_find.html", course=course, people=people, q=q, enrolled=enrolled,
                           cohort_form=form)


@bp.route("/<int:course_id>/inscribir", methods=["POST"])
def enrol_learner(course_id):
    course = course_for_edit(current_user, course_id)
    form = EnrolLearnerForm()
    if not form.validate_on_submit():
        abort(404)
    learner = learner_for(current_user, form.user_id.data)
    _enrolment, new = enrolling.enrol(learner.id, course, EnrolmentMethod.TRAINER, by=current_user)
    audit("enrolment.created", actor=current_user, subject=learner, address=request.remote_addr, course=course.id)
    db.session.commit()
    flash(_("%(name)s quedó inscrita.", name=learner.full_name) if new
          else _("%(name)s ya estaba inscrita.", name=learner.full_name), "success")
    return redirect(url_for(".course", course_id=course.id))


@bp.route("/<int:course_id>/grupo", methods=["POST"])
def enrol_cohort(course_id):
    course = course_for_edit(current_user, course_id)
    form = EnrolCohortForm()
    form.cohort_id.choices = [SelectChoice(c.id, c.name) for c in cohorts_of(current_user)]
    if not form.validate_on_submit():
        abort(400)
    cohort = cohort_for(current_user, form.cohort_id.data)
    count = enrolling.enrol_cohort(cohort, course, current_user, request.remote_addr)
    db.session.commit()
    flash(enrolling.cohort_enrolled_message(cohort, count), "success")
    return redirect(url_for(".course", course_id=course.id, cohort=cohort.id))


@bp.route("/<int:course_id>/csv", methods=["GET", "POST"])
def upload(course_id):
    """Bulk enrolment: every row is checked first; nothing is written while any row is wrong."""
    course = course_for_edit(current_user, course_id)
    form, problems = CsvForm(), []
    if form.validate_on_submit() and (data := form.data_bytes()) is not None:
        planned, problems = enrolling.plan_import(data, current_user)
        if not problems:
            try:
                result = enrolling.run_import(planned, course, current_user._get_current_object(),
                                              current_app.config["PASSWORD_HASH_METHOD"], request.remote_addr)
            except AccountClash:
                db.session.rollback()
                flash(_("Alguien guardó al mismo tiempo una cuenta con el mismo DNI o celular. No se guardó nada: "
                        "vuelve a subir el archivo para ver qué fila lo tiene."), "error")
                return render_template("learning/csv_upload.html", form=CsvForm(), course=course, problems=[])
            sheet = OneTimeSheet.keep(current_user, {
                "kind": "csv", "course_id": course.id, "course_title": course.title,
                "created": [{"name": u.full_name, "username": u.username, "secret": pin} for u, pin in result.created],
                "existing": [{"name": u.full_name, "username": u.username} for u in result.existing]},
                current_app.config["SECRET_KEY"])
            db.session.commit()
            return redirect(url_for("people.sheet", sheet_id=sheet.id))
    return render_template("learning/csv_upload.html", form=form, course=course, problems=problems)


@bp.route("/<int:course_id>/participantes/<int:user_id>/retirar", methods=["POST"])
def withdraw(course_id, user_id):
    """Unenrol: the enrolment is marked withdrawn and keeps its history."""
    course = course_for_edit(current_user, course_id)
    enrolment = enrolment_in(course, user_id)
    if not enrolment.is_withdrawn:
        enrolment.withdraw()
        audit("enrolment.withdrawn", actor=current_user, subject=enrolment.user, address=request.remote_addr,
              course=course.id)
    db.session.commit()
    flash(_("%(name)s ya no está inscrita. Su avance queda guardado.", name=enrolment.user.full_name), "success")
    return redirect(url_for(".course", course_id=course.id))
