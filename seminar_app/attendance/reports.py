"""Reading a meeting platform's attendee report (Zoom, Teams) into minutes per address.

The file is read as every CSV import is (seminar_app.imports: its size, its encoding, its
lines). Column names are recognised in English and Japanese; metadata lines above the table
(Teams writes a summary first) are skipped. A row that cannot be read stops the whole
import with its line number; a row without an address is kept to be listed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from .. import imports
from ..imports import Limits, Problem, ReportError, quoted
from ..text import normalize_email
from ..timeutil import JST

__all__ = ["LIMITS", "Attendee", "Report", "ReportError", "minutes_of", "parse"]

#: Recognised column titles, after NFKC and lower-casing.
COLUMNS = {
    "name": (
        "name (original name)",
        "name",
        "full name",
        "名前(元の名前)",
        "名前",
        "氏名",
        "表示名",
    ),
    "email": (
        "user email",
        "email",
        "e-mail",
        "email address",
        "ユーザーのメール",
        "メール",
        "メールアドレス",
    ),
    "join": ("join time", "first join", "join", "参加時刻", "入室時刻", "最初の参加"),
    "leave": ("leave time", "last leave", "leave", "退出時刻", "退室時刻", "最後の退出"),
    "duration": (
        "duration (minutes)",
        "duration (mins)",
        "in-meeting duration",
        "duration",
        "期間(分)",
        "時間(分)",
        "参加時間",
        "会議中の時間",
    ),
}
REQUIRED = ("email", "duration")
#: A platform's report of one seminar: up to some ten thousand participants, with rejoins.
LIMITS = Limits(max_bytes=4 * 1024 * 1024, max_rows=40_000)
#: The longest duration taken from one row: no meeting platform keeps a meeting open longer.
MAX_MINUTES = 7 * 24 * 60
#: Characters of a duration or a time cell: "2026/12/16 02:01:10 PM" is far shorter.
_MAX_CELL = 40

# None of these can backtrack beyond a bounded number of steps: the classes of adjacent
# repetitions are disjoint, and every repetition is bounded or followed by a literal.
_SECTION = re.compile(r"[0-9]{1,3}\.\s")
_DECIMAL = re.compile(r"([0-9]{1,6})(?:\.[0-9]{1,12})?")
_CLOCK = re.compile(r"([0-9]{1,3}):([0-9]{2})(?::([0-9]{2}))?")
_HMS_PART = re.compile(r"([0-9]{1,6})\s*(h|min|m|s)\s*")
_HMS_UNITS = {"h": 0, "min": 1, "m": 1, "s": 2}
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%m/%d/%y, %I:%M:%S %p",
)


@dataclass
class Attendee:
    email: str
    name: str
    minutes: int = 0
    first_join: datetime | None = None


@dataclass
class Report:
    attendees: dict[str, Attendee] = field(default_factory=dict)
    #: Rows without an address: (line, name, minutes), to show rather than drop.
    anonymous: list[tuple[int, str, int]] = field(default_factory=list)


def _key(title: str) -> str:
    return unicodedata.normalize("NFKC", title).strip().lower().replace("（", "(")


def minutes_of(value: str) -> int:
    """45 · 45.5 · 1h 5m 30s · 1:05:30 · 45:30 (mm:ss) → whole minutes (seconds round up).

    ValueError for anything else, for more than MAX_MINUTES, and for more than a few
    characters: work is bounded whatever the cell holds.
    """
    if len(value) > _MAX_CELL * 4:  # spaces around it, full-width forms: still not longer
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", value).strip().lower()
    if not text or len(text) > _MAX_CELL:
        raise ValueError(value)
    minutes: int | None
    if _DECIMAL.fullmatch(text):
        minutes = round(float(text))
    elif clock := _CLOCK.fullmatch(text):
        hours, minutes_part, seconds = clock.groups()
        if seconds is None:  # mm:ss
            minutes = int(hours) + (int(minutes_part) > 0)
        else:
            minutes = int(hours) * 60 + int(minutes_part) + (int(seconds) > 0)
    else:
        minutes = _hms(text)
    if minutes is None or minutes > MAX_MINUTES:
        raise ValueError(value)
    return minutes


def _hms(text: str) -> int | None:
    """1h 5m 30s, 2h, 5min, 30s (each unit at most once, in this order) → minutes."""
    amounts = [0, 0, 0]
    position, previous = 0, -1
    while position < len(text):
        part = _HMS_PART.match(text, position)
        if part is None:
            return None
        unit = _HMS_UNITS[part.group(2)]
        if unit <= previous:
            return None
        amounts[unit], previous, position = int(part.group(1)), unit, part.end()
    if previous < 0:
        return None
    hours, minutes, seconds = amounts
    return hours * 60 + minutes + (seconds > 0)


def _moment(value: str) -> datetime | None:
    if len(value) > _MAX_CELL * 4:
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    if len(text) <= _MAX_CELL:
        for pattern in _TIME_FORMATS:
            try:
                return datetime.strptime(text, pattern).replace(tzinfo=JST)
            except ValueError:
                continue
    raise ValueError(value)


def _columns(row: list[str]) -> dict[str, int] | None:
    """Where each known column is, if this row is the table's header."""
    titles = [_key(cell) for cell in row]
    found = {}
    for name, synonyms in COLUMNS.items():
        for position, title in enumerate(titles):
            if title in synonyms:
                found[name] = position
                break
    return found if all(name in found for name in REQUIRED) else None


def parse(data: bytes) -> Report:
    """Minutes per address, summed over rejoins; exact duplicate rows count once."""
    report, problems, seen = Report(), [], set()
    columns: dict[str, int] | None = None
    for line, row in imports.rows(imports.decode(data, LIMITS), LIMITS):
        if columns is None:
            columns = _columns(row)  # metadata lines above the table are skipped
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(columns.values()):
            if len(row) == 1 and _SECTION.match(row[0].strip()):
                break  # the next section of a Teams report, such as "3. In-Meeting Activities"
            problems.append(Problem(_("too few columns: %(count)d", count=len(row)), line))
            continue
        cell = {name: row[position] for name, position in columns.items()}
        try:
            minutes = minutes_of(cell["duration"])
        except ValueError:
            problems.append(
                Problem(
                    _(
                        "“%(value)s” is not a duration of at most a week (minutes, 1:05:30 "
                        "or 1h 5m 30s)",
                        value=quoted(cell["duration"]),
                    ),
                    line,
                )
            )
            continue
        try:
            joined = _moment(cell.get("join", ""))
        except ValueError:
            problems.append(
                Problem(
                    _(
                        "“%(value)s” is not a date and time such as 2026/12/16 14:01:10",
                        value=quoted(cell["join"]),
                    ),
                    line,
                )
            )
            continue
        if tuple(row) in seen:
            continue
        seen.add(tuple(row))
        email = normalize_email(cell["email"])  # the registrations' email_key
        name = unicodedata.normalize("NFKC", cell.get("name", "")).strip()
        if not email or "@" not in email:
            report.anonymous.append((line, name, minutes))
            continue
        attendee = report.attendees.setdefault(email, Attendee(email=email, name=name))
        attendee.minutes += minutes
        if joined and (attendee.first_join is None or joined < attendee.first_join):
            attendee.first_join = joined
    if columns is None:
        raise ReportError(
            [
                Problem(
                    _(
                        "no table with an e-mail column and a duration column was found "
                        "(expected titles such as “User Email” and “Duration (Minutes)”)"
                    )
                )
            ]
        )
    if problems:
        raise ReportError(problems)
    return report
