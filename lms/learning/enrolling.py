"""Enrolling learners: one at a time, a cohort in one step, a whole CSV file; and the course key.

Every write is idempotent: an enrolment or a cohort membership is inserted in a SAVEPOINT and a clash on
its unique constraint means "already there" (a withdrawn enrolment is reactivated, keeping its history).
"""

import csv
import hmac
import io
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from lms.accounts.access import cohort_members, cohort_scope
from lms.accounts.models import REGIONS, Cohort, Role, User, audit, normalise_phone
from lms.accounts.pins import one_time_pin
from lms.extensions import db
from lms.learning.access import learner_scope
from lms.learning.models import Enrolment, EnrolmentMethod

MAX_ROWS = 2000
# Column names as a trainer may write them (lower case, no accents) -> field.
COLUMNS = {"usuario": "username", "nombre": "full_name", "nombre completo": "full_name", "celular": "phone",
           "dni": "dni", "region": "region", "comunidad": "community", "grupo": "cohort"}
FIELD_LABELS = {"username": "usuario", "full_name": "nombre", "phone": "celular", "dni": "dni", "region": "region",
                "community": "comunidad", "cohort": "grupo"}


def enrol(user_id: int, course, method: str, by: User | None = None,
          cohort: Cohort | None = None) -> tuple[Enrolment, bool]:
    """Enrol a learner (or reactivate her withdrawn enrolment); True when she was not enrolled before."""
    enrolment = Enrolment(user_id=user_id, course_id=course.id, method=method,
                          enrolled_by_id=by.id if by else None, cohort_id=cohort.id if cohort else None)
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
        return enrolment, True
    except IntegrityError:
        pass
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.user_id == user_id,
                                                           Enrolment.course_id == course.id)).one()
    was_withdrawn = enrolment.is_withdrawn
    if was_withdrawn:
        enrolment.reactivate()
    if cohort is not None and enrolment.cohort_id is None:
        enrolment.cohort_id = cohort.id
    return enrolment, was_withdrawn


def enrol_cohort(cohort: Cohort, course, by: User, address: str | None = None) -> int:
    """Enrol every member of the cohort (method cohort), audit-logged; how many were newly enrolled."""
    audit("enrolment.cohort", actor=by, address=address, course=course.id, cohort=cohort.id)
    member_ids = db.session.scalars(cohort_members(cohort.id))
    return sum(enrol(user_id, course, EnrolmentMethod.COHORT, by=by, cohort=cohort)[1] for user_id in member_ids)


def cohort_enrolled_message(cohort: Cohort, count: int) -> str:
    return ngettext("Grupo «%(name)s»: %(num)d participante inscrita ahora.",
                    "Grupo «%(name)s»: %(num)d participantes inscritas ahora.", count, name=cohort.name)


def key_matches(course, given: str) -> bool:
    """The course key, compared in constant time and ignoring case and surrounding spaces."""
    expected = (course.enrolment_key or "").strip().casefold()
    return bool(expected) and hmac.compare_digest((given or "").strip().casefold().encode(), expected.encode())


# --- CSV ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int  # the line in the file; the header is line 1
    field: str
    reason: str


@dataclass
class PlannedRow:
    row: int
    user: User | None = None  # an existing account
    values: dict = field(default_factory=dict)


@dataclass
class ImportResult:
    created: list[tuple[User, str]] = field(default_factory=list)  # new accounts and their one-time PINs
    existing: list[User] = field(default_factory=list)
    newly_enrolled: int = 0


