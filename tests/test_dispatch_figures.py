"""Lecturer dispatch counted (issue 18, item 5): the dispatch figures of a fiscal year, each
in the year of the moment that makes it (the boundary of 31 March / 1 April in Tokyo time),
by prefecture and type of organization; the same numbers on the report's page and in the
JSON API; the in-company seminars that scheduling makes counted as in-company, online or
not by their delivery, with the head-count recorded at delivery."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from seminar_app.api.openapi import openapi_document
from seminar_app.auth.services import issue_api_token
from seminar_app.dispatch import services
from seminar_app.dispatch.delivery import Delivered, deliver
from seminar_app.dispatch.figures import DispatchCounts, dispatch_figures
from seminar_app.dispatch.models import DispatchRequest
from seminar_app.domain import Role
from seminar_app.reports.services import fiscal_year_figures
from seminar_app.timeutil import JST
from tests.dispatch_helpers import request_data

FY = 2025
#: 2026-03-31 23:59:59 JST, the last second of FY2025, and 2026-04-01 00:00 JST, FY2026's first.
LAST_SECOND_FY2025 = datetime(2026, 3, 31, 23, 59, 59, tzinfo=JST).astimezone(UTC)
FIRST_SECOND_FY2026 = datetime(2026, 4, 1, 0, 0, tzinfo=JST).astimezone(UTC)


def jst(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=JST).astimezone(UTC)


def receive(db_session, at: datetime, **overrides) -> DispatchRequest:
    """A request received at `at`, committed."""
    request = services.submit_request(
        db_session, request_data(**overrides), now=at, privacy_notice_version="2026-04"
    )
    db_session.commit()
    return request


def schedule(db_session, request, staff, starts_at, *, delivery="in-person", hours=2):
    """Scheduled a week before the seminar, which `starts_at` (may be in the past)."""
    seminar = services.schedule(
        db_session,
        request,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        delivery=delivery,
        staff=[staff],
        by=None,
        now=starts_at - timedelta(days=7),
    )
    db_session.commit()
    return seminar


def decide(db_session, request, state, at, organizer):
    services.change_state(db_session, request, state, by=organizer, now=at, reason="日程が合わず")
    db_session.commit()


def delivered(db_session, request, attendees, organizer):
    deliver(
        db_session,
        request,
        Delivered(attendees),
        by=organizer,
        now=request.seminar.ends_at + timedelta(hours=1),
    )
    db_session.commit()


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)


@pytest.fixture
def lecturer(make_user):
    return make_user(Role.LECTURER, Role.ADVISOR, display_name="派遣 講師")


def counts(figures) -> DispatchCounts:
    """The year's figures in all, without their breakdowns."""
    return DispatchCounts(
        received=figures.received,
        scheduled=figures.scheduled,
        delivered=figures.delivered,
        declined=figures.declined,
        withdrawn=figures.withdrawn,
    )


# --- each figure in its fiscal year -------------------------------------------------------------


def test_an_empty_year_counts_nothing(db_session):
    figures = dispatch_figures(db_session, 2015)
    assert counts(figures) == DispatchCounts()
    assert figures.by_prefecture == {} and figures.by_attribute == {}


def test_a_request_counts_as_received_in_the_year_of_its_receipt_in_tokyo_time(db_session):
    receive(db_session, LAST_SECOND_FY2025)
    receive(db_session, FIRST_SECOND_FY2026)
    assert dispatch_figures(db_session, 2025).received == 1
    assert dispatch_figures(db_session, 2026).received == 1


def test_scheduled_and_delivered_count_in_the_year_of_the_seminar_not_of_the_receipt(
    db_session, lecturer, organizer
):
    # Received in FY2025, its seminar on 1 April: scheduled and delivered in FY2026.
    late = receive(db_session, jst(3, 20))
    schedule(db_session, late, lecturer, FIRST_SECOND_FY2026 + timedelta(hours=9))
    delivered(db_session, late, 12, organizer)
    # Its seminar ends at the last second of FY2025, not yet marked delivered.
    early = receive(db_session, jst(3, 1))
    schedule(db_session, early, lecturer, LAST_SECOND_FY2025 - timedelta(hours=2), hours=2)
    assert counts(dispatch_figures(db_session, 2025)) == DispatchCounts(received=2, scheduled=1)
    assert counts(dispatch_figures(db_session, 2026)) == DispatchCounts(scheduled=1, delivered=1)


def test_declined_and_withdrawn_count_in_the_year_of_the_decision(db_session, organizer):
    declined = receive(db_session, jst(3, 10))
    withdrawn = receive(db_session, jst(3, 10))
    decide(db_session, declined, "declined", LAST_SECOND_FY2025, organizer)
    decide(db_session, withdrawn, "withdrawn", FIRST_SECOND_FY2026, organizer)
    assert counts(dispatch_figures(db_session, 2025)) == DispatchCounts(received=2, declined=1)
    assert counts(dispatch_figures(db_session, 2026)) == DispatchCounts(withdrawn=1)


