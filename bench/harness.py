"""What the benchmarks share: fresh PostgreSQL databases, the app (or a baseline) served by
gunicorn, outbox senders, an SMTP server on loopback that counts what it receives, Locust run
headless from the command line, percentiles, and the memory and database connections of the
processes under test.

Everything runs on this machine and talks to 127.0.0.1 only; every run is bounded in time.
"""

from __future__ import annotations

import csv
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path

import httpx
import psutil
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
#: What the app's processes run with in a benchmark (the development defaults, no rate limit).
APP_ENV = {"APP_ENV": "development", "RATELIMIT_ENABLED": "false", "PYTHONPATH": str(ROOT)}
LOCUSTFILE = ROOT / "bench" / "locust_users.py"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
# The app built in this process (seeding, queueing) runs on the development defaults too.
os.environ.setdefault("APP_ENV", APP_ENV["APP_ENV"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- databases ------------------------------------------------------------------------------


def database_url(name: str) -> str:
    return f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def fresh_database(name: str) -> str:
    """An empty PostgreSQL database `name` (dropped first if it exists); its SQLAlchemy URL."""
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_app(url: str):
    """The app on `url`, its schema brought up to date by the migrations."""
    from flask_migrate import upgrade

    from seminar_app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
    return app


def query(dbname: str, sql: str, params: Sequence[object] = ()) -> list[tuple]:
    with psycopg.connect(dbname=dbname, autocommit=True, **PG) as conn:
        return list(conn.execute(sql, params).fetchall())


def connections(dbname: str) -> int:
    """Connections to `dbname` now, this question's own left out."""
    rows = query(
        dbname,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        (dbname,),
    )
    return int(rows[0][0])


# --- processes ------------------------------------------------------------------------------


class Server:
    """An app served by `gunicorn --workers N` (sync workers) on a free loopback port."""

    def __init__(
        self,
        app_path: str,
        *,
        workers: int,
        env: dict[str, str] | None = None,
        ready_path: str = "/",
        timeout: int = 60,
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "4096",
                "--timeout",
                str(timeout),
                "--log-level",
                "warning",
                app_path,
            ],
            cwd=ROOT,
            env={**os.environ, **APP_ENV, **(env or {})},
        )
        try:
            self._wait_until_ready(app_path, ready_path, workers)
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, app_path: str, ready_path: str, workers: int) -> None:
        # Generous: on a busy machine four workers take a while to import the app.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{app_path} exited with {self.process.returncode}")
            try:
                if httpx.get(self.base + ready_path, timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{app_path} did not start")
        # Every worker answers before anything is measured.
        deadline = time.monotonic() + 60
        while len(self.worker_pids()) < workers and time.monotonic() < deadline:
            time.sleep(0.1)

    def warm(self, paths: Sequence[str], rounds: int = 10) -> None:
        """Each path asked `rounds` times per worker, so that what is measured next is not
        a worker's first import of a template."""
        with httpx.Client(base_url=self.base, timeout=60) as client:
            for _ in range(rounds * len(self.worker_pids())):
                for path in paths:
                    client.get(path)
                client.cookies.clear()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def worker_pids(self) -> list[int]:
        try:
            return sorted(child.pid for child in psutil.Process(self.process.pid).children())
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        stop_processes([self.process])


def stop_processes(processes: Iterable[subprocess.Popen]) -> None:
    processes = list(processes)
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def rss_bytes(pids: Iterable[int]) -> dict[int, int]:
    """Resident memory of each process still there."""
    sizes = {}
    for pid in pids:
        try:
            sizes[pid] = psutil.Process(pid).memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return sizes


@contextmanager
def senders(
    url: str, smtp_port: int, count: int, *, interval: float = 0.2
) -> Iterator[list[subprocess.Popen]]:
    """`count` outbox senders (`flask outbox send --loop`) delivering to 127.0.0.1:smtp_port,
    stopped on leaving."""
    env = {
        **os.environ,
        **APP_ENV,
        "DATABASE_URL": url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
    }
    processes = []
    try:
        for _ in range(count):
            processes.append(_sender(env, interval))
        yield processes
    finally:
        stop_processes(processes)


def _sender(env: dict[str, str], interval: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(BIN / "flask"),
            "--app",
            "wsgi",
            "outbox",
            "send",
            "--loop",
            "--interval",
            str(interval),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


class CpuShare:
    """How much of the machine's CPU went to processes outside the benchmark: this process
    and its children (server, senders, Locust) and the PostgreSQL backends of `dbname` are
    the benchmark's; the rest is someone else's work on a shared machine, which slows what
    is measured."""

    def __init__(self, dbname: str) -> None:
        self.dbname = dbname
        self.cpu: dict[int, float] = {}
        self.ours = 0.0
        self.machine = self._machine_busy()

    @staticmethod
    def _machine_busy() -> float:
        times = psutil.cpu_times()
        return sum(times) - times.idle - getattr(times, "iowait", 0.0)

    def _our_processes(self) -> list[psutil.Process]:
        me = psutil.Process()
        backends = [
            int(row[0])
            for row in query(
                self.dbname, "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.dbname,)
            )
        ]
        found = [me, *me.children(recursive=True)]
        for pid in backends:
            try:
                found.append(psutil.Process(pid))
            except psutil.NoSuchProcess:
                continue
        return found

    def sample(self) -> None:
        """Add what our processes used since the last sample (ask every few seconds)."""
        for process in self._our_processes():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            used = times.user + times.system
            self.ours += max(0.0, used - self.cpu.get(process.pid, used))
            self.cpu[process.pid] = used

    def others_percent(self, seconds: float) -> float:
        """Since the last call: the others' share of all cores, in percent."""
        self.sample()
        machine = self._machine_busy()
        others = max(0.0, (machine - self.machine) - self.ours)
        self.machine, self.ours = machine, 0.0
        return 100 * others / (seconds * (psutil.cpu_count() or 1))


# --- mail -----------------------------------------------------------------------------------


@dataclass
class Received:
    at: float
    recipients: tuple[str, ...]
    subject: str


@dataclass
class _Counting:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        headers = BytesHeaderParser(policy=default_policy).parsebytes(content)
        entry = Received(
            time.time(), tuple(r.lower() for r in envelope.rcpt_tos), str(headers["Subject"])
        )
        with self.lock:
            self.received.append(entry)
        return "250 Message accepted"


class MailCounter:
    """A real SMTP server (aiosmtpd) on loopback that keeps who got what, and when; not the
    messages themselves (ten thousand of them would only fill the memory)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.handler = _Counting()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> MailCounter:
        self.controller.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.controller.stop()

    @property
    def count(self) -> int:
        return len(self.handler.received)

    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def per_recipient(self) -> Counter[str]:
        return Counter(address for mail in self.received() for address in mail.recipients)

    def wait_for(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.count < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.count >= count


# --- figures --------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile q (0–100) of `values`; nan when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Request:
    """One request Locust made (see bench/locust_users.py): when it ended, what, how long."""

    at: float
    name: str
    ms: float
    status: int
    failed: bool


def read_requests(path: Path) -> list[Request]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            Request(float(at), name, float(ms), int(status), failed == "1")
            for at, name, ms, status, failed in csv.reader(handle)
        ]


@dataclass(frozen=True)
class Summary:
    count: int
    per_second: float
    p50: float
    p95: float
    p99: float
    failed: int
    unavailable: int  # 503 answers

    def row(self) -> str:
        return (
            f"{self.count:>8}{self.per_second:>9.1f}{self.p50:>8.0f}{self.p95:>8.0f}"
            f"{self.p99:>8.0f}{self.failed:>8}"
        )


SUMMARY_HEADER = f"{'requests':>8}{'req/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}{'errors':>8}  (ms)"


def summarize(requests: Sequence[Request], seconds: float | None = None) -> Summary:
    """Count, rate over `seconds` (else from the first to the last request), percentiles."""
    times = [r.ms for r in requests]
    if seconds is None:
        span = (max(r.at for r in requests) - min(r.at for r in requests)) if requests else 0
        seconds = span or 1.0
    return Summary(
        len(requests),
        len(requests) / seconds if seconds else math.nan,
        percentile(times, 50),
        percentile(times, 95),
        percentile(times, 99),
        sum(r.failed for r in requests),
        sum(r.status == 503 for r in requests),
    )


# --- Locust ---------------------------------------------------------------------------------


def locust(
    user_class: str,
    host: str,
    *,
    users: int,
    spawn_rate: float,
    run_time: str,
    log: Path,
    env: dict[str, str] | None = None,
    csv_prefix: Path | None = None,
) -> int:
    """Run Locust headless from the command line against `host`; its exit code.

    Every request is written to `log` (see read_requests) by bench/locust_users.py.
    """
    log.unlink(missing_ok=True)
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "--run-time",
        run_time,
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    if csv_prefix is not None:
        command += ["--csv", str(csv_prefix)]
    command.append(user_class)
    with log.with_suffix(".summary.txt").open("w") as summary:
        completed = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **(env or {}), "BENCH_REQUEST_LOG": str(log)},
            stdout=summary,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    if completed.returncode not in (0, 1):  # 1: some request failed, which the log shows
        sys.stderr.write(completed.stderr[-4000:])
    return completed.returncode
