"""Report-ready files: the same conventions in every CSV and .xlsx the app writes."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from flask_babel import force_locale
from openpyxl import load_workbook

from seminar_app.domain import Delivery
from seminar_app.exports import display_width, to_csv, to_xlsx

HEADER = ["開催日時", "セミナー名", "開催形態", "今後の案内の希望"]
ROWS = [
    [
        datetime(2026, 12, 15, 5, 0, 30, 123456, tzinfo=UTC),  # 14:00:30 in Japan
        "営業秘密・知財戦略セミナー（初級）～情報の棚卸し～",
        Delivery.IN_PERSON,
        False,
    ],
    [datetime(2026, 12, 16, 1, 0, tzinfo=UTC), '=HYPERLINK("x")', Delivery.ONLINE, True],
]


def test_csv_gives_times_in_japan_to_the_minute_and_words_in_the_readers_language(app):
    with app.test_request_context(), force_locale("ja"):
        text = to_csv(HEADER, ROWS).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[1].startswith("2026-12-15 14:00,")
    assert "対面" in lines[1] and lines[1].endswith(",いいえ")
    assert lines[2].endswith(",オンライン,はい")
    assert "'=HYPERLINK" in lines[2]


def test_xlsx_sheets_are_ready_to_filter_and_to_print(app):
    with app.test_request_context(), force_locale("en"):
        data = to_xlsx([("Seminars", HEADER, ROWS)])
    sheet = load_workbook(io.BytesIO(data))["Seminars"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:D3"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["A2"].value == datetime(2026, 12, 15, 14, 0)
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert (sheet["C2"].value, sheet["D2"].value) == ("In person", "No")
    # A title in Japanese is measured at two columns a character, the page printed landscape.
    assert sheet.column_dimensions["B"].width >= display_width(ROWS[0][1])
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4 == "9"  # A4
    assert sheet.print_title_rows in ("1:1", "$1:$1")


def test_japanese_text_is_twice_as_wide_as_latin():
    assert display_width("セミナー") == 8 and display_width("abcd") == 4
