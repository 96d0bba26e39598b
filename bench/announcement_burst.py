"""The announcement burst: 10,000 opted-in people are mailed; in the following minutes 2,000 of
them open the catalogue and the seminar's page and 500 register for its 100 seats, while the
outbox senders deliver every mail to a real SMTP server (aiosmtpd) on loopback.

Through gunicorn (sync workers) on PostgreSQL, with Locust run headless from the command line
(bench/locust_users.py). Measured in the same run, one after the other with the same Locust
and the same gunicorn settings, with as many requests as the server answers (closed loop):
bare Flask serving a static string (bench/bare_app.py), the two public pages with the page
cache off, and with it on; then the burst itself.

    .venv/bin/python bench/announcement_burst.py [--people 10000] [--visitors 2000]
        [--registrants 500] [--capacity 100] [--arrival-seconds 120] [--workers 4]
        [--senders 2] [--cache-seconds 5] [--keep-database]

Prints page p50/p95/p99 and throughput beside the bare baseline, registrations per second,
mails per second, how far behind the truth the public seats-left figure ever was. Exits
non-zero unless exactly `capacity` registrations are confirmed and the rest waitlisted, every
mail (the announcement to each person, a confirmation or waitlist mail to each registrant)
was received exactly once, and no request failed.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import (
    SUMMARY_HEADER,
    MailCounter,
    Request,
    Server,
    drop_database,
    fresh_database,
    locust,
    migrated_app,
    percentile,
    query,
    read_requests,
    senders,
    summarize,
)

DB = "seminar_bench_burst"
SLUG = "bench-announced"
SUBJECT = "【新規開催】営業秘密・知財戦略セミナー（初級）のご案内"
BODY = (
    "知財戦略支援センターより、新しいセミナーのご案内です。\n\n"
    "営業秘密の管理を七つのステップで学びます。お申し込みは先着順です。"
)
PAGES = ("catalogue", "seminar page")
REGISTRATION_STEPS = ("register form", "confirm page", "register", "manage page")
SEATS = re.compile(r"残り(\d+)席|(\d+) seats left")


@dataclass(frozen=True)
class Seeded:
    seminar_id: int
    people: list[str]


def seed(url: str, people: int, capacity: int) -> Seeded:
    """`people` opted in on a past seminar; the announced seminar; a page of others."""
    app = migrated_app(url)  # first: it registers every model of the app
    from sqlalchemy import insert

    from seminar_app.auth.services import create_user
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import Delivery, Level, Role, SeminarStatus, Series
    from seminar_app.extensions import db
    from seminar_app.registration.models import Registration
    from seminar_app.registration.services import new_ticket_code, new_token
    from seminar_app.timeutil import utcnow

    with app.app_context():
        now = utcnow().replace(microsecond=0)

        def seminar(slug: str, title: str, starts, cap: int, **extra) -> Seminar:
            row = Seminar(
                slug=slug,
                title=title,
                series=Series.TRADE_SECRET_IP_STRATEGY,
                level=Level.BEGINNER,
                delivery=Delivery.ONLINE,
                status=SeminarStatus.PUBLISHED,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                meeting_url="https://meet.example.org/j/bench",
                capacity=cap,
                description="営業秘密の基礎を学びます。\n\n1. 気づき\n2. 制度概要理解・意識啓発",
                **extra,
            )
            db.session.add(row)
            return row

        past = seminar(
            "bench-past", "営業秘密・知財戦略セミナー（昨年度）", now - timedelta(days=60), people
        )
        announced = seminar(
            SLUG, "営業秘密・知財戦略セミナー（初級）", now + timedelta(days=21), capacity
        )
        for n in range(11):
            seminar(
                f"bench-other-{n}",
                f"知財活用支援セミナー 第{n + 1}回",
                now + timedelta(days=30 + 7 * n),
                60,
            )
        create_user(db.session, "office@example.org", {Role.ORGANIZER}, password=new_token())
        db.session.flush()
        addresses = [f"person{n}@example.jp" for n in range(people)]
        version = app.config["PRIVACY_NOTICE_VERSION"]
        rows = [
            {
                "seminar_id": past.id,
                "status": "confirmed",
                "manage_token": new_token(),
                "ticket_code": new_ticket_code(),
                "join_token": new_token(),
                "email": address,
                "email_key": address,
                "name": f"既存 一郎{n}",
                "name_kana": "きそん いちろう",
                "prefecture": "13",
                "attribute": "sme",
                "privacy_notice_version": version,
                "privacy_agreed_at": now - timedelta(days=70),
                "confirmed_at": now - timedelta(days=70),
                "announcements_opt_in": True,
                "locale": "en" if n % 10 == 9 else "ja",
            }
            for n, address in enumerate(addresses)
        ]
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(Registration), rows[start : start + 2000])
        db.session.commit()
        seeded = Seeded(announced.id, addresses)
        db.engine.dispose()
    return seeded


def queue_announcement(url: str) -> tuple[int, float]:
    """Send the announcement as the console does (announcements.services.send); the number
    of mails queued and the seconds it took."""
    from sqlalchemy import select

    from seminar_app import create_app
    from seminar_app.announcements import services
    from seminar_app.auth.models import User
    from seminar_app.extensions import db
    from seminar_app.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        organizer = db.session.scalar(select(User).where(User.email == "office@example.org"))
        started = time.perf_counter()
        _announcement, count = services.send(db.session, SUBJECT, BODY, by=organizer, now=utcnow())
        db.session.commit()
        seconds = time.perf_counter() - started
        db.engine.dispose()
    return count, seconds


# --- the seats-left figure, watched from outside ---------------------------------------------


@dataclass(frozen=True)
class SeatsSample:
    started: float
    ended: float
    shown: int | None


class SeatsWatcher(threading.Thread):
    """Reads the seminar's public page once a second, as an anonymous visitor does."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.samples: list[SeatsSample] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(headers={"Accept-Language": "ja"}, timeout=30) as client:
            while not self.stopping.is_set():
                started = time.time()
                try:
                    html = client.get(self.url).text
                except httpx.HTTPError:
                    html = ""
                ended = time.time()
                client.cookies.clear()
                match = SEATS.search(html)
                if match:
                    shown: int | None = int(match.group(1) or match.group(2))
                elif "state-full" in html:
                    shown = 0
                else:
                    shown = None
                self.samples.append(SeatsSample(started, ended, shown))
                self.stopping.wait(1.0)


