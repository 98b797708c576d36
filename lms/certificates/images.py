"""PNG pictures of a certificate: a phone-sized copy to share by WhatsApp (same QR as the PDF), and the Open Badges
3.0 badge image with the signed credential baked in (an iTXt chunk `openbadgecredential`). Pillow only, no DB."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

from lms.certificates.pdf import BRAND, COPPER, FONT_FILES, INK, MUTED, CertificateData, build_labels, qr_code

WIDTH, HEIGHT, MARGIN = 720, 1280, 48
QR_MODULE = 6  # px: a 57-module QR is 390 px wide, easy for another phone's camera
PAPER = (255, 255, 255)
BADGE_SIZE = 400
BAKED_KEYWORD = "openbadgecredential"


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILES["B" if bold else ""]), size)


def wrap(draw: ImageDraw.ImageDraw, text: str, size: int, bold: bool, width: int, max_lines: int) -> tuple:
    """The largest font (down to half of `size`) at which text fits in `width` px in at most max_lines lines."""
    for current in range(size, size // 2 - 1, -2):
        face, lines, line = font(current, bold), [], ""
        for word in text.split():
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=face) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
        lines.append(line)
        if len(lines) <= max_lines and all(draw.textlength(x, font=face) <= width for x in lines):
            return face, lines
    return face, lines[:max_lines]


def centred(draw, y: int, text: str, size: int, color, bold: bool = False, max_lines: int = 2) -> int:
    """Draw text centred at y, wrapped; returns the y below it."""
    face, lines = wrap(draw, text, size, bold, WIDTH - 2 * MARGIN - 16, max_lines)
    for line in lines:
        draw.text((WIDTH // 2, y), line, font=face, fill=color, anchor="mt")
        y += int(face.size * 1.25)
    return y


def draw_qr(draw, content: str, top: int) -> int:
    matrix = qr_code(content).matrix
    side = len(matrix) * QR_MODULE
    left = (WIDTH - side) // 2
    draw.rectangle((left - 4 * QR_MODULE, top, left + side + 4 * QR_MODULE - 1, top + side + 8 * QR_MODULE - 1),
                   fill=PAPER)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                x, y = left + col_index * QR_MODULE, top + 4 * QR_MODULE + row_index * QR_MODULE
                draw.rectangle((x, y, x + QR_MODULE - 1, y + QR_MODULE - 1), fill=(0, 0, 0))
    return top + side + 8 * QR_MODULE


def signatures(draw, y: int, signatories: Sequence[tuple[str, str]]) -> int:
    for name, role in signatories[:3]:
        y = centred(draw, y, name, 24, INK, bold=True, max_lines=1)
        y = centred(draw, y, role, 20, MUTED, max_lines=1) + 6
    return y


def certificate_png(data: CertificateData) -> bytes:
    """The certificate on a phone screen (720 × 1280), in the network's colours, with the same QR as the PDF."""
    labels = build_labels(data)
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, WIDTH - 11, HEIGHT - 11), outline=BRAND, width=8)
    draw.rectangle((24, 24, WIDTH - 25, HEIGHT - 25), outline=COPPER, width=2)
    y = centred(draw, 52, data.network_name, 24, BRAND, bold=True, max_lines=3) + 10
    y = centred(draw, y, labels["title"], 56, BRAND, bold=True, max_lines=1) + 4
    y = centred(draw, y, labels["awarded"], 24, MUTED)
    y = centred(draw, y + 4, data.learner_name, 44, INK, bold=True) + 6
    y = centred(draw, y, labels["completed"], 24, MUTED)
    y = centred(draw, y + 4, data.course_title, 32, BRAND, bold=True, max_lines=3) + 4
    y = centred(draw, y, labels["details"], 22, INK)
    y = centred(draw, y, labels["dates"], 22, MUTED) + 12
    y = signatures(draw, y, data.signatories)
    y = draw_qr(draw, data.qr_content or data.verify_url, y + 4)
    y = centred(draw, y, labels["code"], 24, INK, bold=True, max_lines=1)
    centred(draw, y, labels["verify"], 18, MUTED, max_lines=2)
    return encode(image, colors=64)


def encode(image: Image.Image, colors: int, info: PngImagePlugin.PngInfo | None = None) -> bytes:
    """A small PNG: a palette of `colors` (flat colours and antialiased text need few) and full compression."""
    out = io.BytesIO()
    image.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True, pnginfo=info)
    return out.getvalue()


def badge_png(course_title: str, short_name: str, signed_credential: dict) -> bytes:
    """A round badge naming the course, the signed credential baked in as OB 3.0 says (iTXt, uncompressed)."""
    image = Image.new("RGB", (BADGE_SIZE, BADGE_SIZE), PAPER)
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, BADGE_SIZE - 9, BADGE_SIZE - 9), fill=BRAND)
    draw.ellipse((28, 28, BADGE_SIZE - 29, BADGE_SIZE - 29), outline=COPPER, width=6)
    draw.text((BADGE_SIZE // 2, 84), short_name, font=font(34, bold=True), fill=PAPER, anchor="mt")
    face, lines = wrap(draw, course_title, 34, True, BADGE_SIZE - 120, 4)
    top = BADGE_SIZE // 2 - len(lines) * int(face.size * 1.2) // 2 + 20
    for index, line in enumerate(lines):
        draw.text((BADGE_SIZE // 2, top + index * int(face.size * 1.2)), line, font=face, fill=PAPER, anchor="mt")
    info = PngImagePlugin.PngInfo()
    info.add_itxt(BAKED_KEYWORD, json.dumps(signed_credential, ensure_ascii=False, separators=(",", ":")), zip=False)
    return encode(image, colors=32, info=info)
