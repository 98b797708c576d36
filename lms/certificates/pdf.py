"""Certificate PDF renderer: A4 landscape, bundled DejaVu fonts, vector QR code; no request or DB."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from unicodedata import normalize

import segno
from babel.dates import format_date
from babel.numbers import format_decimal
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FAMILY = "DejaVuSerif"
FONT_FILES = {"": FONT_DIR / "DejaVuSerif-Latin.ttf", "B": FONT_DIR / "DejaVuSerif-Bold-Latin.ttf"}
LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"

PAGE_W, PAGE_H = 297.0, 210.0  # A4 landscape, mm
TEXT_X, TEXT_W = 30.0, 237.0  # horizontal band all centred text must stay in
PT_TO_MM = 25.4 / 72
LINE_FACTOR = 1.2 * PT_TO_MM  # line height in mm per point of font size

# The network's colours, as on the web site (site.css --brand, --ink, --muted) and a copper accent.
INK = (31, 26, 23)
MUTED = (91, 82, 76)
BRAND = (122, 46, 14)
COPPER = (176, 112, 58)

QR_X, QR_Y, QR_SIZE, QR_QUIET = 241.0, 150.0, 40.0, 4  # QR box incl. quiet zone, mm / modules
# Signatures and the verification lines are centred on the page, in a band that keeps clear of the QR.
BOTTOM_W = 2 * (QR_X - 3 - PAGE_W / 2)
BOTTOM_X, SIGN_LINE_Y = PAGE_W / 2 - BOTTOM_W / 2, 162.0
SIGNATURE_IMAGE_H = 14.0  # mm above the line
LOGO_BOX = (18.0, 17.0, 26.0, 20.0)  # x, y, max width, max height (mm), top left inside the frame


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on one certificate, already resolved to display values."""

    learner_name: str
    course_title: str
    theme: str
    hours: Decimal | float
    completed_on: date
    issued_on: date
    code: str
    verify_url: str
    network_name: str
    signatories: tuple[tuple[str, str], ...]
    language: str = DEFAULT_LANGUAGE
    qr_content: str = ""  # what the QR holds (URL + signed statement); the verify URL when empty
    signature_images: tuple[str | None, ...] = ()  # a scanned signature (file path) per signatory, or None
    logo: str | None = None  # the network's logo (file path)


@dataclass(frozen=True)
class Box:
    """A text slot: left x, top y, width, height (mm) and font size bounds (pt)."""

    x: float
    y: float
    w: float
    h: float
    max_size: float
    min_size: float
    style: str = ""
    color: tuple[int, int, int] = INK


NETWORK_BOX = Box(48, 20, PAGE_W - 96, 13, 13, 8, "B", BRAND)  # clear of the logo
TITLE_BOX = Box(TEXT_X, 41, TEXT_W, 20, 42, 20, "B", BRAND)
AWARDED_BOX = Box(TEXT_X, 64, TEXT_W, 7, 13, 9, "", MUTED)
NAME_BOX = Box(TEXT_X, 72, TEXT_W, 24, 34, 16, "B")
COMPLETED_BOX = Box(TEXT_X, 102, TEXT_W, 7, 13, 9, "", MUTED)
COURSE_BOX = Box(TEXT_X, 110, TEXT_W, 17, 20, 11, "B", BRAND)
DETAILS_BOX = Box(TEXT_X, 130, TEXT_W, 6, 12, 8)
DATES_BOX = Box(TEXT_X, 137, TEXT_W, 6, 11, 8, "", MUTED)
CODE_BOX = Box(BOTTOM_X, 180, BOTTOM_W, 5, 10, 7, "B")
VERIFY_BOX = Box(BOTTOM_X, 186, BOTTOM_W, 5, 9, 6, "", MUTED)


def normalize_language(code: str | None) -> str:
    """Return a supported certificate language for code, falling back to Spanish."""
    base = (code or "").replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def format_hours(hours: Decimal | float, lang: str) -> str:
    """Localised duration such as "6 horas" or "1,5 horas" (call inside force_locale)."""
    value = Decimal(str(hours))
    count = int(value) if value == value.to_integral_value() else 2  # fractions take the plural form
    return ngettext("%(hours)s hora", "%(hours)s horas", count, hours=format_decimal(value, locale=lang))


def build_labels(data: CertificateData) -> dict[str, str]:
    """All translated, formatted strings for one certificate in its own language."""
    lang = normalize_language(data.language)
    with force_locale(lang):
        completed = format_date(data.completed_on, format="long", locale=lang)
        issued = format_date(data.issued_on, format="long", locale=lang)
        dates = [_("Completado el %(date)s", date=completed)]
        if data.issued_on != data.completed_on:  # one date when they are the same day
            dates.append(_("Emitido el %(date)s", date=issued))
        return {
            "title": _("Certificado"),
            "awarded": _("otorgado a"),
            "completed": _("por haber completado el curso"),
            "details": "  ·  ".join((_("Tema: %(theme)s", theme=data.theme), format_hours(data.hours, lang))),
            "dates": "  ·  ".join(dates),
            "code": _("Código de verificación: %(code)s", code=data.code),
            "verify": _("Verifica en %(url)s", url=data.verify_url),
            "doc_title": _("Certificado – %(course)s", course=data.course_title),
            "batch_title": _("Certificados"),
        }


