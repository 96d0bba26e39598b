"""The activity deck (活動状況): opened with python-pptx, its figures checked against the report."""

import io
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale
from pptx import Presentation
from pptx.oxml.ns import qn

from seminar_app.consultations.services import ConsultationInput, record_consultation
from seminar_app.domain import (
    Attribute,
    Channel,
    Delivery,
    EmployeeBand,
    HostType,
    Level,
    SeminarStatus,
    Series,
    Source,
    Topic,
    label,
)
from seminar_app.i18n import format_fiscal_year
from seminar_app.reference import INDUSTRIES, reference_name
from seminar_app.reports.activity import DISTRIBUTIONS, FONT, build_deck
from seminar_app.reports.services import fiscal_year_figures, fiscal_year_report, seminar_rows

FY = 2025
NOW = datetime(2026, 5, 1, tzinfo=UTC)
AGENCY = "知財戦略支援センター"

#: (Tokyo date shown, UTC start, host type, delivery, level, head-count)
PROGRAMME = [
    # 2025-04-01 00:30 JST is still 31 March in UTC: the table must show the Tokyo date.
    (
        "2025/04/01",
        datetime(2025, 3, 31, 15, 30, tzinfo=UTC),
        HostType.AGENCY,
        Delivery.ONLINE,
        Level.BEGINNER,
        30,
    ),
    (
        "2025/09/10",
        datetime(2025, 9, 10, 1, tzinfo=UTC),
        HostType.IN_COMPANY,
        Delivery.ONLINE,
        None,
        12,
    ),
    (
        "2025/10/10",
        datetime(2025, 10, 10, 1, tzinfo=UTC),
        HostType.IN_COMPANY,
        Delivery.IN_PERSON,
        None,
        9,
    ),
    (
        "2025/11/16",
        datetime(2025, 11, 16, 5, tzinfo=UTC),
        HostType.AGENCY,
        Delivery.ONLINE,
        Level.INTERMEDIATE,
        25,
    ),
    (
        "2025/12/15",
        datetime(2025, 12, 15, 5, tzinfo=UTC),
        HostType.AGENCY,
        Delivery.IN_PERSON,
        None,
        18,
    ),
    (
        "2026/01/28",
        datetime(2026, 1, 28, 5, tzinfo=UTC),
        HostType.AGENCY,
        Delivery.HYBRID,
        Level.WORKSHOP,
        22,
    ),
    (
        "2026/02/16",
        datetime(2026, 2, 16, 5, tzinfo=UTC),
        HostType.EXTERNAL,
        Delivery.IN_PERSON,
        None,
        80,
    ),
]

#: (date, channel, attribute, employee band, industry, topics)
CONSULTATIONS = [
    (date(2023, 5, 10), "in-person", "sme", "6-20", "E", ["ip-strategy"]),  # FY2023
    (date(2023, 8, 1), "online", "sme", "6-20", "E", ["ip-strategy"]),
    (date(2024, 6, 1), "phone", "sme", None, None, ["other"]),  # FY2024
    (date(2025, 1, 15), "email", "individual", None, None, ["other"]),
    (date(2025, 3, 31), "online", "sme", "1-5", "E", ["contracts"]),  # last day of FY2024
    (date(2025, 4, 1), "online", "sme", "21-50", "E", ["trade-secret-management", "contracts"]),
    (date(2025, 6, 1), "in-person", "sme", "1-5", "E", ["trade-secret-management"]),
    (date(2025, 9, 9), "online", "large-company", "1001+", "G", ["ip-strategy"]),
    (date(2026, 1, 20), "phone", "individual", None, None, ["other"]),
    (date(2026, 3, 31), "email", "university", None, "O", ["contracts", "leak-incident"]),
    (date(2026, 4, 1), "online", "sme", "1-5", "E", ["ip-strategy"]),  # FY2026
]


def held_seminar(make_seminar, starts_at, host_type, delivery, level, head_count, **overrides):
    values = dict(
        starts_at=starts_at,
        host_type=host_type,
        delivery=delivery,
        level=level,
        head_count=head_count,
        registration_opens_at=None,
        registration_closes_at=None,
    )
    if host_type != HostType.AGENCY:
        values.update(capacity=None, host_organization="株式会社テスト")
    if delivery != Delivery.ONLINE:
        values.update(venue="会場", meeting_url=None)
    values.update(overrides)
    return make_seminar(**values)


