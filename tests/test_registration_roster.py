"""The organizer's list of one seminar's registrations, and its exports."""

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from tests.registration_helpers import register


def test_roster_lists_and_searches(organizer_client, make_seminar, db_session):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar, name="山田 太郎", email="yamada@example.jp")
    register(db_session, seminar, name="佐藤 花子", email="Sato@Example.jp")
    url = f"/console/seminars/{seminar.id}/registrations"
    html = organizer_client.get(url).get_data(as_text=True)
    assert "山田 太郎" in html and "佐藤 花子" in html
    waiting = organizer_client.get(f"{url}?status=waitlisted").get_data(as_text=True)
    assert "佐藤 花子" in waiting and "山田 太郎" not in waiting
    found = organizer_client.get(f"{url}?q=sato@example").get_data(as_text=True)
    assert "佐藤 花子" in found and "山田 太郎" not in found


def test_exports_are_excel_safe_and_audited(organizer_client, make_seminar, db_session):
    seminar = make_seminar()
    register(db_session, seminar, organization='=HYPERLINK("http://evil.example")')
    response = organizer_client.get(f"/console/seminars/{seminar.id}/registrations.csv")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][6].startswith("'=")
    response = organizer_client.get(f"/console/seminars/{seminar.id}/registrations.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    cell = sheet.cell(row=2, column=7)
    assert cell.value.startswith("'=") and cell.data_type != "f"
    formats = db_session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "registration.exported")
    ).all()
    assert [item["format"] for item in formats] == ["csv", "xlsx"]
