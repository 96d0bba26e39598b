"""Fiscal-year figures: boundaries, head-counts, cancelled seminars, the API and the CLI."""

from datetime import UTC, datetime, timedelta

import jsonschema
import pytest

from seminar_app.api.openapi import openapi_document
from seminar_app.attendance import services as attendance
from seminar_app.auth.services import issue_api_token
from seminar_app.domain import CheckInMethod, Delivery, HostType, Role, SeminarStatus
from seminar_app.reports.results import SeminarCounts
from seminar_app.reports.services import fiscal_year_figures
from seminar_app.timeutil import utcnow
from tests.registration_helpers import register

#: 2021-03-31 23:30 JST is still FY2020; 2021-04-01 00:00 JST is FY2021.
LAST_MINUTE_FY2020 = datetime(2021, 3, 31, 14, 30, tzinfo=UTC)
FIRST_MINUTE_FY2021 = datetime(2021, 3, 31, 15, 0, tzinfo=UTC)


def past_seminar(make_seminar, starts_at, **overrides):
    values = dict(starts_at=starts_at, registration_opens_at=None, registration_closes_at=None)
    values.update(overrides)
    return make_seminar(**values)


def test_empty_year_is_all_zeros(db_session):
    figures = fiscal_year_figures(db_session, 2015, utcnow())
    assert figures.seminars.total == 0 and figures.attendees.total == 0
    assert figures.seminars.by_host_type["in-company"] == SeminarCounts(total=0, online=0)
    assert figures.registrations.attendance_rate == 0.0


def test_fiscal_year_boundary_in_tokyo_time(db_session, make_seminar):
    past_seminar(make_seminar, LAST_MINUTE_FY2020)
    past_seminar(make_seminar, FIRST_MINUTE_FY2021)
    assert fiscal_year_figures(db_session, 2020, utcnow()).seminars.total == 1
    assert fiscal_year_figures(db_session, 2021, utcnow()).seminars.total == 1


def test_cancelled_drafts_and_future_seminars_are_not_held(db_session, make_seminar):
    fy = 2022
    start = datetime(2022, 6, 1, 5, 0, tzinfo=UTC)
    past_seminar(make_seminar, start)
    past_seminar(make_seminar, start, status=SeminarStatus.CANCELLED)
    past_seminar(make_seminar, start, status=SeminarStatus.DRAFT)
    assert fiscal_year_figures(db_session, fy, utcnow()).seminars.total == 1


def test_attendees_are_check_ins_online_joins_or_the_head_count(db_session, make_seminar):
    now = utcnow()
    start = now - timedelta(days=2)
    registered_earlier = now - timedelta(days=10)
    door = past_seminar(
        make_seminar, start, delivery=Delivery.IN_PERSON, venue="会場", meeting_url=None
    )
    came, absent = (register(db_session, door, now=registered_earlier) for _ in range(2))
    attendance.admit(
        db_session, came, door.id, by=None, method=CheckInMethod.SCAN, desk="A", now=start
    )
    counted = past_seminar(
        make_seminar,
        start,
        host_type=HostType.IN_COMPANY,
        capacity=None,
        host_organization="株式会社A",
        head_count=42,
    )
    db_session.commit()
    fy = door.fiscal_year
    figures = fiscal_year_figures(db_session, fy, now)
    assert figures.attendees.by_host_type["agency"] == 1
    assert figures.attendees.by_host_type["in-company"] == 42
    assert figures.seminars.by_host_type["in-company"] == SeminarCounts(total=1, online=1)
    assert figures.registrations.no_shows == 1
    assert figures.registrations.attendance_rate == 0.5
    assert figures.attendees.registered_attendees_by["attribute"] == {"sme": 1}
    assert counted.head_count == 42 and absent.status == "confirmed"


def test_api_report_with_a_staff_token(client, db_session, make_user):
    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    response = client.get(
        "/api/v1/reports/fiscal-years/2020", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200 and response.get_json()["fiscal_year"] == 2020
    schemas = openapi_document("x")["components"]["schemas"]
    jsonschema.validate(response.get_json(), schemas["FiscalYearReport"])
    assert client.get("/api/v1/reports/fiscal-years/2020").status_code == 401


def test_cli_prints_the_summary(app, db_session, make_seminar):
    past_seminar(make_seminar, datetime(2020, 11, 16, 5, 0, tzinfo=UTC))
    result = app.test_cli_runner().invoke(args=["report", "fy", "2020"])
    assert result.exit_code == 0
    assert "FY2020" in result.output and "Seminars held: 1 (online 1" in result.output


def test_report_page_and_exports(organizer_client, db_session, make_seminar):
    import csv
    import io

    from openpyxl import load_workbook

    seminar = past_seminar(
        make_seminar,
        datetime(2020, 11, 16, 5, 0, tzinfo=UTC),
        title="知財活用支援セミナー（報告用）",
    )
    page = organizer_client.get("/console/reports/?fy=2020", headers={"Accept-Language": "ja"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and seminar.title in html
    assert "2020年度（令和2年度）" in html and "<svg" in html
    csv_rows = list(
        csv.reader(
            io.StringIO(organizer_client.get("/console/reports/2020.csv").data.decode("utf-8-sig"))
        )
    )
    assert len(csv_rows) == 2 and csv_rows[1][1] == seminar.title
    book = load_workbook(io.BytesIO(organizer_client.get("/console/reports/2020.xlsx").data))
    assert len(book.sheetnames) == 8  # with targets, consultations, surveys and years
    assert organizer_client.get("/console/reports/?fy=abc").status_code == 404


def test_report_is_for_organizers_only(client, make_user):
    from tests.conftest import login

    login(client, make_user(Role.LECTURER))
    assert client.get("/console/reports/").status_code == 403


@pytest.mark.parametrize(
    "path", ["/console/reports/1999.csv", "/console/reports/2101/activity.pptx"]
)
def test_a_fiscal_year_out_of_range_is_not_found(organizer_client, path):
    assert organizer_client.get(path).status_code == 404
