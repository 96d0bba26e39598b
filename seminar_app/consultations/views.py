"""The consultation desk in the console: records, clients and their support history."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..audit.services import record
from ..auth.access import require_roles_for_blueprint, roles_required
from ..auth.models import User
from ..auth.services import active_staff
from ..domain import Role, label
from ..exports import Table, table_download
from ..extensions import db
from ..i18n import current_language, format_fiscal_year
from ..reference import INDUSTRIES, PREFECTURAL_DESKS, PREFECTURES, reference_name
from ..timeutil import (
    fiscal_year_of,
    jst_today,
    parse_fiscal_year,
    utcnow,
)
from ..uploads import import_upload
from . import desks, importer, services
from .figures import UnknownDesk, consultation_figures, desk_by_code
from .forms import ConsultationForm, DeskForm, TotalsForm
from .models import Client, Consultation, Desk, step_label

bp = Blueprint("consultations", __name__)
require_roles_for_blueprint(bp, Role.ORGANIZER, Role.ADVISOR)
#: The desks and imports are the organizers' (advisors record and read consultations).
organizers_only = roles_required(Role.ORGANIZER)


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


def _consultation_or_404(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def _advisors() -> list[User]:
    return active_staff(db.session, Role.ADVISOR)


def _form(consultation: Consultation | None = None, **kwargs) -> ConsultationForm:
    """The form, offering the active desks (and the record's own desk, if inactive now)."""
    offered = services.active_desks(db.session)
    if consultation is not None and consultation.desk not in offered:
        offered.append(consultation.desk)
    return ConsultationForm(
        advisors=_advisors(), desks=offered, language=current_language(), **kwargs
    )


def _chosen_advisor(form: ConsultationForm) -> User | None:
    return next((user for user in _advisors() if user.id == form.advisor.data), None)


def _save(form: ConsultationForm, consultation: Consultation | None):
    """Record or correct; the form's errors when the rules refuse (nothing is written)."""
    try:
        if consultation is None:
            consultation = services.record_consultation(
                db.session, form.values(), advisor=_chosen_advisor(form), by=current_user
            )
        else:
            services.update_consultation(
                db.session,
                consultation,
                form.values(),
                advisor=_chosen_advisor(form),
                by=current_user,
            )
    except services.ConsultationError as exc:
        db.session.rollback()
        form.show_problems(form.word_problems(exc.problems))
        return None
    db.session.commit()
    _warn_of_set_aside_totals(consultation)
    return consultation


def _warn_of_set_aside_totals(consultation: Consultation) -> None:
    """A desk-year kept as totals is counted from its records once it has one: say so, as
    the figures drop from the totals to the records."""
    year = fiscal_year_of(consultation.held_on)
    kept = desks.totals_of_year(db.session, consultation.desk, year)
    if kept is not None:
        flash(
            _(
                "%(year)s at %(desk)s was kept as totals (%(n)d consultations). Now that it has "
                "records, reports count its records instead: record its other consultations, "
                "or remove the totals on the desk's page.",
                year=format_fiscal_year(year),
                desk=consultation.desk.name,
                n=kept.consultations,
            ),
            "warning",
        )


def _years(shown: int) -> range:
    """From this fiscal year back to the desk's first record (imported ones included)."""
    current = fiscal_year_of(utcnow())
    first = db.session.scalar(select(func.min(Consultation.held_on)))
    oldest = min(
        shown,
        current - 1,
        fiscal_year_of(first) if first else current,
    )
    return range(max(current, shown), oldest - 1, -1)


def requested_desk() -> Desk | None:
    """?desk=kansai, every desk when absent or empty; 404 for a code no desk has (an old
    bookmark to a deleted desk shows nothing rather than every desk's figures)."""
    code = (request.args.get("desk") or "").strip()
    return _desk_or_404(code) if code else None


@bp.get("/")
def index():
    fy = requested_fiscal_year()
    chosen = requested_desk()
    return render_template(
        "consultations/index.html",
        fy=fy,
        consultations=services.consultations_of_year(
            db.session, fy, desk_id=chosen.id if chosen else None
        ),
        years=_years(fy),
        desks=desks.desks_in_order(db.session),
        desk=chosen,
        figures=consultation_figures(db.session, fy, chosen.code if chosen else None),
        step_label=step_label,
        may_import=current_user.has_role(Role.ORGANIZER),
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = _form()
    if request.method == "GET":
        form.held_on.data = jst_today()
        form.advisor.data = current_user.id if current_user.has_role(Role.ADVISOR) else 0
    if form.validate_on_submit():
        consultation = _save(form, None)
        if consultation is not None:
            flash(_("The consultation was recorded."), "success")
            return redirect(url_for("consultations.show", consultation_id=consultation.id), 303)
    return render_template("consultations/form.html", form=form, consultation=None)


@bp.get("/<int:consultation_id>")
def show(consultation_id: int):
    consultation = _consultation_or_404(consultation_id)
    return _show(consultation, notes=None)


@bp.get("/<int:consultation_id>/notes")
def notes(consultation_id: int):
    """The notes, shown on request: every read is audited."""
    consultation = _consultation_or_404(consultation_id)
    try:
        text = services.read_notes(db.session, consultation, current_user)
    except PermissionError:
        abort(403)
    db.session.commit()
    return _show(consultation, notes=text or "")


def _show(consultation: Consultation, notes: str | None):
    return render_template(
        "consultations/show.html",
        consultation=consultation,
        notes=notes,
        may_read_notes=services.may_read_notes(current_user, consultation),
        step_label=step_label,
        place_label=_place_label,
        referring_desk=reference_name(
            PREFECTURAL_DESKS, consultation.referring_desk, current_language()
        ),
    )


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
def edit(consultation_id: int):
    consultation = _consultation_or_404(consultation_id)
    if not services.may_read_notes(current_user, consultation):
        abort(403)
    form = _form(consultation)
    if request.method == "GET":
        # Editing shows the notes: that is a read like any other.
        form.fill(consultation, services.read_notes(db.session, consultation, current_user))
        db.session.commit()
    elif form.validate_on_submit() and _save(form, consultation) is not None:
        flash(_("The consultation was saved."), "success")
        return redirect(url_for("consultations.show", consultation_id=consultation.id), 303)
    return render_template("consultations/form.html", form=form, consultation=consultation)


@bp.get("/clients")
def clients():
    search = (request.args.get("q") or "").strip()[:200]
    return render_template(
        "consultations/clients.html",
        clients=services.clients_overview(db.session, search),
        search=search,
        step_label=step_label,
    )


@bp.get("/clients/<int:client_id>")
def client(client_id: int):
    found = db.session.get(Client, client_id)
    if found is None:
        abort(404)
    entries, highest = services.client_history(db.session, found)
    return render_template(
        "consultations/client.html",
        client=found,
        entries=entries,
        highest=highest,
        step_label=step_label,
    )


def _place_label(name: str, value: str | None) -> str:
    if value is None:
        return _("Not known")
    table = PREFECTURES if name == "prefecture" else INDUSTRIES
    return reference_name(table, value, current_language()) or value


@bp.get("/<fy:fy>.<any(csv, xlsx):extension>")
def export(fy: int, extension: str) -> Response:
    """The year's consultations, at the chosen desk or every desk; notes only when an
    organizer asks for them explicitly."""
    with_notes = request.args.get("notes") == "1"
    if with_notes and not current_user.has_role(Role.ORGANIZER):
        abort(403)
    chosen = requested_desk()
    table = _export_table(
        services.consultations_of_year(db.session, fy, desk_id=chosen.id if chosen else None),
        with_notes,
    )
    record(
        db.session,
        "consultation.exported_with_notes" if with_notes else "consultation.exported",
        "fiscal_year",
        fy,
        actor=current_user,
        details={
            "format": extension,
            "rows": len(table.rows),
            "desk": chosen.code if chosen else None,
        },
    )
    db.session.commit()
    scope = f"-desk-{chosen.code}" if chosen else ""
    suffix = "-with-notes" if with_notes else ""
    return table_download(extension, f"consultations-fy{fy}{scope}{suffix}", table)


def _export_table(newest_first: list[Consultation], with_notes: bool) -> Table:
    """The consultations, oldest first, in the reader's language."""
    header = [
        _("Consultation date"),
        _("Desk"),
        _("Channel"),
        _("Organization"),
        _("Corporate number"),
        _("Type of organization"),
        _("Employees"),
        _("Industry"),
        _("Prefecture"),
        _("Topics"),
        _("How the client came"),
        _("Referred by"),
        _("Referred on to"),
        _("Step reached"),
        _("Advisor"),
    ] + ([_("Notes")] if with_notes else [])
    rows = [
        [
            consultation.held_on,
            consultation.desk.name,
            label(consultation.channel),
            consultation.client.name if consultation.client else "",
            (consultation.client.corporate_number or "") if consultation.client else "",
            label(consultation.attribute),
            label(consultation.employee_band),
            _place_label("industry", consultation.industry),
            _place_label("prefecture", consultation.prefecture),
            "・".join(label(topic) for topic in consultation.topics),
            label(consultation.source),
            reference_name(PREFECTURAL_DESKS, consultation.referring_desk, current_language()),
            "・".join(referral.label for referral in consultation.referrals),
            step_label(consultation.step),
            consultation.advisor.display_name if consultation.advisor else "",
        ]
        + ([consultation.notes or ""] if with_notes else [])
        for consultation in reversed(newest_first)
    ]
    return Table(_("Consultations"), header, rows)


@bp.post("/import")
@organizers_only
def import_file() -> ResponseReturnValue:
    return import_upload(
        importer.import_file,
        importer.AlreadyImported,
        back=url_for("consultations.index", fy=form_fiscal_year()),
        landing=lambda year: url_for("consultations.index", fy=year or form_fiscal_year()),
        max_bytes=importer.LIMITS.max_bytes,
        empty_message=_("Choose the CSV file of past consultations."),
        done_message=lambda n: _("%(n)d consultations were imported.", n=n),
    )


# ---------------------------------------------------------------- desks (organizers)


def _desk_or_404(code: str) -> Desk:
    try:
        return desk_by_code(db.session, code)
    except UnknownDesk:
        abort(404)


def _desks_page(form: DeskForm | None = None, problem: str | None = None, status: int = 200):
    return (
        render_template(
            "consultations/desks.html",
            rows=desks.desks_overview(db.session),
            form=form or DeskForm(),
            problem=problem,
        ),
        status,
    )


@bp.get("/desks")
@organizers_only
def desks_list() -> ResponseReturnValue:
    """The desks: add, rename, reorder, deactivate; delete one nothing rests on."""
    return _desks_page()


@bp.post("/desks")
@organizers_only
def add_desk() -> ResponseReturnValue:
    form = DeskForm()
    if form.validate_on_submit():
        try:
            desk = desks.add_desk(
                db.session, form.code.data, form.name_ja.data, form.name_en.data, by=current_user
            )
        except desks.DeskError as exc:
            db.session.rollback()
            form.show_problems(exc.problems)
        else:
            db.session.commit()
            flash(_("The desk %(name)s was added.", name=desk.name), "success")
            return redirect(url_for("consultations.desks_list"), 303)
    return _desks_page(form, status=422)


def _desk_page(
    desk: Desk,
    *,
    form: DeskForm | None = None,
    totals_form: TotalsForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    if form is None:
        form = DeskForm(formdata=None, name_ja=desk.name_ja, name_en=desk.name_en)
    recorded = desks.totals_of_desk(db.session, desk)
    return (
        render_template(
            "consultations/desk.html",
            desk=desk,
            form=form,
            totals_form=totals_form or TotalsForm(formdata=None),
            totals=[
                (totals, desks.rows_in_year(db.session, desk, totals.fiscal_year))
                for totals in recorded
            ],
        ),
        status,
    )


@bp.get("/desks/<desk_code>")
@organizers_only
def desk_page(desk_code: str) -> ResponseReturnValue:
    return _desk_page(_desk_or_404(desk_code))


@bp.post("/desks/<desk_code>")
@organizers_only
def rename_desk(desk_code: str) -> ResponseReturnValue:
    desk = _desk_or_404(desk_code)
    form = DeskForm()
    if form.validate_on_submit():
        try:
            desks.rename_desk(
                db.session, desk, form.name_ja.data, form.name_en.data, by=current_user
            )
        except desks.DeskError as exc:
            db.session.rollback()
            form.show_problems(exc.problems)
        else:
            db.session.commit()
            flash(_("The desk's names were saved."), "success")
            return redirect(url_for("consultations.desk_page", desk_code=desk.code), 303)
    return _desk_page(desk, form=form, status=422)


@bp.post("/desks/<desk_code>/move")
@organizers_only
def move_desk(desk_code: str) -> ResponseReturnValue:
    desk = _desk_or_404(desk_code)
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        abort(400)
    desks.move_desk(db.session, desk, offset, by=current_user)
    db.session.commit()
    return redirect(url_for("consultations.desks_list"), 303)


@bp.post("/desks/<desk_code>/active")
@organizers_only
def set_desk_active(desk_code: str) -> ResponseReturnValue:
    desk = _desk_or_404(desk_code)
    active = request.form.get("active") == "1"
    try:
        desks.set_desk_active(db.session, desk, active, by=current_user)
    except desks.DeskError as exc:
        db.session.rollback()
        return _desks_page(problem=next(iter(exc.problems.values())), status=422)
    db.session.commit()
    flash(
        _("The desk %(name)s takes consultations again.", name=desk.name)
        if active
        else _("The desk %(name)s takes no new consultations.", name=desk.name),
        "success",
    )
    return redirect(url_for("consultations.desks_list"), 303)


@bp.post("/desks/<desk_code>/delete")
@organizers_only
def delete_desk(desk_code: str) -> ResponseReturnValue:
    desk = _desk_or_404(desk_code)
    name = desk.name
    try:
        desks.delete_desk(db.session, desk, by=current_user)
    except desks.DeskError as exc:
        db.session.rollback()
        return _desks_page(problem=next(iter(exc.problems.values())), status=422)
    db.session.commit()
    flash(_("The desk %(name)s was deleted.", name=name), "success")
    return redirect(url_for("consultations.desks_list"), 303)


@bp.post("/desks/<desk_code>/totals")
@organizers_only
def record_totals(desk_code: str) -> ResponseReturnValue:
    """A year's consultation totals for the desk; a second record replaces the first."""
    desk = _desk_or_404(desk_code)
    form = TotalsForm()
    year = form.fiscal_year.data
    if form.validate_on_submit() and year is not None:
        try:
            desks.record_totals(
                db.session,
                year,
                desk,
                form.consultations.data,
                form.online.data,
                by=current_user,
            )
        except desks.DeskError as exc:
            db.session.rollback()
            form.show_problems(exc.problems)
        else:
            db.session.commit()
            flash(
                _(
                    "The totals of %(year)s were recorded.",
                    year=format_fiscal_year(year),
                ),
                "success",
            )
            return redirect(url_for("consultations.desk_page", desk_code=desk.code), 303)
    return _desk_page(desk, totals_form=form, status=422)


@bp.post("/desks/<desk_code>/totals/<fy:fy>/delete")
@organizers_only
def remove_totals(desk_code: str, fy: int) -> ResponseReturnValue:
    desk = _desk_or_404(desk_code)
    totals = desks.totals_of_year(db.session, desk, fy)
    if totals is None:
        abort(404)
    desks.remove_totals(db.session, totals, by=current_user)
    db.session.commit()
    flash(_("The totals of %(year)s were removed.", year=format_fiscal_year(fy)), "success")
    return redirect(url_for("consultations.desk_page", desk_code=desk.code), 303)
