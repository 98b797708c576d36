"""Import every model so metadata (create_all, Alembic autogenerate) sees the whole schema."""

from lms.accounts.models import AuditEvent, Cohort, CoordinatorRegion, OneTimeSheet, User  # noqa: F401
from lms.certificates.models import Certificate  # noqa: F401
from lms.courses.models import Choice, Course, Lesson, Media, Module, Question, Quiz, Theme  # noqa: F401
from lms.learning.models import Enrolment, ExtraAttempts, LessonCompletion, QuizAttempt  # noqa: F401
from lms.workshops.models import Attendance, Workshop  # noqa: F401
