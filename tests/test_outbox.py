"""The outbox sender against a real SMTP server: rendering, delivery, outage, retry."""

from datetime import timedelta

from sqlalchemy import select

from seminar_app.notifications.models import OutboxMessage, OutboxStatus
from seminar_app.notifications.services import (
    MailboxTransport,
    backoff,
    compose,
    deliver_due,
    queue,
    renderer,
)
from seminar_app.timeutil import utcnow
from tests.mailserver import MailServer, free_port


@renderer("test-note")
def render_note(session, row):
    return compose(row.recipient, "件名テスト", "本文です。\nよろしくお願いします。")


def queue_notes(db_session, count=1):
    rows = [queue(db_session, "test-note", f"person{n}@example.jp") for n in range(count)]
    db_session.commit()
    return rows


def test_message_is_rendered_by_the_sender_with_crlf(db_session, smtp_app, mail_server):
    [row] = queue_notes(db_session)
    assert row.message is None  # nothing is rendered in the request
    assert deliver_due(db_session).sent == 1
    assert b"\r\n" in row.message and b"\n" not in row.message.replace(b"\r\n", b"")
    assert b"Subject: =?utf-8?" in row.message
    assert mail_server.wait_for(1)[0]["Subject"] == "件名テスト"


def test_delivered_once(db_session, smtp_app, mail_server):
    queue_notes(db_session, 3)
    assert deliver_due(db_session).sent == 3
    assert deliver_due(db_session).sent == 0
    mails = mail_server.wait_for(3)
    assert sorted(m["To"] for m in mails) == [f"person{n}@example.jp" for n in range(3)]


def test_outage_delays_mail_and_loses_none(app, db_session):
    port = free_port()
    saved = app.config["SMTP_HOST"], app.config["SMTP_PORT"]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    try:
        rows = queue_notes(db_session, 2)
        report = deliver_due(db_session)  # nothing listens on the port yet
        assert report.sent == 0 and report.deferred == 2
        assert all(row.status == OutboxStatus.PENDING and row.message for row in rows)
        first_bytes = [row.message for row in rows]
        assert all(row.next_attempt_at > utcnow() for row in rows)
        assert deliver_due(db_session).sent == 0  # not due yet
        server = MailServer(port).start()
        try:
            for row in rows:  # time passes
                row.next_attempt_at = utcnow() - timedelta(seconds=1)
            db_session.commit()
            assert deliver_due(db_session).sent == 2
            received = [data for _, data in server.raw]
            assert sorted(received) == sorted(first_bytes)  # the retry sends the same message
        finally:
            server.stop()
    finally:
        app.config.update(SMTP_HOST=saved[0], SMTP_PORT=saved[1])
    statuses = db_session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [OutboxStatus.SENT, OutboxStatus.SENT]


def test_development_mailbox_keeps_mail_as_files(db_session, tmp_path):
    queue_notes(db_session, 2)
    assert deliver_due(db_session, transport=MailboxTransport(str(tmp_path))).sent == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2 and b"person" in files[0].read_bytes()


def test_backoff_grows_and_is_capped():
    assert backoff(1) == timedelta(seconds=30)
    assert backoff(2) == timedelta(minutes=1)
    assert backoff(30) == timedelta(hours=1)
