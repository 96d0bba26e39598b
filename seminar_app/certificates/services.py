"""Who may have a certificate of attendance, issuing it, and checking a code.

A certificate belongs to a confirmed registration of a published seminar that has
ended, when the person attended by the same rule as the fiscal-year report
(reports.services): checked in at the door, or online long enough. A head-count an
organizer recorded for the seminar changes nothing for the individual: only their own
attendance counts. A code verifies only while the attendance behind it still stands.

One code, one statement: what a certificate states (name, organization, seminar, time)
is fixed when it is issued. Downloads return the certificate in force as long as what it
states is still true; after a correction, the next download replaces it with a new
certificate and a new code, and the old code verifies as replaced. The verification page
shows no name: whoever holds the certificate types the printed name, and the page says
whether the certificate was issued to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from ..attendance.attended import attended_condition, registrations_with_attendance
from ..attendance.models import CheckIn, OnlineAttendance
from ..audit.services import PARTICIPANT, record
from ..catalogue.models import Seminar
from ..codes import ReadableCode
from ..database import DbSession, insert_unless_present, rows_changed
from ..domain import RegistrationStatus, SeminarStatus
from ..registration.models import Registration
from ..text import normalize_text
from ..timeutil import utcnow
from .models import Certificate

#: ABCD-EFGH-JKLM-NPQR-STUV: 20 symbols, 100 random bits.
CERTIFICATE_CODE = ReadableCode(group=4, groups=5)


class NotEligible(Exception):
    """No certificate for this registration; `reason` says why (see `refusal_reason`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def new_code() -> str:
    """A new verification code, easy to read aloud and to type."""
    return CERTIFICATE_CODE.new()


def normalize_code(raw: str | None) -> str | None:
    """The stored form of a typed code (any case, with or without separators), or None."""
    symbols = CERTIFICATE_CODE.symbols_of(raw)
    return CERTIFICATE_CODE.format(symbols) if symbols else None


def _eligible(now: datetime):
    return (
        Seminar.status == SeminarStatus.PUBLISHED,
        Seminar.ends_at <= now,
        attended_condition(),
    )


def may_have_certificate(
    session: DbSession, registration: Registration, now: datetime | None = None
) -> bool:
    """Confirmed, the seminar is over, and the person attended: one query."""
    statement = (
        registrations_with_attendance()
        .with_only_columns(Registration.id)
        .where(Registration.id == registration.id, *_eligible(now or utcnow()))
    )
    return session.scalar(statement) is not None


def refusal_reason(session: DbSession, registration: Registration, now: datetime) -> str | None:
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


def certificate_of(session: DbSession, registration: Registration) -> Certificate | None:
    """The registration's certificate in force (not replaced), if one was issued."""
    return session.scalar(
        select(Certificate)
        .where(Certificate.registration_id == registration.id, Certificate.replaced_at.is_(None))
        .execution_options(populate_existing=True)
    )


def statement_of(registration: Registration) -> dict[str, Any]:
    """What a certificate issued now would state, field by field (see Certificate)."""
    seminar = registration.seminar
    return {
        "name": registration.name,
        "organization": registration.organization,
        "seminar_title": seminar.title,
        "seminar_title_en": seminar.title_en,
        "starts_at": seminar.starts_at,
        "ends_at": seminar.ends_at,
    }


def _changed(certificate: Certificate, statement: dict[str, Any]) -> list[str]:
    return [field for field, value in statement.items() if getattr(certificate, field) != value]


#: A lost race is followed by one more look; more than that means the data keeps changing.
_ATTEMPTS = 3


def issue(session: DbSession, registration: Registration, now: datetime) -> Certificate:
    """The registration's certificate in force, issued on the first call and the same
    one ever after, as long as what it states is still what the registration says.

    After a correction (name, organization, or the seminar's title or time) the old
    certificate is marked replaced and a new one, with a new code, is issued. Raises
    NotEligible for someone who did not attend. Two downloads at the same moment cannot
    issue two certificates: one insert wins on the unique index of the certificate in
    force, the other finds the winner's and returns it.
    """
    if not may_have_certificate(session, registration, now):
        raise NotEligible(refusal_reason(session, registration, now) or "not-attended")
    statement = statement_of(registration)
    for _attempt in range(_ATTEMPTS):
        current = certificate_of(session, registration)
        changed = _changed(current, statement) if current is not None else []
        if current is not None and not changed:
            return current
        if current is not None and not _retire(session, current, now):
            continue  # another download replaced it a moment ago: look again
        code = new_code()
        new_id = insert_unless_present(
            session,
            Certificate,
            "registration_id",
            index_where=Certificate.replaced_at.is_(None),
            registration_id=registration.id,
            code=code,
            issued_at=now,
            **statement,
        )
        inserted = new_id is not None
        if not inserted:
            continue  # another download issued it a moment ago: take that one
        details: dict[str, Any] = {"seminar_id": registration.seminar_id, "code": code}
        if current is not None:
            # Which fields changed, not their values: the audit trail keeps no names.
            details |= {"replaces": current.code, "changed": changed}
        record(
            session,
            "certificate.issued",
            "registration",
            registration.id,
            actor_label=PARTICIPANT,
            details=details,
        )
        return session.execute(select(Certificate).where(Certificate.code == code)).scalar_one()
    raise RuntimeError(f"registration {registration.id}: its certificate keeps changing")


def _retire(session: DbSession, certificate: Certificate, now: datetime) -> bool:
    """Mark the certificate replaced, unless another transaction just did."""
    retired = rows_changed(
        session,
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.replaced_at.is_(None))
        .values(replaced_at=now)
        .execution_options(synchronize_session=False),
    )
    session.expire(certificate)
    return retired == 1


def verify(session: DbSession, code: str | None, now: datetime | None = None) -> Certificate | None:
    """The certificate behind a typed code, in force or replaced, while its holder's
    attendance still stands."""
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


#: What a verifier may type after the name: the honorific printed beside it.
_HONORIFICS = ("様", "殿")


def name_key(name: str | None) -> str:
    """知財　花子, 知財花子 and ｃｈｉｚａｉ hanako compare alike: NFKC, no spaces, casefold."""
    return "".join(normalize_text(name).split()).casefold()


def issued_to(certificate: Certificate, typed: str) -> bool | None:
    """Whether the certificate was issued to the name typed as printed (spaces, width,
    case and the honorific aside); None when the name is no longer held (anonymised)."""
    if certificate.name is None:
        return None
    wanted, key = name_key(certificate.name), name_key(typed)
    return key == wanted or any(key == wanted + name_key(word) for word in _HONORIFICS)
