"""The desk's figures of a fiscal year, counted by the database: what the desk's page, the
fiscal-year report and the activity deck all read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..domain import Channel, Topic
from ..timeutil import fiscal_year_dates
from .models import Consultation, ConsultationTopic

#: A value that was not recorded, as a key of a breakdown.
UNKNOWN = "unknown"
#: The breakdowns of the figures, in the order the report shows them.
BREAKDOWNS = ("channel", "attribute", "employee_band", "industry", "topic", "source")
#: Breakdowns read from a column of the consultation itself (topics have a table of their own).
_COLUMNS = ("channel", "attribute", "employee_band", "industry", "source")


@dataclass(frozen=True)
class ConsultationFigures:
    """Consultations held on dates of one fiscal year, in all and per breakdown.

    Each breakdown maps a coded value (or "unknown") to its count; topics list every topic,
    counted once under each topic a consultation had."""

    total: int
    online: int
    by_topic: Mapping[str, int]
    by_channel: Mapping[str, int]
    by_attribute: Mapping[str, int]
    by_employee_band: Mapping[str, int]
    by_industry: Mapping[str, int]
    by_source: Mapping[str, int]

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


def consultation_figures(session: Session, fiscal_year: int) -> ConsultationFigures:
    """The desk's consultations held on dates of the fiscal year (1 April – 31 March)."""
    start, end = fiscal_year_dates(fiscal_year)
    in_year = and_(Consultation.held_on >= start, Consultation.held_on < end)
    total, online = session.execute(
        select(
            func.count(Consultation.id),
            func.count(case((Consultation.channel == Channel.ONLINE, Consultation.id))),
        ).where(in_year)
    ).one()
    # One row per topic of a consultation: one with two topics counts once under each.
    per_topic: dict[str, int] = {
        topic: count
        for topic, count in session.execute(
            select(ConsultationTopic.topic, func.count())
            .join(Consultation, Consultation.id == ConsultationTopic.consultation_id)
            .where(in_year)
            .group_by(ConsultationTopic.topic)
        )
    }
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
        total=total,
        online=online,
        by_topic={topic.value: per_topic.get(topic, 0) for topic in Topic},
        by_channel=by_column["channel"],
        by_attribute=by_column["attribute"],
        by_employee_band=by_column["employee_band"],
        by_industry=by_column["industry"],
        by_source=by_column["source"],
    )