def seats_lag(samples: list[SeatsSample], confirmed_at: list[float], capacity: int):
    """(samples read, the most seconds a shown figure was behind the truth, figures shown
    that were never true yet). The figure f was true from the (capacity-f)-th confirmation
    until the next one; a page read at t that shows it is behind by t minus that next one."""
    times = sorted(confirmed_at)
    worst, ahead, read = 0.0, 0, 0
    for sample in samples:
        if sample.shown is None:
            continue
        read += 1
        taken = capacity - sample.shown
        became_true = times[taken - 1] if 0 < taken <= len(times) else -math.inf
        if taken > len(times) or became_true > sample.ended + 0.5:
            ahead += 1
            continue
        stopped_being_true = times[taken] if taken < len(times) else math.inf
        worst = max(worst, sample.started - stopped_being_true)
    return read, worst, ahead


# --- runs -----------------------------------------------------------------------------------


def closed_loop(
    label: str, user: str, server: Server, work: Path, *, users: int, seconds: int, env=None
) -> list[Request]:
    log = work / f"{user}-{label.replace(' ', '-')}.csv"
    locust(
        user,
        server.base,
        users=users,
        spawn_rate=users,
        run_time=f"{seconds}s",
        log=log,
        env=env,
    )
    return read_requests(log)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--visitors", type=int, default=2_000)
    parser.add_argument("--registrants", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=100)
    parser.add_argument("--arrival-seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--senders", type=int, default=2)
    parser.add_argument("--cache-seconds", type=int, default=5)
    parser.add_argument("--loop-users", type=int, default=32, help="closed-loop Locust users")
    parser.add_argument("--loop-seconds", type=int, default=20)
    parser.add_argument("--mail-timeout", type=float, default=900)
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="announcement-burst-"))
    url = fresh_database(DB)
    try:
        return run(args, url, work)
    finally:
        if not args.keep_database:
            drop_database(DB)