def _ttfonts(pdf: FPDF) -> list:
    """The fontTools objects behind the embedded fonts of pdf."""
    return [font.ttfont for font in pdf.fonts.values() if getattr(font, "ttfont", None) is not None]


@contextmanager
def open_document() -> Iterator[FPDF]:
    """A fresh A4 landscape FPDF with the bundled fonts (one per render: thread-safe); closes font files."""
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    try:
        pdf.set_compression(True)
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.set_creator("RNM-MAPE")
        for style, path in FONT_FILES.items():
            pdf.add_font(FAMILY, style=style, fname=str(path))
        for ttfont in _ttfonts(pdf):
            ttfont.recalcBBoxes = False  # glyph boxes are stored in the font: skip re-deriving them
        yield pdf
    finally:
        for ttfont in _ttfonts(pdf):
            ttfont.close()


def _split_two(pdf: FPDF, words: Sequence[str]) -> list[str]:
    """Split words into two lines of the most even width."""
    candidates = ([" ".join(words[:i]), " ".join(words[i:])] for i in range(1, len(words)))
    return min(candidates, key=lambda lines: max(pdf.get_string_width(line) for line in lines))


def fit_text(pdf: FPDF, text: str, box: Box, max_lines: int = 2) -> tuple[float, list[str]]:
    """Largest font size (and line split) at which text fits the box, preferring one line."""
    words = normalize("NFC", text).split()  # composed accents: one glyph each, clean text extraction
    pdf.set_font(FAMILY, box.style, 1)
    options = [[" ".join(words)]]
    if max_lines > 1 and len(words) > 1:
        options.append(_split_two(pdf, words))
    best: tuple[float, list[str]] = (0.0, options[0])
    for lines in options:
        widest = max(pdf.get_string_width(line) for line in lines) or 1.0
        size = min(box.max_size, box.w / widest, box.h / (len(lines) * LINE_FACTOR))
        size = max(int(size * 10) / 10, 1.0)  # round down so rounding never overflows
        if size >= box.min_size:
            return size, lines
        best = max(best, (size, lines), key=lambda option: option[0])
    return best


def draw_text(pdf: FPDF, text: str, box: Box, align: str = "C", max_lines: int = 2) -> float:
    """Draw text fitted into box, vertically centred; returns the font size used."""
    size, lines = fit_text(pdf, text, box, max_lines)
    pdf.set_font(FAMILY, box.style, size)
    pdf.set_text_color(*box.color)
    line_h = size * LINE_FACTOR
    y = box.y + (box.h - line_h * len(lines)) / 2
    for line in lines:
        pdf.set_xy(box.x, y)
        pdf.cell(box.w, line_h, line, align=align)
        y += line_h
    return size


def draw_frame(pdf: FPDF) -> None:
    """Double border: a strong outer frame in the network's colour and a thin copper inner frame."""
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.2)
    pdf.rect(9, 9, PAGE_W - 18, PAGE_H - 18)
    pdf.set_draw_color(*COPPER)
    pdf.set_line_width(0.35)
    pdf.rect(12.5, 12.5, PAGE_W - 25, PAGE_H - 25)


def draw_rule(pdf: FPDF, y: float, width: float, color: tuple[int, int, int] = COPPER) -> None:
    """A short centred horizontal rule."""
    pdf.set_draw_color(*color)
    pdf.set_line_width(0.4)
    pdf.line((PAGE_W - width) / 2, y, (PAGE_W + width) / 2, y)


@lru_cache(maxsize=64)
def qr_code(content: str) -> segno.QRCode:
    """The QR code (error level M or better) for a verification URL: the URL up to the # in byte mode, the
    signed statement after it in alphanumeric mode (5.5 bits a character instead of 8). Cached: the PDF and the
    phone picture of one certificate share it (choosing the best mask is most of the cost)."""
    url, hash_sign, fragment = content.partition("#")
    byte, alphanumeric = segno.consts.MODE_BYTE, segno.consts.MODE_ALPHANUMERIC
    segments = [(url + hash_sign, byte), (fragment, alphanumeric)] if fragment else content
    return segno.make(segments, error="m", micro=False)


def dark_blocks(matrix) -> list[tuple[int, int, int, int]]:
    """(column, row, width, height) rectangles covering the dark modules: runs in a row, stacked while the
    same run repeats in the rows below (fewer drawing operations, a smaller and faster PDF)."""
    open_blocks: dict[tuple[int, int], int] = {}  # (start, end) -> first row
    blocks = []
    for row_index, row in enumerate([*matrix, ()]):
        runs, col = set(), 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                runs.add((start, col))
            col += 1
        for run in [run for run in open_blocks if run not in runs]:
            first = open_blocks.pop(run)
            blocks.append((run[0], first, run[1] - run[0], row_index - first))
        for run in runs:
            open_blocks.setdefault(run, row_index)
    return blocks


