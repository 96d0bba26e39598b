"""Scheduling a lecturer dispatch (issue 18, item 3): the in-company seminar made through
the lifecycle and kept out of the catalogue, the company as a client of the desk, the
refusal of an assignment within the travel margin of another, re-scheduling, a withdrawal
that frees the staff, the invites (checked with the strict calendar parser after the real
SMTP server), each staff member's feed of assignments, the console's form, and two
organizers assigning one advisor at the same moment."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta

import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import func, select

from seminar_app.audit.models import AuditEvent
from seminar_app.auth.models import User
from seminar_app.catalogue.models import Seminar
from seminar_app.consultations.models import Client
from seminar_app.dispatch import services
from seminar_app.dispatch.models import DispatchRequest, StaffCalendarFeed
from seminar_app.domain import Delivery, DispatchState, HostType, Role, SeminarStatus
from seminar_app.extensions import db
from seminar_app.i18n import format_when
from seminar_app.notifications.models import OutboxMessage
from seminar_app.text import organization_key
from seminar_app.timeutil import JST, jst_datetime, jst_today, to_jst, utcnow
from tests.conftest import fresh_database_url, login, make_app, post_form
from tests.dispatch_helpers import CORPORATE_NUMBER, submit
from tests.test_invites import (
    _waiting_on_a_lock,
    calendar_parts,
    deliver,
    invite_of,
    parse_ics,
    text_of,
)
from tests.waiting import patience, wait_until

DAY = 30  # days from today of the slots below, well ahead


def at(hour: int, minute: int = 0, days: int = DAY) -> datetime:
    """A moment in Japan time `days` from today."""
    return jst_datetime(jst_today() + timedelta(days=days), time(hour, minute))


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER, display_name="事務局 一郎")


@pytest.fixture
def advisor(make_user):
    return make_user(
        Role.LECTURER, Role.ADVISOR, display_name="知財 太郎", email="advisor@example.org"
    )


@pytest.fixture
def colleague(make_user):
    return make_user(Role.LECTURER, display_name="営業 秘子", email="colleague@example.org")


def schedule(db_session, request, staff, starts_at=None, ends_at=None, **kwargs):
    seminar = services.schedule(
        db_session,
        request,
        starts_at=starts_at or at(14),
        ends_at=ends_at or at(16),
        delivery=kwargs.pop("delivery", "in-person"),
        staff=staff,
        by=kwargs.pop("by", None),
        now=kwargs.pop("now", utcnow()),
        **kwargs,
    )
    db_session.commit()
    return seminar


def refusal(app, db_session, request, staff, starts_at, ends_at, **kwargs):
    """The problems of a refused scheduling, in English; and that nothing changed."""
    state = request.state
    seminars = count(db_session, Seminar)
    mails = count(db_session, OutboxMessage)
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(services.ScheduleRefused) as caught,
    ):
        services.schedule(
            db_session,
            request,
            starts_at=starts_at,
            ends_at=ends_at,
            delivery=kwargs.pop("delivery", "in-person"),
            staff=staff,
            by=None,
            now=utcnow(),
            **kwargs,
        )
    db_session.rollback()
    assert db_session.get(DispatchRequest, request.id).state == state
    assert count(db_session, Seminar) == seminars
    assert count(db_session, OutboxMessage) == mails
    return caught.value


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def mails_of(db_session, kind: str) -> list[OutboxMessage]:
    return list(
        db_session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        )
    )


# --- the seminar it makes -------------------------------------------------------------------


def test_scheduling_creates_the_in_company_seminar_with_the_staff_as_lecturers(
    db_session, organizer, advisor, colleague
):
    request = submit(db_session, themes=["ip-utilization", "step-3"])
    seminar = schedule(db_session, request, [advisor, colleague], by=organizer)
    assert request.state == DispatchState.SCHEDULED
    assert request.seminar_id == seminar.id
    assert seminar.host_type == HostType.IN_COMPANY
    assert seminar.status == SeminarStatus.PUBLISHED  # counted by the reports as held
    assert not seminar.is_public
    assert seminar.series == "ip-utilization"  # the series the company asked for
    assert seminar.host_organization == request.organization
    assert request.organization in seminar.title
    assert (seminar.starts_at, seminar.ends_at) == (at(14), at(16))
    assert seminar.delivery == Delivery.IN_PERSON
    assert seminar.venue == f"{request.address} {request.place}"
    assert seminar.capacity is None
    assert {user.id for user in seminar.lecturers} == {advisor.id, colleague.id}
    last = request.changes[-1]
    assert (last.from_state, last.to_state, last.actor_id) == (
        DispatchState.RECEIVED,
        DispatchState.SCHEDULED,
        organizer.id,
    )
    actions = set(
        db_session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.subject_type == "seminar", AuditEvent.subject_id == str(seminar.id)
            )
        )
    )
    assert {"seminar.created", "seminar.published"} <= actions


def test_an_online_dispatch_has_no_venue(db_session, advisor):
    seminar = schedule(db_session, submit(db_session), [advisor], delivery="online")
    assert seminar.delivery == Delivery.ONLINE and seminar.venue is None


def test_the_in_company_seminar_never_reaches_the_public_catalogue(
    client, db_session, make_seminar, advisor
):
    public = make_seminar(title="公開セミナーの対照")
    seminar = schedule(db_session, submit(db_session), [advisor])
    index = client.get("/").get_data(as_text=True)
    assert public.title in index and seminar.title not in index
    assert client.get(f"/seminars/{seminar.slug}").status_code == 404
    assert client.get(f"/seminars/{seminar.slug}/register").status_code == 404
    feed = client.get("/calendar/seminars.ics").get_data(as_text=True)
    assert "公開セミナーの対照" in feed and seminar.title not in feed
    listed = {item["id"] for item in client.get("/api/v1/seminars").get_json()["seminars"]}
    assert public.id in listed and seminar.id not in listed
    assert client.get(f"/api/v1/seminars/{seminar.id}").status_code == 404


# --- the company as a client of the desk ------------------------------------------------------


def test_the_company_is_the_client_with_its_corporate_number(db_session, advisor):
    known = Client(name="旧商号の会社", name_key="旧商号の会社", corporate_number=CORPORATE_NUMBER)
    db_session.add(known)
    request = submit(db_session, corporate_number=CORPORATE_NUMBER)
    schedule(db_session, request, [advisor])
    assert request.client_id == known.id


def test_the_company_is_the_client_with_its_normalised_name(db_session, advisor):
    known = Client(name="（株）ＡＢＣ 商事", name_key=organization_key("（株）ＡＢＣ 商事"))
    db_session.add(known)
    request = submit(db_session, organization="株式会社ABC商事")
    schedule(db_session, request, [advisor])
    assert request.client_id == known.id


def test_a_company_the_desk_does_not_know_becomes_a_client(db_session, advisor):
    request = submit(db_session, corporate_number=CORPORATE_NUMBER)
    clients = count(db_session, Client)
    schedule(db_session, request, [advisor])
    assert count(db_session, Client) == clients + 1
    assert request.client.name == request.organization
    assert request.client.corporate_number == CORPORATE_NUMBER


# --- the travel margin ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gap_minutes", "accepted"), [(60, True), (59, False), (120, True), (0, False)]
)
def test_an_assignment_ending_the_margin_before_another_is_accepted_one_minute_less_not(
    app, db_session, make_seminar, advisor, gap_minutes, accepted
):
    assert app.config["DISPATCH_TRAVEL_MARGIN_MINUTES"] == 60
    other = make_seminar(lecturers=[advisor], starts_at=at(14), ends_at=at(16))
    ends_at = at(14) - timedelta(minutes=gap_minutes)
    starts_at = ends_at - timedelta(hours=2)
    request = submit(db_session)
    if accepted:
        schedule(db_session, request, [advisor], starts_at, ends_at)
        assert request.state == DispatchState.SCHEDULED
    else:
        refused = refusal(app, db_session, request, [advisor], starts_at, ends_at)
        assert set(refused.problems) == {"staff"}
        assert [(c.person.id, c.seminar.id) for c in refused.conflicts] == [(advisor.id, other.id)]


@pytest.mark.parametrize(("gap_minutes", "accepted"), [(60, True), (59, False)])
def test_an_assignment_starting_the_margin_after_another_is_accepted_one_minute_less_not(
    app, db_session, make_seminar, advisor, gap_minutes, accepted
):
    make_seminar(lecturers=[advisor], starts_at=at(10), ends_at=at(12))
    starts_at = at(12) + timedelta(minutes=gap_minutes)
    request = submit(db_session)
    if accepted:
        schedule(db_session, request, [advisor], starts_at, starts_at + timedelta(hours=2))
        assert request.state == DispatchState.SCHEDULED
    else:
        refusal(app, db_session, request, [advisor], starts_at, starts_at + timedelta(hours=2))


def test_the_refusal_names_the_person_and_the_seminar_with_its_time(
    app, db_session, make_seminar, advisor, colleague
):
    other = make_seminar(lecturers=[advisor], starts_at=at(14), ends_at=at(16))
    request = submit(db_session)
    refused = refusal(app, db_session, request, [colleague, advisor], at(15), at(17))
    with app.test_request_context(), force_locale("en"):
        when = format_when(other.starts_at, other.ends_at, "en")
    message = refused.problems["staff"]
    assert "知財 太郎" in message and "営業 秘子" not in message
    assert f"“{other.title_en}” ({when})" in message
    assert "60 minutes" in message


def test_the_margin_is_a_setting(app, db_session, make_seminar, advisor):
    make_seminar(lecturers=[advisor], starts_at=at(14), ends_at=at(16))
    saved = app.config["DISPATCH_TRAVEL_MARGIN_MINUTES"]
    app.config["DISPATCH_TRAVEL_MARGIN_MINUTES"] = 90
    try:
        refused = refusal(app, db_session, submit(db_session), [advisor], at(10), at(13))
    finally:
        app.config["DISPATCH_TRAVEL_MARGIN_MINUTES"] = saved
    assert "90 minutes" in refused.problems["staff"]
    schedule(db_session, submit(db_session), [advisor], at(10), at(13))


def test_another_dispatch_of_the_same_person_is_in_the_way(app, db_session, advisor, colleague):
    first = submit(db_session)
    seminar = schedule(db_session, first, [advisor])
    refused = refusal(app, db_session, submit(db_session), [advisor], at(15), at(17))
    assert first.organization in refused.problems["staff"]
    assert [c.seminar.id for c in refused.conflicts] == [seminar.id]
    # Someone else is free then.
    schedule(db_session, submit(db_session), [colleague], at(15), at(17))


def test_cancelled_seminars_and_other_peoples_are_no_obstacle(
    db_session, make_seminar, advisor, colleague
):
    make_seminar(lecturers=[advisor], starts_at=at(14), ends_at=at(16), status="cancelled")
    make_seminar(lecturers=[colleague], starts_at=at(14), ends_at=at(16))
    request = submit(db_session)
    schedule(db_session, request, [advisor])
    assert request.state == DispatchState.SCHEDULED


# --- what else is refused ---------------------------------------------------------------------


def test_a_date_is_refused_field_by_field(app, db_session, advisor):
    request = submit(db_session)
    assert set(refusal(app, db_session, request, [advisor], at(16), at(14)).problems) == {"ends_at"}
    yesterday = at(14, days=-1)
    past = refusal(app, db_session, request, [advisor], yesterday, yesterday + timedelta(hours=2))
    assert past.problems == {"starts_at": "Choose a date and time in the future."}
    assert set(refusal(app, db_session, request, [advisor], None, None).problems) == {
        "starts_at",
        "ends_at",
    }
    unknown = refusal(app, db_session, request, [advisor], at(14), at(16), delivery="carrier")
    assert set(unknown.problems) == {"delivery"}


def test_only_active_lecturers_or_advisors_can_be_assigned(app, db_session, make_user, advisor):
    request = submit(db_session)
    assert refusal(app, db_session, request, [], at(14), at(16)).problems == {
        "staff": "Assign at least one lecturer or advisor."
    }
    receptionist = make_user(Role.RECEPTION, display_name="受付 花子")
    problems = refusal(app, db_session, request, [advisor, receptionist], at(14), at(16)).problems
    assert problems == {"staff": "Only active lecturers or advisors can be assigned: 受付 花子."}
    advisor.active = False
    db_session.commit()
    assert (
        "知財 太郎"
        in refusal(app, db_session, request, [advisor], at(14), at(16)).problems["staff"]
    )


def test_an_advisor_without_the_lecturer_role_is_assigned_and_manages_the_seminar(
    app, client, db_session, make_user, make_seminar
):
    """知財戦略アドバイザー give the in-company seminars: being assigned makes them its
    lecturers, with its materials and their assignments; not another seminar's."""
    only_advisor = make_user(Role.ADVISOR, display_name="相談 一子")
    request = submit(db_session)
    seminar = schedule(db_session, request, [only_advisor])
    assert seminar.lecturers == [only_advisor]
    other = make_seminar()
    db_session.commit()
    login(client, only_advisor)
    assert client.get("/lecturer/assignments").status_code == 200
    assert client.get(f"/lecturer/seminars/{seminar.id}").status_code == 200
    assert client.get(f"/lecturer/seminars/{other.id}").status_code == 403
    home = client.get("/staff", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "/lecturer/assignments" in home


@pytest.mark.parametrize("state", ["declined", "withdrawn"])
def test_a_closed_request_cannot_be_scheduled(app, db_session, organizer, advisor, state):
    request = submit(db_session)
    services.change_state(db_session, request, state, by=organizer, now=utcnow(), reason="x")
    db_session.commit()
    assert set(refusal(app, db_session, request, [advisor], at(14), at(16)).problems) == {"state"}


# --- re-scheduling ----------------------------------------------------------------------------


def test_rescheduling_checks_the_margin_without_its_own_seminar(
    app, db_session, make_seminar, advisor
):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    # Half an hour later overlaps its own former time: no obstacle.
    schedule(db_session, request, [advisor], at(14, 30), at(16, 30))
    assert (seminar.starts_at, seminar.ends_at) == (at(14, 30), at(16, 30))
    assert count(db_session, Seminar) == 1
    other = make_seminar(lecturers=[advisor], starts_at=at(10), ends_at=at(12))
    db_session.commit()
    refused = refusal(app, db_session, request, [advisor], at(12, 30), at(14))
    assert [c.seminar.id for c in refused.conflicts] == [other.id]
    db_session.expire_all()
    assert seminar.starts_at == at(14, 30)


def test_rescheduling_raises_the_sequence_through_the_lifecycle(db_session, organizer, advisor):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor], by=organizer)
    before = services.invite_sequence(request)
    schedule(db_session, request, [advisor], at(15), at(17), by=organizer)
    assert seminar.calendar_sequence == 1  # lifecycle.change_seminar raised it
    assert services.invite_sequence(request) == before + 1
    updated = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "seminar.updated", AuditEvent.subject_id == str(seminar.id)
        )
    )
    assert updated.details == {"fields": ["ends_at", "starts_at"]}
    contact, staff = (
        mails_of(db_session, "dispatch.scheduled"),
        mails_of(db_session, "dispatch.assignment"),
    )
    assert [(m.payload["sequence"], m.payload["update"]) for m in contact] == [
        (0, False),
        (1, True),
    ]
    assert [(m.payload["method"], m.payload["sequence"]) for m in staff] == [
        ("REQUEST", 0),
        ("REQUEST", 1),
    ]


