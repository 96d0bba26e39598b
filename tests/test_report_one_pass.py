"""The fiscal-year report counts the year's registrations in one grouped query (GROUPING SETS on
PostgreSQL, the same groupings joined by UNION ALL on SQLite): its counts agree with the rule
of attendance judged one registration at a time, and it reads the registrations once."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from seminar_app.attendance import services as attendance
from seminar_app.attendance.attended import attended
from seminar_app.attendance.models import CheckIn, OnlineAttendance
from seminar_app.attendance.online import record_join
from seminar_app.domain import (
    AttendanceMode,
    CheckInMethod,
    Delivery,
    HostType,
    SeminarStatus,
)
from seminar_app.registration import services as registrations
from seminar_app.registration.models import Registration
from seminar_app.reports.held import PROFILE, held_registrations
from seminar_app.reports.services import YEARS_SIDE_BY_SIDE, fiscal_year_figures, fiscal_year_report
from seminar_app.timeutil import fiscal_year_of
from tests.registration_helpers import register

STARTS = datetime(2025, 6, 10, 4, 0, tzinfo=UTC)
NOW = STARTS + timedelta(days=30)
FY = fiscal_year_of(STARTS)
BEFORE = STARTS - timedelta(days=3)

#: Profiles of the registrations, a different one each, some with values left unknown.
PROFILES = [
    {"attribute": "sme", "employee_band": "1-5", "industry": "E", "prefecture": "13"},
    {"attribute": "large-company", "employee_band": "1001+", "industry": "G", "prefecture": "27"},
    {"attribute": "individual", "employee_band": "", "industry": "", "prefecture": "01"},
    {"attribute": "university", "employee_band": "", "industry": "O", "prefecture": "13"},
]


def profile(number: int) -> dict[str, str]:
    return PROFILES[number % len(PROFILES)]


def admit(session, registration, seminar) -> None:
    attendance.admit(
        session,
        registration,
        seminar.id,
        by=None,
        method=CheckInMethod.SEARCH,
        desk="A",
        now=STARTS,
    )


def online(session, registration, minutes) -> None:
    session.add(OnlineAttendance(registration_id=registration.id, minutes=minutes))


def year_of_every_kind(session, make_seminar):
    """An online seminar with every way of attending or not, a hybrid one, one with a
    head-count, an in-company one nobody counted, and a cancelled one."""
    online_seminar = make_seminar(starts_at=STARTS, min_online_minutes=30, capacity=7)
    people = [register(session, online_seminar, now=BEFORE, **profile(n)) for n in range(9)]
    # Seven confirmed, two waitlisted, of whom one cancels.
    registrations.cancel(session, people[8].id, BEFORE, by_participant=True)
    admit(session, people[0], online_seminar)
    online(session, people[1], 10)
    online(session, people[2], 45)
    record_join(session, people[3], STARTS)
    admit(session, people[5], online_seminar)
    online(session, people[5], 5)
    online(session, people[7], 60)  # waitlisted: joined, but never had a seat

    hybrid = make_seminar(
        starts_at=STARTS + timedelta(days=1),
        delivery=Delivery.HYBRID,
        venue="INPIT 会議室",
        level=None,
    )
    at_door, joined, came = (
        register(session, hybrid, now=BEFORE, attendance_mode=mode, **profile(n))
        for n, mode in enumerate(
            (AttendanceMode.VENUE, AttendanceMode.ONLINE, AttendanceMode.ONLINE)
        )
    )
    admit(session, at_door, hybrid)
    online(session, joined, 40)
    admit(session, came, hybrid)

    counted = make_seminar(starts_at=STARTS + timedelta(days=2), head_count=25)
    admit(session, register(session, counted, now=BEFORE, **profile(1)), counted)
    make_seminar(starts_at=STARTS + timedelta(days=3), host_type=HostType.IN_COMPANY)
    cancelled = make_seminar(starts_at=STARTS + timedelta(days=4))
    admit(session, register(session, cancelled, now=BEFORE, **profile(2)), cancelled)
    cancelled.status = SeminarStatus.CANCELLED
    session.commit()


def test_the_years_registrations_are_counted_as_the_rule_judges_each_one(db_session, make_seminar):
    year_of_every_kind(db_session, make_seminar)
    held = held_registrations(db_session, FY, NOW)

    checked_in = set(db_session.scalars(select(CheckIn.registration_id)))
    expected: dict[int, dict] = {}
    profiles: dict[str, Counter] = {name: Counter() for name in PROFILE}
    for registration in db_session.scalars(select(Registration)):
        if registration.seminar.status != SeminarStatus.PUBLISHED:
            continue
        counts = expected.setdefault(
            registration.seminar_id, {"by_status": Counter(), "attended": 0, "checked_in": 0}
        )
        counts["by_status"][registration.status] += 1
        if attended(db_session, registration):
            counts["attended"] += 1
            counts["checked_in"] += registration.id in checked_in
            for name in PROFILE:
                profiles[name][getattr(registration, name) or "unknown"] += 1

    assert {
        seminar_id: {
            "by_status": Counter(counts.by_status),
            "attended": counts.attended,
            "checked_in": counts.checked_in,
        }
        for seminar_id, counts in held.per_seminar.items()
    } == expected
    assert {name: Counter(counts) for name, counts in held.profile.items()} == profiles
    assert profiles["industry"]["unknown"] > 0  # an unknown value is counted as "unknown"

    figures = fiscal_year_figures(db_session, FY, NOW)
    # The online seminar: checked in, 45 minutes, a join click, checked in (and 5 minutes).
    assert figures.registrations.attended == 4 + 3
    assert figures.registrations.waitlisted == 1
    assert figures.registrations.cancelled == 1
    assert figures.attendees.total == 4 + 3 + 25
    assert figures.attendees.hybrid.venue == 2
    assert figures.attendees.hybrid.online == 1
    assert figures.seminars.total == 4
    assert figures.seminars.without_head_count == 1


def registration_reads(session, work) -> int:
    """How many statements `work` sends that read the registrations table."""
    reads = []

    def seen(_connection, _cursor, statement, *_args):
        if re.search(r"\bregistrations\b", statement):
            reads.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        work()
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    return len(reads)


def test_the_figures_read_the_registrations_once_and_the_report_once_more_for_earlier_years(
    db_session, make_seminar
):
    year_of_every_kind(db_session, make_seminar)
    figures = registration_reads(db_session, lambda: fiscal_year_figures(db_session, FY, NOW))
    assert figures == 1
    # The year's figures and its seminars share one read; the years before it (however
    # many the report shows, YEARS_SIDE_BY_SIDE) are read together.
    assert YEARS_SIDE_BY_SIDE > 2
    report = registration_reads(db_session, lambda: fiscal_year_report(db_session, FY, NOW))
    assert report == 2
