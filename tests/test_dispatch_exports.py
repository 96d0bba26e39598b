"""Lecturer dispatch in the fiscal-year report's files: the .xlsx sheet (講師派遣), the CSV of its
own, and the activity deck's slide, each read back and checked against dispatch.figures, the
one place the figures are counted."""

from __future__ import annotations

import csv
import io

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from pptx import Presentation

from seminar_app.dispatch.figures import MEASURES, DispatchCounts, dispatch_figures
from seminar_app.domain import Attribute, DispatchState, Role
from seminar_app.reference import PREFECTURES, reference_name
from seminar_app.reports.activity import SLIDES, DeckOptions, build_deck
from seminar_app.reports.services import fiscal_year_report
from tests.conftest import post_form
from tests.test_dispatch_figures import counts, decide, delivered, jst, receive, schedule

FY = 2025
EMPTY_FY = 2015
#: The sheets of the report's .xlsx before lecturer dispatch, which keep their places.
EARLIER_SHEETS = [
    "Summary",
    "Targets",
    "By host type",
    "Seminars",
    "Attendees by profile",
    "Consultations",
    "Surveys",
    "Year on year",
]
HEADING = SLIDES["dispatch"]


@pytest.fixture
def dispatch_year(db_session, make_user):
    """FY2025's requests in every state, from four prefectures and five types of
    organization; one received in FY2024 whose seminar is in FY2025."""
    lecturer = make_user(Role.LECTURER, Role.ADVISOR, display_name="派遣 講師")
    organizer = make_user(Role.ORGANIZER)
    done = receive(db_session, jst(5, 1, year=2025), prefecture="13", attribute="sme")
    schedule(db_session, done, lecturer, jst(6, 2, year=2025), delivery="online")
    delivered(db_session, done, 25, organizer)
    refused = receive(db_session, jst(5, 2, year=2025), prefecture="27", attribute="sme")
    decide(db_session, refused, "declined", jst(5, 9, year=2025), organizer)
    receive(db_session, jst(7, 1, year=2025), prefecture="27", attribute="public-body")
    on = receive(db_session, jst(8, 1, year=2025), prefecture="13", attribute="university")
    schedule(db_session, on, lecturer, jst(9, 1, year=2025))
    taken_back = receive(
        db_session, jst(5, 3, year=2025), prefecture="23", attribute="large-company"
    )
    decide(db_session, taken_back, "withdrawn", jst(5, 20, year=2025), organizer)
    # Received in March (FY2024), its seminar in April: scheduled in FY2025 only.
    early = receive(db_session, jst(3, 20, year=2025), prefecture="01", attribute="individual")
    schedule(db_session, early, lecturer, jst(4, 15, year=2025))
    figures = dispatch_figures(db_session, FY)
    # Every state counted, so that a column in the wrong place shows.
    assert counts(figures) == DispatchCounts(
        received=5, scheduled=3, delivered=1, declined=1, withdrawn=1
    )
    return figures


def numbers(counted) -> list[int]:
    return [getattr(counted, measure) for measure in MEASURES]


def expected_rows(figures, language: str) -> list[list[object]]:
    """The sheet's rows as dispatch.figures gives them, each value named in `language`."""
    with force_locale(language):
        everything = "All" if language == "en" else "すべて"
        prefecture, attribute = ("Prefecture", "Type of organization")
        if language == "ja":
            prefecture, attribute = ("都道府県", "属性")
        return [
            [everything, None, *numbers(figures)],
            *(
                [prefecture, reference_name(PREFECTURES, code, language), *numbers(counted)]
                for code, counted in figures.by_prefecture.items()
            ),
            *(
                [attribute, Attribute(code).label, *numbers(counted)]
                for code, counted in figures.by_attribute.items()
            ),
        ]


def measure_names(language: str) -> list[str]:
    with force_locale(language):
        return [DispatchState(measure).label for measure in MEASURES]


