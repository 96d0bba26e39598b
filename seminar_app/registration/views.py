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
from ..problems import show_problems
from ..qr import qr_png
from ..timeutil import utcnow
from . import services
from .forms import (
    ColleagueAddForm,
    EditDetailsForm,
    MemberDetailsForm,
    RegistrationForm,
    ResendForm,
    kept_answers,
)
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
    page = {"seminar": seminar, "form": form, "resend": resend, "state": state}
    if form.is_submitted() and form.change_colleagues(request.form):
        # 「同行者を追加」「削除」: the entry page again, every field kept, nothing checked.
        return render_template("registration/register.html", **page)
    refusal = None
    if form.validate_on_submit():
        step = _step()
        if step != "register":
            # 入力 → 確認: nothing is written until the person confirms on the second page.
            return _entry_or_confirmation(step, page)
        seminar_id = seminar.id
        try:
            registration = _register_people(form, seminar_id, now)
        except services.AlreadyRegistered as exc:
            db.session.rollback()
            resend.email.data = form.valid_details.email
            return render_template("registration/register.html", **page, already=exc.message), 409
        except services.GroupRefused as exc:
            db.session.rollback()
            refusal = " ".join(form.show_group_problems(exc.problems)) or None
        except services.RegistrationError as exc:
            db.session.rollback()
            refusal = exc.message
        else:
            db.session.commit()
            return redirect(
                url_for("registration.manage", token=registration.manage_token, new=1), 303
            )
    status = 400 if (form.errors or refusal) else 200
    return render_template("registration/register.html", **page, refusal=refusal), status


def _entry_or_confirmation(step: str, page: dict):
    """The confirmation page (or the entry page again, going back), with what the person
    would get: the waitlist's warning for one person, each person's place for a group."""
    form, seminar = page["form"], page["seminar"]
    if step != "confirm":
        return render_template("registration/register.html", **page)
    preview = None
    if form.colleagues:
        preview = services.preview_places(
            db.session, seminar, 1 + len(form.colleagues), form.chosen_mode
        )
    return render_template(
        "registration/confirm.html",
        **page,
        waitlist=_joins_waitlist(seminar, page["state"], form.chosen_mode),
        preview=preview,
    )


def _register_people(form: RegistrationForm, seminar_id: int, now) -> Registration:
    """The person alone (register), or with their colleagues (register_group); the
    registration whose page follows: theirs."""
    given = {
        "now": now,
        "privacy_notice_version": current_app.config["PRIVACY_NOTICE_VERSION"],
        "attendance_mode": form.chosen_mode,
    }
    if form.colleagues:
        return services.register_group(
            db.session, seminar_id, form.valid_details, form.colleagues, **given
        )[0]
    return services.register(db.session, seminar_id, form.valid_details, **given)


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
    # This one registration only (and, to a group's contact, the people they registered):
    # the address's other registrations and its calendar feed are reached through the link
    # mailed to the address (/me), never from here.
    registration = registration_or_404(token)
    now = utcnow()
    return render_template(
        "registration/manage.html",
        registration=registration,
        seminar=registration.seminar,
        position=services.waitlist_position(db.session, registration),
        new=request.args.get("new") == "1",
        now=now,
        **_group_page(registration, now),
    )


def _group_page(registration: Registration, now) -> dict:
    """What the management page shows of a group. To a member: who registered them (their
    link reaches their own registration only). To the contact, or a person registered
    alone at a seminar that takes groups: everyone of the group with their place in the
    waitlist, and whether a colleague can be added now (else why not)."""
    if not services.leads_group(registration):
        return {"group_contact": db.session.get(Registration, registration.group_id)}
    group = services.group_of(db.session, registration)
    if len(group) < 2 and registration.seminar.max_group_size < 2:
        return {}
    return {
        "group": group,
        "places": services.waitlist_positions(db.session, registration.seminar_id),
        "why_not_add": services.why_not_add_to_group(db.session, registration, now),
    }


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


def _member_or_404(contact: Registration, member_id: int) -> Registration:
    member = services.group_member(db.session, contact, member_id)
    if member is None:
        abort(404)
    return member


@bp.route("/r/<token>/group/add", methods=["GET", "POST"])
@limiter.limit(_registration_limit, methods=["POST"])
def group_add(token: str):
    """The contact adds a colleague while a seat is free (services.add_to_group)."""
    contact = registration_or_404(token)
    seminar = contact.seminar
    if not services.leads_group(contact):
        abort(404)
    form = ColleagueAddForm(language=contact.locale, contact=contact)
    refusal = services.why_not_add_to_group(db.session, contact, utcnow())
    if refusal is None and form.validate_on_submit():
        try:
            added = services.add_to_group(
                db.session,
                contact.id,
                form.valid_details,
                now=utcnow(),
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            )
        except services.GroupRefused as exc:
            db.session.rollback()
            refusal = " ".join(show_problems(form, exc.problems)) or None
        except services.RegistrationError as exc:
            db.session.rollback()
            refusal = exc.message
        else:
            name = added.name
            db.session.commit()
            flash(
                _("%(name)s is registered. We have sent them their own mail.", name=name), "success"
            )
            return redirect(url_for("registration.manage", token=token), 303)
    failed = request.method == "POST" and (form.errors or refusal)
    return render_template(
        "registration/group_add.html",
        form=form,
        registration=contact,
        seminar=seminar,
        refusal=refusal,
    ), (400 if failed else 200)


@bp.route("/r/<token>/group/<id:member_id>/edit", methods=["GET", "POST"])
def member_edit(token: str, member_id: int):
    """The contact corrects a colleague's details, by the rules of a person's own."""
    contact = registration_or_404(token)
    member = _member_or_404(contact, member_id)
    if not member.is_active:
        abort(404)
    form = MemberDetailsForm(
        obj=member, language=member.locale, fixed_email=member.email, kept=kept_answers(member)
    )
    if form.validate_on_submit():
        services.update_details(db.session, member, form.valid_details)
        db.session.commit()
        flash(_("The details have been saved."), "success")
        return redirect(url_for("registration.manage", token=token), 303)
    return render_template(
        "registration/member_edit.html",
        form=form,
        registration=contact,
        member=member,
        seminar=contact.seminar,
    ), (400 if form.errors else 200)


@bp.route("/r/<token>/group/<id:member_id>/cancel", methods=["GET", "POST"])
def member_cancel(token: str, member_id: int):
    """The contact cancels a colleague's registration (asked first, as one's own)."""
    contact = registration_or_404(token)
    member = _member_or_404(contact, member_id)
    if request.method == "GET":
        return render_template(
            "registration/member_cancel.html",
            registration=contact,
            member=member,
            seminar=contact.seminar,
        )
    name = member.name
    try:
        services.cancel_group_member(db.session, contact, member_id, utcnow())
    except services.RegistrationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            _("The registration of %(name)s is cancelled; they are told by mail.", name=name),
            "success",
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
