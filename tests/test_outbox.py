"""The outbox sender against a real SMTP server: rendering, delivery, outage, retry."""

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from seminar_app.domain import OutboxFailure, OutboxStatus
from seminar_app.notifications.models import OutboxMessage
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


# --- one message's fault stays with that message --------------------------------------------


class RefusingCollector:
    """Keeps what it receives; answers RCPT TO for chosen addresses with a code of its own."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.answers:
            return self.answers[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


@pytest.fixture
def refusing_server(app):
    """A real SMTP server that refuses unknown@example.jp for good and greylists later@."""
    server = MailServer()
    server.handler = RefusingCollector(
        {
            "unknown@example.jp": "550 5.1.1 <unknown@example.jp>: no such user",
            "later@example.jp": "450 4.2.0 greylisted, try again later",
        }
    )
    server.controller = Controller(server.handler, hostname="127.0.0.1", port=server.port)
    server.start()
    saved = app.config["SMTP_HOST"], app.config["SMTP_PORT"]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port)
    yield server
    app.config.update(SMTP_HOST=saved[0], SMTP_PORT=saved[1])
    server.stop()


@renderer("test-broken")
def render_broken(session, row):
    raise LookupError("the registration of this mail is gone")


def poison_first(db_session, kind: str, recipient: str) -> OutboxMessage:
    """A message queued as old data would be (no check of the address), due before the rest."""
    row = OutboxMessage(
        kind=kind,
        recipient=recipient,
        payload={"language": "ja"},
        next_attempt_at=utcnow() - timedelta(hours=1),
    )
    db_session.add(row)
    db_session.commit()
    return row


def test_a_renderer_that_raises_fails_its_message_and_the_rest_go_out(
    db_session, smtp_app, mail_server
):
    broken = poison_first(db_session, "test-broken", "broken@example.jp")
    queue_notes(db_session, 2)
    report = deliver_due(db_session)
    assert (report.sent, report.failed) == (2, 1)
    assert broken.status == OutboxStatus.FAILED and broken.failure == OutboxFailure.RENDERING
    assert broken.last_error == "LookupError: the registration of this mail is gone"
    assert broken.failed_at is not None and broken.message is None
    assert sorted(m["To"] for m in mail_server.wait_for(2)) == [
        "person0@example.jp",
        "person1@example.jp",
    ]
    assert deliver_due(db_session).sent == 0  # a failed message is not tried again


def test_an_old_unicode_domain_is_sent_in_its_ascii_form_with_a_correct_to_header(
    db_session, smtp_app, mail_server
):
    old = poison_first(db_session, "test-note", "taro@例え.jp")
    queue_notes(db_session)
    assert deliver_due(db_session).sent == 2
    assert old.status == OutboxStatus.SENT
    envelopes = [recipients for recipients, _ in mail_server.raw]
    assert ["taro@xn--r8jz45g.jp"] in envelopes
    [data] = [data for recipients, data in mail_server.raw if recipients == ["taro@xn--r8jz45g.jp"]]
    assert b"\r\nTo: <taro@xn--r8jz45g.jp>\r\n" in data


def test_an_address_no_server_takes_is_failed_with_its_reason(db_session, smtp_app, mail_server):
    smtputf8 = poison_first(db_session, "test-note", "名前@例え.jp")
    malformed = poison_first(db_session, "test-note", "no address at all")
    queue_notes(db_session)
    report = deliver_due(db_session)
    assert (report.sent, report.failed) == (1, 2)
    for row in (smtputf8, malformed):
        assert (row.status, row.failure) == (OutboxStatus.FAILED, OutboxFailure.ADDRESS)
        assert row.recipient in row.last_error and row.message is None
    assert [m["To"] for m in mail_server.wait_for(1)] == ["person0@example.jp"]


def test_a_recipient_refused_for_good_fails_and_a_greylisted_one_waits(db_session, refusing_server):
    refused = poison_first(db_session, "test-note", "unknown@example.jp")
    greylisted = poison_first(db_session, "test-note", "later@example.jp")
    queue_notes(db_session)
    report = deliver_due(db_session)
    assert (report.sent, report.failed, report.deferred) == (1, 1, 1)
    assert (refused.status, refused.failure) == (OutboxStatus.FAILED, OutboxFailure.REFUSED)
    assert "no such user" in refused.last_error
    assert greylisted.status == OutboxStatus.PENDING and greylisted.failure is None
    assert greylisted.next_attempt_at > utcnow() and "greylisted" in greylisted.last_error
    assert [recipients for recipients, _ in refusing_server.raw] == [["person0@example.jp"]]


def test_organizers_see_undelivered_mails_with_their_reason(
    organizer_client, db_session, smtp_app, mail_server
):
    poison_first(db_session, "test-broken", "broken@example.jp")
    poison_first(db_session, "test-note", "名前@例え.jp")
    withdrawn = poison_first(db_session, "test-note", "gone@example.jp")
    withdrawn.status, withdrawn.failure = OutboxStatus.FAILED, OutboxFailure.WITHDRAWN
    withdrawn.failed_at = utcnow()
    queue_notes(db_session)
    deliver_due(db_session)
    page = organizer_client.get("/console/").get_data(as_text=True)
    assert "配信できなかったメール" in page
    assert "broken@example.jp" in page and "メールを作成できませんでした" in page
    assert "LookupError: the registration of this mail is gone" in page
    assert "名前@例え.jp" in page and "このアドレスにはメールを送信できません" in page
    assert "gone@example.jp" not in page  # withdrawn on purpose: nothing to act on
    assert "person0@example.jp" not in page  # delivered


def test_the_console_shows_no_undelivered_section_when_all_went_out(
    organizer_client, db_session, smtp_app, mail_server
):
    queue_notes(db_session)
    deliver_due(db_session)
    assert "配信できなかったメール" not in organizer_client.get("/console/").get_data(as_text=True)


def test_compose_writes_an_internationalized_domain_in_ascii(app):
    with app.test_request_context():
        message = compose("Taro@例え.JP", "件名", "本文")
    assert message["To"] == "Taro@xn--r8jz45g.jp"
    assert b"\r\nTo: <Taro@xn--r8jz45g.jp>\r\n" in message.as_bytes()


def test_a_mail_server_refusing_our_login_delays_every_mail_and_fails_none(app, db_session):
    """A wrong SMTP password is the setting's fault, not a message's: nothing is given up."""

    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    server = MailServer()
    server.controller = Controller(
        server.handler,
        hostname="127.0.0.1",
        port=server.port,
        authenticator=refuse,
        auth_require_tls=False,
    )
    server.start()
    keys = ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD")
    saved = {key: app.config[key] for key in keys}
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, SMTP_USER="seminar", SMTP_PASSWORD="wrong"
    )
    try:
        rows = queue_notes(db_session, 2)
        report = deliver_due(db_session)
    finally:
        app.config.update(saved)
        server.stop()
    assert (report.deferred, report.failed) == (2, 0)
    assert all(row.status == OutboxStatus.PENDING and "535" in row.last_error for row in rows)


def test_an_old_japanese_mobile_address_is_still_delivered(db_session, smtp_app, mail_server):
    """Accepted at registration for its carrier's domain, so the sender sends it too."""
    queue(db_session, "test-note", "taro..yamada.@docomo.ne.jp")
    db_session.commit()
    assert deliver_due(db_session).sent == 1
    [(envelope, data)] = mail_server.raw
    assert envelope == ["taro..yamada.@docomo.ne.jp"]
    assert b"\r\nTo: <taro..yamada.@docomo.ne.jp>\r\n" in data


