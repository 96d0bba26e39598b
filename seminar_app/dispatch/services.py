"""The rules of lecturer dispatch: what a company's request must hold, and its states.

A request is checked field by field (check_request) and stored with its receipt as the
first entry of its history (submit_request). Its state changes in one place,
change_state, by the table ALLOWED: every change leaves a history entry naming who made
it, an audit record, and the company's mail where it must hear of it. A refusal is a
FieldProblems and changes nothing.

Scheduling (schedule) gives a request its in-company seminar through the catalogue's
lifecycle, with the staff assigned as its lecturers, after checking that none of them has
another seminar or dispatch within the travel margin; the company's contact and the staff
receive calendar invites, and each staff member has a private feed of their assignments.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit.services import record
from ..auth.models import User
from ..catalogue import lifecycle
from ..catalogue.models import Seminar, seminar_lecturers
from ..catalogue.rules import SeminarFields, seminar_problems
from ..catalogue.services import paginate
from ..consultations.services import find_or_create_client
from ..database import DbSession, begin_write, insert_unless_present
from ..domain import (
    Attribute,
    Delivery,
    DispatchState,
    EmployeeBand,
    HostType,
    SeminarStatus,
    Series,
)
from ..i18n import current_language, format_when
from ..notifications.services import queue
from ..problems import FieldProblems
from ..reference import INDUSTRIES, PREFECTURES
from ..registration.details import choice_value, email_value, text_value, yes_or_no
from ..registration.services import new_token
from ..text import normalize_corporate_number, normalize_email, normalize_phone
from ..timeutil import fiscal_year_of, is_accepted_fiscal_year, jst_datetime, utcnow
from .models import (
    COMPANY,
    SERIES_THEMES,
    THEMES,
    DispatchPreferredDate,
    DispatchRequest,
    DispatchStateChange,
    StaffCalendarFeed,
)

#: Who acted, for a change made without a person (a command, a script without an account).
SYSTEM = "system"

#: Where a request may go from each state. Scheduling (with a date and staff) and delivery
#: (with the head-count) have their own functions, which end here.
ALLOWED: dict[DispatchState, frozenset[DispatchState]] = {
    DispatchState.RECEIVED: frozenset(
        {
            DispatchState.UNDER_REVIEW,
            DispatchState.SCHEDULED,
            DispatchState.DECLINED,
            DispatchState.WITHDRAWN,
        }
    ),
    DispatchState.UNDER_REVIEW: frozenset(
        {DispatchState.SCHEDULED, DispatchState.DECLINED, DispatchState.WITHDRAWN}
    ),
    DispatchState.SCHEDULED: frozenset(
        {DispatchState.DELIVERED, DispatchState.DECLINED, DispatchState.WITHDRAWN}
    ),
    DispatchState.DECLINED: frozenset(),
    DispatchState.DELIVERED: frozenset(),
    DispatchState.WITHDRAWN: frozenset(),
}

#: The states still being worked on, oldest request first in the queue.
OPEN_STATES = (DispatchState.RECEIVED, DispatchState.UNDER_REVIEW, DispatchState.SCHEDULED)

#: Which changes the company hears of by mail.
MAILS = {
    DispatchState.DECLINED: "dispatch.declined",
    DispatchState.WITHDRAWN: "dispatch.withdrawn",
}

#: How many preferred dates a request may give.
PREFERRED_SLOTS = 3
#: The most people a request may say will listen.
MAX_AUDIENCE = 10_000
LIMITS = {
    "organization": 200,
    "corporate_number": 20,
    "address": 300,
    "contact_name": 100,
    "contact_phone": 40,
    "theme_note": 2000,
    "audience": 200,
    "place": 300,
    "reason": 2000,
}


class RequestRefused(FieldProblems):
    """A request for a lecturer that the rules refuse: nothing was stored."""


class TransitionRefused(FieldProblems):
    """A change of state that the rules refuse (`state`, or `reason`): nothing changed."""


@dataclass
class RequestDetails:
    """A request as check_request accepted it: normalised, ready to store."""

    organization: str
    corporate_number: str | None
    address: str
    prefecture: str
    attribute: Attribute
    employee_band: EmployeeBand | None
    industry: str | None
    contact_name: str
    contact_email: str
    contact_phone: str
    #: (start, end) in UTC, in the company's order of preference.
    preferred: list[tuple[datetime, datetime]]
    themes: list[str]
    theme_note: str | None
    audience: str
    audience_size: int
    delivery: Delivery
    place: str | None
    locale: str


# --- checking a request ---------------------------------------------------------------------


def _text(data: Mapping[str, Any], name: str, errors: dict[str, str], **kwargs) -> str | None:
    return text_value(data.get(name), name, errors, limit=LIMITS[name], **kwargs)


def _company(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    organization = _text(data, "organization", errors, required=True)
    corporate_number = _text(data, "corporate_number", errors, required=False)
    if corporate_number is not None:
        corporate_number, problem = normalize_corporate_number(corporate_number)
        if problem:
            errors["corporate_number"] = problem
    attribute = choice_value(
        data.get("attribute"), "attribute", {a.value for a in Attribute}, errors, required=True
    )
    band = choice_value(
        data.get("employee_band"),
        "employee_band",
        {band.value for band in EmployeeBand},
        errors,
        required=attribute in (Attribute.SME, Attribute.LARGE_COMPANY),
    )
    return {
        "organization": organization,
        "corporate_number": corporate_number,
        "address": _text(data, "address", errors, required=True),
        "prefecture": choice_value(
            data.get("prefecture"), "prefecture", PREFECTURES, errors, required=True
        ),
        "attribute": Attribute(attribute) if attribute else None,
        "employee_band": EmployeeBand(band) if band else None,
        "industry": choice_value(
            data.get("industry"), "industry", INDUSTRIES, errors, required=False
        ),
    }


def _contact(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    name = _text(data, "contact_name", errors, required=True)
    email = email_value(data.get("contact_email"), errors, "contact_email")
    phone = _text(data, "contact_phone", errors, required=False)
    if "contact_phone" not in errors:
        phone, problem = normalize_phone(phone)
        if problem:
            errors["contact_phone"] = problem
    return {"contact_name": name, "contact_email": email, "contact_phone": phone}


_DATE = re.compile(r"^(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?$")
_TIME = re.compile(r"^(\d{1,2})[:時](\d{2})分?$")


def _typed(raw: Any) -> str:
    return unicodedata.normalize("NFKC", raw).strip() if isinstance(raw, str) else ""


def _date_of(text: str) -> date | None:
    match = _DATE.match(text)
    try:
        return date(int(match[1]), int(match[2]), int(match[3])) if match else None
    except ValueError:
        return None


def _time_of(text: str) -> time | None:
    match = _TIME.match(text)
    try:
        return time(int(match[1]), int(match[2])) if match else None
    except ValueError:
        return None


def _one_slot(
    data: Mapping[str, Any], rank: int, errors: dict[str, str], now: datetime
) -> tuple[datetime, datetime] | None:
    """The preferred date of this rank, (start, end) in UTC; None when left empty or refused
    (the refusal in `errors` under the field at fault)."""
    day_name, start_name, end_name = (
        f"preferred_date_{rank}",
        f"preferred_start_{rank}",
        f"preferred_end_{rank}",
    )
    typed = [_typed(data.get(name)) for name in (day_name, start_name, end_name)]
    if not any(typed):
        return None
    day, start, end = _date_of(typed[0]), _time_of(typed[1]), _time_of(typed[2])
    if day is None:
        errors[day_name] = _("Enter the date, such as 2026-12-15.")
    if start is None:
        errors[start_name] = _("Enter the starting time, such as 14:00.")
    if end is None:
        errors[end_name] = _("Enter the ending time, such as 16:00.")
    if day is None or start is None or end is None:
        return None
    starts_at, ends_at = jst_datetime(day, start), jst_datetime(day, end)
    if ends_at <= starts_at:
        errors[end_name] = _("The ending time must come after the starting time.")
    elif problem := _date_problem(starts_at, now):
        errors[day_name] = problem
    else:
        return starts_at, ends_at
    return None


def _date_problem(starts_at: datetime, now: datetime) -> str | None:
    """Why a seminar cannot start then (a company's preferred date, an organizer's choice)."""
    if starts_at <= now:
        return _("Choose a date and time in the future.")
    if not is_accepted_fiscal_year(fiscal_year_of(starts_at)):
        return _("Choose a date within the next few years.")
    return None


def _preferred(
    data: Mapping[str, Any], errors: dict[str, str], now: datetime
) -> list[tuple[datetime, datetime]]:
    before = len(errors)
    slots = [_one_slot(data, rank, errors, now) for rank in range(1, PREFERRED_SLOTS + 1)]
    given = [slot for slot in slots if slot is not None]
    if not given and len(errors) == before:
        errors["preferred_date_1"] = _("Give at least one preferred date with its times.")
    return given


def _theme(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    raw = data.get("themes") or []
    chosen = raw if isinstance(raw, list | tuple) else [raw]
    themes = [theme for theme in THEMES if theme in chosen]
    if any(theme not in THEMES for theme in chosen):
        errors["themes"] = _("Choose themes from the list.")
    note = _text(data, "theme_note", errors, required=False, multiline=True)
    if not themes and note is None and "theme_note" not in errors:
        errors["theme_note"] = _("Choose at least one theme, or describe the theme you wish.")
    return {"themes": themes, "theme_note": note}


def _audience_size(raw: Any, errors: dict[str, str]) -> int | None:
    typed = _typed(raw).replace(",", "")
    if typed.isascii() and typed.isdigit() and 1 <= int(typed) <= MAX_AUDIENCE:
        return int(typed)
    errors["audience_size"] = _(
        "Enter the number of people, from 1 to %(most)d.", most=MAX_AUDIENCE
    )
    return None


def _session(data: Mapping[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    delivery = choice_value(
        data.get("delivery"), "delivery", {d.value for d in Delivery}, errors, required=True
    )
    place = _text(data, "place", errors, required=False)
    if place is None and delivery in (Delivery.IN_PERSON, Delivery.HYBRID):
        errors.setdefault("place", _("Enter where the seminar would be held."))
    return {
        "audience": _text(data, "audience", errors, required=True),
        "audience_size": _audience_size(data.get("audience_size"), errors),
        "delivery": Delivery(delivery) if delivery else None,
        "place": place,
    }


def check_request(data: Mapping[str, Any], *, now: datetime) -> RequestDetails:
    """A request as the form sends it, checked and normalised; RequestRefused names each
    field at fault, in the reader's language. The privacy notice must be agreed to."""
    errors: dict[str, str] = {}
    values = {
        **_company(data, errors),
        **_contact(data, errors),
        "preferred": _preferred(data, errors, now),
        **_theme(data, errors),
        **_session(data, errors),
        "locale": choice_value(
            data.get("locale") or "ja", "locale", {"ja", "en"}, errors, required=True
        ),
    }
    agreed = yes_or_no(data.get("privacy_notice_agreed"), "privacy_notice_agreed", errors)
    if not agreed and "privacy_notice_agreed" not in errors:
        errors["privacy_notice_agreed"] = _("Please read and agree to the privacy notice.")
    if errors:
        raise RequestRefused(errors)
    return RequestDetails(**values)


