"""Personal data: anonymising past fiscal years, and a person's requests about their data.

Retention (design.md, and the privacy notice): personal details are kept for the fiscal
year of the seminar and the following one, then anonymised *in place*: the rows stay, so
every count of the fiscal-year reports stays the same, but names, addresses,
organizations and free text are gone. What is kept is what the figures are made of:
status, attribute, employee band, industry, prefecture, check-ins, online attendance,
survey ratings and choices, the privacy-notice version and agreement time.

Lecturer-dispatch requests are kept for the fiscal year of their seminar (of their receipt
when they have none) and the following one, then anonymised in place the same way: the
contact's name, e-mail address and telephone and every free text, which may name people
(the theme in the company's words, who will attend, the place, the history's reasons, the
delivery report), are gone; the company, its prefecture, type, size and industry, the
states and their dates, the seminar and the link to the company as a client of the desk
stay, so the dispatch figures stay the same.

Kept on purpose, and why:
- Clients of the consultation desk are organizations, not people: their names stay; only
  the consultations' notes (the client's own secrets, in free text) are removed. The same
  holds for the company of a dispatch request (design.md: clients are organizations).
- An unsubscribe row (the address lower-cased) stays: it is the record that this address
  must get no announcements, and deleting it would start them again.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import selectinload

from ..announcements.models import Unsubscribe
from ..attendance.models import CheckIn, OnlineAttendance
from ..audit.models import AuditEvent
from ..audit.services import record
from ..catalogue.models import Seminar
from ..certificates.models import Certificate
from ..consultations.models import Consultation
from ..database import DbSession, rows_changed
from ..dispatch.models import DispatchRequest, DispatchStateChange
from ..domain import DispatchState, OutboxStatus
from ..notifications.models import OutboxMessage
from ..registration.details import parse_details
from ..registration.models import CalendarFeed, Registration
from ..registration.services import (
    ensure_calendar_feed,
    find_active,
    new_ticket_code,
    new_token,
)
from ..surveys.models import Survey, SurveyAnswer
from ..text import normalize_email
from ..timeutil import fiscal_year_bounds, fiscal_year_dates, fiscal_year_of, to_jst

#: What a purged registration's name and reading become.
PLACEHOLDER_NAME = "（削除済み）"
#: What a removed text that cannot be left empty becomes (a dispatch contact's telephone,
#: who will attend, the reason of a decline).
PLACEHOLDER_TEXT = PLACEHOLDER_NAME
#: Registrations are anonymised this many at a time (bounded memory and IN lists).
BATCH_SIZE = 1000
#: The personal fields an organizer may correct on a person's request.
CORRECTABLE = (
    "name",
    "name_kana",
    "email",
    "organization",
    "corporate_number",
    "department",
    "job_title",
    "question",
)
#: Survey question types whose answers are chosen, not written: they are kept.
_CHOSEN_TYPES = ("rating", "single", "multiple")


class PrivacyError(Exception):
    """A privacy action that cannot be done; `code` says why."""

    def __init__(self, code: str, **context: Any) -> None:
        super().__init__(code)
        self.code = code
        self.context = context


@dataclass
class PurgeResult:
    fiscal_year: int
    registrations: int = 0
    survey_answers: int = 0
    consultations: int = 0
    outbox_messages: int = 0
    calendar_feeds: int = 0
    audit_labels: int = 0
    dispatch_requests: int = 0
    registration_ids: list[int] = field(default_factory=list, repr=False)
    dispatch_request_ids: list[int] = field(default_factory=list, repr=False)

    def counts(self) -> dict[str, int]:
        data = asdict(self)
        data.pop("fiscal_year")
        data.pop("registration_ids")
        data.pop("dispatch_request_ids")
        return data

    @property
    def changed(self) -> bool:
        return any(self.counts().values())


def purged_email_of(registration_id: int) -> str:
    return f"purged-{registration_id}@invalid"


def _purged_email_column():
    """purged-<id>@invalid, computed by the database for each row."""
    return literal("purged-") + cast(Registration.id, String) + literal("@invalid")


def is_purged(registration: Registration) -> bool:
    return registration.email == purged_email_of(registration.id)


def purged_contact_of(request_id: int) -> str:
    """What an anonymised dispatch request's contact address and its key become: no
    address (no @), so it can match no search, no mail and no registration's placeholder."""
    return f"purged-dispatch-{request_id}"


