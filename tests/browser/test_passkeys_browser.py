"""Passkeys in Chromium: registered and used with its virtual authenticator (the DevTools
WebAuthn domain, through Playwright's CDP session), on a server whose BASE_URL is
http://localhost:PORT (WebAuthn needs a secure context and a domain as RP ID; Chromium
counts http://localhost as secure). The pages of two-step verification leave screenshots
at phone and desktop width, in Japanese and English.
"""

from __future__ import annotations

import os
import re
import sys
from itertools import count
from pathlib import Path

import pyotp
import pytest

from tests.browser.conftest import (
    _flask,
    _start,
    new_context,
    screenshot,
    stop,
    wait_until_serving,
)
from tests.mailserver import MailServer, free_port

pytestmark = pytest.mark.browser

PASSWORD = "browser-test-pass"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
_accounts = count(1)


@pytest.fixture(scope="module")
def localhost_server(tmp_path_factory):
    """gunicorn on 127.0.0.1, reached as http://localhost:PORT, with second factors required."""
    folder = tmp_path_factory.mktemp("passkeys")
    mail = MailServer().start()
    port = free_port()
    base = f"http://localhost:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'live.db'}",
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "APP_ENV": "development",
        "BASE_URL": base,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail.port),
        "REQUIRE_SECOND_FACTOR": "true",
        "LOGIN_RATE_LIMIT": "200 per minute",
    }
    _flask(env, "db", "upgrade")
    server = _start(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "wsgi:app",
        ],
        env,
    )
    if not wait_until_serving(server, f"http://127.0.0.1:{port}"):
        raise RuntimeError(f"gunicorn did not start: {server.stderr.read()!r}")
    yield base, env
    stop(server)
    mail.stop()


def new_organizer(env) -> str:
    email = f"organizer{next(_accounts)}@example.org"
    _flask(env, "users", "create", email, "--role", "organizer", "--password", PASSWORD)
    return email


def virtual_authenticator(page):
    """Chromium's virtual platform authenticator (like Touch ID or Windows Hello)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    created = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, created["authenticatorId"]


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def log_out(page) -> None:
    with page.expect_navigation():
        page.locator(".header-nav form button").click()


@pytest.fixture
def open_page(browser):
    contexts = []

    def factory(language: str, width: int, height: int):
        context = new_context(
            browser,
            viewport={"width": width, "height": height},
            locale=language,
            extra_http_headers={"Accept-Language": language},
        )
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


def fits_the_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_passkey_registered_and_used_in_chromium(localhost_server, open_page):
    base, env = localhost_server
    email = new_organizer(env)
    page = open_page("ja", *SIZES["desktop"])
    cdp, authenticator = virtual_authenticator(page)

    # The password is right, but an organizer must set up a factor before anything else.
    log_in(page, base, email)
    assert page.url == f"{base}/account/second-factor"
    page.goto(f"{base}/console/")
    assert "/login" in page.url  # not signed in yet
    page.goto(f"{base}/account/second-factor")

    page.fill("#name", "このパソコン")
    with page.expect_navigation(url=f"{base}/account/second-factor"):
        page.get_by_role("button", name="パスキーを追加する").click()
    assert page.get_by_text("パスキー「このパソコン」を追加しました。").is_visible()
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["rpId"] == "localhost"

    # Next, the ten recovery codes, shown once; then on to the staff page.
    with page.expect_navigation():
        page.get_by_role("button", name="リカバリーコードを発行する").click()
    assert page.locator(".recovery-codes code").count() == 10
    with page.expect_navigation():
        page.get_by_role("link", name="コードを控えたので次へ進む").click()
    assert page.url == f"{base}/staff"
    log_out(page)

    # The next login asks for the passkey, and the virtual authenticator answers.
    log_in(page, base, email)
    assert page.url == f"{base}/login/second-factor"
    with page.expect_navigation(url=f"{base}/staff"):
        page.get_by_role("button", name="パスキーでログインする").click()
    page.goto(f"{base}/console/")
    assert page.url == f"{base}/console/"
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert credentials["credentials"][0]["signCount"] >= 2


def test_a_passkey_of_another_browser_is_not_enough(localhost_server, open_page):
    """The authenticator is removed: the ceremony fails with a message, no login."""
    base, env = localhost_server
    email = new_organizer(env)
    page = open_page("en", *SIZES["desktop"])
    cdp, authenticator = virtual_authenticator(page)
    log_in(page, base, email)
    page.fill("#name", "Laptop")
    with page.expect_navigation(url=f"{base}/account/second-factor"):
        page.get_by_role("button", name="Add a passkey").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Make my recovery codes").click()
    log_out(page)
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    log_in(page, base, email)
    page.get_by_role("button", name="Use a passkey").click()
    message = page.locator("[data-passkey-message]")
    message.filter(has_text=re.compile("cancelled|went wrong")).wait_for()
    assert page.url == f"{base}/login/second-factor"
    page.goto(f"{base}/staff")
    assert "/login" in page.url


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots_of_two_step_verification(localhost_server, open_page, language, size):
    base, env = localhost_server
    email = new_organizer(env)
    page = open_page(language, *SIZES[size])
    virtual_authenticator(page)
    name = f"second-factor-{{}}-{size}-{language}"

    log_in(page, base, email)
    assert page.url == f"{base}/account/second-factor"
    page.locator("[data-passkey=register]").wait_for()
    assert fits_the_width(page)
    screenshot(page, name.format("enrol"))

    page.goto(f"{base}/account/second-factor/app")
    assert page.locator("img.totp-qr").evaluate("img => img.naturalWidth > 0")
    page.locator(".factor-more summary").click()
    assert fits_the_width(page)
    screenshot(page, name.format("app-setup"))

    # The key typed into an authenticator app (pyotp), its code typed back.
    secret = re.sub(r"\s", "", page.locator(".totp-secret").inner_text())
    page.fill("#code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator(".recovery-codes code").count() == 10
    assert fits_the_width(page)
    screenshot(page, name.format("recovery-codes"))

    page.goto(f"{base}/account/second-factor")
    page.fill("#name", "会社のパソコン" if language == "ja" else "Office PC")
    with page.expect_navigation(url=f"{base}/account/second-factor"):
        page.locator("[data-passkey=register] button[type=submit]").click()
    assert page.locator(".factor-list li").count() == 1
    assert fits_the_width(page)
    screenshot(page, name.format("account"))
    log_out(page)

    log_in(page, base, email)
    assert page.url == f"{base}/login/second-factor"
    page.locator("[data-passkey=login]").wait_for()
    page.fill("#code", "000000")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.locator("#code-error").is_visible()  # a wrong code, said plainly
    assert fits_the_width(page)
    screenshot(page, name.format("challenge"))