def submit_request(
    session: DbSession,
    data: Mapping[str, Any],
    *,
    now: datetime,
    privacy_notice_version: str,
) -> DispatchRequest:
    """Store a company's request (checked by check_request) as received, with its history's
    first entry, an audit record and the confirmation mail to the contact."""
    details = check_request(data, now=now)
    request = DispatchRequest(
        state=DispatchState.RECEIVED,
        token=new_token(),
        participant_token=new_token(),
        organization=details.organization,
        corporate_number=details.corporate_number,
        address=details.address,
        prefecture=details.prefecture,
        attribute=details.attribute,
        employee_band=details.employee_band,
        industry=details.industry,
        contact_name=details.contact_name,
        contact_email=details.contact_email,
        contact_email_key=normalize_email(details.contact_email),
        contact_phone=details.contact_phone,
        theme_note=details.theme_note,
        audience=details.audience,
        audience_size=details.audience_size,
        delivery=details.delivery,
        place=details.place,
        privacy_notice_version=privacy_notice_version,
        privacy_agreed_at=now,
        locale=details.locale,
    )
    request.themes = details.themes
    request.preferred_dates = [
        DispatchPreferredDate(rank=rank, starts_at=starts_at, ends_at=ends_at)
        for rank, (starts_at, ends_at) in enumerate(details.preferred, 1)
    ]
    session.add(request)
    session.flush()
    _remember(session, request, None, DispatchState.RECEIVED, None, COMPANY, None, now)
    queue(
        session,
        "dispatch.received",
        request.contact_email,
        {"request_id": request.id},
        language=request.locale,
    )
    return request


