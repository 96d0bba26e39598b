"""Many people registering for both ways of attending a hybrid seminar at once, from several
processes, on both databases: neither the venue nor online is ever oversold."""

from __future__ import annotations

import multiprocessing
import time

from flask_migrate import upgrade
from sqlalchemy import select

from seminar_app.domain import AttendanceMode, Delivery, RegistrationStatus
from seminar_app.extensions import db
from seminar_app.registration import services
from seminar_app.registration.details import parse_details
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.conftest import fresh_database_url, make_app
from tests.registration_helpers import add_open_seminar, details_data

PROCESSES = 6
PER_PROCESS = 10
CAPACITY = {AttendanceMode.VENUE: 7, AttendanceMode.ONLINE: 11}


def _register_many(
    url: str, seminar_id: int, people: list[tuple[str, str]], start_at: float
) -> list[str]:
    app = make_app(url)
    outcomes = []
    with app.app_context():
        time.sleep(max(0.0, start_at - time.time()))
        for email, mode in people:
            details, _ = parse_details(details_data(email=email))
            try:
                registration = services.register(
                    db.session,
                    seminar_id,
                    details,
                    now=utcnow(),
                    privacy_notice_version="2026-04",
                    attendance_mode=AttendanceMode(mode),
                )
                db.session.commit()
                outcomes.append(registration.status)
            except Exception as exc:
                db.session.rollback()
                outcomes.append(f"error {type(exc).__name__}: {exc}")
        db.engine.dispose()
    return outcomes


def test_simultaneous_registrations_oversell_neither_the_venue_nor_online(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_hybrid_concurrency")
    app = make_app(url)
    with app.app_context():
        upgrade()
        seminar_id = add_open_seminar(
            db.session,
            slug="hybrid-rush",
            capacity=CAPACITY[AttendanceMode.VENUE],
            online_capacity=CAPACITY[AttendanceMode.ONLINE],
            delivery=Delivery.HYBRID,
            venue="INPIT 会議室",
        ).id
        db.engine.dispose()
    start_at = time.time() + 3
    # Every process alternates between the two ways, so both lines fill at the same time.
    jobs = [
        (
            url,
            seminar_id,
            [
                (f"p{worker}-{n}@example.jp", ("venue", "online")[(worker + n) % 2])
                for n in range(PER_PROCESS)
            ],
            start_at,
        )
        for worker in range(PROCESSES)
    ]
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(jobs)) as pool:
        outcomes = [o for part in pool.starmap(_register_many, jobs) for o in part]
    assert [o for o in outcomes if o.startswith("error")] == []
    with app.app_context():
        rows = db.session.scalars(
            select(Registration).where(Registration.seminar_id == seminar_id)
        ).all()
        positions = services.waitlist_positions(db.session, seminar_id)
        for mode, capacity in CAPACITY.items():
            mine = [row for row in rows if row.attendance_mode == mode]
            confirmed = [row for row in mine if row.status == RegistrationStatus.CONFIRMED]
            waiting = sorted(positions[row.id] for row in mine if row.id in positions)
            assert len(mine) == PROCESSES * PER_PROCESS // 2
            assert len(confirmed) == capacity, mode
            assert waiting == list(range(1, len(mine) - capacity + 1)), mode
            # Nobody took a seat while someone of the same way waited before them.
            assert max(row.id for row in confirmed) < min(
                row.id for row in mine if row.status == RegistrationStatus.WAITLISTED
            )
        db.engine.dispose()