def test_rescheduling_to_the_same_values_sends_nothing(db_session, advisor):
    request = submit(db_session)
    schedule(db_session, request, [advisor])
    mails = count(db_session, OutboxMessage)
    schedule(db_session, request, [advisor])
    assert count(db_session, OutboxMessage) == mails
    assert services.invite_sequence(request) == 0


def test_a_change_of_staff_cancels_the_one_taken_off_and_invites_the_new_one(
    db_session, advisor, colleague
):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    schedule(db_session, request, [colleague])
    assert [user.id for user in seminar.lecturers] == [colleague.id]
    assert request.calendar_sequence == 1 and services.invite_sequence(request) == 1
    staff = [
        (m.recipient, m.payload["method"], m.payload["sequence"], m.payload.get("why"))
        for m in mails_of(db_session, "dispatch.assignment")
    ]
    assert staff == [
        (advisor.email, "REQUEST", 0, None),
        (colleague.email, "REQUEST", 1, None),
        (advisor.email, "CANCEL", 1, "unassigned"),
    ]
    # The advisor taken off is free at that time again.
    schedule(db_session, submit(db_session), [advisor])


# --- withdrawal and decline -------------------------------------------------------------------


def test_a_withdrawal_cancels_the_seminar_and_frees_the_advisor(db_session, advisor):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    services.withdraw_by_contact(db_session, request, now=utcnow())
    db_session.commit()
    assert seminar.status == SeminarStatus.CANCELLED
    cancelled = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "seminar.cancelled", AuditEvent.subject_id == str(seminar.id)
        )
    )
    assert cancelled.actor_label == "company"
    [withdrawn] = mails_of(db_session, "dispatch.withdrawn")
    assert withdrawn.payload["sequence"] == 1
    [_, cancel] = mails_of(db_session, "dispatch.assignment")
    assert (cancel.payload["method"], cancel.payload["why"]) == ("CANCEL", "withdrawn")
    # The same slot, the same advisor: now accepted.
    other = submit(db_session)
    schedule(db_session, other, [advisor])
    assert other.state == DispatchState.SCHEDULED


