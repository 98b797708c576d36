"""Trainers build courses: the course itself, themes, modules, ordering, status and the learner's-eye preview.

Lessons, their files, quizzes and questions are in content.py, on the same blueprint.
"""

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.accounts.access import require_admin
from lms.accounts.guards import STAFF, require_roles
from lms.accounts.models import LANGUAGE_NAMES, audit
from lms.authoring.forms import CourseForm, ModuleForm, ThemeForm, free_slug, slugify
from lms.courses.access import course_for_edit, course_scope, courses_of
from lms.courses.media import MediaError, store_upload
from lms.courses.models import (
    Course,
    Lesson,
    MediaKind,
    Module,
    PublishError,
    Question,
    QuestionKind,
    Quiz,
    Theme,
    ensure_starter_themes,
    lessons_to_review,
    local_today,
)
from lms.courses.variants import reading_of
from lms.extensions import db
from lms.learning.models import Enrolment, LessonCompletion

bp = Blueprint("authoring", __name__, url_prefix="/manage/courses")
bp.before_request(require_roles(*STAFF))
# The pages with «Grabar audio» (lms/static/js/record.js); every other page of the site denies the microphone.
RECORDING_PAGES = {"authoring.edit_lesson", "authoring.add_file", "authoring.edit_question",
                   "authoring.add_question_audio"}


@bp.before_request
def allow_the_microphone_where_she_records():
    """lms.site.views.security_headers then allows the microphone (and playing back a blob:) on this page only."""
    g.records_audio = request.endpoint in RECORDING_PAGES


def wants_json() -> bool:
    """The recorder's upload (record.js) asks for JSON; a plain form gets pages."""
    return request.accept_mimetypes.best == "application/json"


def uploaded(url: str):
    """After an upload: back to the page (record.js goes there itself)."""
    return jsonify(redirect=url) if wants_json() else redirect(url)


def refused_upload(form):
    """For the recorder, why its upload was refused (the form's messages), as JSON; None for a plain form."""
    if not wants_json():
        return None
    return jsonify(error=" ".join(error for errors in form.errors.values() for error in errors)), 422


def part_of(course: Course, model, item_id: int):
    """A module, lesson, quiz or question of this (already authorised) course, else 404."""
    item = db.session.get(model, item_id)
    owner = (item.quiz.course_id if isinstance(item, Question) else item.course_id) if item else None
    if owner != course.id:
        abort(404)
    return item


def renumber(items) -> None:
    for position, item in enumerate(items, start=1):
        item.position = position


def store_file(file, course: Course, kinds: set[MediaKind]):
    """Store an uploaded file for this course (MediaError says why not)."""
    config = current_app.config
    return store_upload(file.read(), file.filename or "", course, kinds, config["UPLOAD_FOLDER"],
                        config["MAX_UPLOAD_MB"] * 1024 * 1024)


def count(query) -> int:
    return db.session.scalar(query) or 0


def confirm(course: Course, heading: str, title: str, cancel: str, *warnings: str):
    """The page that asks before deleting something, with what would be lost."""
    return render_template("authoring/confirm.html", course=course, heading=heading, title=title, cancel=cancel,
                           warnings=[warning for warning in warnings if warning])


@bp.context_processor
def authoring_helpers():
    return {"kind_labels": {kind.value: kind.label for kind in QuestionKind}}


@bp.route("/")
def index():
    courses = sorted(courses_of(current_user), key=lambda c: (c.status, c.title))
    return render_template("authoring/index.html", courses=courses)


@bp.route("/review")
def review():
    """Lessons whose review date has passed, of the courses she edits (courses.access.course_scope)."""
    today = local_today()
    lessons = lessons_to_review(today, course_scope(current_user))
    return render_template("authoring/review.html", lessons=lessons, today=today)


@bp.route("/<int:course_id>")
def course(course_id):
    course = course_for_edit(current_user, course_id)
    return render_template("authoring/course.html", course=course, module_form=ModuleForm(),
                           problems=course.publish_problems())