# --- its states ------------------------------------------------------------------------------


def _remember(
    session: DbSession,
    request: DispatchRequest,
    before: DispatchState | None,
    after: DispatchState,
    actor: User | None,
    actor_label: str,
    reason: str | None,
    now: datetime,
) -> DispatchStateChange:
    """The history entry and the audit record of a change of state."""
    change = DispatchStateChange(
        request=request,
        at=now,
        from_state=before,
        to_state=after,
        actor_id=getattr(actor, "id", None),
        actor_label=actor_label,
        reason=reason,
    )
    session.add(change)
    session.flush()
    record(
        session,
        "dispatch.received" if before is None else "dispatch.state_changed",
        "dispatch_request",
        request.id,
        actor=actor,
        actor_label=actor_label,
        details={"from": before.value if before else None, "to": after.value},
    )
    return change


def may_become(request: DispatchRequest, target: DispatchState) -> bool:
    return target in ALLOWED[request.state]


def withdrawal_refusal(request: DispatchRequest) -> str | None:
    """Why the company's contact can no longer take the request back; None while it can."""
    if may_become(request, DispatchState.WITHDRAWN):
        return None
    return _refusal(request.state, DispatchState.WITHDRAWN)


#: Why the company cannot withdraw a request that is past it.
_WITHDRAWAL_REFUSALS = {
    DispatchState.DELIVERED: lambda: _(
        "This request has been delivered: it can no longer be withdrawn."
    ),
    DispatchState.DECLINED: lambda: _(
        "This request was declined: there is nothing left to withdraw."
    ),
    DispatchState.WITHDRAWN: lambda: _("This request has already been withdrawn."),
}


