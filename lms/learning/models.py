"""Enrolments, lesson completions and quiz attempts: what a learner did, never lost."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Cohort, User, utcnow
from lms.courses.models import Course, Lesson, Quiz
from lms.extensions import db


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str({EnrolmentStatus.ACTIVE: _l("En curso"), EnrolmentStatus.COMPLETED: _l("Completado"),
                    EnrolmentStatus.WITHDRAWN: _l("Retirada")}[self])


class EnrolmentMethod(StrEnum):
    SELF = "self"
    KEY = "key"
    TRAINER = "trainer"
    CSV = "csv"
    COHORT = "cohort"


class Enrolment(db.Model):
    """One per learner and course (a constraint); unenrolling marks it withdrawn and keeps the history."""

    __table_args__ = (UniqueConstraint("user_id", "course_id"),
                      Index("ix_enrolment_course_id_status", "course_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=EnrolmentStatus.ACTIVE, index=True)
    method: Mapped[str] = mapped_column(String(10), default=EnrolmentMethod.SELF)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    withdrawn_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None] = mapped_column(index=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    cohort: Mapped[Cohort | None] = relationship()

    @property
    def status_label(self) -> str:
        return EnrolmentStatus(self.status).label

    @property
    def is_completed(self) -> bool:
        return self.status == EnrolmentStatus.COMPLETED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == EnrolmentStatus.WITHDRAWN

    def withdraw(self) -> None:
        """Unenrol: the row, completions and attempts stay (history); re-enrolling reactivates it."""
        self.status = EnrolmentStatus.WITHDRAWN
        self.withdrawn_at = utcnow()

    def reactivate(self) -> None:
        self.status = EnrolmentStatus.COMPLETED if self.completed_at else EnrolmentStatus.ACTIVE
        self.withdrawn_at = None


class LessonCompletion(db.Model):
    """One per enrolment and lesson (a constraint): marking twice changes nothing."""

    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id"),
                      Index("ix_lesson_completion_lesson_id_enrolment_id", "lesson_id", "enrolment_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    lesson: Mapped[Lesson] = relationship()


class AttemptSource(StrEnum):
    ONLINE = "online"
    PAPER = "paper"  # a trainer entered the score of a quiz taken on paper at a workshop


class QuizAttempt(db.Model):
    """A submitted attempt with a snapshot of answers, score and the pass mark in force.

    `token` is the form's one-time id: a double-click submits the same token and finds the first attempt.
    A paper attempt has no answers, only the score the trainer entered (`recorded_by`).
    """

    __table_args__ = (UniqueConstraint("enrolment_id", "quiz_id", "number"), UniqueConstraint("token"),
                      Index("ix_quiz_attempt_quiz_id_enrolment_id_score", "quiz_id", "enrolment_id", "score"))

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    token: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    score: Mapped[int]  # percent, 0-100
    pass_mark: Mapped[int]
    passed: Mapped[bool]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default=AttemptSource.ONLINE, server_default="online")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    quiz: Mapped[Quiz] = relationship()

    @property
    def on_paper(self) -> bool:
        return self.source == AttemptSource.PAPER


class ExtraAttempts(db.Model):
    """Attempts a trainer granted a learner beyond a quiz's limit (one row per enrolment and quiz)."""

    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    extra: Mapped[int] = mapped_column(default=0)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
