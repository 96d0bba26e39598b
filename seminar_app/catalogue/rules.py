"""What makes a seminar's fields acceptable, shared by the console form and content files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _

from ..domain import Admission, Delivery, HostType, Level, SeminarStatus, Series

#: Longest values the columns hold (see catalogue.models.Seminar).
TEXT_LIMITS = {
    "title_en": 200,
    "venue": 300,
    "meeting_url": 500,
    "host_organization": 200,
    "external_url": 500,
}
MAX_CAPACITY = 100_000


@dataclass
class SeminarFields:
    """A seminar's editable values, before they reach the model."""

    title: str = ""
    title_en: str | None = None
    series: str = ""
    level: str | None = None
    host_type: str = HostType.AGENCY
    delivery: str = ""
    status: str = SeminarStatus.DRAFT
    description: str = ""
    description_en: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    venue: str | None = None
    meeting_url: str | None = None
    capacity: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    host_organization: str | None = None
    external_url: str | None = None
    lecturer_emails: list[str] = field(default_factory=list)


#: Every seminar field a person edits (console, content files, API), in form order.
SEMINAR_FIELD_NAMES = tuple(
    name for name in SeminarFields.__dataclass_fields__ if name != "lecturer_emails"
)


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and " " not in value


def _choice(
    problems: dict[str, str], name: str, value: str | None, enum, *, optional: bool = False
) -> None:
    if value is None and optional:
        return
    if value not in {member.value for member in enum}:
        allowed = ", ".join(member.value for member in enum)
        problems[name] = _(
            "Unknown value “%(value)s”; use one of: %(allowed)s.",
            value=value or "",
            allowed=allowed,
        )


def _ended(values: SeminarFields, now: datetime) -> bool:
    return values.ends_at is not None and values.ends_at <= now


def seminar_problems(values: SeminarFields, now: datetime) -> dict[str, str]:
    """Field name → what is wrong with it; empty when the seminar can be saved."""
    problems: dict[str, str] = {}
    if not values.title.strip():
        problems["title"] = _("Enter a title.")
    elif len(values.title) > 200:
        problems["title"] = _("The title can be at most 200 characters.")
    _choice(problems, "series", values.series, Series)
    _choice(problems, "level", values.level, Level, optional=True)
    _choice(problems, "host_type", values.host_type, HostType)
    _choice(problems, "delivery", values.delivery, Delivery)
    _choice(problems, "status", values.status, SeminarStatus)

    if values.starts_at is None:
        problems["starts_at"] = _("Enter the start.")
    if values.ends_at is None:
        problems["ends_at"] = _("Enter the end.")
    elif values.starts_at is not None and values.ends_at <= values.starts_at:
        problems["ends_at"] = _("The end must be after the start.")

    for name, limit in TEXT_LIMITS.items():
        value = getattr(values, name)
        if value and len(value) > limit and name not in problems:
            problems[name] = _("Use at most %(n)d characters.", n=limit)
    if values.capacity is not None and values.capacity > MAX_CAPACITY:
        problems["capacity"] = _("The capacity can be at most %(n)d.", n=MAX_CAPACITY)
    elif values.capacity is not None and values.capacity < 0:
        problems["capacity"] = _("The capacity cannot be negative.")
    elif (
        values.capacity is None and values.host_type == HostType.AGENCY and not _ended(values, now)
    ):
        # A seminar recorded after it ended (a past one, by its head-count) had no seats here.
        problems["capacity"] = _("Enter the number of seats.")

    opens, closes = values.registration_opens_at, values.registration_closes_at
    if closes is not None and values.starts_at is not None and closes > values.starts_at:
        problems["registration_closes_at"] = _("Registration must close by the start.")
    elif opens is not None and closes is not None and opens >= closes:
        problems["registration_closes_at"] = _("Registration must close after it opens.")

    remote = values.delivery in (Delivery.ONLINE, Delivery.HYBRID)
    on_site = values.delivery in (Delivery.IN_PERSON, Delivery.HYBRID)
    ended = _ended(values, now)
    if values.meeting_url and not _is_web_url(values.meeting_url):
        problems["meeting_url"] = _("Enter a web address beginning with https://.")
    elif remote and not values.meeting_url and values.host_type == HostType.AGENCY and not ended:
        problems["meeting_url"] = _("An online or hybrid seminar needs its meeting URL.")
    if on_site and not (values.venue or "").strip():
        problems["venue"] = _("An in-person or hybrid seminar needs a venue.")
    if values.external_url and not _is_web_url(values.external_url):
        problems["external_url"] = _("Enter a web address beginning with https://.")
    if values.host_type != HostType.AGENCY and not (values.host_organization or "").strip():
        problems["host_organization"] = _("Name the organization that hosts it.")
    return problems


def admission_problems(
    admission: str | None, registration_closes_at: datetime | None
) -> dict[str, str]:
    """How seats are given (Admission): a lottery needs its application deadline."""
    problems: dict[str, str] = {}
    _choice(problems, "admission", admission, Admission)
    if admission == Admission.LOTTERY and registration_closes_at is None:
        problems["registration_closes_at"] = _(
            "A lottery needs an application deadline: set when registration closes."
        )
    return problems
