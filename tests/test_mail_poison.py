"""One bad message never stops the mail.

A real SMTP server (aiosmtpd) and `flask outbox send --loop` as its own process; first
in the queue, messages that used to kill the sender: a row whose renderer raises (its
registration is gone), a row of a kind nobody renders, an address in Unicode stored
before addresses were checked (as old data holds it), and an address no server takes.
The other mails arrive, the poisoned ones are failed with their reason, and the sender
is still running and still delivering afterwards.
"""

from __future__ import annotations

from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import MetaData, Table, select, text

from seminar_app.announcements.models import Unsubscribe
from seminar_app.announcements.services import unsubscribe
from seminar_app.auth.models import User
from seminar_app.domain import Role
from seminar_app.extensions import db
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration.models import CalendarFeed, Registration
from seminar_app.timeutil import utcnow
from tests.conftest import fresh_database_url, make_app
from tests.mailserver import MailServer
from tests.registration_helpers import add_open_seminar, register
from tests.test_faults import outbox_sender, sender_output
from tests.waiting import wait_until

PEOPLE = [f"reader{n}@example.jp" for n in range(3)]


def rows(sql: str, **params) -> list:
    with db.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def poison(sql: str, **params) -> None:
    """Write as old code or old data would have: no check of the address on the way."""
    with db.engine.begin() as connection:
        connection.execute(text(sql), {"long_ago": utcnow() - timedelta(days=1), **params})


