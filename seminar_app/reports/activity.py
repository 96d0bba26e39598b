"""The annual activity report (活動状況) as a PowerPoint deck: the desk, the seminars and lecturer
dispatch of a year.

Every figure comes from the typed report of the year (`results.FiscalYearReport`); this
module only lays it out.
Charts are native PowerPoint charts and the trend and programme also come as tables, so the
numbers can be read, copied and checked as text.
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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
from pptx.shapes.autoshape import Shape
from pptx.slide import Slide
from pptx.text.text import Font
from pptx.util import Emu, Inches, Length, Pt

from ..consultations.figures import UNKNOWN, ConsultationFigures
from ..consultations.models import STEPS
from ..dispatch.figures import DispatchCounts, DispatchFigures
from ..domain import (
    Attribute,
    Channel,
    DispatchState,
    EmployeeBand,
    HostType,
    Referral,
    Source,
    Topic,
    label,
)
from ..i18n import format_fiscal_year
from ..reference import INDUSTRIES, PREFECTURES
from ..timeutil import to_jst
from .results import Figure, FiscalYearReport, SeminarRow, TargetResult
from .services import NO_LEVEL
from .tables import (
    DISPATCH_MEASURES,
    NOT_RECORDED,
    consultations_text,
    dispatch_breakdowns,
    dispatch_counts,
    figure_text,
    percent_text,
    seminar_kind,
    value_label,
)

FONT = "Noto Sans CJK JP"
NAVY = RGBColor(0x1F, 0x3A, 0x5F)
BLUE = RGBColor(0x2E, 0x75, 0xB6)
ORANGE = RGBColor(0xED, 0x7D, 0x31)
GREEN = RGBColor(0x70, 0xAD, 0x47)
GREY = RGBColor(0x59, 0x59, 0x59)
LIGHT_GREY = RGBColor(0xD9, 0xD9, 0xD9)
PALE_BLUE = RGBColor(0xEA, 0xF1, 0xFA)
WHITE = RGBColor(0xFF, 0xFF, 0xFF)

SLIDE_WIDTH, SLIDE_HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.6)
CONTENT_TOP = Inches(1.55)
CONTENT_WIDTH = Emu(SLIDE_WIDTH - 2 * MARGIN)
CONTENT_HEIGHT = Inches(5.2)
#: Where a slide's content ends, and where it ends above a commentary band.
CONTENT_BOTTOM = Inches(6.85)
COMMENTARY_TOP, COMMENTARY_HEIGHT = Inches(5.85), Inches(1.0)

NOTHING = "該当なし"
#: Shown beside a figure recorded as a total rather than counted from records.
TOTALS_NOTE = "集計値"
#: Categories beyond which a bar chart's labels are set smaller (up to 20 industries).
CROWDED = 10
#: Rows of the seminar programme per slide at most; more continue on the next one.
PROGRAMME_ROWS_PER_SLIDE = 12
#: A programme row of one line, and what each further line of a long title adds.
PROGRAMME_ROW, PROGRAMME_LINE = Inches(0.34), Inches(0.19)
PROGRAMME_CHARS_PER_INCH = 6.3
#: Rows of the satisfaction table at most (with its heading), the last saying how many more.
SATISFACTION_ROWS = 11
#: Years of the desk's trend and of each breakdown: the report's year and the two before it.
TREND_YEARS = 3
#: Each breakdown of lecturer dispatch on its slide: name → (heading, its column's heading,
#: what its values are counted as in the row that sums up the rest: ほか3都道府県).
DISPATCH_BREAKDOWNS = {
    "prefecture": ("都道府県別", "都道府県", "都道府県"),
    "attribute": ("属性別", "属性", "区分"),
}
#: A row of a dispatch breakdown at least; fewer fit, the last row sums up the rest.
DISPATCH_ROW = Inches(0.3)

TREND_SERIES = ("相談件数", "うちオンライン")
TARGET_HEADINGS = {
    "consultations": ("相談件数", "件"),
    "seminars": ("セミナー開催回数", "回"),
    "participants": ("セミナー参加者数", "名"),
    "satisfaction": ("満足度（4・5と回答した割合）", ""),
    "elearning_views": ("eラーニング視聴数", "回"),
}
OVERVIEW_TEXT = (
    "営業秘密の管理や知財戦略について、知財戦略アドバイザーが中小企業等からの相談に"
    "無料で応じています。窓口での面談のほか、オンライン・電話・メール、企業への訪問"
    "（都道府県の知財総合支援窓口との同行を含む）で支援し、7つのステップに沿って"
    "営業秘密管理の取組を進めます。"
)


def category_name(name: str, value: str) -> str:
    """A category of a breakdown as the deck names it: as the report does, except that a
    referring desk is named by its prefecture alone (the slide's heading says the rest)."""
    return value_label("prefecture" if name == "referring_desk" else name, value)


#: (breakdown of the consultation figures, heading, order of categories)
DISTRIBUTIONS: tuple[tuple[str, str, list[str]], ...] = (
    ("attribute", "相談者の属性", [a.value for a in Attribute]),
    ("employee_band", "従業員規模", [b.value for b in EmployeeBand]),
    ("industry", "業種", list(INDUSTRIES)),
    ("topic", "相談内容", [t.value for t in Topic]),
    ("channel", "相談の方法", [c.value for c in Channel]),
    ("source", "相談のきっかけ", [s.value for s in Source]),
    ("prefecture", "相談者の所在地", list(PREFECTURES)),
    ("referring_desk", "紹介元の知財総合支援窓口", list(PREFECTURES)),
    ("referral", "紹介先", [r.value for r in Referral]),
    ("step", "7つのステップの到達状況", [str(step) for step in STEPS]),
)

#: Every slide an organizer may comment on (所感), by key, with its heading.
SLIDES: dict[str, str] = {
    "overview": "相談窓口の概要",
    "trend": "相談件数の推移",
    **{name: f"相談の内訳：{heading}" for name, heading, _order in DISTRIBUTIONS},
    "programme": "セミナー開催実績",
    "summary": "セミナー等の実施状況",
    "dispatch": "講師派遣の実施状況",
    "satisfaction": "セミナーの満足度",
    "targets": "年度計画に対する実績",
    "links": "参考リンク・お問い合わせ",
}


@dataclass(frozen=True)
class Contact:
    """The contact block of the last slide (config: DESK_CONTACT_*); empty parts left out."""

    desk_name: str = ""
    phone: str = ""
    extension: str = ""
    address: str = ""

    def lines(self) -> list[str]:
        phone = self.phone + (f"（内線 {self.extension}）" if self.extension else "")
        return [
            line
            for line in (
                self.desk_name,
                f"電話：{phone}" if self.phone else "",
                f"所在地：{self.address}" if self.address else "",
            )
            if line
        ]


@dataclass(frozen=True)
class DeckOptions:
    """What the deck shows besides the report: the organizer's choices and the settings."""

    agency_name: str
    #: Only the agency's own seminars in the programme table.
    own_only: bool = False
    #: slide key (SLIDES) → the year's commentary on it.
    commentary: Mapping[str, str] = field(default_factory=dict)
    contact: Contact = field(default_factory=Contact)
    #: (title, address) of each reference link.
    links: tuple[tuple[str, str], ...] = ()
    #: What the breakdowns cover: a desk's name, or None for every desk together.
    desk_name: str | None = None
    #: The names of the agency's desks, for the overview.
    desk_names: tuple[str, ...] = ()


def deck_options(
    config: Mapping[str, Any],
    *,
    own_only: bool = False,
    commentary: Mapping[str, str] | None = None,
    desk_name: str | None = None,
    desk_names: tuple[str, ...] = (),
) -> DeckOptions:
    """The deck's options from the application's settings (config) and the organizer's
    choices (see DeckOptions)."""
    contact = Contact(
        desk_name=config.get("DESK_CONTACT_NAME", ""),
        phone=config.get("DESK_CONTACT_PHONE", ""),
        extension=config.get("DESK_CONTACT_EXTENSION", ""),
        address=config.get("DESK_CONTACT_ADDRESS", ""),
    )
    return DeckOptions(
        agency_name=config["AGENCY_NAME"],
        contact=contact,
        links=tuple(config.get("REPORT_LINKS", ())),
        own_only=own_only,
        commentary={} if commentary is None else commentary,
        desk_name=desk_name,
        desk_names=desk_names,
    )


def build_deck(
    report: FiscalYearReport, *, agency_name: str | None = None, options: DeckOptions | None = None
) -> bytes:
    """The activity report of the report's year as the bytes of a .pptx file (16:9,
    Japanese)."""
    if options is None:
        options = DeckOptions(agency_name=agency_name or "")
    fiscal_year = report.fiscal_year
    title = f"{options.agency_name}　{format_fiscal_year(fiscal_year, 'ja')} 活動状況"
    deck = _Deck(title, options.commentary)
    with force_locale("ja"):  # the activity report is a Japanese document
        _title_slide(deck, fiscal_year, options)
        _overview_slide(deck, options)
        _trend_slide(deck, report)
        for name, heading, order in DISTRIBUTIONS:
            _distribution_slide(deck, report, name, heading, order, options)
        _programme_slides(deck, report.programme, options.own_only)
        _summary_slide(deck, report)
        _dispatch_slide(deck, report.figures.dispatch)
        _satisfaction_slide(deck, report)
        _targets_slide(deck, report.figures.targets)
        _links_slide(deck, options)
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


def desk_scope(options: DeckOptions) -> str:
    return f"対象窓口：{options.desk_name}" if options.desk_name else "対象窓口：全窓口の合計"


# --- the slides --------------------------------------------------------------------------


def _title_slide(deck: _Deck, fiscal_year: int, options: DeckOptions) -> None:
    slide = deck.blank_slide()
    band = slide.shapes.add_shape(
        MSO_SHAPE.RECTANGLE, Emu(0), Inches(2.3), SLIDE_WIDTH, Inches(2.2)
    )
    band.fill.solid()
    band.fill.fore_color.rgb = NAVY
    band.line.fill.background()
    _no_shadow(band)
    title = _text(
        slide, MARGIN, Inches(2.3), CONTENT_WIDTH, Inches(2.2), [deck.title], 36, WHITE, True
    )
    title.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    lines = ["「営業秘密・知財戦略相談窓口」とセミナー", fiscal_year_period(fiscal_year)]
    if options.desk_name:
        lines.append(f"相談の内訳：{options.desk_name}（件数の推移・目標は全窓口の合計）")
    _text(slide, MARGIN, Inches(4.8), CONTENT_WIDTH, Inches(1.6), lines, 22, GREY)


def _overview_slide(deck: _Deck, options: DeckOptions) -> None:
    slide, _bottom = deck.slide("overview")
    lines = [OVERVIEW_TEXT]
    if options.desk_names:
        lines.append("窓口：" + "、".join(options.desk_names))
    _text(slide, MARGIN, CONTENT_TOP, CONTENT_WIDTH, Inches(1.5), lines, 16, GREY)
    _text(
        slide,
        MARGIN,
        Inches(3.2),
        CONTENT_WIDTH,
        Inches(0.5),
        ["営業秘密管理の7つのステップ"],
        18,
        NAVY,
        True,
    )
    count = len(STEPS)
    gap = Inches(0.3)
    width = Emu(int((CONTENT_WIDTH - gap * (count - 1)) / count))
    top, height = Inches(3.85), Inches(1.9)
    for position, (number, name) in enumerate(STEPS.items()):
        left = Emu(MARGIN + position * (width + gap))
        box = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, width, height)
        box.fill.solid()
        box.fill.fore_color.rgb = BLUE if position % 2 == 0 else NAVY
        box.line.fill.background()
        _no_shadow(box)
        frame = box.text_frame
        frame.word_wrap = True
        frame.margin_left = frame.margin_right = Inches(0.08)
        frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        for line_number, text in enumerate((f"STEP {number}", str(name))):
            paragraph = frame.paragraphs[0] if line_number == 0 else frame.add_paragraph()
            paragraph.alignment = PP_ALIGN.CENTER
            run = paragraph.add_run()
            run.text = text
            _typeface(run.font, 12 if line_number == 0 else 13)
            run.font.bold = True
            run.font.color.rgb = WHITE
        if position < count - 1:
            arrow = slide.shapes.add_shape(
                MSO_SHAPE.RIGHT_ARROW,
                Emu(left + width + Inches(0.06)),
                Emu(top + height // 2 - Inches(0.14)),
                Emu(gap - Inches(0.12)),
                Inches(0.28),
            )
            arrow.fill.solid()
            arrow.fill.fore_color.rgb = LIGHT_GREY
            arrow.line.fill.background()
            _no_shadow(arrow)


def _trend_slide(deck: _Deck, report: FiscalYearReport) -> None:
    slide, bottom = deck.slide("trend")
    years = report.years[-TREND_YEARS:]
    categories = [format_fiscal_year(year.fiscal_year, "ja") for year in years]
    # A chart has no "unknown": a year nobody recorded is drawn as no bar, the table says "—".
    totals = [year.consultations or 0 for year in years]
    online = [year.consultations_online or 0 for year in years]
    chart = _chart(
        slide,
        XL_CHART_TYPE.COLUMN_CLUSTERED,
        categories,
        dict(zip(TREND_SERIES, (totals, online), strict=True)),
        MARGIN,
        CONTENT_TOP,
        Inches(6.7),
        Emu(bottom - CONTENT_TOP),
    )
    chart.value_axis.visible = False  # the values stand on the bars
    _typeface(chart.category_axis.tick_labels.font, 12)
    # Level, not slanted: a year's name may take two lines under its bars.
    body = chart.category_axis._element.find(qn("c:txPr")).find(qn("a:bodyPr"))
    body.set("rot", "0")
    body.set("vert", "horz")
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    table_rows = [["年度", *TREND_SERIES]] + [
        [
            format_fiscal_year(year.fiscal_year, "ja"),
            consultations_text(year.consultations, year.consultations_source, unit=False),
            figure_text(year.consultations_online),
        ]
        for year in years
    ]
    _table(slide, table_rows, Inches(7.58), Inches(2.4), [2.3, 1.55, 1.3], numeric_from=1, size=11)
    _text(
        slide,
        Inches(7.58),
        Inches(4.1),
        Inches(5.15),
        Inches(1.0),
        ["単位：件", f"{TOTALS_NOTE}：個別の記録がなく、件数のみ記録した年度・窓口"],
        12,
        GREY,
        align=PP_ALIGN.RIGHT,
    )


def _distribution_slide(
    deck: _Deck,
    report: FiscalYearReport,
    name: str,
    heading: str,
    order: list[str],
    options: DeckOptions,
) -> None:
    slide, bottom = deck.slide(name)
    years = report.consultation_years[-TREND_YEARS:]
    figures = years[-1]
    count_text = consultations_text(figures.total, figures.source)
    notes = [
        f"{format_fiscal_year(report.fiscal_year, 'ja')}　相談件数 {count_text}　"
        f"{desk_scope(options)}"
    ]
    if name == "step":
        notes.append(
            f"相談のあった企業 {figures.steps.clients}社の年度末の到達段階。"
            f"年度中に1段階以上進んだ企業 {figures.steps.moved_up}社。"
        )
    elif figures.total is not None and figures.recorded != figures.total:
        notes.append(f"内訳は個別に記録した{figures.recorded}件について集計しています。")
    elif name in ("topic", "referral"):
        notes.append("一件の相談で複数に該当するときは、それぞれに数えています。")
    _text(slide, MARGIN, Inches(1.3), CONTENT_WIDTH, Inches(0.7), notes, 13, GREY)
    counts = ordered_counts(figures.breakdown(name), order)
    earlier = {
        value for year in years for value, _count in ordered_counts(year.breakdown(name), order)
    }
    if not counts and not earlier:
        _nothing(slide)
        return
    chart_width = Inches(6.1)
    if counts:
        categories = [
            "不明" if value == UNKNOWN else category_name(name, value) for value, _ in counts
        ]
        chart = _chart(
            slide,
            XL_CHART_TYPE.BAR_CLUSTERED,
            categories,
            {"件数": [count for _, count in counts]},
            MARGIN,
            Inches(2.0),
            chart_width,
            Emu(bottom - Inches(2.0)),
        )
        chart.category_axis.reverse_order = True  # the first category at the top
        if len(counts) > CROWDED:
            _typeface(chart.category_axis.tick_labels.font, 10)
            _typeface(chart.plots[0].data_labels.font, 10)
        chart.value_axis.visible = False
        chart.value_axis.has_major_gridlines = False
    else:
        _text(
            slide,
            MARGIN,
            Inches(3.5),
            chart_width,
            Inches(1),
            [NOTHING],
            28,
            GREY,
            align=PP_ALIGN.CENTER,
        )
    _years_table(slide, report.fiscal_year, years, name, order, bottom)


def _years_table(
    slide: Slide,
    last: int,
    years: Sequence[ConsultationFigures],
    name: str,
    order: list[str],
    bottom: Length,
) -> None:
    """The breakdown for the year and the two before side by side: count and share."""
    values: list[str] = []
    for year in years:
        for value, _count in ordered_counts(year.breakdown(name), order):
            if value not in values:
                values.append(value)
    rank = {value: position for position, value in enumerate(order)}
    values.sort(key=lambda value: (value == UNKNOWN, rank.get(value, len(order)), value))
    first = last - len(years) + 1
    # 2023年度 / （令和5年度）: the era on a line of its own, never split inside.
    header = [
        "",
        *(
            format_fiscal_year(year, "ja").replace("（", "\n（", 1)
            for year in range(first, last + 1)
        ),
    ]
    rows = [header]
    for value in values:
        cells = ["不明" if value == UNKNOWN else category_name(name, value)]
        for year in years:
            counts = year.breakdown(name)
            whole = year.steps.clients if name == "step" else year.recorded
            count = counts.get(value, 0)
            cells.append(f"{count}（{count / whole:.0%}）" if whole else NOT_RECORDED)
        rows.append(cells)
    top, header_height = Inches(2.0), Inches(0.5)  # a year's name takes two lines
    room = (bottom - top - header_height) / max(1, len(rows) - 1)
    size = 11 if room >= Inches(0.34) else 10 if room >= Inches(0.26) else 8
    row_height = Emu(int(min(room, Inches(0.4))))
    _table(
        slide,
        rows,
        Inches(6.83),
        top,
        [1.7, 1.4, 1.4, 1.4],
        numeric_from=1,
        size=size,
        row_heights=[header_height] + [row_height] * (len(rows) - 1),
    )


def _programme_slides(deck: _Deck, rows: tuple[SeminarRow, ...], own_only: bool) -> None:
    if own_only:
        rows = tuple(row for row in rows if row.host_type == HostType.AGENCY)
    heading = SLIDES["programme"] + ("（主催セミナー）" if own_only else "")
    if not rows:
        slide, _bottom = deck.slide("programme", heading)
        _nothing(slide)
        return
    header = ["開催日", "種別", "形式", "テーマ", "参加者数", "満足度"]
    widths = [1.3, 3.7, 1.1, 3.83, 1.1, 1.1]
    lines = [_programme_line(row) for row in rows]
    first = 0
    while first < len(lines):
        slide, bottom = deck.slide(
            "programme", heading if first == 0 else f"{heading}（続き）", comment=first == 0
        )
        top = Inches(1.4)
        room = bottom - top - PROGRAMME_ROW
        chunk: list[list[str]] = []
        heights: list[Length] = [PROGRAMME_ROW]
        for line in lines[first : first + PROGRAMME_ROWS_PER_SLIDE]:
            height = _row_height(line, widths)
            if chunk and sum(heights[1:]) + height > room:
                break
            chunk.append(line)
            heights.append(height)
        _table(
            slide,
            [header, *chunk],
            MARGIN,
            top,
            widths,
            numeric_from=4,
            size=11,
            row_heights=heights,
        )
        first += len(chunk)


def _text_width(text: str) -> float:
    """The width of a text in full-width characters (Latin letters and digits: about half)."""
    return sum(1 if unicodedata.east_asian_width(char) in "WF" else 0.55 for char in text)


def _row_height(line: list[str], widths: list[float]) -> Length:
    """A programme row tall enough for its longest cell's lines (11 pt, full-width
    characters: about 6.5 to the inch)."""
    wrapped = max(
        math.ceil(_text_width(text) / ((width - 0.2) * PROGRAMME_CHARS_PER_INCH))
        for text, width in zip(line, widths, strict=True)
    )
    return Emu(PROGRAMME_ROW + (max(wrapped, 1) - 1) * PROGRAMME_LINE)


def _programme_line(row: SeminarRow) -> list[str]:
    return [
        to_jst(row.starts_at).strftime("%Y/%m/%d"),
        seminar_kind(row),
        label(row.delivery),
        row.title,
        figure_text(row.attendees),
        percent_text(row.satisfaction),
    ]


def _people(count: Figure) -> str:
    """A number of people with its unit (12名); "—" alone where nobody counted them."""
    return NOT_RECORDED if count is None else f"{count}名"


def _summary_slide(deck: _Deck, report: FiscalYearReport) -> None:
    slide, _bottom = deck.slide("summary")
    seminars, people = report.figures.seminars, report.figures.attendees
    by_host = seminars.by_host_type
    agency, in_company = by_host[HostType.AGENCY], by_host[HostType.IN_COMPANY]

    total_people = _people(None if seminars.attendees_unknown else people.total)

    def people_of(host: HostType) -> str:
        return _people(None if by_host[host].attendees_unknown else people.by_host_type[host])

    table_rows = [
        ["区分", "回数", "参加者数"],
        [
            "主催セミナー",
            f"{agency.total}回（うちオンライン {agency.online}回）",
            people_of(HostType.AGENCY),
        ],
        [
            "社内セミナー",
            f"{in_company.total}回（うちオンライン {in_company.online}回）",
            people_of(HostType.IN_COMPANY),
        ],
        [
            "他機関主催セミナーでの講演",
            f"{by_host[HostType.EXTERNAL].total}回",
            people_of(HostType.EXTERNAL),
        ],
        [
            "合計",
            f"{seminars.total}回（うちオンライン {seminars.online}回）",
            total_people,
        ],
    ]
    _table(slide, table_rows, MARGIN, Inches(1.4), [4.2, 4.6, 3.33], numeric_from=1, size=16)
    _text(
        slide,
        MARGIN,
        Inches(4.35),
        CONTENT_WIDTH,
        Inches(1.0),
        [
            f"参加者合計 {total_people}",
            f"オンラインセミナー参加者（主催） {_people(report.online_agency_attendees)}",
        ],
        20,
        NAVY,
        True,
    )
    notes = ["オンラインで開催した主催セミナーの参加者数の合計です。"]
    if seminars.without_head_count:
        notes.append(
            f"参加者数の記録がないセミナー {seminars.without_head_count}回は、"
            "参加者数の合計に含めていません。"
        )
    _text(slide, MARGIN, Inches(5.25), CONTENT_WIDTH, Inches(0.6), notes, 12, GREY)


def _dispatch_slide(deck: _Deck, figures: DispatchFigures) -> None:
    """The year's lecturer-dispatch figures, then per prefecture (the most requests first)
    and per type of organization, each measure labelled as the report's page labels it."""
    slide, bottom = deck.slide("dispatch")
    names = [state.label for state in DISPATCH_MEASURES]
    received, scheduled, delivered, declined, withdrawn = (
        label(state)
        for state in (
            DispatchState.RECEIVED,
            DispatchState.SCHEDULED,
            DispatchState.DELIVERED,
            DispatchState.DECLINED,
            DispatchState.WITHDRAWN,
        )
    )
    _text(
        slide,
        MARGIN,
        Inches(1.3),
        CONTENT_WIDTH,
        Inches(0.6),
        [
            f"{received}は依頼を受け付けた年度、{scheduled}・{delivered}はセミナーの"
            f"開催年度、{declined}・{withdrawn}は決定の年度に数えています"
            f"（{delivered}は{scheduled}にも含む）。",
            "単位：件",
        ],
        12,
        GREY,
    )
    width = CONTENT_WIDTH / Inches(1) / len(names)
    _table(
        slide,
        [names, [f"{count}件" for count in dispatch_counts(figures)]],
        MARGIN,
        Inches(1.95),
        [width] * len(names),
        numeric_from=0,
        size=16,
        row_height=Inches(0.42),
    )
    breakdowns = dispatch_breakdowns(figures)
    if not any(breakdown for _name, breakdown in breakdowns):
        _nothing(slide)
        return
    heading_top, top = Inches(2.95), Inches(3.35)
    # One height for both tables, so that their rows line up; the longer one decides.
    rows = min(
        max(len(breakdown) for _name, breakdown in breakdowns),
        int((bottom - top) / DISPATCH_ROW) - 1,
    )
    row_height = Emu(int(min((bottom - top) / (rows + 1), Inches(0.4))))
    size = 11 if row_height >= Inches(0.34) else 10
    gap = Inches(1 / 3)
    half = (CONTENT_WIDTH - gap) / Inches(1) / 2
    for position, (name, breakdown) in enumerate(breakdowns):
        heading, column, kind = DISPATCH_BREAKDOWNS[name]
        left = Emu(MARGIN + position * (Inches(half) + gap))
        _text(slide, left, heading_top, Inches(half), Inches(0.4), [heading], 14, NAVY, True)
        lines = _dispatch_lines(name, breakdown, rows, kind)
        _table(
            slide,
            [[column, *names], *lines],
            left,
            top,
            [half - 0.87 * len(names), *[0.87] * len(names)],
            numeric_from=1,
            size=size,
            row_height=row_height,
        )


def _dispatch_lines(
    name: str, breakdown: Mapping[str, DispatchCounts], rows: int, kind: str
) -> list[list[str]]:
    """A breakdown's rows: prefectures with the most requests first (then by their code),
    types of organization in the glossary's order; when more values occur than `rows`, the
    last row sums up the rest (ほか3都道府県), so that every column adds up to the year's."""
    values = list(breakdown)
    if name == "prefecture":
        values.sort(
            key=lambda value: ([-count for count in dispatch_counts(breakdown[value])], value)
        )
    lines = [
        [value_label(name, value), *map(str, dispatch_counts(breakdown[value]))] for value in values
    ]
    if len(lines) <= rows:
        return lines
    rest = [dispatch_counts(breakdown[value]) for value in values[rows - 1 :]]
    return [
        *lines[: rows - 1],
        [f"ほか{len(rest)}{kind}", *(str(sum(column)) for column in zip(*rest, strict=True))],
    ]


def _satisfaction_slide(deck: _Deck, report: FiscalYearReport) -> None:
    slide, _bottom = deck.slide("satisfaction")
    surveys = report.surveys
    _text(
        slide,
        MARGIN,
        Inches(1.3),
        CONTENT_WIDTH,
        Inches(0.9),
        [
            f"満足度 {percent_text(report.figures.satisfaction)}"
            "（アンケートで満足度を4または5と回答した方の割合）"
        ],
        18,
        NAVY,
        True,
    )
    rows = [["区分", "回答数", "満足度"]]
    rows.append(
        ["全体", str(surveys.overall.answers), percent_text(surveys.overall.satisfied_share)]
    )
    for prefix, by in (("シリーズ", surveys.by_series), ("レベル", surveys.by_level)):
        for value, numbers in by.items():
            name = "レベルなし" if value == NO_LEVEL else label(value)
            rows.append(
                [f"{prefix}：{name}", str(numbers.answers), percent_text(numbers.satisfied_share)]
            )
    if len(rows) > SATISFACTION_ROWS:
        # What does not fit is said, never dropped unseen: the report's page has every row.
        hidden = len(rows) - SATISFACTION_ROWS + 1
        rows[SATISFACTION_ROWS - 1 :] = [[f"（ほか{hidden}区分）", "", ""]]
    _table(
        slide,
        rows,
        MARGIN,
        Inches(2.15),
        [7.0, 2.0, 2.0],
        numeric_from=1,
        size=12,
        row_height=Inches(0.33),
    )


def _targets_slide(deck: _Deck, targets: Mapping[str, TargetResult]) -> None:
    slide, _bottom = deck.slide("targets")
    rows = [["項目", "目標", "実績", "達成率"]]
    for name, (heading, unit) in TARGET_HEADINGS.items():
        item = targets[name]
        if name == "satisfaction":
            target, result = percent_text(item.target), percent_text(item.result)
        else:
            target = NOT_RECORDED if item.target is None else f"{item.target}{unit}"
            result = NOT_RECORDED if item.result is None else f"{item.result}{unit}"
        rows.append([heading, target, result, percent_text(item.rate)])
    _table(slide, rows, MARGIN, Inches(1.5), [5.0, 2.3, 2.3, 2.3], numeric_from=1, size=16)
    _text(
        slide,
        MARGIN,
        Inches(5.0),
        CONTENT_WIDTH,
        Inches(0.6),
        ["達成率＝実績÷目標。目標を定めていない項目は「—」としています。"],
        12,
        GREY,
    )


def _links_slide(deck: _Deck, options: DeckOptions) -> None:
    contact = options.contact.lines()
    if not options.links and not contact:
        return  # nothing configured: the slide is left out
    slide, _bottom = deck.slide("links")
    if options.links:
        _text(slide, MARGIN, Inches(1.4), Inches(7.2), Inches(0.5), ["参考リンク"], 18, NAVY, True)
        lines = [line for title, address in options.links for line in (title, address) if line]
        box = _text(slide, MARGIN, Inches(1.95), Inches(7.2), Inches(3.8), lines, 13, GREY)
        addresses = {address for _title, address in options.links}
        for paragraph in box.text_frame.paragraphs:
            if paragraph.text in addresses:
                paragraph.space_after = Pt(8)
                for run in paragraph.runs:
                    run.hyperlink.address = run.text
                    run.font.color.rgb = BLUE
    if contact:
        left = Inches(8.2)
        inset = Emu(left + Inches(0.2))
        panel = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, left, Inches(1.4), Inches(4.53), Inches(3.0)
        )
        panel.fill.solid()
        panel.fill.fore_color.rgb = PALE_BLUE
        panel.line.fill.background()
        _no_shadow(panel)
        _text(
            slide,
            inset,
            Inches(1.55),
            Inches(4.13),
            Inches(0.5),
            ["お問い合わせ"],
            18,
            NAVY,
            True,
        )
        _text(slide, inset, Inches(2.1), Inches(4.13), Inches(2.2), contact, 14, GREY)


