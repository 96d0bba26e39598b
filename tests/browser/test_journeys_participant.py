"""Whole journeys of a participant, end to end: the browser, the live server, the outbox
sender and a real SMTP server, with nothing mocked. Each journey arranges its own seminars
and addresses, so that the journeys do not depend on each other or on their order."""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest
from playwright.sync_api import expect

from seminar_app.announcements.services import MAIL_KIND as ANNOUNCEMENT_KIND
from tests.browser.conftest import live_database, log_in, screenshot
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: A certificate's code: five groups of four, without the look-alikes 0/O and 1/I.
CODE = re.compile(r"[2-9A-HJ-NP-Z]{4}(?:-[2-9A-HJ-NP-Z]{4}){4}")


# --- arranging ------------------------------------------------------------------------------


def _token() -> str:
    return uuid.uuid4().hex[:8]


def _add_seminar(session, *, slug: str, title: str, level, starts, capacity: int = 20, **extra):
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import Delivery, SeminarStatus, Series

    seminar = Seminar(
        slug=slug,
        title=title,
        series=Series.TRADE_SECRET_IP_STRATEGY,
        level=level,
        delivery=extra.pop("delivery", Delivery.HYBRID),
        status=SeminarStatus.PUBLISHED,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        venue="知財戦略支援センター 3階 セミナールーム",
        meeting_url="https://meet.example.org/j/journey",
        capacity=capacity,
        description="通しの動作確認に使うセミナーです。",
        **extra,
    )
    session.add(seminar)
    session.flush()
    return seminar


def _in_days(days: float):
    from seminar_app.timeutil import utcnow

    return utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)


def _register_directly(session, seminar, *, name, kana, email, now, opt_in=False):
    """A registration as the form would make it, for journeys that start after it."""
    from flask import current_app

    from seminar_app.registration import services
    from seminar_app.registration.details import ParticipantDetails

    registration = services.register(
        session,
        seminar.id,
        ParticipantDetails(
            name=name,
            name_kana=kana,
            email=email,
            prefecture="13",
            attribute="sme",
            organization="株式会社ジャーニー",
            announcements_opt_in=opt_in,
        ),
        now=now,
        privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
        attendance_mode="venue" if seminar.delivery == "hybrid" else None,
    )
    session.commit()  # as the view does: the next registration starts a unit of work of its own
    return registration


# --- what a person does ---------------------------------------------------------------------


def _fill_registration(page, *, name: str, kana: str, email: str, news: bool = False) -> None:
    """The Japanese form, found by its labels as a person reads them (at the venue, where a
    hybrid seminar asks how they attend)."""
    if page.locator("fieldset.attendance-choice").count():
        page.get_by_role("radio", name=re.compile("^会場")).check()
    page.get_by_label("氏名", exact=True).fill(name)
    page.get_by_label("ふりがな", exact=True).fill(kana)
    page.get_by_label("メールアドレス", exact=True).fill(email)
    page.get_by_label("属性", exact=True).select_option(label="中小企業")
    page.get_by_label("会社・団体名", exact=True).fill("株式会社ジャーニー")
    page.get_by_label("都道府県", exact=True).select_option(label="東京都")
    page.get_by_label("従業員数", exact=True).select_option(label="21-50人")
    if news:
        page.get_by_label("今後のセミナーのご案内を希望する").check()
    page.get_by_label("個人情報の取扱いに同意します").check()


def _submit_registration(page, button: str = "申し込む") -> None:
    """入力 → 確認 → 完了: the entry page's button, then the confirmation page's."""
    with page.expect_navigation():
        page.get_by_role("button", name="入力内容の確認").click()
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()
    page.wait_for_url("**/r/**")


def _register_through_form(page, base: str, slug: str, *, name, kana, email, button="申し込む"):
    page.goto(f"{base}/seminars/{slug}")
    page.get_by_role("link", name=button).click()
    page.wait_for_url(f"**/seminars/{slug}/register")
    _fill_registration(page, name=name, kana=kana, email=email)
    _submit_registration(page, button)


