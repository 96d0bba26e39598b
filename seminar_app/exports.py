"""Tables for Excel: CSV in UTF-8 with BOM and .xlsx, with formula-like cells neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

#: A cell beginning with one of these would be read as a formula by Excel or LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a quote to text that a spreadsheet would evaluate; other values pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones: callers pass JST
    if isinstance(value, bool):
        return "yes" if value else "no"
    return neutralise(value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(title) for title in header])
    for row in rows:
        writer.writerow(["" if value is None else _cell(value) for value in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]]) -> bytes:
    """One sheet per (title, header, rows)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([neutralise(name) for name in header])
        for row in rows:
            sheet.append([_cell(value) for value in row])
        sheet.freeze_panes = "A2"
        for index, name in enumerate(header, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(10, len(str(name)) * 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_download(
    extension: str,
    basename: str,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
):
    """A one-table download as .csv or .xlsx, never cached (it holds personal data)."""
    from flask import Response

    if extension == "csv":
        body, mimetype = to_csv(header, rows), "text/csv; charset=utf-8"
    else:
        body, mimetype = to_xlsx([(title, header, rows)]), XLSX_MIMETYPE
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{basename}.{extension}"',
            "Cache-Control": "no-store",
        },
    )