def _purged_contact_column():
    """purged-dispatch-<id>, computed by the database for each row."""
    return literal("purged-dispatch-") + cast(DispatchRequest.id, String)


def is_contact_purged(request: DispatchRequest) -> bool:
    return request.contact_email_key == purged_contact_of(request.id)


def subject_hash(email_key: str) -> str:
    """A keyed hash of an address for audit records: links events, does not reveal it."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, email_key.encode(), hashlib.sha256).hexdigest()[:32]


def cutoff_of(fiscal_year: int) -> datetime:
    return fiscal_year_bounds(fiscal_year)[0]


# --- anonymising --------------------------------------------------------------------------


def _scrub_survey_answers(session: DbSession, registration_ids: list[int]) -> int:
    """Remove written answers (keep ratings and choices) and the consent to be named."""
    changed = 0
    rows = session.execute(
        select(SurveyAnswer, Survey.questions)
        .join(Survey, Survey.id == SurveyAnswer.survey_id)
        .where(SurveyAnswer.registration_id.in_(registration_ids))
    ).all()
    for answer, questions in rows:
        chosen = {q["key"] for q in questions or [] if q.get("type") in _CHOSEN_TYPES}
        kept = {key: value for key, value in (answer.answers or {}).items() if key in chosen}
        if kept != (answer.answers or {}) or answer.may_name:
            answer.answers = kept
            answer.may_name = False
            changed += 1
    session.flush()
    return changed


def _anonymise_batch(
    session: DbSession, rows: list[tuple[int, str, str]], *, outbox_before: datetime | None
) -> dict[str, int]:
    """Anonymise registrations (id, email, email_key) and what hangs on their address."""
    ids = [row[0] for row in rows]
    emails = sorted({row[1] for row in rows})
    keys = sorted({row[2] for row in rows})
    counts = {"survey_answers": _scrub_survey_answers(session, ids)}
    # Participants' own actions were audited under their address: keep the event, not it.
    about_these = (AuditEvent.subject_type == "registration") & AuditEvent.subject_id.in_(
        [str(i) for i in ids]
    )
    scope: ColumnElement[bool] = about_these
    if outbox_before is not None:
        scope = or_(about_these, AuditEvent.at < outbox_before)
    counts["audit_labels"] = rows_changed(
        session,
        update(AuditEvent)
        .where(AuditEvent.actor_id.is_(None), AuditEvent.actor_label.in_(emails), scope)
        .values(actor_label="participant")
        .execution_options(synchronize_session=False),
    )
    outbox = delete(OutboxMessage).where(func.lower(OutboxMessage.recipient).in_(keys))
    if outbox_before is not None:
        outbox = outbox.where(OutboxMessage.created_at < outbox_before)
    counts["outbox_messages"] = rows_changed(
        session, outbox.execution_options(synchronize_session=False)
    )
    purged = _purged_email_column()
    # Certificates keep the name they were issued to, so it must go with the registration's.
    session.execute(
        update(Certificate)
        .where(Certificate.registration_id.in_(ids))
        .values(name=None, organization=None)
        .execution_options(synchronize_session=False)
    )
    counts["registrations"] = rows_changed(
        session,
        update(Registration)
        .where(Registration.id.in_(ids))
        .values(
            name=PLACEHOLDER_NAME,
            name_kana=PLACEHOLDER_NAME,
            email=purged,
            email_key=purged,
            organization=None,
            organization_key=None,
            corporate_number=None,
            department=None,
            job_title=None,
            question=None,
            announcements_opt_in=False,
        )
        .execution_options(synchronize_session=False),
    )
    # The secrets of their links go with the data: an old link or ticket opens nothing.
    session.execute(
        update(Registration),
        [
            {
                "id": registration_id,
                "manage_token": new_token(),
                "join_token": new_token(),
                "ticket_code": new_ticket_code(),
            }
            for registration_id in ids
        ],
    )
    return counts


def _delete_orphan_feeds(session: DbSession) -> int:
    """Calendar feeds of addresses that no registration holds any more."""
    orphan = ~exists().where(Registration.email_key == CalendarFeed.email_key)
    return rows_changed(
        session, delete(CalendarFeed).where(orphan).execution_options(synchronize_session=False)
    )


def _anonymise_dispatch(session: DbSession, rows: list[tuple[int, str]]) -> dict[str, int]:
    """Anonymise dispatch requests (id, contact_email_key): the contact and every free text
    go; the company, the columns the figures count, the states and dates stay."""
    ids = [row[0] for row in rows]
    keys = sorted({row[1] for row in rows})
    # Scheduling gave the in-company seminar the theme in the company's words as its
    # description; an organizer's own text there is the agency's and stays.
    copied = (
        select(DispatchRequest.id)
        .where(
            DispatchRequest.id.in_(ids),
            DispatchRequest.seminar_id == Seminar.id,
            DispatchRequest.theme_note == Seminar.description,
        )
        .exists()
    )
    session.execute(
        update(Seminar)
        .where(copied)
        .values(description="")
        .execution_options(synchronize_session=False)
    )
    # The stored mails about them, except a staff member's still to be sent (a CANCEL
    # that takes the seminar out of their calendar).
    about_them = and_(
        OutboxMessage.kind.startswith("dispatch."),
        OutboxMessage.payload["request_id"].as_integer().in_(ids),
        or_(
            OutboxMessage.status != OutboxStatus.PENDING,
            func.lower(OutboxMessage.recipient).in_(keys),
        ),
    )
    counts = {
        "outbox_messages": rows_changed(
            session,
            delete(OutboxMessage).where(about_them).execution_options(synchronize_session=False),
        )
    }
    session.execute(
        update(DispatchStateChange)
        .where(DispatchStateChange.request_id.in_(ids), DispatchStateChange.reason.is_not(None))
        .values(reason=PLACEHOLDER_TEXT)
        .execution_options(synchronize_session=False)
    )
    purged = _purged_contact_column()
    counts["dispatch_requests"] = rows_changed(
        session,
        update(DispatchRequest)
        .where(DispatchRequest.id.in_(ids))
        .values(
            contact_name=PLACEHOLDER_NAME,
            contact_email=purged,
            contact_email_key=purged,
            contact_phone=PLACEHOLDER_TEXT,
            theme_note=None,
            audience=PLACEHOLDER_TEXT,
            place=None,
            delivery_report=None,
        )
        .execution_options(synchronize_session=False),
    )
    # The contact's private link opens nothing any more (the participants' link is the
    # company's: it stays).
    session.execute(
        update(DispatchRequest), [{"id": request_id, "token": new_token()} for request_id in ids]
    )
    return counts


def _dispatch_past(cutoff: datetime) -> ColumnElement[bool]:
    """A request whose seminar started before `cutoff`, or, without a seminar, which was
    received before it (its first history entry). Needs the seminar outer-joined."""
    received_before = (
        select(DispatchStateChange.id)
        .where(
            DispatchStateChange.request_id == DispatchRequest.id,
            DispatchStateChange.from_state.is_(None),
            DispatchStateChange.at < cutoff,
        )
        .exists()
    )
    return or_(
        Seminar.starts_at < cutoff,
        and_(DispatchRequest.seminar_id.is_(None), received_before),
    )


def _purge_dispatch(session: DbSession, cutoff: datetime, result: PurgeResult) -> None:
    last_id = 0
    while True:
        rows = session.execute(
            select(DispatchRequest.id, DispatchRequest.contact_email_key)
            .outerjoin(Seminar, Seminar.id == DispatchRequest.seminar_id)
            .where(
                _dispatch_past(cutoff),
                DispatchRequest.id > last_id,
                DispatchRequest.contact_email_key != _purged_contact_column(),
            )
            .order_by(DispatchRequest.id)
            .limit(BATCH_SIZE)
        ).all()
        if not rows:
            return
        last_id = rows[-1][0]
        result.dispatch_request_ids.extend(row[0] for row in rows)
        _add(result, _anonymise_dispatch(session, [tuple(row) for row in rows]))


def _add(result: PurgeResult, counts: dict[str, int]) -> None:
    for name, value in counts.items():
        setattr(result, name, getattr(result, name) + value)


def purge_before(
    session: DbSession, fiscal_year: int, now: datetime, by: Any = None
) -> PurgeResult:
    """Anonymise the personal data of seminars that started before 1 April of `fiscal_year`
    (JST), of the dispatch requests whose seminar started (or, without one, which were
    received) before that moment, and the notes of consultations held before that day.
    Refuses the current or a future fiscal year. Idempotent: a second run finds nothing
    and records nothing. The caller commits."""
    if fiscal_year >= fiscal_year_of(now):
        raise PrivacyError("year-in-use", fiscal_year=fiscal_year, current=fiscal_year_of(now))
    cutoff = cutoff_of(fiscal_year)
    result = PurgeResult(fiscal_year=fiscal_year)
    last_id = 0
    while True:
        rows = session.execute(
            select(Registration.id, Registration.email, Registration.email_key)
            .join(Seminar, Seminar.id == Registration.seminar_id)
            .where(
                Seminar.starts_at < cutoff,
                Registration.id > last_id,
                Registration.email != _purged_email_column(),
            )
            .order_by(Registration.id)
            .limit(BATCH_SIZE)
        ).all()
        if not rows:
            break
        last_id = rows[-1][0]
        result.registration_ids.extend(row[0] for row in rows)
        _add(result, _anonymise_batch(session, [tuple(r) for r in rows], outbox_before=cutoff))
    _purge_dispatch(session, cutoff, result)
    result.consultations = rows_changed(
        session,
        update(Consultation)
        .where(
            Consultation.held_on < fiscal_year_dates(fiscal_year)[0],
            Consultation.notes.is_not(None),
        )
        .values(notes=None)
        .execution_options(synchronize_session=False),
    )
    result.calendar_feeds = _delete_orphan_feeds(session)
    session.expire_all()
    if result.changed:
        record(
            session,
            "privacy.purged",
            "fiscal_year",
            fiscal_year,
            actor=by,
            actor_label=None if by is not None else "cli",
            details={"before": cutoff.isoformat(), **result.counts()},
        )
    session.flush()
    return result


def preview_purge(session: DbSession, fiscal_year: int, now: datetime) -> PurgeResult:
    """What purge_before would change, without changing it (run in a rolled-back savepoint)."""
    nested = session.begin_nested()
    try:
        return purge_before(session, fiscal_year, now)
    finally:
        nested.rollback()
        session.expire_all()


# --- a person's requests (開示・訂正・削除) ---------------------------------------------------


def email_key_of(raw: str | None) -> str:
    """The key registrations are compared on: NFKC, trimmed, lower case."""
    return normalize_email(raw)


def registrations_of(session: DbSession, email_key: str) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .join(Seminar, Seminar.id == Registration.seminar_id)
            .where(Registration.email_key == email_key)
            .order_by(Seminar.starts_at.desc(), Registration.id.desc())
        )
    )


def dispatch_requests_of(session: DbSession, email_key: str) -> list[DispatchRequest]:
    """The lecturer-dispatch requests this address is the contact of, newest first."""
    return list(
        session.scalars(
            select(DispatchRequest)
            .where(DispatchRequest.contact_email_key == email_key)
            .options(selectinload(DispatchRequest.changes), selectinload(DispatchRequest.seminar))
            .order_by(DispatchRequest.id.desc())
        )
    )


def received_at(request: DispatchRequest) -> datetime:
    """When the request was received: its history's first entry (as the figures count it)."""
    return next(
        (change.at for change in request.changes if change.from_state is None),
        request.created_at,
    )