def _shows_once_fresh(page, url: str, selector: str, text: str, timeout: float = 60) -> bool:
    """Whether `url`, loaded again until it does, shows `text` in `selector` in time."""

    def shown() -> bool:
        page.goto(url)
        return text in page.locator(selector).inner_text()

    return wait_until(shown, timeout, interval=0.5)


def _cancel_on_management_page(page) -> None:
    page.get_by_role("link", name="お申し込みのキャンセル").click()
    page.wait_for_url("**/cancel")
    with page.expect_navigation():
        page.get_by_role("button", name="はい、キャンセルする").click()


# --- reading mail ---------------------------------------------------------------------------


def _received(live_server, address: str, subject_part: str) -> list:
    """The mails to `address` so far whose subject contains `subject_part`."""
    return [
        message
        for message in live_server.received_by(address)
        if subject_part in str(message["Subject"])
    ]


def _mails(live_server, address: str, subject_part: str, count: int = 1, timeout=60.0):
    """The mails to `address` whose subject contains `subject_part`, waiting for `count`."""
    wait_until(
        lambda: len(_received(live_server, address, subject_part)) >= count, timeout, interval=0.1
    )
    return _received(live_server, address, subject_part)


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _calendar_part(message):
    parts = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return parts[0] if parts else None


def _manage_url(text: str) -> str:
    """The management link of a registration mail: the line after its heading."""
    lines = text.splitlines()
    heading = lines.index("お申し込み内容の確認・変更・キャンセルは、次のURLから行えます。")
    url = lines[heading + 1].strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/r/[\w-]+", url), url
    return url


def _event(ics: bytes):
    calendar = icalendar.Calendar.from_ical(ics)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return events[0]


# --- the journeys ---------------------------------------------------------------------------


def test_find_by_level_register_use_the_mail_then_cancel_another(live_server, open_page):
    from seminar_app.domain import Delivery, Level

    token = _token()
    email = f"journey.find.{token}@example.jp"
    title = f"営業秘密・知財戦略セミナー（初級）～レベルで探す {token}～"
    other_title = f"知財戦略セミナー（中級）～二つ目の申込 {token}～"
    with live_database(live_server) as session:
        _add_seminar(
            session,
            slug=f"journey-find-{token}",
            title=title,
            level=Level.BEGINNER,
            starts=_in_days(2),
        )
        _add_seminar(
            session,
            slug=f"journey-second-{token}",
            title=other_title,
            level=Level.INTERMEDIATE,
            starts=_in_days(4),
            delivery=Delivery.ONLINE,
        )

    page = open_page("ja", **PHONE)
    page.goto(f"{live_server}/")
    page.get_by_label("レベル", exact=True).select_option(label="初級")
    with page.expect_navigation():
        page.get_by_role("button", name="表示", exact=True).click()
    assert "level=beginner" in page.url
    levels = page.locator(".card .tag-level").all_inner_texts()
    assert levels and set(levels) == {"初級"}
    assert page.get_by_role("link", name=other_title).count() == 0
    screenshot(page, "journey-catalogue-beginner-phone")

    page.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/seminars/journey-find-{token}")
    assert page.locator("h1").inner_text() == title
    assert "受付中" in page.locator(".register-box").inner_text()
    page.get_by_role("link", name="申し込む").click()
    page.wait_for_url(f"**/seminars/journey-find-{token}/register")
    _fill_registration(page, name="旅路 一郎", kana="たびじ いちろう", email=email)
    screenshot(page, "journey-register-filled-phone")
    _submit_registration(page)
    assert "参加が確定しました" in page.locator(".flash-success").inner_text()
    assert "参加確定" in page.locator(".facts").inner_text()

    (mail,) = _mails(live_server, email, "【申込完了】")
    assert str(mail["Subject"]) == f"【申込完了】{title}"
    text = _text(mail)
    assert "旅路 一郎" in text
    assert "お申し込みいただき、ありがとうございます。参加が確定しました。" in text
    invite = _calendar_part(mail)
    assert invite is not None and invite.get_param("method") == "REQUEST"
    invite_event = _event(invite.get_content().encode())

    # The person opens the link in the mail, not the page they were on.
    manage_url = _manage_url(text)
    mail_page = open_page("ja", **PHONE)
    mail_page.goto(manage_url)
    assert mail_page.locator("h1").inner_text() == "お申し込み内容"
    assert title in mail_page.locator(".facts").inner_text()
    assert "旅路 一郎" in mail_page.locator(".facts").inner_text()
    screenshot(mail_page, "journey-manage-from-mail-phone")
    with mail_page.expect_download() as download_info:
        mail_page.get_by_role("link", name="カレンダーに登録（.ics）").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    ics = Path(download.path()).read_bytes()
    assert ics.startswith(b"BEGIN:VCALENDAR")
    event = _event(ics)
    assert str(event["UID"]) == str(invite_event["UID"])
    assert str(event["SUMMARY"]) == title
    assert str(event["STATUS"]) == "CONFIRMED"

    # A second registration, to another seminar, which the person then cancels.
    _register_through_form(
        page,
        live_server,
        f"journey-second-{token}",
        name="旅路 一郎",
        kana="たびじ いちろう",
        email=email,
    )
    second_url = page.url.split("?")[0]
    assert second_url != manage_url
    assert other_title in page.locator(".facts").inner_text()
    _cancel_on_management_page(page)
    assert page.url.split("?")[0] == second_url
    assert "お申し込みをキャンセルしました" in page.locator(".flash-success").inner_text()
    assert "キャンセル済み" in page.locator(".facts").inner_text()
    assert "このお申し込みはキャンセル済みです。" in page.locator(".register-box").inner_text()
    screenshot(page, "journey-cancelled-phone")

    (cancelled,) = _mails(live_server, email, "【キャンセル受付】")
    assert str(cancelled["Subject"]) == f"【キャンセル受付】{other_title}"
    assert "キャンセルを受け付けました" in _text(cancelled)
    cancel_invite = _calendar_part(cancelled)
    assert cancel_invite is not None and cancel_invite.get_param("method") == "CANCEL"

    # The first registration stands.
    mail_page.reload()
    assert "参加確定" in mail_page.locator(".facts").inner_text()


