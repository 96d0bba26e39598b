"""The two moments that matter kept short: what a registration does while it holds the
seminar's lock, and what a scan at the door costs (issue 22). Counted in statements, which
do not depend on how busy the machine is; bench/ measures the time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from seminar_app.attendance.models import CheckIn
from seminar_app.audit.models import AuditEvent
from seminar_app.domain import OutboxStatus, RegistrationStatus
from seminar_app.extensions import db
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration.models import CalendarFeed, Registration
from tests.registration_helpers import details_data, register

#: What the test harness itself sends around each request (savepoints), not the app's work.
_HARNESS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", re.I)


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements the app sends inside the block, in order."""
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        if not _HARNESS.match(statement):
            sent.append(" ".join(statement.split()))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def after_lock(sent: list[str], backend: str) -> list[str]:
    """The statements after the one that takes the seminar's lock (FOR UPDATE on
    PostgreSQL; SQLite's lock is the database's, from BEGIN IMMEDIATE, and the read of the
    seminar marks the same point)."""
    tally = next(n for n, sql in enumerate(sent) if sql.startswith("SELECT count(*)"))
    taking = sent[tally - 1]
    assert taking.startswith(("SELECT", "WITH feed AS")), taking
    assert "FROM seminars WHERE seminars.id =" in taking, taking
    assert ("FOR UPDATE" in taking) == (backend == "postgresql"), taking
    return sent[tally:]


def test_a_registration_holds_the_lock_for_the_tally_and_one_insert(
    db_session, make_seminar, backend
):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    with statements() as sent:
        registration = register(db_session, seminar)
    under_lock = after_lock(sent, backend)
    assert under_lock[0].startswith("SELECT count(*)"), under_lock  # the tally
    inserts = under_lock[1:]
    if backend == "postgresql":
        # The registration, its mail and its audit row in one statement; the calendar feed
        # and the id in the statement that takes the lock: three statements in all.
        assert len(inserts) == 1, inserts
        assert inserts[0].startswith("WITH row_1 AS (INSERT INTO outbox_messages")
        assert "INSERT INTO audit_events" in inserts[0]
        assert "INSERT INTO registrations" in inserts[0]
        taking = sent[-len(under_lock) - 1]
        assert (
            "INSERT INTO calendar_feeds" in taking and "nextval('registrations_id_seq')" in taking
        )
        # Nothing before it but the test's own reload of the seminar.
        assert sent.index(taking) == len(sent) - 3
        assert not any("nextval" in sql or "calendar_feeds" in sql for sql in sent[:-3]), sent
    else:
        # SQLite has no inserts in WITH clauses: one statement a row (its write lock is
        # the database's, held from BEGIN IMMEDIATE anyway).
        assert [sql.split(" (")[0] for sql in inserts] == [
            "INSERT INTO registrations",
            "INSERT INTO outbox_messages",
            "INSERT INTO audit_events",
        ], inserts
    assert registration.status == RegistrationStatus.WAITLISTED
    assert registration.position_when_registered == 1


def test_rows_written_together_are_whole(db_session, make_seminar):
    """Written by Core statements under the lock, the rows have every default the ORM
    would have given them, and the registration is an ordinary object of the session."""
    seminar = make_seminar(capacity=5)
    registration = register(db_session, seminar, email="Whole@Example.jp")
    db_session.commit()
    row = db_session.get(Registration, registration.id)
    assert row is registration
    assert row.status == RegistrationStatus.CONFIRMED and row.confirmed_at is not None
    assert row.created_at is not None and row.calendar_sequence == 0
    assert row.seminar is seminar
    mail = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "Whole@example.jp")
    ).one()
    assert mail.kind == "registration.confirmed"
    assert mail.payload == {
        "registration_id": registration.id,
        "sequence": seminar.calendar_sequence,
        "language": "ja",
    }
    assert (mail.status, mail.attempts) == (OutboxStatus.PENDING, 0)
    assert mail.created_at is not None and mail.next_attempt_at is not None
    audit = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "registration.created",
            AuditEvent.subject_id == str(registration.id),
        )
    ).one()
    assert audit.at is not None and audit.details["status"] == "confirmed"
    # Nothing is inserted twice by a later flush of the session.
    registration.department = "開発部"
    db_session.commit()
    assert db_session.scalar(select(Registration.department).where(Registration.id == row.id)) == (
        "開発部"
    )


