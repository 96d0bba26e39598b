"""After a dispatch: the request becomes delivered once its seminar has ended, with the
head-count recorded on the seminar (attendance.set_head_count, the home of head-counts, so
the fiscal-year report counts it as any in-company seminar's)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..attendance.services import MAX_HEAD_COUNT, set_head_count
from ..auth.models import User
from ..database import DbSession, begin_write
from ..domain import DispatchState
from ..problems import FieldProblems
from .models import DispatchRequest
from .services import TransitionRefused, change_state, may_become


class DeliveryRefused(FieldProblems):
    """A delivery the rules refuse, field by field (`state`, `attendees`): nothing changed."""


def _attendee_problem(attendees: int | None) -> str | None:
    # bool is an int to Python, never a number of people.
    whole = isinstance(attendees, int) and not isinstance(attendees, bool)
    if whole and 0 <= (attendees or 0) <= MAX_HEAD_COUNT:
        return None
    return _("Enter the number of attendees, from 0 to %(most)d.", most=MAX_HEAD_COUNT)


def deliver(
    session: DbSession,
    request: DispatchRequest,
    *,
    attendees: int | None,
    by: User | None,
    now: datetime,
) -> None:
    """Mark a scheduled request delivered, its seminar having ended, and record how many
    attended on the seminar. DeliveryRefused names each field at fault: `state` (not
    scheduled, or its seminar not yet over), `attendees` (not 0 to MAX_HEAD_COUNT)."""
    begin_write(session)
    # Judged on the request as it stands under its lock (a re-scheduling may move the end).
    session.refresh(request, with_for_update=True)
    errors: dict[str, str] = {}
    problem = _attendee_problem(attendees)
    if problem:
        errors["attendees"] = problem
    seminar = request.seminar
    if may_become(request, DispatchState.DELIVERED) and seminar is not None:
        if seminar.ends_at > now:
            errors["state"] = _("A request is delivered once its seminar has ended.")
        if errors:
            raise DeliveryRefused(errors)
    try:
        change_state(session, request, DispatchState.DELIVERED, by=by, now=now)
    except TransitionRefused as exc:  # refused before it wrote anything
        raise DeliveryRefused({**exc.problems, **errors}) from None
    assert seminar is not None  # a scheduled request has its seminar (scheduled_has_seminar)
    set_head_count(session, seminar, attendees, by=by)