def test_declining_a_scheduled_request_cancels_its_seminar(db_session, organizer, advisor):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    services.change_state(
        db_session, request, "declined", by=organizer, now=utcnow(), reason="講師の急病のため"
    )
    db_session.commit()
    assert seminar.status == SeminarStatus.CANCELLED
    [cancel] = [
        m for m in mails_of(db_session, "dispatch.assignment") if m.payload["method"] == "CANCEL"
    ]
    assert cancel.payload["why"] == "declined"
    assert mails_of(db_session, "dispatch.declined")[0].payload["sequence"] == 1


def test_a_request_never_scheduled_is_withdrawn_without_calendar(db_session):
    request = submit(db_session)
    services.withdraw_by_contact(db_session, request, now=utcnow())
    db_session.commit()
    [withdrawn] = mails_of(db_session, "dispatch.withdrawn")
    assert "sequence" not in withdrawn.payload


# --- the invites, through the real SMTP server ------------------------------------------------


def by_recipient(messages):
    return {str(message["To"]).strip("<>"): message for message in messages}


def test_the_contact_and_each_staff_member_receive_an_invite(
    app, db_session, smtp_app, mail_server, advisor, colleague
):
    request = submit(db_session, corporate_number=CORPORATE_NUMBER)
    deliver(db_session, mail_server)  # the receipt
    seminar = schedule(db_session, request, [advisor, colleague])
    mails = by_recipient(deliver(db_session, mail_server))
    assert set(mails) == {request.contact_email, advisor.email, colleague.email}
    uids = set()
    for address, message in mails.items():
        assert message.get_content_type() == "multipart/alternative"
        [part] = calendar_parts(message)
        assert part.get_param("method") == "REQUEST"
        assert part.get_content_charset().lower() == "utf-8"
        calendar = invite_of(message)
        assert calendar.method == "REQUEST"
        assert [zone.tz_id for zone in calendar.timezones] == ["Asia/Tokyo"]
        [event] = calendar.events
        assert event.dtstart == seminar.starts_at and event.dtend == seminar.ends_at
        assert event.dtstart.astimezone(JST).hour == 14
        assert event.sequence == 0 and event.status == "CONFIRMED"
        assert event.organizer.uri == f"mailto:{app.config['CALENDAR_ORGANIZER']}"
        [attendee] = event.attendees
        assert attendee.uri == f"mailto:{address}"
        assert request.organization in event.description
        uids.add(event.uid)
    assert len(uids) == 3  # one UID per recipient and dispatch
    contact = mails[request.contact_email]
    assert str(contact["Subject"]) == f"[講師派遣：日程が決まりました] {request.organization}"
    assert f"http://seminars.test/dispatch/r/{request.token}" in text_of(contact)
    # The page the contact forwards to the participants (materials, survey), in both parts.
    participants = f"http://seminars.test/dispatch/p/{request.participant_token}"
    assert participants in text_of(contact)
    html = contact.get_body(("html",)).get_content()
    assert f'href="{participants}"' in html
    staff_text = text_of(mails[advisor.email])
    assert request.participant_token not in staff_text
    assert "講師: 営業 秘子、知財 太郎" in staff_text and request.audience in staff_text
    assert request.contact_phone not in staff_text  # the contact's details stay with organizers
    assert "http://seminars.test/lecturer/assignments" in staff_text


