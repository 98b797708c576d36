"""The tables each dashboard shows (and exports), built from the aggregates in queries.py."""

from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts.models import REGIONS
from lms.learning.models import EnrolmentStatus
from lms.reports import charts, network, queries
from lms.reports.exports import Column, Progress, Table

METRICS = network.METRICS
METRIC_LABELS = {"learners": _l("Participantes"), "enrolments": _l("Inscripciones"),
                 "completions": _l("Cursos completados"), "certificates": _l("Certificados"),
                 "attendance": _l("Asistencias a talleres")}
MONTH_LIMIT = 60
DATE_RANGE = (date(1900, 1, 1), date(2999, 12, 31))
PAGE_SIZE = 50


def _summary_columns() -> list[Column]:
    return [Column(_l("Inscritas"), "int"), Column(_l("Activas en los últimos 30 días"), "int"),
            Column(_l("Completaron"), "int"), Column(_l("Tasa de finalización"), "pct"),
            Column(_l("Promedio de evaluaciones"), "pct")]


def course_summary_table(summary: queries.CourseSummary) -> Table:
    columns = [*_summary_columns(), Column(_l("Sin actividad hace 14 días o más"), "int")]
    row = [summary.enrolled, summary.active, summary.completed, summary.completion_rate,
           summary.average_score, summary.idle]
    return Table("summary", _l("Resumen"), columns, [row])


def lessons_table(outline: queries.Outline, done: dict[int, int], enrolled: int) -> Table:
    module_titles = {m.id: m.title for m in outline.modules}
    rows = [[f"{n}. {lesson.title}", done.get(lesson.id, 0), queries.percent(done.get(lesson.id, 0), enrolled),
             module_titles[lesson.module_id]] for n, lesson in enumerate(outline.lessons, start=1)]
    return Table("lessons", _l("Avance por lección"), [Column(_l("Lección")), Column(_l("Completaron"), "int"),
                 Column(_l("Porcentaje de inscritas"), "pct"), Column(_l("Módulo"))], rows)


def lessons_chart(table: Table) -> charts.BarChart:
    return charts.bar_chart("chart-lessons", _("Participantes que completaron cada lección, en el orden del curso"),
                            _("Donde la barra se acorta, las participantes se detienen. Los datos están en la tabla "
                              "que sigue."), [row[0] for row in table.rows],
                            [(str(table.columns[1].label), [row[1] for row in table.rows])], bar_height=10)


def idle_table(rows: list, now: datetime, total: int) -> Table:
    now = queries.naive_utc(now)
    body = [[r.full_name, r.username, r.last_activity_at, (now - (r.last_activity_at or r.enrolled_at)).days]
            for r in rows]
    return Table("idle", _l("Sin actividad hace 14 días o más"),
                 [Column(_l("Nombre")), Column(_l("Usuario")), Column(_l("Última actividad"), "datetime"),
                  Column(_l("Días sin actividad"), "int")], body, personal=True, total_rows=total)


def module_progress(row: queries.GridRow, outline: queries.Outline, module_id: int) -> Progress:
    """Share of the module's lessons done; done when all of them are and its quiz (if any) is passed."""
    lessons, done = outline.lesson_count(module_id), row.done_by_module.get(module_id, 0)
    quiz_id = outline.quiz_of_module.get(module_id)
    quiz_ok = quiz_id is None or quiz_id in row.passed_quizzes
    share = round(100 * done / lessons) if lessons else (100 if quiz_ok else 0)
    return Progress(share, done >= lessons and quiz_ok)


def grid_table(rows: list[queries.GridRow], outline: queries.Outline, total: int) -> Table:
    columns = [Column(_l("Nombre")), Column(_l("Usuario")), Column(_l("Estado")),
               Column(_l("Última actividad"), "datetime")]
    columns += [Column(module.title, "progress") for module in outline.modules]
    body = [[r.full_name, r.username, EnrolmentStatus(r.status).label, r.last_activity_at]
            + [module_progress(r, outline, m.id) for m in outline.modules] for r in rows]
    return Table("grid", _l("Avance por participante y módulo"), columns, body, personal=True, total_rows=total)


