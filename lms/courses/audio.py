"""What an audio upload really is, read from its bytes: container, codecs, no video, its duration; and the budget.

Accepted: MP3; Ogg with only Opus or Vorbis streams; WebM/Matroska with only Opus or Vorbis tracks (what Chrome,
Edge and Firefox record); MP4/M4A with only sound tracks (AAC or Opus: what iPhones and Chrome record, fragmented
or not). MP3 and Ogg are read by mutagen; WebM and MP4 by the small readers below, because mutagen reads no WebM
and misreads the fragmented MP4 that MediaRecorder writes (a recorder's WebM has no Duration element either:
its length is the time of its last block).
"""

import io
import struct
from dataclasses import dataclass

from mutagen import MutagenError
from mutagen.mp3 import MP3
from mutagen.ogg import OggPage
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

# The budget: 1 MB for each 5 minutes (about 28 kbit/s: Opus speech at 24 kbit/s, what «Grabar audio» asks for,
# fits with room), plus 16 KB for the container's headers. A recording that plays in real time over 2G (EDGE)
# and costs a prepaid plan little; voice does not need more.
BYTES_PER_SECOND = 1024 * 1024 // 300
HEADER_ALLOWANCE = 16 * 1024
EBML_MAGIC = b"\x1a\x45\xdf\xa3"


@dataclass(frozen=True)
class Audio:
    content_type: str
    seconds: float


def budget(seconds: float) -> int:
    """The most bytes a recording of `seconds` may weigh."""
    return HEADER_ALLOWANCE + int(seconds * BYTES_PER_SECOND)


def probe(data: bytes, content_type: str) -> Audio | None:
    """The audio in `data` (sniffed as `content_type`) with its duration; None when it is not acceptable audio."""
    reader = {"audio/mpeg": _mp3, "audio/ogg": _ogg, "audio/webm": _webm, "audio/mp4": _mp4}.get(content_type)
    try:
        seconds = reader(data) if reader else None
    except (MutagenError, ValueError, IndexError, struct.error):
        return None
    return Audio(content_type, seconds) if seconds and seconds > 0 else None


def _mp3(data: bytes) -> float:
    return MP3(io.BytesIO(data)).info.length


def _ogg(data: bytes) -> float | None:
    """Every logical stream is Opus or Vorbis (no Theora video, no Skeleton tricks)."""
    stream, heads = io.BytesIO(data), []
    while stream.tell() < len(data):
        page = OggPage(stream)
        if page.first and page.packets:
            heads.append(page.packets[0][:8])
    if not heads or not all(h.startswith((b"OpusHead", b"\x01vorbis")) for h in heads):
        return None
    kind = OggOpus if heads[0].startswith(b"OpusHead") else OggVorbis
    return kind(io.BytesIO(data)).info.length


# ---- WebM / Matroska (EBML) -------------------------------------------------------------------------------------

SEGMENT, INFO, TRACKS, TRACK_ENTRY, CLUSTER, BLOCK_GROUP = 0x18538067, 0x1549A966, 0x1654AE6B, 0xAE, 0x1F43B675, 0xA0
MASTERS = {SEGMENT, INFO, TRACKS, TRACK_ENTRY, CLUSTER, BLOCK_GROUP}
TIMECODE_SCALE, DURATION, TRACK_TYPE, CODEC_ID, CLUSTER_TIME = 0x2AD7B1, 0x4489, 0x83, 0x86, 0xE7
SIMPLE_BLOCK, BLOCK, DOC_TYPE = 0xA3, 0xA1, 0x4282
AUDIO_TRACK, AUDIO_CODECS = 2, {"A_OPUS", "A_VORBIS"}


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int | None, int]:
    """An EBML variable-size integer at `pos`: (value, length); value None for «unknown size» (all ones)."""
    first = data[pos]
    length = 9 - first.bit_length() if first else 9
    if length > 8:
        raise ValueError("bad EBML number")
    value = int.from_bytes(data[pos:pos + length], "big")
    if keep_marker:
        return value, length
    value &= (1 << (7 * length)) - 1
    return (None if value == (1 << (7 * length)) - 1 else value), length


def _elements(data: bytes, pos: int = 0, stop: int | None = None):
    """Every element as (id, value start, value end), flattening the masters the reader needs to look into."""
    stop = len(data) if stop is None else stop
    while pos < stop:
        element, id_length = _vint(data, pos, keep_marker=True)
        size, size_length = _vint(data, pos + id_length, keep_marker=False)
        start = pos + id_length + size_length
        if size is None and element not in (SEGMENT, CLUSTER):
            raise ValueError("unknown size")
        end = stop if size is None else start + size
        if end > stop:
            raise ValueError("truncated")
        yield element, start, end
        pos = start if element in MASTERS else end


