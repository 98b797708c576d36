"""Read-only aggregates of the network dashboard: seven GROUP BY queries whatever the amount of data."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal_column, select, true

from lms.accounts.models import Role, User
from lms.certificates.models import Certificate, CertificateStatus
from lms.courses.models import Course, Theme
from lms.extensions import db
from lms.learning.models import Enrolment, EnrolmentStatus
from lms.reports.queries import day_start_utc, utc_offset_hours
from lms.workshops.models import Attendance, Workshop

METRICS = ("enrolments", "completions", "certificates", "attendance")


@dataclass
class NetworkFilter:
    region: str = ""
    allowed_regions: tuple[str, ...] | None = None  # a coordinator's: only their learners are counted
    theme: str = ""
    course_id: int | None = None
    start: date | None = None
    end: date | None = None  # inclusive


@dataclass
class NetworkData:
    """Counts per metric keyed by (region, course_id), learners by region, and every metric by 'YYYY-MM'."""

    courses: list  # rows (id, title, theme_id)
    themes: list  # rows (id, slug, name, name_en)
    by_region_course: dict[str, dict[tuple, int]] = field(default_factory=lambda: {m: {} for m in METRICS})
    learners_by_region: dict[str, int] = field(default_factory=dict)
    by_month: dict[str, dict[str, int]] = field(default_factory=dict)


def network_choices() -> tuple[list, list]:
    """All courses (id, title, theme_id) and themes (id, slug, name, name_en), for filters and labels."""
    courses = db.session.execute(select(Course.id, Course.title, Course.theme_id).order_by(Course.title)).all()
    themes = db.session.execute(select(Theme.id, Theme.slug, Theme.name, Theme.name_en)
                                .order_by(Theme.position, Theme.id)).all()
    return courses, themes


def region_conditions(flt: NetworkFilter, column) -> list:
    """Keep the filter's region, or (a coordinator's dashboard) her regions; nothing when all regions count."""
    if flt.region:
        return [column == flt.region]
    if flt.allowed_regions is not None:
        return [column.in_(flt.allowed_regions)]
    return []


def kept_courses(flt: NetworkFilter, courses: list, themes: list) -> list[int] | None:
    """Ids of the courses the filter keeps, or None when it keeps them all."""
    if flt.course_id is None and not flt.theme:
        return None
    theme_ids = {t.id for t in themes if t.slug == flt.theme}
    return [c.id for c in courses if (flt.course_id is None or c.id == flt.course_id)
            and (not flt.theme or c.theme_id in theme_ids)]


def in_range(column, flt: NetworkFilter, tz: str, is_date: bool = False) -> list:
    """Conditions keeping `column` within the filter's local dates (the end day included)."""
    conditions = []
    if flt.start:
        conditions.append(column >= (flt.start if is_date else day_start_utc(flt.start, tz)))
    if flt.end:
        after = flt.end + timedelta(days=1)
        conditions.append(column < (after if is_date else day_start_utc(after, tz)))
    return conditions


def month_of(column, hours: int = 0):
    """The month of a UTC time seen `hours` from UTC: a timestamp (PostgreSQL) or 'YYYY-MM' (SQLite).

    Only literals in the expression, so PostgreSQL sees the GROUP BY and the SELECT as the same expression.
    """
    hours = int(hours)
    if db.session.get_bind().dialect.name == "postgresql":
        shifted = column + literal_column(f"interval '{hours} hours'") if hours else column
        return func.date_trunc(literal_column("'month'"), shifted)
    return func.strftime(literal_column("'%Y-%m'"), column, literal_column(f"'{hours:+d} hours'"))


def month_key(value) -> str | None:
    return value if value is None or isinstance(value, str) else value.strftime("%Y-%m")


def _add(counts: dict, key, count: int) -> None:
    counts[key] = counts.get(key, 0) + count


@dataclass
class _Scope:
    flt: NetworkFilter
    tz: str
    course_ids: list[int] | None
    hours: int

    def people(self, user_id_column) -> list:
        """Only the learners of the filtered regions (a semi-join, so no join when all regions count)."""
        regions = region_conditions(self.flt, User.region)
        return [user_id_column.in_(select(User.id).where(*regions))] if regions else []

    def courses(self, course_id_column) -> list:
        return [] if self.course_ids is None else [course_id_column.in_(self.course_ids)]


def network_data(flt: NetworkFilter, tz: str, courses: list, themes: list) -> NetworkData:
    data = NetworkData(courses, themes)
    data.by_month = {metric: {} for metric in ("learners", *METRICS)}
    scope = _Scope(flt, tz, kept_courses(flt, courses, themes), utc_offset_hours(tz))
    _learners(data, scope)
    _enrolment_figures(data, scope)
    _certificate_figures(data, scope)
    _attendance_figures(data, scope)
    return data


