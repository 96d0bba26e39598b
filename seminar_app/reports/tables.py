"""The fiscal-year report in the reader's language: the labels of its figures, as the page
shows them, and its tables, as the CSV and .xlsx files hold them."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..consultations.figures import UNKNOWN
from ..consultations.models import step_label
from ..dispatch.figures import MEASURES, DispatchCounts, DispatchFigures
from ..domain import (
    Attribute,
    Channel,
    DispatchState,
    EmployeeBand,
    FigureSource,
    HostType,
    Referral,
    Source,
    Topic,
    Vocabulary,
    label,
)
from ..exports import Table
from ..i18n import current_language, format_fiscal_year
from ..reference import INDUSTRIES, PREFECTURAL_DESKS, PREFECTURES, reference_name
from ..timeutil import to_jst
from .results import Figure, FiscalYearReport, SeminarRow, Share, SurveyNumbers
from .services import NO_LEVEL

#: How a figure nobody recorded is shown: never as 0.
NOT_RECORDED = "—"

PROFILE_NAMES = {
    "attribute": _l("Type of organization"),
    "employee_band": _l("Employees"),
    "industry": _l("Industry"),
    "prefecture": _l("Prefecture"),
}

#: The lecturer-dispatch figures' columns, each named by the state it counts.
DISPATCH_MEASURES = tuple(DispatchState(measure) for measure in MEASURES)

CONSULTATION_NAMES = {
    "channel": _l("Channel"),
    "attribute": _l("Type of organization"),
    "employee_band": _l("Employees"),
    "industry": _l("Industry"),
    "topic": _l("Topics"),
    "source": _l("How the client came"),
    "prefecture": _l("Client's prefecture"),
    "referring_desk": _l("Referred by (prefectural desk)"),
    "referral": _l("Referred on to"),
    "step": _l("Clients by highest step reached"),
}

TARGET_LABELS = {
    "consultations": _l("Consultations (all desks)"),
    "seminars": _l("Seminars held"),
    "participants": _l("Participants"),
    "satisfaction": _l("Satisfaction (share answering 4 or 5)"),
    "elearning_views": _l("E-learning views"),
}


def figure_text(value: Figure) -> str:
    return NOT_RECORDED if value is None else str(value)


def percent_text(share: Share) -> str:
    """0.8125 → '81.3%'; an unknown share → '—'."""
    return NOT_RECORDED if share is None else f"{share * 100:.1f}%"


def totals_note(source: str | None) -> str:
    """What stands beside a consultation figure that rests on recorded totals (集計値)."""
    if source == FigureSource.TOTALS:
        return _("recorded totals")
    if source == FigureSource.BOTH:
        return _("partly recorded totals")
    return ""


def consultations_text(total: Figure, source: str | None, *, unit: bool = True) -> str:
    """A count of consultations with its unit and, after it, its note where it rests on
    recorded totals: 「12件（集計値）」; "—" alone where nobody recorded it. Without the
    unit for a table whose heading gives it."""
    if total is None:
        return NOT_RECORDED
    count = ngettext("%(num)d consultation", "%(num)d consultations", total) if unit else str(total)
    note = totals_note(source)
    return _("%(figure)s (%(note)s)", figure=count, note=note) if note else count


def seminar_kind(row: SeminarRow) -> str:
    """The agency's own seminars by series and level (営業秘密・知財戦略セミナー（中級）),
    the others by host type."""
    kind = label(row.series) if row.host_type == HostType.AGENCY else label(row.host_type)
    return f"{kind}（{label(row.level)}）" if row.level else kind


def dispatch_counts(counts: DispatchCounts) -> list[int]:
    """The dispatch counts in the order of DISPATCH_MEASURES."""
    return [getattr(counts, measure) for measure in MEASURES]


def dispatch_breakdowns(
    figures: DispatchFigures,
) -> tuple[tuple[str, Mapping[str, DispatchCounts]], ...]:
    """The breakdowns of the year's dispatch figures as the page shows them: (name, value →
    counts), by prefecture then by type of organization, only the values that occur."""
    return (("prefecture", figures.by_prefecture), ("attribute", figures.by_attribute))


def _figure_cell(value: float | int | None) -> object:
    """A number stays a number in a spreadsheet; only an unknown one becomes text."""
    return NOT_RECORDED if value is None else value


#: The vocabulary of each breakdown of coded values, so that a value shared by two
#: vocabularies ("other") gets its own breakdown's label.
VOCABULARIES: dict[str, type[Vocabulary]] = {
    "channel": Channel,
    "attribute": Attribute,
    "employee_band": EmployeeBand,
    "topic": Topic,
    "source": Source,
    "referral": Referral,
}
#: The reference data of each breakdown of codes (JIS prefectures, JSIC industries).
REFERENCES = {
    "prefecture": PREFECTURES,
    "industry": INDUSTRIES,
    "referring_desk": PREFECTURAL_DESKS,
}


def value_label(name: str, value: str) -> str:
    """What a person reads for a value of a breakdown (a profile column or the desk's)."""
    if value == UNKNOWN:
        return _("Unknown")
    if name in REFERENCES:
        return reference_name(REFERENCES[name], value, current_language()) or _("Unknown")
    if name == "step":
        return step_label(int(value))
    vocabulary = VOCABULARIES.get(name)
    try:
        return label(vocabulary(value) if vocabulary is not None else value)
    except ValueError:  # a value from before the vocabulary changed: shown as it is
        return value


def series_or_level_label(value: str) -> str:
    return _("No level") if value == NO_LEVEL else label(value)


def consultation_breakdowns(
    report: FiscalYearReport,
) -> list[tuple[str, list[tuple[str, list[Figure]]]]]:
    """Each breakdown of the desk's figures for the year and the two before, side by side:
    (name, [(label, [count per year])]), the report's year's largest first. A year with no
    consultation recorded one by one has no breakdown: its counts are None."""
    years = report.consultation_years
    last = years[-1]
    breakdowns = []
    for name in CONSULTATION_NAMES:
        values = [value for value, _count in last.largest_first(name)]
        for year in years:
            values += [value for value, _count in year.largest_first(name) if value not in values]
        breakdowns.append(
            (
                name,
                [
                    (
                        value_label(name, value),
                        [
                            year.breakdown(name).get(value, 0) if year.recorded else None
                            for year in years
                        ],
                    )
                    for value in values
                ],
            )
        )
    return breakdowns


def report_tables(report: FiscalYearReport) -> dict[str, Table]:
    """Every table of the report, by name, in the order of the .xlsx file's sheets."""
    figures = report.figures
    seminars, attendees = figures.seminars, figures.attendees
    registrations, desk = figures.registrations, figures.consultations
    desk_note = totals_note(desk.source)
    summary = [
        [_("Seminars held"), seminars.total, ""],
        [_("of which online"), seminars.online, ""],
        [_("Attendees"), NOT_RECORDED if seminars.attendees_unknown else attendees.total, ""],
        [_("Attendees at the venue (hybrid)"), attendees.hybrid.venue, ""],
        [_("Attendees online (hybrid)"), attendees.hybrid.online, ""],
        [_("Seminars without a head-count"), seminars.without_head_count, ""],
        [_("Registrations"), registrations.total, ""],
        [_("Attendance rate"), _share_cell(registrations.attendance_rate), ""],
        [_("No-shows"), registrations.no_shows, ""],
        [_("Recordings opened"), figures.recordings.opened, ""],
        [_("Satisfaction (share answering 4 or 5)"), _share_cell(figures.satisfaction), ""],
        [_("Consultations"), _figure_cell(desk.total), desk_note],
        [_("of which online"), _figure_cell(desk.online), desk_note],
    ]
    years = [year.fiscal_year for year in report.consultation_years]
    return {
        "summary": Table(
            _("Summary"),
            [_("Figure"), format_fiscal_year(report.fiscal_year), _("Note")],
            summary,
        ),
        "targets": Table(
            _("Targets"),
            [_("Target"), _("Target value"), _("Result"), _("Rate")],
            [
                [
                    str(TARGET_LABELS[name]),
                    *(
                        (_share_cell(item.target), _share_cell(item.result))
                        if name == "satisfaction"
                        else (_figure_cell(item.target), _figure_cell(item.result))
                    ),
                    _share_cell(item.rate),
                ]
                for name, item in figures.targets.items()
            ],
        ),
        "hosts": Table(
            _("By host type"),
            [_("Host"), _("Seminars"), _("Online"), _("Attendees")],
            [
                [
                    label(host),
                    counts.total,
                    counts.online,
                    NOT_RECORDED if counts.attendees_unknown else attendees.by_host_type[host],
                ]
                for host, counts in seminars.by_host_type.items()
            ],
        ),
        "seminars": Table(
            _("Seminars"),
            [
                _("Date (JST)"),
                _("Title"),
                _("Type"),
                _("Host"),
                _("Delivery"),
                _("Confirmed"),
                _("Attendees"),
                _("Satisfaction"),
                _("Attendees at the venue (hybrid)"),
                _("Attendees online (hybrid)"),
            ],
            [
                [
                    to_jst(row.starts_at),
                    row.title,
                    seminar_kind(row),
                    label(row.host_type),
                    label(row.delivery),
                    row.confirmed,
                    _figure_cell(row.attendees),
                    _share_cell(row.satisfaction),
                    *_split_cells(row),
                ]
                for row in report.programme
            ],
        ),
        "profile": Table(
            _("Attendees by profile"),
            [_("Breakdown"), _("Value"), _("Attendees")],
            [
                [str(PROFILE_NAMES[name]), value_label(name, value), count]
                for name, counts in attendees.registered_attendees_by.items()
                for value, count in counts.items()
            ],
        ),
        "consultations": Table(
            # The breakdowns' scope, which the summary's all-desk totals do not share.
            _("Consultations (%(desk)s)", desk=report.desk) if report.desk else _("Consultations"),
            [_("Breakdown"), _("Value"), *(format_fiscal_year(year) for year in years)],
            [
                [str(CONSULTATION_NAMES[name]), text, *(_figure_cell(count) for count in counts)]
                for name, rows in consultation_breakdowns(report)
                for text, counts in rows
            ],
        ),
        "surveys": Table(
            _("Surveys"),
            [
                _("Breakdown"),
                _("Value"),
                _("Answers"),
                _("Satisfaction (1–5)"),
                _("Understanding (1–5)"),
                _("Satisfaction (share answering 4 or 5)"),
            ],
            [[_("All seminars"), "", *_survey_numbers(report.surveys.overall)]]
            + [
                [str(breakdown), series_or_level_label(value), *_survey_numbers(numbers)]
                for breakdown, by in (
                    (_("Series"), report.surveys.by_series),
                    (_("Level"), report.surveys.by_level),
                )
                for value, numbers in by.items()
            ],
        ),
        "years": Table(
            _("Year on year"),
            [
                _("Fiscal year"),
                _("Seminars"),
                _("Attendees"),
                _("Consultations"),
                _("of which online"),
                _("Note"),
            ],
            [
                [
                    format_fiscal_year(year.fiscal_year),
                    year.seminars,
                    _figure_cell(year.attendees),
                    _figure_cell(year.consultations),
                    _figure_cell(year.consultations_online),
                    totals_note(year.consultations_source),
                ]
                for year in report.years
            ],
        ),
        # Last, so that the sheets before it keep their places for existing readers.
        "dispatch": dispatch_table(figures.dispatch),
    }


def dispatch_table(figures: DispatchFigures) -> Table:
    """The year's lecturer dispatch: in all, then per prefecture and type of organization
    (the values that occur), each with every measure of dispatch.figures."""
    return Table(
        _("Lecturer dispatch"),
        [_("Breakdown"), _("Value"), *(state.label for state in DISPATCH_MEASURES)],
        [[_("All"), "", *dispatch_counts(figures)]]
        + [
            [str(PROFILE_NAMES[name]), value_label(name, value), *dispatch_counts(counts)]
            for name, breakdown in dispatch_breakdowns(figures)
            for value, counts in breakdown.items()
        ],
    )


def _split_cells(row: SeminarRow) -> list[object]:
    """A hybrid seminar's attendees at the venue and online; empty cells for the others."""
    if row.split is None:
        return [None, None]
    return [row.split.venue, row.split.online]


def _share_cell(share: float | int | None) -> object:
    """A share stays a number (0–1) in a spreadsheet; only an unknown one becomes text."""
    return NOT_RECORDED if share is None else share


def _survey_numbers(numbers: SurveyNumbers) -> list[object]:
    return [
        numbers.answers,
        numbers.satisfaction,
        numbers.understanding,
        _share_cell(numbers.satisfied_share),
    ]
