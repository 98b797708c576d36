"""Storing uploads safely: the real type from magic bytes, small web images, random names, sizes for people."""

import hashlib
import io
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select

from lms.courses.audio import EBML_MAGIC, budget, probe
from lms.courses.models import Course, Media, MediaKind
from lms.extensions import db

WEB_WIDTH = 1000
WEB_MAX_HEIGHT = 3000
MAX_PIXELS = 40_000_000  # far above any phone photo, far below a decompression bomb
JPEG_QUALITY = 75

# Accepted names for each real type; the first is used when the given name does not fit.
EXTENSIONS = {
    "image/png": (".png",), "image/jpeg": (".jpg", ".jpeg"), "image/gif": (".gif",), "image/webp": (".webp",),
    "audio/mpeg": (".mp3",), "audio/ogg": (".ogg", ".oga", ".opus"), "audio/mp4": (".m4a", ".mp4"),
    "audio/webm": (".webm", ".weba"),
    "application/pdf": (".pdf",),
}
KIND_OF = {"image/png": MediaKind.IMAGE, "image/jpeg": MediaKind.IMAGE, "image/gif": MediaKind.IMAGE,
           "image/webp": MediaKind.IMAGE, "audio/mpeg": MediaKind.AUDIO, "audio/ogg": MediaKind.AUDIO,
           "audio/mp4": MediaKind.AUDIO, "audio/webm": MediaKind.AUDIO, "application/pdf": MediaKind.PDF}


class MediaError(ValueError):
    """An upload was refused; the message says why, in words for the person."""


@dataclass
class _Content:
    data: bytes
    content_type: str
    width: int | None = None
    height: int | None = None
    seconds: float | None = None


def _is_mp3_frame(head: bytes) -> bool:
    """An MPEG audio frame header: sync bits, a real version, layer, bitrate and sample rate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0b11, (head[1] >> 1) & 0b11
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0b11
    return version != 0b01 and layer != 0b00 and bitrate not in (0, 0b1111) and rate != 0b11


def sniff(data: bytes) -> str | None:
    """The content type the bytes claim to be (PNG, JPEG, GIF, WebP, MP3, OGG, WebM, M4A, PDF), else None.

    Audio is only a claim here: `store_upload` reads it whole (lms.courses.audio) before accepting it."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"ID3") or _is_mp3_frame(data[:4]):
        return "audio/mpeg"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(EBML_MAGIC):
        return "audio/webm"
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def human_size(n: int) -> str:
    """A size as people read it: "240 KB", "1,2 MB" (decimals in the page's language)."""
    if n < 1000 * 1024:
        return _("%(n)s KB", n=max(1, round(n / 1024)))
    return _("%(n)s MB", n=format_decimal(round(n / (1024 * 1024), 1), format="#,##0.#"))