def cohort_courses_table(rows: list, link) -> Table:
    columns = [Column(_l("Curso")), *_summary_columns()]
    body = [[r.title, r.enrolled, r.active, r.completed, queries.percent(r.completed, r.enrolled),
             None if r.average is None else round(float(r.average), 1)] for r in rows]
    return Table("courses", _l("Cursos del grupo"), columns, body, links=[link(r.id) for r in rows])


def cohort_members_table(rows: list, total: int) -> Table:
    return Table("members", _l("Participantes del grupo"),
                 [Column(_l("Nombre")), Column(_l("Usuario")), Column(_l("Cursos"), "int"),
                  Column(_l("Cursos completados"), "int"), Column(_l("Última actividad"), "datetime")],
                 [[r.full_name, r.username, r.courses, r.completed, r.last_activity_at] for r in rows],
                 personal=True, total_rows=total)


# ---- network ----

def region_label(region: str) -> str:
    return REGIONS.get(region, region) if region else str(_l("Sin región"))


def _sum_by(data: network.NetworkData, metric: str, key) -> dict:
    totals: dict = {}
    for (region, course_id), count in data.by_region_course[metric].items():
        k = key(region, course_id)
        totals[k] = totals.get(k, 0) + count
    return totals


def network_tables(data: network.NetworkData, flt: network.NetworkFilter, locale: str, link) -> dict[str, Table]:
    """Totals, and the same figures by region, theme, course and month."""
    theme_of = {c.id: c.theme_id for c in data.courses}
    by_region = {m: _sum_by(data, m, lambda r, _c: r) for m in METRICS}
    by_course = {m: _sum_by(data, m, lambda _r, c: c) for m in METRICS}
    by_theme = {m: _sum_by(data, m, lambda _r, c: theme_of.get(c)) for m in METRICS}
    totals = [sum(data.learners_by_region.values())] + [sum(by_region[m].values()) for m in METRICS]
    metric_columns = [Column(METRIC_LABELS[m], "int") for m in METRICS]
    tables = {"totals": Table("totals", _l("Totales"), [Column(METRIC_LABELS["learners"], "int"), *metric_columns],
                              [totals])}
    regions = [r for r in [*REGIONS, ""] if data.learners_by_region.get(r) or any(by_region[m].get(r) for m in METRICS)]
    regions += sorted({r for m in METRICS for r in by_region[m]} - set(regions) - {""})
    tables["regions"] = Table("regions", _l("Por región"), [Column(_l("Región")), Column(METRIC_LABELS["learners"],
                              "int"), *metric_columns], [[region_label(r), data.learners_by_region.get(r, 0)]
                              + [by_region[m].get(r, 0) for m in METRICS] for r in regions])
    kept = network.kept_courses(flt, data.courses, data.themes)
    courses = [c for c in data.courses if kept is None or c.id in kept]
    themes = [t for t in data.themes if kept is None or any(c.theme_id == t.id for c in courses)]
    theme_name = {t.id: (t.name_en if locale == "en" and t.name_en else t.name) for t in data.themes}
    tables["themes"] = Table("themes", _l("Por tema"), [Column(_l("Tema")), *metric_columns],
                             [[theme_name[t.id]] + [by_theme[m].get(t.id, 0) for m in METRICS] for t in themes])
    tables["courses"] = Table("courses", _l("Por curso"), [Column(_l("Curso")), Column(_l("Tema")), *metric_columns],
                              [[c.title, theme_name.get(c.theme_id, "")] + [by_course[m].get(c.id, 0) for m in METRICS]
                               for c in courses], links=[link(c.id) for c in courses])
    tables["months"] = months_table(data)
    return tables


def month_range(keys) -> list[str]:
    """Every 'YYYY-MM' from the first to the last key (gaps filled), at most the last MONTH_LIMIT."""
    keys = sorted(k for k in keys if k)
    if not keys:
        return []
    year, month = map(int, keys[0].split("-"))
    last, months = keys[-1], []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months[-MONTH_LIMIT:]


