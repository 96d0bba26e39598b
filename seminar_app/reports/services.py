"""Fiscal-year figures, aggregated by the database (GROUP BY), never row by row in Python.

A seminar is *held* in a fiscal year when it is published (not cancelled, not a draft),
starts within the year in Tokyo time, and has ended. Its attendees are its head-count
when an organizer recorded one, else its registrations that attended (the rule of
attendance.attended); with neither a head-count nor a registration nobody knows them: the
seminar counts as held and its attendees are None, adding nothing to any total.

Satisfaction as the agency states it is the share of survey answers rating it 4 or 5 among
the answers that rated it.

Each function takes a session and returns a typed result of `results`; the page, the files,
the deck and the API read those and compute nothing of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..attendance.attended import attended_condition, registrations_with_attendance
from ..attendance.models import CheckIn
from ..catalogue.models import Seminar
from ..consultations.desks import desks_in_order
from ..consultations.figures import UNKNOWN, consultation_figures, consultation_years
from ..consultations.models import Desk
from ..database import DbSession
from ..domain import Delivery, HostType, Level, RegistrationStatus, SeminarStatus, Series
from ..elearning.models import RecordingView
from ..registration.models import Registration
from ..surveys.models import Survey, SurveyAnswer
from ..timeutil import fiscal_year_bounds
from .models import TARGET_NAMES, FiscalYearTarget
from .results import (
    AttendanceSplit,
    AttendeeFigures,
    Figure,
    FiscalYearFigures,
    FiscalYearReport,
    RecordingFigures,
    RegistrationFigures,
    SeminarCounts,
    SeminarFigures,
    SeminarRow,
    Share,
    SurveyFigures,
    SurveyNumbers,
    TargetResult,
    YearRow,
)

#: Years shown side by side: the report's year and the four before it.
YEARS_SIDE_BY_SIDE = 5
#: Each breakdown of the desk's figures: the report's year and the two before it.
BREAKDOWN_YEARS = 3
#: The registered attendees' profile, by these columns of their registrations.
PROFILE = ("attribute", "employee_band", "industry", "prefecture")
#: What an agency seminar without a level is counted under.
NO_LEVEL = "none"
#: The ratings (1–5) that count as satisfied.
SATISFIED_FROM = 4


def held_in(fiscal_year: int, now: datetime) -> ColumnElement[bool]:
    """The condition on Seminar of being held in the fiscal year (see the module's rule)."""
    start, end = fiscal_year_bounds(fiscal_year)
    return and_(
        Seminar.status == SeminarStatus.PUBLISHED,
        Seminar.starts_at >= start,
        Seminar.starts_at < end,
        Seminar.ends_at <= now,
    )


def fiscal_year_report(
    session: DbSession, fiscal_year: int, now: datetime, desk: str | None = None
) -> FiscalYearReport:
    """Everything the report of the year shows: its figures, its seminars, the survey
    answers and the years before it. The desk's breakdowns cover the desk with code `desk`
    (UnknownDesk if none has it), else every desk; the headline figures cover every desk."""
    surveys = survey_figures(session, fiscal_year, now)
    figures = fiscal_year_figures(session, fiscal_year, now, surveys)
    return FiscalYearReport(
        figures=figures,
        programme=seminar_rows(session, fiscal_year, now),
        surveys=surveys,
        years=years_side_by_side(session, figures, YEARS_SIDE_BY_SIDE, now),
        consultation_years=consultation_years(session, fiscal_year, desk, years=BREAKDOWN_YEARS),
        desk=desk,
    )


class DeskNames(TypedDict):
    """The desks as the activity deck names them (activity.deck_options' arguments)."""

    #: The chosen desk's Japanese name; None: every desk together.
    desk_name: str | None
    #: The active desks' Japanese names, in their order.
    desk_names: tuple[str, ...]


def report_desks(session: DbSession) -> list[Desk]:
    """Every desk, closed ones too (a past year's figures may be a closed desk's), in order."""
    return desks_in_order(session)


def desk_names(session: DbSession, code: str | None) -> DeskNames:
    """The deck's desk choices: the chosen desk's Japanese name (None: every desk) and the
    names of the active desks, in their order."""
    desks = report_desks(session)
    chosen = next((desk.name_ja for desk in desks if desk.code == code), None)
    return DeskNames(
        desk_name=chosen, desk_names=tuple(desk.name_ja for desk in desks if desk.active)
    )


def fiscal_year_figures(
    session: DbSession, fiscal_year: int, now: datetime, surveys: SurveyFigures | None = None
) -> FiscalYearFigures:
    """The year's headline figures (seminars, attendees, registrations, recordings, desk,
    satisfaction in all, per series and per level); `surveys`: the year's survey figures
    where the caller has them already."""
    seminars, attendees = _seminars_and_attendees(session, fiscal_year, now)
    recordings = _recording_figures(session, fiscal_year)
    consultations = consultation_figures(session, fiscal_year)
    if surveys is None:
        surveys = survey_figures(session, fiscal_year, now)
    satisfaction = surveys.overall.satisfied_share
    results: dict[str, float | int | None] = {
        "consultations": consultations.total,
        "seminars": seminars.total,
        "participants": None if seminars.attendees_unknown else attendees.total,
        "satisfaction": satisfaction,
        "elearning_views": recordings.opened,
    }
    return FiscalYearFigures(
        fiscal_year=fiscal_year,
        seminars=seminars,
        attendees=attendees,
        registrations=_registration_figures(session, fiscal_year, now),
        recordings=recordings,
        consultations=consultations,
        satisfaction=satisfaction,
        satisfaction_by_series={
            series: numbers.satisfied_share for series, numbers in surveys.by_series.items()
        },
        satisfaction_by_level={
            level: numbers.satisfied_share for level, numbers in surveys.by_level.items()
        },
        targets=targets_against_results(session.get(FiscalYearTarget, fiscal_year), results),
    )


def targets_against_results(
    plan: FiscalYearTarget | None, results: Mapping[str, float | int | None]
) -> dict[str, TargetResult]:
    """Each target of the plan (None where unset) with its result and rate; satisfaction's
    target is kept in per cent and compared as a share."""
    answer = {}
    for name in TARGET_NAMES:
        target: float | int | None = getattr(plan, name) if plan is not None else None
        if name == "satisfaction" and target is not None:
            target = target / 100
        result = results[name]
        rate = round(result / target, 4) if target and result is not None else None
        answer[name] = TargetResult(target=target, result=result, rate=rate)
    return answer


def _satisfaction_counts() -> tuple[ColumnElement[int], ColumnElement[int]]:
    """(answers rating satisfaction, answers rating it 4 or 5), as aggregate columns."""
    rating = SurveyAnswer.answers["satisfaction"].as_integer()
    return (
        func.count(rating),
        func.count(case((rating >= SATISFIED_FROM, SurveyAnswer.id))),
    )


def _share(part: int, whole: int) -> Share:
    return round(part / whole, 4) if whole else None


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


def hybrid_attendees(
    session: DbSession, fiscal_year: int, now: datetime
) -> dict[int, AttendanceSplit]:
    """Hybrid seminars held in the year → their registered attendees at the venue and online.

    Counted by how each person attended, not how they said they would: checked in at the
    door is at the venue (also someone who chose online but came), attended otherwise (the
    join link, long enough) is online. A seminar with a head-count has no split."""
    attended = attended_condition()
    rows = session.execute(
        registrations_with_attendance()
        .with_only_columns(
            Registration.seminar_id,
            func.count(case((and_(attended, CheckIn.id.is_not(None)), Registration.id))),
            func.count(case((and_(attended, CheckIn.id.is_(None)), Registration.id))),
        )
        .where(
            held_in(fiscal_year, now),
            Seminar.delivery == Delivery.HYBRID,
            Seminar.head_count.is_(None),
        )
        .group_by(Registration.seminar_id)
    ).all()
    return {
        seminar_id: AttendanceSplit(venue=venue, online=online)
        for seminar_id, venue, online in rows
    }


def _seminars_and_attendees(
    session: DbSession, fiscal_year: int, now: datetime
) -> tuple[SeminarFigures, AttendeeFigures]:
    per_seminar = _attendance_per_seminar(fiscal_year, now)
    # NULL for a seminar with neither a head-count nor registrations: SUM passes it over.
    attendees = func.coalesce(Seminar.head_count, per_seminar.c.attended)
    hosts = {host.value: {"total": 0, "online": 0, "without_head_count": 0} for host in HostType}
    people = {host.value: 0 for host in HostType}
    hybrid = unknown = 0
    for host_type, delivery, count, attended, not_known in session.execute(
        select(
            Seminar.host_type,
            Seminar.delivery,
            func.count(Seminar.id),
            func.sum(attendees),
            func.count(case((attendees.is_(None), Seminar.id))),
        )
        .outerjoin(per_seminar, per_seminar.c.seminar_id == Seminar.id)
        .where(held_in(fiscal_year, now))
        .group_by(Seminar.host_type, Seminar.delivery)
    ):
        unknown += not_known
        hosts[host_type]["without_head_count"] += not_known
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
        without_head_count=unknown,
    )
    splits = hybrid_attendees(session, fiscal_year, now).values()
    return seminars, AttendeeFigures(
        total=sum(people.values()),
        by_host_type=people,
        registered_attendees_by=_attendee_profile(session, fiscal_year, now),
        hybrid=AttendanceSplit(
            venue=sum(split.venue for split in splits),
            online=sum(split.online for split in splits),
        ),
    )


