"""The rules of registration: seats, the waitlist, cancellation and promotion.

Every change that depends on the number of confirmed seats runs in one
transaction that first takes the seminar's lock (FOR UPDATE on PostgreSQL under
READ COMMITTED, BEGIN IMMEDIATE on SQLite), then counts, then writes. Seats are
counted, never kept in a counter. Mails go to the outbox in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable

from ..audit.models import AuditEvent
from ..audit.services import PARTICIPANT, event_values, record
from ..catalogue import lifecycle
from ..catalogue.lifecycle import find_and_lock_seminar, lock_seminar
from ..catalogue.models import Seminar
from ..catalogue.services import RegistrationState, registration_state, seats_left_by_mode
from ..codes import TICKET
from ..database import (
    DbSession,
    NewRow,
    begin_write,
    compiled_once,
    insert_new,
    insert_unless_present,
    next_id,
    rows_changed,
)
from ..domain import Admission, AttendanceMode, Delivery, RegistrationStatus, SeminarStatus
from ..notifications.models import OutboxMessage
from ..notifications.services import outbox_values
from ..problems import FieldProblems
from ..timeutil import utcnow
from .details import ParticipantDetails
from .models import CalendarFeed, Registration, attendance_of


class RegistrationError(Exception):
    """A registration that cannot be made or changed; `message` is for the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AlreadyRegistered(RegistrationError):
    def __init__(self, registration: Registration) -> None:
        super().__init__(
            "already-registered",
            _(
                "This e-mail address is already registered for this seminar. "
                "We can send the link to your registration again."
            ),
        )
        self.registration = registration


class AttendanceModeProblem(RegistrationError):
    """How the person attends is missing (hybrid seminar) or not a choice (any other)."""

    def __init__(self, message: str) -> None:
        super().__init__("attendance-mode", message)


def new_token() -> str:
    """A URL-safe secret of 192 random bits."""
    return secrets.token_urlsafe(24)


def new_ticket_code() -> str:
    """The ticket's code, in its QR code and printed beside it (codes.TICKET)."""
    return TICKET.new()


def by_manage_token(session: DbSession, token: str) -> Registration | None:
    """The registration behind a management link, or None."""
    return session.scalar(select(Registration).where(Registration.manage_token == token))


def count_status(session: DbSession, seminar_id: int, status: RegistrationStatus) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.seminar_id == seminar_id, Registration.status == status)
        )
        or 0
    )


def seats_taken(session: DbSession, seminar_id: int) -> int:
    return count_status(session, seminar_id, RegistrationStatus.CONFIRMED)


def attending_in(seminar: Seminar, mode: AttendanceMode) -> ColumnElement[bool]:
    """SQL: the seminar's registrations that attend in `mode` (Registration.attendance):
    at a hybrid seminar by their choice, a registration without one at the venue; at any
    other seminar every registration attends the one way its delivery offers."""
    return _attending(seminar.is_hybrid, mode)


def _attending(hybrid: bool, mode: AttendanceMode) -> ColumnElement[bool]:
    if not hybrid:
        return true()
    if mode == AttendanceMode.ONLINE:
        return Registration.attendance_mode == AttendanceMode.ONLINE
    return or_(
        Registration.attendance_mode.is_(None),
        Registration.attendance_mode != AttendanceMode.ONLINE,
    )


def seats_taken_online(session: DbSession, seminar: Seminar) -> int:
    """Confirmed seats taken online at a hybrid seminar (0 for any other)."""
    if not seminar.is_hybrid:
        return 0
    return (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.seminar_id == seminar.id,
                Registration.status == RegistrationStatus.CONFIRMED,
                attending_in(seminar, AttendanceMode.ONLINE),
            )
        )
        or 0
    )


def free_seats(session: DbSession, seminar: Seminar) -> dict[AttendanceMode, int | None]:
    """Seats free per way of attending, counted now (None: no limit); under the lock."""
    return seats_left_by_mode(
        seminar,
        taken=seats_taken(session, seminar.id),
        taken_online=seats_taken_online(session, seminar),
    )


#: The order of the waitlist: a lottery's drawn order first, then by registration (id).
WAITLIST_ORDER = (
    case((Registration.lottery_rank.is_(None), 1), else_=0),
    Registration.lottery_rank,
    Registration.id,
)


