"""The content model: themes, courses, modules, lessons, quizzes, questions, choices and media."""

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, contains_eager, mapped_column, relationship

from lms.accounts.models import User, utcnow
from lms.extensions import db


class CourseStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return str({CourseStatus.DRAFT: _l("Borrador"), CourseStatus.PUBLISHED: _l("Publicado"),
                    CourseStatus.ARCHIVED: _l("Archivado")}[self])


class QuestionKind(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUEFALSE = "truefalse"

    @property
    def label(self) -> str:
        return str({QuestionKind.SINGLE: _l("Una respuesta"), QuestionKind.MULTIPLE: _l("Varias respuestas"),
                    QuestionKind.TRUEFALSE: _l("Verdadero o falso")}[self])


class MediaKind(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"
    PDF = "pdf"


WHERE_TO_CHECK = re.compile(r"^Dónde verificar:\s*(.+?)\s*$", re.M)


def local_today() -> date:
    """Today's date where the network works (TIMEZONE, America/Lima by default), for review dates."""
    return datetime.now(ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "America/Lima"))).date()


class PublishError(ValueError):
    """A course cannot be published yet; the message says why, in words for the trainer."""


course_trainer = Table(
    "course_trainer", db.metadata,
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)

lesson_attachment = Table(
    "lesson_attachment", db.metadata,
    Column("lesson_id", ForeignKey("lesson.id", ondelete="CASCADE"), primary_key=True),
    Column("media_id", ForeignKey("media.id", ondelete="CASCADE"), primary_key=True),
)


class Theme(db.Model):
    """A training theme; admins may add more than the three the network starts with."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str | None] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)

    def label(self, locale: str = "es") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


STARTER_THEMES = (("formalizacion", "Formalización", "Formalization"),
                  ("seguridad-salud", "Seguridad y salud", "Safety and health"),
                  ("derechos", "Derechos", "Rights"))


def ensure_starter_themes() -> None:
    """Create the network's three themes if missing (idempotent; the caller commits)."""
    existing = set(db.session.scalars(select(Theme.slug)))
    for position, (slug, name, name_en) in enumerate(STARTER_THEMES):
        if slug not in existing:
            db.session.add(Theme(slug=slug, name=name, name_en=name_en, position=position))
    db.session.flush()


class Media(db.Model):
    """An uploaded file kept under UPLOAD_FOLDER with a random name; never served inline if risky."""

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    sha256: Mapped[str] = mapped_column(String(64))
    duration_ms: Mapped[int | None]  # of a recording, read from its bytes (lms.courses.audio)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Course(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(Text, default="")
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id"), index=True)
    language: Mapped[str] = mapped_column(String(5), default="es")
    hours: Mapped[Decimal] = mapped_column(Numeric(5, 1), default=Decimal("1"))
    status: Mapped[str] = mapped_column(String(12), default=CourseStatus.DRAFT, index=True)
    region: Mapped[str | None] = mapped_column(String(20), index=True)  # None: a course of the whole network
    sensitive: Mapped[bool] = mapped_column(default=False)
    demo: Mapped[bool] = mapped_column(default=False)  # an example: never official, never a certificate
    cover_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL", use_alter=True))
    self_enrol: Mapped[bool] = mapped_column(default=True)
    enrolment_key: Mapped[str | None] = mapped_column(String(40))
    require_lessons: Mapped[bool] = mapped_column(default=True)
    require_quizzes: Mapped[bool] = mapped_column(default=True)
    min_sessions: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]

    theme: Mapped[Theme] = relationship(lazy="joined")
    cover: Mapped[Media | None] = relationship(foreign_keys=[cover_id])
    trainers: Mapped[list[User]] = relationship(secondary=course_trainer, order_by=User.full_name)
    modules: Mapped[list["Module"]] = relationship(back_populates="course", order_by="Module.position",
                                                   cascade="all, delete-orphan")

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED

    @property
    def status_label(self) -> str:
        return CourseStatus(self.status).label

    def lessons(self) -> list["Lesson"]:
        return [lesson for module in self.modules for lesson in module.lessons]

    def quizzes(self) -> list["Quiz"]:
        return [module.quiz for module in self.modules if module.quiz is not None]

    def publish_problems(self) -> list[str]:
        """Why this course cannot be published, in words for the trainer; empty when it can."""
        problems = []
        if not self.lessons():
            problems.append(_l("El curso no tiene lecciones."))
        for quiz in self.quizzes():
            if not quiz.questions:
                problems.append(_l("La evaluación «%(title)s» no tiene preguntas.", title=quiz.title))
            for question in quiz.questions:
                if question.problem():
                    problems.append(question.problem())
        return [str(p) for p in problems]

    def publish(self) -> None:
        problems = self.publish_problems()
        if problems:
            raise PublishError(" ".join(problems))
        self.status = CourseStatus.PUBLISHED
        self.published_at = self.published_at or utcnow()

    def unpublish(self) -> None:
        self.status = CourseStatus.DRAFT

    def archive(self) -> None:
        self.status = CourseStatus.ARCHIVED