def test_a_new_date_updates_the_invites_with_the_same_uid_and_a_higher_sequence(
    db_session, smtp_app, mail_server, advisor
):
    request = submit(db_session)
    schedule(db_session, request, [advisor])
    first = {
        a: invite_of(m).events[0] for a, m in by_recipient(deliver(db_session, mail_server)).items()
    }
    schedule(db_session, request, [advisor], at(15), at(17))
    updates = by_recipient(deliver(db_session, mail_server))
    assert set(updates) == {request.contact_email, advisor.email}
    for address, message in updates.items():
        [event] = invite_of(message).events
        assert event.uid == first[address].uid
        assert event.sequence > first[address].sequence
        assert event.dtstart.astimezone(JST).hour == 15
    assert "日程" in str(updates[request.contact_email]["Subject"])


def test_a_withdrawal_sends_cancel_to_the_contact_and_the_staff(
    db_session, smtp_app, mail_server, advisor
):
    request = submit(db_session)
    schedule(db_session, request, [advisor])
    first = {
        a: invite_of(m).events[0] for a, m in by_recipient(deliver(db_session, mail_server)).items()
    }
    services.withdraw_by_contact(db_session, request, now=utcnow())
    db_session.commit()
    cancels = by_recipient(deliver(db_session, mail_server))
    assert set(cancels) == {request.contact_email, advisor.email}
    for address, message in cancels.items():
        [part] = calendar_parts(message)
        assert part.get_param("method") == "CANCEL"
        calendar = invite_of(message)
        assert calendar.method == "CANCEL"
        [event] = calendar.events
        assert event.status == "CANCELLED"
        assert event.uid == first[address].uid
        assert event.sequence > first[address].sequence
    assert "取り下げ" in text_of(cancels[advisor.email])


