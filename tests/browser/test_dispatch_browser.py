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


def _held_in_the_past(live_server, organization: str) -> tuple[int, int, int]:
    """Time passes: the company's seminar took place this morning (it ended an hour ago);
    (request id, seminar id, client id)."""
    from datetime import timedelta

    from sqlalchemy import select

    from seminar_app.dispatch.models import DispatchRequest
    from seminar_app.timeutil import utcnow

    with live_database(live_server) as session:
        request = session.scalar(
            select(DispatchRequest).where(DispatchRequest.organization == organization)
        )
        now = utcnow().replace(microsecond=0)
        request.seminar.starts_at = now - timedelta(hours=3)
        request.seminar.ends_at = now - timedelta(hours=1)
        session.commit()
        return request.id, request.seminar_id, request.client_id


def _request_id(live_server, organization: str) -> int:
    from sqlalchemy import select

    from seminar_app.dispatch.models import DispatchRequest

    with live_database(live_server) as session:
        return session.scalar(
            select(DispatchRequest.id).where(DispatchRequest.organization == organization)
        )


def _fill_the_request(page, organization: str, day: str) -> None:
    page.fill("#organization", organization)
    page.fill("#address", "大阪府大阪市北区梅田1-1-1")
    page.select_option("#prefecture", "27")
    page.select_option("#attribute", "sme")
    page.select_option("#employee_band", "51-100")
    page.fill("#contact_name", "総務 次郎")
    page.fill("#contact_email", "soumu@journey.example.jp")
    page.fill("#contact_phone", "06-1234-5678")
    page.fill("#preferred_date_1", day)
    page.fill("#preferred_start_1", "14:00")
    page.fill("#preferred_end_1", "16:00")
    page.locator("input[name=theme_steps]").nth(2).check()  # 3 規程
    page.fill("#audience", "開発部門の管理職")
    page.fill("#audience_size", "40")
    page.locator("input[name=delivery][value=in-person]").check()
    page.fill("#place", "本社 3階 大会議室")
    page.locator("#privacy_notice_agreed").check()


def test_the_whole_path_from_a_phone_request_to_the_report_and_the_clients_page(
    live_server, open_page
):
    """Issue 18's journey: a company asks on a phone; an organizer schedules it; the
    lecturer's feed has it; after the seminar the head-count and the report are recorded;
    two participants answer the survey through the link the contact forwards; the
    fiscal-year report counts the seminar, its attendees and its satisfaction; the
    company's page at the desk shows the request and the seminar."""
    from tests.dispatch_helpers import in_days

    organization = "株式会社道のり製作所"
    day = in_days(300)
    organizer = open_page("ja")
    log_in(organizer, live_server, "organizer@example.org")
    organizer.goto(f"{live_server}/console/reports/")
    delivered_before = int(organizer.locator('[data-dispatch="delivered"]').inner_text())

    # The company, on a phone.
    company = open_page("ja", **PHONE)
    company.goto(f"{live_server}/dispatch/request")
    _fill_the_request(company, organization, day)
    with company.expect_navigation():
        company.get_by_role("button", name="申し込む").click()
    expect(company.locator(".flash-success")).to_be_visible()
    contact_page = company.url

    # The organizer schedules it on the company's first choice, with the lecturer.
    # The queue lists the oldest first, 50 to a page: this request, the newest, may be on
    # the last page once the other tests' requests wait too.
    organizer.goto(f"{live_server}/console/dispatch/{_request_id(live_server, organization)}")
    with organizer.expect_navigation():
        organizer.get_by_role("link", name=re.compile("^第1希望")).click()
    organizer.get_by_label("講師 一郎").check()
    with organizer.expect_navigation():
        organizer.get_by_role("button", name="日程を確定して招待を送る").click()
    expect(organizer.locator(".flash-success")).to_contain_text("日程を確定しました")

    # The lecturer's calendar feed has it.
    lecturer = open_page("ja")
    log_in(lecturer, live_server, "lecturer@example.org")
    lecturer.goto(f"{live_server}/lecturer/assignments")
    feed = lecturer.request.get(lecturer.locator("#feed-url").input_value())
    summaries = [str(event.summary) for event in parse_ics(feed.text()).events]
    assert any(organization in summary for summary in summaries), summaries

    # The contact's page now offers the participants' link.
    company.goto(contact_page)
    participants_url = company.locator(".dispatch-participants-link a").get_attribute("href")
    assert "/dispatch/p/" in participants_url
    assert scroll_width(company) <= PHONE["width"]
    screenshot(company, "dispatch-contact-scheduled-ja-phone")

    # The seminar takes place; the organizer prepares the survey and records the delivery.
    request_id, seminar_id, client_id = _held_in_the_past(live_server, organization)
    organizer.goto(f"{live_server}/console/dispatch/{request_id}")
    with organizer.expect_navigation():
        organizer.get_by_role("link", name="アンケートを用意する").click()
    with organizer.expect_navigation():
        organizer.get_by_role("button", name="標準アンケートを作成").click()
    organizer.goto(f"{live_server}/console/dispatch/{request_id}")
    assert organizer.locator("#minutes").input_value() == "120"
    organizer.fill("#attendees", "35")
    organizer.fill("#report", "規程の作り方と棚卸しの進め方を説明した。\n次回は格付けを希望。")
    screenshot(organizer, "dispatch-delivery-form-ja-desktop")
    with organizer.expect_navigation():
        organizer.get_by_role("button", name="実施済みとして記録する").click()
    expect(organizer.locator(".flash-success")).to_contain_text("実施済みとして記録しました")
    expect(organizer.locator("#report")).to_have_value(re.compile("^規程の作り方"))

    # Two participants answer by the forwarded link, each in their own browser.
    for satisfaction in ("5", "2"):
        participant = open_page("ja", **PHONE)
        participant.goto(participants_url)
        with participant.expect_navigation():
            participant.get_by_role("link", name="アンケートに回答する").click()
        participant.locator(f"#q-satisfaction-{satisfaction}").check()
        participant.locator("#q-understanding-4").check()
        assert scroll_width(participant) <= PHONE["width"]
        if satisfaction == "5":
            screenshot(participant, "dispatch-participants-survey-ja-phone")
        with participant.expect_navigation():
            participant.get_by_role("button", name="回答を送信する").click()
        expect(participant.locator(".flash-success")).to_be_visible()
        participant.goto(participants_url)
        expect(participant.locator("#survey-heading")).to_be_visible()
        if satisfaction == "2":
            screenshot(participant, "dispatch-participants-answered-ja-phone")

    # The report counts the seminar as delivered, with its head-count and satisfaction.
    organizer.goto(f"{live_server}/console/reports/")
    assert int(organizer.locator('[data-dispatch="delivered"]').inner_text()) == (
        delivered_before + 1
    )
    cell = organizer.locator(f'[data-seminar-attendees="{seminar_id}"]')
    expect(cell).to_contain_text("35")
    expect(cell.locator("xpath=..")).to_contain_text("50.0%")  # one of two rated 4 or 5

    # The company's page at the desk shows the request and its seminar.
    organizer.goto(f"{live_server}/console/consultations/clients/{client_id}")
    expect(organizer.locator(f'[data-dispatch-request="{request_id}"]')).to_be_visible()
    expect(organizer.locator(f'[data-dispatch-seminar="{seminar_id}"]')).to_be_visible()


