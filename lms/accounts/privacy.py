"""What accounts hold about a person, for her data export and her erasure (the hook lms/privacy calls)."""

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import String, cast, or_, select, update

from lms.accounts.models import REGIONS, AuditEvent, Cohort, User, cohort_member, display_phone, utcnow
from lms.extensions import db

ANONYMOUS_NAME = "Participante anonimizada #%d"
SCRUBBED = "[dato retirado]"
PROFILE_FIELDS = ("id", "username", "full_name", "role", "email", "phone", "dni", "birth_year", "region",
                  "community", "organisation", "language", "consent_at", "created_at", "last_login_at", "active")


def plain(value):
    """JSON-friendly values: dates as ISO 8601, decimals as numbers."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def row(obj, names) -> dict:
    return {name: plain(getattr(obj, name)) for name in names}


@dataclass
class Traces:
    """What identifies her, gathered before erasure, so every package can scrub it from its free text."""

    texts: list[str] = field(default_factory=list)  # her name, username, DNI, phone as people write them, email
    words: list[str] = field(default_factory=list)  # each word of her name: scrubbed only from texts about her
    addresses: set[str] = field(default_factory=set)  # where she signed in from

    def scrub(self, text: str | None, about_her: bool = True) -> str | None:
        """`text` with every trace of her replaced (any case); in a text about her, every word of her name too."""
        if not text:
            return text
        for trace in self.texts:
            text = re.sub(re.escape(trace), SCRUBBED, text, flags=re.IGNORECASE)
        for word in self.words if about_her else ():
            text = re.sub(rf"\b{re.escape(word)}\b", SCRUBBED, text, flags=re.IGNORECASE)
        return text

    def scrub_json(self, value, about_her: bool = True):
        if isinstance(value, str):
            return self.scrub(value, about_her)
        if isinstance(value, dict):
            return {key: self.scrub_json(item, about_her) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub_json(item, about_her) for item in value]
        return value

    def stored_forms(self) -> list[str]:
        """Each trace as the database may hold it inside JSON (non-ASCII letters escaped) and as is."""
        return sorted({form for t in self.texts for form in (t, json.dumps(t)[1:-1])})


def traces_of(user: User) -> Traces:
    """Her identifiers (long enough to be hers alone) and every address recorded on her events."""
    phone = display_phone(user.phone)
    texts = [user.full_name, user.username, user.dni, user.phone, phone, phone.replace(" ", ""), user.email]
    addresses = set(db.session.scalars(select(AuditEvent.address).distinct().where(
        or_(AuditEvent.actor_id == user.id, AuditEvent.subject_id == user.id), AuditEvent.address.is_not(None))))
    words = [w for w in re.findall(r"\w+", user.full_name) if len(w) >= 4]
    return Traces([t for t in dict.fromkeys(texts) if t and len(t) >= 5], words, addresses)


def rows(user: User) -> dict:
    """Her profile, her cohorts and her audit events (never a secret)."""
    profile = row(user, PROFILE_FIELDS) | {"region_name": REGIONS.get(user.region or "")}
    cohorts = select(Cohort).join(cohort_member).where(cohort_member.c.user_id == user.id).order_by(Cohort.name)
    return {"profile": profile, "cohorts": [{"name": c.name, "region": c.region} for c in db.session.scalars(cohorts)],
            "audit_events": _events(user)}


def _events(user: User) -> list[dict]:
    """Her own events; of those done to her by someone else, only what happened and when (not who or where)."""
    query = (select(AuditEvent).where(or_(AuditEvent.actor_id == user.id, AuditEvent.subject_id == user.id))
             .order_by(AuditEvent.at))
    return [{"at": plain(e.at), "action": e.action, "by_me": e.actor_id == user.id,
             "address": e.address if e.actor_id == user.id else None,
             "detail": e.detail if e.subject_id == user.id or (e.actor_id == user.id and e.subject_id is None)
             else {}}
            for e in db.session.scalars(query)]


def erase(user: User, traces: Traces) -> None:
    """Remove what identifies her from accounts: her profile, her addresses, her traces in the audit log.

    Her account stays (closed), with her region, for the counts; the flag says it is done.
    """
    user.full_name = ANONYMOUS_NAME % user.id
    user.username = f"anon-{user.id}-{secrets.token_hex(4)}"
    for name in ("dni", "phone", "email", "community", "organisation", "birth_year"):
        setattr(user, name, None)
    user.password_hash = "!" + secrets.token_hex(32)  # not a hash of anything: no secret can ever match
    user.must_change_pin, user.active, user.anonymised_at = False, False, utcnow()
    user.region_rows = []
    user.end_sessions()
    hers = or_(AuditEvent.actor_id == user.id, AuditEvent.subject_id == user.id)
    nobody = (AuditEvent.actor_id.is_(None)) & (AuditEvent.subject_id.is_(None))
    db.session.execute(update(AuditEvent).where(hers).values(address=None))
    if traces.addresses:  # unattributed events (throttled sign-ins) from where she signed in
        db.session.execute(update(AuditEvent).where(nobody, AuditEvent.address.in_(traces.addresses))
                           .values(address=None))
    detail = cast(AuditEvent.detail, String)
    naming = or_(hers, *(detail.contains(form, autoescape=True) for form in traces.stored_forms()))
    for event in db.session.scalars(select(AuditEvent).where(naming)):
        event.detail = traces.scrub_json(event.detail, about_her=user.id in (event.actor_id, event.subject_id))
    named = or_(*(Cohort.name.icontains(text, autoescape=True) for text in traces.texts))
    for cohort in db.session.scalars(select(Cohort).where(named)) if traces.texts else ():
        cohort.name = f"{traces.scrub(cohort.name, about_her=False)} #{cohort.id}"[:120]  # names are unique
    db.session.flush()
