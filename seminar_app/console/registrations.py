"""Organizer pages for one seminar's registrations (routes of the console blueprint)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..audit.services import record
from ..catalogue import lifecycle
from ..domain import Admission, RegistrationStatus, label
from ..exports import Table, table_download
from ..extensions import db
from ..i18n import current_language
from ..registration import lottery
from ..registration import services as registration_services
from ..registration.models import Registration
from ..registration.roster import export_header, export_rows, groups_of, roster_query
from ..text import normalize_text
from ..timeutil import utcnow
from .overview import counts_by_mode
from .views import bp, seminar_or_404


def _back_url(seminar_id: int) -> str:
    return url_for("console.registrations", seminar_id=seminar_id)


def _back(seminar_id: int):
    return redirect(_back_url(seminar_id), 303)


@bp.get("/seminars/<id:seminar_id>/registrations")
def registrations(seminar_id: int):
    seminar = seminar_or_404(seminar_id)
    status = request.args.get("status", "")
    search = (request.args.get("q") or "").strip()[:100]
    rows = db.session.scalars(roster_query(seminar.id, status, search)).all()
    counts = {
        member: registration_services.count_status(db.session, seminar.id, member)
        for member in RegistrationStatus
    }
    positions = registration_services.waitlist_positions(db.session, seminar.id)
    is_lottery = seminar.admission == Admission.LOTTERY
    draw = lottery.last_draw(db.session, seminar.id) if is_lottery else None
    if is_lottery and seminar.lottery_drawn_at is not None:
        # The drawn order, as the lottery decided it.
        rows = sorted(rows, key=lambda row: (row.lottery_rank is None, row.lottery_rank, row.id))
    return render_template(
        "console/registrations.html",
        seminar=seminar,
        rows=rows,
        counts=counts,
        positions=positions,
        status=status,
        search=search,
        statuses=list(RegistrationStatus),
        is_lottery=is_lottery,
        draw=draw,
        draw_refusal=lottery.draw_state(seminar, utcnow()) if is_lottery else None,
        by_mode=counts_by_mode(db.session, seminar),
        groups=groups_of(db.session, seminar.id),
    )


@bp.get("/seminars/<id:seminar_id>/lottery")
def lottery_page(seminar_id: int):
    """Asks before the draw: it happens once and mails everyone."""
    seminar = seminar_or_404(seminar_id)
    if seminar.admission != Admission.LOTTERY:
        abort(404)
    refused = lottery.draw_state(seminar, utcnow())
    return render_template(
        "console/lottery.html",
        seminar=seminar,
        applications=registration_services.count_status(
            db.session, seminar.id, RegistrationStatus.APPLIED
        ),
        taken=registration_services.seats_taken(db.session, seminar.id),
        draw_refusal=refused,
        refusal_message=lottery.refusal(refused, seminar).message if refused else None,
    )


@bp.post("/seminars/<id:seminar_id>/lottery")
def draw_lottery(seminar_id: int):
    seminar_or_404(seminar_id)
    try:
        result = lottery.draw(db.session, seminar_id, now=utcnow(), by=current_user)
    except lottery.LotteryError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            _(
                "The lottery is drawn (seed %(seed)s): %(confirmed)d confirmed, "
                "%(waitlisted)d on the waitlist. Everyone is told by mail.",
                seed=result.seed,
                confirmed=len(result.confirmed),
                waitlisted=len(result.waitlisted),
            ),
            "success",
        )
    return _back(seminar_id)


def _registration_action(registration_id: int, action, success: str):
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404)
    seminar_id = registration.seminar_id
    try:
        action(registration_id)
    except registration_services.RegistrationError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(success, "success")
    return _back(seminar_id)


def _confirmed() -> bool:
    """Whether the organizer has seen what the action does and confirmed it."""
    return request.form.get("confirmed") == "1"


def _confirmation(*, question, consequence, confirm_label, back, fields=None, preview=(), danger):
    """The page that asks first: what will happen, to how many people, with a way back."""
    return render_template(
        "console/confirm.html",
        question=question,
        consequence=consequence,
        confirm_label=confirm_label,
        action=request.path,
        fields=fields or {},
        preview=preview,
        back=back,
        danger=danger,
    )


@bp.post("/registrations/<id:registration_id>/cancel")
def cancel_registration(registration_id: int):
    if not _confirmed():
        registration = db.session.get(Registration, registration_id)
        if registration is None:
            abort(404)
        return _confirmation(
            question=_("Cancel the registration of %(name)s?", name=registration.name),
            consequence=_(
                "%(name)s loses their seat and is told by mail (1 mail). The next person on "
                "the waitlist, if any, gets the seat.",
                name=registration.name,
            ),
            confirm_label=_("Cancel the registration"),
            back=_back_url(registration.seminar_id),
            preview=[(_("Seminar"), registration.seminar.title), (_("E-mail"), registration.email)],
            danger=True,
        )
    return _registration_action(
        registration_id,
        lambda rid: registration_services.cancel(db.session, rid, utcnow(), by_participant=False),
        _("The registration is cancelled and the person has been told by mail."),
    )


@bp.post("/registrations/<id:registration_id>/promote")
def promote_registration(registration_id: int):
    return _registration_action(
        registration_id,
        lambda rid: registration_services.promote_by_hand(db.session, rid, utcnow()),
        _("Confirmed from the waitlist; the person has been told by mail."),
    )


@bp.post("/seminars/<id:seminar_id>/capacity")
def change_capacity(seminar_id: int):
    seminar_or_404(seminar_id)
    raw = (request.form.get("capacity") or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7:
        flash(_("Enter the capacity as a whole number from 0."), "error")
        return _back(seminar_id)
    try:
        promoted = lifecycle.change_capacity(db.session, seminar_id, int(raw), utcnow())
    except lifecycle.SeminarActionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(seminar_id)
    db.session.commit()
    flash(
        _("Capacity saved. %(n)d people were confirmed from the waitlist.", n=len(promoted)),
        "success",
    )
    return _back(seminar_id)


@bp.post("/seminars/<id:seminar_id>/message")
def message(seminar_id: int):
    seminar = seminar_or_404(seminar_id)
    audience = request.form.get("audience", "")
    subject = normalize_text(request.form.get("subject"))[:100]
    body = (request.form.get("body") or "").strip()[:5000]
    audiences = [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    if seminar.admission == Admission.LOTTERY:
        audiences.append(RegistrationStatus.APPLIED)
    if audience not in audiences:
        flash(_("Choose who receives the message."), "error")
    elif not subject or not body:
        flash(_("Write a subject and a message."), "error")
    elif not _confirmed():
        count = registration_services.count_status(
            db.session, seminar.id, RegistrationStatus(audience)
        )
        return _confirmation(
            question=_("Send this message?"),
            consequence=ngettext(
                "%(num)d person (%(who)s) will get this mail.",
                "%(num)d people (%(who)s) will get this mail.",
                count,
                who=label(RegistrationStatus(audience)),
            ),
            confirm_label=_("Send the message"),
            back=_back_url(seminar_id),
            fields={"audience": audience, "subject": subject, "body": body},
            preview=[(_("Subject"), subject), (_("Message"), body)],
            danger=False,
        )
    else:
        sent = registration_services.message_registrants(
            db.session, seminar, RegistrationStatus(audience), subject, body
        )
        db.session.commit()
        flash(_("The message is queued for %(n)d people.", n=sent), "success")
    return _back(seminar_id)


@bp.get("/seminars/<id:seminar_id>/registrations.<any(csv, xlsx):extension>")
def export(seminar_id: int, extension: str):
    seminar = seminar_or_404(seminar_id)
    language = current_language()
    header, rows = export_header(), export_rows(db.session, seminar.id, language)
    record(
        db.session,
        "registration.exported",
        "seminar",
        seminar.id,
        details={"format": extension, "rows": len(rows)},
    )
    db.session.commit()
    return table_download(
        extension, f"registrations-{seminar.slug}", Table(_("Registrations"), header, rows)
    )
