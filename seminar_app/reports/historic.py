"""Seminars from before the system, with their head-counts, from a spreadsheet's CSV.

Header: date,title,series,level,host_type,delivery,attendees,organization, and optionally
start_time,end_time (HH:MM, Tokyo time; 14:00–16:00 when absent). UTF-8 with or without
BOM, or cp932. All rows or none; a file already imported is recognised by its hash.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..attendance.reports import ReportError, decode
from ..audit.services import record
from ..catalogue.models import Seminar
from ..domain import Delivery, HostType, Level, SeminarStatus, Series
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
    return time.fromisoformat(value) if value else default


def parse(data: bytes, today: date) -> list[HistoricSeminar]:
    rows = list(csv.reader(io.StringIO(decode(data))))
    if not rows:
        raise ReportError(["the file is empty"])
    header = [normalize_text(title).lower() for title in rows[0]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ReportError([f"line 1: missing columns: {', '.join(missing)}"])
    where = {name: header.index(name) for name in header}
    seminars, problems = [], []
    for index, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            problems.append(f"line {index}: {len(row)} columns, the header has {len(header)}")
            continue
        cell = {name: row[position].strip() for name, position in where.items()}
        problem = None
        try:
            day = date.fromisoformat(cell["date"])
            starts = _time(cell.get("start_time", ""), DEFAULT_TIMES[0])
            ends = _time(cell.get("end_time", ""), DEFAULT_TIMES[1])
        except ValueError:
            problem = "date must be YYYY-MM-DD and times HH:MM"
        else:
            if day >= today:
                problem = "historic seminars must be in the past"
            elif ends <= starts:
                problem = "end_time must be after start_time"
        title = " ".join(cell["title"].split())  # as written: no NFKC on titles
        if problem is None and not 0 < len(title) <= 200:
            problem = "title is required (200 characters at most)"
        checks = (
            ("series", Series, False),
            ("level", Level, True),
            ("host_type", HostType, False),
            ("delivery", Delivery, False),
        )
        for name, enum, optional in checks:
            value = cell[name]
            if (
                problem is None
                and not (optional and not value)
                and value not in {member.value for member in enum}
            ):
                problem = f"{name} “{value}” is not one of {', '.join(m.value for m in enum)}"
        attendees = cell["attendees"]
        if problem is None and (not attendees.isascii() or not attendees.isdigit()):
            problem = "attendees must be a whole number"
        if problem:
            problems.append(f"line {index}: {problem}")
            continue
        seminars.append(
            HistoricSeminar(
                line=index,
                day=day,
                title=title,
                series=cell["series"],
                level=cell["level"] or None,
                host_type=cell["host_type"],
                delivery=cell["delivery"],
                attendees=int(attendees),
                organization=normalize_text(cell["organization"]) or None,
                starts=starts,
                ends=ends,
            )
        )
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