def waitlist_positions(session: DbSession, seminar_id: int) -> dict[int, int]:
    """Registration id → place in line, for a whole seminar in one query (and one for its
    delivery). A hybrid seminar has a line per way of attending: a place counts within it."""
    waiting = session.execute(
        select(Registration.id, Registration.attendance_mode)
        .where(
            Registration.seminar_id == seminar_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(*WAITLIST_ORDER)
    )
    hybrid = session.scalar(select(Seminar.delivery).where(Seminar.id == seminar_id)) == (
        Delivery.HYBRID
    )
    places: dict[int, int] = {}
    lines: dict[AttendanceMode | None, int] = {}
    for registration_id, mode in waiting:
        line = (mode or AttendanceMode.VENUE) if hybrid else None
        lines[line] = lines.get(line, 0) + 1
        places[registration_id] = lines[line]
    return places


def _in_line_up_to(registration: Registration):
    """Who stands in the waitlist at or before `registration` (see WAITLIST_ORDER)."""
    rank = registration.lottery_rank
    if rank is None:
        return or_(Registration.lottery_rank.is_not(None), Registration.id <= registration.id)
    return and_(
        Registration.lottery_rank.is_not(None),
        or_(
            Registration.lottery_rank < rank,
            and_(Registration.lottery_rank == rank, Registration.id <= registration.id),
        ),
    )


def waitlist_position(session: DbSession, registration: Registration) -> int | None:
    """1 for the first in line; positions run without gaps as people leave the line."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.seminar_id == registration.seminar_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            _in_line_up_to(registration),
            attending_in(registration.seminar, registration.attendance),
        )
    )


#: Statuses of a registration that holds, waits for, or applies for a seat.
_ACTIVE_STATUSES = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.APPLIED,
)


def any_active(session: DbSession, seminar_id: int) -> bool:
    """Whether anyone holds, waits for or applied for a seat of the seminar."""
    return (
        session.scalar(
            select(Registration.id)
            .where(
                Registration.seminar_id == seminar_id,
                Registration.status.in_(_ACTIVE_STATUSES),
            )
            .limit(1)
        )
        is not None
    )


def find_active(session: DbSession, seminar_id: int, email_key: str) -> Registration | None:
    return session.scalar(
        select(Registration).where(
            Registration.seminar_id == seminar_id,
            Registration.email_key == email_key,
            Registration.status.in_(_ACTIVE_STATUSES),
        )
    )


def calendar_sequence(registration: Registration) -> int:
    """SEQUENCE of the registration's calendar entry: grows with every change of either side."""
    return registration.seminar.calendar_sequence + registration.calendar_sequence


def queue_for(session: DbSession, kind: str, registration: Registration, **payload) -> None:
    session.add(OutboxMessage(**mail_for(kind, registration, **payload)))


def mail_for(kind: str, registration: Registration, **payload) -> dict[str, object]:
    """The outbox row of a mail about a registration, in the person's language."""
    return outbox_values(
        kind,
        registration.email,
        {
            "registration_id": registration.id,
            "sequence": calendar_sequence(registration),
            **payload,
        },
        language=registration.locale,
    )


def ensure_calendar_feed(session: DbSession, email_key: str) -> None:
    """Give the address its private feed once; two registrations at once both succeed."""
    insert_unless_present(session, CalendarFeed, "email_key", **_new_feed(email_key))


def _new_feed(email_key: str) -> dict[str, Any]:
    return {"email_key": email_key, "token": new_token(), "created_at": utcnow()}


def _lock_to_register(
    session: DbSession, seminar_id: int, email_key: str
) -> tuple[Seminar | None, int | None]:
    """The seminar's lock (lifecycle), and with it what needs no lock but belongs to the
    same transaction: the address's calendar feed, which a refusal rolls back with the
    rest (a refused registration keeps no trace of the address), and on PostgreSQL the id
    the registration will have, so that one statement writes it with its mail and audit
    row. On PostgreSQL the three are one statement, one round trip."""
    begin_write(session)
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        ensure_calendar_feed(session, email_key)
        return find_and_lock_seminar(session, seminar_id), None
    row = session.execute(
        _lock_with_feed(dialect), {"seminar_id": seminar_id, **_new_feed(email_key)}
    ).first()
    return (None, None) if row is None else (row[0], row[1])


@cache
def _lock_with_feed(dialect: Dialect) -> Executable:
    """_lock_to_register's statement on PostgreSQL, compiled once: the feed's INSERT …
    ON CONFLICT DO NOTHING in a WITH clause of the seminar's locking SELECT, which also
    takes the registration's id. The INSERT runs whether or not the seminar exists."""
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    columns = CalendarFeed.__table__.c
    feed = (
        postgresql_insert(CalendarFeed)
        .values({name: bindparam(name, type_=columns[name].type) for name in _new_feed("")})
        .on_conflict_do_nothing(index_elements=["email_key"])
        .cte("feed")
    )
    statement = lifecycle.seminar_lock(next_id(Registration)).add_cte(feed)
    return statement.from_statement(compiled_once(dialect, statement)).execution_options(
        populate_existing=True
    )


@dataclass(frozen=True)
class _Tally:
    """What register() decides on, counted in one query under the seminar's lock."""

    confirmed: int
    confirmed_online: int
    waiting: int
    waiting_online: int
    #: This address's active registration of the seminar, if any.
    existing_id: int | None

    def waiting_for(self, seminar: Seminar, mode: AttendanceMode) -> int:
        if not seminar.is_hybrid:
            return self.waiting
        if mode == AttendanceMode.ONLINE:
            return self.waiting_online
        return self.waiting - self.waiting_online


def _tally(session: DbSession, seminar: Seminar, email_key: str) -> _Tally:
    row = session.execute(
        _tally_statement(seminar.is_hybrid), {"seminar_id": seminar.id, "email_key": email_key}
    ).one()
    return _Tally(*row)


@cache
def _tally_statement(hybrid: bool) -> Select:
    """The tally's query, built once (it runs under the lock: no time spent building it)."""
    online = _attending(hybrid, AttendanceMode.ONLINE) if hybrid else false()
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    waiting = Registration.status == RegistrationStatus.WAITLISTED
    return select(
        func.count().filter(confirmed),
        func.count().filter(and_(confirmed, online)),
        func.count().filter(waiting),
        func.count().filter(and_(waiting, online)),
        func.max(
            case(
                (
                    and_(
                        Registration.email_key == bindparam("email_key"),
                        Registration.status.in_(_ACTIVE_STATUSES),
                    ),
                    Registration.id,
                )
            )
        ),
    ).where(Registration.seminar_id == bindparam("seminar_id"))


_REFUSALS = {
    RegistrationState.CANCELLED: lambda: _("This seminar has been cancelled."),
    RegistrationState.NOT_TAKEN: lambda: _("This seminar does not take registrations here."),
    RegistrationState.ENDED: lambda: _("This seminar has already taken place."),
    RegistrationState.NOT_OPEN_YET: lambda: _("Registration for this seminar has not opened yet."),
    RegistrationState.CLOSED: lambda: _("Registration for this seminar has closed."),
}


def new_registration(
    seminar: Seminar,
    details: ParticipantDetails,
    status: RegistrationStatus,
    *,
    now: datetime,
    privacy_notice_version: str,
    source: str,
    attendance_mode: AttendanceMode | None = None,
) -> Registration:
    """The one way a registration row is made (form, API, walk-in): its secrets, its ticket
    and the privacy notice agreed to, from the participant's checked details. How the
    person attends is kept for a hybrid seminar only (the others offer one way)."""
    return Registration(
        seminar=seminar,
        seminar_id=seminar.id,
        status=status,
        attendance_mode=attendance_mode if seminar.is_hybrid else None,
        manage_token=new_token(),
        ticket_code=new_ticket_code(),
        join_token=new_token(),
        email_key=details.email_key,
        privacy_notice_version=privacy_notice_version,
        privacy_agreed_at=now,
        confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
        source=source,
        **details.as_dict(),
    )


def register(
    session: DbSession,
    seminar_id: int,
    details: ParticipantDetails,
    *,
    now: datetime,
    privacy_notice_version: str,
    source: str = "web",
    attendance_mode: AttendanceMode | None = None,
) -> Registration:
    """Confirm a seat if one is free and nobody waits for it; otherwise join the waitlist.

    At a hybrid seminar the person says how they attend (`attendance_mode`), and seats and
    the waitlist are those of that way: the venue's (`capacity`) or online's
    (`online_capacity`, None for no limit). Any other seminar takes no `attendance_mode`.

    A lottery seminar takes an application instead (status applied: no seat, no place
    in line, whatever the capacity) until its deadline; lottery.draw decides later.
    The seminar's lock is held from the first read to the commit, so the work inside it
    is kept to a few statements: one tally, then the inserts.
    """
    email_key = details.email_key
    seminar, reserved_id = _lock_to_register(session, seminar_id, email_key)
    seminar = _open_for_registration(seminar)
    tally = _tally(session, seminar, email_key)
    _refuse_if_not_taking(seminar, tally, now)
    if tally.existing_id is not None:
        raise AlreadyRegistered(session.get_one(Registration, tally.existing_id))
    mode = _chosen_mode(seminar, attendance_mode)
    [(status, position)] = _places(seminar, tally, mode, 1)
    registration = new_registration(
        seminar,
        details,
        status,
        now=now,
        privacy_notice_version=privacy_notice_version,
        source=source,
        attendance_mode=mode,
    )
    if reserved_id is not None:
        registration.id = reserved_id
    _insert(session, seminar, registration, position, source)
    return registration


def _open_for_registration(seminar: Seminar | None) -> Seminar:
    if seminar is None or not seminar.is_public:
        raise RegistrationError("not-found", _("This seminar is not open for registration."))
    return seminar


def _refuse_if_not_taking(seminar: Seminar, tally: _Tally, now: datetime) -> None:
    state = registration_state(
        seminar, now, taken=tally.confirmed, taken_online=tally.confirmed_online
    )
    if state in _REFUSALS:
        raise RegistrationError(state.value, _REFUSALS[state]())


#: The mail each status of a new registration is told by.
_NEW_MAILS = {
    RegistrationStatus.CONFIRMED: "registration.confirmed",
    RegistrationStatus.WAITLISTED: "registration.waitlisted",
    RegistrationStatus.APPLIED: "registration.applied",
}


def _places(
    seminar: Seminar, tally: _Tally, mode: AttendanceMode, count: int
) -> list[tuple[RegistrationStatus, int | None]]:
    """(status, place in the waitlist) of `count` new people in the order they come: a seat
    while one is free and nobody waits for it, then the waitlist in that order; a lottery
    seminar's are applications (no seat, no place)."""
    if seminar.admission == Admission.LOTTERY:
        return [(RegistrationStatus.APPLIED, None)] * count
    left = seats_left_by_mode(seminar, taken=tally.confirmed, taken_online=tally.confirmed_online)[
        mode
    ]
    waiting = tally.waiting_for(seminar, mode)
    places: list[tuple[RegistrationStatus, int | None]] = []
    for _person in range(count):
        if (left is None or left > 0) and waiting == 0:
            places.append((RegistrationStatus.CONFIRMED, None))
            left = None if left is None else left - 1
        else:
            waiting += 1
            places.append((RegistrationStatus.WAITLISTED, waiting))
    return places


def _insert(
    session: DbSession,
    seminar: Seminar,
    registration: Registration,
    position: int | None,
    source: str,
) -> None:
    """The registration, its mail and its audit row: one statement where the database can,
    so that the lock is let go one round trip after the tally."""
    registration.position_when_registered = position
    audited = {
        "seminar_id": seminar.id,
        "status": registration.status,
        "source": source,
        **({"attendance_mode": registration.attendance_mode} if seminar.is_hybrid else {}),
    }
    insert_new(
        session,
        registration,
        lambda: [
            NewRow(OutboxMessage, mail_for(_NEW_MAILS[registration.status], registration)),
            NewRow(
                AuditEvent,
                event_values(
                    "registration.created",
                    "registration",
                    registration.id,
                    actor_label=PARTICIPANT if source != "desk" else None,
                    details=audited,
                ),
            ),
        ],
    )


class GroupRefused(FieldProblems):
    """A group registration the rules refuse, field by field: `email` and the other fields
    of the contact by their names, a member's as `members-<n>-<field>` (n from 0, in the
    order given); nothing was written."""


def group_size_problem(seminar: Seminar, people: int) -> str | None:
    """Why a group of `people` (the contact included) cannot register together, or None."""
    if people <= seminar.max_group_size:
        return None
    if seminar.max_group_size == 1:
        return _("This seminar takes registrations one person at a time.")
    return _("A group can be at most %(n)d people, yourself included.", n=seminar.max_group_size)


def _duplicates_in_group(people: list[ParticipantDetails]) -> dict[str, str]:
    seen: dict[str, int] = {}
    problems: dict[str, str] = {}
    for n, person in enumerate(people):
        if person.email_key in seen:
            problems[_field(n, "email")] = _(
                "This address is already in the group: each person needs their own."
            )
        seen.setdefault(person.email_key, n)
    return problems


def _field(n: int, name: str) -> str:
    """The name of a field of the n-th person of a group (0: the contact)."""
    return name if n == 0 else f"members-{n - 1}-{name}"


def register_group(
    session: DbSession,
    seminar_id: int,
    contact: ParticipantDetails,
    members: list[ParticipantDetails],
    *,
    now: datetime,
    privacy_notice_version: str,
    source: str = "web",
    attendance_mode: AttendanceMode | None = None,
) -> list[Registration]:
    """Register a contact and their colleagues together (団体申込), as register() registers
    one person, in one transaction under the seminar's lock: the group takes the free seats
    in the order the people are given (the contact first) and the rest join the waitlist in
    that order; each gets their own registration, ticket, links and mail. Every
    registration names the contact's (group_id). GroupRefused names each person's field at
    fault: an address twice in the group, or already registered for the seminar; a group
    larger than the seminar takes. Nothing is written then."""
    people = [contact, *members]
    problems = _duplicates_in_group(people)
    if problems:
        raise GroupRefused(problems)
    begin_write(session)
    for person in members:  # the contact's feed comes with the lock
        ensure_calendar_feed(session, person.email_key)
    seminar, reserved_id = _lock_to_register(session, seminar_id, contact.email_key)
    seminar = _open_for_registration(seminar)
    size = group_size_problem(seminar, len(people))
    if size:
        raise GroupRefused({"members": size})
    tally = _tally(session, seminar, contact.email_key)
    _refuse_if_not_taking(seminar, tally, now)
    taken = _already_registered(session, seminar.id, [person.email_key for person in people])
    problems = {
        _field(n, "email"): _("This address is already registered for this seminar.")
        for n, person in enumerate(people)
        if person.email_key in taken
    }
    if problems:
        raise GroupRefused(problems)
    mode = _chosen_mode(seminar, attendance_mode)
    made: list[Registration] = []
    for n, (person, (status, position)) in enumerate(
        zip(people, _places(seminar, tally, mode, len(people)), strict=True)
    ):
        registration = new_registration(
            seminar,
            person,
            status,
            now=now,
            privacy_notice_version=privacy_notice_version,
            source=source,
            attendance_mode=mode,
        )
        if n == 0 and reserved_id is not None:
            registration.id = registration.group_id = reserved_id
        elif n > 0:
            registration.group_id = made[0].id
        _insert(session, seminar, registration, position, source)
        if n == 0 and registration.group_id is None:
            registration.group_id = registration.id  # its id came from the insert (SQLite)
        made.append(registration)
    record(
        session,
        "registration.group_created",
        "registration",
        made[0].id,
        actor_label=PARTICIPANT if source != "desk" else None,
        details={"seminar_id": seminar.id, "registrations": [r.id for r in made]},
    )
    return made


def _already_registered(session: DbSession, seminar_id: int, email_keys: list[str]) -> set[str]:
    """Which of these addresses hold an active registration of the seminar."""
    return set(
        session.scalars(
            select(Registration.email_key).where(
                Registration.seminar_id == seminar_id,
                Registration.email_key.in_(email_keys),
                Registration.status.in_(_ACTIVE_STATUSES),
            )
        )
    )


def group_problems(seminar: Seminar, people: list[ParticipantDetails]) -> dict[str, str]:
    """What register_group would refuse of these people (the contact first) before it
    looks at the database: a group larger than the seminar takes (`members`), an address
    twice in the group (beside the second). For a form to say so before the person
    confirms; register_group decides again."""
    size = group_size_problem(seminar, len(people))
    if size:
        return {"members": size}
    return _duplicates_in_group(people)


@dataclass(frozen=True)
class PlacesPreview:
    """What a group would get if it registered now, counted without the lock: the answer
    may change before the person confirms (register_group decides)."""

    #: Seats free now for the way the group attends (None: no limit).
    free: int | None
    #: (status, place in the waitlist) of each person, in the order given (see _places).
    places: list[tuple[RegistrationStatus, int | None]]


def preview_places(
    session: DbSession,
    seminar: Seminar,
    people: int,
    attendance_mode: AttendanceMode | None = None,
) -> PlacesPreview:
    """The seats and waitlist places `people` new people would get now, by the rule
    register_group applies under the lock (_places), for the confirmation page."""
    tally = _tally(session, seminar, "")
    mode = _chosen_mode(seminar, attendance_mode)
    free = seats_left_by_mode(
        seminar, taken=tally.confirmed, taken_online=tally.confirmed_online
    ).get(mode)
    return PlacesPreview(free=free, places=_places(seminar, tally, mode, people))


def leads_group(registration: Registration) -> bool:
    """Whether the registration's link manages a group: its contact's, or that of a person
    registered alone (who may add colleagues and so become a contact)."""
    return registration.group_id in (None, registration.id)


def group_of(session: DbSession, registration: Registration) -> list[Registration]:
    """The people of the group whose link this is, the contact first, then in the order
    they were registered; a member's link and a person alone: that registration only."""
    if registration.group_id != registration.id:
        return [registration]
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.group_id == registration.id)
            .order_by(case((Registration.id == registration.id, 0), else_=1), Registration.id)
        )
    )


