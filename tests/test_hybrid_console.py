"""A hybrid seminar in the console, the content files and the exports: each way of attending
is set, counted and written apart."""

from __future__ import annotations

import csv
import io
import shutil

from sqlalchemy import select

from seminar_app.attendance import services as attendance
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import AttendanceMode, CheckInMethod, Delivery
from seminar_app.timeutil import utcnow
from tests.conftest import post_form
from tests.registration_helpers import register
from tests.test_console import form_data
from tests.test_content_sync import CONTENT, run_sync

VENUE, ONLINE = AttendanceMode.VENUE, AttendanceMode.ONLINE
JA = {"Accept-Language": "ja"}


def hybrid(make_seminar, **overrides):
    values = dict(delivery=Delivery.HYBRID, venue="INPIT 会議室", capacity=2, online_capacity=3)
    values.update(overrides)
    return make_seminar(**values)


def filled(db_session, seminar):
    """Two at the venue (one checked in), one online, one waiting online."""
    people = {
        "venue": [register(db_session, seminar, attendance_mode=VENUE) for _ in range(2)],
        "online": [register(db_session, seminar, attendance_mode=ONLINE) for _ in range(3)],
    }
    people["waiting"] = [register(db_session, seminar, attendance_mode=ONLINE)]
    attendance.check_in_code(
        db_session,
        seminar.id,
        people["venue"][0].ticket_code,
        by=None,
        method=CheckInMethod.SEARCH,
        desk=None,
        now=utcnow(),
    )
    db_session.commit()
    return people


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_seminar_page_counts_the_venue_and_online_apart(
    organizer_client, make_seminar, db_session
):
    seminar = hybrid(make_seminar)
    filled(db_session, seminar)
    html = organizer_client.get(f"/console/seminars/{seminar.id}", headers=JA).get_data(
        as_text=True
    )
    assert "会場 2/2" in html and "オンライン 3/3" in html
    assert "会場: 来場予定 2 名のうち 1 名受付済み" in html


def test_the_registrations_list_has_a_column_and_counts_for_each_way(
    organizer_client, make_seminar, db_session
):
    seminar = hybrid(make_seminar, online_capacity=None)
    filled(db_session, seminar)
    html = organizer_client.get(
        f"/console/seminars/{seminar.id}/registrations", headers=JA
    ).get_data(as_text=True)
    assert '<th scope="col">参加方法</th>' in html
    assert html.count("<td>オンライン</td>") == 4 and html.count("<td>会場</td>") == 2
    assert "会場: 参加確定（定員2名）" in html
    assert "オンライン: 参加確定（定員定員なし名）" not in html
    assert "オンライン: 参加確定（定員なし）" in html


def test_the_exports_write_how_each_person_attends(organizer_client, make_seminar, db_session):
    seminar = hybrid(make_seminar)
    people = filled(db_session, seminar)
    rows = csv_rows(
        organizer_client.get(f"/console/seminars/{seminar.id}/registrations.csv", headers=JA)
    )
    column = rows[0].index("参加方法")
    by_id = {row[0]: row[column] for row in rows[1:]}
    assert by_id[str(people["venue"][0].id)] == "会場"
    assert by_id[str(people["online"][0].id)] == "オンライン"
    rows = csv_rows(
        organizer_client.get(f"/console/seminars/{seminar.id}/attendance.csv", headers=JA)
    )
    column = rows[0].index("申込時の参加方法")
    assert sorted(row[column] for row in rows[1:]) == ["オンライン"] * 3 + ["会場"] * 2


def test_the_console_form_sets_the_seats_online_of_a_hybrid_seminar(organizer_client, db_session):
    data = form_data(delivery="hybrid", venue="INPIT 会議室", capacity="30", online_capacity="90")
    assert post_form(organizer_client, "/console/seminars/new", data).status_code == 302
    seminar = db_session.scalar(select(Seminar).where(Seminar.title.like("%新しい回%")))
    assert (seminar.capacity, seminar.online_capacity) == (30, 90)
    edit = organizer_client.get(f"/console/seminars/{seminar.id}/edit").get_data(as_text=True)
    assert 'name="online_capacity"' in edit and 'value="90"' in edit


def test_the_console_form_refuses_seats_online_for_an_online_seminar(organizer_client, db_session):
    data = form_data(online_capacity="90")
    response = post_form(
        organizer_client, "/console/seminars/new", data, headers={"Accept-Language": "ja"}
    )
    assert response.status_code == 400
    assert "オンラインの定員を別に設けられるのはハイブリッド開催のセミナーだけです" in (
        response.get_data(as_text=True)
    )
    assert db_session.scalar(select(Seminar)) is None


def test_a_content_file_gives_the_seats_online_and_is_checked(app, db_session, tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    assert run_sync(app, root).exit_code == 0
    slug = "2026-12-16-trade-secret-intermediate"
    seminar = db_session.scalar(select(Seminar).where(Seminar.slug == slug))
    assert (seminar.delivery, seminar.capacity, seminar.online_capacity) == ("hybrid", 120, 300)
    path = root / "seminars/fy2026/2027-01-28-trade-secret-workshop.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("capacity: 24", "capacity: 24\nonline_capacity: 5"), "utf-8")
    result = run_sync(app, root)
    assert result.exit_code != 0
    assert "2027-01-28-trade-secret-workshop.md: online_capacity:" in result.output
