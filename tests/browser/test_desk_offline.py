"""The offline desk in Chromium: opened online, then without network (Playwright's
context.set_offline), scans and searches answered from IndexedDB, a reload served by the
service worker, the check-ins sent when the network returns; two desks admitting the same
ticket offline; closing the desk and logging out delete what the browser kept; the ticket
code rule of the script against the server's; axe-core and screenshots of the new states.

Messages new with the offline desk are asserted in Japanese: those assertions fail until
the lead merges this branch's translations."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from seminar_app.codes import ticket_code_of
from tests.browser.conftest import live_database, log_in, new_context, screenshot
from tests.browser.test_accessibility import assert_accessible, axe_page  # noqa: F401

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "seminar_app" / "static"
CACHE = "seminar-desk-v1"
PEOPLE = (
    ("山田 花子", "やまだ はなこ", "株式会社山田製作所"),
    ("佐藤 一郎", "さとう いちろう", "佐藤商事株式会社"),
    ("鈴木 次郎", "すずき じろう", None),
)


def held_soon(live_server, people=PEOPLE) -> tuple[int, dict[str, tuple[int, str]]]:
    """An in-person seminar starting within the hour, with these people registered; its
    id, and each person's registration id and ticket code by name."""
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import Delivery, SeminarStatus, Series
    from seminar_app.timeutil import utcnow
    from tests.registration_helpers import register

    tag = uuid.uuid4().hex[:8]
    with live_database(live_server) as session:
        starts = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=45)
        seminar = Seminar(
            slug=f"offline-desk-{tag}",
            title=f"営業秘密・知財戦略セミナー（受付確認 {tag}）",
            series=Series.TRADE_SECRET_IP_STRATEGY,
            delivery=Delivery.IN_PERSON,
            status=SeminarStatus.PUBLISHED,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            venue="知財戦略支援センター 3階 セミナールーム",
            capacity=30,
        )
        session.add(seminar)
        session.commit()
        found = {}
        for name, kana, organization in people:
            registration = register(
                session,
                seminar,
                name=name,
                name_kana=kana,
                email=f"offline.{uuid.uuid4().hex[:10]}@example.jp",
                **(
                    {"organization": organization}
                    if organization
                    else {"organization": "", "attribute": "individual"}
                ),
            )
            found[name] = (registration.id, registration.ticket_code)
        return seminar.id, found


def check_ins(live_server, seminar_id: int) -> dict[int, tuple]:
    """registration id -> (moment, desk) of the seminar's check-ins, as the server keeps them."""
    from sqlalchemy import select

    from seminar_app.attendance.models import CheckIn
    from seminar_app.registration.models import Registration

    with live_database(live_server) as session:
        rows = session.execute(
            select(CheckIn.registration_id, CheckIn.checked_in_at, CheckIn.desk)
            .join(Registration)
            .where(Registration.seminar_id == seminar_id)
        ).all()
        return {registration_id: (at, desk) for registration_id, at, desk in rows}


def desk_page(browser, live_server, *, name: str | None = None, width=1280, height=900):
    """A page of its own browser context (its own IndexedDB and service worker), logged in
    as the organizer, the device named `name` when given."""
    context = new_context(
        browser,
        viewport={"width": width, "height": height},
        locale="ja",
        timezone_id="Asia/Tokyo",
        extra_http_headers={"Accept-Language": "ja"},
    )
    page = context.new_page()
    log_in(page, live_server, "organizer@example.org")
    if name:
        page.goto(f"{live_server}/desk/")
        page.fill("#desk_name", name)
        with page.expect_navigation():
            page.locator("form.desk-name button[type=submit]").click()
    return page


#: The service worker controls the page, and its cache holds the page's copy and scripts.
KEPT_OFFLINE = """async ([path, name]) => {
  if (!navigator.serviceWorker.controller) { return false; }
  const cache = await caches.open(name);
  const copy = await cache.match(path);
  const script = await cache.match("/static/desk-offline.js");
  return Boolean(copy && script);
}"""