def _by_month(column, scope: _Scope, base, conditions: list, is_date: bool = False) -> dict[str, int]:
    month = month_of(column, 0 if is_date else scope.hours)
    query = base.with_only_columns(month, func.count()).where(*conditions,
                                                              *in_range(column, scope.flt, scope.tz, is_date))
    return {month_key(key): count for key, count in db.session.execute(query.group_by(month))}


def _learners(data: NetworkData, scope: _Scope) -> None:
    """Learner accounts by region and by month of creation, in one query."""
    conditions = [User.role == Role.LEARNER, *in_range(User.created_at, scope.flt, scope.tz)]
    conditions += region_conditions(scope.flt, User.region)
    if scope.course_ids is not None:
        conditions.append(User.id.in_(select(Enrolment.user_id).where(Enrolment.course_id.in_(scope.course_ids))))
    month = month_of(User.created_at, scope.hours)
    for region, key, count in db.session.execute(select(User.region, month, func.count()).where(*conditions)
                                                 .group_by(User.region, month)):
        _add(data.learners_by_region, region or "", count)
        _add(data.by_month["learners"], month_key(key), count)


def _enrolment_figures(data: NetworkData, scope: _Scope) -> None:
    """Enrolments and completions by region and course (one pass), and by month (a second pass, no join)."""
    flt, tz = scope.flt, scope.tz
    enrolled = and_(true(), *in_range(Enrolment.enrolled_at, flt, tz))
    completed = and_(Enrolment.status == EnrolmentStatus.COMPLETED, *in_range(Enrolment.completed_at, flt, tz))
    query = (select(Enrolment.course_id, User.region, func.count(case((enrolled, 1))), func.count(case((completed, 1))))
             .join(User, User.id == Enrolment.user_id)
             .where(*scope.courses(Enrolment.course_id), *region_conditions(flt, User.region))
             .group_by(User.region, Enrolment.course_id))
    for course_id, region, enrolments, completions in db.session.execute(query):
        data.by_region_course["enrolments"][(region or "", course_id)] = enrolments
        data.by_region_course["completions"][(region or "", course_id)] = completions
    # Both months of each enrolment at once: a few hundred (start, end) pairs whatever the number of enrolments.
    started = month_of(Enrolment.enrolled_at, scope.hours)
    ended = month_of(case((completed, Enrolment.completed_at)), scope.hours)
    pairs = (select(started, ended, func.count(case((enrolled, 1))), func.count())
             .where(*scope.courses(Enrolment.course_id), *scope.people(Enrolment.user_id))
             .group_by(started, ended))
    for start, end, enrolments, count in db.session.execute(pairs):
        if enrolments:
            _add(data.by_month["enrolments"], month_key(start), enrolments)
        if end is not None:
            _add(data.by_month["completions"], month_key(end), count)


def _certificate_figures(data: NetworkData, scope: _Scope) -> None:
    """Valid certificates by region and course, and by month of issue."""
    kept = [Certificate.status == CertificateStatus.VALID, *scope.courses(Enrolment.course_id),
            *scope.people(Enrolment.user_id)]
    query = (select(Enrolment.course_id, User.region, func.count()).select_from(Certificate)
             .join(Enrolment, Enrolment.id == Certificate.enrolment_id).join(User, User.id == Enrolment.user_id)
             .where(*kept, *in_range(Certificate.issued_on, scope.flt, scope.tz, is_date=True))
             .group_by(User.region, Enrolment.course_id))
    data.by_region_course["certificates"] = {(region or "", course_id): n
                                             for course_id, region, n in db.session.execute(query)}
    monthly = select(Certificate).join(Enrolment, Enrolment.id == Certificate.enrolment_id) if kept[1:] \
        else select(Certificate)
    data.by_month["certificates"] = _by_month(Certificate.issued_on, scope, monthly, kept, is_date=True)


def _attendance_figures(data: NetworkData, scope: _Scope) -> None:
    in_region = region_conditions(scope.flt, User.region)
    query = (select(Workshop.course_id, User.region, func.count()).select_from(Attendance)
             .join(Workshop, Workshop.id == Attendance.workshop_id).join(User, User.id == Attendance.user_id)
             .where(Attendance.present, *in_range(Workshop.starts_at, scope.flt, scope.tz),
                    *scope.courses(Workshop.course_id), *in_region)
             .group_by(User.region, Workshop.course_id))
    data.by_region_course["attendance"] = {(region or "", course_id): n for course_id, region, n in
                                           db.session.execute(query)}
    data.by_month["attendance"] = _by_month(Workshop.starts_at, scope, select(Attendance).join(Workshop),
                                            [Attendance.present, *scope.courses(Workshop.course_id),
                                             *scope.people(Attendance.user_id)])
