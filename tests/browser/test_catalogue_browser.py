"""The catalogue in a real browser, as a new visitor meets it."""

import pytest

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_catalogue_in_japanese_filtered_by_level_then_english(live_server, open_page):
    page = open_page("ja")
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "セミナー" in page.locator("h1").inner_text()
    assert page.locator(".card").count() > 0
    screenshot(page, "catalogue-ja-desktop")

    page.select_option("#f-level", "workshop")
    page.get_by_role("button", name="表示").click()
    page.wait_for_url("**/?level=workshop**")
    titles = page.locator(".card-title").all_inner_texts()
    assert titles and all("ワークショップ" in title for title in titles)

    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "level=workshop" in page.url
    assert "Workshop" in page.locator(".tag-level").first.inner_text()
    screenshot(page, "catalogue-en-workshop-desktop")


def test_fiscal_year_2020_programme_is_listed(live_server, open_page):
    page = open_page("ja")
    page.goto(live_server + "/?fiscal_year=2020")
    assert page.locator(".card").count() == 6
    assert "2020年11月16日（月）" in page.locator(".card-when").all_inner_texts()[-1]


def test_phone_layout_has_no_horizontal_scroll(live_server, open_page):
    page = open_page("ja", width=390, height=844)
    page.goto(live_server + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "catalogue-ja-phone")
    page.locator(".card-title a").first.click()
    page.wait_for_load_state()
    assert page.locator(".register-box").is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "seminar-ja-phone")


def test_seminar_page_desktop(live_server, open_page):
    page = open_page("ja")
    page.goto(live_server + "/seminars/2026-12-16-trade-secret-intermediate")
    assert "2026年12月16日（水）14:00–16:30" in page.locator(".facts").inner_text()
    screenshot(page, "seminar-ja-desktop")
