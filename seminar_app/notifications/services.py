"""The outbox: queue a mail with the change that causes it; render and deliver it later.

A request only writes a row (`queue`): kind, recipient and the little the
renderer needs. The sender (`deliver_due`, run by `flask outbox send`) renders
the message once, keeps it so that a retry sends the very same bytes, and hands
it to the transport: SMTP, or in development without SMTP_HOST a mailbox folder.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..database import DbSession, begin_write
from ..domain import OutboxFailure, OutboxStatus
from ..i18n import current_language
from ..text import deliverable_address
from ..timeutil import utcnow
from .models import OutboxMessage

#: Longest wait between two attempts; an outage delays mail, it never drops it.
MAX_BACKOFF = timedelta(hours=1)

Renderer = Callable[[DbSession, OutboxMessage], EmailMessage]


class Withdrawn(Exception):
    """Raised by a renderer: this message must not go out any more (e.g. the person
    unsubscribed after it was queued). The sender marks it failed, with the reason, and
    sends nothing."""


class UndeliverableAddress(ValueError):
    """The recipient is no address mail can be sent to; the message is failed, not retried."""

    def __init__(self, recipient: str) -> None:
        super().__init__(f"no deliverable e-mail address: {recipient!r}")


_RENDERERS: dict[str, Renderer] = {}
#: The kinds of mail sent to many people at once (an announcement, a reminder to every
#: registrant): the sender takes every other due mail before them, so that a person's own
#: confirmation never waits behind ten thousand announcements.
_BULK: set[str] = set()


def renderer(kind: str, *, bulk: bool = False) -> Callable[[Renderer], Renderer]:
    """Register the function that turns an outbox row of `kind` into a message; `bulk` for
    a kind that goes to many people at once (sent after the mail people wait for)."""

    def decorator(function: Renderer) -> Renderer:
        _RENDERERS[kind] = function
        if bulk:
            _BULK.add(kind)
        else:
            _BULK.discard(kind)
        return function

    return decorator


def sender_name(language: str | None = None) -> str:
    """Who the agency's mail comes from, in the reader's language (From, the signature,
    a calendar's organizer): MAIL_FROM_NAME in the default language."""
    config = current_app.config
    if (language or current_language()) == config["LANGUAGES"][0]:
        return config["MAIL_FROM_NAME"]
    return _("Seminar office, %(agency)s", agency=config["AGENCY_NAME_EN"])


def compose(recipient: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A message from the agency's mailbox, built with the SMTP policy (CRLF throughout).

    The To header holds the address in its deliverable ASCII form (an internationalized
    domain as IDNA): an encoded word inside an address would mangle it. It is written in
    angle brackets, as mail programs write it: SpamAssassin counts a bare address beside
    an HTML image against a mail (TO_NO_BRKTS_HTML_IMG, a point), and parsers read both
    forms as the same address.
    """
    address = deliverable_address(recipient)
    if address is None:
        raise UndeliverableAddress(recipient)
    config = current_app.config
    local, _, domain = config["MAIL_FROM"].partition("@")
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(sender_name(), local, domain)
    message["To"] = f"<{address}>"
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=domain or None)
    message.set_content(text, cte="base64" if not text.isascii() else "7bit")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="base64")
    return message


def queue(
    session: DbSession,
    kind: str,
    recipient: str,
    payload: dict[str, Any] | None = None,
    *,
    language: str = "ja",
) -> OutboxMessage:
    """Add a mail to the outbox; it exists only if the caller's transaction commits."""
    row = OutboxMessage(**outbox_values(kind, recipient, payload, language=language))
    session.add(row)
    return row


def outbox_values(
    kind: str, recipient: str, payload: dict[str, Any] | None = None, *, language: str = "ja"
) -> dict[str, Any]:
    """The columns of an outbox row, for queue() or for an insert of several rows at once."""
    if kind not in _RENDERERS:
        raise KeyError(f"no renderer for mail kind {kind!r}")
    return {
        "kind": kind,
        "recipient": recipient,
        "payload": {**(payload or {}), "language": language},
        "bulk": kind in _BULK,
    }


def render(session: DbSession, row: OutboxMessage) -> bytes:
    """The message of a row, rendered in the recipient's language on first need."""
    if row.message is None:
        with force_locale(row.payload.get("language", "ja")):
            message = _RENDERERS[row.kind](session, row)
        row.subject = str(message["Subject"])[:300]
        row.message = message.as_bytes(policy=policy.SMTP)
    return row.message


def is_permanent(error: smtplib.SMTPException) -> bool:
    """A 5xx answer will not change by trying again; anything else might."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def backoff(attempts: int, base_seconds: int = 30) -> timedelta:
    """30 s, 1 min, 2 min … (from OUTBOX_BACKOFF_SECONDS) capped at an hour."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class Transport(Protocol):
    def send(self, sender: str, recipient: str, message: bytes) -> None: ...

    def close(self) -> None: ...


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for a batch."""

    def __init__(
        self,
        host: str,
        port: int,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.starttls = starttls
        self.client: smtplib.SMTP | None = None

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        if self.client is None:
            client = smtplib.SMTP(self.host, self.port, timeout=30)
            try:
                if self.starttls:
                    client.starttls()
                if self.user:
                    client.login(self.user, self.password or "")
            except smtplib.SMTPException as exc:
                client.close()
                # The server, not this message, said no (e.g. a wrong password): every
                # message would fail alike, so they wait for the setting to be put right.
                raise ConnectionError(f"SMTP session not set up: {exc}") from exc
            self.client = client
        try:
            self.client.sendmail(sender, [recipient], message)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.close()
            raise

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None


class MailboxTransport:
    """Development without SMTP_HOST: each message becomes an .eml file to read at /dev/mailbox."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        temporary = self.folder / f".{stamp}.tmp"
        temporary.write_bytes(message)
        temporary.rename(self.folder / f"{stamp}.eml")

    def close(self) -> None:
        pass


def transport_from_config() -> Transport:
    config = current_app.config
    if config["SMTP_HOST"]:
        return SmtpTransport(
            config["SMTP_HOST"],
            config["SMTP_PORT"],
            config["SMTP_USER"],
            config["SMTP_PASSWORD"],
            config["SMTP_STARTTLS"],
        )
    return MailboxTransport(config["DEV_MAILBOX_DIR"])


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    withdrawn: int = 0


def _claim_next(session: DbSession, now: datetime) -> OutboxMessage | None:
    """Lock one due message so that no other sender takes it at the same time: the mail a
    person waits for first, then bulk mail, each the longest due first."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.bulk, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        begin_write(session)  # SQLite: one sender claims at a time
    return session.scalar(query)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _database_reachable(session: DbSession) -> bool:
    """After a renderer failed: was it the database going away (try later) or the message?
    Ends the session's transaction either way."""
    try:
        session.rollback()  # PostgreSQL refuses anything more in a failed transaction
        session.execute(select(1))
    except SQLAlchemyError:
        return False
    finally:
        session.rollback()
    return True


def _give_up(row: OutboxMessage, failure: OutboxFailure, error: str) -> None:
    row.status, row.failure, row.failed_at = OutboxStatus.FAILED, failure, utcnow()
    row.last_error = error[:2000]


def _still_pending(session: DbSession, message_id: int) -> OutboxMessage | None:
    row = session.get(OutboxMessage, message_id)
    if row is None or row.status != OutboxStatus.PENDING:
        session.rollback()  # erased, or withdrawn, while it was in hand
        return None
    return row


def _prepare(session: DbSession, message_id: int) -> tuple[str, bytes] | OutboxFailure | None:
    """(envelope recipient, message) of a claimed message, rendered and kept on first need;
    or the failure it was given up with; None when it is gone or no longer pending.

    Runs in transactions of its own, committed here. Whatever the renderer raises fails
    this message only (logged with its traceback); only an unreachable database propagates.
    """
    begin_write(session)  # SQLite: this transaction writes the rendered message
    row = _still_pending(session, message_id)
    if row is None:
        return None
    try:
        recipient = deliverable_address(row.recipient)
        if recipient is None:
            raise UndeliverableAddress(row.recipient)
        data = render(session, row)
    except Withdrawn as exc:
        failure, error = OutboxFailure.WITHDRAWN, f"Withdrawn: {exc}"
    except UndeliverableAddress as exc:
        failure, error = OutboxFailure.ADDRESS, _describe(exc)
    except Exception as exc:
        if not _database_reachable(session):
            raise
        current_app.logger.exception("outbox: message %s could not be rendered", message_id)
        failure, error = OutboxFailure.RENDERING, _describe(exc)
    else:
        session.commit()
        return recipient, data
    session.rollback()  # nothing the renderer may have touched is kept
    begin_write(session)
    row = _still_pending(session, message_id)
    if row is None:
        return None
    _give_up(row, failure, error)
    session.commit()
    if failure != OutboxFailure.WITHDRAWN:
        current_app.logger.warning("outbox: message %s failed (%s): %s", message_id, failure, error)
    return failure


def deliver_due(
    session: DbSession, *, limit: int = 100, transport: Transport | None = None
) -> DeliveryReport:
    """Send due messages; passing failures wait and are tried again, a message's own fault
    fails that message, and the sender goes on with the next.

    Each message is first claimed in a short transaction (row lock with SKIP LOCKED on
    PostgreSQL, the write lock on SQLite) that pushes its next attempt past a lease, and
    committed before anything else happens to it: whatever that message then does (a
    renderer that raises, an address no server takes, a sender killed mid-send), the
    other messages are not held behind it. It is rendered in a transaction of its own; the
    SMTP conversation happens outside any transaction, so a slow mail server holds no lock.
    A message whose sender died is retried once the lease has passed.
    """
    report = DeliveryReport()
    transport = transport or transport_from_config()
    sender = current_app.config["MAIL_FROM"]
    lease = timedelta(seconds=current_app.config.get("OUTBOX_LEASE_SECONDS", 300))
    base = current_app.config.get("OUTBOX_BACKOFF_SECONDS", 30)
    try:
        for _ in range(limit):
            now = utcnow()
            row = _claim_next(session, now)
            if row is None:
                session.rollback()
                break
            row.attempts += 1
            row.next_attempt_at = now + lease
            message_id, attempts = row.id, row.attempts
            session.commit()
            prepared = _prepare(session, message_id)
            if prepared is None:
                continue
            if isinstance(prepared, OutboxFailure):
                report.withdrawn += prepared == OutboxFailure.WITHDRAWN
                report.failed += prepared != OutboxFailure.WITHDRAWN
                continue
            recipient, data = prepared
            retry_at = now + backoff(attempts, base)
            try:
                transport.send(sender, recipient, data)
            except smtplib.SMTPException as exc:
                permanent = is_permanent(exc)
                failure = OutboxFailure.REFUSED if permanent else None
                _finish(session, message_id, error=exc, failure=failure, retry_at=retry_at)
                report.failed += permanent
                report.deferred += not permanent
            except OSError as exc:  # no connection, or it dropped: try later
                _finish(session, message_id, error=exc, retry_at=retry_at)
                report.deferred += 1
            except Exception as exc:  # e.g. what smtplib cannot encode: the message's own fault
                current_app.logger.exception("outbox: message %s could not be sent", message_id)
                transport.close()  # the conversation may be half-way: the next one starts afresh
                _finish(session, message_id, error=exc, failure=OutboxFailure.SENDING)
                report.failed += 1
            else:
                _finish(session, message_id)
                report.sent += 1
    finally:
        transport.close()
    return report


def _finish(
    session: DbSession,
    message_id: int,
    *,
    error: Exception | None = None,
    failure: OutboxFailure | None = None,
    retry_at: datetime | None = None,
) -> None:
    """Record how an attempt ended: sent, failed for good (`failure`), or to retry."""
    begin_write(session)  # SQLite: read-then-write needs the lock from the start
    row = session.get(OutboxMessage, message_id)
    if row is None:  # erased while it was being sent
        session.rollback()
        return
    if error is None:
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, utcnow(), None
    elif failure is not None:
        _give_up(row, failure, _describe(error))
        current_app.logger.warning(
            "outbox: message %s failed (%s): %s", message_id, failure, row.last_error
        )
    else:  # 4xx (greylisting, a full queue) or a dropped connection: try later
        row.last_error = _describe(error)
        if retry_at is not None:  # else the lease of the claim decides when
            row.next_attempt_at = retry_at
    session.commit()


#: How long a mail that could not be delivered stays on the organizers' console.
UNDELIVERED_SHOWN_FOR = timedelta(days=30)


def undelivered(session: DbSession, now: datetime, *, limit: int = 50) -> list[OutboxMessage]:
    """Mails given up on lately for a fault (not withdrawn ones), newest first, with their
    reason: an organizer reaches the person another way, or has the address corrected."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.FAILED,
                OutboxMessage.failure != OutboxFailure.WITHDRAWN,
                OutboxMessage.failed_at >= now - UNDELIVERED_SHOWN_FOR,
            )
            .order_by(OutboxMessage.failed_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )
