"""Staff endpoints added to the JSON API: materials, recordings, registrations, attendance."""

from __future__ import annotations

import io

import jsonschema
import pytest
from sqlalchemy import select

from seminar_app.api.openapi import standalone_schema
from seminar_app.api.schemas import (
    AttendanceListSchema,
    RecordingCreatedSchema,
    RegistrationStateSchema,
)
from seminar_app.attendance import services as attendance
from seminar_app.attendance.attended import attended
from seminar_app.attendance.models import OnlineAttendance
from seminar_app.attendance.online import record_join
from seminar_app.audit.models import AuditEvent
from seminar_app.domain import CheckInMethod, Role
from seminar_app.elearning.models import Recording
from seminar_app.materials.models import Material
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration import services as registrations
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.conftest import post_form
from tests.registration_helpers import register
from tests.test_registration_api import bearer, issue_token, validate_against

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form(**overrides) -> dict:
    values = {
        "file": (PDF, "資料.pdf"),
        "title": "第1部 スライド",
        "audience": "registrants",
    }
    values.update(overrides)
    if values["file"] is not None:  # a fresh stream per request: the client closes it
        data, name = values["file"]
        values["file"] = (io.BytesIO(data), name)
    return {key: value for key, value in values.items() if value is not None}


def upload(client, seminar_id: int, token: str | None, data: dict):
    headers = bearer(token) if token else {}
    return client.post(
        f"/api/v1/seminars/{seminar_id}/materials",
        data=data,
        headers=headers,
        content_type="multipart/form-data",
    )


@pytest.fixture
def organizer_token(app, make_user) -> str:
    return issue_token(app, make_user(Role.ORGANIZER))


def test_organizer_uploads_a_material_201_with_id_and_url(
    client, organizer_token, make_seminar, db_session
):
    seminar = make_seminar()
    response = upload(
        client, seminar.id, organizer_token, form(visible_from="2030-01-10T10:00:00+09:00")
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    material = db_session.get(Material, body["id"])
    assert (material.seminar_id, material.title, material.audience) == (
        seminar.id,
        "第1部 スライド",
        "registrants",
    )
    assert material.visible_from.isoformat().startswith("2030-01-10T01:00:00")
    assert body["url"].endswith(f"/lecturer/materials/{material.id}/download")
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "material.uploaded")
    ).all()
    assert [int(event.subject_id) for event in events] == [material.id]


def test_the_lecturer_of_the_seminar_uploads(app, client, make_user, make_seminar):
    lecturer = make_user(Role.LECTURER)
    seminar = make_seminar(lecturers=[lecturer])
    response = upload(client, seminar.id, issue_token(app, lecturer), form())
    assert response.status_code == 201, response.get_json()


def test_a_lecturer_of_another_seminar_is_403(app, client, make_user, make_seminar, db_session):
    seminar = make_seminar()
    response = upload(client, seminar.id, issue_token(app, make_user(Role.LECTURER)), form())
    assert response.status_code == 403
    assert db_session.scalars(select(Material).where(Material.seminar_id == seminar.id)).all() == []


@pytest.mark.parametrize("role", [Role.RECEPTION, Role.ADVISOR])
def test_other_roles_are_403(app, client, make_user, make_seminar, role):
    seminar = make_seminar()
    response = upload(client, seminar.id, issue_token(app, make_user(role)), form())
    assert response.status_code == 403