def draw_qr(pdf: FPDF, content: str, x: float, y: float, size: float) -> None:
    """Vector QR code for content, one filled rectangle per block of dark modules, with a quiet zone."""
    matrix = qr_code(content).matrix
    module = size / (len(matrix) + 2 * QR_QUIET)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    seam = module * 0.02  # a hair of overlap so viewers show no white seams between blocks
    for col, row, width, height in dark_blocks(matrix):
        pdf.rect(x + (QR_QUIET + col) * module, y + (QR_QUIET + row) * module, width * module + seam,
                 height * module + seam, style="F")


def draw_image(pdf: FPDF, path: str | None, x: float, y: float, w: float, h: float) -> None:
    """An image fitted (aspect kept) in a box, centred; nothing when there is none or it cannot be read."""
    if not path or not Path(path).is_file():
        return
    pdf.image(path, x=x, y=y, w=w, h=h, keep_aspect_ratio=True)


def draw_signatories(pdf: FPDF, signatories: Sequence[tuple[str, str]], images: Sequence[str | None] = ()) -> None:
    """Each signatory gets her scanned signature (if any) over a line, her name in bold and her role below."""
    if not signatories:
        return
    slot = BOTTOM_W / len(signatories)
    width = min(slot - 8, 64)
    for index, (name, role) in enumerate(signatories):
        left = BOTTOM_X + index * slot + (slot - width) / 2
        image = images[index] if index < len(images) else None
        draw_image(pdf, image, left, SIGN_LINE_Y - SIGNATURE_IMAGE_H - 0.5, width, SIGNATURE_IMAGE_H)
        pdf.set_draw_color(*INK)
        pdf.set_line_width(0.3)
        pdf.line(left, SIGN_LINE_Y, left + width, SIGN_LINE_Y)
        draw_text(pdf, name, Box(left - 2, SIGN_LINE_Y + 1.5, width + 4, 6, 11, 8, "B"), max_lines=1)
        draw_text(pdf, role, Box(left - 2, SIGN_LINE_Y + 7.5, width + 4, 8, 9, 6.5, "", MUTED))


def draw_certificate(pdf: FPDF, data: CertificateData, labels: dict[str, str]) -> None:
    """Lay out one certificate on a new page of pdf."""
    pdf.add_page()
    draw_frame(pdf)
    draw_image(pdf, data.logo, *LOGO_BOX)
    draw_text(pdf, data.network_name, NETWORK_BOX)
    draw_rule(pdf, 37, 70)
    draw_text(pdf, labels["title"], TITLE_BOX, max_lines=1)
    draw_text(pdf, labels["awarded"], AWARDED_BOX)
    draw_text(pdf, data.learner_name, NAME_BOX)
    draw_rule(pdf, 99.5, 150, MUTED)
    draw_text(pdf, labels["completed"], COMPLETED_BOX)
    draw_text(pdf, data.course_title, COURSE_BOX)
    draw_text(pdf, labels["details"], DETAILS_BOX)
    draw_text(pdf, labels["dates"], DATES_BOX)
    draw_signatories(pdf, data.signatories[:3], data.signature_images)
    draw_qr(pdf, data.qr_content or data.verify_url, QR_X, QR_Y, QR_SIZE)
    draw_text(pdf, labels["code"], CODE_BOX, max_lines=1)
    draw_text(pdf, labels["verify"], VERIFY_BOX, max_lines=1)


def _set_metadata(pdf: FPDF, first: CertificateData, labels: dict[str, str], count: int) -> None:
    """Document title, language, author (the issuing network) and a deterministic creation date."""
    pdf.set_title(labels["doc_title"] if count == 1 else labels["batch_title"])
    pdf.set_lang(normalize_language(first.language))
    pdf.set_author(first.network_name)
    pdf.set_subject(labels["title"])
    pdf.set_creation_date(datetime.combine(first.issued_on, time(12, 0), tzinfo=UTC))


def render_batch(items: Iterable[CertificateData]) -> bytes:
    """Render certificates into one PDF, one per page."""
    with open_document() as pdf:
        first: tuple[CertificateData, dict[str, str]] | None = None
        count = 0
        for data in items:
            labels = build_labels(data)
            draw_certificate(pdf, data, labels)
            first = first or (data, labels)
            count += 1
        if first is None:
            raise ValueError("render_batch needs at least one certificate")
        _set_metadata(pdf, first[0], first[1], count)
        return bytes(pdf.output())


def render_certificate(data: CertificateData) -> bytes:
    """Render a single certificate as PDF bytes."""
    return render_batch([data])
