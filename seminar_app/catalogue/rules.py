"""What makes a seminar's fields acceptable, shared by the console form and content files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _

from ..domain import Admission, Delivery, HostType, Level, SeminarStatus, Series, Vocabulary

#: Longest values the columns hold (see catalogue.models.Seminar).
TEXT_LIMITS = {
    "title_en": 200,
    "venue": 300,
    "meeting_url": 500,
    "host_organization": 200,
    "external_url": 500,
}
MAX_CAPACITY = 100_000
#: Deliveries that need a meeting URL, and those that need a venue.
REMOTE_DELIVERIES = (Delivery.ONLINE, Delivery.HYBRID)
ON_SITE_DELIVERIES = (Delivery.IN_PERSON, Delivery.HYBRID)


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
    #: Of a hybrid seminar: seats online (None: no limit); `capacity` is then the venue's.
    online_capacity: int | None = None
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    host_organization: str | None = None
    external_url: str | None = None
    lecturer_emails: list[str] = field(default_factory=list)


#: Every seminar field a person edits (console, content files, API), in form order.
SEMINAR_FIELD_NAMES = tuple(
    name for name in SeminarFields.__dataclass_fields__ if name != "lecturer_emails"
)


#: A field's name and its message: what one check found wrong.
FieldProblem = tuple[str, str]


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc) and " " not in value


def _unknown_choice(
    value: str | None, enum: type[Vocabulary], *, optional: bool = False
) -> str | None:
    """The message for a value that is not one of the enum's, else None."""
    if value is None and optional:
        return None
    if value in {member.value for member in enum}:
        return None
    return _(
        "Unknown value “%(value)s”; use one of: %(allowed)s.",
        value=value or "",
        allowed=", ".join(member.value for member in enum),
    )


def _ended(values: SeminarFields, now: datetime) -> bool:
    return values.ends_at is not None and values.ends_at <= now


def _takes_registrations(values: SeminarFields, now: datetime) -> bool:
    """An agency seminar still to come: people register here, so it needs seats and a way in.

    A seminar recorded after it ended (a past one, by its head-count) had no seats here.
    """
    return values.host_type == HostType.AGENCY and not _ended(values, now)


def _title(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    if not values.title.strip():
        yield "title", _("Enter a title.")
    elif len(values.title) > 200:
        yield "title", _("The title can be at most 200 characters.")


#: Coded fields: name, the enum of its values, and whether it may be left empty.
_CODED_FIELDS: tuple[tuple[str, type[Vocabulary], bool], ...] = (
    ("series", Series, False),
    ("level", Level, True),
    ("host_type", HostType, False),
    ("delivery", Delivery, False),
    ("status", SeminarStatus, False),
)


def _codes(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    for name, enum, optional in _CODED_FIELDS:
        message = _unknown_choice(getattr(values, name), enum, optional=optional)
        if message is not None:
            yield name, message


def _times(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    if values.starts_at is None:
        yield "starts_at", _("Enter the start.")
    if values.ends_at is None:
        yield "ends_at", _("Enter the end.")
    elif values.starts_at is not None and values.ends_at <= values.starts_at:
        yield "ends_at", _("The end must be after the start.")


def _lengths(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    for name, limit in TEXT_LIMITS.items():
        value = getattr(values, name)
        if value and len(value) > limit:
            yield name, _("Use at most %(n)d characters.", n=limit)


def _capacity(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    if values.capacity is None:
        if _takes_registrations(values, now):
            yield "capacity", _("Enter the number of seats.")
    elif values.capacity > MAX_CAPACITY:
        yield "capacity", _("The capacity can be at most %(n)d.", n=MAX_CAPACITY)
    elif values.capacity < 0:
        yield "capacity", _("The capacity cannot be negative.")


def _online_capacity(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    """Seats online are a hybrid seminar's alone; none given means no limit online."""
    if values.online_capacity is None:
        return
    if values.delivery != Delivery.HYBRID:
        yield (
            "online_capacity",
            _(
                "Only a hybrid seminar has seats online apart from the capacity; "
                "leave the online capacity empty."
            ),
        )
    elif values.online_capacity < 0:
        yield "online_capacity", _("The online capacity cannot be negative.")
    elif values.online_capacity > MAX_CAPACITY:
        yield "online_capacity", _("The online capacity can be at most %(n)d.", n=MAX_CAPACITY)


def _registration_window(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    opens, closes = values.registration_opens_at, values.registration_closes_at
    if closes is None:
        return
    if values.starts_at is not None and closes > values.starts_at:
        yield "registration_closes_at", _("Registration must close by the start.")
    elif opens is not None and opens >= closes:
        yield "registration_closes_at", _("Registration must close after it opens.")


def _place(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    """Where people take part: the meeting URL online, the venue in person."""
    if values.meeting_url and not _is_web_url(values.meeting_url):
        yield "meeting_url", _("Enter a web address beginning with https://.")
    elif (
        values.delivery in REMOTE_DELIVERIES
        and not values.meeting_url
        and _takes_registrations(values, now)
    ):
        yield "meeting_url", _("An online or hybrid seminar needs its meeting URL.")
    if values.delivery in ON_SITE_DELIVERIES and not (values.venue or "").strip():
        yield "venue", _("An in-person or hybrid seminar needs a venue.")


def _host(values: SeminarFields, now: datetime) -> Iterator[FieldProblem]:
    """A seminar the agency does not host names its host, and may link to its page."""
    if values.external_url and not _is_web_url(values.external_url):
        yield "external_url", _("Enter a web address beginning with https://.")
    if values.host_type != HostType.AGENCY and not (values.host_organization or "").strip():
        yield "host_organization", _("Name the organization that hosts it.")


#: The checks in the order their problems are reported.
_SEMINAR_CHECKS: tuple[Callable[[SeminarFields, datetime], Iterator[FieldProblem]], ...] = (
    _title,
    _codes,
    _times,
    _lengths,
    _capacity,
    _online_capacity,
    _registration_window,
    _place,
    _host,
)


def seminar_problems(values: SeminarFields, now: datetime) -> dict[str, str]:
    """Field name → what is wrong with it; empty when the seminar can be saved.

    A later check may say more about a field an earlier one found wrong (a meeting URL
    too long and not a web address): its message replaces the earlier one.
    """
    problems: dict[str, str] = {}
    for check in _SEMINAR_CHECKS:
        problems.update(check(values, now))
    return problems


def admission_problems(
    admission: str | None, registration_closes_at: datetime | None
) -> dict[str, str]:
    """How seats are given (Admission): a lottery needs its application deadline."""
    problems: dict[str, str] = {}
    unknown = _unknown_choice(admission, Admission)
    if unknown is not None:
        problems["admission"] = unknown
    if admission == Admission.LOTTERY and registration_closes_at is None:
        problems["registration_closes_at"] = _(
            "A lottery needs an application deadline: set when registration closes."
        )
    return problems