def test_without_a_token_401(client, make_seminar):
    seminar = make_seminar()
    response = upload(client, seminar.id, None, form())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_seminar_is_404(client, organizer_token, db_session):
    assert upload(client, 999_999, organizer_token, form()).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"file": None}, "file"),
        ({"file": (b"", "empty.pdf")}, "file"),
        ({"file": (b"MZ\x90\x00", "tool.exe")}, "file"),
        ({"file": (b"not a pdf at all", "fake.pdf")}, "file"),
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "題" * 201}, "title"),
        ({"audience": None}, "audience"),
        ({"audience": "absentees"}, "audience"),
        ({"visible_from": "2030-01-10T10:00:00"}, "visible_from"),
        ({"visible_from": "tomorrow"}, "visible_from"),
        ({"colour": "blue"}, "colour"),
    ],
    ids=[
        "no-file",
        "empty-file",
        "wrong-kind",
        "content-mismatch",
        "no-title",
        "blank-title",
        "long-title",
        "no-audience",
        "recording-only-audience",
        "no-offset",
        "not-a-time",
        "unknown-field",
    ],
)
def test_refused_field_is_422_and_nothing_is_stored(
    client, organizer_token, make_seminar, db_session, overrides, field
):
    seminar = make_seminar()
    response = upload(client, seminar.id, organizer_token, form(**overrides))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    validate_against(body, "ValidationError")
    assert set(body["fields"]) == {field} and body["fields"][field].strip()
    assert db_session.scalars(select(Material).where(Material.seminar_id == seminar.id)).all() == []


def test_the_document_describes_the_upload(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/seminars/{seminar_id}/materials"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["audience"]["enum"] == ["everyone", "registrants", "attendees"]
    assert set(schema["required"]) == {"file", "title", "audience"}
    assert operation["security"] == [{"bearerToken": []}]


# ---------------------------------------------------------------- recordings


def recording(**overrides) -> dict:
    body = {
        "url": "https://eplat.example.jp/v/42",
        "title": "第1回 録画",
        "audience": "registrants",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def add_recording(client, seminar_id: int, token: str | None, body):
    headers = bearer(token) if token else {}
    return client.post(f"/api/v1/seminars/{seminar_id}/recordings", json=body, headers=headers)


def recordings_of(db_session, seminar) -> list[Recording]:
    return db_session.scalars(select(Recording).where(Recording.seminar_id == seminar.id)).all()


def test_organizer_adds_a_recording_201_with_id(client, organizer_token, make_seminar, db_session):
    seminar = make_seminar()
    response = add_recording(
        client,
        seminar.id,
        organizer_token,
        recording(
            available_from="2030-01-10T10:00:00+09:00",
            available_until="2030-02-10T10:00:00+09:00",
        ),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    jsonschema.validate(body, standalone_schema(RecordingCreatedSchema))
    stored = db_session.get(Recording, body["id"])
    assert (stored.seminar_id, stored.title, stored.url, stored.audience) == (
        seminar.id,
        "第1回 録画",
        "https://eplat.example.jp/v/42",
        "registrants",
    )
    assert stored.available_from.isoformat().startswith("2030-01-10T01:00:00")
    assert stored.published_at is None
    events = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "recording.added")
    ).all()
    assert [(int(event.subject_id), event.actor_id is not None) for event in events] == [
        (stored.id, True)
    ]


@pytest.mark.parametrize("given", ["no-shows", "absentees"])
def test_no_shows_is_stored_as_absentees(client, organizer_token, make_seminar, db_session, given):
    seminar = make_seminar()
    response = add_recording(client, seminar.id, organizer_token, recording(audience=given))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["audience"] == "absentees"
    assert [row.audience for row in recordings_of(db_session, seminar)] == ["absentees"]


def test_the_console_adds_a_recording_through_the_same_rule(
    organizer_client, make_seminar, db_session
):
    seminar = make_seminar()
    page = f"/console/seminars/{seminar.id}/recordings"
    post_form(
        organizer_client,
        page,
        {"title": "録画", "url": "https://eplat.example.jp/v/1", "audience": "absentees"},
    )
    (stored,) = recordings_of(db_session, seminar)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "recording.added"))
    assert int(event.subject_id) == stored.id
    refused = post_form(
        organizer_client,
        page,
        {
            "title": "録画",
            "url": "https://eplat.example.jp/v/2",
            "audience": "everyone",
            "available_from": "2030-01-10T10:00",
            "available_until": "2030-01-10T09:00",
        },
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 400
    assert "must come after its start" in refused.get_data(as_text=True)
    assert len(recordings_of(db_session, seminar)) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"url": None}, "url"),
        ({"url": "http://eplat.example.jp/v/42"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "https://eplat.example.jp/" + "v" * 500}, "url"),
        ({"url": 42}, "url"),
        ({"title": None}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "録" * 201}, "title"),
        ({"audience": None}, "audience"),
        ({"audience": "nobody"}, "audience"),
        ({"available_from": "2030-01-10T10:00:00"}, "available_from"),
        ({"available_until": "later"}, "available_until"),
        (
            {
                "available_from": "2030-01-10T10:00:00+09:00",
                "available_until": "2030-01-10T01:00:00Z",
            },
            "available_until",
        ),
        ({"colour": "blue"}, "colour"),
    ],
    ids=[
        "no-url",
        "http-url",
        "no-host",
        "long-url",
        "url-not-text",
        "no-title",
        "blank-title",
        "long-title",
        "no-audience",
        "unknown-audience",
        "no-offset",
        "not-a-time",
        "ends-at-its-start",
        "unknown-field",
    ],
)
def test_refused_recording_field_is_422_and_nothing_is_stored(
    client, organizer_token, make_seminar, db_session, overrides, field
):
    seminar = make_seminar()
    response = add_recording(client, seminar.id, organizer_token, recording(**overrides))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    validate_against(body, "ValidationError")
    assert set(body["fields"]) == {field} and body["fields"][field].strip()
    assert recordings_of(db_session, seminar) == []
    assert (
        db_session.scalar(select(AuditEvent).where(AuditEvent.action == "recording.added")) is None
    )


