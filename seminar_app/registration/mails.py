"""Mails about registrations, rendered by the outbox sender in the person's language."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from flask import render_template
from flask_babel import gettext as _

from ..database import DbSession
from ..domain import RegistrationStatus
from ..i18n import format_moment, format_when
from ..notifications import calendar
from ..notifications.models import OutboxMessage
from ..notifications.services import compose, renderer
from ..qr import qr_png
from ..urls import absolute_url
from .models import Registration
from .services import waitlist_position

SUBJECTS = {
    "registration.confirmed": lambda: _("[Registration confirmed] %(title)s"),
    "registration.waitlisted": lambda: _("[Waitlist] %(title)s"),
    "registration.applied": lambda: _("[Application received] %(title)s"),
    "lottery.waitlisted": lambda: _("[Lottery result: waitlist] %(title)s"),
    "registration.promoted": lambda: _("[Seat confirmed from the waitlist] %(title)s"),
    "registration.cancelled": lambda: _("[Registration cancelled] %(title)s"),
    "registration.link": lambda: _("[Your registration] %(title)s"),
    "registration.reminder": lambda: _("[Reminder] %(title)s"),
    "seminar.changed": lambda: _("[Change of date, time or place] %(title)s"),
    "seminar.cancelled": lambda: _("[Seminar cancelled] %(title)s"),
    "seminar.message": lambda: _("[Notice] %(title)s"),
    "recording.published": lambda: _("[Recording available] %(title)s"),
}

#: The subject of a confirmation that a lottery's draw gave (payload "lottery": true).
LOTTERY_CONFIRMED_SUBJECT = lambda: _("[Lottery result: seat confirmed] %(title)s")  # noqa: E731

#: Which mails carry the QR ticket (to a confirmed person).
TICKET_KINDS = (
    "registration.confirmed",
    "registration.promoted",
    "registration.link",
    "registration.reminder",
    "seminar.changed",
)

#: Which mails carry a calendar object, and with which METHOD.
INVITES = {
    "registration.confirmed": "REQUEST",
    "registration.promoted": "REQUEST",
    "seminar.changed": "REQUEST",
    "registration.reminder": None,
}


def registration_uid(registration: Registration) -> str:
    """Stable for the life of the registration: updates and cancellations replace the entry."""
    return f"registration-{registration.id}@{calendar.domain()}"


def manage_url(registration: Registration) -> str:
    return absolute_url("registration.manage", token=registration.manage_token)


def join_url(registration: Registration) -> str:
    """The person's own way into the meeting: it records attendance, then redirects."""
    return absolute_url("online.join", token=registration.join_token)


def registration_invite(
    registration: Registration, method: str, sequence: int, language: str
) -> bytes:
    seminar = registration.seminar
    link = manage_url(registration)
    lines = [seminar.title_for(language), format_when(seminar.starts_at, seminar.ends_at, language)]
    # The join link is for those who attend online (not the venue's people at a hybrid one).
    if method == "REQUEST" and seminar.meeting_url and registration.attendance == "online":
        lines.append(f"{_('Join online')}: {join_url(registration)}")
    lines.append(f"{_('Your registration')}: {link}")
    return calendar.invite(
        seminar,
        method=method,
        uid=registration_uid(registration),
        sequence=sequence,
        attendee_email=registration.email,
        attendee_name=registration.name,
        language=language,
        description="\n".join(lines),
        url=link,
    )


def attach_calendar(message: EmailMessage, ics: bytes, method: str) -> None:
    """The calendar as the last alternative: text/calendar; method=…; charset=UTF-8."""
    message.add_alternative(
        ics.decode("utf-8"), subtype="calendar", cte="base64", params={"method": method}
    )


def _method_for(row: OutboxMessage) -> str | None:
    if row.kind in ("registration.cancelled", "seminar.cancelled"):
        had_seat = row.payload.get("had_seat", True)
        return "CANCEL" if had_seat else None
    return INVITES.get(row.kind)


#: The mails of a new registration, which tell a group's member who registered them.
NEW_REGISTRATION_KINDS = (
    "registration.confirmed",
    "registration.waitlisted",
    "registration.applied",
)


def _group_contact(
    session: DbSession, registration: Registration, row: OutboxMessage
) -> str | None:
    """The name of the contact who registered this person with their group (団体申込), for
    the first mail a member receives (not a lottery's result); None for anyone else and any
    other mail."""
    if row.kind not in NEW_REGISTRATION_KINDS or row.payload.get("lottery"):
        return None
    if registration.group_id in (None, registration.id):
        return None
    contact = session.get(Registration, registration.group_id)
    return contact.name if contact is not None else None


def _render_registration_mail(session: DbSession, row: OutboxMessage) -> EmailMessage:
    registration = session.get_one(Registration, row.payload["registration_id"])
    seminar = registration.seminar
    language = row.payload.get("language", "ja")
    context = {
        "kind": row.kind,
        "registration": registration,
        "seminar": seminar,
        "language": language,
        "manage_url": manage_url(registration),
        "join_url": join_url(registration),
        "position": waitlist_position(session, registration),
        "when": format_when(seminar.starts_at, seminar.ends_at, language),
        "place": calendar.location_of(seminar, language),
        "note": row.payload.get("note"),
        "note_subject": row.payload.get("subject"),
        "lottery": bool(row.payload.get("lottery")),
        "deadline": (
            format_moment(seminar.registration_closes_at, language)
            if seminar.registration_closes_at is not None
            else None
        ),
        "group_contact": _group_contact(session, registration, row),
    }
    with_ticket = registration.status == RegistrationStatus.CONFIRMED and row.kind in TICKET_KINDS
    context["ticket_cid"] = make_msgid(domain=calendar.domain()) if with_ticket else None
    template = SUBJECTS[row.kind]
    if row.kind == "registration.confirmed" and context["lottery"]:
        template = LOTTERY_CONFIRMED_SUBJECT
    subject = template() % {"title": seminar.title_for(language)}
    if row.kind == "seminar.message" and context["note_subject"]:
        subject = f"{subject} {context['note_subject']}"
    message = compose(
        registration.email,
        subject,
        render_template("registration/mail/message.txt", **context),
        render_template("registration/mail/message.html", **context),
    )
    if with_ticket:
        # The QR code as a PNG referenced by Content-ID: mail clients show neither SVG
        # nor data: URIs.
        html = message.get_body(("html",))
        assert html is not None  # compose() writes every mail with an HTML part
        html.add_related(
            qr_png(registration.ticket_code),
            "image",
            "png",
            cid=context["ticket_cid"],
            filename="ticket.png",
            disposition="inline",
        )
    method = _method_for(row)
    if method:
        attach_calendar(
            message,
            registration_invite(registration, method, row.payload["sequence"], language),
            method,
        )
    return message


#: The kinds sent to every registrant of a seminar at once (bulk: after the mail people wait
#: for, such as a confirmation).
BULK_KINDS = frozenset(
    {
        "registration.reminder",
        "seminar.changed",
        "seminar.cancelled",
        "seminar.message",
        "recording.published",
    }
)

for _kind in SUBJECTS:
    renderer(_kind, bulk=_kind in BULK_KINDS)(_render_registration_mail)
