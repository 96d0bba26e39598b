"""The annual activity report (活動状況) as a PowerPoint deck: the desk and the seminars of a year.

Every figure comes from the typed report of the year (`results.FiscalYearReport`); this
module only lays it out.
Charts are native PowerPoint charts and the trend and programme also come as tables, so the
numbers can be read, copied and checked as text.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence

from flask_babel import force_locale
from pptx import Presentation
from pptx.chart.chart import Chart
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.slide import Slide
from pptx.text.text import Font
from pptx.util import Emu, Inches, Pt

from ..consultations.figures import UNKNOWN, ConsultationFigures
from ..domain import Attribute, EmployeeBand, HostType, Topic, label
from ..i18n import format_fiscal_year
from ..reference import INDUSTRIES, reference_name
from ..timeutil import to_jst
from .results import FiscalYearReport, SeminarRow, YearRow
from .tables import figure_text

FONT = "Noto Sans CJK JP"
NAVY = RGBColor(0x1F, 0x3A, 0x5F)
BLUE = RGBColor(0x2E, 0x75, 0xB6)
ORANGE = RGBColor(0xED, 0x7D, 0x31)
GREY = RGBColor(0x59, 0x59, 0x59)
LIGHT_GREY = RGBColor(0xD9, 0xD9, 0xD9)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.6)
CONTENT_TOP = Inches(1.55)
CONTENT_WIDTH = SLIDE_WIDTH - 2 * MARGIN
CONTENT_HEIGHT = Inches(5.2)

NOTHING = "該当なし"
#: Categories beyond which a bar chart's labels are set smaller (up to 20 industries).
CROWDED = 10
#: Rows of the seminar programme per slide; more continue on the next one.
PROGRAMME_ROWS_PER_SLIDE = 12
#: Years of the desk's trend: the report's year and the two before it.
TREND_YEARS = 3

TREND_SERIES = ("相談件数", "うちオンライン")


def _industry_name(code: str) -> str:
    return reference_name(INDUSTRIES, code, "ja")


#: (breakdown of the consultation figures, heading, order of categories, name of a category)
DISTRIBUTIONS: tuple[tuple[str, str, list[str], Callable[[str], str]], ...] = (
    ("attribute", "相談者の属性", [a.value for a in Attribute], label),
    ("employee_band", "従業員規模", [b.value for b in EmployeeBand], label),
    ("industry", "業種", list(INDUSTRIES), _industry_name),
    ("topic", "相談内容", [t.value for t in Topic], label),
)


def build_deck(report: FiscalYearReport, *, agency_name: str) -> bytes:
    """The activity report of the report's year as the bytes of a .pptx file (16:9,
    Japanese)."""
    fiscal_year = report.fiscal_year
    desk = report.figures.consultations
    deck = _Deck(f"{agency_name}　{format_fiscal_year(fiscal_year, 'ja')} 活動状況")
    with force_locale("ja"):  # the activity report is a Japanese document
        _title_slide(deck, fiscal_year)
        _trend_slide(deck, report.years[-TREND_YEARS:])
        for name, heading, order, name_of in DISTRIBUTIONS:
            _distribution_slide(deck, heading, desk, name, order, name_of, fiscal_year)
        _programme_slides(deck, report.programme)
        _summary_slide(deck, report)
    return deck.to_bytes()


def fiscal_year_period(fiscal_year: int) -> str:
    return f"{fiscal_year}年4月1日〜{fiscal_year + 1}年3月31日"


def ordered_counts(counts: Mapping[str, int], order: Iterable[str]) -> list[tuple[str, int]]:
    """Non-zero counts in the glossary's order, values outside it after, 'unknown' last."""
    order = list(order)
    rank = {value: position for position, value in enumerate(order)}
    keys = sorted(
        (key for key, count in counts.items() if count),
        key=lambda key: (key == UNKNOWN, rank.get(key, len(order)), key),
    )
    return [(key, counts[key]) for key in keys]


# --- the slides --------------------------------------------------------------------------


def _title_slide(deck: _Deck, fiscal_year: int) -> None:
    slide = deck.blank_slide()
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(2.3), SLIDE_WIDTH, Inches(2.2))
    band.fill.solid()
    band.fill.fore_color.rgb = NAVY
    band.line.fill.background()
    title = _text(
        slide, MARGIN, Inches(2.3), CONTENT_WIDTH, Inches(2.2), [deck.title], 36, WHITE, True
    )
    title.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    _text(
        slide,
        MARGIN,
        Inches(4.8),
        CONTENT_WIDTH,
        Inches(1.4),
        ["「営業秘密・知財戦略相談窓口」とセミナー", fiscal_year_period(fiscal_year)],
        22,
        GREY,
    )


