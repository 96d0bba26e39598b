"""Consultations from before the system, from the desk's spreadsheet saved as CSV.

One row per consultation. Header (names compared after NFKC and lower-casing, in any
order, further columns ignored)::

    date,channel,attribute,employee_band,industry,prefecture,topics,source,step,organization

and, optionally:

- desk: the code of an active desk (``main``); where the column is absent or the cell
  empty, the consultation belongs to the first active desk (the only one, for an agency
  with one desk).
- referring_desk: the prefectural IP comprehensive support desk that referred the client,
  written as its prefecture (a JIS X 0401 code or the prefecture's name, as `prefecture`).
- referrals: where the client was referred on to, Referral identifiers separated by ``;``
  (``police;ipa``).

- date: YYYY-MM-DD or YYYY/MM/DD (Excel writes 2021/4/1), the calendar date in Japan; a
  date after `today`, or in a fiscal year the system does not accept, is refused.
- channel, attribute, source, employee_band: the identifiers of the domain (``online``,
  ``sme``, ``prefectural-desk``, ``21-50``); case and full-width letters do not matter.
- topics: one or more Topic identifiers separated by ``;`` (or the full-width ``；``).
- industry: a JSIC major group letter A–T; prefecture: a JIS X 0401 code (``13``, also
  ``1`` for ``01`` as Excel drops the zero) or the prefecture's name (東京都, 東京, Tokyo);
  step: 1–7. These three, employee_band and organization may be empty.
- organization: matched to an existing client by its normalised name
  (text.organization_key: 株式会社ＡＢＣ商事 and (株)ABC商事 are one client), else a new
  client without 法人番号. A company form alone (株式会社) names no client and is refused.

Read as every CSV import is (seminar_app.imports: UTF-8 with or without BOM, or cp932;
5 MB and 50,000 lines at most). "Line N" is the row's number as a spreadsheet shows it
(the header is line 1); it is the text line too unless a cell holds a line break. Every
problem of every line is collected and raised together as ReportError, in the reader's
language; nothing is written then. Empty lines are skipped.

A file is known by its fingerprint (`imports.fingerprint`, as every import knows a file): each
consultation it creates gets ``import_ref = "<key>:<line>"`` (unique), and a file whose key
is already on a consultation raises AlreadyImported. Two consultations on one day with one
client are two records: rows are never merged. The whole file leaves one audit record,
``consultation.imported`` on subject ("file", key) with details {"consultations": n}.

Interface::

    key = imports.fingerprint(data)
    ensure_not_imported(session, key)          # AlreadyImported
    rows = parse(data, today)                  # ReportError, with line numbers
    count = import_rows(session, rows, key, actor_label=..., actor=None, progress=None)

or all three at once: ``import_file(session, data, today=..., actor_label=...)``.
`progress`, when given, is called with the number of rows just written after each batch
(``click.progressbar(length=len(rows))``'s ``bar.update`` fits). Nothing is committed here:
the caller commits, or rolls back on an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from .. import imports
from ..audit.services import record
from ..database import DbSession
from ..domain import Topic
from ..imports import Limits, Problem, ReportError, quoted
from ..reference import PREFECTURES
from ..text import normalize_text, organization_key
from ..timeutil import fiscal_year_of
from .desks import default_of
from .models import Client, Consultation, ConsultationReferral, ConsultationTopic
from .services import ConsultationInput, active_desks, value_problems

__all__ = [
    "LIMITS",
    "REQUIRED_COLUMNS",
    "AlreadyImported",
    "ConsultationRow",
    "ReportError",
    "ensure_not_imported",
    "import_file",
    "import_rows",
    "parse",
]

REQUIRED_COLUMNS = (
    "date",
    "channel",
    "attribute",
    "employee_band",
    "industry",
    "prefecture",
    "topics",
    "source",
    "step",
    "organization",
)
#: Columns a file may leave out.
OPTIONAL_COLUMNS = ("desk", "referring_desk", "referrals")
#: The desk's records of many years.
LIMITS = Limits(max_bytes=5 * 1024 * 1024, max_rows=50_000)
#: Rows written per flush, and names looked up per query (well under SQLite's 999 bound).
BATCH_SIZE = 1000
_LOOKUP_SIZE = 500

_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
#: Excel turns a typed 1-5 or 6-20 into a date; the CSV then holds the date.
_BAND_AS_DATE = {"1月5日": "1-5", "5-jan": "1-5", "6月20日": "6-20", "20-jun": "6-20"}
_TOPICS = tuple(topic.value for topic in Topic)


#: What a column must hold where the file takes more than the form (services words the
#: rest): a prefecture may be named.
_REASONS = {
    "referring_desk": lambda: _("a prefecture, by its JIS X 0401 code or its name"),
}
#: The column of the file that holds a field, where their names differ.
_COLUMN_OF = {"held_on": "date"}


def _prefecture_names() -> dict[str, str]:
    names = {}
    for code, (japanese, english) in PREFECTURES.items():
        names[japanese] = code
        names[english.lower()] = code
        if japanese != "北海道":
            names[japanese[:-1]] = code  # 東京都 → 東京, 京都府 → 京都, 大阪府 → 大阪
    return names


_PREFECTURE_NAMES = _prefecture_names()


@dataclass(frozen=True)
class ConsultationRow:
    """One checked row of the file: the values of the record and where they came from."""

    line: int
    values: ConsultationInput


class AlreadyImported(Exception):
    """The file (by its key, the exception's argument) has been imported before."""


def ensure_not_imported(session: DbSession, key: str) -> None:
    found = session.scalar(
        select(Consultation.id).where(Consultation.import_ref.startswith(f"{key}:")).limit(1)
    )
    if found is not None:
        raise AlreadyImported(key)


def _day(value: str) -> date | None:
    match = _DATE.fullmatch(value)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:  # 2021-02-30
        return None


def _prefecture(value: str) -> str | None:
    if not value:
        return None
    if value.isascii() and value.isdigit() and len(value) <= 2:
        return value.zfill(2)
    return _PREFECTURE_NAMES.get(value.lower(), value)


def _band(value: str) -> str | None:
    value = value.lower().replace("~", "-").replace("〜", "-")
    return _BAND_AS_DATE.get(value, value) or None


def _date_problems(day: date | None, raw: str, today: date) -> list[str]:
    if day is None:
        return [_("date “%(value)s” is not a date written YYYY-MM-DD", value=quoted(raw))]
    if day > today:
        return [_("date %(day)s is in the future", day=day.isoformat())]
    return []


def _listed(value: str) -> list[str]:
    """Identifiers separated by ; (topics, referrals), lower case."""
    # NFKC (normalize_text) has turned a full-width ； into ;.
    return [topic.strip().lower() for topic in value.split(";") if topic.strip()]


def _topic_problems(topics: list[str]) -> list[str]:
    if not topics:
        return [
            _("topics is empty; it must be one or more of %(choices)s", choices=", ".join(_TOPICS))
        ]
    return [
        _(
            "topic “%(value)s” is not one of %(choices)s",
            value=quoted(topic),
            choices=", ".join(_TOPICS),
        )
        for topic in topics
        if topic not in _TOPICS
    ]


def _step(value: str) -> int | None:
    if not value:
        return None
    # A step that is not a whole number of one or two digits is passed on as 0, which the rules
    # refuse; the length is judged before int(), which refuses very long digit strings.
    return int(value) if len(value) <= 2 and value.isascii() and value.isdigit() else 0


def _column_problem(column: str, raw: str, reason: str) -> str:
    if raw:
        return _(
            "%(column)s “%(value)s” is not %(reason)s",
            column=column,
            value=quoted(raw),
            reason=reason,
        )
    return _("%(column)s is empty; it must be %(reason)s", column=column, reason=reason)


def _rule_problems(values: ConsultationInput, cell: dict[str, str], day: date | None) -> list[str]:
    """What services.value_problems refuses, told per column as the reader wrote it."""
    told_already = {"topics"} | ({"held_on"} if day is None else set())
    return [
        _column_problem(
            column, cell[column].strip(), _REASONS[name]() if name in _REASONS else reason
        )
        for name, reason in value_problems(values).items()
        if name not in told_already  # topics by _topic_problems, a non-date by _date_problems
        for column in (_COLUMN_OF.get(name, name),)
    ]


def _row(line: int, cell: dict[str, str], today: date) -> tuple[ConsultationRow | None, list[str]]:
    """The row's values, or None and its problems (without the line prefix)."""
    text = {name: normalize_text(value) for name, value in cell.items()}
    day = _day(text["date"])
    topics = _listed(text["topics"])
    values = ConsultationInput(
        held_on=day,
        channel=text["channel"].lower(),
        attribute=text["attribute"].lower(),
        topics=topics or list(_TOPICS[:1]),  # topic problems are reported below
        source=text["source"].lower(),
        employee_band=_band(text["employee_band"]),
        industry=text["industry"].upper() or None,
        prefecture=_prefecture(text["prefecture"]),
        step=_step(text["step"]),
        organization=text["organization"] or None,
        desk=text.get("desk", "").lower() or None,
        referring_desk=_prefecture(text.get("referring_desk", "")),
        referrals=_listed(text.get("referrals", "")),
    )
    problems = [
        *_date_problems(day, cell["date"], today),
        *_topic_problems(topics),
        *_rule_problems(values, cell, day),
    ]
    if problems:
        return None, problems
    return ConsultationRow(line=line, values=values), []


def parse(data: bytes, today: date) -> list[ConsultationRow]:
    """The file's rows, checked; ReportError with every problem when any row is wrong.

    `today` is the current date in Japan (Asia/Tokyo): later dates are refused.
    """
    rows, problems = [], []
    header: dict[str, int] | None = None
    where: dict[str, int] = {}
    for line, row in imports.rows(imports.decode(data, LIMITS), LIMITS):
        if header is None:
            header = imports.header(row, REQUIRED_COLUMNS, line)
            where = {
                name: header[name] for name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS if name in header
            }
            continue
        if not any(cell.strip() for cell in row):
            continue
        width = max(header.values()) + 1
        if len(row) <= max(where.values()) or any(c.strip() for c in row[width:]):
            problems.append(
                Problem(
                    _(
                        "%(count)d columns, the header has %(header)d (a comma inside a cell "
                        "needs quotes)",
                        count=len(row),
                        header=width,
                    ),
                    line,
                )
            )
            continue
        item, found = _row(line, {name: row[at] for name, at in where.items()}, today)
        if item is None:
            problems.extend(Problem(problem, line) for problem in found)
        else:
            rows.append(item)
    if header is None:
        raise ReportError([Problem(_("the file is empty"))])
    if problems:
        raise ReportError(problems)
    if not rows:
        raise ReportError([Problem(_("the file holds no consultations, only the header"))])
    return rows


def _clients(session: DbSession, rows: Sequence[ConsultationRow]) -> dict[str, int]:
    """The client id per normalised organization name: the existing client, else a new one.

    The same matching as services.find_or_create_client without a 法人番号 (the oldest
    client with the name key), looked up and created in batches rather than row by row.
    """
    names: dict[str, str] = {}
    for row in rows:
        name = row.values.organization
        key = organization_key(name)
        if name is not None and key is not None:
            names.setdefault(key, name)
    ids: dict[str, int] = {}
    keys = list(names)
    for start in range(0, len(keys), _LOOKUP_SIZE):
        found = session.execute(
            select(Client.name_key, func.min(Client.id))
            .where(Client.name_key.in_(keys[start : start + _LOOKUP_SIZE]))
            .group_by(Client.name_key)
        )
        ids.update({key: client_id for key, client_id in found})
    new = [
        {"name": name, "name_key": key, "corporate_number": None}
        for key, name in names.items()
        if key not in ids
    ]
    for start in range(0, len(new), BATCH_SIZE):
        created = session.execute(
            insert(Client).returning(Client.name_key, Client.id), new[start : start + BATCH_SIZE]
        )
        ids.update({key: client_id for key, client_id in created})
    return ids


def _desks(session: DbSession, rows: Sequence[ConsultationRow]) -> dict[str | None, int]:
    """The desk id per code the rows name (None: the first active desk); ReportError, with
    the lines, for a code of no active desk or when no desk is active."""
    active = active_desks(session)
    ids: dict[str | None, int] = {desk.code: desk.id for desk in active}
    first = default_of(active)
    if first is not None:
        ids[None] = first.id
    problems = [
        Problem(
            _(
                "desk “%(value)s” is not the code of an active desk (%(codes)s)",
                value=quoted(row.values.desk or ""),
                codes=", ".join(desk.code for desk in active),
            )
            if row.values.desk is not None
            else _("no desk is active: add one on the desks page first"),
            row.line,
        )
        for row in rows
        if row.values.desk not in ids
    ]
    if problems:
        raise ReportError(problems)
    return ids


def _import_ref(key: str, row: ConsultationRow) -> str:
    return f"{key}:{row.line}"


def _record_of(
    row: ConsultationRow, key: str, clients: dict[str, int], desks: dict[str | None, int]
) -> dict[str, Any]:
    values = row.values
    return {
        "held_on": values.held_on,
        "desk_id": desks[values.desk],
        "channel": values.channel,
        "advisor_id": None,
        "client_id": clients.get(organization_key(values.organization) or ""),
        "attribute": values.attribute,
        "employee_band": values.employee_band,
        "industry": values.industry,
        "prefecture": values.prefecture,
        "source": values.source,
        "referring_desk": values.referring_desk,
        "step": values.step,
        "import_ref": _import_ref(key, row),
        "notes": None,
    }


def import_rows(
    session: DbSession,
    rows: Sequence[ConsultationRow],
    key: str,
    *,
    actor_label: str,
    actor=None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the parsed rows of the file `key` and its audit record; the number written."""
    ensure_not_imported(session, key)
    desks = _desks(session, rows)
    clients = _clients(session, rows)
    for start in range(0, len(rows), BATCH_SIZE):
        batch = rows[start : start + BATCH_SIZE]
        # ORM bulk INSERTs, one executemany per batch, without loading objects. Each new id
        # comes back with its row's import reference (asking for the rows' order instead
        # makes SQLite insert one row per statement).
        ids: dict[str | None, int] = {
            import_ref: consultation_id
            for import_ref, consultation_id in session.execute(
                insert(Consultation).returning(Consultation.import_ref, Consultation.id),
                [_record_of(row, key, clients, desks) for row in batch],
            )
        }
        session.execute(
            insert(ConsultationTopic),
            [
                {"consultation_id": ids[_import_ref(key, row)], "topic": topic}
                for row in batch
                for topic in dict.fromkeys(row.values.topics)
            ],
        )
        referrals = [
            {"consultation_id": ids[_import_ref(key, row)], "referral": referral}
            for row in batch
            for referral in dict.fromkeys(row.values.referrals)
        ]
        if referrals:
            session.execute(insert(ConsultationReferral), referrals)
        if progress is not None:
            progress(len(batch))
    record(
        session,
        "consultation.imported",
        "file",
        key,
        actor=actor,
        actor_label=actor_label,
        details={"consultations": len(rows)},
    )
    session.flush()
    return len(rows)


def import_file(
    session: DbSession,
    data: bytes,
    *,
    today: date,
    actor_label: str,
    actor=None,
    progress: Callable[[int], None] | None = None,
) -> imports.Imported:
    """Check and write a whole file, all rows or none; AlreadyImported on a second run."""
    key = imports.fingerprint(data)
    ensure_not_imported(session, key)
    rows = parse(data, today)
    count = import_rows(session, rows, key, actor_label=actor_label, actor=actor, progress=progress)
    # Every row written has its date (parse refuses a file with a row without one).
    years = [fiscal_year_of(row.values.held_on) for row in rows if row.values.held_on]
    return imports.Imported(count, max(years, default=None))
