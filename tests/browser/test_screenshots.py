"""The main pages on a phone and a desktop, in Japanese and English: each loads, has its
heading, fits the phone's width, and leaves a screenshot in test-output/screenshots."""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser.conftest import UPCOMING_SLUG, live_database, log_in, screenshot
from tests.browser.test_accessibility import arrange_survey, open_desk, register_for_upcoming

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1280, 900)}

#: A few consultations of this fiscal year, so that the desk's list is not empty.
CONSULTATIONS = (
    ("株式会社みなと精機", "in-person", "sme", ["trade-secret-management"], "direct", 2),
    ("有限会社さくら食品", "online", "sme", ["contracts", "departing-employees"], "seminar", 4),
    (
        "北斗テクノロジー株式会社",
        "phone",
        "large-company",
        ["leak-incident"],
        "prefectural-desk",
        1,
    ),
)


def add_consultations(live_server) -> None:
    from seminar_app.auth.models import User
    from seminar_app.consultations.services import ConsultationInput, record_consultation
    from seminar_app.timeutil import to_jst, utcnow

    today = to_jst(utcnow()).date()
    with live_database(live_server) as session:
        advisor = session.query(User).filter_by(email="advisor@example.org").one()
        for day, (name, channel, attribute, topics, source, step) in enumerate(CONSULTATIONS):
            held_on = date.fromordinal(today.toordinal() - 7 * day)
            values = ConsultationInput(
                held_on=held_on,
                channel=channel,
                attribute=attribute,
                topics=topics,
                source=source,
                employee_band="21-50" if attribute == "sme" else "301-1000",
                industry="E",
                prefecture="13",
                step=step,
                organization=name,
                notes="画面確認用の相談記録です。",
            )
            record_consultation(session, values, advisor=advisor, by=advisor)


def _showcase_slug(live_server) -> str:
    """The next seminar of content/ (with its description and lecturers), else the test's."""
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import SeminarStatus
    from seminar_app.timeutil import utcnow

    with live_database(live_server) as session:
        seminar = (
            session.query(Seminar)
            .filter(
                Seminar.status == SeminarStatus.PUBLISHED,
                Seminar.starts_at > utcnow(),
                ~Seminar.slug.startswith("browser-"),
            )
            .order_by(Seminar.starts_at)
            .first()
        )
        return seminar.slug if seminar is not None else UPCOMING_SLUG


@pytest.fixture(scope="module")
def arranged(live_server):
    """What the pages show: a registration, a survey to answer, some consultations."""
    add_consultations(live_server)
    return {
        "showcase": _showcase_slug(live_server),
        "manage": register_for_upcoming(live_server, name="画面 確認"),
        "survey": arrange_survey(live_server),
    }


def _confirm_registration(page, live_server) -> int | None:
    """The upcoming (hybrid) seminar's form filled in and sent: the confirmation step."""
    page.goto(f"{live_server}/seminars/{UPCOMING_SLUG}/register")
    page.check("input[name=attendance_mode][value=online]")
    page.fill("#name", "画面 確認子")
    page.fill("#name_kana", "がめん かくにんこ")
    page.fill("#email", "screen.confirm@example.jp")
    page.select_option("#attribute", "individual")
    page.select_option("#prefecture", "13")
    page.fill("#question", "会場とオンラインのどちらでも資料は受け取れますか。")
    page.check("#privacy_notice_agreed")
    with page.expect_navigation() as navigation:
        page.locator("form.form-grid button.button-primary[type=submit]").click()
    errors = page.locator(".field-error").all_inner_texts()
    assert page.locator("button[name=register]").count() == 1, errors
    return navigation.value.status


def _visit(page, live_server, name: str, arranged: dict) -> int | None:
    """Open page `name`; the status of its response (None when reached by a click)."""
    paths = {
        "catalogue": "/",
        "seminar": f"/seminars/{arranged['showcase']}",
        "registration-form": f"/seminars/{UPCOMING_SLUG}/register",
        "manage": f"/r/{arranged['manage']}",
        "report": "/console/reports/?fy=2020",
        "consultations": "/console/consultations/",
        "survey": f"/r/{arranged['survey']}/survey",
    }
    if name == "desk":
        open_desk(page, live_server)
        return 200 if "/desk/" in page.url else None
    if name == "registration-confirm":
        return _confirm_registration(page, live_server)
    if name == "report":
        log_in(page, live_server, "organizer@example.org")
    elif name == "consultations":
        log_in(page, live_server, "advisor@example.org")
    return page.goto(f"{live_server}{paths[name]}").status


PAGES = (
    "catalogue",
    "seminar",
    "registration-form",
    "registration-confirm",
    "manage",
    "desk",
    "report",
    "consultations",
    "survey",
)


@pytest.mark.parametrize("device", list(SIZES))
@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("name", PAGES)
def test_page_screenshot(live_server, open_page, arranged, name, language, device):
    width, height = SIZES[device]
    page = open_page(language, width=width, height=height)
    status = _visit(page, live_server, name, arranged)
    assert status == 200, f"{name}: {status} at {page.url}"
    assert page.locator("h1").count() >= 1, f"{name} has no h1"
    page.wait_for_load_state("load")
    screenshot(page, f"{name}-{language}-{device}")
    if device == "phone":
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} ({language}) is {overflow}px wider than the phone"
