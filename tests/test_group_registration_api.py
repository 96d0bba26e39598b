"""Group registration through the JSON API (issue 19, item 4): POST a registration with a
`members` list; 201 with the contact's registration and each member's; the same rules as
the form, refusals naming members.<n>.<field>; in the OpenAPI document."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from seminar_app.api.openapi import openapi_document
from seminar_app.registration.models import Registration
from tests.test_registration_api import (
    count_rows,
    post_registration,
    registration_body,
    validate_against,
)


def member(n: int, **overrides) -> dict:
    return {
        "name": f"同僚 {n}郎",
        "name_kana": "どうりょう",
        "email": f"member{n}@company.example.jp",
        "department": "開発部",
        "job_title": "主任",
        **overrides,
    }


def test_a_group_is_answered_with_each_members_registration(client, db_session, make_seminar):
    seminar = make_seminar(capacity=2)
    body = registration_body(members=[member(1), member(2)])
    response = post_registration(client, seminar.id, body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    validate_against(answer, "RegistrationCreated")
    assert answer["status"] == "confirmed"
    assert [(m["email"], m["status"], m["waitlist_position"]) for m in answer["members"]] == [
        ("member1@company.example.jp", "confirmed", None),
        ("member2@company.example.jp", "waitlisted", 1),
    ]
    rows = db_session.scalars(select(Registration).order_by(Registration.id)).all()
    assert [r.id for r in rows] == [answer["id"], *(m["id"] for m in answer["members"])]
    assert {r.group_id for r in rows} == {answer["id"]}
    contact, *others = rows
    assert all(r.organization == contact.organization for r in others)
    assert [r.department for r in others] == ["開発部", "開発部"]
    assert not any(r.announcements_opt_in for r in others)  # their own choice, not the contact's


def test_a_body_without_members_is_one_registration_as_before(client, make_seminar):
    seminar = make_seminar()
    for body in (registration_body(), registration_body(members=[])):
        answer = post_registration(client, seminar.id, body).get_json()
        assert "members" not in answer and answer["status"] == "confirmed"


@pytest.mark.parametrize(
    ("members", "field"),
    [
        ([member(1, email="not-an-address")], "members.0.email"),
        ([member(1), member(2, name="")], "members.1.name"),
        ([member(1, name_kana="dou ryou")], "members.0.name_kana"),
        ([member(1), member(2, email="MEMBER1@company.example.jp")], "members.1.email"),
        ([member(1, colour="red")], "members.0.colour"),
        ([member(n) for n in range(1, 6)], "members"),  # 6 people: the seminar takes 5
    ],
)
def test_a_bad_member_is_422_naming_the_member_and_writes_nothing(
    client, db_session, make_seminar, members, field
):
    seminar = make_seminar()
    before = count_rows(db_session)
    response = post_registration(client, seminar.id, registration_body(members=members))
    assert response.status_code == 422, response.get_json()
    validate_against(response.get_json(), "ValidationError")
    assert field in response.get_json()["fields"], response.get_json()
    assert count_rows(db_session) == before


def test_a_member_already_registered_is_named(client, db_session, make_seminar):
    seminar = make_seminar()
    assert (
        post_registration(
            client, seminar.id, registration_body(email="member2@company.example.jp")
        ).status_code
        == 201
    )
    before = count_rows(db_session)
    body = registration_body(members=[member(1), member(2)])
    response = post_registration(client, seminar.id, body)
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"members.1.email"}
    assert count_rows(db_session) == before


def test_the_openapi_document_describes_members(app):
    with app.test_request_context():
        document = openapi_document("http://seminars.test/api/v1")
    post = document["paths"]["/api/v1/seminars/{seminar_id}/registrations"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    members = body["properties"]["members"]
    assert members["type"] == "array" and members["maxItems"] == 19
    assert set(members["items"]["required"]) == {"name", "email"}
    created = document["components"]["schemas"]["RegistrationCreated"]["properties"]
    assert created["members"]["type"] == "array"


# --- the seminar's setting -------------------------------------------------------------------


def test_staff_set_the_group_size_through_the_api_and_it_holds(
    app, client, db_session, make_seminar, make_user
):
    from seminar_app.domain import Role
    from tests.test_registration_api import bearer, issue_token

    seminar = make_seminar()
    token = issue_token(app, make_user(Role.ORGANIZER))
    assert seminar.max_group_size == 5  # the default
    answer = client.patch(
        f"/api/v1/seminars/{seminar.id}", json={"max_group_size": 2}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["max_group_size"] == 2
    refused = post_registration(
        client, seminar.id, registration_body(members=[member(1), member(2)])
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["fields"]) == {"members"}
    for bad in (0, 21, "3", True):
        answer = client.patch(
            f"/api/v1/seminars/{seminar.id}", json={"max_group_size": bad}, headers=bearer(token)
        )
        assert answer.status_code == 422, (bad, answer.get_json())
        assert set(answer.get_json()["fields"]) == {"max_group_size"}
    db_session.expire_all()
    assert seminar.max_group_size == 2


def test_organizers_set_the_group_size_on_the_seminars_form(
    client, db_session, make_seminar, make_user
):
    from seminar_app.domain import Role
    from tests.conftest import login, post_form
    from tests.test_dispatch_scheduling import _console_form

    seminar = make_seminar()
    login(client, make_user(Role.ORGANIZER))
    url = f"/console/seminars/{seminar.id}/edit"
    form = _console_form(seminar, host_type="agency", meeting_url=seminar.meeting_url)
    form["capacity"] = str(seminar.capacity)
    bad = post_form(client, url, {**form, "max_group_size": "0"}, headers={"Accept-Language": "ja"})
    assert bad.status_code == 400
    assert 'id="max_group_size-error"' in bad.get_data(as_text=True)
    assert post_form(client, url, {**form, "max_group_size": "1"}).status_code == 302
    db_session.expire_all()
    assert seminar.max_group_size == 1
