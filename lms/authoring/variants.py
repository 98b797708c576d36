"""A lesson in other languages: its text per language and the recordings of lessons and questions per language.

Nothing in a language is written by the platform: a person who speaks it writes or records it here (or in the
course files, courses/README.md).
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.models import LANGUAGE_NAMES
from lms.authoring.content import question_data
from lms.authoring.forms import QuestionForm, RecordingForm, VariantForm
from lms.authoring.views import bp, part_of, refused_upload, store_file, uploaded
from lms.courses.access import course_for_edit
from lms.courses.audio import BYTES_PER_SECOND, HEADER_ALLOWANCE
from lms.courses.media import MediaError, human_duration
from lms.courses.models import Course, Lesson, Media, MediaKind, Question
from lms.courses.variants import recordings_of, set_question_recording, set_text
from lms.extensions import db


def other_language(course: Course, language: str) -> str:
    """A language a lesson of `course` may be translated into (not the course's own), else 404."""
    if language not in LANGUAGE_NAMES or language == course.language:
        abort(404)
    return language


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/languages/<language>", methods=["GET", "POST"])
def edit_variant(course_id, lesson_id, language):
    course = course_for_edit(current_user, course_id)
    lesson = part_of(course, Lesson, lesson_id)
    variant = lesson.variant(other_language(course, language))
    form = VariantForm(obj=variant if variant is not None and variant.has_text else None)
    if form.validate_on_submit():
        set_text(lesson, language, form.title.data, form.body.data)
        db.session.commit()
        flash(_("Texto en %(language)s guardado.", language=LANGUAGE_NAMES[language]), "success")
        return redirect(url_for(".edit_lesson", course_id=course.id, lesson_id=lesson.id, _anchor="idiomas"))
    return render_template("authoring/variant_form.html", course=course, lesson=lesson, variant=variant,
                           language=language, form=form, language_names=LANGUAGE_NAMES)


@bp.route("/<int:course_id>/lessons/<int:lesson_id>/languages/<language>/delete", methods=["POST"])
def delete_variant(course_id, lesson_id, language):
    """Remove the lesson's text in a language (its recording, if any, stays)."""
    course = course_for_edit(current_user, course_id)
    lesson = part_of(course, Lesson, lesson_id)
    if lesson.variant(other_language(course, language)) is None:
        abort(404)
    set_text(lesson, language, "", "")
    db.session.commit()
    flash(_("Texto en %(language)s quitado.", language=LANGUAGE_NAMES[language]), "success")
    return redirect(url_for(".edit_lesson", course_id=course.id, lesson_id=lesson.id, _anchor="idiomas"))


def question_page(course: Course, question: Question, recording: RecordingForm):
    """The question editor, showing why a recording was refused."""
    form = QuestionForm(data=question_data(question), language=course.language, formdata=None)
    return render_template("authoring/question_form.html", course=course, quiz=question.quiz, question=question,
                           form=form, recording=recording, recordings=recordings_of(question, course.language))


@bp.route("/<int:course_id>/questions/<int:question_id>/audio", methods=["POST"])
def add_question_audio(course_id, question_id):
    course = course_for_edit(current_user, course_id)
    question = part_of(course, Question, question_id)
    form = RecordingForm(prefix="audio", course=course)
    if form.validate_on_submit():
        try:
            media = store_file(form.file.data, course, {MediaKind.AUDIO})
        except MediaError as error:
            form.file.errors.append(str(error))
        else:
            set_question_recording(question, form.language.data, media)
            db.session.commit()
            flash(_("Archivo añadido: %(name)s.", name=media.filename), "success")
            return uploaded(url_for(".edit_question", course_id=course.id, question_id=question.id, _anchor="audio"))
    return refused_upload(form) or question_page(course, question, form)


@bp.route("/<int:course_id>/questions/<int:question_id>/audio/<language>/remove", methods=["POST"])
def remove_question_audio(course_id, question_id, language):
    course = course_for_edit(current_user, course_id)
    question = part_of(course, Question, question_id)
    if question.recording(language) is None:
        abort(404)
    set_question_recording(question, language, None)
    db.session.commit()
    flash(_("Grabación quitada."), "success")
    return redirect(url_for(".edit_question", course_id=course.id, question_id=question.id, _anchor="audio"))


@bp.app_template_global()
def duration_label(media: Media) -> str:
    return human_duration(media.duration_ms / 1000)


@bp.app_template_global()
def audio_budget() -> tuple[int, int]:
    """The recorder's size budget (lms.courses.audio): bytes per second and for the headers."""
    return BYTES_PER_SECOND, HEADER_ALLOWANCE
