"""Reading a meeting platform's attendee report (Zoom, Teams) into minutes per address.

The file is CSV in UTF-8 (with or without BOM) or cp932, as Japanese Excel saves it.
Column names are recognised in English and Japanese; metadata lines above the table
(Teams writes a summary first) are skipped. A row that cannot be read stops the whole
import with its line number; a row without an address is kept to be listed.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from ..timeutil import JST

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
MAX_BYTES = 5 * 1024 * 1024

_SECTION = re.compile(r"^\d+\.\s")
_HMS = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?$")
_CLOCK = re.compile(r"^(\d{1,3}):(\d{2})(?::(\d{2}))?$")
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%m/%d/%y, %I:%M:%S %p",
)


class ReportError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


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


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ReportError(["the file is larger than 5 MB"])
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReportError(["the file is neither UTF-8 nor Shift_JIS (cp932) text"])


def minutes_of(value: str) -> int:
    """45 · 45.5 · 1h 5m 30s · 1:05:30 → whole minutes (seconds round up)."""
    text = unicodedata.normalize("NFKC", value).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return round(float(text))
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = clock.groups()
        if seconds is None:  # mm:ss
            return int(hours) + (int(minutes) > 0)
        return int(hours) * 60 + int(minutes) + (int(seconds) > 0)
    hms = _HMS.match(text)
    if text and hms and any(hms.groups()):
        hours, minutes, seconds = (int(part or 0) for part in hms.groups())
        return hours * 60 + minutes + (seconds > 0)
    raise ValueError(value)


def _moment(value: str) -> datetime | None:
    text = unicodedata.normalize("NFKC", value).strip()
    if not text:
        return None
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=JST)
        except ValueError:
            continue
    raise ValueError(value)


def _header(rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(rows):
        titles = [_key(cell) for cell in row]
        found = {}
        for name, synonyms in COLUMNS.items():
            for position, title in enumerate(titles):
                if title in synonyms:
                    found[name] = position
                    break
        if all(name in found for name in REQUIRED):
            return index, found
    raise ReportError(
        [
            "no table with an e-mail column and a duration column was found "
            "(expected titles such as “User Email” and “Duration (Minutes)”)"
        ]
    )


def parse(data: bytes) -> Report:
    """Minutes per address, summed over rejoins; exact duplicate rows count once."""
    text = decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ReportError([f"not a CSV file: {exc}"]) from exc
    start, columns = _header(rows)
    report, problems, seen = Report(), [], set()
    for index in range(start + 1, len(rows)):
        line, row = index + 1, rows[index]
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(columns.values()):
            if len(row) == 1 and _SECTION.match(row[0].strip()):
                break  # the next section of a Teams report, such as "3. In-Meeting Activities"
            problems.append(f"line {line}: {len(row)} columns, the header has more")
            continue
        cell = {name: row[position] for name, position in columns.items()}
        try:
            minutes = minutes_of(cell["duration"])
            joined = _moment(cell.get("join", ""))
        except ValueError as exc:
            problems.append(f"line {line}: cannot read “{exc}” as a duration or a time")
            continue
        if tuple(row) in seen:
            continue
        seen.add(tuple(row))
        email = unicodedata.normalize("NFKC", cell["email"]).strip().lower()
        name = unicodedata.normalize("NFKC", cell.get("name", "")).strip()
        if not email or "@" not in email:
            report.anonymous.append((line, name, minutes))
            continue
        attendee = report.attendees.setdefault(email, Attendee(email=email, name=name))
        attendee.minutes += minutes
        if joined and (attendee.first_join is None or joined < attendee.first_join):
            attendee.first_join = joined
    if problems:
        raise ReportError(problems)
    return report