# --- each staff member's feed ------------------------------------------------------------------


def feed_url(db_session, user) -> str:
    return f"/calendar/staff/{services.ensure_staff_feed(db_session, user)}.ics"


def test_the_feed_shows_the_assignment_under_the_invites_uid(
    client, db_session, make_seminar, advisor
):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    taught = make_seminar(title="担当する公開セミナー", lecturers=[advisor])
    make_seminar(title="担当しないセミナー")
    response = client.get(feed_url(db_session, advisor))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"  # a private page's
    calendar = parse_ics(response.get_data())
    events = {event.summary: event for event in calendar.events}
    assert set(events) == {seminar.title, taught.title}
    [invite] = [
        m for m in mails_of(db_session, "dispatch.assignment") if m.recipient == advisor.email
    ]
    assert events[seminar.title].uid == f"dispatch-{request.id}-staff-{advisor.id}@example.org"
    assert events[seminar.title].sequence == invite.payload["sequence"]
    assert events[seminar.title].dtstart == seminar.starts_at
    assert request.audience in events[seminar.title].description


def test_the_feed_shows_its_owners_assignments_only(client, db_session, advisor, colleague):
    seminar = schedule(db_session, submit(db_session), [advisor])
    theirs = parse_ics(client.get(feed_url(db_session, colleague)).get_data())
    assert seminar.title not in {event.summary for event in theirs.events}
    assert client.get("/calendar/staff/not-a-real-token.ics").status_code == 404
    assert advisor.id != colleague.id