def workbook(client, fiscal_year: int, language: str):
    response = client.get(
        f"/console/reports/{fiscal_year}.xlsx", headers={"Accept-Language": language}
    )
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def sheet_rows(sheet) -> list[list[object]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


# --- the .xlsx sheet ----------------------------------------------------------------------------


def test_the_xlsx_gains_a_last_sheet_of_lecturer_dispatch_and_keeps_the_others_in_place(
    organizer_client, dispatch_year
):
    book = workbook(organizer_client, FY, "en")
    assert book.sheetnames == [*EARLIER_SHEETS, "Lecturer dispatch"]


def test_the_dispatch_sheet_holds_the_figures_in_all_by_prefecture_and_by_type_in_words(
    organizer_client, dispatch_year
):
    rows = sheet_rows(workbook(organizer_client, FY, "en")["Lecturer dispatch"])
    assert rows[0] == ["Breakdown", "Value", *measure_names("en")]
    assert rows[0][2:] == ["Received", "Scheduled", "Delivered", "Declined", "Withdrawn"]
    assert rows[1:] == expected_rows(dispatch_year, "en")
    # In words, as the page shows them, never the codes.
    assert ["Prefecture", "Tokyo", 2, 2, 1, 0, 0] in rows
    assert ["Type of organization", "Large company", 1, 0, 0, 0, 1] in rows


def test_the_dispatch_sheet_speaks_the_readers_language(organizer_client, dispatch_year):
    book = workbook(organizer_client, FY, "ja")
    assert book.sheetnames[-1] == "講師派遣"
    rows = sheet_rows(book["講師派遣"])
    assert rows[0] == ["区分", "内容", *measure_names("ja")]
    assert rows[1:] == expected_rows(dispatch_year, "ja")
    assert ["都道府県", "北海道", 0, 1, 0, 0, 0] in rows


def test_a_year_without_dispatch_has_the_sheet_with_zeros(organizer_client):
    book = workbook(organizer_client, EMPTY_FY, "en")
    assert book.sheetnames[-1] == "Lecturer dispatch"
    assert sheet_rows(book["Lecturer dispatch"])[1:] == [["All", None, 0, 0, 0, 0, 0]]


# --- the CSV ------------------------------------------------------------------------------------


def test_the_dispatch_csv_is_a_file_of_its_own_with_the_sheets_rows(
    organizer_client, dispatch_year
):
    response = organizer_client.get(
        f"/console/reports/{FY}-dispatch.csv", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    assert f"report-fy{FY}-dispatch.csv" in response.headers["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == ["Breakdown", "Value", *measure_names("en")]
    as_text = [["" if cell is None else str(cell) for cell in row] for row in rows]
    assert as_text == [
        ["" if cell is None else str(cell) for cell in row]
        for row in expected_rows(dispatch_year, "en")
    ]


def test_the_dispatch_csv_is_the_same_for_every_desk_and_named_so(organizer_client, dispatch_year):
    every = organizer_client.get(f"/console/reports/{FY}-dispatch.csv")
    main = organizer_client.get(f"/console/reports/{FY}-dispatch.csv?desk=main")
    assert main.data == every.data
    assert f"report-fy{FY}-dispatch.csv" in main.headers["Content-Disposition"]


def test_the_seminars_csv_keeps_its_columns_and_carries_no_dispatch_rows(
    organizer_client, dispatch_year
):
    header, *rows = csv_rows(
        organizer_client.get(f"/console/reports/{FY}.csv", headers={"Accept-Language": "en"})
    )
    assert header[:3] == ["Date (JST)", "Title", "Type"] and len(header) == 10
    # Its rows are seminars: the three dispatches' in-company seminars, no figures.
    assert len(rows) == 3 and not [row for row in rows if row[0] in ("All", "Prefecture")]


def test_the_dispatch_csv_of_a_year_without_dispatch_says_zero(organizer_client):
    response = organizer_client.get(
        f"/console/reports/{EMPTY_FY}-dispatch.csv", headers={"Accept-Language": "en"}
    )
    assert csv_rows(response)[1:] == [["All", "", "0", "0", "0", "0", "0"]]


def test_the_report_page_links_the_dispatch_csv(organizer_client):
    html = organizer_client.get(f"/console/reports/?fy={FY}").get_data(as_text=True)
    section = html.split('id="dispatch"')[1]
    assert f'href="/console/reports/{FY}-dispatch.csv"' in section


# --- the activity deck --------------------------------------------------------------------------


def dispatch_slide(deck):
    (slide,) = [slide for slide in deck.slides if slide.shapes[0].text_frame.text == HEADING]
    return slide


def slide_tables(slide) -> list[list[list[str]]]:
    return [
        [[cell.text for cell in row.cells] for row in shape.table.rows]
        for shape in slide.shapes
        if shape.has_table
    ]


def slide_texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def open_deck(session, fiscal_year: int = FY, commentary: dict[str, str] | None = None):
    options = DeckOptions(agency_name="知財戦略支援センター", commentary=commentary or {})
    report = fiscal_year_report(session, fiscal_year, jst(5, 1, year=2026))
    return Presentation(io.BytesIO(build_deck(report, options=options)))


def test_the_deck_has_a_dispatch_slide_after_the_seminars_summary(db_session, dispatch_year):
    headings = [slide.shapes[0].text_frame.text for slide in open_deck(db_session).slides]
    assert headings.index(HEADING) == headings.index(SLIDES["summary"]) + 1


def test_the_dispatch_slide_gives_the_years_figures_and_both_breakdowns(db_session, dispatch_year):
    figures = dispatch_year
    headline, by_prefecture, by_attribute = slide_tables(dispatch_slide(open_deck(db_session)))
    names = measure_names("ja")
    assert headline == [names, [f"{number}件" for number in numbers(figures)]]
    assert by_prefecture[0] == ["都道府県", *names]
    # The most requests first: Tokyo and Osaka (2 each, Tokyo scheduled more), then Aichi.
    assert [row[0] for row in by_prefecture[1:]] == ["東京都", "大阪府", "愛知県", "北海道"]
    with force_locale("ja"):
        names_of = {reference_name(PREFECTURES, code, "ja"): code for code in PREFECTURES}
        attributes_of = {Attribute(code).label: code for code in figures.by_attribute}
    for row in by_prefecture[1:]:
        assert row[1:] == [str(n) for n in numbers(figures.by_prefecture[names_of[row[0]]])]
    assert by_attribute[0] == ["属性", *names]
    # In the glossary's order, as on the page.
    assert [attributes_of[row[0]] for row in by_attribute[1:]] == list(figures.by_attribute)
    for row in by_attribute[1:]:
        assert row[1:] == [str(n) for n in numbers(figures.by_attribute[attributes_of[row[0]]])]


def test_a_year_without_dispatch_shows_zeros_and_nothing_to_break_down(db_session):
    slide = dispatch_slide(open_deck(db_session, EMPTY_FY))
    (headline,) = slide_tables(slide)
    assert headline[1] == ["0件"] * len(MEASURES)
    assert "該当なし" in slide_texts(slide)


@pytest.fixture
def many_prefectures(db_session):
    """FY2025: requests from twelve prefectures, Tokyo three and Osaka two, the rest one."""
    codes = ["13"] * 3 + ["27"] * 2 + ["01", "04", "11", "14", "22", "23", "26", "34", "40", "47"]
    for day, code in enumerate(codes, start=1):
        receive(db_session, jst(6, day, year=2025), prefecture=code, attribute="sme")
    return dispatch_figures(db_session, FY)


@pytest.mark.parametrize(("commentary", "shown"), [({}, 10), ({"dispatch": "所感の一行"}, 7)])
def test_prefectures_beyond_the_room_are_summed_up_in_the_last_row(
    db_session, many_prefectures, commentary, shown
):
    figures = many_prefectures
    assert len(figures.by_prefecture) == 12
    slide = dispatch_slide(open_deck(db_session, commentary=commentary))
    _headline, by_prefecture, _by_attribute = slide_tables(slide)
    rows = by_prefecture[1:]
    assert len(rows) == shown
    assert [row[0] for row in rows[:2]] == ["東京都", "大阪府"]
    assert rows[-1][0] == f"ほか{12 - shown + 1}都道府県"
    # The rows still add up to the year's figures.
    totals = [sum(int(row[column]) for row in rows) for column in range(1, len(MEASURES) + 1)]
    assert totals == numbers(figures)
    assert ("【所感】所感の一行" in slide_texts(slide)) == bool(commentary)


def test_the_dispatch_slide_takes_the_commentary_written_in_the_console(
    organizer_client, db_session, dispatch_year
):
    form = organizer_client.get(f"/console/reports/{FY}/commentary").get_data(as_text=True)
    assert 'name="dispatch"' in form
    response = post_form(
        organizer_client, f"/console/reports/{FY}/commentary", {"dispatch": "依頼が増えた。"}
    )
    assert response.status_code == 302
    deck = Presentation(
        io.BytesIO(organizer_client.get(f"/console/reports/{FY}/activity.pptx").data)
    )
    assert "【所感】依頼が増えた。" in slide_texts(dispatch_slide(deck))
