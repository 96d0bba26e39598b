"""The desk's figures of a fiscal year, counted by the database: what the desk's page, the
fiscal-year report and the activity deck all read.

A desk-year with consultation rows is counted from them; one without rows uses the totals
an organizer recorded for it (ConsultationTotal); one with neither is unknown (None, never
0). Combined over desks, `source` says which of the two the figure rests on. Breakdowns and
steps can only come from rows: `recorded` says how many consultations they cover.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import InstrumentedAttribute

from ..database import DbSession
from ..domain import Channel, FigureSource, Referral, Topic, Vocabulary
from ..timeutil import fiscal_year_dates
from .models import (
    STEPS,
    Consultation,
    ConsultationReferral,
    ConsultationTopic,
    ConsultationTotal,
    Desk,
)

#: A value that was not recorded, as a key of a breakdown.
UNKNOWN = "unknown"
#: The breakdowns of the figures, in the order the report shows them. Each counts the
#: year's recorded consultations, except `step`: clients by the highest step reached.
BREAKDOWNS = (
    "channel",
    "attribute",
    "employee_band",
    "industry",
    "topic",
    "source",
    "prefecture",
    "referring_desk",
    "referral",
    "step",
)
#: Breakdowns read from a column of the consultation itself.
_COLUMNS = (
    "channel",
    "attribute",
    "employee_band",
    "industry",
    "source",
    "prefecture",
    "referring_desk",
)


class UnknownDesk(LookupError):
    """No desk has the code asked for."""


@dataclass(frozen=True)
class StepProgress:
    """How the year's clients stand on the seven steps (clients with a consultation in it).

    `by_step` maps "1"…"7" to the clients whose highest step reached by the end of the year
    is that step, and "unknown" to those with no step recorded by then."""

    clients: int
    by_step: Mapping[str, int]
    #: Clients whose highest step by the end of the year is above their highest before it.
    moved_up: int
    #: Of those, clients who had no step before the year and reached one during it.
    first_step: int


@dataclass(frozen=True)
class ConsultationFigures:
    """The consultations of one fiscal year at one desk (`desk`, its code) or combined over
    every desk (`desk` None), in all and per breakdown.

    `total` and `online` are None where nobody recorded them (no rows and no totals; for
    `online`, totals that left it out). `source` says where `total` comes from, None when
    unknown. Each breakdown maps a coded value (or "unknown") to its count among the
    `recorded` consultations; topics and referrals count a consultation once under each of
    its values."""

    fiscal_year: int
    desk: str | None
    source: FigureSource | None
    total: int | None
    online: int | None
    #: Consultations recorded one by one in the year (what the breakdowns count).
    recorded: int
    #: Some desk has both records and recorded totals for the year: its totals are not
    #: counted (the records are), which a reader should be told.
    totals_set_aside: bool
    by_topic: Mapping[str, int]
    by_channel: Mapping[str, int]
    by_attribute: Mapping[str, int]
    by_employee_band: Mapping[str, int]
    by_industry: Mapping[str, int]
    by_source: Mapping[str, int]
    by_prefecture: Mapping[str, int]
    #: The prefectural IP comprehensive support desk that referred the client (JIS code).
    by_referring_desk: Mapping[str, int]
    #: Where clients were referred on to (Referral).
    by_referral: Mapping[str, int]
    steps: StepProgress

    @property
    def by_step(self) -> Mapping[str, int]:
        """Clients by the highest step reached by the end of the year."""
        return self.steps.by_step

    def breakdown(self, name: str) -> Mapping[str, int]:
        """The counts of one of BREAKDOWNS."""
        if name not in BREAKDOWNS:
            raise KeyError(name)
        counts: Mapping[str, int] = getattr(self, f"by_{name}")
        return counts

    def largest_first(self, name: str) -> list[tuple[str, int]]:
        """The non-zero counts of a breakdown, the largest first and "unknown" last."""
        counts = self.breakdown(name)
        ordered = sorted(counts.items(), key=lambda item: (item[0] == UNKNOWN, -item[1]))
        return [(value, count) for value, count in ordered if count]


def desk_by_code(session: DbSession, code: str) -> Desk:
    """The desk a page, a filter or a command names by its code; UnknownDesk for none."""
    desk = session.scalar(select(Desk).where(Desk.code == code))
    if desk is None:
        raise UnknownDesk(code)
    return desk


def consultation_figures(
    session: DbSession, fiscal_year: int, desk: str | None = None
) -> ConsultationFigures:
    """The consultations of the fiscal year (1 April – 31 March) at the desk with code
    `desk`, or combined over every desk. Raises UnknownDesk for a code no desk has."""
    desk_id = None if desk is None else desk_by_code(session, desk).id
    start, end = fiscal_year_dates(fiscal_year)
    in_year = and_(Consultation.held_on >= start, Consultation.held_on < end)
    if desk_id is not None:
        in_year = and_(in_year, Consultation.desk_id == desk_id)
    source, total, online, recorded, set_aside = _totals(session, fiscal_year, desk_id, in_year)
    by_column = {
        name: {
            (value or UNKNOWN): count
            for value, count in session.execute(
                select(column, func.count(Consultation.id)).where(in_year).group_by(column)
            )
        }
        for name in _COLUMNS
        for column in (getattr(Consultation, name),)
    }
    return ConsultationFigures(
        fiscal_year=fiscal_year,
        desk=desk,
        source=source,
        total=total,
        online=online,
        recorded=recorded,
        totals_set_aside=set_aside,
        by_topic=_per_value(session, ConsultationTopic, ConsultationTopic.topic, Topic, in_year),
        by_channel=by_column["channel"],
        by_attribute=by_column["attribute"],
        by_employee_band=by_column["employee_band"],
        by_industry=by_column["industry"],
        by_source=by_column["source"],
        by_prefecture=by_column["prefecture"],
        by_referring_desk=by_column["referring_desk"],
        by_referral=_per_value(
            session, ConsultationReferral, ConsultationReferral.referral, Referral, in_year
        ),
        steps=step_progress(session, fiscal_year, desk_id=desk_id),
    )


def consultation_years(
    session: DbSession, fiscal_year: int, desk: str | None = None, *, years: int = 3
) -> tuple[ConsultationFigures, ...]:
    """The figures of the fiscal year and the `years - 1` before it, oldest first."""
    return tuple(
        consultation_figures(session, year, desk)
        for year in range(fiscal_year - years + 1, fiscal_year + 1)
    )


def _totals(
    session: DbSession, fiscal_year: int, desk_id: int | None, in_year: ColumnElement[bool]
) -> tuple[FigureSource | None, int | None, int | None, int, bool]:
    """(source, total, online, recorded, totals set aside): rows where a desk-year has them,
    else its totals."""
    counted = {
        desk: (count, online)
        for desk, count, online in session.execute(
            select(
                Consultation.desk_id,
                func.count(Consultation.id),
                func.count(case((Consultation.channel == Channel.ONLINE, Consultation.id))),
            )
            .where(in_year)
            .group_by(Consultation.desk_id)
        )
    }
    totals_query = select(ConsultationTotal).where(ConsultationTotal.fiscal_year == fiscal_year)
    if desk_id is not None:
        totals_query = totals_query.where(ConsultationTotal.desk_id == desk_id)
    # A desk-year with rows is counted from them; its totals, if any, are set aside.
    every_total = list(session.scalars(totals_query))
    from_totals = [row for row in every_total if row.desk_id not in counted]
    set_aside = len(from_totals) < len(every_total)
    recorded = sum(count for count, _online in counted.values())
    if not counted and not from_totals:
        return None, None, None, 0, False
    sources = {FigureSource.RECORDS} if counted else set()
    if from_totals:
        sources.add(FigureSource.TOTALS)
    source = sources.pop() if len(sources) == 1 else FigureSource.BOTH
    total = recorded + sum(row.consultations for row in from_totals)
    online: int | None = sum(online for _count, online in counted.values())
    for row in from_totals:
        online = None if online is None or row.online is None else online + row.online
    return source, total, online, recorded, set_aside


def _per_value(
    session: DbSession,
    table: type[ConsultationTopic] | type[ConsultationReferral],
    column: InstrumentedAttribute[Topic] | InstrumentedAttribute[Referral],
    vocabulary: type[Vocabulary],
    in_year: ColumnElement[bool],
) -> dict[str, int]:
    """Counts per member of a vocabulary kept one row per value (topics, referrals)."""
    counts: dict[str, int] = {
        value: count
        for value, count in session.execute(
            select(column, func.count())
            .join(Consultation, Consultation.id == table.consultation_id)
            .where(in_year)
            .group_by(column)
        )
    }
    return {member.value: counts.get(member, 0) for member in vocabulary}


def step_progress(
    session: DbSession, fiscal_year: int, *, desk_id: int | None = None
) -> StepProgress:
    """The year's clients (a consultation in the year, at the desk if one is given) by the
    highest step reached by the end of the year, and how many moved up during it.

    Steps are read from the client's consultations at that desk (every desk when combined)
    up to the end of the year; before the year began means before 1 April."""
    start, end = fiscal_year_dates(fiscal_year)
    at_desk = true() if desk_id is None else Consultation.desk_id == desk_id
    rows = session.execute(
        select(
            Consultation.client_id,
            func.max(case((Consultation.held_on < start, Consultation.step))),
            func.max(Consultation.step),
        )
        .where(Consultation.client_id.is_not(None), Consultation.held_on < end, at_desk)
        .group_by(Consultation.client_id)
        # Only the year's clients: those with a consultation on or after 1 April.
        .having(func.max(Consultation.held_on) >= start)
    ).all()
    by_step = {str(step): 0 for step in STEPS} | {UNKNOWN: 0}
    clients = moved_up = first_step = 0
    for _client, before, by_end in rows:
        clients += 1
        by_step[UNKNOWN if by_end is None else str(by_end)] += 1
        if by_end is not None and (before is None or by_end > before):
            moved_up += 1
            first_step += before is None
    return StepProgress(clients=clients, by_step=by_step, moved_up=moved_up, first_step=first_step)