def open_desk(page, live_server, seminar_id: int) -> None:
    """The seminar's desk, once its roster is kept and the service worker keeps the page."""
    page.goto(f"{live_server}/desk/{seminar_id}")
    expect(page.locator("#desk")).to_have_attribute("data-roster", "kept")
    page.wait_for_function(KEPT_OFFLINE, arg=[f"/desk/{seminar_id}", CACHE])


def status(page):
    return page.locator("#desk-status")


def scan(page, code: str) -> None:
    """What a USB scanner does: the characters into the focused field, then Enter."""
    page.locator("#code").focus()
    page.keyboard.type(code)
    page.keyboard.press("Enter")


@pytest.fixture
def pages():
    opened = []
    yield opened
    for page in opened:
        page.context.close()


def test_the_desk_admits_offline_survives_a_reload_and_sends_when_back_online(
    browser, live_server, pages
):
    from seminar_app.timeutil import utcnow

    seminar_id, people = held_soon(live_server)
    page = desk_page(browser, live_server, name="受付オフライン")
    pages.append(page)
    open_desk(page, live_server, seminar_id)
    expect(status(page)).to_have_attribute("data-connection", "online")

    went_offline = utcnow()
    page.context.set_offline(True)
    expect(status(page)).to_have_attribute("data-connection", "offline")
    expect(page.locator("#desk-connection")).to_contain_text("オフライン")

    # A scan, typed in full-width with the IME's long vowel mark: answered from IndexedDB.
    yamada_id, yamada_code = people["山田 花子"]
    typed = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "ー" for c in yamada_code.lower())
    scan(page, typed)
    result = page.locator("#desk-result .result")
    expect(result).to_contain_text("受付しました")
    expect(result).to_contain_text("山田 花子")
    expect(status(page)).to_have_attribute("data-waiting", "1")
    expect(page.locator("#desk-waiting")).to_contain_text("1")
    assert page.locator("#code").evaluate("element => element === document.activeElement")

    # A search by reading, in katakana, and a tap on the person found.
    page.fill("#q", "サトウ")
    found = page.locator("#desk-search-results .match")
    expect(found).to_have_count(1)
    expect(found).to_contain_text("佐藤 一郎")
    found.get_by_role("button", name="佐藤 一郎 さんを受付する").click()
    expect(result).to_contain_text("佐藤 一郎")
    expect(status(page)).to_have_attribute("data-waiting", "2")
    expect(page.locator("[data-checked-in]")).to_have_text("2")

    # The same ticket again: the desk remembers what it has not sent yet.
    scan(page, yamada_code)
    expect(result).to_contain_text("受付済みです")
    expect(status(page)).to_have_attribute("data-waiting", "2")
    screenshot(page, "desk-offline-waiting-desktop")

    # A reload without network: the service worker's copy, filled from IndexedDB.
    page.reload()
    expect(page.locator("#desk")).to_have_attribute("data-offline-copy", "")
    expect(status(page)).to_have_attribute("data-connection", "offline")
    expect(status(page)).to_have_attribute("data-waiting", "2")
    expect(page.locator("#desk-people .match-done")).to_have_count(2)
    expect(page.locator("#desk-people")).to_contain_text("鈴木 次郎")
    expect(page.locator("[data-checked-in]")).to_have_text("2")
    expect(page.locator("[data-confirmed]")).to_have_text("3")
    page.fill("#q", "すずき")
    expect(page.locator("#desk-search-results .match")).to_contain_text("鈴木 次郎")
    assert check_ins(live_server, seminar_id) == {}

    back_online = utcnow()
    page.context.set_offline(False)
    expect(status(page)).to_have_attribute("data-waiting", "0")
    expect(status(page)).to_have_attribute("data-connection", "online")
    kept = check_ins(live_server, seminar_id)
    sato_id = people["佐藤 一郎"][0]
    assert set(kept) == {yamada_id, sato_id}
    for at, desk in kept.values():
        # The moment of the scan on this device, not that of the sending.
        assert went_offline <= at <= back_online and desk == "受付オフライン"

    # The server's page now shows its own records.
    page.reload()
    expect(page.locator("#desk")).not_to_have_attribute("data-offline-copy", "")
    yamada_time = f"{kept[yamada_id][0].astimezone(_tokyo()):%H:%M}"
    row = page.locator("#desk-people .match", has_text="山田 花子")
    expect(row).to_contain_text(f"受付済み {yamada_time}")
    expect(page.locator("[data-checked-in]")).to_have_text("2")