def holdings(session: DbSession, email_key: str) -> dict[str, Any]:
    """Everything held about one address: registrations with what hangs on them, the
    lecturer-dispatch requests it is the contact of, the calendar feed, the unsubscribe,
    and the mails sent to it."""
    registrations = registrations_of(session, email_key)
    ids = [registration.id for registration in registrations]

    def by_registration(model) -> dict[int, Any]:
        if not ids:
            return {}
        return {
            row.registration_id: row
            for row in session.scalars(select(model).where(model.registration_id.in_(ids)))
        }

    check_ins = by_registration(CheckIn)
    online = by_registration(OnlineAttendance)
    # The certificate in force; the ones it replaced only answer "replaced" at verification.
    certificates = {
        row.registration_id: row
        for row in session.scalars(
            select(Certificate).where(
                Certificate.registration_id.in_(ids), Certificate.replaced_at.is_(None)
            )
        )
    }
    answers: dict[int, list[SurveyAnswer]] = {}
    if ids:
        for answer in session.scalars(
            select(SurveyAnswer).where(SurveyAnswer.registration_id.in_(ids))
        ):
            assert answer.registration_id is not None  # selected by it
            answers.setdefault(answer.registration_id, []).append(answer)
    mails = list(
        session.scalars(
            select(OutboxMessage)
            .where(func.lower(OutboxMessage.recipient) == email_key)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        )
    )
    return {
        "email_key": email_key,
        "entries": [
            {
                "registration": registration,
                "check_in": check_ins.get(registration.id),
                "online": online.get(registration.id),
                "certificate": certificates.get(registration.id),
                "answers": answers.get(registration.id, []),
            }
            for registration in registrations
        ],
        "dispatch_requests": dispatch_requests_of(session, email_key),
        "calendar_feed": session.scalar(
            select(CalendarFeed).where(CalendarFeed.email_key == email_key)
        ),
        "unsubscribe": session.scalar(
            select(Unsubscribe).where(Unsubscribe.email_key == email_key)
        ),
        "mails": mails,
    }


