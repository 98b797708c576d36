"""Editing a course's content: lessons (text, audio, attachments), the module quizzes and their questions."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import audit
from lms.authoring.forms import LessonForm, QuestionForm, QuizForm, RecordingForm, UploadForm, content_languages
from lms.authoring.views import bp, confirm, count, part_of, refused_upload, renumber, store_file, uploaded
from lms.courses.access import course_for_edit
from lms.courses.media import MediaError
from lms.courses.models import Choice, Course, Lesson, MediaKind, Module, Question, QuestionKind, Quiz
from lms.courses.render import render_markdown
from lms.courses.variants import recordings_of, set_recording
from lms.extensions import db
from lms.learning.models import LessonCompletion, QuizAttempt

UPLOADS = {"audio": {MediaKind.AUDIO}, "attachment": {MediaKind.PDF, MediaKind.IMAGE}}


def lesson_page(course: Course, lesson: Lesson | None, form: LessonForm, **extra):
    """The lesson editor, with the upload forms of an existing lesson (a failed upload passes its own)."""
    uploads = {kind: upload_form(kind, course, formdata=None) for kind in UPLOADS} | extra.pop("uploads", {})
    return render_template("authoring/lesson_form.html", course=course, lesson=lesson, form=form,
                           uploads=uploads, other_languages=content_languages(course, others_only=True),
                           recordings=recordings_of(lesson, course.language) if lesson else [], **extra)


def upload_form(kind: str, course: Course, **kwargs) -> UploadForm:
    """A recording's form says its language; an attachment's is only the file."""
    return RecordingForm(prefix=kind, course=course, **kwargs) if kind == "audio" else UploadForm(prefix=kind, **kwargs)


def wants_preview() -> bool:
    return request.method == "POST" and request.form.get("action") == "preview"


def move_to(lesson: Lesson, module: Module) -> None:
    """Put the lesson last in `module` unless it is already there; its old module closes the gap."""
    if lesson.module_id == module.id:
        return
    old = lesson.module if lesson.module_id else None
    lesson.position = max((other.position for other in module.lessons), default=0) + 1
    lesson.module = module
    if old is not None:
        renumber([other for other in old.lessons if other is not lesson])


def save_lesson(lesson: Lesson, form: LessonForm, course: Course) -> bool:
    """Copy the form onto the lesson in a savepoint; a slug taken in this course is said on the form."""
    try:
        with db.session.begin_nested():
            form.apply_to(lesson, course)
            move_to(lesson, part_of(course, Module, form.module_id.data))
            db.session.add(lesson)
            db.session.flush()
    except IntegrityError:
        (form.slug if "slug" in form else form.title).errors.append(
            _("Esa dirección web ya la usa otra lección de este curso. Escribe otra."))
        return False
    return True


@bp.route("/<int:course_id>/modules/<int:module_id>/lessons/new", methods=["GET", "POST"])
def new_lesson(course_id, module_id):
    course = course_for_edit(current_user, course_id)
    module = part_of(course, Module, module_id)
    form = LessonForm(course=course, module_id=module.id)
    if wants_preview():
        return lesson_page(course, None, form, preview=render_markdown(form.body.data), module=module)
    if form.validate_on_submit():
        lesson = Lesson(course_id=course.id)
        if save_lesson(lesson, form, course):
            db.session.commit()
            flash(_("Lección guardada. Ahora puedes añadirle audio o archivos."), "success")
            return redirect(url_for(".edit_lesson", course_id=course.id, lesson_id=lesson.id))
    return lesson_page(course, None, form, module=module)


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
def edit_lesson(course_id, lesson_id):
    course = course_for_edit(current_user, course_id)
    lesson = part_of(course, Lesson, lesson_id)
    form = LessonForm(obj=lesson, course=course)
    if wants_preview():
        return lesson_page(course, lesson, form, preview=render_markdown(form.body.data))
    if form.validate_on_submit() and save_lesson(lesson, form, course):
        db.session.commit()
        flash(_("Lección guardada."), "success")
        return redirect(url_for(".course", course_id=course.id, _anchor=f"lesson-{lesson.id}"))
    return lesson_page(course, lesson, form)


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/delete", methods=["GET", "POST"])
def delete_lesson(course_id, lesson_id):
    course = course_for_edit(current_user, course_id)
    lesson = part_of(course, Lesson, lesson_id)
    done = count(select(func.count()).select_from(LessonCompletion).where(LessonCompletion.lesson_id == lesson.id))
    lost = ngettext("%(num)d participante completó esta lección y perderá ese avance.",
                    "%(num)d participantes completaron esta lección y perderán ese avance.", done)
    if request.method == "POST":
        audit("lesson.deleted", actor=current_user, address=request.remote_addr, course_id=course.id,
              lesson_id=lesson.id, completions=done)
        module = lesson.module
        module.lessons.remove(lesson)
        renumber(module.lessons)
        db.session.commit()
        flash(_("Lección eliminada."), "success")
        return redirect(url_for(".course", course_id=course.id, _anchor=f"module-{module.id}"))
    return confirm(course, _("¿Eliminar esta lección?"), lesson.title,
                   url_for(".edit_lesson", course_id=course.id, lesson_id=lesson.id), lost if done else "")


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/files/<kind>", methods=["POST"])
def add_file(course_id, lesson_id, kind):
    course = course_for_edit(current_user, course_id)
    lesson = part_of(course, Lesson, lesson_id)
    if kind not in UPLOADS:
        abort(404)
    form = upload_form(kind, course)
    if form.validate_on_submit():
        try:
            media = store_file(form.file.data, course, UPLOADS[kind])
        except MediaError as error:
            form.file.errors.append(str(error))
        else:
            if kind == "audio":
                set_recording(lesson, form.language.data, media)
            elif media not in lesson.attachments:
                lesson.attachments.append(media)
            db.session.commit()
            flash(_("Archivo añadido: %(name)s.", name=media.filename), "success")
            return uploaded(url_for(".edit_lesson", course_id=course.id, lesson_id=lesson.id, _anchor="archivos"))
    return refused_upload(form) or lesson_page(course, lesson, LessonForm(obj=lesson, course=course, formdata=None),
                                               uploads={kind: form})


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/files/<int:media_id>/remove", methods=["POST"])
def remove_file(course_id, lesson_id, media_id):
    course = course_for_edit(current_user, course_id)
    lesson = part_of(course, Lesson, lesson_id)
    spoken = {variant.audio_id: variant.language for variant in lesson.variants} | {lesson.audio_id: course.language}
    if media_id in spoken:
        set_recording(lesson, spoken[media_id], None)
    elif media_id in {media.id for media in lesson.attachments}:
        lesson.attachments = [media for media in lesson.attachments if media.id != media_id]
    else:
        abort(404)
    db.session.commit()
    flash(_("Archivo quitado de la lección."), "success")
    return redirect(url_for(".edit_lesson", course_id=course.id, lesson_id=lesson.id, _anchor="archivos"))


def quiz_of(module: Module) -> Quiz:
    """The module's quiz, created if missing: one per module is a constraint, so a parallel create is reloaded."""
    if module.quiz is None:
        try:
            with db.session.begin_nested():
                db.session.add(Quiz(course_id=module.course_id, module_id=module.id, title=module.title))
        except IntegrityError:
            pass
        db.session.expire(module, ["quiz"])
    return module.quiz


