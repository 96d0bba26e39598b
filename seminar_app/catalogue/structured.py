"""What a search engine reads of a public seminar's page: schema.org `EducationEvent` data
(JSON-LD) and the page's addresses in each language (canonical, hreflang).

The meeting URL is never written here (it is for registered participants only): an online
seminar's VirtualLocation is its public page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain import Delivery, HostType, SeminarStatus
from ..timeutil import JST
from .models import Seminar

SCHEMA = "https://schema.org/"

#: How a seminar is held, as schema.org's EventAttendanceModeEnumeration says it.
ATTENDANCE_MODES = {
    Delivery.ONLINE: SCHEMA + "OnlineEventAttendanceMode",
    Delivery.IN_PERSON: SCHEMA + "OfflineEventAttendanceMode",
    Delivery.HYBRID: SCHEMA + "MixedEventAttendanceMode",
}


def _moment(value: datetime) -> str:
    """ISO 8601 in Japan time, with its offset (+09:00)."""
    return value.astimezone(JST).isoformat()


def event_status(seminar: Seminar) -> str:
    """EventCancelled; EventRescheduled once its time or place changed after publication (its
    calendar SEQUENCE was raised); else EventScheduled."""
    if seminar.status == SeminarStatus.CANCELLED:
        return SCHEMA + "EventCancelled"
    if seminar.calendar_sequence > 0:
        return SCHEMA + "EventRescheduled"
    return SCHEMA + "EventScheduled"


def _location(seminar: Seminar, page_url: str) -> list[dict[str, Any]]:
    places: list[dict[str, Any]] = []
    if seminar.delivery != Delivery.ONLINE and seminar.venue:
        places.append(
            {
                "@type": "Place",
                "name": seminar.venue,
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": seminar.venue,
                    "addressCountry": "JP",
                },
            }
        )
    if seminar.delivery != Delivery.IN_PERSON:
        places.append({"@type": "VirtualLocation", "url": page_url})
    return places


def _availability(seminar: Seminar, seats_left: int | None) -> str:
    if seminar.status == SeminarStatus.CANCELLED or not seminar.takes_registrations:
        return SCHEMA + "Discontinued"
    if seats_left is None or seats_left > 0:
        return SCHEMA + "InStock"
    return SCHEMA + "SoldOut"


def event_data(
    seminar: Seminar,
    *,
    language: str,
    page_url: str,
    register_url: str | None,
    seats_left: int | None,
    organizer: dict[str, str],
) -> dict[str, Any]:
    """The seminar as schema.org EducationEvent, in `language`: name, dates with their
    offset, how and where it is held, its status, the free offer with the seats left, the
    organizer, the lecturers, and its series and level."""
    description = (
        seminar.description_en
        if language == "en" and seminar.description_en
        else seminar.description
    )
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "EducationEvent",
        "name": seminar.title_for(language),
        "description": description,
        "inLanguage": "ja",
        "url": page_url,
        "startDate": _moment(seminar.starts_at),
        "endDate": _moment(seminar.ends_at),
        "eventAttendanceMode": ATTENDANCE_MODES[seminar.delivery],
        "eventStatus": event_status(seminar),
        "location": _location(seminar, page_url),
        "organizer": {"@type": "Organization", **organizer},
        "isAccessibleForFree": True,
        "offers": {
            "@type": "Offer",
            "price": 0,
            "priceCurrency": "JPY",
            "availability": _availability(seminar, seats_left),
            "url": register_url or page_url,
        },
        "superEvent": {"@type": "EventSeries", "name": str(seminar.series.label)},
    }
    if seminar.registration_opens_at is not None:
        data["offers"]["validFrom"] = _moment(seminar.registration_opens_at)
    if seminar.level is not None:
        data["educationalLevel"] = str(seminar.level.label)
    if seminar.lecturers:
        data["performer"] = [
            {"@type": "Person", "name": lecturer.name_for(language)}
            for lecturer in seminar.lecturers
        ]
    if seminar.host_type == HostType.EXTERNAL and seminar.host_organization:
        host = {"@type": "Organization", "name": seminar.host_organization}
        data["organizer"] = {**host, "url": seminar.external_url} if seminar.external_url else host
    return data


def language_urls(endpoint_url: str, languages: list[str]) -> dict[str, str]:
    """The page's address in each language (?lang=), and x-default: the address without it,
    which speaks the visitor's language."""
    urls = {language: f"{endpoint_url}?lang={language}" for language in languages}
    urls["x-default"] = endpoint_url
    return urls
