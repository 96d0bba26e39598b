"""A day of the embedded default, compressed: `make run`'s SQLite with everything at once.

The server as `make run` starts it (`flask run` on a SQLite file, the demo loaded), its
outbox sender loop delivering to a real SMTP server, `flask reminders send` and `flask
lottery draw` run as cron runs them, and at the same time people on the public pages,
registering (API and form), opening and cancelling through their links, and staff on the
console and the JSON API (the registrations of a seminar just drawn above all: a GET that
writes an audit record). For EMBEDDED_DAY_SECONDS (60 by default; set it higher for a
longer soak) every answer must be 2xx or 3xx and every command must succeed, and the day's
work must be done: registrations made, every lottery drawn, reminders queued, every mail
delivered once.

Without the first-write lock of seminar_app.database (_lock_at_first_write) the staff's
reads that write an audit record met "database is locked" (a 503) whenever a draw, the
sender or a registration was writing, or had committed since the read began.
"""

from __future__ import annotations

import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import httpx

from tests.conftest import PASSWORD
from tests.mailserver import MailServer, free_port
from tests.registration_helpers import details_data
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent
#: Seconds of the mixed load (the setup and the delivery of the last mails come on top).
DURATION = float(os.environ.get("EMBEDDED_DAY_SECONDS", "60"))
#: Lottery seminars, their deadlines spread over the day so that draws happen amid the load.
LOTTERIES = max(2, int(DURATION // 20))
#: A lottery is applied to only while its deadline is at least this far ahead.
APPLICATION_MARGIN = timedelta(seconds=8)
ORGANIZER = "organizer@example.org"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --------------------------------------------------------------------------- processes


def flask_command(env: dict[str, str], *args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


def run_flask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        flask_command(env, *args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            flask_command(env, *args), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def serving(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


# --------------------------------------------------------------------------- the day


@dataclass
class Day:
    """What the actors share: where the server is, what exists, what happened."""

    base: str
    env: dict[str, str]
    token: str
    ends_at: float
    stop: threading.Event = field(default_factory=threading.Event)
    first_come: list[dict] = field(default_factory=list)
    #: Lottery seminars by id: their deadline (UTC).
    lotteries: dict[int, datetime] = field(default_factory=dict)
    drawn: list[int] = field(default_factory=list)
    #: Management links of registrations at first-come seminars, to open and cancel.
    links: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: What failed how ("API registrations: 503"), counted.
    failed: Counter = field(default_factory=Counter)
    done: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    emails: count = field(default_factory=lambda: count(1))

    def check(self, what: str, response: httpx.Response | None, *, expect=(200, 399)) -> bool:
        low, high = expect
        if response is not None and low <= response.status_code <= high:
            with self.lock:
                self.done[what] += 1
            return True
        with self.lock:
            if response is None:
                self.fail(what, "no answer", "")
            else:
                self.fail(what, str(response.status_code), repr(response.text[:300]))
        return False

    def fail(self, what: str, how: str, detail: str) -> None:
        """Note a failure (the caller holds the lock)."""
        self.failed[f"{what}: {how}"] += 1
        self.errors.append(f"{what}: {how} {detail}")

    def call(self, client: httpx.Client, what: str, method: str, url: str, **kwargs):
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            with self.lock:
                self.fail(what, type(exc).__name__, str(exc))
            return None
        return response if self.check(what, response) else None

    def command(self, what: str, *args: str) -> str | None:
        result = run_flask(self.env, *args)
        if result.returncode != 0:
            with self.lock:
                self.fail(what, f"exit {result.returncode}", result.stderr[-1500:])
            return None
        with self.lock:
            self.done[what] += 1
        return result.stdout

    def api(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=60)

    def open_lotteries(self) -> list[int]:
        soon = datetime.now(UTC) + APPLICATION_MARGIN
        return [sid for sid, deadline in self.lotteries.items() if deadline > soon]

    def due_lotteries(self) -> list[int]:
        now = datetime.now(UTC) - timedelta(seconds=1)
        return [sid for sid, deadline in self.lotteries.items() if deadline <= now]

    def email(self) -> str:
        return f"day{next(self.emails)}@example.jp"


def actor(day: Day, pause: float, step: Callable[[random.Random], None], seed: int) -> None:
    """Repeat `step` every `pause` seconds (the pace of the day) until the day ends."""
    rng = random.Random(seed)
    try:
        while not day.stop.is_set() and time.monotonic() < day.ends_at:
            step(rng)
            day.stop.wait(pause)
    except Exception as exc:  # an actor's own bug must fail the test, not end quietly
        with day.lock:
            day.fail(f"actor {step.__name__}", "crashed", f"{type(exc).__name__}: {exc}")


def visitor(day: Day) -> Callable[[random.Random], None]:
    client = httpx.Client(base_url=day.base, timeout=60, headers={"Accept-Language": "ja"})

    def browse(rng: random.Random) -> None:
        seminar = rng.choice(day.first_come)
        page = rng.choice(["/", f"/seminars/{seminar['slug']}", "/privacy", "/healthz"])
        day.call(client, "public page", "GET", page)

    return browse


def registrant(day: Day) -> Callable[[random.Random], None]:
    api = httpx.Client(base_url=day.base, timeout=60)
    browser = httpx.Client(base_url=day.base, timeout=60)

    def register(rng: random.Random) -> None:
        targets = [(s["id"], s["slug"], False) for s in day.first_come]
        targets += [(sid, None, True) for sid in day.open_lotteries()]
        seminar_id, slug, lottery = rng.choice(targets)
        email = day.email()
        data = details_data(email=email)
        if slug is not None and rng.random() < 0.25:  # like a browser: the form, then the POST
            form = day.call(browser, "registration form", "GET", f"/seminars/{slug}/register")
            if form is None:
                return
            match = CSRF.search(form.text)
            body = {**data, "privacy_notice_agreed": "y", "register": "1"}
            body["csrf_token"] = match.group(1) if match else ""
            sent = browser.post(f"/seminars/{slug}/register", data=body)
            day.check("registration by form", sent, expect=(300, 399))
            return
        body = {key: data[key] for key in ("name", "name_kana", "organization", "prefecture")}
        body.update(
            email=email,
            attribute=rng.choice(["sme", "large-company", "individual"]),
            employee_band=data["employee_band"],
            privacy_notice_agreed=True,
            locale="ja",
        )
        answer = day.call(
            api,
            "registration by API",
            "POST",
            f"/api/v1/seminars/{seminar_id}/registrations",
            json=body,
        )
        if answer is not None and not lottery:
            with day.lock:
                day.links.append(answer.json()["manage_url"])

    return register


def participant(day: Day) -> Callable[[random.Random], None]:
    client = httpx.Client(timeout=60)

    def follow_link(rng: random.Random) -> None:
        with day.lock:
            link = rng.choice(day.links) if day.links else None
        if link is None:
            return
        page = day.call(client, "management page", "GET", link)
        if page is None or rng.random() > 0.3:
            return
        form = day.call(client, "cancel page", "GET", link + "/cancel")
        match = CSRF.search(form.text) if form is not None else None
        if match:
            sent = client.post(link + "/cancel", data={"csrf_token": match.group(1)})
            if day.check("cancellation", sent, expect=(300, 399)):
                with day.lock:
                    if link in day.links:
                        day.links.remove(link)

    return follow_link


def staff_api(day: Day) -> Callable[[random.Random], None]:
    client = day.api()

    def work(rng: random.Random) -> None:
        with day.lock:
            drawn = list(day.drawn[-2:])
        ids = [*drawn, *drawn, *day.lotteries, *(s["id"] for s in day.first_come)]
        seminar_id = rng.choice(ids)
        roll = rng.random()
        if roll < 0.7:  # who registered: an export of personal data, audited
            day.call(
                client, "API registrations", "GET", f"/api/v1/seminars/{seminar_id}/registrations"
            )
        elif roll < 0.9:
            day.call(client, "API attendance", "GET", f"/api/v1/seminars/{seminar_id}/attendance")
        else:
            note = f"変更 {rng.randrange(10**6)}"
            day.call(
                client,
                "API seminar change",
                "PATCH",
                f"/api/v1/seminars/{seminar_id}",
                json={"description": note},
            )

    return work


def staff_console(day: Day) -> Callable[[random.Random], None]:
    client = httpx.Client(base_url=day.base, timeout=60)
    login = client.get("/login")
    match = CSRF.search(login.text)
    assert match, login.text[:500]
    answer = client.post(
        "/login", data={"email": ORGANIZER, "password": PASSWORD, "csrf_token": match.group(1)}
    )
    assert answer.status_code in (302, 303), answer.text[:500]

    def work(rng: random.Random) -> None:
        seminar_id = rng.choice([*day.lotteries, *(s["id"] for s in day.first_come)])
        page = rng.choice(
            [
                "/console/",
                f"/console/seminars/{seminar_id}",
                f"/console/seminars/{seminar_id}/registrations",
                f"/console/seminars/{seminar_id}/registrations.csv",
                f"/console/seminars/{seminar_id}/attendance",
                "/console/reports/",
            ]
        )
        day.call(client, "console page", "GET", page)

    return work


def cron(day: Day) -> None:
    """`flask reminders send` and `flask lottery draw` for each lottery past its deadline,
    over and over (far more often than a real crontab); after the day the draws still due."""

    def draw_due() -> None:
        for seminar_id in day.due_lotteries():
            if seminar_id in day.drawn:
                continue
            if day.command("lottery draw", "lottery", "draw", str(seminar_id)) is not None:
                with day.lock:
                    day.drawn.append(seminar_id)

    try:
        while not day.stop.is_set() and time.monotonic() < day.ends_at:
            day.command("reminders send", "reminders", "send")
            draw_due()
        draw_due()
    except Exception as exc:
        with day.lock:
            day.fail("cron", "crashed", f"{type(exc).__name__}: {exc}")


# --------------------------------------------------------------------------- setup


def create_seminars(day: Day) -> None:
    """Two first-come seminars tomorrow (within the reminders' reach) and the lotteries,
    their deadlines spread over the day, through the staff API."""
    now = datetime.now(UTC).replace(microsecond=0)
    starts = now + timedelta(days=1)
    common = {
        "series": "trade-secret-ip-strategy",
        "host_type": "agency",
        "status": "published",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "description": "営業秘密の基礎を学びます。",
    }
    online = {"delivery": "online", "meeting_url": "https://meet.example.org/j/day"}
    seminars = [
        {**common, **online, "title": "営業秘密・知財戦略セミナー（初級）", "capacity": 25},
        {
            **common,
            "title": "知財活用支援セミナー",
            "delivery": "in-person",
            "venue": "知財戦略支援センター 3階",
            "capacity": 12,
        },
    ]
    # Spread over the first four fifths of the day, the first after some applications.
    first, last = 12.0, 0.8 * DURATION
    for number in range(1, LOTTERIES + 1):
        seconds = first + (last - first) * (number - 1) / (LOTTERIES - 1)
        deadline = datetime.now(UTC) + timedelta(seconds=seconds)
        seminars.append(
            {
                **common,
                **online,
                "title": f"営業秘密・知財戦略セミナー（ワークショップ）第{number}回",
                "capacity": 4,
                "admission": "lottery",
                "lottery_sme_priority": number % 2 == 0,
                "registration_closes_at": deadline.isoformat(),
            }
        )
    with day.api() as client:
        for body in seminars:
            answer = client.post("/api/v1/seminars", json=body)
            assert answer.status_code == 201, answer.text[:1000]
            created = answer.json()
            if created["admission"] == "lottery":
                day.lotteries[created["id"]] = datetime.fromisoformat(
                    created["registration_closes_at"]
                )
            else:
                day.first_come.append(created)


def prepare(env: dict[str, str]) -> str:
    """What `make run` does before serving (db upgrade, content sync, demo load), then an
    organizer and an API token: the same `flask` commands, run in this process through the
    CLI's runner (a process each would spend seconds importing the app). The token."""
    from seminar_app import create_app
    from seminar_app.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "UPLOAD_FOLDER": env["UPLOAD_FOLDER"]}
    )
    runner = app.test_cli_runner()
    organizer = ("users", "create", ORGANIZER, "--role", "organizer", "--password", PASSWORD)
    outputs = []
    for args in (("db", "upgrade"), ("content", "sync"), ("demo", "load"), organizer):
        result = runner.invoke(args=list(args))
        assert result.exit_code == 0, (args, result.output[-2000:], result.exception)
        outputs.append(result.output)
    assert "Loaded the demo year" in outputs[2], outputs[2]
    issued = runner.invoke(args=["users", "token", ORGANIZER])
    assert issued.exit_code == 0, issued.output
    with app.app_context():
        db.engine.dispose()  # the file is the server's from here on
    return issued.output.strip().splitlines()[-1]


def outbox_counts(database: Path) -> Counter:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        return Counter(
            dict(
                conn.execute(
                    "SELECT status, count(*) FROM outbox_messages GROUP BY status"
                ).fetchall()
            )
        )


def query(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql).fetchall()


# --------------------------------------------------------------------------- the test


def test_a_day_on_the_embedded_default_answers_every_request(tmp_path):
    began = time.monotonic()
    mail = MailServer().start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = tmp_path / "seminar.db"
    env = {
        **os.environ,
        # What `make run` sets, and the mail server it is told of (SMTP_HOST).
        "APP_ENV": "development",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{database}",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "BASE_URL": base,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mail.port),
        "SMTP_STARTTLS": "false",
        # Every visitor of this day comes from 127.0.0.1: the per-address limits would
        # refuse them as one person (they have tests of their own).
        "RATELIMIT_ENABLED": "false",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    token = prepare(env)

    server_log, sender_log = tmp_path / "server.log", tmp_path / "sender.log"
    server = start(env, server_log, "run", "--host", "127.0.0.1", "--port", str(port))
    sender = start(env, sender_log, "outbox", "send", "--loop", "--interval", "2")
    threads: list[threading.Thread] = []
    day = Day(base=base, env=env, token=token, ends_at=0.0)
    try:
        assert wait_until(lambda: server.poll() is not None or serving(base), 90), (
            server_log.read_text(errors="replace")[-3000:]
        )
        assert server.poll() is None, server_log.read_text(errors="replace")[-3000:]
        create_seminars(day)
        set_up = time.monotonic() - began
        day.ends_at = time.monotonic() + DURATION
        actors = [
            (visitor, 0.2),
            (visitor, 0.3),
            (registrant, 0.25),
            (registrant, 0.35),
            (participant, 0.5),
            (staff_api, 0.15),
            (staff_api, 0.2),
            (staff_console, 0.3),
        ]
        for seed, (make, pause) in enumerate(actors):
            step = make(day)
            threads.append(threading.Thread(target=actor, args=(day, pause, step, seed)))
        threads.append(threading.Thread(target=cron, args=(day,)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=DURATION + 300)
        assert not any(thread.is_alive() for thread in threads), "an actor did not finish"

        # The sender delivers what the day left in the outbox.
        assert wait_until(lambda: outbox_counts(database)["pending"] == 0, 120), outbox_counts(
            database
        )
        delivered = wait_until(lambda: len(mail.raw) >= outbox_counts(database)["sent"], 30)
        outbox = outbox_counts(database)
        drained = time.monotonic() - day.ends_at
        server_output = server_log.read_text(errors="replace")
    finally:
        day.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        stop(sender)
        stop(server)
        mail.stop()

    summary = (
        f"set up in {set_up:.0f} s, drained {drained:.0f} s after the day; "
        f"done: {dict(day.done)}; outbox: {dict(outbox)}; mails: {len(mail.raw)}"
    )
    print(summary)
    assert day.errors == [], f"{dict(day.failed)}; {summary}:\n" + "\n".join(day.errors[:25])
    assert "database is locked" not in server_output, server_output[-3000:]
    assert "Traceback" not in server_output, server_output[-3000:]

    # The day's work was done, not merely survived.
    assert sorted(day.drawn) == sorted(day.lotteries), summary
    drawn = query(database, "SELECT count(*) FROM seminars WHERE lottery_drawn_at IS NOT NULL")
    assert drawn[0][0] == LOTTERIES, summary
    assert day.done["registration by API"] >= 20, summary
    assert day.done["registration by form"] >= 1, summary
    assert day.done["cancellation"] >= 1, summary
    assert day.done["API registrations"] >= 20 and day.done["console page"] >= 10, summary
    reminded = query(
        database, "SELECT count(*) FROM registrations WHERE reminder_queued_at IS NOT NULL"
    )
    assert reminded[0][0] >= 10, summary
    kinds = {kind for (kind,) in query(database, "SELECT DISTINCT kind FROM outbox_messages")}
    assert {"registration.confirmed", "registration.reminder", "lottery.waitlisted"} <= kinds, kinds
    # Every mail delivered, once.
    assert outbox["failed"] == 0 and outbox["pending"] == 0, summary
    assert delivered and len(mail.raw) == outbox["sent"] > 0, summary


# --------------------------------------------------------------------------- the lock itself


def two_writers(tmp_path: Path):
    """A SQLite file with a table, and an engine on it as the app configures SQLite."""
    import sqlalchemy as sa

    import seminar_app.database  # noqa: F401  (its engine events configure every SQLite engine)

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    metadata = sa.MetaData()
    table = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True))
    metadata.create_all(engine)
    return engine, table


def test_a_read_that_goes_on_to_write_waits_for_the_writer_instead_of_failing(tmp_path):
    """The 503 of a staff GET while `flask lottery draw` wrote: a transaction that has read
    writes while another holds the write lock. It waits for the lock and succeeds."""
    import sqlalchemy as sa

    engine, notes = two_writers(tmp_path)
    outcome: list[object] = []
    about_to_write = threading.Event()

    def reader_then_writer() -> None:
        try:
            with engine.begin() as conn:
                conn.execute(sa.select(notes)).all()  # the read (its snapshot) comes first
                about_to_write.set()
                conn.execute(notes.insert().values(id=2))  # then the audit record, say
            outcome.append("written")
        except sa.exc.OperationalError as exc:
            outcome.append(exc)

    with engine.connect().execution_options(sqlite_begin_immediate=True) as writer:
        writer.begin()
        writer.execute(notes.insert().values(id=1))  # the draw holds the write lock
        thread = threading.Thread(target=reader_then_writer)
        thread.start()
        assert about_to_write.wait(30)
        # Without the first-write lock it has failed already ("database is locked").
        assert not wait_until(lambda: outcome, 0.5), outcome
        writer.commit()
    thread.join(timeout=30)
    assert outcome == ["written"]
    with engine.connect() as conn:
        assert conn.scalars(sa.select(notes.c.id).order_by(notes.c.id)).all() == [1, 2]
    engine.dispose()


def test_a_read_overtaken_by_a_commit_still_writes(tmp_path):
    """SQLite refuses a write from a snapshot older than the last commit (no waiting helps);
    a transaction that has only read begins again before its first write instead."""
    import sqlalchemy as sa

    engine, notes = two_writers(tmp_path)
    with engine.connect() as late, engine.connect() as early:
        late.begin()
        assert late.execute(sa.select(sa.func.count()).select_from(notes)).scalar() == 0
        with early.begin():
            early.execute(notes.insert().values(id=1))
        late.execute(notes.insert().values(id=2))
        late.commit()
        assert early.scalars(sa.select(notes.c.id).order_by(notes.c.id)).all() == [1, 2]
    engine.dispose()


def test_the_lock_taken_at_the_first_write_never_commits_part_of_a_transaction(tmp_path):
    """Only a transaction that has written nothing is begun again: whatever it wrote before
    (in a savepoint too) stays in the one transaction, and a rollback takes all of it back."""
    import sqlalchemy as sa

    engine, notes = two_writers(tmp_path)
    with engine.connect() as conn:
        conn.begin()
        conn.execute(sa.select(notes)).all()
        with conn.begin_nested():
            conn.execute(notes.insert().values(id=1))  # the first write, in a savepoint
        conn.execute(notes.insert().values(id=2))
        conn.execute(notes.insert().values(id=3))
        conn.rollback()
        conn.begin()
        conn.execute(sa.select(notes)).all()
        conn.execute(notes.insert().values(id=4))  # the first write, after a read
        conn.execute(notes.insert().values(id=5))
        conn.rollback()
        assert conn.execute(sa.select(sa.func.count()).select_from(notes)).scalar() == 0
    engine.dispose()
