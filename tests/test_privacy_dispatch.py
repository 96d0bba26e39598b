"""Privacy for lecturer dispatch: a company contact's requests in a person's disclosure
(開示), their erasure on request (削除) refused while a request is open, the yearly purge of
past fiscal years with the dispatch figures unchanged, and the privacy notice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.dispatch import services as dispatch
from seminar_app.dispatch.figures import dispatch_figures
from seminar_app.dispatch.models import DispatchRequest, DispatchStateChange
from seminar_app.dispatch.timeline import dispatch_entries
from seminar_app.domain import OutboxStatus, Role
from seminar_app.notifications.models import OutboxMessage
from seminar_app.privacy import services as privacy
from seminar_app.reports.services import fiscal_year_figures
from seminar_app.timeutil import JST, fiscal_year_of, utcnow
from tests.conftest import post_form
from tests.dispatch_helpers import submit
from tests.registration_helpers import register
from tests.test_dispatch_figures import decide, delivered, jst, receive, schedule

#: The purge runs "in June 2026" (FY2026): FY2024 and before may be purged.
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
LAST_SECOND_FY2024 = datetime(2025, 3, 31, 23, 59, 59, tzinfo=JST).astimezone(UTC)
FIRST_SECOND_FY2025 = datetime(2025, 4, 1, 0, 0, tzinfo=JST).astimezone(UTC)
#: The contact's fields and the free texts that anonymising removes.
CONTACT = ("contact_name", "contact_email", "contact_email_key", "contact_phone")
FREE_TEXT = ("theme_note", "audience", "place", "delivery_report")
#: What stays: the company and what the figures and the client's history are made of.
KEPT = ("organization", "corporate_number", "address", "prefecture", "attribute")
KEPT += ("employee_band", "industry", "state", "seminar_id", "client_id", "audience_size")
KEPT += ("delivery", "delivered_minutes", "privacy_notice_version", "privacy_agreed_at")


def contact(name: str, number: int, **overrides) -> dict:
    """A request's form values with the contact and free texts marked by `name`."""
    values = {
        "contact_name": f"派遣 {name}",
        "contact_email": f"{name}@Example.jp",
        "contact_phone": f"03-5555-{number:04d}",
        "theme_note": f"{name}さんの相談メモ",
        "audience": f"{name}さんの開発部門",
        "place": f"{name}さんの会議室",
        "prefecture": f"{10 + number:02d}",
    }
    values.update(overrides)
    return values


def fields(request: DispatchRequest, names: tuple[str, ...]) -> dict:
    return {name: getattr(request, name) for name in names}


def history(request: DispatchRequest) -> list[tuple]:
    return [(c.from_state, c.to_state, c.at, c.actor_label) for c in request.changes]


def all_figures(db_session, years=range(2023, 2027)) -> dict:
    """The dispatch figures (with their breakdowns) and the report's, of each year."""
    db_session.expire_all()
    return {
        fy: (dispatch_figures(db_session, fy), fiscal_year_figures(db_session, fy, NOW))
        for fy in years
    }


def dispatch_text(db_session) -> str:
    """Every request, history entry, stored mail and seminar description, as one text."""
    db_session.expire_all()
    parts = []
    for model in (DispatchRequest, DispatchStateChange, OutboxMessage):
        for row in db_session.scalars(select(model)):
            parts.append(repr({k: v for k, v in vars(row).items() if not k.startswith("_")}))
    for request in db_session.scalars(select(DispatchRequest)):
        if request.seminar is not None:
            parts.append(request.seminar.description)
    return "\n".join(parts)


def events(db_session, action: str) -> list[AuditEvent]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def assert_no_address(found: list[AuditEvent], address: str) -> None:
    assert found
    for event in found:
        assert address not in json.dumps(event.details, ensure_ascii=False).lower()
        assert address not in event.subject_id.lower()


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)


@pytest.fixture
def lecturer(make_user):
    return make_user(Role.LECTURER, Role.ADVISOR, display_name="派遣 講師")


@pytest.fixture
def console(organizer_client):
    """An organizer reading the console in English (the messages the tests look for)."""
    organizer_client.get("/language/en")
    return organizer_client


