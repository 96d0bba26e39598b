"""The lottery (抽選) of a small workshop: applications until a deadline, then one fair draw.

A lottery seminar takes applications (status applied) until `registration_closes_at`.
After that deadline an organizer draws once: the applications, in the order of their
ids, are shuffled by `random.Random(seed)`; with SME priority the small and medium-sized
companies are moved to the front, keeping the drawn order among themselves and among the
rest. The first ones up to the free seats are confirmed, the others waitlisted in the drawn
order (their `lottery_rank`), and everyone is told by mail. At a hybrid seminar the one
drawn order gives the seats of each way of attending: each person in turn gets a seat of
the way they chose while that way has one, and waits in its own line otherwise. The seed
is kept on the seminar and shown on its page, so that the same applications and the same
seed give the same result again, for anyone who wants to check.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.models import AuditEvent
from ..audit.services import record
from ..catalogue.lifecycle import find_and_lock_seminar
from ..database import DbSession
from ..domain import Admission, AttendanceMode, Attribute, RegistrationStatus, SeminarStatus
from ..i18n import format_moment
from .models import Registration
from .services import free_seats, queue_for

#: Seeds are whole numbers from 0 below this bound (63 bits: an SQL BIGINT, exact in JSON
#: for any reader that keeps integers).
SEED_LIMIT = 2**63

#: The audit action that records a draw (with its seed).
DRAW_ACTION = "lottery.drawn"


class LotteryError(ValueError):
    """A draw that cannot be made; `message` is for the organizer, `code` for programs."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DrawResult:
    seminar_id: int
    seed: int
    sme_priority: bool
    drawn_at: datetime
    #: Registration ids in drawn order: those given a seat, then those waitlisted.
    confirmed: list[int] = field(default_factory=list)
    waitlisted: list[int] = field(default_factory=list)

    @property
    def applications(self) -> int:
        return len(self.confirmed) + len(self.waitlisted)

    @property
    def order(self) -> list[int]:
        return [*self.confirmed, *self.waitlisted]


def new_seed() -> int:
    return secrets.randbits(63)


def drawn_order(
    applications: Sequence[tuple[int, bool]], seed: int, sme_priority: bool
) -> list[int]:
    """The drawn order of (id, is_sme) pairs: a seeded shuffle of the id order.

    Pure, so the result depends on nothing but the applications and the seed.
    """
    order = sorted(applications)
    # Reproducible by design: the seed itself is secret-random unless the organizer gives one.
    random.Random(seed).shuffle(order)
    if sme_priority:
        order = [item for item in order if item[1]] + [item for item in order if not item[1]]
    return [registration_id for registration_id, _is_sme in order]


def draw_state(seminar, now: datetime) -> str | None:
    """Why the seminar cannot be drawn now (a LotteryError code), or None when it can."""
    if seminar.admission != Admission.LOTTERY:
        return "not-lottery"
    if seminar.lottery_drawn_at is not None:
        return "already-drawn"
    if seminar.status != SeminarStatus.PUBLISHED:
        return "not-published"
    if seminar.registration_closes_at is None:
        return "no-deadline"
    if now < seminar.registration_closes_at:
        return "too-early"
    if seminar.ends_at <= now:
        return "ended"
    return None


def refusal(code: str, seminar) -> LotteryError:
    """The error, with its message for the organizer, of a draw_state() code."""
    messages = {
        "not-lottery": lambda: _("This seminar gives its seats first come, first served."),
        "already-drawn": lambda: _(
            "The lottery of this seminar was already drawn (%(when)s); it is drawn only once.",
            when=format_moment(seminar.lottery_drawn_at),
        ),
        "not-published": lambda: _("Only a published seminar can be drawn."),
        "no-deadline": lambda: _(
            "Set the application deadline (registration closes) before drawing."
        ),
        "too-early": lambda: _(
            "Applications are taken until %(deadline)s; draw after the deadline.",
            deadline=format_moment(seminar.registration_closes_at),
        ),
        "ended": lambda: _("This seminar has already taken place."),
    }
    return LotteryError(code, messages[code]())


def draw(
    session: DbSession,
    seminar_id: int,
    *,
    seed: int | None = None,
    now: datetime,
    by=None,
) -> DrawResult:
    """Draw the lottery of a seminar once, under the seminar's lock; the caller commits."""
    if seed is not None and (isinstance(seed, bool) or not 0 <= seed < SEED_LIMIT):
        raise LotteryError(
            "seed", _("The seed must be a whole number from 0 to %(max)d.", max=SEED_LIMIT - 1)
        )
    seminar = find_and_lock_seminar(session, seminar_id)
    if seminar is None:
        raise LotteryError("not-found", _("No seminar has this id."))
    refused = draw_state(seminar, now)
    if refused is not None:
        raise refusal(refused, seminar)
    seed = new_seed() if seed is None else seed
    applications = {
        registration.id: registration
        for registration in session.scalars(
            select(Registration)
            .where(
                Registration.seminar_id == seminar.id,
                Registration.status == RegistrationStatus.APPLIED,
            )
            .order_by(Registration.id)
        )
    }
    order = drawn_order(
        [(rid, reg.attribute == Attribute.SME) for rid, reg in applications.items()],
        seed,
        seminar.lottery_sme_priority,
    )
    # Seats already held (a walk-in, say) count: no capacity is ever exceeded.
    left = free_seats(session, seminar)
    seats_free = sum(free for free in left.values() if free is not None)
    confirmed: list[int] = []
    waitlisted: list[int] = []
    #: Registration id → place in the line of its way of attending.
    places: dict[int, int] = {}
    line_lengths: dict[AttendanceMode, int] = {}
    for rank, registration_id in enumerate(order, start=1):
        registration = applications[registration_id]
        registration.lottery_rank = rank
        registration.calendar_sequence += 1
        mode = registration.attendance
        free = left[mode]
        if free is None or free > 0:
            left[mode] = None if free is None else free - 1
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
            confirmed.append(registration_id)
        else:
            registration.status = RegistrationStatus.WAITLISTED
            waitlisted.append(registration_id)
            line_lengths[mode] = line_lengths.get(mode, 0) + 1
            places[registration_id] = line_lengths[mode]
    seminar.lottery_drawn_at, seminar.lottery_seed = now, seed
    session.flush()
    for rank, registration_id in enumerate(order, start=1):
        registration = applications[registration_id]
        if registration_id not in places:
            queue_for(session, "registration.confirmed", registration, lottery=True)
        else:
            queue_for(session, "lottery.waitlisted", registration, position=places[registration_id])
        record(
            session,
            "registration.drawn",
            "registration",
            registration.id,
            actor=by,
            details={"seminar_id": seminar.id, "rank": rank, "status": registration.status},
        )
    record(
        session,
        DRAW_ACTION,
        "seminar",
        seminar.id,
        actor=by,
        details={
            "seed": seed,
            "sme_priority": bool(seminar.lottery_sme_priority),
            "capacity": seminar.capacity,
            "seats_free": seats_free,
            "applications": len(order),
            "confirmed": len(confirmed),
            "waitlisted": len(waitlisted),
        },
    )
    return DrawResult(
        seminar_id=seminar.id,
        seed=seed,
        sme_priority=bool(seminar.lottery_sme_priority),
        drawn_at=now,
        confirmed=confirmed,
        waitlisted=waitlisted,
    )


def last_draw(session: DbSession, seminar_id: int) -> AuditEvent | None:
    """The audit record of the seminar's draw (seed, counts), if it was drawn."""
    return session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == DRAW_ACTION,
            AuditEvent.subject_type == "seminar",
            AuditEvent.subject_id == str(seminar_id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
