"""Faults with real processes: gunicorn, `flask outbox send`, aiosmtpd and PostgreSQL.

Each test builds its own PostgreSQL database, starts its own processes and stops them
(and drops the database) however it ends:

* the SMTP server is down while registrations arrive, and comes back: each mail once;
* a gunicorn worker is killed (SIGKILL) amid registrations: nothing half-written,
  the capacity exact;
* one of two outbox senders is killed (SIGKILL) while it sends: the message it held is
  delivered by the other once the lease has passed, and no message goes out twice;
* the database is unreachable: /healthz says 503, pages show the friendly error page,
  and nothing is half-done.

PostgreSQL only (SQLite has no separate server to lose); without it the tests skip,
which FAIL_ON_SKIP=1 turns into a failure.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import psycopg
from aiosmtpd.controller import Controller
from flask_migrate import upgrade

from seminar_app.extensions import db
from seminar_app.registration import services as registrations
from seminar_app.registration.details import parse_details
from seminar_app.timeutil import utcnow
from tests.conftest import PG_HOST, PG_PORT, PG_USER, fresh_database_url, make_app
from tests.mailserver import MailServer, free_port
from tests.registration_helpers import add_open_seminar, details_data
from tests.waiting import patience, wait_until

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: The Japanese text of the 503 page (the default language).
UNAVAILABLE_JA = "現在、一時的にサービスをご利用いただけません"

#: The outbox's lease and retry delay are five minutes and 30 s in the code; these
#: variables are what the tests ask the sender to honour so that a test can wait for them.
#: The lease outlasts what a claim, a send and the test's look at the claimed row take on a
#: machine busy with other work (a shorter one lets the other sender take the row first).
LEASE_SECONDS = 5
BACKOFF_SECONDS = 1


# --------------------------------------------------------------------------- helpers


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def pg(url: str, **kwargs) -> psycopg.Connection:
    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database_name(url), **kwargs
    )


def drop_database(url: str) -> None:
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


def scalar(url: str, sql: str, params=()):
    with pg(url) as conn:
        return conn.execute(sql, params).fetchone()[0]


def prepared_database(tmp_path: Path, name: str, **seminar) -> tuple[str, int, str]:
    """A migrated database with one open seminar: (url, seminar id, slug)."""
    url = fresh_database_url("postgresql", tmp_path, name)
    app = make_app(url)
    with app.app_context():
        upgrade()
        row = add_open_seminar(db.session, slug=name.replace("_", "-"), **seminar)
        seminar_id, slug = row.id, row.slug
        db.engine.dispose()
    return url, seminar_id, slug


def app_environment(url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "false",
        "SECRET_KEY": "fault-tests-secret-key-0123456789abcdef",
        "BASE_URL": "http://seminars.test",
        "DEV_MAILBOX_DIR": str(tmp_path / "mailbox"),
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=patience(30))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=patience(30))


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found.update(int(p) for p in (task / "children").read_text().split())
    return found


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def workers(self) -> set[int]:
        return children(self.process.pid)


@contextmanager
def gunicorn(url: str, tmp_path: Path, *, workers: int = 2, name: str = "gunicorn", **env):
    """gunicorn serving wsgi:app on `url`, every worker booted, stopped on the way out."""
    port = free_port()
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--backlog",
                "2048",
                "--timeout",
                "60",
                "--graceful-timeout",
                "5",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=app_environment(url, tmp_path, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + patience(120)
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{server.output()}"
            assert time.monotonic() < deadline, f"gunicorn did not start:\n{server.output()}"
            try:
                # Any answer (503 included, with the database down) means a worker is up.
                httpx.get(server.base + "/healthz", timeout=patience(10))
                if len(server.workers()) >= workers:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        # Every worker answers (each imports the app on its own).
        for _ in range(workers * 3):
            httpx.get(server.base + "/healthz", timeout=patience(30))
        yield server
    finally:
        stop(process)


@contextmanager
def outbox_sender(url: str, tmp_path: Path, smtp_port: int, *, name: str = "sender", **env):
    """`flask outbox send --loop --interval 0.2` as its own process."""
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "outbox", "send", "--loop", "--interval", "0.2"],
            cwd=ROOT,
            env=app_environment(
                url,
                tmp_path,
                SMTP_HOST="127.0.0.1",
                SMTP_PORT=str(smtp_port),
                OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
                OUTBOX_BACKOFF_SECONDS=str(BACKOFF_SECONDS),
                **env,
            ),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process.log = log  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        stop(process)


def sender_output(process) -> str:
    return process.log.read_text(errors="replace")[-4000:]


def api_body(email: str) -> dict:
    data = details_data(email=email)
    return {
        "name": data["name"],
        "name_kana": data["name_kana"],
        "email": email,
        "organization": data["organization"],
        "prefecture": data["prefecture"],
        "attribute": data["attribute"],
        "employee_band": data["employee_band"],
        "privacy_notice_agreed": True,
        "locale": "ja",
    }


async def post_all(requests: list[tuple[str, dict]]) -> list[httpx.Response | str]:
    """POST every (url, json) at once; a transport failure comes back as its class name."""
    limits = httpx.Limits(max_connections=len(requests), max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=patience(120)) as client:

        async def one(url, body):
            try:
                return await client.post(url, json=body)
            except httpx.HTTPError as exc:
                return type(exc).__name__

        return await asyncio.gather(*(one(url, body) for url, body in requests))


def register_by_form(base: str, slug: str, email: str) -> httpx.Response:
    """Like a browser: the form page for its CSRF token and cookie, then the POST."""
    with httpx.Client(base_url=base, timeout=patience(60)) as client:
        page = client.get(f"/seminars/{slug}/register")
        assert page.status_code == 200, page.text[:500]
        token = CSRF.search(page.text).group(1)
        form = {
            **details_data(email=email),
            "privacy_notice_agreed": "y",
            "register": "1",
            "csrf_token": token,
        }
        return client.post(f"/seminars/{slug}/register", data=form)


def half_written(url: str, seminar_id: int) -> dict[str, list]:
    """Everything that would show a registration written only in part."""
    queries = {
        "incomplete rows": """
            SELECT id FROM registrations WHERE seminar_id = %(s)s AND (
                status IS NULL OR manage_token IS NULL OR ticket_code IS NULL
                OR join_token IS NULL OR email_key IS NULL OR email IS NULL)""",
        "without their mail": """
            SELECT r.id FROM registrations r WHERE r.seminar_id = %(s)s AND NOT EXISTS (
                SELECT 1 FROM outbox_messages o
                WHERE o.payload->>'registration_id' = r.id::text)""",
        "without their audit record": """
            SELECT r.id FROM registrations r WHERE r.seminar_id = %(s)s AND NOT EXISTS (
                SELECT 1 FROM audit_events a WHERE a.action = 'registration.created'
                AND a.subject_type = 'registration' AND a.subject_id = r.id::text)""",
        "without a calendar feed": """
            SELECT r.id FROM registrations r WHERE r.seminar_id = %(s)s AND NOT EXISTS (
                SELECT 1 FROM calendar_feeds f WHERE f.email_key = r.email_key)""",
        "mails of no registration": """
            SELECT o.id FROM outbox_messages o WHERE NOT EXISTS (
                SELECT 1 FROM registrations r
                WHERE o.payload->>'registration_id' = r.id::text)""",
        "audit records of no registration": """
            SELECT a.id FROM audit_events a WHERE a.subject_type = 'registration'
            AND NOT EXISTS (SELECT 1 FROM registrations r WHERE a.subject_id = r.id::text)""",
        "addresses registered twice": """
            SELECT email_key FROM registrations WHERE seminar_id = %(s)s
            AND status IN ('confirmed', 'waitlisted') GROUP BY email_key HAVING count(*) > 1""",
        "mails queued twice": """
            SELECT payload->>'registration_id' FROM outbox_messages
            GROUP BY payload->>'registration_id', kind HAVING count(*) > 1""",
    }
    with pg(url) as conn:
        found = {
            name: [row[0] for row in conn.execute(sql, {"s": seminar_id})]
            for name, sql in queries.items()
        }
    return {name: rows for name, rows in found.items() if rows}


def seat_tally(url: str, seminar_id: int) -> tuple[int, list[int]]:
    """Confirmed seats, and the waitlist's places in the order of the line."""
    app = make_app(url)
    with app.app_context():
        confirmed = registrations.seats_taken(db.session, seminar_id)
        line = sorted(registrations.waitlist_positions(db.session, seminar_id).values())
        db.engine.dispose()
    return confirmed, line