def test_a_full_seminar_waitlists_then_promotes_when_a_seat_frees(live_server, open_page):
    from seminar_app.domain import Level

    token = _token()
    slug = f"journey-full-{token}"
    title = f"営業秘密・知財戦略セミナー（ワークショップ）～定員1名 {token}～"
    first, second = f"journey.first.{token}@example.jp", f"journey.second.{token}@example.jp"
    with live_database(live_server) as session:
        # Five days ahead: well before the waitlist cutoff, so promotion is automatic.
        _add_seminar(
            session,
            slug=slug,
            title=title,
            level=Level.WORKSHOP,
            starts=_in_days(5),
            capacity=1,
            online_capacity=0,  # hybrid: full once the venue's one seat is taken
        )

    page_a = open_page("ja", **PHONE)
    _register_through_form(
        page_a, live_server, slug, name="先着 花子", kana="せんちゃく はなこ", email=first
    )
    assert "参加確定" in page_a.locator(".facts").inner_text()
    manage_a = page_a.url

    page_b = open_page("ja", **PHONE)
    # The public page may be kept for a few seconds (PUBLIC_PAGE_CACHE_SECONDS): it says
    # the seminar is full once the copy from before the first registration has expired.
    assert _shows_once_fresh(
        page_b, f"{live_server}/seminars/{slug}", ".register-box", "満席（キャンセル待ち受付中）"
    ), page_b.locator(".register-box").inner_text()
    page_b.get_by_role("link", name="キャンセル待ちに申し込む").click()
    page_b.wait_for_url(f"**/seminars/{slug}/register")
    _fill_registration(page_b, name="補欠 次郎", kana="ほけつ じろう", email=second)
    _submit_registration(page_b, "キャンセル待ちに申し込む")
    assert "キャンセル待ち" in page_b.locator(".flash-success").inner_text()
    facts = page_b.locator(".facts").inner_text()
    assert "キャンセル待ち" in facts and "1番目" in facts
    assert page_b.locator(".ticket").count() == 0
    screenshot(page_b, "journey-waitlisted-phone")
    (waitlisted,) = _mails(live_server, second, "【キャンセル待ち受付】")
    assert _calendar_part(waitlisted) is None

    page_a.goto(manage_a)
    _cancel_on_management_page(page_a)
    assert "キャンセル済み" in page_a.locator(".facts").inner_text()

    (promoted,) = _mails(live_server, second, "【参加確定（繰り上げ）】")
    assert str(promoted["Subject"]) == f"【参加確定（繰り上げ）】{title}"
    assert "参加が確定しました" in _text(promoted)
    assert _calendar_part(promoted).get_param("method") == "REQUEST"
    page_b.reload()
    assert "参加確定" in page_b.locator(".facts").inner_text()
    assert page_b.locator(".ticket-code").inner_text().strip()
    screenshot(page_b, "journey-promoted-phone")