def test_poisoned_messages_first_in_the_queue_hold_up_no_other_mail(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_mail_poison")
    app = make_app(url)
    server = MailServer().start()
    try:
        with app.app_context():
            upgrade()
            seminar = add_open_seminar(db.session, slug="poison", capacity=50)
            for email in PEOPLE:
                register(db.session, seminar, email=email)
            hanako_id = register(db.session, seminar, email="hanako@example.jp").id
            db.session.remove()
            # Stored before addresses were checked: the domain in Unicode.
            poison(
                "UPDATE registrations SET email = 'hanako@例え.jp', email_key = 'hanako@例え.jp'"
                " WHERE id = :id",
                id=hanako_id,
            )
            poison(
                "UPDATE outbox_messages SET recipient = 'hanako@例え.jp',"
                " next_attempt_at = :long_ago WHERE recipient = 'hanako@example.jp'"
            )
            # First in the queue: a mail of a registration that is gone (its renderer
            # raises), a kind nobody renders, and an address with Unicode before the @.
            for kind, recipient in [
                ("registration.confirmed", "ghost@example.jp"),
                ("no-such-kind", "nobody@example.jp"),
                ("registration.confirmed", "名前@例え.jp"),
            ]:
                poison(
                    "INSERT INTO outbox_messages (created_at, kind, recipient, payload, status,"
                    " attempts, next_attempt_at) VALUES (:long_ago, :kind, :recipient,"
                    " :payload, 'pending', 0, :long_ago)",
                    kind=kind,
                    recipient=recipient,
                    payload='{"registration_id": 999999, "language": "ja"}',
                )

            with outbox_sender(url, tmp_path, server.port) as sender:
                arrived = wait_until(lambda: len(server.raw) >= len(PEOPLE) + 1, timeout=60)
                assert arrived, f"{len(server.raw)} mails arrived:\n{sender_output(sender)}"
                assert wait_until(
                    lambda: not rows("SELECT id FROM outbox_messages WHERE status = 'pending'"),
                    timeout=30,
                ), sender_output(sender)
                assert sender.poll() is None, f"the sender died:\n{sender_output(sender)}"

                # Still running, and still delivering: one more registration's mail.
                late = add_open_seminar(db.session, slug="poison-later", capacity=5)
                register(db.session, late, email="later@example.jp")
                db.session.remove()
                assert wait_until(lambda: len(server.raw) == len(PEOPLE) + 2, timeout=30), (
                    sender_output(sender)
                )
                assert sender.poll() is None, f"the sender died:\n{sender_output(sender)}"

            envelopes = sorted(
                recipient for recipients, _ in server.raw for recipient in recipients
            )
            assert envelopes == sorted([*PEOPLE, "hanako@xn--r8jz45g.jp", "later@example.jp"])
            [hanako_mail] = [m for m in server.parsed() if m["To"].startswith("hanako@")]
            assert hanako_mail["To"] == "hanako@xn--r8jz45g.jp"

            failed = {
                row.recipient: (row.failure, row.last_error)
                for row in rows(
                    "SELECT recipient, failure, last_error FROM outbox_messages"
                    " WHERE status = 'failed'"
                )
            }
            assert set(failed) == {"ghost@example.jp", "nobody@example.jp", "名前@例え.jp"}
            assert failed["ghost@example.jp"][0] == "rendering"
            assert failed["ghost@example.jp"][1].startswith("NoResultFound")  # the row is gone
            assert failed["nobody@example.jp"] == ("rendering", "KeyError: 'no-such-kind'")
            assert failed["名前@例え.jp"][0] == "address"
            db.engine.dispose()
    finally:
        server.stop()


# --- old data: the migration converts addresses stored with a Unicode domain ------------------


#: What holds addresses, in an order that keeps foreign keys satisfied.
ADDRESS_TABLES = (
    "users",
    "seminars",
    "registrations",
    "calendar_feeds",
    "announcement_unsubscribes",
    "outbox_messages",
)


def copy_rows(source, target, tables) -> None:
    """Rows made by today's code, written into a database of an older revision: the
    columns both have (the older schema lacks what later revisions added)."""
    for name in tables:
        old = Table(name, MetaData(), autoload_with=target)
        new = Table(name, MetaData(), autoload_with=source)
        columns = [column.name for column in old.columns if column.name in new.columns]
        with source.connect() as connection:
            found = connection.execute(select(*(new.c[name] for name in columns))).all()
        if found:
            with target.begin() as connection:
                connection.execute(old.insert(), [dict(row._mapping) for row in found])


def test_the_migration_stores_old_unicode_domains_in_ascii(backend, tmp_path):
    today = make_app(fresh_database_url(backend, tmp_path, "seminar_idna_today"))
    with today.app_context():
        upgrade()
        seminar = add_open_seminar(db.session, slug="idna", capacity=50)
        hanako = register(db.session, seminar, email="hanako@example.jp")
        jiro = register(db.session, seminar, email="jiro@xn--r8jz45g.jp")
        twice = register(db.session, seminar, email="jiro-again@example.jp")
        staff = User(email="staff@example.jp", display_name="職員")
        staff.roles = {Role.ORGANIZER}
        db.session.add(staff)
        unsubscribe(db.session, "hanako@example.jp", utcnow())
        db.session.commit()
        ids = hanako.id, jiro.id, twice.id
        db.session.remove()
        source = db.engine
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_idna_migration"))
    with app.app_context():
        upgrade(revision="c14a1e5d0001")  # the revision before this one
        copy_rows(source, db.engine, ADDRESS_TABLES)
        source.dispose()
        # As the data was before this revision: every address as it was typed.
        poison(
            "UPDATE registrations SET email = 'Hanako@例え.JP', email_key = 'hanako@例え.jp'"
            " WHERE id = :id",
            id=ids[0],
        )
        poison(
            "UPDATE registrations SET email = 'jiro@例え.jp', email_key = 'jiro@例え.jp'"
            " WHERE id = :id",
            id=ids[2],
        )
        poison(
            "UPDATE calendar_feeds SET email_key = 'hanako@例え.jp'"
            " WHERE email_key = 'hanako@example.jp'"
        )
        poison(
            "UPDATE calendar_feeds SET email_key = 'jiro@例え.jp'"
            " WHERE email_key = 'jiro-again@example.jp'"
        )
        poison("UPDATE announcement_unsubscribes SET email_key = 'hanako@例え.jp'")
        poison("UPDATE users SET email = 'staff@例え.jp'")
        poison(
            "UPDATE outbox_messages SET recipient = 'Hanako@例え.JP', message = :bytes,"
            " subject = 'old' WHERE recipient = 'hanako@example.jp'",
            bytes=b"To: Hanako@=?utf-8?b?5L6L44GI?=.JP\r\n\r\nold",
        )
        poison(
            "INSERT INTO outbox_messages (id, created_at, kind, recipient, payload, status,"
            " attempts, next_attempt_at, last_error) VALUES (1000, :long_ago, 'announcement',"
            " 'hanako@例え.jp', :payload, 'failed', 1, :long_ago, 'Withdrawn: unsubscribed')",
            payload='{"email_key": "hanako@例え.jp", "language": "ja"}',
        )
        upgrade()

        session = db.session
        hanako, jiro, twice = (session.get(Registration, id_) for id_ in ids)
        assert (hanako.email, hanako.email_key) == (
            "Hanako@xn--r8jz45g.jp",
            "hanako@xn--r8jz45g.jp",
        )
        # The same mailbox registered twice for one seminar, spelt both ways: its address
        # is converted, its key stays for an organizer to resolve (never merged silently).
        assert (jiro.email, jiro.email_key) == ("jiro@xn--r8jz45g.jp", "jiro@xn--r8jz45g.jp")
        assert (twice.email, twice.email_key) == ("jiro@xn--r8jz45g.jp", "jiro@例え.jp")
        feeds = set(session.scalars(select(CalendarFeed.email_key)))
        assert {"hanako@xn--r8jz45g.jp", "jiro@xn--r8jz45g.jp"} <= feeds
        assert not {key for key in feeds if not key.isascii()}  # jiro's second feed merged
        assert session.scalar(select(Unsubscribe.email_key)) == "hanako@xn--r8jz45g.jp"
        assert session.scalar(select(User.email)) == "staff@xn--r8jz45g.jp"
        mails = {
            row.status: row
            for row in session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient.like("%anako@%"))
            )
        }
        pending, withdrawn = mails["pending"], mails["failed"]
        assert pending.recipient == "Hanako@xn--r8jz45g.jp"
        assert pending.message is None and pending.subject is None  # rendered again
        assert withdrawn.recipient == "hanako@xn--r8jz45g.jp"
        assert withdrawn.payload["email_key"] == "hanako@xn--r8jz45g.jp"
        assert withdrawn.failure == "withdrawn" and withdrawn.failed_at is not None
        db.engine.dispose()