# --- 3. the yearly purge ----------------------------------------------------------------------


@pytest.fixture
def years(db_session, lecturer, organizer):
    """Requests of FY2024 (to purge) and FY2025 (to keep), each a way a request ends."""
    requests = {}
    # Received, scheduled and delivered in FY2024, with a report naming the contact.
    requests["delivered"] = receive(db_session, jst(5, 1, year=2024), **contact("delivered", 1))
    schedule(db_session, requests["delivered"], lecturer, jst(7, 10, 14, year=2024))
    delivered(db_session, requests["delivered"], 25, organizer)
    requests["delivered"].delivery_report = "delivered さんが司会。次回も依頼したいとのこと。"
    # Received in FY2024, declined in FY2025 without a seminar: its receipt's year counts.
    requests["declined"] = receive(db_session, jst(10, 1, year=2024), **contact("declined", 2))
    decide(db_session, requests["declined"], "declined", jst(4, 5, year=2025), organizer)
    # Scheduled for FY2024, then withdrawn: the seminar (cancelled) is of FY2024.
    requests["withdrawn"] = receive(db_session, jst(6, 1, year=2024), **contact("withdrawn", 3))
    schedule(db_session, requests["withdrawn"], lecturer, jst(9, 10, 14, year=2024))
    decide(db_session, requests["withdrawn"], "withdrawn", jst(9, 1, year=2024), organizer)
    # Received in the last second of FY2024 and never answered: past retention all the same.
    requests["last"] = receive(db_session, LAST_SECOND_FY2024, **contact("last", 4))
    # Received in the first second of FY2025: kept.
    requests["first"] = receive(db_session, FIRST_SECOND_FY2025, **contact("first", 5))
    # Received in FY2024 for a seminar in FY2025: the seminar's year counts, kept.
    requests["spans"] = receive(db_session, jst(3, 1, year=2025), **contact("spans", 6))
    schedule(db_session, requests["spans"], lecturer, jst(4, 20, 14, year=2025))
    # Mail of those years has long been sent, except a staff member's CANCEL still waiting.
    for message in db_session.scalars(select(OutboxMessage)):
        if message.payload.get("method") != "CANCEL":
            message.status, message.sent_at = OutboxStatus.SENT, message.created_at
    db_session.commit()
    return requests


PURGED = ("delivered", "declined", "withdrawn", "last")
KEPT_REQUESTS = ("first", "spans")


def test_purge_anonymises_past_years_only_and_keeps_the_dispatch_figures(db_session, years, client):
    before = all_figures(db_session)
    # The figures are not trivially empty: a purge that broke them would show.
    fy2024, fy2025 = before[2024][0], before[2025][0]
    assert (fy2024.received, fy2024.scheduled, fy2024.delivered, fy2024.withdrawn) == (5, 1, 1, 1)
    assert (fy2025.received, fy2025.scheduled, fy2025.declined) == (1, 1, 1)
    kept = {key: fields(years[key], CONTACT + FREE_TEXT) for key in KEPT_REQUESTS}
    stays = {key: fields(request, KEPT) for key, request in years.items()}
    histories = {key: history(request) for key, request in years.items()}
    old_link = years["delivered"].token
    purged_ids = {years[key].id for key in PURGED}
    mails_about_them = [
        m
        for m in db_session.scalars(select(OutboxMessage))
        if m.payload.get("request_id") in purged_ids
    ]
    assert client.get(f"/dispatch/r/{old_link}").status_code == 200
    assert years["delivered"].seminar.description == "deliveredさんの相談メモ"

    result = privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()

    assert all_figures(db_session) == before
    assert result.dispatch_requests == 4
    assert sorted(result.dispatch_request_ids) == sorted(years[key].id for key in PURGED)
    for key in PURGED:
        request = years[key]
        placeholder = f"purged-dispatch-{request.id}"
        assert request.contact_email == request.contact_email_key == placeholder
        assert request.contact_name == privacy.PLACEHOLDER_NAME
        assert request.contact_phone == request.audience == privacy.PLACEHOLDER_TEXT
        assert request.theme_note is None and request.place is None
        assert request.delivery_report is None
        assert {change.reason for change in request.changes} <= {None, privacy.PLACEHOLDER_TEXT}
    # The company, the states and dates, the seminar and the client link stay.
    assert {key: fields(request, KEPT) for key, request in years.items()} == stays
    assert {key: history(request) for key, request in years.items()} == histories
    assert years["delivered"].client_id is not None
    assert years["delivered"].seminar.description == ""
    # FY2025's requests are untouched.
    assert {key: fields(years[key], CONTACT + FREE_TEXT) for key in KEPT_REQUESTS} == kept
    assert years["spans"].seminar.description == "spansさんの相談メモ"
    text = dispatch_text(db_session)
    for number, key in enumerate(PURGED, 1):
        for secret in (f"派遣 {key}", f"{key}@example.jp", f"{key}さん", f"03-5555-{number:04d}"):
            assert secret not in text.lower(), secret
    for key in KEPT_REQUESTS:
        assert f"{key}@example.jp" in text.lower() and f"{key}さんの相談メモ" in text
    # The staff member's CANCEL still to be sent stays; the other mails about them go.
    mails = list(db_session.scalars(select(OutboxMessage)))
    about_purged = [m for m in mails if m.payload.get("request_id") in result.dispatch_request_ids]
    assert [(m.kind, m.payload["method"]) for m in about_purged] == [
        ("dispatch.assignment", "CANCEL")
    ]
    assert about_purged[0].status == OutboxStatus.PENDING
    assert result.outbox_messages == len(mails_about_them) - 1
    # The contact's old link opens nothing.
    assert client.get(f"/dispatch/r/{old_link}").status_code == 404
    purged = events(db_session, "privacy.purged")
    assert len(purged) == 1 and purged[0].details["dispatch_requests"] == 4


