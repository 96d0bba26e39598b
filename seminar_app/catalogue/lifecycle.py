"""A seminar's lifecycle, for every door: create, change, publish, unpublish, cancel, capacity.

The console, the staff API, `flask content sync` and the historic import all change
seminars through these functions, so that whatever the door the same things follow: a
change of time or place raises the calendar SEQUENCE and queues the updated invites, a
higher capacity promotes the waitlist, a cancellation sends METHOD:CANCEL to every seat.
Each function audits what it did and leaves the commit to its caller.

What follows for the people registered is registration's rule, and registration sits above
the catalogue: it hands its functions over once (`follow_registrations`, at the end of
registration/services.py) instead of being imported here. In the same way a feature above
that owns some seminars (lecturer dispatch: the in-company seminars it scheduled) claims
them (`owned_by`): their date, place, delivery, lecturers and status then change only
through it, which keeps its own promises (the overlap check, the company's invites).

`by` is the staff member acting (None: the logged-in user, if any); `label` names a door
without a person, such as "content-sync".
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, bindparam, select

from ..audit.services import record
from ..auth.models import User
from ..auth.services import active_staff
from ..database import DbSession, begin_write
from ..domain import SPEAKERS, Admission, SeminarStatus
from ..timeutil import to_jst
from .models import Seminar
from .rules import (
    MAX_CAPACITY,
    SEMINAR_FIELD_NAMES,
    SeminarFields,
    admission_problems,
    seminar_problems,
)

if TYPE_CHECKING:
    from ..registration.models import Registration

#: What a change edits; the status changes only through publish, unpublish and cancel.
EDITABLE = tuple(name for name in SEMINAR_FIELD_NAMES if name != "status")


class SeminarActionError(ValueError):
    """A lifecycle step that may not be taken now; the message is for the person."""


class OwnedSeminar(SeminarActionError):
    """A change that only the feature owning the seminar makes; `fields` are those the
    change touched (or `status`), and the message says where to make it instead."""

    def __init__(self, message: str, fields: list[str]) -> None:
        super().__init__(message)
        self.fields = fields


#: What only a seminar's owner changes (beside its status).
OWNED_FIELDS = ("starts_at", "ends_at", "delivery", "venue")

#: Each answers, for a seminar, None or where the seminar is changed instead.
_owners: list[Callable[[DbSession, Seminar], str | None]] = []


def owned_by(owner: Callable[[DbSession, Seminar], str | None]) -> None:
    """A feature above the catalogue claims the seminars for which `owner` answers a
    message: only a call that says it is the owner (`owner=True`) changes their date,
    place, delivery, lecturers or status."""
    _owners.append(owner)


def _refuse_unless_owner(session: DbSession, seminar: Seminar, touched: list[str]) -> None:
    for owner in _owners:
        where = owner(session, seminar)
        if where:
            raise OwnedSeminar(where, touched)


#: The most people one registration may bring (the column's CHECK says the same).
MAX_GROUP_SIZE = 20


def _check_group_size(size: int | None) -> None:
    if size is not None and not 1 <= size <= MAX_GROUP_SIZE:
        raise SeminarActionError(
            _(
                "A group registration brings 1 to %(most)d people (1: one at a time).",
                most=MAX_GROUP_SIZE,
            )
        )


def _owned_changes(seminar: Seminar, fields: SeminarFields, lecturers: list[User]) -> list[str]:
    touched = [name for name in OWNED_FIELDS if getattr(seminar, name) != getattr(fields, name)]
    if {user.id for user in seminar.lecturers} != {user.id for user in lecturers}:
        touched.append("lecturers")
    return touched


@dataclass(frozen=True)
class Registrations:
    """What the lifecycle asks of a seminar's registrations (registration.services)."""

    #: Whether anyone holds a registration or an application that is not cancelled.
    any_active: Callable[[DbSession, int], bool]
    #: Tell the registrants of a new time or place; how many were told.
    announce_change: Callable[[DbSession, Seminar, list[str]], int]
    #: Seat the waitlist as far as the seats allow; who was seated.
    promote_waitlisted: Callable[[DbSession, Seminar, datetime], list[Registration]]
    #: Cancel every seat's invite (METHOD:CANCEL); how many were told.
    announce_cancellation: Callable[[DbSession, Seminar], int]