def save_course(course: Course, form: CourseForm) -> bool:
    """Copy the form and cover onto the course in a savepoint; on a taken slug or a bad image, say so and undo."""
    try:
        with db.session.begin_nested():
            form.apply_to(course)
            db.session.add(course)
            if "remove_cover" in form and form.remove_cover.data:
                course.cover = None
            if form.cover_file.data:
                course.cover = store_file(form.cover_file.data, course, {MediaKind.IMAGE})
            db.session.flush()
    except MediaError as error:
        form.cover_file.errors.append(str(error))
        return False
    except IntegrityError:
        target = form.slug if "slug" in form else form.title
        target.errors.append(_("Esa dirección web ya la usa otro curso. Escribe otra."))
        return False
    return True


@bp.route("/new", methods=["GET", "POST"])
def new_course():
    if request.method == "GET":
        ensure_starter_themes()
        db.session.commit()  # the network's three themes exist before anyone picks one
    form = CourseForm(actor=current_user)
    if form.validate_on_submit():
        course = Course(trainers=[] if current_user.is_admin else [current_user._get_current_object()])
        if save_course(course, form):
            audit("course.created", actor=current_user, address=request.remote_addr, course_id=course.id)
            db.session.commit()
            flash(_("Curso «%(title)s» creado. Ahora añade sus módulos y lecciones.", title=course.title), "success")
            return redirect(url_for(".course", course_id=course.id))
    return render_template("authoring/course_form.html", form=form, course=None)


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
def edit_course(course_id):
    course = course_for_edit(current_user, course_id)
    form = CourseForm(actor=current_user, course=course)
    if form.validate_on_submit() and save_course(course, form):
        db.session.commit()
        flash(_("Cambios guardados."), "success")
        return redirect(url_for(".course", course_id=course.id))
    return render_template("authoring/course_form.html", form=form, course=course)


@bp.route("/<int:course_id>/delete", methods=["GET", "POST"])
def delete_course(course_id):
    course = course_for_edit(current_user, course_id)
    enrolled = count(select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course.id))
    if request.method == "POST" and not enrolled:
        audit("course.deleted", actor=current_user, address=request.remote_addr, course_id=course.id)
        db.session.delete(course)
        db.session.commit()
        flash(_("Curso eliminado."), "success")
        return redirect(url_for(".index"))
    return render_template("authoring/delete_course.html", course=course, enrolled=enrolled)


STATUS_ACTIONS = {"publish": ("publish", "course.published"), "unpublish": ("unpublish", "course.unpublished"),
                  "archive": ("archive", "course.archived")}


@bp.route("/<int:course_id>/status", methods=["POST"])
def set_status(course_id):
    course = course_for_edit(current_user, course_id)
    method, action = STATUS_ACTIONS.get(request.form.get("action", ""), (None, None))
    if method is None:
        abort(400)
    try:
        getattr(course, method)()
    except PublishError as error:
        flash(_("Todavía no se puede publicar: %(reasons)s", reasons=str(error)), "error")
        return redirect(url_for(".course", course_id=course.id))
    audit(action, actor=current_user, address=request.remote_addr, course_id=course.id)
    db.session.commit()
    flash(_("Listo: el curso ahora está «%(status)s».", status=course.status_label), "success")
    return redirect(url_for(".course", course_id=course.id))


@bp.route("/themes/new", methods=["GET", "POST"])
def new_theme():
    require_admin(current_user)  # themes are the network's settings
    form = ThemeForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                last = count(select(func.max(Theme.position)))
                db.session.add(Theme(slug=slugify(form.name.data, "tema", Theme.slug.type.length), name=form.name.data,
                                     name_en=form.name_en.data, position=last + 1))
        except IntegrityError:
            form.name.errors.append(_("Ya existe un tema con ese nombre."))
        else:
            db.session.commit()
            flash(_("Tema «%(name)s» añadido.", name=form.name.data), "success")
            return redirect(url_for(".new_theme"))
    themes = db.session.scalars(select(Theme).order_by(Theme.position)).all()
    return render_template("authoring/theme_form.html", form=form, themes=themes)


@bp.route("/<int:course_id>/modules", methods=["POST"])
def add_module(course_id):
    course = course_for_edit(current_user, course_id)
    form = ModuleForm()
    if not form.validate_on_submit():
        return render_template("authoring/course.html", course=course, module_form=form,
                               problems=course.publish_problems())
    slug = free_slug(Module.slug, slugify(form.title.data, "modulo"), Module.course_id == course.id)
    course.modules.append(Module(slug=slug, title=form.title.data, position=len(course.modules) + 1))
    db.session.commit()
    flash(_("Módulo «%(title)s» añadido.", title=form.title.data), "success")
    return redirect(url_for(".course", course_id=course.id, _anchor="modulos"))


