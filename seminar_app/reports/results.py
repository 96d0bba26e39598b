"""The fiscal-year report as typed results: built once by `services`, read by the page, the
CSV and .xlsx files, the activity deck, the terminal and the JSON API alike.

The results hold coded values (a host type, a level, "unknown"), never labels: each reader
words them in its own language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from ..consultations.figures import ConsultationFigures
from ..domain import Delivery

#: A count that may be unknown: None where nobody recorded it, which is never shown as 0.
Figure = int | None


@dataclass(frozen=True)
class SeminarCounts:
    total: int
    online: int


@dataclass(frozen=True)
class SeminarFigures:
    """Seminars held; by series and by level only the agency's own ("none": no level)."""

    total: int
    online: int
    hybrid: int
    by_host_type: Mapping[str, SeminarCounts]
    by_series: Mapping[str, SeminarCounts]
    by_level: Mapping[str, SeminarCounts]


@dataclass(frozen=True)
class AttendeeFigures:
    """Attendees of the seminars held (head-counts where recorded, else who attended), and
    the registered attendees per profile (attribute, employee_band, industry, prefecture)."""

    total: int
    by_host_type: Mapping[str, int]
    registered_attendees_by: Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class RegistrationFigures:
    """Registrations for the seminars held; attendance counts seminars without a head-count."""

    total: int
    confirmed: int
    waitlisted: int
    cancelled: int
    attended: int
    no_shows: int
    #: attended / (attended + no-shows), to four places; 0.0 when nobody was expected.
    attendance_rate: float

    @property
    def counted(self) -> int:
        """Confirmed registrations whose attendance was counted (the rate's denominator)."""
        return self.attended + self.no_shows


@dataclass(frozen=True)
class RecordingFigures:
    opened: int
    registrants_who_opened: int


@dataclass(frozen=True)
class FiscalYearFigures:
    """A fiscal year's headline figures: the JSON API's answer and the report's summary."""

    fiscal_year: int
    seminars: SeminarFigures
    attendees: AttendeeFigures
    registrations: RegistrationFigures
    recordings: RecordingFigures
    consultations: ConsultationFigures

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON, with the names of the fields as keys."""
        return asdict(self)


@dataclass(frozen=True)
class SeminarRow:
    """One seminar held in the year, with its figures."""

    seminar_id: int
    starts_at: datetime
    title: str
    host_type: str
    delivery: str
    level: str | None
    confirmed: int
    attendees: Figure
    #: The attendees are the organizer's head-count, not the registrations that attended.
    head_counted: bool


@dataclass(frozen=True)
class SurveyNumbers:
    """Answers and their average satisfaction and understanding (1–5; None: none given)."""

    answers: int
    satisfaction: float | None
    understanding: float | None


@dataclass(frozen=True)
class SurveyFigures:
    """Survey answers for the seminars held, in all, per series and per level ("none")."""

    overall: SurveyNumbers
    by_series: Mapping[str, SurveyNumbers]
    by_level: Mapping[str, SurveyNumbers]


@dataclass(frozen=True)
class YearRow:
    """One year of the years side by side, with its changes from the year before (None
    where either figure is unknown)."""

    fiscal_year: int
    seminars: int
    attendees: int
    consultations: int
    consultations_online: int
    seminars_change: int | None
    attendees_change: int | None
    consultations_change: int | None


@dataclass(frozen=True)
class FiscalYearReport:
    """Everything the report of a fiscal year shows, in every form it takes."""

    figures: FiscalYearFigures
    #: Every seminar held in the year, in the order they started.
    programme: tuple[SeminarRow, ...]
    surveys: SurveyFigures
    #: The year and those before it, oldest first.
    years: tuple[YearRow, ...]

    @property
    def fiscal_year(self) -> int:
        return self.figures.fiscal_year

    @property
    def online_attendees(self) -> int:
        """Attendees of the seminars held online (of every host type); unknown ones add
        nothing."""
        return sum(
            row.attendees
            for row in self.programme
            if row.delivery == Delivery.ONLINE and row.attendees is not None
        )