def group_member(session: DbSession, contact: Registration, member_id: int) -> Registration | None:
    """The registration `member_id` if the link of `contact` manages it (see group_of)."""
    if not leads_group(contact):
        return None
    member = session.get(Registration, member_id)
    if member is None or contact.id not in (member.id, member.group_id):
        return None
    return member


def _active_in_group(session: DbSession, contact: Registration) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                or_(Registration.group_id == contact.id, Registration.id == contact.id),
                Registration.status.in_(_ACTIVE_STATUSES),
            )
        )
        or 0
    )


def _place_for_colleague(
    session: DbSession, seminar: Seminar, contact: Registration, tally: _Tally, now: datetime
) -> tuple[RegistrationStatus, int | None]:
    """The rule of adding a colleague to a group: the seminar takes registrations, the
    group is below its size, and a seat is free with nobody waiting for it (an
    application at a lottery seminar); the colleague's status and place, else a refusal."""
    if not (contact.is_active or contact.group_id == contact.id):
        raise RegistrationError(
            "cancelled", _("This registration is cancelled: it can no longer add colleagues.")
        )
    _refuse_if_not_taking(seminar, tally, now)
    size = group_size_problem(seminar, _active_in_group(session, contact) + 1)
    if size:
        raise GroupRefused({"members": size})
    [(status, position)] = _places(seminar, tally, contact.attendance, 1)
    if status == RegistrationStatus.WAITLISTED:
        raise RegistrationError(
            "full", _("No seat is free now: a colleague can be added while seats are free.")
        )
    return status, position


