"""Many people registering and cancelling at once, from several processes, on a real database."""

from __future__ import annotations

from threading import Barrier

from flask_migrate import upgrade
from sqlalchemy import select

from seminar_app.domain import RegistrationStatus
from seminar_app.extensions import db
from seminar_app.registration import services
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.concurrency import READY_WITHIN, register_many, run_together
from tests.conftest import fresh_database_url, make_app
from tests.registration_helpers import add_open_seminar

PROCESSES = 6
PER_PROCESS = 10
CAPACITY = 17


def _cancel_many(url: str, registration_ids: list[int], start: Barrier) -> list[str]:
    app = make_app(url)
    outcomes = []
    with app.app_context():
        start.wait(timeout=READY_WITHIN)
        for registration_id in registration_ids:
            try:
                services.cancel(db.session, registration_id, utcnow(), by_participant=True)
                db.session.commit()
                outcomes.append("cancelled")
            except Exception as exc:
                db.session.rollback()
                outcomes.append(f"error {type(exc).__name__}: {exc}")
        db.engine.dispose()
    return outcomes


def _prepared_database(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_concurrency")
    app = make_app(url)
    with app.app_context():
        upgrade()
        seminar = add_open_seminar(db.session, slug="rush", capacity=CAPACITY)
        seminar_id = seminar.id
        db.engine.dispose()
    return app, url, seminar_id


def _statuses(app, seminar_id):
    with app.app_context():
        rows = db.session.scalars(
            select(Registration)
            .where(Registration.seminar_id == seminar_id)
            .order_by(Registration.id)
        ).all()
        positions = [services.waitlist_position(db.session, row) for row in rows]
        result = [(row.status, position) for row, position in zip(rows, positions, strict=True)]
        db.engine.dispose()
    return result


def test_simultaneous_registrations_never_oversell(backend, tmp_path):
    app, url, seminar_id = _prepared_database(backend, tmp_path)
    jobs = [
        (url, seminar_id, [(f"p{worker}-{n}@example.jp", None) for n in range(PER_PROCESS)])
        for worker in range(PROCESSES)
    ]
    outcomes = [o for part in run_together(register_many, jobs) for o in part]
    assert [o for o in outcomes if o.startswith("error")] == []
    rows = _statuses(app, seminar_id)
    confirmed = [r for r in rows if r[0] == RegistrationStatus.CONFIRMED]
    waiting = sorted(
        position for status, position in rows if status == RegistrationStatus.WAITLISTED
    )
    assert len(confirmed) == CAPACITY
    assert waiting == list(range(1, PROCESSES * PER_PROCESS - CAPACITY + 1))


def test_simultaneous_cancellations_promote_exactly_the_freed_seats(backend, tmp_path):
    app, url, seminar_id = _prepared_database(backend, tmp_path)
    (outcomes,) = run_together(
        register_many, [(url, seminar_id, [(f"q{n}@example.jp", None) for n in range(30)])]
    )
    assert outcomes.count("confirmed") == CAPACITY
    with app.app_context():
        seated = db.session.scalars(
            select(Registration.id)
            .where(Registration.status == RegistrationStatus.CONFIRMED)
            .order_by(Registration.id)
        ).all()
        db.engine.dispose()
    cancelled = seated[:8]
    jobs = [(url, cancelled[i::4]) for i in range(4)]
    assert {o for part in run_together(_cancel_many, jobs) for o in part} == {"cancelled"}
    rows = _statuses(app, seminar_id)
    assert sum(1 for status, _ in rows if status == RegistrationStatus.CONFIRMED) == CAPACITY
    waiting = sorted(p for status, p in rows if status == RegistrationStatus.WAITLISTED)
    assert waiting == list(range(1, 30 - CAPACITY - 8 + 1))
