"""learning: enrolments, progress, quiz attempts and completion; the learner's course pages."""

from lms.workshops.signals import attendance_recorded


def _recheck_after_attendance(workshop, user_ids=(), **_extra):
    """Attendance can complete a course (its min_sessions rule): re-check those learners' enrolments."""
    from lms.learning.progress import recheck_enrolments

    recheck_enrolments(workshop.course_id, user_ids)


attendance_recorded.connect(_recheck_after_attendance)