def months_table(data: network.NetworkData) -> Table:
    metrics = ("learners", *METRICS)
    months = month_range({k for m in metrics for k in data.by_month.get(m, {})})
    columns = [Column(_l("Mes"), "month"), Column(_l("Participantes nuevas"), "int")]
    columns += [Column(METRIC_LABELS[m], "int") for m in METRICS]
    rows = [[date(int(k[:4]), int(k[5:]), 1)] + [data.by_month.get(m, {}).get(k, 0) for m in metrics] for k in months]
    return Table("months", _l("Por mes"), columns, rows)


def network_charts(report: dict[str, Table]) -> list[tuple[str, charts.BarChart | charts.LineChart]]:
    """One chart per table (the table is its accessible twin): (table key, chart)."""
    def column(table: Table, index: int) -> tuple[str, list]:
        return str(table.columns[index].label), [row[index] for row in table.rows]

    regions, themes, months = report["regions"], report["themes"], report["months"]
    top = sorted(report["courses"].rows, key=lambda row: -row[2])[:10]
    see_table = _("Los mismos datos están en la tabla que sigue.")
    return [
        ("regions", charts.bar_chart("chart-regions", _("Inscripciones y cursos completados por región"), see_table,
                                     [row[0] for row in regions.rows], [column(regions, 2), column(regions, 3)])),
        ("themes", charts.bar_chart("chart-themes", _("Inscripciones y cursos completados por tema"), see_table,
                                    [row[0] for row in themes.rows], [column(themes, 1), column(themes, 2)])),
        ("courses", charts.bar_chart("chart-courses", _("Los 10 cursos con más inscripciones"), see_table,
                                     [row[0] for row in top], [(str(METRIC_LABELS["enrolments"]),
                                                                [row[2] for row in top])])),
        ("months", charts.line_chart("chart-months", _("Evolución mes a mes"), see_table,
                                     [format_date(row[0], "MMM yy") for row in months.rows],
                                     [column(months, i) for i in (2, 3, 4, 5)])),
    ]


def course_report(course_id: int, cohort_id: int | None, visible, now: datetime, page: int | None = None,
                  only: str | None = None) -> dict[str, Table]:
    """The course dashboard's tables of the records `visible`; `page` pages the learner lists (None: every row)."""
    scope = queries.CourseScope(course_id, cohort_id, visible)
    summary = queries.course_summary(scope, now)
    limit, offset = (PAGE_SIZE, (page - 1) * PAGE_SIZE) if page else (None, 0)
    report = {"summary": course_summary_table(summary)}
    outline = queries.course_outline(course_id) if only in (None, "lessons", "grid") else None
    if only in (None, "lessons"):
        report["lessons"] = lessons_table(outline, queries.completions_per_lesson(scope), summary.enrolled)
    if only in (None, "idle"):
        report["idle"] = idle_table(queries.idle_learners(scope, now, limit), now, summary.idle)
    if only in (None, "grid"):
        report["grid"] = grid_table(queries.progress_grid(scope, offset, limit), outline, summary.enrolled)
    return report


def cohort_report(cohort_id: int, visible, now: datetime, link, page: int | None = None) -> dict[str, Table]:
    """The cohort dashboard's tables: its members, and their records `visible` to the viewer."""
    limit, offset = (PAGE_SIZE, (page - 1) * PAGE_SIZE) if page else (None, 0)
    return {"courses": cohort_courses_table(queries.cohort_courses(cohort_id, now, visible), link),
            "members": cohort_members_table(queries.cohort_members(cohort_id, offset, limit, visible),
                                            queries.cohort_member_count(cohort_id))}


def _date_arg(args, name: str, problems: list[str]) -> date | None:
    raw = args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not DATE_RANGE[0] <= value <= DATE_RANGE[1]:  # far years overflow the day arithmetic
        problems.append(_("La fecha «%(value)s» no es válida; usa el formato AAAA-MM-DD.", value=raw[:20]))
        return None
    return value


