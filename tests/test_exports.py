"""Report-ready files: the same conventions in every CSV and .xlsx the app writes."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from werkzeug.http import parse_options_header

from seminar_app.domain import Delivery
from seminar_app.exports import (
    Table,
    attachment,
    content_disposition,
    display_width,
    table_download,
    to_csv,
    to_xlsx,
)

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


def test_a_plain_file_name_is_sent_as_it_is():
    assert content_disposition("report-fy2020.csv") == 'attachment; filename="report-fy2020.csv"'


@pytest.mark.parametrize(
    ("filename", "plain"),
    [
        ("受講証明書_2025-11-16.pdf", "_2025-11-16.pdf"),
        ("資料.pdf", "download.pdf"),
        ('seminar "A".csv', "seminar__A_.csv"),
        ("Café.xlsx", "Cafe.xlsx"),
    ],
)
def test_any_other_name_goes_per_rfc_6266_with_a_plain_one_for_old_clients(filename, plain):
    header = content_disposition(filename)
    kind, options = parse_options_header(header)
    assert kind == "attachment" and options["filename"] == filename
    assert f'filename="{plain}"' in header
    assert header.isascii()
    assert unquote(header.split("filename*=UTF-8''")[1]) == filename


def test_a_file_is_never_cached_and_names_itself(app):
    with app.test_request_context():
        response = attachment(b"x", "application/pdf", "資料.pdf", "materials.pdf")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="materials.pdf"; filename*='
    )


def test_a_csv_holds_one_table_and_an_xlsx_one_sheet_per_table(app):
    tables = [Table("Seminars", HEADER, ROWS), Table("Copy", HEADER, ROWS[:1])]
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(ValueError, match="one table"):
            table_download("csv", "two", *tables)
        book = load_workbook(io.BytesIO(table_download("xlsx", "two", *tables).data))
    assert book.sheetnames == ["Seminars", "Copy"]


def test_the_registration_exports_name_each_group(organizer_client, db_session, make_seminar):
    """団体申込: each registration's group (its contact's No. and name) in the .csv and the
    .xlsx; a person registered alone belongs to none."""
    import csv

    from seminar_app.registration import services
    from seminar_app.registration.details import parse_details
    from seminar_app.timeutil import utcnow
    from tests.registration_helpers import details_data, register

    seminar = make_seminar(capacity=10)
    people = [
        parse_details(details_data(name=name, email=f"{n}@group.example.jp"))[0]
        for n, name in enumerate(["代表 花子", "同僚 一郎", "同僚 二郎"])
    ]
    contact, *members = services.register_group(
        db_session, seminar.id, people[0], people[1:], now=utcnow(), privacy_notice_version="1"
    )
    alone = register(db_session, seminar, email="alone@example.jp")
    url = f"/console/seminars/{seminar.id}/registrations"
    english = {"Accept-Language": "en"}
    data = organizer_client.get(f"{url}.csv", headers=english).data.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(data)))
    sheet = load_workbook(io.BytesIO(organizer_client.get(f"{url}.xlsx", headers=english).data))
    cells = [list(row) for row in sheet.active.iter_rows(values_only=True)]
    assert cells[0] == header
    number, name = header.index("Group No."), header.index("Group contact")
    by_id = {row[0]: row for row in rows}
    for person in (contact, *members):
        assert (by_id[str(person.id)][number], by_id[str(person.id)][name]) == (
            str(contact.id),
            "代表 花子",
        )
    assert by_id[str(alone.id)][number] == by_id[str(alone.id)][name] == ""
    by_cell = {row[0]: row for row in cells[1:]}
    assert (by_cell[members[1].id][number], by_cell[members[1].id][name]) == (
        contact.id,
        "代表 花子",
    )
    assert by_cell[alone.id][number] is None
