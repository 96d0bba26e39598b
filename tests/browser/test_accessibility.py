"""axe-core on the main pages, in Japanese (and the catalogue in English): no serious or
critical accessibility violation. axe-core comes from tests/browser/package.json
(`npm install --prefix tests/browser`), never from a CDN."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from tests.browser.conftest import UPCOMING_SLUG, live_database, log_in, new_context

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def register_for_upcoming(live_server, name: str = "アクセシ 太郎") -> str:
    """A confirmed registration for the upcoming seminar; its manage token."""
    from seminar_app.catalogue.models import Seminar
    from tests.registration_helpers import register

    with live_database(live_server) as session:
        seminar = session.query(Seminar).filter_by(slug=UPCOMING_SLUG).one()
        registration = register(
            session,
            seminar,
            name=name,
            email=f"a11y.{uuid.uuid4().hex[:10]}@example.jp",
            attendance_mode="venue",  # the upcoming seminar is hybrid
        )
        return registration.manage_token


def arrange_survey(live_server) -> str:
    """An ended seminar with the standard survey and one checked-in, confirmed registration;
    that registration's manage token (the survey is at /r/<token>/survey)."""
    from seminar_app.attendance import services as attendance
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import CheckInMethod, Delivery, Level, SeminarStatus, Series
    from seminar_app.surveys.services import create_survey
    from seminar_app.timeutil import utcnow
    from tests.registration_helpers import register

    with live_database(live_server) as session:
        starts = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=5)
        seminar = Seminar(
            slug=f"browser-survey-{uuid.uuid4().hex[:8]}",
            title="営業秘密管理の実務セミナー（アンケート確認用）",
            series=Series.TRADE_SECRET_IP_STRATEGY,
            level=Level.BEGINNER,
            delivery=Delivery.IN_PERSON,
            status=SeminarStatus.PUBLISHED,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            venue="知財戦略支援センター 3階 セミナールーム",
            capacity=30,
        )
        session.add(seminar)
        session.commit()
        registration = register(
            session, seminar, name="回答 花子", email=f"survey.{uuid.uuid4().hex[:10]}@example.jp"
        )
        # The seminar took place yesterday, and the person came.
        seminar.starts_at = utcnow().replace(microsecond=0) - timedelta(days=1)
        seminar.ends_at = seminar.starts_at + timedelta(hours=2)
        session.commit()
        attendance.admit(
            session,
            registration,
            seminar.id,
            by=None,
            method=CheckInMethod.SCAN,
            desk="A",
            now=seminar.starts_at,
        )
        create_survey(session, seminar)
        session.commit()
        return registration.manage_token


def open_desk(page, live_server) -> None:
    """The check-in desk of the upcoming seminar, as the organizer."""
    log_in(page, live_server, "organizer@example.org")
    page.goto(f"{live_server}/desk/")
    with page.expect_navigation():
        page.get_by_role("link", name="ブラウザ確認用").click()


def _describe(violation: dict) -> str:
    lines = [f"{violation['id']} ({violation['impact']}): {violation['help']}"]
    for node in violation["nodes"][:4]:
        lines.append(f"    {', '.join(map(str, node['target']))}  {node['html'][:160]}")
    if len(violation["nodes"]) > 4:
        lines.append(f"    … and {len(violation['nodes']) - 4} more")
    return "\n".join(lines)


@pytest.fixture
def axe_page(browser):
    """A page whose context bypasses the Content-Security-Policy: the app's policy
    (script-src 'self') refuses the inline <script> that add_script_tag(content=…) adds,
    so axe-core can only be injected with bypass_csp=True. Only the axe run uses it."""
    source = AXE.read_text(encoding="utf-8") if AXE.exists() else None
    if source is None:
        pytest.skip(f"{AXE} missing: run `npm ci --prefix tests/browser`")
    contexts = []

    def factory(language: str = "ja", width: int = 1280, height: int = 900):
        context = new_context(
            browser,
            viewport={"width": width, "height": height},
            locale=language,
            extra_http_headers={"Accept-Language": language},
            bypass_csp=True,
        )
        contexts.append(context)
        return context.new_page()

    factory.source = source
    yield factory
    for context in contexts:
        context.close()


def assert_accessible(page, source: str, what: str) -> None:
    page.add_script_tag(content=source)
    result = page.evaluate("async () => await axe.run(document)")
    blocking = [v for v in result["violations"] if v["impact"] in BLOCKING]
    report = "\n".join(_describe(violation) for violation in blocking)
    assert not blocking, f"axe on {what} ({page.url}):\n{report}"


def _goto(page, url: str) -> None:
    response = page.goto(url)
    assert response.status == 200, f"{url}: {response.status}"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_catalogue(live_server, axe_page, language):
    page = axe_page(language)
    _goto(page, f"{live_server}/")
    assert_accessible(page, axe_page.source, f"the catalogue ({language})")


def test_seminar_page(live_server, axe_page):
    page = axe_page()
    _goto(page, f"{live_server}/seminars/{UPCOMING_SLUG}")
    assert_accessible(page, axe_page.source, "the seminar page")


def test_registration_form(live_server, axe_page):
    page = axe_page(width=390, height=844)
    _goto(page, f"{live_server}/seminars/{UPCOMING_SLUG}/register")
    assert_accessible(page, axe_page.source, "the registration form")
    # And with the errors of an empty submission shown beside the fields.
    with page.expect_navigation():
        page.get_by_role("button", name="入力内容の確認").click()
    assert page.locator(".field-error").count() >= 1
    assert_accessible(page, axe_page.source, "the registration form with errors")
    # And the confirmation page (入力 → 確認), once the form is filled in.
    page.fill("#name", "山田 太郎")
    page.fill("#name_kana", "やまだ たろう")
    page.fill("#email", "axe.confirm@example.jp")
    page.select_option("#attribute", "individual")
    page.select_option("#prefecture", "13")
    page.check("#attendance_mode-0")  # 会場: the upcoming seminar is hybrid
    page.check("#privacy_notice_agreed")
    with page.expect_navigation():
        page.get_by_role("button", name="入力内容の確認").click()
    errors = page.locator(".field-error").all_inner_texts()
    assert page.get_by_role("button", name="入力画面に戻る").is_visible(), errors
    assert_accessible(page, axe_page.source, "the registration's confirmation page")


def test_management_page(live_server, axe_page):
    token = register_for_upcoming(live_server)
    page = axe_page()
    _goto(page, f"{live_server}/r/{token}")
    assert_accessible(page, axe_page.source, "the management page")


def test_check_in_desk(live_server, axe_page):
    page = axe_page()
    open_desk(page, live_server)
    assert page.locator("#code").count() == 1
    assert_accessible(page, axe_page.source, "the check-in desk")


def test_fiscal_year_report(live_server, axe_page):
    page = axe_page()
    log_in(page, live_server, "organizer@example.org")
    _goto(page, f"{live_server}/console/reports/?fy=2020")
    assert_accessible(page, axe_page.source, "the fiscal-year report")


def test_survey_page(live_server, axe_page):
    token = arrange_survey(live_server)
    page = axe_page()
    _goto(page, f"{live_server}/r/{token}/survey")
    assert page.locator("form").count() >= 1
    assert_accessible(page, axe_page.source, "the survey")


def test_consultation_form(live_server, axe_page):
    page = axe_page()
    log_in(page, live_server, "advisor@example.org")
    _goto(page, f"{live_server}/console/consultations/new")
    assert_accessible(page, axe_page.source, "the consultation form")
