"""Rules of the public catalogue: what is public, filters, seats and registration state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, select
from sqlalchemy.orm import selectinload, undefer

from ..database import DbSession
from ..domain import Admission, AttendanceMode, Delivery, HostType, Level, SeminarStatus, Series
from ..timeutil import fiscal_year_bounds, fiscal_year_of, parse_fiscal_year
from .models import Seminar

#: Values accepted for the upcoming/past switch, as the API and the pages take them.
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class FilterError(ValueError):
    """A filter value the catalogue does not know; carries the field for the message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CatalogueFilter:
    level: Level | None = None
    series: Series | None = None
    delivery: Delivery | None = None
    host_type: HostType | None = None
    fiscal_year: int | None = None
    #: True: not yet ended; False: ended; None: both.
    upcoming: bool | None = None

    def as_args(self) -> dict[str, str]:
        """The query string that reproduces this filter (for pagination links)."""
        args = {
            key: str(getattr(self, key))
            for key in ("level", "series", "delivery", "host_type", "fiscal_year")
            if getattr(self, key) is not None
        }
        if self.upcoming is not None:
            args["upcoming"] = "true" if self.upcoming else "false"
        return args


def _enum_arg(args: Mapping[str, str], name: str, enum: type[StrEnum]):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise FilterError(
            name,
            _(
                "Unknown %(field)s “%(value)s”. Use one of: %(allowed)s.",
                field=name,
                value=raw,
                allowed=allowed,
            ),
        ) from None


def parse_filters(args: Mapping[str, str]) -> CatalogueFilter:
    """Read catalogue filters from query parameters; FilterError names the bad one."""
    fiscal_year = None
    raw_year = (args.get("fiscal_year") or "").strip()
    if raw_year:
        fiscal_year = parse_fiscal_year(raw_year)
        if fiscal_year is None:
            raise FilterError(
                "fiscal_year",
                _("The fiscal year must be a year such as 2026, got “%(value)s”.", value=raw_year),
            )
    upcoming = None
    raw_upcoming = (args.get("upcoming") or "").strip().lower()
    if raw_upcoming:
        if raw_upcoming in _TRUE:
            upcoming = True
        elif raw_upcoming in _FALSE:
            upcoming = False
        else:
            raise FilterError(
                "upcoming",
                _("“upcoming” must be true or false, got “%(value)s”.", value=raw_upcoming),
            )
    return CatalogueFilter(
        level=_enum_arg(args, "level", Level),
        series=_enum_arg(args, "series", Series),
        delivery=_enum_arg(args, "delivery", Delivery),
        host_type=_enum_arg(args, "host_type", HostType),
        fiscal_year=fiscal_year,
        upcoming=upcoming,
    )


def parse_page(
    args: Mapping[str, str], name: str = "page", *, default: int = 1, maximum: int = 10_000
) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise FilterError(name, _("“%(field)s” must be a whole number from 1.", field=name))
    value = int(raw)
    if value > maximum:
        raise FilterError(
            name, _("“%(field)s” can be at most %(maximum)d.", field=name, maximum=maximum)
        )
    return value


def public_condition() -> ColumnElement[bool]:
    """Seminar.is_public in SQL: published or cancelled, never in-company."""
    return and_(
        Seminar.status.in_([SeminarStatus.PUBLISHED, SeminarStatus.CANCELLED]),
        Seminar.host_type != HostType.IN_COMPANY,
    )


def public_seminars_query(filters: CatalogueFilter, now: datetime) -> Select[tuple[Seminar]]:
    """Published or cancelled seminars that are not in-company, upcoming first."""
    query = select(Seminar).where(public_condition())
    for field in ("level", "series", "delivery", "host_type"):
        value = getattr(filters, field)
        if value is not None:
            query = query.where(getattr(Seminar, field) == value.value)
    if filters.fiscal_year is not None:
        start, end = fiscal_year_bounds(filters.fiscal_year)
        query = query.where(Seminar.starts_at >= start, Seminar.starts_at < end)
    if filters.upcoming is True:
        query = query.where(Seminar.ends_at > now)
    elif filters.upcoming is False:
        query = query.where(Seminar.ends_at <= now)
    ended = Seminar.ends_at <= now
    # Upcoming soonest first, then past most recent first.
    return query.order_by(
        case((ended, 1), else_=0),
        case((~ended, Seminar.starts_at)).asc(),
        case((ended, Seminar.starts_at)).desc(),
        Seminar.id,
    ).options(
        selectinload(Seminar.lecturers),
        undefer(Seminar.seats_taken),
        undefer(Seminar.seats_taken_online),
    )


Row = TypeVar("Row")


