"""The JSON API fuzzed from its own OpenAPI document with schemathesis.

Every operation of /api/v1/openapi.json gets generated requests (schema-valid and
schema-violating ones; once with an organizer's bearer token, once without) and every answer
must pass schemathesis' default checks: no 5xx, a documented status code, content type and
headers, a body matching the documented schema, schema-violating input refused, schema-valid
input not refused (except with 422 for the rules a schema cannot state: a start in the
future, a kana reading, a deliverable address), 405 with `Allow` for undocumented methods,
and the bearer token enforced.

The fuzz runs on SQLite only, on an app and database of its own (module scope): the document
is the same on both backends and the ordinary API tests cover PostgreSQL. Rate limits are off
for this app so that a burst of generated registrations does not end in 429s (the 429 answer
is tested in test_registration_api.py). Generation is derandomized with a fixed seed, so a
run is reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import hypothesis
import pytest
import schemathesis
from flask import Flask
from flask_migrate import upgrade
from hypothesis import HealthCheck

from seminar_app.api.openapi import openapi_document
from seminar_app.auth.models import User
from seminar_app.auth.services import issue_api_token
from seminar_app.domain import Admission, Role
from seminar_app.extensions import db, limiter
from seminar_app.timeutil import utcnow
from tests.conftest import TEST_SETTINGS, fresh_database_url, make_app
from tests.registration_helpers import add_open_seminar, details_data

BASE_URL = TEST_SETTINGS["BASE_URL"]
SEED = 20260401
#: Per operation and phase (fuzzing); the coverage phase adds its boundary cases.
MAX_EXAMPLES = 40
#: Schema-valid input may still break a rule the schema cannot express; the API answers 422.
ACCEPTED_FOR_VALID_INPUT = ["2xx", "401", "403", "404", "409", "422"]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
        # The document declares no links: nothing for the stateful phase.
        "phases": {"stateful": {"enabled": False}},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_FOR_VALID_INPUT}},
        "operations": [
            {
                # This endpoint answers an invalid field with 400 (documented), not 422.
                "include-operation-id": "sendAnnouncement",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [*ACCEPTED_FOR_VALID_INPUT, "400"]
                    }
                },
            }
        ],
    }
)


class LateApp:
    """The WSGI app schemathesis sends to, bound to the module's fuzz app once that exists.

    The schema is needed when the tests are collected, the app only when they run; checks that
    send a request of their own (ignored_auth, unsupported_method) take the schema's app.
    """

    target: Flask | None = None

    def __call__(self, environ, start_response):
        assert self.target is not None, "the `fuzz` fixture binds the app"
        return self.target(environ, start_response)


FUZZ_APP = LateApp()
#: The document the app serves (test_the_served_document_is_the_fuzzed_one keeps them equal).
schema = schemathesis.openapi.from_dict(openapi_document(BASE_URL), config=CONFIG)
schema.app = FUZZ_APP

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Fuzz:
    app: Flask
    token: str
    seminars: dict[str, int]


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory) -> Iterator[Fuzz]:
    """A migrated SQLite database with seminars and an organizer's token; rate limits off."""
    url = fresh_database_url("sqlite", tmp_path_factory.mktemp("fuzz"), "seminar_fuzz")
    enabled_before = limiter.enabled
    app = make_app(url, RATELIMIT_ENABLED=False)
    with app.app_context():
        upgrade()
        session = db.session
        seminars = {
            "open": add_open_seminar(session, slug="fuzz-open", capacity=10_000),
            "small": add_open_seminar(session, slug="fuzz-small", capacity=1),
            "lottery": add_open_seminar(
                session,
                slug="fuzz-lottery",
                capacity=5,
                admission=Admission.LOTTERY,
                registration_closes_at=utcnow() + timedelta(days=5),
            ),
            "past": add_open_seminar(
                session, slug="fuzz-past", capacity=30, starts_in=timedelta(days=-30)
            ),
        }
        organizer = User(email="fuzz-organizer@example.org", display_name="職員 ファズ")
        organizer.roles = {Role.ORGANIZER}
        session.add(organizer)
        session.flush()
        token = issue_api_token(session, organizer)
        session.commit()
        ids = {name: seminar.id for name, seminar in seminars.items()}
    FUZZ_APP.target = app
    try:
        yield Fuzz(app, token, ids)
    finally:
        FUZZ_APP.target = None
        # The limiter is one object for every app in the process: give it back its state.
        limiter.enabled = enabled_before
        with app.app_context():
            db.engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@FUZZ_SETTINGS
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "anonymous"])
def test_api_conforms_to_its_document(case, fuzz, with_token):
    # Without our token the generated Authorization headers (or none) must get a documented 401.
    case.call_and_validate(headers=bearer(fuzz.token) if with_token else None)


