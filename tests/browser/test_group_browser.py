"""A group registration (団体申込) end to end, on a phone, in Japanese: the contact registers
with two colleagues (入力 → 確認 → 完了), each person receives their own mail, the contact
opens their page from the mail, cancels one colleague and adds another; the colleague's own
link shows their registration only. Screenshots at phone and desktop sizes."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser import test_accessibility
from tests.browser.conftest import live_database, screenshot
from tests.browser.test_accessibility import assert_accessible
from tests.browser.test_journeys_participant import (
    DESKTOP,
    PHONE,
    _add_seminar,
    _fill_registration,
    _in_days,
    _mails,
    _manage_url,
    _register_directly,
    _text,
)

pytestmark = pytest.mark.browser

#: The accessibility tests' page for axe-core, as the fixture `axe_page` here too.
axe_page = test_accessibility.axe_page

#: Labels, legends, headings and buttons the layout breaks inside a word: a line of a
#: Japanese text that starts with a character that may not begin a line (ー, ）, small kana,
#: punctuation) was cut mid-word.
BROKEN_TEXTS = """() => {
  const cannotStart = /^[ー）」』、。・ぁぃぅぇぉっゃゅょァィゥェォッャュョ：]/;
  const broken = [];
  for (const element of document.querySelectorAll(
      'label, legend, h1, h2, .button, dt, .state, .tag, .group-person-name')) {
    if (!element.offsetParent) continue;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      let previousTop = null;
      for (let i = 0; i < text.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getClientRects()[0];
        if (!box) continue;
        if (previousTop !== null && Math.round(box.top) > previousTop + 2
            && cannotStart.test(text.slice(i))) {
          broken.push(element.textContent.trim());
        }
        previousTop = Math.round(box.top);
      }
    }
  }
  return broken;
}"""


def look_at(page, name: str) -> None:
    """A screenshot, once the page fits the screen and breaks no word of its labels."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than the screen"
    assert page.evaluate(BROKEN_TEXTS) == [], name
    screenshot(page, name)