_handed_over: Registrations | None = None


def follow_registrations(registrations: Registrations) -> None:
    """Registration, once imported, hands over what follows a seminar's changes."""
    global _handed_over
    _handed_over = registrations


def _registrations() -> Registrations:
    if _handed_over is None:  # a change nobody hears of would be a silent loss
        raise RuntimeError("seminar_app.registration.services is not imported")
    return _handed_over


def find_and_lock_seminar(session: DbSession, seminar_id: int) -> Seminar | None:
    """Open a transaction holding the seminar's lock; every change of the seminar and
    every seat decision (registration.services) happens inside it.

    None when no seminar has this id (an id from outside: a form, the API).
    """
    begin_write(session)
    return session.scalar(_LOCK_SEMINAR, {"seminar_id": seminar_id})


def seminar_lock(*also: ColumnElement[Any]) -> Select[Any]:
    """The statement that reads the seminar (:seminar_id) afresh with its row locked, and
    `also` these columns in the same round trip (work that needs no lock of its own)."""
    return (
        select(Seminar, *also)
        .where(Seminar.id == bindparam("seminar_id"))
        .with_for_update(of=Seminar)
        .execution_options(populate_existing=True)
    )


#: Built once: it runs on every registration.
_LOCK_SEMINAR = seminar_lock()


def lock_seminar(session: DbSession, seminar_id: int) -> Seminar:
    """find_and_lock_seminar for a seminar known to exist (a registration's, one just loaded)."""
    seminar = find_and_lock_seminar(session, seminar_id)
    if seminar is None:
        raise LookupError(f"seminar {seminar_id} does not exist")
    return seminar


def lecturer_choices(session: DbSession) -> list[User]:
    """The staff a seminar can name as its lecturers: lecturers and advisors (SPEAKERS)."""
    return active_staff(session, *SPEAKERS)


def new_slug(fields: SeminarFields) -> str:
    day = to_jst(fields.starts_at).date().isoformat() if fields.starts_at else "undated"
    return f"{day}-{fields.series}-{secrets.token_hex(3)}"


def _apply(seminar: Seminar, fields: SeminarFields, lecturers: list[User]) -> list[str]:
    changed = [name for name in EDITABLE if getattr(seminar, name) != getattr(fields, name)]
    for name in changed:
        setattr(seminar, name, getattr(fields, name))
    if {id(user) for user in seminar.lecturers} != {id(user) for user in lecturers}:
        seminar.lecturers = lecturers
        changed.append("lecturers")
    return changed


def _apply_admission(
    session: DbSession, seminar: Seminar, admission: str | None, sme_priority: bool | None
) -> list[str]:
    """Set how seats are given (None: unchanged). The admission is fixed once people have
    registered or applied; nothing about the lottery changes after its draw."""
    changed = []
    if admission is not None and admission != (seminar.admission or Admission.FIRST_COME):
        if seminar.lottery_drawn_at is not None or (
            seminar.id is not None and _registrations().any_active(session, seminar.id)
        ):
            raise SeminarActionError(
                _(
                    "How seats are given cannot change once people have registered "
                    "or the lottery has been drawn."
                )
            )
        seminar.admission = Admission(admission)
        changed.append("admission")
    if sme_priority is not None and bool(sme_priority) != bool(seminar.lottery_sme_priority):
        if seminar.lottery_drawn_at is not None:
            raise SeminarActionError(_("The lottery has been drawn; its rules no longer change."))
        seminar.lottery_sme_priority = bool(sme_priority)
        changed.append("lottery_sme_priority")
    return changed


