"""Certificate PDF renderer: real parsing with pypdf, real QR decoding with pypdfium2 + zxing-cpp."""

import dataclasses
import importlib.util
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from flask import Flask
from flask_babel import Babel, force_locale
from pypdf import PdfReader

from lms.certificates.pdf import (
    COURSE_BOX,
    FAMILY,
    NAME_BOX,
    PAGE_W,
    CertificateData,
    fit_text,
    format_hours,
    normalize_language,
    open_document,
    render_batch,
    render_certificate,
)

NAME = "María Ñahui Quispe Ccori"
COURSE = "Seguridad y salud en la minería artesanal"
NETWORK = "Red Nacional de Mujeres de la Minería Artesanal y de Pequeña Escala del Perú (RNM-MAPE)"
VERIFY_URL = "https://cursos.example.pe/verify/K7QXM4PA93"
LONG_NAME = "María Wilhelmina Ñahui Huamán Quispe de la Cruz Ccori Mamani Chʼuqiyoc"
LONG_COURSE = (
    "Gestión ambiental, cierre progresivo de labores y remediación de pasivos ambientales en la pequeña "
    "minería y minería artesanal aurífera del sur andino, con enfoque de género e interculturalidad"
)
HAVE_RASTER = importlib.util.find_spec("pypdfium2") is not None
HAVE_ZXING = importlib.util.find_spec("zxingcpp") is not None
MM_TO_PT = 72 / 25.4


@pytest.fixture
def app():
    """A bare Flask app with Flask-Babel, inside an app context (no project config needed)."""
    app = Flask(__name__)
    Babel(app)
    with app.app_context():
        yield app


def make_data(**changes) -> CertificateData:
    """A realistic certificate, with optional field overrides."""
    data = CertificateData(
        learner_name=NAME,
        course_title=COURSE,
        theme="Seguridad y salud",
        hours=Decimal("6"),
        completed_on=date(2026, 11, 28),
        issued_on=date(2026, 11, 30),
        code="K7QX-M4PA-93",
        verify_url=VERIFY_URL,
        network_name=NETWORK,
        signatories=(("Rosa Ccahuana Huamán", "Presidenta"), ("Lucía Mamani Condori", "Coordinadora")),
    )
    return dataclasses.replace(data, **changes)


def page_texts(pdf_bytes: bytes) -> list[str]:
    """Extracted text of each page, whitespace collapsed to single spaces."""
    reader = PdfReader(BytesIO(pdf_bytes))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_single_certificate_is_a4_landscape_with_selectable_text(app):
    reader = PdfReader(BytesIO(render_certificate(make_data())))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(841.89, abs=1)
    assert float(box.height) == pytest.approx(595.28, abs=1)
    text = " ".join(reader.pages[0].extract_text().split())
    for expected in (NAME, COURSE, "K7QX-M4PA-93", "28 de noviembre de 2026", "30 de noviembre de 2026"):
        assert expected in text
    for expected in ("Certificado", "otorgado a", "6 horas", "Tema: Seguridad y salud", NETWORK):
        assert expected in text
    assert f"Verifica en {VERIFY_URL}" in text
    assert "Código de verificación: K7QX-M4PA-93" in text
    assert "Rosa Ccahuana Huamán" in text and "Coordinadora" in text


def test_metadata_is_deterministic_and_has_no_personal_author(app):
    reader = PdfReader(BytesIO(render_certificate(make_data())))
    meta = reader.metadata
    assert meta.title == f"Certificado – {COURSE}"
    assert meta.author == NETWORK
    assert meta.creation_date == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_qr_is_vector_not_raster(app):
    page = PdfReader(BytesIO(render_certificate(make_data()))).pages[0]
    assert len(page.images) == 0
    assert "/XObject" not in page["/Resources"]


@pytest.mark.skipif(
    not (HAVE_RASTER and HAVE_ZXING), reason="pypdfium2 and zxing-cpp are needed to decode the QR"
)
def test_qr_code_decodes_to_the_verify_url(app):
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(render_certificate(make_data()))
    image = document[0].render(scale=3).to_pil()
    decoded = [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.QRCode]
    document.close()
    assert decoded == [VERIFY_URL]


def test_size_is_small(app):
    assert len(render_certificate(make_data())) <= 100 * 1024


