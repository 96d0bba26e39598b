"""2,000 tickets checked in from 8 desks at once, every ticket scanned twice, through gunicorn.

Each desk has its own keep-alive connection and sends its scans one after another, as a real
desk does; every code is scanned at two different desks. Prints requests per second, p50/p95
latency and errors beside the minimal one-INSERT endpoint of bench/registration_rush.py
(same gunicorn workers, same PostgreSQL, same desks), measured in the same run.

    .venv/bin/python bench/checkin_rush.py [--tickets 2000] [--desks 8] [--workers N]

Exits non-zero unless exactly one check-in per ticket is recorded, one answer per ticket is
201 and one is 200 with already_checked_in, and no request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from itertools import zip_longest
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.registration_rush import (
    PG,
    fresh_database,
    prepare_app_database,
    prepare_baseline_database,
    serve,
    summary,
)

APP_DB = "seminar_bench_checkin"


def seed(url: str, seminar_id: int, tickets: int) -> tuple[list[str], str]:
    """Give the seminar `tickets` seats, all taken; return their codes and a reception token."""
    from sqlalchemy import insert, update

    from seminar_app import create_app
    from seminar_app.auth.services import create_user, issue_api_token
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import Role
    from seminar_app.extensions import db
    from seminar_app.registration.models import Registration
    from seminar_app.registration.services import new_ticket_code, new_token
    from seminar_app.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.session.execute(update(Seminar).values(capacity=tickets).where(Seminar.id == seminar_id))
        now, codes = utcnow(), [new_ticket_code() for _ in range(tickets)]
        rows = [
            {
                "seminar_id": seminar_id,
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
        db.engine.dispose()
    return codes, token


async def desks(url: str, queues: list[list[dict]], headers: dict[str, str]):
    """Each queue is one desk: its own connection, one request after another."""

    async def desk(bodies: list[dict]) -> list[tuple[float, httpx.Response | str]]:
        results = []
        async with httpx.AsyncClient(headers=headers, timeout=60) as client:
            for body in bodies:
                started = time.perf_counter()
                try:
                    answer: httpx.Response | str = await client.post(url, json=body)
                except httpx.HTTPError as exc:
                    answer = type(exc).__name__
                results.append((time.perf_counter() - started, answer))
        return results

    started = time.perf_counter()
    per_desk = await asyncio.gather(*(desk(bodies) for bodies in queues))
    elapsed = time.perf_counter() - started
    results = [result for desk_results in per_desk for result in desk_results]
    return [r[0] for r in results], [r[1] for r in results], elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--desks", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    n_desks, requests = args.desks, 2 * args.tickets

    app_url = fresh_database(APP_DB)
    seminar_id, _ = prepare_app_database(app_url)
    codes, token = seed(app_url, seminar_id, args.tickets)
    base_url = fresh_database(APP_DB + "_baseline")
    prepare_baseline_database(base_url)

    # Desk i alternates its share codes[i::n] with desk i-1's, so that every code is scanned
    # at two desks, the second time about when the first desk scans it.
    scans = [
        [
            {"seminar_id": seminar_id, "code": code}
            for pair in zip_longest(codes[i::n_desks], codes[(i - 1) % n_desks :: n_desks])
            for code in pair
            if code is not None
        ]
        for i in range(n_desks)
    ]
    inserts = [
        [{"email": f"desk{i}-{n}@example.jp"} for n in range(len(scans[i]))] for i in range(n_desks)
    ]
    app_server, app_base = serve("wsgi:app", app_url, args.workers)
    base_server, base_base = serve("bench.minimal_app:app", base_url, args.workers)
    try:
        base_lat, base_res, base_elapsed = asyncio.run(desks(f"{base_base}/insert", inserts, {}))
        app_lat, app_res, app_elapsed = asyncio.run(
            desks(f"{app_base}/api/v1/checkins", scans, {"Authorization": f"Bearer {token}"})
        )
    finally:
        for server in (app_server, base_server):
            server.terminate()
            server.wait(timeout=20)

    answers = [r for r in app_res if isinstance(r, httpx.Response)]
    created = sum(1 for r in answers if r.status_code == 201)
    already = sum(1 for r in answers if r.status_code == 200 and r.json().get("already_checked_in"))
    errors = requests - created - already
    base_errors = sum(
        1 for r in base_res if not (isinstance(r, httpx.Response) and r.status_code == 201)
    )
    with psycopg.connect(dbname=APP_DB, **PG) as conn:
        (check_ins,) = conn.execute("SELECT count(*) FROM check_ins").fetchone()
    app_stats = summary(app_lat, app_elapsed, requests)
    base_stats = summary(base_lat, base_elapsed, requests)

    app_stats["requests"] = base_stats["requests"] = requests
    app_stats["errors"], base_stats["errors"] = errors, base_errors
    print(f"{args.tickets} tickets scanned twice from {n_desks} desks at once,")
    print(f"gunicorn --workers {args.workers}, PostgreSQL")
    print(f"{'':28}{'check-in':>14}{'minimal INSERT':>16}")
    for label, key, form in (
        ("requests", "requests", "d"),
        ("requests per second", "per_second", ".1f"),
        ("p50 latency (ms)", "p50_ms", ".1f"),
        ("p95 latency (ms)", "p95_ms", ".1f"),
        ("errors", "errors", "d"),
    ):
        print(f"{label:28}{app_stats[key]:>14{form}}{base_stats[key]:>16{form}}")
    answered = f"201 checked in {created}, 200 already_checked_in {already}"
    print(f"check_ins rows {check_ins}; answers: {answered}")
    ok = check_ins == created == already == args.tickets and errors == 0 and base_errors == 0
    print("OK" if ok else f"FAILED: want {args.tickets} of each, and no errors")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
