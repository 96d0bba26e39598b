"""Who may watch a recording, telling them, and counting who opened it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..catalogue.models import Seminar
from ..domain import RegistrationStatus
from ..materials.services import Access, access, in_audience
from ..registration.models import Registration
from ..registration.services import queue_for
from .models import Recording, RecordingView


def available(recording: Recording, now: datetime) -> bool:
    if recording.published_at is None:
        return False
    if recording.available_from is not None and now < recording.available_from:
        return False
    return recording.available_until is None or now < recording.available_until


def recording_access(
    session: Session, recording: Recording, registration: Registration | None, now: datetime
) -> Access:
    seminar = session.get(Seminar, recording.seminar_id)
    return access(
        session, seminar, recording.audience, registration, available=available(recording, now)
    )


def may_watch(
    session: Session, recording: Recording, registration: Registration | None, now: datetime
) -> bool:
    return recording_access(session, recording, registration, now) is Access.OPEN


def recordings_for(session: Session, registration: Registration, now: datetime):
    rows = session.scalars(
        select(Recording)
        .where(Recording.seminar_id == registration.seminar_id)
        .order_by(Recording.id)
    )
    return [row for row in rows if may_watch(session, row, registration, now)]


def publish(session: Session, recording: Recording, *, by, now: datetime) -> int:
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
    session: Session, recording: Recording, registration: Registration | None, now: datetime
) -> None:
    session.add(
        RecordingView(
            recording_id=recording.id,
            registration_id=registration.id if registration else None,
            opened_at=now,
        )
    )


def seminar_recordings(session: Session, seminar: Seminar) -> list[Recording]:
    return list(
        session.scalars(
            select(Recording).where(Recording.seminar_id == seminar.id).order_by(Recording.id)
        )
    )