def _refusal(current: DispatchState, target: DispatchState) -> str:
    if target == DispatchState.WITHDRAWN and current in _WITHDRAWAL_REFUSALS:
        return _WITHDRAWAL_REFUSALS[current]()
    if current == target:
        return _("This request is already “%(state)s”.", state=current.label)
    return _(
        "A request that is “%(current)s” cannot become “%(target)s”.",
        current=current.label,
        target=target.label,
    )


def _target(state: DispatchState | str) -> DispatchState:
    try:
        return DispatchState(state)
    except ValueError:
        raise TransitionRefused({"state": _("Choose one of the listed values.")}) from None


def _lock(session: DbSession, request: DispatchRequest) -> None:
    """Read the request again under a row lock (PostgreSQL), so that two changes at once
    are judged one after the other; SQLite's writes are serialised already."""
    session.refresh(request, with_for_update=True)


def change_state(
    session: DbSession,
    request: DispatchRequest,
    to: DispatchState | str,
    *,
    by: User | None,
    now: datetime,
    reason: str | None = None,
    seminar: Seminar | None = None,
    actor_label: str | None = None,
) -> DispatchStateChange:
    """The one way a request changes state, by ALLOWED; TransitionRefused otherwise.

    `by` is the staff member (None: the company's contact with actor_label COMPANY, or the
    system). Declining needs a `reason`, which the company receives by mail; scheduling
    needs the in-company `seminar` made for the request (schedule makes it). A scheduled
    request that is declined or withdrawn cancels its seminar through the lifecycle, which
    frees the staff assigned; they and the company receive METHOD:CANCEL.
    """
    target = _target(to)
    begin_write(session)
    _lock(session, request)
    current = request.state
    if target not in ALLOWED[current]:
        raise TransitionRefused({"state": _refusal(current, target)})
    errors: dict[str, str] = {}
    reason = text_value(
        reason, "reason", errors, required=False, multiline=True, limit=LIMITS["reason"]
    )
    if target == DispatchState.DECLINED and reason is None and not errors:
        errors["reason"] = _("Give the reason for declining: the company receives it by mail.")
    if target == DispatchState.SCHEDULED and seminar is None:
        errors["state"] = _("A request is scheduled by choosing its date and its lecturers.")
    if errors:
        raise TransitionRefused(errors)
    label = actor_label or getattr(by, "email", None) or SYSTEM
    cancelled = current == DispatchState.SCHEDULED and target in MAILS
    if cancelled:
        _cancel_seminar(session, request, target, by=by, label=label)
    if seminar is not None:
        request.seminar = seminar
    request.state = target
    change = _remember(session, request, current, target, by, label, reason, now)
    if target in MAILS:
        payload: dict[str, Any] = {"request_id": request.id, "change_id": change.id}
        if cancelled:  # the contact's invite is cancelled by this mail (METHOD:CANCEL)
            payload["sequence"] = invite_sequence(request)
        queue(session, MAILS[target], request.contact_email, payload, language=request.locale)
    return change


