"""One page per seminar in the console: everything about it within reach, with counts."""

from __future__ import annotations

from datetime import timedelta

import lxml.html

from seminar_app.attendance import services as attendance
from seminar_app.domain import CheckInMethod
from seminar_app.surveys.services import create_survey
from seminar_app.timeutil import utcnow
from tests.registration_helpers import register


def cards(html: str) -> dict[str, tuple[str, str]]:
    """Each card's title → (its big number, where it leads)."""
    found = {}
    for card in lxml.html.fromstring(html).xpath("//div[contains(@class,'seminar-hub')]/*"):
        title = card.xpath(".//h2")[0].text_content().strip()
        number = card.xpath(".//p[contains(@class,'stat-number')]")
        found[title] = (
            number[0].text_content().split()[0] if number else "",
            card.get("href") or "",
        )
    return found


def test_the_seminar_page_reaches_everything_with_its_counts(
    organizer_client, db_session, make_seminar
):
    seminar = make_seminar(capacity=1, starts_at=utcnow() + timedelta(hours=1))
    seated = register(db_session, seminar)
    register(db_session, seminar)  # waits
    attendance.admit(
        db_session, seated, seminar.id, by=None, method=CheckInMethod.SCAN, desk="A", now=utcnow()
    )
    create_survey(db_session, seminar)
    db_session.commit()
    html = organizer_client.get(
        f"/console/seminars/{seminar.id}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    found = cards(html)
    assert found["Registrations"] == ("1", f"/console/seminars/{seminar.id}/registrations")
    assert "1 on the waitlist" in html
    assert found["Check-in desk"] == ("1", f"/desk/{seminar.id}")
    assert found["Attendance"] == ("1", f"/console/seminars/{seminar.id}/attendance")
    assert found["Materials"] == ("0", f"/lecturer/seminars/{seminar.id}")
    assert found["Recordings"] == ("0", f"/console/seminars/{seminar.id}/recordings")
    assert found["Survey"] == ("0", f"/console/seminars/{seminar.id}/survey")
    assert found["Mails"][0] == "0"  # queued, none sent yet
    for _number, href in found.values():
        if href:
            assert organizer_client.get(href).status_code == 200, href
    # The console's list leads here.
    listing = organizer_client.get(f"/console/?fiscal_year={seminar.fiscal_year}")
    assert f'href="/console/seminars/{seminar.id}"' in listing.get_data(as_text=True)
