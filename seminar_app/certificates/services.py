"""Who may have a certificate of attendance, issuing it once, and checking a code.

A certificate belongs to a confirmed registration of a published seminar that has
ended, when the person attended by the same rule as the fiscal-year report
(reports.services): checked in at the door, or online long enough. A head-count an
organizer recorded for the seminar changes nothing for the individual: only their own
attendance counts. Issuing is idempotent (one certificate, one code per registration),
and a code verifies only while the attendance behind it still stands.
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..attendance.models import CheckIn, OnlineAttendance
from ..audit.services import PARTICIPANT, record
from ..catalogue.models import Seminar
from ..database import insert_unless_present
from ..domain import RegistrationStatus, SeminarStatus
from ..registration.models import Registration
from ..reports.services import attended_condition, registrations_with_attendance
from ..timeutil import utcnow
from .models import Certificate

#: 32 symbols (5 bits each) without the look-alikes 0/O and 1/I.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_GROUP = 4
CODE_GROUPS = 5
#: 20 symbols of 5 bits: 100 random bits.
CODE_LENGTH = CODE_GROUP * CODE_GROUPS
#: Longer input is not looked at (a code with separators is 24 characters).
MAX_INPUT_LENGTH = 80
#: What people type between the groups: hyphens and dashes of every width, spaces, and
#: the katakana prolonged sound mark a Japanese input method gives for "-".
_SEPARATORS = dict.fromkeys(map(ord, " \t\r\n-_.‐‑‒–—―−ーｰ"), None)


class NotEligible(Exception):
    """No certificate for this registration; `reason` says why (see `refusal_reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_code() -> str:
    """ABCD-EFGH-JKLM-NPQR-STUV: 100 random bits, easy to read aloud and to type."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return format_code(symbols)


def format_code(symbols: str) -> str:
    return "-".join(symbols[i : i + CODE_GROUP] for i in range(0, len(symbols), CODE_GROUP))


def normalize_code(raw: str | None) -> str | None:
    """The stored form of a typed code (any case, with or without separators), or None."""
    if not raw or len(raw) > MAX_INPUT_LENGTH:
        return None
    symbols = unicodedata.normalize("NFKC", raw).translate(_SEPARATORS).upper()
    if len(symbols) != CODE_LENGTH or any(symbol not in CODE_ALPHABET for symbol in symbols):
        return None
    return format_code(symbols)


def _eligible(now: datetime):
    return (
        Seminar.status == SeminarStatus.PUBLISHED,
        Seminar.ends_at <= now,
        attended_condition(),
    )


def may_have_certificate(
    session: Session, registration: Registration, now: datetime | None = None
) -> bool:
    """Confirmed, the seminar is over, and the person attended: one query."""
    statement = (
        registrations_with_attendance()
        .with_only_columns(Registration.id)
        .where(Registration.id == registration.id, *_eligible(now or utcnow()))
    )
    return session.scalar(statement) is not None


def refusal_reason(session: Session, registration: Registration, now: datetime) -> str | None:
    """Why there is no certificate, for the person: None when there may be one."""
    seminar = registration.seminar
    if registration.status == RegistrationStatus.CANCELLED:
        return "cancelled"
    if registration.status != RegistrationStatus.CONFIRMED:
        return "not-confirmed"
    if seminar.status == SeminarStatus.CANCELLED:
        return "seminar-cancelled"
    if seminar.status != SeminarStatus.PUBLISHED:
        return "not-held"
    if seminar.ends_at > now:
        return "not-ended"
    if may_have_certificate(session, registration, now):
        return None
    came_online = session.scalar(
        select(OnlineAttendance.id).where(OnlineAttendance.registration_id == registration.id)
    )
    checked_in = session.scalar(
        select(CheckIn.id).where(CheckIn.registration_id == registration.id)
    )
    return "too-short-online" if came_online and not checked_in else "not-attended"


def certificate_of(session: Session, registration: Registration) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.registration_id == registration.id))


def issue(session: Session, registration: Registration, now: datetime) -> Certificate:
    """The registration's certificate, created on the first call; the same one ever after.

    Raises NotEligible for someone who did not attend. Two downloads at the same moment
    cannot create two certificates: the insert does nothing when the row exists.
    """
    if not may_have_certificate(session, registration, now):
        raise NotEligible(refusal_reason(session, registration, now) or "not-attended")
    existing = certificate_of(session, registration)
    if existing is not None:
        return existing
    code = new_code()
    inserted = insert_unless_present(
        session,
        Certificate,
        "registration_id",
        registration_id=registration.id,
        code=code,
        created_at=now,
        updated_at=now,
    )
    certificate = certificate_of(session, registration)
    if inserted:
        record(
            session,
            "certificate.issued",
            "registration",
            registration.id,
            actor_label=PARTICIPANT,
            details={"seminar_id": registration.seminar_id, "code": code},
        )
    return certificate


def verify(session: Session, code: str | None, now: datetime | None = None) -> Certificate | None:
    """The certificate behind a typed code, while its holder's attendance still stands."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    attended = (
        registrations_with_attendance()
        .with_only_columns(Registration.id)
        .where(*_eligible(now or utcnow()))
    )
    return session.scalar(
        select(Certificate).where(
            Certificate.code == normalized, Certificate.registration_id.in_(attended)
        )
    )