def is_empty(held: dict[str, Any]) -> bool:
    return not (
        held["entries"]
        or held["dispatch_requests"]
        or held["calendar_feed"]
        or held["unsubscribe"]
        or held["mails"]
    )


def _moment(value: datetime | None) -> str | None:
    return to_jst(value).isoformat() if value is not None else None


PERSONAL_FIELDS = (
    "name",
    "name_kana",
    "email",
    "organization",
    "corporate_number",
    "department",
    "job_title",
    "prefecture",
    "attribute",
    "employee_band",
    "industry",
    "question",
    "heard_from",
    "announcements_opt_in",
    "locale",
)


#: What a dispatch request holds, as the company's contact gave it (the form's fields).
DISPATCH_FIELDS = (
    "organization",
    "corporate_number",
    "address",
    "prefecture",
    "attribute",
    "employee_band",
    "industry",
    "contact_name",
    "contact_email",
    "contact_phone",
    "themes",
    "theme_note",
    "audience",
    "audience_size",
    "delivery",
    "place",
    "locale",
)


def _dispatch_export(request: DispatchRequest) -> dict[str, Any]:
    """One dispatch request as the person receives it: what the company asked, where it
    stands, its history (with the reasons the company was given) and the seminar's date."""
    seminar = request.seminar
    return {
        "state": request.state,
        "received_at": _moment(received_at(request)),
        **{name: getattr(request, name) for name in DISPATCH_FIELDS},
        "preferred_dates": [
            {"starts_at": _moment(slot.starts_at), "ends_at": _moment(slot.ends_at)}
            for slot in request.preferred_dates
        ],
        "privacy_notice_version": request.privacy_notice_version,
        "privacy_agreed_at": _moment(request.privacy_agreed_at),
        "seminar": {
            "title": seminar.title,
            "starts_at": _moment(seminar.starts_at),
            "ends_at": _moment(seminar.ends_at),
            "status": seminar.status,
        }
        if seminar is not None
        else None,
        "history": [
            {
                "at": _moment(change.at),
                "from_state": change.from_state,
                "to_state": change.to_state,
                "by_company": change.by_company,
                "reason": change.reason,
            }
            for change in request.changes
        ],
        "delivered_minutes": request.delivered_minutes,
        "delivery_report": request.delivery_report,
    }