def create_seminar(
    session: DbSession,
    fields: SeminarFields,
    lecturers: list[User],
    *,
    slug: str | None = None,
    admission: str | None = None,
    lottery_sme_priority: bool | None = None,
    waitlist_cutoff_hours: int | None = None,
    max_group_size: int | None = None,
    content_path: str | None = None,
    by: Any = None,
    label: str | None = None,
) -> Seminar:
    """A new draft; publish it with `publish`."""
    _check_group_size(max_group_size)
    seminar = Seminar(
        slug=slug or new_slug(fields),
        status=SeminarStatus.DRAFT,
        admission=admission or Admission.FIRST_COME,
        lottery_sme_priority=bool(lottery_sme_priority),
        content_path=content_path,
    )
    if waitlist_cutoff_hours is not None:
        seminar.waitlist_cutoff_hours = waitlist_cutoff_hours
    if max_group_size is not None:
        seminar.max_group_size = max_group_size
    _apply(seminar, fields, lecturers)
    session.add(seminar)
    session.flush()
    details: dict[str, Any] = {"title": seminar.title}
    if content_path:
        details["path"] = content_path
    record(
        session,
        "seminar.created",
        "seminar",
        seminar.id,
        actor=by,
        actor_label=label,
        details=details,
    )
    return seminar


def change_seminar(
    session: DbSession,
    seminar_id: int,
    fields: SeminarFields,
    lecturers: list[User],
    now: datetime,
    *,
    admission: str | None = None,
    lottery_sme_priority: bool | None = None,
    waitlist_cutoff_hours: int | None = None,
    max_group_size: int | None = None,
    content_path: str | None = None,
    by: Any = None,
    label: str | None = None,
    owner: bool = False,
) -> list[str]:
    """Save a change under the seminar's lock; what follows from it follows here.

    Registrants hear of a new time or place (a calendar update with a higher SEQUENCE);
    a higher capacity or a later waitlist cut-off promotes from the waitlist at once.
    `admission`, `lottery_sme_priority`, `waitlist_cutoff_hours`, `max_group_size` and
    `content_path` are None when unchanged. SeminarActionError where a value may not
    change, OwnedSeminar where only the seminar's owner (`owner=True`) may change it; the
    caller rolls back then.
    """
    seminar = lock_seminar(session, seminar_id)
    touched = _owned_changes(seminar, fields, lecturers)
    if touched and not owner:
        _refuse_unless_owner(session, seminar, touched)
    capacity_before = seminar.capacity or 0
    online_before = seminar.online_capacity
    cutoff_before = seminar.waitlist_cutoff_hours
    changed = _apply_admission(session, seminar, admission, lottery_sme_priority)
    changed += _apply(seminar, fields, lecturers)
    if waitlist_cutoff_hours is not None and waitlist_cutoff_hours != cutoff_before:
        seminar.waitlist_cutoff_hours = waitlist_cutoff_hours
        changed.append("waitlist_cutoff_hours")
    _check_group_size(max_group_size)
    if max_group_size is not None and max_group_size != seminar.max_group_size:
        seminar.max_group_size = max_group_size
        changed.append("max_group_size")
    if content_path is not None and content_path != seminar.content_path:
        seminar.content_path = content_path
        changed.append("content_path")
    if not changed:
        return changed
    details: dict[str, Any] = {"fields": sorted(changed)}
    if content_path:
        details["path"] = content_path
    record(
        session,
        "seminar.updated",
        "seminar",
        seminar.id,
        actor=by,
        actor_label=label,
        details=details,
    )
    if seminar.status == SeminarStatus.PUBLISHED:
        _registrations().announce_change(session, seminar, changed)
    cutoff_earlier = (seminar.waitlist_cutoff_hours or 0) < (cutoff_before or 0)
    if (
        (seminar.capacity or 0) > capacity_before
        or _more_seats_online(online_before, seminar.online_capacity)
        or cutoff_earlier
    ):
        _registrations().promote_waitlisted(session, seminar, now)
    return changed


def _more_seats_online(before: int | None, after: int | None) -> bool:
    """A higher online capacity, or none at all (no limit online), frees seats online."""
    if before is None:
        return False
    return after is None or after > before


def change_capacity(
    session: DbSession, seminar_id: int, capacity: int, now: datetime, *, by: Any = None
) -> list[Registration]:
    """Set the capacity alone; raising it promotes at once, lowering it unseats nobody."""
    if capacity < 0:
        raise SeminarActionError(_("The capacity cannot be negative."))
    if capacity > MAX_CAPACITY:
        raise SeminarActionError(_("The capacity can be at most %(n)d.", n=MAX_CAPACITY))
    seminar = lock_seminar(session, seminar_id)
    before = seminar.capacity
    seminar.capacity = capacity
    record(
        session,
        "seminar.capacity_changed",
        "seminar",
        seminar.id,
        actor=by,
        details={"from": before, "to": capacity},
    )
    return _registrations().promote_waitlisted(session, seminar, now)


