"""Registration without an account, and the management page behind each private link."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from ..catalogue.models import Seminar
from ..catalogue.services import public_seminar_by_slug, registration_state, seats_left_by_mode
from ..domain import AttendanceMode, RegistrationStatus
from ..extensions import db, limiter
from ..i18n import current_language
from ..qr import qr_png
from ..timeutil import utcnow
from . import services
from .forms import EditDetailsForm, RegistrationForm, ResendForm
from .models import Registration

bp = Blueprint("registration", __name__)


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


def _step() -> str:
    """Which button sent the valid form: the entry page's asks for the confirmation page,
    the confirmation page's either goes back to the entry page (every field kept) or
    registers. Only the last takes a seat."""
    if "register" in request.form:
        return "register"
    return "edit" if "back" in request.form else "confirm"


def _joins_waitlist(seminar: Seminar, state: str, mode: AttendanceMode | None) -> bool:
    """The confirmation page warns of the waitlist: the seminar is full, or (hybrid) the
    way the person chose is, while the other still has seats."""
    if state == "full":
        return True
    return mode is not None and seats_left_by_mode(seminar).get(mode) == 0


def _seminar_or_404(slug: str) -> Seminar:
    seminar = public_seminar_by_slug(db.session, slug)
    if seminar is None or not seminar.takes_registrations:
        abort(404)
    return seminar


@bp.route("/seminars/<slug>/register", methods=["GET", "POST"])
@limiter.limit(_registration_limit, methods=["POST"])
def register(slug: str):
    seminar = _seminar_or_404(slug)
    now = utcnow()
    state = registration_state(seminar, now)
    form = RegistrationForm(language=current_language(), seminar=seminar)
    resend = ResendForm()
    refusal = None
    if form.validate_on_submit():
        step = _step()
        if step != "register":
            # 入力 → 確認: nothing is written until the person confirms on the second page.
            page = "confirm" if step == "confirm" else "register"
            return render_template(
                f"registration/{page}.html",
                seminar=seminar,
                form=form,
                resend=resend,
                state=state,
                waitlist=_joins_waitlist(seminar, state, form.chosen_mode),
            )
        seminar_id = seminar.id
        try:
            registration = services.register(
                db.session,
                seminar_id,
                form.valid_details,
                now=now,
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
                attendance_mode=form.chosen_mode,
            )
        except services.AlreadyRegistered as exc:
            db.session.rollback()
            resend.email.data = form.valid_details.email
            return render_template(
                "registration/register.html",
                seminar=seminar,
                form=form,
                resend=resend,
                state=state,
                already=exc.message,
            ), 409
        except services.RegistrationError as exc:
            db.session.rollback()
            refusal = exc.message
        else:
            db.session.commit()
            return redirect(
                url_for("registration.manage", token=registration.manage_token, new=1), 303
            )
    status = 400 if (form.errors or refusal) else 200
    return render_template(
        "registration/register.html",
        seminar=seminar,
        form=form,
        resend=resend,
        state=state,
        refusal=refusal,
    ), status


@bp.post("/seminars/<slug>/resend")
@limiter.limit(_registration_limit)
def resend_link(slug: str):
    seminar = _seminar_or_404(slug)
    form = ResendForm()
    if form.validate_on_submit() and form.email.data:
        from .details import normalize_email_address

        email, _problem = normalize_email_address(form.email.data)
        registration = services.find_active(db.session, seminar.id, (email or "").lower())
        if registration is not None:
            services.send_link_again(db.session, registration)
            db.session.commit()
    # The same answer either way: this page must not tell who registered.
    flash(_("If that address is registered for this seminar, the link is on its way."), "info")
    return redirect(url_for("catalogue.detail", slug=seminar.slug), 303)


def registration_or_404(token: str) -> Registration:
    g.private_page = True
    registration = services.by_manage_token(db.session, token)
    if registration is None:
        abort(404)
    return registration


@bp.get("/r/<token>")
def manage(token: str):
    # This one registration only: the address's other registrations and its calendar feed
    # are reached through the link mailed to the address (/me), never from here.
    registration = registration_or_404(token)
    return render_template(
        "registration/manage.html",
        registration=registration,
        seminar=registration.seminar,
        position=services.waitlist_position(db.session, registration),
        new=request.args.get("new") == "1",
        now=utcnow(),
    )


@bp.route("/r/<token>/edit", methods=["GET", "POST"])
def edit(token: str):
    registration = registration_or_404(token)
    if not registration.is_active:
        abort(404)
    form = EditDetailsForm(
        obj=registration, language=registration.locale, fixed_email=registration.email
    )
    if form.validate_on_submit():
        services.update_details(db.session, registration, form.valid_details)
        db.session.commit()
        flash(_("Your details have been saved."), "success")
        return redirect(url_for("registration.manage", token=token), 303)
    return render_template(
        "registration/edit.html", form=form, registration=registration, seminar=registration.seminar
    ), (400 if form.errors else 200)


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    registration = registration_or_404(token)
    if request.method == "GET":
        return render_template(
            "registration/cancel.html", registration=registration, seminar=registration.seminar
        )
    try:
        services.cancel(db.session, registration.id, utcnow(), by_participant=True)
    except services.RegistrationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            _("Your registration has been cancelled. A confirmation mail is on its way."), "success"
        )
    return redirect(url_for("registration.manage", token=token), 303)


@bp.get("/privacy")
def privacy():
    return render_template(
        "registration/privacy.html", version=current_app.config["PRIVACY_NOTICE_VERSION"]
    )


@bp.get("/r/<token>/ticket.png")
def ticket(token: str):
    registration = registration_or_404(token)
    if registration.status != RegistrationStatus.CONFIRMED:
        abort(404)
    return Response(
        qr_png(registration.ticket_code),
        mimetype="image/png",
        headers={"Cache-Control": "private, no-store"},
    )