def fold(text: str) -> str:
    """Lower case, no accents, hyphens as spaces: "Madre-de-Díos" -> "madre de dios"."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(plain.replace("-", " ").replace("_", " ").split())


REGION_BY_NAME = {fold(k): k for k in REGIONS} | {fold(v): k for k, v in REGIONS.items()}


def read_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The rows of a CSV file (UTF-8 with or without BOM, else Latin-1; `;` or `,`), with line numbers.

    NUL bytes are dropped (no database stores them); csv.Error when it is not a CSV file at all.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.replace("\x00", "")
    first = text.lstrip().split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if first.count(";") >= first.count(",") else ",")
    return [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]


def _header(cells: list[str], problems: list[RowProblem]) -> list[str | None]:
    fields = [COLUMNS.get(fold(cell)) for cell in cells]
    for cell, name in zip(cells, fields, strict=True):
        if name is None and cell.strip():
            problems.append(RowProblem(1, cell.strip(), _("Columna desconocida. Las columnas son: usuario, nombre, "
                                                           "celular, dni, region, comunidad, grupo.")))
    if "username" not in fields and "full_name" not in fields:
        problems.append(RowProblem(1, "usuario / nombre", _("Falta la columna «usuario» o la columna «nombre».")))
    return fields


def _check_row(values: dict, seen: dict, problem) -> None:
    """Checks that need no database: formats, lengths, repeats inside the file."""
    if not values.get("username") and not values.get("full_name"):
        problem("nombre", _("Falta el nombre completo (o el usuario de una cuenta que ya existe)."))
    for name in ("full_name", "community", "cohort"):
        if len(values.get(name) or "") > 120:
            problem(FIELD_LABELS[name], _("Es demasiado largo (máximo 120 caracteres)."))
    if values.get("dni") and not re.fullmatch(r"\d{8}", values["dni"]):
        problem("dni", _("El DNI tiene 8 números."))
    if values.get("phone"):
        values["phone"] = normalise_phone(values["phone"])
        if values["phone"] is None:
            problem("celular", _("Escribe un celular peruano de 9 números que empiece con 9."))
    if values.get("region"):
        region = REGION_BY_NAME.get(fold(values["region"]))
        if region is None:
            problem("region", _("Región desconocida: «%(value)s».", value=values["region"]))
        values["region"] = region
    for name in ("username", "dni", "phone"):
        value = values.get(name)
        if value and value in seen.setdefault(name, {}):
            problem(FIELD_LABELS[name], _("Se repite: ya está en la fila %(row)d.", row=seen[name][value]))


def _parse(data: bytes) -> tuple[list[PlannedRow], list[RowProblem]]:
    problems: list[RowProblem] = []
    try:
        rows = read_rows(data)
    except csv.Error:
        return [], [RowProblem(1, "", _("No se pudo leer el archivo. Guárdalo como CSV desde tu hoja de cálculo "
                                        "y vuelve a subirlo."))]
    if len(rows) < 2:
        return [], [RowProblem(1, "", _("El archivo no tiene filas de participantes."))]
    if len(rows) > MAX_ROWS + 1:
        return [], [RowProblem(1, "", _("El archivo tiene más de %(n)d filas. Divídelo en partes.", n=MAX_ROWS))]
    fields, planned, seen = _header(rows[0][1], problems), [], {}
    for line, cells in rows[1:]:
        values = {name: cell.strip() for name, cell in zip(fields, cells, strict=False) if name and cell.strip()}
        if values.get("username"):
            values["username"] = values["username"].lower()
        _check_row(values, seen, lambda f, r, line=line: problems.append(RowProblem(line, f, r)))
        for name in ("username", "dni", "phone"):
            if values.get(name):
                seen.setdefault(name, {}).setdefault(values[name], line)
        planned.append(PlannedRow(line, values=values))
    return planned, problems


def _check_against_database(planned: list[PlannedRow], actor: User, problems: list[RowProblem]) -> None:
    """Usernames that are not her learners, DNI or phones already taken, cohorts she does not manage: one query
    each. An account outside her learners is reported as unknown: a file never reveals who has an account."""
    def wanted(name):
        return {p.values[name] for p in planned if p.values.get(name)}

    users = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(wanted("username")),
                                                                          learner_scope(actor)))}
    managed = set(db.session.scalars(select(Cohort.id).where(cohort_scope(actor))))
    dnis = set(db.session.scalars(select(User.dni).where(User.dni.in_(wanted("dni")))))
    phones = set(db.session.scalars(select(User.phone).where(User.phone.in_(wanted("phone")))))
    cohorts = cohorts_named(wanted("cohort"))
    for p in planned:
        def problem(f, reason, row=p.row):
            problems.append(RowProblem(row, f, reason))
        name = p.values.get("username")
        if name:
            p.user = users.get(name)
            if p.user is None:
                problem("usuario", _("Ninguna de tus participantes tiene el usuario «%(value)s». Revisa cómo se "
                                     "escribe, o deja la columna vacía para crear una cuenta nueva.", value=name))
        else:
            if p.values.get("dni") in dnis:
                problem("dni", _("Ya hay una cuenta con este DNI: escribe su usuario en la columna «usuario»."))
            if p.values.get("phone") in phones:
                problem("celular", _("Ya hay una cuenta con este celular: escribe su usuario en la columna «usuario»."))
        cohort = cohorts.get((p.values.get("cohort") or "").casefold())
        if cohort is not None and cohort.id not in managed:
            problem("grupo", _("No diriges el grupo «%(value)s».", value=cohort.name))


def plan_import(data: bytes, actor: User) -> tuple[list[PlannedRow], list[RowProblem]]:
    """Read and check EVERY row of the file; nothing is written here."""
    planned, problems = _parse(data)
    if planned and not any(p.row == 1 for p in problems):
        _check_against_database(planned, actor, problems)
    return planned, sorted(problems, key=lambda p: p.row)


def cohorts_named(names) -> dict[str, Cohort]:
    """Cohorts by case-folded name; compared in Python, as SQLite's lower() only folds ASCII (cohorts are few)."""
    wanted = {n.casefold() for n in names}
    ids = [i for i, name in db.session.execute(select(Cohort.id, Cohort.name)) if name.casefold() in wanted]
    if not ids:
        return {}
    query = select(Cohort).options(selectinload(Cohort.trainers)).where(Cohort.id.in_(ids))
    return {c.name.casefold(): c for c in db.session.scalars(query)}