def test_a_recording_body_that_is_not_an_object_is_400(client, organizer_token, make_seminar):
    seminar = make_seminar()
    assert add_recording(client, seminar.id, organizer_token, ["url"]).status_code == 400


@pytest.mark.parametrize("role", [Role.LECTURER, Role.RECEPTION, Role.ADVISOR])
def test_recordings_are_for_organizers_only(app, client, make_user, make_seminar, db_session, role):
    user = make_user(role)
    seminar = make_seminar(lecturers=[user] if role == Role.LECTURER else [])
    response = add_recording(client, seminar.id, issue_token(app, user), recording())
    assert response.status_code == 403
    assert recordings_of(db_session, seminar) == []


def test_a_recording_without_a_token_is_401(client, make_seminar, db_session):
    seminar = make_seminar()
    response = add_recording(client, seminar.id, None, recording())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert recordings_of(db_session, seminar) == []


def test_a_recording_for_an_unknown_seminar_is_404(client, organizer_token):
    assert add_recording(client, 999_999, organizer_token, recording()).status_code == 404


def test_the_document_describes_the_recording(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/seminars/{seminar_id}/recordings"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    assert schema["properties"]["audience"]["enum"] == [
        "everyone",
        "registrants",
        "attendees",
        "absentees",
        "no-shows",
    ]
    assert set(schema["required"]) == {"url", "title", "audience"}
    assert operation["security"] == [{"bearerToken": []}]
    assert set(operation["responses"]) >= {"201", "400", "401", "403", "404", "422"}


# ---------------------------------------------------------------- registrations


def act(client, registration_id: int, action: str, token: str | None):
    headers = bearer(token) if token else {}
    return client.post(f"/api/v1/registrations/{registration_id}/{action}", headers=headers)