def test_batch_has_one_page_per_certificate(app):
    names = ["Ana Pariʼ Ch’uqi", "Juana Huamaní Ñaupa", "Zoë Müller Äbí"]
    pdf = render_batch(make_data(learner_name=name, code=f"CODE-{i}") for i, name in enumerate(names))
    texts = page_texts(pdf)
    assert len(texts) == 3
    for i, (name, text) in enumerate(zip(names, texts, strict=True)):
        assert name in text
        assert f"CODE-{i}" in text
        assert all(other not in text for other in names if other != name)


def test_empty_batch_is_refused(app):
    with pytest.raises(ValueError):
        render_batch([])


def test_long_name_and_course_title_fit_the_page(app):
    assert len(LONG_NAME) == 70
    text = page_texts(render_certificate(make_data(learner_name=LONG_NAME, course_title=LONG_COURSE)))[0]
    assert LONG_NAME in text
    assert LONG_COURSE in text
    with open_document() as pdf:
        for value, box in ((LONG_NAME, NAME_BOX), (LONG_COURSE, COURSE_BOX)):
            size, lines = fit_text(pdf, value, box)
            pdf.set_font(FAMILY, box.style, size)
            assert " ".join(lines) == value
            assert all(pdf.get_string_width(line) <= box.w for line in lines)
            assert len(lines) * size * 1.2 * 25.4 / 72 <= box.h + 0.01
            assert box.x > 0 and box.x + box.w < PAGE_W
            assert size >= box.min_size


@pytest.mark.skipif(not HAVE_RASTER, reason="pypdfium2 is needed to measure glyph positions")
def test_every_glyph_lies_inside_the_frame(app):
    import pypdfium2

    three = (
        ("Rosa Ccahuana Huamán", "Presidenta"),
        ("Ana Pariʼ Ch’uqi", "Secretaria de Capacitación y Asuntos Técnicos"),
        ("Lucía Mamani Condori", "Coordinadora de formación técnica"),
    )
    data = make_data(learner_name=LONG_NAME, course_title=LONG_COURSE, signatories=three)
    document = pypdfium2.PdfDocument(render_certificate(data))
    page = document[0]
    width, height = page.get_size()
    textpage = page.get_textpage()
    inner = 12.5 * MM_TO_PT
    boxes = [
        textpage.get_charbox(i)
        for i in range(textpage.count_chars())
        if textpage.get_text_range(i, 1).strip()
    ]
    document.close()
    assert boxes
    for left, bottom, right, top in boxes:
        assert inner < left and right < width - inner
        assert inner < bottom and top < height - inner


def test_long_words_without_spaces_are_shrunk_not_overflowing(app):
    word = "Ñ" * 120
    with open_document() as pdf:
        size, lines = fit_text(pdf, word, NAME_BOX)
        pdf.set_font(FAMILY, NAME_BOX.style, size)
        assert lines == [word]
        assert pdf.get_string_width(word) <= NAME_BOX.w
    assert render_certificate(make_data(learner_name=word))


def test_hours_and_dates_are_localised(app):
    with force_locale("es"):
        assert format_hours(Decimal("6"), "es") == "6 horas"
        assert format_hours(1.5, "es") == "1,5 horas"
        assert format_hours(Decimal("1.0"), "es") == "1 hora"
    text = page_texts(render_certificate(make_data(hours=Decimal("1.5"))))[0]
    assert "1,5 horas" in text


def test_english_certificate_uses_english_dates_and_numbers(app):
    text = page_texts(render_certificate(make_data(language="en", hours=1.5)))[0]
    assert "November 28, 2026" in text
    assert "1.5 " in text
    assert NAME in text
    # Labels come from the catalogue once it exists; until then the Spanish source string is shown.
    assert "Certificate" in text or "Certificado" in text


def test_unknown_language_falls_back_to_spanish(app):
    assert normalize_language("qu") == "es"
    assert normalize_language("en-GB") == "en"
    assert normalize_language(None) == "es"
    text = page_texts(render_certificate(make_data(language="qu")))[0]
    assert "28 de noviembre de 2026" in text


def test_decomposed_accents_are_composed(app):
    decomposed = unicodedata.normalize("NFD", NAME)
    assert decomposed != NAME
    assert NAME in page_texts(render_certificate(make_data(learner_name=decomposed)))[0]


def test_concurrent_renders_do_not_mix_certificates(app):
    names = [f"Participante {i} Ñahui" for i in range(8)]

    def render(name: str) -> str:
        with app.app_context():
            return page_texts(render_certificate(make_data(learner_name=name, language="en")))[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(render, names))
    for name, text in zip(names, texts, strict=True):
        assert name in text
        assert "November 28, 2026" in text
