"""Two outbox senders at once, in separate processes, against one real SMTP server."""

from __future__ import annotations

from collections import Counter
from threading import Barrier

from flask_migrate import upgrade
from sqlalchemy import func, select

from seminar_app.domain import OutboxStatus
from seminar_app.extensions import db
from seminar_app.notifications.models import OutboxMessage
from seminar_app.notifications.services import compose, deliver_due, queue, renderer
from tests.concurrency import READY_WITHIN, run_together
from tests.conftest import fresh_database_url, make_app
from tests.mailserver import MailServer

MESSAGES = 60


@renderer("test-concurrent-note")
def render_note(session, row):
    return compose(row.recipient, "同時送信テスト", f"本文 {row.payload['n']}")


def _send(url: str, port: int, start: Barrier) -> int:
    app = make_app(url, SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    with app.app_context():
        start.wait(timeout=READY_WITHIN)
        sent = 0
        while True:
            report = deliver_due(db.session, limit=5)
            sent += report.sent
            if report.sent == 0 and report.deferred == 0:
                break
        db.engine.dispose()
    return sent


def test_two_senders_never_send_one_message_twice(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_outbox_race")
    app = make_app(url)
    with app.app_context():
        upgrade()
        for n in range(MESSAGES):
            queue(db.session, "test-concurrent-note", f"reader{n}@example.jp", {"n": n})
        db.session.commit()
        db.engine.dispose()
    server = MailServer().start()
    try:
        counts = run_together(_send, [(url, server.port)] * 2)
        received = Counter(tuple(recipients) for recipients, _ in server.raw)
    finally:
        server.stop()
    assert sum(counts) == MESSAGES
    assert len(received) == MESSAGES and set(received.values()) == {1}
    with app.app_context():
        pending = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status != OutboxStatus.SENT)
        )
        db.engine.dispose()
    assert pending == 0