def test_the_participants_pages_and_the_delivery_form_are_accessible(
    live_server,
    axe_page,  # noqa: F811
):
    from tests.dispatch_helpers import in_days

    organization = "株式会社アクセス検査"
    company = axe_page("ja", **PHONE)
    company.goto(f"{live_server}/dispatch/request")
    _fill_the_request(company, organization, in_days(310))
    with company.expect_navigation():
        company.get_by_role("button", name="申し込む").click()
    organizer = axe_page("ja")
    log_in(organizer, live_server, "organizer@example.org")
    # The queue lists the oldest first, 50 to a page: this request, the newest, may be on
    # the last page once the other tests' requests wait too.
    organizer.goto(f"{live_server}/console/dispatch/{_request_id(live_server, organization)}")
    with organizer.expect_navigation():
        organizer.get_by_role("link", name=re.compile("^第1希望")).click()
    organizer.get_by_label("講師 一郎").check()
    with organizer.expect_navigation():
        organizer.get_by_role("button", name="日程を確定して招待を送る").click()
    request_id, seminar_id, _ = _held_in_the_past(live_server, organization)
    organizer.goto(f"{live_server}/console/seminars/{seminar_id}/survey")
    with organizer.expect_navigation():
        organizer.get_by_role("button", name="標準アンケートを作成").click()
    organizer.goto(f"{live_server}/console/dispatch/{request_id}")
    assert_accessible(organizer, axe_page.source, "a request's page with the delivery form")
    organizer.fill("#attendees", "-3")
    with organizer.expect_navigation():
        organizer.get_by_role("button", name="実施済みとして記録する").click()
    expect(organizer.locator("#attendees-error")).to_be_visible()
    assert_accessible(organizer, axe_page.source, "the delivery form with errors")
    url = organizer.locator(".dispatch-participants-link code").inner_text()
    participant = axe_page("ja", **PHONE)
    participant.goto(url)
    assert_accessible(participant, axe_page.source, "the participants' page")
    participant.goto(f"{url}/survey")
    assert_accessible(participant, axe_page.source, "the participants' survey")
    with participant.expect_navigation():
        participant.get_by_role("button", name="回答を送信する").click()  # nothing chosen
    assert_accessible(participant, axe_page.source, "the participants' survey with errors")