def audit_of(db_session, action: str) -> list[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


@pytest.fixture
def full_seminar(db_session, make_seminar):
    """One seat taken, two people waiting; the cut-off passed, so only an organizer promotes."""
    seminar = make_seminar(capacity=1, waitlist_cutoff_hours=24 * 30)
    people = [register(db_session, seminar, email=f"p{n}@example.jp") for n in range(3)]
    assert [person.status for person in people] == ["confirmed", "waitlisted", "waitlisted"]
    return seminar, people


def test_organizer_cancels_a_registration_200(app, client, make_user, db_session, full_seminar):
    _seminar, (seated, _first, _second) = full_seminar
    organizer = make_user(Role.ORGANIZER)
    response = act(client, seated.id, "cancel", issue_token(app, organizer))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    jsonschema.validate(body, standalone_schema(RegistrationStateSchema))
    assert body == {"id": seated.id, "status": "cancelled", "waitlist_position": None}
    db_session.expire_all()
    assert db_session.get(Registration, seated.id).status == "cancelled"
    (event,) = audit_of(db_session, "registration.cancelled")
    assert (event.actor_id, event.details["by"]) == (organizer.id, "organizer")
    mails = db_session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient == seated.email)
    ).all()
    assert "registration.cancelled" in mails


def test_cancelling_a_waitlisted_person_moves_the_line_up(
    client, organizer_token, db_session, full_seminar
):
    _seminar, (_seated, first, second) = full_seminar
    response = act(client, first.id, "cancel", organizer_token)
    assert response.get_json()["status"] == "cancelled"
    assert act(client, second.id, "promote", organizer_token).status_code == 409  # still full
    listed = client.get(
        f"/api/v1/seminars/{second.seminar_id}/registrations", headers=bearer(organizer_token)
    ).get_json()["registrations"]
    assert {row["id"]: row["waitlist_position"] for row in listed}[second.id] == 1


def test_cancelling_twice_is_409_and_changes_nothing(
    client, organizer_token, db_session, full_seminar
):
    _seminar, (seated, _first, _second) = full_seminar
    assert act(client, seated.id, "cancel", organizer_token).status_code == 200
    again = act(client, seated.id, "cancel", organizer_token)
    assert again.status_code == 409
    assert again.get_json() == {
        "error": "This registration is already cancelled.",
        "status": 409,
        "code": "already-cancelled",
    }
    assert len(audit_of(db_session, "registration.cancelled")) == 1


def test_organizer_promotes_a_waitlisted_person_once_a_seat_is_free(
    client, organizer_token, db_session, full_seminar
):
    _seminar, (seated, first, second) = full_seminar
    full = act(client, second.id, "promote", organizer_token)
    assert full.status_code == 409
    assert full.get_json()["error"] == "No seat is free. Raise the capacity first."
    assert act(client, seated.id, "cancel", organizer_token).status_code == 200
    response = act(client, second.id, "promote", organizer_token)  # by hand, out of turn
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "id": second.id,
        "status": "confirmed",
        "waitlist_position": None,
    }
    db_session.expire_all()
    assert db_session.get(Registration, first.id).status == "waitlisted"
    (event,) = audit_of(db_session, "registration.promoted")
    assert (int(event.subject_id), event.details["how"]) == (second.id, "by-hand")


def test_promoting_someone_not_waitlisted_is_409(client, organizer_token, full_seminar):
    _seminar, (seated, _first, _second) = full_seminar
    response = act(client, seated.id, "promote", organizer_token)
    assert response.status_code == 409
    assert response.get_json()["code"] == "not-waitlisted"


@pytest.mark.parametrize("action", ["cancel", "promote"])
def test_registration_actions_unknown_id_404(client, organizer_token, action):
    assert act(client, 999_999, action, organizer_token).status_code == 404


@pytest.mark.parametrize("action", ["cancel", "promote"])
def test_registration_actions_without_a_token_401(client, db_session, full_seminar, action):
    _seminar, (_seated, first, _second) = full_seminar
    assert act(client, first.id, action, None).status_code == 401
    db_session.expire_all()
    assert db_session.get(Registration, first.id).status == "waitlisted"