def test_the_feed_needs_its_exact_token_and_an_active_account(client, db_session, advisor):
    url = feed_url(db_session, advisor)
    db_session.commit()
    token = url.removeprefix("/calendar/staff/").removesuffix(".ics")
    assert len(token) >= 22  # at least 128 bits, URL-safe
    assert (
        client.get(url.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code
        == 404
    )
    advisor.active = False
    db_session.commit()
    assert client.get(url).status_code == 404


def test_a_cancelled_assignment_stays_in_the_feed_marked_cancelled(client, db_session, advisor):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    services.withdraw_by_contact(db_session, request, now=utcnow())
    db_session.commit()
    [event] = parse_ics(client.get(feed_url(db_session, advisor)).get_data()).events
    assert event.summary == seminar.title and event.status == "CANCELLED"


def test_a_new_address_replaces_the_old_one(client, db_session, advisor):
    old = feed_url(db_session, advisor)
    services.renew_staff_feed(db_session, advisor)
    db_session.commit()
    assert client.get(old).status_code == 404
    assert client.get(feed_url(db_session, advisor)).status_code == 200
    assert count(db_session, StaffCalendarFeed) == 1


def test_the_staff_page_shows_the_feed_link_and_what_is_coming(client, db_session, advisor):
    seminar = schedule(db_session, submit(db_session), [advisor])
    login(client, advisor)
    html = client.get("/lecturer/assignments").get_data(as_text=True)
    token = db_session.scalar(
        select(StaffCalendarFeed.token).where(StaffCalendarFeed.user_id == advisor.id)
    )
    assert f"http://seminars.test/calendar/staff/{token}.ics" in html
    assert seminar.title in html
    assert "/lecturer/assignments" in client.get("/staff").get_data(as_text=True)
    response = post_form(client, "/lecturer/assignments/feed", {}, page="/lecturer/assignments")
    assert response.status_code == 303
    db_session.expire_all()
    assert db_session.get(StaffCalendarFeed, advisor.id).token != token


# --- the console ------------------------------------------------------------------------------


def test_the_requests_page_offers_the_preferred_dates_in_one_click(
    client, db_session, organizer, advisor
):
    request = submit(
        db_session,
        preferred_date_2=(jst_today() + timedelta(days=45)).isoformat(),
        preferred_start_2="10:00",
        preferred_end_2="12:00",
    )
    login(client, organizer)
    url = f"/console/dispatch/{request.id}"
    html = client.get(url).get_data(as_text=True)
    assert f'href="{url}?slot=2"' in html
    assert 'value="14:00"' in html  # the first choice is filled in
    assert advisor.display_name in html
    second = client.get(f"{url}?slot=2").get_data(as_text=True)
    assert f'value="{(jst_today() + timedelta(days=45)).isoformat()}"' in second
    assert 'value="10:00"' in second and 'value="12:00"' in second


def schedule_form(day: date, start: str, end: str, staff, delivery="in-person") -> dict:
    return {
        "day": day.isoformat(),
        "start_time": start,
        "end_time": end,
        "delivery": delivery,
        "staff": [str(user.id) for user in staff],
    }


def test_an_organizer_schedules_from_the_requests_page(client, db_session, organizer, advisor):
    request = submit(db_session)
    login(client, organizer)
    url = f"/console/dispatch/{request.id}"
    day = jst_today() + timedelta(days=DAY)
    response = post_form(
        client, f"{url}/schedule", schedule_form(day, "14:00", "16:00", [advisor]), page=url
    )
    assert response.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert "Change the date or the staff" in html or "日程・担当の変更" in html
    db_session.expire_all()
    assert request.state == DispatchState.SCHEDULED
    assert request.seminar.starts_at == at(14)
    assert [user.id for user in request.seminar.lecturers] == [advisor.id]


def test_the_console_shows_an_overlap_beside_the_staff(
    client, db_session, make_seminar, organizer, advisor
):
    other = make_seminar(lecturers=[advisor], starts_at=at(14), ends_at=at(16))
    request = submit(db_session)
    login(client, organizer)
    url = f"/console/dispatch/{request.id}"
    day = jst_today() + timedelta(days=DAY)
    response = post_form(
        client,
        f"{url}/schedule",
        schedule_form(day, "16:30", "18:00", [advisor]),
        page=url,
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = html[html.index('id="staff-error"') :]
    assert "知財 太郎" in error[:600] and other.title_en in error[:600]
    db_session.expire_all()
    assert request.state == DispatchState.RECEIVED


def test_the_console_refuses_a_missing_time_beside_its_field(
    client, db_session, organizer, advisor
):
    request = submit(db_session)
    login(client, organizer)
    url = f"/console/dispatch/{request.id}"
    data = schedule_form(jst_today() + timedelta(days=DAY), "16:00", "14:00", [advisor])
    response = post_form(client, f"{url}/schedule", data, page=url)
    assert response.status_code == 400
    assert 'id="end_time-error"' in response.get_data(as_text=True)
    db_session.expire_all()
    assert request.state == DispatchState.RECEIVED


# --- two organizers at once -------------------------------------------------------------------


def test_two_assignments_of_one_advisor_at_once_are_judged_one_after_the_other(backend, tmp_path):
    """The second scheduling waits for the first (the advisor's row is held until it
    commits), then sees its seminar and is refused: never two overlapping assignments."""
    url = fresh_database_url(backend, tmp_path, "seminar_dispatch_race")
    app = make_app(url)
    with app.app_context():
        upgrade()
        advisor = User(email="advisor@example.org", display_name="知財 太郎")
        advisor.roles = {Role.LECTURER}
        db.session.add(advisor)
        db.session.commit()
        advisor_id = advisor.id
        first_id, second_id = submit(db.session).id, submit(db.session).id
    outcome: list[object] = []

    def run(request_id: int, starts_at: datetime) -> None:
        services.schedule(
            db.session,
            db.session.get_one(DispatchRequest, request_id),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            delivery="in-person",
            staff=[db.session.get_one(User, advisor_id)],
            by=None,
            now=utcnow(),
        )

    def schedule_the_second() -> None:
        with app.app_context():
            try:
                run(second_id, at(15))
                db.session.commit()
                outcome.append("scheduled")
            except services.ScheduleRefused as exc:
                db.session.rollback()
                outcome.append(exc.problems)

    try:
        with app.app_context():
            run(first_id, at(14))
            other = threading.Thread(target=schedule_the_second)
            other.start()
            assert wait_until(lambda: _waiting_on_a_lock(backend, url), timeout=60)
            db.session.commit()  # the first assignment lands while the second waits
            other.join(patience(120))
            assert not other.is_alive()
            states = db.session.scalars(
                select(DispatchRequest.state).order_by(DispatchRequest.id)
            ).all()
    finally:
        with app.app_context():
            db.engine.dispose()
    assert len(outcome) == 1 and set(outcome[0]) == {"staff"}, outcome
    assert states == [DispatchState.SCHEDULED, DispatchState.RECEIVED]


# --- the seminar is the dispatch's: other doors do not move it --------------------------------


def _console_form(seminar, **overrides) -> dict:
    """What the console's form sends for the seminar as it is, with `overrides`."""
    start, end = to_jst(seminar.starts_at), to_jst(seminar.ends_at)
    data = {
        "title": seminar.title,
        "series": seminar.series.value,
        "level": "",
        "host_type": seminar.host_type.value,
        "delivery": seminar.delivery.value,
        "day": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_time": end.strftime("%H:%M"),
        "venue": seminar.venue or "",
        "host_organization": seminar.host_organization or "",
        "description": seminar.description or "",
        "lecturers": [str(user.id) for user in seminar.lecturers],
    }
    data.update(overrides)
    return data


def test_the_console_does_not_move_a_dispatch_seminar_but_edits_the_rest(
    client, db_session, organizer, advisor
):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    starts_at, sequence = seminar.starts_at, seminar.calendar_sequence
    login(client, organizer)
    url = f"/console/seminars/{seminar.id}/edit"
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"/console/dispatch/{request.id}" in page  # where it is changed instead
    assert f"/console/seminars/{seminar.id}/publish" not in page
    assert f"/console/seminars/{seminar.id}/cancel" not in page
    moved = _console_form(seminar, start_time="10:00", end_time="12:00")
    response = post_form(client, url, moved, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "belongs to the lecturer-dispatch request of" in response.get_data(as_text=True)
    db_session.expire_all()
    assert (seminar.starts_at, seminar.calendar_sequence) == (starts_at, sequence)
    # What the dispatch does not promise (its description) is the console's to change.
    described = _console_form(seminar, description="当日は事例を中心に。")
    assert post_form(client, url, described).status_code == 302
    db_session.expire_all()
    assert seminar.description == "当日は事例を中心に。"


@pytest.mark.parametrize("action", ["unpublish", "cancel"])
def test_the_console_does_not_change_a_dispatch_seminars_status(
    client, db_session, organizer, advisor, action
):
    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    login(client, organizer)
    post_form(
        client,
        f"/console/seminars/{seminar.id}/{action}",
        {"reason": "都合により"},
        page=f"/console/seminars/{seminar.id}/edit",
    )
    db_session.expire_all()
    assert seminar.status == SeminarStatus.PUBLISHED
    assert request.state == DispatchState.SCHEDULED


def test_the_staff_api_does_not_move_or_cancel_a_dispatch_seminar(
    app, client, db_session, organizer, advisor
):
    from tests.test_registration_api import issue_token

    request = submit(db_session)
    seminar = schedule(db_session, request, [advisor])
    token = issue_token(app, organizer)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    for body in (
        {"starts_at": at(9).isoformat(), "ends_at": at(11).isoformat()},
        {"status": "cancelled"},
    ):
        answer = client.patch(f"/api/v1/seminars/{seminar.id}", json=body, headers=headers)
        assert answer.status_code == 409, answer.get_json()
        assert "lecturer-dispatch request" in answer.get_json()["error"]
    db_session.expire_all()
    assert seminar.status == SeminarStatus.PUBLISHED and seminar.starts_at == at(14)