def _trend_slide(deck: _Deck, years: Sequence[YearRow]) -> None:
    slide = deck.slide("相談件数の推移")
    categories = [format_fiscal_year(year.fiscal_year, "ja") for year in years]
    totals = [year.consultations for year in years]
    online = [year.consultations_online for year in years]
    chart = _chart(
        slide,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        categories,
        dict(zip(TREND_SERIES, (totals, online), strict=True)),
        MARGIN,
        CONTENT_TOP,
        Inches(7.6),
        CONTENT_HEIGHT,
    )
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    table_rows = [["年度", *TREND_SERIES]] + [
        [category, str(total), str(count)]
        for category, total, count in zip(categories, totals, online, strict=True)
    ]
    _table(slide, table_rows, Inches(8.5), Inches(2.4), [1.6, 1.15, 1.48], numeric_from=1)
    _text(
        slide,
        Inches(8.5),
        Inches(4.7),
        Inches(4.23),
        Inches(0.5),
        ["単位：件"],
        12,
        GREY,
        align=PP_ALIGN.RIGHT,
    )


def _distribution_slide(
    deck: _Deck,
    heading: str,
    figures: ConsultationFigures,
    name: str,
    order: list[str],
    name_of: Callable[[str], str],
    fiscal_year: int,
) -> None:
    slide = deck.slide(f"相談の内訳：{heading}")
    notes = [f"{format_fiscal_year(fiscal_year, 'ja')}　相談件数 {figures.total}件"]
    if name == "topic":
        notes.append("一件の相談で複数の内容を扱ったときは、それぞれに数えています。")
    _text(slide, MARGIN, Inches(1.45), CONTENT_WIDTH, Inches(0.7), notes, 13, GREY)
    counts = ordered_counts(figures.breakdown(name), order)
    if not counts:
        _nothing(slide)
        return
    categories = ["不明" if value == UNKNOWN else name_of(value) for value, _ in counts]
    chart = _chart(
        slide,
        XL_CHART_TYPE.BAR_CLUSTERED,
        categories,
        {"件数": [count for _, count in counts]},
        MARGIN,
        Inches(2.2),
        CONTENT_WIDTH,
        Inches(4.6),
    )
    chart.category_axis.reverse_order = True  # the first category at the top
    if len(counts) > CROWDED:
        _typeface(chart.category_axis.tick_labels.font, 11)
        _typeface(chart.plots[0].data_labels.font, 11)
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False


def _programme_slides(deck: _Deck, rows: tuple[SeminarRow, ...]) -> None:
    heading = "セミナー開催実績"
    if not rows:
        _nothing(deck.slide(heading))
        return
    header = ["開催日", "種別", "形式", "テーマ", "参加者数"]
    lines = [_programme_line(row) for row in rows]
    for first in range(0, len(lines), PROGRAMME_ROWS_PER_SLIDE):
        slide = deck.slide(heading if first == 0 else f"{heading}（続き）")
        chunk = lines[first : first + PROGRAMME_ROWS_PER_SLIDE]
        _table(
            slide,
            [header, *chunk],
            MARGIN,
            CONTENT_TOP,
            [1.5, 3.2, 1.4, 4.9, 1.13],
            numeric_from=4,
            size=12,
        )


def _programme_line(row: SeminarRow) -> list[str]:
    kind = label(row.host_type)
    if row.level:
        kind += f"（{label(row.level)}）"
    return [
        to_jst(row.starts_at).strftime("%Y/%m/%d"),
        kind,
        label(row.delivery),
        row.title,
        figure_text(row.attendees),
    ]


def _summary_slide(deck: _Deck, report: FiscalYearReport) -> None:
    slide = deck.slide("セミナー等の実施状況")
    seminars, people = report.figures.seminars, report.figures.attendees
    by_host = seminars.by_host_type
    agency, in_company = by_host[HostType.AGENCY], by_host[HostType.IN_COMPANY]

    table_rows = [
        ["区分", "回数", "参加者数"],
        [
            "主催セミナー",
            f"{agency.total}回（うちオンライン {agency.online}回）",
            f"{people.by_host_type[HostType.AGENCY]}名",
        ],
        [
            "社内セミナー",
            f"{in_company.total}回（うちオンライン {in_company.online}回）",
            f"{people.by_host_type[HostType.IN_COMPANY]}名",
        ],
        [
            "他機関主催セミナーでの講演",
            f"{by_host[HostType.EXTERNAL].total}回",
            f"{people.by_host_type[HostType.EXTERNAL]}名",
        ],
        [
            "合計",
            f"{seminars.total}回（うちオンライン {seminars.online}回）",
            f"{people.total}名",
        ],
    ]
    _table(slide, table_rows, MARGIN, CONTENT_TOP, [4.2, 4.6, 3.33], numeric_from=1, size=16)
    online_people = report.online_attendees
    _text(
        slide,
        MARGIN,
        Inches(4.55),
        CONTENT_WIDTH,
        Inches(1.2),
        [f"参加者合計 {people.total}名", f"オンラインセミナー参加者 {online_people}名"],
        22,
        NAVY,
        True,
    )
    _text(
        slide,
        MARGIN,
        Inches(5.85),
        CONTENT_WIDTH,
        Inches(0.6),
        ["オンラインで開催したセミナー（主催・社内・他機関での講演）の参加者数の合計です。"],
        13,
        GREY,
    )


