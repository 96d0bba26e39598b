"""Announcements of new seminars: who receives them, sending through the outbox, unsubscribing.

Who receives an announcement (`recipients`):

- one mail per person, a person being an address compared lower-cased (`email_key`);
- the person's *latest* registration (highest id) decides: its `announcements_opt_in` is
  their current answer, so ticking "no" on a newer registration withdraws an older "yes",
  and ticking "yes" again later gives it back; the address and language of that latest
  registration are used. A cancelled registration still carries the answer: giving up a
  seat is not withdrawing consent to news;
- never an address in the unsubscribe list: an unsubscribe is permanent and wins over any
  opt-in, earlier or later;
- with a level and/or a series: only people with a registration that counts as attended
  (`attendance.attended`) at a seminar of that level and (when both are
  given) that series.

An unsubscribe is honoured at once: the address leaves every later recipient list, and
announcement mails already queued for it but not yet sent are withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update

from ..attendance.attended import attended_condition, registrations_with_attendance
from ..audit.services import record
from ..catalogue.models import Seminar
from ..database import DbSession, begin_write, insert_unless_present, rows_changed, unscoped
from ..domain import Level, OutboxFailure, OutboxStatus, Series
from ..notifications.models import OutboxMessage
from ..notifications.services import queue
from ..problems import FieldProblems
from ..registration.models import Registration
from .models import Announcement, Unsubscribe

#: The outbox kind of an announcement mail.
MAIL_KIND = "announcement"
#: The same mail, sent to the organizer alone before it goes out.
TEST_KIND = "announcement.test"
SUBJECT_MAX = 200
BODY_MAX = 10_000
#: Mails queued (and flushed) at a time.
BATCH_SIZE = 500
#: The same subject and body again within this time is taken for a double submit.
DUPLICATE_WINDOW = timedelta(minutes=10)
#: pg_advisory_xact_lock key that serialises sending (against double submits).
_SEND_LOCK = 0x616E6E6F  # "anno"
_TOKEN_SALT = "unsubscribe"  # noqa: S105 - an itsdangerous salt, not a secret
#: What an outbox row withdrawn by an unsubscribe says.
WITHDRAWN_NOTE = "Withdrawn: the address unsubscribed before delivery."


class AnnouncementError(FieldProblems):
    """The announcement is not valid; `problems` maps each field to a message."""


@dataclass(frozen=True)
class Recipient:
    email_key: str
    #: The address as given on the latest registration.
    email: str
    locale: str


# --- who ------------------------------------------------------------------------------------


def _latest_registrations():
    """email_key → id of the person's latest registration, as a subquery."""
    return (
        select(
            Registration.email_key.label("email_key"),
            func.max(Registration.id).label("latest_id"),
        )
        .group_by(Registration.email_key)
        .subquery()
    )


def _attendees(level: str | None, series: str | None):
    """email_keys with an attended registration at a seminar of the level / series."""
    query = (
        registrations_with_attendance()
        .with_only_columns(Registration.email_key)
        .where(attended_condition())
    )
    if level:
        query = query.where(Seminar.level == level)
    if series:
        query = query.where(Seminar.series == series)
    return query


def _recipients_query(level: str | None = None, series: str | None = None):
    latest = _latest_registrations()
    query = (
        select(Registration.email_key, Registration.email, Registration.locale)
        .join(latest, latest.c.latest_id == Registration.id)
        .where(
            Registration.announcements_opt_in.is_(True),
            Registration.email_key.not_in(select(Unsubscribe.email_key)),
        )
    )
    if level or series:
        query = query.where(Registration.email_key.in_(_attendees(level, series)))
    return query


def recipients(
    session: DbSession, level: str | None = None, series: str | None = None
) -> list[Recipient]:
    """Everyone an announcement (to attendees of `level` / `series`, if given) goes to."""
    rows = session.execute(_recipients_query(level, series).order_by(Registration.email_key))
    return [Recipient(row.email_key, row.email, row.locale or "ja") for row in rows]


def count_recipients(
    session: DbSession, level: str | None = None, series: str | None = None
) -> int:
    query = _recipients_query(level, series).subquery()
    return session.scalar(select(func.count()).select_from(query)) or 0


def wants_announcements(session: DbSession, email_key: str) -> bool:
    """Opted in on their latest registration and not unsubscribed: checked again when each
    mail is rendered, so this uses the email_key index rather than the whole list."""
    if is_unsubscribed(session, email_key):
        return False
    latest_answer = session.scalar(
        select(Registration.announcements_opt_in)
        .where(Registration.email_key == email_key)
        .order_by(Registration.id.desc())
        .limit(1)
    )
    return bool(latest_answer)


# --- sending --------------------------------------------------------------------------------


