"""The fiscal-year report page for organizers, and its files: each reads one typed report."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..audit.services import record
from ..auth.access import require_roles_for_blueprint
from ..consultations.views import form_fiscal_year, requested_fiscal_year
from ..domain import Role
from ..exports import PPTX_MIMETYPE, attachment, table_download
from ..extensions import db
from ..timeutil import utcnow
from ..uploads import import_upload
from . import activity, historic, services, tables

bp = Blueprint("reports", __name__)
require_roles_for_blueprint(bp, Role.ORGANIZER)


@bp.get("/")
def fiscal_year() -> str:
    report = services.fiscal_year_report(db.session, requested_fiscal_year(), utcnow())
    return render_template(
        "reports/fiscal_year.html",
        fy=report.fiscal_year,
        report=report,
        figures=report.figures,
        figure_text=tables.figure_text,
        value_label=tables.value_label,
        series_or_level_label=tables.series_or_level_label,
        profile_names=tables.PROFILE_NAMES,
        consultation_names=tables.CONSULTATION_NAMES,
        consultation_breakdowns=tables.consultation_breakdowns(report),
    )


@bp.post("/historic")
def historic_import() -> ResponseReturnValue:
    return import_upload(
        historic.import_file,
        historic.AlreadyImported,
        back=url_for("reports.fiscal_year", fy=form_fiscal_year()),
        landing=lambda year: url_for("reports.fiscal_year", fy=year or form_fiscal_year()),
        max_bytes=historic.LIMITS.max_bytes,
        empty_message=_("Choose the CSV file of past seminars."),
        done_message=lambda n: _("%(n)d past seminars were imported.", n=n),
    )


@bp.get("/<fy:fy>.<any(csv, xlsx):extension>")
@bp.get("/<fy:fy>-<any(seminars, consultations):table>.<any(csv):extension>")
def export(fy: int, extension: str, table: str = "seminars") -> Response:
    """The report's tables: one (the seminars, or the desk's) as CSV, all as .xlsx."""
    every_table = tables.report_tables(services.fiscal_year_report(db.session, fy, utcnow()))
    record(
        db.session,
        "report.exported",
        "fiscal_year",
        fy,
        details={"format": extension, "table": table if extension == "csv" else "all"},
    )
    db.session.commit()
    if extension == "xlsx":
        return table_download(extension, f"report-fy{fy}", *every_table.values())
    suffix = "" if table == "seminars" else f"-{table}"
    return table_download(extension, f"report-fy{fy}{suffix}", every_table[table])


@bp.get("/<fy:fy>/activity.pptx")
def activity_deck(fy: int) -> Response:
    """The annual activity report (活動状況) as slides, built from the same report."""
    report = services.fiscal_year_report(db.session, fy, utcnow())
    body = activity.build_deck(report, agency_name=current_app.config["AGENCY_NAME"])
    record(db.session, "report.exported", "fiscal_year", fy, details={"format": "pptx"})
    db.session.commit()
    return attachment(body, PPTX_MIMETYPE, f"activity-fy{fy}.pptx")
