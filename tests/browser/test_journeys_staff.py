"""Staff journeys end to end in a real browser: a lecturer's material reaches only those who
came, the organizer's fiscal-year report and its files, and registering by keyboard alone."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import live_database, log_in, screenshot

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
MATERIAL_NAME = "営業秘密管理チェックリスト.pdf"
MATERIAL_TITLE = "営業秘密管理チェックリスト 配布資料"  # the app folds （） to () (NFKC)


def _minimal_pdf() -> bytes:
    """A small, well-formed one-page PDF (header, objects, cross-reference table, trailer)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def _slug(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _details(name: str, email: str):
    from seminar_app.registration.details import parse_details

    details, errors = parse_details(
        {
            "name": name,
            "name_kana": "じゅこう たろう",
            "email": email,
            "organization": "株式会社ブラウザ製作所",
            "prefecture": "13",
            "attribute": "sme",
            "employee_band": "21-50",
            "industry": "E",
        }
    )
    assert not errors, errors
    return details


@pytest.fixture
def ended_seminar_with_lecturer(live_server):
    """A seminar that ended yesterday, taught by lecturer@example.org, with two confirmed
    registrations made a week before: one checked in at the door, one who never came."""
    from sqlalchemy import select

    from seminar_app.attendance import services as attendance
    from seminar_app.auth.models import User
    from seminar_app.catalogue.models import Seminar
    from seminar_app.database import begin_write
    from seminar_app.domain import (
        CheckInMethod,
        Delivery,
        Level,
        RegistrationStatus,
        SeminarStatus,
        Series,
    )
    from seminar_app.registration import services as registration
    from seminar_app.timeutil import utcnow

    slug = _slug("journey-materials")
    title = f"営業秘密の守り方 実践編（{slug[-8:]}）"
    starts = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=1, hours=3)
    with live_database(live_server) as session:
        # The outbox sender writes to the same SQLite file: a transaction that reads and
        # then writes must take the write lock first (BEGIN IMMEDIATE), as the app does.
        begin_write(session)
        lecturer = session.scalar(select(User).where(User.email == "lecturer@example.org"))
        seminar = Seminar(
            slug=slug,
            title=title,
            series=Series.TRADE_SECRET_IP_STRATEGY,
            level=Level.INTERMEDIATE,
            delivery=Delivery.IN_PERSON,
            status=SeminarStatus.PUBLISHED,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            venue="知財戦略支援センター 3階 セミナールーム",
            capacity=20,
            description="資料の配布を確かめるためのセミナーです。",
        )
        seminar.lecturers = [lecturer]
        session.add(seminar)
        session.commit()
        before = starts - timedelta(days=7)
        came = registration.register(
            session,
            seminar.id,
            _details("出席 花子", f"came-{slug}@example.jp"),
            now=before,
            privacy_notice_version="2026-04",
        )
        session.commit()
        stayed_away = registration.register(
            session,
            seminar.id,
            _details("欠席 次郎", f"away-{slug}@example.jp"),
            now=before,
            privacy_notice_version="2026-04",
        )
        session.commit()
        assert came.status == stayed_away.status == RegistrationStatus.CONFIRMED
        begin_write(session)
        result = attendance.admit(
            session,
            came,
            seminar.id,
            by=None,
            method=CheckInMethod.SEARCH,
            desk="journey",
            now=starts + timedelta(minutes=5),
        )
        assert result.outcome.name == "CHECKED_IN"
        arranged = {
            "id": seminar.id,
            "slug": slug,
            "title": title,
            "came": came.manage_token,
            "stayed_away": stayed_away.manage_token,
        }
    return arranged


