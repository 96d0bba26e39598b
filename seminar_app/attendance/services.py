"""Check-in at the door: one check-in per registration, whatever the number of desks."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, false, func, or_, select, true

from ..audit.models import AuditEvent
from ..audit.services import event_values, record
from ..catalogue.models import Seminar
from ..codes import TICKET, ticket_code_of
from ..database import DbSession, NewRow, as_inserted, begin_write, insert_unless_present
from ..domain import AttendanceMode, CheckInMethod, RegistrationStatus, SeminarStatus
from ..i18n import format_moment
from ..problems import FieldProblems
from ..registration import services as registrations
from ..registration.details import ParticipantDetails
from ..registration.models import Registration
from ..text import normalize_text
from ..timeutil import jst_datetime, to_jst
from .attended import has_attended, online_long_enough
from .models import CheckIn, OnlineAttendance
from .reports import Attendee, Report

MAX_CODE_LENGTH = TICKET.max_input
#: The largest head-count an organizer can record, by hand or from a file of past seminars.
MAX_HEAD_COUNT = 100_000


class Outcome(StrEnum):
    CHECKED_IN = "checked-in"
    ALREADY = "already-checked-in"
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"
    OTHER_SEMINAR = "other-seminar"
    UNKNOWN = "unknown"
    #: The seminar scanned for takes no check-ins (none has this id, or it is not published).
    NO_SEMINAR = "no-seminar"


#: What a check-in records.
_CHECK_IN_FIELDS = ("registration_id", "checked_in_at", "checked_in_by_id", "method", "desk")


@dataclass(frozen=True)
class ReplacedCheckIn:
    """What a check-in recorded before a desk reported an earlier one: where and when."""

    desk: str | None
    checked_in_at: datetime


@dataclass
class CheckInResult:
    outcome: Outcome
    registration: Registration | None = None
    check_in: CheckIn | None = None
    #: A reported check-in earlier than the one recorded took its place: the one it replaced.
    replaced: ReplacedCheckIn | None = None

    @property
    def admitted(self) -> bool:
        return self.outcome in (Outcome.CHECKED_IN, Outcome.ALREADY)


def _record_check_in(
    session: DbSession,
    registration: Registration,
    *,
    by,
    method: CheckInMethod,
    desk: str | None,
    now: datetime,
    reported: bool = False,
) -> CheckIn | None:
    """The check-in this call recorded, with its audit record; None if one existed. The
    first desk wins: a second scan anywhere, even at the same moment, finds the first
    one's row (and writes no audit record). A `reported` check-in (admit_reported) keeps
    its own moment, `now`, in the audit record's details too."""
    made = CheckIn(
        registration_id=registration.id,
        checked_in_at=now,
        checked_in_by_id=getattr(by, "id", None),
        method=method,
        desk=desk,
    )
    fields = {name: getattr(made, name) for name in _CHECK_IN_FIELDS}
    details = {"seminar_id": registration.seminar_id, "method": method, "desk": desk}
    if reported:
        details["checked_in_at"] = now.isoformat()
    audited = event_values(
        "attendance.checked_in", "registration", registration.id, actor=by, details=details
    )
    new_id = insert_unless_present(
        session, CheckIn, "registration_id", along=[NewRow(AuditEvent, audited)], **fields
    )
    if new_id is None:
        return None
    made.id = new_id
    return as_inserted(session, made)


def _existing(session: DbSession, registration_id: int) -> CheckIn | None:
    return session.scalar(
        select(CheckIn)
        .where(CheckIn.registration_id == registration_id)
        .execution_options(populate_existing=True)
    )


def _no_entry(registration: Registration, seminar_id: int) -> CheckInResult | None:
    """Why this registration does not enter this seminar, or None if it has a seat here."""
    if registration.seminar_id != seminar_id:
        return CheckInResult(Outcome.OTHER_SEMINAR, registration)
    if registration.status == RegistrationStatus.CANCELLED:
        return CheckInResult(Outcome.CANCELLED, registration)
    if registration.status in (RegistrationStatus.WAITLISTED, RegistrationStatus.APPLIED):
        # No seat: waiting in line, or an application to a lottery not (yet) drawn.
        return CheckInResult(Outcome.WAITLISTED, registration)
    return None


