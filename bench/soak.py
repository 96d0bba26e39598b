"""The soak: the mixed load at half the measured maximum for 30 minutes (`make bench`: 3).

Public pages, API reads, check-ins at a desk and registrations through the form
(bench/locust_users.MixedLoad, Locust headless) against gunicorn (sync workers) on
PostgreSQL, with an outbox sender delivering every mail to aiosmtpd on loopback. A quick
closed-loop ramp first finds the most requests a second the stack answers; the soak then runs
at half of it (or at --rate).

    .venv/bin/python bench/soak.py [--minutes 30] [--rate REQUESTS_PER_SECOND] [--workers 4]

Prints, per minute: requests, p50/p99, errors, 503 answers, PostgreSQL connections to the
database, the resident memory of each gunicorn worker. Exits non-zero on any error or 503, a
worker whose memory grew by 5 % or more after the warm-up (or that was replaced), more
database connections after the warm-up than during it, a minute whose p99 is more than twice
the first measured minute's (plus 50 ms), or a registration's mail not received exactly once.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    BIN,
    LOCUSTFILE,
    ROOT,
    CpuShare,
    MailCounter,
    Request,
    Server,
    connections,
    drop_database,
    fresh_database,
    locust,
    migrated_app,
    percentile,
    query,
    read_requests,
    rss_bytes,
    senders,
    stop_processes,
)

DB = "seminar_bench_soak"
SEMINARS = 12
REGISTER_INTO = 6
TICKETS = 3000
RAMP_USERS = (2, 4, 8, 16, 32)
MB = 1024 * 1024


@dataclass(frozen=True)
class Seeded:
    slugs: list[str]
    seminar_ids: list[int]
    checkin_seminar: int
    codes: list[str]
    token: str


def seed(url: str) -> Seeded:
    """A catalogue of seminars, six of them taking registrations; one held today whose
    TICKETS confirmed participants are checked in at a desk with a reception token."""
    app = migrated_app(url)  # first: it registers every model of the app
    from sqlalchemy import insert

    from seminar_app.auth.services import create_user, issue_api_token
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import Delivery, Level, Role, SeminarStatus, Series
    from seminar_app.extensions import db
    from seminar_app.registration.models import Registration
    from seminar_app.registration.services import new_ticket_code, new_token
    from seminar_app.timeutil import utcnow

    with app.app_context():
        now = utcnow().replace(microsecond=0)
        seminars = []
        for n in range(SEMINARS + 1):
            starts = now + (timedelta(hours=1) if n == SEMINARS else timedelta(days=10 + 7 * n))
            seminar = Seminar(
                slug=f"soak-{n}",
                title=f"営業秘密・知財戦略セミナー 第{n + 1}回",
                series=Series.TRADE_SECRET_IP_STRATEGY if n % 2 else Series.IP_UTILIZATION,
                level=Level.BEGINNER,
                delivery=Delivery.ONLINE,
                status=SeminarStatus.PUBLISHED,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                meeting_url="https://meet.example.org/j/soak",
                capacity=TICKETS if n == SEMINARS else 300,
                description="営業秘密の基礎を学びます。",
            )
            db.session.add(seminar)
            seminars.append(seminar)
        db.session.flush()
        desk = seminars[-1]
        codes = [new_ticket_code() for _ in range(TICKETS)]
        rows = [
            {
                "seminar_id": desk.id,
                "status": "confirmed",
                "manage_token": new_token(),
                "ticket_code": code,
                "join_token": new_token(),
                "email": f"desk{n}@example.jp",
                "email_key": f"desk{n}@example.jp",
                "name": f"受付 花子{n}",
                "name_kana": "うけつけ はなこ",
                "prefecture": "13",
                "attribute": "sme",
                "privacy_notice_version": app.config["PRIVACY_NOTICE_VERSION"],
                "privacy_agreed_at": now,
                "confirmed_at": now,
            }
            for n, code in enumerate(codes)
        ]
        db.session.execute(insert(Registration), rows)
        user = create_user(db.session, "desk@example.jp", {Role.RECEPTION}, password=new_token())
        token = issue_api_token(db.session, user)
        db.session.commit()
        seeded = Seeded([s.slug for s in seminars], [s.id for s in seminars], desk.id, codes, token)
        db.engine.dispose()
    return seeded


def mix_env(seeded: Seeded, codes_file: Path) -> dict[str, str]:
    return {
        "BENCH_SLUGS": ",".join(seeded.slugs),
        "BENCH_SEMINAR_IDS": ",".join(map(str, seeded.seminar_ids)),
        "BENCH_REGISTER_SLUGS": ",".join(seeded.slugs[:REGISTER_INTO]),
        "BENCH_CHECKIN_SEMINAR": str(seeded.checkin_seminar),
        "BENCH_TOKEN": seeded.token,
        "BENCH_CODES_FILE": str(codes_file),
    }


def ramp(server: Server, env: dict[str, str], work: Path, seconds: int) -> float:
    """The most requests a second the stack answered without an error, users doubling."""
    best = 0.0
    print(f"ramp: closed loop, {seconds} s per step", flush=True)
    for users in RAMP_USERS:
        log = work / f"ramp-{users}.csv"
        locust(
            "MixedLoad",
            server.base,
            users=users,
            spawn_rate=users,
            run_time=f"{seconds}s",
            log=log,
            env=env,
        )
        requests = read_requests(log)
        span = (max(r.at for r in requests) - min(r.at for r in requests)) if requests else 0
        rate = len(requests) / span if span else 0.0
        errors = sum(r.failed for r in requests)
        p99 = percentile([r.ms for r in requests], 99)
        print(
            f"  {users:>3} users: {rate:7.1f} req/s, p99 {p99:6.0f} ms, {errors} errors",
            flush=True,
        )
        if errors == 0:
            best = max(best, rate)
        if rate < best * 0.9:  # past the top: more users only queue
            break
    return best


@dataclass
class Minute:
    index: int
    requests: int
    p50: float
    p99: float
    errors: int
    unavailable: int
    connections: int
    rss: dict[int, int]
    others_cpu: float

    def row(self) -> str:
        memory = " ".join(f"{self.rss[pid] / MB:6.1f}" for pid in sorted(self.rss))
        return (
            f"{self.index + 1:>6}{self.requests:>9}{self.requests / 60:>8.1f}{self.p50:>7.0f}"
            f"{self.p99:>7.0f}{self.errors:>7}{self.unavailable:>5}{self.connections:>7}"
            f"{self.others_cpu:>8.0f}  {memory}"
        )


HEADER = (
    f"{'minute':>6}{'requests':>9}{'req/s':>8}{'p50':>7}{'p99':>7}{'errors':>7}{'503':>5}"
    f"{'conns':>7}{'others':>8}  RSS of each worker (MB)"
)
#: What the columns are.
LEGEND = (
    "(p50, p99 in ms; conns: the most connections to the database; others: CPU % of the "
    "machine used by processes outside the benchmark)"
)


def in_minute(requests: list[Request], start: float, index: int) -> list[Request]:
    low, high = start + 60 * index, start + 60 * (index + 1)
    return [r for r in requests if low <= r.at < high]


def minute_of(requests, start, index, conns, rss, others_cpu=math.nan) -> Minute:
    chunk = in_minute(requests, start, index)
    times = [r.ms for r in chunk]
    return Minute(
        index,
        len(chunk),
        percentile(times, 50),
        percentile(times, 99),
        sum(r.failed for r in chunk),
        sum(r.status == 503 for r in chunk),
        conns,
        rss,
        others_cpu,
    )


def soak(server: Server, env: dict[str, str], work: Path, args, rate: float):
    users = max(8, math.ceil(rate / 2))
    log = work / "soak.csv"
    log.unlink(missing_ok=True)
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        server.base,
        "-u",
        str(users),
        "-r",
        str(users),
        "--run-time",
        f"{args.minutes}m",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--csv",
        str(work / "soak-locust"),
        "MixedLoad",
    ]
    run_env = {
        **env,
        "BENCH_RATE": f"{rate:.2f}",
        "BENCH_USERS": str(users),
        "BENCH_REQUEST_LOG": str(log),
    }
    workers = server.worker_pids()
    print(f"soak: {rate:.1f} req/s from {users} Locust users for {args.minutes} min", flush=True)
    print(LEGEND)
    print(HEADER, flush=True)
    cpu = CpuShare(DB)
    start = measured_since = time.time()
    with (work / "soak.summary.txt").open("w") as summary:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **run_env},
            stdout=summary,
            stderr=subprocess.STDOUT,
        )
        minutes: list[Minute] = []
        peak_connections = 0
        try:
            for index in range(args.minutes):
                boundary = start + 60 * (index + 1)
                while time.time() < boundary + 2:  # 2 s for the minute's last answers
                    peak_connections = max(peak_connections, connections(DB))
                    cpu.sample()
                    time.sleep(min(5, max(0.1, boundary + 2 - time.time())))
                minute = minute_of(
                    read_requests(log),
                    start,
                    index,
                    peak_connections,
                    rss_bytes(workers),
                    cpu.others_percent(time.time() - measured_since),
                )
                peak_connections, measured_since = 0, time.time()
                minutes.append(minute)
                print(minute.row(), flush=True)
            process.wait(timeout=120)
        finally:
            stop_processes([process])
    return workers, minutes, read_requests(log), start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--rate", type=float, help="requests a second (default: half the ramp)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--ramp-seconds", type=int, default=12)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    url = fresh_database(DB)
    try:
        return run(args, url, work)
    finally:
        if not args.keep_database:
            drop_database(DB)


def run(args, url: str, work: Path) -> int:
    seeded = seed(url)
    codes_file = work / "codes.txt"
    codes_file.write_text("\n".join(seeded.codes))
    env = mix_env(seeded, codes_file)
    warmup = max(1, round(args.minutes / 10))
    with (
        MailCounter() as mail,
        senders(url, mail.port, 1, interval=0.5),
        Server("wsgi:app", workers=args.workers, env={"DATABASE_URL": url}) as server,
    ):
        server.warm(["/", f"/seminars/{seeded.slugs[0]}", "/api/v1/seminars"])
        maximum = math.nan if args.rate else ramp(server, env, work, args.ramp_seconds)
        rate = args.rate or maximum / 2
        workers, minutes, requests, _start = soak(server, env, work, args, rate)
        final_workers = server.worker_pids()
        registered = query(
            DB,
            "SELECT lower(email) FROM registrations WHERE seminar_id = ANY(%s)",
            (seeded.seminar_ids[:REGISTER_INTO],),
        )
        expected = {row[0] for row in registered}
        mail.wait_for(len(expected), timeout=300)
        time.sleep(2)
        per_recipient = mail.per_recipient()

    measured = minutes[warmup:]
    problems = []
    errors = sum(r.failed for r in requests)
    unavailable = sum(r.status == 503 for r in requests)
    if errors or unavailable:
        failed_names = sorted({r.name for r in requests if r.failed})
        problems.append(f"{errors} errors ({failed_names}), {unavailable} answers 503")
    if final_workers != workers:
        problems.append(f"workers replaced: {workers} → {final_workers}")
    growth = {}
    if measured:
        base = minutes[warmup - 1].rss
        last = minutes[-1].rss
        growth = {pid: (last[pid] - base[pid]) / base[pid] for pid in base if pid in last}
        grown = {pid: g for pid, g in growth.items() if g >= 0.05}
        if grown:
            problems.append(f"worker memory grew 5 % or more after the warm-up: {grown}")
        warm_connections = max(m.connections for m in minutes[:warmup])
        later_connections = max(m.connections for m in measured)
        if later_connections > warm_connections:
            problems.append(
                f"database connections grew: {warm_connections} in the warm-up, "
                f"{later_connections} after"
            )
        reference = measured[0].p99
        spikes = [m.index + 1 for m in measured if m.p99 > 2 * reference + 50]
        if spikes:
            problems.append(f"p99 not steady: minutes {spikes} above 2 × {reference:.0f} + 50 ms")
    missing = expected - per_recipient.keys()
    twice = {a for a, n in per_recipient.items() if n > 1}
    strangers = per_recipient.keys() - expected
    if missing or twice or strangers:
        problems.append(
            f"mail: {len(missing)} missing, {len(twice)} twice, {len(strangers)} unexpected"
        )

    total = len(requests)
    span = (max(r.at for r in requests) - min(r.at for r in requests)) if requests else 1
    print()
    print(
        f"{total} requests in {span / 60:.1f} min = {total / span:.1f}/s "
        f"(target {rate:.1f}/s"
        + ("" if math.isnan(maximum) else f", half of the ramp's {maximum:.1f}/s")
        + "); "
        f"p99 {percentile([r.ms for r in requests], 99):.0f} ms; "
        f"{errors} errors, {unavailable} × 503"
    )
    if growth:
        print(
            f"worker memory after the {warmup}-minute warm-up: "
            + ", ".join(f"{g:+.1%}" for _pid, g in sorted(growth.items()))
        )
    print(
        f"registrations {len(expected)}, their mails received {sum(per_recipient.values())} "
        f"({len(missing)} missing, {len(twice)} twice); logs in {work}"
    )
    print("OK: no error, no 503, p99, memory and connections steady" if not problems else "FAILED:")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