def why_not_add_to_group(session: DbSession, contact: Registration, now: datetime) -> str | None:
    """Why the contact's link cannot add a colleague now, or None: add_to_group's rule,
    counted without the lock (a page's preview; add_to_group decides)."""
    if not leads_group(contact):
        return _("Only the person who registered the group can add colleagues.")
    try:
        _place_for_colleague(
            session, contact.seminar, contact, _tally(session, contact.seminar, ""), now
        )
    except GroupRefused as exc:
        return exc.problems["members"]
    except RegistrationError as exc:
        return exc.message
    return None


def add_to_group(
    session: DbSession,
    contact_id: int,
    details: ParticipantDetails,
    *,
    now: datetime,
    privacy_notice_version: str,
    source: str = "web",
) -> Registration:
    """The contact of a group adds a colleague while a seat is free (a person registered
    alone may, and so becomes the contact of a group), under the seminar's lock as
    register_group: the colleague attends the way the contact does and gets their own
    registration, ticket, links and mail, naming the contact's registration (group_id).
    Refused, writing nothing: an address already registered for the seminar (GroupRefused,
    `email`), a group at the seminar's size (GroupRefused, `members`), no seat free or
    someone waiting for one, a seminar not taking registrations, a member's or a cancelled
    person's link (RegistrationError)."""
    contact = session.get(Registration, contact_id)
    if contact is None or not leads_group(contact):
        raise RegistrationError(
            "not-a-contact", _("Only the person who registered the group can add colleagues.")
        )
    seminar, reserved_id = _lock_to_register(session, contact.seminar_id, details.email_key)
    seminar = _open_for_registration(seminar)
    session.refresh(contact)
    tally = _tally(session, seminar, details.email_key)
    status, position = _place_for_colleague(session, seminar, contact, tally, now)
    if tally.existing_id is not None:
        raise GroupRefused({"email": _("This address is already registered for this seminar.")})
    registration = new_registration(
        seminar,
        details,
        status,
        now=now,
        privacy_notice_version=privacy_notice_version,
        source=source,
        attendance_mode=contact.attendance_mode,
    )
    if reserved_id is not None:
        registration.id = reserved_id
    contact.group_id = registration.group_id = contact.id
    _insert(session, seminar, registration, position, source)
    record(
        session,
        "registration.group_member_added",
        "registration",
        contact.id,
        actor_label=PARTICIPANT,
        details={"seminar_id": seminar.id, "registration_id": registration.id},
    )
    return registration


