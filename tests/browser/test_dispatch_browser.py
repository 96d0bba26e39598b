"""Lecturer dispatch in Chromium: the request form on a phone, in Japanese (it fits the
screen's width, answers an empty submission beside the fields, passes axe-core); an
organizer scheduling a request from the company's choices, refused beside the staff for an
overlap, and the lecturer finding the assignment in their calendar feed. Pictures go to
test-output/screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import live_database, log_in, screenshot
from tests.browser.test_accessibility import assert_accessible, axe_page  # noqa: F401
from tests.test_invites import invite_of, parse_ics

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_request_form_fits_a_phone_and_answers_beside_the_fields(live_server, open_page):
    page = open_page("ja", **PHONE)
    response = page.goto(f"{live_server}/dispatch/request")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text().startswith("講師派遣")
    assert scroll_width(page) <= PHONE["width"]
    screenshot(page, "dispatch-request-ja-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="申し込む").click()
    assert page.locator("#preferred_date_1-error").inner_text().startswith("希望日時を")
    assert page.locator(".field-error").count() >= 10
    assert scroll_width(page) <= PHONE["width"]
    screenshot(page, "dispatch-request-ja-phone-errors")


def test_the_request_form_is_accessible(live_server, axe_page):  # noqa: F811
    page = axe_page("ja", **PHONE)
    page.goto(f"{live_server}/dispatch/request")
    assert_accessible(page, axe_page.source, "the dispatch request form")
    with page.expect_navigation():
        page.get_by_role("button", name="申し込む").click()
    assert_accessible(page, axe_page.source, "the dispatch request form with errors")


def arrange_requests(live_server) -> tuple[int, int, str]:
    """Two companies' requests on far days (no other test's seminar is near): the first's
    second choice (13:00–15:00) overlaps the second's first (14:00–16:00); their ids and
    the day of both."""
    from tests.dispatch_helpers import in_days, submit

    with live_database(live_server) as session:
        first = submit(
            session,
            preferred_date_1=in_days(330),
            preferred_date_2=in_days(331),
            preferred_start_2="13:00",
            preferred_end_2="15:00",
        )
        second = submit(session, preferred_date_1=in_days(331))
        return first.id, second.id, in_days(331)


def test_an_organizer_schedules_and_the_lecturer_finds_it_in_their_calendar(live_server, open_page):
    first, second, day = arrange_requests(live_server)
    page = open_page("ja")
    log_in(page, live_server, "organizer@example.org")
    page.goto(f"{live_server}/console/dispatch/{first}")
    # One click on the company's second choice fills the date and the times.
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^第2希望")).click()
    assert page.locator("#day").input_value() == day
    assert page.locator("#start_time").input_value() == "13:00"
    page.get_by_label("講師 一郎").check()
    screenshot(page, "dispatch-schedule-ja-desktop")
    with page.expect_navigation():
        page.get_by_role("button", name="日程を確定して招待を送る").click()
    expect(page.locator(".flash-success")).to_contain_text("日程を確定しました")
    expect(page.locator(".dispatch-schedule")).to_contain_text("講師 一郎")

    # The same lecturer at the same time for another company: refused beside the staff.
    page.goto(f"{live_server}/console/dispatch/{second}")
    page.get_by_label("講師 一郎").check()
    page.get_by_role("button", name="日程を確定して招待を送る").click()
    expect(page.locator("#staff-error")).to_contain_text("講師 一郎")
    expect(page.locator("#staff-error")).to_contain_text("社内セミナー")

    # The lecturer: an invite by mail, and the assignment in their feed.
    [invite] = [
        mail
        for mail in live_server.mails_to("lecturer@example.org")
        if "講師派遣" in str(mail["Subject"])
    ]
    [event] = invite_of(invite).events
    lecturer = open_page("ja", **PHONE)
    log_in(lecturer, live_server, "lecturer@example.org")
    lecturer.goto(f"{live_server}/lecturer/assignments")
    assert scroll_width(lecturer) <= PHONE["width"]
    screenshot(lecturer, "dispatch-assignments-ja-phone")
    feed = lecturer.request.get(lecturer.locator("#feed-url").input_value())
    assert feed.status == 200
    uids = {entry.uid for entry in parse_ics(feed.text()).events}
    assert event.uid in uids


def test_the_schedule_form_and_the_assignments_page_are_accessible(
    live_server,
    axe_page,  # noqa: F811
):
    first, _, _ = arrange_requests(live_server)
    page = axe_page("ja")
    log_in(page, live_server, "organizer@example.org")
    page.goto(f"{live_server}/console/dispatch/{first}")
    assert_accessible(page, axe_page.source, "a request's page with the schedule form")
    with page.expect_navigation():
        page.get_by_role("button", name="日程を確定して招待を送る").click()  # nobody chosen
    expect(page.locator("#staff-error")).to_be_visible()
    assert_accessible(page, axe_page.source, "the schedule form with errors")
    lecturer = axe_page("ja")
    log_in(lecturer, live_server, "lecturer@example.org")
    lecturer.goto(f"{live_server}/lecturer/assignments")
    assert_accessible(lecturer, axe_page.source, "the lecturer's assignments")