def run(args, url: str, work: Path) -> int:
    started_seed = time.perf_counter()
    seeded = seed(url, args.people, args.capacity)
    print(
        f"seeded {args.people} opted-in people and 13 seminars "
        f"in {time.perf_counter() - started_seed:.0f} s",
        flush=True,
    )
    app_env = {"DATABASE_URL": url}
    page_env = {"BENCH_SLUG": SLUG}
    loops: dict[str, list[Request]] = {}

    with Server("bench.bare_app:app", workers=args.workers) as bare:
        bare.warm(["/static-string"])
        loops["bare Flask, static string"] = closed_loop(
            "bare", "StaticString", bare, work, users=args.loop_users, seconds=args.loop_seconds
        )
    uncached_env = {**app_env, "PUBLIC_PAGE_CACHE_SECONDS": "0"}
    with Server("wsgi:app", workers=args.workers, env=uncached_env) as uncached:
        uncached.warm(["/", f"/seminars/{SLUG}"])
        loops["the two pages, cache off"] = closed_loop(
            "uncached",
            "CataloguePages",
            uncached,
            work,
            users=args.loop_users,
            seconds=args.loop_seconds,
            env=page_env,
        )

    cached_env = {**app_env, "PUBLIC_PAGE_CACHE_SECONDS": str(args.cache_seconds)}
    with (
        Server("wsgi:app", workers=args.workers, env=cached_env) as server,
        MailCounter() as mail,
    ):
        server.warm(["/", f"/seminars/{SLUG}", f"/seminars/{SLUG}/register"])
        loops[f"the two pages, cache {args.cache_seconds} s"] = closed_loop(
            "cached",
            "CataloguePages",
            server,
            work,
            users=args.loop_users,
            seconds=args.loop_seconds,
            env=page_env,
        )
        queued, queue_seconds = queue_announcement(url)
        burst_began = time.time()
        with senders(url, mail.port, args.senders):
            watcher = SeatsWatcher(f"{server.base}/seminars/{SLUG}")
            watcher.start()
            log = work / "burst.csv"
            try:
                locust_exit = locust(
                    "BurstVisitor",
                    server.base,
                    users=args.visitors,
                    spawn_rate=args.visitors / args.arrival_seconds,
                    run_time=f"{int(args.arrival_seconds) + 900}s",
                    log=log,
                    env={
                        **page_env,
                        "BENCH_VISITORS": str(args.visitors),
                        "BENCH_REGISTRANTS": str(args.registrants),
                    },
                    csv_prefix=work / "burst-locust",
                )
            finally:
                watcher.stopping.set()
                watcher.join(timeout=30)
            visitors_done = time.time()
            expected_mails = queued + args.registrants
            mail.wait_for(expected_mails, timeout=args.mail_timeout)
            time.sleep(3)  # a moment more: a mail too many would arrive now
            received = mail.received()

    # --- what happened ---------------------------------------------------------------------
    requests = read_requests(log)
    dbname = DB
    statuses = dict(
        query(
            dbname,
            "SELECT status, count(*) FROM registrations WHERE seminar_id = %s GROUP BY status",
            (seeded.seminar_id,),
        )
    )
    registrant_rows = query(
        dbname,
        "SELECT lower(email), extract(epoch FROM created_at), extract(epoch FROM confirmed_at)"
        " FROM registrations WHERE seminar_id = %s",
        (seeded.seminar_id,),
    )
    outbox = dict(query(dbname, "SELECT status, count(*) FROM outbox_messages GROUP BY status"))
    confirmed_at = [float(row[2]) for row in registrant_rows if row[2] is not None]

    per_recipient: dict[str, int] = {}
    first_mail: dict[str, float] = {}
    wrong_subject = 0
    person_set = set(seeded.people)
    for entry in received:
        for address in entry.recipients:
            per_recipient[address] = per_recipient.get(address, 0) + 1
            first_mail.setdefault(address, entry.at)
            if address in person_set and entry.subject != SUBJECT:
                wrong_subject += 1
    registrants = {row[0] for row in registrant_rows}
    expected = person_set | registrants
    missing = sorted(expected - per_recipient.keys())
    twice = sorted(a for a, n in per_recipient.items() if n > 1)
    strangers = sorted(per_recipient.keys() - expected)
    mail_times = [entry.at for entry in received]
    mail_seconds = (max(mail_times) - burst_began) if mail_times else math.nan
    announced = [e.at for e in received if any(a in person_set for a in e.recipients)]
    announced_seconds = (max(announced) - burst_began) if announced else math.nan
    confirmation_delay = [
        first_mail[row[0]] - float(row[1]) for row in registrant_rows if row[0] in first_mail
    ]

    pages = [r for r in requests if r.name in PAGES]
    steps = [r for r in requests if r.name in REGISTRATION_STEPS]
    registered = [r for r in requests if r.name == "register" and r.status == 303]
    failed = [r for r in requests if r.failed]
    span = (max(r.at for r in requests) - min(r.at for r in requests)) if requests else math.nan
    register_span = (
        (max(r.at for r in registered) - min(r.at for r in registered)) if registered else 0
    ) or math.nan
    read, lag, ahead = seats_lag(watcher.samples, confirmed_at, args.capacity)

    print()
    print(
        f"Announcement burst: {queued} opted-in people mailed, {args.visitors} visitors "
        f"arriving over {args.arrival_seconds:.0f} s, {args.registrants} registering for "
        f"{args.capacity} seats"
    )
    print(
        f"gunicorn --workers {args.workers} (sync) on PostgreSQL; {args.senders} outbox senders"
        f" to aiosmtpd on 127.0.0.1; Locust headless on the same 2-core machine"
    )
    print()
    print(f"Closed loop, {args.loop_users} Locust users, {args.loop_seconds} s each")
    print(f"{'':34}{SUMMARY_HEADER}")
    for label, loop in loops.items():
        print(f"{label:34}{summarize(loop).row()}")
    print()
    print(f"The burst ({span:.0f} s from the first request to the last)")
    print(f"{'':34}{SUMMARY_HEADER}")
    print(f"{'pages (catalogue, seminar)':34}{summarize(pages, span).row()}")
    for name in PAGES:
        print(f"{'  ' + name:34}{summarize([r for r in pages if r.name == name], span).row()}")
    print(f"{'registration steps':34}{summarize(steps, span).row()}")
    for name in REGISTRATION_STEPS:
        print(f"{'  ' + name:34}{summarize([r for r in steps if r.name == name], span).row()}")
    print(f"{'all requests':34}{summarize(requests, span).row()}")
    print()
    confirmed, waitlisted = statuses.get("confirmed", 0), statuses.get("waitlisted", 0)
    print(
        f"registrations: {len(registered)} in {register_span:.0f} s = "
        f"{len(registered) / register_span:.1f}/s; confirmed {confirmed} "
        f"(capacity {args.capacity}), waitlisted {waitlisted}"
    )
    print(
        f"announcement: {queued} mails queued in {queue_seconds:.1f} s "
        f"({queued / queue_seconds:.0f}/s)"
    )
    print(
        f"mails: the announcement's {len(announced)} delivered in {announced_seconds:.0f} s = "
        f"{len(announced) / announced_seconds:.1f}/s; all {len(received)} (of "
        f"{len(expected)} expected) in {mail_seconds:.0f} s = "
        f"{len(received) / mail_seconds:.1f}/s; outbox {outbox}"
    )
    if confirmation_delay:
        print(
            f"a registrant's mail arrived {percentile(confirmation_delay, 50):.0f} s (p50), "
            f"{max(confirmation_delay):.0f} s (max) after the registration"
        )
    print(
        f"seats left on the public page: {read} readings, at most {max(lag, 0):.1f} s behind "
        f"the truth (cache {args.cache_seconds} s), {ahead} ahead of it"
    )
    print(
        f"visitors done {visitors_done - burst_began:.0f} s after the announcement; "
        f"Locust exit {locust_exit}; logs in {work}"
    )

    problems = []
    if confirmed != args.capacity:
        problems.append(f"confirmed {confirmed}, not {args.capacity}")
    if waitlisted != args.registrants - args.capacity or len(registered) != args.registrants:
        problems.append(f"{len(registered)} registered, {waitlisted} waitlisted")
    if missing or twice or strangers or wrong_subject or len(received) != len(expected):
        problems.append(
            f"mail: {len(missing)} missing, {len(twice)} twice, {len(strangers)} unexpected, "
            f"{wrong_subject} with another subject"
        )
    if outbox.get("sent", 0) != len(expected) or len(outbox) != 1:
        problems.append(f"outbox {outbox}")
    if failed:
        problems.append(f"{len(failed)} requests failed: {sorted({r.name for r in failed})}")
    if ahead or lag > args.cache_seconds + 2:
        problems.append(f"seats-left figure {lag:.1f} s behind, {ahead} ahead")
    if len(pages) != 2 * args.visitors:
        problems.append(f"{len(pages)} page views, not {2 * args.visitors}")
    print("OK: capacity, every mail once, no request failed" if not problems else "FAILED:")
    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
