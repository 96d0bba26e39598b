"""The seminars held in a fiscal year and their registrations, counted in one pass.

A seminar is *held* in a fiscal year when it is published (not cancelled, not a draft),
starts within the year in Tokyo time, and has ended.

Every figure of the report that rests on registrations (status counts, who attended, the
hybrid seminars' venue and online split, the attendees' profile) comes from one grouped
query over the year's registrations joined once to their check-ins and online attendances:
on PostgreSQL its groupings are GROUPING SETS of one scan, on SQLite (which has none) the
same groupings joined by UNION ALL. The answer has a row per seminar, status and way of
attending, and a row per value of each profile column; the few hundred seminars of a year
are then added up in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    func,
    literal,
    null,
    select,
    tuple_,
)
from sqlalchemy import type_coerce as coerce_type
from sqlalchemy.engine import Row

from ..attendance.attended import attended_condition, registrations_with_attendance
from ..attendance.models import CheckIn
from ..catalogue.models import Seminar
from ..consultations.figures import UNKNOWN
from ..database import DbSession
from ..domain import RegistrationStatus, SeminarStatus
from ..registration.models import Registration
from ..timeutil import fiscal_year_bounds, fiscal_year_of

#: The registered attendees' profile, by these columns of their registrations.
PROFILE = ("attribute", "employee_band", "industry", "prefecture")
#: The columns a row of the grouped query tells which grouping it belongs to by.
_KEYS = ("seminar_id", *PROFILE)


def held_in(fiscal_year: int, now: datetime, last: int | None = None) -> ColumnElement[bool]:
    """The condition on Seminar of being held in the fiscal year (see the module's rule), or
    in any of the years from it to `last`."""
    start = fiscal_year_bounds(fiscal_year)[0]
    end = fiscal_year_bounds(fiscal_year if last is None else last)[1]
    return and_(
        Seminar.status == SeminarStatus.PUBLISHED,
        Seminar.starts_at >= start,
        Seminar.starts_at < end,
        Seminar.ends_at <= now,
    )


def attendees_of(head_count: int | None, attended: int | None) -> int | None:
    """A held seminar's attendees: its head-count where recorded, else its registrations
    that attended (None: it has no registrations); None with neither: nobody knows."""
    return head_count if head_count is not None else attended


@dataclass
class SeminarRegistrations:
    """The registrations of one held seminar (a seminar without any has none of these)."""

    by_status: dict[str, int] = field(default_factory=dict)
    #: Registrations that attended (attendance.attended), of which checked in at the door.
    attended: int = 0
    checked_in: int = 0

    @property
    def confirmed(self) -> int:
        return self.by_status.get(RegistrationStatus.CONFIRMED, 0)

    @property
    def online(self) -> int:
        """Attended otherwise than by checking in: through the join link, long enough."""
        return self.attended - self.checked_in


@dataclass(frozen=True)
class HeldRegistrations:
    """The registrations for the seminars held in a year, per seminar and in all."""

    #: seminar id → its registrations; a held seminar without registrations is absent.
    per_seminar: Mapping[int, SeminarRegistrations]
    #: The registered attendees per profile column (PROFILE) and value ("unknown": none).
    profile: Mapping[str, Mapping[str, int]]


def held_registrations(session: DbSession, fiscal_year: int, now: datetime) -> HeldRegistrations:
    """The year's registrations counted per seminar and per profile value, in one query."""
    per_seminar: dict[int, SeminarRegistrations] = {}
    profile: dict[str, dict[str, int]] = {name: {} for name in PROFILE}
    rows = session.execute(_grouped(_registrations(fiscal_year, now), session))
    for row in rows:
        if row.grouping == _SEMINAR_GROUPING:
            _add_to_seminar(per_seminar.setdefault(row.seminar_id, SeminarRegistrations()), row)
        elif row.attended:
            name = _PROFILE_GROUPINGS[row.grouping]
            value = getattr(row, name) or UNKNOWN
            profile[name][value] = profile[name].get(value, 0) + row.number
    return HeldRegistrations(
        per_seminar=per_seminar,
        profile={name: _in_order(counts) for name, counts in profile.items()},
    )


def _in_order(counts: Mapping[str, int]) -> dict[str, int]:
    """The values in order of their codes, "unknown" last."""
    return dict(sorted(counts.items(), key=lambda item: (item[0] == UNKNOWN, item[0])))


def _add_to_seminar(seminar: SeminarRegistrations, row: Row[Any]) -> None:
    seminar.by_status[row.status] = seminar.by_status.get(row.status, 0) + row.number
    if row.attended:
        seminar.attended += row.number
        if row.checked_in:
            seminar.checked_in += row.number


def _registrations(fiscal_year: int, now: datetime) -> Subquery:
    """Each registration for a seminar held in the year, with whether it was checked in and
    whether it attended (attendance.attended), and its profile columns."""
    return (
        registrations_with_attendance()
        .with_only_columns(
            Registration.seminar_id.label("seminar_id"),
            Registration.status.label("status"),
            CheckIn.id.is_not(None).label("checked_in"),
            attended_condition().label("attended"),
            *(getattr(Registration, name).label(name) for name in PROFILE),
        )
        .where(held_in(fiscal_year, now))
        .subquery("held_registrations")
    )


#: The groupings of the query by the names of their columns: per seminar by status and way
#: of attending, and per value of each profile column by attended.
_GROUPINGS: dict[str, tuple[str, ...]] = {
    "seminar_id": ("seminar_id", "status", "checked_in", "attended"),
    **{name: ("attended", name) for name in PROFILE},
}
#: The columns of the query's rows, before the count.
_COLUMNS = ("seminar_id", "status", "checked_in", "attended", *PROFILE)


def _grouping_value(key: str) -> int:
    """What GROUPING(_KEYS) gives in the rows of grouping `key`: a bit per key column,
    the leftmost highest, set where the column is not grouped."""
    return sum(1 << (len(_KEYS) - 1 - index) for index, name in enumerate(_KEYS) if name != key)


_SEMINAR_GROUPING = _grouping_value("seminar_id")
_PROFILE_GROUPINGS = {_grouping_value(name): name for name in PROFILE}


def _grouped(registrations: Subquery, session: DbSession) -> Select[Any]:
    """The groupings' rows: grouping (as GROUPING(_KEYS) gives it), _COLUMNS (NULL where
    not grouped) and count."""
    columns = registrations.c
    if session.get_bind().dialect.name == "postgresql":
        sets = (tuple_(*(columns[name] for name in grouped)) for grouped in _GROUPINGS.values())
        return select(
            func.grouping(*(columns[key] for key in _KEYS)).label("grouping"),
            *(columns[name] for name in _COLUMNS),
            func.count().label("number"),
        ).group_by(func.grouping_sets(*sets))
    # SQLite has no GROUPING SETS: the same groupings, one SELECT each.
    selects = [
        select(
            literal(_grouping_value(key)).label("grouping"),
            *(
                columns[name]
                if name in grouped
                else coerce_type(null(), columns[name].type).label(name)
                for name in _COLUMNS
            ),
            func.count().label("number"),
        ).group_by(*(columns[name] for name in grouped))
        for key, grouped in _GROUPINGS.items()
    ]
    union = selects[0].union_all(*selects[1:]).subquery("groupings")
    return select(*union.c)


@dataclass(frozen=True)
class YearAttendees:
    """The seminars held in a year and their attendees, as the years side by side show them."""

    seminars: int
    #: None where seminars were held and nobody counted the attendees of any of them.
    attendees: int | None


def attendees_per_year(
    session: DbSession, first: int, last: int, now: datetime
) -> dict[int, YearAttendees]:
    """Each fiscal year from `first` to `last` → its seminars held and their attendees: one
    pass over the registrations of all those years, counted per seminar."""
    attended = {
        seminar_id: count
        for seminar_id, count in session.execute(
            registrations_with_attendance()
            .with_only_columns(
                Registration.seminar_id, func.count(case((attended_condition(), Registration.id)))
            )
            .where(held_in(first, now, last))
            .group_by(Registration.seminar_id)
        ).tuples()
    }
    # Per year: seminars, attendees of those counted, seminars nobody counted.
    years = {year: [0, 0, 0] for year in range(first, last + 1)}
    for seminar_id, starts_at, head_count in session.execute(
        select(Seminar.id, Seminar.starts_at, Seminar.head_count).where(held_in(first, now, last))
    ).tuples():
        attendees = attendees_of(head_count, attended.get(seminar_id))
        counts = years[fiscal_year_of(starts_at)]
        counts[0] += 1
        counts[1] += attendees or 0
        counts[2] += attendees is None
    return {
        year: YearAttendees(
            seminars=seminars, attendees=None if seminars and unknown == seminars else known
        )
        for year, (seminars, known, unknown) in years.items()
    }
