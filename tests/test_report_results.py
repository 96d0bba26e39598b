"""One typed report of a fiscal year read by every door, and every table download through
`exports`: the page, the CSV and .xlsx files, the deck, the terminal and the API agree."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from pptx import Presentation

from seminar_app import exports
from seminar_app.attendance import services as attendance
from seminar_app.auth.services import issue_api_token
from seminar_app.consultations.services import ConsultationInput, record_consultation
from seminar_app.domain import CheckInMethod, Delivery, HostType, Role, label
from seminar_app.exports import FORMULA_PREFIXES
from seminar_app.i18n import format_fiscal_year
from seminar_app.reports import services
from seminar_app.reports.services import fiscal_year_figures, fiscal_year_report
from seminar_app.surveys import services as surveys
from seminar_app.timeutil import to_jst, utcnow
from tests.conftest import login
from tests.registration_helpers import register

FY = 2024
HELD = datetime(2024, 11, 16, 5, 0, tzinfo=UTC)  # 14:00 in Tokyo
#: Text a spreadsheet would run as a formula, typed where people type.
FORMULA_TITLE = "=SUM(1) 営業秘密セミナー"
FORMULA_NAME = "=cmd 太郎"
FORMULA_ORGANIZATION = "@SUM(1) 商事"


def consult(session, held_on: date, channel: str, organization: str | None = None) -> None:
    values = ConsultationInput(
        held_on=held_on,
        channel=channel,
        attribute="sme",
        topics=["contracts"],
        source="direct",
        industry="E",
        organization=organization,
    )
    record_consultation(session, values, advisor=None, by=None)


@pytest.fixture
def year(db_session, make_seminar):
    """FY2024: an agency seminar online with an attendee, a no-show and a survey answer; an
    in-company seminar counted by head; two consultations (one online); one in FY2023."""
    online = make_seminar(title=FORMULA_TITLE)
    came = register(db_session, online, name=FORMULA_NAME, organization=FORMULA_ORGANIZATION)
    register(db_session, online)
    online.starts_at, online.ends_at = HELD, HELD + timedelta(hours=2)
    survey = surveys.create_survey(db_session, online)
    db_session.commit()
    attendance.admit(
        db_session, came, online.id, by=None, method=CheckInMethod.SCAN, desk="A", now=HELD
    )
    answers, errors = surveys.validate_answers(
        survey, {"satisfaction": "5", "understanding": "4", "comment": '=HYPERLINK("x")'}
    )
    assert errors == {}
    surveys.submit_answer(db_session, survey, came, answers, True, utcnow())
    make_seminar(
        starts_at=HELD + timedelta(days=30),
        registration_opens_at=None,
        registration_closes_at=None,
        host_type=HostType.IN_COMPANY,
        delivery=Delivery.IN_PERSON,
        venue="会場",
        meeting_url=None,
        capacity=None,
        host_organization="株式会社A",
        head_count=12,
    )
    consult(db_session, date(2024, 6, 1), "online", organization=FORMULA_ORGANIZATION)
    consult(db_session, date(2025, 3, 31), "phone")
    consult(db_session, date(2023, 9, 1), "phone")
    db_session.commit()
    return online


def test_the_report_holds_the_years_figures(db_session, year):
    report = fiscal_year_report(db_session, FY, utcnow())
    figures = report.figures
    assert (figures.seminars.total, figures.seminars.online) == (2, 1)
    assert figures.attendees.total == 1 + 12
    assert (figures.registrations.attended, figures.registrations.no_shows) == (1, 1)
    assert (figures.consultations.total, figures.consultations.online) == (2, 1)
    first, counted = report.programme
    assert (first.title, first.confirmed, first.attendees) == (FORMULA_TITLE, 2, 1)
    assert counted.head_counted and counted.attendees == 12
    assert report.surveys.overall.answers == 1 and report.surveys.overall.satisfaction == 5.0
    assert report.online_agency_attendees == 1
    assert [year.fiscal_year for year in report.years] == list(range(FY - 4, FY + 1))
    last, before = report.years[-1], report.years[-2]
    assert (last.seminars, last.attendees, last.consultations) == (2, 13, 2)
    assert (
        before.consultations
        == fiscal_year_figures(db_session, FY - 1, utcnow()).consultations.total
        == 1
    )
    assert (last.consultations_change, last.attendees_change) == (1, 13)


def test_page_files_deck_terminal_and_api_show_the_same_figures(
    app, db_session, client, make_user, year
):
    now = utcnow()
    report = fiscal_year_report(db_session, FY, now)
    figures = report.figures
    organizer = make_user(Role.ORGANIZER)
    token = issue_api_token(db_session, organizer)
    db_session.commit()
    login(client, organizer)
    client.get("/language/en")

    api = client.get(
        f"/api/v1/reports/fiscal-years/{FY}", headers={"Authorization": f"Bearer {token}"}
    )
    assert api.get_json() == json.loads(json.dumps(figures.as_dict()))

    page = client.get(f"/console/reports/?fy={FY}").get_data(as_text=True)
    for number in (figures.seminars.total, figures.attendees.total, figures.registrations.total):
        assert f'<span class="stat-number">{number}</span>' in page
    assert (
        f"All desks: {figures.consultations.total} consultations, of which online 1 consultation."
        in page
    )

    seminars = csv_rows(client.get(f"/console/reports/{FY}.csv"))
    assert [row[5:7] for row in seminars[1:]] == [
        [str(row.confirmed), str(row.attendees)] for row in report.programme
    ]
    assert seminars[1][0] == to_jst(HELD).strftime("%Y-%m-%d %H:%M")

    book = load_workbook(io.BytesIO(client.get(f"/console/reports/{FY}.xlsx").data))
    summary = [
        value for _name, value, _note in book["Summary"].iter_rows(min_row=2, values_only=True)
    ]
    assert summary == [
        figures.seminars.total,
        figures.seminars.online,
        figures.attendees.total,
        figures.attendees.hybrid.venue,
        figures.attendees.hybrid.online,
        figures.seminars.without_head_count,
        figures.registrations.total,
        figures.registrations.attendance_rate,
        figures.registrations.no_shows,
        figures.recordings.opened,
        figures.satisfaction,
        figures.consultations.total,
        figures.consultations.online,
    ]
    with force_locale("en"):
        years = [format_fiscal_year(year.fiscal_year) for year in report.years]
        hosts = {label(host): host for host in HostType}
    assert list(book["Year on year"].iter_rows(min_row=2, values_only=True)) == [
        (name, row.seminars, row.attendees, *dashed(row), None)
        for name, row in zip(years, report.years, strict=True)
    ]
    for host, seminars_held, online, attendees in book["By host type"].iter_rows(
        min_row=2, values_only=True
    ):
        counts = figures.seminars.by_host_type[hosts[host]]
        assert (seminars_held, online) == (counts.total, counts.online)
        assert attendees == figures.attendees.by_host_type[hosts[host]]

    deck = Presentation(io.BytesIO(client.get(f"/console/reports/{FY}/activity.pptx").data))
    texts = [
        shape.text_frame.text for s in deck.slides for shape in s.shapes if shape.has_text_frame
    ]
    assert f"参加者合計 {figures.attendees.total}名" in "\n".join(texts)
    assert f"オンラインセミナー参加者（主催） {report.online_agency_attendees}名" in "\n".join(
        texts
    )

    output = app.test_cli_runner().invoke(args=["report", "fy", str(FY)]).output
    assert f"Attendees: {figures.attendees.total}" in output
    assert f"Consultations: {figures.consultations.total} (online 1)" in output


def test_the_presentation_of_an_unknown_figure_is_a_dash_never_zero(
    db_session, organizer_client, year, monkeypatch
):
    """The shape a figure nobody recorded takes (issue 17): a seminar without attendees."""
    known = fiscal_year_report(db_session, FY, utcnow())
    unknown = dataclasses.replace(known.programme[1], attendees=None)
    report = dataclasses.replace(known, programme=(known.programme[0], unknown))
    monkeypatch.setattr(services, "fiscal_year_report", lambda *args, **kwargs: report)
    assert report.online_agency_attendees == known.online_agency_attendees

    seminars = csv_rows(organizer_client.get(f"/console/reports/{FY}.csv"))
    assert seminars[2][6] == "—" and seminars[1][6] == "1"
    page = organizer_client.get(f"/console/reports/?fy={FY}").get_data(as_text=True)
    assert f'<td data-seminar-attendees="{unknown.seminar_id}">— ' in page
    deck = organizer_client.get(f"/console/reports/{FY}/activity.pptx").data
    slide = next(
        s for s in Presentation(io.BytesIO(deck)).slides if "セミナー開催実績" in texts_of(s)
    )
    (table,) = [shape.table for shape in slide.shapes if shape.has_table]
    assert [row.cells[4].text for row in table.rows][1:] == ["1", "—"]


def dashed(row) -> tuple[object, object]:
    """A year's consultations as a spreadsheet holds them: "—" where nobody recorded them."""
    return tuple(
        "—" if value is None else value for value in (row.consultations, row.consultations_online)
    )


