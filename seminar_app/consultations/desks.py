"""Rules of the desks (相談窓口) and of a year's consultation totals recorded for a desk.

Every door (the desks pages, `flask report totals`) goes through these functions. A refusal
raises DeskError with each field's problem, in the language of the request (the terminal's
commands ask for English), and changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from ..audit.services import record
from ..auth.models import User
from ..database import DbSession, upsert
from ..problems import FieldProblems
from ..timeutil import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    fiscal_year_dates,
    is_accepted_fiscal_year,
)
from .models import Consultation, ConsultationTotal, Desk

#: What scripts and files name a desk by: lower-case letters, digits and hyphens.
DESK_CODE = re.compile(r"^[a-z][a-z0-9-]{0,29}$")
_NAME_LENGTH = 100
#: The most consultations a desk records in a year: far above any desk's work, and within
#: the database's integer column on every backend.
MOST_CONSULTATIONS = 1_000_000


class DeskError(FieldProblems):
    """A desk or a year's totals refused."""


@dataclass(frozen=True)
class DeskRow:
    """A desk as the desks page lists it: with what rests on it."""

    desk: Desk
    consultations: int
    #: Fiscal years with recorded totals.
    years_of_totals: int

    @property
    def may_delete(self) -> bool:
        """Only a desk nothing rests on can go; any other is deactivated instead."""
        return self.consultations == 0 and self.years_of_totals == 0


def desks_in_order(session: DbSession, *, active_only: bool = False) -> list[Desk]:
    """The desks in the organizers' order; only those taking new consultations if asked."""
    query = select(Desk).order_by(Desk.position, Desk.id)
    if active_only:
        query = query.where(Desk.active)
    return list(session.scalars(query))


def default_desk(session: DbSession) -> Desk | None:
    """The desk a consultation or a year's totals go to when nobody names one."""
    return default_of(desks_in_order(session, active_only=True))


def default_of(active: list[Desk]) -> Desk | None:
    """The default desk among the active desks in order: the first of them."""
    return next(iter(active), None)


def normalised_code(code: str | None) -> str:
    """A desk code as typed (full width, capitals, spaces around) in the form desks keep."""
    return unicodedata.normalize("NFKC", code or "").strip().lower()


def desks_overview(session: DbSession) -> list[DeskRow]:
    """Every desk in its order, with its consultations and years of totals."""
    consultations: dict[int, int] = {
        desk_id: count
        for desk_id, count in session.execute(
            select(Consultation.desk_id, func.count(Consultation.id)).group_by(Consultation.desk_id)
        )
    }
    totals: dict[int, int] = {
        desk_id: count
        for desk_id, count in session.execute(
            select(ConsultationTotal.desk_id, func.count(ConsultationTotal.id)).group_by(
                ConsultationTotal.desk_id
            )
        )
    }
    return [
        DeskRow(desk, consultations.get(desk.id, 0), totals.get(desk.id, 0))
        for desk in desks_in_order(session)
    ]


