"""Forms for authoring courses, modules, lessons, quizzes, questions and uploads; slugs made from titles."""

import re
import unicodedata

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from lms.accounts.forms import empty_to_none, strip
from lms.accounts.models import LANGUAGE_NAMES, REGIONS, Role, User
from lms.courses.models import Choice, Course, CourseStatus, Lesson, Question, QuestionKind, Theme
from lms.extensions import db, db_id

SLUG_RE = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SLUG_MESSAGE = _l("Solo minúsculas sin tilde, números y guiones. Ejemplo: que-es-el-reinfo")
CHOICE_ROWS = 4
TRUE_FALSE = {"es": ("Verdadero", "Falso"), "en": ("True", "False")}


def slugify(text: str, fallback: str = "curso", length: int = 60) -> str:
    """«¿Qué es el REINFO?» -> «que-es-el-reinfo» (at most `length` characters)."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:length].strip("-") or fallback


def free_slug(column, base: str, *where) -> str:
    """`base`, or `base-2`, `base-3`... whichever is not taken yet (the unique constraint has the last word)."""
    taken = set(db.session.scalars(select(column).where(column.like(f"{base}%"), *where)))
    return next(slug for slug in [base] + [f"{base}-{n}" for n in range(2, len(taken) + 3)] if slug not in taken)


def slug_field(label):
    return StringField(label, filters=[empty_to_none], description=_l("Si la dejas vacía, se crea sola con el título."),
                       validators=[Optional(), Length(max=60), Regexp(SLUG_RE, message=SLUG_MESSAGE)])


class HoursField(DecimalField):
    """Hours as people write them in Peru: «1,5» as well as «1.5»."""

    def process_formdata(self, valuelist):
        super().process_formdata([value.replace(",", ".") for value in valuelist])


def course_language_choices():
    return [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]


class CourseForm(FlaskForm):
    title = StringField(_l("Título del curso"), filters=[strip],
                        validators=[DataRequired(_l("Escribe el título del curso.")), Length(max=160)])
    slug = slug_field(_l("Dirección web (opcional)"))
    summary = TextAreaField(_l("Resumen"), filters=[strip], validators=[Length(max=2000)],
                            description=_l("Dos o tres frases: para quién es y qué aprenderá."))
    theme_id = SelectField(_l("Tema"), coerce=int, validate_choice=True)
    language = SelectField(_l("Idioma del curso"), choices=course_language_choices, default="es")
    hours = HoursField(_l("Horas estimadas"), places=1, default=1,
                       validators=[DataRequired(_l("Escribe las horas, por ejemplo 2 o 1,5.")),
                                   NumberRange(0.5, 500, _l("Escribe un número de horas entre 0,5 y 500."))])
    sensitive = BooleanField(_l("Tema delicado (por ejemplo, violencia): muestra el botón «Salir rápido»"))
    self_enrol = BooleanField(_l("Las participantes pueden inscribirse solas"), default=True)
    enrolment_key = StringField(_l("Clave de inscripción (opcional)"), filters=[empty_to_none],
                                description=_l("Si pones una clave, solo se inscribe quien la sepa."),
                                validators=[Length(max=40)])
    require_lessons = BooleanField(_l("Para completar el curso: terminar todas las lecciones"), default=True)
    require_quizzes = BooleanField(_l("Para completar el curso: aprobar todas las evaluaciones"), default=True)
    min_sessions = IntegerField(_l("Sesiones presenciales mínimas para completar"), default=0,
                                validators=[NumberRange(0, 100, _l("Escribe un número entre 0 y 100."))])
    region = SelectField(_l("Región del curso"), validate_choice=True, default="",
                         description=_l("Un curso de toda la Red no tiene región. Las coordinadoras editan los cursos "
                                        "de sus regiones."))
    trainer_ids = SelectMultipleField(_l("Formadoras a cargo"), coerce=int, widget=ListWidget(prefix_label=False),
                                      option_widget=CheckboxInput())
    cover_file = FileField(_l("Imagen de portada (opcional)"), description=_l("Una foto o dibujo (PNG o JPEG)."))
    remove_cover = BooleanField(_l("Quitar la portada actual"))

    FIELDS = ("title", "summary", "theme_id", "language", "hours", "sensitive", "self_enrol", "enrolment_key",
              "require_lessons", "require_quizzes", "min_sessions")

    def __init__(self, *args, actor: User, course: Course | None = None, **kwargs):
        super().__init__(*args, obj=course, **kwargs)
        themes = db.session.scalars(select(Theme).order_by(Theme.position, Theme.name))
        self.theme_id.choices = [SelectChoice(t.id, t.label(str(get_locale()))) for t in themes]
        self._offer_region_and_trainers(actor, course)
        if course is not None and course.status != CourseStatus.DRAFT:
            del self.slug  # the address of a course learners may already use stays put
        if course is None or course.cover_id is None:
            del self.remove_cover

    def _offer_region_and_trainers(self, actor: User, course: Course | None) -> None:
        """Admins choose any region (or none) and any trainer; a coordinator her regions and their trainers;
        a trainer neither (her course is hers, of the whole network)."""
        if not (actor.is_admin or actor.is_coordinator):
            del self.region, self.trainer_ids
            return
        regions = list(REGIONS) if actor.is_admin else actor.regions
        self.region.choices = ([SelectChoice("", _l("Toda la Red"))] if actor.is_admin else []) + [
            SelectChoice(r, REGIONS[r]) for r in regions]
        trainers = select(User).where(User.role.in_([Role.TRAINER, Role.COORDINATOR]), User.active)
        if actor.is_coordinator:
            trainers = trainers.where(User.region.in_(actor.regions))
        self.trainer_ids.choices = [SelectChoice(u.id, u.full_name)
                                    for u in db.session.scalars(trainers.order_by(User.full_name))]
        if self.region.data is None:
            self.region.data = ""  # a course of the whole network
        if course is not None and not self.is_submitted():
            self.region.data = course.region or ""
            self.trainer_ids.data = [u.id for u in course.trainers]
        if actor.is_coordinator and course is not None and course.region not in regions:
            del self.region  # a course of the network (or another region) she teaches keeps its place

    def apply_to(self, course: Course) -> None:
        """Copy the fields onto the course; the slug comes from the title only the first time."""
        for name in self.FIELDS:
            setattr(course, name, self[name].data)
        if "region" in self:
            course.region = self.region.data or None
        slug = self.slug.data if "slug" in self else None
        if slug:
            course.slug = slug
        elif course.slug is None:
            course.slug = free_slug(Course.slug, slugify(course.title))
        if "trainer_ids" in self:
            offered = {choice.value for choice in self.trainer_ids.choices}
            kept = [u for u in course.trainers if u.id not in offered]  # trainers she may not choose stay
            chosen = [i for i in self.trainer_ids.data if i in offered]
            course.trainers = kept + list(db.session.scalars(select(User).where(User.id.in_(chosen))))


class ThemeForm(FlaskForm):
    name = StringField(_l("Nombre del tema"), filters=[strip],
                       validators=[DataRequired(_l("Escribe el nombre del tema.")), Length(max=80)])
    name_en = StringField(_l("Nombre en inglés (opcional)"), filters=[empty_to_none], validators=[Length(max=80)])


class ModuleForm(FlaskForm):
    title = StringField(_l("Título del módulo"), filters=[strip],
                        validators=[DataRequired(_l("Escribe el título del módulo.")), Length(max=160)])


class LessonForm(FlaskForm):
    title = StringField(_l("Título de la lección"), filters=[strip],
                        validators=[DataRequired(_l("Escribe el título de la lección.")), Length(max=160)])
    slug = slug_field(_l("Dirección web (opcional)"))
    module_id = SelectField(_l("Módulo"), coerce=int, validate_choice=True)
    minutes = IntegerField(_l("Minutos estimados"), default=5,
                           validators=[NumberRange(1, 600, _l("Escribe un número de minutos entre 1 y 600."))])
    body = TextAreaField(_l("Texto de la lección (Markdown)"), validators=[Length(max=100_000)],
                         description=_l("Usa **negrita**, listas con guion y ## para subtítulos. "
                                        "Pulsa «Vista previa» para ver cómo queda."))

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.module_id.choices = [SelectChoice(m.id, m.title) for m in course.modules]
        if course.status != CourseStatus.DRAFT:
            del self.slug

    def apply_to(self, lesson: Lesson, course: Course) -> None:
        """Copy the fields onto the lesson (edited in place: its id, and learners' progress, stay)."""
        lesson.title, lesson.minutes, lesson.body = self.title.data, self.minutes.data, self.body.data or ""
        slug = self.slug.data if "slug" in self else None
        if slug:
            lesson.slug = slug
        elif lesson.slug is None:
            lesson.slug = free_slug(Lesson.slug, slugify(lesson.title, "leccion"), Lesson.course_id == course.id)


class QuizForm(FlaskForm):
    title = StringField(_l("Título de la evaluación"), filters=[strip],
                        validators=[DataRequired(_l("Escribe el título de la evaluación.")), Length(max=160)])
    pass_mark = IntegerField(_l("Nota para aprobar (%)"), default=70,
                             validators=[DataRequired(_l("Escribe un número entre 1 y 100.")),
                                         NumberRange(1, 100, _l("Escribe un número entre 1 y 100."))])
    max_attempts = IntegerField(_l("Intentos permitidos"), default=0, description=_l("0 = sin límite."),
                                validators=[NumberRange(0, 99, _l("Escribe un número entre 0 y 99."))])


class ChoiceRow(Form):
    choice_id = HiddenField()
    text = StringField(_l("Opción"), filters=[strip], validators=[Length(max=500)])
    correct = BooleanField(_l("correcta"))


def question_kind_choices():
    return [SelectChoice(kind.value, kind.label) for kind in QuestionKind]


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Tipo de pregunta"), choices=question_kind_choices, default=QuestionKind.SINGLE.value)
    text = TextAreaField(_l("Pregunta"), filters=[strip],
                         validators=[DataRequired(_l("Escribe la pregunta.")), Length(max=2000)])
    explanation = TextAreaField(_l("Explicación (se muestra después de responder)"), filters=[strip],
                                validators=[Length(max=2000)])
    truth = SelectField(_l("La frase es…"), default="true",
                        choices=[SelectChoice("true", _l("Verdadero")), SelectChoice("false", _l("Falso"))],
                        description=_l("Solo para preguntas de verdadero o falso: las opciones se crean solas."))
    choices = FieldList(FormField(ChoiceRow), min_entries=CHOICE_ROWS, max_entries=12)

    def __init__(self, *args, language: str = "es", **kwargs):
        super().__init__(*args, **kwargs)
        self.true_false = TRUE_FALSE.get(language, TRUE_FALSE["es"])  # course content, in the course's language

    def rows(self) -> list[tuple[str, bool, int | None]]:
        """The filled choice rows as (text, correct, existing choice id); blank rows are ignored."""
        if self.kind.data == QuestionKind.TRUEFALSE:
            truth = self.truth.data == "true"
            return [(self.true_false[0], truth, None), (self.true_false[1], not truth, None)]
        return [(row.form.text.data, row.form.correct.data,
                 db_id(row.form.choice_id.data))
                for row in self.choices if row.form.text.data]

    def validate(self, extra_validators=None) -> bool:
        """The fields, then the question as a whole, with the same rules publishing applies."""
        if not super().validate(extra_validators):
            return False
        draft = Question(kind=self.kind.data, text=self.text.data,
                         choices=[Choice(text=text, correct=correct) for text, correct, _id in self.rows()])
        problem = draft.problem()
        if problem:
            self.form_errors.append(problem)
        return not problem


class UploadForm(FlaskForm):
    file = FileField(_l("Archivo"), validators=[FileRequired(_l("Elige un archivo."))])


def content_languages(course: Course, others_only: bool = False) -> list[SelectChoice]:
    """The languages a course's content may have: the course's own first (unless `others_only`), then the rest."""
    codes = [course.language] + [code for code in LANGUAGE_NAMES if code != course.language]
    return [SelectChoice(code, LANGUAGE_NAMES[code]) for code in codes[1 if others_only else 0:]]


class RecordingForm(UploadForm):
    """A recording (recorded in the page, or a file) and the language it is spoken in."""

    language = SelectField(_l("Idioma de la grabación"), validate_choice=True)

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = content_languages(course)
        if not self.language.data:
            self.language.data = course.language


class VariantForm(FlaskForm):
    title = StringField(_l("Título de la lección en este idioma"), filters=[strip],
                        validators=[DataRequired(_l("Escribe el título de la lección.")), Length(max=160)])
    body = TextAreaField(_l("Texto de la lección en este idioma (Markdown)"), filters=[strip],
                         validators=[DataRequired(_l("Escribe el texto de la lección.")), Length(max=100_000)],
                         description=_l("Lo escribe o revisa alguien que habla este idioma. Mientras no haya texto, "
                                        "las participantes leen la lección en el idioma del curso."))
