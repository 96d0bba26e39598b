"""Reading one seminar file of content/ (content.loader), without a database.

The sync command's tests (test_content_sync.py) show the problems on the command line;
these name every problem a file can have, and the order a reader meets them in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seminar_app.content.loader import parse_seminar_file
from seminar_app.timeutil import JST

NOW = datetime(2026, 6, 1, tzinfo=UTC)

GOOD_HEADER = """\
title: 営業秘密・知財戦略セミナー（初級）
series: trade-secret-ip-strategy
level: beginner
delivery: online
date: 2026-07-15
time: "14:00-16:00"
meeting_url: https://meet.example.jp/abc
capacity: 40
registration_closes: "2026-07-14 17:00"
lecturers: [Advisor@Example.org]
"""


def write(root: Path, header: str, *, folder: str = "fy2026", name: str = "2026-07-15-basics"):
    path = root / "seminars" / folder / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{header}---\n本文。\n", encoding="utf-8")
    return path


def problems_of(root: Path, path: Path) -> list[tuple[str, str]]:
    spec, problems = parse_seminar_file(path, root, NOW)
    assert spec is None
    assert {problem.path for problem in problems} == {path.relative_to(root).as_posix()}
    return [(problem.field, problem.reason) for problem in problems]


def test_a_good_file_gives_its_seminar(tmp_path):
    path = write(tmp_path, GOOD_HEADER)

    spec, problems = parse_seminar_file(path, tmp_path, NOW)

    assert problems == []
    assert spec.slug == "2026-07-15-basics"
    assert spec.path == "seminars/fy2026/2026-07-15-basics.md"
    fields = spec.fields
    assert fields.starts_at == datetime(2026, 7, 15, 14, 0, tzinfo=JST)
    assert fields.ends_at == datetime(2026, 7, 15, 16, 0, tzinfo=JST)
    assert fields.registration_closes_at == datetime(2026, 7, 14, 17, 0, tzinfo=JST)
    assert fields.registration_opens_at is None
    assert (fields.host_type, fields.status) == ("agency", "published")
    assert fields.description == "本文。"
    assert fields.lecturer_emails == ["advisor@example.org"]


@pytest.mark.parametrize(
    ("replace", "field", "reason"),
    [
        (("date: 2026-07-15", "date: 15.7.2026"), "date", "needs a date as YYYY-MM-DD ("),
        (("date: 2026-07-15", "date: 2026-07-15 14:00"), "date", "needs a date as YYYY-MM-DD ("),
        (('time: "14:00-16:00"', "time: 14:00"), "time", "write the hours in quotes"),
        (('time: "14:00-16:00"', 'time: "2pm-4pm"'), "time", 'write the hours as "14:00-16:00"'),
        (
            ('registration_closes: "2026-07-14 17:00"', "registration_closes: next week"),
            "registration_closes",
            'write it as "2026-11-01 10:00" (Tokyo time), in quotes',
        ),
        (
            ("lecturers: [Advisor@Example.org]", "lecturers: advisor@example.org"),
            "lecturers",
            "must be a list of lecturer e-mail addresses",
        ),
        (("level: beginner", "lvl: beginner"), "lvl", "unknown field; known fields: capacity, "),
    ],
)
def test_each_unreadable_value_is_named(tmp_path, replace, field, reason):
    assert replace[0] in GOOD_HEADER
    path = write(tmp_path, GOOD_HEADER.replace(*replace))

    problems = problems_of(tmp_path, path)

    assert [name for name, _reason in problems] == [field]
    assert problems[0][1].startswith(reason)


@pytest.mark.parametrize("capacity", ["40.5", "yes", "'40'"])
def test_a_capacity_that_is_no_whole_number_leaves_the_seminar_without_seats(tmp_path, capacity):
    header = GOOD_HEADER.replace("capacity: 40", f"capacity: {capacity}")

    assert problems_of(tmp_path, write(tmp_path, header)) == [
        ("capacity", "must be a whole number of seats"),
        ("capacity", "Enter the number of seats."),
    ]


def test_registration_opening_is_read_like_its_closing(tmp_path):
    header = GOOD_HEADER + 'registration_opens: "2026-07-20"\n'

    assert problems_of(tmp_path, write(tmp_path, header)) == [
        ("registration_opens", 'write it as "2026-11-01 10:00" (Tokyo time), in quotes')
    ]


def test_a_rule_of_the_catalogue_is_named_by_the_key_of_the_file(tmp_path):
    header = GOOD_HEADER.replace('"14:00-16:00"', '"16:00-14:00"')

    assert problems_of(tmp_path, write(tmp_path, header)) == [
        ("time", "The end must be after the start.")
    ]


def test_the_rules_wait_until_the_date_can_be_read(tmp_path):
    header = GOOD_HEADER.replace("date: 2026-07-15", "date: soon").replace("capacity: 40\n", "")

    assert [name for name, _reason in problems_of(tmp_path, write(tmp_path, header))] == ["date"]


def test_a_file_outside_a_fiscal_year_folder_is_refused(tmp_path):
    path = write(tmp_path, GOOD_HEADER, folder="drafts")

    assert problems_of(tmp_path, path) == [
        ("folder", "keep seminar files in a folder named after the fiscal year, e.g. fy2026")
    ]


def test_problems_come_in_the_order_of_the_file(tmp_path):
    header = (
        GOOD_HEADER.replace("date: 2026-07-15", "date: soon")
        .replace('time: "14:00-16:00"', "time: afternoon")
        .replace("capacity: 40", "capacity: many")
        .replace("lecturers: [Advisor@Example.org]", "lecturers: 3")
        + "extra: 1\n"
    )
    path = write(tmp_path, header, folder="drafts", name="Basics")

    assert [name for name, _reason in problems_of(tmp_path, path)] == [
        "file name",
        "extra",
        "date",
        "time",
        "capacity",
        "lecturers",
        "folder",
    ]


@pytest.mark.parametrize(
    ("content", "field", "reason"),
    [
        (b"---\ntitle: \x82\xa0\n---\n", "file", "not UTF-8 text"),
        (
            b"title: no header\n",
            "header",
            "the file must begin with a YAML header between two '---' lines",
        ),
        (b"---\ntitle: x\n", "header", "the file must begin with a YAML header"),
        (b"---\ntitle: [unclosed\n---\n", "header", "not valid YAML (line 3): "),
        (b"---\n- a list\n---\n", "header", "the header must be a set of 'key: value' lines"),
        (
            b"---\ndate: 2027-02-30\n---\n",
            "header",
            "a date that does not exist (day is out of range for month)",
        ),
    ],
)
def test_a_file_without_a_readable_header_says_why_and_nothing_more(
    tmp_path, content, field, reason
):
    path = write(tmp_path, "", name="Bad Name")
    path.write_bytes(content)

    problems = problems_of(tmp_path, path)

    assert problems[0] == (
        "file name",
        "use lowercase letters, digits and hyphens, e.g. 2026-12-15-trade-secret-beginner.md",
    )
    assert [name for name, _reason in problems[1:]] == [field]
    assert problems[1][1].startswith(reason)
