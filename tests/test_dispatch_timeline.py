"""A company's lecturer-dispatch requests and their seminars on its timeline at the
consultation desk (issue 18, item 5), beside its consultations: in the history service, on
the client's page and in the API's client."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import jsonschema
import pytest

from seminar_app.api.openapi import standalone_schema
from seminar_app.api.schemas import ClientDetailSchema
from seminar_app.consultations.models import Client
from seminar_app.consultations.services import client_history
from seminar_app.dispatch import services
from seminar_app.domain import DispatchState, Role
from seminar_app.timeutil import JST, utcnow
from tests.conftest import login
from tests.dispatch_helpers import CORPORATE_NUMBER, submit
from tests.test_api_consultations import call, record
from tests.test_dispatch_figures import delivered, receive, schedule
from tests.test_registration_api import issue_token

COMPANY = "株式会社タイムライン精機"


def jst(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=JST)


@pytest.fixture
def advisor(make_user):
    return make_user(Role.ADVISOR)


@pytest.fixture
def lecturer(make_user):
    return make_user(Role.LECTURER, display_name="派遣 講師")


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)


@pytest.fixture
def client_with_a_dispatch(db_session, advisor, lecturer, organizer):
    """A client with a consultation on 2026-05-10 and a request received on 2026-05-01
    (Tokyo), whose on-site seminar on 2026-06-01 was delivered to 18 people."""
    consultation = record(db_session, advisor, organization=COMPANY, held_on=date(2026, 5, 10))
    request = receive(db_session, jst(5, 1, hour=8), organization=COMPANY)
    schedule(db_session, request, lecturer, jst(6, 1))
    delivered(db_session, request, 18, organizer)
    return consultation.client, request


def test_the_request_and_its_seminar_stand_beside_the_consultations(
    db_session, client_with_a_dispatch
):
    client, request = client_with_a_dispatch
    entries, _highest = client_history(db_session, client)
    assert [(entry.day, entry.kind) for entry in entries] == [
        (date(2026, 5, 1), "dispatch"),
        (date(2026, 5, 10), "consultation"),
        (date(2026, 6, 1), "dispatch-seminar"),
    ]
    received, _consultation, held = entries
    assert received.dispatch.request_id == request.id
    assert received.dispatch.state == DispatchState.DELIVERED
    assert held.seminar.id == request.seminar_id and held.dispatch == received.dispatch


def test_a_request_is_dated_by_its_receipt_in_tokyo_time(db_session, advisor):
    client = record(db_session, advisor, organization=COMPANY).client
    # 2026-05-01 00:30 in Tokyo is still 30 April in UTC.
    receive(db_session, jst(5, 1, hour=0).replace(minute=30), organization=COMPANY)
    (entry,) = [e for e in client_history(db_session, client)[0] if e.kind == "dispatch"]
    assert entry.day == date(2026, 5, 1)


def test_a_request_not_scheduled_yet_is_found_by_the_name_or_the_number(db_session, advisor):
    client = record(
        db_session, advisor, organization=COMPANY, corporate_number=CORPORATE_NUMBER
    ).client
    by_name = submit(db_session, organization="（株）タイムライン精機")
    by_number = submit(db_session, organization="旧商号の会社", corporate_number=CORPORATE_NUMBER)
    other = submit(db_session, organization="株式会社ほかの会社")
    found = {
        entry.dispatch.request_id
        for entry in client_history(db_session, client)[0]
        if entry.kind == "dispatch"
    }
    assert found == {by_name.id, by_number.id}
    assert other.id not in found


def test_a_request_linked_to_another_client_is_not_on_this_timeline(db_session, advisor, lecturer):
    client = record(db_session, advisor, organization=COMPANY).client
    request = submit(db_session, organization=COMPANY)
    schedule(db_session, request, lecturer, utcnow() + timedelta(days=20))
    # Linked by scheduling to the client; moved to another by hand, it leaves this timeline.
    elsewhere = Client(name="別の会社", name_key="別の会社")
    db_session.add(elsewhere)
    db_session.flush()
    request.client_id = elsewhere.id
    db_session.commit()
    assert [e for e in client_history(db_session, client)[0] if e.dispatch] == []


def test_a_withdrawn_request_stays_and_its_cancelled_seminar_leaves(db_session, advisor, lecturer):
    client = record(db_session, advisor, organization=COMPANY).client
    request = submit(db_session, organization=COMPANY)
    schedule(db_session, request, lecturer, utcnow() + timedelta(days=20))
    services.withdraw_by_contact(db_session, request, now=utcnow())
    db_session.commit()
    kinds = [
        (entry.kind, entry.dispatch.state)
        for entry in client_history(db_session, client)[0]
        if entry.dispatch
    ]
    assert kinds == [("dispatch", DispatchState.WITHDRAWN)]


def test_the_clients_page_shows_the_request_and_its_seminar(
    app, db_session, client_with_a_dispatch, organizer, advisor
):
    client, request = client_with_a_dispatch
    page = f"/console/consultations/clients/{client.id}"
    browser = app.test_client()
    login(browser, organizer)
    html = browser.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'data-dispatch-request="{request.id}"' in html
    assert f'data-dispatch-seminar="{request.seminar_id}"' in html
    assert f'href="/console/dispatch/{request.id}"' in html  # organizers open the request
    assert "18 people attended" in html and "派遣 講師" in html
    assert request.seminar.title in html

    desk = app.test_client()
    login(desk, advisor)
    html = desk.get(page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    # An advisor reads where it stands; the request's page is the organizers'.
    assert f'data-dispatch-request="{request.id}"' in html and "Delivered" in html
    assert f'href="/console/dispatch/{request.id}"' not in html


def test_the_api_client_carries_the_request_and_its_seminar(
    app, client, db_session, client_with_a_dispatch, advisor
):
    desk_client, request = client_with_a_dispatch
    answer = call(client, "GET", f"/clients/{desk_client.id}", issue_token(app, advisor))
    assert answer.status_code == 200
    shown = answer.get_json()
    jsonschema.Draft202012Validator(standalone_schema(ClientDetailSchema)).validate(shown)
    history = shown["history"]
    assert [entry["kind"] for entry in history] == [
        "dispatch",
        "consultation",
        "dispatch-seminar",
    ]
    assert history[0]["dispatch"] == {"id": request.id, "state": "delivered"}
    assert (history[0]["seminar"], history[0]["people"]) == (None, None)
    assert history[2]["seminar"]["id"] == request.seminar_id
    assert history[2]["seminar"]["host_type"] == "in-company"
    assert history[2]["people"] == 18  # the head-count recorded at delivery
    assert history[1]["dispatch"] is None
