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


def test_empty_year_is_all_zeros_and_its_attendance_rate_unknown(db_session):
    figures = fiscal_year_figures(db_session, 2015, utcnow())
    assert figures.seminars.total == 0 and figures.attendees.total == 0
    assert figures.seminars.by_host_type["in-company"] == SeminarCounts(total=0, online=0)
    # Nobody was expected: the rate is unknown (None, "—"), never 0.0.
    assert figures.registrations.attendance_rate is None


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
    # with targets, consultations, surveys, years and lecturer dispatch
    assert len(book.sheetnames) == 9
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


# --- issue 17: years kept as totals, two desks, a seminar nobody counted ----------------------

SCENARIO_FY = 2025
SCENARIO_NOW = datetime(2026, 5, 1, tzinfo=UTC)


def desk_consultation(session, desk, held_on, channel="in-person", **extra):
    from seminar_app.consultations.services import ConsultationInput, record_consultation

    values = ConsultationInput(
        held_on=held_on,
        channel=channel,
        attribute="sme",
        topics=["trade-secret-management"],
        source="direct",
        desk=desk,
        **extra,
    )
    record_consultation(session, values, advisor=None, by=None)


@pytest.fixture
def three_years(db_session, make_seminar):
    """FY2023 only as totals (both desks), FY2024 totals for Kansai and rows for the main
    desk, FY2025 rows for both; in FY2025 a seminar counted by head and one nobody counted."""
    from datetime import date

    from seminar_app.consultations.desks import add_desk, record_totals
    from seminar_app.consultations.figures import desk_by_code

    kansai = add_desk(db_session, "kansai", "関西窓口", "Kansai desk", by=None)
    main = desk_by_code(db_session, "main")
    record_totals(db_session, 2023, main, 40, 10, by=None)
    record_totals(db_session, 2023, kansai, 12, 2, by=None)
    record_totals(db_session, 2024, kansai, 15, 5, by=None)
    for month, channel in ((5, "online"), (7, "phone")):
        desk_consultation(db_session, "main", date(2024, month, 1), channel)
    desk_consultation(db_session, "main", date(2024, 9, 1), organization="株式会社ステップ", step=1)
    desk_consultation(
        db_session, "main", date(2025, 6, 1), "online", prefecture="13", referring_desk="13"
    )
    desk_consultation(
        db_session,
        "main",
        date(2025, 8, 1),
        prefecture="13",
        organization="株式会社ステップ",
        step=3,
    )
    desk_consultation(db_session, "kansai", date(2025, 9, 1), "visit", prefecture="27")
    counted = past_seminar(
        make_seminar, datetime(2025, 6, 10, 5, tzinfo=UTC), title="数えた回", head_count=20
    )
    uncounted = past_seminar(
        make_seminar,
        datetime(2025, 7, 10, 5, tzinfo=UTC),
        title="数えていない回",
        host_type=HostType.IN_COMPANY,
        capacity=None,
        host_organization="株式会社B",
    )
    db_session.commit()
    return counted, uncounted


def test_totals_rows_and_both_are_told_apart_and_sum_over_desks(db_session, three_years):
    from seminar_app.reports.services import fiscal_year_report

    report = fiscal_year_report(db_session, SCENARIO_FY, SCENARIO_NOW)
    years = {row.fiscal_year: row for row in report.years}
    assert (years[2023].consultations, years[2023].consultations_source) == (52, "totals")
    assert (years[2024].consultations, years[2024].consultations_source) == (3 + 15, "both")
    assert (years[2025].consultations, years[2025].consultations_source) == (3, "records")
    assert years[2022].consultations is None and years[2023].consultations_change is None
    # The breakdowns can only count rows: FY2023 has none, FY2024 the main desk's three.
    assert [year.recorded for year in report.consultation_years] == [0, 3, 3]


def test_a_seminar_nobody_counted_is_held_but_adds_no_attendees(db_session, three_years):
    from seminar_app.reports.services import fiscal_year_report

    counted, uncounted = three_years
    report = fiscal_year_report(db_session, SCENARIO_FY, SCENARIO_NOW)
    figures = report.figures
    assert figures.seminars.total == 2 and figures.seminars.without_head_count == 1
    assert figures.attendees.total == 20
    assert figures.attendees.by_host_type["in-company"] == 0
    rows = {row.seminar_id: row.attendees for row in report.programme}
    assert rows == {counted.id: 20, uncounted.id: None}