# --- building blocks ---------------------------------------------------------------------


class _Deck:
    """A 16:9 presentation whose content slides share a heading and a footer."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.presentation = Presentation()
        self.presentation.slide_width, self.presentation.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT

    def blank_slide(self) -> Slide:
        return self.presentation.slides.add_slide(self.presentation.slide_layouts[6])

    def slide(self, heading: str) -> Slide:
        slide = self.blank_slide()
        _text(slide, MARGIN, Inches(0.35), CONTENT_WIDTH, Inches(0.8), [heading], 28, NAVY, True)
        rule = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, MARGIN, Inches(1.15), CONTENT_WIDTH, Inches(0.05)
        )
        rule.fill.solid()
        rule.fill.fore_color.rgb = BLUE
        rule.line.fill.background()
        footer_top, footer_height = Inches(7.0), Inches(0.35)
        _text(slide, MARGIN, footer_top, Inches(10), footer_height, [self.title], 10, GREY)
        number = str(len(self.presentation.slides))
        _text(
            slide,
            SLIDE_WIDTH - MARGIN - Inches(1),
            footer_top,
            Inches(1),
            footer_height,
            [number],
            10,
            GREY,
            align=PP_ALIGN.RIGHT,
        )
        return slide

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.presentation.save(buffer)
        return buffer.getvalue()


def _typeface(font: Font, size: int | None = None) -> None:
    """Noto Sans CJK JP for Latin and Japanese text alike."""
    font.name = FONT
    if size is not None:
        font.size = Pt(size)
    # python-pptx sets only the Latin typeface; Japanese glyphs take the east-asian one.
    properties = font._element
    east_asian = properties.find(qn("a:ea"))
    if east_asian is None:
        east_asian = OxmlElement("a:ea")
        properties.find(qn("a:latin")).addnext(east_asian)
    east_asian.set("typeface", FONT)


def _text(
    slide: Slide,
    left: int,
    top: int,
    width: int,
    height: int,
    lines: list[str],
    size: int,
    color: RGBColor,
    bold: bool = False,
    align: PP_ALIGN = PP_ALIGN.LEFT,
):
    box = slide.shapes.add_textbox(left, top, width, height)
    frame = box.text_frame
    frame.word_wrap = True
    for number, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if number == 0 else frame.add_paragraph()
        paragraph.alignment = align
        run = paragraph.add_run()
        run.text = line
        _typeface(run.font, size)
        run.font.bold = bold
        run.font.color.rgb = color
    return box


def _nothing(slide: Slide) -> None:
    _text(
        slide,
        MARGIN,
        Inches(3.5),
        CONTENT_WIDTH,
        Inches(1),
        [NOTHING],
        28,
        GREY,
        align=PP_ALIGN.CENTER,
    )


def _table(
    slide: Slide,
    rows: list[list[str]],
    left: int,
    top: int,
    widths: list[float],
    *,
    numeric_from: int,
    size: int = 14,
) -> None:
    """A table whose first row is the header; columns from `numeric_from` are right-aligned."""
    row_height = Inches(0.38 if size <= 12 else 0.55)
    shape = slide.shapes.add_table(
        len(rows), len(widths), left, top, Emu(sum(Inches(w) for w in widths)), row_height
    )
    table = shape.table
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Inches(width)
    for row_number, values in enumerate(rows):
        table.rows[row_number].height = row_height
        for column, value in enumerate(values):
            cell = table.cell(row_number, column)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            paragraph = cell.text_frame.paragraphs[0]
            if row_number and column >= numeric_from:
                paragraph.alignment = PP_ALIGN.RIGHT
            run = paragraph.add_run()
            run.text = value
            _typeface(run.font, size)
            run.font.bold = row_number == 0


def _chart(
    slide: Slide,
    chart_type: XL_CHART_TYPE,
    categories: list[str],
    series: dict[str, list[int]],
    left: int,
    top: int,
    width: int,
    height: int,
) -> Chart:
    """A native chart with its values printed on the bars."""
    data = CategoryChartData(number_format="0")
    data.categories = categories
    for name, values in series.items():
        data.add_series(name, values)
    chart = slide.shapes.add_chart(chart_type, left, top, width, height, data).chart
    _typeface(chart.font, 14)
    plot = chart.plots[0]
    plot.gap_width = 60
    plot.vary_by_categories = False
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = "0", False
    labels.position = XL_LABEL_POSITION.OUTSIDE_END
    _typeface(labels.font, 14)
    for drawn, color in zip(plot.series, (BLUE, ORANGE), strict=False):
        drawn.format.fill.solid()
        drawn.format.fill.fore_color.rgb = color
    chart.value_axis.minimum_scale = 0
    chart.value_axis.major_gridlines.format.line.color.rgb = LIGHT_GREY
    chart.value_axis.format.line.fill.background()
    chart.category_axis.format.line.color.rgb = LIGHT_GREY
    return chart
