"""Mails about a request, rendered by the outbox sender in the reader's language: to the
company's contact (receipt, decline, withdrawal, the seminar's date) and to the staff
assigned (their assignment). The date's mails carry a calendar invite, one per recipient
and dispatch under a stable UID: METHOD:REQUEST, again with a higher SEQUENCE on every
change, METHOD:CANCEL when it is off. The staff's feed of assignments (views) draws its
entries here too, under the same UIDs.
"""

from __future__ import annotations

from email.message import EmailMessage

import icalendar
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..auth.models import User
from ..catalogue.models import Seminar
from ..database import DbSession
from ..domain import SeminarStatus
from ..i18n import format_when
from ..notifications import calendar
from ..notifications.models import OutboxMessage
from ..notifications.services import compose, renderer
from ..registration.mails import attach_calendar
from ..urls import absolute_url
from .facts import request_facts
from .models import DispatchRequest, DispatchStateChange, theme_label
from .services import CONTACT_INVITE, STAFF_INVITE, invite_sequence

SUBJECTS = {
    "dispatch.received": lambda: _("[Lecturer dispatch: request received] %(organization)s"),
    "dispatch.declined": lambda: _("[Lecturer dispatch: request declined] %(organization)s"),
    "dispatch.withdrawn": lambda: _("[Lecturer dispatch: request withdrawn] %(organization)s"),
    CONTACT_INVITE: lambda: _("[Lecturer dispatch: seminar scheduled] %(organization)s"),
    STAFF_INVITE: lambda: _("[Lecturer dispatch: your assignment] %(organization)s"),
}

#: The subjects of an invite's update and of a staff member's cancellation.
UPDATE_SUBJECTS = {
    CONTACT_INVITE: lambda: _("[Lecturer dispatch: new date, place or lecturers] %(organization)s"),
    STAFF_INVITE: lambda: _("[Lecturer dispatch: your assignment has changed] %(organization)s"),
}
CANCEL_SUBJECT = lambda: _(  # noqa: E731
    "[Lecturer dispatch: assignment cancelled] %(organization)s"
)


def request_url(request: DispatchRequest) -> str:
    """The contact's private link to the request: its state, and the way to withdraw it."""
    return absolute_url("dispatch.manage", token=request.token)


def participants_url(request: DispatchRequest) -> str:
    """The page the contact forwards to the company's participants (materials, survey)."""
    return absolute_url("dispatch.participants", token=request.participant_token)


def assignments_url() -> str:
    """The staff member's page of assignments, with the address of their feed."""
    return absolute_url("dispatch.assignments")


# --- the calendar entries ---------------------------------------------------------------------


def dispatch_uid(request: DispatchRequest, user: User | None) -> str:
    """Stable for one dispatch and one recipient: its company's contact (None) or a staff
    member; updates and cancellations replace the entry."""
    who = "company" if user is None else f"staff-{user.id}"
    return f"dispatch-{request.id}-{who}@{calendar.domain()}"


def lecturer_uid(seminar: Seminar, user: User) -> str:
    """A staff member's entry of a seminar that is no dispatch, in their feed."""
    return f"seminar-{seminar.id}-lecturer-{user.id}@{calendar.domain()}"


def lecturer_names(seminar: Seminar, language: str) -> str:
    """The staff assigned, by name: 営業 秘子、知財 太郎 / Hideko Eigyo, Taro Chizai."""
    return ("、" if language == "ja" else ", ").join(
        user.display_name for user in seminar.lecturers
    )


def _description(
    request: DispatchRequest, seminar: Seminar, language: str, *, for_staff: bool, link: str
) -> str:
    """What the calendar entry says: the company, when, where, who gives it; the staff
    also read who will listen and what about (the contact's details stay with organizers)."""
    lines = [
        request.organization,
        format_when(seminar.starts_at, seminar.ends_at, language),
        f"{_('Place')}: {calendar.location_of(seminar, language)}",
        f"{_('Lecturers')}: {lecturer_names(seminar, language)}",
    ]
    if for_staff:
        people = _("%(n)d people", n=request.audience_size)
        lines.append(f"{_('Who will attend')}: {request.audience} ({people})")
        themes = [theme_label(theme) for theme in request.themes]
        if themes:
            lines.append(f"{_('Themes')}: {', '.join(themes)}")
    lines.append(link)
    return "\n".join(lines)


def dispatch_invite(
    request: DispatchRequest, user: User | None, method: str, sequence: int, language: str
) -> bytes:
    """The invite (REQUEST) or its cancellation (CANCEL) for the company's contact (None)
    or a staff member."""
    seminar = _seminar_of(request)
    link = request_url(request) if user is None else assignments_url()
    return calendar.invite(
        seminar,
        method=method,
        uid=dispatch_uid(request, user),
        sequence=sequence,
        attendee_email=request.contact_email if user is None else user.email,
        attendee_name=request.contact_name if user is None else user.display_name,
        language=language,
        description=_description(request, seminar, language, for_staff=user is not None, link=link),
        url=link,
    )


