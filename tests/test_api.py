from datetime import datetime, timedelta

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

from seminar_app.api.openapi import SEMINAR_SCHEMA
from seminar_app.domain import HostType, Level, SeminarStatus
from seminar_app.timeutil import utcnow


def test_openapi_document_is_valid_and_names_full_paths(client):
    document = client.get("/api/v1/openapi.json").get_json()
    validate_openapi(document)
    assert {"/api/v1/seminars", "/api/v1/seminars/{seminar_id}"} <= set(document["paths"])


def test_list_answers_documented_shape_without_meeting_url(client, make_seminar):
    make_seminar(meeting_url="https://meet.example.org/j/hidden-999")
    response = client.get("/api/v1/seminars")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    for seminar in body["seminars"]:
        jsonschema.validate(seminar, SEMINAR_SCHEMA)
        assert "meeting_url" not in seminar
    assert "hidden-999" not in response.get_data(as_text=True)


def test_seminar_fields_and_iso_times_with_offset(client, make_seminar):
    seminar = make_seminar(capacity=40)
    body = client.get(f"/api/v1/seminars/{seminar.id}").get_json()
    assert body["id"] == seminar.id and body["title"] == seminar.title
    assert body["seats_left"] == 40 and body["capacity"] == 40
    starts = datetime.fromisoformat(body["starts_at"])
    assert starts.utcoffset() is not None and starts == seminar.starts_at
    assert body["fiscal_year"] == seminar.fiscal_year


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("level=expert", "level"),
        ("series=patents", "series"),
        ("delivery=tv", "delivery"),
        ("host_type=club", "host_type"),
        ("fiscal_year=twenty", "fiscal_year"),
        ("fiscal_year=１９９９", "fiscal_year"),
        ("upcoming=maybe", "upcoming"),
        ("page=0", "page"),
        ("per_page=1000", "per_page"),
        ("colour=blue", "colour"),
    ],
)
def test_bad_filter_is_a_400_with_a_message(client, query, field):
    response = client.get(f"/api/v1/seminars?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field and body["error"]


def test_filters(client, make_seminar):
    now = utcnow()
    beginner = make_seminar(level=Level.BEGINNER)
    workshop = make_seminar(level=Level.WORKSHOP)
    past = make_seminar(level=Level.WORKSHOP, starts_at=now - timedelta(days=10))

    def ids(query):
        return {s["id"] for s in client.get(f"/api/v1/seminars?{query}").get_json()["seminars"]}

    assert ids("level=workshop") == {workshop.id, past.id}
    assert ids("level=workshop&upcoming=true") == {workshop.id}
    assert ids("upcoming=false") == {past.id}
    assert ids("") == {beginner.id, workshop.id, past.id}
    assert ids(f"fiscal_year={beginner.fiscal_year}") >= {beginner.id}
    assert ids("fiscal_year=2001") == set()


def test_in_company_and_drafts_are_never_in_the_api(client, make_seminar):
    hidden = make_seminar(host_type=HostType.IN_COMPANY, capacity=None, host_organization="A社")
    draft = make_seminar(status=SeminarStatus.DRAFT)
    assert client.get("/api/v1/seminars?host_type=in-company").get_json()["seminars"] == []
    for seminar in (hidden, draft):
        assert client.get(f"/api/v1/seminars/{seminar.id}").status_code == 404


def test_pagination_parameters(client, make_seminar):
    for _ in range(5):
        make_seminar()
    body = client.get("/api/v1/seminars?per_page=2&page=3").get_json()
    assert body["total"] == 5 and len(body["seminars"]) == 1 and body["page"] == 3


def test_unknown_id_is_json_404(client):
    response = client.get("/api/v1/seminars/999999")
    assert response.status_code == 404 and response.get_json()["error"]