def _agency_seminars_by(
    session: DbSession,
    column: InstrumentedAttribute[Series] | InstrumentedAttribute[Level | None],
    fiscal_year: int,
    now: datetime,
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
    session: DbSession, fiscal_year: int, now: datetime
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


def _registration_figures(
    session: DbSession, fiscal_year: int, now: datetime
) -> RegistrationFigures:
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
        attendance_rate=round(attended / expected, 4) if expected else None,
    )


def _recording_figures(session: DbSession, fiscal_year: int) -> RecordingFigures:
    """Recordings opened in the fiscal year, whichever year their seminar was held in (the
    plan's e-learning views are the year's views)."""
    start, end = fiscal_year_bounds(fiscal_year)
    opened, viewers = session.execute(
        select(
            func.count(RecordingView.id), func.count(func.distinct(RecordingView.registration_id))
        ).where(RecordingView.opened_at >= start, RecordingView.opened_at < end)
    ).one()
    return RecordingFigures(opened=opened, registrants_who_opened=viewers)


def seminar_rows(session: DbSession, fiscal_year: int, now: datetime) -> tuple[SeminarRow, ...]:
    """Every held seminar of the year with its figures, one aggregated query."""
    per_seminar = _attendance_per_seminar(fiscal_year, now)
    confirmed = (
        select(Registration.seminar_id, func.count(Registration.id).label("confirmed"))
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.seminar_id)
        .subquery()
    )
    rated, satisfied = _satisfaction_counts()
    satisfaction = (
        select(
            Survey.seminar_id.label("seminar_id"),
            rated.label("rated"),
            satisfied.label("satisfied"),
        )
        .join(SurveyAnswer, SurveyAnswer.survey_id == Survey.id)
        .group_by(Survey.seminar_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Seminar,
            func.coalesce(confirmed.c.confirmed, 0),
            func.coalesce(Seminar.head_count, per_seminar.c.attended),
            func.coalesce(satisfaction.c.rated, 0),
            func.coalesce(satisfaction.c.satisfied, 0),
        )
        .outerjoin(per_seminar, per_seminar.c.seminar_id == Seminar.id)
        .outerjoin(confirmed, confirmed.c.seminar_id == Seminar.id)
        .outerjoin(satisfaction, satisfaction.c.seminar_id == Seminar.id)
        .where(held_in(fiscal_year, now))
        .order_by(Seminar.starts_at)
    ).all()
    splits = hybrid_attendees(session, fiscal_year, now)
    return tuple(
        SeminarRow(
            seminar_id=seminar.id,
            starts_at=seminar.starts_at,
            title=seminar.title,
            host_type=seminar.host_type,
            delivery=seminar.delivery,
            series=seminar.series,
            level=seminar.level,
            confirmed=seated,
            attendees=came,
            head_counted=seminar.head_count is not None,
            satisfaction=_share(happy, answered),
            split=splits.get(seminar.id),
        )
        for seminar, seated, came, answered, happy in rows
    )


