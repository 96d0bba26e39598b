"""Lecturer dispatch in the staff API (issue 18, item 6): the list and one request, each change
of state through PATCH by dispatch's rules, the 409 naming what an assignment overlaps, the
422s field by field that change nothing, organizers only, and answers as the OpenAPI
document describes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.api.openapi import openapi_document
from seminar_app.audit.models import AuditEvent
from seminar_app.catalogue.models import Seminar
from seminar_app.dispatch.models import DispatchRequest, DispatchStateChange
from seminar_app.domain import DispatchState, HostType, Role, SeminarStatus
from seminar_app.notifications.models import OutboxMessage
from seminar_app.timeutil import utcnow
from tests.dispatch_helpers import submit
from tests.test_api_consultations import JAPANESE, call
from tests.test_dispatch_figures import schedule as schedule_in_the_past
from tests.test_dispatch_scheduling import at
from tests.test_registration_api import issue_token, validate_against


@pytest.fixture
def organizer_token(app, make_user) -> str:
    return issue_token(app, make_user(Role.ORGANIZER))


@pytest.fixture
def lecturer(make_user):
    return make_user(
        Role.LECTURER, Role.ADVISOR, display_name="知財 太郎", email="taro@example.org"
    )


@pytest.fixture
def colleague(make_user):
    return make_user(Role.LECTURER, display_name="営業 秘子", email="hideko@example.org")


def patch(client, token, request_id: int, body: dict, headers=None):
    return call(client, "PATCH", f"/dispatch-requests/{request_id}", token, body, headers)


def scheduling(*staff: str, hour: int = 14, days: int = 30, delivery: str = "in-person") -> dict:
    return {
        "state": "scheduled",
        "starts_at": at(hour, days=days).isoformat(),
        "ends_at": at(hour + 2, days=days).isoformat(),
        "delivery": delivery,
        "staff": list(staff),
    }


def rows(db_session) -> tuple[int, ...]:
    """Seminars, history entries, mails and audit records: what a refusal leaves alone."""
    return tuple(
        db_session.scalar(select(func.count()).select_from(model))
        for model in (Seminar, DispatchStateChange, OutboxMessage, AuditEvent)
    )


def refused(client, db_session, token, request, body, status=422, headers=None) -> dict:
    """The answer of a refused change; the request and everything else unchanged."""
    before, state = rows(db_session), request.state
    answer = patch(client, token, request.id, body, headers)
    assert answer.status_code == status, answer.get_json()
    assert rows(db_session) == before
    db_session.expire_all()
    assert db_session.get(DispatchRequest, request.id).state == state
    return answer.get_json()


# ---------------------------------------------------------------- who may call

ENDPOINTS = [
    ("GET", "/dispatch-requests"),
    ("GET", "/dispatch-requests/{id}"),
    ("PATCH", "/dispatch-requests/{id}"),
]


@pytest.mark.parametrize("role", [Role.LECTURER, Role.ADVISOR, Role.RECEPTION, Role.ADMIN])
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_other_roles_are_403_and_change_nothing(
    app, client, db_session, make_user, role, method, url
):
    request = submit(db_session)
    token = issue_token(app, make_user(role))
    before = rows(db_session)
    answer = call(client, method, url.format(id=request.id), token, {"state": "under-review"})
    assert answer.status_code == 403
    validate_against(answer.get_json(), "Error")
    assert rows(db_session) == before


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_without_a_token_401(client, db_session, method, url):
    request = submit(db_session)
    answer = call(client, method, url.format(id=request.id), None, {"state": "under-review"})
    assert answer.status_code == 401


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_an_unknown_id_is_404(client, organizer_token, method):
    answer = call(
        client, method, "/dispatch-requests/999999", organizer_token, {"state": "withdrawn"}
    )
    assert answer.status_code == 404
    validate_against(answer.get_json(), "Error")


# ---------------------------------------------------------------- reading


def test_the_list_is_paged_oldest_first_and_filtered_by_state(client, db_session, organizer_token):
    first, second, third = (submit(db_session) for _ in range(3))
    answer = patch(client, organizer_token, second.id, {"state": "under-review"})
    assert answer.status_code == 200

    page = call(client, "GET", "/dispatch-requests?per_page=2&page=2", organizer_token).get_json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 3)
    assert [item["id"] for item in page["dispatch_requests"]] == [third.id]
    validate_against(page["dispatch_requests"][0], "DispatchRequest")

    reviewed = call(client, "GET", "/dispatch-requests?state=under-review", organizer_token)
    assert [item["id"] for item in reviewed.get_json()["dispatch_requests"]] == [second.id]
    received = call(client, "GET", "/dispatch-requests?state=received", organizer_token)
    assert [item["id"] for item in received.get_json()["dispatch_requests"]] == [
        first.id,
        third.id,
    ]
    # The contacts' details left the system: each page is recorded.
    exported = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "dispatch.exported")
    ).all()
    assert [event.details["rows"] for event in exported] == [1, 1, 2]


@pytest.mark.parametrize("query", ["state=bogus", "page=0", "per_page=101", "colour=red"])
def test_a_bad_query_is_400_naming_the_parameter(client, organizer_token, query):
    answer = call(client, "GET", f"/dispatch-requests?{query}", organizer_token)
    assert answer.status_code == 400
    validate_against(answer.get_json(), "Error")
    assert answer.get_json()["field"] == query.split("=")[0]


def test_one_request_with_what_the_company_asked_and_its_history(
    client, db_session, organizer_token
):
    request = submit(db_session, themes=["step-3"], corporate_number="")
    answer = call(client, "GET", f"/dispatch-requests/{request.id}", organizer_token)
    assert answer.status_code == 200
    shown = answer.get_json()
    validate_against(shown, "DispatchRequestDetail")
    assert shown["state"] == "received" and shown["seminar_id"] is None
    assert shown["organization"] == request.organization
    assert shown["themes"] == ["step-3"]
    assert shown["preferred_dates"][0]["rank"] == 1
    assert [
        (entry["from_state"], entry["to_state"], entry["by"]) for entry in shown["history"]
    ] == [(None, "received", "company")]


# ---------------------------------------------------------------- each change of state


def test_under_review_then_declined_with_the_reason_the_company_is_mailed(
    client, db_session, organizer_token
):
    request = submit(db_session)
    answer = patch(client, organizer_token, request.id, {"state": "under-review"})
    assert answer.status_code == 200 and answer.get_json()["state"] == "under-review"
    validate_against(answer.get_json(), "DispatchRequestDetail")

    problems = refused(client, db_session, organizer_token, request, {"state": "declined"})
    validate_against(problems, "ValidationError")
    assert list(problems["fields"]) == ["reason"]

    answer = patch(
        client, organizer_token, request.id, {"state": "declined", "reason": "講師の日程が合わず"}
    )
    assert answer.status_code == 200
    shown = answer.get_json()
    assert shown["state"] == "declined"
    assert shown["history"][-1]["reason"] == "講師の日程が合わず"
    mails = db_session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient == request.contact_email)
    ).all()
    assert "dispatch.declined" in mails


def test_scheduled_makes_the_in_company_seminar_and_answers_its_id(
    client, db_session, organizer_token, lecturer, colleague
):
    request = submit(db_session)
    # Addresses are compared as the staff's accounts keep them.
    body = scheduling("Taro@Example.org", "hideko@example.org", delivery="online")
    answer = patch(client, organizer_token, request.id, body)
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    validate_against(shown, "DispatchRequestDetail")
    assert shown["state"] == "scheduled" and shown["seminar_id"] is not None
    seminar = db_session.get(Seminar, shown["seminar_id"])
    assert seminar.host_type == HostType.IN_COMPANY and seminar.status == SeminarStatus.PUBLISHED
    assert {user.id for user in seminar.lecturers} == {lecturer.id, colleague.id}
    assert shown["seminar"]["delivery"] == "online"
    assert {person["email"] for person in shown["seminar"]["staff"]} == {
        "taro@example.org",
        "hideko@example.org",
    }
    assert shown["client_id"] is not None  # the company as a client of the desk

    # Again on a scheduled request: a new date, the same seminar.
    again = patch(client, organizer_token, request.id, scheduling("taro@example.org", hour=10))
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["seminar_id"] == seminar.id
    assert again.get_json()["seminar"]["starts_at"] == at(10).isoformat()


def test_staff_that_cannot_be_assigned_are_422_naming_each_address(
    client, db_session, make_user, organizer_token, lecturer
):
    make_user(Role.RECEPTION, email="door@example.org")
    make_user(Role.LECTURER, email="gone@example.org", active=False)
    request = submit(db_session)
    body = scheduling("taro@example.org", "door@example.org", "gone@example.org", "who@x.jp")
    problems = refused(client, db_session, organizer_token, request, body)
    assert list(problems["fields"]) == ["staff"]
    for address in ("door@example.org", "gone@example.org", "who@x.jp"):
        assert address in problems["fields"]["staff"]
    assert "taro@example.org" not in problems["fields"]["staff"]


def test_an_unknown_address_is_named_beside_the_other_fields_at_fault(
    client, db_session, organizer_token, lecturer
):
    request = submit(db_session)
    body = {**scheduling("who@x.jp"), "ends_at": at(13).isoformat()}  # ends before it starts
    problems = refused(client, db_session, organizer_token, request, body)
    assert set(problems["fields"]) == {"staff", "ends_at"}
    assert "who@x.jp" in problems["fields"]["staff"]


def test_an_overlapping_assignment_is_409_naming_the_seminar_and_its_request(
    client, db_session, organizer_token, lecturer
):
    first, second = submit(db_session), submit(db_session)
    taken = patch(client, organizer_token, first.id, scheduling("taro@example.org"))
    assert taken.status_code == 200
    seminar_id = taken.get_json()["seminar_id"]
    # Half an hour after the first ends: inside the travel margin of an hour.
    body = scheduling("taro@example.org", hour=16)
    body["starts_at"] = at(16, 30).isoformat()
    refusal = refused(client, db_session, organizer_token, second, body, status=409)
    validate_against(refusal, "DispatchOverlap")
    (conflict,) = refusal["conflicts"]
    assert conflict["staff"] == "taro@example.org"
    assert conflict["seminar_id"] == seminar_id
    assert conflict["dispatch_request_id"] == first.id
    seminar = db_session.get(Seminar, seminar_id)
    assert seminar.title_en in refusal["fields"]["staff"] and refusal["error"]
    assert conflict["title"] == seminar.title


def test_an_overlap_with_a_seminar_of_the_agency_names_no_request(
    client, db_session, make_seminar, organizer_token, lecturer
):
    own = make_seminar(starts_at=at(13), lecturers=[lecturer])
    db_session.commit()
    refusal = refused(
        client, db_session, organizer_token, submit(db_session), scheduling("taro@example.org"), 409
    )
    assert [(c["seminar_id"], c["dispatch_request_id"]) for c in refusal["conflicts"]] == [
        (own.id, None)
    ]


def test_withdrawn_cancels_the_seminar_and_frees_the_staff(
    client, db_session, organizer_token, lecturer
):
    first, second = submit(db_session), submit(db_session)
    seminar_id = patch(
        client, organizer_token, first.id, scheduling("taro@example.org")
    ).get_json()["seminar_id"]
    answer = patch(client, organizer_token, first.id, {"state": "withdrawn"})
    assert answer.status_code == 200 and answer.get_json()["state"] == "withdrawn"
    assert db_session.get(Seminar, seminar_id).status == SeminarStatus.CANCELLED
    freed = patch(client, organizer_token, second.id, scheduling("taro@example.org"))
    assert freed.status_code == 200, freed.get_json()


def test_delivered_with_the_head_count_once_the_seminar_has_ended(
    client, db_session, organizer_token, lecturer
):
    request = submit(db_session)
    schedule_in_the_past(db_session, request, lecturer, utcnow() - timedelta(days=2))
    answer = patch(client, organizer_token, request.id, {"state": "delivered", "attendees": 32})
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    validate_against(shown, "DispatchRequestDetail")
    assert shown["state"] == "delivered" and shown["seminar"]["head_count"] == 32


def test_delivered_with_its_minutes_and_report_and_corrected_later(
    client, db_session, organizer_token, lecturer
):
    request = submit(db_session)
    schedule_in_the_past(db_session, request, lecturer, utcnow() - timedelta(days=2))
    first = patch(client, organizer_token, request.id, {"state": "delivered", "attendees": 32})
    assert first.get_json()["delivered_minutes"] == 120  # as scheduled
    assert first.get_json()["delivery_report"] is None
    body = {"state": "delivered", "attendees": 30, "minutes": 100, "report": "規程を説明。"}
    answer = patch(client, organizer_token, request.id, body)
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()
    validate_against(shown, "DispatchRequestDetail")
    assert (shown["seminar"]["head_count"], shown["delivered_minutes"]) == (30, 100)
    assert shown["delivery_report"] == "規程を説明。"
    assert [entry["to_state"] for entry in shown["history"]].count("delivered") == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 1441}, "minutes"),
        ({"report": "x" * 4001}, "report"),
    ],
)
def test_minutes_outside_a_day_or_a_long_report_is_422(
    client, db_session, organizer_token, lecturer, extra, field
):
    request = submit(db_session)
    schedule_in_the_past(db_session, request, lecturer, utcnow() - timedelta(days=2))
    problems = refused(
        client,
        db_session,
        organizer_token,
        request,
        {"state": "delivered", "attendees": 3, **extra},
    )
    assert set(problems["fields"]) == {field}


def test_delivered_too_early_with_a_negative_count_is_422_field_by_field(
    client, db_session, organizer_token, lecturer
):
    request = submit(db_session)
    assert (
        patch(client, organizer_token, request.id, scheduling("taro@example.org")).status_code
        == 200
    )
    db_session.expire_all()
    body = {"state": "delivered", "attendees": -1}
    problems = refused(client, db_session, organizer_token, request, body)
    validate_against(problems, "ValidationError")
    assert set(problems["fields"]) == {"state", "attendees"}
    assert db_session.get(DispatchRequest, request.id).seminar.head_count is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"state": "received"}, "state"),
        ({"state": "cancelled"}, "state"),
        ({}, "state"),
        ({"state": "under-review", "attendees": 3}, "attendees"),
        ({"state": "declined", "reason": "x", "staff": ["taro@example.org"]}, "staff"),
        ({"state": "delivered", "attendees": "12"}, "attendees"),
        ({"state": "scheduled", "starts_at": "2026-12-15T14:00:00"}, "starts_at"),
        ({"state": "scheduled", "starts_at": "9999-12-31T23:59:59-23:59"}, "starts_at"),
        ({"state": "scheduled", "ends_at": "2101-04-01T00:00:00+09:00"}, "ends_at"),
        ({"state": "withdrawn", "colour": "red"}, "colour"),
        ({"state": "declined", "reason": "\ud800"}, "reason"),
        ({"state": "delivered", "attendees": 3, "report": "\ud800"}, "report"),
        ({"state": "delivered", "attendees": 3, "minutes": 1.5}, "minutes"),
        ({"state": "declined", "reason": "x", "minutes": 60}, "minutes"),
        ({"state": "scheduled", "staff": ["taro@example.org", "\ud800@x.jp"]}, "staff"),
    ],
)
def test_a_body_the_schema_refuses_is_422_naming_the_field(
    client, db_session, organizer_token, body, field
):
    request = submit(db_session)
    problems = refused(client, db_session, organizer_token, request, body)
    validate_against(problems, "ValidationError")
    assert field in problems["fields"]


def test_a_change_the_table_does_not_allow_is_422_under_state(client, db_session, organizer_token):
    request = submit(db_session)
    assert patch(client, organizer_token, request.id, {"state": "withdrawn"}).status_code == 200
    problems = refused(client, db_session, organizer_token, request, {"state": "under-review"})
    assert problems["fields"] == {
        "state": "A request that is “Withdrawn” cannot become “Under review”."
    }


def test_refusals_speak_the_readers_language(client, db_session, organizer_token):
    request = submit(db_session)
    problems = refused(
        client, db_session, organizer_token, request, {"state": "declined"}, headers=JAPANESE
    )
    assert (
        problems["fields"]["reason"]
        != "Give the reason for declining: the company receives it by mail."
    )
    assert "理由" in problems["fields"]["reason"]


# ---------------------------------------------------------------- the document


def test_the_document_describes_the_dispatch_operations():
    document = openapi_document("http://seminars.test")
    paths = document["paths"]
    assert set(paths["/api/v1/dispatch-requests"]) >= {"get"}
    one = paths["/api/v1/dispatch-requests/{request_id}"]
    assert {"get", "patch"} <= set(one)
    body = one["patch"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["state"]["enum"] == [
        "under-review",
        "scheduled",
        "declined",
        "delivered",
        "withdrawn",
    ]
    assert {"200", "404", "409", "422", "401", "403"} <= set(one["patch"]["responses"])
    assert one["patch"]["security"] == [{"bearerToken": []}]
    listed = paths["/api/v1/dispatch-requests"]["get"]["parameters"]
    assert {parameter["name"] for parameter in listed} == {"state", "page", "per_page"}
    states = next(p for p in listed if p["name"] == "state")["schema"]["enum"]
    assert states == [state.value for state in DispatchState]