def test_a_lecturers_material_reaches_the_attendee_and_not_the_no_show(
    live_server, open_page, tmp_path, ended_seminar_with_lecturer
):
    seminar = ended_seminar_with_lecturer
    pdf = _minimal_pdf()
    upload = tmp_path / MATERIAL_NAME
    upload.write_bytes(pdf)

    lecturer = open_page("ja", **DESKTOP)
    log_in(lecturer, live_server, "lecturer@example.org")
    expect(lecturer.locator("h1")).to_contain_text("講師 一郎")
    lecturer.get_by_role("link", name="担当セミナー").click()
    lecturer.wait_for_url("**/lecturer/")
    card = lecturer.locator("a.card-link", has_text=seminar["title"])
    expect(card).to_contain_text("参加確定 2名・出席 1名")  # counts only, never names
    card.click()
    lecturer.wait_for_url(f"**/lecturer/seminars/{seminar['id']}")
    stats = lecturer.locator(".stats .stat-number")
    expect(stats).to_have_text(["2", "1"])
    assert "出席 花子" not in lecturer.content()  # a lecturer sees numbers, never names

    lecturer.fill("#title", MATERIAL_TITLE)
    lecturer.select_option("#audience", "attendees")
    lecturer.set_input_files("#file", str(upload))
    with lecturer.expect_navigation():
        lecturer.get_by_role("button", name="アップロード", exact=True).click()
    expect(lecturer.locator(".flash-success")).to_contain_text("資料をアップロードしました")
    listed = lecturer.locator("li.match", has_text=MATERIAL_TITLE)
    expect(listed).to_contain_text(MATERIAL_NAME)
    expect(listed.locator(".tag")).to_have_text("出席者のみ")
    screenshot(lecturer, "journey-staff-lecturer-materials")

    attendee = open_page("ja", **PHONE)
    attendee.goto(f"{live_server}/r/{seminar['came']}")
    link = attendee.get_by_role("link", name=MATERIAL_TITLE)
    expect(link).to_be_visible()
    expect(attendee.locator("section", has=link)).to_contain_text(MATERIAL_NAME)
    href = link.get_attribute("href")
    match = re.fullmatch(rf"/r/{re.escape(seminar['came'])}/materials/(\d+)", href or "")
    assert match, href
    material_id = match.group(1)
    with attendee.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == MATERIAL_NAME
    assert Path(download.path()).read_bytes() == pdf
    screenshot(attendee, "journey-staff-attendee-materials-phone")

    no_show = open_page("ja", **PHONE)
    no_show.goto(f"{live_server}/r/{seminar['stayed_away']}")
    expect(no_show.locator("h1")).to_have_text("お申し込み内容")
    assert MATERIAL_TITLE not in no_show.content()
    assert MATERIAL_NAME not in no_show.content()
    refused = no_show.goto(f"{live_server}/r/{seminar['stayed_away']}/materials/{material_id}")
    assert refused.status == 403
    assert pdf not in refused.body()
    anonymous = no_show.goto(f"{live_server}/seminars/{seminar['slug']}/materials/{material_id}")
    assert anonymous.status == 404


def test_the_organizer_reads_the_fiscal_year_report_and_downloads_its_files(live_server, open_page):
    from openpyxl import load_workbook
    from pptx import Presentation

    from seminar_app.reports.services import fiscal_year_figures, seminar_rows
    from seminar_app.timeutil import utcnow

    with live_database(live_server) as session:
        now = utcnow()
        report = fiscal_year_figures(session, 2020, now)
        titles = [row.title for row in seminar_rows(session, 2020, now)]
    held = report.seminars.total
    assert held > 0 and len(titles) == held  # content/ holds the FY2020 programme

    page = open_page("ja", **DESKTOP)
    log_in(page, live_server, "organizer@example.org")
    page.goto(f"{live_server}/console/reports/?fy=2020")
    expect(page.locator("h1")).to_contain_text("事業実績報告")
    stats = page.locator(".stats .stat")
    # A year with nobody to count shows no rate ("—", as every unknown) rather than 0 %.
    share = report.registrations.attendance_rate
    rate = "—" if share is None else f"{share * 100:.0f}%"
    for index, (number, words) in enumerate(
        [
            (str(held), f"開催セミナー（オンライン {report.seminars.online}）"),
            ("—" if report.seminars.attendees_unknown else str(report.attendees.total), "参加者"),
            (str(report.registrations.total), "申込"),
            (rate, "出席率"),
        ]
    ):
        expect(stats.nth(index).locator(".stat-number")).to_be_visible()
        expect(stats.nth(index).locator(".stat-number")).to_have_text(number)
        expect(stats.nth(index).locator(".stat-label")).to_contain_text(words)
    programme = page.locator(
        "section.panel", has=page.get_by_role("heading", name="年度内の全セミナー")
    )
    expect(programme.locator("tbody tr td:nth-child(2)")).to_have_text(titles)
    screenshot(page, "journey-staff-report-desktop")

    with page.expect_download() as xlsx_info:
        page.get_by_role("link", name="Excel（.xlsx）をダウンロード").click()
    xlsx = xlsx_info.value
    assert xlsx.suggested_filename == "report-fy2020.xlsx"
    workbook = load_workbook(io.BytesIO(Path(xlsx.path()).read_bytes()))
    summary = workbook.worksheets[0]
    assert summary.title == "概要"
    figures = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert figures["開催セミナー数"] == held
    # Synced FY2020 seminars were never counted: unknown, shown as "—", never as 0.
    assert figures["参加者数"] == (
        "—" if report.seminars.attendees_unknown else report.attendees.total
    )

    with page.expect_download() as deck_info:
        page.get_by_role("link", name="活動状況スライド（.pptx）").click()
    deck_file = deck_info.value
    assert deck_file.suggested_filename == "activity-fy2020.pptx"
    deck = Presentation(io.BytesIO(Path(deck_file.path()).read_bytes()))
    assert len(deck.slides) > 3
    cells = [
        cell.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
        for cell in row.cells
    ]
    assert f"{held}回（うちオンライン {report.seminars.online}回）" in cells
    for title in titles:
        assert title in cells, title

    phone = open_page("ja", **PHONE)
    log_in(phone, live_server, "organizer@example.org")
    phone.goto(f"{live_server}/console/reports/?fy=2020")
    expect(phone.locator(".stats .stat-number").first).to_have_text(str(held))
    screenshot(phone, "journey-staff-report-phone")