class Module(db.Model):
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(160))
    position: Mapped[int] = mapped_column(default=0)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list["Lesson"]] = relationship(back_populates="module", order_by="Lesson.position",
                                                   cascade="all, delete-orphan")
    quiz: Mapped["Quiz | None"] = relationship(back_populates="module", cascade="all, delete-orphan",
                                               uselist=False)


class Lesson(db.Model):
    """A lesson keeps its id (and so learners' progress) through edits, moves and re-imports by slug."""

    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(160))
    body: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[int] = mapped_column(default=5)
    position: Mapped[int] = mapped_column(default=0)
    audio_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    reviewed_on: Mapped[date | None]  # when its facts (laws, numbers, deadlines, health rules) were last checked
    review_by: Mapped[date | None] = mapped_column(index=True)  # check them again by this day

    module: Mapped[Module] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship()
    audio: Mapped[Media | None] = relationship(foreign_keys=[audio_id])  # read aloud in the course's language
    attachments: Mapped[list[Media]] = relationship(secondary=lesson_attachment, order_by=Media.id)
    variants: Mapped[list["LessonVariant"]] = relationship(back_populates="lesson", cascade="all, delete-orphan",
                                                           passive_deletes=True, order_by="LessonVariant.language")

    def variant(self, language: str) -> "LessonVariant | None":
        return next((variant for variant in self.variants if variant.language == language), None)

    def recording(self, language: str) -> Media | None:
        """Its recording in `language`: its own audio in the course's language, else its variant's."""
        if language == self.course.language:
            return self.audio
        variant = self.variant(language)
        return variant.audio if variant else None

    def needs_review(self, today: date) -> bool:
        """Its review date has passed: what it says about laws or health may be out of date."""
        return self.review_by is not None and self.review_by < today

    @property
    def where_to_check(self) -> str | None:
        """The lesson's own «Dónde verificar: …» line (where a reader confirms its facts), if it has one."""
        match = WHERE_TO_CHECK.search(self.body or "")
        return match.group(1) if match else None


class LessonVariant(db.Model):
    """The same lesson in another language: its text (title and body), its recording, or both. Progress stays the
    lesson's: a learner who reads the variant completes the lesson."""

    __table_args__ = (UniqueConstraint("lesson_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"))  # indexed by the unique
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(160), default="")  # "" with "" body: a recording only
    body: Mapped[str] = mapped_column(Text, default="")
    audio_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lesson: Mapped[Lesson] = relationship(back_populates="variants")
    audio: Mapped[Media | None] = relationship()

    @property
    def has_text(self) -> bool:
        return bool(self.body.strip())


def lessons_to_review(today: date, courses=None) -> list[Lesson]:
    """Lessons whose review date has passed, oldest first: of every course, or of the `courses` (a condition on
    Course, e.g. courses.access.course_scope(person))."""
    query = (select(Lesson).join(Lesson.course).options(contains_eager(Lesson.course))
             .where(Lesson.review_by < today).order_by(Lesson.review_by, Course.title, Lesson.id))
    if courses is not None:
        query = query.where(courses)
    return list(db.session.scalars(query))


class Quiz(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(160))
    pass_mark: Mapped[int] = mapped_column(default=70)
    max_attempts: Mapped[int] = mapped_column(default=0)  # 0 = unlimited

    module: Mapped[Module] = relationship(back_populates="quiz")
    course: Mapped[Course] = relationship()
    questions: Mapped[list["Question"]] = relationship(back_populates="quiz", order_by="Question.position",
                                                       cascade="all, delete-orphan")


class Question(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=QuestionKind.SINGLE)
    text: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    choices: Mapped[list["Choice"]] = relationship(back_populates="question", order_by="Choice.position",
                                                   cascade="all, delete-orphan")
    recordings: Mapped[list["QuestionAudio"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                             order_by="QuestionAudio.language")

    def recording(self, language: str) -> Media | None:
        return next((r.media for r in self.recordings if r.language == language), None)

    def problem(self) -> str | None:
        """What is wrong with this question's answers, if anything."""
        correct = sum(choice.correct for choice in self.choices)
        if len(self.choices) < 2:
            return str(_l("La pregunta «%(text)s» necesita al menos dos opciones.", text=self.text[:60]))
        if self.kind == QuestionKind.MULTIPLE and correct < 1:
            return str(_l("La pregunta «%(text)s» necesita al menos una respuesta correcta.", text=self.text[:60]))
        if self.kind != QuestionKind.MULTIPLE and correct != 1:
            return str(_l("La pregunta «%(text)s» debe tener exactamente una respuesta correcta.",
                          text=self.text[:60]))
        if self.kind == QuestionKind.TRUEFALSE and len(self.choices) != 2:
            return str(_l("Una pregunta de verdadero o falso tiene exactamente dos opciones."))
        return None


class Choice(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    question: Mapped[Question] = relationship(back_populates="choices")


class QuestionAudio(db.Model):
    """A question read aloud in one language (the question's text stays the course's)."""

    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(5), primary_key=True)
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"), index=True)

    media: Mapped[Media] = relationship()