def cohort_named(name: str, actor: User, cache: dict) -> Cohort:
    """The cohort called `name` (any case), created with `actor` as its trainer if missing."""
    key = name.casefold()
    if key not in cache:
        cache.update(cohorts_named([name]))
    if key not in cache:
        cohort = Cohort(name=name, region=actor.region, trainers=[actor])
        cohort.new_join_code()
        try:
            with db.session.begin_nested():
                db.session.add(cohort)
        except IntegrityError:  # created meanwhile by someone else
            cohort = db.session.scalars(select(Cohort).where(Cohort.name == name)).one()
        cache[key] = cohort
    return cache[key]


def _new_account(values: dict, actor: User, hash_method: str, address: str | None) -> tuple[User, str]:
    user = User(role=Role.LEARNER, full_name=values["full_name"], dni=values.get("dni"), phone=values.get("phone"),
                region=values.get("region") or actor.region, community=values.get("community"), created_by_id=actor.id)
    secret = one_time_pin()
    user.set_secret(secret, hash_method, one_time=True)
    user.add_new(name_for_username=values["full_name"])  # AccountClash if a parallel import took her DNI/phone
    audit("account.created", actor=actor, subject=user, address=address, role=Role.LEARNER, via="csv")
    return user, secret


def run_import(planned: list[PlannedRow], course, actor: User, hash_method: str,
               address: str | None = None) -> ImportResult:
    """Create the missing accounts, enrol everyone (method csv), fill the cohorts. Only for a checked plan."""
    event = audit("enrolment.bulk", actor=actor, address=address, course=course.id, count=len(planned))
    db.session.flush()  # the first write opens the transaction, so the savepoints below nest inside it
    result, cohorts = ImportResult(), {}
    for p in planned:
        cohort = cohort_named(p.values["cohort"], actor, cohorts) if p.values.get("cohort") else None
        if p.user is None:
            p.user, secret = _new_account(p.values, actor, hash_method, address)
            result.created.append((p.user, secret))
        else:
            result.existing.append(p.user)
        result.newly_enrolled += enrol(p.user.id, course, EnrolmentMethod.CSV, by=actor, cohort=cohort)[1]
        if cohort is not None:
            cohort.add_member(p.user.id)
    event.detail = {**event.detail, "created": len(result.created), "enrolled": result.newly_enrolled}
    return result
