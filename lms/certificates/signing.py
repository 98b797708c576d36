"""The network's Ed25519 keys (files outside the database) and the compact signed statement a certificate's QR holds.

A key directory (SIGNING_KEY_DIR) holds `<kid>.pub` (raw public key, hex) for every key the network ever used,
`<kid>.key` (PKCS#8 PEM, mode 0600) for the one that signs now, and `active` naming it. Rotating writes a new
key, makes it active and deletes the old private key: the old public key stays, so old certificates verify.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from unicodedata import normalize

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

STATEMENT_VERSION = 1
DOMAIN = b"RNM-MAPE certificate 1"  # signed first, so these bytes can never mean anything else
SEPARATOR = "\x1f"
KID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# RFC 9285 (base45, as the EU digital COVID certificate) packs 2 bytes in 3 characters of the QR alphanumeric
# set. 41 symbols suffice (41**3 > 65536): we drop space, %, / and : so the text is safe in a URL fragment.
QR_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-."
BASE = len(QR_ALPHABET)


class KeyStoreError(Exception):
    """No usable key, or a key directory that is not what we wrote."""


@dataclass(frozen=True)
class Statement:
    """What a certificate says, as signed: the QR carries all of it but the code (the URL path has that)."""

    kid: str
    code: str
    name: str
    course: str
    hours: str
    completed: str  # ISO date

    def message(self) -> bytes:
        fields = (self.kid, self.code, self.name, self.course, self.hours, self.completed)
        return DOMAIN + b"\n" + SEPARATOR.join(fields).encode()


def hours_text(hours: Decimal | float | str) -> str:
    """6 -> "6", 1.50 -> "1.5": one spelling for the same number."""
    value = Decimal(str(hours)).normalize()
    return format(value, "f")


def statement_for(kid: str, code: str, name: str, course: str, hours, completed: date) -> Statement:
    return Statement(kid, code, normalize("NFC", name), normalize("NFC", course), hours_text(hours),
                     completed.isoformat())


# --- keys on disk ---------------------------------------------------------------------------------------------

def kid_of(public: bytes) -> str:
    """Six symbols from the key's SHA-256: short enough for the QR, and a typo cannot name another key."""
    number = int.from_bytes(hashlib.sha256(public).digest()[:8], "big")
    return "".join(KID_ALPHABET[(number >> (5 * i)) % len(KID_ALPHABET)] for i in range(6))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _write_private(path: Path, pem: bytes) -> None:
    """Create the file readable by its owner only, before anything is written in it."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def generate_key(folder: Path) -> str:
    """A new key that becomes the active one; the previous private key is deleted. Returns its kid."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    private = Ed25519PrivateKey.generate()
    public = raw_public(private.public_key())
    kid = kid_of(public)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    previous = active_kid(folder)
    _write_private(folder / f"{kid}.key", pem)
    (folder / f"{kid}.pub").write_text(public.hex() + "\n")
    (folder / "active.new").write_text(kid + "\n")
    os.replace(folder / "active.new", folder / "active")
    if previous and previous != kid:
        (folder / f"{previous}.key").unlink(missing_ok=True)
    return kid


def active_kid(folder: Path) -> str | None:
    path = folder / "active"
    return path.read_text().strip() if path.is_file() else None


def public_keys(folder: Path) -> dict[str, bytes]:
    """{kid: raw public key} of every key the network has used, oldest file first."""
    if not folder.is_dir():
        return {}
    keys = {}
    for path in sorted(folder.glob("*.pub"), key=lambda p: (p.stat().st_mtime, p.name)):
        public = bytes.fromhex(path.read_text().strip())
        if kid_of(public) != path.stem:
            raise KeyStoreError(f"{path.name} does not hold the key its name says")
        keys[path.stem] = public
    return keys


def signing_key(folder: Path) -> tuple[str, Ed25519PrivateKey] | None:
    """The active (kid, private key), or None when no key was generated yet."""
    kid = active_kid(folder)
    if kid is None:
        return None
    path = folder / f"{kid}.key"
    if path.stat().st_mode & 0o077:
        raise KeyStoreError(f"{path} can be read by others: chmod 600 {path}")
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey) or kid_of(raw_public(private.public_key())) != kid:
        raise KeyStoreError(f"{path} is not the Ed25519 key {kid}")
    return kid, private


# --- the compact statement --------------------------------------------------------------------------------

def qr_encode(data: bytes) -> str:
    """Bytes as QR-alphanumeric text, 3 characters per 2 bytes (2 per odd last byte)."""
    out = []
    for i in range(0, len(data), 2):
        chunk = data[i:i + 2]
        number, width = (chunk[0] * 256 + chunk[1], 3) if len(chunk) == 2 else (chunk[0], 2)
        for _ in range(width):
            number, digit = divmod(number, BASE)
            out.append(QR_ALPHABET[digit])
    return "".join(out)


def qr_decode(text: str) -> bytes:
    if len(text) % 3 == 1:
        raise ValueError("bad length")
    out = bytearray()
    for i in range(0, len(text), 3):
        chunk = text[i:i + 3]
        number = sum(QR_ALPHABET.index(ch) * BASE ** k for k, ch in enumerate(chunk))
        if number > (0xFFFF if len(chunk) == 3 else 0xFF):
            raise ValueError("bad chunk")
        out.extend(number.to_bytes(len(chunk) - 1, "big"))
    return bytes(out)


def sign(statement: Statement, private: Ed25519PrivateKey) -> bytes:
    return private.sign(statement.message())


def pack(statement: Statement, signature: bytes) -> str:
    """The URL fragment: version, signature, then the fields but the code, in the QR alphabet."""
    fields = (statement.kid, statement.name, statement.course, statement.hours, statement.completed)
    return qr_encode(bytes([STATEMENT_VERSION]) + signature + SEPARATOR.join(fields).encode())


def unpack(code: str, fragment: str) -> tuple[Statement, bytes]:
    """The statement and signature a QR's fragment holds; ValueError when it is not one of ours."""
    data = qr_decode(fragment.strip().upper())
    if len(data) < 66 or data[0] != STATEMENT_VERSION:
        raise ValueError("not a certificate statement")
    fields = data[65:].decode().split(SEPARATOR)
    if len(fields) != 5:
        raise ValueError("not a certificate statement")
    kid, name, course, hours, completed = fields
    return Statement(kid, code, name, course, hours, completed), data[1:65]


def verify(statement: Statement, signature: bytes, keys: dict[str, bytes]) -> bool:
    """True when the signature is the network's key `statement.kid` over exactly this statement."""
    public = keys.get(statement.kid)
    if public is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, statement.message())
    except InvalidSignature:
        return False
    return True


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def split_qr_text(text: str) -> tuple[str, str]:
    """(code, fragment) from what a QR holds: https://…/verify/<code>#<statement>."""
    address, _hash, fragment = text.strip().partition("#")
    code = address.rstrip("/").rsplit("/", 1)[-1]
    return code, fragment