def test_attendee_answers_the_survey_and_has_a_verifiable_certificate(
    live_server, open_page, tmp_path
):
    from seminar_app.attendance.services import admit
    from seminar_app.domain import CheckInMethod, Level
    from seminar_app.surveys.services import create_survey

    token = _token()
    name = f"受講 三郎{token[:3]}"
    title = f"営業秘密・知財戦略セミナー（初中級）～修了 {token}～"
    with live_database(live_server) as session:
        starts = _in_days(-1)
        seminar = _add_seminar(
            session,
            slug=f"journey-held-{token}",
            title=title,
            level=Level.BEGINNER_INTERMEDIATE,
            starts=starts,
        )
        registration = _register_directly(
            session,
            seminar,
            name=name,
            kana="じゅこう さぶろう",
            email=f"journey.held.{token}@example.jp",
            now=starts - timedelta(days=7),
        )
        admit(
            session,
            registration,
            seminar.id,
            by=None,
            method=CheckInMethod.SCAN,
            desk="journey",
            now=starts + timedelta(minutes=5),
        )
        create_survey(session, seminar)
        manage_token = registration.manage_token

    page = open_page("ja", **PHONE)
    page.goto(f"{live_server}/r/{manage_token}")
    page.get_by_role("link", name="アンケートに回答する").click()
    page.wait_for_url("**/survey")
    page.locator("fieldset", has_text="本セミナーの満足度").get_by_label("5", exact=True).check()
    page.locator("fieldset", has_text="本セミナーの理解度").get_by_label("4", exact=True).check()
    page.get_by_label("営業秘密の管理", exact=True).check()
    page.get_by_label("ご意見・ご感想").fill("退職者対応の事例が具体的で参考になりました。")
    screenshot(page, "journey-survey-filled-phone")
    with page.expect_navigation():
        page.get_by_role("button", name="回答を送信する").click()
    assert "ありがとうございました。回答を保存しました。" in page.locator(".flash").inner_text()
    assert (
        page.locator("fieldset", has_text="本セミナーの満足度")
        .get_by_label("5", exact=True)
        .is_checked()
    )
    screenshot(page, "journey-survey-thanks-phone")

    page.get_by_role("link", name="お申し込み内容").click()
    page.wait_for_url(f"**/r/{manage_token}")
    assert "ご回答ありがとうございました" in page.content()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="受講証明書をダウンロード（PDF）").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf = tmp_path / "certificate.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert name.replace(" ", "") in text.replace(" ", "").replace("\u3000", "")
    codes = CODE.findall(text)
    assert codes, text
    code = codes[0]

    checker = open_page("ja", **PHONE)
    checker.goto(f"{live_server}/certificates/verify")
    field = checker.get_by_label("検証コード")
    field.click()
    field.press_sequentially(code.lower())  # typed by hand, in lower case
    with checker.expect_navigation():
        checker.get_by_role("button", name="確認する").click()
    checker.wait_for_url(f"**/certificates/verify/{code}")
    assert "この証明書は本物です。" in checker.locator(".flash-success").inner_text()
    facts = checker.locator(".facts").inner_text()
    assert title in facts and code in facts
    assert name not in checker.content()
    screenshot(checker, "journey-certificate-verified-phone")


