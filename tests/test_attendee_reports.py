"""Importing Zoom and Teams attendee reports: encodings, layouts, matching, refusals."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.attendance import reports, services
from seminar_app.attendance.models import OnlineAttendance
from seminar_app.timeutil import utcnow
from tests.conftest import csrf_token
from tests.registration_helpers import register

ZOOM = (
    "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
    "山田 太郎,Yamada@Example.jp,2026/12/16 14:01:10,2026/12/16 15:00:00,59,No\n"
    "山田 太郎,yamada@example.jp,2026/12/16 15:05:00,2026/12/16 16:30:00,85,No\n"
    "山田 太郎,yamada@example.jp,2026/12/16 15:05:00,2026/12/16 16:30:00,85,No\n"
    "佐藤 花子,sato@example.jp,2026/12/16 14:00:00,2026/12/16 14:10:00,10,No\n"
    "電話参加者,,2026/12/16 14:00:00,2026/12/16 16:30:00,150,Yes\n"
    "部外 者,stranger@example.jp,2026/12/16 14:00:00,2026/12/16 16:30:00,150,Yes\n"
)

ZOOM_JA = (
    "名前（元の名前）,ユーザーのメール,参加時刻,退出時刻,期間（分）,ゲスト\n"
    "山田 太郎,yamada@example.jp,2026/12/16 14:01:10,2026/12/16 15:00:00,59,いいえ\n"
)

TEAMS = (
    "1. Summary\n"
    "Meeting title,営業秘密セミナー\n"
    "Attended participants,2\n"
    "\n"
    "2. Participants\n"
    "Name,First Join,Last Leave,In-Meeting Duration,Email,Participant ID (UPN),Role\n"
    "山田 太郎,12/16/2026 2:01:10 PM,12/16/2026 4:30:00 PM,2h 28m 50s,yamada@example.jp,"
    "yamada@example.jp,Attendee\n"
    "\n"
    "3. In-Meeting Activities\n"
)


def test_zoom_report_sums_rejoins_and_drops_exact_duplicates():
    report = reports.parse(ZOOM.encode("utf-8-sig"))
    assert report.attendees["yamada@example.jp"].minutes == 59 + 85
    assert report.attendees["sato@example.jp"].minutes == 10
    assert [name for _, name, _ in report.anonymous] == ["電話参加者"]


def test_japanese_zoom_report_in_cp932():
    report = reports.parse(ZOOM_JA.encode("cp932"))
    assert report.attendees["yamada@example.jp"].minutes == 59


def test_teams_report_with_sections_and_hms_durations():
    report = reports.parse(TEAMS.encode("utf-8"))
    assert report.attendees["yamada@example.jp"].minutes == 149


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"Name,Join Time\nA,2026/12/16 14:00:00\n", "no table with an e-mail column"),
        ("名前,メール,期間（分）\nA,a@example.jp,たくさん\n".encode(), "line 2"),
        (b"\xff\xfe\x00\x00garbage\x81", "neither UTF-8"),
        (b"User Email,Duration (Minutes)\na@example.jp\n", "line 2: too few columns: 1"),
    ],
)
def test_bad_reports_are_refused_with_line_numbers(data, fragment):
    with pytest.raises(reports.ReportError) as caught:
        reports.parse(data)
    assert fragment in " ".join(caught.value.problems)


def test_import_matches_by_address_lists_the_rest_and_applies_the_minimum(db_session, make_seminar):
    seminar = make_seminar(starts_at=utcnow() - timedelta(hours=3), min_online_minutes=30)
    earlier = utcnow() - timedelta(days=2)
    yamada = register(db_session, seminar, now=earlier, email="yamada@example.jp")
    register(db_session, seminar, now=earlier, email="sato@example.jp")
    result = services.import_report(
        db_session, seminar, reports.parse(ZOOM.encode()), by=None, now=utcnow()
    )
    db_session.commit()
    assert result.matched == 2
    assert [a.email for a in result.unmatched] == ["stranger@example.jp"]
    rows = {row.registration.email: row for row in services.attendance_rows(db_session, seminar.id)}
    assert rows["yamada@example.jp"].attended and rows["yamada@example.jp"].how == "online"
    assert not rows["sato@example.jp"].attended  # 10 minutes, under the minimum of 30
    # Importing the same report again replaces the minutes instead of adding them up.
    services.import_report(db_session, seminar, reports.parse(ZOOM.encode()), by=None, now=utcnow())
    db_session.commit()
    minutes = db_session.scalar(
        select(OnlineAttendance.minutes).where(OnlineAttendance.registration_id == yamada.id)
    )
    assert minutes == 144


def test_upload_of_a_bad_file_changes_nothing(organizer_client, db_session, make_seminar):
    seminar = make_seminar()
    register(db_session, seminar, email="yamada@example.jp")
    token = csrf_token(organizer_client, f"/console/seminars/{seminar.id}/attendance")
    bad = ZOOM + "山田 太郎,yamada@example.jp,2026/12/16 14:00:00,2026/12/16 15:00:00,長い,No\n"
    response = organizer_client.post(
        f"/console/seminars/{seminar.id}/attendee-report",
        data={"csrf_token": token, "report": (io.BytesIO(bad.encode()), "zoom.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "line 8" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(OnlineAttendance)) == 0
    good = organizer_client.post(
        f"/console/seminars/{seminar.id}/attendee-report",
        data={"csrf_token": token, "report": (io.BytesIO(ZOOM.encode()), "zoom.csv")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    html = good.get_data(as_text=True)
    assert good.status_code == 200 and "stranger@example.jp" in html and "電話参加者" in html