def consult(session, held_on, channel, attribute, band, industry, topics):
    values = ConsultationInput(
        held_on=held_on,
        channel=channel,
        attribute=attribute,
        topics=topics,
        source="direct",
        employee_band=band,
        industry=industry,
    )
    record_consultation(session, values, advisor=None, by=None)


@pytest.fixture
def active_year(db_session, make_seminar):
    for _, starts_at, host_type, delivery, level, head_count in PROGRAMME:
        held_seminar(make_seminar, starts_at, host_type, delivery, level, head_count)
    june = datetime(2025, 6, 1, 5, tzinfo=UTC)
    held_seminar(
        make_seminar,
        june,
        HostType.AGENCY,
        Delivery.ONLINE,
        None,
        50,
        status=SeminarStatus.CANCELLED,
    )
    # 2025-03-31 23:00 JST: the last hour of FY2024.
    held_seminar(
        make_seminar,
        datetime(2025, 3, 31, 14, tzinfo=UTC),
        HostType.AGENCY,
        Delivery.ONLINE,
        None,
        99,
    )
    for row in CONSULTATIONS:
        consult(db_session, *row)
    db_session.flush()
    return db_session


def open_deck(session, fiscal_year=FY):
    data = build_deck(fiscal_year_report(session, fiscal_year, NOW), agency_name=AGENCY)
    return Presentation(io.BytesIO(data))


def heading(slide) -> str:
    first = slide.shapes[0]
    return first.text_frame.text if first.has_text_frame else ""


def slides_headed(deck, text: str) -> list:
    return [slide for slide in deck.slides if heading(slide).startswith(text)]


def only_slide(deck, text: str):
    (slide,) = [slide for slide in deck.slides if heading(slide).endswith(text)]
    return slide


def texts(slide) -> list[str]:
    found = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            found += [paragraph.text for paragraph in shape.text_frame.paragraphs]
        if shape.has_table:
            found += [cell.text for row in shape.table.rows for cell in row.cells]
    return found


def charts(slide) -> list:
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def table_rows(slide) -> list[list[str]]:
    (table,) = [shape.table for shape in slide.shapes if shape.has_table]
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_title_names_the_agency_the_fiscal_year_and_the_period(active_year):
    deck = open_deck(active_year)
    assert deck.slide_width > deck.slide_height * 1.7  # 16:9
    title = texts(deck.slides[0])
    assert f"{AGENCY}　2025年度（令和7年度） 活動状況" in title
    assert "2025年4月1日〜2026年3月31日" in title


def test_years_are_written_one_way_before_and_after_reiwa():
    assert [format_fiscal_year(year, "ja") for year in (2018, 2019, 2020, 2025)] == [
        "2018年度（平成30年度）",
        "2019年度（令和元年度）",
        "2020年度（令和2年度）",
        "2025年度（令和7年度）",
    ]


def test_trend_shows_three_years_of_consultations_as_chart_and_table(active_year):
    desks = [
        fiscal_year_figures(active_year, year, NOW).consultations for year in (FY - 2, FY - 1, FY)
    ]
    totals = [desk.total for desk in desks]
    online = [desk.online for desk in desks]
    # 2025-03-31 counts in FY2024 and 2025-04-01 in FY2025.
    assert (totals, online) == ([2, 3, 5], [1, 1, 2])

    slide = only_slide(open_deck(active_year), "相談件数の推移")
    (chart,) = charts(slide)
    assert list(chart.plots[0].categories) == [
        "2023年度（令和5年度）",
        "2024年度（令和6年度）",
        "2025年度（令和7年度）",
    ]
    assert {series.name: list(series.values) for series in chart.series} == {
        "相談件数": totals,
        "うちオンライン": online,
    }
    assert chart.plots[0].has_data_labels
    assert table_rows(slide)[1:] == [
        [format_fiscal_year(year, "ja"), str(total), str(count)]
        for year, total, count in zip((FY - 2, FY - 1, FY), totals, online, strict=True)
    ]


#: The vocabulary of each breakdown of coded values ("other" is a topic's own "other").
VOCABULARY = {
    "attribute": Attribute,
    "employee_band": EmployeeBand,
    "topic": Topic,
    "channel": Channel,
    "source": Source,
}


def category_name(key: str, value: str) -> str:
    if value == "unknown":
        return "不明"
    if key == "industry":
        return reference_name(INDUSTRIES, value, "ja")
    return label(VOCABULARY[key](value))