def test_report_api_xlsx_and_deck_agree_on_every_figure_and_say_which_are_totals(
    db_session, client, make_user, three_years, monkeypatch
):
    import io

    from openpyxl import load_workbook
    from pptx import Presentation

    from seminar_app.reports import services
    from tests.conftest import login

    real = services.fiscal_year_report
    monkeypatch.setattr(
        services,
        "fiscal_year_report",
        lambda session, fy, now, desk=None: real(session, fy, SCENARIO_NOW, desk),
    )
    monkeypatch.setattr("seminar_app.api.staff.utcnow", lambda: SCENARIO_NOW, raising=True)
    report = real(db_session, SCENARIO_FY, SCENARIO_NOW)
    figures = report.figures
    organizer = make_user(Role.ORGANIZER)
    token = issue_api_token(db_session, organizer)
    db_session.commit()
    login(client, organizer)
    client.get("/language/ja")

    api = client.get(
        f"/api/v1/reports/fiscal-years/{SCENARIO_FY}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert api["seminars"]["without_head_count"] == 1
    assert api["attendees"]["total"] == 20
    desk = api["consultations"]
    assert (desk["total"], desk["source"]) == (3, "records")
    assert desk["by_prefecture"] == {"13": 2, "27": 1}
    assert desk["by_referring_desk"] == {"13": 1, "unknown": 2}
    assert desk["by_step"] == dict(figures.consultations.by_step)
    last_year = client.get(
        "/api/v1/reports/fiscal-years/2024", headers={"Authorization": f"Bearer {token}"}
    ).get_json()["consultations"]
    assert (last_year["total"], last_year["source"]) == (18, "both")

    book = load_workbook(io.BytesIO(client.get(f"/console/reports/{SCENARIO_FY}.xlsx").data))
    years = {row[0]: row[3:] for row in book.worksheets[7].iter_rows(min_row=2, values_only=True)}
    assert years["2023年度（令和5年度）"] == (52, 12, "集計値")
    assert years["2024年度（令和6年度）"] == (18, 6, "一部集計値")
    assert years["2025年度（令和7年度）"] == (3, 1, None)
    assert years["2022年度（令和4年度）"] == ("—", "—", None)
    seminars = {row[1]: row[6] for row in book.worksheets[3].iter_rows(min_row=2, values_only=True)}
    assert seminars == {"数えた回": 20, "数えていない回": "—"}
    by_prefecture = [
        row[2:]
        for row in book.worksheets[5].iter_rows(min_row=2, values_only=True)
        if row[1] == "東京都"
    ]
    assert by_prefecture == [("—", 0, 2)]  # FY2023 has no rows, so no breakdown

    deck = Presentation(
        io.BytesIO(client.get(f"/console/reports/{SCENARIO_FY}/activity.pptx").data)
    )
    (trend,) = [
        [[cell.text for cell in row.cells] for row in shape.table.rows]
        for slide in deck.slides
        if slide.shapes[0].text_frame.text == "相談件数の推移"
        for shape in slide.shapes
        if shape.has_table
    ]
    assert trend[1:] == [
        ["2023年度（令和5年度）", "52（集計値）", "12"],
        ["2024年度（令和6年度）", "18（一部集計値）", "6"],
        ["2025年度（令和7年度）", "3", "1"],
    ]
    programme = [
        [cell.text for cell in row.cells]
        for slide in deck.slides
        if slide.shapes[0].text_frame.text == "セミナー開催実績"
        for shape in slide.shapes
        if shape.has_table
        for row in shape.table.rows
    ]
    assert {row[3]: row[4] for row in programme[1:]} == {"数えた回": "20", "数えていない回": "—"}
    page = client.get(f"/console/reports/?fy={SCENARIO_FY}").get_data(as_text=True)
    _counted, uncounted = three_years
    assert f'<td data-seminar-attendees="{uncounted.id}">—</td>' in page
    older = client.get("/console/reports/?fy=2023").get_data(as_text=True)
    assert "相談件数（全窓口）：52件（集計値）、うちオンライン 12件。" in older


def test_the_deck_and_page_break_down_one_desk_while_totals_combine(
    db_session, client, make_user, three_years, monkeypatch
):
    import io

    from pptx import Presentation

    from seminar_app.reports import services
    from tests.conftest import login

    real = services.fiscal_year_report
    monkeypatch.setattr(
        services,
        "fiscal_year_report",
        lambda session, fy, now, desk=None: real(session, fy, SCENARIO_NOW, desk),
    )
    login(client, make_user(Role.ORGANIZER))
    response = client.get(f"/console/reports/{SCENARIO_FY}/activity.pptx?desk=kansai")
    texts = "\n".join(
        shape.text_frame.text
        for slide in Presentation(io.BytesIO(response.data)).slides
        for shape in slide.shapes
        if shape.has_text_frame
    )
    assert "対象窓口：関西窓口" in texts and "相談件数 3件" not in texts
    assert "相談件数 1件" in texts  # Kansai's one consultation of the year
    trend = real(db_session, SCENARIO_FY, SCENARIO_NOW, "kansai").years[-1]
    assert trend.consultations == 3  # the headline still combines the desks
    page = client.get(f"/console/reports/?fy={SCENARIO_FY}&desk=kansai")
    assert page.status_code == 200 and 'value="kansai" selected' in page.get_data(as_text=True)
    assert client.get(f"/console/reports/?fy={SCENARIO_FY}&desk=nowhere").status_code == 404
    assert (
        client.get(f"/console/reports/{SCENARIO_FY}/activity.pptx?desk=nowhere").status_code == 404
    )


def test_a_year_whose_seminars_nobody_counted_has_no_attendee_figure(
    db_session, organizer_client, make_seminar
):
    import io

    from openpyxl import load_workbook
    from pptx import Presentation

    from seminar_app.reports import plans

    past_seminar(make_seminar, datetime(2019, 6, 1, 5, tzinfo=UTC), title="誰も数えていない回")
    plans.set_targets(db_session, 2019, {"participants": 100}, by=None)
    db_session.commit()
    figures = fiscal_year_figures(db_session, 2019, utcnow())
    assert figures.seminars.attendees_unknown and figures.attendees.total == 0
    assert figures.targets["participants"].result is None
    assert figures.targets["participants"].rate is None

    page = organizer_client.get("/console/reports/?fy=2019").get_data(as_text=True)
    assert '<span class="stat-number">—</span>' in page
    book = load_workbook(io.BytesIO(organizer_client.get("/console/reports/2019.xlsx").data))
    assert book.worksheets[0]["B4"].value == "—"  # Attendees
    deck = organizer_client.get("/console/reports/2019/activity.pptx").data
    texts = [
        shape.text_frame.text
        for slide in Presentation(io.BytesIO(deck)).slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]
    assert any("参加者合計 —" in text for text in texts)


def test_the_year_after_an_uncounted_year_shows_no_attendee_figure_or_change_for_it(
    app, db_session, organizer_client, make_seminar
):
    """FY2019's seminar nobody counted, FY2020's counted (30): the years side by side say
    "—" for FY2019 with no bar, and FY2020's change from it is unknown, never +30."""
    import io

    from openpyxl import load_workbook

    from seminar_app.reports.services import fiscal_year_report

    past_seminar(make_seminar, datetime(2019, 6, 1, 5, tzinfo=UTC), title="誰も数えていない回")
    past_seminar(make_seminar, datetime(2020, 6, 1, 5, tzinfo=UTC), title="数えた回", head_count=30)
    db_session.commit()
    years = {row.fiscal_year: row for row in fiscal_year_report(db_session, 2020, utcnow()).years}
    assert (years[2019].attendees, years[2019].attendees_change) == (None, None)
    assert (years[2020].attendees, years[2020].attendees_change) == (30, None)
    assert (years[2018].attendees, years[2018].attendees_change) == (0, 0)

    organizer_client.get("/language/ja")
    page = organizer_client.get("/console/reports/?fy=2020").get_data(as_text=True)
    assert '<td data-attendees="2019">—</td>' in page
    assert '<td data-attendees-change="2020"></td>' in page
    row_2019 = page.split('<td data-attendees="2019">')[1].split("</tr>")[0]
    assert "<svg" not in row_2019
    book = load_workbook(io.BytesIO(organizer_client.get("/console/reports/2020.xlsx").data))
    by_year = {row[0]: row[2] for row in book["年度推移"].iter_rows(min_row=2, values_only=True)}
    assert by_year["2019年度（令和元年度）"] == "—"
    assert by_year["2020年度（令和2年度）"] == 30

    output = app.test_cli_runner().invoke(args=["report", "fy", "2019"]).output
    assert "Attendees: —" in output and "Attendees: 0" not in output
    assert "Attendance rate: —," in output
    agency = next(line for line in output.splitlines() if line.strip().startswith("agency"))
    assert agency.rstrip().endswith("attendees      —")


def test_the_deck_gives_no_online_attendee_figure_for_seminars_nobody_counted(
    db_session, organizer_client, make_seminar
):
    import io

    from pptx import Presentation

    past_seminar(make_seminar, datetime(2019, 6, 1, 5, tzinfo=UTC), delivery=Delivery.ONLINE)
    db_session.commit()
    deck = organizer_client.get("/console/reports/2019/activity.pptx").data
    texts = [
        shape.text_frame.text
        for slide in Presentation(io.BytesIO(deck)).slides
        for shape in slide.shapes
        if shape.has_text_frame
    ]
    assert any("オンラインセミナー参加者（主催） —" in text for text in texts)
    assert not any("オンラインセミナー参加者（主催） 0名" in text for text in texts)


def test_nobody_expected_gives_an_unknown_attendance_rate_in_the_xlsx_and_the_api(
    db_session, client, make_user, make_seminar
):
    import io

    from openpyxl import load_workbook

    from tests.conftest import login

    past_seminar(make_seminar, datetime(2019, 6, 1, 5, tzinfo=UTC), head_count=5)
    organizer = make_user(Role.ORGANIZER)
    token = issue_api_token(db_session, organizer)
    db_session.commit()
    login(client, organizer)
    client.get("/language/en")
    api = client.get(
        "/api/v1/reports/fiscal-years/2019", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert api["registrations"]["attendance_rate"] is None
    book = load_workbook(io.BytesIO(client.get("/console/reports/2019.xlsx").data))
    rates = [
        row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0] == "Attendance rate"
    ]
    assert rates == ["—"]
    page = client.get("/console/reports/?fy=2019").get_data(as_text=True)
    assert '<span class="stat-number">—</span><span class="stat-label">attendance rate' in page


def test_the_report_group_records_totals_and_writes_a_deck_for_one_desk(
    app, db_session, three_years, tmp_path
):
    import io

    from pptx import Presentation

    from seminar_app.consultations.figures import consultation_figures

    runner = app.test_cli_runner()
    recorded = runner.invoke(
        args=[
            "report",
            "totals",
            "2022",
            "--desk",
            "kansai",
            "--consultations",
            "9",
            "--online",
            "4",
        ]
    )
    assert recorded.exit_code == 0, recorded.output
    again = runner.invoke(
        args=["report", "totals", "2022", "--desk", "kansai", "--consultations", "11"]
    )
    assert again.exit_code == 0, again.output
    kansai = consultation_figures(db_session, 2022, "kansai")
    assert (kansai.total, kansai.online, kansai.source) == (11, None, "totals")

    deck = tmp_path / "kansai.pptx"
    written = runner.invoke(
        args=["report", "activity", "2025", "-o", str(deck), "--desk", "kansai", "--own-only"]
    )
    assert written.exit_code == 0, written.output
    texts = [
        cell
        for slide in Presentation(io.BytesIO(deck.read_bytes())).slides
        for shape in slide.shapes
        for cell in (
            [c.text for row in shape.table.rows for c in row.cells]
            if shape.has_table
            else [shape.text_frame.text]
            if shape.has_text_frame
            else []
        )
    ]
    assert any("対象窓口：関西窓口" in text for text in texts)
    assert "セミナー開催実績（主催セミナー）" in texts
    assert "数えた回" in texts and "数えていない回" not in texts  # in-company: left out
    unknown = runner.invoke(args=["report", "activity", "2025", "-o", str(deck), "--desk", "x"])
    assert unknown.exit_code != 0 and "no desk has the code" in unknown.output


def test_the_deck_form_can_leave_out_seminars_the_agency_did_not_host(
    organizer_client, three_years
):
    import io

    from pptx import Presentation

    def programme(query: str) -> list[str]:
        data = organizer_client.get(f"/console/reports/2025/activity.pptx{query}").data
        slide = next(
            s
            for s in Presentation(io.BytesIO(data)).slides
            if s.shapes[0].text_frame.text.startswith("セミナー開催実績")
        )
        (table,) = [shape.table for shape in slide.shapes if shape.has_table]
        return [row.cells[3].text for row in table.rows][1:]

    assert programme("") == ["数えた回", "数えていない回"]
    assert programme("?own_only=1") == ["数えた回"]


def test_the_report_offers_a_closed_desk_and_its_files_keep_the_chosen_desk(
    db_session, organizer_client, three_years
):
    from seminar_app.consultations.figures import desk_by_code

    desk_by_code(db_session, "kansai").active = False  # closed after its years
    db_session.commit()
    page = organizer_client.get(f"/console/reports/?fy={SCENARIO_FY}").get_data(as_text=True)
    assert '<option value="kansai">' in page
    chosen = organizer_client.get(f"/console/reports/?fy={SCENARIO_FY}&desk=kansai")
    text = chosen.get_data(as_text=True)
    for extension in ("xlsx", "csv"):
        assert f'href="/console/reports/{SCENARIO_FY}.{extension}?desk=kansai"' in text
    xlsx = organizer_client.get(f"/console/reports/{SCENARIO_FY}.xlsx?desk=kansai")
    assert f"report-fy{SCENARIO_FY}-desk-kansai.xlsx" in xlsx.headers["Content-Disposition"]
    breakdowns = organizer_client.get(
        f"/console/reports/{SCENARIO_FY}-consultations.csv?desk=kansai"
    )
    disposition = breakdowns.headers["Content-Disposition"]
    assert f"report-fy{SCENARIO_FY}-consultations-desk-kansai.csv" in disposition
    rows = breakdowns.get_data(as_text=True).splitlines()
    # The scope is in the file's name, not a row among the breakdowns.
    assert not any(row.split(",")[0] in ("Desks", "窓口") for row in rows)


def _undocumented(answer, schema, components, path="") -> list[str]:
    """The paths of the answer's fields that the OpenAPI schema does not describe."""
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    if isinstance(answer, dict) and "properties" in schema:
        found = []
        for key, value in answer.items():
            if key not in schema["properties"]:
                found.append(f"{path}.{key}")
            else:
                found += _undocumented(
                    value, schema["properties"][key], components, f"{path}.{key}"
                )
        return found
    if isinstance(answer, dict) and isinstance(schema.get("additionalProperties"), dict):
        inner = schema["additionalProperties"]
        return [
            problem
            for key, value in answer.items()
            for problem in _undocumented(value, inner, components, f"{path}[{key}]")
        ]
    return []


def test_the_api_report_documents_every_field_and_gives_satisfaction_per_series_and_level(
    client, db_session, make_user, make_seminar, three_years
):
    from seminar_app.domain import Level, Series
    from tests.test_satisfaction import agency_seminar, answer_survey

    answer_survey(db_session, agency_seminar(make_seminar, 10, Level.BEGINNER), [5, 4, 2, 1])
    utilization = agency_seminar(make_seminar, 11, None, Series.IP_UTILIZATION)
    answer_survey(db_session, utilization, [5, None])
    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    answer = client.get(
        "/api/v1/reports/fiscal-years/2025", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    components = openapi_document("x")["components"]["schemas"]
    assert _undocumented(answer, components["FiscalYearReport"], components) == []
    assert answer["satisfaction"] == 0.6  # 3 of the 5 who rated it
    assert answer["satisfaction_by_series"] == {
        "trade-secret-ip-strategy": 0.5,
        "ip-utilization": 1.0,
    }
    assert answer["satisfaction_by_level"] == {"beginner": 0.5, "none": 1.0}
