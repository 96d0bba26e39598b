"""iCalendar objects (RFC 5545/5546) for invites and feeds, built with icalendar.

One calendar object per mail; METHOD matches the `method=` of the MIME part;
the UID of a registration's entry never changes and its SEQUENCE only grows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import icalendar
from flask import current_app

from ..timeutil import JST, utcnow
from .services import sender_name

if TYPE_CHECKING:
    # notifications sits below catalogue (the layers in pyproject.toml): hints only.
    from ..catalogue.models import Seminar

PRODID = "-//IP Strategy Support Center//Seminars//JA"


def _calendar(method: str | None = None, name: str | None = None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def _organizer() -> icalendar.vCalAddress:
    config = current_app.config
    address = icalendar.vCalAddress(f"mailto:{config['CALENDAR_ORGANIZER']}")
    address.params["cn"] = sender_name()
    return address


def domain() -> str:
    return current_app.config["MAIL_FROM"].partition("@")[2] or "localhost"


def location_of(seminar: Seminar, language: str) -> str:
    online = "オンライン" if language == "ja" else "Online"
    if seminar.delivery == "online":
        return online
    if seminar.delivery == "hybrid":
        return f"{seminar.venue} / {online}"
    return seminar.venue or ""


def seminar_event(
    seminar: Seminar,
    *,
    uid: str,
    sequence: int,
    language: str,
    description: str,
    url: str,
    cancelled: bool = False,
    tentative: bool = False,
    stamp: datetime | None = None,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp or utcnow())
    event.add("dtstart", seminar.starts_at.astimezone(JST))
    event.add("dtend", seminar.ends_at.astimezone(JST))
    event.add("summary", seminar.title_for(language))
    event.add("location", location_of(seminar, language))
    event.add("description", description)
    event.add("url", url)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else ("TENTATIVE" if tentative else "CONFIRMED"))
    event.add("transp", "OPAQUE")
    return event


def invite(
    seminar: Seminar,
    *,
    method: str,
    uid: str,
    sequence: int,
    attendee_email: str,
    attendee_name: str,
    language: str,
    description: str,
    url: str,
) -> bytes:
    """A one-event REQUEST or CANCEL for one attendee, with Asia/Tokyo's VTIMEZONE."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported METHOD {method}")
    calendar = _calendar(method)
    event = seminar_event(
        seminar,
        uid=uid,
        sequence=sequence,
        language=language,
        description=description,
        url=url,
        cancelled=method == "CANCEL",
    )
    event.add("organizer", _organizer())
    attendee = icalendar.vCalAddress(f"mailto:{attendee_email}")
    attendee.params["cn"] = attendee_name
    attendee.params["role"] = "REQ-PARTICIPANT"
    attendee.params["partstat"] = "ACCEPTED"
    attendee.params["rsvp"] = "FALSE"
    event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed(events: list[icalendar.Event], *, name: str, refresh_hours: int = 6) -> bytes:
    """A subscribable calendar (no METHOD), asking clients to refresh every few hours."""
    calendar = _calendar(name=name)
    calendar.add(
        "refresh-interval", timedelta(hours=refresh_hours), parameters={"VALUE": "DURATION"}
    )
    calendar.add("x-published-ttl", f"PT{refresh_hours}H")
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
