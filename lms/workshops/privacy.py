"""What workshops hold about a person, for her data export (erasure keeps attendance: it is not identifying)."""

from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.privacy import plain
from lms.courses.models import Course
from lms.extensions import db
from lms.workshops.models import Attendance, Workshop


def rows(user: User) -> dict:
    found = db.session.execute(
        select(Attendance.present, Attendance.recorded_at, Workshop.starts_at, Workshop.place, Course.title)
        .join(Workshop, Workshop.id == Attendance.workshop_id).join(Course, Course.id == Workshop.course_id)
        .where(Attendance.user_id == user.id).order_by(Workshop.starts_at))
    return {"attendance": [{"course": course, "starts_at_utc": plain(starts), "place": place, "present": present,
                            "recorded_at": plain(recorded)} for present, recorded, starts, place, course in found]}
