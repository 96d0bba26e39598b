"""Lecturer dispatch: the public request form, the contact's private page, the organizers'
queue and scheduling in the console, and each staff member's assignments and their feed."""

from __future__ import annotations

import math
import re
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import roles_required
from ..calendars.views import FEED_HISTORY, ics_response
from ..catalogue import lifecycle
from ..catalogue.services import FilterError, parse_page
from ..domain import SPEAKERS, DispatchState, Role
from ..extensions import db, limiter
from ..i18n import current_language
from ..materials.models import Material
from ..materials.services import Access, SharedLink, material_access, materials_for
from ..materials.views import send_material
from ..notifications import calendar
from ..problems import show_problems
from ..reference import PREFECTURES, reference_name
from ..surveys.services import (
    Browser,
    answer_of,
    is_open,
    survey_for_seminar,
)
from ..surveys.services import (
    answer_count as survey_answer_count,
)
from ..surveys.views import Door, answer_page
from ..timeutil import utcnow
from ..urls import absolute_url
from . import services
from .delivery import DeliveryRefused, by_participant_token, deliver, scheduled_minutes
from .facts import request_facts
from .forms import SCHEDULE_FIELDS, DeliveryForm, RequestForm, ScheduleForm, StateForm
from .mails import feed_event, participants_url
from .models import DispatchRequest

bp = Blueprint("dispatch", __name__)
organizers_only = roles_required(Role.ORGANIZER)

#: The changes an organizer makes from a request's page; scheduling (a date and the
#: lecturers) and delivery (the head-count) have pages of their own.
CHANGES_ON_THE_PAGE = (
    DispatchState.UNDER_REVIEW,
    DispatchState.DECLINED,
    DispatchState.WITHDRAWN,
)


def _request_limit() -> str:
    # A request, like a registration, is a form anyone can send: the same limit per client.
    return current_app.config["REGISTRATION_RATE_LIMIT"]


# --- the company --------------------------------------------------------------------------


