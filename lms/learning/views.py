"""The learner's side: enrolling, «Mis cursos», the lesson player and quizzes."""

import re
import uuid

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.models import audit
from lms.accounts.signin import count_guess, guess_allowed
from lms.certificates.issuing import certificates_by_enrolment, my_courses_for
from lms.courses.models import Lesson
from lms.courses.variants import question_recordings, reading_of
from lms.extensions import db, db_ids
from lms.learning import enrolling, grading, progress
from lms.learning.access import (
    course_for_learner,
    enrolment_for,
    my_attendance,
    next_workshops,
    quiz_of,
    upcoming_workshops,
)
from lms.learning.forms import KeyForm
from lms.learning.models import EnrolmentMethod, QuizAttempt
from lms.learning.progress import NoAttemptsLeft, Step, course_outline
from lms.workshops.models import start_of_today

bp = Blueprint("learning", __name__, url_prefix=None)
TOKEN_RE = re.compile(r"[0-9a-f]{32}")


def studied_course(slug: str):
    """The course of this page (learning.access.course_for_learner), remembering whether it is sensitive."""
    course = course_for_learner(slug)
    g.sensitive_course = course.sensitive
    return course


@bp.after_request
def keep_sensitive_pages_out_of_caches(response):
    """Pages of sensitive courses are never stored, so Back or a shared phone's cache cannot show them again."""
    if g.get("sensitive_course"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def step_url(course, step: Step) -> str:
    if step.kind == "quiz":
        return url_for("learning.quiz", slug=course.slug, quiz_id=step.id)
    return url_for("learning.lesson", slug=course.slug, lesson_slug=step.slug)


@bp.route("/mis-cursos")
def my_courses():
    mine = my_courses_for(current_user, current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return render_template("learning/my_courses.html", my=mine)


@bp.route("/mis-talleres")
def my_workshops():
    """Her coming in-person sessions (when, where, for which course) and the sessions where she was counted."""
    since = start_of_today(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return render_template("learning/my_workshops.html", upcoming=upcoming_workshops(current_user, since),
                           attended=my_attendance(current_user))


@bp.route("/aprender/<slug>/inscribirme", methods=["POST"])
def enrol(slug):
    course = studied_course(slug)
    if not (course.is_published and course.self_enrol):
        abort(403)
    _enrolment, new = enrolling.enrol(current_user.id, course, EnrolmentMethod.SELF, by=current_user)
    db.session.commit()
    if new:
        flash(_("Te inscribiste. ¡Buen comienzo!"), "success")
    return redirect(url_for(".resume", slug=slug))


@bp.route("/aprender/<slug>/clave", methods=["GET", "POST"])
def enrol_key(slug):
    course = studied_course(slug)
    if not (course.is_published and course.enrolment_key):
        abort(404)
    form, config, address = KeyForm(), current_app.config, request.remote_addr or "unknown"
    if form.validate_on_submit():
        if not guess_allowed(config, "course-key", current_user.id, address):
            flash(_("Demasiados intentos con una clave equivocada. Espera 15 minutos o pide ayuda a tu formadora."),
                  "error")
            return render_template("learning/enrol_key.html", form=form, course=course), 429
        if enrolling.key_matches(course, form.key.data):
            enrolling.enrol(current_user.id, course, EnrolmentMethod.KEY, by=current_user)
            db.session.commit()
            flash(_("Te inscribiste. ¡Buen comienzo!"), "success")
            return redirect(url_for(".resume", slug=slug))
        count_guess(config, "course-key", current_user.id, address)
        audit("enrolment.key_failed", actor=current_user, address=request.remote_addr, course=course.id)
        db.session.commit()
        form.key.errors.append(_("La clave no es correcta. Revisa las letras y los números."))
    return render_template("learning/enrol_key.html", form=form, course=course)


@bp.route("/aprender/<slug>")
def resume(slug):
    """Back where she left off: the first lesson not done, or quiz not passed."""
    course = studied_course(slug)
    outline = course_outline(course, enrolment_for(current_user, course))
    step = outline.first_unfinished() or next(iter(outline.steps), None)
    if step is None:
        flash(_("Este curso todavía no tiene lecciones."), "info")
        return redirect(url_for(".my_courses"))
    return redirect(step_url(course, step))


@bp.route("/aprender/<slug>/<lesson_slug>")
def lesson(slug, lesson_slug):
    course = studied_course(slug)
    enrolment = enrolment_for(current_user, course)
    outline = course_outline(course, enrolment)
    step = outline.lesson(lesson_slug) or abort(404)
    previous, following = outline.neighbours(step)
    progress.touch(enrolment, always=False)
    lesson = db.session.get(Lesson, step.id)
    page = render_template("learning/lesson.html", course=course, enrolment=enrolment, outline=outline, step=step,
                           lesson=lesson, reading=reading_of(lesson, current_user.language), previous=previous,
                           following=following,
                           progress=outline.progress(course, enrolment.is_completed,
                                                     progress.sessions_attended(enrolment)),
                           next_workshop=_next_workshop(course, enrolment))
    db.session.commit()
    return page


@bp.route("/aprender/<slug>/<lesson_slug>/completar", methods=["POST"])
def complete(slug, lesson_slug):
    """Mark a lesson done (idempotent), then go on: the module's quiz when its lessons are done, else the next."""
    course = studied_course(slug)
    enrolment = enrolment_for(current_user, course)
    lesson_id = db.session.scalar(select(Lesson.id).where(Lesson.course_id == course.id, Lesson.slug == lesson_slug))
    if lesson_id is None:
        abort(404)
    was_completed = enrolment.is_completed
    progress.complete_lesson(enrolment, lesson_id)
    db.session.commit()
    if enrolment.is_completed and not was_completed:
        return redirect(url_for(".completed", slug=slug))
    outline = course_outline(course, enrolment)
    step = outline.after_lesson(outline.lesson(lesson_slug)) or outline.first_unfinished()
    return redirect(step_url(course, step) if step else url_for(".my_courses"))


@bp.route("/aprender/<slug>/completado")
def completed(slug):
    """The course is done: say so, and hand her the certificate she just earned (with what it weighs)."""
    course = studied_course(slug)
    enrolment = enrolment_for(current_user, course)
    if not enrolment.is_completed:
        return redirect(url_for(".resume", slug=slug))
    return render_template("learning/completed.html", course=course, enrolment=enrolment,
                           enrolment_certificates=certificates_by_enrolment([enrolment.id]))


def _next_workshop(course, enrolment):
    """Her next session of this course, when the course asks for sessions she has not attended yet."""
    if not course.min_sessions or enrolment.is_completed:
        return None
    return next_workshops(current_user, start_of_today(current_app.config["BABEL_DEFAULT_TIMEZONE"])).get(course.id)


def _quiz_page(course, enrolment, quiz, questions, token=None, answers=None, status=200):
    used, left = progress.attempts_used(enrolment, quiz), progress.attempts_left(enrolment, quiz)
    recordings = question_recordings([q.id for q in questions], current_user.language, course.language)
    return render_template("learning/quiz.html", course=course, quiz=quiz, questions=questions, used=used,
                           left=left, token=token or uuid.uuid4().hex, answers=answers or {},
                           recordings=recordings), status


@bp.route("/aprender/<slug>/evaluacion/<int:quiz_id>")
def quiz(slug, quiz_id):
    course = studied_course(slug)
    enrolment = enrolment_for(current_user, course)
    quiz = quiz_of(course, quiz_id)
    progress.touch(enrolment, always=False)
    page = _quiz_page(course, enrolment, quiz, progress.quiz_questions(quiz))
    db.session.commit()
    return page


@bp.route("/aprender/<slug>/evaluacion/<int:quiz_id>", methods=["POST"])
def submit(slug, quiz_id):
    """Grade on the server; the form's one-time token makes a double submit return the first attempt."""
    course = studied_course(slug)
    enrolment = enrolment_for(current_user, course)
    quiz, token = quiz_of(course, quiz_id), request.form.get("token", "")
    questions = progress.quiz_questions(quiz)
    answers = {q.id: db_ids(request.form.getlist(f"q{q.id}")) for q in questions}
    answers = {q: a for q, a in answers.items() if a}
    if not TOKEN_RE.fullmatch(token):
        abort(400)
    if len(answers) < len(questions):
        flash(_("Responde todas las preguntas antes de enviar."), "error")
        return _quiz_page(course, enrolment, quiz, questions, token, answers)
    try:
        attempt = progress.submit_attempt(enrolment, quiz, questions, token, answers)
    except NoAttemptsLeft:
        db.session.rollback()
        return _quiz_page(course, enrolment, quiz, questions, status=403)
    except progress.ForeignToken:
        abort(400)
    db.session.commit()
    return redirect(url_for(".result", slug=slug, quiz_id=quiz.id, number=attempt.number))


@bp.route("/aprender/<slug>/evaluacion/<int:quiz_id>/intento/<int:number>")
def result(slug, quiz_id, number):
    course = studied_course(slug)
    enrolment = enrolment_for(current_user, course)
    quiz = quiz_of(course, quiz_id)
    attempt = db.session.scalar(select(QuizAttempt).where(
        QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.quiz_id == quiz.id, QuizAttempt.number == number))
    if attempt is None:
        abort(404)
    outline = course_outline(course, enrolment)
    here = next(s for s in outline.steps if s.kind == "quiz" and s.id == quiz.id)
    following = outline.neighbours(here)[1] or outline.first_unfinished()
    if following is not None and following.kind == "quiz" and following.id == quiz.id:
        following = None  # «continuar» never leads back to the quiz she just took
    module = next(m for m in outline.modules if m.id == here.module_id)
    questions, left = progress.quiz_questions(quiz), progress.attempts_left(enrolment, quiz)
    # Marked against the questions as they are now; the score shown is the one stored with the attempt.
    review = grading.grade(progress.answer_key(questions), {int(k): v for k, v in attempt.answers.items()},
                           attempt.pass_mark)
    return render_template("learning/result.html", course=course, enrolment=enrolment, quiz=quiz, attempt=attempt,
                           questions=questions, following=following, review=review, left=left,
                           marks={r.question_id: r for r in review.per_question},
                           first_lesson=module.lessons[0] if module.lessons else None,
                           can_retry=left is None or left > 0)