def test_a_refused_registration_leaves_no_calendar_feed(client, make_seminar, db_session):
    """The feed is written before the lock is asked for; a refusal rolls it back."""
    seminar = make_seminar(capacity=5)
    data = details_data(email="twice@example.jp")
    register(db_session, seminar, email="twice@example.jp")
    db_session.commit()
    closed = make_seminar(capacity=5, registration_closes_at=seminar.starts_at.replace(year=2000))
    db_session.commit()
    body = {**data, "email": "nobody-yet@example.jp", "privacy_notice_agreed": True}
    answer = client.post(f"/api/v1/seminars/{closed.id}/registrations", json=body)
    assert answer.status_code == 409, answer.get_json()
    feeds = db_session.scalars(select(CalendarFeed.email_key)).all()
    assert "nobody-yet@example.jp" not in feeds and "twice@example.jp" in feeds


def test_a_scan_is_a_lookup_and_an_insert(client, desk_token, make_seminar, db_session, backend):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    db_session.commit()
    body = {"seminar_id": seminar.id, "code": registration.ticket_code}
    client.post("/api/v1/checkins", json=body, headers=desk_token)  # the token's last use
    db_session.execute(CheckIn.__table__.delete())
    db_session.commit()
    with statements() as first:
        admitted = client.post("/api/v1/checkins", json=body, headers=desk_token)
    assert admitted.status_code == 201, admitted.get_json()
    reads = [sql for sql in first if sql.startswith("SELECT")]
    writes = [sql for sql in first if sql.startswith(("INSERT", "WITH"))]
    # The token with its account and roles; the seminar's state with the ticket.
    assert len(reads) == 2, "\n".join(r[:60] + " … " + r[-80:] for r in reads)
    assert "JOIN users" in reads[0] and "JOIN user_roles" in reads[0], reads[0]
    assert "FROM seminars LEFT OUTER JOIN registrations" in reads[1], reads[1]
    # The check-in (first desk wins) and its audit row in one statement; nothing read back.
    assert len(writes) == (1 if backend == "postgresql" else 2), writes
    assert writes[0].startswith(
        "WITH new_row AS (INSERT INTO check_ins"
        if backend == "postgresql"
        else "INSERT INTO check_ins"
    )
    assert "ON CONFLICT (registration_id) DO NOTHING" in writes[0]
    if backend == "postgresql":
        assert "INSERT INTO audit_events" in writes[0] and "FROM new_row" in writes[0]
    else:
        assert [sql.split(" (")[0] for sql in first if sql.startswith("INSERT")] == [
            "INSERT INTO check_ins",
            "INSERT INTO audit_events",
        ]
    with statements() as again:
        repeated = client.post("/api/v1/checkins", json=body, headers=desk_token)
    assert repeated.status_code == 200 and repeated.get_json()["already_checked_in"] is True
    assert repeated.get_json()["checked_in_at"] == admitted.get_json()["checked_in_at"]
    # A second scan reads the first desk's row and leaves no audit record of its own.
    assert sum(sql.startswith("SELECT") for sql in again) == 3, again
    audited = db_session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == "attendance.checked_in",
            AuditEvent.subject_id == str(registration.id),
        )
    ).all()
    assert len(audited) == 2, audited  # the warm-up scan's and the first scan's
    assert audited[-1] == {"seminar_id": seminar.id, "method": "api", "desk": "api"}