REGISTER = schema["/api/v1/seminars/{seminar_id}/registrations"]["POST"]


def register(seminar_id: int, **overrides):
    body = {**details_data(), "privacy_notice_agreed": True, "locale": "ja", **overrides}
    case = REGISTER.Case(path_parameters={"seminar_id": seminar_id}, body=body)
    response = case.call_and_validate()
    return response.status_code, response.json()


def test_valid_registrations_answer_as_documented(fuzz):
    """Generated bodies rarely pass the rules; these do, so 201 and its schema are checked.

    The seminars are made here: the fuzz may have changed or cancelled the fixture's ones.
    """
    with fuzz.app.app_context():
        small = add_open_seminar(db.session, slug="valid-small", capacity=1).id
        lottery = add_open_seminar(
            db.session,
            slug="valid-lottery",
            capacity=5,
            admission=Admission.LOTTERY,
            registration_closes_at=utcnow() + timedelta(days=5),
        ).id
        past = add_open_seminar(
            db.session, slug="valid-past", capacity=5, starts_in=timedelta(days=-30)
        ).id

    status, answer = register(small)
    assert (status, answer["status"], answer["waitlist_position"]) == (201, "confirmed", None)
    status, answer = register(
        small, attribute="individual", organization=None, employee_band=None, locale="en"
    )
    assert (status, answer["status"], answer["waitlist_position"]) == (201, "waitlisted", 1)
    status, answer = register(lottery)
    assert (status, answer["status"]) == (201, "applied")
    status, answer = register(past)
    assert status == 409, answer


def test_the_served_document_is_the_fuzzed_one(fuzz):
    response = fuzz.app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == openapi_document(BASE_URL)


def desk_call(fuzz, method: str, path: str, *, body=None, query=None, **path_parameters):
    """One request to the desk, checked against the document like the fuzz's."""
    case = schema[f"/api/v1{path}"][method].Case(
        path_parameters=path_parameters or None,
        query=query,
        **({} if body is None else {"body": body}),
    )
    response = case.call_and_validate(headers=bearer(fuzz.token))
    return response.status_code, response.json()


def test_the_desks_answers_are_as_documented(fuzz):
    """Generated bodies seldom make a consultation (a date in 2000–2100, a real name): this
    one does, so every answer of the desk is checked against its schema."""
    status, made = desk_call(
        fuzz,
        "POST",
        "/consultations",
        body={
            "held_on": utcnow().date().isoformat(),
            "channel": "online",
            "attribute": "sme",
            "topics": ["contracts"],
            "source": "direct",
            "organization": "ファズ商事株式会社",
            "notes": "秘密",
        },
    )
    assert status == 201, made
    status, changed = desk_call(
        fuzz,
        "PATCH",
        "/consultations/{consultation_id}",
        body={"step": 3},
        consultation_id=made["id"],
    )
    assert (status, changed["step"]) == (200, 3)
    status, shown = desk_call(
        fuzz, "GET", "/consultations/{consultation_id}", consultation_id=made["id"]
    )
    assert (status, shown["notes"]) == (200, "秘密")
    client_id = made["client"]["id"]
    status, page = desk_call(fuzz, "GET", "/consultations", query={"client_id": client_id})
    assert status == 200 and [row["id"] for row in page["consultations"]] == [made["id"]]
    status, clients = desk_call(fuzz, "GET", "/clients", query={"q": "ファズ"})
    assert status == 200 and clients["total"] == 1
    status, history = desk_call(fuzz, "GET", "/clients/{client_id}", client_id=client_id)
    assert status == 200 and history["history"][0]["consultation"]["id"] == made["id"]