def withdraw_by_contact(
    session: DbSession, request: DispatchRequest, *, now: datetime
) -> DispatchStateChange:
    """The company's contact takes the request back through the private link."""
    return change_state(
        session, request, DispatchState.WITHDRAWN, by=None, now=now, actor_label=COMPANY
    )


# --- finding requests -----------------------------------------------------------------------


def by_token(session: DbSession, token: str) -> DispatchRequest | None:
    """The request behind a contact's private link, or None."""
    return session.scalar(select(DispatchRequest).where(DispatchRequest.token == token))


def in_state(
    session: DbSession, state: DispatchState, *, page: int = 1, per_page: int = 50
) -> tuple[list[DispatchRequest], int]:
    """One page of the requests in `state` (open ones oldest first, a queue; closed ones
    newest first), and how many are in that state."""
    order = DispatchRequest.id.asc() if state in OPEN_STATES else DispatchRequest.id.desc()
    query = select(DispatchRequest).where(DispatchRequest.state == state).order_by(order)
    return paginate(session, query, page, per_page)


def state_counts(session: DbSession) -> dict[DispatchState, int]:
    """How many requests are in each state (every state, 0 where none)."""
    counted: dict[DispatchState, int] = {
        state: number
        for state, number in session.execute(
            select(DispatchRequest.state, func.count()).group_by(DispatchRequest.state)
        )
    }
    return {state: counted.get(state, 0) for state in DispatchState}


# --- scheduling -----------------------------------------------------------------------------

#: The invite mails: the company's contact's, and each staff member's.
CONTACT_INVITE = "dispatch.scheduled"
STAFF_INVITE = "dispatch.assignment"

#: The in-company seminar's title of record (Japanese, as every seminar's) and in English.
SEMINAR_TITLE = "社内セミナー（{organization}）"
SEMINAR_TITLE_EN = "In-company seminar ({organization})"

#: The seminar's rules (catalogue.rules) that scheduling shows at its own fields; any other
#: is the request's (`state`).
_SCHEDULE_FIELDS = ("starts_at", "ends_at", "delivery")


@dataclass(frozen=True)
class Conflict:
    """A seminar (or dispatch) of a staff member that comes too close to the time asked."""

    person: User
    seminar: Seminar


class ScheduleRefused(FieldProblems):
    """A date or an assignment the rules refuse, field by field (`starts_at`, `ends_at`,
    `delivery`, `staff`, `state`): nothing changed. `conflicts` names the seminars in the
    way when staff are refused for overlap."""

    def __init__(
        self, problems: Mapping[str, str], conflicts: list[Conflict] | None = None
    ) -> None:
        super().__init__(problems)
        self.conflicts = conflicts or []


def travel_margin() -> timedelta:
    """The time one person needs between two assignments (DISPATCH_TRAVEL_MARGIN_MINUTES)."""
    return timedelta(minutes=current_app.config["DISPATCH_TRAVEL_MARGIN_MINUTES"])


def invite_sequence(request: DispatchRequest) -> int:
    """SEQUENCE of a scheduled request's invites: it grows with every change of time or
    place (the seminar's, raised by the lifecycle) and of the staff assigned (the request's)."""
    if request.seminar is None:
        raise ValueError(f"dispatch request {request.id} has no seminar")
    return request.seminar.calendar_sequence + request.calendar_sequence


def conflicts(
    session: DbSession,
    staff: list[User],
    starts_at: datetime,
    ends_at: datetime,
    *,
    margin: timedelta,
    excluding: int | None = None,
) -> list[Conflict]:
    """The seminars of any of `staff` (dispatches included), not cancelled, that come
    closer than `margin` to the time from `starts_at` to `ends_at`, soonest first. One that
    ends exactly `margin` before the start, or starts exactly `margin` after the end, leaves
    room. `excluding` is the seminar being moved (a re-scheduling)."""
    people = {user.id: user for user in staff}
    if not people:
        return []
    query = (
        select(seminar_lecturers.c.user_id, Seminar)
        .join(Seminar, Seminar.id == seminar_lecturers.c.seminar_id)
        .where(
            seminar_lecturers.c.user_id.in_(people),
            Seminar.status != SeminarStatus.CANCELLED,
            Seminar.starts_at < ends_at + margin,
            Seminar.ends_at > starts_at - margin,
        )
        .order_by(Seminar.starts_at, Seminar.id, seminar_lecturers.c.user_id)
    )
    if excluding is not None:
        query = query.where(Seminar.id != excluding)
    return [Conflict(people[user_id], seminar) for user_id, seminar in session.execute(query)]


