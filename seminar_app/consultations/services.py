"""Rules of the consultation desk: clients, recording a consultation, who reads the notes."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import joinedload

from ..attendance.attended import attended_condition, registrations_with_attendance
from ..audit.services import record
from ..auth.models import User
from ..catalogue.models import Seminar
from ..database import DbSession
from ..domain import (
    Attribute,
    Channel,
    DispatchState,
    EmployeeBand,
    Referral,
    Role,
    Source,
    Topic,
    Vocabulary,
)
from ..problems import FieldProblems
from ..reference import INDUSTRIES, PREFECTURAL_DESKS, PREFECTURES
from ..registration.models import Registration
from ..text import normalize_corporate_number, organization_key
from ..timeutil import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    fiscal_year_dates,
    fiscal_year_of,
    is_accepted_fiscal_year,
    to_jst,
)
from .desks import default_desk, desks_in_order
from .models import Client, Consultation, Desk


class ConsultationError(FieldProblems):
    """A consultation refused."""


def find_or_create_client(
    session: DbSession, name: str | None, corporate_number: str | None
) -> Client | None:
    """Match by 法人番号 where given (as text.normalize_corporate_number keeps it; callers
    have checked it), else by the normalised name; create when new."""
    number = normalize_corporate_number(corporate_number)[0]
    name = " ".join(unicodedata.normalize("NFKC", name or "").split()) or None
    if number is not None:
        client = session.scalar(select(Client).where(Client.corporate_number == number))
        if client is not None:
            return client
    if name is None:
        return None
    key = organization_key(name)
    client = session.scalar(select(Client).where(Client.name_key == key).order_by(Client.id))
    if client is None:
        client = Client(name=name, name_key=key, corporate_number=number)
        session.add(client)
    elif number is not None and client.corporate_number is None:
        client.corporate_number = number
    return client


def may_see_desk(user) -> bool:
    """Organizers and advisors work with consultations; lecturers and reception do not."""
    return bool(
        getattr(user, "is_authenticated", False) and user.has_role(Role.ORGANIZER, Role.ADVISOR)
    )


def may_read_notes(user, consultation: Consultation) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.ORGANIZER):
        return True
    return user.has_role(Role.ADVISOR) and consultation.advisor_id == user.id


def read_notes(session: DbSession, consultation: Consultation, user) -> str | None:
    """The notes, for those who may read them; every read leaves an audit record."""
    if not may_read_notes(user, consultation):
        raise PermissionError("not allowed to read these notes")
    record(session, "consultation.notes_read", "consultation", consultation.id, actor=user)
    return consultation.notes


@dataclass
class ConsultationInput:
    #: None when the door received no date: the rules refuse it.
    held_on: date | None
    channel: str
    attribute: str
    #: Topic identifiers (members of Topic, or their text): one or more.
    topics: list[str]
    source: str
    employee_band: str | None = None
    industry: str | None = None
    prefecture: str | None = None
    step: int | None = None
    organization: str | None = None
    corporate_number: str | None = None
    notes: str | None = None
    #: The code of the desk that held it; None: the only, or first, active desk.
    desk: str | None = None
    #: The prefectural desk that referred the client (JIS prefecture code), if one did.
    referring_desk: str | None = None
    #: Where the client was referred on to (members of Referral, or their text): none or more.
    referrals: list[str] = field(default_factory=list)


def _one_of(enum: type[Vocabulary]) -> LazyString:
    return _l("one of %(choices)s", choices=", ".join(member.value for member in enum))


def _coded(enum: type[Vocabulary], *, optional: bool = False) -> Callable[[Any], bool]:
    allowed = {member.value for member in enum}
    return lambda value: (optional and value is None) or value in allowed


def _absent_or_in(table: Mapping[str, Any]) -> Callable[[str | None], bool]:
    return lambda value: value is None or value in table


def _are_known_topics(topics: list[str]) -> bool:
    allowed = {topic.value for topic in Topic}
    return bool(topics) and all(topic in allowed for topic in topics)


def _is_step(step: int | None) -> bool:
    return step is None or 1 <= step <= 7


def _is_corporate_number(number: str | None) -> bool:
    return normalize_corporate_number(number)[1] is None


def _are_known_referrals(referrals: list[str]) -> bool:
    allowed = {referral.value for referral in Referral}
    return all(referral in allowed for referral in referrals)


def _names_an_organization(name: str | None) -> bool:
    """A name, if given, must be more than a company form (株式会社, (株)): it names the
    client, and a bare form would match every company."""
    return not (name or "").strip() or organization_key(name) is not None


def _in_accepted_year(held_on: date | None) -> bool:
    return held_on is not None and is_accepted_fiscal_year(fiscal_year_of(held_on))


#: Field → whether a value is acceptable, and what the field must hold (a phrase in the
#: reader's language that each door words: the form "Enter …" or "Choose …", the importer
#: "column “value” is not …"); in form order.
_FIELD_RULES: dict[str, tuple[Callable[[Any], bool], LazyString]] = {
    "channel": (_coded(Channel), _one_of(Channel)),
    "attribute": (_coded(Attribute), _one_of(Attribute)),
    "source": (_coded(Source), _one_of(Source)),
    "employee_band": (_coded(EmployeeBand, optional=True), _one_of(EmployeeBand)),
    "industry": (_absent_or_in(INDUSTRIES), _l("a JSIC major group, A to T")),
    "prefecture": (_absent_or_in(PREFECTURES), _l("a JIS X 0401 code, 01 to 47")),
    "topics": (_are_known_topics, _l("at least one topic")),
    "step": (_is_step, _l("a step of the seven-step support, 1 to 7")),
    "corporate_number": (_is_corporate_number, _l("13 digits whose check digit matches")),
    "organization": (
        _names_an_organization,
        _l("a name beyond the company form (株式会社 alone names no one)"),
    ),
    "held_on": (
        _in_accepted_year,
        _l(
            "a date in a fiscal year from %(first)d to %(last)d",
            first=FIRST_FISCAL_YEAR,
            last=LAST_FISCAL_YEAR,
        ),
    ),
    "referring_desk": (
        _absent_or_in(PREFECTURAL_DESKS),
        _l("a prefectural IP comprehensive support desk from the list"),
    ),
    "referrals": (
        _are_known_referrals,
        _l(
            "none or more of %(choices)s",
            choices=", ".join(referral.value for referral in Referral),
        ),
    ),
}
#: What the desk must be: given only when a desk is refused.
_ACTIVE_DESK = _l("an active desk")


def active_desks(session: DbSession) -> list[Desk]:
    """The desks that take new consultations, in their order."""
    return desks_in_order(session, active_only=True)


def _desk_for(
    session: DbSession, code: str | None, consultation: Consultation | None
) -> Desk | None:
    """The desk named by code: an active one, or the one the consultation already has; the
    first active desk when no code is given. None when the code names no such desk."""
    if not code:
        if consultation is not None and consultation.desk_id is not None:
            return consultation.desk
        return default_desk(session)
    desk = session.scalar(select(Desk).where(Desk.code == code))
    if desk is None:
        return None
    if desk.active or (consultation is not None and consultation.desk_id == desk.id):
        return desk
    return None


def value_problems(values: ConsultationInput) -> dict[str, str]:
    """Field → what it must hold, in the reader's language, for each value the rules refuse
    (the desk aside)."""
    return {
        name: str(must_hold)
        for name, (acceptable, must_hold) in _FIELD_RULES.items()
        if not acceptable(getattr(values, name))
    }


def _problems(
    session: DbSession, values: ConsultationInput, consultation: Consultation | None = None
) -> tuple[dict[str, str], Desk | None]:
    """value_problems, and the desk: "desk" is refused when no active desk has the code."""
    problems = value_problems(values)
    desk = _desk_for(session, values.desk, consultation)
    if desk is None:
        problems["desk"] = str(_ACTIVE_DESK)
    return problems, desk


def _apply(
    session: DbSession,
    consultation: Consultation,
    values: ConsultationInput,
    desk: Desk,
    held_on: date,
) -> None:
    consultation.held_on = held_on
    consultation.desk = desk
    consultation.referring_desk = values.referring_desk
    consultation.referrals = values.referrals
    consultation.channel = Channel(values.channel)
    consultation.client = find_or_create_client(
        session, values.organization, values.corporate_number
    )
    consultation.attribute = Attribute(values.attribute)
    consultation.employee_band = (
        None if values.employee_band is None else EmployeeBand(values.employee_band)
    )
    consultation.industry = values.industry
    consultation.prefecture = values.prefecture
    consultation.topics = values.topics
    consultation.source = Source(values.source)
    consultation.step = values.step


def record_consultation(
    session: DbSession, values: ConsultationInput, *, advisor: User | None, by: User | None
) -> Consultation:
    problems, desk = _problems(session, values)
    if problems or desk is None or values.held_on is None:
        raise ConsultationError(problems)
    consultation = Consultation(advisor_id=getattr(advisor, "id", None), notes=values.notes)
    _apply(session, consultation, values, desk, values.held_on)
    session.add(consultation)
    session.flush()
    record(session, "consultation.recorded", "consultation", consultation.id, actor=by)
    return consultation


def update_consultation(
    session: DbSession,
    consultation: Consultation,
    values: ConsultationInput,
    *,
    advisor: User | None,
    by: User | None,
) -> None:
    """Correct a record: organizers and the record's advisor, those who read its notes."""
    if not may_read_notes(by, consultation):
        raise PermissionError("not allowed to change this consultation")
    problems, desk = _problems(session, values, consultation)
    if problems or desk is None or values.held_on is None:
        raise ConsultationError(problems)
    _apply(session, consultation, values, desk, values.held_on)
    consultation.advisor_id = getattr(advisor, "id", None)
    consultation.notes = values.notes
    record(session, "consultation.updated", "consultation", consultation.id, actor=by)


