"""After a dispatch (issue 18, item 4, the head-count): a scheduled request becomes delivered
once its seminar has ended, the head-count recorded on the seminar through attendance's
head-count; refusals name each field and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from seminar_app.attendance.services import MAX_HEAD_COUNT
from seminar_app.audit.models import AuditEvent
from seminar_app.dispatch import services
from seminar_app.dispatch.delivery import Delivered, DeliveryRefused, deliver
from seminar_app.dispatch.models import DispatchRequest
from seminar_app.domain import DispatchState, Role
from seminar_app.timeutil import utcnow
from tests.dispatch_helpers import submit
from tests.test_dispatch_figures import schedule


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)


@pytest.fixture
def lecturer(make_user):
    return make_user(Role.LECTURER)


@pytest.fixture
def held(db_session, lecturer):
    """A request whose seminar ended yesterday."""
    request = submit(db_session)
    schedule(db_session, request, lecturer, utcnow() - timedelta(days=1))
    return request


def refused(app, db_session, request, attendees, now) -> dict[str, str]:
    """The fields a refused delivery names, in English; and that it changed nothing."""
    with app.test_request_context(), force_locale("en"), pytest.raises(DeliveryRefused) as caught:
        deliver(db_session, request, Delivered(attendees), by=None, now=now)
    db_session.rollback()
    again = db_session.get(DispatchRequest, request.id)
    assert again.state != DispatchState.DELIVERED
    assert again.seminar is None or again.seminar.head_count is None
    return caught.value.problems


def test_a_request_whose_seminar_ended_is_delivered_with_its_head_count(
    db_session, held, organizer
):
    deliver(db_session, held, Delivered(25), by=organizer, now=utcnow())
    db_session.commit()
    assert held.state == DispatchState.DELIVERED
    assert held.seminar.head_count == 25
    last = held.changes[-1]
    assert (last.from_state, last.to_state, last.actor_id) == (
        DispatchState.SCHEDULED,
        DispatchState.DELIVERED,
        organizer.id,
    )
    # The head-count is recorded as attendance records every head-count.
    recorded = db_session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "attendance.head_count_set",
            AuditEvent.subject_id == str(held.seminar_id),
        )
    )
    assert recorded.details == {"from": None, "to": 25}


def test_delivery_waits_for_the_seminar_to_end(app, db_session, held):
    end = held.seminar.ends_at
    problems = refused(app, db_session, held, 25, end - timedelta(seconds=1))
    assert problems == {"state": "A request is delivered once its seminar has ended."}
    deliver(db_session, held, Delivered(25), by=None, now=end)
    assert held.state == DispatchState.DELIVERED


@pytest.mark.parametrize("attendees", [-1, MAX_HEAD_COUNT + 1, None, True, 2.5])
def test_a_negative_or_absurd_head_count_is_refused(app, db_session, held, attendees):
    problems = refused(app, db_session, held, attendees, utcnow())
    assert problems == {"attendees": f"Enter the number of attendees, from 0 to {MAX_HEAD_COUNT}."}


@pytest.mark.parametrize("attendees", [0, MAX_HEAD_COUNT])
def test_the_head_count_may_be_anything_from_0_to_the_most(db_session, held, attendees):
    deliver(db_session, held, Delivered(attendees), by=None, now=utcnow())
    assert held.seminar.head_count == attendees


def test_every_field_at_fault_is_named_at_once(app, db_session, held):
    problems = refused(app, db_session, held, -5, held.seminar.ends_at - timedelta(hours=1))
    assert set(problems) == {"state", "attendees"}


@pytest.mark.parametrize("state", ["received", "under-review"])
def test_only_a_scheduled_request_is_delivered(app, db_session, organizer, state):
    request = submit(db_session)
    if state == "under-review":
        services.change_state(db_session, request, state, by=organizer, now=utcnow())
        db_session.commit()
    problems = refused(app, db_session, request, -1, utcnow())
    assert set(problems) == {"state", "attendees"}
    assert "cannot become “Delivered”" in problems["state"]


def test_delivering_again_corrects_the_record_and_keeps_one_change_of_state(
    db_session, held, organizer
):
    deliver(db_session, held, Delivered(25, 90, "初回の報告"), by=organizer, now=utcnow())
    db_session.commit()
    deliver(db_session, held, Delivered(30, 100, "訂正後の報告"), by=organizer, now=utcnow())
    db_session.commit()
    again = db_session.get(DispatchRequest, held.id)
    assert (again.seminar.head_count, again.delivered_minutes, again.delivery_report) == (
        30,
        100,
        "訂正後の報告",
    )
    assert [change.to_state for change in again.changes].count(DispatchState.DELIVERED) == 1
    corrected = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "dispatch.delivery_corrected",
            AuditEvent.subject_id == str(held.id),
        )
    ).all()
    assert [event.details for event in corrected] == [
        {"attendees": [25, 30], "minutes": [90, 100], "report_changed": True}
    ]


def test_a_correction_that_changes_nothing_leaves_no_record(db_session, held):
    deliver(db_session, held, Delivered(25, 90), by=None, now=utcnow())
    deliver(db_session, held, Delivered(25, 90), by=None, now=utcnow())
    db_session.commit()
    assert not db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "dispatch.delivery_corrected")
    ).all()


def test_the_minutes_are_the_scheduled_length_unless_given(db_session, held):
    # schedule() in the figures' tests gives two hours.
    deliver(db_session, held, Delivered(25), by=None, now=utcnow())
    assert held.delivered_minutes == 120
    deliver(db_session, held, Delivered(25, 95), by=None, now=utcnow())
    assert held.delivered_minutes == 95


@pytest.mark.parametrize("minutes", [0, -30, 24 * 60 + 1, True, 1.5, "90"])
def test_minutes_outside_a_day_or_not_whole_are_refused(app, db_session, held, minutes):
    with app.test_request_context(), force_locale("en"), pytest.raises(DeliveryRefused) as caught:
        deliver(db_session, held, Delivered(25, minutes), by=None, now=utcnow())
    db_session.rollback()
    assert caught.value.problems == {
        "minutes": "Enter how many minutes the seminar lasted, from 1 to 1440."
    }
    assert db_session.get(DispatchRequest, held.id).state == DispatchState.SCHEDULED


def test_the_report_is_kept_trimmed_with_its_lines(db_session, held):
    deliver(
        db_session,
        held,
        Delivered(25, None, "  規程の作り方を説明。\r\n次回は棚卸し。  "),
        by=None,
        now=utcnow(),
    )
    assert held.delivery_report == "規程の作り方を説明。\n次回は棚卸し。"
    deliver(db_session, held, Delivered(25, None, "   "), by=None, now=utcnow())
    assert held.delivery_report is None


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ("x" * 4001, "at most 4000 characters"),
        ("報告\x00", "Remove the control characters."),
        ("報告\ud800", "Remove the control characters."),
    ],
)
def test_a_report_too_long_or_with_control_characters_is_refused(
    app, db_session, held, report, message
):
    with app.test_request_context(), force_locale("en"), pytest.raises(DeliveryRefused) as caught:
        deliver(db_session, held, Delivered(25, None, report), by=None, now=utcnow())
    db_session.rollback()
    assert set(caught.value.problems) == {"report"}
    assert message in caught.value.problems["report"]
    assert db_session.get(DispatchRequest, held.id).delivery_report is None


def test_the_refusal_is_in_the_readers_language(app, db_session, held):
    with app.test_request_context(), force_locale("ja"), pytest.raises(DeliveryRefused) as caught:
        deliver(db_session, held, Delivered(-1, 0), by=None, now=utcnow())
    db_session.rollback()
    assert set(caught.value.problems) == {"attendees", "minutes"}
    assert all(not message.isascii() for message in caught.value.problems.values())
