"""Personal join links: attendance recorded on the first join, the meeting URL kept private."""

from datetime import timedelta

from sqlalchemy import func, select

from seminar_app.attendance.models import OnlineAttendance
from seminar_app.domain import Delivery
from seminar_app.notifications.services import deliver_due
from seminar_app.timeutil import utcnow
from tests.registration_helpers import register


def joins(db_session):
    return db_session.scalar(select(func.count()).select_from(OnlineAttendance))


def test_join_during_the_seminar_records_once_and_redirects(client, make_seminar, db_session):
    seminar = make_seminar(starts_at=utcnow() - timedelta(minutes=10))
    registration = register(db_session, seminar, now=utcnow() - timedelta(days=1))
    first = client.get(f"/j/{registration.join_token}")
    second = client.get(f"/j/{registration.join_token}")
    assert first.status_code == 302 and first.headers["Location"] == seminar.meeting_url
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert second.status_code == 302
    assert joins(db_session) == 1


def test_join_days_before_opens_the_meeting_without_counting(client, make_seminar, db_session):
    registration = register(db_session, make_seminar())
    assert client.get(f"/j/{registration.join_token}").status_code == 302
    assert joins(db_session) == 0


def test_waitlisted_in_person_and_unknown_links_do_not_open_the_meeting(
    client, make_seminar, db_session
):
    full = make_seminar(capacity=0)
    waiting = register(db_session, full)
    on_site = make_seminar(delivery=Delivery.IN_PERSON, venue="会場", meeting_url=None)
    present = register(db_session, on_site)
    for registration in (waiting, present):
        response = client.get(f"/j/{registration.join_token}")
        assert response.status_code == 409
        assert full.meeting_url not in response.get_data(as_text=True)
    assert client.get("/j/not-a-token").status_code == 404
    assert joins(db_session) == 0


def test_mail_carries_the_join_link_not_the_meeting_url(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar(meeting_url="https://meet.example.org/j/keep-private")
    registration = register(db_session, seminar)
    deliver_due(db_session)
    [mail] = mail_server.wait_for(1)
    text = mail.get_body(("plain",)).get_content()
    assert f"/j/{registration.join_token}" in text
    assert "keep-private" not in mail.as_string()
