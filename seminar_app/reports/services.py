"""Fiscal-year figures: registrations and answers aggregated by the database (GROUP BY),
never row by row in Python.

A seminar is *held* in a fiscal year when it is published (not cancelled, not a draft),
starts within the year in Tokyo time, and has ended (held.held_in). Its attendees are its
head-count when an organizer recorded one, else its registrations that attended (the rule
of attendance.attended); with neither a head-count nor a registration nobody knows them:
the seminar counts as held and its attendees are None, adding nothing to any total.

The year's registrations are counted in one grouped query (held.held_registrations), per
seminar and per profile value; the figures of seminars, attendees and registrations add up
its rows for the year's few hundred seminars, and the report's table of seminars reads the
same rows.

Satisfaction as the agency states it is the share of survey answers rating it 4 or 5 among
the answers that rated it.

Each function takes a session and returns a typed result of `results`; the page, the files,
the deck and the API read those and compute nothing of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import pairwise
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, Row, Select, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..catalogue.models import Seminar
from ..consultations.desks import desks_in_order
from ..consultations.figures import ConsultationFigures, consultation_figures, consultation_years
from ..consultations.models import Desk
from ..database import DbSession
from ..dispatch.figures import dispatch_figures
from ..domain import Delivery, HostType, Level, RegistrationStatus, Series, Vocabulary
from ..elearning.models import RecordingView
from ..surveys.models import Survey, SurveyAnswer
from ..timeutil import fiscal_year_bounds
from .held import (
    HeldRegistrations,
    SeminarRegistrations,
    YearAttendees,
    attendees_of,
    attendees_per_year,
    held_in,
    held_registrations,
)
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
#: What an agency seminar without a level is counted under.
NO_LEVEL = "none"
#: The ratings (1–5) that count as satisfied.
SATISFIED_FROM = 4


def fiscal_year_report(
    session: DbSession, fiscal_year: int, now: datetime, desk: str | None = None
) -> FiscalYearReport:
    """Everything the report of the year shows: its figures, its seminars, the survey
    answers and the years before it. The desk's breakdowns cover the desk with code `desk`
    (UnknownDesk if none has it), else every desk; the headline figures cover every desk."""
    surveys = survey_figures(session, fiscal_year, now)
    registrations = held_registrations(session, fiscal_year, now)
    figures = fiscal_year_figures(session, fiscal_year, now, surveys, registrations)
    return FiscalYearReport(
        figures=figures,
        programme=seminar_rows(session, fiscal_year, now, registrations),
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
    session: DbSession,
    fiscal_year: int,
    now: datetime,
    surveys: SurveyFigures | None = None,
    registrations: HeldRegistrations | None = None,
) -> FiscalYearFigures:
    """The year's headline figures (seminars, attendees, registrations, recordings, desk,
    lecturer dispatch, satisfaction in all, per series and per level); `surveys` and
    `registrations`: the year's survey figures and registrations where the caller has them
    already."""
    held = _held_seminars(session, fiscal_year, now)
    if registrations is None:
        registrations = held_registrations(session, fiscal_year, now)
    seminars, attendees = _seminars_and_attendees(held, registrations)
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
        registrations=_registration_figures(held, registrations),
        recordings=recordings,
        consultations=consultations,
        dispatch=dispatch_figures(session, fiscal_year),
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


def _held_seminars(session: DbSession, fiscal_year: int, now: datetime) -> Sequence[Row[Any]]:
    """The seminars held in the year: what their figures are counted by (no ORM objects)."""
    return session.execute(
        select(
            Seminar.id,
            Seminar.host_type,
            Seminar.delivery,
            Seminar.series,
            Seminar.level,
            Seminar.head_count,
        ).where(held_in(fiscal_year, now))
    ).all()


def _attendees_of(head_count: int | None, registrations: SeminarRegistrations | None) -> Figure:
    return attendees_of(head_count, registrations.attended if registrations is not None else None)


def _split_of(
    delivery: str, head_count: int | None, registrations: SeminarRegistrations | None
) -> AttendanceSplit | None:
    """A hybrid seminar's registered attendees by how they attended: checked in at the door
    is at the venue (also someone who chose online but came), attended otherwise is online.
    A seminar with a head-count, or without registrations, has no split."""
    if delivery != Delivery.HYBRID or head_count is not None or registrations is None:
        return None
    return AttendanceSplit(venue=registrations.checked_in, online=registrations.online)


def _seminars_and_attendees(
    held: Sequence[Row[Any]], registrations: HeldRegistrations
) -> tuple[SeminarFigures, AttendeeFigures]:
    hosts = {host.value: {"total": 0, "online": 0, "without_head_count": 0} for host in HostType}
    people = {host.value: 0 for host in HostType}
    venue = online = 0
    for seminar in held:
        counted = registrations.per_seminar.get(seminar.id)
        attendees = _attendees_of(seminar.head_count, counted)
        bucket = hosts[seminar.host_type]
        bucket["total"] += 1
        bucket["online"] += seminar.delivery == Delivery.ONLINE
        bucket["without_head_count"] += attendees is None
        people[seminar.host_type] += attendees or 0
        split = _split_of(seminar.delivery, seminar.head_count, counted)
        if split is not None:
            venue += split.venue
            online += split.online
    agency = [seminar for seminar in held if seminar.host_type == HostType.AGENCY]
    seminars = SeminarFigures(
        total=len(held),
        online=sum(bucket["online"] for bucket in hosts.values()),
        hybrid=sum(seminar.delivery == Delivery.HYBRID for seminar in held),
        by_host_type={host: SeminarCounts(**bucket) for host, bucket in hosts.items()},
        by_series=_seminars_by(((s.series, s.delivery) for s in agency), Series),
        by_level=_seminars_by(((s.level or NO_LEVEL, s.delivery) for s in agency), Level),
        without_head_count=sum(bucket["without_head_count"] for bucket in hosts.values()),
    )
    return seminars, AttendeeFigures(
        total=sum(people.values()),
        by_host_type=people,
        registered_attendees_by=registrations.profile,
        hybrid=AttendanceSplit(venue=venue, online=online),
    )


def _seminars_by(
    values: Iterable[tuple[str, str]], vocabulary: type[Vocabulary]
) -> dict[str, SeminarCounts]:
    """Seminars (value, delivery) counted per value, in the vocabulary's order ("none" last)."""
    counts: dict[str, list[int]] = {}
    for value, delivery in values:
        bucket = counts.setdefault(value, [0, 0])
        bucket[0] += 1
        bucket[1] += delivery == Delivery.ONLINE
    order = [member.value for member in vocabulary]
    return {
        value: SeminarCounts(total=total, online=count_online)
        for value, (total, count_online) in sorted(
            counts.items(),
            key=lambda item: order.index(item[0]) if item[0] in order else len(order),
        )
    }