# ------------------------------------------------------- 1. the SMTP server down, then back


def test_mail_queued_while_smtp_is_down_is_delivered_once_when_it_is_back(tmp_path):
    people = [f"smtp-down{n}@example.jp" for n in range(20)]
    url, _, slug = prepared_database(tmp_path, "seminar_smtp_down", capacity=50)
    smtp_port = free_port()  # nothing listens here yet
    mail_server: MailServer | None = None
    try:
        with (
            gunicorn(url, tmp_path, workers=2) as server,
            outbox_sender(url, tmp_path, smtp_port) as sender,
        ):
            answers: list = []

            def register_some(emails):
                for email in emails:
                    answers.append(register_by_form(server.base, slug, email))

            threads = [
                threading.Thread(target=register_some, args=(people[i::4],)) for i in range(4)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=patience(120))
            assert [a.status_code for a in answers] == [303] * len(people), [
                a.text[:300] for a in answers if a.status_code != 303
            ]

            # Every mail was tried at least once against the closed port, and put back
            # (a claimed message counts its attempt before the attempt has ended).
            tried = "SELECT count(*) FROM outbox_messages WHERE attempts >= 1"
            assert wait_until(
                lambda: scalar(url, tried + " AND last_error IS NOT NULL") == len(people),
                timeout=20,
            ), sender_output(sender)
            assert scalar(url, "SELECT count(*) FROM outbox_messages WHERE status = 'sent'") == 0
            assert scalar(
                url, "SELECT count(*) FROM outbox_messages WHERE last_error IS NOT NULL"
            ) == len(people)
            assert sender.poll() is None, f"the sender died:\n{sender_output(sender)}"

            mail_server = MailServer(port=smtp_port).start()
            # Bounded wait: the retries are due by the last next_attempt_at, plus slack.
            due_in = float(
                scalar(
                    url,
                    "SELECT coalesce(extract(epoch FROM max(next_attempt_at) - now()), 0)"
                    " FROM outbox_messages WHERE status = 'pending'",
                )
            )
            assert due_in < 120, f"a retry is scheduled {due_in:.0f} s away"
            delivered = wait_until(
                lambda: (
                    len(mail_server.raw) >= len(people)
                    and scalar(url, "SELECT count(*) FROM outbox_messages WHERE status <> 'sent'")
                    == 0
                ),
                timeout=due_in + 15,
                interval=0.2,
            )
            time.sleep(1)  # a duplicate would have time to arrive
            assert delivered, f"not delivered within {due_in + 15:.0f} s:\n{sender_output(sender)}"
            assert sender.poll() is None, f"the sender died:\n{sender_output(sender)}"

        received = Counter(r for recipients, _ in mail_server.raw for r in recipients)
        assert received == Counter(people), received
        ids = Counter(m["Message-ID"] for m in mail_server.parsed())
        assert len(ids) == len(people) and set(ids.values()) == {1}
        with pg(url) as conn:
            rows = conn.execute("SELECT kind, status, message FROM outbox_messages").fetchall()
        assert [(kind, status) for kind, status, _ in rows] == [
            ("registration.confirmed", "sent")
        ] * len(people)
        # What arrived is what the outbox kept: the retry sent the very same message.
        kept = {
            message_from_bytes(bytes(data), policy=policy.default)["Message-ID"]
            for _, _, data in rows
        }
        assert kept == set(ids)
    finally:
        if mail_server is not None:
            mail_server.stop()
        drop_database(url)


