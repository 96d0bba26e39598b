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
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..database import begin_write
from ..timeutil import utcnow
from .models import OutboxMessage, OutboxStatus

#: Longest wait between two attempts; an outage delays mail, it never drops it.
MAX_BACKOFF = timedelta(hours=1)

Renderer = Callable[[Session, OutboxMessage], EmailMessage]


class Withdrawn(Exception):
    """Raised by a renderer: this message must not go out any more (e.g. the person
    unsubscribed after it was queued). The sender marks it failed, with the reason, and
    sends nothing."""


_RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function that turns an outbox row of `kind` into a message."""

    def decorator(function: Renderer) -> Renderer:
        _RENDERERS[kind] = function
        return function

    return decorator


def compose(recipient: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    """A message from the agency's mailbox, built with the SMTP policy (CRLF throughout)."""
    config = current_app.config
    local, _, domain = config["MAIL_FROM"].partition("@")
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = Address(config["MAIL_FROM_NAME"], local, domain)
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=domain or None)
    message.set_content(text, cte="base64" if not text.isascii() else "7bit")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="base64")
    return message


def queue(
    session: Session,
    kind: str,
    recipient: str,
    payload: dict[str, Any] | None = None,
    *,
    language: str = "ja",
) -> OutboxMessage:
    """Add a mail to the outbox; it exists only if the caller's transaction commits."""
    if kind not in _RENDERERS:
        raise KeyError(f"no renderer for mail kind {kind!r}")
    row = OutboxMessage(
        kind=kind, recipient=recipient, payload={**(payload or {}), "language": language}
    )
    session.add(row)
    return row


def render(session: Session, row: OutboxMessage) -> bytes:
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
            if self.starttls:
                client.starttls()
            if self.user:
                client.login(self.user, self.password or "")
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


def _claim_next(session: Session, now: datetime) -> OutboxMessage | None:
    """Lock one due message so that no other sender takes it at the same time."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    else:
        begin_write(session)  # SQLite: one sender claims at a time
    return session.scalar(query)


def deliver_due(
    session: Session, *, limit: int = 100, transport: Transport | None = None
) -> DeliveryReport:
    """Send due messages; failures wait and are tried again.

    Each message is first claimed in a short transaction (row lock with SKIP LOCKED on
    PostgreSQL, the write lock on SQLite) that pushes its next attempt past a lease, and
    committed; the SMTP conversation happens outside any transaction, so a slow mail
    server holds no lock. A sender that dies mid-send leaves the message to be retried
    once the lease has passed.
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
            try:
                data = render(session, row)
            except Withdrawn as exc:
                row.status, row.last_error = OutboxStatus.FAILED, f"Withdrawn: {exc}"[:2000]
                session.commit()
                report.withdrawn += 1
                continue
            message_id, recipient = row.id, row.recipient
            attempts = row.attempts
            session.commit()
            try:
                transport.send(sender, recipient, data)
            except smtplib.SMTPException as exc:
                permanent = is_permanent(exc)
                _finish(
                    session,
                    message_id,
                    error=exc,
                    permanent=permanent,
                    retry_at=now + backoff(attempts, base),
                )
                report.failed += permanent
                report.deferred += not permanent
            except OSError as exc:
                _finish(session, message_id, error=exc, retry_at=now + backoff(attempts, base))
                report.deferred += 1
            else:
                _finish(session, message_id)
                report.sent += 1
    finally:
        transport.close()
    return report


def _finish(
    session: Session,
    message_id: int,
    *,
    error: Exception | None = None,
    permanent: bool = False,
    retry_at: datetime | None = None,
) -> None:
    begin_write(session)  # SQLite: read-then-write needs the lock from the start
    row = session.get(OutboxMessage, message_id)
    if error is None:
        row.status, row.sent_at, row.last_error = OutboxStatus.SENT, utcnow(), None
    else:
        row.last_error = f"{type(error).__name__}: {error}"[:2000]
        if permanent:
            row.status = OutboxStatus.FAILED
        else:  # 4xx (greylisting, a full queue) or a dropped connection: try later
            row.next_attempt_at = retry_at
    session.commit()