def test_second_purge_changes_nothing(db_session, years):
    privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()
    snapshot, figures = dispatch_text(db_session), all_figures(db_session)
    again = privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()
    assert again.counts() == dict.fromkeys(again.counts(), 0) and not again.changed
    assert dispatch_text(db_session) == snapshot and all_figures(db_session) == figures
    assert len(events(db_session, "privacy.purged")) == 1


def test_purge_in_batches(db_session, years, monkeypatch):
    monkeypatch.setattr(privacy, "BATCH_SIZE", 2)
    before = all_figures(db_session)
    result = privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()
    assert result.dispatch_requests == 4 and len(set(result.dispatch_request_ids)) == 4
    assert all_figures(db_session) == before


def test_preview_changes_nothing(db_session, years):
    snapshot = dispatch_text(db_session)
    preview = privacy.preview_purge(db_session, 2025, NOW)
    assert preview.dispatch_requests == 4
    assert dispatch_text(db_session) == snapshot


def test_cli_counts_the_dispatch_requests(app, db_session, years):
    runner = app.test_cli_runner()
    args = ["privacy", "purge", "--before-fiscal-year", "2025"]
    declined = runner.invoke(args=args, input="n\n")
    assert declined.exit_code != 0
    assert "4  lecturer-dispatch requests anonymised" in declined.output
    db_session.expire_all()
    assert years["delivered"].contact_name == "派遣 delivered"
    done = runner.invoke(args=[*args, "--yes"])
    assert done.exit_code == 0, done.output
    db_session.expire_all()
    assert years["delivered"].contact_name == privacy.PLACEHOLDER_NAME
    assert "Nothing to purge." in runner.invoke(args=[*args, "--yes"]).output


# --- 1. disclosure ----------------------------------------------------------------------------


@pytest.fixture
def hanako(db_session, lecturer, organizer):
    """A contact (two requests: one delivered with its seminar, one declined) and
    someone else's request."""
    past = utcnow() - timedelta(days=60)
    done = receive(db_session, past, **contact("hanako", 1, contact_email="Hanako@Example.jp"))
    schedule(db_session, done, lecturer, utcnow() - timedelta(days=30))
    delivered(db_session, done, 18, organizer)
    refused = submit(db_session, **contact("hanako", 2, contact_email="ＨＡＮＡＫＯ@example.jp"))
    decide(db_session, refused, "declined", utcnow(), organizer)
    other = submit(db_session, **contact("taro", 3))
    return {"done": done, "refused": refused, "other": other}


