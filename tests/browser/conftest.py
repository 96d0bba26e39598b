"""A real server process (gunicorn) with the demo catalogue, and Debian's chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.mailserver import MailServer, free_port
from tests.waiting import patience, wait_until

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Playwright's own deadlines (30 s for an action or a page, 5 s for an expect()) would fail
#: a journey on a machine busy with other work; like every deadline of the suite they only
#: bound a failure (tests/waiting.py).
ACTION_TIMEOUT_MS = patience(90) * 1000
EXPECT_TIMEOUT_MS = patience(30) * 1000


def _flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


#: A seminar three days ahead, whatever the date, for journeys that need an open one.
UPCOMING_SLUG = "browser-upcoming"


def _add_upcoming_seminar(url: str) -> None:
    from datetime import timedelta

    from seminar_app import create_app
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import Delivery, Level, SeminarStatus, Series
    from seminar_app.extensions import db
    from seminar_app.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        starts = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        db.session.add(
            Seminar(
                slug=UPCOMING_SLUG,
                title="営業秘密・知財戦略セミナー（初級）～ブラウザ確認用～",
                series=Series.TRADE_SECRET_IP_STRATEGY,
                level=Level.BEGINNER,
                delivery=Delivery.HYBRID,
                status=SeminarStatus.PUBLISHED,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                venue="知財戦略支援センター 3階 セミナールーム",
                meeting_url="https://meet.example.org/j/browser",
                capacity=30,
                description="ブラウザでの動作確認に使うセミナーです。",
            )
        )
        db.session.commit()
        db.engine.dispose()


class LiveServer(str):
    """The base URL of the live app (a str, as the tests join paths to it), with what the
    journeys need beside it: its database and the SMTP server its mail goes to."""

    db_url: str
    mail: MailServer

    def __new__(cls, base: str, *, db_url: str, mail: MailServer) -> LiveServer:
        server = super().__new__(cls, base)
        server.db_url = db_url
        server.mail = mail
        return server

    def received_by(self, address: str) -> list:
        """The mails received for `address` so far."""
        return [
            message
            for message in self.mail.parsed()
            if address.lower() in str(message["To"]).lower()
        ]

    def mails_to(self, address: str, count: int = 1, timeout: float = 60.0) -> list:
        """The mails received for `address`, waiting until there are `count` of them."""
        wait_until(lambda: len(self.received_by(address)) >= count, timeout, interval=0.1)
        return self.received_by(address)

    def outbox_delivered(self, kind: str, timeout: float = 60.0) -> bool:
        """Whether every queued mail of `kind` left the outbox in time (sent, or given up):
        after it, a mail of that kind that has not arrived is one that was never queued."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.db_url)
        pending = text(
            "SELECT count(*) FROM outbox_messages WHERE kind = :k AND status = 'pending'"
        )

        def none_pending() -> bool:
            with engine.connect() as connection:
                return connection.execute(pending, {"k": kind}).scalar() == 0

        try:
            return wait_until(none_pending, timeout, interval=0.1)
        finally:
            engine.dispose()


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=patience(10)) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


def wait_until_serving(server: subprocess.Popen, base: str, timeout: float = 120) -> bool:
    """Whether the server at `base` answers its health check in time; killed if not."""
    serving = wait_until(lambda: server.poll() is not None or _healthy(base), timeout)
    if serving and server.poll() is None:
        return True
    server.kill()
    return False


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """gunicorn serving the app on SQLite, migrated and loaded with content/, its mail
    delivered by a running outbox sender to a real SMTP server (aiosmtpd)."""
    folder = tmp_path_factory.mktemp("live")
    mail = MailServer().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'live.db'}",
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "APP_ENV": "development",
        "BASE_URL": base,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail.port),
        "SMTP_STARTTLS": "false",
        # Every browser test logs its staff in from this one address, dozens in a minute:
        # the login limit would refuse the later ones (tests/test_auth.py tests the limit).
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }
    _flask(env, "db", "upgrade")
    _flask(env, "content", "sync")
    _flask(
        env,
        "users",
        "create",
        "organizer@example.org",
        "--role",
        "organizer",
        "--password",
        "browser-test-pass",
    )
    for email, role in (("advisor@example.org", "advisor"), ("lecturer@example.org", "lecturer")):
        _flask(
            env,
            "users",
            "create",
            email,
            "--role",
            role,
            "--password",
            "browser-test-pass",
            "--name",
            "山田 花子" if role == "advisor" else "講師 一郎",
        )
    _add_upcoming_seminar(env["DATABASE_URL"])
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
    sender = _start(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "outbox",
            "send",
            "--loop",
            "--interval",
            "0.3",
        ],
        env,
    )
    if not wait_until_serving(server, base):
        sender.kill()
        raise RuntimeError(f"gunicorn did not start: {server.stderr.read()!r}")
    yield LiveServer(base, db_url=env["DATABASE_URL"], mail=mail)
    for process in (sender, server):
        stop(process)
    mail.stop()


def stop(process: subprocess.Popen) -> None:
    """Ask a server or sender to stop, and kill it if it does not in time."""
    process.terminate()
    try:
        process.wait(timeout=patience(30))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def live_database(live: LiveServer):
    """An app context on the live server's database, to arrange what a journey starts from."""
    from seminar_app import create_app
    from seminar_app.extensions import db

    # The live server and its outbox sender write to the same SQLite file: every
    # transaction here takes the write lock when it begins (waiting for it), so that one
    # that reads and then writes is never refused half-way ("database is locked").
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": live.db_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "hide_parameters": True,
                "execution_options": {"sqlite_begin_immediate": True},
            },
        }
    )
    with app.app_context():
        try:
            yield db.session
            db.session.commit()
        finally:
            db.session.remove()
            db.engine.dispose()


def new_context(browser, **options):
    """A browser context whose actions, pages and downloads wait as patiently as the rest
    of the suite; every test's pages come from one of these."""
    context = browser.new_context(**options)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
    return context


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(
            f"chromium not found at {CHROMIUM}: browser tests are skipped "
            "(apt-get install chromium fonts-noto-cjk)"
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, timeout=ACTION_TIMEOUT_MS
        )
        yield instance
        instance.close()


@pytest.fixture
def open_page(browser):
    """A new page at phone or desktop size, with the browser's language set."""
    contexts = []

    def factory(language: str = "ja", width: int = 1280, height: int = 900):
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


def log_in(page, base: str, email: str, password: str = "browser-test-pass") -> None:  # noqa: S107 - a test account
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
