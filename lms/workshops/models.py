"""In-person sessions (workshops) and who attended them."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import Cohort, User, utcnow
from lms.courses.models import Course, Module
from lms.extensions import db


def start_of_today(timezone: str) -> datetime:
    """Local midnight as naive UTC: today's sessions still count as upcoming."""
    zone = ZoneInfo(timezone)
    midnight = datetime.combine(datetime.now(zone).date(), time(0), tzinfo=zone)
    return midnight.astimezone(UTC).replace(tzinfo=None)


class Workshop(db.Model):
    """One in-person session of a course, held at a place and time, maybe for one cohort."""

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id", ondelete="SET NULL"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(String(160))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    module: Mapped[Module | None] = relationship()
    cohort: Mapped[Cohort | None] = relationship()

    def set_local_start(self, day: date, at: time, timezone: str) -> None:
        """Store a local date and time (as the trainer typed it) as naive UTC."""
        local = datetime.combine(day, at, tzinfo=ZoneInfo(timezone))
        self.starts_at = local.astimezone(UTC).replace(tzinfo=None)

    def local_start(self, timezone: str) -> datetime:
        """The start as local time, for editing forms."""
        return self.starts_at.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))


class Attendance(db.Model):
    """One row per session and learner (a constraint); `present` can be corrected."""

    __table_args__ = (UniqueConstraint("workshop_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    present: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    workshop: Mapped[Workshop] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