def paginate(
    session: DbSession, query: Select[tuple[Row]], page: int, per_page: int
) -> tuple[list[Row], int]:
    """One page of `query`'s rows (from 1), and how many rows there are in all."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return list(items), int(total or 0)


def public_seminar_by_slug(session: DbSession, slug: str) -> Seminar | None:
    seminar = session.scalar(
        select(Seminar).where(Seminar.slug == slug).options(selectinload(Seminar.lecturers))
    )
    return seminar if seminar is not None and seminar.is_public else None


def public_fiscal_years(session: DbSession) -> list[int]:
    """Fiscal years that have public seminars, newest first (for the filter)."""
    starts = session.scalars(select(distinct(Seminar.starts_at)).where(public_condition())).all()
    return sorted({fiscal_year_of(start) for start in starts}, reverse=True)


def modes_of(seminar: Seminar) -> tuple[AttendanceMode, ...]:
    """The ways of attending a seminar offers: both for a hybrid one, else the one."""
    if seminar.delivery == Delivery.HYBRID:
        return (AttendanceMode.VENUE, AttendanceMode.ONLINE)
    return (AttendanceMode.ONLINE if seminar.delivery == Delivery.ONLINE else AttendanceMode.VENUE,)


def capacity_of(seminar: Seminar, mode: AttendanceMode) -> int | None:
    """Seats for one way of attending; None means no limit (online at a hybrid seminar
    without an online capacity). A hybrid seminar's `capacity` is its venue's."""
    if seminar.delivery == Delivery.HYBRID and mode == AttendanceMode.ONLINE:
        return seminar.online_capacity
    return seminar.capacity or 0


def seats_left_by_mode(
    seminar: Seminar, *, taken: int | None = None, taken_online: int | None = None
) -> dict[AttendanceMode, int | None]:
    """Free seats per way of attending (never below zero; None: no limit), or {} where the
    agency takes no registrations. `taken` and `taken_online` are confirmed seats the
    caller has just counted under the seminar's lock; else the seminar's loaded counts."""
    if not seminar.takes_registrations:
        return {}
    taken = seminar.seats_taken if taken is None else taken
    online = 0
    if seminar.delivery == Delivery.HYBRID:
        online = seminar.seats_taken_online if taken_online is None else taken_online
    left: dict[AttendanceMode, int | None] = {}
    for mode in modes_of(seminar):
        capacity = capacity_of(seminar, mode)
        if capacity is None:
            left[mode] = None
            continue
        hybrid_online = seminar.delivery == Delivery.HYBRID and mode == AttendanceMode.ONLINE
        used = online if hybrid_online else taken - online
        left[mode] = max(capacity - used, 0)
    return left


def seats_left(seminar: Seminar) -> int | None:
    """Seats still free (never below zero), or None where the agency takes no registrations.

    For a hybrid seminar: the seats left at the venue and, where online has a limit, online."""
    left = seats_left_by_mode(seminar)
    if not left:
        return None
    return sum(free for free in left.values() if free is not None)


class RegistrationState(StrEnum):
    NOT_TAKEN = "not-taken"
    CANCELLED = "cancelled"
    ENDED = "ended"
    NOT_OPEN_YET = "not-open-yet"
    CLOSED = "closed"
    FULL = "full"
    OPEN = "open"


def registration_state(
    seminar: Seminar,
    now: datetime,
    *,
    taken: int | None = None,
    taken_online: int | None = None,
) -> RegistrationState:
    """Whether a person could register at `now`, and if not, why.

    `taken` (and of a hybrid seminar `taken_online`) are the confirmed seats when the caller
    has just counted them. A hybrid seminar is FULL only when every way of attending is.
    A lottery seminar is OPEN (for applications) until its deadline or its draw."""
    if seminar.status == SeminarStatus.CANCELLED:
        return RegistrationState.CANCELLED
    if not seminar.takes_registrations:
        return RegistrationState.NOT_TAKEN
    if seminar.ends_at <= now:
        return RegistrationState.ENDED
    if seminar.registration_opens_at is not None and now < seminar.registration_opens_at:
        return RegistrationState.NOT_OPEN_YET
    closes = seminar.registration_closes_at or seminar.starts_at
    if now >= closes:
        return RegistrationState.CLOSED
    if seminar.admission == Admission.LOTTERY:
        # Applications, not seats: a lottery is never full before its draw, and takes
        # nothing after it (even if the deadline was moved).
        if seminar.lottery_drawn_at is not None:
            return RegistrationState.CLOSED
        return RegistrationState.OPEN
    left = seats_left_by_mode(seminar, taken=taken, taken_online=taken_online)
    if all(free is not None and free <= 0 for free in left.values()):
        return RegistrationState.FULL
    return RegistrationState.OPEN


def sitemap_seminars(session: DbSession) -> list[tuple[str, datetime]]:
    """(slug, last change) of every public seminar, newest first: the pages search engines
    are told of (the catalogue's word for public: Seminar.is_public)."""
    rows = session.execute(
        select(Seminar.slug, Seminar.updated_at)
        .where(public_condition())
        .order_by(Seminar.starts_at.desc(), Seminar.id)
    )
    return [(slug, updated_at) for slug, updated_at in rows]
