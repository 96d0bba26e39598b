"""The consultation desk in a real browser: an advisor records, a lecturer sees nothing."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser

SECRET = "試作品Bの図面は設計部の施錠キャビネットで保管"


def test_an_advisor_records_a_consultation_and_a_lecturer_cannot_read_it(live_server, open_page):
    page = open_page("ja", width=390, height=844)
    log_in(page, live_server, "advisor@example.org")
    page.goto(f"{live_server}/console/consultations/new")
    assert page.locator("#advisor").input_value() != "0"  # the advisor is preselected
    page.fill("#held_on", "2026-10-05")
    page.select_option("#channel", "online")
    page.fill("#organization", "株式会社みらい精工")
    page.fill("#corporate_number", "9234567890123")
    page.select_option("#attribute", "sme")
    page.select_option("#employee_band", "21-50")
    page.select_option("#industry", "E")
    page.select_option("#prefecture", "23")
    page.check("input[name=topics][value=trade-secret-management]")
    page.check("input[name=topics][value=departing-employees]")
    page.select_option("#source", "prefectural-desk")
    page.select_option("#step", "3")
    page.fill("#notes", SECRET)
    screenshot(page, "consultation-form-ja-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "相談を記録しました" in page.content()
    assert SECRET not in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name="相談メモを表示").click()
    assert SECRET in page.locator(".notes-panel").inner_text()
    screenshot(page, "consultation-ja-phone")
    consultation_url = page.url.removesuffix("/notes")

    with page.expect_navigation():
        page.get_by_role("link", name="株式会社みらい精工").click()
    assert page.locator(".steps li.step-done").count() == 3
    screenshot(page, "client-history-ja-phone")

    desktop = open_page("ja", width=1280, height=900)
    log_in(desktop, live_server, "organizer@example.org")
    desktop.goto(f"{live_server}/console/consultations/")
    assert "株式会社みらい精工" in desktop.content()
    screenshot(desktop, "consultations-ja-desktop")

    lecturer = open_page("ja")
    log_in(lecturer, live_server, "lecturer@example.org")
    for url in (
        consultation_url,
        f"{consultation_url}/notes",
        f"{live_server}/console/consultations/",
    ):
        response = lecturer.goto(url)
        assert response.status == 403
        assert SECRET not in lecturer.content()