def test_holdings_list_the_contacts_requests(db_session, hanako):
    held = privacy.holdings(db_session, "hanako@example.jp")
    assert [request.id for request in held["dispatch_requests"]] == [
        hanako["refused"].id,
        hanako["done"].id,
    ]
    assert not privacy.is_empty(held)
    assert privacy.holdings(db_session, "nobody@example.jp")["dispatch_requests"] == []


def test_export_contains_the_request_with_what_is_held(db_session, hanako):
    held = privacy.holdings(db_session, "hanako@example.jp")
    data = json.loads(json.dumps(privacy.export_data(held, utcnow()), ensure_ascii=False))
    exported = {row["contact_phone"]: row for row in data["dispatch_requests"]}
    done = exported["03-5555-0001"]
    assert done["organization"] == hanako["done"].organization
    assert done["contact_name"] == "派遣 hanako" and done["contact_email"] == "Hanako@example.jp"
    assert done["state"] == "delivered" and done["theme_note"] == "hanakoさんの相談メモ"
    assert done["audience"] == "hanakoさんの開発部門" and done["place"] == "hanakoさんの会議室"
    assert done["seminar"]["starts_at"].startswith(
        hanako["done"].seminar.starts_at.astimezone(JST).isoformat()[:16]
    )
    assert done["received_at"] is not None and done["privacy_notice_version"] == "2026-04"
    refused = exported["03-5555-0002"]
    assert refused["seminar"] is None and refused["state"] == "declined"
    assert [entry["to_state"] for entry in refused["history"]] == ["received", "declined"]
    assert refused["history"][-1]["reason"] == "日程が合わず"
    assert "03-5555-0003" not in exported


