"""Lecturer dispatch in a fiscal year's figures, counted by the database (GROUP BY): what the
fiscal-year report, its page and the JSON API read.

Each figure counts requests, in the fiscal year (April–March, Tokyo time) of the moment that
makes it:

- received: the request's receipt (its first history entry);
- scheduled: its seminar's start, for a request that has its date and staff and is still on
  (scheduled or delivered, its seminar not cancelled), so a delivered request is counted
  among the scheduled ones too;
- delivered: its seminar's start;
- declined and withdrawn: the moment of that decision (its history entry). A request
  withdrawn or declined after it was scheduled counts there, and no longer as scheduled.

A request may thus be received in one year and scheduled, delivered, declined or withdrawn in
the next. Every figure is also broken down by the company's prefecture (JIS X 0401 code) and
type of organization (attribute), with the values that occur.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..catalogue.models import Seminar
from ..database import DbSession
from ..domain import Attribute, DispatchState, SeminarStatus
from ..timeutil import fiscal_year_bounds
from .models import DispatchRequest, DispatchStateChange

#: What the figures count, in the order they are shown: each is a state's code.
MEASURES = (
    DispatchState.RECEIVED.value,
    DispatchState.SCHEDULED.value,
    DispatchState.DELIVERED.value,
    DispatchState.DECLINED.value,
    DispatchState.WITHDRAWN.value,
)
#: The columns of a request the figures are broken down by.
BREAKDOWNS = ("prefecture", "attribute")
#: Counted in the year of their history entry.
_DECISIONS = (DispatchState.RECEIVED, DispatchState.DECLINED, DispatchState.WITHDRAWN)
#: Counted in the year of their seminar's start.
_ON = (DispatchState.SCHEDULED, DispatchState.DELIVERED)


@dataclass(frozen=True)
class DispatchCounts:
    """Requests received, scheduled, delivered, declined and withdrawn (see the module)."""

    received: int = 0
    scheduled: int = 0
    delivered: int = 0
    declined: int = 0
    withdrawn: int = 0


@dataclass(frozen=True, kw_only=True)
class DispatchFigures(DispatchCounts):
    """A fiscal year's dispatch figures in all, and per prefecture (JIS code) and per type
    of organization (attribute code), only the values that occur."""

    by_prefecture: Mapping[str, DispatchCounts] = field(default_factory=dict)
    by_attribute: Mapping[str, DispatchCounts] = field(default_factory=dict)


#: One grouped row: (measure, prefecture, attribute, how many).
_Row = tuple[str, str, str, int]


def _counted_by(
    state: InstrumentedAttribute[DispatchState],
) -> Select[tuple[DispatchState, str, Attribute, int]]:
    """How many requests there are per value of `state` (a column), prefecture and type of
    organization."""
    return select(
        state, DispatchRequest.prefecture, DispatchRequest.attribute, func.count()
    ).group_by(state, DispatchRequest.prefecture, DispatchRequest.attribute)


def _decisions(session: DbSession, start: datetime, end: datetime) -> Iterable[_Row]:
    """Receipts, declines and withdrawals in [start, end): no request reaches one of these
    states twice (dispatch.services.ALLOWED), so each entry is one request."""
    rows = session.execute(
        _counted_by(DispatchStateChange.to_state)
        .join(DispatchRequest, DispatchRequest.id == DispatchStateChange.request_id)
        .where(
            DispatchStateChange.to_state.in_(_DECISIONS),
            DispatchStateChange.at >= start,
            DispatchStateChange.at < end,
        )
    )
    return [
        (state.value, prefecture, attribute.value, number)
        for state, prefecture, attribute, number in rows
    ]


def _seminars(session: DbSession, start: datetime, end: datetime) -> Iterable[_Row]:
    """Requests scheduled or delivered whose seminar starts in [start, end): a delivered one
    counts as delivered and as scheduled."""
    rows = session.execute(
        _counted_by(DispatchRequest.state)
        .join(Seminar, Seminar.id == DispatchRequest.seminar_id)
        .where(
            DispatchRequest.state.in_(_ON),
            Seminar.status != SeminarStatus.CANCELLED,
            Seminar.starts_at >= start,
            Seminar.starts_at < end,
        )
    )
    answer: list[_Row] = []
    for state, prefecture, attribute, number in rows:
        answer.append((DispatchState.SCHEDULED.value, prefecture, attribute.value, number))
        if state == DispatchState.DELIVERED:
            answer.append((state.value, prefecture, attribute.value, number))
    return answer


def _counts(counted: Mapping[str, int]) -> DispatchCounts:
    return DispatchCounts(**{measure: counted.get(measure, 0) for measure in MEASURES})


def _breakdown(
    counted: Mapping[str, Counter[str]], order: list[str] | None = None
) -> dict[str, DispatchCounts]:
    """Each value that occurs with its counts: in `order` where given, else by its code."""
    keys = sorted(counted, key=lambda key: (order.index(key), key) if order else (0, key))
    return {key: _counts(counted[key]) for key in keys}


def dispatch_figures(session: DbSession, fiscal_year: int) -> DispatchFigures:
    """The year's dispatch figures, in all and per prefecture and type of organization (the
    year of each figure as the module says)."""
    start, end = fiscal_year_bounds(fiscal_year)
    total: Counter[str] = Counter()
    by: dict[str, dict[str, Counter[str]]] = {name: {} for name in BREAKDOWNS}
    for measure, prefecture, attribute, number in [
        *_decisions(session, start, end),
        *_seminars(session, start, end),
    ]:
        total[measure] += number
        by["prefecture"].setdefault(prefecture, Counter())[measure] += number
        by["attribute"].setdefault(attribute, Counter())[measure] += number
    values: dict[str, Any] = {measure: total[measure] for measure in MEASURES}
    return DispatchFigures(
        **values,
        by_prefecture=_breakdown(by["prefecture"]),
        by_attribute=_breakdown(by["attribute"], [member.value for member in Attribute]),
    )