@pytest.mark.parametrize("role", [Role.LECTURER, Role.RECEPTION, Role.ADVISOR])
@pytest.mark.parametrize("action", ["cancel", "promote"])
def test_registration_actions_are_for_organizers_only(
    app, client, make_user, db_session, full_seminar, role, action
):
    _seminar, (seated, _first, _second) = full_seminar
    assert act(client, seated.id, action, issue_token(app, make_user(role))).status_code == 403
    db_session.expire_all()
    assert db_session.get(Registration, seated.id).status == "confirmed"


# ---------------------------------------------------------------- attendance


@pytest.fixture
def attended_seminar(db_session, make_seminar):
    """Four confirmed people who attended in each way there is, one waiting, one cancelled."""
    seminar = make_seminar(capacity=4)
    door, brief, long, clicked, _waiting, gone = (
        register(db_session, seminar, email=f"a{n}@example.jp") for n in range(6)
    )
    registrations.cancel(db_session, gone.id, utcnow(), by_participant=True)
    attendance.admit(
        db_session, door, seminar.id, by=None, method=CheckInMethod.SEARCH, desk="t", now=utcnow()
    )
    db_session.add(OnlineAttendance(registration_id=brief.id, minutes=5))
    db_session.add(OnlineAttendance(registration_id=long.id, minutes=seminar.min_online_minutes))
    assert record_join(db_session, clicked, seminar.starts_at)
    db_session.commit()
    return seminar, {"door": door, "brief": brief, "long": long, "clicked": clicked}


def attendance_of(client, seminar_id: int, token: str | None):
    headers = bearer(token) if token else {}
    return client.get(f"/api/v1/seminars/{seminar_id}/attendance", headers=headers)


def test_organizer_reads_the_attendance_200(app, client, make_user, db_session, attended_seminar):
    seminar, people = attended_seminar
    organizer = make_user(Role.ORGANIZER)
    response = attendance_of(client, seminar.id, issue_token(app, organizer))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    jsonschema.validate(body, standalone_schema(AttendanceListSchema))
    rows = {row["registration_id"]: row for row in body["attendance"]}
    assert set(rows) == {person.id for person in people.values()}  # confirmed only
    assert {name: (rows[p.id]["attended"], rows[p.id]["how"]) for name, p in people.items()} == {
        "door": (True, "venue"),
        "brief": (False, None),
        "long": (True, "online"),
        "clicked": (True, "online"),
    }
    # The one rule of attendance judges every row alike.
    assert all(rows[p.id]["attended"] == attended(db_session, p) for p in people.values())
    assert rows[people["brief"].id]["online_minutes"] == 5
    assert rows[people["door"].id]["checked_in_at"] is not None
    assert (body["total"], body["attended"]) == (4, 3)
    (event,) = audit_of(db_session, "attendance.exported")
    assert (int(event.subject_id), event.actor_id, event.details) == (
        seminar.id,
        organizer.id,
        {"format": "api", "rows": 4},
    )


def test_attendance_of_an_unknown_seminar_is_404(client, organizer_token, db_session):
    assert attendance_of(client, 999_999, organizer_token).status_code == 404
    assert audit_of(db_session, "attendance.exported") == []


def test_attendance_without_a_token_is_401(client, db_session, attended_seminar):
    seminar, _people = attended_seminar
    response = attendance_of(client, seminar.id, None)
    assert response.status_code == 401
    assert "attendance" not in response.get_json()
    assert audit_of(db_session, "attendance.exported") == []


@pytest.mark.parametrize("role", [Role.LECTURER, Role.RECEPTION, Role.ADVISOR])
def test_attendance_is_for_organizers_only(
    app, client, make_user, db_session, attended_seminar, role
):
    seminar, _people = attended_seminar
    response = attendance_of(client, seminar.id, issue_token(app, make_user(role)))
    assert response.status_code == 403
    assert "attendance" not in response.get_json()
    assert audit_of(db_session, "attendance.exported") == []