def human_duration(seconds: float) -> str:
    """A duration as a clock shows it: "0:45", "12:05"."""
    whole = max(1, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def type_label(media: Media) -> str:
    """"PDF", "Imagen" or "Audio", to show next to the size: "PDF · 240 KB"."""
    return {MediaKind.PDF: _("PDF"), MediaKind.IMAGE: _("Imagen"), MediaKind.AUDIO: _("Audio")}.get(
        media.kind, _("Archivo"))


def media_path(media: Media, upload_folder: str) -> Path:
    """Where a stored file lives on disk (its stored name is random and has no path in it)."""
    return Path(upload_folder) / Path(media.stored_name).name


def safe_filename(filename: str, content_type: str) -> str:
    """The original name without any path, in safe ASCII characters, with an extension true to the content."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-_")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem.strip(".-_")[:100] or "archivo"
    allowed = EXTENSIONS[content_type]
    suffix = f".{ext.lower()}" if f".{ext.lower()}" in allowed else allowed[0]
    return stem + suffix


def _has_transparency(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        return image.getchannel("A").getextrema()[0] < 255
    return image.mode == "P" and "transparency" in image.info


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _open_image(data: bytes) -> Image.Image:
    """Open and verify an image, refusing broken files and decompression bombs."""
    invalid = MediaError(_("Esa imagen está dañada o no se puede abrir."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_PIXELS:
                    raise MediaError(_("Esa imagen es demasiado grande (demasiados píxeles)."))
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(_("Esa imagen es demasiado grande (demasiados píxeles).")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, MediaError):
            raise
        raise invalid from None
    return image


def _web_image(data: bytes, content_type: str) -> _Content:
    """The web version: upright, at most WEB_WIDTH wide, no metadata (EXIF, GPS, comments)."""
    image = _open_image(data)
    image = ImageOps.exif_transpose(image)
    image.thumbnail((WEB_WIDTH, WEB_MAX_HEIGHT), Image.Resampling.LANCZOS)
    if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    if image.mode == "P":
        image = image.convert("RGBA" if _has_transparency(image) else "RGB")
    image.info = {}
    if _has_transparency(image):
        return _Content(_encode(image, "PNG"), "image/png", image.width, image.height)
    candidates = [(_encode(image, "JPEG"), "image/jpeg")]
    if content_type in ("image/png", "image/gif"):  # drawings are often smaller, and sharper, as PNG
        flat = image.convert("RGB") if image.mode == "RGBA" else image
        candidates.append((_encode(flat, "PNG"), "image/png"))
    best, best_type = min(candidates, key=lambda c: len(c[0]))
    return _Content(best, best_type, image.width, image.height)


def _refusal(allowed: set[MediaKind]) -> str:
    if allowed == {MediaKind.IMAGE}:
        return _("Ese archivo no es una imagen válida (PNG, JPEG, GIF o WebP).")
    if allowed == {MediaKind.AUDIO}:
        return _("Ese archivo no es un audio válido (MP3, OGG, WebM o M4A, sin video).")
    if allowed == {MediaKind.PDF}:
        return _("Ese archivo no es un PDF válido.")
    if allowed == {MediaKind.PDF, MediaKind.IMAGE}:
        return _("Ese archivo no es una imagen o un PDF válido.")
    return _("Ese archivo no es una imagen, audio o PDF válido.")


def _audio(data: bytes, content_type: str, allowed: set[MediaKind]) -> _Content:
    """A recording read whole (container, codecs, no video, duration) and within the size budget."""
    audio = probe(data, content_type)
    if audio is None:
        raise MediaError(_refusal(allowed))
    if len(data) > budget(audio.seconds):
        raise MediaError(_("Este audio pesa %(size)s y dura %(duration)s: es mucho para escucharlo con pocos datos. "
                           "El máximo es 1 MB por cada 5 minutos (para este, %(max)s). Grábalo con «Grabar audio» "
                           "o guárdalo como voz en calidad baja (MP3 u OGG mono, 24 kbit/s).",
                           size=human_size(len(data)), duration=human_duration(audio.seconds),
                           max=human_size(budget(audio.seconds))))
    return _Content(data, content_type, seconds=audio.seconds)


def check_audio(data: bytes) -> None:
    """Refuse (MediaError) what is not a recording we keep: not audio, audio with video, or over the budget."""
    content_type = sniff(data)
    if content_type is None or KIND_OF[content_type] != MediaKind.AUDIO:
        raise MediaError(_refusal({MediaKind.AUDIO}))
    _audio(data, content_type, {MediaKind.AUDIO})


def _check(data: bytes, allowed: set[MediaKind], max_bytes: int) -> str:
    """The claimed content type of an acceptable upload, or MediaError with the reason."""
    if not data:
        raise MediaError(_("El archivo está vacío."))
    if len(data) > max_bytes:
        raise MediaError(_("El archivo pesa %(size)s; el máximo es %(max)s.",
                           size=human_size(len(data)), max=human_size(max_bytes)))
    content_type = sniff(data)
    if content_type is None or KIND_OF[content_type] not in allowed:
        raise MediaError(_refusal(allowed))
    return content_type


def store_upload(data: bytes, filename: str, course: Course | None, allowed: set[MediaKind], upload_folder: str,
                 max_bytes: int) -> Media:
    """Check, convert and store one upload; add its Media row (flushed, not committed) and return it."""
    content_type = _check(data, allowed, max_bytes)
    kind = KIND_OF[content_type]
    if kind == MediaKind.IMAGE:
        content = _web_image(data, content_type)
    else:
        content = _audio(data, content_type, allowed) if kind == MediaKind.AUDIO else _Content(data, content_type)
    digest = hashlib.sha256(content.data).hexdigest()
    if course is not None and course.id is None:
        db.session.flush()
    course_id = course.id if course is not None else None
    if course_id is not None:
        existing = db.session.scalars(select(Media).where(Media.course_id == course_id, Media.sha256 == digest,
                                                          Media.kind == kind).order_by(Media.id)).first()
        if existing is not None:
            return existing
    stored_name = secrets.token_hex(16) + EXTENSIONS[content.content_type][0]
    folder = Path(upload_folder)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / stored_name).open("xb") as stored:
        stored.write(content.data)
    media = Media(course_id=course_id, kind=kind, filename=safe_filename(filename, content.content_type),
                  stored_name=stored_name, content_type=content.content_type, size_bytes=len(content.data),
                  width=content.width, height=content.height, sha256=digest,
                  duration_ms=round(content.seconds * 1000) if content.seconds else None)
    db.session.add(media)
    db.session.flush()
    return media
