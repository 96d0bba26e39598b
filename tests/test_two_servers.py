"""Two app servers (separate gunicorn masters) on one PostgreSQL database: the capacity
holds across them, because the seat decision is taken under the database's row lock,
not in any one process's memory."""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.test_faults import (
    api_body,
    drop_database,
    gunicorn,
    half_written,
    pg,
    post_all,
    prepared_database,
    seat_tally,
)

CAPACITY = 25
REQUESTS = 120


def test_capacity_holds_across_two_servers_on_one_database(tmp_path):
    url, seminar_id, _ = prepared_database(tmp_path, "seminar_two_servers", capacity=CAPACITY)
    try:
        with (
            gunicorn(url, tmp_path, workers=2, name="server-a") as a,
            gunicorn(url, tmp_path, workers=2, name="server-b") as b,
        ):
            assert a.process.pid != b.process.pid and a.base != b.base
            path = f"/api/v1/seminars/{seminar_id}/registrations"
            requests = [
                ((a if n % 2 == 0 else b).base + path, api_body(f"two{n}@example.jp"))
                for n in range(REQUESTS)
            ]
            # A thread of its own: the browser tests' Playwright may hold this thread's loop.
            with ThreadPoolExecutor(max_workers=1) as pool:
                answers = pool.submit(asyncio.run, post_all(requests)).result()
        bad = [a if isinstance(a, str) else (a.status_code, a.text[:200]) for a in answers]
        assert all(isinstance(a, httpx.Response) and a.status_code == 201 for a in answers), bad
        bodies = [a.json() for a in answers]
        by_server = {
            name: Counter(body["status"] for body in bodies[start::2])
            for name, start in (("a", 0), ("b", 1))
        }
        statuses = Counter(body["status"] for body in bodies)
        assert statuses == {"confirmed": CAPACITY, "waitlisted": REQUESTS - CAPACITY}, by_server
        # Both servers took part in seating people (neither merely waitlisted everyone).
        assert by_server["a"]["confirmed"] and by_server["b"]["confirmed"], by_server
        answered_places = sorted(
            body["waitlist_position"] for body in bodies if body["status"] == "waitlisted"
        )
        assert answered_places == list(range(1, REQUESTS - CAPACITY + 1))

        confirmed, line = seat_tally(url, seminar_id)
        assert confirmed == CAPACITY
        assert line == list(range(1, REQUESTS - CAPACITY + 1))
        with pg(url) as conn:
            confirmed_emails = [
                row[0]
                for row in conn.execute(
                    "SELECT email_key FROM registrations WHERE status = 'confirmed'"
                )
            ]
        assert len(set(confirmed_emails)) == len(confirmed_emails) == CAPACITY
        assert half_written(url, seminar_id) == {}
    finally:
        drop_database(url)
