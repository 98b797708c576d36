"""Workshops of a trainer, recording attendance idempotently, and reading it from a CSV file."""

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import false, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from lms.accounts.models import Cohort, Role, User, utcnow
from lms.courses.access import course_scope
from lms.courses.models import Course
from lms.extensions import db
from lms.workshops.models import Attendance, Workshop
from lms.workshops.signals import attendance_recorded

CSV_MAX_ROWS = 2000
CSV_MAX_BYTES = 512 * 1024
PRESENT_WORDS = {"si": True, "s": True, "1": True, "x": True, "presente": True,
                 "no": False, "n": False, "0": False, "": False, "ausente": False}


def workshop_scope(user: User):
    """The sessions `user` manages: those of the courses she teaches (coordinators: also those for the cohorts of
    her regions); admins all."""
    if user.is_admin:
        return true()
    courses = Workshop.course_id.in_(select(Course.id).where(course_scope(user)))
    if user.is_coordinator:
        return or_(courses, Workshop.cohort_id.in_(select(Cohort.id).where(Cohort.region.in_(user.regions))))
    return courses


def workshop_for(user: User, workshop_id: int) -> Workshop:
    """A session `user` manages; 404 if missing, 403 if not hers."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        abort(404)
    if not db.session.scalar(select(Workshop.id).where(Workshop.id == workshop.id, workshop_scope(user))):
        abort(403)
    return workshop


def workshops_of(user: User, upcoming: bool, since: datetime, limit: int, offset: int = 0):
    """Rows (workshop, present count) of the sessions she manages, upcoming ascending or past descending."""
    present = (select(func.count(Attendance.id)).where(Attendance.workshop_id == Workshop.id,
                                                       Attendance.present.is_(true()))
               .correlate(Workshop).scalar_subquery())
    query = (select(Workshop, present).join(Workshop.course).where(workshop_scope(user))
             .options(contains_eager(Workshop.course), joinedload(Workshop.cohort), joinedload(Workshop.module)))
    if upcoming:
        query = query.where(Workshop.starts_at >= since).order_by(Workshop.starts_at, Workshop.id)
    else:
        query = query.where(Workshop.starts_at < since).order_by(Workshop.starts_at.desc(), Workshop.id.desc())
    return db.session.execute(query.limit(limit).offset(offset)).all()


def present_ids(workshop: Workshop) -> set[int]:
    return set(db.session.scalars(select(Attendance.user_id).where(
        Attendance.workshop_id == workshop.id, Attendance.present.is_(true()))))


@dataclass
class Recorded:
    present: int = 0
    absent: int = 0
    user_ids: list[int] = field(default_factory=list)


def record_attendance(workshop: Workshop, marks: dict[int, bool], recorded_by: User | None) -> Recorded:
    """Upsert one Attendance per person (unique per workshop and person), then tell listeners.

    Safe when two phones save at once: an insert that loses the race is reloaded and updated.
    """
    existing = {a.user_id: a for a in db.session.scalars(
        select(Attendance).where(Attendance.workshop_id == workshop.id, Attendance.user_id.in_(list(marks))))}
    for user_id, present in marks.items():
        row = existing.get(user_id) or _insert_or_load(workshop.id, user_id)
        if row.present != present or row.recorded_by_id is None:
            row.present, row.recorded_at = present, utcnow()
            row.recorded_by_id = recorded_by.id if recorded_by else None
    db.session.flush()
    result = Recorded(present=sum(marks.values()), absent=len(marks) - sum(marks.values()), user_ids=sorted(marks))
    attendance_recorded.send(workshop, user_ids=result.user_ids)
    return result


def _insert_or_load(workshop_id: int, user_id: int) -> Attendance:
    try:
        with db.session.begin_nested():
            row = Attendance(workshop_id=workshop_id, user_id=user_id, present=False)
            db.session.add(row)
        return row
    except IntegrityError:
        return db.session.scalars(select(Attendance).where(Attendance.workshop_id == workshop_id,
                                                           Attendance.user_id == user_id)).one()


def _plain(text: str) -> str:
    """Lower case without accents or surrounding spaces: «Sí » -> «si»."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().strip().lower()


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else the Windows encoding spreadsheets often save in."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\x00", "")  # no database stores a NUL byte