def date_range(args, problems: list[str]) -> tuple[date | None, date | None]:
    start, end = _date_arg(args, "from", problems), _date_arg(args, "to", problems)
    if start and end and start > end:
        problems.append(_("La fecha de inicio es posterior a la fecha final; no se filtra por fechas."))
        return None, None
    return start, end


def _known(value: str, known, message: str, problems: list[str]) -> str:
    """`value` if it is one of `known` (or empty); otherwise '' and the message for the person."""
    if value and value not in known:
        problems.append(message)
        return ""
    return value


def network_filter(args, courses: list, themes: list,
                   allowed_regions: list[str] | None = None) -> tuple[network.NetworkFilter, list[str]]:
    """The filters of the query string that make sense; the others are dropped with a message. With
    `allowed_regions` (a coordinator's), only those regions are counted and offered."""
    problems: list[str] = []
    region, theme, course = (args.get(name, "").strip() for name in ("region", "theme", "course"))
    course = _known(course, {str(c.id) for c in courses}, _("No conocemos ese curso; se muestran todos."), problems)
    regions = REGIONS if allowed_regions is None else allowed_regions
    flt = network.NetworkFilter(
        region=_known(region, regions, _("No conocemos esa región; se muestran todas."), problems),
        allowed_regions=None if allowed_regions is None else tuple(allowed_regions),
        theme=_known(theme, {t.slug for t in themes}, _("No conocemos ese tema; se muestran todos."), problems),
        course_id=int(course) if course else None)
    flt.start, flt.end = date_range(args, problems)
    return flt, problems


def network_args(flt: network.NetworkFilter) -> dict[str, str]:
    """The filter as query-string arguments (for links that keep it)."""
    values = {"region": flt.region, "theme": flt.theme, "course": flt.course_id,
              "from": flt.start and flt.start.isoformat(), "to": flt.end and flt.end.isoformat()}
    return {name: str(value) for name, value in values.items() if value}


ACTION_LABELS = {
    "signin": _l("Entrada"), "signin.failed": _l("Entrada fallida"),
    "signin.throttled": _l("Entrada bloqueada por demasiados intentos"),
    "pin.changed": _l("PIN cambiado"), "pin.reset": _l("PIN reiniciado por el equipo"),
    "account.created": _l("Cuenta creada"), "account.registered": _l("Cuenta registrada por la participante"),
    "role.changed": _l("Rol o estado de la cuenta cambiado"), "course.published": _l("Curso publicado"),
    "enrolment.bulk": _l("Inscripción en bloque"), "certificate.issued_manually": _l("Certificado emitido a mano"),
    "certificate.revoked": _l("Certificado revocado"), "certificate.reissued": _l("Certificado emitido de nuevo"),
    "certificate.batch_exported": _l("Certificados exportados en lote"),
    "workshop.attendance_recorded": _l("Asistencia de taller registrada"),
    "privacy.exported": _l("Descarga de sus datos personales"), "privacy.anonymised": _l("Participante anonimizada"),
    "report.exported": _l("Reporte exportado"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def audit_filter(args, actions: list[str], tz: str) -> tuple[queries.AuditFilter, dict[str, str], list[str]]:
    """The audit viewer's filters (and the same as query-string arguments); bad values dropped with a message."""
    problems: list[str] = []
    flt = queries.AuditFilter(person=args.get("person", "").strip()[:60])
    action = args.get("action", "").strip()
    if action and action not in actions:
        problems.append(_("No conocemos esa acción; se muestran todas."))
    flt.action = action if action in actions else ""
    start, end = date_range(args, problems)
    flt.start = start and queries.day_start_utc(start, tz)
    flt.end = end and queries.day_start_utc(end + timedelta(days=1), tz)
    values = {"person": flt.person, "action": flt.action, "from": start and start.isoformat(),
              "to": end and end.isoformat()}
    return flt, {name: value for name, value in values.items() if value}, problems
