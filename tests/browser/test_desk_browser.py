"""The check-in desk in a real browser: a scanner types the code and Enter."""

import re

import pytest

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

    desk.keyboard.type(code)  # what a USB scanner does: the characters, then Enter
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    assert "受付しました" in desk.locator(".result").inner_text()
    assert "受付 太郎" in desk.locator(".result").inner_text()
    assert desk.locator("#code").evaluate("element => element === document.activeElement")
    screenshot(desk, "desk-checked-in")

    desk.keyboard.type(code)
    with desk.expect_navigation():
        desk.keyboard.press("Enter")
    assert "受付済みです" in desk.locator(".result").inner_text()
    screenshot(desk, "desk-already")

    with desk.expect_navigation():
        desk.get_by_role("button", name="この受付を取り消す").click()
    assert "受付を取り消しました" in desk.content()
    assert desk.locator("[data-checked-in]").inner_text() == "0"
