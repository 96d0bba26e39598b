"""The organizer console: the seminar list and every change to a seminar."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..auth.access import require_roles_for_blueprint
from ..catalogue import lifecycle
from ..catalogue.models import Seminar
from ..dispatch import services as dispatch_services
from ..domain import Role, SeminarStatus
from ..extensions import db
from ..notifications.services import undelivered
from ..timeutil import fiscal_year_bounds, fiscal_year_of, parse_fiscal_year, utcnow
from .forms import SeminarForm
from .overview import counts_by_mode, seminar_counts
from .today import WeekAhead, week_ahead

bp = Blueprint("console", __name__)
require_roles_for_blueprint(bp, Role.ORGANIZER)


@bp.app_template_global("week_ahead")
def week_ahead_now() -> WeekAhead:
    """What is on, for the staff home (auth.home), which sits below the console."""
    return week_ahead(db.session, utcnow())


def seminar_or_404(seminar_id: int) -> Seminar:
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        abort(404)
    return seminar


def _form(**kwargs) -> SeminarForm:
    lecturers = lifecycle.lecturer_choices(db.session)
    return SeminarForm(
        lecturer_choices=[(user.id, user.display_name) for user in lecturers], **kwargs
    )


def _chosen_lecturers(form: SeminarForm):
    ids = set(form.lecturers.data or [])
    return [user for user in lifecycle.lecturer_choices(db.session) if user.id in ids]


@bp.get("/")
def index():
    now = utcnow()
    current_fy = fiscal_year_of(now)
    fiscal_year = parse_fiscal_year(request.args.get("fiscal_year", "")) or current_fy
    status = request.args.get("status", "")
    start, end = fiscal_year_bounds(fiscal_year)
    query = select(Seminar).where(Seminar.starts_at >= start, Seminar.starts_at < end)
    if status in {member.value for member in SeminarStatus}:
        query = query.where(Seminar.status == status)
    seminars = db.session.scalars(
        query.order_by(Seminar.starts_at).options(undefer(Seminar.seats_taken))
    ).all()
    years = sorted(
        {fiscal_year_of(moment) for moment in db.session.scalars(select(Seminar.starts_at))}
        | {current_fy},
        reverse=True,
    )
    return render_template(
        "console/index.html",
        seminars=seminars,
        fiscal_year=fiscal_year,
        years=years,
        status=status,
        statuses=list(SeminarStatus),
        now=now,
        undelivered=undelivered(db.session, now),
    )


@bp.route("/seminars/new", methods=["GET", "POST"])
def new():
    form = _form()
    if form.validate_on_submit():
        seminar = lifecycle.create_seminar(
            db.session,
            form.to_fields(),
            _chosen_lecturers(form),
            admission=form.admission.data,
            lottery_sme_priority=form.lottery_sme_priority.data,
            max_group_size=form.max_group_size.data,
        )
        db.session.commit()
        flash(_("Saved as a draft. Publish it when it is ready."), "success")
        return redirect(url_for("console.edit", seminar_id=seminar.id))
    return render_template("console/form.html", form=form, seminar=None), (
        400 if form.errors else 200
    )


@bp.get("/seminars/<id:seminar_id>")
def seminar(seminar_id: int):
    """The seminar's own page in the console: everything about it, with its counts."""
    found = seminar_or_404(seminar_id)
    return render_template(
        "console/seminar.html",
        seminar=found,
        counts=seminar_counts(db.session, found.id),
        by_mode=counts_by_mode(db.session, found),
    )


@bp.route("/seminars/<id:seminar_id>/edit", methods=["GET", "POST"])
def edit(seminar_id: int):
    seminar = seminar_or_404(seminar_id)
    form = _form()
    if request.method == "GET":
        form.fill_from(seminar)
    elif form.validate_on_submit():
        try:
            changed = lifecycle.change_seminar(
                db.session,
                seminar_id,
                form.to_fields(),
                _chosen_lecturers(form),
                utcnow(),
                admission=form.admission.data,
                lottery_sme_priority=form.lottery_sme_priority.data,
                max_group_size=form.max_group_size.data,
            )
        except lifecycle.OwnedSeminar as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _form_page(form, seminar_or_404(seminar_id), 400)
        except lifecycle.SeminarActionError as exc:
            db.session.rollback()
            form.admission.errors = [*form.admission.errors, str(exc)]
            seminar = seminar_or_404(seminar_id)
        else:
            db.session.commit()
            flash(_("Saved.") if changed else _("Nothing had changed."), "success")
            return redirect(url_for("console.edit", seminar_id=seminar.id))
    return _form_page(form, seminar, 400 if form.errors else 200)


def _form_page(form, seminar: Seminar, status: int):
    """The seminar's form; a dispatch's in-company seminar names its request, where its
    date, place, lecturers and status are changed."""
    owner = dispatch_services.request_of_seminar(db.session, seminar.id)
    return render_template(
        "console/form.html", form=form, seminar=seminar, dispatch_request=owner
    ), status


@bp.post("/seminars/<id:seminar_id>/duplicate")
def duplicate(seminar_id: int):
    copy = lifecycle.duplicate_seminar(db.session, seminar_or_404(seminar_id))
    db.session.commit()
    flash(_("A draft copy was made. Set its date and publish it when ready."), "success")
    return redirect(url_for("console.edit", seminar_id=copy.id))


def _status_action(seminar_id: int, action, success: str):
    seminar = seminar_or_404(seminar_id)
    try:
        action(seminar)
    except lifecycle.SeminarActionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("console.edit", seminar_id=seminar.id)), 303
    db.session.commit()
    flash(success, "success")
    return redirect(url_for("console.edit", seminar_id=seminar.id)), 303


@bp.post("/seminars/<id:seminar_id>/publish")
def publish(seminar_id: int):
    return _status_action(
        seminar_id,
        lambda s: lifecycle.publish(db.session, s, utcnow()),
        _("Published: the seminar is now in the public catalogue."),
    )


@bp.post("/seminars/<id:seminar_id>/unpublish")
def unpublish(seminar_id: int):
    return _status_action(
        seminar_id,
        lambda s: lifecycle.unpublish(db.session, s),
        _("Unpublished: the seminar is a draft again."),
    )


@bp.route("/seminars/<id:seminar_id>/cancel", methods=["GET", "POST"])
def cancel(seminar_id: int):
    seminar = seminar_or_404(seminar_id)
    if request.method == "GET":
        return render_template("console/cancel.html", seminar=seminar)
    reason = (request.form.get("reason") or "").strip()[:500]
    return _status_action(
        seminar_id,
        lambda s: lifecycle.cancel(db.session, s, reason),
        _("The seminar is cancelled."),
    )


# The registration pages register their routes on this blueprint.
from . import attendance as _attendance  # noqa: E402, F401
from . import registrations as _registrations  # noqa: E402, F401
