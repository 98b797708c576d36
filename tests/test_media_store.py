"""Storing uploads: the real type from magic bytes, small web images without metadata, clear refusals."""

import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.courses.media import MediaError, human_size, media_path, store_upload, type_label
from lms.courses.models import Course, Media, MediaKind, Theme, ensure_starter_themes
from lms.extensions import db
from tests.conftest import audio_sample

ALL = {MediaKind.IMAGE, MediaKind.AUDIO, MediaKind.PDF}
MB = 1024 * 1024
TONE_MP3 = audio_sample("tone.mp3")  # 2 s of a 440 Hz tone in each container (tests/audio/README.md)
SAMPLES = {
    "mp3-id3": (TONE_MP3, "audio/mpeg", ".mp3"),
    "mp3-frames": (TONE_MP3[10 + sum(b << (7 * (3 - i)) for i, b in enumerate(TONE_MP3[6:10])):],  # no ID3 tag
                   "audio/mpeg", ".mp3"),
    "ogg": (audio_sample("tone.ogg"), "audio/ogg", ".ogg"),
    "m4a": (audio_sample("tone.m4a"), "audio/mp4", ".m4a"),
    "webm": (audio_sample("recorded-chromium.webm"), "audio/webm", ".webm"),
    "pdf": (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf", ".pdf"),
}


@pytest.fixture
def store(app, tmp_path):
    """store(data, name, allowed=ALL, max_bytes=5 MB, course=None) inside an app context, committed."""
    folder = tmp_path / "uploads"

    def run(data: bytes, name: str, allowed=ALL, max_bytes: int = 5 * MB, course_id: int | None = None):
        with app.app_context():
            course = db.session.get(Course, course_id) if course_id else None
            media = store_upload(data, name, course, allowed, str(folder), max_bytes)
            db.session.commit()
            db.session.refresh(media)
            db.session.expunge(media)
            return media

    run.folder = folder
    return run


def _png(size=(2400, 1600), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert(mode).save(out, "PNG", **save)
    return out.getvalue()


def _gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Camara de prueba"
    exif[0x8825] = {1: "S", 2: (15.0, 50.0, 0.0), 3: "W", 4: (70.0, 1.0, 0.0)}  # GPS: Puno
    return exif


def _stored_files(folder) -> list:
    return sorted(folder.iterdir()) if folder.exists() else []


def test_html_renamed_png_is_refused_and_nothing_is_stored(app, store):
    with pytest.raises(MediaError, match="no es una imagen, audio o PDF válido"):
        store(b"<!doctype html><script>alert(1)</script>", "foto.png")
    with pytest.raises(MediaError, match="no es una imagen válida"):
        store(b"<html><body onload=alert(1)>", "foto.png", allowed={MediaKind.IMAGE})
    assert _stored_files(store.folder) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Media.id))) == 0


def test_svg_is_refused_by_store_upload_even_named_png(store):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for name in ("dibujo.svg", "dibujo.png"):
        with pytest.raises(MediaError):
            store(svg, name)
    assert _stored_files(store.folder) == []


def test_executables_and_unknown_bytes_are_refused(store):
    for data in (b"MZ\x90\x00" + bytes(100), b"\x7fELF" + bytes(100), b"PK\x03\x04" + bytes(100), bytes(100)):
        with pytest.raises(MediaError):
            store(data, "archivo.pdf")


def test_oversize_upload_gets_a_clear_message_with_both_sizes(store):
    data = SAMPLES["pdf"][0] + bytes(int(2.5 * MB))
    with pytest.raises(MediaError) as refused:
        store(data, "guia.pdf", max_bytes=1 * MB)
    assert str(refused.value) == "El archivo pesa 2,5 MB; el máximo es 1 MB."
    assert _stored_files(store.folder) == []


def test_empty_file_is_refused(store):
    with pytest.raises(MediaError, match="vacío"):
        store(b"", "nada.png")


def test_a_kind_not_allowed_here_is_refused(store):
    with pytest.raises(MediaError, match="no es un audio válido"):
        store(SAMPLES["pdf"][0], "audio.mp3", allowed={MediaKind.AUDIO})


def test_big_png_becomes_at_most_1000px_wide_without_exif_or_gps(store):
    data = _png(exif=_gps_exif().tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get(0x8825)  # the original carries GPS
    media = store(data, "foto grande.png", allowed={MediaKind.IMAGE})
    stored = media_path(media, str(store.folder)).read_bytes()
    web = Image.open(io.BytesIO(stored))
    assert (media.width, media.height) == web.size == (1000, 667)
    assert media.size_bytes == len(stored) < len(data)
    assert len(web.getexif()) == 0 and "exif" not in web.info
    assert b"Camara de prueba" not in stored


def test_jpeg_is_turned_upright_by_its_exif_orientation_and_loses_it(store):
    out = io.BytesIO()
    Image.new("RGB", (1200, 800), "orange").save(out, "JPEG", exif=_gps_exif(orientation=6).tobytes())
    media = store(out.getvalue(), "IMG_0001.JPG", allowed={MediaKind.IMAGE})
    web = Image.open(io.BytesIO(media_path(media, str(store.folder)).read_bytes()))
    assert media.content_type == "image/jpeg" and media.filename == "IMG_0001.jpg"
    assert web.size == (800, 1200) == (media.width, media.height)  # rotated, and already narrow enough
    assert len(web.getexif()) == 0


def test_transparent_image_stays_png(store):
    media = store(_png(size=(300, 200), mode="RGBA"), "logo.webp.png", allowed={MediaKind.IMAGE})
    assert media.content_type == "image/png" and media.filename.endswith(".png")


def test_decompression_bomb_is_refused_before_decoding(store):
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(b"IEND", b""))
    with pytest.raises(MediaError, match="demasiado grande"):
        store(bomb, "bomba.png")
    with pytest.raises(MediaError, match="dañada"):
        store(b"\x89PNG\r\n\x1a\n" + bytes(50), "rota.png")


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_audio_and_pdf_are_accepted_by_magic_bytes_whatever_their_name(store, sample):
    data, content_type, extension = SAMPLES[sample]
    media = store(data, "../../etc/Guía de ñandú.txt")
    assert media.content_type == content_type
    assert media.filename == f"Guia-de-nandu{extension}"
    assert media.stored_name != media.filename and media.stored_name.endswith(extension)
    assert media_path(media, str(store.folder)).read_bytes() == data
    assert media.size_bytes == len(data) and len(media.sha256) == 64


