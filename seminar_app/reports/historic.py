"""Seminars from before the system, with their head-counts, from a spreadsheet's CSV.

Header: date,title,series,level,host_type,delivery,attendees,organization, and optionally
start_time,end_time (HH:MM, Tokyo time; 14:00–16:00 when absent). An empty `attendees` means
nobody knows them: the seminar counts as held, its attendees as unknown (no head-count is
recorded). Read as every CSV import is (seminar_app.imports: UTF-8 with or without BOM, or
cp932; 1 MB). All rows or none; a file already imported is recognised by its hash. Each row
is checked by the seminar rules every door uses, and created through the seminar's lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select

from .. import imports
from ..attendance.services import MAX_HEAD_COUNT, set_head_count
from ..audit.services import record
from ..catalogue import lifecycle
from ..catalogue.models import Seminar
from ..catalogue.rules import SeminarFields, seminar_problems
from ..database import DbSession
from ..domain import Delivery, SeminarStatus
from ..imports import Limits, Problem, ReportError
from ..text import normalize_text
from ..timeutil import fiscal_year_of, jst_datetime, utcnow
from .numbers import whole_number

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
UNRECORDED_VENUE = "（記録なし）"
#: The agency's past seminars: some hundreds.
LIMITS = Limits(max_bytes=1024 * 1024, max_rows=10_000)


@dataclass
class HistoricSeminar:
    line: int
    fields: SeminarFields
    #: None: held, attendees unknown.
    attendees: int | None


class AlreadyImported(Exception):
    pass


def _time(value: str, default: time) -> time:
    value = value.strip()
    if len(value) > 8:  # HH:MM:SS at most; fromisoformat accepts far more
        raise ValueError(value)
    return time.fromisoformat(value) if value else default


#: The CSV column that holds each seminar field the lifecycle's rules may refuse.
COLUMN_OF = {
    "title": "title",
    "series": "series",
    "level": "level",
    "host_type": "host_type",
    "delivery": "delivery",
    "starts_at": "start_time",
    "ends_at": "end_time",
    "host_organization": "organization",
}


def _row_problem(cell: dict[str, str], today: date) -> str | None:
    """What the import itself asks of a row: readable dates and times, a past day, a count."""
    try:
        if len(cell["date"]) > 10:
            raise ValueError(cell["date"])
        day = date.fromisoformat(cell["date"])
        _time(cell.get("start_time", ""), DEFAULT_TIMES[0])
        _time(cell.get("end_time", ""), DEFAULT_TIMES[1])
    except ValueError:
        return _("date must be YYYY-MM-DD and times HH:MM")
    if day >= today:
        return _("historic seminars must be in the past")
    attendees = cell["attendees"]
    if attendees and whole_number(attendees, MAX_HEAD_COUNT) is None:
        return _(
            "attendees must be a whole number, %(most)d at most, or empty where unknown",
            most=MAX_HEAD_COUNT,
        )
    return None


def _fields(cell: dict[str, str]) -> SeminarFields:
    day = date.fromisoformat(cell["date"])
    delivery = cell["delivery"]
    return SeminarFields(
        title=" ".join(cell["title"].split()),  # as written: no NFKC on titles
        series=cell["series"],
        level=cell["level"] or None,
        host_type=cell["host_type"],
        delivery=delivery,
        status=SeminarStatus.PUBLISHED,
        starts_at=jst_datetime(day, _time(cell.get("start_time", ""), DEFAULT_TIMES[0])),
        ends_at=jst_datetime(day, _time(cell.get("end_time", ""), DEFAULT_TIMES[1])),
        # The place of a past seminar is not on record; the seminar rules want one.
        venue=UNRECORDED_VENUE if delivery != Delivery.ONLINE else None,
        host_organization=normalize_text(cell["organization"]) or None,
    )


def _problems(cell: dict[str, str], today: date, now: datetime) -> list[str]:
    """Every problem of a row: the import's own, then the seminar rules' (the lifecycle's)."""
    problem = _row_problem(cell, today)
    if problem:
        return [problem]
    return [
        f"{COLUMN_OF.get(name, name)}: {message}"
        for name, message in seminar_problems(_fields(cell), now).items()
    ]


def parse(data: bytes, today: date, now: datetime | None = None) -> list[HistoricSeminar]:
    """Every row of the file as a seminar, or ReportError with every problem and its line."""
    now = now or utcnow()
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
        found = _problems(cell, today, now)
        if found:
            problems.extend(Problem(problem, line) for problem in found)
            continue
        attendees = whole_number(cell["attendees"], MAX_HEAD_COUNT)
        seminars.append(HistoricSeminar(line, _fields(cell), attendees))
    if where is None:
        raise ReportError([Problem(_("the file is empty"))])
    if problems:
        raise ReportError(problems)
    return seminars


def import_file(
    session: DbSession,
    data: bytes,
    *,
    today: date,
    actor_label: str,
    actor=None,
    now: datetime | None = None,
) -> imports.Imported:
    """Create the file's seminars, all of them or none; AlreadyImported on a second run."""
    now = now or utcnow()
    key = imports.fingerprint(data)
    prefix = f"historic-{key}-"
    if session.scalar(select(Seminar.id).where(Seminar.slug.startswith(prefix)).limit(1)):
        raise AlreadyImported(key)
    seminars = parse(data, today, now)
    years: list[int] = []
    for item in seminars:
        # Through the seminar's lifecycle, as every door: created, published, counted.
        seminar = lifecycle.create_seminar(
            session, item.fields, [], slug=f"{prefix}{item.line}", by=actor, label=actor_label
        )
        lifecycle.publish(session, seminar, now, by=actor, label=actor_label)
        if item.attendees is not None:
            set_head_count(session, seminar, item.attendees, by=actor)
        years.append(fiscal_year_of(seminar.starts_at))
    record(
        session,
        "report.historic_imported",
        "file",
        key,
        actor=actor,
        actor_label=actor_label,
        details={"seminars": len(seminars)},
    )
    return imports.Imported(len(seminars), max(years, default=None))
