"""Fiscal-year figures, aggregated by the database (GROUP BY), never row by row in Python.

A seminar is *held* in a fiscal year when it is published (not cancelled, not a draft),
starts within the year in Tokyo time, and has ended. Its attendees are its head-count
when an organizer recorded one, else its registrations that attended (the rule of
attendance.attended).

Each function takes a session and returns a typed result of `results`; the page, the files,
the deck and the API read those and compute nothing of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, func, select
from sqlalchemy.orm import Session

from ..attendance.attended import attended_condition, registrations_with_attendance
from ..catalogue.models import Seminar
from ..consultations.figures import UNKNOWN, consultation_figures
from ..domain import Delivery, HostType, RegistrationStatus, SeminarStatus
from ..elearning.models import Recording, RecordingView
from ..registration.models import Registration
from ..surveys.models import Survey, SurveyAnswer
from ..timeutil import fiscal_year_bounds
from .results import (
    AttendeeFigures,
    FiscalYearFigures,
    FiscalYearReport,
    RecordingFigures,
    RegistrationFigures,
    SeminarCounts,
    SeminarFigures,
    SeminarRow,
    SurveyFigures,
    SurveyNumbers,
    YearRow,
)

#: Years shown side by side: the report's year and the four before it.
YEARS_SIDE_BY_SIDE = 5
#: The registered attendees' profile, by these columns of their registrations.
PROFILE = ("attribute", "employee_band", "industry", "prefecture")
#: What an agency seminar without a level is counted under.
NO_LEVEL = "none"


def held_in(fiscal_year: int, now: datetime) -> ColumnElement[bool]:
    """The condition on Seminar of being held in the fiscal year (see the module's rule)."""
    start, end = fiscal_year_bounds(fiscal_year)
    return and_(
        Seminar.status == SeminarStatus.PUBLISHED,
        Seminar.starts_at >= start,
        Seminar.starts_at < end,
        Seminar.ends_at <= now,
    )


def fiscal_year_report(session: Session, fiscal_year: int, now: datetime) -> FiscalYearReport:
    """Everything the report of the year shows: its figures, its seminars, the survey
    answers and the years before it."""
    figures = fiscal_year_figures(session, fiscal_year, now)
    return FiscalYearReport(
        figures=figures,
        programme=seminar_rows(session, fiscal_year, now),
        surveys=survey_figures(session, fiscal_year, now),
        years=years_side_by_side(session, figures, YEARS_SIDE_BY_SIDE, now),
    )


def fiscal_year_figures(session: Session, fiscal_year: int, now: datetime) -> FiscalYearFigures:
    """The year's headline figures (seminars, attendees, registrations, recordings, desk)."""
    seminars, attendees = _seminars_and_attendees(session, fiscal_year, now)
    return FiscalYearFigures(
        fiscal_year=fiscal_year,
        seminars=seminars,
        attendees=attendees,
        registrations=_registration_figures(session, fiscal_year, now),
        recordings=_recording_figures(session, fiscal_year, now),
        consultations=consultation_figures(session, fiscal_year),
    )


def _attendance_per_seminar(fiscal_year: int, now: datetime) -> Subquery:
    """seminar_id → attended registrations, as a subquery (a plain count: no DISTINCT)."""
    attended = func.count(case((attended_condition(), Registration.id)))
    return (
        registrations_with_attendance()
        .with_only_columns(Registration.seminar_id.label("seminar_id"), attended.label("attended"))
        .where(held_in(fiscal_year, now))
        .group_by(Registration.seminar_id)
        .subquery()
    )


def _seminars_and_attendees(
    session: Session, fiscal_year: int, now: datetime
) -> tuple[SeminarFigures, AttendeeFigures]:
    per_seminar = _attendance_per_seminar(fiscal_year, now)
    attendees = func.coalesce(Seminar.head_count, per_seminar.c.attended, 0)
    hosts = {host.value: {"total": 0, "online": 0} for host in HostType}
    people = {host.value: 0 for host in HostType}
    hybrid = 0
    for host_type, delivery, count, attended in session.execute(
        select(Seminar.host_type, Seminar.delivery, func.count(Seminar.id), func.sum(attendees))
        .outerjoin(per_seminar, per_seminar.c.seminar_id == Seminar.id)
        .where(held_in(fiscal_year, now))
        .group_by(Seminar.host_type, Seminar.delivery)
    ):
        hosts[host_type]["total"] += count
        if delivery == Delivery.ONLINE:
            hosts[host_type]["online"] += count
        elif delivery == Delivery.HYBRID:
            hybrid += count
        people[host_type] += int(attended or 0)
    seminars = SeminarFigures(
        total=sum(bucket["total"] for bucket in hosts.values()),
        online=sum(bucket["online"] for bucket in hosts.values()),
        hybrid=hybrid,
        by_host_type={host: SeminarCounts(**bucket) for host, bucket in hosts.items()},
        by_series=_agency_seminars_by(session, Seminar.series, fiscal_year, now),
        by_level=_agency_seminars_by(session, Seminar.level, fiscal_year, now),
    )
    return seminars, AttendeeFigures(
        total=sum(people.values()),
        by_host_type=people,
        registered_attendees_by=_attendee_profile(session, fiscal_year, now),
    )


def _agency_seminars_by(
    session: Session, column: Any, fiscal_year: int, now: datetime
) -> dict[str, SeminarCounts]:
    online = case((Seminar.delivery == Delivery.ONLINE, Seminar.id))
    return {
        (value or NO_LEVEL): SeminarCounts(total=count, online=count_online)
        for value, count, count_online in session.execute(
            select(column, func.count(Seminar.id), func.count(online))
            .where(held_in(fiscal_year, now), Seminar.host_type == HostType.AGENCY)
            .group_by(column)
        )
    }


def _attendee_profile(
    session: Session, fiscal_year: int, now: datetime
) -> dict[str, Mapping[str, int]]:
    profile: dict[str, Mapping[str, int]] = {}
    for name in PROFILE:
        column = getattr(Registration, name)
        profile[name] = {
            (value or UNKNOWN): count
            for value, count in session.execute(
                registrations_with_attendance()
                .with_only_columns(column, func.count(Registration.id))
                .where(held_in(fiscal_year, now), attended_condition())
                .group_by(column)
            )
        }
    return profile


def _registration_figures(session: Session, fiscal_year: int, now: datetime) -> RegistrationFigures:
    status_counts: dict[str, int] = {
        status: count
        for status, count in session.execute(
            select(Registration.status, func.count(Registration.id))
            .join(Seminar, Seminar.id == Registration.seminar_id)
            .where(held_in(fiscal_year, now))
            .group_by(Registration.status)
        )
    }
    # Attendance is counted only where no head-count stands in for the registrations.
    attended = (
        session.scalar(
            registrations_with_attendance()
            .with_only_columns(func.count(Registration.id))
            .where(held_in(fiscal_year, now), Seminar.head_count.is_(None), attended_condition())
        )
        or 0
    )
    expected = (
        session.scalar(
            select(func.count(Registration.id))
            .join(Seminar, Seminar.id == Registration.seminar_id)
            .where(
                held_in(fiscal_year, now),
                Seminar.head_count.is_(None),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        or 0
    )
    return RegistrationFigures(
        total=sum(status_counts.values()),
        confirmed=status_counts.get(RegistrationStatus.CONFIRMED, 0),
        waitlisted=status_counts.get(RegistrationStatus.WAITLISTED, 0),
        cancelled=status_counts.get(RegistrationStatus.CANCELLED, 0),
        attended=attended,
        no_shows=expected - attended,
        attendance_rate=round(attended / expected, 4) if expected else 0.0,
    )


def _recording_figures(session: Session, fiscal_year: int, now: datetime) -> RecordingFigures:
    opened, viewers = session.execute(
        select(
            func.count(RecordingView.id), func.count(func.distinct(RecordingView.registration_id))
        )
        .join(Recording, Recording.id == RecordingView.recording_id)
        .join(Seminar, Seminar.id == Recording.seminar_id)
        .where(held_in(fiscal_year, now))
    ).one()
    return RecordingFigures(opened=opened, registrants_who_opened=viewers)


def seminar_rows(session: Session, fiscal_year: int, now: datetime) -> tuple[SeminarRow, ...]:
    """Every held seminar of the year with its figures, one aggregated query."""
    per_seminar = _attendance_per_seminar(fiscal_year, now)
    confirmed = (
        select(Registration.seminar_id, func.count(Registration.id).label("confirmed"))
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.seminar_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Seminar,
            func.coalesce(confirmed.c.confirmed, 0),
            func.coalesce(Seminar.head_count, per_seminar.c.attended, 0),
        )
        .outerjoin(per_seminar, per_seminar.c.seminar_id == Seminar.id)
        .outerjoin(confirmed, confirmed.c.seminar_id == Seminar.id)
        .where(held_in(fiscal_year, now))
        .order_by(Seminar.starts_at)
    ).all()
    return tuple(
        SeminarRow(
            seminar_id=seminar.id,
            starts_at=seminar.starts_at,
            title=seminar.title,
            host_type=seminar.host_type,
            delivery=seminar.delivery,
            level=seminar.level,
            confirmed=seated,
            attendees=came,
            head_counted=seminar.head_count is not None,
        )
        for seminar, seated, came in rows
    )


def years_side_by_side(
    session: Session, last: FiscalYearFigures, count: int, now: datetime
) -> tuple[YearRow, ...]:
    """The `count` fiscal years up to `last`'s, oldest first, each with its change from the
    year before."""
    first = last.fiscal_year - count + 1
    # One year more than shown: the first shown year's change is from the year before it.
    figures = [
        fiscal_year_figures(session, year, now) for year in range(first - 1, last.fiscal_year)
    ]
    figures.append(last)
    return tuple(_year_row(year, before) for before, year in pairwise(figures))


def _year_row(year: FiscalYearFigures, before: FiscalYearFigures) -> YearRow:
    seminars, attendees = year.seminars.total, year.attendees.total
    consultations = year.consultations.total
    return YearRow(
        fiscal_year=year.fiscal_year,
        seminars=seminars,
        attendees=attendees,
        consultations=consultations,
        consultations_online=year.consultations.online,
        seminars_change=seminars - before.seminars.total,
        attendees_change=attendees - before.attendees.total,
        consultations_change=consultations - before.consultations.total,
    )


def survey_figures(session: Session, fiscal_year: int, now: datetime) -> SurveyFigures:
    """Answers and average satisfaction and understanding (1–5) of the seminars held in the
    fiscal year, in all and per series and per level ("none" for no level); the database
    averages the JSON values, so a large year costs one query per breakdown."""
    columns = (
        func.count(SurveyAnswer.id),
        _rating_average("satisfaction"),
        _rating_average("understanding"),
    )

    def query(*leading: Any) -> Any:
        return (
            select(*leading, *columns)
            .select_from(SurveyAnswer)
            .join(Survey, Survey.id == SurveyAnswer.survey_id)
            .join(Seminar, Seminar.id == Survey.seminar_id)
            .where(held_in(fiscal_year, now))
        )

    by_column = {
        name: {
            (value or NO_LEVEL): _survey_numbers(*numbers)
            for value, *numbers in session.execute(query(column).group_by(column))
        }
        for name, column in (("series", Seminar.series), ("level", Seminar.level))
    }
    return SurveyFigures(
        overall=_survey_numbers(*session.execute(query()).one()),
        by_series=by_column["series"],
        by_level=by_column["level"],
    )


def _rating_average(key: str) -> Any:
    return func.avg(SurveyAnswer.answers[key].as_integer())


def _survey_numbers(answers: int, satisfaction: Any, understanding: Any) -> SurveyNumbers:
    def average(value: Any) -> float | None:
        return round(float(value), 2) if value is not None else None

    return SurveyNumbers(
        answers=answers, satisfaction=average(satisfaction), understanding=average(understanding)
    )