@bp.route("/dispatch/request", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def request_form():
    form = RequestForm(language=current_language())
    elsewhere: list[str] = []
    if form.validate_on_submit():
        try:
            dispatch = services.submit_request(
                db.session,
                form.values(),
                now=utcnow(),
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            )
        except services.RequestRefused as exc:
            db.session.rollback()
            elsewhere = show_problems(form, exc.problems)
        else:
            db.session.commit()
            return redirect(url_for("dispatch.manage", token=dispatch.token, new=1), 303)
    status = 400 if form.errors or elsewhere else 200
    return render_template("dispatch/request.html", form=form, elsewhere=elsewhere), status


def _by_token_or_404(token: str) -> DispatchRequest:
    g.private_page = True
    dispatch = services.by_token(db.session, token)
    if dispatch is None:
        abort(404)
    return dispatch


@bp.get("/dispatch/r/<token>")
def manage(token: str):
    dispatch = _by_token_or_404(token)
    return render_template(
        "dispatch/manage.html",
        dispatch=dispatch,
        facts=request_facts(dispatch, current_language()),
        refusal=services.withdrawal_refusal(dispatch),
        new=request.args.get("new") == "1",
        participants_url=participants_url(dispatch),
    )


@bp.route("/dispatch/r/<token>/withdraw", methods=["GET", "POST"])
def withdraw(token: str):
    dispatch = _by_token_or_404(token)
    if request.method == "GET":
        return render_template(
            "dispatch/withdraw.html",
            dispatch=dispatch,
            refusal=services.withdrawal_refusal(dispatch),
        )
    try:
        services.withdraw_by_contact(db.session, dispatch, now=utcnow())
    except services.TransitionRefused as exc:
        db.session.rollback()
        for message in exc.problems.values():
            flash(message, "error")
    else:
        db.session.commit()
        flash(_("Your request has been withdrawn. A confirmation mail is on its way."), "success")
    return redirect(url_for("dispatch.manage", token=token), 303)


# --- the company's participants ---------------------------------------------------------

#: The cookie that makes a browser one respondent of a shared survey (surveys.Browser).
BROWSER_COOKIE = "dispatch_browser"
BROWSER_COOKIE_DAYS = 365
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _shared_or_404(token: str) -> DispatchRequest:
    g.private_page = True
    dispatch = by_participant_token(db.session, token)
    if dispatch is None or dispatch.seminar is None:
        abort(404)
    return dispatch


def _browser_secret() -> tuple[str, bool]:
    """(this browser's secret, whether it is new and must be kept in its cookie)."""
    secret = request.cookies.get(BROWSER_COOKIE, "")
    if _SECRET.match(secret):
        return secret, False
    return secrets.token_urlsafe(32), True


@bp.get("/dispatch/p/<token>")
def participants(token: str):
    """The page the company's contact forwards to its participants: the seminar, its
    materials for them, and its survey once the seminar is over."""
    dispatch = _shared_or_404(token)
    seminar, now = dispatch.seminar, utcnow()
    assert seminar is not None  # _shared_or_404
    survey = survey_for_seminar(db.session, seminar.id)
    answered = False
    if survey is not None and BROWSER_COOKIE in request.cookies:
        secret, _new = _browser_secret()
        answered = answer_of(db.session, survey, Browser.of(seminar.id, secret)) is not None
    return render_template(
        "dispatch/participants.html",
        dispatch=dispatch,
        seminar=seminar,
        materials=materials_for(db.session, SharedLink(seminar.id), now),
        survey=survey,
        survey_open=survey is not None and seminar.ends_at <= now and is_open(survey, now),
        answered=answered,
    )


@bp.get("/dispatch/p/<token>/materials/<id:material_id>")
def participant_material(token: str, material_id: int):
    dispatch = _shared_or_404(token)
    assert dispatch.seminar_id is not None  # _shared_or_404
    material = db.session.get(Material, material_id)
    if material is None:
        abort(404)
    answer = material_access(db.session, material, SharedLink(dispatch.seminar_id), utcnow())
    if answer is not Access.OPEN:
        abort(int(answer))
    return send_material(material)


@bp.route("/dispatch/p/<token>/survey", methods=["GET", "POST"])
def participant_survey(token: str):
    """The seminar's survey for whoever the link was forwarded to: anonymous, one answer per
    browser (kept by a cookie of this link's own), which may be changed while it is open."""
    dispatch = _shared_or_404(token)
    seminar = dispatch.seminar
    assert seminar is not None  # _shared_or_404
    survey = survey_for_seminar(db.session, seminar.id)
    if survey is None:
        abort(404)
    secret, new = _browser_secret()
    door = Door(
        back_url=url_for("dispatch.participants", token=token),
        back_label=_("Back to the seminar's page"),
        here=url_for("dispatch.participant_survey", token=token),
        ask_name=False,
    )
    response = make_response(answer_page(survey, Browser.of(seminar.id, secret), seminar, door))
    if new:
        response.set_cookie(
            BROWSER_COOKIE,
            secret,
            max_age=BROWSER_COOKIE_DAYS * 24 * 3600,
            path=url_for("dispatch.participants", token=token),
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


# --- the organizers -----------------------------------------------------------------------


def _requested_state() -> DispatchState:
    """?state=under-review, the received requests when absent; 404 for anything else."""
    raw = request.args.get("state") or DispatchState.RECEIVED.value
    try:
        return DispatchState(raw)
    except ValueError:
        abort(404)


#: Requests on one page of the queue.
QUEUE_PAGE_SIZE = 50


@bp.get("/console/dispatch/")
@organizers_only
def queue():
    state = _requested_state()
    try:
        page = parse_page(request.args)
    except FilterError:
        abort(404)
    rows, total = services.in_state(db.session, state, page=page, per_page=QUEUE_PAGE_SIZE)
    return render_template(
        "dispatch/queue.html",
        state=state,
        counts=services.state_counts(db.session),
        requests=rows,
        page=page,
        pages=max(1, math.ceil(total / QUEUE_PAGE_SIZE)),
        prefecture_name=lambda code: reference_name(PREFECTURES, code, current_language()),
    )


def _request_or_404(request_id: int) -> DispatchRequest:
    dispatch = db.session.get(DispatchRequest, request_id)
    if dispatch is None:
        abort(404)
    return dispatch


def _schedule_form() -> ScheduleForm:
    return ScheduleForm(
        staff_choices=[
            (user.id, user.display_name) for user in lifecycle.lecturer_choices(db.session)
        ]
    )


def _may_schedule(dispatch: DispatchRequest) -> bool:
    return dispatch.state == DispatchState.SCHEDULED or services.may_become(
        dispatch, DispatchState.SCHEDULED
    )


def _prefilled(dispatch: DispatchRequest) -> ScheduleForm:
    """The schedule as it stands; before the first, the preferred date of ?slot=N (the
    company's first choice when none is asked for) and the delivery asked for."""
    form = _schedule_form()
    if dispatch.state == DispatchState.SCHEDULED and dispatch.seminar is not None:
        form.fill(dispatch.seminar.starts_at, dispatch.seminar.ends_at)
        form.delivery.data = dispatch.seminar.delivery.value
        form.staff.data = [user.id for user in dispatch.seminar.lecturers]
        return form
    slots = {str(slot.rank): slot for slot in dispatch.preferred_dates}
    slot = slots.get(request.args.get("slot", ""), dispatch.preferred_dates[0] if slots else None)
    if slot is not None:
        form.fill(slot.starts_at, slot.ends_at)
    form.delivery.data = dispatch.delivery.value
    return form


def _may_record_delivery(dispatch: DispatchRequest) -> bool:
    """A scheduled request whose seminar is over, or a delivered one (to correct it)."""
    seminar = dispatch.seminar
    if dispatch.state == DispatchState.DELIVERED:
        return True
    return (
        dispatch.state == DispatchState.SCHEDULED
        and seminar is not None
        and seminar.ends_at <= utcnow()
    )


def _prefilled_delivery(dispatch: DispatchRequest) -> DeliveryForm:
    form = DeliveryForm()
    seminar = dispatch.seminar
    if not form.is_submitted() and seminar is not None:
        if seminar.head_count is not None:
            form.attendees.data = str(seminar.head_count)
        form.minutes.data = str(dispatch.delivered_minutes or scheduled_minutes(seminar))
        form.report.data = dispatch.delivery_report or ""
    return form


def _show(
    dispatch: DispatchRequest,
    form: StateForm,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
    delivery_form: DeliveryForm | None = None,
):
    seminar = dispatch.seminar
    survey = survey_for_seminar(db.session, seminar.id) if seminar is not None else None
    return render_template(
        "dispatch/show.html",
        dispatch=dispatch,
        facts=request_facts(dispatch, current_language()),
        form=form,
        changes=[state for state in CHANGES_ON_THE_PAGE if services.may_become(dispatch, state)],
        schedule_form=(schedule_form or _prefilled(dispatch)) if _may_schedule(dispatch) else None,
        margin=current_app.config["DISPATCH_TRAVEL_MARGIN_MINUTES"],
        delivery_form=(
            (delivery_form or _prefilled_delivery(dispatch))
            if _may_record_delivery(dispatch)
            else None
        ),
        participants_url=participants_url(dispatch),
        survey=survey,
        survey_answers=survey_answer_count(db.session, survey) if survey else 0,
    ), status


@bp.get("/console/dispatch/<id:request_id>")
@organizers_only
def show(request_id: int):
    return _show(_request_or_404(request_id), StateForm())


@bp.post("/console/dispatch/<id:request_id>/state")
@organizers_only
def change_state(request_id: int):
    dispatch = _request_or_404(request_id)
    form = StateForm()
    if not form.validate_on_submit():
        return _show(dispatch, form, status=400)
    target = request.form.get("state", "")
    if target not in CHANGES_ON_THE_PAGE:
        abort(400)
    try:
        services.change_state(
            db.session,
            dispatch,
            target,
            by=current_user._get_current_object(),
            now=utcnow(),
            reason=form.reason.data,
        )
    except services.TransitionRefused as exc:
        db.session.rollback()
        for message in show_problems(form, exc.problems):
            flash(message, "error")
        return _show(_request_or_404(request_id), form, status=400)
    db.session.commit()
    flash(
        _("The request is now “%(state)s”.", state=DispatchState(target).label),
        "success",
    )
    return redirect(url_for("dispatch.show", request_id=request_id), 303)


@bp.post("/console/dispatch/<id:request_id>/schedule")
@organizers_only
def schedule(request_id: int):
    """Fix the date and the staff, or change them; a refusal is shown field by field."""
    dispatch = _request_or_404(request_id)
    form = _schedule_form()
    if not form.validate_on_submit():
        return _show(dispatch, StateForm(), form, 400)
    chosen = set(form.staff.data or [])
    staff = [user for user in lifecycle.lecturer_choices(db.session) if user.id in chosen]
    starts_at, ends_at = form.moments()
    first = dispatch.state != DispatchState.SCHEDULED
    try:
        services.schedule(
            db.session,
            dispatch,
            starts_at=starts_at,
            ends_at=ends_at,
            delivery=form.delivery.data or "",
            staff=staff,
            by=current_user._get_current_object(),
            now=utcnow(),
        )
    except services.ScheduleRefused as exc:
        db.session.rollback()
        problems = {SCHEDULE_FIELDS.get(name, name): text for name, text in exc.problems.items()}
        for message in show_problems(form, problems):
            flash(message, "error")
        return _show(_request_or_404(request_id), StateForm(), form, 400)
    db.session.commit()
    if first:
        flash(
            _("Scheduled. The company and the staff assigned receive a calendar invitation."),
            "success",
        )
    else:
        flash(
            _("The schedule has changed. The company and the staff receive the update."), "success"
        )
    return redirect(url_for("dispatch.show", request_id=request_id), 303)


@bp.post("/console/dispatch/<id:request_id>/delivery")
@organizers_only
def record_delivery(request_id: int):
    """The head-count, the minutes and the report of a delivered seminar, or a correction."""
    dispatch = _request_or_404(request_id)
    form = DeliveryForm()
    if not form.validate_on_submit():
        return _show(dispatch, StateForm(), status=400, delivery_form=form)
    correcting = dispatch.state == DispatchState.DELIVERED
    try:
        deliver(
            db.session,
            dispatch,
            form.facts(),
            by=current_user._get_current_object(),
            now=utcnow(),
        )
    except DeliveryRefused as exc:
        db.session.rollback()
        for message in show_problems(form, exc.problems):
            flash(message, "error")
        return _show(_request_or_404(request_id), StateForm(), status=400, delivery_form=form)
    db.session.commit()
    if correcting:
        flash(_("The delivery record is corrected."), "success")
    else:
        flash(_("Recorded as delivered. The report counts its attendees."), "success")
    return redirect(url_for("dispatch.show", request_id=request_id), 303)


# --- the staff assigned -------------------------------------------------------------------


@bp.get("/lecturer/assignments")
@roles_required(*SPEAKERS)
def assignments():
    """The staff member's assignments to come, and the address of their calendar feed."""
    user = current_user._get_current_object()
    token = services.ensure_staff_feed(db.session, user)
    db.session.commit()
    return render_template(
        "dispatch/assignments.html",
        feed_url=absolute_url("dispatch.staff_feed", token=token),
        rows=services.assignments_of(db.session, user, since=utcnow()),
    )


@bp.post("/lecturer/assignments/feed")
@roles_required(*SPEAKERS)
def renew_feed():
    services.renew_staff_feed(db.session, current_user._get_current_object())
    db.session.commit()
    flash(_("Your calendar has a new address; the old one no longer works."), "success")
    return redirect(url_for("dispatch.assignments"), 303)


@bp.get("/calendar/staff/<token>.ics")
def staff_feed(token: str):
    """One staff member's assignments, at a secret address their calendar subscribes to."""
    g.private_page = True
    user = services.feed_owner(db.session, token)
    if user is None:
        abort(404)
    rows = services.assignments_of(db.session, user, since=utcnow() - FEED_HISTORY)
    events = [feed_event(seminar, dispatch, user) for seminar, dispatch in rows]
    with force_locale(current_app.config["LANGUAGES"][0]):
        name = _("My assignments")
    return ics_response(calendar.feed(events, name=name), "my-assignments.ics")
