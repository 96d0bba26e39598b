"""The registration API and the staff API: bodies, refusals, tokens, limits, the schema."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from seminar_app.api.openapi import SEMINAR_SCHEMA, openapi_document
from seminar_app.auth.models import ApiToken
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import Role, SeminarStatus
from seminar_app.extensions import db, limiter
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.conftest import make_app
from tests.registration_helpers import details_data, register

JST = ZoneInfo("Asia/Tokyo")

#: Leave the key out of the body.
_MISSING = object()

# ---------------------------------------------------------------- helpers


def schema_for(name: str) -> dict:
    """A component of the OpenAPI document as a standalone JSON Schema (refs resolve)."""
    document = openapi_document("http://seminars.test")
    return {"$ref": f"#/components/schemas/{name}", "components": document["components"]}


def validate_against(instance, name: str) -> None:
    jsonschema.Draft202012Validator(schema_for(name)).validate(instance)


def registration_body(**overrides) -> dict:
    body = {
        **details_data(),
        "privacy_notice_agreed": True,
        "announcements_opt_in": False,
        "locale": "ja",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not _MISSING}


def post_registration(client, seminar_id: int, body: dict):
    return client.post(f"/api/v1/seminars/{seminar_id}/registrations", json=body)


def count_rows(session) -> tuple[int, int]:
    registrations = session.scalar(select(func.count()).select_from(Registration))
    outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
    return registrations, outbox


def issue_token(app, user) -> str:
    result = app.test_cli_runner().invoke(args=["users", "token", user.email])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1].strip()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def organizer_token(app, make_user) -> str:
    return issue_token(app, make_user(Role.ORGANIZER))


def seminar_body(**overrides) -> dict:
    starts = (
        (utcnow() + timedelta(days=30))
        .astimezone(JST)
        .replace(hour=14, minute=0, second=0, microsecond=0)
    )
    body = {
        "title": "営業秘密・知財戦略セミナー（API）",
        "series": "trade-secret-ip-strategy",
        "host_type": "agency",
        "delivery": "online",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 30,
        "meeting_url": "https://meet.example.org/j/api-1",
        "description": "API から作成したセミナーです。",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not _MISSING}


def iso_jst(moment) -> str:
    return moment.astimezone(JST).isoformat()


def outbox_for(session, registration_id: int, kind: str) -> list[OutboxMessage]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    ).all()
    return [row for row in rows if row.payload.get("registration_id") == registration_id]


# ---------------------------------------------------------------- POST registration: success


def test_registration_is_created_and_confirmed(app, client, make_seminar):
    seminar = make_seminar(capacity=5)
    response = post_registration(client, seminar.id, registration_body())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["status"] == "confirmed"
    assert body["waitlist_position"] is None
    assert body["manage_url"].startswith(app.config["BASE_URL"] + "/")


def test_registrations_past_capacity_are_waitlisted_in_order(client, make_seminar):
    seminar = make_seminar(capacity=1)
    answers = [
        post_registration(client, seminar.id, registration_body()).get_json() for _ in range(3)
    ]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]


def test_registration_answer_matches_the_openapi_schema(client, make_seminar):
    seminar = make_seminar(capacity=1)
    for _ in range(2):  # one confirmed, one waitlisted
        response = post_registration(client, seminar.id, registration_body())
        assert response.status_code == 201
        validate_against(response.get_json(), "RegistrationCreated")


def test_validation_error_matches_the_openapi_schema(client, make_seminar):
    seminar = make_seminar()
    response = post_registration(client, seminar.id, registration_body(name="", email="a@"))
    assert response.status_code == 422
    validate_against(response.get_json(), "ValidationError")


# ---------------------------------------------------------------- refusals: 409 and 404


@pytest.mark.parametrize(
    "second",
    ["HANAKO@EXAMPLE.JP", "hanako@example.jp", "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ"],
    ids=["upper-case", "lower-case", "full-width"],
)
def test_same_address_again_is_409(client, make_seminar, db_session, second):
    seminar = make_seminar()
    first = post_registration(client, seminar.id, registration_body(email="Hanako@Example.jp"))
    assert first.status_code == 201
    again = post_registration(client, seminar.id, registration_body(email=second))
    assert again.status_code == 409
    assert again.get_json()["code"] == "already-registered"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"registration_closes_at": "past"}, "closed"),
        ({"registration_opens_at": "future"}, "not-open-yet"),
        ({"status": SeminarStatus.CANCELLED}, "cancelled"),
    ],
    ids=["closed", "not-open-yet", "cancelled"],
)
def test_closed_window_or_cancelled_seminar_is_409_with_code(client, make_seminar, overrides, code):
    now = utcnow()
    values = {
        key: {"past": now - timedelta(minutes=5), "future": now + timedelta(days=1)}.get(
            value, value
        )
        for key, value in overrides.items()
    }
    seminar = make_seminar(**values)
    response = post_registration(client, seminar.id, registration_body())
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == code and body["error"]


def test_draft_seminar_is_404(client, make_seminar):
    seminar = make_seminar(status=SeminarStatus.DRAFT)
    assert post_registration(client, seminar.id, registration_body()).status_code == 404


def test_unknown_seminar_is_404(client, db_session):
    assert post_registration(client, 999_999, registration_body()).status_code == 404


# ---------------------------------------------------------------- POST registration: 422

EMPTY_BODY = {
    "name": "",
    "name_kana": "",
    "email": "",
    "organization": "",
    "department": "",
    "job_title": "",
    "prefecture": "",
    "attribute": "",
    "employee_band": "",
    "industry": "",
    "question": "",
    "heard_from": "",
}


def assert_field_message(response, field: str) -> None:
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["fields"]
    assert field in fields, fields
    assert isinstance(fields[field], str) and fields[field].strip()


def test_every_field_empty_names_each_required_field(client, make_seminar):
    seminar = make_seminar()
    response = post_registration(client, seminar.id, EMPTY_BODY)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    required = {"name", "email", "prefecture", "attribute", "privacy_notice_agreed"}
    assert required <= set(fields), fields
    assert all(isinstance(fields[name], str) and fields[name] for name in required)


def test_the_reading_is_required_for_a_name_in_japanese_script(client, make_seminar):
    seminar = make_seminar()
    japanese = post_registration(client, seminar.id, {**EMPTY_BODY, "name": "山田 太郎"})
    assert "name_kana" in japanese.get_json()["fields"]
    latin = post_registration(client, seminar.id, {**EMPTY_BODY, "name": "John Smith"})
    assert "name_kana" not in latin.get_json()["fields"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "山田\ud800太郎"}, "name"),
        ({"organization": "株式会社\udfff"}, "organization"),
        ({"question": "質問です\ud83d"}, "question"),
    ],
    ids=["name", "organization", "question-multiline"],
)
def test_a_lone_surrogate_is_422_on_that_field_and_nothing_is_written(
    client, make_seminar, db_session, overrides, field
):
    """JSON can carry a lone surrogate (\\ud800); no database keeps one as text."""
    seminar = make_seminar()
    before = count_rows(db_session)
    answer = client.post(
        f"/api/v1/seminars/{seminar.id}/registrations",
        data=json.dumps(registration_body(**overrides)),  # ASCII JSON: \\ud800 as sent
        content_type="application/json",
    )
    assert_field_message(answer, field)
    assert count_rows(db_session) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "あ" * 101}, "name"),
        ({"name_kana": "あ" * 101}, "name_kana"),
        ({"organization": "株" * 201}, "organization"),
        ({"question": "質" * 2001}, "question"),
    ],
    ids=["name", "name_kana", "organization", "question"],
)
def test_too_long_value_is_422_on_that_field(client, make_seminar, overrides, field):
    seminar = make_seminar()
    assert_field_message(
        post_registration(client, seminar.id, registration_body(**overrides)), field
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": 12345}, "name"),
        ({"email": ["a@example.jp"]}, "email"),
        ({"prefecture": 13}, "prefecture"),
    ],
    ids=["name-number", "email-list", "prefecture-number"],
)
def test_wrong_type_is_422_on_that_field(client, make_seminar, overrides, field):
    seminar = make_seminar()
    assert_field_message(
        post_registration(client, seminar.id, registration_body(**overrides)), field
    )


def test_announcements_opt_in_not_a_boolean_is_422(client, make_seminar):
    seminar = make_seminar()
    response = post_registration(
        client, seminar.id, registration_body(announcements_opt_in="maybe")
    )
    assert_field_message(response, "announcements_opt_in")


@pytest.mark.parametrize(
    "agreed", [False, _MISSING, "true", 1, None], ids=["false", "missing", "string", "one", "null"]
)
def test_privacy_notice_must_be_agreed_with_true(client, make_seminar, agreed):
    seminar = make_seminar()
    response = post_registration(
        client, seminar.id, registration_body(privacy_notice_agreed=agreed)
    )
    assert_field_message(response, "privacy_notice_agreed")


def test_unknown_field_is_422(client, make_seminar):
    seminar = make_seminar()
    response = post_registration(client, seminar.id, registration_body(nickname="たろう"))
    assert_field_message(response, "nickname")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "山田 太郎\r\nBcc: victim@example.org"),
        ("name", "山田 太郎\nX-Injected: 1"),
        ("name", "山田\r太郎"),
        ("name_kana", "やまだ\nたろう"),
        ("organization", "株式会社テスト\r\nBcc: victim@example.org"),
    ],
    ids=["name-crlf", "name-lf", "name-cr", "kana-lf", "organization-crlf"],
)
def test_line_breaks_in_single_line_fields_are_422(client, make_seminar, field, value):
    seminar = make_seminar()
    response = post_registration(client, seminar.id, registration_body(**{field: value}))
    assert_field_message(response, field)


@pytest.mark.parametrize(
    "address",
    ["a@", "@b.jp", "a b@c.jp", "plainaddress", "a@@b.jp", "a@b.jp\r\nBcc: c@d.jp"],
)
def test_malformed_address_is_422(client, make_seminar, address):
    seminar = make_seminar()
    response = post_registration(client, seminar.id, registration_body(email=address))
    assert_field_message(response, "email")


def test_full_width_address_is_accepted_and_stored_normalised(client, make_seminar, db_session):
    seminar = make_seminar()
    response = post_registration(
        client, seminar.id, registration_body(email="ｔａｒｏ．ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｊｐ")
    )
    assert response.status_code == 201, response.get_json()
    registration = db_session.get(Registration, response.get_json()["id"])
    assert registration.email == "taro.yamada@example.jp"


@pytest.mark.parametrize(
    "overrides",
    [
        EMPTY_BODY,
        {"name": "あ" * 101},
        {"name": 12345},
        {"privacy_notice_agreed": False},
        {"nickname": "x"},
        {"name": "山田\r\nBcc: victim@example.org"},
        {"email": "a b@c.jp"},
    ],
    ids=["empty", "too-long", "wrong-type", "no-agreement", "unknown", "crlf", "bad-email"],
)
def test_rejected_registration_writes_nothing(client, make_seminar, db_session, overrides):
    seminar = make_seminar()
    before = count_rows(db_session)
    response = post_registration(client, seminar.id, registration_body(**overrides))
    assert response.status_code == 422
    db_session.expire_all()
    assert count_rows(db_session) == before


# ---------------------------------------------------------------- script and HTML in names


def test_markup_in_a_name_is_stored_as_text_and_escaped_on_the_manage_page(
    client, make_seminar, db_session
):
    seminar = make_seminar()
    name = '<script>alert("x")</script><b>山田</b>'
    response = post_registration(client, seminar.id, registration_body(name=name))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert db_session.get(Registration, body["id"]).name == name
    page = client.get(urlsplit(body["manage_url"]).path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>alert" not in html and "<b>山田</b>" not in html
    assert "&lt;script&gt;alert" in html


# ---------------------------------------------------------------- rate limit


def test_fourth_registration_in_a_minute_from_one_client_is_429(app, client, make_seminar):
    seminar = make_seminar(capacity=10)
    saved = app.config["REGISTRATION_RATE_LIMIT"]
    app.config["REGISTRATION_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [
            post_registration(client, seminar.id, registration_body()).status_code for _ in range(4)
        ]
    finally:
        app.config["REGISTRATION_RATE_LIMIT"] = saved
    assert [code == 429 for code in codes] == [False, False, False, True], codes


def test_ratelimit_disabled_lets_every_registration_through(app, make_seminar, db_session):
    seminar = make_seminar(capacity=10)
    db_session.commit()
    connection = db.engines[None]  # the test's connection: the fresh app sees its rows
    enabled_before = limiter.enabled
    fresh = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        RATELIMIT_ENABLED=False,
        REGISTRATION_RATE_LIMIT="1 per minute",
    )
    try:
        with fresh.app_context():
            engine = db.engines[None]
            db.engines[None] = connection
        codes = [
            post_registration(fresh.test_client(), seminar.id, registration_body()).status_code
            for _ in range(4)
        ]
    finally:
        # The limiter is one object for every app in the process: give it back its state.
        limiter.enabled = enabled_before
        engine.dispose()
    assert codes == [201, 201, 201, 201]


# ---------------------------------------------------------------- staff token


def test_users_token_prints_the_token_alone_on_the_last_line(app, make_user, db_session):
    user = make_user(Role.ORGANIZER)
    result = app.test_cli_runner().invoke(args=["users", "token", user.email])
    assert result.exit_code == 0, result.output
    last = result.output.rstrip("\n").splitlines()[-1]
    assert last == last.strip() and " " not in last and last.startswith("sat_")
    assert len(last) >= 30


def test_organizer_token_creates_a_seminar(client, organizer_token):
    response = client.post("/api/v1/seminars", json=seminar_body(), headers=bearer(organizer_token))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["title"] == "営業秘密・知財戦略セミナー（API）"
    assert body["meeting_url"] == "https://meet.example.org/j/api-1"


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_a_moment_past_the_calendars_ends_is_refused_not_a_500(
    client, organizer_token, db_session, field, moment
):
    """Valid ISO 8601, but outside the calendar once told in UTC: a 422 naming the field."""
    before = db_session.scalar(select(func.count()).select_from(Seminar))
    response = client.post(
        "/api/v1/seminars", json=seminar_body(**{field: moment}), headers=bearer(organizer_token)
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["fields"], response.get_json()
    assert db_session.scalar(select(func.count()).select_from(Seminar)) == before


def test_created_seminar_has_the_seminar_fields_and_meeting_url(client, organizer_token):
    response = client.post("/api/v1/seminars", json=seminar_body(), headers=bearer(organizer_token))
    assert response.status_code == 201
    body = response.get_json()
    assert body["meeting_url"] == "https://meet.example.org/j/api-1"
    public = {key: value for key, value in body.items() if key in SEMINAR_SCHEMA["properties"]}
    validate_against(public, "Seminar")


def test_created_seminar_matches_the_staff_seminar_schema(client, organizer_token):
    response = client.post("/api/v1/seminars", json=seminar_body(), headers=bearer(organizer_token))
    assert response.status_code == 201
    validate_against(response.get_json(), "StaffSeminar")


def test_organizer_token_changes_a_seminar(client, organizer_token, make_seminar, db_session):
    seminar = make_seminar()
    response = client.patch(
        f"/api/v1/seminars/{seminar.id}",
        json={"title": "新しい題名", "capacity": 80},
        headers=bearer(organizer_token),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["id"], body["title"], body["capacity"]) == (seminar.id, "新しい題名", 80)
    db_session.expire_all()
    assert (seminar.title, seminar.capacity) == ("新しい題名", 80)


def test_organizer_token_lists_the_registrations(client, organizer_token, make_seminar, db_session):
    seminar = make_seminar(capacity=1)
    first = register(db_session, seminar)
    second = register(db_session, seminar)
    response = client.get(
        f"/api/v1/seminars/{seminar.id}/registrations", headers=bearer(organizer_token)
    )
    assert response.status_code == 200, response.get_json()
    rows = response.get_json()["registrations"]
    for row in rows:
        validate_against(row, "RegistrationRow")
    assert [(r["id"], r["email"], r["status"], r["waitlist_position"]) for r in rows] == [
        (first.id, first.email, "confirmed", None),
        (second.id, second.email, "waitlisted", 1),
    ]


STAFF_CALLS = [
    ("post", "/api/v1/seminars"),
    ("patch", "/api/v1/seminars/{id}"),
    ("get", "/api/v1/seminars/{id}/registrations"),
]


def staff_call(client, make_seminar, method: str, path: str, headers: dict):
    seminar = make_seminar()
    json = {"post": seminar_body(), "patch": {"title": "変更"}}.get(method)
    return getattr(client, method)(path.format(id=seminar.id), json=json, headers=headers)


@pytest.mark.parametrize(("method", "path"), STAFF_CALLS)
def test_staff_call_without_token_is_401_with_www_authenticate(client, make_seminar, method, path):
    response = staff_call(client, make_seminar, method, path, {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    ["Bearer sat_not-a-real-token-000000000000000000", "Bearer ", "Basic dXNlcjpwYXNz", "sat_x"],
)
@pytest.mark.parametrize(("method", "path"), STAFF_CALLS)
def test_staff_call_with_wrong_token_is_401(client, make_seminar, method, path, header):
    response = staff_call(client, make_seminar, method, path, {"Authorization": header})
    assert response.status_code == 401


@pytest.mark.parametrize(("method", "path"), STAFF_CALLS)
def test_staff_call_with_lecturer_token_is_403(app, client, make_seminar, make_user, method, path):
    token = issue_token(app, make_user(Role.LECTURER))
    response = staff_call(client, make_seminar, method, path, bearer(token))
    assert response.status_code == 403


def test_revoked_token_is_401(app, client, make_user, db_session):
    user = make_user(Role.ORGANIZER)
    token = issue_token(app, user)
    assert (
        client.post("/api/v1/seminars", json=seminar_body(), headers=bearer(token)).status_code
        == 201
    )
    result = app.test_cli_runner().invoke(args=["users", "revoke-tokens", user.email])
    assert result.exit_code == 0, result.output
    response = client.post("/api/v1/seminars", json=seminar_body(), headers=bearer(token))
    assert response.status_code == 401


def test_token_is_stored_hashed(app, make_user, db_session):
    token = issue_token(app, make_user(Role.ORGANIZER))
    rows = db_session.scalars(select(ApiToken)).all()
    assert rows
    for row in rows:
        values = [str(getattr(row, column.key)) for column in ApiToken.__table__.columns]
        assert not any(token in value or token[4:] in value for value in values)


# ---------------------------------------------------------------- POST seminar validation


def post_seminar(client, token, body):
    return client.post("/api/v1/seminars", json=body, headers=bearer(token))


def test_missing_required_seminar_fields_are_named(client, organizer_token):
    response = post_seminar(client, organizer_token, {})
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    required = {"title", "series", "host_type", "delivery", "starts_at", "ends_at", "capacity"}
    assert required <= set(fields), fields


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
def test_naive_datetime_is_422_on_that_field(client, organizer_token, field):
    naive = (utcnow() + timedelta(days=30, hours=1)).replace(tzinfo=None, microsecond=0)
    response = post_seminar(client, organizer_token, seminar_body(**{field: naive.isoformat()}))
    assert_field_message(response, field)


def test_seminar_ending_before_it_starts_is_422(client, organizer_token):
    body = seminar_body()
    body["starts_at"], body["ends_at"] = body["ends_at"], body["starts_at"]
    assert_field_message(post_seminar(client, organizer_token, body), "ends_at")


def test_online_seminar_without_meeting_url_is_422(client, organizer_token):
    response = post_seminar(client, organizer_token, seminar_body(meeting_url=_MISSING))
    assert_field_message(response, "meeting_url")


def test_seminar_validation_error_matches_the_openapi_schema(client, organizer_token):
    response = post_seminar(client, organizer_token, {})
    assert response.status_code == 422
    validate_against(response.get_json(), "ValidationError")


# ---------------------------------------------------------------- PATCH: mails and promotion


def test_new_start_time_queues_an_update_with_a_higher_sequence(
    client, organizer_token, make_seminar, db_session
):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    (confirmation,) = outbox_for(db_session, registration.id, "registration.confirmed")
    response = client.patch(
        f"/api/v1/seminars/{seminar.id}",
        json={"starts_at": iso_jst(seminar.starts_at + timedelta(hours=1))},
        headers=bearer(organizer_token),
    )
    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    (change,) = outbox_for(db_session, registration.id, "seminar.changed")
    assert change.payload["sequence"] > confirmation.payload["sequence"]


def test_cancelling_through_the_api_queues_cancellations(
    client, organizer_token, make_seminar, db_session
):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    response = client.patch(
        f"/api/v1/seminars/{seminar.id}",
        json={"status": "cancelled"},
        headers=bearer(organizer_token),
    )
    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    assert len(outbox_for(db_session, registration.id, "seminar.cancelled")) == 1


def test_raising_capacity_through_the_api_promotes_the_waitlisted(
    client, organizer_token, make_seminar, db_session
):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    waiting = register(db_session, seminar)
    assert waiting.status == "waitlisted"
    response = client.patch(
        f"/api/v1/seminars/{seminar.id}", json={"capacity": 2}, headers=bearer(organizer_token)
    )
    assert response.status_code == 200, response.get_json()
    db_session.expire_all()
    assert db_session.get(Registration, waiting.id).status == "confirmed"


# ---------------------------------------------------------------- OpenAPI document


def test_openapi_document_still_validates(client):
    validate_openapi(client.get("/api/v1/openapi.json").get_json())


def test_openapi_lists_the_registration_and_staff_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/seminars"])
    assert {"get", "patch"} <= set(paths["/api/v1/seminars/{seminar_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/seminars/{seminar_id}/registrations"])


def test_openapi_staff_operations_declare_security(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    staff = [
        paths["/api/v1/seminars"]["post"],
        paths["/api/v1/seminars/{seminar_id}"]["patch"],
        paths["/api/v1/seminars/{seminar_id}/registrations"]["get"],
    ]
    schemes = set(document["components"]["securitySchemes"])
    for operation in staff:
        assert operation["security"], operation["operationId"]
        assert {name for item in operation["security"] for name in item} <= schemes
    assert "security" not in paths["/api/v1/seminars/{seminar_id}/registrations"]["post"]