def _overlap_message(found: list[Conflict], margin: timedelta) -> str:
    """Each person refused, with the first seminar in their way (title and time)."""
    first: dict[int, Conflict] = {}
    for conflict in found:
        first.setdefault(conflict.person.id, conflict)
    language = current_language()
    return " ".join(
        _(
            "%(person)s cannot be assigned: “%(seminar)s” (%(when)s) is too close to this "
            "time, and %(minutes)d minutes are kept between two assignments for travel.",
            person=conflict.person.display_name,
            seminar=conflict.seminar.title_for(language),
            when=format_when(conflict.seminar.starts_at, conflict.seminar.ends_at, language),
            minutes=margin // timedelta(minutes=1),
        )
        for conflict in first.values()
    )


def _title(template: str, organization: str) -> str:
    room = 200 - len(template.format(organization=""))
    return template.format(organization=organization[:room])


def _series(request: DispatchRequest) -> Series:
    """The series of the themes asked for; the trade-secret series when none was chosen."""
    chosen = [theme for theme in request.themes if theme in SERIES_THEMES]
    return Series(chosen[0]) if chosen else Series.TRADE_SECRET_IP_STRATEGY


def _venue(request: DispatchRequest) -> str:
    """Where the staff go: the company's address, and the room it named."""
    return (f"{request.address} {request.place}" if request.place else request.address)[:300]


def _seminar_fields(
    request: DispatchRequest,
    seminar: Seminar | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    delivery: str,
) -> SeminarFields:
    """The in-company seminar's values: a new one's from the request, or the seminar's
    own with the new time and delivery."""
    if seminar is None:
        values: dict[str, Any] = {
            "title": _title(SEMINAR_TITLE, request.organization),
            "title_en": _title(SEMINAR_TITLE_EN, request.organization),
            "series": _series(request),
            "host_type": HostType.IN_COMPANY,
            "host_organization": request.organization,
            "description": request.theme_note or "",
            "status": SeminarStatus.DRAFT,
        }
        venue = None
    else:
        values = {name: getattr(seminar, name) for name in lifecycle.EDITABLE}
        values["status"] = seminar.status
        venue = seminar.venue
    values.update(starts_at=starts_at, ends_at=ends_at, delivery=delivery)
    values["venue"] = None if delivery == Delivery.ONLINE else (venue or _venue(request))
    return SeminarFields(**values)


def _staff_problems(session: DbSession, staff: list[User]) -> dict[str, str]:
    if not staff:
        return {"staff": _("Assign at least one lecturer or advisor.")}
    eligible = {user.id for user in lifecycle.lecturer_choices(session)}
    refused = [user.display_name for user in staff if user.id not in eligible]
    if refused:
        return {
            "staff": _(
                "Only active lecturers or advisors can be assigned: %(names)s.",
                names=", ".join(refused),
            )
        }
    return {}


