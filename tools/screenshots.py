"""The README's pictures, taken from the demo served for real: `make screenshots`.

A fresh SQLite database in a temporary folder gets content/, the demo year and a seminar
held today with people registered and some checked in (all marked （デモ）); gunicorn
serves it, and Debian's chromium photographs the public pages and the staff pages at a
phone's size (390x844) and a desktop's (1280x900), in Japanese and, for a few, English.
The pictures go to docs/screenshots/, as palette PNGs to keep the repository small.

    .venv/bin/python tools/screenshots.py [--only NAME ...] [--out FOLDER]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from time import monotonic, sleep
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
#: A picture shows at most this much of a long page (a phone's two and a half screens).
MAX_HEIGHT = {"phone": 2100, "desktop": 1500}
STAFF_EMAIL = "yamada@example.jp"
STAFF_NAME = "山田 花子"

#: The people registered for today's seminar: a reading for each row of the 五十音.
PEOPLE = (
    ("青木 美咲", "あおき みさき"),
    ("石井 健一", "いしい けんいち"),
    ("加藤 陽子", "かとう ようこ"),
    ("木村 翔太", "きむら しょうた"),
    ("佐藤 花子", "さとう はなこ"),
    ("鈴木 大輔", "すずき だいすけ"),
    ("高橋 真理", "たかはし まり"),
    ("田中 太郎", "たなか たろう"),
    ("中村 恵", "なかむら めぐみ"),
    ("野口 修", "のぐち おさむ"),
    ("橋本 直樹", "はしもと なおき"),
    ("福田 彩", "ふくだ あや"),
    ("松本 和也", "まつもと かずや"),
    ("森 由紀", "もり ゆき"),
    ("山口 亮", "やまぐち りょう"),
    ("吉田 香織", "よしだ かおり"),
    ("渡辺 誠", "わたなべ まこと"),
)
#: Of them, those already at the door (by their place in PEOPLE).
CHECKED_IN = (1, 4, 6, 9, 11, 14)
#: An English speaker, whose page the English pictures show.
ENGLISH_SPEAKER = "Emily Carter"


@dataclass(frozen=True)
class Arranged:
    """What the pictures show: today's seminar, a seminar open for registration, a hybrid
    one (venue or online, each with its seats) open for registration, one participant's
    management page, and the demo year."""

    today_id: int
    open_slug: str
    hybrid_slug: str
    manage_token: str
    manage_token_en: str
    demo_year: int


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    devices: tuple[str, ...] = ("phone", "desktop")
    languages: tuple[str, ...] = ("ja",)
    staff: bool = False
    #: What to do on the page before the picture (fill a form, press a button). It answers
    #: what went wrong when the page is not the one the picture must show, and then no
    #: picture is taken and the run stops naming the shot.
    then: Callable[[Any], str | None] | None = None


def _flask(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stderr}")


def _participant(number: int, name: str, kana: str, locale: str = "ja") -> dict[str, Any]:
    from seminar_app.demo import COMPANIES

    return {
        "name": name,
        "name_kana": kana,
        "email": f"demo.today{number}@example.jp",
        "organization": f"（デモ）株式会社{COMPANIES[number % len(COMPANIES)]}",
        "prefecture": "13",
        "attribute": "sme",
        "employee_band": "21-50",
        "industry": "E",
        "announcements_opt_in": True,
        "locale": locale,
    }


def _arrange(database_url: str) -> Arranged:
    """Today's in-person seminar (13:30 to 16:30, Japan time) with its registrations and
    first check-ins, made through the services every door uses; and the next seminar of
    content/ that is still open for registration."""
    from sqlalchemy import select

    from seminar_app import create_app
    from seminar_app.attendance.services import admit
    from seminar_app.catalogue import lifecycle
    from seminar_app.catalogue.models import Seminar
    from seminar_app.catalogue.rules import SeminarFields
    from seminar_app.catalogue.services import RegistrationState, registration_state
    from seminar_app.demo import SLUG_PREFIX, demo_year
    from seminar_app.domain import CheckInMethod, Delivery, HostType, Level, Series
    from seminar_app.extensions import db
    from seminar_app.registration.details import parse_details
    from seminar_app.registration.services import register
    from seminar_app.timeutil import jst_datetime, jst_today, utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        session = db.session
        now = utcnow()
        starts = jst_datetime(jst_today(), time(13, 30))
        # Registered before the start, checked in at the door: whatever the hour of the run.
        registered_at = min(now, starts - timedelta(hours=20))
        arrived_at = min(now, starts - timedelta(minutes=10))
        fields = SeminarFields(
            title="営業秘密・知財戦略セミナー（初級）～秘密情報の守り方～【デモ】",
            title_en="Trade Secret & IP Strategy Seminar (Beginner): Guarding Your "
            "Confidential Information [demo]",
            series=Series.TRADE_SECRET_IP_STRATEGY,
            level=Level.BEGINNER,
            host_type=HostType.AGENCY,
            delivery=Delivery.IN_PERSON,
            status="published",
            description="デモ用の架空のセミナーです。",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            venue="知財戦略支援センター 5階 研修室",
            capacity=40,
        )
        lecturers = lifecycle.lecturer_choices(session)[:1]
        seminar = lifecycle.create_seminar(
            session, fields, lecturers, slug=f"{SLUG_PREFIX}today", label="demo"
        )
        lifecycle.publish(session, seminar, registered_at, label="demo")
        session.commit()
        people = [
            _participant(0, "（デモ）山田 太郎", "やまだ たろう"),
            _participant(1, f"{ENGLISH_SPEAKER} (demo)", "", locale="en"),
            *(
                _participant(number, f"（デモ）{name}", kana)
                for number, (name, kana) in enumerate(PEOPLE, start=2)
            ),
        ]
        registrations = []
        for data in people:
            details, errors = parse_details(data)
            if details is None:
                raise SystemExit(f"the demo participant {data['name']} was refused: {errors}")
            registrations.append(
                register(
                    session,
                    seminar.id,
                    details,
                    now=registered_at,
                    privacy_notice_version=app.config["PRIVACY_NOTICE_VERSION"],
                )
            )
            session.commit()
        for place in CHECKED_IN:
            admit(
                session,
                registrations[2 + place],
                seminar.id,
                by=None,
                method=CheckInMethod.SCAN,
                desk="受付A",
                now=arrived_at,
            )
        session.commit()
        upcoming = (
            select(Seminar)
            .where(
                Seminar.status == "published",
                Seminar.starts_at > now + timedelta(days=3),
                Seminar.host_type == HostType.AGENCY,
                ~Seminar.slug.startswith(SLUG_PREFIX),
            )
            .order_by(Seminar.starts_at)
        )
        open_seminar = session.scalars(upcoming).first()
        # A hybrid seminar open for registration, whose form asks 会場 or オンライン: one
        # with a number of seats online too (the choice then shows both counts) if any.
        hybrids = [
            candidate
            for candidate in session.scalars(upcoming.where(Seminar.delivery == Delivery.HYBRID))
            if registration_state(candidate, now) == RegistrationState.OPEN
        ]
        hybrids.sort(key=lambda candidate: candidate.online_capacity is None)
        if not hybrids:
            raise SystemExit("content/ has no hybrid seminar open for registration to show")
        hybrid = hybrids[0]
        arranged = Arranged(
            today_id=seminar.id,
            open_slug=open_seminar.slug if open_seminar is not None else seminar.slug,
            hybrid_slug=hybrid.slug,
            manage_token=registrations[0].manage_token,
            manage_token_en=registrations[1].manage_token,
            demo_year=demo_year(now),
        )
        db.engine.dispose()
        return arranged


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serving(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
            return response.status == 200
    except OSError:
        return False


@contextmanager
def demo_server(folder: Path, password: str) -> Iterator[tuple[str, Arranged]]:
    """The demo, migrated, loaded and served by gunicorn; its address and what it shows."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # The demo's settings for the commands, the server and this process (which arranges
    # today's seminar through the services); mail stays in the development mailbox.
    os.environ.update(
        APP_ENV="development",
        DATABASE_URL=f"sqlite:///{folder / 'demo.db'}",
        UPLOAD_FOLDER=str(folder / "uploads"),
        BASE_URL=base,
        DEMO_DATA="true",
    )
    os.environ.pop("SMTP_HOST", None)
    env = dict(os.environ)
    _flask(env, "db", "upgrade")
    _flask(env, "content", "sync")
    _flask(env, "demo", "load")
    _flask(env, "users", "create", STAFF_EMAIL, "--name", STAFF_NAME, "--password", password,
           "--role", "organizer", "--role", "advisor", "--role", "admin")  # fmt: skip
    arranged = _arrange(env["DATABASE_URL"])
    # gunicorn's log goes to a file: a pipe nobody reads while the pictures are taken could
    # fill up and stall the server.
    log = folder / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip
    try:
        deadline = monotonic() + 30
        while not _serving(base):
            if server.poll() is not None or monotonic() > deadline:
                _stop(server)
                raise SystemExit(f"the demo did not start:\n{log.read_text(errors='replace')}")
            sleep(0.2)
        yield base, arranged
    finally:
        _stop(server)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """The server stopped: asked first, killed when it does not stop within ten seconds."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def _confirmation_step(page: Any) -> str | None:
    """The registration form filled in as a participant would (online, where the seminar
    asks how they attend) and sent: the confirmation page (入力 → 確認 → 完了) that follows,
    where nothing is registered yet."""
    online = page.locator("input[name=attendance_mode][value=online]")
    if online.count():
        online.check()
    page.fill("#name", "知財 一郎")
    page.fill("#name_kana", "ちざい いちろう")
    page.fill("#email", "ichiro.chizai@example.jp")
    page.select_option("#attribute", "sme")
    page.fill("#organization", "株式会社サンプル製作所")
    page.fill("#department", "総務部")
    page.select_option("#prefecture", "13")
    page.select_option("#employee_band", "21-50")
    page.select_option("#industry", "E")
    page.fill("#question", "退職者による情報の持ち出しを防ぐ方法を伺いたいです。")
    page.check("#privacy_notice_agreed")
    with page.expect_navigation():
        page.locator("form.form-grid button[type=submit]").click()
    errors = page.locator(".field-error").all_inner_texts()
    if errors:
        return f"the form refused the sample participant: {errors}"
    if page.locator("button[name=register]").count() != 1:
        return f"the form led to {page.url}, not to the confirmation page"
    return None


def _ask_to_send_announcement(page: Any) -> str | None:
    page.fill("#subject", "【ご案内】営業秘密・知財戦略セミナー（中級）の受付を開始しました")
    page.fill(
        "#body",
        "知財戦略支援センターです。\n"
        "営業秘密の管理規程づくりを扱う中級セミナーのお申し込み受付を開始しました。\n"
        "詳細とお申し込みはセミナー一覧からご覧ください。",
    )
    with page.expect_navigation():
        page.locator("button[name=action][value=send]").click()
    if page.locator("input[name=confirmed]").count() != 1:
        return f"sending led to {page.url}, not to the page that asks before sending"
    return None


def shots(arranged: Arranged) -> list[Shot]:
    today, fy = arranged.today_id, arranged.demo_year
    return [
        Shot("catalogue", "/", languages=("ja", "en")),
        Shot("seminar", f"/seminars/{arranged.open_slug}"),
        # A hybrid seminar's form, which asks first how the person attends (会場 or オンライン).
        Shot("registration", f"/seminars/{arranged.hybrid_slug}/register"),
        Shot(
            "registration-confirm",
            f"/seminars/{arranged.hybrid_slug}/register",
            languages=("ja", "en"),
            then=_confirmation_step,
        ),
        Shot("manage", f"/r/{arranged.manage_token}"),
        Shot("manage", f"/r/{arranged.manage_token_en}", languages=("en",)),
        Shot("home", "/staff", staff=True),
        Shot("console", "/console/", staff=True),
        Shot("console-seminar", f"/console/seminars/{today}", staff=True),
        Shot("desk", f"/desk/{today}", staff=True),
        Shot(
            "announcement-confirm",
            "/console/announcements",
            staff=True,
            then=_ask_to_send_announcement,
        ),
        Shot("report", f"/console/reports/?fy={fy}", staff=True),
        Shot("consultations", f"/console/consultations/?fy={fy}", staff=True),
    ]


def save(png: bytes, path: Path) -> None:
    """The picture as a palette PNG: a quarter of the bytes, the text as sharp."""
    from io import BytesIO

    image = Image.open(BytesIO(png)).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(path, optimize=True)


#: Where a page's content ends: the bottom of its footer, below which the window is empty.
CONTENT_HEIGHT = """() => Math.ceil(
  document.querySelector('.site-footer').getBoundingClientRect().bottom + window.scrollY
)"""


def _log_in(page: Any, base: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", STAFF_EMAIL)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").last.click()


def _picture(page: Any, base: str, shot: Shot, device: str, path: Path) -> None:
    """The page of `shot` as far as its content goes (at most MAX_HEIGHT), saved at `path`.
    A page that is not the one the picture must show stops the run, naming the shot."""
    response = page.goto(f"{base}{shot.path}")
    if response is None or response.status != 200:
        raise SystemExit(f"{path.name}: {shot.path} answered {response and response.status}")
    problem = shot.then(page) if shot.then is not None else None
    if problem is not None:
        raise SystemExit(f"{path.name}: {problem}")
    page.wait_for_load_state("networkidle")
    width = page.viewport_size["width"]
    height = min(page.evaluate(CONTENT_HEIGHT), MAX_HEIGHT[device])
    clip = {"x": 0, "y": 0, "width": width, "height": height}
    save(page.screenshot(full_page=True, clip=clip), path)


def take(base: str, arranged: Arranged, password: str, out: Path, only: set[str]) -> list[Path]:
    """Every picture of `shots` (or those named in `only`), in each language and size."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as playwright:
        for language in ("ja", "en"):
            # The browser's own words (a file field's button) in the page's language.
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", f"--lang={language}"],
                env={**os.environ, "LANGUAGE": language},
            )
            for device, (width, height) in SIZES.items():
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    locale=language,
                    extra_http_headers={"Accept-Language": language},
                )
                page = context.new_page()
                logged_in = False
                for shot in shots(arranged):
                    if (only and shot.name not in only) or language not in shot.languages:
                        continue
                    if device not in shot.devices:
                        continue
                    if shot.staff and not logged_in:
                        _log_in(page, base, password)
                        logged_in = True
                    path = out / f"{shot.name}-{language}-{device}.png"
                    _picture(page, base, shot, device, path)
                    written.append(path)
                    print(f"{path}  {path.stat().st_size // 1024} KB")
                context.close()
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="names of pictures to take")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the pictures")
    options = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"chromium not found at {CHROMIUM}: apt-get install chromium fonts-noto-cjk")
        return 1
    options.out.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    with (
        tempfile.TemporaryDirectory() as folder,
        demo_server(Path(folder), password) as (
            base,
            arranged,
        ),
    ):
        take(base, arranged, password, options.out, set(options.only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