def admit(
    session: DbSession,
    registration: Registration,
    seminar_id: int,
    *,
    by,
    method: CheckInMethod,
    desk: str | None,
    now: datetime,
) -> CheckInResult:
    """Decide and record one arrival; a second scan anywhere finds the first check-in."""
    refused = _no_entry(registration, seminar_id)
    if refused is not None:
        return refused
    made = _record_check_in(session, registration, by=by, method=method, desk=desk, now=now)
    if made is not None:
        return CheckInResult(Outcome.CHECKED_IN, registration, made)
    return CheckInResult(Outcome.ALREADY, registration, _existing(session, registration.id))


def check_in_code(
    session: DbSession,
    seminar_id: int,
    raw_code: str | None,
    *,
    by,
    method: CheckInMethod,
    desk: str | None,
    now: datetime,
) -> CheckInResult:
    """A scanned or typed code at a desk of the seminar: the seminar's state and the ticket
    are read in one query, then admit() decides."""
    begin_write(session)  # SQLite: read then write, so hold the write lock from the start
    code = ticket_code_of(raw_code)
    found = session.execute(
        select(Seminar.status, Registration)
        .select_from(Seminar)
        .outerjoin(Registration, Registration.ticket_code == code if code else false())
        .where(Seminar.id == seminar_id)
    ).first()
    if found is None or found[0] != SeminarStatus.PUBLISHED:
        return CheckInResult(Outcome.NO_SEMINAR)
    registration = found[1]
    if registration is None:
        return CheckInResult(Outcome.UNKNOWN)
    return admit(session, registration, seminar_id, by=by, method=method, desk=desk, now=now)


#: How far ahead of the server's clock a desk's may run: a check-in reported for a later
#: moment than now + CLOCK_SKEW is refused (the device's clock is wrong).
CLOCK_SKEW = timedelta(minutes=5)
#: How long before a seminar's day its desk opens: the desk lists the seminars of the next
#: two weeks, and a check-in reported for a moment before then cannot be true either.
DESK_LEAD_TIME = timedelta(days=14)


class ReportedTimeRefused(FieldProblems):
    """A desk reported a check-in at a moment that cannot be true: its clock is wrong."""


def check_reported_time(seminar: Seminar, at: datetime, now: datetime) -> None:
    """Refuse a reported moment after now (beyond the clock skew), or before the desk of
    the seminar opened (DESK_LEAD_TIME before its day, in Tokyo): a device whose clock is
    wrong (lost its setting, say), not an arrival."""
    if at > now + CLOCK_SKEW:
        raise ReportedTimeRefused(
            {
                "at": _(
                    "The time of this check-in (%(time)s) is in the future: check the clock "
                    "of this device.",
                    time=format_moment(at),
                )
            }
        )
    if at < jst_datetime(to_jst(seminar.starts_at).date(), time(0)) - DESK_LEAD_TIME:
        raise ReportedTimeRefused(
            {
                "at": _(
                    "The time of this check-in (%(time)s) is long before the seminar's day: "
                    "check the clock of this device.",
                    time=format_moment(at),
                )
            }
        )


