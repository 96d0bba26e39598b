"""500 registrations at once for a 100-seat seminar, through gunicorn on PostgreSQL.

Prints confirmed, waitlisted, errors, registrations per second and p50/p95 latency
beside a minimal Flask endpoint in the same stack (gunicorn, same workers, same
database) that does one INSERT per request, measured in the same run.

    .venv/bin/python bench/registration_rush.py [--requests 500] [--workers N (default: cores)]
        [--py-spy FILE]

Each server first answers WARM_UP requests (a second seminar's registrations, other rows
of the minimal table), as workers that have served before an announcement would be; the
rush itself is then timed. With --py-spy, the registration servers' workers are sampled
by py-spy during the rush and the collapsed stacks written to FILE (bench/stacks.py
reads them).

Exits non-zero unless exactly 100 are confirmed and no request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
CAPACITY = 100
#: Requests each server answers before the timed rush (a few per worker).
WARM_UP = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(name: str) -> str:
    with psycopg.connect(dbname="postgres", autocommit=True, **PG) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{PG['user']}@{PG['host']}:{PG['port']}/{name}"


def prepare_app_database(url: str) -> tuple[int, int]:
    from flask_migrate import upgrade

    from seminar_app import create_app
    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import Delivery, SeminarStatus, Series
    from seminar_app.extensions import db
    from seminar_app.timeutil import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        starts = utcnow() + timedelta(days=14)
        seminars = [
            Seminar(
                slug=slug,
                title="ベンチマーク用セミナー",
                series=Series.TRADE_SECRET_IP_STRATEGY,
                delivery=Delivery.ONLINE,
                status=SeminarStatus.PUBLISHED,
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                meeting_url="https://meet.example.org/j/bench",
                capacity=capacity,
            )
            for slug, capacity in (("bench-rush", CAPACITY), ("bench-warm-up", WARM_UP))
        ]
        db.session.add_all(seminars)
        db.session.commit()
        rush, warm_up = (seminar.id for seminar in seminars)
        db.engine.dispose()
    return rush, warm_up


def prepare_baseline_database(url: str) -> None:
    with psycopg.connect(dbname=url.rsplit("/", 1)[1], autocommit=True, **PG) as conn:
        conn.execute("CREATE TABLE bench_rows (id serial PRIMARY KEY, email varchar(254))")


def serve(app_path: str, url: str, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RATELIMIT_ENABLED": "false",
        "APP_ENV": "development",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
            app_path,
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(base + "/", timeout=1)
            return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{app_path} did not start")


async def fire(
    url: str, bodies: list[dict]
) -> tuple[list[float], list[httpx.Response | str], float]:
    limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one(body):
            started = time.perf_counter()
            try:
                response = await client.post(url, json=body)
            except httpx.HTTPError as exc:
                return time.perf_counter() - started, f"{type(exc).__name__}"
            return time.perf_counter() - started, response

        started = time.perf_counter()
        results = await asyncio.gather(*(one(body) for body in bodies))
        elapsed = time.perf_counter() - started
    return [r[0] for r in results], [r[1] for r in results], elapsed


def py_spy(pid: int, out: str) -> subprocess.Popen:
    """py-spy sampling a server's workers (collapsed stacks) until it is sent SIGINT."""
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses"]
    command += ["--pid", str(pid), "--rate", "250", "--format", "raw", "-o", out]
    sampler = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    time.sleep(1)  # py-spy attaches to each worker before the first request is sent
    return sampler


def summary(latencies: list[float], elapsed: float, count: int) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "per_second": count / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "seconds": elapsed,
    }


def registration_body(n: int) -> dict:
    return {
        "name": f"負荷 太郎{n}",
        "name_kana": "ふか たろう",
        "email": f"rush{n}@example.jp",
        "organization": "株式会社ベンチ",
        "prefecture": "13",
        "attribute": "sme",
        "employee_band": "21-50",
        "privacy_notice_agreed": True,
        "locale": "ja",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--py-spy", metavar="FILE", help="sample the registration workers")
    args = parser.parse_args()

    app_url = fresh_database("seminar_bench")
    seminar_id, warm_up_id = prepare_app_database(app_url)
    base_url = fresh_database("seminar_bench_baseline")
    prepare_baseline_database(base_url)

    app_server, app_base = serve("wsgi:app", app_url, args.workers)
    base_server, base_base = serve("bench.minimal_app:app", base_url, args.workers)
    try:
        bodies = [registration_body(n) for n in range(args.requests)]
        warm = [{**registration_body(n), "email": f"warm{n}@example.jp"} for n in range(WARM_UP)]
        registrations = f"{app_base}/api/v1/seminars/{{}}/registrations"
        asyncio.run(fire(f"{base_base}/insert", [{"email": b["email"]} for b in warm]))
        base_lat, base_res, base_elapsed = asyncio.run(
            fire(f"{base_base}/insert", [{"email": b["email"]} for b in bodies])
        )
        asyncio.run(fire(registrations.format(warm_up_id), warm))
        sampler = py_spy(app_server.pid, args.py_spy) if args.py_spy else None
        app_lat, app_res, app_elapsed = asyncio.run(fire(registrations.format(seminar_id), bodies))
        if sampler is not None:
            sampler.send_signal(signal.SIGINT)
            sampler.wait(timeout=60)
    finally:
        for server in (app_server, base_server):
            server.terminate()
            server.wait(timeout=20)

    statuses = [
        r.json().get("status") if isinstance(r, httpx.Response) and r.status_code == 201 else None
        for r in app_res
    ]
    errors = sum(1 for r in app_res if not (isinstance(r, httpx.Response) and r.status_code == 201))
    base_errors = sum(
        1 for r in base_res if not (isinstance(r, httpx.Response) and r.status_code == 201)
    )
    with psycopg.connect(dbname="seminar_bench", **PG) as conn:
        confirmed, waitlisted = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'confirmed'),"
            " count(*) FILTER (WHERE status = 'waitlisted') FROM registrations"
            " WHERE seminar_id = %s",
            (seminar_id,),
        ).fetchone()
    app_stats = summary(app_lat, app_elapsed, args.requests)
    base_stats = summary(base_lat, base_elapsed, args.requests)

    print(f"{args.requests} requests at once, gunicorn --workers {args.workers}, PostgreSQL")
    print(f"{'':28}{'registration':>14}{'minimal INSERT':>16}")
    print(
        f"{'requests per second':28}{app_stats['per_second']:>14.1f}"
        f"{base_stats['per_second']:>16.1f}"
    )
    print(f"{'p50 latency (ms)':28}{app_stats['p50_ms']:>14.0f}{base_stats['p50_ms']:>16.0f}")
    print(f"{'p95 latency (ms)':28}{app_stats['p95_ms']:>14.0f}{base_stats['p95_ms']:>16.0f}")
    print(f"{'errors':28}{errors:>14}{base_errors:>16}")
    print(
        f"confirmed {confirmed} (answers: {statuses.count('confirmed')}), "
        f"waitlisted {waitlisted} (answers: {statuses.count('waitlisted')})"
    )
    ratio = app_stats["per_second"] / base_stats["per_second"]
    print(f"registration throughput is {ratio:.0%} of the minimal endpoint's")
    ok = confirmed == CAPACITY and errors == 0 and waitlisted == args.requests - CAPACITY
    print("OK" if ok else "FAILED: confirmed must be exactly 100 with no errors")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