def _tokyo():
    from seminar_app.timeutil import JST

    return JST


def test_two_desks_offline_admit_one_ticket_and_the_later_is_told(browser, live_server, pages):
    from sqlalchemy import select

    from seminar_app.audit.models import AuditEvent

    seminar_id, people = held_soon(live_server)
    registration_id, code = people["山田 花子"]
    desk_a = desk_page(browser, live_server, name="受付A")
    desk_b = desk_page(browser, live_server, name="受付B")
    pages.extend([desk_a, desk_b])
    for page in (desk_a, desk_b):
        open_desk(page, live_server, seminar_id)
        page.context.set_offline(True)
        expect(status(page)).to_have_attribute("data-connection", "offline")

    for page in (desk_a, desk_b):  # A first, then B: both admit, neither knows of the other
        scan(page, code)
        expect(page.locator("#desk-result .result")).to_contain_text("受付しました")
        expect(status(page)).to_have_attribute("data-waiting", "1")

    desk_a.context.set_offline(False)
    expect(status(desk_a)).to_have_attribute("data-waiting", "0")
    ((first_at, first_desk),) = check_ins(live_server, seminar_id).values()
    assert first_desk == "受付A"

    desk_b.context.set_offline(False)
    expect(status(desk_b)).to_have_attribute("data-waiting", "0")
    clock = f"{first_at.astimezone(_tokyo()):%H:%M}"
    answers = desk_b.locator("#desk-answers")
    expect(answers).to_be_visible()
    expect(answers).to_contain_text("山田 花子")
    expect(answers).to_contain_text(f"受付端末「受付A」で{clock}に受付済みです")
    # The panel that said "checked in" now says where and when the person came in.
    expect(desk_b.locator("#desk-result .result")).to_contain_text("受付済みです")
    expect(desk_b.locator("#desk-result .result")).to_contain_text(f"{clock}（担当：受付A）")
    expect(desk_a.locator("#desk-answers")).to_be_hidden()
    screenshot(desk_b, "desk-offline-told-desktop")

    assert check_ins(live_server, seminar_id) == {registration_id: (first_at, "受付A")}
    with live_database(live_server) as session:
        attempts = session.execute(
            select(AuditEvent.action, AuditEvent.details)
            .where(
                AuditEvent.subject_type == "registration",
                AuditEvent.subject_id == str(registration_id),
                AuditEvent.action.like("attendance.%"),
            )
            .order_by(AuditEvent.id)
        ).all()
    assert [(action, details["desk"]) for action, details in attempts] == [
        ("attendance.checked_in", "受付A"),
        ("attendance.check_in_repeated", "受付B"),
    ]


def test_a_late_registration_reaches_an_open_desk_without_a_reload(browser, live_server, pages):
    from seminar_app.catalogue.models import Seminar
    from tests.registration_helpers import register

    seminar_id, _people = held_soon(live_server)
    page = desk_page(browser, live_server)
    pages.append(page)
    open_desk(page, live_server, seminar_id)
    expect(page.locator("[data-confirmed]")).to_have_text("3")
    with live_database(live_server) as session:
        late = register(
            session,
            session.get(Seminar, seminar_id),
            name="高橋 三郎",
            name_kana="たかはし さぶろう",
            email=f"late.{uuid.uuid4().hex[:10]}@example.jp",
        )
        code = late.ticket_code
    # The roster refreshes itself while online (every 15 seconds).
    expect(page.locator("#desk-people")).to_contain_text("高橋 三郎")
    expect(page.locator("[data-confirmed]")).to_have_text("4")
    page.context.set_offline(True)
    expect(status(page)).to_have_attribute("data-connection", "offline")
    scan(page, code)
    expect(page.locator("#desk-result .result")).to_contain_text("高橋 三郎")
    expect(page.locator("#desk-result .result")).to_contain_text("受付しました")