def _schedule_problems(
    session: DbSession,
    request: DispatchRequest,
    fields: SeminarFields,
    staff: list[User],
    now: datetime,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if request.state != DispatchState.SCHEDULED and not may_become(
        request, DispatchState.SCHEDULED
    ):
        errors["state"] = _refusal(request.state, DispatchState.SCHEDULED)
    for name, message in seminar_problems(fields, now).items():
        errors.setdefault(name if name in _SCHEDULE_FIELDS else "state", message)
    if "starts_at" not in errors and fields.starts_at is not None:
        problem = _date_problem(fields.starts_at, now)
        if problem:
            errors["starts_at"] = problem
    errors.update(_staff_problems(session, staff))
    return errors


def _lock_staff(session: DbSession, staff: list[User]) -> None:
    """Hold the staff's rows (PostgreSQL, in id order) so that two assignments of one
    person at once are judged one after the other; SQLite's writes are serialised already."""
    ids = sorted({user.id for user in staff})
    if ids:
        session.execute(
            select(User.id)
            .where(User.id.in_(ids))
            .order_by(User.id)
            .with_for_update(key_share=True)
        )


def schedule(
    session: DbSession,
    request: DispatchRequest,
    *,
    starts_at: datetime | None,
    ends_at: datetime | None,
    delivery: str,
    staff: list[User],
    by: User | None,
    now: datetime,
    margin: timedelta | None = None,
) -> Seminar:
    """Fix a request's date, delivery and staff, or change them (re-scheduling).

    The first time, the in-company seminar is created and published through the
    catalogue's lifecycle (host type in-company: never in the public catalogue) with the
    staff as its lecturers, the request is linked to it and to the company as a client of
    the desk (consultations.find_or_create_client), and it becomes scheduled. Later, the
    seminar changes through the lifecycle, which raises its SEQUENCE on a new time or
    place. Either way the company's contact and each staff member receive their invite;
    staff taken off receive METHOD:CANCEL.

    ScheduleRefused, field by field, when a value is wrong or an assigned person has
    another seminar or dispatch (not cancelled) closer than the travel `margin` (the
    setting when None); nothing changes then.
    """
    begin_write(session)
    _lock(session, request)
    _lock_staff(session, staff)
    margin = travel_margin() if margin is None else margin
    seminar = request.seminar if request.state == DispatchState.SCHEDULED else None
    fields = _seminar_fields(request, seminar, starts_at, ends_at, delivery)
    errors = _schedule_problems(session, request, fields, staff, now)
    if errors:
        raise ScheduleRefused(errors)
    assert fields.starts_at is not None and fields.ends_at is not None  # checked above
    found = conflicts(
        session,
        staff,
        fields.starts_at,
        fields.ends_at,
        margin=margin,
        excluding=seminar.id if seminar is not None else None,
    )
    if found:
        raise ScheduleRefused({"staff": _overlap_message(found, margin)}, found)
    if seminar is None:
        seminar = _schedule_first(session, request, fields, staff, by=by, now=now)
    else:
        _reschedule(session, request, seminar, fields, staff, by=by, now=now)
    if request.client is None:
        request.client = find_or_create_client(
            session, request.organization, request.corporate_number
        )
    return seminar


def _schedule_first(
    session: DbSession,
    request: DispatchRequest,
    fields: SeminarFields,
    staff: list[User],
    *,
    by: User | None,
    now: datetime,
) -> Seminar:
    seminar = lifecycle.create_seminar(session, fields, staff, by=by)
    lifecycle.publish(session, seminar, now, by=by, owner=True)
    change_state(session, request, DispatchState.SCHEDULED, by=by, now=now, seminar=seminar)
    _invite_contact(session, request, update=False)
    for user in staff:
        _invite_staff(session, request, user, "REQUEST")
    return seminar


def _reschedule(
    session: DbSession,
    request: DispatchRequest,
    seminar: Seminar,
    fields: SeminarFields,
    staff: list[User],
    *,
    by: User | None,
    now: datetime,
) -> None:
    before = list(seminar.lecturers)
    changed = lifecycle.change_seminar(session, seminar.id, fields, staff, now, by=by, owner=True)
    if not changed:
        return
    if "lecturers" in changed:
        request.calendar_sequence += 1  # the invites name the staff
    record(
        session,
        "dispatch.rescheduled",
        "dispatch_request",
        request.id,
        actor=by,
        details={"fields": sorted(changed)},
    )
    _invite_contact(session, request, update=True)
    kept = {user.id for user in before}
    for user in staff:
        _invite_staff(session, request, user, "REQUEST", update=user.id in kept)
    assigned = {user.id for user in staff}
    for user in before:
        if user.id not in assigned:
            _invite_staff(session, request, user, "CANCEL", why="unassigned")


def _cancel_seminar(
    session: DbSession,
    request: DispatchRequest,
    target: DispatchState,
    *,
    by: User | None,
    label: str,
) -> None:
    """A scheduled request declined or withdrawn: its seminar is cancelled through the
    lifecycle (which frees the staff and raises the SEQUENCE), and each staff member
    receives METHOD:CANCEL."""
    seminar = request.seminar
    if seminar is None or seminar.status == SeminarStatus.CANCELLED:
        return
    lifecycle.cancel(
        session,
        seminar,
        f"dispatch request {request.id} {target.value}",
        by=by,
        label=None if by is not None else label,
        owner=True,
    )
    for user in seminar.lecturers:
        _invite_staff(session, request, user, "CANCEL", why=target.value)


def _invite_contact(session: DbSession, request: DispatchRequest, *, update: bool) -> None:
    queue(
        session,
        CONTACT_INVITE,
        request.contact_email,
        {"request_id": request.id, "sequence": invite_sequence(request), "update": update},
        language=request.locale,
    )


def _invite_staff(
    session: DbSession,
    request: DispatchRequest,
    user: User,
    method: str,
    *,
    update: bool = False,
    why: str | None = None,
) -> None:
    """A staff member's invite (REQUEST) or its cancellation (CANCEL, `why`: unassigned,
    declined or withdrawn), in the default language; the first makes their feed."""
    if method == "REQUEST":
        ensure_staff_feed(session, user)
    payload: dict[str, Any] = {
        "request_id": request.id,
        "user_id": user.id,
        "method": method,
        "sequence": invite_sequence(request),
        "update": update,
    }
    if why is not None:
        payload["why"] = why
    queue(
        session,
        STAFF_INVITE,
        user.email,
        payload,
        language=current_app.config["LANGUAGES"][0],
    )


# --- each staff member's calendar of assignments ------------------------------------------------


def _feed_token(session: DbSession, user: User) -> str | None:
    return session.scalar(
        select(StaffCalendarFeed.token).where(StaffCalendarFeed.user_id == user.id)
    )


def ensure_staff_feed(session: DbSession, user: User) -> str:
    """The secret of the staff member's calendar feed, made on first need (two at once
    both succeed, with one secret)."""
    token = _feed_token(session, user)
    if token is None:
        begin_write(session)
        insert_unless_present(
            session,
            StaffCalendarFeed,
            "user_id",
            user_id=user.id,
            token=new_token(),
            created_at=utcnow(),
        )
        token = _feed_token(session, user)
    assert token is not None  # inserted now or before
    return token


def renew_staff_feed(session: DbSession, user: User) -> str:
    """A new secret for the feed: the old address stops working (a link that leaked)."""
    begin_write(session)
    feed = session.get(StaffCalendarFeed, user.id)
    if feed is None:
        return ensure_staff_feed(session, user)
    feed.token = new_token()
    feed.created_at = utcnow()
    record(session, "staff_feed.renewed", "user", user.id, actor=user)
    return feed.token


def feed_owner(session: DbSession, token: str) -> User | None:
    """The active staff member whose feed has this secret; None for any other."""
    return session.scalar(
        select(User)
        .join(StaffCalendarFeed, StaffCalendarFeed.user_id == User.id)
        .where(StaffCalendarFeed.token == token, User.active)
    )


def assignments_of(
    session: DbSession, user: User, *, since: datetime
) -> list[tuple[Seminar, DispatchRequest | None]]:
    """The seminars the person is a lecturer of, published or cancelled, ending after
    `since`, soonest first, each with its dispatch request when it is one."""
    rows = session.execute(
        select(Seminar, DispatchRequest)
        .join(seminar_lecturers, seminar_lecturers.c.seminar_id == Seminar.id)
        .outerjoin(DispatchRequest, DispatchRequest.seminar_id == Seminar.id)
        .where(
            seminar_lecturers.c.user_id == user.id,
            Seminar.status.in_([SeminarStatus.PUBLISHED, SeminarStatus.CANCELLED]),
            Seminar.ends_at >= since,
        )
        .order_by(Seminar.starts_at, Seminar.id)
    )
    return [(seminar, request) for seminar, request in rows]


# --- the seminars it owns --------------------------------------------------------------------


def request_of_seminar(session: DbSession, seminar_id: int) -> DispatchRequest | None:
    """The request whose in-company seminar this is, if any."""
    return session.scalar(select(DispatchRequest).where(DispatchRequest.seminar_id == seminar_id))


def _owner_of(session: DbSession, seminar: Seminar) -> str | None:
    """Where a dispatch's in-company seminar is changed: on its request's page, where the
    overlap check and the invites of the company and the staff follow (lifecycle.owned_by)."""
    request = request_of_seminar(session, seminar.id)
    if request is None:
        return None
    return _(
        "This in-company seminar belongs to the lecturer-dispatch request of "
        "%(organization)s: change its date, place, delivery, lecturers or status on the "
        "request's page, where overlaps are checked and the company and the staff are told.",
        organization=request.organization,
    )


lifecycle.owned_by(_owner_of)
