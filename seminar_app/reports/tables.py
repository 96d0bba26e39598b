"""The fiscal-year report in the reader's language: the labels of its figures, as the page
shows them, and its tables, as the CSV and .xlsx files hold them."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..consultations.figures import UNKNOWN
from ..domain import label
from ..exports import Table
from ..i18n import current_language, format_fiscal_year
from ..reference import INDUSTRIES, PREFECTURES, reference_name
from ..timeutil import to_jst
from .results import Figure, FiscalYearReport, SurveyNumbers
from .services import NO_LEVEL

#: How a figure nobody recorded is shown: never as 0.
NOT_RECORDED = "—"

PROFILE_NAMES = {
    "attribute": _l("Type of organization"),
    "employee_band": _l("Employees"),
    "industry": _l("Industry"),
    "prefecture": _l("Prefecture"),
}

CONSULTATION_NAMES = {
    "channel": _l("Channel"),
    "attribute": _l("Type of organization"),
    "employee_band": _l("Employees"),
    "industry": _l("Industry"),
    "topic": _l("Topics"),
    "source": _l("How the client came"),
}


def figure_text(value: Figure) -> str:
    return NOT_RECORDED if value is None else str(value)


def _figure_cell(value: Figure) -> object:
    """A number stays a number in a spreadsheet; only an unknown one becomes text."""
    return NOT_RECORDED if value is None else value


def value_label(name: str, value: str) -> str:
    """What a person reads for a value of a breakdown (a profile column or the desk's)."""
    language = current_language()
    if name == "prefecture":
        return reference_name(PREFECTURES, value, language) or _("Unknown")
    if name == "industry":
        return reference_name(INDUSTRIES, value, language) or _("Unknown")
    return label(value) if value != UNKNOWN else _("Unknown")


def series_or_level_label(value: str) -> str:
    return _("No level") if value == NO_LEVEL else label(value)


def consultation_breakdowns(report: FiscalYearReport) -> list[tuple[str, list[tuple[str, int]]]]:
    """Each breakdown of the desk's figures as (name, [(label, count)]), largest first."""
    figures = report.figures.consultations
    return [
        (name, [(value_label(name, value), count) for value, count in figures.largest_first(name)])
        for name in CONSULTATION_NAMES
    ]


def report_tables(report: FiscalYearReport) -> dict[str, Table]:
    """Every table of the report, by name, in the order of the .xlsx file's sheets."""
    figures = report.figures
    seminars, attendees = figures.seminars, figures.attendees
    registrations, desk = figures.registrations, figures.consultations
    summary = [
        [_("Seminars held"), seminars.total],
        [_("of which online"), seminars.online],
        [_("Attendees"), attendees.total],
        [_("Registrations"), registrations.total],
        [_("Attendance rate"), registrations.attendance_rate],
        [_("No-shows"), registrations.no_shows],
        [_("Recordings opened"), figures.recordings.opened],
        [_("Consultations"), desk.total],
        [_("of which online"), desk.online],
    ]
    return {
        "summary": Table(
            _("Summary"), [_("Figure"), format_fiscal_year(report.fiscal_year)], summary
        ),
        "hosts": Table(
            _("By host type"),
            [_("Host"), _("Seminars"), _("Online"), _("Attendees")],
            [
                [label(host), counts.total, counts.online, attendees.by_host_type[host]]
                for host, counts in seminars.by_host_type.items()
            ],
        ),
        "seminars": Table(
            _("Seminars"),
            [_("Date (JST)"), _("Title"), _("Host"), _("Delivery"), _("Confirmed"), _("Attendees")],
            [
                [
                    to_jst(row.starts_at),
                    row.title,
                    label(row.host_type),
                    label(row.delivery),
                    row.confirmed,
                    _figure_cell(row.attendees),
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
            _("Consultations"),
            [_("Breakdown"), _("Value"), _("Consultations")],
            [
                [str(CONSULTATION_NAMES[name]), text, count]
                for name, rows in consultation_breakdowns(report)
                for text, count in rows
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
            ],
            [
                [
                    format_fiscal_year(year.fiscal_year),
                    year.seminars,
                    year.attendees,
                    year.consultations,
                    year.consultations_online,
                ]
                for year in report.years
            ],
        ),
    }


def _survey_numbers(numbers: SurveyNumbers) -> list[object]:
    return [numbers.answers, numbers.satisfaction, numbers.understanding]