def both_sizes(page, name: str) -> None:
    look_at(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    look_at(page, f"{name}-desktop")
    page.set_viewport_size(PHONE)


def fill_colleague(page, n: int, *, name: str, kana: str, email: str, department: str = "") -> None:
    block = page.locator("fieldset.colleague").nth(n)
    expect(block.locator("legend")).to_have_text(f"同行者 {n + 1}")
    block.get_by_label("氏名", exact=True).fill(name)
    block.get_by_label("ふりがな", exact=True).fill(kana)
    block.get_by_label("メールアドレス", exact=True).fill(email)
    if department:
        block.get_by_label("部署名", exact=True).fill(department)


def add_colleague_block(page) -> None:
    """「＋ 同行者を追加」: the page comes back with every field kept and one block more."""
    before = page.locator("fieldset.colleague").count()
    with page.expect_navigation():
        page.get_by_role("button", name="同行者を追加").click()
    expect(page.locator("fieldset.colleague")).to_have_count(before + 1)
    # The new colleague's name has the focus, so the phone shows where to type.
    expect(
        page.locator("fieldset.colleague").nth(before).get_by_label("氏名", exact=True)
    ).to_be_focused()


def person(page, name: str):
    return page.locator(".group-person", has_text=name)


def test_a_contact_registers_two_colleagues_cancels_one_and_adds_another(live_server, open_page):
    from seminar_app.domain import Delivery, Level

    token = uuid.uuid4().hex[:8]
    slug = f"journey-group-{token}"
    title = f"営業秘密・知財戦略セミナー（初級）～グループ申込 {token}～"
    contact = f"group.soumu.{token}@example.jp"
    ichiro, jiro, saburo = (
        f"group.{who}.{token}@example.jp" for who in ("ichiro", "jiro", "saburo")
    )
    with live_database(live_server) as session:
        seminar = _add_seminar(
            session,
            slug=slug,
            title=title,
            level=Level.BEGINNER,
            starts=_in_days(8),
            capacity=4,
            delivery=Delivery.IN_PERSON,
        )
        _register_directly(
            session,
            seminar,
            name="先客 太郎",
            kana="せんきゃく たろう",
            email=f"group.before.{token}@example.jp",
            now=_in_days(0),
        )

    # 入力: the contact's own details, then two colleagues, one block at a time.
    page = open_page("ja", **PHONE)
    page.goto(f"{live_server}/seminars/{slug}/register")
    _fill_registration(page, name="総務 花子", kana="そうむ はなこ", email=contact)
    add_colleague_block(page)
    assert page.get_by_label("氏名", exact=True).first.input_value() == "総務 花子"
    assert page.get_by_label("個人情報の取扱いに同意します").is_checked()
    fill_colleague(page, 0, name="同僚 一郎", kana="どうりょう いちろう", email=ichiro)
    add_colleague_block(page)
    fill_colleague(
        page, 1, name="同僚 二郎", kana="どうりょう じろう", email=jiro, department="開発部"
    )
    page.locator("fieldset.colleagues").scroll_into_view_if_needed()
    both_sizes(page, "group-register-filled")

    # 確認: the whole group, the seats free now and who would get one.
    with page.expect_navigation():
        page.get_by_role("button", name="入力内容の確認").click()
    preview = page.locator(".group-preview")
    expect(preview).to_contain_text("現在の空席：3席")
    expect(preview.locator(".group-person")).to_have_count(3)
    for name in ("総務 花子", "同僚 一郎", "同僚 二郎"):
        expect(person(preview, name)).to_contain_text("お席あり")
    expect(person(preview, "同僚 二郎")).to_contain_text("開発部")
    both_sizes(page, "group-confirm")

    # 完了: the group is registered; the contact's page lists everyone.
    with page.expect_navigation():
        page.get_by_role("button", name="3名で申し込む").click()
    page.wait_for_url("**/r/**")
    expect(page.locator(".form-steps [aria-current=step]")).to_contain_text("完了")
    expect(page.locator(".flash-success")).to_contain_text("3名全員の参加が確定しました")
    expect(page.locator("#group .group-person")).to_have_count(3)
    both_sizes(page, "group-done")

    # Each person's own mail, with their own link.
    links = {}
    for address, name in ((contact, "総務 花子"), (ichiro, "同僚 一郎"), (jiro, "同僚 二郎")):
        (mail,) = _mails(live_server, address, "【申込完了】")
        text = _text(mail)
        assert name in text
        links[address] = _manage_url(text)
    assert len(set(links.values())) == 3
    assert "総務 花子 様がグループでお申し込みくださいました" in _text(
        _mails(live_server, jiro, "【申込完了】")[0]
    )

    # The contact opens their page from the mail and cancels 同僚 一郎.
    mine = open_page("ja", **PHONE)
    mine.goto(links[contact])
    group = mine.locator("#group")
    expect(group.locator(".group-person")).to_have_count(3)
    person(group, "同僚 一郎").get_by_role("link", name=re.compile("^キャンセル")).click()
    mine.wait_for_url("**/cancel")
    expect(mine.locator("h1")).to_have_text("同僚 一郎 様のお申し込みをキャンセルしますか？")
    look_at(mine, "group-member-cancel-phone")
    with mine.expect_navigation():
        mine.get_by_role("button", name="はい、キャンセルする").click()
    expect(mine.locator(".flash-success")).to_contain_text(
        "同僚 一郎 様のお申し込みをキャンセルしました"
    )
    expect(person(mine.locator("#group"), "同僚 一郎")).to_contain_text("キャンセル済み")
    (cancelled,) = _mails(live_server, ichiro, "【キャンセル受付】")
    assert "キャンセルを受け付けました" in _text(cancelled)

    # A seat is free again: the contact adds 同僚 三郎.
    mine.get_by_role("link", name="同行者を追加").click()
    mine.wait_for_url("**/group/add")
    mine.get_by_label("氏名", exact=True).fill("同僚 三郎")
    mine.get_by_label("ふりがな", exact=True).fill("どうりょう さぶろう")
    mine.get_by_label("メールアドレス", exact=True).fill(saburo)
    look_at(mine, "group-add-phone")
    with mine.expect_navigation():
        mine.get_by_role("button", name="この方を申し込む").click()
    expect(mine.locator(".flash-success")).to_contain_text("同僚 三郎 様を登録しました")
    expect(person(mine.locator("#group"), "同僚 三郎")).to_contain_text("参加確定")
    # The seminar is full now: no more colleagues, and the page says why.
    expect(mine.get_by_role("link", name="同行者を追加")).to_have_count(0)
    expect(mine.locator("#group")).to_contain_text("空席がありません")
    both_sizes(mine, "group-contact-page")
    (added,) = _mails(live_server, saburo, "【申込完了】")
    assert "総務 花子 様がグループでお申し込みくださいました" in _text(added)

    # A colleague's own link: their registration, nobody else's.
    theirs = open_page("ja", **PHONE)
    theirs.goto(links[jiro])
    expect(theirs.locator(".facts")).to_contain_text("同僚 二郎")
    expect(theirs.locator("#group")).to_have_count(0)
    for other in ("同僚 一郎", "同僚 三郎", contact, ichiro, saburo):
        assert other not in theirs.content()
    expect(theirs.locator(".group-note")).to_contain_text(
        "総務 花子 様がグループでお申し込みくださいました"
    )
    look_at(theirs, "group-member-page-phone")


def test_the_group_pages_are_accessible_and_show_who_would_wait(live_server, axe_page):
    """axe-core on the form with a colleague's errors beside their fields, the confirmation
    of a group that fills the seminar (who gets a seat, who waits) and the contact's page."""
    from seminar_app.domain import Delivery, Level

    token = uuid.uuid4().hex[:8]
    slug = f"journey-group-axe-{token}"
    with live_database(live_server) as session:
        _add_seminar(
            session,
            slug=slug,
            title=f"知財活用支援セミナー～グループ確認 {token}～",
            level=Level.BEGINNER,
            starts=_in_days(9),
            capacity=2,
            delivery=Delivery.ONLINE,
        )
    page = axe_page("ja", **PHONE)
    page.goto(f"{live_server}/seminars/{slug}/register")
    _fill_registration(
        page, name="確認 花子", kana="かくにん はなこ", email=f"axe.{token}@example.jp"
    )
    add_colleague_block(page)
    fill_colleague(page, 0, name="山田 一郎", kana="yamada", email="not-an-address")
    with page.expect_navigation():
        page.get_by_role("button", name="入力内容の確認").click()
    block = page.locator("fieldset.colleague").nth(0)
    expect(block.locator(".field-error")).to_have_count(2)
    expect(block).to_contain_text("ふりがなは、ひらがなまたはカタカナで入力してください。")
    block.scroll_into_view_if_needed()
    look_at(page, "group-register-errors-phone")
    assert_accessible(page, axe_page.source, "the group form with a colleague's errors")

    fill_colleague(
        page, 0, name="山田 一郎", kana="やまだ いちろう", email=f"axe.1.{token}@example.jp"
    )
    add_colleague_block(page)
    fill_colleague(
        page, 1, name="山田 二郎", kana="やまだ じろう", email=f"axe.2.{token}@example.jp"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="入力内容の確認").click()
    preview = page.locator(".group-preview")
    expect(preview).to_contain_text("現在の空席：2席")
    expect(person(preview, "山田 二郎")).to_contain_text("キャンセル待ち 1番目")
    expect(person(preview, "山田 一郎")).to_contain_text("お席あり")
    preview.scroll_into_view_if_needed()
    both_sizes(page, "group-confirm-waitlist")
    assert_accessible(page, axe_page.source, "the confirmation of a group")

    with page.expect_navigation():
        page.get_by_role("button", name="3名で申し込む").click()
    expect(page.locator(".flash-success")).to_contain_text("2名が参加確定、1名がキャンセル待ちです")
    expect(person(page.locator("#group"), "山田 二郎")).to_contain_text("1番目")
    assert_accessible(page, axe_page.source, "the contact's page")