def _uint(data: bytes, start: int, end: int) -> int:
    return int.from_bytes(data[start:end], "big")


def _webm(data: bytes) -> float | None:
    """Only Opus/Vorbis audio tracks; the length from Info's Duration, else from the last block's time."""
    if not data.startswith(EBML_MAGIC):
        return None
    _id, start, header_end = next(_elements(data))
    doc_type = next((data[s:e] for i, s, e in _elements(data, start, header_end) if i == DOC_TYPE), b"")
    if doc_type.rstrip(b"\0") not in (b"webm", b"matroska"):
        return None
    scale, duration, tracks, cluster, last, step = 1_000_000, None, [], 0, None, 0
    for element, start, end in _elements(data, header_end):
        if element == TIMECODE_SCALE:
            scale = _uint(data, start, end)
        elif element == DURATION:
            duration = struct.unpack(">f" if end - start == 4 else ">d", data[start:end])[0]
        elif element == TRACK_ENTRY:
            tracks.append({})
        elif element in (TRACK_TYPE, CODEC_ID) and tracks:
            tracks[-1][element] = _uint(data, start, end) if element == TRACK_TYPE else data[start:end]
        elif element == CLUSTER_TIME:
            cluster = _uint(data, start, end)
        elif element in (SIMPLE_BLOCK, BLOCK):
            _track, length = _vint(data, start, keep_marker=False)
            time = cluster + struct.unpack(">h", data[start + length:start + length + 2])[0]
            step, last = (time - last if last is not None and time > last else step), max(time, last or 0)
    if not tracks or not all(t.get(TRACK_TYPE) == AUDIO_TRACK and t.get(CODEC_ID, b"").rstrip(b"\0").decode(
            "ascii", "replace") in AUDIO_CODECS for t in tracks):
        return None
    if duration:
        return duration * scale / 1e9
    return (last + step) * scale / 1e9 if last is not None else None


# ---- MP4 / M4A (ISO boxes) --------------------------------------------------------------------------------------

MP4_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf"}
MP4_AUDIO_CODECS = {b"mp4a", b"Opus"}


def _boxes(data: bytes, start: int, end: int):
    """The boxes between start and end as (type, body start, body end)."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[pos + 8:pos + 16])[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError("bad box")
        yield kind, pos + header, pos + size
        pos += size


def _tree(data: bytes, start: int, end: int, path: tuple = ()):
    """Every box with its path of types, looking into the containers the reader needs."""
    for kind, body, stop in _boxes(data, start, end):
        here = path + (kind,)
        yield here, body, stop
        if kind in MP4_CONTAINERS:
            yield from _tree(data, body, stop, here)


def _mp4(data: bytes) -> float | None:
    """Only sound tracks (AAC or Opus); the length from the media header, or the sum of the fragments."""
    boxes = list(_tree(data, 0, len(data)))
    if not boxes or boxes[0][0] != (b"ftyp",):
        return None
    handlers = [data[s + 8:s + 12] for p, s, _e in boxes if p[-3:] == (b"trak", b"mdia", b"hdlr")]
    codecs = [data[s + 12:s + 16] for p, s, _e in boxes if p[-1] == b"stsd"]
    if not handlers or set(handlers) != {b"soun"} or not set(codecs) <= MP4_AUDIO_CODECS:
        return None
    scale, length = _media_header(data, next(s for p, s, _e in boxes if p[-1] == b"mdhd"))
    default = next((struct.unpack(">I", data[s + 12:s + 16])[0] for p, s, _e in boxes if p[-1] == b"trex"), 0)
    fragments = sum(_fragment(data, s, e, default) for p, s, e in boxes if p[-1] == b"traf")
    return max(length, fragments) / scale if scale else None


def _media_header(data: bytes, start: int) -> tuple[int, int]:
    """(timescale, duration) of an mdhd box."""
    if data[start] == 1:
        return struct.unpack(">IQ", data[start + 20:start + 32])
    return struct.unpack(">II", data[start + 12:start + 20])


def _fragment(data: bytes, start: int, end: int, default: int) -> int:
    """The duration of one track fragment: its samples' own durations, or the default times their count."""
    total = 0
    for kind, body, _stop in _boxes(data, start, end):
        flags = _uint(data, body + 1, body + 4)
        if kind == b"tfhd" and flags & 0x08:
            offset = body + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
            default = _uint(data, offset, offset + 4)
        elif kind == b"trun":
            count = _uint(data, body + 4, body + 8)
            pos = body + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)
            width = 4 * bin(flags & 0xF00).count("1")
            if not flags & 0x100:
                total += count * default
                continue
            if pos + count * width > end:
                raise ValueError("bad trun")
            total += sum(_uint(data, pos + n * width, pos + n * width + 4) for n in range(count))
    return total