def feed_event(seminar: Seminar, request: DispatchRequest | None, user: User) -> icalendar.Event:
    """The staff member's entry of one assignment in their feed, in the default language:
    a dispatch under the UID of its invites; a cancelled one stays, marked CANCELLED, so
    that subscribed calendars drop it."""
    language = current_app.config["LANGUAGES"][0]
    cancelled = seminar.status == SeminarStatus.CANCELLED
    with force_locale(language):
        if request is None:
            link = absolute_url("materials.seminar_materials", seminar_id=seminar.id)
            return calendar.seminar_event(
                seminar,
                uid=lecturer_uid(seminar, user),
                sequence=seminar.calendar_sequence,
                language=language,
                description=f"{calendar.location_of(seminar, language)}\n{link}",
                url=link,
                cancelled=cancelled,
                stamp=seminar.updated_at,
            )
        link = assignments_url()
        return calendar.seminar_event(
            seminar,
            uid=dispatch_uid(request, user),
            sequence=invite_sequence(request),
            language=language,
            description=_description(request, seminar, language, for_staff=True, link=link),
            url=link,
            cancelled=cancelled,
            stamp=max(seminar.updated_at, request.updated_at),
        )


def _seminar_of(request: DispatchRequest) -> Seminar:
    if request.seminar is None:
        raise ValueError(f"dispatch request {request.id} has no seminar")
    return request.seminar


# --- the mails ------------------------------------------------------------------------------


def _render(session: DbSession, row: OutboxMessage) -> EmailMessage:
    """Receipt, decline and withdrawal; the last two cancel the contact's invite (a
    `sequence` in the payload) when the request had been scheduled."""
    request = session.get_one(DispatchRequest, row.payload["request_id"])
    change_id = row.payload.get("change_id")
    language = row.payload.get("language", "ja")
    context = {
        "kind": row.kind,
        "request": request,
        "change": session.get_one(DispatchStateChange, change_id) if change_id else None,
        "language": language,
        "facts": request_facts(request, language),
        "request_url": request_url(request),
    }
    message = compose(
        request.contact_email,
        SUBJECTS[row.kind]() % {"organization": request.organization},
        render_template("dispatch/mail/message.txt", **context),
        render_template("dispatch/mail/message.html", **context),
    )
    if "sequence" in row.payload:
        ics = dispatch_invite(request, None, "CANCEL", row.payload["sequence"], language)
        attach_calendar(message, ics, "CANCEL")
    return message


def _subject(row: OutboxMessage, method: str) -> str:
    if method == "CANCEL":
        return CANCEL_SUBJECT()
    if row.payload.get("update"):
        return UPDATE_SUBJECTS[row.kind]()
    return SUBJECTS[row.kind]()


def _render_invite(session: DbSession, row: OutboxMessage) -> EmailMessage:
    """The date of a dispatch, with its invite: to the contact (REQUEST, a first one or an
    update) or to a staff member (REQUEST, or CANCEL with `why`)."""
    request = session.get_one(DispatchRequest, row.payload["request_id"])
    seminar = _seminar_of(request)
    language = row.payload.get("language", "ja")
    method = row.payload.get("method", "REQUEST")
    user = session.get_one(User, row.payload["user_id"]) if row.kind == STAFF_INVITE else None
    context = {
        "kind": row.kind,
        "request": request,
        "seminar": seminar,
        "user": user,
        "method": method,
        "update": bool(row.payload.get("update")),
        "why": row.payload.get("why"),
        "language": language,
        "when": format_when(seminar.starts_at, seminar.ends_at, language),
        "place": calendar.location_of(seminar, language),
        "lecturers": lecturer_names(seminar, language),
        "themes": [theme_label(theme) for theme in request.themes],
        "link": request_url(request) if user is None else assignments_url(),
        "participants_link": participants_url(request),
    }
    recipient = request.contact_email if user is None else user.email
    message = compose(
        recipient,
        _subject(row, method) % {"organization": request.organization},
        render_template("dispatch/mail/invite.txt", **context),
        render_template("dispatch/mail/invite.html", **context),
    )
    ics = dispatch_invite(request, user, method, row.payload["sequence"], language)
    attach_calendar(message, ics, method)
    return message


for _kind in ("dispatch.received", "dispatch.declined", "dispatch.withdrawn"):
    renderer(_kind)(_render)
for _kind in (CONTACT_INVITE, STAFF_INVITE):
    renderer(_kind)(_render_invite)
