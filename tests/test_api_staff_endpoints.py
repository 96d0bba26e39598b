"""Staff endpoints added to the JSON API: uploading a seminar's materials."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.domain import Role
from seminar_app.materials.models import Material
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
