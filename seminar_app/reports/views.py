"""The fiscal-year report page for organizers, and its exports."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..audit.services import record
from ..auth.access import require_roles_for_blueprint
from ..domain import Role, label
from ..exports import to_csv, to_xlsx
from ..extensions import db
from ..i18n import current_language, format_fiscal_year
from ..reference import INDUSTRIES, PREFECTURES, reference_name
from ..surveys.services import fiscal_year_survey_figures
from ..timeutil import fiscal_year_of, parse_fiscal_year, to_jst, utcnow
from ..uploads import import_upload
from . import activity, historic, services

bp = Blueprint("reports", __name__)
require_roles_for_blueprint(bp, Role.ORGANIZER)

YEARS_SIDE_BY_SIDE = 5
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


def form_fiscal_year() -> int | None:
    """The fiscal year whose page a form was sent from (its hidden `fy`), if any."""
    return parse_fiscal_year(request.form.get("fy", ""))


def requested_fiscal_year() -> int:
    """?fy=2020, this fiscal year when absent; 404 for anything else."""
    raw = (request.args.get("fy") or "").strip()
    if not raw:
        return fiscal_year_of(utcnow())
    fiscal_year = parse_fiscal_year(raw)
    if fiscal_year is None:
        abort(404)
    return fiscal_year


def _profile_label(name: str, value: str) -> str:
    language = current_language()
    if name == "prefecture":
        return reference_name(PREFECTURES, value, language) or _("Unknown")
    if name == "industry":
        return reference_name(INDUSTRIES, value, language) or _("Unknown")
    return label(value) if value != "unknown" else _("Unknown")


def consultation_breakdowns(figures) -> list[tuple[str, list[tuple[str, int]]]]:
    """Each breakdown of the desk's figures as (name, [(label, count)]), largest first."""
    breakdowns = []
    for name in CONSULTATION_NAMES:
        counts = figures[f"by_{name}"]
        rows = [
            (_profile_label(name, value), count)
            # The largest first, and what was not recorded last.
            for value, count in sorted(
                counts.items(), key=lambda item: (item[0] == "unknown", -item[1])
            )
            if count
        ]
        breakdowns.append((name, rows))
    return breakdowns


@bp.get("/")
def fiscal_year():
    fy = requested_fiscal_year()
    now = utcnow()
    report = services.fiscal_year_report(db.session, fy, now)
    years = services.years_side_by_side(db.session, fy, YEARS_SIDE_BY_SIDE, now)
    return render_template(
        "reports/fiscal_year.html",
        fy=fy,
        report=report,
        years=years,
        seminars=services.seminar_rows(db.session, fy, now),
        profile_label=_profile_label,
        profile_names=PROFILE_NAMES,
        consultation_breakdowns=consultation_breakdowns,
        surveys=fiscal_year_survey_figures(db.session, fy, now),
        consultation_names=CONSULTATION_NAMES,
        max_attendees=max([year["attendees"] for year in years] + [1]),
    )