def test_a_request_withdrawn_after_scheduling_is_no_longer_counted_as_scheduled(
    db_session, lecturer, organizer
):
    request = receive(db_session, jst(5, 1, year=2025))
    schedule(db_session, request, lecturer, jst(6, 1, year=2025))
    assert dispatch_figures(db_session, FY).scheduled == 1
    decide(db_session, request, "withdrawn", jst(5, 20, year=2025), organizer)
    assert counts(dispatch_figures(db_session, FY)) == DispatchCounts(received=1, withdrawn=1)


def test_the_figures_are_broken_down_by_prefecture_and_type_of_organization(
    db_session, lecturer, organizer
):
    tokyo_sme = receive(db_session, jst(5, 1, year=2025), prefecture="13", attribute="sme")
    receive(db_session, jst(5, 2, year=2025), prefecture="27", attribute="university")
    osaka_large = receive(
        db_session, jst(5, 3, year=2025), prefecture="27", attribute="large-company"
    )
    schedule(db_session, tokyo_sme, lecturer, jst(6, 1, year=2025))
    decide(db_session, osaka_large, "declined", jst(5, 10, year=2025), organizer)
    figures = dispatch_figures(db_session, FY)
    assert figures.by_prefecture == {
        "13": DispatchCounts(received=1, scheduled=1),
        "27": DispatchCounts(received=2, declined=1),
    }
    # In the order of the vocabulary, not of the codes.
    assert list(figures.by_attribute) == ["sme", "large-company", "university"]
    assert figures.by_attribute["large-company"] == DispatchCounts(received=1, declined=1)
    assert counts(figures) == DispatchCounts(received=3, scheduled=1, declined=1)


# --- the report: the page and the API -----------------------------------------------------------


@pytest.fixture
def a_year_of_dispatch(db_session, lecturer, organizer):
    """FY2025: four requests from Tokyo and Osaka; one delivered, one declined."""
    done = receive(db_session, jst(5, 1, year=2025), prefecture="13", attribute="sme")
    schedule(db_session, done, lecturer, jst(6, 1, year=2025), delivery="online")
    delivered(db_session, done, 25, organizer)
    refused = receive(db_session, jst(5, 2, year=2025), prefecture="27", attribute="sme")
    decide(db_session, refused, "declined", jst(5, 9, year=2025), organizer)
    receive(db_session, jst(7, 1, year=2025), prefecture="27", attribute="public-body")
    on = receive(db_session, jst(8, 1, year=2025), prefecture="13", attribute="university")
    schedule(db_session, on, lecturer, jst(9, 1, year=2025), delivery="in-person")
    return done


def _page_numbers(html: str, attribute: str) -> dict[str, int]:
    return {key: int(value) for key, value in re.findall(rf'{attribute}="([^"]+)">(\d+)<', html)}


def test_the_report_page_and_the_api_give_the_same_dispatch_figures(
    client, organizer_client, db_session, make_user, a_year_of_dispatch
):
    figures = dispatch_figures(db_session, FY)
    assert counts(figures) == DispatchCounts(received=4, scheduled=2, delivered=1, declined=1)
    html = organizer_client.get(f"/console/reports/?fy={FY}").get_data(as_text=True)
    assert 'id="dispatch"' in html
    shown = _page_numbers(html, "data-dispatch")
    assert shown == {"received": 4, "scheduled": 2, "delivered": 1, "declined": 1, "withdrawn": 0}
    by_prefecture = _page_numbers(html, "data-dispatch-prefecture")
    assert by_prefecture["13:received"] == 2 and by_prefecture["27:declined"] == 1
    by_attribute = _page_numbers(html, "data-dispatch-attribute")
    assert by_attribute["sme:delivered"] == 1 and by_attribute["public-body:received"] == 1

    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    answer = client.get(
        f"/api/v1/reports/fiscal-years/{FY}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    schemas = openapi_document("x")["components"]["schemas"]
    jsonschema.validate(answer, schemas["FiscalYearReport"])
    dispatch = answer["dispatch"]
    assert {name: dispatch[name] for name in shown} == shown
    assert {
        f"{code}:{name}": number
        for code, numbers in dispatch["by_prefecture"].items()
        for name, number in numbers.items()
    } == by_prefecture
    assert {
        f"{code}:{name}": number
        for code, numbers in dispatch["by_attribute"].items()
        for name, number in numbers.items()
    } == by_attribute


def test_the_report_page_of_a_year_without_dispatch_shows_zeros(organizer_client):
    html = organizer_client.get("/console/reports/?fy=2015").get_data(as_text=True)
    assert _page_numbers(html, "data-dispatch") == dict.fromkeys(
        ("received", "scheduled", "delivered", "declined", "withdrawn"), 0
    )


def test_scheduled_seminars_are_counted_as_in_company_online_or_not_by_their_delivery(
    db_session, a_year_of_dispatch
):
    # Both ended by now: held. One online with 25 people counted at delivery, one on site.
    now = datetime(2026, 3, 1, tzinfo=UTC)
    figures = fiscal_year_figures(db_session, FY, now)
    in_company = figures.seminars.by_host_type["in-company"]
    assert (in_company.total, in_company.online) == (2, 1)
    assert figures.seminars.by_host_type["agency"].total == 0
    assert figures.attendees.by_host_type["in-company"] == 25
    # The one on site has no head-count yet: held, its attendees unknown.
    assert in_company.without_head_count == 1
