"""Reading an organizer's CSV upload, the same way for every import.

The attendee reports of meeting platforms, past seminars and past consultations all come
through here: a size limit per kind of file, UTF-8 (with or without BOM) or cp932 as
Japanese Excel saves it, rows numbered as a spreadsheet numbers them (the first line is
line 1, an empty line counts), and bounds on the number of rows and on the length of a row.
Each problem is said in the reader's language with its line; the import that finds any
raises ReportError and writes nothing (the caller rolls back). A file is known by one
fingerprint, so that importing it twice is refused.

Every step is linear in the size of the file: the csv module's C reader, and no regular
expression with nested or adjacent overlapping quantifiers in the importers. Unicode
normalisation (NFKC) is quadratic on a long run of combining marks, so such runs are
refused first (Unicode's stream-safe format allows 30 in a row).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _

from .text import normalize_text

#: Non-starters in a row that Unicode's stream-safe text format allows (UAX #15).
MAX_NON_STARTERS = 30
#: Characters of a cell repeated in a problem; the rest is cut off with "…".
QUOTED_CHARACTERS = 40


class Problem(str):
    """One problem of a file, as its reader reads it, and the line it is on.

    It is the text itself (so templates, the CLI and tests use it as a string); `line` is
    None only for what concerns the whole file: its size, or a table that is not there.
    """

    line: int | None

    def __new__(cls, message: str, line: int | None = None) -> Problem:
        text = (
            message if line is None else _("line %(line)d: %(problem)s", line=line, problem=message)
        )
        problem = super().__new__(cls, text)
        problem.line = line
        return problem


class ReportError(ValueError):
    """The file is not imported; `problems` says why, line by line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Limits:
    """How much of one kind of upload is read before it is refused."""

    #: Size of the file; the view reads one byte more than this and no further.
    max_bytes: int
    #: Rows (lines as a spreadsheet counts them), the header and empty lines included.
    max_rows: int
    #: Characters of one row, all its cells together.
    max_row_characters: int = 10_000


#: Hex digits of a file's fingerprint: by it a second import of the same file is refused.
FINGERPRINT_LENGTH = 12


def fingerprint(data: bytes) -> str:
    """The file's fingerprint, the same for every import: the start of its SHA-256."""
    return hashlib.sha256(data).hexdigest()[:FINGERPRINT_LENGTH]


@dataclass(frozen=True)
class Imported:
    """What an import wrote: how many rows, and the latest fiscal year they filled (where
    the organizer wants to look next)."""

    count: int
    fiscal_year: int | None


def quoted(value: str) -> str:
    """A cell as a problem repeats it: trimmed, and cut short when long."""
    value = value.strip()
    if len(value) <= QUOTED_CHARACTERS:
        return value
    return value[:QUOTED_CHARACTERS] + "…"


def decode(data: bytes, limits: Limits) -> str:
    """The file's text; ReportError when it is too large or not text in a known encoding."""
    if len(data) > limits.max_bytes:
        raise ReportError(
            [
                Problem(
                    _(
                        "The file is larger than %(size)s. Split it into smaller files and "
                        "import them one by one.",
                        size=_size(limits.max_bytes),
                    )
                )
            ]
        )
    furthest = 0
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            furthest = max(furthest, exc.start)
            continue
        nul = text.find("\0")
        if nul >= 0:
            raise ReportError(
                [
                    Problem(
                        _("the line holds a NUL character: the file is not CSV text"),
                        text.count("\n", 0, nul) + 1,
                    )
                ]
            )
        return text
    # The encoding that read further is the one the file was meant to be in.
    raise ReportError(
        [
            Problem(
                _(
                    "the file is neither UTF-8 nor Shift_JIS (cp932) text; save it again as "
                    "“CSV UTF-8”"
                ),
                data.count(b"\n", 0, furthest) + 1,
            )
        ]
    )


def rows(text: str, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """Each row with its line number, within the limits; ReportError at the first breach."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ReportError(
                [
                    Problem(
                        _(
                            "not readable as CSV: a cell is too long, or a quotation mark "
                            "is not closed"
                        ),
                        line + 1,
                    )
                ]
            ) from exc
        line += 1
        if line > limits.max_rows:
            raise ReportError(
                [
                    Problem(
                        _(
                            "the file has more than %(count)d lines. Split it into smaller "
                            "files and import them one by one.",
                            count=limits.max_rows,
                        ),
                        line,
                    )
                ]
            )
        if sum(map(len, row)) > limits.max_row_characters:
            raise ReportError(
                [
                    Problem(
                        _(
                            "the line is longer than %(count)d characters",
                            count=limits.max_row_characters,
                        ),
                        line,
                    )
                ]
            )
        if any(_long_run_of_marks().search(cell) for cell in row):
            raise ReportError(
                [
                    Problem(
                        _(
                            "more than %(count)d combining marks in a row: this is not text "
                            "a person writes",
                            count=MAX_NON_STARTERS,
                        ),
                        line,
                    )
                ]
            )
        yield line, row


def header(row: Iterable[str], required: Sequence[str], line: int = 1) -> dict[str, int]:
    """Where each column is, by its title (NFKC, lower case); ReportError if any is missing."""
    where: dict[str, int] = {}
    for position, title in enumerate(row):
        where.setdefault(normalize_text(title).lower(), position)
    missing = [name for name in required if name not in where]
    if missing:
        raise ReportError(
            [Problem(_("missing columns: %(columns)s", columns=", ".join(missing)), line)]
        )
    return where


def _size(max_bytes: int) -> str:
    megabytes = max_bytes / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{max_bytes // 1024} KB"


@cache
def _long_run_of_marks() -> re.Pattern[str]:
    """More than MAX_NON_STARTERS characters in a row that normalisation reorders.

    Those are the characters with a combining class, and those whose decomposition begins
    with one (Tibetan U+0F73). Built once per process from the running Unicode tables.
    """
    marks = []
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        if unicodedata.combining(char) or (
            unicodedata.decomposition(char)
            and unicodedata.combining(unicodedata.normalize("NFKD", char)[0])
        ):
            marks.append(point)
    ranges, start = [], marks[0]
    for previous, point in zip(marks, [*marks[1:], -1], strict=True):
        if point != previous + 1:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(previous))}")
            start = point
    return re.compile(f"[{''.join(ranges)}]{{{MAX_NON_STARTERS + 1}}}")