@bp.route("/<int:course_id>/modules/<int:module_id>/edit", methods=["GET", "POST"])
def edit_module(course_id, module_id):
    course = course_for_edit(current_user, course_id)
    module = part_of(course, Module, module_id)
    form = ModuleForm(obj=module)
    if form.validate_on_submit():
        module.title = form.title.data
        db.session.commit()
        flash(_("Cambios guardados."), "success")
        return redirect(url_for(".course", course_id=course.id, _anchor=f"module-{module.id}"))
    return render_template("authoring/module_form.html", form=form, course=course, module=module)


@bp.route("/<int:course_id>/modules/<int:module_id>/delete", methods=["GET", "POST"])
def delete_module(course_id, module_id):
    course = course_for_edit(current_user, course_id)
    module = part_of(course, Module, module_id)
    done = count(select(func.count(func.distinct(LessonCompletion.enrolment_id))).join(Lesson)
                 .where(Lesson.module_id == module.id))
    if request.method == "POST":
        audit("module.deleted", actor=current_user, address=request.remote_addr, course_id=course.id,
              module_id=module.id, completions=done)
        course.modules.remove(module)
        renumber(course.modules)
        db.session.commit()
        flash(_("Módulo eliminado."), "success")
        return redirect(url_for(".course", course_id=course.id, _anchor="modulos"))
    return confirm(course, _("¿Eliminar este módulo?"), module.title, url_for(".course", course_id=course.id),
                   ngettext("Se borrará también su lección.", "Se borrarán también sus %(num)d lecciones.",
                            len(module.lessons)) if module.lessons else "",
                   _("También se borrará su evaluación.") if module.quiz else "",
                   ngettext("%(num)d participante completó lecciones de este módulo y perderá ese avance.",
                            "%(num)d participantes completaron lecciones de este módulo y perderán ese avance.",
                            done) if done else "")


def siblings_of(item) -> list:
    """The ordered list an item moves within: a course's modules, a module's lessons or a quiz's questions."""
    if isinstance(item, Module):
        return item.course.modules
    return item.module.lessons if isinstance(item, Lesson) else item.quiz.questions


MOVABLE = {"module": Module, "lesson": Lesson, "question": Question}


@bp.route("/<int:course_id>/<kind>/<int:item_id>/move", methods=["POST"])
def move(course_id, kind, item_id):
    course = course_for_edit(current_user, course_id)
    if kind not in MOVABLE:
        abort(404)
    item = part_of(course, MOVABLE[kind], item_id)
    items = list(siblings_of(item))
    here = items.index(item)
    there = here + (1 if request.form.get("step") == "down" else -1)
    if 0 <= there < len(items):
        items[here], items[there] = items[there], items[here]
    renumber(items)
    db.session.commit()
    if isinstance(item, Question):
        return redirect(url_for(".edit_quiz", course_id=course.id, module_id=item.quiz.module_id))
    return redirect(url_for(".course", course_id=course.id, _anchor=f"{kind}-{item.id}"))


@bp.route("/<int:course_id>/preview")
def preview(course_id):
    course = course_for_edit(current_user, course_id)
    return render_template("authoring/preview.html", course=course)


def preview_language(course: Course) -> str:
    """The language a staff member previews a lesson in (?idioma=qu): a content language, else the course's."""
    language = request.args.get("idioma", "")
    return language if language in LANGUAGE_NAMES else course.language


@bp.route("/<int:course_id>/preview/lessons/<int:lesson_id>")
def preview_lesson(course_id, lesson_id):
    course = course_for_edit(current_user, course_id)
    lesson = part_of(course, Lesson, lesson_id)
    lessons = course.lessons()
    at = lessons.index(lesson)
    return render_template("authoring/preview_lesson.html", course=course, lesson=lesson,
                           reading=reading_of(lesson, preview_language(course)),
                           previous=lessons[at - 1] if at else None, next=lessons[at + 1:at + 2])


@bp.route("/<int:course_id>/preview/quizzes/<int:quiz_id>")
def preview_quiz(course_id, quiz_id):
    course = course_for_edit(current_user, course_id)
    return render_template("authoring/preview_quiz.html", course=course, quiz=part_of(course, Quiz, quiz_id))


from lms.authoring import content, variants  # noqa: E402,F401 - their routes live on the same blueprint
