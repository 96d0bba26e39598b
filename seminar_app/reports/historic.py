"""Seminars from before the system, with their head-counts, from a spreadsheet's CSV.

Header: date,title,series,level,host_type,delivery,attendees,organization, and optionally
start_time,end_time (HH:MM, Tokyo time; 14:00–16:00 when absent). Read as every CSV import
is (seminar_app.imports: UTF-8 with or without BOM, or cp932; 1 MB). All rows or none; a
file already imported is recognised by its hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, time

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import imports
from ..attendance.services import MAX_HEAD_COUNT
from ..audit.services import record
from ..catalogue.models import Seminar
from ..domain import Delivery, HostType, Level, SeminarStatus, Series
from ..imports import Limits, Problem, ReportError, quoted
from ..text import normalize_text
from ..timeutil import jst_datetime

REQUIRED_COLUMNS = (
    "date",
    "title",
    "series",
    "level",
    "host_type",
    "delivery",
    "attendees",
    "organization",
)
DEFAULT_TIMES = (time(14, 0), time(16, 0))
#: The agency's past seminars: some hundreds.
LIMITS = Limits(max_bytes=1024 * 1024, max_rows=10_000)


@dataclass
class HistoricSeminar:
    line: int
    day: date
    title: str
    series: str
    level: str | None
    host_type: str
    delivery: str
    attendees: int
    organization: str | None
    starts: time
    ends: time


class AlreadyImported(Exception):
    pass


def file_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _time(value: str, default: time) -> time:
    value = value.strip()
    if len(value) > 8:  # HH:MM:SS at most; fromisoformat accepts far more
        raise ValueError(value)
    return time.fromisoformat(value) if value else default


def _problem(cell: dict[str, str], today: date) -> str | None:
    """What is wrong with the row, or None."""
    try:
        if len(cell["date"]) > 10:
            raise ValueError(cell["date"])
        day = date.fromisoformat(cell["date"])
        starts = _time(cell.get("start_time", ""), DEFAULT_TIMES[0])
        ends = _time(cell.get("end_time", ""), DEFAULT_TIMES[1])
    except ValueError:
        return _("date must be YYYY-MM-DD and times HH:MM")
    if day >= today:
        return _("historic seminars must be in the past")
    if ends <= starts:
        return _("end_time must be after start_time")
    if not 0 < len(" ".join(cell["title"].split())) <= 200:
        return _("title is required (200 characters at most)")
    checks = (
        ("series", Series, False),
        ("level", Level, True),
        ("host_type", HostType, False),
        ("delivery", Delivery, False),
    )
    for name, enum, optional in checks:
        value = cell[name]
        if not (optional and not value) and value not in {member.value for member in enum}:
            return _(
                "%(column)s “%(value)s” is not one of %(choices)s",
                column=name,
                value=quoted(value),
                choices=", ".join(member.value for member in enum),
            )
    attendees = cell["attendees"]
    if not (attendees.isascii() and attendees.isdigit() and int(attendees) <= MAX_HEAD_COUNT):
        return _(
            "attendees must be a whole number, %(most)d at most",
            most=MAX_HEAD_COUNT,
        )
    return None


def parse(data: bytes, today: date) -> list[HistoricSeminar]:
    seminars, problems = [], []
    where: dict[str, int] | None = None
    for line, row in imports.rows(imports.decode(data, LIMITS), LIMITS):
        if where is None:
            where = imports.header(row, REQUIRED_COLUMNS, line)
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(where.values()):
            problems.append(
                Problem(
                    _(
                        "%(count)d columns, the header has %(header)d (a comma inside a cell "
                        "needs quotes)",
                        count=len(row),
                        header=max(where.values()) + 1,
                    ),
                    line,
                )
            )
            continue
        cell = {name: row[position].strip() for name, position in where.items()}
        problem = _problem(cell, today)
        if problem:
            problems.append(Problem(problem, line))
            continue
        day = cell["date"]
        seminars.append(
            HistoricSeminar(
                line=line,
                day=date.fromisoformat(day),
                title=" ".join(cell["title"].split()),  # as written: no NFKC on titles
                series=cell["series"],
                level=cell["level"] or None,
                host_type=cell["host_type"],
                delivery=cell["delivery"],
                attendees=int(cell["attendees"]),
                organization=normalize_text(cell["organization"]) or None,
                starts=_time(cell.get("start_time", ""), DEFAULT_TIMES[0]),
                ends=_time(cell.get("end_time", ""), DEFAULT_TIMES[1]),
            )
        )
    if where is None:
        raise ReportError([Problem(_("the file is empty"))])
    if problems:
        raise ReportError(problems)
    return seminars


def import_file(session: Session, data: bytes, *, today: date, actor_label: str, actor=None) -> int:
    """Create the file's seminars, all of them or none; AlreadyImported on a second run."""
    key = file_key(data)
    prefix = f"historic-{key}-"
    if session.scalar(select(Seminar.id).where(Seminar.slug.startswith(prefix)).limit(1)):
        raise AlreadyImported(key)
    seminars = parse(data, today)
    for item in seminars:
        session.add(
            Seminar(
                slug=f"{prefix}{item.line}",
                title=item.title,
                series=item.series,
                level=item.level,
                host_type=item.host_type,
                delivery=item.delivery,
                status=SeminarStatus.PUBLISHED,
                starts_at=jst_datetime(item.day, item.starts),
                ends_at=jst_datetime(item.day, item.ends),
                venue="（記録なし）" if item.delivery != Delivery.ONLINE else None,
                host_organization=item.organization,
                head_count=item.attendees,
                description="",
            )
        )
    record(
        session,
        "report.historic_imported",
        "file",
        key,
        actor=actor,
        actor_label=actor_label,
        details={"seminars": len(seminars)},
    )
    return len(seminars)
