"""The floor under the registration rush's figure: the app's cheapest request beside the
minimal INSERT, in the same run and the same stack.

GET /healthz goes through everything a registration goes through before its own work
(gunicorn, Flask, the app's hooks and headers, a database round trip) and does nothing
else; the registration rush compares a registration with the minimal endpoint's one
INSERT. What separates the two ratios is the registration's own work.

    .venv/bin/python bench/request_floor.py [--requests 500] [--workers N] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.registration_rush import (  # noqa: E402
    WARM_UP,
    fire,
    fresh_database,
    prepare_app_database,
    prepare_baseline_database,
    serve,
)


async def fire_get(url: str, count: int) -> tuple[list[int], float]:
    """`count` GETs at once, each on a connection of its own, as `fire` posts."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(*(client.get(url) for _ in range(count)))
        elapsed = time.perf_counter() - started
    return [response.status_code for response in responses], elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    app_url = fresh_database("seminar_bench")
    prepare_app_database(app_url)
    base_url = fresh_database("seminar_bench_baseline")
    prepare_baseline_database(base_url)
    app_server, app_base = serve("wsgi:app", app_url, args.workers)
    base_server, base_base = serve("bench.minimal_app:app", base_url, args.workers)
    failed = 0
    try:
        print(f"{args.requests} requests at once, gunicorn --workers {args.workers}, PostgreSQL")
        print(f"{'round':8}{'GET /healthz /s':>18}{'minimal INSERT /s':>20}{'ratio':>8}")
        for number in range(1, args.rounds + 1):
            warm = [{"email": f"warm{number}-{n}@example.jp"} for n in range(WARM_UP)]
            asyncio.run(fire(f"{base_base}/insert", warm))
            bodies = [{"email": f"r{number}-{n}@example.jp"} for n in range(args.requests)]
            _, base_res, base_elapsed = asyncio.run(fire(f"{base_base}/insert", bodies))
            asyncio.run(fire_get(f"{app_base}/healthz", WARM_UP))
            statuses, app_elapsed = asyncio.run(fire_get(f"{app_base}/healthz", args.requests))
            failed += sum(1 for status in statuses if status != 200)
            failed += sum(
                1 for r in base_res if not (isinstance(r, httpx.Response) and r.status_code == 201)
            )
            app_rate, base_rate = args.requests / app_elapsed, args.requests / base_elapsed
            print(f"{number:<8}{app_rate:>18.1f}{base_rate:>20.1f}{app_rate / base_rate:>8.2f}")
    finally:
        for server in (app_server, base_server):
            server.terminate()
            server.wait(timeout=20)
    print("OK" if not failed else f"FAILED: {failed} requests failed")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