def consultations_of_year(
    session: DbSession,
    fiscal_year: int,
    *,
    client_id: int | None = None,
    desk_id: int | None = None,
) -> list[Consultation]:
    """The year's consultations (1 April – 31 March), newest first, with client and advisor."""
    start, end = fiscal_year_dates(fiscal_year)
    query = (
        select(Consultation)
        .where(Consultation.held_on >= start, Consultation.held_on < end)
        .options(joinedload(Consultation.client), joinedload(Consultation.advisor))
        .order_by(Consultation.held_on.desc(), Consultation.id.desc())
    )
    if client_id is not None:
        query = query.where(Consultation.client_id == client_id)
    if desk_id is not None:
        query = query.where(Consultation.desk_id == desk_id)
    return list(session.scalars(query))


def clients_overview(session: DbSession, search: str = "") -> list[tuple[Client, int, date, int]]:
    """Clients with their number of consultations, the last one, and the highest step."""
    query = (
        select(
            Client,
            func.count(Consultation.id),
            func.max(Consultation.held_on),
            func.max(Consultation.step),
        )
        .outerjoin(Consultation, Consultation.client_id == Client.id)
        .group_by(Client.id)
        .order_by(func.max(Consultation.held_on).desc(), Client.name)
    )
    key = organization_key(search)
    if key:
        query = query.where(
            or_(
                Client.name_key.contains(key, autoescape=True),
                Client.corporate_number == unicodedata.normalize("NFKC", search).strip(),
            )
        )
    return [tuple(row) for row in session.execute(query.limit(500))]