def validate(
    subject: Any, body: Any, level: Any = None, series: Any = None
) -> tuple[str, str, str | None, str | None]:
    """The cleaned fields, or AnnouncementError with a message per field."""
    errors: dict[str, str] = {}
    if not isinstance(subject, str) or not subject.strip():
        errors["subject"] = _("Enter a subject.")
    elif "\r" in subject or "\n" in subject:
        errors["subject"] = _("The subject must be a single line.")
    elif len(subject.strip()) > SUBJECT_MAX:
        errors["subject"] = _("At most %(count)d characters.", count=SUBJECT_MAX)
    if not isinstance(body, str) or not body.strip():
        errors["body"] = _("Enter the text of the mail.")
    else:
        body = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
        if len(body) > BODY_MAX:
            errors["body"] = _("At most %(count)d characters.", count=BODY_MAX)
    level = level or None
    series = series or None
    if level is not None and level not in {member.value for member in Level}:
        errors["level"] = _("Choose one of the levels.")
    if series is not None and series not in {member.value for member in Series}:
        errors["series"] = _("Choose one of the series.")
    if errors:
        raise AnnouncementError(errors)
    return subject.strip(), body, level, series


def _serialise_sending(session: DbSession) -> None:
    """One sender at a time, so that a double submit is seen as one (see DUPLICATE_WINDOW)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_SEND_LOCK)))
    elif not unscoped(session).in_transaction():
        # SQLite: a request that posts holds the write lock already (lock_for_writing)
        begin_write(session)


def send(
    session: DbSession,
    subject: Any,
    body: Any,
    level: Any = None,
    series: Any = None,
    *,
    by: Any = None,
    now: datetime,
    batch_size: int = BATCH_SIZE,
) -> tuple[Announcement, int]:
    """Record the announcement and queue one mail per recipient, in the caller's transaction.

    Raises AnnouncementError for invalid fields, and for the same subject and body sent
    moments ago (a double submit). The caller commits: all the mails or none.
    """
    subject, body, level, series = validate(subject, body, level, series)
    _serialise_sending(session)
    recent = session.scalar(
        select(Announcement.id)
        .where(
            Announcement.subject == subject,
            Announcement.body == body,
            Announcement.created_at >= now - DUPLICATE_WINDOW,
        )
        .limit(1)
    )
    if recent is not None:
        raise AnnouncementError(
            {"subject": _("This announcement was sent a few minutes ago; it is not sent twice.")}
        )
    announcement = Announcement(
        subject=subject,
        body=body,
        level=level,
        series=series,
        sent_by_id=getattr(by, "id", None),
        recipients=0,
        created_at=now,
    )
    session.add(announcement)
    session.flush()
    count = 0
    for person in recipients(session, level, series):
        queue(
            session,
            MAIL_KIND,
            person.email,
            {"announcement_id": announcement.id, "email_key": person.email_key},
            language=person.locale,
        )
        count += 1
        if count % batch_size == 0:
            session.flush()
    announcement.recipients = count
    record(
        session,
        "announcement.sent",
        "announcement",
        announcement.id,
        actor=by,
        details={"recipients": count, "level": level, "series": series},
    )
    session.flush()
    return announcement, count


def send_test(session: DbSession, subject: Any, body: Any, *, to: Any, language: str) -> None:
    """Queue the announcement as its recipients will read it, to the organizer alone."""
    subject, body, _level, _series = validate(subject, body)
    queue(session, TEST_KIND, to.email, {"subject": subject, "body": body}, language=language)
    record(session, "announcement.test_sent", "user", to.id, actor=to)


def past_announcements(session: DbSession, limit: int = 50) -> list[Announcement]:
    return list(
        session.scalars(
            select(Announcement)
            .order_by(Announcement.created_at.desc(), Announcement.id.desc())
            .limit(limit)
        )
    )


# --- unsubscribing --------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT)


def unsubscribe_token(email_key: str) -> str:
    """The secret of an address's unsubscribe link: signed, never expiring."""
    return _serializer().dumps(email_key)


def email_for_token(token: str) -> str | None:
    """The email_key a token was made for, or None when it is not one of ours."""
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) and value else None


def is_unsubscribed(session: DbSession, email_key: str) -> bool:
    found = session.scalar(select(Unsubscribe.id).where(Unsubscribe.email_key == email_key))
    return found is not None


def unsubscribe(session: DbSession, email_key: str, now: datetime) -> bool:
    """No more announcements to the address, from now on. True when it is new; safe to repeat.

    Announcement mails queued for the address and not yet sent are withdrawn as well.
    """
    email_key = email_key.strip().lower()
    new_id = insert_unless_present(
        session, Unsubscribe, "email_key", email_key=email_key, unsubscribed_at=now
    )
    added = new_id is not None
    withdrawn = rows_changed(
        session,
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == MAIL_KIND,
            OutboxMessage.status == OutboxStatus.PENDING,
            func.lower(OutboxMessage.recipient) == email_key,
        )
        .values(
            status=OutboxStatus.FAILED,
            failure=OutboxFailure.WITHDRAWN,
            failed_at=now,
            last_error=WITHDRAWN_NOTE,
        )
        .execution_options(synchronize_session=False),
    )
    if added:
        unsubscribed = session.scalar(
            select(Unsubscribe.id).where(Unsubscribe.email_key == email_key)
        )
        record(
            session,
            "announcement.unsubscribed",
            "unsubscribe",
            unsubscribed,
            actor_label="participant",
            details={"withdrawn_mails": withdrawn},
        )
    return added
