"""The consultation desk in the console: records, clients and their support history."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ..audit.services import record
from ..auth.access import check_roles
from ..auth.models import User
from ..auth.services import active_staff
from ..domain import Role, label
from ..exports import Table, table_download
from ..extensions import db
from ..i18n import current_language
from ..reference import INDUSTRIES, PREFECTURES, reference_name
from ..timeutil import fiscal_year_of, jst_today, parse_fiscal_year, utcnow
from ..uploads import import_upload
from . import importer, services
from .figures import consultation_figures
from .forms import ConsultationForm
from .models import Client, Consultation, step_label

bp = Blueprint("consultations", __name__)
bp.before_request(lambda: check_roles(Role.ORGANIZER, Role.ADVISOR))

#: What the form says when the domain rules refuse a value (the selects allow no other).
_FIELD_MESSAGES = {
    "topics": lambda: _("Choose at least one topic."),
    "corporate_number": lambda: _("A corporate number has 13 digits."),
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


def _consultation_or_404(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def _advisors() -> list[User]:
    return active_staff(db.session, Role.ADVISOR)


def _form(**kwargs) -> ConsultationForm:
    return ConsultationForm(advisors=_advisors(), language=current_language(), **kwargs)


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
        form.show_problems(
            {
                name: _FIELD_MESSAGES.get(name, lambda: _("Choose one of the listed values."))()
                for name in exc.problems
            }
        )
        return None
    db.session.commit()
    return consultation


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


@bp.get("/")
def index():
    fy = requested_fiscal_year()
    return render_template(
        "consultations/index.html",
        fy=fy,
        consultations=services.consultations_of_year(db.session, fy),
        years=_years(fy),
        figures=consultation_figures(db.session, fy),
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
    )


@bp.route("/<int:consultation_id>/edit", methods=["GET", "POST"])
def edit(consultation_id: int):
    consultation = _consultation_or_404(consultation_id)
    if not services.may_read_notes(current_user, consultation):
        abort(403)
    form = _form()
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
    """The year's consultations; notes only when an organizer asks for them explicitly."""
    with_notes = request.args.get("notes") == "1"
    if with_notes and not current_user.has_role(Role.ORGANIZER):
        abort(403)
    table = _export_table(services.consultations_of_year(db.session, fy), with_notes)
    record(
        db.session,
        "consultation.exported_with_notes" if with_notes else "consultation.exported",
        "fiscal_year",
        fy,
        actor=current_user,
        details={"format": extension, "rows": len(table.rows)},
    )
    db.session.commit()
    suffix = "-with-notes" if with_notes else ""
    return table_download(extension, f"consultations-fy{fy}{suffix}", table)


def _export_table(newest_first: list[Consultation], with_notes: bool) -> Table:
    """The consultations, oldest first, in the reader's language."""
    header = [
        _("Consultation date"),
        _("Channel"),
        _("Organization"),
        _("Corporate number"),
        _("Type of organization"),
        _("Employees"),
        _("Industry"),
        _("Prefecture"),
        _("Topics"),
        _("How the client came"),
        _("Step reached"),
        _("Advisor"),
    ] + ([_("Notes")] if with_notes else [])
    rows = [
        [
            consultation.held_on,
            label(consultation.channel),
            consultation.client.name if consultation.client else "",
            (consultation.client.corporate_number or "") if consultation.client else "",
            label(consultation.attribute),
            label(consultation.employee_band),
            _place_label("industry", consultation.industry),
            _place_label("prefecture", consultation.prefecture),
            "・".join(label(topic) for topic in consultation.topics),
            label(consultation.source),
            step_label(consultation.step),
            consultation.advisor.display_name if consultation.advisor else "",
        ]
        + ([consultation.notes or ""] if with_notes else [])
        for consultation in reversed(newest_first)
    ]
    return Table(_("Consultations"), header, rows)


@bp.post("/import")
def import_file() -> ResponseReturnValue:
    check_roles(Role.ORGANIZER)
    return import_upload(
        importer.import_file,
        importer.AlreadyImported,
        back=url_for("consultations.index", fy=form_fiscal_year()),
        landing=lambda year: url_for("consultations.index", fy=year or form_fiscal_year()),
        max_bytes=importer.LIMITS.max_bytes,
        empty_message=_("Choose the CSV file of past consultations."),
        done_message=lambda n: _("%(n)d consultations were imported.", n=n),
    )
