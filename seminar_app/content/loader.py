"""Reading the catalogue files of content/ into plain values, with every problem named.

A seminar is one Markdown file `content/seminars/fy<YEAR>/<slug>.md` whose YAML
header holds the fields and whose body is the Japanese description.
Lecturers are listed in `content/lecturers.yml`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from flask_babel import force_locale

from ..catalogue.rules import SeminarFields, seminar_problems
from ..text import normalize_email, normalize_email_address, normalize_text
from ..timeutil import JST, fiscal_year_of, jst_datetime

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,119}$")
SLUG_ADVICE = "use lowercase letters, digits and hyphens, e.g. 2026-12-15-trade-secret-beginner.md"
FOLDER_PATTERN = re.compile(r"^fy(\d{4})$")
TIME_RANGE_PATTERN = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–〜~]\s*(\d{1,2}):(\d{2})$")
MOMENT_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})$")

SEMINAR_KEYS = {
    "title",
    "title_en",
    "series",
    "level",
    "host_type",
    "delivery",
    "status",
    "date",
    "time",
    "venue",
    "meeting_url",
    "capacity",
    "online_capacity",
    "registration_opens",
    "registration_closes",
    "lecturers",
    "description_en",
    "host_organization",
    "external_url",
}
LECTURER_KEYS = {"email", "name", "name_en", "title", "title_en"}

#: Where a rule about a model field is reported in a content file.
RULE_FIELD_TO_KEY = {
    "starts_at": "date",
    "ends_at": "time",
    "registration_opens_at": "registration_opens",
    "registration_closes_at": "registration_closes",
}


@dataclass(frozen=True)
class ContentProblem:
    path: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.reason}"


class ContentError(Exception):
    """The content cannot be loaded; nothing of the run was written."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass
class LecturerSpec:
    email: str
    name: str
    name_en: str | None = None
    title: str | None = None
    title_en: str | None = None


@dataclass
class SeminarSpec:
    slug: str
    path: str
    fields: SeminarFields = field(default_factory=SeminarFields)


@dataclass
class Catalogue:
    lecturers: list[LecturerSpec]
    seminars: list[SeminarSpec]


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _split_front_matter(text: str) -> tuple[str, str] | None:
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    body_start = text.find("\n", end + 4)
    body = "" if body_start < 0 else text[body_start + 1 :]
    return text[4 : end + 1], body.strip()


def _parse_day(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("give the date alone, as YYYY-MM-DD")
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip())


def _parse_time_range(value: Any) -> tuple[time, time]:
    if not isinstance(value, str):
        raise ValueError('write the hours in quotes, as "14:00-16:00"')
    match = TIME_RANGE_PATTERN.match(value.strip())
    if not match:
        raise ValueError('write the hours as "14:00-16:00" (Tokyo time)')
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    return time(h1, m1), time(h2, m2)


def _parse_moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return (value.replace(tzinfo=JST) if value.tzinfo is None else value).astimezone(JST)
    match = MOMENT_PATTERN.match(str(value).strip())
    if not match:
        raise ValueError('write it as "2026-11-01 10:00" (Tokyo time), in quotes')
    year, month, day, hour, minute = (int(part) for part in match.groups())
    return jst_datetime(date(year, month, day), time(hour, minute))


