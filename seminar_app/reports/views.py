"""The fiscal-year report page for organizers, its files, and what an organizer keeps with
the year for it (targets, the slides' commentary): each reads one typed report."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..audit.services import record
from ..auth.access import require_roles_for_blueprint
from ..consultations.figures import UnknownDesk
from ..consultations.views import form_fiscal_year, requested_fiscal_year
from ..domain import Role
from ..exports import PPTX_MIMETYPE, attachment, table_download
from ..extensions import db
from ..problems import show_problems
from ..timeutil import utcnow
from ..uploads import import_upload
from . import activity, historic, plans, services, tables
from .forms import TargetsForm, commentary_form
from .results import FiscalYearReport

bp = Blueprint("reports", __name__)
require_roles_for_blueprint(bp, Role.ORGANIZER)


def _requested_desk() -> str | None:
    """?desk=kansai: the desk whose breakdowns are shown; absent or empty: every desk."""
    return (request.args.get("desk") or "").strip() or None


def _report(fiscal_year: int) -> FiscalYearReport:
    """The year's report for the requested desk; 404 for a desk code no desk has."""
    try:
        return services.fiscal_year_report(
            db.session, fiscal_year, utcnow(), desk=_requested_desk()
        )
    except UnknownDesk:
        abort(404)


@bp.get("/")
def fiscal_year() -> str:
    report = _report(requested_fiscal_year())
    return render_template(
        "reports/fiscal_year.html",
        fy=report.fiscal_year,
        report=report,
        figures=report.figures,
        desks=services.report_desks(db.session),
        figure_text=tables.figure_text,
        not_recorded=tables.NOT_RECORDED,
        percent_text=tables.percent_text,
        consultations_text=tables.consultations_text,
        totals_note=tables.totals_note,
        seminar_kind=tables.seminar_kind,
        value_label=tables.value_label,
        series_or_level_label=tables.series_or_level_label,
        profile_names=tables.PROFILE_NAMES,
        consultation_names=tables.CONSULTATION_NAMES,
        target_labels=tables.TARGET_LABELS,
        consultation_breakdowns=tables.consultation_breakdowns(report),
        dispatch_measures=tables.DISPATCH_MEASURES,
        dispatch_breakdowns=tables.dispatch_breakdowns(report.figures.dispatch),
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
@bp.get("/<fy:fy>-<any(seminars, consultations, dispatch):table>.<any(csv):extension>")
def export(fy: int, extension: str, table: str = "seminars") -> Response:
    """The report's tables: one (the seminars, the desk's or lecturer dispatch) as CSV, all
    as .xlsx."""
    every_table = tables.report_tables(_report(fy))
    record(
        db.session,
        "report.exported",
        "fiscal_year",
        fy,
        details={
            "format": extension,
            "table": table if extension == "csv" else "all",
            "desk": _requested_desk(),
        },
    )
    db.session.commit()
    # The desk whose breakdowns the file holds is in its name (report-fy2024-desk-kansai).
    scope = f"-desk-{_requested_desk()}" if _requested_desk() else ""
    if extension == "xlsx":
        return table_download(extension, f"report-fy{fy}{scope}", *every_table.values())
    if table == "seminars":
        return table_download(extension, f"report-fy{fy}", every_table[table])
    if table == "dispatch":  # the same for every desk: its name says none
        return table_download(extension, f"report-fy{fy}-{table}", every_table[table])
    return table_download(extension, f"report-fy{fy}-{table}{scope}", every_table[table])


@bp.get("/<fy:fy>/activity.pptx")
def activity_deck(fy: int) -> Response:
    """The annual activity report (活動状況) as slides, built from the same report: its
    breakdowns for the chosen desk (?desk=), its programme the agency's own seminars only
    when asked (?own_only=1)."""
    report = _report(fy)
    own_only = request.args.get("own_only") in ("1", "on", "true")
    options = activity.deck_options(
        current_app.config,
        own_only=own_only,
        commentary=plans.commentary_of(db.session, fy),
        **services.desk_names(db.session, report.desk),
    )
    body = activity.build_deck(report, options=options)
    record(
        db.session,
        "report.exported",
        "fiscal_year",
        fy,
        details={"format": "pptx", "desk": report.desk, "own_only": own_only},
    )
    db.session.commit()
    return attachment(body, PPTX_MIMETYPE, f"activity-fy{fy}.pptx")


@bp.route("/<fy:fy>/targets", methods=["GET", "POST"])
def targets(fy: int) -> ResponseReturnValue:
    """The year's targets (年度計画); a refused field is named and nothing is kept."""
    form = TargetsForm(data=plans.targets_of(db.session, fy))
    if request.method == "POST":
        form = TargetsForm()
        if form.validate():
            try:
                plans.set_targets(db.session, fy, form.values(), by=current_user)
            except plans.PlanRefused as refused:
                db.session.rollback()
                show_problems(form, refused.problems)
            else:
                db.session.commit()
                flash(_("The targets were saved."), "success")
                return redirect(url_for("reports.fiscal_year", fy=fy) + "#targets")
    return render_template("reports/targets.html", fy=fy, form=form), (422 if form.errors else 200)


@bp.route("/<fy:fy>/commentary", methods=["GET", "POST"])
def commentary(fy: int) -> ResponseReturnValue:
    """The year's commentary (所感) on each slide of its activity report."""
    if request.method == "POST":
        form = commentary_form(activity.SLIDES)
        if form.validate():
            texts = {key: form[key].data or "" for key in activity.SLIDES}
            try:
                plans.set_commentary(db.session, fy, texts, activity.SLIDES, by=current_user)
            except plans.PlanRefused as refused:
                db.session.rollback()
                show_problems(form, refused.problems)
            else:
                db.session.commit()
                flash(_("The commentary was saved."), "success")
                return redirect(url_for("reports.commentary", fy=fy))
    else:
        form = commentary_form(activity.SLIDES, data=plans.commentary_of(db.session, fy))
    return render_template("reports/commentary.html", fy=fy, form=form), (
        422 if form.errors else 200
    )
