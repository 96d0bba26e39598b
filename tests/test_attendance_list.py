"""The attendance list, its exports, the head-count and the printable sign-in sheet."""

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select

from seminar_app.attendance import services
from seminar_app.attendance.online import record_join
from seminar_app.audit.models import AuditEvent
from seminar_app.domain import CheckInMethod, HostType, Role
from seminar_app.timeutil import utcnow
from tests.conftest import login, post_form
from tests.registration_helpers import register


def seminar_with_attendance(db_session, make_seminar):
    """Three confirmed: one at the venue, one online, one who did not come."""
    seminar = make_seminar(starts_at=utcnow() - timedelta(hours=3))
    earlier = utcnow() - timedelta(days=2)
    venue = register(db_session, seminar, now=earlier, name="会場 一郎", name_kana="かいじょう")
    online = register(db_session, seminar, now=earlier, name="在宅 二郎", name_kana="ざいたく")
    register(db_session, seminar, now=earlier, name="欠席 三郎", name_kana="けっせき")
    services.admit(
        db_session,
        venue,
        seminar.id,
        by=None,
        method=CheckInMethod.SCAN,
        desk="A",
        now=seminar.starts_at,
    )
    record_join(db_session, online, seminar.starts_at + timedelta(minutes=5))
    db_session.commit()
    return seminar


def test_rows_say_who_attended_and_how(db_session, make_seminar):
    seminar = seminar_with_attendance(db_session, make_seminar)
    rows = {row.registration.name: row for row in services.attendance_rows(db_session, seminar.id)}
    assert rows["会場 一郎"].how == "venue" and rows["在宅 二郎"].how == "online"
    assert not rows["欠席 三郎"].attended


def test_csv_export_marks_no_shows_and_is_audited(organizer_client, db_session, make_seminar):
    seminar = seminar_with_attendance(db_session, make_seminar)
    response = organizer_client.get(
        f"/console/seminars/{seminar.id}/attendance.csv", headers={"Accept-Language": "en"}
    )
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    by_name = {row["Name"]: row for row in table}
    assert by_name["欠席 三郎"]["No-show"] == "Yes" and by_name["会場 一郎"]["No-show"] == "No"
    assert by_name["在宅 二郎"]["How"] == "Online"
    assert (
        db_session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.exported"))
        is not None
    )
    xlsx = organizer_client.get(f"/console/seminars/{seminar.id}/attendance.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_head_count_for_an_in_company_seminar(organizer_client, db_session, make_seminar):
    seminar = make_seminar(
        host_type=HostType.IN_COMPANY, capacity=None, host_organization="株式会社カナメ精密工業"
    )
    url = f"/console/seminars/{seminar.id}/head-count"
    page = f"/console/seminars/{seminar.id}/attendance"
    assert post_form(organizer_client, url, {"head_count": "35"}, page=page).status_code == 303
    assert seminar.head_count == 35
    post_form(organizer_client, url, {"head_count": "-4"}, page=page)
    post_form(organizer_client, url, {"head_count": "三十"}, page=page)
    assert seminar.head_count == 35
    post_form(organizer_client, url, {"head_count": ""}, page=page)
    assert seminar.head_count is None


def test_sign_in_sheet_for_reception(client, make_user, db_session, make_seminar):
    seminar = seminar_with_attendance(db_session, make_seminar)
    login(client, make_user(Role.RECEPTION))
    html = client.get(f"/desk/{seminar.id}/sheet").get_data(as_text=True)
    assert "欠席 三郎" in html and "受付名簿" in html
    assert re.search(r"/static/sheet\.[0-9a-f]{12}\.css", html)  # its fingerprinted name
    assert client.get(f"/console/seminars/{seminar.id}/attendance").status_code == 403
