"""Tables for Excel: CSV in UTF-8 with BOM and .xlsx, with formula-like cells neutralised.

Every download goes through here, so every file reads alike: times in Japan to the minute,
yes/no and coded values in the reader's language, and .xlsx sheets ready for a report (a
styled, frozen header with a filter, columns as wide as their Japanese text, A4 landscape
with the header on every printed page); and every response alike: a file to save, named
for old and new browsers, never cached.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple
from urllib.parse import quote

from flask import Response
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .domain import Vocabulary
from .timeutil import to_jst


class Table(NamedTuple):
    """A table for a file: a CSV holds one, an .xlsx one sheet per table."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[object]]


#: A cell beginning with one of these would be read as a formula by Excel or LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a quote to text that a spreadsheet would evaluate; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: object) -> object:
    """What a spreadsheet cell holds: times in Japan to the minute, yes/no and coded values
    in the reader's language, formula-like text neutralised."""
    if isinstance(value, datetime):
        local = to_jst(value) if value.tzinfo else value
        return local.replace(tzinfo=None, second=0, microsecond=0)  # Excel has no time zones
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Vocabulary):
        return value.label
    return neutralise(value)


def _csv_cell(value: object) -> object:
    value = _cell(value)
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(title) for title in header])
    for row in rows:
        writer.writerow(["" if value is None else _csv_cell(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def display_width(value: object) -> int:
    """Columns a value takes on screen: a full-width (Japanese) character takes two."""
    text = value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


#: Column widths, in characters: wide enough for a date, never wider than a page allows.
MIN_WIDTH, MAX_WIDTH = 8, 60
#: Rows read to size a column (a long export is sized by its beginning).
ROWS_MEASURED = 500
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
HEADER_BORDER = Border(bottom=Side(style="thin", color="7F7F7F"))
MINUTES_FORMAT = "yyyy-mm-dd hh:mm"


def _write_sheet(sheet, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    sheet.append([neutralise(name) for name in header])
    widths = [display_width(name) for name in header]
    count = 0
    for count, row in enumerate(rows, start=1):
        values = [_cell(value) for value in row]
        sheet.append(values)
        for column, value in enumerate(values, start=1):
            if isinstance(value, datetime):
                sheet.cell(row=count + 1, column=column).number_format = MINUTES_FORMAT
            if count <= ROWS_MEASURED and value is not None and column <= len(widths):
                widths[column - 1] = max(widths[column - 1], display_width(value))
    for column in sheet[1]:
        column.font, column.fill, column.border = HEADER_FONT, HEADER_FILL, HEADER_BORDER
    for index, width in enumerate(widths, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"
    if header:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    # Printed for a report: A4 landscape, as wide as the page, the header on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """One sheet per (title, header, rows), each ready to filter and to print."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the empty sheet a new workbook starts with
    for title, header, rows in sheets:
        _write_sheet(workbook.create_sheet(title=title[:31]), header, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX_MIMETYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def table_download(extension: str, basename: str, *tables: Table) -> Response:
    """`basename`.csv (of one table) or `basename`.xlsx (a sheet per table)."""
    if extension == "csv":
        if len(tables) != 1:
            raise ValueError("a CSV file holds one table")
        (table,) = tables
        return attachment(to_csv(table.header, table.rows), CSV_MIMETYPE, f"{basename}.csv")
    if extension == "xlsx":
        return attachment(to_xlsx(tables), XLSX_MIMETYPE, f"{basename}.xlsx")
    raise ValueError(f"no table download as .{extension}")


#: Characters kept in the plain (ASCII) file name; the others become "_".
_PLAIN_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-()")


def content_disposition(filename: str, plain_name: str | None = None) -> str:
    """`attachment` with `filename`; one that is not plain ASCII also goes as RFC 5987
    `filename*` (RFC 6266), beside `plain_name` (else an ASCII rendering) for old clients."""
    if plain_name is None:
        ascii_text = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
        plain_name = "".join(char if char in _PLAIN_NAME else "_" for char in ascii_text)
        stem, dot, suffix = plain_name.rpartition(".")
        if not dot:
            stem, suffix = suffix, ""
        if not any(char.isalnum() for char in stem):  # a name all in Japanese, say
            plain_name = f"download{dot}{suffix}"
    if plain_name == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{plain_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment(
    body: bytes, mimetype: str, filename: str, plain_name: str | None = None
) -> Response:
    """A file to save as `filename`, never cached: downloads hold personal data or figures
    that change."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": content_disposition(filename, plain_name),
            "Cache-Control": "no-store",
        },
    )