def years_side_by_side(
    session: DbSession, last: FiscalYearFigures, count: int, now: datetime
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
    seminars, attendees = year.seminars.total, _attendees(year)
    consultations = year.consultations.total
    return YearRow(
        fiscal_year=year.fiscal_year,
        seminars=seminars,
        attendees=attendees,
        consultations=consultations,
        consultations_online=year.consultations.online,
        consultations_source=year.consultations.source,
        seminars_change=seminars - before.seminars.total,
        attendees_change=_change(attendees, _attendees(before)),
        consultations_change=_change(consultations, before.consultations.total),
    )


def _attendees(year: FiscalYearFigures) -> Figure:
    """The year's attendees; None where seminars were held and nobody counted any."""
    return None if year.seminars.attendees_unknown else year.attendees.total


def _change(now: Figure, before: Figure) -> Figure:
    return now - before if now is not None and before is not None else None


def survey_figures(session: DbSession, fiscal_year: int, now: datetime) -> SurveyFigures:
    """Answers and average satisfaction and understanding (1–5) of the seminars held in the
    fiscal year, in all and per series and per level ("none" for no level); the database
    averages the JSON values, so a large year costs one query per breakdown."""
    columns = (
        func.count(SurveyAnswer.id),
        _rating_average("satisfaction"),
        _rating_average("understanding"),
        *_satisfaction_counts(),
    )

    def query(
        *leading: InstrumentedAttribute[Series] | InstrumentedAttribute[Level | None],
    ) -> Select[Any]:
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


def _rating_average(key: str) -> ColumnElement[Decimal | float]:
    return func.avg(SurveyAnswer.answers[key].as_integer())


def _survey_numbers(
    answers: int,
    satisfaction: Decimal | float | None,
    understanding: Decimal | float | None,
    rated: int,
    satisfied: int,
) -> SurveyNumbers:
    def average(value: Decimal | float | None) -> float | None:
        return round(float(value), 2) if value is not None else None

    return SurveyNumbers(
        answers=answers,
        satisfaction=average(satisfaction),
        understanding=average(understanding),
        satisfied_share=_share(satisfied, rated),
    )
