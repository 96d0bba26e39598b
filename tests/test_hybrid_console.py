"""A hybrid seminar in the console, the content files and the exports: each way of attending
is set, counted and written apart."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import timedelta

import lxml.html
from sqlalchemy import select

from seminar_app.attendance import services as attendance
from seminar_app.attendance.online import record_join
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import AttendanceMode, CheckInMethod, Delivery, Role
from seminar_app.reports.results import AttendanceSplit
from seminar_app.reports.services import fiscal_year_figures, seminar_rows
from seminar_app.timeutil import utcnow
from tests.conftest import login, post_form
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
    assert "会場：来場予定 2 名のうち 1 名受付済み" in html


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
    assert "会場：参加確定（定員2名）" in html
    assert "オンライン：参加確定（定員定員なし名）" not in html
    assert "オンライン：参加確定（定員なし）" in html


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


# ---------------------------------------------------------------- the desk


def test_the_desk_expects_the_venues_people_and_shows_those_online_apart(
    client, db_session, make_seminar, make_user
):
    seminar = hybrid(make_seminar, online_capacity=None)
    people = filled(db_session, seminar)
    login(client, make_user(Role.RECEPTION))
    assert client.get(f"/desk/{seminar.id}/count").get_json() == {
        "checked_in": 1,
        "confirmed": 2,
    }
    page = lxml.html.fromstring(client.get(f"/desk/{seminar.id}", headers=JA).get_data())
    expected = page.xpath("//section[contains(@class,'desk-list')]//li//strong/text()")
    assert sorted(expected) == sorted(p.name for p in people["venue"])
    first = page.xpath("//nav[contains(@class,'kana-rows')]/a")[0]
    assert " ".join(first.text_content().split()) == "すべて 1/2"
    online = page.xpath("//section[contains(@class,'desk-online')]//li//strong/text()")
    assert sorted(online) == sorted(p.name for p in people["online"] + people["waiting"])
    assert "オンライン参加（4名）" in page.xpath("string(//h2[@id='desk-online-head'])")
    # Someone who chose online but came after all can still be checked in.
    came = people["online"][0]
    url = f"/desk/{seminar.id}/registrations/{came.id}/check-in"
    response = post_form(client, url, {}, page=f"/desk/{seminar.id}")
    assert response.status_code in (302, 303)
    assert attendance.counts(db_session, seminar.id) == (1, 2)


def test_the_desk_of_another_seminar_expects_everyone(client, db_session, make_seminar, make_user):
    seminar = make_seminar(delivery=Delivery.IN_PERSON, venue="会場", meeting_url=None)
    for _ in range(3):
        register(db_session, seminar)
    assert attendance.counts(db_session, seminar.id) == (0, 3)
    login(client, make_user(Role.RECEPTION))
    html = client.get(f"/desk/{seminar.id}", headers=JA).get_data(as_text=True)
    assert "desk-online" not in html


# ---------------------------------------------------------------- the fiscal-year report


def test_the_report_counts_a_hybrid_seminars_attendees_at_the_venue_and_online(
    organizer_client, db_session, make_seminar
):
    now = utcnow()
    start = now - timedelta(days=2)
    seminar = hybrid(
        make_seminar,
        starts_at=start,
        registration_opens_at=None,
        registration_closes_at=None,
        online_capacity=None,
    )
    earlier = now - timedelta(days=10)
    door = [register(db_session, seminar, now=earlier, attendance_mode=VENUE) for _ in range(2)]
    online = [register(db_session, seminar, now=earlier, attendance_mode=ONLINE) for _ in range(3)]
    # One at the venue came, one online changed their mind and came to the door, two joined.
    for person in (door[0], online[0]):
        attendance.admit(
            db_session, person, seminar.id, by=None, method=CheckInMethod.SCAN, desk="A", now=start
        )
    for person in online[1:]:
        record_join(db_session, person, start)
    db_session.commit()
    figures = fiscal_year_figures(db_session, seminar.fiscal_year, now)
    assert figures.attendees.hybrid == AttendanceSplit(venue=2, online=2)
    assert figures.attendees.total == 4
    (row,) = seminar_rows(db_session, seminar.fiscal_year, now)
    assert row.split == AttendanceSplit(venue=2, online=2)
    csv_text = organizer_client.get(
        f"/console/reports/{seminar.fiscal_year}.csv", headers=JA
    ).data.decode("utf-8-sig")
    header, row_text = csv_text.splitlines()[:2]
    assert header.endswith("会場参加者数（ハイブリッド）,オンライン参加者数（ハイブリッド）")
    assert row_text.endswith(",2,2")
    html = organizer_client.get(f"/console/reports/?fy={seminar.fiscal_year}", headers=JA).get_data(
        as_text=True
    )
    assert "うちハイブリッド開催（会場 2名・オンライン 2名）" in html
    assert "（会場 2 · オンライン 2）" in html


def test_the_console_list_gives_a_hybrid_seminars_seats_of_each_way(
    organizer_client, make_seminar, db_session
):
    seminar = hybrid(make_seminar, capacity=20, online_capacity=None)
    register(db_session, seminar, attendance_mode=ONLINE)
    html = organizer_client.get(
        f"/console/?fiscal_year={seminar.fiscal_year}", headers=JA
    ).get_data(as_text=True)
    assert "1 / 会場 20 · オンライン 定員なし" in html


def test_the_seminar_page_does_not_set_everyone_against_the_venues_seats(
    organizer_client, make_seminar, db_session
):
    seminar = hybrid(make_seminar, capacity=2, online_capacity=3)
    filled(db_session, seminar)
    html = organizer_client.get(f"/console/seminars/{seminar.id}").get_data(as_text=True)
    assert '<span class="muted"> / 2</span>' not in html
