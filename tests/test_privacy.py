"""Privacy: the yearly purge keeps every figure, a person's requests (開示・訂正・削除),
and the versions of the privacy notice agreed to."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.announcements.models import Unsubscribe
from seminar_app.attendance import services as attendance
from seminar_app.attendance.models import OnlineAttendance
from seminar_app.audit.models import AuditEvent
from seminar_app.certificates.models import Certificate
from seminar_app.certificates.services import statement_of
from seminar_app.consultations.desks import default_desk
from seminar_app.consultations.figures import consultation_figures
from seminar_app.consultations.models import Client, Consultation
from seminar_app.domain import CheckInMethod, Delivery, HostType, Role, Topic
from seminar_app.notifications.models import OutboxMessage
from seminar_app.privacy import services as privacy
from seminar_app.registration.models import CalendarFeed, Registration
from seminar_app.reports.services import fiscal_year_figures, seminar_rows, survey_figures
from seminar_app.surveys.models import Survey, SurveyAnswer
from seminar_app.surveys.services import standard_questions
from seminar_app.timeutil import fiscal_year_of, utcnow
from tests.conftest import login, post_form
from tests.registration_helpers import register

#: The purge runs "in June 2026" (FY2026): FY2024 and before may be purged.
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
#: 2025-03-31 23:30 JST: the last half hour of FY2024.
LAST_OF_FY2024 = datetime(2025, 3, 31, 14, 30, tzinfo=UTC)
#: 2025-04-01 00:00 JST: the first minute of FY2025.
FIRST_OF_FY2025 = datetime(2025, 3, 31, 15, 0, tzinfo=UTC)
PERSONAL = ("name", "name_kana", "email", "email_key", "organization", "organization_key")
PERSONAL += ("corporate_number", "department", "job_title", "question")


def _seminar(make_seminar, starts_at, **overrides):
    values = dict(starts_at=starts_at, registration_opens_at=None, registration_closes_at=None)
    values.update(overrides)
    return make_seminar(**values)


def _register(db_session, seminar, email, **overrides):
    registration = register(
        db_session, seminar, now=seminar.starts_at - timedelta(days=10), email=email, **overrides
    )
    # The confirmation mail was queued when the person registered, not today.
    for message in db_session.scalars(select(OutboxMessage)):
        if message.payload.get("registration_id") == registration.id:
            message.created_at = seminar.starts_at - timedelta(days=10)
    return registration


def _answer(db_session, seminar, registration, comment):
    survey = db_session.scalar(select(Survey).where(Survey.seminar_id == seminar.id))
    if survey is None:
        survey = Survey(seminar_id=seminar.id, questions=standard_questions())
        db_session.add(survey)
        db_session.flush()
    answer = SurveyAnswer(
        survey_id=survey.id,
        registration_id=registration.id,
        answers={"satisfaction": 5, "understanding": 4, "next_themes": ["contracts"]}
        | ({"comment": comment} if comment else {}),
        may_name=True,
    )
    db_session.add(answer)
    return answer


@pytest.fixture
def years(db_session, make_seminar):
    """FY2024 (to purge) and FY2025 (to keep), with check-ins, online joins, surveys,
    certificates, mails, calendar feeds and consultations."""
    online = _seminar(make_seminar, datetime(2024, 11, 16, 5, 0, tzinfo=UTC))
    door = _seminar(
        make_seminar,
        datetime(2025, 2, 16, 5, 0, tzinfo=UTC),
        delivery=Delivery.IN_PERSON,
        venue="会場",
        meeting_url=None,
    )
    last = _seminar(make_seminar, LAST_OF_FY2024, title_en="Last of FY2024")
    first = _seminar(make_seminar, FIRST_OF_FY2025, title_en="First of FY2025")
    later = _seminar(make_seminar, datetime(2025, 11, 16, 5, 0, tzinfo=UTC))
    _seminar(
        make_seminar,
        datetime(2024, 12, 1, 5, 0, tzinfo=UTC),
        host_type=HostType.IN_COMPANY,
        capacity=None,
        host_organization="株式会社A",
        head_count=37,
    )
    people = {
        "alice_2024": _register(
            db_session,
            online,
            "Alice@Example.jp",
            name="有栖 花子",
            question="漏えい時の初動について",
            corporate_number="9234567890123",
        ),
        "bob_2024": _register(
            db_session, online, "bob@example.jp", name="坊 次郎", attribute="large-company"
        ),
        "carol_2024": _register(db_session, online, "carol@example.jp", name="キャロル 三郎"),
        "alice_door": _register(db_session, door, "alice@example.jp", name="有栖 花子"),
        "dave_2024": _register(
            db_session, door, "dave@example.jp", name="デイブ 四郎", prefecture="27"
        ),
        "erin_2024": _register(db_session, last, "erin@example.jp", name="エリン 五郎"),
        "frank_2025": _register(db_session, first, "frank@example.jp", name="フランク 六郎"),
        "alice_2025": _register(db_session, later, "alice@example.jp", name="有栖 花子"),
        "grace_2025": _register(
            db_session, later, "grace@example.jp", name="グレース 七子", question="新年度の質問"
        ),
    }
    carol = people["carol_2024"]
    carol.status, carol.cancelled_at = "cancelled", online.starts_at - timedelta(days=2)
    for key, seminar in (("alice_2024", online), ("erin_2024", last), ("grace_2025", later)):
        db_session.add(
            OnlineAttendance(
                registration_id=people[key].id, first_joined_at=seminar.starts_at, minutes=95
            )
        )
    for key in ("alice_door", "dave_2024"):
        attendance.admit(
            db_session,
            people[key],
            door.id,
            by=None,
            method=CheckInMethod.SCAN,
            desk="A",
            now=door.starts_at,
        )
    _answer(db_session, online, people["alice_2024"], "有栖です。とても役立ちました")
    _answer(db_session, last, people["erin_2024"], None)
    _answer(db_session, later, people["grace_2025"], "グレースの感想")
    db_session.add(
        Certificate(
            registration_id=people["alice_2024"].id,
            code="CERTALICE2024",
            issued_at=online.ends_at,
            **statement_of(people["alice_2024"]),
        )
    )
    client = Client(name="株式会社テスト製作所", name_key="テスト製作所")
    db_session.add(client)
    db_session.flush()
    desk = default_desk(db_session)
    consultations = {
        "old": Consultation(
            desk=desk,
            held_on=date(2025, 3, 31),
            channel="online",
            attribute="sme",
            topics=[Topic.CONTRACTS, Topic.LEAK_INCIDENT],
            source="direct",
            client_id=client.id,
            notes="顧客の秘密: 製法Xの管理",
        ),
        "new": Consultation(
            desk=desk,
            held_on=date(2025, 4, 1),
            channel="phone",
            attribute="sme",
            topics=[Topic.IP_STRATEGY],
            source="seminar",
            notes="新年度の相談メモ",
        ),
    }
    db_session.add_all(consultations.values())
    db_session.add(Unsubscribe(email_key="bob@example.jp", unsubscribed_at=online.starts_at))
    db_session.commit()
    return {"people": people, "consultations": consultations, "client": client}


def _figures(db_session) -> dict:
    """Every figure of FY2024 and FY2025 that the reports give."""
    db_session.expire_all()
    figures = {}
    for fy in (2024, 2025):
        figures[fy] = {
            "report": fiscal_year_figures(db_session, fy, NOW),
            "rows": [
                (row.seminar_id, row.confirmed, row.attendees)
                for row in seminar_rows(db_session, fy, NOW)
            ],
            "consultations": consultation_figures(db_session, fy),
            "surveys": survey_figures(db_session, fy, NOW),
        }
    return figures


def _personal(registration: Registration) -> dict:
    return {name: getattr(registration, name) for name in PERSONAL}


def _all_text(db_session) -> str:
    """Every registration, survey answer, mail, feed and audit label, as one text."""
    parts = []
    for model in (Registration, SurveyAnswer, OutboxMessage, CalendarFeed):
        for row in db_session.scalars(select(model)):
            parts.append(repr({k: v for k, v in vars(row).items() if not k.startswith("_")}))
    parts += [event.actor_label for event in db_session.scalars(select(AuditEvent))]
    return "\n".join(parts)


OLD_NAMES = ("坊 次郎", "キャロル 三郎", "デイブ 四郎", "エリン 五郎")
OLD_ADDRESSES = ("bob@example.jp", "carol@example.jp", "dave@example.jp", "erin@example.jp")


def test_purge_keeps_every_figure_and_removes_the_people(db_session, years):
    people = years["people"]
    before = _figures(db_session)
    # The figures are not trivially empty: a purge that broke them would show.
    assert before[2024]["report"].attendees.by_host_type == {
        "agency": 4,
        "in-company": 37,
        "external": 0,
    }
    assert before[2024]["report"].attendees.registered_attendees_by["attribute"] == {"sme": 4}
    assert before[2024]["report"].registrations.cancelled == 1
    assert before[2024]["consultations"].total == 1
    assert before[2024]["surveys"].overall.answers == 2
    assert before[2025]["report"].attendees.total == 1
    text_before = _all_text(db_session)
    assert all(name in text_before for name in OLD_NAMES + OLD_ADDRESSES)
    newer = {key: _personal(people[key]) for key in ("frank_2025", "alice_2025", "grace_2025")}
    feeds_before = set(db_session.scalars(select(CalendarFeed.email_key)))

    result = privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()

    assert _figures(db_session) == before
    assert result.registrations == 6
    assert result.consultations == 1
    assert result.survey_answers == 2
    text_after = _all_text(db_session)
    for secret in OLD_NAMES + OLD_ADDRESSES + ("漏えい時の初動", "有栖です", "9234567890123"):
        assert secret not in text_after, secret
    for key in ("alice_2024", "bob_2024", "carol_2024", "alice_door", "dave_2024", "erin_2024"):
        registration = people[key]
        assert registration.name == registration.name_kana == privacy.PLACEHOLDER_NAME
        assert registration.email == registration.email_key == f"purged-{registration.id}@invalid"
        assert registration.organization is None and registration.organization_key is None
        assert registration.question is None and registration.corporate_number is None
        assert registration.department is None and registration.job_title is None
    # What the figures are made of stays.
    assert people["dave_2024"].prefecture == "27" and people["bob_2024"].attribute == (
        "large-company"
    )
    assert people["carol_2024"].status == "cancelled"
    old_answer = db_session.scalar(
        select(SurveyAnswer).where(SurveyAnswer.registration_id == people["alice_2024"].id)
    )
    assert old_answer.answers == {
        "satisfaction": 5,
        "understanding": 4,
        "next_themes": ["contracts"],
    }
    assert old_answer.may_name is False
    # The newer year is untouched, with its free text and its consent to be named.
    assert {key: _personal(people[key]) for key in newer} == newer
    new_answer = db_session.scalar(
        select(SurveyAnswer).where(SurveyAnswer.registration_id == people["grace_2025"].id)
    )
    assert new_answer.answers["comment"] == "グレースの感想" and new_answer.may_name is True
    # The seminar in the first minute of FY2025 (JST) is not purged; the last of FY2024 is.
    assert people["frank_2025"].name == "フランク 六郎"
    assert people["erin_2024"].name == privacy.PLACEHOLDER_NAME
    consultations = years["consultations"]
    assert consultations["old"].notes is None and consultations["new"].notes == "新年度の相談メモ"
    assert consultations["old"].client.name == "株式会社テスト製作所"
    # Feeds of people with nothing left go; alice and frank still have registrations.
    feeds_after = set(db_session.scalars(select(CalendarFeed.email_key)))
    assert feeds_before - feeds_after == set(OLD_ADDRESSES)
    assert {"alice@example.jp", "frank@example.jp", "grace@example.jp"} <= feeds_after
    # Old mails to the purged addresses go; alice's mail of FY2025 stays.
    recipients = [m.recipient.lower() for m in db_session.scalars(select(OutboxMessage))]
    assert recipients.count("alice@example.jp") == 1
    assert not set(OLD_ADDRESSES) & set(recipients)
    # The unsubscribe stays as a suppression record.
    assert db_session.scalar(select(Unsubscribe.email_key)) == "bob@example.jp"
    events = list(
        db_session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.purged"))
    )
    assert len(events) == 1 and events[0].details["registrations"] == 6


def test_second_purge_changes_nothing(db_session, years):
    privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()
    snapshot = _all_text(db_session)
    figures = _figures(db_session)
    again = privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()
    assert again.counts() == dict.fromkeys(again.counts(), 0)
    assert not again.changed
    assert _all_text(db_session) == snapshot and _figures(db_session) == figures
    assert (
        db_session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "privacy.purged")
        )
        == 1
    )


def test_purge_in_batches(db_session, years, monkeypatch):
    monkeypatch.setattr(privacy, "BATCH_SIZE", 2)
    before = _figures(db_session)
    result = privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()
    assert result.registrations == 6 and len(set(result.registration_ids)) == 6
    assert _figures(db_session) == before


def test_purge_refuses_the_current_and_future_years(db_session, years):
    for fy in (2026, 2027):
        with pytest.raises(privacy.PrivacyError):
            privacy.purge_before(db_session, fy, NOW)
    assert years["people"]["bob_2024"].name == "坊 次郎"


def test_cli_refuses_the_current_year(app, db_session, years):
    current = fiscal_year_of(utcnow())
    runner = app.test_cli_runner()
    for fy in (current, current + 1):
        result = runner.invoke(args=["privacy", "purge", "--before-fiscal-year", str(fy), "--yes"])
        assert result.exit_code != 0
        assert "not over yet" in result.output
    db_session.expire_all()
    assert years["people"]["alice_2025"].name == "有栖 花子"


def test_cli_asks_then_purges(app, db_session, years):
    runner = app.test_cli_runner()
    args = ["privacy", "purge", "--before-fiscal-year", "2025"]
    declined = runner.invoke(args=args, input="n\n")
    assert declined.exit_code != 0 and "6  registrations anonymised" in declined.output
    db_session.expire_all()
    assert years["people"]["bob_2024"].name == "坊 次郎"
    done = runner.invoke(args=[*args, "--yes"])
    assert done.exit_code == 0, done.output
    assert "Done:" in done.output
    db_session.expire_all()
    assert years["people"]["bob_2024"].name == privacy.PLACEHOLDER_NAME
    again = runner.invoke(args=[*args, "--yes"])
    assert again.exit_code == 0 and "Nothing to purge." in again.output


# --- a person's requests ----------------------------------------------------------------------


@pytest.fixture
def organizer(organizer_client):
    """An organizer reading the console in English (the messages the tests look for)."""
    organizer_client.get("/language/en")
    return organizer_client


def _events(db_session, action: str) -> list[AuditEvent]:
    db_session.expire_all()
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _assert_no_address(events, address: str) -> None:
    assert events
    for event in events:
        assert address not in json.dumps(event.details, ensure_ascii=False).lower()
        assert address not in event.subject_id.lower()


def test_pages_are_for_organizers_only(client, db_session, make_user, years):
    some = years["people"]["alice_2025"].id
    pages = [
        "/console/privacy/",
        "/console/privacy/notice",
        f"/console/privacy/person/{some}",
        f"/console/privacy/person/{some}/export",
        f"/console/privacy/registration/{some}/correct",
        f"/console/privacy/person/{some}/delete",
    ]
    for page in pages:
        assert client.get(page).status_code == 302
    login(client, make_user(Role.LECTURER, Role.ADVISOR, Role.RECEPTION))
    for page in pages:
        assert client.get(page).status_code == 403, page
    deletion = post_form(client, f"/console/privacy/person/{some}/delete", {}, page="/")
    assert deletion.status_code == 403
    assert years["people"]["alice_2025"].name == "有栖 花子"
    assert _events(db_session, "privacy.viewed") == []


def test_search_shows_everything_held_and_is_audited(organizer, db_session, years):
    people = years["people"]
    response = post_form(organizer, "/console/privacy/", {"email": " ＡＬＩＣＥ@example.JP "})
    assert response.status_code == 302
    assert response.location.endswith(f"/console/privacy/person/{people['alice_2025'].id}")
    page = organizer.get(response.location)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for registration in (people["alice_2024"], people["alice_door"], people["alice_2025"]):
        assert f'id="registration-{registration.id}"' in html
    assert f'id="registration-{people["bob_2024"].id}"' not in html
    for held in ("漏えい時の初動について", "9234567890123", "CERTALICE2024", "有栖です。"):
        assert held in html
    assert "registration.confirmed" in html  # the mails, by kind before they are rendered
    assert "2026-04" in html
    events = _events(db_session, "privacy.viewed")
    assert len(events) == 1
    assert sorted(events[0].details["registration_ids"]) == sorted(
        people[key].id for key in ("alice_2024", "alice_door", "alice_2025")
    )
    _assert_no_address(events, "alice@example.jp")


def test_search_for_an_unknown_address(organizer, db_session, years):
    response = post_form(organizer, "/console/privacy/", {"email": "nobody@example.jp"})
    assert response.status_code == 200
    assert "Nothing is held about this address." in response.get_data(as_text=True)
    _assert_no_address(_events(db_session, "privacy.viewed"), "nobody@example.jp")


def test_search_finds_an_unsubscribe_without_registrations(organizer, db_session, years):
    privacy.purge_before(db_session, 2025, NOW)
    db_session.commit()
    response = post_form(organizer, "/console/privacy/", {"email": "bob@example.jp"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Unsubscribed on" in html
    assert "No registrations." in html


def test_export_is_json_for_the_person(organizer, db_session, years):
    alice = years["people"]["alice_2025"]
    response = organizer.get(f"/console/privacy/person/{alice.id}/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.get_json()
    assert data["email"] == "alice@example.jp"
    assert len(data["registrations"]) == 3
    old = next(r for r in data["registrations"] if r["question"])
    assert old["question"] == "漏えい時の初動について"
    assert old["certificate_code"] == "CERTALICE2024"
    assert old["survey_answers"][0]["answers"]["comment"] == "有栖です。とても役立ちました"
    assert old["privacy_notice_version"] == "2026-04"
    assert data["calendar_feed"] is not None and data["unsubscribed_at"] is None
    _assert_no_address(_events(db_session, "privacy.exported"), "alice@example.jp")


def test_correct_checks_like_the_form_and_is_audited(organizer, db_session, years):
    alice = years["people"]["alice_2025"]
    url = f"/console/privacy/registration/{alice.id}/correct"
    fields = {
        "name": "有栖 華子",
        "name_kana": "ありす はなこ",
        "email": "alice@example.jp",
        "organization": "株式会社テスト製作所",
        "corporate_number": "",
        "department": "法務部",
        "job_title": "",
        "question": "",
    }
    bad = post_form(organizer, url, {**fields, "name_kana": "Alice"})
    assert bad.status_code == 200 and "hiragana or katakana" in bad.get_data(as_text=True)
    db_session.expire_all()
    assert alice.name == "有栖 花子" and alice.department == "総務部"
    taken = post_form(organizer, url, {**fields, "email": "GRACE@example.jp"})
    assert "already registered for this seminar" in taken.get_data(as_text=True)
    db_session.expire_all()
    assert alice.email_key == "alice@example.jp"
    assert _events(db_session, "privacy.corrected") == []

    good = post_form(organizer, url, fields)
    assert good.status_code == 302
    db_session.expire_all()
    assert alice.name == "有栖 華子" and alice.department == "法務部"
    assert alice.name_kana == "ありす はなこ" and alice.job_title is None
    events = _events(db_session, "privacy.corrected")
    assert len(events) == 1
    assert sorted(events[0].details["fields"]) == ["department", "job_title", "name", "name_kana"]
    assert events[0].subject_id == str(alice.id)
    _assert_no_address(events, "alice@example.jp")
    assert "有栖" not in json.dumps(events[0].details, ensure_ascii=False)


def test_correct_the_address(organizer, db_session, years):
    alice = years["people"]["alice_2025"]
    url = f"/console/privacy/registration/{alice.id}/correct"
    fields = {name: getattr(alice, name) or "" for name in privacy.CORRECTABLE}
    response = post_form(organizer, url, {**fields, "email": "Ａlice.new@example.jp"})
    assert response.status_code == 302
    db_session.expire_all()
    assert alice.email == "Alice.new@example.jp" and alice.email_key == "alice.new@example.jp"
    keys = set(db_session.scalars(select(CalendarFeed.email_key)))
    assert "alice.new@example.jp" in keys and "alice@example.jp" in keys  # 2024 ones remain
    _assert_no_address(_events(db_session, "privacy.corrected"), "alice.new@example.jp")


def test_delete_anonymises_the_person_and_keeps_the_figures(organizer, db_session, years):
    people = years["people"]
    before = _figures(db_session)
    alice = people["alice_2025"]
    url = f"/console/privacy/person/{alice.id}/delete"
    confirm = organizer.get(url)
    assert confirm.status_code == 200 and "This cannot be undone." in confirm.get_data(as_text=True)
    db_session.add(Unsubscribe(email_key="alice@example.jp", unsubscribed_at=NOW))
    db_session.commit()
    assert privacy.registrations_of(db_session, "alice@example.jp")  # nothing done yet
    response = post_form(organizer, url, {})
    assert response.status_code == 302
    assert _figures(db_session) == before
    for key in ("alice_2024", "alice_door", "alice_2025"):
        assert people[key].name == privacy.PLACEHOLDER_NAME
        assert people[key].email == f"purged-{people[key].id}@invalid"
    assert people["grace_2025"].name == "グレース 七子"
    assert "有栖" not in _all_text(db_session) and "alice@example.jp" not in _all_text(db_session)
    assert (
        db_session.scalar(
            select(func.count(CalendarFeed.id)).where(CalendarFeed.email_key == "alice@example.jp")
        )
        == 0
    )
    answers = db_session.scalars(
        select(SurveyAnswer).where(SurveyAnswer.registration_id == people["alice_2024"].id)
    ).all()
    assert [a.answers.get("comment") for a in answers] == [None]
    assert [a.answers["satisfaction"] for a in answers] == [5]
    # The unsubscribe is kept: no announcement reaches the address again.
    assert db_session.scalar(select(Unsubscribe).where(Unsubscribe.email_key == "alice@example.jp"))
    events = _events(db_session, "privacy.deleted")
    assert len(events) == 1 and events[0].details["registrations"] == 3
    _assert_no_address(events, "alice@example.jp")


def test_delete_waits_for_upcoming_seminars(organizer, db_session, make_seminar, years):
    upcoming = make_seminar()
    mine = register(db_session, upcoming, email="grace@example.jp", name="グレース 七子")
    url = f"/console/privacy/person/{mine.id}/delete"
    assert "Cancel it before deleting" in organizer.get(url).get_data(as_text=True)
    response = post_form(organizer, url, {})
    assert response.status_code == 409
    db_session.expire_all()
    assert mine.name == "グレース 七子" and years["people"]["grace_2025"].name == "グレース 七子"
    assert _events(db_session, "privacy.deleted") == []


# --- privacy-notice versions -------------------------------------------------------------


def test_notice_versions_with_their_counts(organizer, db_session, make_seminar, app):
    seminar = make_seminar()
    for number in range(3):
        register(db_session, seminar, email=f"old{number}@example.jp")
    for registration in db_session.scalars(select(Registration)):
        registration.privacy_notice_version = "2025-04"
        registration.privacy_agreed_at = datetime(2025, 5, 1 + registration.id % 20, tzinfo=UTC)
    db_session.commit()
    for number in range(2):
        register(db_session, seminar, email=f"new{number}@example.jp")
    versions = {row["version"]: row["agreed"] for row in privacy.notice_versions(db_session)}
    assert versions == {"2025-04": 3, "2026-04": 2}
    html = organizer.get("/console/privacy/notice").get_data(as_text=True)
    rows = re.findall(
        r'<tr( class="privacy-current")?>\s*<th scope="row">([^<\s]+).*?<td class="num">(\d+)</td>',
        html,
        re.S,
    )
    assert [(version, int(count), bool(current)) for current, version, count in rows] == [
        ("2026-04", 2, True),
        ("2025-04", 3, False),
    ]
    assert app.config["PRIVACY_NOTICE_VERSION"] == "2026-04"


def test_a_purged_registrations_old_link_opens_nothing(client, db_session, make_seminar):
    from datetime import timedelta

    from seminar_app.privacy.services import purge_before
    from seminar_app.timeutil import utcnow
    from tests.registration_helpers import register as make_registration

    long_ago = utcnow() - timedelta(days=800)
    seminar = make_seminar(
        starts_at=long_ago, registration_opens_at=None, registration_closes_at=None
    )
    person = make_registration(db_session, seminar, now=long_ago - timedelta(days=5))
    old_link, old_ticket = person.manage_token, person.ticket_code
    assert client.get(f"/r/{old_link}").status_code == 200
    purge_before(db_session, seminar.fiscal_year + 1, utcnow())
    db_session.commit()
    db_session.refresh(person)
    assert person.manage_token != old_link and person.ticket_code != old_ticket
    assert client.get(f"/r/{old_link}").status_code == 404
