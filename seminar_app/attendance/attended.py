"""Who attended a seminar: the one definition, in Python and in SQL, side by side.

A confirmed registration attended when it was checked in at the door (an undone check-in
is deleted, so it no longer counts), or when the person joined online through their
personal link and, once the platform's attendee report has been imported, stayed at least
the seminar's minimum minutes. A join click without a report counts until a report says
otherwise. A head-count recorded by an organizer is a figure of the seminar, not of anyone's
registration, so it makes nobody an attendee.

Materials, recordings (and their audience of absentees), surveys, certificates,
announcements, the client history and the reports all ask here; the test
tests/test_attended.py holds every feature to the same answer for each edge case.
"""

from __future__ import annotations

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from ..catalogue.models import Seminar
from ..database import DbSession
from ..domain import RegistrationStatus
from ..registration.models import Registration
from .models import CheckIn, OnlineAttendance


def online_long_enough(minutes: int | None, minimum: int) -> bool:
    """Joined online: until the platform's report is imported, the join counts."""
    return minutes is None or minutes >= minimum


def has_attended(
    registration: Registration,
    check_in: CheckIn | None,
    online: OnlineAttendance | None,
    minimum: int,
) -> bool:
    """The rule in Python, for rows already loaded (see attended_condition for SQL)."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return False
    return check_in is not None or (
        online is not None and online_long_enough(online.minutes, minimum)
    )


def attended_condition() -> ColumnElement[bool]:
    """The rule in SQL, over the joins of registrations_with_attendance (as has_attended)."""
    online_enough = and_(
        OnlineAttendance.id.is_not(None),
        or_(
            OnlineAttendance.minutes.is_(None),
            OnlineAttendance.minutes >= Seminar.min_online_minutes,
        ),
    )
    return and_(
        Registration.status == RegistrationStatus.CONFIRMED,
        or_(CheckIn.id.is_not(None), online_enough),
    )


def registrations_with_attendance() -> Select:
    """Registrations joined to their seminar, check-in and online attendance.

    A registration has at most one check-in and one online attendance (unique keys), so
    the joins never repeat it and a plain count over them is exact.
    """
    return (
        select(Registration)
        .join(Seminar, Seminar.id == Registration.seminar_id)
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .outerjoin(OnlineAttendance, OnlineAttendance.registration_id == Registration.id)
    )


def attended(session: DbSession, registration: Registration) -> bool:
    """Whether this one registration attended its seminar."""
    check_in, online, minimum = session.execute(
        registrations_with_attendance()
        .with_only_columns(CheckIn, OnlineAttendance, Seminar.min_online_minutes)
        .where(Registration.id == registration.id)
    ).one()
    return has_attended(registration, check_in, online, minimum)
