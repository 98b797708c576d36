"""Dashboards for trainers (their courses and cohorts) and admins (the network, the audit log), and exports."""

from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, format_number, get_locale
from flask_login import current_user

from lms.accounts.access import cohort_for, cohorts_of, require_admin
from lms.accounts.guards import STAFF, require_roles
from lms.accounts.models import REGIONS, Cohort, User, audit, utcnow
from lms.courses.media import human_size
from lms.courses.models import Course
from lms.extensions import db, db_int
from lms.learning.access import record_scope, sees_records_of
from lms.reports import network as figures
from lms.reports import queries, tables
from lms.reports.exports import DONE_MARK, EXPORTERS, Table, estimated_size

bp = Blueprint("reports", __name__, url_prefix="/manage/reports")
bp.before_request(require_roles(*STAFF))
AUDIT_PAGE_SIZE = 50
COHORT_LIST_SIZE = 100


def course_for_reports(user: User, course_id: int, cohort_id: int | None) -> tuple[Course, Cohort | None]:
    """A course whose records she sees (she teaches it; coordinators: any, for their regions' learners), maybe
    only for a cohort she manages. Never another trainer's course through a cohort of her own."""
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    if not sees_records_of(user, course):
        abort(403)
    return course, (cohort_for(user, cohort_id) if cohort_id is not None else None)


def _tz() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _page() -> int:
    return max(request.args.get("page", 1, type=db_int), 1)


def _pick(report: dict[str, Table], key: str, fmt: str) -> Table:
    if key not in report or fmt not in EXPORTERS:
        abort(404)
    return report[key]


def export_response(table: Table, fmt: str, report: str, **scope) -> Response:
    """The table as a file; every export is in the audit log (those with names are personal data)."""
    write, mimetype = EXPORTERS[fmt]
    body = write(table, _tz())
    audit("report.exported", actor=current_user, address=request.remote_addr, report=report, table=table.key,
          format=fmt, personal=table.personal, rows=len(table.rows), **scope)
    db.session.commit()
    name = "-".join([report, *(str(v) for v in scope.values() if v), table.key, date.today().isoformat()])
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_filter("export_size")
def export_size(table: Table, fmt: str) -> str:
    return human_size(estimated_size(table, fmt))


@bp.app_template_filter("report_cell")
def report_cell(value, kind: str = "text") -> str:
    """A table cell as people read it, in their language."""
    if value is None or value == "":
        return "—"
    if kind == "int":
        return format_number(value)
    if kind == "pct":
        return format_decimal(value, format="#,##0.#") + "\u00a0%"
    if kind == "datetime":
        return format_datetime(value, "d MMM y, HH:mm")
    if kind == "month":
        return format_date(value, "MMMM y")
    if kind == "progress":
        return DONE_MARK if value.done else f"{value.percent}\u00a0%"
    return str(value)


@bp.route("/")
def index():
    q = request.args.get("q", "").strip()[:60]
    cohorts = cohorts_of(current_user, q, limit=COHORT_LIST_SIZE + 1)
    return render_template("reports/index.html", courses=queries.reportable_courses(current_user), q=q,
                           cohorts=cohorts[:COHORT_LIST_SIZE], more_cohorts=len(cohorts) > COHORT_LIST_SIZE)


@bp.route("/courses/<int:course_id>")
def course(course_id):
    course, cohort = course_for_reports(current_user, course_id, request.args.get("cohort", type=db_int))
    cohort_arg = cohort.id if cohort else None
    report = tables.course_report(course.id, cohort_arg, record_scope(current_user), utcnow(), _page())
    return render_template("reports/course.html", course=course, cohort=cohort, report=report, page=_page(),
                           lessons_chart=tables.lessons_chart(report["lessons"]),
                           page_size=tables.PAGE_SIZE, cohorts=cohorts_of(current_user, limit=COHORT_LIST_SIZE),
                           export_url=lambda key, fmt: url_for("reports.course_export", course_id=course.id,
                                                               key=key, fmt=fmt, cohort=cohort_arg))


@bp.route("/courses/<int:course_id>/<key>.<fmt>")
def course_export(course_id, key, fmt):
    course, cohort = course_for_reports(current_user, course_id, request.args.get("cohort", type=db_int))
    cohort_arg = cohort.id if cohort else None
    table = _pick(tables.course_report(course.id, cohort_arg, record_scope(current_user), utcnow(), only=key),
                  key, fmt)
    return export_response(table, fmt, "course", course_id=course.id, cohort_id=cohort_arg)


def _course_link(cohort_id: int):
    return lambda course_id: url_for("reports.course", course_id=course_id, cohort=cohort_id)


@bp.route("/cohorts/<int:cohort_id>")
def cohort(cohort_id):
    cohort = cohort_for(current_user, cohort_id)
    report = tables.cohort_report(cohort.id, record_scope(current_user), utcnow(), _course_link(cohort.id), _page())
    return render_template("reports/cohort.html", cohort=cohort, report=report, page=_page(),
                           page_size=tables.PAGE_SIZE,
                           export_url=lambda key, fmt: url_for("reports.cohort_export", cohort_id=cohort.id,
                                                               key=key, fmt=fmt))


@bp.route("/cohorts/<int:cohort_id>/<key>.<fmt>")
def cohort_export(cohort_id, key, fmt):
    cohort = cohort_for(current_user, cohort_id)
    table = _pick(tables.cohort_report(cohort.id, record_scope(current_user), utcnow(), _course_link(cohort.id)),
                  key, fmt)
    return export_response(table, fmt, "cohort", cohort_id=cohort.id)


def require_network_view(user: User) -> None:
    """The network dashboard: admins see the whole network, coordinators their regions; nobody else."""
    if not (user.is_admin or user.is_coordinator):
        abort(403)


def _network_report():
    courses, themes = figures.network_choices()
    allowed = None if current_user.is_admin else current_user.regions
    flt, problems = tables.network_filter(request.args, courses, themes, allowed)
    data = figures.network_data(flt, _tz(), courses, themes)
    link = lambda course_id: url_for("reports.course", course_id=course_id)  # noqa: E731
    return flt, problems, tables.network_tables(data, flt, str(get_locale() or "es"), link), courses, themes


@bp.route("/network")
def network():
    require_network_view(current_user)
    flt, problems, report, courses, themes = _network_report()
    args = tables.network_args(flt)
    return render_template("reports/network.html", flt=flt, problems=problems, report=report, args=args,
                           charts=dict(tables.network_charts(report)), courses=courses, themes=themes,
                           regions={k: v for k, v in REGIONS.items()
                                    if current_user.is_admin or k in current_user.regions},
                           export_url=lambda key, fmt: url_for("reports.network_export", key=key, fmt=fmt, **args))


@bp.route("/network/<key>.<fmt>")
def network_export(key, fmt):
    require_network_view(current_user)
    flt, _problems, report, _courses, _themes = _network_report()
    return export_response(_pick(report, key, fmt), fmt, "network", **tables.network_args(flt))


@bp.route("/audit")
def audit_log():
    require_admin(current_user)
    actions = sorted(set(tables.ACTION_LABELS) | set(queries.audit_actions()))
    flt, args, problems = tables.audit_filter(request.args, actions, _tz())
    events = queries.audit_page(flt, request.args.get("before", type=db_int), AUDIT_PAGE_SIZE + 1)
    return render_template("reports/audit.html", events=events[:AUDIT_PAGE_SIZE], args=args, problems=problems,
                           has_more=len(events) > AUDIT_PAGE_SIZE, paged="before" in request.args,
                           actions=[(action, tables.action_label(action)) for action in actions],
                           action_label=tables.action_label)
