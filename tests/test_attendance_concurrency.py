"""Several desks scanning the same tickets at the same moment, from separate processes."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from threading import Barrier

from flask_migrate import upgrade
from sqlalchemy import func, select

from seminar_app.attendance import services
from seminar_app.attendance.models import CheckIn
from seminar_app.domain import CheckInMethod
from seminar_app.extensions import db
from seminar_app.registration import services as registrations
from seminar_app.registration.details import parse_details
from seminar_app.timeutil import utcnow
from tests.concurrency import READY_WITHIN, run_together
from tests.conftest import fresh_database_url, make_app
from tests.registration_helpers import add_open_seminar, details_data

TICKETS = 40
DESKS = 4


def _desk(url: str, seminar_id: int, codes: list[str], desk: str, start: Barrier) -> list[str]:
    app = make_app(url)
    outcomes = []
    with app.app_context():
        start.wait(timeout=READY_WITHIN)
        for code in codes:
            try:
                result = services.check_in_code(
                    db.session,
                    seminar_id,
                    code,
                    by=None,
                    method=CheckInMethod.SCAN,
                    desk=desk,
                    now=utcnow(),
                )
                db.session.commit()
                outcomes.append(result.outcome.value)
            except Exception as exc:
                db.session.rollback()
                outcomes.append(f"error {type(exc).__name__}: {exc}")
        db.engine.dispose()
    return outcomes


def test_every_ticket_scanned_at_several_desks_is_checked_in_once(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_desks")
    app = make_app(url)
    with app.app_context():
        upgrade()
        seminar = add_open_seminar(
            db.session, slug="door", capacity=TICKETS, starts_in=timedelta(hours=1)
        )
        codes = []
        for n in range(TICKETS):
            details, _ = parse_details(details_data(email=f"door{n}@example.jp"))
            registration = registrations.register(
                db.session, seminar.id, details, now=utcnow(), privacy_notice_version="x"
            )
            db.session.commit()
            codes.append(registration.ticket_code)
        seminar_id = seminar.id
        db.engine.dispose()

    # Every desk scans every ticket: each ticket reaches DESKS desks at about the same time.
    jobs = [(url, seminar_id, codes, f"desk-{n}") for n in range(DESKS)]
    outcomes = Counter(o for part in run_together(_desk, jobs) for o in part)
    assert outcomes == {"checked-in": TICKETS, "already-checked-in": TICKETS * (DESKS - 1)}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == TICKETS
        db.engine.dispose()
