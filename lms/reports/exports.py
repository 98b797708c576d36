"""Report tables and their exports: CSV (UTF-8 with BOM) and XLSX, with spreadsheet formulas neutralised."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from openpyxl import Workbook

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DONE_MARK = "✓"


class Progress(NamedTuple):
    """A progress-grid cell: share of a module's lessons done, and whether the whole module is done."""

    percent: int
    done: bool


@dataclass
class Column:
    label: str
    kind: str = "text"  # text | int | pct | date | datetime | month | progress


@dataclass
class Table:
    """A table as shown on a dashboard; the same object is exported, so screen and file agree."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # per row, a link for the first cell
    personal: bool = False  # holds names: exporting it is an export of personal data
    total_rows: int | None = None  # when the page shows only part of the rows


def neutralise(text: str) -> str:
    """Prefix a formula-looking text with an apostrophe so spreadsheets show it as text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_value(value, kind: str, tz: str):
    """A cell as written to a file: numbers stay numbers, dates ISO, texts neutralised."""
    if value is None:
        return ""
    if kind == "progress":
        return DONE_MARK if value.done else value.percent
    if kind == "datetime" and isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return aware.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    if kind == "month" and isinstance(value, date):
        return value.strftime("%Y-%m")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool | int | float):
        return value
    return neutralise(str(value))


def _rows(table: Table, tz: str):
    yield [neutralise(str(column.label)) for column in table.columns]
    for row in table.rows:
        yield [export_value(value, column.kind, tz) for value, column in zip(row, table.columns, strict=True)]


def to_csv(table: Table, tz: str) -> bytes:
    """Comma-separated, every text quoted, UTF-8 with a BOM so Excel reads accents right.

    Quoted, a text stays one cell even in an Excel that splits lines on «;» (Spanish settings): «Ana;=1+1»
    would otherwise become a cell «=1+1».
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerows(_rows(table, tz))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title)).strip()
    return (cleaned or "Datos")[:31]


def to_xlsx(table: Table, tz: str) -> bytes:
    """One sheet, streamed (write-only mode), the same rows as the CSV."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(table.title))
    for row in _rows(table, tz):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXPORTERS = {"csv": (to_csv, "text/csv; charset=utf-8"),
             "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def estimated_size(table: Table, fmt: str) -> int:
    """About what the file of `table` will weigh (bytes), before anyone spends data on it."""
    rows = table.total_rows if table.total_rows is not None else len(table.rows)
    cells = max(rows, 1) * len(table.columns)
    return 150 + cells * 11 if fmt == "csv" else 5_500 + cells * 9