def _clean(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _name_problems(name_ja: str, name_en: str) -> dict[str, str]:
    problems = {}
    for field, name in (("name_ja", name_ja), ("name_en", name_en)):
        if not name:
            problems[field] = _("Enter the desk's name.")
        elif len(name) > _NAME_LENGTH:
            problems[field] = _("At most %(n)d characters.", n=_NAME_LENGTH)
    return problems


def add_desk(
    session: DbSession,
    code: str | None,
    name_ja: str | None,
    name_en: str | None,
    *,
    by: User | None,
) -> Desk:
    """A new active desk, placed last."""
    code = normalised_code(code)
    name_ja, name_en = _clean(name_ja), _clean(name_en)
    problems = _name_problems(name_ja, name_en)
    if not DESK_CODE.match(code):
        problems["code"] = _(
            "A code is 1 to 30 lower-case letters, digits and hyphens, beginning with a letter."
        )
    elif session.scalar(select(Desk.id).where(Desk.code == code)) is not None:
        problems["code"] = _("Another desk has this code.")
    if problems:
        raise DeskError(problems)
    last = session.scalar(select(func.max(Desk.position)))
    desk = Desk(
        code=code,
        name_ja=name_ja,
        name_en=name_en,
        position=0 if last is None else last + 1,
        active=True,
    )
    session.add(desk)
    session.flush()
    record(session, "desk.added", "desk", desk.code, actor=by)
    return desk


def rename_desk(
    session: DbSession, desk: Desk, name_ja: str | None, name_en: str | None, *, by: User | None
) -> None:
    name_ja, name_en = _clean(name_ja), _clean(name_en)
    problems = _name_problems(name_ja, name_en)
    if problems:
        raise DeskError(problems)
    desk.name_ja, desk.name_en = name_ja, name_en
    record(session, "desk.renamed", "desk", desk.code, actor=by)


def move_desk(session: DbSession, desk: Desk, offset: int, *, by: User | None) -> None:
    """Move the desk up (-1) or down (+1) in the order; nothing at either end."""
    desks = desks_in_order(session)
    at = desks.index(desk)
    to = at + offset
    if not 0 <= to < len(desks):
        return
    desks[at], desks[to] = desks[to], desks[at]
    for position, each in enumerate(desks):
        each.position = position
    record(session, "desk.moved", "desk", desk.code, actor=by, details={"position": to})


def set_desk_active(session: DbSession, desk: Desk, active: bool, *, by: User | None) -> None:
    """Deactivate (it keeps its records and takes no new ones) or reactivate a desk.

    The last active desk stays: consultations need a desk to be recorded at."""
    if not active and desk.active:
        others = session.scalar(select(func.count(Desk.id)).where(Desk.active, Desk.id != desk.id))
        if not others:
            raise DeskError({"active": _("The last active desk cannot be deactivated.")})
    desk.active = active
    record(session, "desk.activated" if active else "desk.deactivated", "desk", desk.code, actor=by)


def delete_desk(session: DbSession, desk: Desk, *, by: User | None) -> None:
    """Only a desk without consultations or totals, and not the last active one."""
    row = DeskRow(
        desk,
        _count(session, Consultation.id, Consultation.desk_id == desk.id),
        _count(session, ConsultationTotal.id, ConsultationTotal.desk_id == desk.id),
    )
    if not row.may_delete:
        raise DeskError(
            {"desk": _("A desk with consultations or totals cannot be deleted: deactivate it.")}
        )
    if desk.active:
        set_desk_active(session, desk, False, by=by)
    record(session, "desk.deleted", "desk", desk.code, actor=by)
    session.delete(desk)
    session.flush()


def _count(session: DbSession, column: InstrumentedAttribute[int], *where: Any) -> int:
    return session.scalar(select(func.count(column)).where(*where)) or 0


def _count_problem(value: int | None, *, required: bool) -> str | None:
    if value is None:
        return _("Enter a number.") if required else None
    if value < 0:
        return _("Enter a number of 0 or more.")
    if value > MOST_CONSULTATIONS:
        return _("Enter a number of at most %(most)d.", most=MOST_CONSULTATIONS)
    return None


def record_totals(
    session: DbSession,
    fiscal_year: int | None,
    desk: Desk | None,
    consultations: int | None,
    online: int | None,
    *,
    by: User | None,
    actor_label: str | None = None,
) -> ConsultationTotal:
    """Record the year's consultations at the desk (and how many online, if known) for a
    year without rows; a second record for the year and desk replaces the first."""
    problems: dict[str, str] = {}
    if fiscal_year is None or not is_accepted_fiscal_year(fiscal_year):
        problems["fiscal_year"] = _(
            "Choose a fiscal year from %(first)d to %(last)d.",
            first=FIRST_FISCAL_YEAR,
            last=LAST_FISCAL_YEAR,
        )
    if desk is None:
        problems["desk"] = _("No desk has this code.")
    for field, value, required in (
        ("consultations", consultations, True),
        ("online", online, False),
    ):
        problem = _count_problem(value, required=required)
        if problem:
            problems[field] = problem
    if (
        "online" not in problems
        and consultations is not None
        and online is not None
        and online > consultations
    ):
        problems["online"] = _("Online consultations cannot outnumber all consultations.")
    if problems or fiscal_year is None or desk is None or consultations is None:
        raise DeskError(problems)
    # One statement, so that two organizers recording the same year at once cannot both
    # insert: the second replaces the first, as a second record does.
    upsert(
        session,
        ConsultationTotal,
        {"fiscal_year": fiscal_year, "desk_id": desk.id},
        {
            "consultations": consultations,
            "online": online,
            "recorded_by_id": getattr(by, "id", None),
        },
    )
    totals = session.scalars(
        select(ConsultationTotal)
        .where(ConsultationTotal.fiscal_year == fiscal_year, ConsultationTotal.desk_id == desk.id)
        .execution_options(populate_existing=True)
    ).one()
    session.flush()
    record(
        session,
        "consultation_totals.recorded",
        "desk",
        desk.code,
        actor=by,
        actor_label=actor_label,
        details={"fiscal_year": fiscal_year, "consultations": consultations, "online": online},
    )
    return totals


def remove_totals(session: DbSession, totals: ConsultationTotal, *, by: User | None) -> None:
    """Forget a year's totals (recorded by mistake): the year is unknown again, or counted
    from its rows."""
    record(
        session,
        "consultation_totals.removed",
        "desk",
        totals.desk.code,
        actor=by,
        details={"fiscal_year": totals.fiscal_year},
    )
    session.delete(totals)
    session.flush()


def totals_of_desk(session: DbSession, desk: Desk) -> list[ConsultationTotal]:
    """The desk's recorded totals, the latest year first."""
    return list(
        session.scalars(
            select(ConsultationTotal)
            .where(ConsultationTotal.desk_id == desk.id)
            .order_by(ConsultationTotal.fiscal_year.desc())
        )
    )


def rows_in_year(session: DbSession, desk: Desk, fiscal_year: int) -> int:
    """How many consultations of the year the desk has as rows (its totals then go unused)."""
    start, end = fiscal_year_dates(fiscal_year)
    return (
        session.scalar(
            select(func.count(Consultation.id)).where(
                Consultation.desk_id == desk.id,
                Consultation.held_on >= start,
                Consultation.held_on < end,
            )
        )
        or 0
    )


def totals_of_year(session: DbSession, desk: Desk, fiscal_year: int) -> ConsultationTotal | None:
    """The desk's recorded totals of the year, if any (set aside once the year has rows)."""
    return session.scalar(
        select(ConsultationTotal).where(
            ConsultationTotal.desk_id == desk.id, ConsultationTotal.fiscal_year == fiscal_year
        )
    )