@bp.route("/<int:course_id>/modules/<int:module_id>/quiz", methods=["GET", "POST"])
def edit_quiz(course_id, module_id):
    course = course_for_edit(current_user, course_id)
    module = part_of(course, Module, module_id)
    form = QuizForm(obj=module.quiz, data=None if module.quiz else {
        "title": _("Evaluación: %(title)s", title=module.title)})
    if form.validate_on_submit():
        quiz = quiz_of(module)
        form.populate_obj(quiz)
        db.session.commit()
        flash(_("Evaluación guardada."), "success")
        return redirect(url_for(".edit_quiz", course_id=course.id, module_id=module.id))
    return render_template("authoring/quiz_form.html", course=course, module=module, quiz=module.quiz, form=form)


@bp.route("/<int:course_id>/modules/<int:module_id>/quiz/delete", methods=["GET", "POST"])
def delete_quiz(course_id, module_id):
    course = course_for_edit(current_user, course_id)
    module = part_of(course, Module, module_id)
    if module.quiz is None:
        abort(404)
    attempts = count(select(func.count()).select_from(QuizAttempt).where(QuizAttempt.quiz_id == module.quiz.id))
    if request.method == "POST":
        audit("quiz.deleted", actor=current_user, address=request.remote_addr, course_id=course.id,
              quiz_id=module.quiz.id, attempts=attempts)
        module.quiz = None
        db.session.commit()
        flash(_("Evaluación eliminada."), "success")
        return redirect(url_for(".course", course_id=course.id, _anchor=f"module-{module.id}"))
    return confirm(course, _("¿Eliminar esta evaluación?"), module.quiz.title,
                   url_for(".edit_quiz", course_id=course.id, module_id=module.id),
                   ngettext("Se borrará %(num)d intento de una participante.",
                            "Se borrarán %(num)d intentos de participantes.", attempts) if attempts else "")