@pytest.mark.parametrize(
    ("key", "title", "categories"),
    [
        ("attribute", "相談者の属性", 4),
        ("employee_band", "従業員規模", 4),
        ("industry", "業種", 4),
        ("topic", "相談内容", 5),
        ("channel", "相談の方法", 4),
        ("source", "相談のきっかけ", 1),
    ],
)
def test_distribution_chart_shows_the_non_zero_counts_of_the_year(
    active_year, key, title, categories
):
    counts = fiscal_year_figures(active_year, FY, NOW).consultations.breakdown(key)
    expected = [count for count in counts.values() if count]
    assert len(expected) == categories

    (chart,) = charts(only_slide(open_deck(active_year), f"：{title}"))
    shown = list(chart.plots[0].categories)
    (values,) = [list(series.values) for series in chart.series]
    assert len(shown) == categories and Counter(values) == Counter(expected)
    with force_locale("ja"):
        names = {value: category_name(key, value) for value in counts}
    assert dict(zip(shown, values, strict=True)) == {
        names[value]: count for value, count in counts.items() if count
    }


def test_many_industries_are_all_charted_in_smaller_type(db_session):
    industries = list(INDUSTRIES)[:11]
    for industry in industries:
        consult(db_session, date(2025, 5, 1), "online", "sme", None, industry, ["other"])
    db_session.flush()
    (chart,) = charts(only_slide(open_deck(db_session), "：業種"))
    with force_locale("ja"):
        assert list(chart.plots[0].categories) == [
            category_name("industry", code) for code in industries
        ]
    assert chart.category_axis.tick_labels.font.size.pt == 10


def test_programme_table_has_one_row_per_held_seminar(active_year):
    rows = seminar_rows(active_year, FY, NOW)
    assert len(rows) == len(PROGRAMME)

    (slide,) = slides_headed(open_deck(active_year), "セミナー開催実績")
    header, *lines = table_rows(slide)
    assert header == ["開催日", "種別", "形式", "テーマ", "参加者数", "満足度"]
    assert [line[0] for line in lines] == [day for day, *_ in PROGRAMME]
    assert [line[3] for line in lines] == [row.title for row in rows]
    assert [int(line[4]) for line in lines] == [row.attendees for row in rows]
    with force_locale("ja"):
        # The agency's own seminars by series and level, the others by host type.
        first_kind = f"{label(Series.TRADE_SECRET_IP_STRATEGY)}（{label(Level.BEGINNER)}）"
        assert [line[1] for line in lines][:2] == [first_kind, label(HostType.IN_COMPANY)]
        assert lines[5][2] == label(Delivery.HYBRID)


def test_summary_states_seminars_by_host_and_their_participants(active_year):
    figures = fiscal_year_figures(active_year, FY, NOW)
    by_host = figures.seminars.by_host_type
    # As the agency counts it: the agency's own seminars held online (not in-company ones).
    online_people = sum(
        row.attendees
        for row in seminar_rows(active_year, FY, NOW)
        if row.delivery == Delivery.ONLINE
        and row.host_type == HostType.AGENCY
        and row.attendees is not None
    )
    assert online_people == 30 + 25

    shown = texts(only_slide(open_deck(active_year), "セミナー等の実施状況"))
    agency, in_company = by_host["agency"], by_host["in-company"]
    assert (agency.total, agency.online) == (4, 2)
    assert f"{agency.total}回（うちオンライン {agency.online}回）" in shown
    assert f"{in_company.total}回（うちオンライン {in_company.online}回）" in shown
    external_row = shown.index("他機関主催セミナーでの講演")
    assert shown[external_row + 1] == f"{by_host['external'].total}回" == "1回"
    assert f"参加者合計 {figures.attendees.total}名" in shown
    assert f"オンラインセミナー参加者（主催） {online_people}名" in shown


def test_long_programme_continues_on_the_next_slide(db_session, make_seminar):
    for day in range(1, 14):
        held_seminar(
            make_seminar,
            datetime(2025, 5, day, 5, tzinfo=UTC),
            HostType.AGENCY,
            Delivery.ONLINE,
            Level.BEGINNER,
            day,
        )
    db_session.flush()
    slides = slides_headed(open_deck(db_session), "セミナー開催実績")
    assert [heading(slide) for slide in slides] == ["セミナー開催実績", "セミナー開催実績（続き）"]
    attendees = [int(line[4]) for slide in slides for line in table_rows(slide)[1:]]
    assert [len(table_rows(slide)) - 1 for slide in slides] == [12, 1]
    assert attendees == list(range(1, 14))


