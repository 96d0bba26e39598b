"""The check-in desk in a real browser: a scanner types the code and Enter."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import UPCOMING_SLUG as SLUG
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def _register(page, live_server) -> str:
    page.goto(f"{live_server}/seminars/{SLUG}/register")
    page.fill("#name", "受付 太郎")
    page.fill("#name_kana", "うけつけ たろう")
    page.fill("#email", "desk.taro@example.jp")
    page.select_option("#attribute", "individual")
    page.select_option("#prefecture", "27")
    page.get_by_role("radio", name=re.compile("^会場")).check()  # the seminar is hybrid
    page.check("#privacy_notice_agreed")
    page.get_by_role("button", name="入力内容の確認").click()
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_url("**/r/**")
    return page.locator(".ticket-code").inner_text().strip()


def test_scanner_checks_in_then_warns_then_undoes(live_server, open_page):
    code = _register(open_page("ja"), live_server)

    desk = open_page("ja", width=1024, height=768)
    desk.goto(f"{live_server}/login")
    desk.fill("#email", "organizer@example.org")
    desk.fill("#password", "browser-test-pass")
    desk.get_by_role("button", name="ログイン").click()
    desk.goto(f"{live_server}/desk/")
    desk.get_by_role("link", name="ブラウザ確認用").click()
    field = desk.locator("#code")
    assert field.evaluate("element => element === document.activeElement")
    # The desk answers from the roster it keeps (desk-offline.js), without a new page.
    expect(desk.locator("#desk")).to_have_attribute("data-roster", "kept")

    desk.keyboard.type(code)  # what a USB scanner does: the characters, then Enter
    desk.keyboard.press("Enter")
    expect(desk.locator(".result")).to_contain_text("受付しました")
    assert "受付 太郎" in desk.locator(".result").inner_text()
    assert desk.locator("#code").evaluate("element => element === document.activeElement")
    screenshot(desk, "desk-checked-in")

    desk.keyboard.type(code)
    desk.keyboard.press("Enter")
    expect(desk.locator(".result")).to_contain_text("受付済みです")
    screenshot(desk, "desk-already")

    # Sent to the server by now: the server undoes it and answers with the desk page.
    expect(desk.locator("#desk-status")).to_have_attribute("data-waiting", "0")
    with desk.expect_navigation():
        desk.get_by_role("button", name="この受付を取り消す").click()
    assert "受付を取り消しました" in desk.content()
    assert desk.locator("[data-checked-in]").inner_text() == "0"