def cancel_group_member(
    session: DbSession, contact: Registration, member_id: int, now: datetime
) -> Registration:
    """The contact cancels a registration of their group (cancel, by the participant's
    side: a freed seat goes to the waitlist); RegistrationError if the link does not
    manage it."""
    if group_member(session, contact, member_id) is None:
        raise RegistrationError("not-found", _("No such registration."))
    contact_id = contact.id
    cancelled = cancel(session, member_id, now, by_participant=True)
    record(
        session,
        "registration.cancelled_by_group_contact",
        "registration",
        member_id,
        actor_label=PARTICIPANT,
        details={"seminar_id": cancelled.seminar_id, "contact_id": contact_id},
    )
    return cancelled


def _chosen_mode(seminar: Seminar, chosen: AttendanceMode | str | None) -> AttendanceMode:
    """How the person attends: a hybrid seminar needs their choice, another takes none."""
    if not seminar.is_hybrid:
        if chosen is not None:
            raise AttendanceModeProblem(
                _(
                    "Only a hybrid seminar asks how you will attend; this one is %(delivery)s.",
                    delivery=seminar.delivery.label,
                )
            )
        return attendance_of(seminar.delivery, None)
    try:
        return AttendanceMode(chosen) if chosen else _missing_mode()
    except ValueError:
        return _missing_mode()


