"""A hybrid seminar's pages: the form asks how the person attends, the confirmation shows it,
the API takes it, and the catalogue shows the seats left at the venue and online."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import func, select

from seminar_app.domain import AttendanceMode, Delivery, Role
from seminar_app.notifications import services as outbox
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration.models import Registration
from tests.conftest import post_form
from tests.registration_helpers import register
from tests.test_registration_api import (
    bearer,
    issue_token,
    post_registration,
    registration_body,
    seminar_body,
    validate_against,
)
from tests.test_registration_confirm import entered, read

VENUE, ONLINE = AttendanceMode.VENUE, AttendanceMode.ONLINE


def hybrid(make_seminar, **overrides):
    values = dict(delivery=Delivery.HYBRID, venue="INPIT 本部 会議室", capacity=2)
    values.update(overrides)
    return make_seminar(**values)


def registrations(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Registration))


def test_the_form_of_a_hybrid_seminar_asks_how_and_shows_the_seats_of_each_way(
    client, make_seminar, db_session
):
    seminar = hybrid(make_seminar, capacity=2, online_capacity=None)
    register(db_session, seminar, attendance_mode=VENUE)
    html = client.get(
        f"/seminars/{seminar.slug}/register", headers={"Accept-Language": "ja"}
    ).get_data(as_text=True)
    assert "参加方法" in html
    assert 'type="radio"' in html and 'value="venue"' in html and 'value="online"' in html
    assert "会場（残り1席）" in html
    assert ">オンライン</label>" in html or "オンライン</label>" in html


def test_the_form_of_another_seminar_does_not_ask(client, make_seminar):
    seminar = make_seminar(delivery=Delivery.ONLINE)
    html = client.get(
        f"/seminars/{seminar.slug}/register", headers={"Accept-Language": "ja"}
    ).get_data(as_text=True)
    assert "参加方法" not in html and 'name="attendance_mode"' not in html


def test_the_form_refuses_a_hybrid_registration_without_the_choice(
    client, make_seminar, db_session
):
    seminar = hybrid(make_seminar)
    response = post_form(
        client,
        f"/seminars/{seminar.slug}/register",
        entered(),
        headers={"Accept-Language": "ja"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "参加方法（会場またはオンライン）を選んでください" in html
    assert read(html).current_step == "1入力"
    assert registrations(db_session) == 0


def test_the_confirmation_shows_the_choice_and_registers_it(client, make_seminar, db_session):
    seminar = hybrid(make_seminar)
    url = f"/seminars/{seminar.slug}/register"
    confirmation = post_form(
        client, url, {**entered(), "attendance_mode": "online"}, headers={"Accept-Language": "ja"}
    )
    html = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200
    assert "<dt>参加方法</dt>" in html and "<strong>オンライン</strong>" in html
    page = read(html)
    assert page.hidden["attendance_mode"] == "online"
    assert registrations(db_session) == 0

    back = read(client.post(url, data={**page.hidden, "back": "1"}).get_data(as_text=True))
    assert back.values.get("attendance_mode") == "online"

    done = client.post(url, data={**page.hidden, "register": "1"})
    assert done.status_code == 303
    registration = db_session.scalars(select(Registration)).one()
    assert (registration.attendance_mode, registration.status) == (ONLINE, "confirmed")


def test_the_confirmation_says_when_the_chosen_way_is_full(client, make_seminar, db_session):
    seminar = hybrid(make_seminar, capacity=1, online_capacity=5)
    register(db_session, seminar, attendance_mode=VENUE)
    html = post_form(
        client,
        f"/seminars/{seminar.slug}/register",
        {**entered(), "attendance_mode": "venue"},
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "At the venue is full: you will join its waitlist" in html
    assert "Join the waitlist</button>" in html


# ---------------------------------------------------------------- the API


@pytest.fixture
def organizer_token(app, make_user) -> str:
    return issue_token(app, make_user(Role.ORGANIZER))


def test_the_api_registers_the_way_of_attending_and_returns_it(client, make_seminar, db_session):
    seminar = hybrid(make_seminar, capacity=1, online_capacity=None)
    db_session.commit()
    answer = post_registration(client, seminar.id, registration_body(attendance_mode="online"))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    validate_against(body, "RegistrationCreated")
    assert (body["attendance_mode"], body["status"]) == ("online", "confirmed")
    assert db_session.scalars(select(Registration)).one().attendance_mode == ONLINE


def test_the_api_needs_the_way_of_attending_for_a_hybrid_seminar(client, make_seminar, db_session):
    seminar = hybrid(make_seminar)
    db_session.commit()
    answer = post_registration(client, seminar.id, registration_body(locale="en"))
    assert answer.status_code == 422
    assert answer.get_json()["fields"] == {
        "attendance_mode": "Choose how you will attend: at the venue or online."
    }
    assert registrations(db_session) == 0


def test_the_api_refuses_a_way_of_attending_for_another_seminar(client, make_seminar, db_session):
    seminar = make_seminar(delivery=Delivery.ONLINE)
    db_session.commit()
    answer = post_registration(
        client, seminar.id, registration_body(attendance_mode="venue", locale="en")
    )
    assert answer.status_code == 422
    assert answer.get_json()["fields"]["attendance_mode"].startswith("Only a hybrid seminar")
    bad = post_registration(client, seminar.id, registration_body(attendance_mode="bus"))
    assert bad.status_code == 422 and "attendance_mode" in bad.get_json()["fields"]
    assert registrations(db_session) == 0


def test_the_public_api_gives_a_hybrid_seminars_seats_of_each_way(client, make_seminar, db_session):
    seminar = hybrid(make_seminar, capacity=3, online_capacity=10)
    register(db_session, seminar, attendance_mode=ONLINE)
    body = client.get(f"/api/v1/seminars/{seminar.id}").get_json()
    validate_against(body, "Seminar")
    assert body["seats_left_by_mode"] == {"venue": 3, "online": 9}
    assert (body["online_capacity"], body["seats_left"]) == (10, 12)


# ---------------------------------------------------------------- the catalogue


def test_the_seminar_page_and_its_card_show_the_seats_left_at_the_venue_and_online(
    client, make_seminar, db_session
):
    seminar = hybrid(make_seminar, capacity=1, online_capacity=30)
    register(db_session, seminar, attendance_mode=VENUE)
    register(db_session, seminar, attendance_mode=ONLINE)
    page = client.get(f"/seminars/{seminar.slug}", headers={"Accept-Language": "ja"})
    html = page.get_data(as_text=True)
    assert "会場 1名 · オンライン 30名" in html
    assert "会場 満席（キャンセル待ち可）" in html and "オンライン 残り29席" in html
    card = client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "会場 満席（キャンセル待ち可）" in card and "オンライン 残り29席" in card


# ---------------------------------------------------------------- mails and the management page


def confirmation_mail(db_session, registration):
    row = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "registration.confirmed")
    ).all()
    row = next(r for r in row if r.payload["registration_id"] == registration.id)
    message = email.message_from_bytes(outbox.render(db_session, row), policy=email.policy.default)
    text = next(p.get_content() for p in message.walk() if p.get_content_type() == "text/plain")
    html = next(p.get_content() for p in message.walk() if p.get_content_type() == "text/html")
    invite = next(
        p.get_content() for p in message.walk() if p.get_content_type() == "text/calendar"
    )
    return text, html, invite


def test_the_confirmation_mail_says_how_the_person_attends(db_session, make_seminar):
    seminar = hybrid(make_seminar, online_capacity=None)
    at_venue = register(db_session, seminar, attendance_mode=VENUE)
    online = register(db_session, seminar, attendance_mode=ONLINE)

    text, html, invite = confirmation_mail(db_session, at_venue)
    assert "参加方法: 会場（INPIT 本部 会議室）" in text
    assert "/join/" not in text and "/join/" not in html and "/join/" not in invite

    text, html, invite = confirmation_mail(db_session, online)
    assert "参加方法: オンライン" in text
    assert online.join_token in text and online.join_token in html
    assert online.join_token in invite.replace("\r\n ", "")


def test_the_management_page_says_how_the_person_attends(client, make_seminar, db_session):
    seminar = hybrid(make_seminar, online_capacity=None)
    at_venue = register(db_session, seminar, attendance_mode=VENUE)
    online = register(db_session, seminar, attendance_mode=ONLINE)
    venue_page = client.get(f"/r/{at_venue.manage_token}", headers={"Accept-Language": "ja"})
    html = venue_page.get_data(as_text=True)
    assert "<strong>会場</strong>（INPIT 本部 会議室）" in html
    assert at_venue.join_token not in html
    online_page = client.get(f"/r/{online.manage_token}", headers={"Accept-Language": "ja"})
    html = online_page.get_data(as_text=True)
    assert "<strong>オンライン</strong>" in html and online.join_token in html


def test_staff_create_a_hybrid_seminar_with_seats_online_through_the_api(
    client, organizer_token, db_session
):
    body = seminar_body(delivery="hybrid", venue="INPIT 会議室", capacity=30, online_capacity=100)
    created = client.post("/api/v1/seminars", json=body, headers=bearer(organizer_token))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["online_capacity"] == 100
    refused = client.post(
        "/api/v1/seminars",
        json=seminar_body(online_capacity=100),
        headers=bearer(organizer_token),
    )
    assert refused.status_code == 422
    assert refused.get_json()["fields"]["online_capacity"].startswith("Only a hybrid seminar")


def test_staff_list_gives_each_registrations_way_of_attending(
    client, organizer_token, make_seminar, db_session
):
    seminar = hybrid(make_seminar, online_capacity=None)
    register(db_session, seminar, attendance_mode=ONLINE)
    register(db_session, seminar, attendance_mode=VENUE)
    answer = client.get(
        f"/api/v1/seminars/{seminar.id}/registrations", headers=bearer(organizer_token)
    ).get_json()
    for row in answer["registrations"]:
        validate_against(row, "RegistrationRow")
    assert [row["attendance_mode"] for row in answer["registrations"]] == ["online", "venue"]