def _read_rows(raw: bytes) -> list[list[str]]:
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


@dataclass
class CsvResult:
    marks: dict[int, bool] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def parse_attendance_csv(raw: bytes, listed: set[int]) -> CsvResult:
    """Read every row (columns «usuario» or «dni», and «presente») of people in `listed`; any error means
    no marks at all."""
    result = CsvResult()
    if len(raw) > CSV_MAX_BYTES:
        result.errors.append(_("El archivo es demasiado grande (máximo %(kb)d KB).", kb=CSV_MAX_BYTES // 1024))
        return result
    try:
        rows = _read_rows(raw)
    except csv.Error:
        result.errors.append(_("No se pudo leer el archivo. Guárdalo como CSV desde tu hoja de cálculo "
                               "y vuelve a subirlo."))
        return result
    header = [_plain(cell) for cell in rows[0]] if rows else []
    who = [name for name in ("usuario", "dni") if name in header]
    if not who or "presente" not in header:
        result.errors.append(_("El archivo necesita una columna «usuario» o «dni» y una columna «presente»."))
        return result
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(cell.strip() for cell in row)]
    if len(body) > CSV_MAX_ROWS:
        result.errors.append(_("El archivo tiene demasiadas filas (máximo %(n)d).", n=CSV_MAX_ROWS))
        return result
    columns = {name: header.index(name) for name in (*who, "presente")}
    _check_rows(body, columns, listed, result)
    if result.errors:
        result.marks = {}
    elif not result.marks:
        result.errors.append(_("El archivo no tiene ninguna fila con datos."))
    return result


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def _check_rows(body, columns: dict, listed: set[int], result: CsvResult) -> None:
    by_username, by_dni = _people_named(body, columns, listed)
    first_row: dict[int, int] = {}
    for number, row in body:
        username, dni = _cell(row, columns.get("usuario")).lower(), _cell(row, columns.get("dni"))
        person = by_username.get(username) if username else by_dni.get(dni) if dni else None
        present = PRESENT_WORDS.get(_plain(_cell(row, columns["presente"])))
        if not username and not dni:
            result.errors.append(_("Fila %(row)d: falta el usuario o el DNI.", row=number))
        elif person is None or person.id not in listed:  # whether she has an account elsewhere is not said
            result.errors.append(_("Fila %(row)d: nadie de la lista de este taller tiene ese usuario o DNI.",
                                   row=number))
        elif person.id in first_row:
            result.errors.append(_("Fila %(row)d: esta persona ya aparece en la fila %(first)d.",
                                   row=number, first=first_row[person.id]))
        if present is None:
            result.errors.append(_("Fila %(row)d: en «presente» escribe sí, no, 1, 0 o x.", row=number))
        if person is not None and person.id in listed and person.id not in first_row and present is not None:
            first_row[person.id] = number
            result.marks[person.id] = present


def _people_named(body, columns: dict, listed: set[int]) -> tuple[dict[str, User], dict[str, User]]:
    """The listed learners the file names, loaded in one query (not one per row); nobody else is looked up."""
    usernames = {_cell(row, columns.get("usuario")).lower() for _n, row in body} - {""}
    dnis = {_cell(row, columns.get("dni")) for _n, row in body} - {""}
    query = select(User).where(User.role == Role.LEARNER, User.id.in_(listed), or_(
        User.username.in_(usernames) if usernames else false(), User.dni.in_(dnis) if dnis else false()))
    people = list(db.session.scalars(query))
    return {p.username: p for p in people}, {p.dni: p for p in people if p.dni}
