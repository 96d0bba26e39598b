"""Who may watch a recording, telling them, and counting who opened it."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..catalogue.models import Seminar
from ..database import DbSession, string_length
from ..domain import RecordingAudience, RegistrationStatus
from ..materials.services import Access, access, in_audience
from ..registration.models import Registration
from ..registration.services import queue_for
from .models import Recording, RecordingView

#: Longest address the recordings table keeps.
MAX_URL_LENGTH = string_length(Recording.__table__.c.url)


class RecordingRefused(Exception):
    """A recording that cannot be added: each field at fault, in the order the form asks."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(next(iter(problems.values())))
        self.problems = problems


def recording_problems(
    title: str,
    url: str,
    audience: str,
    available_from: datetime | None,
    available_until: datetime | None,
) -> dict[str, str]:
    """What is wrong with a recording's fields, by field; empty when it may be added."""
    problems: dict[str, str] = {}
    if not title:
        problems["title"] = _("Give the recording a title.")
    parts = urlsplit(url)
    # Only https: the participant is redirected there from our page.
    if parts.scheme != "https" or not parts.netloc or len(url) > MAX_URL_LENGTH:
        problems["url"] = _("Enter the recording's https:// address.")
    if audience not in {member.value for member in RecordingAudience}:
        problems["audience"] = _("Choose who may watch it.")
    if available_from and available_until and available_until <= available_from:
        problems["available_until"] = _("The end of availability must come after its start.")
    return problems


def add_recording(
    session: DbSession,
    seminar: Seminar,
    *,
    title: str,
    url: str,
    audience: str,
    available_from: datetime | None,
    available_until: datetime | None,
    by,
) -> Recording:
    """Attach a recording to a seminar, unpublished; raises RecordingRefused."""
    problems = recording_problems(title, url, audience, available_from, available_until)
    if problems:
        raise RecordingRefused(problems)
    recording = Recording(
        seminar_id=seminar.id,
        title=title,
        url=url,
        audience=RecordingAudience(audience),
        available_from=available_from,
        available_until=available_until,
    )
    session.add(recording)
    session.flush()
    record(
        session,
        "recording.added",
        "recording",
        recording.id,
        actor=by,
        details={"seminar_id": seminar.id, "audience": recording.audience},
    )
    return recording


def available(recording: Recording, now: datetime) -> bool:
    if recording.published_at is None:
        return False
    if recording.available_from is not None and now < recording.available_from:
        return False
    return recording.available_until is None or now < recording.available_until


def recording_access(
    session: DbSession, recording: Recording, registration: Registration | None, now: datetime
) -> Access:
    seminar = session.get_one(Seminar, recording.seminar_id)
    return access(
        session, seminar, recording.audience, registration, available=available(recording, now)
    )


def may_watch(
    session: DbSession, recording: Recording, registration: Registration | None, now: datetime
) -> bool:
    return recording_access(session, recording, registration, now) is Access.OPEN


def recordings_for(
    session: DbSession, registration: Registration, now: datetime
) -> list[Recording]:
    rows = session.scalars(
        select(Recording)
        .where(Recording.seminar_id == registration.seminar_id)
        .order_by(Recording.id)
    )
    return [row for row in rows if may_watch(session, row, registration, now)]


def publish(session: DbSession, recording: Recording, *, by, now: datetime) -> int:
    """Tell the recording's audience by mail (through the outbox); returns how many."""
    recording.published_at = now
    registrations = session.scalars(
        select(Registration)
        .where(
            Registration.seminar_id == recording.seminar_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .order_by(Registration.id)
    ).all()
    told = 0
    # Each is a registration of this very seminar, so only the audience is left to ask.
    for registration in registrations:
        if in_audience(session, recording.audience, registration):
            queue_for(
                session,
                "recording.published",
                registration,
                note=recording.title,
                recording_id=recording.id,
            )
            told += 1
    record(
        session,
        "recording.published",
        "recording",
        recording.id,
        actor=by,
        details={"audience": recording.audience, "told": told},
    )
    return told


def record_view(
    session: DbSession, recording: Recording, registration: Registration | None, now: datetime
) -> None:
    session.add(
        RecordingView(
            recording_id=recording.id,
            registration_id=registration.id if registration else None,
            opened_at=now,
        )
    )


def seminar_recordings(session: DbSession, seminar: Seminar) -> list[Recording]:
    return list(
        session.scalars(
            select(Recording).where(Recording.seminar_id == seminar.id).order_by(Recording.id)
        )
    )