# ------------------------------------------- 2. a gunicorn worker killed amid registrations


def test_worker_killed_amid_registrations_leaves_nothing_half_written(tmp_path):
    capacity, total = 30, 100
    url, seminar_id, _ = prepared_database(tmp_path, "seminar_worker_kill", capacity=capacity)
    emails = [f"kill{n}@example.jp" for n in range(total)]
    try:
        with gunicorn(url, tmp_path, workers=3) as server:
            endpoint = f"{server.base}/api/v1/seminars/{seminar_id}/registrations"
            workers_before = server.workers()
            results: list = []
            rush = threading.Thread(
                target=lambda: results.extend(
                    asyncio.run(post_all([(endpoint, api_body(e)) for e in emails]))
                )
            )
            rush.start()
            # Kill a worker once the rush is well under way (some rows written, not all).
            assert wait_until(
                lambda: scalar(url, "SELECT count(*) FROM registrations") >= 15,
                timeout=30,
                interval=0.005,
            ), server.output()
            victim = min(workers_before)
            os.kill(victim, signal.SIGKILL)
            written_at_kill = scalar(url, "SELECT count(*) FROM registrations")
            rush.join(timeout=patience(180))
            assert not rush.is_alive()
            assert written_at_kill < total, "the rush was over before the kill"
            assert wait_until(lambda: victim not in server.workers(), timeout=30)

            failed = [
                email
                for email, answer in zip(emails, results, strict=True)
                if not (isinstance(answer, httpx.Response) and answer.status_code == 201)
            ]
            first_answers = Counter(
                a.status_code if isinstance(a, httpx.Response) else a for a in results
            )
            # A client whose request died with the worker tries again, like a person would:
            # the registration exists (409) or it is made now (201); never anything else.
            retried: Counter = Counter()
            retry_answers: list[httpx.Response] = []
            for email in failed:
                for _ in range(5):
                    with suppress(httpx.HTTPError):
                        answer = httpx.post(endpoint, json=api_body(email), timeout=patience(60))
                        if answer.status_code in (201, 409):
                            retried[answer.status_code] += 1
                            retry_answers.append(answer)
                            break
                    time.sleep(0.3)
                else:
                    raise AssertionError(f"{email} could not register after the kill")
            # The server answered every request it finished with 201; only the requests
            # on the killed worker lost their connection.
            assert {a for a in first_answers if isinstance(a, int)} == {201}, first_answers
            assert sum(retried.values()) == len(failed)
            # Places in line told to the people (a 409 retry's first answer was lost).
            told = [
                a.json()["waitlist_position"]
                for a in [*results, *retry_answers]
                if isinstance(a, httpx.Response)
                and a.status_code == 201
                and a.json()["status"] == "waitlisted"
            ]

        assert half_written(url, seminar_id) == {}
        assert scalar(url, "SELECT count(DISTINCT email_key) FROM registrations") == total
        assert scalar(url, "SELECT count(*) FROM registrations") == total
        confirmed, line = seat_tally(url, seminar_id)
        assert confirmed == capacity  # 100 people for 30 seats: full, never more
        assert line == list(range(1, total - capacity + 1))
        assert len(set(told)) == len(told) and set(told) <= set(line)  # no place told twice
        print(f"first answers {dict(first_answers)}, retried {dict(retried)}")
    finally:
        drop_database(url)


