"""Many people registering for both ways of attending a hybrid seminar at once, from several
processes, on both databases: neither the venue nor online is ever oversold."""

from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import select

from seminar_app.domain import AttendanceMode, Delivery, RegistrationStatus
from seminar_app.extensions import db
from seminar_app.registration import services
from seminar_app.registration.models import Registration
from tests.concurrency import register_many, run_together
from tests.conftest import fresh_database_url, make_app
from tests.registration_helpers import add_open_seminar

PROCESSES = 6
PER_PROCESS = 10
CAPACITY = {AttendanceMode.VENUE: 7, AttendanceMode.ONLINE: 11}


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
    # Every process alternates between the two ways, so both lines fill at the same time.
    jobs = [
        (
            url,
            seminar_id,
            [
                (f"p{worker}-{n}@example.jp", ("venue", "online")[(worker + n) % 2])
                for n in range(PER_PROCESS)
            ],
        )
        for worker in range(PROCESSES)
    ]
    outcomes = [o for part in run_together(register_many, jobs) for o in part]
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