def test_an_empty_year_still_builds_with_nothing_to_report(db_session):
    deck = open_deck(db_session, 2019)
    assert f"{AGENCY}　2019年度（令和元年度） 活動状況" in texts(deck.slides[0])
    everything = [text for slide in deck.slides for text in texts(slide)]
    # every distribution (its year and the two before have nothing), the programme and
    # lecturer dispatch's breakdowns
    assert everything.count("該当なし") == len(DISTRIBUTIONS) + 2
    (trend,) = [chart for slide in deck.slides for chart in charts(slide)]
    assert [list(series.values) for series in trend.series] == [[0, 0, 0], [0, 0, 0]]
    assert "0回（うちオンライン 0回）" in everything


def text_frames(shape) -> list:
    if shape.has_text_frame:
        return [shape.text_frame]
    if shape.has_table:
        return [cell.text_frame for row in shape.table.rows for cell in row.cells]
    return []


def east_asian_typeface(properties) -> str | None:
    element = properties.find(qn("a:ea")) if properties is not None else None
    return element.get("typeface") if element is not None else None


def test_all_text_is_set_in_noto_sans_cjk_jp(active_year):
    deck = open_deck(active_year)
    runs = [
        run
        for slide in deck.slides
        for shape in slide.shapes
        for frame in text_frames(shape)
        for paragraph in frame.paragraphs
        for run in paragraph.runs
    ]
    assert len(runs) > 50
    typefaces = {(run.font.name, east_asian_typeface(run._r.rPr)) for run in runs}
    assert typefaces == {(FONT, FONT)}
    chart_typefaces = {
        element.get("typeface")
        for slide in deck.slides
        for chart in charts(slide)
        for element in chart._chartSpace.iter(qn("a:ea"))
    }
    assert chart_typefaces == {FONT}


def test_links_and_contact_come_from_settings_and_their_slide_is_left_out_when_unset(
    app, db_session
):
    from seminar_app.config import report_links
    from seminar_app.reports.activity import deck_options

    links = report_links("営業秘密管理指針|https://example.go.jp/a; https://example.jp/b\n|")
    assert links == (("営業秘密管理指針", "https://example.go.jp/a"), ("", "https://example.jp/b"))
    report = fiscal_year_report(db_session, FY, NOW)
    unset = Presentation(io.BytesIO(build_deck(report, options=deck_options(app.config))))
    assert not slides_headed(unset, "参考リンク")

    settings = {
        **app.config,
        "REPORT_LINKS": links,
        "DESK_CONTACT_NAME": "営業秘密・知財戦略相談窓口",
        "DESK_CONTACT_PHONE": "03-0000-0000",
        "DESK_CONTACT_EXTENSION": "12",
        "DESK_CONTACT_ADDRESS": "",
    }
    deck = Presentation(io.BytesIO(build_deck(report, options=deck_options(settings))))
    (slide,) = slides_headed(deck, "参考リンク・お問い合わせ")
    shown = texts(slide)
    assert "営業秘密管理指針" in shown and "https://example.jp/b" in shown
    assert "電話：03-0000-0000（内線 12）" in shown
    assert not [text for text in shown if text.startswith("所在地")]


def test_the_satisfaction_table_says_how_many_rows_did_not_fit(active_year):
    import dataclasses

    from seminar_app.reports.activity import SATISFACTION_ROWS
    from seminar_app.reports.results import SurveyNumbers

    report = fiscal_year_report(active_year, FY, NOW)
    numbers = SurveyNumbers(answers=1, satisfaction=5.0, understanding=5.0, satisfied_share=1.0)
    many = {f"series-{n}": numbers for n in range(SATISFACTION_ROWS + 2)}
    report = dataclasses.replace(
        report, surveys=dataclasses.replace(report.surveys, by_series=many)
    )
    deck = Presentation(io.BytesIO(build_deck(report, agency_name=AGENCY)))
    rows = table_rows(only_slide(deck, "セミナーの満足度"))
    # heading, all seminars, then as many series as fit and a last line for the rest
    shown = len(rows) - 3
    assert len(rows) == SATISFACTION_ROWS
    assert rows[-1][0] == f"（ほか{len(many) - shown}区分）"