def kept_in_browser(page, seminar_id: int) -> dict:
    return page.evaluate(
        """async ([name, cache, path]) => {
          const databases = (await indexedDB.databases()).map((db) => db.name);
          const caches_ = await caches.keys();
          const kept = caches_.includes(cache) ? await caches.open(cache) : null;
          const copy = kept ? await kept.match(path) : null;
          return {database: databases.includes(name), caches: caches_, copy: Boolean(copy)};
        }""",
        [f"seminar-desk-{seminar_id}", CACHE, f"/desk/{seminar_id}"],
    )


def test_closing_the_desk_sends_first_refuses_to_drop_and_then_deletes(browser, live_server, pages):
    seminar_id, people = held_soon(live_server)
    page = desk_page(browser, live_server, name="受付C")
    pages.append(page)
    open_desk(page, live_server, seminar_id)
    page.context.set_offline(True)
    expect(status(page)).to_have_attribute("data-connection", "offline")
    scan(page, people["鈴木 次郎"][1])
    expect(status(page)).to_have_attribute("data-waiting", "1")

    page.get_by_role("button", name="この受付を閉じる").click()
    expect(page.locator("#desk-notices")).to_contain_text("未送信：1件")
    assert page.url.endswith(f"/desk/{seminar_id}")
    assert kept_in_browser(page, seminar_id)["database"] is True

    page.context.set_offline(False)
    with page.expect_navigation(url=re.compile(r"/desk/$")):
        page.get_by_role("button", name="この受付を閉じる").click()
    assert set(check_ins(live_server, seminar_id)) == {people["鈴木 次郎"][0]}
    kept = kept_in_browser(page, seminar_id)
    assert kept["database"] is False and kept["copy"] is False


def test_logging_out_is_held_while_check_ins_wait_then_clears_the_browser(
    browser, live_server, pages
):
    seminar_id, people = held_soon(live_server)
    page = desk_page(browser, live_server)
    pages.append(page)
    open_desk(page, live_server, seminar_id)
    page.context.set_offline(True)
    expect(status(page)).to_have_attribute("data-connection", "offline")
    scan(page, people["佐藤 一郎"][1])
    expect(status(page)).to_have_attribute("data-waiting", "1")
    page.get_by_role("button", name="ログアウト").click()
    expect(page.locator("#desk-notices")).to_contain_text("未送信：1件")
    assert page.url.endswith(f"/desk/{seminar_id}")

    page.context.set_offline(False)
    expect(status(page)).to_have_attribute("data-waiting", "0")
    with page.expect_navigation():
        page.get_by_role("button", name="ログアウト").click()
    expect(page.locator(".flash")).to_be_visible()
    kept = kept_in_browser(page, seminar_id)
    assert kept == {"database": False, "caches": [], "copy": False}
    registrations = page.evaluate(
        "async () => (await navigator.serviceWorker.getRegistrations()).length"
    )
    assert registrations == 0


