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
from ..dispatch.figures import DispatchFigures
from ..domain import Delivery, HostType

#: A count that may be unknown: None where nobody recorded it, which is never shown as 0.
Figure = int | None
#: A share between 0 and 1 (to four places); None where there is nothing to divide by.
Share = float | None


@dataclass(frozen=True)
class SeminarCounts:
    total: int
    online: int
    #: Of the total, seminars whose attendees nobody recorded.
    without_head_count: int = 0

    @property
    def attendees_unknown(self) -> bool:
        """Every one of these seminars was held without anyone counting its attendees."""
        return self.total > 0 and self.without_head_count == self.total


@dataclass(frozen=True)
class SeminarFigures:
    """Seminars held; by series and by level only the agency's own ("none": no level)."""

    total: int
    online: int
    hybrid: int
    by_host_type: Mapping[str, SeminarCounts]
    by_series: Mapping[str, SeminarCounts]
    by_level: Mapping[str, SeminarCounts]
    #: Seminars held whose attendees nobody recorded: no head-count and no registrations.
    #: They count as held; their attendees add nothing to any total.
    without_head_count: int

    @property
    def attendees_unknown(self) -> bool:
        """Seminars were held and nobody counted the attendees of any of them."""
        return self.total > 0 and self.without_head_count == self.total


@dataclass(frozen=True)
class AttendanceSplit:
    """Registered attendees of hybrid seminars by how they attended: checked in at the door
    (venue, also someone who had chosen online but came) or online (attended otherwise)."""

    venue: int = 0
    online: int = 0


@dataclass(frozen=True)
class AttendeeFigures:
    """Attendees of the seminars held (head-counts where recorded, else who attended; a
    seminar with neither adds nothing), and the registered attendees per profile
    (attribute, employee_band, industry, prefecture)."""

    total: int
    by_host_type: Mapping[str, int]
    registered_attendees_by: Mapping[str, Mapping[str, int]]
    #: The hybrid seminars' registered attendees (without a head-count), venue and online.
    hybrid: AttendanceSplit = AttendanceSplit()


@dataclass(frozen=True)
class RegistrationFigures:
    """Registrations for the seminars held; attendance counts seminars without a head-count."""

    total: int
    confirmed: int
    waitlisted: int
    cancelled: int
    attended: int
    no_shows: int
    #: attended / (attended + no-shows), to four places; None when nobody was expected.
    attendance_rate: Share

    @property
    def counted(self) -> int:
        """Confirmed registrations whose attendance was counted (the rate's denominator)."""
        return self.attended + self.no_shows


@dataclass(frozen=True)
class RecordingFigures:
    opened: int
    registrants_who_opened: int


@dataclass(frozen=True)
class TargetResult:
    """One target of the year's plan (年度計画) against its result.

    Satisfaction is a share (0–1) in target and result alike; the others are counts. The
    rate is result / target to four places, None where either is unknown or the target 0."""

    target: float | int | None
    result: float | int | None
    rate: Share


@dataclass(frozen=True)
class FiscalYearFigures:
    """A fiscal year's headline figures: the JSON API's answer and the report's summary."""

    fiscal_year: int
    seminars: SeminarFigures
    attendees: AttendeeFigures
    registrations: RegistrationFigures
    recordings: RecordingFigures
    consultations: ConsultationFigures
    #: Lecturer dispatch: requests received, scheduled, delivered, declined, withdrawn.
    dispatch: DispatchFigures
    #: The share of survey answers rating satisfaction 4 or 5 (None: nobody answered).
    satisfaction: Share
    #: The same share per series and per level ("none": no level) of the seminars held.
    satisfaction_by_series: Mapping[str, Share]
    satisfaction_by_level: Mapping[str, Share]
    #: Every target name (models.TARGET_NAMES) with its target, result and rate.
    targets: Mapping[str, TargetResult]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON, with the names of the fields as keys (and the clients by
        step beside the desk's other breakdowns)."""
        data = asdict(self)
        data["consultations"]["by_step"] = dict(self.consultations.by_step)
        return data


@dataclass(frozen=True)
class SeminarRow:
    """One seminar held in the year, with its figures."""

    seminar_id: int
    starts_at: datetime
    title: str
    host_type: str
    delivery: str
    series: str
    level: str | None
    confirmed: int
    #: None: neither a head-count nor registrations, so nobody knows (shown as "—").
    attendees: Figure
    #: The attendees are the organizer's head-count, not the registrations that attended.
    head_counted: bool
    #: The share of its survey's answers rating satisfaction 4 or 5 (None: no answers).
    satisfaction: Share
    #: A hybrid seminar without a head-count: its attendees at the venue and online.
    split: AttendanceSplit | None = None


@dataclass(frozen=True)
class SurveyNumbers:
    """Answers and their average satisfaction and understanding (1–5; None: none given),
    and the share rating satisfaction 4 or 5 of those who rated it (the agency's figure)."""

    answers: int
    satisfaction: float | None
    understanding: float | None
    satisfied_share: Share


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
    #: None where seminars were held and nobody counted the attendees of any of them.
    attendees: Figure
    #: None where the year has neither consultation rows nor recorded totals.
    consultations: Figure
    consultations_online: Figure
    #: Where the consultations come from: "records", "totals", "both"; None: unknown.
    consultations_source: str | None
    seminars_change: int | None
    attendees_change: Figure
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
    #: The desk's figures of the year and the two before it, oldest first: each breakdown
    #: side by side. They cover `desk` alone when one was chosen, else every desk.
    consultation_years: tuple[ConsultationFigures, ...]
    #: The desk the breakdowns cover (its code), or None: every desk together.
    desk: str | None = None

    @property
    def fiscal_year(self) -> int:
        return self.figures.fiscal_year

    @property
    def online_agency_attendees(self) -> Figure:
        """Attendees of the agency's own seminars held online, as the agency counts them;
        unknown ones add nothing, and None where nobody counted any of them (or none was
        held)."""
        counted = [
            row.attendees
            for row in self.programme
            if row.host_type == HostType.AGENCY
            and row.delivery == Delivery.ONLINE
            and row.attendees is not None
        ]
        return sum(counted) if counted else None