def test_identical_content_in_the_same_course_reuses_the_media_row(app, store):
    with app.app_context():
        ensure_starter_themes()
        course = Course(slug="medios", title="Medios", theme=db.session.scalar(select(Theme)))
        db.session.add(course)
        db.session.commit()
        course_id = course.id
    first = store(SAMPLES["pdf"][0], "guia.pdf", course_id=course_id)
    again = store(SAMPLES["pdf"][0], "otra.pdf", course_id=course_id)
    elsewhere = store(SAMPLES["pdf"][0], "guia.pdf")
    assert again.id == first.id and elsewhere.id != first.id
    assert len(_stored_files(store.folder)) == 2


def test_sizes_and_type_labels_read_like_people_say_them(app):
    with app.test_request_context():
        assert [human_size(n) for n in (300, 240 * 1024, int(1.2 * MB), 20 * MB)] == [
            "1 KB", "240 KB", "1,2 MB", "20 MB"]
        labels = [type_label(Media(kind=kind)) for kind in (MediaKind.PDF, MediaKind.IMAGE, MediaKind.AUDIO)]
        assert labels == ["PDF", "Imagen", "Audio"]


@pytest.mark.parametrize("name, content_type, seconds", [
    ("recorded-chromium.webm", "audio/webm", 1.98), ("recorded-chromium-whole.webm", "audio/webm", 1.92),
    ("tone-vorbis.webm", "audio/webm", 2.0), ("recorded-chromium.mp4", "audio/mp4", 1.94),
    ("tone.m4a", "audio/mp4", 2.0), ("tone.ogg", "audio/ogg", 2.0), ("tone.mp3", "audio/mpeg", 2.0)])
def test_recordings_are_accepted_by_their_bytes_with_their_duration(store, name, content_type, seconds):
    """What phones record (Opus in WebM, Ogg or MP4; AAC in MP4) and MP3, each with its duration read from it —
    also a recorder's WebM, which has no Duration element (its length is its last block's time)."""
    data = audio_sample(name)
    media = store(data, "grabacion.bin", allowed={MediaKind.AUDIO})
    assert (media.kind, media.content_type) == ("audio", content_type)
    assert media.duration_ms == pytest.approx(seconds * 1000, abs=60)
    assert media_path(media, str(store.folder)).read_bytes() == data  # kept byte for byte


@pytest.mark.parametrize("name", ["video.webm", "video-only.webm", "video.mp4", "video.ogv"])
def test_a_file_with_video_is_refused_as_audio(store, name):
    with pytest.raises(MediaError, match=r"no es un audio válido \(MP3, OGG, WebM o M4A, sin video\)"):
        store(audio_sample(name), "grabacion.webm", allowed={MediaKind.AUDIO})
    assert _stored_files(store.folder) == []


HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.mark.parametrize("data", [
    HTML, b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", b"MZ\x90\x00" + bytes(300),
    b"\x7fELF\x02\x01\x01" + bytes(300), b"OggS\x00\x02" + bytes(200), b"ID3\x03\x00\x00\x00\x00\x00\x0f" + HTML,
    b"\x1a\x45\xdf\xa3" + HTML, b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isomiso2" + bytes(200),
    audio_sample("recorded-chromium.webm")[:2000],  # cut short
], ids=["html", "svg", "exe", "elf", "ogg-header-only", "id3-then-html", "ebml-then-html", "ftyp-only", "cut"])
def test_anything_else_claiming_to_be_audio_is_refused(store, data):
    with pytest.raises(MediaError, match="no es un audio válido"):
        store(data, "audio.mp3", allowed={MediaKind.AUDIO})
    assert _stored_files(store.folder) == []


def test_a_recording_over_1_mb_per_5_minutes_is_refused_with_the_reason(store):
    """2 s of MP3 at 128 kbit/s weigh 32 KB; the budget for 2 s is 16 KB + 2 × 3.5 KB."""
    with pytest.raises(MediaError) as refused:
        store(audio_sample("tone-128k.mp3"), "musica.mp3", allowed={MediaKind.AUDIO})
    assert str(refused.value) == ("Este audio pesa 32 KB y dura 0:02: es mucho para escucharlo con pocos datos. "
                                  "El máximo es 1 MB por cada 5 minutos (para este, 23 KB). Grábalo con «Grabar "
                                  "audio» o guárdalo como voz en calidad baja (MP3 u OGG mono, 24 kbit/s).")
    assert _stored_files(store.folder) == []


def test_the_budget_is_1_mb_per_5_minutes_plus_room_for_headers():
    from lms.courses.audio import budget

    assert 1024 * 1024 <= budget(300) <= 1024 * 1024 + 16 * 1024
    assert budget(60) < 240 * 1024  # a minute of speech at 24 kbit/s (about 180 KB) fits
