"""The outbox sender against a real SMTP server: delivery, outage, retry."""

from datetime import timedelta

from sqlalchemy import select

from seminar_app.notifications.models import OutboxMessage, OutboxStatus
from seminar_app.notifications.services import backoff, compose, deliver_due, enqueue
from seminar_app.timeutil import utcnow
from tests.mailserver import MailServer, free_port


def queue(db_session, count=1):
    rows = [
        enqueue(
            db_session,
            "test",
            compose(f"person{n}@example.jp", "件名テスト", "本文です。\nよろしくお願いします。"),
        )
        for n in range(count)
    ]
    db_session.commit()
    return rows


def test_message_is_crlf_and_utf8(app, db_session):
    [row] = queue(db_session)
    assert b"\r\n" in row.message and b"\n" not in row.message.replace(b"\r\n", b"")
    assert b"Subject: =?utf-8?" in row.message


def test_delivered_once(app, db_session, smtp_app, mail_server):
    queue(db_session, 3)
    assert deliver_due(db_session).sent == 3
    assert deliver_due(db_session).sent == 0
    mails = mail_server.wait_for(3)
    assert sorted(m["To"] for m in mails) == [f"person{n}@example.jp" for n in range(3)]
    assert mails[0]["Subject"] == "件名テスト"


def test_outage_delays_mail_and_loses_none(app, db_session):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    rows = queue(db_session, 2)
    report = deliver_due(db_session)  # nothing listens on the port
    assert report.sent == 0 and report.deferred >= 1
    assert all(row.status == OutboxStatus.PENDING for row in rows)
    assert all(row.next_attempt_at > utcnow() for row in rows if row.attempts)
    server = MailServer(port).start()
    try:
        for row in rows:  # time passes
            row.next_attempt_at = utcnow() - timedelta(seconds=1)
        db_session.commit()
        assert deliver_due(db_session).sent == 2
        assert len(server.wait_for(2)) == 2
    finally:
        server.stop()
    statuses = db_session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT, OutboxStatus.SENT]


def test_backoff_grows_and_is_capped():
    assert backoff(1) == timedelta(seconds=30)
    assert backoff(2) == timedelta(minutes=1)
    assert backoff(30) == timedelta(hours=1)