def texts_of(slide) -> str:
    return "\n".join(shape.text_frame.text for shape in slide.shapes if shape.has_text_frame)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def table_download_rules(app) -> set[tuple[str, str]]:
    """Every route that downloads a table, with each extension it answers."""
    return {
        (rule.rule, extension)
        for rule in app.url_map.iter_rules()
        for extension in getattr(rule._converters.get("extension"), "items", set())
        if extension in ("csv", "xlsx")
    }


#: (path, file name, text typed by a person that the file shows, neutralised)
TABLE_DOWNLOADS = [
    ("/console/reports/{fy}.csv", "report-fy{fy}.csv", FORMULA_TITLE),
    ("/console/reports/{fy}-seminars.csv", "report-fy{fy}.csv", FORMULA_TITLE),
    ("/console/reports/{fy}-consultations.csv", "report-fy{fy}-consultations.csv", None),
    ("/console/reports/{fy}-dispatch.csv", "report-fy{fy}-dispatch.csv", None),
    ("/console/reports/{fy}.xlsx", "report-fy{fy}.xlsx", FORMULA_TITLE),
    ("/console/consultations/{fy}.csv", "consultations-fy{fy}.csv", FORMULA_ORGANIZATION),
    ("/console/consultations/{fy}.xlsx", "consultations-fy{fy}.xlsx", FORMULA_ORGANIZATION),
    (
        "/console/consultations/{fy}.xlsx?notes=1",
        "consultations-fy{fy}-with-notes.xlsx",
        FORMULA_ORGANIZATION,
    ),
    ("/console/seminars/{id}/registrations.csv", "registrations-{slug}.csv", FORMULA_NAME),
    ("/console/seminars/{id}/registrations.xlsx", "registrations-{slug}.xlsx", FORMULA_NAME),
    ("/console/seminars/{id}/attendance.csv", "attendance-{slug}.csv", FORMULA_NAME),
    ("/console/seminars/{id}/attendance.xlsx", "attendance-{slug}.xlsx", FORMULA_NAME),
    ("/console/seminars/{id}/survey.csv", "survey-{id}.csv", FORMULA_NAME),
    ("/console/seminars/{id}/survey.xlsx", "survey-{id}.xlsx", FORMULA_NAME),
]


