"""The rules of a seminar's fields (catalogue.rules), decided without a server.

Every door (console, API, content files, historic import) reports these messages, keyed by
field and in this order; the doors' own tests show them on their pages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from seminar_app.catalogue.rules import (
    MAX_CAPACITY,
    SeminarFields,
    admission_problems,
    seminar_problems,
)

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
STARTS = NOW + timedelta(days=30)


def good(**changes) -> SeminarFields:
    """An online agency seminar a month ahead that can be saved as it is."""
    values = SeminarFields(
        title="営業秘密・知財戦略セミナー（初級）",
        series="trade-secret-ip-strategy",
        level="beginner",
        delivery="online",
        status="published",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        meeting_url="https://meet.example.jp/abc",
        capacity=50,
    )
    return replace(values, **changes)


def test_a_complete_seminar_has_no_problems():
    assert seminar_problems(good(), NOW) == {}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "  "}, "title", "Enter a title."),
        ({"title": "x" * 201}, "title", "The title can be at most 200 characters."),
        (
            {"series": "other"},
            "series",
            "Unknown value “other”; use one of: trade-secret-ip-strategy, ip-utilization.",
        ),
        ({"level": "expert"}, "level", "Unknown value “expert”; use one of: "),
        (
            {"host_type": "partner", "host_organization": "東京商工会議所"},
            "host_type",
            "Unknown value “partner”; use one of: agency, ",
        ),
        ({"delivery": "radio"}, "delivery", "Unknown value “radio”; use one of: online, "),
        ({"status": "gone"}, "status", "Unknown value “gone”; use one of: "),
        ({"starts_at": None}, "starts_at", "Enter the start."),
        ({"ends_at": None}, "ends_at", "Enter the end."),
        ({"ends_at": STARTS}, "ends_at", "The end must be after the start."),
        ({"title_en": "x" * 201}, "title_en", "Use at most 200 characters."),
        ({"delivery": "hybrid", "venue": "x" * 301}, "venue", "Use at most 300 characters."),
        (
            {"host_type": "external", "host_organization": "x" * 201},
            "host_organization",
            "Use at most 200 characters.",
        ),
        (
            {"external_url": "https://x.example/" + "x" * 500},
            "external_url",
            "Use at most 500 characters.",
        ),
        (
            {"capacity": MAX_CAPACITY + 1},
            "capacity",
            f"The capacity can be at most {MAX_CAPACITY}.",
        ),
        ({"capacity": -1}, "capacity", "The capacity cannot be negative."),
        ({"capacity": None}, "capacity", "Enter the number of seats."),
        (
            {"registration_closes_at": STARTS + timedelta(minutes=1)},
            "registration_closes_at",
            "Registration must close by the start.",
        ),
        (
            {"registration_opens_at": NOW, "registration_closes_at": NOW},
            "registration_closes_at",
            "Registration must close after it opens.",
        ),
        (
            {"meeting_url": "meet.example.jp/abc"},
            "meeting_url",
            "Enter a web address beginning with https://.",
        ),
        (
            {"meeting_url": None},
            "meeting_url",
            "An online or hybrid seminar needs its meeting URL.",
        ),
        ({"delivery": "in-person"}, "venue", "An in-person or hybrid seminar needs a venue."),
        (
            {"external_url": "javascript:alert(1)"},
            "external_url",
            "Enter a web address beginning with https://.",
        ),
        ({"host_type": "in-company"}, "host_organization", "Name the organization that hosts it."),
    ],
)
def test_each_rule_names_its_field(changes, field, message):
    problems = seminar_problems(good(**changes), NOW)

    assert list(problems) == [field]
    assert problems[field].startswith(message)


def test_problems_come_in_form_order():
    values = good(
        title="",
        series="",
        starts_at=None,
        ends_at=None,
        venue=" ",
        delivery="hybrid",
        host_type="external",
        capacity=-1,
        registration_opens_at=NOW,
        registration_closes_at=NOW - timedelta(days=1),
        meeting_url="nowhere",
        external_url="nowhere",
    )

    assert list(seminar_problems(values, NOW)) == [
        "title",
        "series",
        "starts_at",
        "ends_at",
        "capacity",
        "registration_closes_at",
        "meeting_url",
        "venue",
        "external_url",
        "host_organization",
    ]


def test_a_long_meeting_url_that_is_no_web_address_is_told_so_where_lengths_are_reported():
    problems = seminar_problems(good(meeting_url="x" * 501, capacity=-1), NOW)

    assert list(problems) == ["meeting_url", "capacity"]
    assert problems["meeting_url"] == "Enter a web address beginning with https://."


def test_a_seminar_recorded_after_it_ended_needs_neither_seats_nor_meeting_url():
    past = good(
        starts_at=NOW - timedelta(days=2),
        ends_at=NOW - timedelta(days=2) + timedelta(hours=2),
        capacity=None,
        meeting_url=None,
    )

    assert seminar_problems(past, NOW) == {}


def test_a_seminar_hosted_elsewhere_needs_neither_seats_nor_meeting_url():
    external = good(host_type="external", host_organization="東京商工会議所")

    assert seminar_problems(replace(external, capacity=None, meeting_url=None), NOW) == {}


def test_admission_is_one_of_its_values():
    assert list(admission_problems("raffle", None)) == ["admission"]
    assert admission_problems("first-come", None) == {}


def test_a_lottery_needs_its_application_deadline():
    assert list(admission_problems("lottery", None)) == ["registration_closes_at"]
    assert admission_problems("lottery", STARTS - timedelta(days=7)) == {}