def question_data(question: Question) -> dict:
    """The form's starting values for an existing question."""
    correct = next((choice.text.strip().lower() for choice in question.choices if choice.correct), "")
    return {"kind": question.kind, "text": question.text, "explanation": question.explanation,
            "truth": "true" if correct in ("verdadero", "true") else "false",
            "choices": [{"choice_id": c.id, "text": c.text, "correct": c.correct} for c in question.choices]}


def fill_question(question: Question, form: QuestionForm) -> None:
    """Copy the form onto the question; choices keep their ids where the form sent them back."""
    question.kind, question.text, question.explanation = form.kind.data, form.text.data, form.explanation.data or ""
    existing = {choice.id: choice for choice in question.choices}
    spare = list(existing.values()) if form.kind.data == QuestionKind.TRUEFALSE else []
    kept = []
    for position, (text, correct, choice_id) in enumerate(form.rows(), start=1):
        choice = existing.get(choice_id) or (spare.pop(0) if spare else Choice())
        choice.text, choice.correct, choice.position = text, correct, position
        kept.append(choice)
    question.choices = kept


@bp.route("/<int:course_id>/quizzes/<int:quiz_id>/questions/new", methods=["GET", "POST"])
def new_question(course_id, quiz_id):
    course = course_for_edit(current_user, course_id)
    quiz = part_of(course, Quiz, quiz_id)
    form = QuestionForm(language=course.language)
    if form.validate_on_submit():
        question = Question(position=len(quiz.questions) + 1)
        fill_question(question, form)
        quiz.questions.append(question)
        db.session.commit()
        flash(_("Pregunta guardada."), "success")
        return redirect(url_for(".edit_quiz", course_id=course.id, module_id=quiz.module_id, _anchor="preguntas"))
    return render_template("authoring/question_form.html", course=course, quiz=quiz, question=None, form=form)


@bp.route("/<int:course_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
def edit_question(course_id, question_id):
    course = course_for_edit(current_user, course_id)
    question = part_of(course, Question, question_id)
    form = QuestionForm(data=question_data(question), language=course.language)
    if form.validate_on_submit():
        fill_question(question, form)
        db.session.commit()
        flash(_("Pregunta guardada."), "success")
        return redirect(url_for(".edit_quiz", course_id=course.id, module_id=question.quiz.module_id,
                                _anchor=f"question-{question.id}"))
    return render_template("authoring/question_form.html", course=course, quiz=question.quiz, question=question,
                           form=form, recording=RecordingForm(prefix="audio", course=course, formdata=None),
                           recordings=recordings_of(question, course.language))


@bp.route("/<int:course_id>/questions/<int:question_id>/delete", methods=["GET", "POST"])
def delete_question(course_id, question_id):
    course = course_for_edit(current_user, course_id)
    question = part_of(course, Question, question_id)
    quiz = question.quiz
    if request.method == "POST":
        quiz.questions.remove(question)
        renumber(quiz.questions)
        db.session.commit()
        flash(_("Pregunta eliminada."), "success")
        return redirect(url_for(".edit_quiz", course_id=course.id, module_id=quiz.module_id, _anchor="preguntas"))
    return confirm(course, _("¿Eliminar esta pregunta?"), question.text,
                   url_for(".edit_quiz", course_id=course.id, module_id=quiz.module_id))