@pytest.fixture
def open_seminar(live_server):
    """A seminar ten days ahead, open for registration, 20 seats."""
    from seminar_app.catalogue.models import Seminar
    from seminar_app.database import begin_write
    from seminar_app.domain import Delivery, Level, SeminarStatus, Series
    from seminar_app.timeutil import utcnow

    slug = _slug("journey-keyboard")
    title = f"知財活用セミナー（キーボード確認用 {slug[-8:]}）"
    starts = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=10)
    with live_database(live_server) as session:
        begin_write(session)  # the outbox sender writes to the same SQLite file
        session.add(
            Seminar(
                slug=slug,
                title=title,
                series=Series.IP_UTILIZATION,
                level=Level.BEGINNER,
                delivery=Delivery.IN_PERSON,
                status=SeminarStatus.PUBLISHED,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                venue="知財戦略支援センター 2階 研修室",
                capacity=20,
                description="キーボードだけで申し込めることを確かめます。",
            )
        )
    return {"slug": slug, "title": title}


def _focused(page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement?.matches(s) ?? false", selector)


def _tab_to(page, selector: str, most: int = 40) -> int:
    """Press Tab until the focused element matches `selector`; the number of presses."""
    for presses in range(1, most + 1):
        page.keyboard.press("Tab")
        if _focused(page, selector):
            return presses
    raise AssertionError(f"{most} presses of Tab never reached {selector}")


FOCUS_STYLE = """element => {
  const style = getComputedStyle(element);
  return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(" | ");
}"""


def test_registering_with_the_keyboard_alone_on_a_phone(live_server, open_page, open_seminar):
    page = open_page("ja", **PHONE)
    page.goto(f"{live_server}/seminars/{open_seminar['slug']}")
    expect(page.locator("h1")).to_have_text(open_seminar["title"])

    register_link = "a.button-primary[href$='/register']"
    _tab_to(page, register_link)
    focused_style = page.locator(register_link).evaluate(FOCUS_STYLE)
    resting_style = page.locator("p.breadcrumb a").evaluate(FOCUS_STYLE)
    assert focused_style != resting_style, (focused_style, resting_style)
    assert focused_style.startswith("solid | 3px"), focused_style
    screenshot(page, "journey-staff-keyboard-focus-register-link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/seminars/{open_seminar['slug']}/register")

    assert _tab_to(page, "#name") < 15
    page.keyboard.type("鍵盤 操子")
    name_style = page.locator("#name").evaluate(FOCUS_STYLE)
    email_style = page.locator("#email").evaluate(FOCUS_STYLE)
    assert name_style != email_style, (name_style, email_style)
    assert name_style.startswith("solid | 3px"), name_style

    page.keyboard.press("Tab")
    assert _focused(page, "#name_kana")
    page.keyboard.type("けんばん そうこ")
    page.keyboard.press("Tab")
    assert _focused(page, "#email")
    page.keyboard.type("keyboard.only@example.jp")

    _tab_to(page, "#attribute", most=3)
    page.keyboard.press("ArrowDown")  # the first choice after 「選択してください」: 中小企業
    page.keyboard.press("Tab")
    assert _focused(page, "#organization")
    page.keyboard.type("株式会社キーボード工業")
    _tab_to(page, "#prefecture", most=4)
    for _ in range(13):  # 01 北海道 … 13 東京都
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    assert _focused(page, "#employee_band")  # required for a company
    for _ in range(3):  # 1-5, 6-20, 21-50
        page.keyboard.press("ArrowDown")
    screenshot(page, "journey-staff-keyboard-form-phone")

    _tab_to(page, "#privacy_notice_agreed", most=12)
    page.keyboard.press("Space")
    assert page.locator("#privacy_notice_agreed").is_checked()
    _tab_to(page, "form.form-grid button[type=submit]", most=3)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # 確認: what was entered, then the final button, still by keyboard alone.
    expect(page.locator(".confirm-facts")).to_contain_text("鍵盤 操子")
    _tab_to(page, "button[name=register]", most=40)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    errors = page.locator(".field-error, .flash-error").all_inner_texts()
    assert re.search(r"/r/[^/?]+\?new=1$", page.url), errors
    expect(page.locator(".flash-success")).to_contain_text("参加が確定しました")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("鍵盤 操子")
    expect(facts).to_contain_text("keyboard.only@example.jp")
    expect(facts).to_contain_text("株式会社キーボード工業")
    expect(page.locator(".ticket-code")).to_be_visible()
    screenshot(page, "journey-staff-keyboard-confirmed-phone")

    from sqlalchemy import select

    from seminar_app.registration.models import Registration

    with live_database(live_server) as session:
        registration = session.scalar(
            select(Registration).where(Registration.email == "keyboard.only@example.jp")
        )
        chosen = (registration.attribute, registration.prefecture, registration.employee_band)
        assert chosen == ("sme", "13", "21-50")
