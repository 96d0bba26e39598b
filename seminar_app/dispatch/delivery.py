"""After a dispatch: the request becomes delivered once its seminar has ended, with the
head-count recorded on the seminar (attendance.set_head_count, the home of head-counts, so
the fiscal-year report counts it as any in-company seminar's), how many minutes it lasted
and the organizer's short report. A delivered request's figures may be corrected later.

The company's participants, who do not register, reach the seminar's materials and its
survey through the participants' link that the contact forwards (participant_token):
to the materials they are the seminar's registrants (materials.SharedLink), to the survey
each browser is one respondent (surveys.Browser).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..attendance.services import MAX_HEAD_COUNT, set_head_count
from ..audit.services import record
from ..auth.models import User
from ..catalogue.models import Seminar
from ..database import DbSession, begin_write
from ..domain import DispatchState
from ..problems import FieldProblems
from ..registration.details import text_value
from .models import DispatchRequest
from .services import TransitionRefused, change_state, may_become

#: The longest seminar a day holds, in minutes (the column's CHECK says the same).
MAX_MINUTES = 24 * 60
#: A delivery report is short: what was covered, how it went, what the company asked next.
MAX_REPORT = 4000


class DeliveryRefused(FieldProblems):
    """A delivery the rules refuse, field by field (`state`, `attendees`, `minutes`,
    `report`): nothing changed."""


@dataclass(frozen=True)
class Delivered:
    """What an organizer records of a delivered seminar, as given (a form's or the API's
    values): the rules judge them."""

    attendees: object
    #: None: the seminar's scheduled length.
    minutes: object = None
    report: object = None


@dataclass(frozen=True)
class _Kept:
    attendees: int
    minutes: int | None
    report: str | None


def _whole(value: object, least: int, most: int) -> int | None:
    # bool is an int to Python, never a number of people or of minutes.
    if isinstance(value, int) and not isinstance(value, bool) and least <= value <= most:
        return value
    return None


def _checked(facts: Delivered) -> tuple[dict[str, str], _Kept]:
    """(the problems field by field, what is kept when there are none)."""
    errors: dict[str, str] = {}
    attendees = _whole(facts.attendees, 0, MAX_HEAD_COUNT)
    if attendees is None:
        errors["attendees"] = _(
            "Enter the number of attendees, from 0 to %(most)d.", most=MAX_HEAD_COUNT
        )
    minutes = _whole(facts.minutes, 1, MAX_MINUTES)
    if facts.minutes is not None and minutes is None:
        errors["minutes"] = _(
            "Enter how many minutes the seminar lasted, from 1 to %(most)d.", most=MAX_MINUTES
        )
    report = text_value(
        facts.report, "report", errors, required=False, multiline=True, limit=MAX_REPORT
    )
    return errors, _Kept(attendees or 0, minutes, report)


def scheduled_minutes(seminar: Seminar) -> int:
    """The seminar's length as scheduled, in whole minutes: the minutes' default."""
    length = int((seminar.ends_at - seminar.starts_at).total_seconds() // 60)
    return max(1, min(MAX_MINUTES, length))


def deliver(
    session: DbSession,
    request: DispatchRequest,
    facts: Delivered,
    *,
    by: User | None,
    now: datetime,
) -> None:
    """Mark a scheduled request delivered, its seminar having ended, or correct what was
    recorded of a delivered one: the head-count (on the seminar), the minutes (the
    scheduled length when not given) and the report. DeliveryRefused names each field at
    fault: `state` (neither scheduled nor delivered, or its seminar not yet over),
    `attendees` (not 0 to MAX_HEAD_COUNT), `minutes` (not 1 to MAX_MINUTES), `report`."""
    begin_write(session)
    # Judged on the request as it stands under its lock (a re-scheduling may move the end);
    # what this session changed is written first, or the refresh would forget it.
    session.flush()
    session.refresh(request, with_for_update=True)
    errors, kept = _checked(facts)
    seminar = request.seminar
    correcting = request.state == DispatchState.DELIVERED
    if (correcting or may_become(request, DispatchState.DELIVERED)) and seminar is not None:
        if seminar.ends_at > now:
            errors["state"] = _("A request is delivered once its seminar has ended.")
        if errors:
            raise DeliveryRefused(errors)
    if not correcting:
        try:
            change_state(session, request, DispatchState.DELIVERED, by=by, now=now)
        except TransitionRefused as exc:  # refused before it wrote anything
            raise DeliveryRefused({**exc.problems, **errors}) from None
    assert seminar is not None  # a delivered request has its seminar (scheduled_has_seminar)
    before = (seminar.head_count, request.delivered_minutes, request.delivery_report)
    if seminar.head_count != kept.attendees:
        set_head_count(session, seminar, kept.attendees, by=by)
    request.delivered_minutes = kept.minutes or scheduled_minutes(seminar)
    request.delivery_report = kept.report
    after = (kept.attendees, request.delivered_minutes, request.delivery_report)
    if correcting and before != after:
        record(
            session,
            "dispatch.delivery_corrected",
            "dispatch_request",
            request.id,
            actor=by,
            details={
                "attendees": [before[0], after[0]],
                "minutes": [before[1], after[1]],
                "report_changed": before[2] != after[2],
            },
        )


def by_participant_token(session: DbSession, token: str) -> DispatchRequest | None:
    """The request whose participants' link this is, once it has a seminar to show them:
    scheduled or delivered (a withdrawn or declined request's link shows nothing)."""
    return session.scalar(
        select(DispatchRequest).where(
            DispatchRequest.participant_token == token,
            DispatchRequest.state.in_((DispatchState.SCHEDULED, DispatchState.DELIVERED)),
        )
    )