def _registration_figures(
    held: Sequence[Row[Any]], registrations: HeldRegistrations
) -> RegistrationFigures:
    """Registrations by status; attendance is counted only where no head-count stands in
    for the registrations."""
    status_counts: dict[str, int] = {}
    attended = expected = 0
    for seminar in held:
        counted = registrations.per_seminar.get(seminar.id)
        if counted is None:
            continue
        for status, count in counted.by_status.items():
            status_counts[status] = status_counts.get(status, 0) + count
        if seminar.head_count is None:
            attended += counted.attended
            expected += counted.confirmed
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


def seminar_rows(
    session: DbSession,
    fiscal_year: int,
    now: datetime,
    registrations: HeldRegistrations | None = None,
) -> tuple[SeminarRow, ...]:
    """Every held seminar of the year with its figures; `registrations`: the year's
    registrations where the caller has them already."""
    if registrations is None:
        registrations = held_registrations(session, fiscal_year, now)
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
            Seminar.id,
            Seminar.starts_at,
            Seminar.title,
            Seminar.host_type,
            Seminar.delivery,
            Seminar.series,
            Seminar.level,
            Seminar.head_count,
            func.coalesce(satisfaction.c.rated, 0).label("rated"),
            func.coalesce(satisfaction.c.satisfied, 0).label("satisfied"),
        )
        .outerjoin(satisfaction, satisfaction.c.seminar_id == Seminar.id)
        .where(held_in(fiscal_year, now))
        .order_by(Seminar.starts_at)
    ).all()
    return tuple(_seminar_row(row, registrations.per_seminar.get(row.id)) for row in rows)


def _seminar_row(seminar: Row[Any], registrations: SeminarRegistrations | None) -> SeminarRow:
    return SeminarRow(
        seminar_id=seminar.id,
        starts_at=seminar.starts_at,
        title=seminar.title,
        host_type=seminar.host_type,
        delivery=seminar.delivery,
        series=seminar.series,
        level=seminar.level,
        confirmed=registrations.confirmed if registrations is not None else 0,
        attendees=_attendees_of(seminar.head_count, registrations),
        head_counted=seminar.head_count is not None,
        satisfaction=_share(seminar.satisfied, seminar.rated),
        split=_split_of(seminar.delivery, seminar.head_count, registrations),
    )


def years_side_by_side(
    session: DbSession, last: FiscalYearFigures, count: int, now: datetime
) -> tuple[YearRow, ...]:
    """The `count` fiscal years up to `last`'s, oldest first, each with its change from the
    year before."""
    first = last.fiscal_year - count + 1
    # One year more than shown: the first shown year's change is from the year before it.
    earlier = attendees_per_year(session, first - 1, last.fiscal_year - 1, now)
    years = [
        (year, seminars, consultation_figures(session, year))
        for year, seminars in sorted(earlier.items())
    ]
    years.append((last.fiscal_year, _year_attendees(last), last.consultations))
    return tuple(_year_row(*year, before) for before, year in pairwise(years))


_Year = tuple[int, YearAttendees, ConsultationFigures]


def _year_attendees(figures: FiscalYearFigures) -> YearAttendees:
    """The year's seminars and attendees; None where seminars were held and nobody counted
    any."""
    seminars = figures.seminars
    return YearAttendees(
        seminars=seminars.total,
        attendees=None if seminars.attendees_unknown else figures.attendees.total,
    )


def _year_row(
    fiscal_year: int,
    seminars: YearAttendees,
    consultations: ConsultationFigures,
    before: _Year,
) -> YearRow:
    _year, seminars_before, consultations_before = before
    return YearRow(
        fiscal_year=fiscal_year,
        seminars=seminars.seminars,
        attendees=seminars.attendees,
        consultations=consultations.total,
        consultations_online=consultations.online,
        consultations_source=consultations.source,
        seminars_change=seminars.seminars - seminars_before.seminars,
        attendees_change=_change(seminars.attendees, seminars_before.attendees),
        consultations_change=_change(consultations.total, consultations_before.total),
    )


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
