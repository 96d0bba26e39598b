"""Registering for a seminar in a real browser, on a phone, in Japanese."""

import re

import pytest

from tests.browser.conftest import UPCOMING_SLUG as SLUG
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

#: The labels of a page's facts that its layout breaks over two lines or more.
LINES_OF_LABELS = """() => [...document.querySelectorAll('.facts dt')].filter(label => {
  const text = document.createRange();
  text.selectNodeContents(label);
  const tops = new Set([...text.getClientRects()].map(box => Math.round(box.top)));
  return tops.size > 1;
}).map(label => label.textContent.trim())"""


def labels_broken_across_lines(page) -> list[str]:
    return page.evaluate(LINES_OF_LABELS)


def test_register_on_a_phone_then_see_the_registration(live_server, open_page):
    page = open_page("ja", width=390, height=844)
    page.goto(f"{live_server}/seminars/{SLUG}")
    page.get_by_role("link", name="申し込む").click()
    page.wait_for_url(f"**/seminars/{SLUG}/register")
    assert "ドメイン指定受信" in page.content()
    screenshot(page, "register-ja-phone")

    page.get_by_role("button", name="入力内容の確認").click()
    assert page.locator(".field-error").count() >= 4  # nothing filled in yet
    page.fill("#name", "山田 太郎")
    page.fill("#name_kana", "やまだ たろう")
    page.fill("#email", "browser.taro@example.jp")
    page.select_option("#attribute", "sme")
    page.fill("#organization", "株式会社ブラウザ")
    page.select_option("#prefecture", "13")
    page.select_option("#employee_band", "21-50")
    # The seminar is hybrid: 参加方法 is asked, each way with its seats left.
    choice = page.locator("fieldset.attendance-choice")
    assert "参加方法" in choice.inner_text() and "残り" in choice.inner_text()
    assert "参加方法（会場またはオンライン）を選んでください。" in choice.inner_text()
    page.get_by_role("radio", name=re.compile("^オンライン")).check()
    page.check("#privacy_notice_agreed")
    choice.scroll_into_view_if_needed()
    screenshot(page, "register-hybrid-online-ja-phone")
    page.get_by_role("button", name="入力内容の確認").click()
    # 確認: what was entered, nothing sent yet; going back keeps every field.
    confirmation = page.locator(".confirm-facts")
    confirmation.wait_for()
    for shown in ("山田 太郎", "browser.taro@example.jp", "株式会社ブラウザ", "東京都", "中小企業"):
        assert shown in confirmation.inner_text()
    assert confirmation.locator("dt").first.inner_text() == "参加方法"
    assert "参加方法\nオンライン" in confirmation.inner_text()
    assert labels_broken_across_lines(page) == []
    screenshot(page, "register-confirm-ja-phone")
    page.get_by_role("button", name="入力画面に戻る").click()
    page.locator("#name").wait_for()
    assert page.input_value("#name") == "山田 太郎"
    assert page.input_value("#prefecture") == "13"
    assert page.is_checked("#privacy_notice_agreed")
    assert page.get_by_role("radio", name=re.compile("^オンライン")).is_checked()
    page.get_by_role("button", name="入力内容の確認").click()
    page.get_by_role("button", name="申し込む").click()
    page.wait_for_url("**/r/**")
    assert page.locator(".form-steps [aria-current=step]").inner_text().endswith("完了")
    assert "参加確定" in page.locator(".facts").inner_text()
    assert "参加方法\nオンライン" in page.locator(".facts").inner_text()
    assert page.get_by_role("link", name="オンラインで参加する").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert labels_broken_across_lines(page) == []
    screenshot(page, "manage-ja-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert labels_broken_across_lines(page) == []
    screenshot(page, "manage-ja-desktop")
    page.set_viewport_size({"width": 390, "height": 844})

    with page.expect_download() as download:
        page.get_by_role("link", name=".ics").click()
    assert download.value.suggested_filename.endswith(".ics")
