"""The consultation desk in the staff API: who may do what, the notes, the form's rules, filters."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.api.openapi import openapi_document
from seminar_app.attendance import services as attendance
from seminar_app.audit.models import AuditEvent
from seminar_app.consultations import services
from seminar_app.consultations.models import Client, Consultation
from seminar_app.domain import (
    Attribute,
    Channel,
    CheckInMethod,
    Delivery,
    EmployeeBand,
    Role,
    Source,
    Topic,
)
from seminar_app.timeutil import fiscal_year_of, utcnow
from tests.registration_helpers import register
from tests.test_registration_api import bearer, issue_token, validate_against

SECRET = "配合表Xの保管場所は第二倉庫"
ENGLISH = {"Accept-Language": "en"}
JAPANESE = {"Accept-Language": "ja"}


def call(client, method: str, url: str, token: str | None, body=None, headers=None):
    sent = {**(bearer(token) if token else {}), **(headers or ENGLISH)}
    # ASCII JSON: a lone surrogate travels as \\ud800, as a client's JSON may send it.
    data = None if body is None else json.dumps(body)
    return client.open(
        f"/api/v1{url}", method=method, data=data, headers=sent, content_type="application/json"
    )


def record(db_session, advisor, by=None, **overrides) -> Consultation:
    values = dict(
        held_on=utcnow().date(),
        channel="in-person",
        attribute="sme",
        topics=["trade-secret-management"],
        source="seminar",
        step=2,
        organization="株式会社ＡＢＣ商事",
        notes=SECRET,
    )
    values.update(overrides)
    made = services.record_consultation(
        db_session, services.ConsultationInput(**values), advisor=advisor, by=by or advisor
    )
    db_session.commit()
    return made


def body(**overrides) -> dict:
    values = {
        "held_on": utcnow().date().isoformat(),
        "channel": "online",
        "attribute": "sme",
        "employee_band": "21-50",
        "industry": "E",
        "prefecture": "13",
        "topics": ["contracts", "trade-secret-management"],
        "source": "prefectural-desk",
        "step": 3,
        "organization": "株式会社 テスト製作所",
        "corporate_number": "9234567890123",
        "notes": SECRET,
    }
    values.update(overrides)
    return values


def audited(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def counts(db_session) -> tuple[int, int, int]:
    """Consultations, clients and audit records: what a refused request must leave alone."""
    return tuple(
        db_session.scalar(select(func.count()).select_from(model))
        for model in (Consultation, Client, AuditEvent)
    )


@pytest.fixture
def advisor(make_user):
    return make_user(Role.ADVISOR)


@pytest.fixture
def advisor_token(app, advisor) -> str:
    return issue_token(app, advisor)


@pytest.fixture
def organizer_token(app, make_user) -> str:
    return issue_token(app, make_user(Role.ORGANIZER))


# ---------------------------------------------------------------- who may call


ENDPOINTS = [
    ("GET", "/consultations"),
    ("POST", "/consultations"),
    ("GET", "/consultations/{id}"),
    ("PATCH", "/consultations/{id}"),
    ("GET", "/clients"),
    ("GET", "/clients/{client}"),
]


@pytest.mark.parametrize("role", [Role.LECTURER, Role.RECEPTION, Role.ADMIN])
@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_other_roles_are_403_and_change_nothing(
    app, client, db_session, make_user, advisor, role, method, url
):
    made = record(db_session, advisor)
    token = issue_token(app, make_user(role))
    before = counts(db_session)
    path = url.format(id=made.id, client=made.client_id)
    answer = call(client, method, path, token, body(step=7))
    assert answer.status_code == 403, answer.get_json()
    assert counts(db_session) == before


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_without_a_token_401(client, db_session, advisor, method, url):
    made = record(db_session, advisor)
    answer = call(client, method, url.format(id=made.id, client=made.client_id), None, body())
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/consultations/999999"),
        ("PATCH", "/consultations/999999"),
        ("GET", "/clients/999999"),
    ],
)
def test_unknown_ids_are_404(client, organizer_token, method, url):
    answer = call(client, method, url, organizer_token, {"step": 1})
    assert answer.status_code == 404


# ---------------------------------------------------------------- the notes


def test_the_list_never_carries_notes(client, db_session, advisor, advisor_token, organizer_token):
    record(db_session, advisor)
    for token in (advisor_token, organizer_token):
        answer = call(client, "GET", "/consultations", token)
        assert answer.status_code == 200, answer.get_json()
        (row,) = answer.get_json()["consultations"]
        assert "notes" not in row and row["notes_readable"] is True
        assert SECRET not in answer.get_data(as_text=True)
    assert audited(db_session, "consultation.notes_read") == []


def test_an_organizer_reads_the_notes_and_the_read_is_recorded(
    client, db_session, advisor, organizer_token
):
    made = record(db_session, advisor)
    answer = call(client, "GET", f"/consultations/{made.id}", organizer_token)
    assert answer.status_code == 200
    assert answer.get_json()["notes"] == SECRET
    (read,) = audited(db_session, "consultation.notes_read")
    assert int(read.subject_id) == made.id and read.actor_id != advisor.id


def test_the_records_advisor_reads_its_notes(client, db_session, advisor, advisor_token):
    made = record(db_session, advisor)
    answer = call(client, "GET", f"/consultations/{made.id}", advisor_token)
    assert answer.get_json()["notes"] == SECRET
    (read,) = audited(db_session, "consultation.notes_read")
    assert read.actor_id == advisor.id


def test_another_advisor_sees_the_record_without_its_notes(
    app, client, db_session, make_user, advisor
):
    made = record(db_session, advisor)
    other = issue_token(app, make_user(Role.ADVISOR))
    answer = call(client, "GET", f"/consultations/{made.id}", other)
    assert answer.status_code == 200
    shown = answer.get_json()
    assert "notes" not in shown and shown["notes_readable"] is False
    assert shown["client"]["name"] == "株式会社ABC商事"
    assert SECRET not in answer.get_data(as_text=True)
    assert audited(db_session, "consultation.notes_read") == []


def test_a_clients_history_carries_no_notes(client, db_session, advisor, organizer_token):
    made = record(db_session, advisor)
    answer = call(client, "GET", f"/clients/{made.client_id}", organizer_token)
    assert answer.status_code == 200
    assert SECRET not in answer.get_data(as_text=True)
    assert "notes" not in answer.get_json()["history"][0]["consultation"]


# ---------------------------------------------------------------- recording and correcting


def test_an_advisor_records_a_consultation_and_reads_it_back(
    client, db_session, advisor, advisor_token
):
    sent = body()
    created = call(client, "POST", "/consultations", advisor_token, sent)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert "notes" not in answer
    shown = call(client, "GET", f"/consultations/{answer['id']}", advisor_token).get_json()
    assert shown == {**answer, "notes": SECRET}
    named_by_client = ("organization", "corporate_number")
    stored = {name: shown[name] for name in sent if name not in named_by_client}
    expected = {name: value for name, value in sent.items() if name not in named_by_client}
    # Topics come back in the order Topic declares them, as every page lists them.
    assert stored == {**expected, "topics": ["trade-secret-management", "contracts"]}
    assert shown["client"]["name"] == "株式会社 テスト製作所"
    assert shown["client"]["corporate_number"] == "9234567890123"
    assert shown["advisor"] == {"id": advisor.id, "name": advisor.display_name}
    assert shown["fiscal_year"] == fiscal_year_of(utcnow())
    (recorded,) = audited(db_session, "consultation.recorded")
    assert int(recorded.subject_id) == answer["id"] and recorded.actor_id == advisor.id
    validate_against(answer, "Consultation")
    validate_against(shown, "ConsultationDetail")


def test_an_organizers_consultation_has_no_advisor_unless_one_is_named(
    client, db_session, advisor, organizer_token
):
    plain = call(client, "POST", "/consultations", organizer_token, body())
    assert plain.status_code == 201 and plain.get_json()["advisor"] is None
    named = call(client, "POST", "/consultations", organizer_token, body(advisor_id=advisor.id))
    assert named.get_json()["advisor"]["id"] == advisor.id
    assert db_session.get(Consultation, named.get_json()["id"]).advisor_id == advisor.id


def test_only_the_required_fields(client, organizer_token):
    minimal = {
        name: body()[name] for name in ("held_on", "channel", "attribute", "topics", "source")
    }
    created = call(client, "POST", "/consultations", organizer_token, minimal)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert answer["client"] is None and answer["step"] is None and answer["industry"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"topics": []}, "topics"),  # the desk's rule: one or more
        ({"corporate_number": "12345"}, "corporate_number"),  # the desk's rule: 13 digits
        ({"step": 8}, "step"),  # the desk's rule: 1 to 7
        ({"step": 0}, "step"),
        ({"channel": "fax"}, "channel"),
        ({"channel": None}, "channel"),
        ({"attribute": "alien"}, "attribute"),
        ({"employee_band": "1-9"}, "employee_band"),
        ({"industry": "Z"}, "industry"),
        ({"prefecture": "48"}, "prefecture"),
        ({"topics": ["gossip"]}, "topics"),
        ({"topics": "contracts"}, "topics"),
        ({"source": "radio"}, "source"),
        ({"held_on": "2026-02-30"}, "held_on"),
        ({"held_on": "1999-04-01"}, "held_on"),  # outside the fiscal years the system knows
        ({"held_on": None}, "held_on"),
        ({"organization": "社" * 201}, "organization"),
        ({"organization": "㍿" * 51}, "organization"),  # 株式会社 ×51 once normalised
        ({"organization": "株式会社"}, "organization"),  # a company form, and no name
        ({"organization": "A\x00B"}, "organization"),
        ({"notes": "秘密\x00"}, "notes"),
        ({"notes": "\ud800"}, "notes"),
        ({"notes": 42}, "notes"),
        ({"advisor_id": 999_999}, "advisor_id"),
        ({"advisor_id": "1"}, "advisor_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_refused_field_is_named_and_nothing_is_written(
    client, db_session, organizer_token, overrides, field
):
    before = counts(db_session)
    answer = call(client, "POST", "/consultations", organizer_token, body(**overrides))
    assert answer.status_code == 422, answer.get_json()
    refusal = answer.get_json()
    assert list(refusal["fields"]) == [field]
    assert refusal["error"] == "The consultation is not valid."
    validate_against(refusal, "ValidationError")
    assert counts(db_session) == before


def test_a_missing_required_field_is_named(client, db_session, organizer_token):
    sent = body()
    del sent["source"], sent["held_on"]
    answer = call(client, "POST", "/consultations", organizer_token, sent)
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"source", "held_on"}


def test_the_advisor_and_the_desks_rules_are_refused_together(
    app, client, db_session, make_user, organizer_token
):
    lecturer = make_user(Role.LECTURER)  # not an advisor: the form does not offer them
    before = counts(db_session)
    answer = call(
        client,
        "POST",
        "/consultations",
        organizer_token,
        body(advisor_id=lecturer.id, topics=[], corporate_number="12"),
    )
    assert answer.status_code == 422
    assert set(answer.get_json()["fields"]) == {"advisor_id", "topics", "corporate_number"}
    assert counts(db_session) == before


def test_an_inactive_advisor_cannot_be_named(client, db_session, make_user, organizer_token):
    gone = make_user(Role.ADVISOR, active=False)
    answer = call(client, "POST", "/consultations", organizer_token, body(advisor_id=gone.id))
    assert answer.status_code == 422 and list(answer.get_json()["fields"]) == ["advisor_id"]


def test_a_refusal_speaks_the_requests_language(client, organizer_token):
    sent = body(topics=[], channel="fax")
    japanese = call(client, "POST", "/consultations", organizer_token, sent, JAPANESE).get_json()
    english = call(client, "POST", "/consultations", organizer_token, sent, ENGLISH).get_json()
    assert english["fields"]["channel"] == (
        "Choose one of: in-person, online, phone, email, visit, visit-joint."
    )
    assert japanese["error"] == "相談記録の内容に誤りがあります。"
    assert japanese["fields"]["channel"].startswith("次のいずれかを指定してください")
    by_the_desk = call(client, "POST", "/consultations", organizer_token, body(topics=[]), JAPANESE)
    assert "いずれか1つ以上" in by_the_desk.get_json()["fields"]["topics"]


def test_a_change_keeps_what_it_does_not_send(client, db_session, advisor, advisor_token):
    made = record(db_session, advisor, employee_band="6-20", corporate_number="2876543210987")
    client_id = made.client_id
    answer = call(client, "PATCH", f"/consultations/{made.id}", advisor_token, {"step": 5})
    assert answer.status_code == 200, answer.get_json()
    db_session.expire_all()
    stored = db_session.get(Consultation, made.id)
    assert (stored.step, stored.notes, stored.employee_band, stored.client_id) == (
        5,
        SECRET,
        "6-20",
        client_id,
    )
    assert stored.advisor_id == advisor.id and stored.topics == [Topic.TRADE_SECRET_MANAGEMENT]
    assert answer.get_json()["step"] == 5 and "notes" not in answer.get_json()
    (updated,) = audited(db_session, "consultation.updated")
    assert updated.actor_id == advisor.id


def test_a_change_of_notes_topics_and_advisor(
    client, db_session, make_user, advisor, organizer_token
):
    made = record(db_session, advisor)
    successor = make_user(Role.ADVISOR)
    answer = call(
        client,
        "PATCH",
        f"/consultations/{made.id}",
        organizer_token,
        {"notes": "新しい所見", "topics": ["other", "contracts"], "advisor_id": successor.id},
    )
    assert answer.status_code == 200, answer.get_json()
    shown = call(client, "GET", f"/consultations/{made.id}", organizer_token).get_json()
    assert shown["notes"] == "新しい所見"
    assert shown["topics"] == ["contracts", "other"]
    assert shown["advisor"]["id"] == successor.id


def test_a_new_organization_without_its_number_names_another_client(
    client, db_session, advisor, advisor_token
):
    made = record(db_session, advisor, corporate_number="2876543210987")
    first_client = made.client_id
    answer = call(
        client, "PATCH", f"/consultations/{made.id}", advisor_token, {"organization": "別の会社"}
    )
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["client"]["name"] == "別の会社"
    assert answer.get_json()["client"]["corporate_number"] is None
    assert answer.get_json()["client"]["id"] != first_client


def test_only_organizers_and_the_records_advisor_change_it(
    app, client, db_session, make_user, advisor
):
    made = record(db_session, advisor)
    other = issue_token(app, make_user(Role.ADVISOR))
    before = counts(db_session)
    answer = call(client, "PATCH", f"/consultations/{made.id}", other, {"step": 7})
    assert answer.status_code == 403
    db_session.expire_all()
    assert db_session.get(Consultation, made.id).step == 2
    assert counts(db_session) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topics": []}, "topics"),
        ({"step": 9, "notes": "上書き"}, "step"),
        ({"channel": "fax", "notes": "上書き"}, "channel"),
        ({"held_on": None}, "held_on"),
        ({"advisor_id": 999_999, "notes": "上書き"}, "advisor_id"),
    ],
)
def test_a_refused_change_changes_nothing(
    client, db_session, advisor, advisor_token, change, field
):
    made = record(db_session, advisor)
    before = counts(db_session)
    answer = call(client, "PATCH", f"/consultations/{made.id}", advisor_token, change)
    assert answer.status_code == 422
    assert list(answer.get_json()["fields"]) == [field]
    db_session.expire_all()
    stored = db_session.get(Consultation, made.id)
    assert (stored.step, stored.notes, stored.channel, stored.advisor_id) == (
        2,
        SECRET,
        "in-person",
        advisor.id,
    )
    assert stored.topics == [Topic.TRADE_SECRET_MANAGEMENT]
    assert counts(db_session) == before


# ---------------------------------------------------------------- the list and its filters


def test_the_list_is_a_fiscal_year_this_one_unless_named(
    client, db_session, advisor, organizer_token
):
    record(db_session, advisor, held_on=date(2024, 3, 31), organization="三月の会社")
    record(db_session, advisor, held_on=date(2024, 4, 1), organization="四月の会社")
    record(db_session, advisor, held_on=date(2025, 3, 31), organization="翌三月の会社")
    today = record(db_session, advisor, organization="今日の会社")

    def names(**query) -> list[str]:
        answer = call(client, "GET", "/consultations?" + _query(query), organizer_token)
        assert answer.status_code == 200, answer.get_json()
        return [row["client"]["name"] for row in answer.get_json()["consultations"]]

    assert names(fiscal_year=2024) == ["翌三月の会社", "四月の会社"]
    assert names(fiscal_year=2023) == ["三月の会社"]
    assert names() == [today.client.name]
    assert names(fiscal_year="") == [today.client.name]


def _query(values: dict) -> str:
    return "&".join(f"{name}={value}" for name, value in values.items())


def test_filters_by_client_advisor_and_channel(
    client, db_session, make_user, advisor, organizer_token
):
    other = make_user(Role.ADVISOR)
    first = record(db_session, advisor, channel="phone", organization="甲社")
    record(db_session, advisor, channel="online", organization="乙社")
    record(db_session, other, channel="phone", organization="甲社")

    def ids(**query) -> list[int]:
        answer = call(client, "GET", "/consultations?" + _query(query), organizer_token)
        assert answer.status_code == 200, answer.get_json()
        return sorted(row["id"] for row in answer.get_json()["consultations"])

    everything = ids()
    assert len(everything) == 3
    by_client = ids(client_id=first.client_id)
    assert len(by_client) == 2
    assert ids(advisor_id=other.id) == [everything[2]]
    assert ids(channel="phone") == [everything[0], everything[2]]
    assert ids(channel="phone", advisor_id=advisor.id, client_id=first.client_id) == [first.id]


def test_the_list_is_paginated_and_its_export_recorded(client, db_session, advisor, advisor_token):
    made = [record(db_session, advisor, organization=f"会社{n}") for n in range(5)]
    answer = call(client, "GET", "/consultations?per_page=2&page=2", advisor_token)
    page = answer.get_json()
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 5)
    newest_first = [c.id for c in reversed(made)]
    assert [row["id"] for row in page["consultations"]] == newest_first[2:4]
    validate_against(page["consultations"][0], "Consultation")
    (export,) = audited(db_session, "consultation.exported")
    assert export.actor_id == advisor.id and export.details == {"format": "api", "rows": 2}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("fiscal_year=1999", "fiscal_year"),
        ("fiscal_year=２０２４", "fiscal_year"),
        ("fiscal_year=" + "9" * 5000, "fiscal_year"),
        ("client_id=0", "client_id"),
        ("advisor_id=x", "advisor_id"),
        ("channel=fax", "channel"),
        ("page=0", "page"),
        ("per_page=101", "per_page"),
        ("colour=red", "colour"),
    ],
)
def test_a_bad_filter_is_400_naming_it(client, organizer_token, query, field):
    answer = call(client, "GET", f"/consultations?{query}", organizer_token, headers=JAPANESE)
    assert answer.status_code == 400
    refusal = answer.get_json()
    assert refusal["field"] == field and refusal["error"].startswith(f"{field}: ")
    validate_against(refusal, "Error")


def test_a_page_number_of_thousands_of_digits_is_400_in_the_public_list_too(client):
    answer = client.get("/api/v1/seminars?page=" + "9" * 5000)
    assert answer.status_code == 400 and answer.get_json()["field"] == "page"


# ---------------------------------------------------------------- clients


def test_clients_are_listed_as_the_console_lists_them(client, db_session, advisor, advisor_token):
    record(db_session, advisor, held_on=date(2025, 5, 1), step=2, organization="ＡＢＣ商事")
    record(db_session, advisor, held_on=date(2025, 6, 1), step=4, organization="ABC商事")
    record(db_session, advisor, held_on=date(2025, 5, 20), step=None, organization="別の会社")
    answer = call(client, "GET", "/clients", advisor_token)
    assert answer.status_code == 200
    rows = answer.get_json()["clients"]
    assert [
        (row["name"], row["consultations"], row["last_consultation_on"], row["highest_step"])
        for row in rows
    ] == [
        ("ABC商事", 2, "2025-06-01", 4),
        ("別の会社", 1, "2025-05-20", None),
    ]
    found = call(client, "GET", "/clients?q=ａｂｃ", advisor_token).get_json()
    assert [row["name"] for row in found["clients"]] == ["ABC商事"] and found["total"] == 1


@pytest.mark.parametrize("search", ["x" * 201, "A%00B"])
def test_a_bad_search_is_400(client, advisor_token, search):
    answer = call(client, "GET", f"/clients?q={search}", advisor_token)
    assert answer.status_code == 400 and answer.get_json()["field"] == "q"


def test_a_clients_history_has_consultations_and_seminars_attended(
    client, db_session, make_seminar, advisor, organizer_token
):
    now = utcnow()
    held = make_seminar(
        starts_at=now - timedelta(days=30),
        registration_opens_at=None,
        registration_closes_at=None,
        delivery=Delivery.IN_PERSON,
        venue="本部",
        meeting_url=None,
        title="営業秘密の管理 入門",
    )
    missed = make_seminar(
        starts_at=now - timedelta(days=20),
        registration_opens_at=None,
        registration_closes_at=None,
        title="欠席したセミナー",
    )
    came = register(db_session, held, now=now - timedelta(days=40), organization="(株)ABC商事")
    register(db_session, missed, now=now - timedelta(days=40), organization="株式会社ABC商事")
    attendance.admit(
        db_session, came, held.id, by=None, method=CheckInMethod.SCAN, desk="A", now=held.starts_at
    )
    record(db_session, advisor, held_on=(now - timedelta(days=60)).date(), step=2)
    latest = record(db_session, advisor, held_on=(now - timedelta(days=5)).date(), step=5)

    answer = call(client, "GET", f"/clients/{latest.client_id}", organizer_token)
    assert answer.status_code == 200
    shown = answer.get_json()
    assert (shown["name"], shown["highest_step"]) == ("株式会社ABC商事", 5)
    assert [entry["kind"] for entry in shown["history"]] == [
        "consultation",
        "seminar",
        "consultation",
    ]
    seminar = shown["history"][1]
    assert (seminar["seminar"]["id"], seminar["people"], seminar["consultation"]) == (
        held.id,
        1,
        None,
    )
    assert shown["history"][2]["consultation"]["id"] == latest.id
    assert shown["history"][2]["people"] is None


# ---------------------------------------------------------------- the document


def test_the_document_takes_its_codes_from_the_vocabulary():
    document = openapi_document("http://seminars.test")
    create = document["paths"]["/api/v1/consultations"]["post"]
    properties = create["requestBody"]["content"]["application/json"]["schema"]["properties"]
    for name, enum in (
        ("channel", Channel),
        ("attribute", Attribute),
        ("source", Source),
    ):
        assert properties[name]["enum"] == [member.value for member in enum]
    assert properties["employee_band"]["enum"] == [*(m.value for m in EmployeeBand), None]
    assert properties["topics"]["items"]["enum"] == [member.value for member in Topic]
    listed = document["components"]["schemas"]["Consultation"]["properties"]
    assert "notes" not in listed
    assert "notes" in document["components"]["schemas"]["ConsultationDetail"]["properties"]