def export_data(held: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What is held, as plain JSON for the person (開示). Times in Japan time."""
    registrations = []
    for entry in held["entries"]:
        registration: Registration = entry["registration"]
        seminar = registration.seminar
        registrations.append(
            {
                "seminar": {
                    "title": seminar.title,
                    "starts_at": _moment(seminar.starts_at),
                },
                "status": registration.status,
                "registered_at": _moment(registration.created_at),
                "cancelled_at": _moment(registration.cancelled_at),
                **{name: getattr(registration, name) for name in PERSONAL_FIELDS},
                "privacy_notice_version": registration.privacy_notice_version,
                "privacy_agreed_at": _moment(registration.privacy_agreed_at),
                "checked_in_at": _moment(entry["check_in"].checked_in_at)
                if entry["check_in"]
                else None,
                "joined_online_at": _moment(entry["online"].first_joined_at)
                if entry["online"]
                else None,
                "online_minutes": entry["online"].minutes if entry["online"] else None,
                "certificate_code": entry["certificate"].code if entry["certificate"] else None,
                "survey_answers": [
                    {"answers": answer.answers, "may_name": answer.may_name}
                    for answer in entry["answers"]
                ],
            }
        )
    feed, unsubscribe = held["calendar_feed"], held["unsubscribe"]
    return {
        "email": held["email_key"],
        "exported_at": _moment(now),
        "registrations": registrations,
        "dispatch_requests": [_dispatch_export(request) for request in held["dispatch_requests"]],
        "calendar_feed": {"created_at": _moment(feed.created_at)} if feed else None,
        "unsubscribed_at": _moment(unsubscribe.unsubscribed_at) if unsubscribe else None,
        "mails": [
            {
                "subject": mail.subject,
                "kind": mail.kind,
                "queued_at": _moment(mail.created_at),
                "sent_at": _moment(mail.sent_at),
                "status": mail.status,
            }
            for mail in held["mails"]
        ],
    }


def _held_ids(held: dict[str, Any]) -> dict[str, list[int]]:
    """What the audit record of a view or an export names: ids, never the address."""
    return {
        "registration_ids": [entry["registration"].id for entry in held["entries"]],
        "dispatch_request_ids": [request.id for request in held["dispatch_requests"]],
    }


def record_viewed(session: DbSession, email_key: str, held: dict[str, Any], *, by: Any) -> None:
    record(
        session,
        "privacy.viewed",
        "person",
        subject_hash(email_key),
        actor=by,
        details=_held_ids(held),
    )


def record_exported(session: DbSession, email_key: str, held: dict[str, Any], *, by: Any) -> None:
    record(
        session,
        "privacy.exported",
        "person",
        subject_hash(email_key),
        actor=by,
        details=_held_ids(held),
    )


def correct(
    session: DbSession, registration: Registration, data: dict[str, Any], *, by: Any
) -> tuple[list[str], dict[str, str]]:
    """Correct the personal fields of one registration on the person's request.

    Checked by the registration form's own rules (registration.details.parse_details);
    returns (changed field names, errors). Nothing is written when there are errors."""
    if is_purged(registration):
        raise PrivacyError("purged")
    current = {
        name: getattr(registration, name) for name in PERSONAL_FIELDS if name not in CORRECTABLE
    }
    submitted = {name: data.get(name) or "" for name in CORRECTABLE}
    details, errors = parse_details({**current, **submitted})
    if details is None:
        return [], errors
    old_key = registration.email_key
    new_key = details.email_key
    if new_key != old_key and registration.is_active:
        other = find_active(session, registration.seminar_id, new_key)
        if other is not None and other.id != registration.id:
            return [], {"email": "already-registered"}
    changed = []
    for name in CORRECTABLE:
        value = getattr(details, name)
        if getattr(registration, name) != value:
            setattr(registration, name, value)
            changed.append(name)
    if new_key != old_key:
        registration.email_key = new_key
        if registration.is_active:
            ensure_calendar_feed(session, new_key)
    session.flush()
    if new_key != old_key:
        _delete_orphan_feeds(session)
    if changed:
        details_recorded: dict[str, Any] = {"fields": changed}
        if new_key != old_key:
            details_recorded["new_subject"] = subject_hash(new_key)
        record(
            session,
            "privacy.corrected",
            "registration",
            registration.id,
            actor=by,
            details={"person": subject_hash(old_key), **details_recorded},
        )
    return changed, {}


def upcoming_registrations(session: DbSession, email_key: str, now: datetime) -> list[Registration]:
    """Active registrations of seminars not yet over: they must be cancelled before erasing."""
    return list(
        session.scalars(
            select(Registration)
            .join(Seminar, Seminar.id == Registration.seminar_id)
            .where(
                Registration.email_key == email_key,
                Seminar.ends_at > now,
                Registration.status.in_(("confirmed", "waitlisted", "applied")),
            )
        )
    )


def open_dispatch_requests(
    session: DbSession, email_key: str, now: datetime
) -> list[DispatchRequest]:
    """Dispatch requests of this contact still being worked on: received, under review, or
    scheduled with a seminar not yet over. They must be closed before erasing (withdrawn
    or declined, or their seminar over), since the contact is who the agency talks to."""
    return list(
        session.scalars(
            select(DispatchRequest)
            .outerjoin(Seminar, Seminar.id == DispatchRequest.seminar_id)
            .where(
                DispatchRequest.contact_email_key == email_key,
                or_(
                    DispatchRequest.state.in_((DispatchState.RECEIVED, DispatchState.UNDER_REVIEW)),
                    and_(DispatchRequest.state == DispatchState.SCHEDULED, Seminar.ends_at > now),
                ),
            )
            .order_by(DispatchRequest.id)
        )
    )


def erase(session: DbSession, email_key: str, now: datetime, *, by: Any) -> PurgeResult:
    """Delete what is held about one address, on their request (削除): their registrations
    and the dispatch requests they are the contact of are anonymised as by the yearly purge
    (the figures stay), their written survey answers, mails and calendar feed are removed.
    The unsubscribe row is kept (see the module). Refused (PrivacyError "upcoming", naming
    them) while the person holds a seat, a waitlist place or an application for a seminar
    that has not ended, or is the contact of a dispatch request still open: that first."""
    upcoming = upcoming_registrations(session, email_key, now)
    still_open = open_dispatch_requests(session, email_key, now)
    if upcoming or still_open:
        raise PrivacyError("upcoming", registrations=upcoming, dispatch_requests=still_open)
    rows = session.execute(
        select(Registration.id, Registration.email, Registration.email_key)
        .where(Registration.email_key == email_key)
        .order_by(Registration.id)
    ).all()
    result = PurgeResult(fiscal_year=fiscal_year_of(now))
    for start in range(0, len(rows), BATCH_SIZE):
        batch = [tuple(row) for row in rows[start : start + BATCH_SIZE]]
        result.registration_ids.extend(row[0] for row in batch)
        _add(result, _anonymise_batch(session, batch, outbox_before=None))
    requests = session.execute(
        select(DispatchRequest.id, DispatchRequest.contact_email_key)
        .where(DispatchRequest.contact_email_key == email_key)
        .order_by(DispatchRequest.id)
    ).all()
    for start in range(0, len(requests), BATCH_SIZE):
        contacts = [tuple(row) for row in requests[start : start + BATCH_SIZE]]
        result.dispatch_request_ids.extend(row[0] for row in contacts)
        _add(result, _anonymise_dispatch(session, contacts))
    # Mails to the address that no registration row named (a resend to a corrected one).
    result.outbox_messages += rows_changed(
        session,
        delete(OutboxMessage)
        .where(func.lower(OutboxMessage.recipient) == email_key)
        .execution_options(synchronize_session=False),
    )
    result.calendar_feeds = rows_changed(
        session,
        delete(CalendarFeed)
        .where(CalendarFeed.email_key == email_key)
        .execution_options(synchronize_session=False),
    )
    session.expire_all()
    record(
        session,
        "privacy.deleted",
        "person",
        subject_hash(email_key),
        actor=by,
        details={
            "registration_ids": result.registration_ids,
            "dispatch_request_ids": result.dispatch_request_ids,
            **result.counts(),
        },
    )
    session.flush()
    return result


# --- privacy-notice versions ------------------------------------------------------------------


def notice_versions(session: DbSession) -> list[dict[str, Any]]:
    """Each notice version agreed to: by how many registrations (`agreed`) and dispatch
    requests, first and last agreement of either, the latest version first."""
    versions: dict[str, dict[str, Any]] = {}
    for counted, model in (("agreed", Registration), ("dispatch_requests", DispatchRequest)):
        rows = session.execute(
            select(
                model.privacy_notice_version,
                func.count(model.id),
                func.min(model.privacy_agreed_at),
                func.max(model.privacy_agreed_at),
            ).group_by(model.privacy_notice_version)
        ).all()
        for version, count, first, last in rows:
            row = versions.setdefault(
                version,
                {
                    "version": version,
                    "agreed": 0,
                    "dispatch_requests": 0,
                    "first": first,
                    "last": last,
                },
            )
            row[counted] = count
            row["first"], row["last"] = min(row["first"], first), max(row["last"], last)
    return sorted(versions.values(), key=lambda row: row["last"], reverse=True)