def of_client(client: Client, name_key: Any, corporate_number: Any) -> ColumnElement[bool]:
    """What a client's people and requests are found by, given the columns of their
    normalised organization and corporate number: the same number, or the same name."""
    same_name = name_key == client.name_key
    if client.corporate_number is None:
        return same_name
    return or_(same_name, corporate_number == client.corporate_number)


@dataclass(frozen=True)
class DispatchMention:
    """A lecturer-dispatch request of the client, as its timeline shows it."""

    request_id: int
    state: DispatchState


@dataclass
class HistoryEntry:
    """One line of a client's support history: a consultation, a seminar attended, a
    lecturer-dispatch request (on the day it was received) or its in-company seminar."""

    day: date
    kind: str  # "consultation", "seminar", "dispatch" or "dispatch-seminar"
    consultation: Consultation | None = None
    seminar: Seminar | None = None
    people: int = 0
    dispatch: DispatchMention | None = None


#: Entries that a feature above this package adds to a client's timeline (lecturer
#: dispatch): each takes the session and the client and gives its entries.
TimelineSource = Callable[[DbSession, Client], list[HistoryEntry]]
_TIMELINE_SOURCES: dict[str, TimelineSource] = {}


def timeline_source(name: str) -> Callable[[TimelineSource], TimelineSource]:
    """Register a feature's entries of the client's timeline under `name`, as
    notifications.renderer registers a feature's mails."""

    def register(source: TimelineSource) -> TimelineSource:
        _TIMELINE_SOURCES[name] = source
        return source

    return register


def client_history(session: DbSession, client: Client) -> tuple[list[HistoryEntry], int | None]:
    """Consultations, seminars attended by the client's people and the entries of the
    timeline sources (its lecturer-dispatch requests and their seminars), oldest first, and
    the highest of the seven steps reached.

    Seminars are found through registrations whose organization normalises to the
    client's name (text.organization_key) and that were attended (door or online).
    """
    entries = [
        HistoryEntry(day=consultation.held_on, kind="consultation", consultation=consultation)
        for consultation in session.scalars(
            select(Consultation)
            .where(Consultation.client_id == client.id)
            .options(joinedload(Consultation.advisor))
        )
    ]
    attended = session.execute(
        registrations_with_attendance()
        .with_only_columns(Seminar, func.count(Registration.id))
        .where(
            of_client(client, Registration.organization_key, Registration.corporate_number),
            attended_condition(),
        )
        .group_by(Seminar.id)
    ).all()
    entries += [
        HistoryEntry(
            day=to_jst(seminar.starts_at).date(), kind="seminar", seminar=seminar, people=people
        )
        for seminar, people in attended
    ]
    for source in _TIMELINE_SOURCES.values():
        entries += source(session, client)
    entries.sort(key=lambda entry: (entry.day, entry.kind))
    steps = [
        entry.consultation.step
        for entry in entries
        if entry.consultation and entry.consultation.step
    ]
    return entries, max(steps, default=None)