def _locked_check_in(session: DbSession, registration_id: int) -> CheckIn | None:
    """The registration's check-in, read afresh and locked (PostgreSQL) until commit."""
    return session.scalar(
        select(CheckIn)
        .where(CheckIn.registration_id == registration_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def admit_reported(
    session: DbSession,
    registration: Registration,
    seminar: Seminar,
    *,
    by,
    method: CheckInMethod,
    desk: str | None,
    at: datetime,
    now: datetime,
) -> CheckInResult:
    """Record an arrival a desk saw at `at` and reports now (it kept it while offline): the
    check-in keeps that moment. The earliest moment wins: a report earlier than the
    check-in recorded takes its place (its time, desk and staff member); a later one is
    told ALREADY, with the check-in that stays. Every report that changes nothing but is
    a desk's own attempt leaves an audit record, so the log shows both desks. The same
    report sent twice (its answer lost on the way) is CHECKED_IN again and writes nothing.

    ReportedTimeRefused when `at` cannot be true (check_reported_time).
    """
    at = at.astimezone(UTC)
    check_reported_time(seminar, at, now)
    refused = _no_entry(registration, seminar.id)
    if refused is not None:
        return refused
    first = None
    # Twice at most: an undo at another desk may delete the row between the two statements.
    for _attempt in range(2):
        made = _record_check_in(
            session, registration, by=by, method=method, desk=desk, now=at, reported=True
        )
        if made is not None:
            return CheckInResult(Outcome.CHECKED_IN, registration, made)
        first = _locked_check_in(session, registration.id)
        if first is not None:
            break
    if first is None:
        raise RuntimeError(f"check-in of registration {registration.id} kept vanishing")
    if first.checked_in_at == at and first.desk == desk:
        return CheckInResult(Outcome.CHECKED_IN, registration, first)
    details = {
        "seminar_id": seminar.id,
        "method": method,
        "desk": desk,
        "checked_in_at": at.isoformat(),
    }
    if at < first.checked_in_at:
        replaced = ReplacedCheckIn(first.desk, first.checked_in_at)
        first.checked_in_at = at
        first.desk = desk
        first.method = method
        first.checked_in_by_id = getattr(by, "id", None)
        details["replaces"] = {
            "desk": replaced.desk,
            "checked_in_at": replaced.checked_in_at.isoformat(),
        }
        record(
            session,
            "attendance.checked_in",
            "registration",
            registration.id,
            actor=by,
            details=details,
        )
        return CheckInResult(Outcome.CHECKED_IN, registration, first, replaced=replaced)
    details["first"] = {"desk": first.desk, "checked_in_at": first.checked_in_at.isoformat()}
    record(
        session,
        "attendance.check_in_repeated",
        "registration",
        registration.id,
        actor=by,
        details=details,
    )
    return CheckInResult(Outcome.ALREADY, registration, first)


@dataclass(frozen=True)
class ReportedCheckIn:
    """A check-in a desk kept and sends: the person (by registration or by ticket code, as
    the desk found them), the moment, the desk and how."""

    key: str
    at: datetime
    desk: str | None
    method: CheckInMethod
    registration_id: int | None = None
    code: str | None = None


@dataclass
class ReportAnswer:
    """The answer to one report: its result, or why it was refused."""

    report: ReportedCheckIn
    result: CheckInResult | None = None
    problems: dict[str, str] | None = None


def record_reported(
    session: DbSession, seminar: Seminar, reports: Sequence[ReportedCheckIn], *, by, now: datetime
) -> list[ReportAnswer]:
    """Record a desk's reports (admit_reported), in one transaction; answers in the order
    of the reports. The people are found first, then admitted in the order of their
    registrations, so that two desks sending the same people lock their rows in the same
    order and never wait for each other in a circle."""
    begin_write(session)  # SQLite: read then write, so hold the write lock from the start
    ids = {report.registration_id for report in reports if report.registration_id is not None}
    codes = {code for report in reports if (code := ticket_code_of(report.code)) is not None}
    found = session.scalars(
        select(Registration).where(
            or_(
                Registration.id.in_(ids) if ids else false(),
                Registration.ticket_code.in_(codes) if codes else false(),
            )
        )
    ).all()
    by_id = {registration.id: registration for registration in found}
    by_code = {registration.ticket_code: registration for registration in found}
    whom = [
        by_id.get(report.registration_id)
        if report.registration_id is not None
        else by_code.get(ticket_code_of(report.code) or "")
        for report in reports
    ]
    answers: dict[int, ReportAnswer] = {}
    for n in sorted(range(len(reports)), key=lambda n: getattr(whom[n], "id", 0)):
        report, registration = reports[n], whom[n]
        if registration is None:
            answers[n] = ReportAnswer(report, CheckInResult(Outcome.UNKNOWN))
            continue
        try:
            result = admit_reported(
                session,
                registration,
                seminar,
                by=by,
                method=report.method,
                desk=report.desk,
                at=report.at,
                now=now,
            )
        except ReportedTimeRefused as refusal:
            answers[n] = ReportAnswer(report, problems=refusal.problems)
        else:
            answers[n] = ReportAnswer(report, result)
    return [answers[n] for n in range(len(reports))]


def undo(
    session: DbSession, seminar_id: int, registration_id: int, *, by, desk: str | None
) -> bool:
    check_in = session.scalar(
        select(CheckIn)
        .join(Registration)
        .where(CheckIn.registration_id == registration_id, Registration.seminar_id == seminar_id)
    )
    if check_in is None:
        return False
    session.delete(check_in)
    record(
        session,
        "attendance.check_in_undone",
        "registration",
        registration_id,
        actor=by,
        details={
            "seminar_id": seminar_id,
            "desk": desk,
            "was_checked_in_at": check_in.checked_in_at.isoformat(),
        },
    )
    return True


def at_the_door(session: DbSession, seminar_id: int) -> ColumnElement[bool]:
    """SQL: the registrations the desk expects, those with a seat at the venue: at a hybrid
    seminar not those who chose online (the desk shows them apart), else everyone."""
    seminar = session.get(Seminar, seminar_id)
    if seminar is None:
        return true()
    return registrations.attending_in(seminar, AttendanceMode.VENUE)


def counts(session: DbSession, seminar_id: int) -> tuple[int, int]:
    """(checked in, expected) for the desk's live counter: the confirmed seats at the door
    (of a hybrid seminar, the venue's), and how many of them are checked in."""
    checked_in, confirmed = session.execute(
        select(func.count(CheckIn.id), func.count(Registration.id))
        .select_from(Registration)
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(
            Registration.seminar_id == seminar_id,
            Registration.status == RegistrationStatus.CONFIRMED,
            at_the_door(session, seminar_id),
        )
    ).one()
    return checked_in, confirmed


def online_list(session: DbSession, seminar_id: int) -> list[tuple[Registration, CheckIn | None]]:
    """A hybrid seminar's confirmed people who chose online (not expected at the door), in
    五十音 order with any check-in (someone may come after all); [] for any other seminar."""
    seminar = session.get(Seminar, seminar_id)
    if seminar is None or not seminar.is_hybrid:
        return []
    return [
        (registration, check_in)
        for registration, check_in in session.execute(
            select(Registration, CheckIn)
            .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
            .where(
                Registration.seminar_id == seminar_id,
                Registration.status == RegistrationStatus.CONFIRMED,
                registrations.attending_in(seminar, AttendanceMode.ONLINE),
            )
            .order_by(Registration.name_kana, Registration.name, Registration.id)
        )
    ]


def search(session: DbSession, seminar_id: int, text: str, limit: int = 30):
    """Registrations matching a name, ふりがな, e-mail or organization, with their check-in."""
    term = normalize_text(text).lower()
    if not term:
        return []
    rows = session.execute(
        select(Registration, CheckIn)
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(
            Registration.seminar_id == seminar_id,
            or_(
                Registration.name.icontains(term, autoescape=True),
                Registration.name_kana.icontains(term, autoescape=True),
                Registration.email_key.contains(term, autoescape=True),
                Registration.organization.icontains(term, autoescape=True),
            ),
        )
        .order_by(Registration.name_kana, Registration.id)
        .limit(limit)
    ).all()
    return [(registration, check_in) for registration, check_in in rows]


def walk_in(
    session: DbSession,
    seminar_id: int,
    details: ParticipantDetails,
    *,
    by,
    desk: str | None,
    now: datetime,
    privacy_notice_version: str,
) -> tuple[Registration, bool]:
    """当日参加: a confirmed registration checked in at once, past the capacity if need be.

    Returns the registration and whether the seminar is now over its capacity.
    """
    seminar = registrations.lock_seminar(session, seminar_id)
    existing = registrations.find_active(session, seminar_id, details.email_key)
    if existing is not None:
        raise registrations.AlreadyRegistered(existing)
    registration = registrations.new_registration(
        seminar,
        details,
        RegistrationStatus.CONFIRMED,
        now=now,
        privacy_notice_version=privacy_notice_version,
        source="desk",
        # Whoever walks in to the desk attends at the venue, hybrid seminar or not.
        attendance_mode=AttendanceMode.VENUE,
    )
    session.add(registration)
    session.flush()
    record(
        session,
        "registration.created",
        "registration",
        registration.id,
        actor=by,
        details={"seminar_id": seminar_id, "status": "confirmed", "source": "desk"},
    )
    _record_check_in(session, registration, by=by, method=CheckInMethod.WALK_IN, desk=desk, now=now)
    record(
        session,
        "attendance.checked_in",
        "registration",
        registration.id,
        actor=by,
        details={"seminar_id": seminar_id, "method": "walk-in", "desk": desk},
    )
    at_venue = registrations.seats_taken(session, seminar_id) - (
        registrations.seats_taken_online(session, seminar)
    )
    return registration, at_venue > (seminar.capacity or 0)


@dataclass
class AttendanceRow:
    registration: Registration
    check_in: CheckIn | None
    online: OnlineAttendance | None
    #: Minutes online from which the platform's report counts someone as attended.
    minimum: int = 0

    @property
    def online_attended(self) -> bool:
        return self.online is not None and online_long_enough(self.online.minutes, self.minimum)

    @property
    def attended(self) -> bool:
        return has_attended(self.registration, self.check_in, self.online, self.minimum)

    @property
    def how(self) -> str:
        """'venue', 'online', 'both' or '' — how the person attended."""
        if self.check_in is not None and self.online_attended:
            return "both"
        if self.check_in is not None:
            return "venue"
        return "online" if self.online_attended else ""


def attendance_rows(session: DbSession, seminar_id: int) -> list[AttendanceRow]:
    """Every confirmed registration (walk-ins included) with how, if at all, they attended."""
    rows = (
        session.execute(
            select(Registration, CheckIn, OnlineAttendance)
            .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
            .outerjoin(OnlineAttendance, OnlineAttendance.registration_id == Registration.id)
            .where(
                Registration.seminar_id == seminar_id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(Registration.name_kana, Registration.id)
        )
        .tuples()
        .all()
    )
    minimum = session.get_one(Seminar, seminar_id).min_online_minutes
    return [
        AttendanceRow(registration, check_in, online, minimum=minimum)
        for registration, check_in, online in rows
    ]


@dataclass
class ImportResult:
    matched: int
    unmatched: list[Attendee]
    anonymous: list[tuple[int, str, int]]


def import_report(
    session: DbSession, seminar: Seminar, report: Report, *, by, now: datetime
) -> ImportResult:
    """Record each matched person's minutes (replacing an earlier import's), in one go."""
    confirmed = {
        registration.email_key: registration
        for registration in session.scalars(
            select(Registration).where(
                Registration.seminar_id == seminar.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
    }
    existing = {
        row.registration_id: row
        for row in session.scalars(
            select(OnlineAttendance).join(Registration).where(Registration.seminar_id == seminar.id)
        )
    }
    unmatched = []
    for email, attendee in report.attendees.items():
        registration = confirmed.get(email)
        if registration is None:
            unmatched.append(attendee)
            continue
        row = existing.get(registration.id)
        if row is None:
            row = OnlineAttendance(
                registration_id=registration.id, first_joined_at=attendee.first_join or now
            )
            session.add(row)
        elif attendee.first_join and attendee.first_join < row.first_joined_at:
            row.first_joined_at = attendee.first_join
        row.minutes = attendee.minutes
    matched = len(report.attendees) - len(unmatched)
    record(
        session,
        "attendance.report_imported",
        "seminar",
        seminar.id,
        actor=by,
        details={
            "matched": matched,
            "unmatched": len(unmatched),
            "without_address": len(report.anonymous),
        },
    )
    return ImportResult(matched, unmatched, report.anonymous)


def set_head_count(session: DbSession, seminar: Seminar, count: int | None, *, by) -> None:
    """An organizer's count of attendees, for seminars the agency did not register itself."""
    if count is not None and not 0 <= count <= MAX_HEAD_COUNT:
        raise ValueError("head count out of range")
    before = seminar.head_count
    seminar.head_count = count
    record(
        session,
        "attendance.head_count_set",
        "seminar",
        seminar.id,
        actor=by,
        details={"from": before, "to": count},
    )


#: The rows of the 五十音 table a desk's list is filtered by, and what "other" holds.
KANA_ROWS = ("あ", "か", "さ", "た", "な", "は", "ま", "や", "ら", "わ")
OTHER_ROW = "other"
_ROW_OF = {
    char: row
    for row, chars in zip(
        KANA_ROWS,
        (
            "あいうえおぁぃぅぇぉゔ",
            "かきくけこ",
            "さしすせそ",
            "たちつてとっ",
            "なにぬねの",
            "はひふへほ",
            "まみむめも",
            "やゆよゃゅょ",
            "らりるれろ",
            "わをんゐゑゎ",
        ),
        strict=True,
    )
    for char in chars
}


def kana_row(reading: str | None) -> str:
    """The 五十音 row of a reading's first sound (が → か, パ → は); other: no kana reading."""
    first = unicodedata.normalize("NFD", (reading or "").strip()[:1])[:1]
    if "\u30a1" <= first <= "\u30f6":  # katakana to hiragana
        first = chr(ord(first) - 0x60)
    return _ROW_OF.get(first, OTHER_ROW)


@dataclass(frozen=True)
class DeskRow:
    """One row of the 五十音 filter: its people expected and checked in so far."""

    row: str
    expected: int
    checked_in: int


def desk_list(
    session: DbSession, seminar_id: int, row: str | None = None
) -> tuple[list[tuple[Registration, CheckIn | None]], list[DeskRow]]:
    """Everyone expected at the door (confirmed seats, walk-ins included; of a hybrid
    seminar those at the venue) in 五十音 order, only those of `row` when one is given, and
    the counts of every row for the filter."""
    everyone = session.execute(
        select(Registration, CheckIn)
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(
            Registration.seminar_id == seminar_id,
            Registration.status == RegistrationStatus.CONFIRMED,
            at_the_door(session, seminar_id),
        )
        .order_by(Registration.name_kana, Registration.name, Registration.id)
    ).all()
    by_row: dict[str, list[tuple[Registration, CheckIn | None]]] = {}
    for registration, check_in in everyone:
        by_row.setdefault(kana_row(registration.name_kana), []).append((registration, check_in))
    rows = [
        DeskRow(name, len(people), sum(check_in is not None for _r, check_in in people))
        for name in (*KANA_ROWS, OTHER_ROW)
        if (people := by_row.get(name))
    ]
    shown = by_row.get(row, []) if row else [tuple(pair) for pair in everyone]
    return shown, rows


@dataclass(frozen=True)
class RosterEntry:
    """What a desk keeps of one registration to answer scans and searches offline: what
    the desk page shows of the person, and nothing more."""

    registration_id: int
    ticket_code: str
    name: str
    name_kana: str
    organization: str | None
    status: RegistrationStatus
    #: At a hybrid seminar, chose to attend online: not expected at the door.
    online: bool
    #: The 五十音 row of the reading (kana_row), for the desk list's filter.
    row: str
    checked_in_at: datetime | None
    desk: str | None


def desk_roster(session: DbSession, seminar: Seminar) -> list[RosterEntry]:
    """Every registration of the seminar with its check-in, in the desk list's order:
    those with a seat to admit them, the others to say why not (cancelled, waitlisted)."""
    online = registrations.attending_in(seminar, AttendanceMode.ONLINE)
    rows = session.execute(
        select(
            Registration.id,
            Registration.ticket_code,
            Registration.name,
            Registration.name_kana,
            Registration.organization,
            Registration.status,
            online if seminar.is_hybrid else false(),
            CheckIn.checked_in_at,
            CheckIn.desk,
        )
        .outerjoin(CheckIn, CheckIn.registration_id == Registration.id)
        .where(Registration.seminar_id == seminar.id)
        .order_by(Registration.name_kana, Registration.name, Registration.id)
    ).all()
    return [
        RosterEntry(
            registration_id=id_,
            ticket_code=code,
            name=name,
            name_kana=kana,
            organization=organization,
            status=status,
            online=bool(is_online),
            row=kana_row(kana),
            checked_in_at=checked_in_at,
            desk=desk,
        )
        for id_, code, name, kana, organization, status, is_online, checked_in_at, desk in rows
    ]
