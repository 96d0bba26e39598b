"""Building registrations in tests."""

from __future__ import annotations

from itertools import count

from seminar_app.registration import services
from seminar_app.registration.details import parse_details
from seminar_app.timeutil import utcnow

_numbers = count(1)


def details_data(**overrides) -> dict:
    number = next(_numbers)
    data = {
        "name": f"受講 太郎{number}",
        "name_kana": "じゅこう たろう",
        "email": f"person{number}@example.jp",
        "organization": "株式会社テスト製作所",
        "department": "総務部",
        "job_title": "課長",
        "prefecture": "13",
        "attribute": "sme",
        "employee_band": "21-50",
        "industry": "E",
        "heard_from": "agency-website",
    }
    data.update(overrides)
    return data


def register(session, seminar, now=None, attendance_mode=None, **overrides):
    details, errors = parse_details(details_data(**overrides))
    assert not errors, errors
    registration = services.register(
        session,
        seminar.id,
        details,
        now=now or utcnow(),
        privacy_notice_version="2026-04",
        attendance_mode=attendance_mode,
    )
    session.commit()
    return registration


def add_open_seminar(session, *, slug: str, capacity: int, starts_in=None, **overrides):
    """A published online seminar open for registration, committed (for multi-process tests)."""
    from datetime import timedelta

    from seminar_app.catalogue.models import Seminar
    from seminar_app.domain import Delivery, SeminarStatus, Series

    starts = utcnow() + (starts_in or timedelta(days=10))
    values = dict(
        slug=slug,
        title=f"テストセミナー {slug}",
        series=Series.IP_UTILIZATION,
        delivery=Delivery.ONLINE,
        status=SeminarStatus.PUBLISHED,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        meeting_url="https://meet.example.org/j/1",
        capacity=capacity,
    )
    values.update(overrides)
    seminar = Seminar(**values)
    session.add(seminar)
    session.commit()
    return seminar
