"""Hybrid seminars: each person says how they attend, and each way has its seats and line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from seminar_app.attendance.services import walk_in
from seminar_app.catalogue import lifecycle
from seminar_app.catalogue.rules import SEMINAR_FIELD_NAMES, SeminarFields, seminar_problems
from seminar_app.catalogue.services import RegistrationState, registration_state, seats_left_by_mode
from seminar_app.domain import Admission, AttendanceMode, Delivery
from seminar_app.registration import services
from seminar_app.registration.details import parse_details
from seminar_app.registration.lottery import draw
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.registration_helpers import details_data, register

VENUE, ONLINE = AttendanceMode.VENUE, AttendanceMode.ONLINE


@pytest.fixture
def hybrid(make_seminar):
    def factory(capacity=1, online_capacity=1, **overrides):
        return make_seminar(
            delivery=Delivery.HYBRID,
            venue="INPIT 会議室",
            capacity=capacity,
            online_capacity=online_capacity,
            **overrides,
        )

    return factory


def statuses(people):
    return [person.status for person in people]


def test_each_way_of_attending_has_its_own_seats(db_session, hybrid):
    seminar = hybrid(capacity=1, online_capacity=2)
    venue = [register(db_session, seminar, attendance_mode=VENUE) for _ in range(2)]
    online = [register(db_session, seminar, attendance_mode=ONLINE) for _ in range(3)]
    assert statuses(venue) == ["confirmed", "waitlisted"]
    assert statuses(online) == ["confirmed", "confirmed", "waitlisted"]
    assert [p.attendance_mode for p in venue + online] == [VENUE] * 2 + [ONLINE] * 3
    # Each line counts its own places.
    assert services.waitlist_position(db_session, venue[1]) == 1
    assert services.waitlist_position(db_session, online[2]) == 1
    assert services.waitlist_positions(db_session, seminar.id) == {venue[1].id: 1, online[2].id: 1}


def test_a_free_online_seat_is_not_taken_while_someone_waits_online(db_session, hybrid):
    seminar = hybrid(capacity=5, online_capacity=1, waitlist_cutoff_hours=0)
    first = register(db_session, seminar, attendance_mode=ONLINE)
    waiting = register(db_session, seminar, attendance_mode=ONLINE)
    seminar.waitlist_cutoff_hours = 10_000  # no automatic promotion any more
    db_session.commit()
    services.cancel(db_session, first.id, utcnow(), by_participant=True)
    db_session.commit()
    assert waiting.status == "waitlisted"
    assert register(db_session, seminar, attendance_mode=ONLINE).status == "waitlisted"
    # The venue's seats are another matter.
    assert register(db_session, seminar, attendance_mode=VENUE).status == "confirmed"


def test_no_online_capacity_means_no_limit_online(db_session, hybrid):
    seminar = hybrid(capacity=0, online_capacity=None)
    people = [register(db_session, seminar, attendance_mode=ONLINE) for _ in range(5)]
    assert set(statuses(people)) == {"confirmed"}
    assert register(db_session, seminar, attendance_mode=VENUE).status == "waitlisted"


def test_a_hybrid_seminar_is_full_only_when_both_ways_are(db_session, hybrid):
    seminar = hybrid(capacity=1, online_capacity=1)
    register(db_session, seminar, attendance_mode=VENUE)
    db_session.expire_all()
    assert seats_left_by_mode(seminar) == {VENUE: 0, ONLINE: 1}
    assert registration_state(seminar, utcnow()) == RegistrationState.OPEN
    register(db_session, seminar, attendance_mode=ONLINE)
    db_session.expire_all()
    assert registration_state(seminar, utcnow()) == RegistrationState.FULL


def test_cancelling_promotes_from_the_line_of_the_freed_way(db_session, hybrid):
    seminar = hybrid(capacity=1, online_capacity=1)
    at_venue = register(db_session, seminar, attendance_mode=VENUE)
    online = register(db_session, seminar, attendance_mode=ONLINE)
    waits_online = register(db_session, seminar, attendance_mode=ONLINE)
    waits_venue = register(db_session, seminar, attendance_mode=VENUE)
    services.cancel(db_session, at_venue.id, utcnow(), by_participant=True)
    db_session.commit()
    # The first in line overall waits online, but the freed seat is at the venue.
    assert (waits_venue.status, waits_online.status) == ("confirmed", "waitlisted")
    services.cancel(db_session, online.id, utcnow(), by_participant=True)
    db_session.commit()
    assert waits_online.status == "confirmed"


def test_raising_the_online_capacity_promotes_those_waiting_online(db_session, hybrid):
    seminar = hybrid(capacity=1, online_capacity=0)
    register(db_session, seminar, attendance_mode=VENUE)
    venue_waiting = register(db_session, seminar, attendance_mode=VENUE)
    online = [register(db_session, seminar, attendance_mode=ONLINE) for _ in range(3)]
    fields = SeminarFields(**{name: getattr(seminar, name) for name in SEMINAR_FIELD_NAMES})
    fields.online_capacity = 2
    lifecycle.change_seminar(db_session, seminar.id, fields, [], utcnow())
    db_session.commit()
    assert statuses(online) == ["confirmed", "confirmed", "waitlisted"]
    assert venue_waiting.status == "waitlisted"


def test_promoting_by_hand_needs_a_seat_of_the_persons_way(db_session, hybrid):
    seminar = hybrid(capacity=1, online_capacity=1, waitlist_cutoff_hours=0)
    register(db_session, seminar, attendance_mode=VENUE)
    online = register(db_session, seminar, attendance_mode=ONLINE)
    waits_venue = register(db_session, seminar, attendance_mode=VENUE)
    waits_online = register(db_session, seminar, attendance_mode=ONLINE)
    seminar.waitlist_cutoff_hours = 10_000
    db_session.commit()
    with pytest.raises(services.RegistrationError, match="at the venue"), force_locale("en"):
        services.promote_by_hand(db_session, waits_venue.id, utcnow())
    db_session.rollback()
    services.cancel(db_session, online.id, utcnow(), by_participant=False)
    db_session.commit()
    services.promote_by_hand(db_session, waits_online.id, utcnow())
    db_session.commit()
    assert (waits_online.status, waits_venue.status) == ("confirmed", "waitlisted")


def test_a_hybrid_seminar_needs_the_way_of_attending(db_session, hybrid):
    seminar = hybrid()
    with pytest.raises(services.AttendanceModeProblem) as problem:
        register(db_session, seminar)
    assert problem.value.code == "attendance-mode"
    db_session.rollback()
    assert db_session.scalars(select(Registration)).all() == []


def test_another_seminar_takes_no_way_of_attending(db_session, make_seminar):
    seminar = make_seminar(delivery=Delivery.ONLINE)
    db_session.commit()
    with pytest.raises(services.AttendanceModeProblem) as problem, force_locale("en"):
        register(db_session, seminar, attendance_mode=VENUE)
    assert problem.value.message.startswith("Only a hybrid seminar asks how you will attend")
    db_session.rollback()
    registration = register(db_session, seminar)
    assert registration.attendance_mode is None
    assert registration.attendance == ONLINE


def test_the_seminar_rules_keep_seats_online_to_hybrid_seminars(app):
    now = utcnow()
    fields = SeminarFields(
        title="t",
        series="ip-utilization",
        delivery="online",
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        meeting_url="https://meet.example.org/j/1",
        capacity=10,
        online_capacity=5,
    )
    with app.test_request_context(), force_locale("en"):
        assert "Only a hybrid seminar" in seminar_problems(fields, now)["online_capacity"]
    fields.delivery, fields.venue = "hybrid", "会場"
    assert "online_capacity" not in seminar_problems(fields, now)
    fields.online_capacity = -1
    with app.test_request_context(), force_locale("en"):
        assert "negative" in seminar_problems(fields, now)["online_capacity"]


def test_the_lottery_gives_each_way_its_seats_in_the_one_drawn_order(db_session, hybrid):
    now = utcnow().replace(microsecond=0)
    seminar = hybrid(
        capacity=1,
        online_capacity=2,
        admission=Admission.LOTTERY,
        registration_closes_at=now - timedelta(hours=1),
    )
    before = seminar.registration_closes_at - timedelta(hours=2)
    venue = [register(db_session, seminar, now=before, attendance_mode=VENUE) for _ in range(3)]
    online = [register(db_session, seminar, now=before, attendance_mode=ONLINE) for _ in range(3)]
    result = draw(db_session, seminar.id, seed=42, now=now)
    db_session.commit()
    assert sorted(statuses(venue)) == ["confirmed", "waitlisted", "waitlisted"]
    assert sorted(statuses(online)) == ["confirmed", "confirmed", "waitlisted"]
    # Within each way, the seats went in the drawn order.
    for people in (venue, online):
        by_rank = sorted(people, key=lambda p: p.lottery_rank)
        ranks = [p.status for p in by_rank]
        assert ranks == sorted(ranks)  # confirmed before waitlisted
    assert len(result.confirmed) == 3
    places = services.waitlist_positions(db_session, seminar.id)
    assert sorted(places[p.id] for p in venue if p.status == "waitlisted") == [1, 2]


def test_a_walk_in_attends_at_the_venue_and_counts_against_its_seats(db_session, hybrid):
    seminar = hybrid(capacity=1, online_capacity=5)
    register(db_session, seminar, attendance_mode=ONLINE)
    details, errors = parse_details(details_data())
    assert not errors
    first, over = walk_in(
        db_session,
        seminar.id,
        details,
        by=None,
        desk="A",
        now=utcnow(),
        privacy_notice_version="2026-04",
    )
    assert (first.attendance_mode, over) == (VENUE, False)  # the online seat is not the venue's
    details, _ = parse_details(details_data())
    _second, over = walk_in(
        db_session,
        seminar.id,
        details,
        by=None,
        desk="A",
        now=utcnow(),
        privacy_notice_version="2026-04",
    )
    assert over is True