def test_every_table_download_of_the_app_is_checked_here(app):
    adapter = app.url_map.bind("localhost")
    checked = set()
    for path, _filename, _typed in TABLE_DOWNLOADS:
        rule, values = adapter.match(path.format(fy=FY, id=1).split("?")[0], return_rule=True)
        checked.add((rule.rule, values["extension"]))
    assert checked == table_download_rules(app)


def cells(response, extension: str) -> list[object]:
    if extension == "csv":
        return [cell for row in csv_rows(response) for cell in row]
    book = load_workbook(io.BytesIO(response.data))
    return [value for sheet in book for row in sheet.iter_rows(values_only=True) for value in row]


@pytest.mark.parametrize(("path", "filename", "typed"), TABLE_DOWNLOADS)
def test_every_table_download_is_written_by_exports(
    organizer_client, year, monkeypatch, path, filename, typed
):
    written = []
    for name in ("to_csv", "to_xlsx"):
        monkeypatch.setattr(exports, name, spy(getattr(exports, name), written))
    path = path.format(fy=FY, id=year.id)
    extension = path.split("?")[0].rsplit(".", 1)[1]

    response = organizer_client.get(path)
    assert response.status_code == 200
    assert written == [extension], "the file was not written by exports"
    disposition = response.headers["Content-Disposition"]
    assert (
        disposition
        == f'attachment; filename="{filename.format(fy=FY, id=year.id, slug=year.slug)}"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    if extension == "csv":
        assert response.data.startswith("\ufeff".encode())
        assert response.mimetype == "text/csv"
    else:
        assert response.mimetype == exports.XLSX_MIMETYPE
    shown = [value for value in cells(response, extension) if isinstance(value, str)]
    assert not [value for value in shown if value.startswith(FORMULA_PREFIXES)]
    if typed is not None:
        assert f"'{typed}" in shown


def spy(write, calls: list[str]):
    def written(*args):
        calls.append("csv" if write.__name__ == "to_csv" else "xlsx")
        return write(*args)

    return written


def test_a_value_is_labelled_by_its_own_breakdowns_vocabulary(app):
    """ "other" is an attribute, a topic and a referral, each with its own label."""
    from seminar_app.consultations.models import step_label
    from seminar_app.reports.tables import value_label

    with app.test_request_context(), force_locale("en"):
        assert value_label("topic", "other") == "Other topic"
        assert value_label("referral", "other") == "Other referral"
        assert value_label("attribute", "other") == "Other"
        assert value_label("step", "3") == step_label(3)
        assert value_label("topic", "unknown") == "Unknown"