def test_search_by_a_contacts_address_shows_the_requests_and_is_audited(
    console, db_session, hanako
):
    response = post_form(console, "/console/privacy/", {"email": " hanako@EXAMPLE.jp "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    for key in ("done", "refused"):
        assert f'id="dispatch-request-{hanako[key].id}"' in html
    assert f'id="dispatch-request-{hanako["other"].id}"' not in html
    for held in ("派遣 hanako", "03-5555-0001", "hanakoさんの相談メモ", "日程が合わず"):
        assert held in html
    assert "dispatch.received" in html  # the mails to the contact
    viewed = events(db_session, "privacy.viewed")
    assert len(viewed) == 1
    assert sorted(viewed[0].details["dispatch_request_ids"]) == sorted(
        hanako[key].id for key in ("done", "refused")
    )
    assert_no_address(viewed, "hanako@example.jp")


def test_export_by_the_address_for_a_contact_without_registrations(console, db_session, hanako):
    response = post_form(
        console, "/console/privacy/", {"email": "hanako@example.jp", "action": "export"}
    )
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.get_json()
    assert data["email"] == "hanako@example.jp" and data["registrations"] == []
    assert {row["contact_phone"] for row in data["dispatch_requests"]} == {
        "03-5555-0001",
        "03-5555-0002",
    }
    exported = events(db_session, "privacy.exported")
    assert len(exported) == 1 and len(exported[0].details["dispatch_request_ids"]) == 2
    assert_no_address(exported, "hanako@example.jp")


def test_export_of_a_registrant_includes_the_requests_beside_the_registrations(
    console, db_session, make_seminar, hanako
):
    registration = register(db_session, make_seminar(), email="hanako@example.jp")
    data = console.get(f"/console/privacy/person/{registration.id}/export").get_json()
    assert [row["email"] for row in data["registrations"]] == ["hanako@example.jp"]
    assert len(data["dispatch_requests"]) == 2
    page = console.get(f"/console/privacy/person/{registration.id}").get_data(as_text=True)
    assert f'id="registration-{registration.id}"' in page
    assert f'id="dispatch-request-{hanako["done"].id}"' in page


def test_nothing_is_deleted_for_an_address_without_data(console, db_session, hanako):
    for action in ("delete", "erase"):
        response = post_form(
            console, "/console/privacy/", {"email": "nobody@example.jp", "action": action}
        )
        assert "Nothing is held about this address." in response.get_data(as_text=True)
    assert events(db_session, "privacy.deleted") == []


def test_an_unknown_action_is_refused(console, db_session, hanako):
    response = post_form(
        console, "/console/privacy/", {"email": "hanako@example.jp", "action": "purge"}
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert events(db_session, "privacy.viewed") == []


# --- 2. erasure -------------------------------------------------------------------------------


def client_history(db_session, request: DispatchRequest) -> list[tuple]:
    return [
        (entry.day, entry.kind, entry.dispatch.request_id, entry.dispatch.state)
        for entry in dispatch_entries(db_session, request.client)
    ]


def test_erase_anonymises_the_contacts_requests_and_keeps_figures_and_client(db_session, hanako):
    done = hanako["done"]
    years = {fiscal_year_of(utcnow() - timedelta(days=days)) for days in (0, 30, 60)}
    before = all_figures(db_session, years)
    timeline = client_history(db_session, done)
    assert timeline and done.client_id is not None
    stays = {key: fields(request, KEPT) for key, request in hanako.items()}
    other = fields(hanako["other"], CONTACT + FREE_TEXT)

    result = privacy.erase(db_session, "hanako@example.jp", utcnow(), by=None)
    db_session.commit()

    assert result.dispatch_requests == 2
    assert all_figures(db_session, years) == before
    assert client_history(db_session, done) == timeline
    assert {key: fields(request, KEPT) for key, request in hanako.items()} == stays
    for key in ("done", "refused"):
        request = hanako[key]
        assert request.contact_email_key == f"purged-dispatch-{request.id}"
        assert "@" not in request.contact_email
        assert request.contact_name == privacy.PLACEHOLDER_NAME and request.theme_note is None
    assert hanako["refused"].changes[-1].reason == privacy.PLACEHOLDER_TEXT
    assert fields(hanako["other"], CONTACT + FREE_TEXT) == other
    text = dispatch_text(db_session).lower()
    assert "hanako@example.jp" not in text and "派遣 hanako" not in text
    assert "ｈａｎａｋｏ" not in text and "hanakoさん" not in text
    assert privacy.holdings(db_session, "hanako@example.jp")["dispatch_requests"] == []
    deleted = events(db_session, "privacy.deleted")
    assert len(deleted) == 1 and deleted[0].details["dispatch_requests"] == 2
    assert sorted(deleted[0].details["dispatch_request_ids"]) == sorted(
        hanako[key].id for key in ("done", "refused")
    )
    assert_no_address(deleted, "hanako@example.jp")


def _open(db_session, request, state, lecturer, organizer):
    if state == "under-review":
        dispatch.change_state(db_session, request, state, by=organizer, now=utcnow())
        db_session.commit()
    elif state == "scheduled":
        schedule(db_session, request, lecturer, utcnow() + timedelta(days=10))


@pytest.mark.parametrize("state", ["received", "under-review", "scheduled"])
def test_erase_refuses_while_a_request_is_open_and_names_it(db_session, lecturer, organizer, state):
    request = submit(db_session, **contact("open", 1))
    _open(db_session, request, state, lecturer, organizer)
    with pytest.raises(privacy.PrivacyError) as refused:
        privacy.erase(db_session, "open@example.jp", utcnow(), by=None)
    assert refused.value.code == "upcoming"
    assert refused.value.context["dispatch_requests"] == [request]
    db_session.rollback()
    db_session.expire_all()
    assert request.contact_name == "派遣 open" and request.contact_email_key == "open@example.jp"
    assert events(db_session, "privacy.deleted") == []


def test_erase_accepts_a_scheduled_request_whose_seminar_is_over(db_session, lecturer, organizer):
    request = receive(db_session, utcnow() - timedelta(days=20), **contact("over", 1))
    schedule(db_session, request, lecturer, utcnow() - timedelta(days=5))
    assert privacy.open_dispatch_requests(db_session, "over@example.jp", utcnow()) == []
    result = privacy.erase(db_session, "over@example.jp", utcnow(), by=None)
    db_session.commit()
    assert result.dispatch_requests == 1 and request.state == "scheduled"
    assert request.contact_name == privacy.PLACEHOLDER_NAME


def test_delete_page_refuses_an_open_request_by_name(console, db_session, hanako):
    request = submit(db_session, **contact("hanako", 4, contact_email="hanako@example.jp"))
    confirm = post_form(
        console, "/console/privacy/", {"email": "hanako@example.jp", "action": "delete"}
    )
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "lecturer-dispatch request still open" in html and request.organization in html
    assert "Yes, delete" not in html
    erase = post_form(
        console, "/console/privacy/", {"email": "hanako@example.jp", "action": "erase"}
    )
    assert erase.status_code == 409 and request.organization in erase.get_data(as_text=True)
    db_session.expire_all()
    assert hanako["done"].contact_name == "派遣 hanako"
    assert events(db_session, "privacy.deleted") == []


def test_a_registrants_delete_page_refuses_an_open_request_too(
    console, db_session, make_seminar, hanako
):
    over = make_seminar(
        starts_at=utcnow() - timedelta(days=3),
        registration_opens_at=None,
        registration_closes_at=None,
    )
    registration = register(
        db_session, over, now=over.starts_at - timedelta(days=5), email="hanako@example.jp"
    )
    request = submit(db_session, **contact("hanako", 4, contact_email="hanako@example.jp"))
    url = f"/console/privacy/person/{registration.id}/delete"
    response = post_form(console, url, {})
    assert response.status_code == 409 and request.organization in response.get_data(as_text=True)
    db_session.expire_all()
    assert registration.email_key == "hanako@example.jp"
    dispatch.withdraw_by_contact(db_session, request, now=utcnow())
    db_session.commit()
    assert post_form(console, url, {}).status_code == 302
    db_session.expire_all()
    assert registration.email_key != "hanako@example.jp"
    assert request.contact_email_key == f"purged-dispatch-{request.id}"


def test_delete_by_the_address_for_a_contact_without_registrations(console, db_session, hanako):
    confirm = post_form(
        console, "/console/privacy/", {"email": "hanako@example.jp", "action": "delete"}
    )
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "This cannot be undone." in html
    assert "The 2 lecturer-dispatch requests" in html
    assert privacy.dispatch_requests_of(db_session, "hanako@example.jp")  # nothing done yet
    response = post_form(
        console, "/console/privacy/", {"email": "hanako@example.jp", "action": "erase"}
    )
    assert response.status_code == 302 and response.location.endswith("/console/privacy/")
    db_session.expire_all()
    assert hanako["done"].contact_name == privacy.PLACEHOLDER_NAME
    assert hanako["other"].contact_name == "派遣 taro"
    assert len(events(db_session, "privacy.deleted")) == 1


# --- 4. the privacy notice ----------------------------------------------------------------------


def test_the_notice_says_what_the_dispatch_form_collects_why_and_how_long(client, app):
    client.get("/language/en")
    html = client.get("/privacy").get_data(as_text=True)
    section = html[html.index('id="dispatch"') :]
    for said in (
        "name, e-mail address and telephone number of its contact person",
        "to count the requests per fiscal year",
        "kept for the fiscal year of the seminar",
        "then made anonymous",
    ):
        assert said in section, said
    # The version shown is still the one the forms store (the setting): not bumped here.
    assert f"Version {app.config['PRIVACY_NOTICE_VERSION']}" in html


def test_notice_versions_count_the_dispatch_requests(console, db_session, make_seminar):
    registration = register(db_session, make_seminar(), email="old@example.jp")
    registration.privacy_notice_version = "2025-04"
    registration.privacy_agreed_at = datetime(2025, 5, 1, tzinfo=UTC)
    db_session.commit()
    for number in range(2):
        submit(db_session, **contact(f"agreed{number}", number))
    versions = {
        row["version"]: (row["agreed"], row["dispatch_requests"])
        for row in privacy.notice_versions(db_session)
    }
    assert versions == {"2025-04": (1, 0), "2026-04": (0, 2)}
    assert [row["version"] for row in privacy.notice_versions(db_session)] == [
        "2026-04",
        "2025-04",
    ]
    html = console.get("/console/privacy/notice").get_data(as_text=True)
    assert "Lecturer dispatch requests" in html