#: Inputs a desk meets, and edges of the rule: both sides must read each alike.
TICKET_INPUTS = [
    "ABCD-EFGH-JKLM",
    "abcd-efgh-jklm",
    "ABCDEFGHJKLM",
    " abcd efgh jklm ",
    "ＡＢＣＤ－ＥＦＧＨ－ＪＫＬＭ",
    "ABCDーEFGHーJKLM",
    "ABCDｰEFGHｰJKLM",
    "ABCD‐EFGH—JKLM",
    "ABCD_EFGH.JKLM",
    "ABCD\tEFGH\nJKLM",
    "ABCD-EFGH-JKL",
    "ABCD-EFGH-JKLMN",
    "ABCD-EFGH-JKL0",
    "ABCD-EFGH-JKLO",
    "ABCD-EFGH-JKL1",
    "ABCD-EFGH-JKLI",
    "ABCD EFGH JKLM" + " " * 186,
    "ABCD EFGH JKLM" + " " * 187,
    "ABCD-EFGH-JKLM\u3000",
    "ABCD-EFGH-JKLM\u00a0",
    "abcd-efgh-jklß",
    "TKT-abcdefghijklmnopqrstuvwx",
    "  TKT-ABCDEFGHIJKLMNOPQRSTUV_-  ",
    "\x1cTKT-abcdefghijklmnopqrstuvwx\x85",
    "\ufeffTKT-abcdefghijklmnopqrstuvwx",
    "ＴＫＴ－ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘ",
    "TKT-abcdefghijklmnopqrstuvw",
    "TKT-abcdefghijklmnopqrstuvwxy",
    "tkt-abcdefghijklmnopqrstuvwx",
    "TKT-abcdefghijklmnopqrstuvwx\n",
    "😀" * 100 + "ABCD",
    "😀" * 201,
    "",
    "'; DROP TABLE registrations; --",
    "ｱｲｳｴｵ",
]


def test_the_script_reads_ticket_codes_as_the_server_does(browser):
    context = new_context(browser)
    try:
        page = context.new_page()
        page.add_script_tag(path=str(STATIC / "desk-tickets.js"))
        read = page.evaluate(
            "inputs => inputs.map((raw) => window.SeminarDesk.ticketCodeOf(raw))", TICKET_INPUTS
        )
    finally:
        context.close()
    expected = [ticket_code_of(raw) for raw in TICKET_INPUTS]
    assert read == expected
    assert sum(code is not None for code in expected) >= 10  # the table reaches both answers


def test_the_offline_desk_is_accessible_in_its_new_states(axe_page, live_server):  # noqa: F811
    seminar_id, people = held_soon(live_server)
    _other_id, elsewhere = held_soon(live_server, PEOPLE[:1])
    page = axe_page("ja")
    log_in(page, live_server, "organizer@example.org")
    open_desk(page, live_server, seminar_id)
    assert_accessible(page, axe_page.source, "the desk with its roster kept (online)")
    # Another seminar's ticket: not in the list, so the server is asked, and its answer is
    # listed among the check-ins to look at.
    scan(page, elsewhere["山田 花子"][1])
    expect(page.locator("#desk-answers")).to_be_visible()
    expect(page.locator("#desk-result .result-stop")).to_be_visible()
    assert_accessible(page, axe_page.source, "the desk with an answer to look at")
    page.context.set_offline(True)
    expect(status(page)).to_have_attribute("data-connection", "offline")
    scan(page, people["山田 花子"][1])
    expect(status(page)).to_have_attribute("data-waiting", "1")
    page.fill("#q", "さとう")
    expect(page.locator("#desk-search-results .match")).to_have_count(1)
    page.get_by_role("button", name="この受付を閉じる").click()
    expect(page.locator("#desk-notices .flash")).to_be_visible()
    assert_accessible(page, axe_page.source, "the desk offline, a check-in waiting")


@pytest.mark.parametrize(("size", "width", "height"), [("phone", 390, 844), ("desktop", 1280, 900)])
def test_screenshots_of_the_offline_desk(browser, live_server, pages, size, width, height):
    seminar_id, people = held_soon(live_server)
    page = desk_page(browser, live_server, name="受付A", width=width, height=height)
    pages.append(page)
    open_desk(page, live_server, seminar_id)
    screenshot(page, f"desk-online-{size}")
    page.context.set_offline(True)
    expect(status(page)).to_have_attribute("data-connection", "offline")
    scan(page, people["山田 花子"][1])
    expect(status(page)).to_have_attribute("data-waiting", "1")
    page.reload()
    expect(page.locator("#desk")).to_have_attribute("data-offline-copy", "")
    expect(page.locator("#desk-people .match")).to_have_count(3)
    screenshot(page, f"desk-offline-{size}")
