"""What is on today: the staff home's answer for organizers, from a few aggregated queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import case, func, select

from ..attendance.models import CheckIn
from ..catalogue.models import Seminar
from ..database import DbSession
from ..domain import RegistrationStatus, SeminarStatus
from ..notifications.models import OutboxMessage
from ..notifications.services import undelivered
from ..registration.models import Registration
from ..timeutil import jst_datetime, to_jst

#: How far ahead the home looks: today and the next seven days.
DAYS_AHEAD = 7


@dataclass(frozen=True)
class SeminarDay:
    seminar: Seminar
    confirmed: int
    waitlisted: int
    checked_in: int


@dataclass
class WeekAhead:
    seminars: list[SeminarDay] = field(default_factory=list)
    #: Registrations made since yesterday began (Japan time), cancelled ones included.
    registrations_since_yesterday: int = 0
    undelivered: list[OutboxMessage] = field(default_factory=list)


def week_ahead(session: DbSession, now: datetime) -> WeekAhead:
    """Today's and the next seven days' published seminars with their counts, the new
    registrations since yesterday, and the mails given up on lately."""
    today = to_jst(now).date()
    start = jst_datetime(today, time(0, 0))
    end = jst_datetime(today + timedelta(days=DAYS_AHEAD + 1), time(0, 0))
    status = Registration.status
    counts = (
        select(
            Registration.seminar_id.label("seminar_id"),
            func.count(case((status == RegistrationStatus.CONFIRMED, 1))).label("confirmed"),
            func.count(case((status == RegistrationStatus.WAITLISTED, 1))).label("waitlisted"),
            func.count(CheckIn.id).label("checked_in"),
        )
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .group_by(Registration.seminar_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Seminar,
            func.coalesce(counts.c.confirmed, 0),
            func.coalesce(counts.c.waitlisted, 0),
            func.coalesce(counts.c.checked_in, 0),
        )
        .outerjoin(counts, counts.c.seminar_id == Seminar.id)
        .where(
            Seminar.status == SeminarStatus.PUBLISHED,
            Seminar.ends_at > start,
            Seminar.starts_at < end,
        )
        .order_by(Seminar.starts_at)
    ).all()
    since_yesterday = session.scalar(
        select(func.count(Registration.id)).where(
            Registration.created_at >= start - timedelta(days=1)
        )
    )
    return WeekAhead(
        seminars=[SeminarDay(*row) for row in rows],
        registrations_since_yesterday=since_yesterday or 0,
        undelivered=undelivered(session, now, limit=20),
    )
