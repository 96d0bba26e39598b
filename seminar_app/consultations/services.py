"""Rules of the consultation desk: clients, recording a consultation, who reads the notes."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..domain import Attribute, EmployeeBand, Role
from ..reference import INDUSTRIES, PREFECTURES
from ..text import organization_key
from .models import Channel, Client, Consultation, Source, Topic

_CORPORATE_NUMBER = re.compile(r"^\d{13}$")


class ConsultationError(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def find_or_create_client(
    session: Session, name: str | None, corporate_number: str | None
) -> Client | None:
    """Match by 法人番号 where given, else by the normalised name; create when new."""
    number = unicodedata.normalize("NFKC", corporate_number or "").strip() or None
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


def read_notes(session: Session, consultation: Consultation, user) -> str | None:
    """The notes, for those who may read them; every read leaves an audit record."""
    if not may_read_notes(user, consultation):
        raise PermissionError("not allowed to read these notes")
    record(session, "consultation.notes_read", "consultation", consultation.id, actor=user)
    return consultation.notes


@dataclass
class ConsultationInput:
    held_on: date
    channel: str
    attribute: str
    topics: list[str]
    source: str
    employee_band: str | None = None
    industry: str | None = None
    prefecture: str | None = None
    step: int | None = None
    organization: str | None = None
    corporate_number: str | None = None
    notes: str | None = None


def _problems(values: ConsultationInput) -> dict[str, str]:
    problems = {}
    checks = (
        ("channel", Channel, False),
        ("attribute", Attribute, False),
        ("source", Source, False),
        ("employee_band", EmployeeBand, True),
    )
    for name, enum, optional in checks:
        value = getattr(values, name)
        if not (optional and value is None) and value not in {m.value for m in enum}:
            problems[name] = f"one of {', '.join(m.value for m in enum)}"
    if values.industry is not None and values.industry not in INDUSTRIES:
        problems["industry"] = "a JSIC major group, A to T"
    if values.prefecture is not None and values.prefecture not in PREFECTURES:
        problems["prefecture"] = "a JIS X 0401 code, 01 to 47"
    unknown = [topic for topic in values.topics if topic not in {t.value for t in Topic}]
    if not values.topics or unknown:
        problems["topics"] = "one or more of " + ", ".join(t.value for t in Topic)
    if values.step is not None and not 1 <= values.step <= 7:
        problems["step"] = "a step of the seven-step support, 1 to 7"
    if values.corporate_number and not _CORPORATE_NUMBER.match(
        unicodedata.normalize("NFKC", values.corporate_number).strip()
    ):
        problems["corporate_number"] = "13 digits"
    return problems


def record_consultation(
    session: Session, values: ConsultationInput, *, advisor, by
) -> Consultation:
    problems = _problems(values)
    if problems:
        raise ConsultationError(problems)
    consultation = Consultation(
        held_on=values.held_on,
        channel=values.channel,
        advisor_id=getattr(advisor, "id", None),
        client=find_or_create_client(session, values.organization, values.corporate_number),
        attribute=values.attribute,
        employee_band=values.employee_band,
        industry=values.industry,
        prefecture=values.prefecture,
        topics=";".join(sorted(set(values.topics))),
        source=values.source,
        step=values.step,
        notes=values.notes,
    )
    session.add(consultation)
    session.flush()
    record(session, "consultation.recorded", "consultation", consultation.id, actor=by)
    return consultation