def _parse_capacity(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number of seats")
    return value


#: A field of the file (or "file name", "header", "folder") and what is wrong with it.
FileProblem = tuple[str, str]


class _Unreadable(Exception):
    """The file has no header to read fields from; the one problem that says why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.problem: FileProblem = (field_name, reason)


def _read_front_matter(path: Path) -> tuple[dict[Any, Any], str]:
    """The YAML header as a mapping, and the Markdown body; _Unreadable otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _Unreadable("file", "not UTF-8 text") from None
    parts = _split_front_matter(text)
    if parts is None:
        raise _Unreadable(
            "header", "the file must begin with a YAML header between two '---' lines"
        )
    try:
        header = yaml.safe_load(parts[0]) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise _Unreadable(
            "header", f"not valid YAML{where}: {getattr(exc, 'problem', exc)}"
        ) from exc
    except ValueError as exc:  # YAML reads 2026-02-30 as a date, which the calendar lacks
        raise _Unreadable("header", f"a date that does not exist ({exc})") from exc
    if not isinstance(header, dict):
        raise _Unreadable("header", "the header must be a set of 'key: value' lines")
    return header, parts[1]


def _text_fields(header: dict[Any, Any], body: str) -> SeminarFields:
    """The values written as text, with the defaults of a file (an agency seminar, published)."""
    return SeminarFields(
        title=(_optional_text(header.get("title")) or ""),
        title_en=_optional_text(header.get("title_en")),
        series=str(header.get("series") or ""),
        level=_optional_text(header.get("level")),
        host_type=str(header.get("host_type") or "agency"),
        delivery=str(header.get("delivery") or ""),
        status=str(header.get("status") or "published"),
        description=body,
        description_en=_optional_text(header.get("description_en")),
        venue=_optional_text(header.get("venue")),
        meeting_url=_optional_text(header.get("meeting_url")),
        host_organization=_optional_text(header.get("host_organization")),
        external_url=_optional_text(header.get("external_url")),
    )


def _read_schedule(header: dict[Any, Any], values: SeminarFields) -> list[FileProblem]:
    """The start and end, from `date` and `time` (Tokyo time)."""
    problems: list[FileProblem] = []
    day = None
    try:
        day = _parse_day(header.get("date"))
    except (TypeError, ValueError) as exc:
        problems.append(("date", f"needs a date as YYYY-MM-DD ({exc})"))
    try:
        start, end = _parse_time_range(header.get("time"))
    except ValueError as exc:
        problems.append(("time", str(exc)))
    else:
        if day is not None:
            values.starts_at, values.ends_at = jst_datetime(day, start), jst_datetime(day, end)
    return problems


def _read_registration_window(header: dict[Any, Any], values: SeminarFields) -> list[FileProblem]:
    problems: list[FileProblem] = []
    for key, attribute in (
        ("registration_opens", "registration_opens_at"),
        ("registration_closes", "registration_closes_at"),
    ):
        if header.get(key) is None:
            continue
        try:
            setattr(values, attribute, _parse_moment(header[key]))
        except ValueError as exc:
            problems.append((key, str(exc)))
    return problems


def _read_capacity(header: dict[Any, Any], values: SeminarFields) -> list[FileProblem]:
    """The seats: `capacity`, and of a hybrid seminar `online_capacity` (empty: no limit)."""
    problems: list[FileProblem] = []
    for key in ("capacity", "online_capacity"):
        try:
            setattr(values, key, _parse_capacity(header.get(key)))
        except ValueError as exc:
            problems.append((key, str(exc)))
    return problems


def _read_lecturers(header: dict[Any, Any], values: SeminarFields) -> list[FileProblem]:
    lecturers = header.get("lecturers") or []
    if not isinstance(lecturers, list) or not all(isinstance(item, str) for item in lecturers):
        return [("lecturers", "must be a list of lecturer e-mail addresses")]
    values.lecturer_emails = [normalize_email(item) for item in lecturers]
    return []


#: Readers of the fields that are not plain text: each sets its values, or names its problems.
_FIELD_READERS: tuple[Callable[[dict[Any, Any], SeminarFields], list[FileProblem]], ...] = (
    _read_schedule,
    _read_registration_window,
    _read_capacity,
    _read_lecturers,
)


def _unknown_keys(header: dict[Any, Any]) -> list[FileProblem]:
    known = ", ".join(sorted(SEMINAR_KEYS))
    return [
        (unknown, f"unknown field; known fields: {known}")
        for unknown in sorted(set(map(str, header)) - SEMINAR_KEYS)
    ]


def _folder_problems(folder_name: str, values: SeminarFields) -> list[FileProblem]:
    """A file lives in the folder of its fiscal year, e.g. fy2026."""
    folder = FOLDER_PATTERN.match(folder_name)
    if folder is None:
        return [
            ("folder", "keep seminar files in a folder named after the fiscal year, e.g. fy2026")
        ]
    if values.starts_at is not None and fiscal_year_of(values.starts_at) != int(folder[1]):
        return [
            (
                "date",
                f"falls in fiscal year {fiscal_year_of(values.starts_at)}, "
                f"but the file is in {folder_name}",
            )
        ]
    return []


def _rule_problems(values: SeminarFields, now: datetime) -> list[FileProblem]:
    """The catalogue's rules, named by the file's keys (the start is `date`, the end `time`)."""
    return [
        (RULE_FIELD_TO_KEY.get(name, name), reason)
        for name, reason in seminar_problems(values, now).items()
    ]


def _read_seminar(path: Path, now: datetime) -> tuple[SeminarFields | None, list[FileProblem]]:
    """The file's values, or None when it has no readable header; every problem found."""
    problems: list[FileProblem] = []
    if not SLUG_PATTERN.match(path.stem):
        problems.append(("file name", SLUG_ADVICE))
    try:
        header, body = _read_front_matter(path)
    except _Unreadable as unreadable:
        return None, [*problems, unreadable.problem]
    problems += _unknown_keys(header)
    values = _text_fields(header, body)
    for read in _FIELD_READERS:
        problems += read(header, values)
    problems += _folder_problems(path.parent.name, values)
    # The rules compare the start with the end and with now: they wait until the date is right.
    if not any(field_name in ("date", "time") for field_name, _reason in problems):
        problems += _rule_problems(values, now)
    return values, problems


def parse_seminar_file(
    path: Path, root: Path, now: datetime
) -> tuple[SeminarSpec | None, list[ContentProblem]]:
    """Parse one seminar file; the problems name this file and the field."""
    relative = path.relative_to(root).as_posix()
    values, found = _read_seminar(path, now)
    problems = [ContentProblem(relative, field_name, reason) for field_name, reason in found]
    if values is None or problems:
        return None, problems
    return SeminarSpec(slug=path.stem, path=relative, fields=values), problems


def parse_lecturers(path: Path, root: Path) -> tuple[list[LecturerSpec], list[ContentProblem]]:
    relative = path.relative_to(root).as_posix()
    if not path.exists():
        return [], []
    problems: list[ContentProblem] = []
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        return [], [ContentProblem(relative, "file", f"not valid YAML: {exc}")]
    if not isinstance(entries, list):
        return [], [ContentProblem(relative, "file", "must be a list of lecturers")]
    lecturers = []
    for index, entry in enumerate(entries, start=1):
        where = f"lecturer {index}"
        if not isinstance(entry, dict):
            problems.append(ContentProblem(relative, where, "must be a set of 'key: value' lines"))
            continue
        for unknown in sorted(set(map(str, entry)) - LECTURER_KEYS):
            problems.append(ContentProblem(relative, f"{where}.{unknown}", "unknown field"))
        raw_email = str(entry.get("email") or "")
        with force_locale("en"):  # content problems are read in English, like the rest
            address, refused = normalize_email_address(raw_email)
        if refused:
            problems.append(ContentProblem(relative, f"{where}.email", refused))
        email = normalize_email(address or raw_email)  # staff accounts keep the key form
        name = normalize_text(_optional_text(entry.get("name")))
        if not name:
            problems.append(ContentProblem(relative, f"{where}.name", "enter the lecturer's name"))
        lecturers.append(
            LecturerSpec(
                email=email,
                name=name,
                name_en=_optional_text(entry.get("name_en")),
                title=_optional_text(entry.get("title")),
                title_en=_optional_text(entry.get("title_en")),
            )
        )
    return lecturers, problems


def read_catalogue(root: Path, now: datetime) -> Catalogue:
    """Everything under `root`, or ContentError listing every problem found."""
    lecturers, problems = parse_lecturers(root / "lecturers.yml", root)
    seminars: list[SeminarSpec] = []
    seen: dict[str, str] = {}
    for path in sorted((root / "seminars").glob("*/*.md")):
        spec, found = parse_seminar_file(path, root, now)
        problems.extend(found)
        if spec is None:
            continue
        if spec.slug in seen:
            problems.append(
                ContentProblem(
                    spec.path, "file name", f"the same name is used by {seen[spec.slug]}"
                )
            )
            continue
        seen[spec.slug] = spec.path
        seminars.append(spec)
    known = {lecturer.email for lecturer in lecturers}
    for spec in seminars:
        for email in spec.fields.lecturer_emails:
            if email not in known:
                problems.append(
                    ContentProblem(
                        spec.path, "lecturers", f"{email} is not listed in lecturers.yml"
                    )
                )
    if problems:
        raise ContentError(problems)
    return Catalogue(lecturers=lecturers, seminars=seminars)