@renderer("test-bulk", bulk=True)
def render_bulk(session, row):
    return compose(row.recipient, "お知らせ", "皆さまへのお知らせです。")


def test_the_mail_a_person_waits_for_goes_before_bulk_mail(db_session, smtp_app, mail_server):
    """Ten thousand announcements queued a minute earlier do not hold a confirmation back:
    the sender takes every due message that is not bulk first, then the bulk ones, each the
    longest due first."""
    earlier = utcnow() - timedelta(minutes=1)
    bulk = [queue(db_session, "test-bulk", f"many{n}@example.jp") for n in range(3)]
    for row in bulk:
        row.next_attempt_at = earlier
    db_session.commit()
    [personal] = queue_notes(db_session)
    assert [row.bulk for row in bulk] == [True] * 3 and personal.bulk is False
    assert deliver_due(db_session, limit=1).sent == 1
    assert mail_server.wait_for(1)[0]["To"] == "person0@example.jp"
    assert deliver_due(db_session, limit=10).sent == 3
    mails = mail_server.wait_for(4)
    assert [m["To"] for m in mails[1:]] == [f"many{n}@example.jp" for n in range(3)]


def test_announcements_and_messages_to_every_registrant_are_bulk(app):
    from seminar_app.notifications.services import outbox_values

    with app.app_context():
        for kind in ("announcement", "survey.invitation", "seminar.message", "seminar.changed"):
            assert outbox_values(kind, "a@example.jp")["bulk"] is True, kind
        for kind in ("registration.confirmed", "registration.link", "password-reset"):
            assert outbox_values(kind, "a@example.jp")["bulk"] is False, kind
