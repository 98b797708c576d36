"""The learners' side of courses: catalogue, published course pages, lesson files and the quick-exit page."""

from itertools import groupby

from babel.dates import format_skeleton
from flask import Blueprint, abort, current_app, render_template, request, send_file
from flask_babel import format_decimal, get_locale, to_user_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from lms.accounts.guards import public
from lms.accounts.models import utcnow
from lms.courses.access import course_for_viewer, may_edit
from lms.courses.media import human_size, media_path, type_label
from lms.courses.models import (
    Course,
    CourseStatus,
    Lesson,
    Media,
    MediaKind,
    Question,
    Quiz,
    Theme,
    local_today,
)
from lms.courses.render import render_markdown
from lms.extensions import db, fold, folded
from lms.learning.access import current_enrolment, media_for
from lms.learning.progress import course_outline, sessions_attended

bp = Blueprint("courses", __name__, url_prefix=None)

# Served inline only when a browser can do nothing but show or play them.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "audio/mpeg", "audio/ogg", "audio/mp4",
                "audio/webm"}
LOCKED_CSP = "default-src 'none'; sandbox"
# A language's name inside a sentence («todavía no está en runasimi»): Quechua and Aymara by their own names.
IN_SENTENCE = {"es": _l("castellano"), "en": _l("inglés"), "qu": "runasimi", "ay": "aymar aru"}


def search_condition(q: str):
    """Every word of the query in the title or the summary, ignoring case and accents."""
    words = fold(q).split()[:6]
    title, summary = folded(Course.title), folded(Course.summary)
    return and_(*(or_(title.contains(w, autoescape=True), summary.contains(w, autoescape=True)) for w in words))


def catalogue_groups(q: str) -> list[tuple[Theme, list]]:
    """Published courses (with their lesson counts) grouped by theme, in one query."""
    lessons = select(func.count(Lesson.id)).where(Lesson.course_id == Course.id).correlate(Course)
    query = (select(Course, lessons.scalar_subquery()).join(Course.theme).options(contains_eager(Course.theme),
                                                                                    joinedload(Course.cover))
             .where(Course.status == CourseStatus.PUBLISHED).order_by(Theme.position, Theme.id, Course.title))
    if q:
        query = query.where(search_condition(q))
    rows = db.session.execute(query).all()
    return [(theme, list(items)) for theme, items in groupby(rows, key=lambda row: row[0].theme)]


def question_counts(course: Course) -> dict[int, int]:
    query = select(Question.quiz_id, func.count()).join(Quiz).where(Quiz.course_id == course.id).group_by(
        Question.quiz_id)
    return dict(db.session.execute(query).all())


@bp.route("/cursos")
@public
def catalogue():
    q = request.args.get("q", "").strip()[:80]
    groups = catalogue_groups(q)
    return render_template("courses/catalogue.html", groups=groups, q=q,
                           found=sum(len(items) for _theme, items in groups))


@bp.route("/cursos/<slug>")
@public
def course(slug):
    course = course_for_viewer(current_user, slug)
    enrolment = current_enrolment(current_user, course)
    outline = course_outline(course, enrolment) if enrolment else None  # her ticks, when she is in it
    done = outline.progress(course, enrolment.is_completed, sessions_attended(enrolment)) if enrolment else None
    response = current_app.make_response(render_template(
        "courses/course.html", course=course, questions=question_counts(course), enrolment=enrolment,
        editor=may_edit(current_user, course), outline=outline, progress=done))
    if course.sensitive:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/clima")
@public
def neutral():
    """The innocuous page the quick exit leads to: no platform name, no link back."""
    today = to_user_timezone(utcnow())
    rainy = today.month in (12, 1, 2, 3)  # the Andean rainy season and the coast's summer
    response = current_app.make_response(render_template("courses/neutral.html", today=today, rainy=rainy))
    response.headers["Cache-Control"] = "no-store"
    return response


def send_media(media: Media, cache: str):
    """The stored file with safe headers: inline only for plain images and audio, never a page or a script."""
    path = media_path(media, current_app.config["UPLOAD_FOLDER"])
    if not path.is_file():
        abort(404)
    inline = media.content_type in INLINE_TYPES and request.args.get("download") != "1"
    response = send_file(path, mimetype=media.content_type, as_attachment=not inline, download_name=media.filename,
                         conditional=True, etag=True, last_modified=media.created_at)
    response.headers["Cache-Control"] = cache
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not inline:
        response.headers["Content-Security-Policy"] = LOCKED_CSP
    return response


@bp.route("/media/<int:media_id>")
def media(media_id):
    return send_media(media_for(current_user, media_id), "private, max-age=86400")


@bp.route("/media/<int:media_id>/portada")
@public
def cover(media_id):
    """A published course's cover image, open to anyone (the catalogue is public)."""
    media = db.session.scalar(select(Media).join(Course, Course.cover_id == Media.id).where(
        Media.id == media_id, Media.kind == MediaKind.IMAGE, Course.status == CourseStatus.PUBLISHED))
    if media is None:
        abort(404)
    return send_media(media, "public, max-age=86400")


@bp.app_template_global()
def file_label(media: Media) -> str:
    """What a file is and weighs, before anyone spends data on it: "PDF · 240 KB"."""
    return f"{type_label(media)} · {human_size(media.size_bytes)}"


@bp.app_template_global()
def content_language_name(code: str) -> str:
    """A content language's name inside a sentence: «castellano», «runasimi»."""
    return str(IN_SENTENCE.get(code, code))


bp.add_app_template_global(human_size, "human_size")


@bp.app_template_global()
def hours_label(hours) -> str:
    """Hours in words, in the page's language: "1 hora", "1,5 horas"."""
    if hours == 1:
        return _("1 hora")
    return _("%(num)s horas", num=format_decimal(hours))


@bp.app_template_filter("month_year")
def month_year(day) -> str:
    """A date as its month and year in the page's language: «enero de 2026», «January 2026»."""
    return format_skeleton("yMMMM", day, locale=get_locale())


@bp.app_template_global()
def review_notice(lesson: Lesson) -> str | None:
    """What a reader sees above a lesson whose review date has passed; None while it is current."""
    if not lesson.needs_review(local_today()):
        return None
    month = month_year(lesson.reviewed_on or lesson.review_by)
    where = lesson.where_to_check
    return " ".join((_("Revisamos esta lección en %(month)s. Las normas y los datos pueden haber cambiado: "
                       "confírmalos antes de actuar.", month=month),
                     _("Dónde verificar: %(where)s", where=where) if where
                     else _("Pregunta a tu formadora dónde confirmarlos.")))


@bp.app_template_filter("markdown")
def markdown_filter(text: str) -> Markup:
    return render_markdown(text)