def test_announcement_reaches_opted_in_and_one_click_unsubscribe_stops_it(live_server, open_page):
    from seminar_app.domain import Level

    token = _token()
    stays, leaves = f"journey.news.{token}@example.jp", f"journey.bye.{token}@example.jp"
    with live_database(live_server) as session:
        seminar = _add_seminar(
            session,
            slug=f"journey-news-{token}",
            title=f"知財活用支援セミナー～ご案内 {token}～",
            level=Level.BEGINNER,
            starts=_in_days(6),
        )
        for address, name in ((stays, "案内 継続"), (leaves, "案内 停止")):
            _register_directly(
                session,
                seminar,
                name=name,
                kana="あんない",
                email=address,
                now=_in_days(0),
                opt_in=True,
            )

    organizer = open_page("ja", **DESKTOP)
    log_in(organizer, live_server, "organizer@example.org")

    def send(subject: str) -> int:
        organizer.goto(f"{live_server}/console/announcements")
        organizer.get_by_label("件名", exact=True).fill(subject)
        organizer.get_by_label("本文", exact=True).fill(
            "新しいセミナーの募集を開始しました。\nぜひお申し込みください。"
        )
        with organizer.expect_navigation():
            organizer.get_by_role("button", name="ご案内を送信する").click()
        # Asked first: how many people get it, with the text to read once more.
        expect(organizer.locator("h1")).to_have_text("このお知らせを送信しますか？")
        assert subject in organizer.locator(".confirm").inner_text()
        with organizer.expect_navigation():
            organizer.get_by_role("button", name="ご案内を送信する").click()
        flash = organizer.locator(".flash-success").inner_text()
        count = int(re.search(r"(\d+) 名へのご案内を送信キューに入れました", flash).group(1))
        row = organizer.locator("table tbody tr", has_text=subject)
        assert row.count() == 1 and str(count) in row.inner_text()
        return count

    first_subject = f"【ご案内】新しいセミナーのお知らせ {token}"
    first_count = send(first_subject)
    assert first_count >= 2
    screenshot(organizer, "journey-announcement-sent-desktop")

    (to_stays,) = _mails(live_server, stays, first_subject)
    (to_leaves,) = _mails(live_server, leaves, first_subject)
    assert "新しいセミナーの募集を開始しました。" in _text(to_stays)
    # RFC 8058 asks for an HTTPS link: over the live server's http the app sends the plain
    # List-Unsubscribe only; the POST a provider makes still works.
    one_click = "List-Unsubscribe=One-Click" if live_server.startswith("https://") else None
    assert to_leaves["List-Unsubscribe-Post"] == one_click
    unsubscribe_url = str(to_leaves["List-Unsubscribe"]).strip().strip("<>")
    assert unsubscribe_url.startswith(f"{live_server}/unsubscribe/")
    assert unsubscribe_url in _text(to_leaves)

    # What a mail provider does on "unsubscribe" (RFC 8058): a POST, no cookies, no CSRF.
    reader = open_page("ja", **PHONE)
    response = reader.request.post(
        unsubscribe_url,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    reader.goto(unsubscribe_url)  # the link in the footer now says it is done
    assert f"{leaves} には新しいセミナーのご案内をお送りしません。" in reader.content()
    assert reader.get_by_role("button", name="配信を停止する").count() == 0
    screenshot(reader, "journey-unsubscribed-phone")

    second_subject = f"【ご案内】追加開催のお知らせ {token}"
    assert send(second_subject) == first_count - 1
    assert len(_mails(live_server, stays, second_subject)) == 1
    # Every announcement queued has been sent: one to `leaves` would have arrived by now.
    assert live_server.outbox_delivered(ANNOUNCEMENT_KIND)
    to_leaves_now = _received(live_server, leaves, "【ご案内】")
    assert [str(message["Subject"]) for message in to_leaves_now] == [first_subject]
