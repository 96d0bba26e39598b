"""Building lecturer-dispatch requests in tests."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from seminar_app.dispatch import services
from seminar_app.timeutil import to_jst, utcnow

_numbers = count(1)

#: A real 法人番号 (the National Tax Agency's own), whose check digit is right.
CORPORATE_NUMBER = "7000012050002"


def in_days(days: int) -> str:
    """The date in Japan `days` from now, as a date input sends it."""
    return to_jst(utcnow() + timedelta(days=days)).date().isoformat()


def request_data(**overrides) -> dict:
    """What the request form sends for a valid request (form field names, form values)."""
    number = next(_numbers)
    data = {
        "organization": f"株式会社派遣テスト{number}",
        "corporate_number": "",
        "address": "東京都千代田区霞が関3-4-3",
        "prefecture": "13",
        "attribute": "sme",
        "employee_band": "51-100",
        "industry": "E",
        "contact_name": "総務 花子",
        "contact_email": f"contact{number}@example.jp",
        "contact_phone": "03-1234-5678",
        "preferred_date_1": in_days(30),
        "preferred_start_1": "14:00",
        "preferred_end_1": "16:00",
        "themes": ["trade-secret-ip-strategy", "step-3"],
        "theme_note": "退職者による情報持ち出しの防ぎ方を知りたい。",
        "audience": "管理職と開発部門",
        "audience_size": "40",
        "delivery": "in-person",
        "place": "本社 5階 会議室",
        "privacy_notice_agreed": True,
        "locale": "ja",
    }
    data.update(overrides)
    return data


def submit(session, **overrides):
    """A request stored as the form would store it, committed."""
    request = services.submit_request(
        session, request_data(**overrides), now=utcnow(), privacy_notice_version="2026-04"
    )
    session.commit()
    return request