def duplicate_seminar(session: DbSession, original: Seminar, *, by: Any = None) -> Seminar:
    """A new draft with the same content, for the next run of a seminar."""
    copy = Seminar(slug="", status=SeminarStatus.DRAFT)
    for name in EDITABLE:
        setattr(copy, name, getattr(original, name))
    suffix = "（複製）"
    if len(original.title) + len(suffix) <= 200:
        copy.title = original.title + suffix
    copy.lecturers = list(original.lecturers)
    copy.admission = original.admission
    copy.lottery_sme_priority = original.lottery_sme_priority
    copy.slug = f"{original.slug[:100]}-copy-{secrets.token_hex(3)}"
    session.add(copy)
    session.flush()
    record(
        session, "seminar.duplicated", "seminar", copy.id, actor=by, details={"from": original.id}
    )
    return copy


def publish(
    session: DbSession,
    seminar: Seminar,
    now: datetime,
    *,
    by: Any = None,
    label: str | None = None,
    owner: bool = False,
) -> None:
    if not owner:
        _refuse_unless_owner(session, seminar, ["status"])
    if seminar.status == SeminarStatus.CANCELLED:
        raise SeminarActionError(_("A cancelled seminar cannot be published again."))
    fields = SeminarFields(
        **{name: getattr(seminar, name) for name in EDITABLE}, status=SeminarStatus.PUBLISHED
    )
    problems = seminar_problems(fields, now)
    problems.update(admission_problems(seminar.admission, seminar.registration_closes_at))
    if problems:
        raise SeminarActionError(
            _("Fix these before publishing: %(problems)s", problems=" ".join(problems.values()))
        )
    seminar.status = SeminarStatus.PUBLISHED
    record(session, "seminar.published", "seminar", seminar.id, actor=by, actor_label=label)


def unpublish(
    session: DbSession,
    seminar: Seminar,
    *,
    by: Any = None,
    label: str | None = None,
    owner: bool = False,
) -> None:
    if not owner:
        _refuse_unless_owner(session, seminar, ["status"])
    if seminar.status != SeminarStatus.PUBLISHED:
        raise SeminarActionError(_("Only a published seminar can be unpublished."))
    seminar.status = SeminarStatus.DRAFT
    record(session, "seminar.unpublished", "seminar", seminar.id, actor=by, actor_label=label)


def cancel(
    session: DbSession,
    seminar: Seminar,
    reason: str,
    *,
    locked: bool = False,
    by: Any = None,
    label: str | None = None,
    owner: bool = False,
) -> None:
    """Cancel and tell every registrant (METHOD:CANCEL to each seat); `locked` when the
    caller's transaction holds the seminar's lock already (after change_seminar)."""
    if not locked:
        seminar = lock_seminar(session, seminar.id)
    if not owner:
        _refuse_unless_owner(session, seminar, ["status"])
    if seminar.status == SeminarStatus.CANCELLED:
        raise SeminarActionError(_("This seminar is already cancelled."))
    seminar.status = SeminarStatus.CANCELLED
    told = _registrations().announce_cancellation(session, seminar)
    record(
        session,
        "seminar.cancelled",
        "seminar",
        seminar.id,
        actor=by,
        actor_label=label,
        details={"reason": reason, "registrants_told": told},
    )


def change_status(
    session: DbSession,
    seminar: Seminar,
    status: str,
    now: datetime,
    *,
    reason: str = "",
    locked: bool = False,
    by: Any = None,
    label: str | None = None,
) -> None:
    """Move the seminar to `status` by the step that leads there (nothing if it is there)."""
    if status == seminar.status:
        return
    if status == SeminarStatus.CANCELLED:
        cancel(session, seminar, reason, locked=locked, by=by, label=label)
    elif status == SeminarStatus.PUBLISHED:
        publish(session, seminar, now, by=by, label=label)
    elif status == SeminarStatus.DRAFT:
        unpublish(session, seminar, by=by, label=label)
    else:
        raise SeminarActionError(_("Unknown status “%(value)s”.", value=status))
