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
from seminar_app.dispatch.delivery import DeliveryRefused, deliver
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
        deliver(db_session, request, attendees=attendees, by=None, now=now)
    db_session.rollback()
    again = db_session.get(DispatchRequest, request.id)
    assert again.state != DispatchState.DELIVERED
    assert again.seminar is None or again.seminar.head_count is None
    return caught.value.problems


def test_a_request_whose_seminar_ended_is_delivered_with_its_head_count(
    db_session, held, organizer
):
    deliver(db_session, held, attendees=25, by=organizer, now=utcnow())
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
    deliver(db_session, held, attendees=25, by=None, now=end)
    assert held.state == DispatchState.DELIVERED


@pytest.mark.parametrize("attendees", [-1, MAX_HEAD_COUNT + 1, None, True, 2.5])
def test_a_negative_or_absurd_head_count_is_refused(app, db_session, held, attendees):
    problems = refused(app, db_session, held, attendees, utcnow())
    assert problems == {"attendees": f"Enter the number of attendees, from 0 to {MAX_HEAD_COUNT}."}


@pytest.mark.parametrize("attendees", [0, MAX_HEAD_COUNT])
def test_the_head_count_may_be_anything_from_0_to_the_most(db_session, held, attendees):
    deliver(db_session, held, attendees=attendees, by=None, now=utcnow())
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


def test_a_delivered_request_is_delivered_once(app, db_session, held):
    deliver(db_session, held, attendees=25, by=None, now=utcnow())
    db_session.commit()
    with app.test_request_context(), force_locale("en"), pytest.raises(DeliveryRefused) as caught:
        deliver(db_session, held, attendees=30, by=None, now=utcnow())
    db_session.rollback()
    assert set(caught.value.problems) == {"state"}
    assert db_session.get(DispatchRequest, held.id).seminar.head_count == 25