# --- building blocks ---------------------------------------------------------------------


class _Deck:
    """A 16:9 presentation whose content slides share a heading and a footer."""

    def __init__(self, title: str, commentary: Mapping[str, str]) -> None:
        self.title = title
        self.commentary = commentary
        self.presentation = Presentation()
        self.presentation.slide_width, self.presentation.slide_height = SLIDE_WIDTH, SLIDE_HEIGHT

    def blank_slide(self) -> Slide:
        return self.presentation.slides.add_slide(self.presentation.slide_layouts[6])

    def slide(
        self, key: str, heading: str | None = None, *, comment: bool = True
    ) -> tuple[Slide, Length]:
        """A content slide headed by SLIDES[key] (or `heading`), with the year's commentary
        on it in a band at the foot; and where the slide's own content must end."""
        slide = self._headed(heading or SLIDES[key])
        text = self.commentary.get(key, "") if comment else ""
        if not text:
            return slide, CONTENT_BOTTOM
        band = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, MARGIN, COMMENTARY_TOP, CONTENT_WIDTH, COMMENTARY_HEIGHT
        )
        band.fill.solid()
        band.fill.fore_color.rgb = PALE_BLUE
        band.line.fill.background()
        _no_shadow(band)
        box = _text(
            slide,
            Emu(MARGIN + Inches(0.15)),
            Emu(COMMENTARY_TOP + Inches(0.05)),
            Emu(CONTENT_WIDTH - Inches(0.3)),
            Emu(COMMENTARY_HEIGHT - Inches(0.1)),
            [
                f"【所感】{line}" if number == 0 else line
                for number, line in enumerate(text.splitlines())
            ],
            12,
            NAVY,
        )
        box.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
        return slide, Emu(COMMENTARY_TOP - Inches(0.1))

    def _headed(self, heading: str) -> Slide:
        slide = self.blank_slide()
        _text(slide, MARGIN, Inches(0.35), CONTENT_WIDTH, Inches(0.8), [heading], 28, NAVY, True)
        rule = slide.shapes.add_shape(
            MSO_SHAPE.RECTANGLE, MARGIN, Inches(1.15), CONTENT_WIDTH, Inches(0.05)
        )
        rule.fill.solid()
        rule.fill.fore_color.rgb = BLUE
        rule.line.fill.background()
        _no_shadow(rule)
        footer_top, footer_height = Inches(7.0), Inches(0.35)
        _text(slide, MARGIN, footer_top, Inches(10), footer_height, [self.title], 10, GREY)
        number = str(len(self.presentation.slides))
        _text(
            slide,
            Emu(SLIDE_WIDTH - MARGIN - Inches(1)),
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


def _no_shadow(shape: Shape) -> None:
    """No shadow in PowerPoint (an empty effect list) nor in LibreOffice, which draws the
    theme's effect the shape's style refers to unless that reference is to none."""
    shape.shadow.inherit = False
    style = shape._element.find(qn("p:style"))
    reference = style.find(qn("a:effectRef")) if style is not None else None
    if reference is not None:
        reference.set("idx", "0")


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
    left: Length,
    top: Length,
    width: Length,
    height: Length,
    lines: list[str],
    size: int,
    color: RGBColor,
    bold: bool = False,
    align: PP_ALIGN = PP_ALIGN.LEFT,
) -> Shape:
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
    left: Length,
    top: Length,
    widths: list[float],
    *,
    numeric_from: int,
    size: int = 14,
    row_height: Length | None = None,
    row_heights: Sequence[Length] | None = None,
) -> None:
    """A table whose first row is the header; columns from `numeric_from` are right-aligned."""
    if row_height is None:
        row_height = Inches(0.38 if size <= 12 else 0.55)
    heights = list(row_heights) if row_heights is not None else [row_height] * len(rows)
    shape = slide.shapes.add_table(
        len(rows), len(widths), left, top, Emu(sum(Inches(w) for w in widths)), Emu(sum(heights))
    )
    table = shape.table
    for column, width in enumerate(widths):
        table.columns[column].width = Inches(width)
    for row_number, values in enumerate(rows):
        table.rows[row_number].height = heights[row_number]
        for column, value in enumerate(values):
            cell = table.cell(row_number, column)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.margin_top = cell.margin_bottom = Inches(0.02)
            paragraph = cell.text_frame.paragraphs[0]
            if row_number and column >= numeric_from:
                paragraph.alignment = PP_ALIGN.RIGHT
            # A "\n" in a cell starts a new line there: a label is never broken mid-word.
            for line_number, line in enumerate(value.split("\n")):
                if line_number:
                    paragraph.add_line_break()
                run = paragraph.add_run()
                run.text = line
                _typeface(run.font, size)
                run.font.bold = row_number == 0


def _chart(
    slide: Slide,
    chart_type: XL_CHART_TYPE,
    categories: list[str],
    series: dict[str, list[int]],
    left: Length,
    top: Length,
    width: Length,
    height: Length,
) -> Chart:
    """A native chart with its values printed on the bars."""
    data = CategoryChartData(number_format="0")
    data.categories = categories
    for name, values in series.items():
        data.add_series(name, values)
    # python-pptx's annotations of add_chart are narrower than the method: it takes any
    # category data (ChartData is only CategoryChartData's old name) and returns the
    # graphic frame that holds the chart, not the chart.
    frame = slide.shapes.add_chart(
        chart_type,
        left,
        top,
        width,
        height,
        data,  # type: ignore[arg-type]  # any chart data
    )
    chart = frame.chart  # type: ignore[attr-defined]  # a GraphicFrame, annotated as its Chart
    chart.has_title = False  # the slide's heading names it
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
    chart.value_axis.tick_labels.number_format = "0"
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.major_gridlines.format.line.color.rgb = LIGHT_GREY
    chart.value_axis.format.line.fill.background()
    chart.category_axis.format.line.color.rgb = LIGHT_GREY
    return chart
