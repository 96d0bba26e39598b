"""A demo past fiscal year, so that every report, chart and slide shows figures at first start.

`flask demo load` (run by `make run`, skipped with DEMO_DATA=off) fills the fiscal year
before the current one with fictional seminars, registrations, check-ins, online attendance,
survey answers and consultations, all through the services every door uses. Everything it
makes is marked as demo: slugs begin with `demo-`, people and companies are named （デモ）,
addresses use the reserved domain example.jp. It runs once; a second run changes nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from .attendance.attended import attended
from .attendance.models import CheckIn, OnlineAttendance
from .attendance.services import set_head_count
from .catalogue import lifecycle
from .catalogue.models import Seminar
from .catalogue.rules import SeminarFields
from .consultations.services import ConsultationInput, record_consultation
from .database import DbSession
from .domain import (
    AttendanceMode,
    Attribute,
    Channel,
    CheckInMethod,
    Delivery,
    EmployeeBand,
    HeardFrom,
    HostType,
    Level,
    RegistrationStatus,
    Series,
    Source,
    Topic,
)
from .registration.details import parse_details
from .registration.services import new_registration
from .surveys import services as surveys
from .timeutil import fiscal_year_of, jst_datetime

#: Who the demo's changes are recorded as in the audit log.
DEMO = "demo"
SLUG_PREFIX = "demo-"
#: The same demo every time: the figures in a screenshot or a manual stay true.
SEED = 2020

#: (month, day, series, level, delivery, capacity) of the demo year's agency seminars.
PROGRAMME = (
    (6, 12, Series.TRADE_SECRET_IP_STRATEGY, Level.BEGINNER, Delivery.ONLINE, 80),
    (7, 17, Series.IP_UTILIZATION, None, Delivery.IN_PERSON, 40),
    (9, 25, Series.TRADE_SECRET_IP_STRATEGY, Level.INTERMEDIATE, Delivery.HYBRID, 50),
    (11, 20, Series.IP_UTILIZATION, None, Delivery.ONLINE, 100),
    (12, 11, Series.TRADE_SECRET_IP_STRATEGY, Level.WORKSHOP, Delivery.IN_PERSON, 24),
    (2, 18, Series.TRADE_SECRET_IP_STRATEGY, Level.BEGINNER_INTERMEDIATE, Delivery.ONLINE, 80),
)
#: (month, day, host type, delivery, organization, head-count) of talks counted by hand.
COUNTED = (
    (8, 5, HostType.IN_COMPANY, Delivery.IN_PERSON, "（デモ）株式会社みなと精機", 32),
    (10, 14, HostType.IN_COMPANY, Delivery.ONLINE, "（デモ）さくら食品工業株式会社", 18),
    (1, 22, HostType.EXTERNAL, Delivery.IN_PERSON, "（デモ）あおば地域産業振興協会", 75),
)
TITLES = {
    Series.TRADE_SECRET_IP_STRATEGY: "営業秘密・知財戦略セミナー",
    Series.IP_UTILIZATION: "知財活用支援セミナー",
}
LEVEL_NAMES = {
    Level.BEGINNER: "初級",
    Level.INTERMEDIATE: "中級",
    Level.BEGINNER_INTERMEDIATE: "初中級",
    Level.WORKSHOP: "ワークショップ",
}
FAMILY = tuple(
    pair.split(":")
    for pair in [
        "佐藤:さとう",
        "鈴木:すずき",
        "高橋:たかはし",
        "田中:たなか",
        "伊藤:いとう",
        "渡辺:わたなべ",
        "山本:やまもと",
        "中村:なかむら",
        "小林:こばやし",
        "加藤:かとう",
    ]
)
GIVEN = tuple(
    pair.split(":")
    for pair in [
        "花子:はなこ",
        "太郎:たろう",
        "美咲:みさき",
        "健一:けんいち",
        "陽子:ようこ",
        "翔太:しょうた",
        "真理:まり",
        "大輔:だいすけ",
    ]
)
COMPANIES = tuple(
    [
        "みなと精機",
        "さくら食品工業",
        "ひかり化成",
        "あおぞら電子",
        "つばさ物流",
        "こだま製薬",
        "いぶき工務店",
        "はやぶさソフト",
    ]
)


def demo_year(now: datetime) -> int:
    """The fiscal year the demo fills: the one before the current."""
    return fiscal_year_of(now) - 1


def is_loaded(session: DbSession) -> bool:
    return (
        session.scalar(select(Seminar.id).where(Seminar.slug.startswith(SLUG_PREFIX))) is not None
    )


def _day(fiscal_year: int, month: int, day: int) -> date:
    return date(fiscal_year if month >= 4 else fiscal_year + 1, month, day)


def _person(rng: random.Random, number: int) -> dict[str, str]:
    family, family_kana = rng.choice(FAMILY)
    given, given_kana = rng.choice(GIVEN)
    attribute = rng.choices(
        [Attribute.SME, Attribute.LARGE_COMPANY, Attribute.INDIVIDUAL, Attribute.UNIVERSITY],
        weights=[70, 15, 10, 5],
    )[0]
    company = rng.choice(COMPANIES)
    return {
        "name": f"（デモ）{family} {given}",
        "name_kana": f"{family_kana} {given_kana}",
        "email": f"demo{number}@example.jp",
        "organization": f"（デモ）株式会社{company}" if attribute != Attribute.INDIVIDUAL else "",
        "prefecture": rng.choice(["13", "13", "13", "14", "11", "12", "27", "23"]),
        "attribute": attribute,
        "employee_band": rng.choice(list(EmployeeBand))
        if attribute in (Attribute.SME, Attribute.LARGE_COMPANY)
        else "",
        "industry": rng.choice("EEEGIKL"),
        "heard_from": rng.choice(list(HeardFrom)),
    }


def _seminar(session: DbSession, fields: SeminarFields, slug: str, now: datetime) -> Seminar:
    seminar = lifecycle.create_seminar(session, fields, [], slug=slug, label=DEMO)
    lifecycle.publish(session, seminar, now, label=DEMO)
    return seminar


def _attendees(session: DbSession, rng: random.Random, seminar: Seminar, capacity: int, now):
    """Registrations of an ended seminar, some of whom came (at the door or online)."""
    count = rng.randint(capacity * 6 // 10, capacity)
    survey = surveys.create_survey(session, seminar)
    for number in range(count):
        details, errors = parse_details(_person(rng, seminar.id * 1000 + number))
        assert details is not None, errors
        registration = new_registration(
            seminar,
            details,
            RegistrationStatus.CONFIRMED,
            now=seminar.starts_at - timedelta(days=rng.randint(3, 30)),
            privacy_notice_version="2026-04",
            source="web",
        )
        registration.created_at = registration.privacy_agreed_at
        if seminar.delivery == Delivery.HYBRID:
            registration.attendance_mode = AttendanceMode.VENUE
        session.add(registration)
        session.flush()
        if rng.random() > 0.8:
            continue  # a no-show
        if seminar.delivery == Delivery.ONLINE or (
            seminar.delivery == Delivery.HYBRID and rng.random() < 0.5
        ):
            if seminar.delivery == Delivery.HYBRID:
                registration.attendance_mode = AttendanceMode.ONLINE
            session.add(
                OnlineAttendance(
                    registration_id=registration.id,
                    first_joined_at=seminar.starts_at,
                    minutes=rng.choice([15, 60, 85, 110, 120]),
                )
            )
        else:
            session.add(
                CheckIn(
                    registration_id=registration.id,
                    checked_in_at=seminar.starts_at - timedelta(minutes=rng.randint(1, 20)),
                    method=CheckInMethod.SCAN,
                    desk="受付A",
                )
            )
        session.flush()
        if rng.random() < 0.6 and attended(session, registration):
            answers = {
                "satisfaction": rng.choice([3, 4, 4, 5, 5]),
                "understanding": rng.choice([3, 4, 4, 5]),
                "step": str(rng.randint(1, 5)),
            }
            surveys.submit_answer(session, survey, registration, answers, False, now)


def _consultations(session: DbSession, rng: random.Random, fiscal_year: int) -> None:
    first = _day(fiscal_year, 4, 1)
    for number in range(48):
        company = rng.choice(COMPANIES)
        record_consultation(
            session,
            ConsultationInput(
                held_on=first + timedelta(days=rng.randint(0, 360)),
                channel=rng.choice(list(Channel)),
                attribute=rng.choices([Attribute.SME, Attribute.LARGE_COMPANY], [85, 15])[0],
                topics=rng.sample(list(Topic), rng.choice([1, 1, 2])),
                source=rng.choice(list(Source)),
                employee_band=rng.choice(list(EmployeeBand)),
                industry=rng.choice("EEGIL"),
                prefecture=rng.choice(["13", "14", "11"]),
                step=rng.randint(1, 7),
                organization=f"（デモ）株式会社{company}",
                notes=f"（デモ）相談 {number + 1} の記録。",
            ),
            advisor=None,
            by=None,
        )


def load(session: DbSession, now: datetime) -> int | None:
    """Fill the demo year; its number, or None when the demo is already there."""
    if is_loaded(session):
        return None
    rng = random.Random(SEED)
    fiscal_year = demo_year(now)
    for month, day, series, level, delivery, capacity in PROGRAMME:
        held_on = _day(fiscal_year, month, day)
        title = TITLES[series] + (f"（{LEVEL_NAMES[level]}）" if level else "") + "【デモ】"
        fields = SeminarFields(
            title=title,
            series=series,
            level=level,
            host_type=HostType.AGENCY,
            delivery=delivery,
            status="published",
            description="デモ用の架空のセミナーです。",
            starts_at=jst_datetime(held_on, time(14, 0)),
            ends_at=jst_datetime(held_on, time(16, 0)),
            venue="知財戦略支援センター 5階 研修室" if delivery != Delivery.ONLINE else None,
            meeting_url="https://meet.example.jp/demo" if delivery != Delivery.IN_PERSON else None,
            capacity=capacity,
        )
        seminar = _seminar(session, fields, f"{SLUG_PREFIX}{held_on.isoformat()}", now)
        _attendees(session, rng, seminar, capacity, now)
    for month, day, host_type, delivery, organization, head_count in COUNTED:
        held_on = _day(fiscal_year, month, day)
        fields = SeminarFields(
            title="営業秘密管理の基礎【デモ】",
            series=Series.TRADE_SECRET_IP_STRATEGY,
            host_type=host_type,
            delivery=delivery,
            status="published",
            description="",
            starts_at=jst_datetime(held_on, time(10, 0)),
            ends_at=jst_datetime(held_on, time(12, 0)),
            venue="（デモ）先方会議室" if delivery != Delivery.ONLINE else None,
            host_organization=organization,
        )
        seminar = _seminar(session, fields, f"{SLUG_PREFIX}{held_on.isoformat()}", now)
        set_head_count(session, seminar, head_count, by=None)
    _consultations(session, rng, fiscal_year)
    return fiscal_year
