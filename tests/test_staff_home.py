"""The staff home answers "what is on today" for organizers."""

from __future__ import annotations

from datetime import timedelta

import lxml.html

from seminar_app.attendance import services as attendance
from seminar_app.domain import CheckInMethod, OutboxFailure, OutboxStatus, Role, SeminarStatus
from seminar_app.notifications.models import OutboxMessage
from seminar_app.timeutil import utcnow
from tests.conftest import login
from tests.registration_helpers import register


def rows_of(html: str) -> dict[str, list[str]]:
    """Each seminar row of the week's table, by its title: the other cells' text."""
    table = lxml.html.fromstring(html).xpath("//section[contains(@class, 'week-ahead')]//tbody")
    rows = table[0].xpath("./tr") if table else []
    return {
        row.xpath("./td[2]")[0].text_content().strip(): [
            cell.text_content().strip() for cell in row.xpath("./td")[2:]
        ]
        for row in rows
    }


def test_organizers_see_the_week_ahead_with_its_counts(client, db_session, make_seminar, make_user):
    now = utcnow()
    soon = make_seminar(title="明日のセミナー", starts_at=now + timedelta(hours=20), capacity=2)
    later = make_seminar(title="三日後のセミナー", starts_at=now + timedelta(days=3))
    make_seminar(title="十日後のセミナー", starts_at=now + timedelta(days=10))
    make_seminar(
        title="下書きのセミナー", starts_at=now + timedelta(days=2), status=SeminarStatus.DRAFT
    )
    seated = register(db_session, soon)
    register(db_session, soon)
    register(db_session, soon)  # the third waits
    attendance.admit(
        db_session, seated, soon.id, by=None, method=CheckInMethod.SCAN, desk="A", now=now
    )
    db_session.add(
        OutboxMessage(
            kind="registration.confirmed",
            recipient="gone@example.jp",
            status=OutboxStatus.FAILED,
            failure=OutboxFailure.REFUSED,
            failed_at=now,
            last_error="550 no such user",
        )
    )
    db_session.commit()
    login(client, make_user(Role.ORGANIZER))
    html = client.get("/staff", headers={"Accept-Language": "en"}).get_data(as_text=True)
    rows = rows_of(html)
    assert set(rows) == {soon.title_en, later.title_en}
    assert rows[soon.title_en] == ["2 / 2", "1", "1"]
    assert rows[later.title_en][1:] == ["0", "0"]
    assert "3 registrations since yesterday." in html
    assert "1 mail could not be delivered lately." in html


def test_others_see_no_week_ahead(client, make_user):
    login(client, make_user(Role.LECTURER))
    html = client.get("/staff").get_data(as_text=True)
    assert "week-ahead" not in html
