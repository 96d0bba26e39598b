"""Work begun in several processes at the same moment, for the tests of real concurrency.

Each job runs in a spawned process of its own (its own app, its own connections). Spawning
and importing the app take unequal time, above all on a busy machine, so the processes meet
at a barrier before they start: the work overlaps however long each took to get ready.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from threading import Barrier
from typing import Any

from seminar_app.domain import AttendanceMode
from seminar_app.extensions import db
from seminar_app.registration import services
from seminar_app.registration.details import parse_details
from seminar_app.timeutil import utcnow
from tests.conftest import make_app
from tests.registration_helpers import details_data
from tests.waiting import patience

#: How long a process waits for the others at the barrier before the test fails.
READY_WITHIN = patience(180)
#: How long the processes may take, from their start to the last result.
FINISHED_WITHIN = patience(600)


def run_together(function: Callable[..., Any], jobs: Sequence[tuple]) -> list[Any]:
    """function(*job, start) for each job, each in its own process, all begun together once
    every process has called start.wait(); their results in the order of the jobs.

    A process that dies fails the test (BrokenProcessPool) instead of leaving it waiting
    for a result that never comes, as a multiprocessing.Pool would.
    """
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Barrier(len(jobs))
        pool = ProcessPoolExecutor(max_workers=len(jobs), mp_context=context)
        try:
            futures = [pool.submit(function, *job, start) for job in jobs]
            return [future.result(timeout=FINISHED_WITHIN) for future in futures]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def register_many(
    url: str, seminar_id: int, people: list[tuple[str, str | None]], start: Barrier
) -> list[str]:
    """Register each (address, way of attending or None) in turn, once every process is
    ready; the status of each, or the error it met."""
    app = make_app(url)
    outcomes = []
    with app.app_context():
        start.wait(timeout=READY_WITHIN)
        for email, mode in people:
            details, _ = parse_details(details_data(email=email))
            try:
                registration = services.register(
                    db.session,
                    seminar_id,
                    details,
                    now=utcnow(),
                    privacy_notice_version="2026-04",
                    attendance_mode=AttendanceMode(mode) if mode else None,
                )
                db.session.commit()
                outcomes.append(registration.status)
            except Exception as exc:
                db.session.rollback()
                outcomes.append(f"error {type(exc).__name__}: {exc}")
        db.engine.dispose()
    return outcomes