def _tables(fy: int):
    now = utcnow()
    report = services.fiscal_year_report(db.session, fy, now)
    seminars = [
        [
            to_jst(row["seminar"].starts_at),
            row["seminar"].title,
            label(row["seminar"].host_type),
            label(row["seminar"].delivery),
            row["confirmed"],
            row["attendees"],
        ]
        for row in services.seminar_rows(db.session, fy, now)
    ]
    summary = [
        [_("Seminars held"), report["seminars"]["total"]],
        [_("of which online"), report["seminars"]["online"]],
        [_("Attendees"), report["attendees"]["total"]],
        [_("Registrations"), report["registrations"]["total"]],
        [_("Attendance rate"), report["registrations"]["attendance_rate"]],
        [_("No-shows"), report["registrations"]["no_shows"]],
        [_("Recordings opened"), report["recordings"]["opened"]],
    ]
    by_host = [
        [label(host), bucket["total"], bucket["online"], report["attendees"]["by_host_type"][host]]
        for host, bucket in report["seminars"]["by_host_type"].items()
    ]
    profile = [
        [str(PROFILE_NAMES[name]), _profile_label(name, value), count]
        for name, counts in report["attendees"]["registered_attendees_by"].items()
        for value, count in counts.items()
    ]
    summary += [
        [_("Consultations"), report["consultations"]["total"]],
        [_("of which online"), report["consultations"]["online"]],
    ]
    consultations = [
        [str(CONSULTATION_NAMES[name]), text, count]
        for name, rows in consultation_breakdowns(report["consultations"])
        for text, count in rows
    ]
    survey_figures = fiscal_year_survey_figures(db.session, fy, now)
    surveys = [[_("All seminars"), "", *_survey_numbers(survey_figures)]] + [
        [str(breakdown), _survey_label(value), *_survey_numbers(numbers)]
        for breakdown, key in ((_("Series"), "by_series"), (_("Level"), "by_level"))
        for value, numbers in survey_figures[key].items()
    ]
    years = [
        [
            format_fiscal_year(year["fiscal_year"]),
            year["seminars"],
            year["attendees"],
            year["consultations"],
            year["consultations_online"],
        ]
        for year in services.years_side_by_side(db.session, fy, YEARS_SIDE_BY_SIDE, now)
    ]
    return [
        (_("Summary"), [_("Figure"), format_fiscal_year(fy)], summary),
        (_("By host type"), [_("Host"), _("Seminars"), _("Online"), _("Attendees")], by_host),
        (
            _("Seminars"),
            [_("Date (JST)"), _("Title"), _("Host"), _("Delivery"), _("Confirmed"), _("Attendees")],
            seminars,
        ),
        (_("Attendees by profile"), [_("Breakdown"), _("Value"), _("Attendees")], profile),
        (_("Consultations"), [_("Breakdown"), _("Value"), _("Consultations")], consultations),
        (
            _("Surveys"),
            [
                _("Breakdown"),
                _("Value"),
                _("Answers"),
                _("Satisfaction (1–5)"),
                _("Understanding (1–5)"),
            ],
            surveys,
        ),
        (
            _("Year on year"),
            [
                _("Fiscal year"),
                _("Seminars"),
                _("Attendees"),
                _("Consultations"),
                _("of which online"),
            ],
            years,
        ),
    ]


@bp.post("/historic")
def historic_import():
    return import_upload(
        historic.import_file,
        historic.AlreadyImported,
        back=url_for("reports.fiscal_year", fy=form_fiscal_year()),
        landing=lambda year: url_for("reports.fiscal_year", fy=year or form_fiscal_year()),
        max_bytes=historic.LIMITS.max_bytes,
        empty_message=_("Choose the CSV file of past seminars."),
        done_message=lambda n: _("%(n)d past seminars were imported.", n=n),
    )


def _survey_label(value: str) -> str:
    return _("No level") if value == "none" else label(value)


def _survey_numbers(numbers) -> list:
    return [numbers["answers"], numbers["satisfaction"], numbers["understanding"]]


#: The tables a CSV can be asked for (a CSV holds one table), by their place in _tables.
CSV_TABLES = {"seminars": 2, "consultations": 4}


@bp.get("/<fy:fy>.<any(csv, xlsx):extension>")
@bp.get("/<fy:fy>-<any(seminars, consultations):table>.<any(csv):extension>")
def export(fy: int, extension: str, table: str = "seminars"):
    tables = _tables(fy)
    record(
        db.session,
        "report.exported",
        "fiscal_year",
        fy,
        details={"format": extension, "table": table if extension == "csv" else "all"},
    )
    db.session.commit()
    suffix = f"-{table}" if extension == "csv" and table != "seminars" else ""
    if extension == "csv":
        _title, header, rows = tables[CSV_TABLES[table]]
        body, mimetype = to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(tables)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="report-fy{fy}{suffix}.{extension}"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/<fy:fy>/activity.pptx")
def activity_deck(fy: int):
    """The annual activity report (活動状況) as slides, built from the same figures."""
    body = activity.build_deck(
        db.session, fy, utcnow(), agency_name=current_app.config["AGENCY_NAME"]
    )
    record(db.session, "report.exported", "fiscal_year", fy, details={"format": "pptx"})
    db.session.commit()
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        headers={
            "Content-Disposition": f'attachment; filename="activity-fy{fy}.pptx"',
            "Cache-Control": "no-store",
        },
    )