def _missing_mode() -> AttendanceMode:
    raise AttendanceModeProblem(_("Choose how you will attend: at the venue or online."))


def promotion_cutoff(seminar: Seminar) -> datetime:
    return seminar.starts_at - timedelta(hours=seminar.waitlist_cutoff_hours)


def _promote(session: DbSession, registration: Registration, now: datetime, how: str) -> None:
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.calendar_sequence += 1
    session.flush()
    queue_for(session, "registration.promoted", registration)
    record(
        session,
        "registration.promoted",
        "registration",
        registration.id,
        details={"seminar_id": registration.seminar_id, "how": how},
    )


def promote_waitlisted(session: DbSession, seminar: Seminar, now: datetime) -> list[Registration]:
    """Fill free seats from the head of the waitlist, until the organizer's cut-off.

    At a hybrid seminar each way of attending fills from its own line, in order."""
    if seminar.status != SeminarStatus.PUBLISHED or now >= promotion_cutoff(seminar):
        return []
    promoted: list[Registration] = []
    for mode, free in free_seats(session, seminar).items():
        if free is not None and free <= 0:
            continue
        promoted += session.scalars(
            select(Registration)
            .where(
                Registration.seminar_id == seminar.id,
                Registration.status == RegistrationStatus.WAITLISTED,
                attending_in(seminar, mode),
            )
            .order_by(*WAITLIST_ORDER)
            .limit(free)
        )
    for registration in promoted:
        _promote(session, registration, now, "automatic")
    return promoted


