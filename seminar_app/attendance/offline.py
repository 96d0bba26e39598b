"""The offline desk's exchanges with the server: the roster a desk keeps in the browser,
the check-ins it kept and sends, and the answer to each, in the reader's language.

The rules (who enters, which moment wins) are attendance.services'; here only the shapes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from ..catalogue.models import Seminar
from ..codes import TICKET
from ..database import DbSession
from ..domain import AttendanceMode, CheckInMethod, RegistrationStatus
from ..i18n import format_moment
from ..problems import FieldProblems
from ..text import normalize_text
from ..timeutil import to_jst
from . import services
from .services import Outcome, ReportAnswer, ReportedCheckIn

#: The most check-ins one request may carry; a desk with more sends them in several.
MAX_REPORTS = 200
#: The desk's own name for a check-in it kept (a random id): the answer names it back.
MAX_KEY_LENGTH = 64
#: How a desk found the person: the ticket's code, or the name in its list.
REPORTED_METHODS = {"scan": CheckInMethod.SCAN, "search": CheckInMethod.SEARCH}
#: Longer than any ISO 8601 moment with an offset: not looked at.
_MAX_MOMENT_LENGTH = 40


class ReportUnreadable(FieldProblems):
    """A reported check-in without the person, the moment or the key it needs."""


def roster_json(entries: list[services.RosterEntry]) -> list[dict[str, Any]]:
    """The roster as the desk keeps it (desk-offline.js): the fields the page shows."""
    return [
        {
            "id": entry.registration_id,
            "code": entry.ticket_code,
            "name": entry.name,
            "kana": entry.name_kana,
            "organization": entry.organization,
            "status": entry.status.value,
            "online": entry.online,
            "row": entry.row,
            "checked_in_at": entry.checked_in_at.isoformat() if entry.checked_in_at else None,
            "desk": entry.desk,
        }
        for entry in entries
    ]


def _key_of(item: object) -> str | None:
    key = item.get("key") if isinstance(item, dict) else None
    return key if isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH else None


def _moment(raw: object) -> datetime | None:
    """An ISO 8601 moment with its offset (2026-05-01T10:02:13.120+09:00, or Z), else None."""
    if not isinstance(raw, str) or len(raw) > _MAX_MOMENT_LENGTH:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _registration_id(raw: object) -> int | None:
    """A registration's id as JSON gives it; None for anything else (the database's
    integers end at 2**31 - 1: a larger number is no registration, not an error)."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw < 2**31:
        return None
    return raw


def read_report(item: object, *, default_desk: str) -> ReportedCheckIn:
    """One reported check-in from the desk's JSON: {key, at, desk, method, and
    registration_id or code}. ReportUnreadable names what is missing."""
    unreadable = ReportUnreadable({"key": _("This check-in could not be read.")})
    key = _key_of(item)
    if key is None or not isinstance(item, dict):
        raise unreadable
    at = _moment(item.get("at"))
    if at is None:
        raise ReportUnreadable(
            {"at": _("The time of this check-in is missing or has no time zone.")}
        )
    method = item.get("method")
    method = REPORTED_METHODS.get(method) if isinstance(method, str) else None
    registration_id = _registration_id(item.get("registration_id"))
    code = item.get("code")
    code = code if isinstance(code, str) and len(code) <= TICKET.max_input else None
    if method is None or (registration_id is None and code is None):
        raise unreadable
    desk = item.get("desk")
    desk = normalize_text(desk)[:60] if isinstance(desk, str) else ""
    return ReportedCheckIn(
        key=key,
        at=at,
        desk=desk or default_desk,
        method=method,
        registration_id=registration_id,
        code=code,
    )


def _clock(moment: datetime) -> str:
    return f"{to_jst(moment):%H:%M}"


def _message(answer: ReportAnswer) -> str:
    result = answer.result
    if result is None:
        return " ".join((answer.problems or {}).values())
    first = result.check_in
    if result.outcome == Outcome.CHECKED_IN and result.replaced is not None and first:
        return _(
            "Checked in at %(time)s, earlier than the check-in at desk “%(desk)s” at "
            "%(other)s, which it replaces.",
            time=_clock(first.checked_in_at),
            desk=result.replaced.desk or "?",
            other=_clock(result.replaced.checked_in_at),
        )
    if result.outcome == Outcome.ALREADY and first is not None:
        if first.desk:
            return _(
                "Already checked in at desk “%(desk)s” at %(time)s.",
                desk=first.desk,
                time=_clock(first.checked_in_at),
            )
        return _("Already checked in at %(time)s.", time=_clock(first.checked_in_at))
    return {
        Outcome.CHECKED_IN: _("Checked in"),
        Outcome.ALREADY: _("Already checked in"),
        Outcome.CANCELLED: _("This registration was cancelled"),
        Outcome.WAITLISTED: _("On the waitlist: no confirmed seat"),
        Outcome.OTHER_SEMINAR: _("A ticket for another seminar"),
    }.get(result.outcome, _("Unknown code"))


