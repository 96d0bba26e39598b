"""Where a registration's time goes: cProfile of the registration endpoint, in process.

Registers --requests people (default 300) for a 100-seat seminar on a fresh PostgreSQL
database through the app's own WSGI stack (Flask's test client: no network, one
process), then prints

- the time per request, and how long the seminar's lock is held per registration (from
  the statement that takes it to the commit that lets it go), with the statements
  sent inside it;
- the functions that took the most time, cumulative and own (cProfile).

    .venv/bin/python bench/profile_registration.py [--requests 300] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.registration_rush import (  # noqa: E402
    fresh_database,
    prepare_app_database,
    registration_body,
)


class LockClock:
    """Times from the statement that takes the seminar's lock to the transaction's end."""

    def __init__(self) -> None:
        self.taken_at: float | None = None
        self.statements = 0
        self.held: list[float] = []
        self.inside: list[int] = []

    def before_execute(self, conn, cursor, statement, parameters, context, executemany):
        if self.taken_at is not None:
            self.statements += 1
        elif "FOR UPDATE" in statement and "seminars" in statement:
            self.taken_at = time.perf_counter()
            self.statements = 1

    def end(self, conn) -> None:
        if self.taken_at is not None:
            self.held.append(time.perf_counter() - self.taken_at)
            self.inside.append(self.statements)
            self.taken_at = None


def copy_seminar(url: str, seminar_id: int) -> int:
    """A second seminar like the first (same capacity, same kind), for the unprofiled run."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        names = sql.SQL(", ").join(
            sql.Identifier(row[0])
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_name = 'seminars' AND column_name NOT IN ('id', 'slug')"
            )
        )
        copy = sql.SQL(
            "INSERT INTO seminars (slug, {names}) SELECT slug || '-plain', {names}"
            " FROM seminars WHERE id = %s RETURNING id"
        ).format(names=names)
        row = conn.execute(copy, (seminar_id,)).fetchone()
    assert row is not None
    return row[0]


def print_by_package(stats: pstats.Stats) -> None:
    """Own time summed by the package it was spent in: where the time went, in a few lines."""
    spent: dict[str, float] = {}
    for (path, _line, _function), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        if "site-packages/" in path:
            package = path.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/seminar_app/" in path:
            package = "seminar_app (ours)"
        elif path.startswith("~") or path.startswith("<"):
            package = "builtins (C)"
        else:
            package = "standard library"
        spent[package] = spent.get(package, 0.0) + own
    total = sum(spent.values())
    print("own time by package (profiled):")
    for package, own in sorted(spent.items(), key=lambda item: -item[1])[:12]:
        print(f"  {own / total:6.1%}  {package}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    from sqlalchemy import event

    from seminar_app import create_app
    from seminar_app.extensions import db

    url = fresh_database("seminar_bench_profile")
    seminar_id, _ = prepare_app_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    path = f"/api/v1/seminars/{seminar_id}/registrations"
    bodies = [registration_body(n) for n in range(args.requests + 20)]
    for body in bodies[:20]:  # warm-up: first requests compile and connect
        body["email"] = "warm-" + body["email"]
        assert client.post(path, json=body).status_code == 201
    clock = LockClock()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", clock.before_execute)
    event.listen(engine, "commit", clock.end)
    event.listen(engine, "rollback", clock.end)

    # The same requests unprofiled first (for the real time, CPU and wall), to another
    # seminar of the same kind, so that the profiled ones meet the same state.
    unprofiled = [dict(body, email="plain-" + body["email"]) for body in bodies[20:]]
    plain_path = f"/api/v1/seminars/{copy_seminar(url, seminar_id)}/registrations"
    started, cpu_started = time.perf_counter(), time.process_time()
    for body in unprofiled:
        assert client.post(plain_path, json=body).status_code == 201
    plain_wall = (time.perf_counter() - started) / args.requests * 1000
    plain_cpu = (time.process_time() - cpu_started) / args.requests * 1000
    clock.held.clear()
    clock.inside.clear()

    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for body in bodies[20:]:
        response = client.post(path, json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
    profile.disable()
    elapsed = time.perf_counter() - started
    with app.app_context():
        db.engine.dispose()

    per_request = elapsed / args.requests * 1000
    print(
        f"{args.requests} registrations in one process: {plain_wall:.2f} ms each "
        f"({plain_cpu:.2f} ms of it this process's CPU); profiled: {per_request:.2f} ms each"
    )
    print(
        f"seminar lock held: median {statistics.median(clock.held) * 1000:.2f} ms, "
        f"p95 {sorted(clock.held)[int(len(clock.held) * 0.95) - 1] * 1000:.2f} ms, "
        f"{statistics.median(clock.inside):.0f} statements and the commit inside"
    )
    stats = pstats.Stats(profile)
    print_by_package(stats)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