def promote_by_hand(session: DbSession, registration_id: int, now: datetime) -> Registration:
    """An organizer confirms a waitlisted person (after the cut-off, for example)."""
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise RegistrationError("not-found", _("No such registration."))
    seminar = lock_seminar(session, registration.seminar_id)
    session.refresh(registration)
    if registration.status != RegistrationStatus.WAITLISTED:
        raise RegistrationError("not-waitlisted", _("Only a waitlisted person can be promoted."))
    free = free_seats(session, seminar)[registration.attendance]
    if free is not None and free <= 0:
        if seminar.is_hybrid and registration.attendance == AttendanceMode.ONLINE:
            message = _("No seat is free online. Raise the online capacity first.")
        elif seminar.is_hybrid:
            message = _("No seat is free at the venue. Raise the capacity first.")
        else:
            message = _("No seat is free. Raise the capacity first.")
        raise RegistrationError("full", message)
    _promote(session, registration, now, "by-hand")
    return registration


def cancel(
    session: DbSession, registration_id: int, now: datetime, *, by_participant: bool
) -> Registration:
    """Cancel a registration; a freed seat goes to the first in the waitlist."""
    registration = session.get(Registration, registration_id)
    if registration is None:
        raise RegistrationError("not-found", _("No such registration."))
    seminar = lock_seminar(session, registration.seminar_id)
    session.refresh(registration)
    if not registration.is_active:
        raise RegistrationError("already-cancelled", _("This registration is already cancelled."))
    if by_participant and seminar.starts_at <= now:
        raise RegistrationError(
            "started", _("The seminar has started; it can no longer be cancelled here.")
        )
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.calendar_sequence += 1
    session.flush()
    queue_for(session, "registration.cancelled", registration, had_seat=was_confirmed)
    record(
        session,
        "registration.cancelled",
        "registration",
        registration.id,
        actor_label=PARTICIPANT if by_participant else None,
        details={
            "seminar_id": seminar.id,
            "had_seat": was_confirmed,
            "by": "participant" if by_participant else "organizer",
        },
    )
    if was_confirmed:
        promote_waitlisted(session, seminar, now)
    return registration