def answer_json(answer: ReportAnswer, seminar: Seminar) -> dict[str, Any]:
    """The answer to one report: its outcome ("refused" with the reason when the report
    was not taken), the message the desk shows, and the check-in the server keeps."""
    result = answer.result
    body: dict[str, Any] = {
        "key": answer.report.key,
        "outcome": result.outcome.value if result else "refused",
        "message": _message(answer),
    }
    registration = result.registration if result else None
    if registration is not None and registration.seminar_id == seminar.id:
        body.update(registration_id=registration.id, name=registration.name)
    elif registration is not None:  # another seminar's: which one, not whose ticket
        other = registration.seminar
        body["seminar"] = f"{other.title} — {format_moment(other.starts_at)}"
    if (
        result
        and result.check_in is not None
        and result.outcome
        in (
            Outcome.CHECKED_IN,
            Outcome.ALREADY,
        )
    ):
        body.update(
            checked_in_at=result.check_in.checked_in_at.isoformat(), desk=result.check_in.desk
        )
    return body


def answer_reports(
    session: DbSession, seminar: Seminar, items: list[object], *, by, desk: str, now: datetime
) -> list[dict[str, Any]]:
    """Read each reported check-in, record those that can be read, and answer every one
    in the order they came; `desk` names those that carry no desk name."""
    readings: list[ReportedCheckIn | dict[str, Any]] = []
    for item in items:
        try:
            readings.append(read_report(item, default_desk=desk))
        except ReportUnreadable as refusal:
            readings.append(
                {
                    "key": _key_of(item),
                    "outcome": "refused",
                    "message": " ".join(refusal.problems.values()),
                }
            )
    reports = [reading for reading in readings if isinstance(reading, ReportedCheckIn)]
    answers = iter(services.record_reported(session, seminar, reports, by=by, now=now))
    return [
        answer_json(next(answers), seminar) if isinstance(reading, ReportedCheckIn) else reading
        for reading in readings
    ]


def desk_strings() -> dict[str, Any]:
    """What the desk's script shows, in the reader's language: the page hands it over (its
    data-strings), so that no words live in the script. Placeholders such as %(time)s are
    left for the script to fill (gettext without values gives the message unformatted)."""
    return {
        "checked_in": _("Checked in"),
        "already": _("Already checked in"),
        "at_by": _("at %(time)s by %(who)s"),
        "another_desk": _("another desk"),
        "cancelled": _("This registration was cancelled"),
        "waitlisted": _("On the waitlist: no confirmed seat"),
        "other_seminar": _("A ticket for another seminar"),
        "unknown": _("Unknown code"),
        "unknown_hint": _("Search for the person by name below."),
        "unknown_offline": _(
            "Not in this device's list. It may be a ticket for another seminar, or a "
            "registration made since the list was refreshed: search by name, or scan again "
            "when the network is back."
        ),
        "asking": _("Not in this device's list: asking the server…"),
        "refused": _("The server did not record this check-in"),
        "undo": _("Undo this check-in"),
        "undone": _("The check-in was undone."),
        "undo_needs_network": _("Undoing a check-in that was already sent needs the network."),
        "photo_needs_network": _(
            "Reading a photo needs the network: type the ticket's number, or search by name."
        ),
        "checked_in_at": _("Checked in %(time)s"),
        "not_sent": _("Not sent yet"),
        "check_in": _("Check in"),
        "check_in_name": _("Check in %(name)s"),
        "search_label": _("Name, ふりがな or organization"),
        "no_match": _("Nobody registered matches “%(q)s”."),
        "all": _("All"),
        "row": _("%(kana)s row"),
        "others": _("Others"),
        "nobody": _("Nobody is expected yet."),
        "online_heading": _("Attending online (%(n)d)"),
        "online": _("Online: each check-in is sent to the server at once."),
        "offline": _(
            "Offline: check-ins are kept on this device and sent when the network returns."
        ),
        "logged_out": _("Logged out: log in again to send the check-ins kept on this device."),
        "waiting": _("Waiting to be sent: %(n)d"),
        "refreshed": _("List refreshed at %(time)s"),
        "not_refreshed": _("The list has not been loaded on this device yet."),
        "close_refused": _(
            "Not sent yet: %(n)d. The desk stays open until they are sent: connect to the "
            "network and try again."
        ),
        "logout_refused": _(
            "Not sent yet: %(n)d. Logging out would delete them from this device: connect to "
            "the network and wait until they are sent."
        ),
        "closed_elsewhere": _("This desk was closed in another window of this browser."),
        "statuses": {status.value: status.label for status in RegistrationStatus},
        "attending_online": AttendanceMode.ONLINE.label,
    }