# --------------------------------------------------- 3. one of two senders killed mid-send


class _HoldingCollector:
    """Keeps what it receives; holds the DATA of message number `hold_at` until released.

    The held message is then refused (451): its sender has been killed meanwhile, so it
    never saw a 250, and the outbox row it claimed stays leased to a dead process.
    """

    def __init__(self, hold_at: int) -> None:
        self.hold_at = hold_at
        self.seen = 0
        self.messages: list[bytes] = []
        self.held_peer: tuple[str, int] | None = None
        self.held = threading.Event()
        self.release = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def handle_DATA(self, server, session, envelope):
        self.seen += 1
        if self.seen == self.hold_at:
            self.loop = asyncio.get_running_loop()
            self.held_peer = session.peer
            self.held.set()
            await self.release.wait()
            return "451 try again later"
        await asyncio.sleep(0.01)
        self.messages.append(envelope.original_content or envelope.content)
        return "250 Message accepted"

    def let_go(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.release.set)


def _process_owning(local_port: int, candidates: list[int]) -> int | None:
    """The pid among `candidates` holding the TCP socket bound to 127.0.0.1:`local_port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            # A socket closed earlier on the same port lingers in TIME_WAIT with inode 0.
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port and fields[9] != "0":
                inodes.add(fields[9])
    if not inodes:
        return None
    for pid in candidates:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            with suppress(OSError):
                if os.readlink(fd) in {f"socket:[{inode}]" for inode in inodes}:
                    return pid
    return None


def test_a_killed_sender_leaves_its_message_to_the_other_after_the_lease(tmp_path):
    total = 120
    url, seminar_id, _ = prepared_database(tmp_path, "seminar_sender_kill", capacity=total)
    app = make_app(url)
    with app.app_context():
        for n in range(total):
            details, _ = parse_details(details_data(email=f"reader{n}@example.jp"))
            registrations.register(
                db.session, seminar_id, details, now=utcnow(), privacy_notice_version="2026-04"
            )
            db.session.commit()
        db.engine.dispose()

    collector = _HoldingCollector(hold_at=total // 3)
    smtp_port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with (
            outbox_sender(url, tmp_path, smtp_port, name="sender-a") as a,
            outbox_sender(url, tmp_path, smtp_port, name="sender-b") as b,
        ):
            assert collector.held.wait(timeout=patience(60)), sender_output(a) + sender_output(b)
            victim = _process_owning(collector.held_peer[1], [a.pid, b.pid])
            assert victim is not None, "no sender holds the held SMTP connection"
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            survivor = b if victim == a.pid else a
            collector.let_go()
            # The row the dead sender claimed is pending, leased, and was tried once.
            leased = scalar(
                url,
                "SELECT count(*) FROM outbox_messages WHERE status = 'pending'"
                " AND attempts = 1 AND next_attempt_at > now()",
            )
            assert leased >= 1
            delivered = wait_until(
                lambda: (
                    scalar(url, "SELECT count(*) FROM outbox_messages WHERE status <> 'sent'") == 0
                ),
                # Every message, not only the leased one: the survivor sends them all in turn.
                timeout=LEASE_SECONDS + 60,
                interval=0.2,
            )
            waited = time.monotonic() - killed_at
            assert survivor.poll() is None, sender_output(survivor)
            lease_left = scalar(
                url,
                "SELECT extract(epoch FROM max(next_attempt_at) - now()) FROM outbox_messages"
                " WHERE status = 'pending'",
            )
            assert delivered, (
                f"{leased} message(s) claimed by the killed sender were not delivered within "
                f"{waited:.0f} s (the next attempt is {lease_left or 0:.0f} s away): the send "
                f"sender must honour "
                f"OUTBOX_LEASE_SECONDS (set to {LEASE_SECONDS} here)"
            )
            time.sleep(1)
        ids = Counter(
            message_from_bytes(data, policy=policy.default)["Message-ID"]
            for data in collector.messages
        )
        with pg(url) as conn:
            rows = conn.execute("SELECT status, attempts, message FROM outbox_messages").fetchall()
        kept = {message_from_bytes(bytes(m), policy=policy.default)["Message-ID"] for *_, m in rows}
        assert set(ids.values()) == {1}, [k for k, v in ids.items() if v > 1]
        assert set(ids) == kept and len(kept) == total
        assert Counter(attempts for _, attempts, _ in rows)[2] == 1  # the held one, again
    finally:
        collector.let_go()
        controller.stop()
        drop_database(url)


# ------------------------------------------------------------ 4. the database unreachable


def assert_friendly(response: httpx.Response, code: int = 503) -> None:
    assert response.status_code == code, (response.status_code, response.text[:500])
    assert "text/html" in response.headers["content-type"]
    assert UNAVAILABLE_JA in response.text
    assert "Traceback" not in response.text and "OperationalError" not in response.text


def test_pages_and_healthz_answer_503_when_the_database_server_is_not_there(tmp_path):
    closed = free_port()
    url = f"postgresql+psycopg://{PG_USER}@127.0.0.1:{closed}/seminar_nowhere"
    with gunicorn(url, tmp_path, workers=1) as server:
        health = httpx.get(server.base + "/healthz", timeout=patience(30))
        assert health.status_code == 503
        assert health.json() == {"status": "unavailable", "database": "unreachable"}
        assert_friendly(httpx.get(server.base + "/", timeout=patience(30)))
        assert_friendly(httpx.get(server.base + "/seminars/anything", timeout=patience(30)))
        api = httpx.post(
            server.base + "/api/v1/seminars/1/registrations",
            json=api_body("nowhere@example.jp"),
            timeout=patience(30),
        )
        assert api.status_code == 503 and api.json()["status"] == 503, api.text


def test_database_lost_under_a_running_server_fails_cleanly_and_recovers(tmp_path):
    url, seminar_id, slug = prepared_database(tmp_path, "seminar_db_lost", capacity=10)
    name = database_name(url)
    admin = psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )
    try:
        with gunicorn(url, tmp_path, workers=2) as server:
            endpoint = f"{server.base}/api/v1/seminars/{seminar_id}/registrations"
            assert (
                httpx.post(
                    endpoint, json=api_body("before@example.jp"), timeout=patience(30)
                ).status_code
                == 201
            )
            # A browser with the form open (cookie and CSRF token) before the database goes.
            browser = httpx.Client(base_url=server.base, timeout=patience(60))
            page = browser.get(f"/seminars/{slug}/register")
            token = CSRF.search(page.text).group(1)

            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            for _ in range(4):  # each worker's pooled connection is dead now
                health = httpx.get(server.base + "/healthz", timeout=patience(30))
                assert health.status_code == 503, health.text
                assert health.json()["database"] == "unreachable"
            assert_friendly(httpx.get(server.base + "/", timeout=patience(30)))
            assert_friendly(httpx.get(f"{server.base}/seminars/{slug}", timeout=patience(30)))
            form = {
                **details_data(email="during-form@example.jp"),
                "privacy_notice_agreed": "y",
                "register": "1",
                "csrf_token": token,
            }
            assert_friendly(browser.post(f"/seminars/{slug}/register", data=form))
            answer = httpx.post(
                endpoint, json=api_body("during-api@example.jp"), timeout=patience(30)
            )
            assert answer.status_code == 503, answer.text
            assert answer.json()["status"] == 503
            assert "Traceback" not in answer.text

            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            assert wait_until(
                lambda: (
                    httpx.get(server.base + "/healthz", timeout=patience(30)).status_code == 200
                ),
                timeout=30,
            )
            assert (
                httpx.get(f"{server.base}/seminars/{slug}", timeout=patience(30)).status_code == 200
            )
            assert (
                httpx.post(
                    endpoint, json=api_body("after@example.jp"), timeout=patience(30)
                ).status_code
                == 201
            )
            browser.close()
        with pg(url) as conn:
            emails = sorted(row[0] for row in conn.execute("SELECT email FROM registrations"))
            outbox = conn.execute("SELECT count(*) FROM outbox_messages").fetchone()[0]
            audit = conn.execute(
                "SELECT count(*) FROM audit_events WHERE action = 'registration.created'"
            ).fetchone()[0]
            feeds = conn.execute("SELECT count(*) FROM calendar_feeds").fetchone()[0]
        assert emails == ["after@example.jp", "before@example.jp"]
        assert (outbox, audit, feeds) == (2, 2, 2)
        assert half_written(url, seminar_id) == {}
    finally:
        with suppress(psycopg.Error):
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
        drop_database(url)


def test_the_outbox_sender_outlives_a_database_outage(tmp_path):
    """`flask outbox send --loop` runs for months: losing the database for a moment must
    delay mail, not end the process (nothing would send mail until someone restarts it)."""
    url, seminar_id, _ = prepared_database(tmp_path, "seminar_sender_db_lost", capacity=10)
    name = database_name(url)
    app = make_app(url)

    def register(email: str) -> None:
        with app.app_context():
            details, _ = parse_details(details_data(email=email))
            registrations.register(
                db.session, seminar_id, details, now=utcnow(), privacy_notice_version="2026-04"
            )
            db.session.commit()
            db.engine.dispose()

    admin = psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )
    mail_server = MailServer().start()
    try:
        with outbox_sender(url, tmp_path, mail_server.port) as sender:
            register("before-outage@example.jp")
            assert wait_until(lambda: len(mail_server.raw) == 1, timeout=15), sender_output(sender)
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            # Several polls of the sender against a database that is not there.
            assert wait_until(
                lambda: sender_output(sender).count("database unavailable") >= 3, timeout=30
            ), sender_output(sender)
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            register("after-outage@example.jp")
            delivered = wait_until(
                lambda: len(mail_server.raw) == 2 or sender.poll() is not None, timeout=15
            )
            assert sender.poll() is None, (
                f"`flask outbox send --loop` exited ({sender.returncode}) when the database "
                f"went away:\n{sender_output(sender)}"
            )
            assert delivered, sender_output(sender)
        received = Counter(r for recipients, _ in mail_server.raw for r in recipients)
        assert received == {"before-outage@example.jp": 1, "after-outage@example.jp": 1}
    finally:
        mail_server.stop()
        with suppress(psycopg.Error):
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
        drop_database(url)