def update_details(
    session: DbSession, registration: Registration, details: ParticipantDetails
) -> list[str]:
    """A participant corrects their details; the address stays (it identifies them)."""
    changed = []
    for name, value in details.as_dict().items():
        if name == "email":
            continue
        if getattr(registration, name) != value:
            setattr(registration, name, value)
            changed.append(name)
    if changed:
        record(
            session,
            "registration.updated",
            "registration",
            registration.id,
            actor_label=PARTICIPANT,
            details={"fields": changed},
        )
    return changed


def send_link_again(session: DbSession, registration: Registration) -> None:
    queue_for(session, "registration.link", registration)
    record(
        session,
        "registration.link_resent",
        "registration",
        registration.id,
        actor_label=PARTICIPANT,
    )


#: Seminar fields whose change must reach the registrants' calendars.
CALENDAR_FIELDS = ("starts_at", "ends_at", "venue", "delivery", "meeting_url")


def _active_registrations(
    session: DbSession, seminar_id: int, statuses=(RegistrationStatus.CONFIRMED,)
) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.seminar_id == seminar_id, Registration.status.in_(statuses))
            .order_by(Registration.id)
        )
    )


def announce_change(session: DbSession, seminar: Seminar, changed: list[str]) -> int:
    """After a change of time or place: a calendar update with a higher SEQUENCE to each seat."""
    if not set(changed) & set(CALENDAR_FIELDS):
        return 0
    seminar.calendar_sequence += 1
    registrations = _active_registrations(session, seminar.id)
    for registration in registrations:
        queue_for(session, "seminar.changed", registration)
    return len(registrations)


def announce_cancellation(session: DbSession, seminar: Seminar) -> int:
    """The seminar is cancelled: METHOD:CANCEL to every seat, a notice to the waitlist
    and to the lottery's applicants."""
    seminar.calendar_sequence += 1
    registrations = _active_registrations(session, seminar.id, _ACTIVE_STATUSES)
    for registration in registrations:
        queue_for(
            session,
            "seminar.cancelled",
            registration,
            had_seat=registration.status == RegistrationStatus.CONFIRMED,
        )
    return len(registrations)


def message_registrants(
    session: DbSession, seminar: Seminar, status: RegistrationStatus, subject: str, body: str
) -> int:
    """An organizer's message (a new venue, a broken link) to the seats or the waitlist."""
    registrations = _active_registrations(session, seminar.id, (status,))
    for registration in registrations:
        queue_for(session, "seminar.message", registration, subject=subject, note=body)
    record(
        session,
        "seminar.message_sent",
        "seminar",
        seminar.id,
        details={"to": status.value, "count": len(registrations), "subject": subject},
    )
    return len(registrations)


def queue_reminders(session: DbSession, now: datetime, days_before: int) -> int:
    """Queue one reminder per confirmed seat of seminars starting within `days_before` days.

    Each registration is claimed with a conditional UPDATE, so two runs at once (cron
    overlapping itself) never queue the same reminder twice.
    """
    horizon = now + timedelta(days=days_before)
    candidates = (
        session.execute(
            select(Registration.id)
            .join(Seminar, Seminar.id == Registration.seminar_id)
            .where(
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.reminder_queued_at.is_(None),
                Seminar.status == SeminarStatus.PUBLISHED,
                Seminar.starts_at > now,
                Seminar.starts_at <= horizon,
            )
        )
        .scalars()
        .all()
    )
    session.commit()
    queued = 0
    for registration_id in candidates:
        begin_write(session)
        claimed = rows_changed(
            session,
            update(Registration)
            .where(
                Registration.id == registration_id,
                Registration.reminder_queued_at.is_(None),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .values(reminder_queued_at=now),
        )
        if claimed == 1:
            registration = session.get_one(Registration, registration_id)
            queue_for(session, "registration.reminder", registration)
            queued += 1
        session.commit()
    return queued


# A seminar's lifecycle (catalogue.lifecycle) sits below registration: it is handed what
# follows its changes for the people registered, here, rather than importing this module.
lifecycle.follow_registrations(
    lifecycle.Registrations(
        any_active=any_active,
        announce_change=announce_change,
        promote_waitlisted=promote_waitlisted,
        announce_cancellation=announce_cancellation,
    )
)
