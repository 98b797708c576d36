"""Open Badges 3.0: each certificate as an OpenBadgeCredential (W3C VC 2.0) with a Data Integrity proof
(eddsa-rdfc-2022) by the network's key; the issuer's did:web document; a Bitstring Status List for revocation.

JSON-LD contexts are bundled in contexts/ and the document loader never touches the network.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld

from lms.certificates import signing

CONTEXT_DIR = Path(__file__).resolve().parent / "contexts"
VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXT_FILES = {VC_V2: "credentials-v2.jsonld", OB_V3: "ob-v3p0-context-3.0.3.json"}
DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
STATUS_LIST_BITS = 131_072  # the spec's minimum (16 KB), so one list hides which certificate is which
ED25519_MULTICODEC = b"\xed\x01"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class OfflineLoaderError(Exception):
    """A JSON-LD document that is not bundled was asked for: refuse rather than fetch it."""


@cache
def _context(url: str) -> dict:
    return json.loads((CONTEXT_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def document_loader(url: str, options=None) -> dict:
    """pyld's document loader over the bundled contexts only."""
    if url not in CONTEXT_FILES:
        raise OfflineLoaderError(f"not bundled: {url}")
    return {"contextUrl": None, "documentUrl": url, "document": _context(url)}


def base58btc(data: bytes) -> str:
    number, out = int.from_bytes(data, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = BASE58[digit] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def multikey(public: bytes) -> str:
    """An Ed25519 public key as Multikey publicKeyMultibase: z + base58btc(0xed01 + key)."""
    return "z" + base58btc(ED25519_MULTICODEC + public)


def issuer_did(base_url: str) -> str:
    """did:web for the public address: https://host:port/path -> did:web:host%3Aport:path."""
    parts = urlsplit(base_url)
    path = [quote(segment, safe="") for segment in parts.path.strip("/").split("/") if segment]
    return ":".join(["did:web", quote(parts.netloc, safe="")] + path)


def did_document(base_url: str, keys: dict[str, bytes]) -> dict:
    """Every key the network ever used, so credentials signed before a rotation still verify."""
    did = issuer_did(base_url)
    methods = [{"id": f"{did}#{kid}", "type": "Multikey", "controller": did, "publicKeyMultibase": multikey(public)}
               for kid, public in keys.items()]
    ids = [method["id"] for method in methods]
    return {"@context": DID_CONTEXTS, "id": did, "verificationMethod": methods, "assertionMethod": ids,
            "authentication": ids}


def issuer_profile(base_url: str, network_name: str) -> dict:
    return {"id": issuer_did(base_url), "type": ["Profile"], "name": network_name, "url": base_url.rstrip("/") + "/"}


def profile_document(base_url: str, network_name: str) -> dict:
    return {"@context": [VC_V2, OB_V3], **issuer_profile(base_url, network_name)}


def iso_moment(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def end_of_course(day: date, timezone: str) -> str:
    """The completion day as a DateTime at noon, in the network's time zone (the spec wants a DateTime)."""
    return datetime.combine(day, time(12, 0), tzinfo=ZoneInfo(timezone)).isoformat()


def achievement(base_url: str, course_id: int, name: str, description: str, criteria: str, hours: str,
                theme: str) -> dict:
    """The course as an Achievement; hours as `creditsAvailable` (hours of training are the credit we give)."""
    return {"id": f"{base_url.rstrip('/')}/credentials/achievements/{course_id}", "type": ["Achievement"],
            "achievementType": "Course", "name": name, "description": description or name,
            "criteria": {"narrative": criteria}, "creditsAvailable": float(hours), "tag": [theme],
            "fieldOfStudy": theme}


def status_entry(base_url: str, cert_id: int) -> dict:
    """Where a certificate's revocation bit lives: list n holds ids [(n-1)·131072, n·131072)."""
    list_url = status_list_url(base_url, cert_id // STATUS_LIST_BITS + 1)
    index = str(cert_id % STATUS_LIST_BITS)
    return {"id": f"{list_url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": index, "statusListCredential": list_url}


def status_list_url(base_url: str, list_id: int) -> str:
    return f"{base_url.rstrip('/')}/credentials/status/{list_id}"


def encoded_list(indexes) -> str:
    """The GZIP-compressed bitstring, first index in the most significant bit, as multibase base64url."""
    bits = bytearray(STATUS_LIST_BITS // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def status_list_credential(base_url: str, list_id: int, revoked_indexes, valid_from: datetime) -> dict:
    url = status_list_url(base_url, list_id)
    return {"@context": [VC_V2], "id": url, "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer_did(base_url), "validFrom": iso_moment(valid_from),
            "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                                  "encodedList": encoded_list(revoked_indexes)}}


def canonical(document: dict) -> bytes:
    """RDF Dataset Canonicalization (RDFC-1.0, as URDNA2015) to N-Quads; unknown terms are an error."""
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader,
               "safe": True}
    return jsonld.normalize(document, options).encode()


def sign_document(document: dict, kid: str, private: Ed25519PrivateKey, base_url: str, created: datetime) -> dict:
    """Add a DataIntegrityProof with the eddsa-rdfc-2022 cryptosuite (VC DI EdDSA, section 3.2)."""
    proof = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "created": iso_moment(created),
             "verificationMethod": f"{issuer_did(base_url)}#{kid}", "proofPurpose": "assertionMethod"}
    config_hash = hashlib.sha256(canonical({**proof, "@context": document["@context"]})).digest()
    document_hash = hashlib.sha256(canonical(document)).digest()
    proof["proofValue"] = "z" + base58btc(private.sign(config_hash + document_hash))
    return {**document, "proof": proof}


def signing_key_pair(folder: Path) -> tuple[str, Ed25519PrivateKey]:
    active = signing.signing_key(folder)
    if active is None:
        raise signing.KeyStoreError("no signing key: flask lms keys generate")
    return active


# --- from the database (the caller passes the public address; the view commits nothing here) ------------------

def course_achievement(course, base_url: str, language: str = "es") -> dict:
    from flask_babel import force_locale
    from flask_babel import gettext as _

    hours = signing.hours_text(course.hours)
    with force_locale(language):
        criteria = _("Completar todas las lecciones del curso y aprobar sus evaluaciones (%(hours)s horas).",
                     hours=hours)
        theme = course.theme.label(language)
    return achievement(base_url, course.id, course.title, course.summary, criteria, hours, theme)


def achievement_document(course, base_url: str) -> dict:
    return {"@context": [VC_V2, OB_V3], **course_achievement(course, base_url)}


def credential(cert, base_url: str, timezone: str) -> dict:
    """The unsigned OpenBadgeCredential of a certificate, from its snapshot (title, hours, dates, her name)."""
    subject_achievement = course_achievement(cert.enrolment.course, base_url, cert.language)
    subject_achievement.update(name=cert.course_title, creditsAvailable=float(cert.hours))
    return {
        "@context": [VC_V2, OB_V3],
        "id": f"{base_url.rstrip('/')}/verify/{cert.code}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": cert.course_title,
        "issuer": issuer_profile(base_url, cert.network_name),
        "validFrom": iso_moment(cert.created_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityHash": cert.learner_name, "identityType": "name",
                            "hashed": False}],
            "achievement": subject_achievement,
            "activityEndDate": end_of_course(cert.completed_on, timezone),
            "creditsEarned": float(cert.hours),
        },
        "credentialStatus": status_entry(base_url, cert.id),
    }


def signed_credential(cert, base_url: str, key_folder: Path, timezone: str) -> dict:
    kid, private = signing_key_pair(key_folder)
    return sign_document(credential(cert, base_url, timezone), kid, private, base_url, cert.created_at)


def revoked_indexes(list_id: int) -> list[int]:
    """Indexes set in list `list_id`: certificates revoked or replaced (no longer valid) in its id range."""
    from sqlalchemy import select

    from lms.certificates.models import Certificate, CertificateStatus
    from lms.extensions import db

    low, high = (list_id - 1) * STATUS_LIST_BITS, list_id * STATUS_LIST_BITS
    query = select(Certificate.id).where(Certificate.id >= low, Certificate.id < high,
                                         Certificate.status != CertificateStatus.VALID)
    return [cert_id - low for cert_id in db.session.scalars(query)]


def signed_status_list(list_id: int, base_url: str, key_folder: Path, now: datetime) -> dict:
    """The status list as it is now, signed: revoking or reinstating changes it on the next request."""
    kid, private = signing_key_pair(key_folder)
    document = status_list_credential(base_url, list_id, revoked_indexes(list_id), now)
    return sign_document(document, kid, private, base_url, now)
