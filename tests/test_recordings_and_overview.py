"""Recordings with audiences and reach, and one page for all of an address's registrations."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from seminar_app.attendance import services as attendance
from seminar_app.domain import CheckInMethod
from seminar_app.elearning import services as recordings
from seminar_app.elearning.models import Recording, RecordingView
from seminar_app.notifications.models import OutboxMessage
from seminar_app.notifications.services import deliver_due
from seminar_app.timeutil import utcnow
from tests.conftest import post_form
from tests.registration_helpers import register


def add_recording(db_session, seminar, audience, **overrides):
    recording = Recording(
        seminar_id=seminar.id,
        title=f"録画 {audience}",
        audience=audience,
        url="https://eplat.example.jp/v/123",
        **overrides,
    )
    db_session.add(recording)
    db_session.flush()
    return recording


def test_publishing_mails_exactly_the_audience(db_session, make_seminar):
    seminar = make_seminar(starts_at=utcnow() - timedelta(hours=3))
    earlier = utcnow() - timedelta(days=2)
    came, absent = (register(db_session, seminar, now=earlier) for _ in range(2))
    attendance.admit(
        db_session,
        came,
        seminar.id,
        by=None,
        method=CheckInMethod.SCAN,
        desk="A",
        now=seminar.starts_at,
    )
    missed = add_recording(db_session, seminar, "absentees")
    assert recordings.publish(db_session, missed, by=None, now=utcnow()) == 1
    db_session.commit()
    mails = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "recording.published")
    ).all()
    assert [m.payload["registration_id"] for m in mails] == [absent.id]


def test_opening_goes_through_us_and_is_counted(client, db_session, make_seminar):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    recording = add_recording(db_session, seminar, "registrants", published_at=utcnow())
    response = client.get(f"/r/{registration.manage_token}/recordings/{recording.id}")
    assert response.status_code == 302 and response.headers["Location"] == recording.url
    assert db_session.scalar(select(RecordingView.registration_id)) == registration.id
    page = client.get(f"/r/{registration.manage_token}").get_data(as_text=True)
    assert recording.title in page and recording.url not in page


def test_unpublished_expired_and_wrong_audience_are_refused(client, db_session, make_seminar):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    hidden = add_recording(db_session, seminar, "registrants")
    expired = add_recording(
        db_session,
        seminar,
        "registrants",
        published_at=utcnow(),
        available_until=utcnow() - timedelta(days=1),
    )
    only_attendees = add_recording(db_session, seminar, "attendees", published_at=utcnow())
    for recording in (hidden, expired, only_attendees):
        url = f"/r/{registration.manage_token}/recordings/{recording.id}"
        assert client.get(url).status_code == 403
    public = add_recording(db_session, seminar, "registrants", published_at=utcnow())
    assert client.get(f"/seminars/{seminar.slug}/recordings/{public.id}").status_code == 404
    assert db_session.scalar(select(func.count()).select_from(RecordingView)) == 0


def test_organizer_adds_and_publishes_a_recording(organizer_client, db_session, make_seminar):
    seminar = make_seminar()
    register(db_session, seminar)
    page = f"/console/seminars/{seminar.id}/recordings"
    bad = post_form(
        organizer_client,
        page,
        {"title": "録画", "url": "http://insecure.example", "audience": "everyone"},
        headers={"Accept-Language": "en"},
    )
    assert bad.status_code == 400 and "https://" in bad.get_data(as_text=True)
    post_form(
        organizer_client,
        page,
        {"title": "第1回 録画", "url": "https://eplat.example.jp/v/1", "audience": "registrants"},
    )
    recording = db_session.scalar(select(Recording))
    post_form(organizer_client, f"/console/recordings/{recording.id}/publish", {}, page=page)
    assert recording.published_at is not None
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.kind == "recording.published")
        )
        == 1
    )


def test_one_mailed_link_to_all_registrations(
    client, db_session, smtp_app, mail_server, make_seminar
):
    first = register(db_session, make_seminar(), email="many@example.jp")
    register(db_session, make_seminar(), email="MANY@example.jp")
    response = post_form(client, "/me", {"email": "many@example.jp"})
    assert response.status_code == 303
    deliver_due(db_session)
    mails = mail_server.wait_for(3)  # two confirmations and the overview
    [mail] = [m for m in mails if "/me/" in m.get_body(("plain",)).get_content()]
    link = re.search(r"http://seminars\.test(/me/\S+)", mail.get_body(("plain",)).get_content())
    page = client.get(link.group(1)).get_data(as_text=True)
    assert page.count("card-title") == 2 and first.ticket_code in page
    assert client.get("/me/forged-token").status_code == 400


def test_unknown_address_gets_the_same_answer_and_no_mail(client, db_session):
    response = post_form(
        client,
        "/me",
        {"email": "nobody@example.jp"},
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    assert "If that address has registrations" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
