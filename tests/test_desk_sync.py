"""The offline desk's server side: check-ins reported later keep their moment, the earliest
moment wins, the audit shows every desk's attempt, each report is answered (or refused) on
its own; the roster a desk keeps, the service worker, the page kept for offline use, and
what logging out tells the browser to delete."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from threading import Barrier

import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import func, select

from seminar_app.attendance import offline, services
from seminar_app.attendance.models import CheckIn
from seminar_app.audit.models import AuditEvent
from seminar_app.domain import AttendanceMode, CheckInMethod, Delivery, Role
from seminar_app.extensions import db
from seminar_app.registration import services as registrations
from seminar_app.registration.details import parse_details
from seminar_app.timeutil import jst_datetime, to_jst, utcnow
from tests.concurrency import READY_WITHIN, run_together
from tests.conftest import csrf_token, fresh_database_url, login, make_app, post_form
from tests.registration_helpers import add_open_seminar, details_data, register

ENGLISH = {"Accept-Language": "en"}
JAPANESE = {"Accept-Language": "ja"}


@pytest.fixture
def held_today(db_session, make_seminar):
    """A seminar that began half an hour ago (registrations taken while it was ahead)."""

    def factory(**overrides):
        seminar = make_seminar(**overrides)
        people = [register(db_session, seminar, name=f"受付 {n}郎") for n in range(3)]
        seminar.starts_at = utcnow().replace(microsecond=0) - timedelta(minutes=30)
        seminar.ends_at = seminar.starts_at + timedelta(hours=2)
        db_session.commit()
        return seminar, people

    return factory


def report(seminar, registration, *, desk: str, at: datetime, now: datetime, db_session):
    result = services.admit_reported(
        db_session,
        registration,
        seminar,
        by=None,
        method=CheckInMethod.SCAN,
        desk=desk,
        at=at,
        now=now,
    )
    db_session.commit()
    return result


def audit_of(db_session, registration) -> list[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "registration",
            AuditEvent.subject_id == str(registration.id),
            AuditEvent.action.like("attendance.%"),
        )
        .order_by(AuditEvent.id)
    ).all()


def check_in_of(db_session, registration) -> CheckIn | None:
    db_session.expire_all()
    return db_session.scalar(select(CheckIn).where(CheckIn.registration_id == registration.id))


# --- the rule: attendance.services.admit_reported ------------------------------------------


def test_a_reported_check_in_keeps_the_moment_it_happened(db_session, held_today):
    seminar, (person, *_) = held_today()
    at = seminar.starts_at - timedelta(minutes=10)
    result = report(seminar, person, desk="受付A", at=at, now=utcnow(), db_session=db_session)
    assert result.outcome == services.Outcome.CHECKED_IN
    kept = check_in_of(db_session, person)
    assert kept.checked_in_at == at and kept.desk == "受付A"
    (event,) = audit_of(db_session, person)
    assert event.action == "attendance.checked_in"
    assert event.details["desk"] == "受付A"
    assert datetime.fromisoformat(event.details["checked_in_at"]) == at


def test_a_moment_given_with_any_offset_is_the_same_moment(db_session, held_today):
    seminar, (person, *_) = held_today()
    at = (seminar.starts_at + timedelta(minutes=3)).astimezone(to_jst(utcnow()).tzinfo)
    report(seminar, person, desk="受付A", at=at, now=utcnow(), db_session=db_session)
    assert check_in_of(db_session, person).checked_in_at == at.astimezone(UTC)


def test_an_earlier_report_synced_later_takes_the_record_and_the_audit_keeps_both(
    db_session, held_today, make_user
):
    seminar, (person, *_) = held_today()
    staff_a = make_user(Role.RECEPTION)
    early, late = seminar.starts_at, seminar.starts_at + timedelta(minutes=3)
    later_desk = report(seminar, person, desk="受付B", at=late, now=utcnow(), db_session=db_session)
    assert later_desk.outcome == services.Outcome.CHECKED_IN
    earlier_desk = services.admit_reported(
        db_session,
        person,
        seminar,
        by=staff_a,
        method=CheckInMethod.SEARCH,
        desk="受付A",
        at=early,
        now=utcnow(),
    )
    db_session.commit()
    assert earlier_desk.outcome == services.Outcome.CHECKED_IN
    assert earlier_desk.replaced == services.ReplacedCheckIn("受付B", late)
    kept = check_in_of(db_session, person)
    assert (kept.checked_in_at, kept.desk, kept.method) == (early, "受付A", CheckInMethod.SEARCH)
    assert kept.checked_in_by_id == staff_a.id
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 1
    first, second = audit_of(db_session, person)
    assert (first.action, first.details["desk"]) == ("attendance.checked_in", "受付B")
    assert (second.action, second.details["desk"]) == ("attendance.checked_in", "受付A")
    assert second.details["replaces"]["desk"] == "受付B"
    assert datetime.fromisoformat(second.details["replaces"]["checked_in_at"]) == late


def test_a_later_report_is_told_already_and_its_attempt_is_audited(db_session, held_today):
    seminar, (person, *_) = held_today()
    early, late = seminar.starts_at, seminar.starts_at + timedelta(minutes=3)
    report(seminar, person, desk="受付A", at=early, now=utcnow(), db_session=db_session)
    result = report(seminar, person, desk="受付B", at=late, now=utcnow(), db_session=db_session)
    assert result.outcome == services.Outcome.ALREADY
    assert (result.check_in.desk, result.check_in.checked_in_at) == ("受付A", early)
    kept = check_in_of(db_session, person)
    assert (kept.checked_in_at, kept.desk) == (early, "受付A")
    first, second = audit_of(db_session, person)
    assert first.action == "attendance.checked_in" and first.details["desk"] == "受付A"
    assert second.action == "attendance.check_in_repeated"
    assert second.details["desk"] == "受付B"
    assert datetime.fromisoformat(second.details["checked_in_at"]) == late
    assert second.details["first"]["desk"] == "受付A"


def test_the_same_report_sent_twice_is_recorded_once(db_session, held_today):
    seminar, (person, *_) = held_today()
    at = seminar.starts_at + timedelta(minutes=1, microseconds=123000)
    report(seminar, person, desk="受付A", at=at, now=utcnow(), db_session=db_session)
    again = report(seminar, person, desk="受付A", at=at, now=utcnow(), db_session=db_session)
    assert again.outcome == services.Outcome.CHECKED_IN
    assert len(audit_of(db_session, person)) == 1


def test_an_online_scan_after_an_earlier_offline_check_in_is_replaced(db_session, held_today):
    """Online scans and reports follow the one rule: the earliest moment stays."""
    seminar, (person, *_) = held_today()
    services.check_in_code(
        db_session,
        seminar.id,
        person.ticket_code,
        by=None,
        method=CheckInMethod.SCAN,
        desk="受付B",
        now=utcnow(),
    )
    db_session.commit()
    early = seminar.starts_at
    report(seminar, person, desk="受付A", at=early, now=utcnow(), db_session=db_session)
    assert check_in_of(db_session, person).desk == "受付A"


@pytest.mark.parametrize(
    ("moment", "taken"),
    [
        (lambda now, day: now + services.CLOCK_SKEW - timedelta(seconds=1), True),
        (lambda now, day: now + services.CLOCK_SKEW + timedelta(seconds=1), False),
        (lambda now, day: day - services.DESK_LEAD_TIME, True),
        (lambda now, day: day - services.DESK_LEAD_TIME - timedelta(seconds=1), False),
        (lambda now, day: datetime(2000, 1, 1, tzinfo=UTC), False),
    ],
    ids=["skew-ok", "future", "desk-opens", "before-the-desk-opens", "clock-reset"],
)
def test_a_moment_after_now_or_long_before_the_seminars_day_is_refused(
    db_session, held_today, moment, taken
):
    seminar, (person, *_) = held_today()
    now = utcnow()
    day = jst_datetime(to_jst(seminar.starts_at).date(), time(0))
    before = db_session.scalar(select(func.count()).select_from(AuditEvent))
    if taken:
        report(seminar, person, desk="A", at=moment(now, day), now=now, db_session=db_session)
        assert check_in_of(db_session, person) is not None
        return
    with pytest.raises(services.ReportedTimeRefused) as refusal, force_locale("en"):
        report(seminar, person, desk="A", at=moment(now, day), now=now, db_session=db_session)
    db_session.rollback()
    assert "clock of this device" in refusal.value.problems["at"]
    assert check_in_of(db_session, person) is None
    assert db_session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_a_reported_check_in_follows_the_desks_other_rules(db_session, held_today, make_seminar):
    seminar, (_seated, leaving, _) = held_today()
    registrations.cancel(db_session, leaving.id, utcnow(), by_participant=False)
    other = make_seminar()
    elsewhere = register(db_session, other)
    db_session.commit()
    at = seminar.starts_at
    outcomes = [
        report(seminar, who, desk="A", at=at, now=utcnow(), db_session=db_session).outcome
        for who in (leaving, elsewhere)
    ]
    assert outcomes == [services.Outcome.CANCELLED, services.Outcome.OTHER_SEMINAR]
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 0


# --- the desk's exchanges with the server --------------------------------------------------


@pytest.fixture
def reception(client, make_user):
    login(client, make_user(Role.RECEPTION))
    return client


def sync(client, seminar, items, *, headers=None, token=None):
    token = token or csrf_token(client, f"/desk/{seminar.id}")
    return client.post(
        f"/desk/{seminar.id}/sync",
        json=items,
        headers={"X-CSRFToken": token, **(headers or ENGLISH)},
    )


def item(key, at, **values):
    return {"key": key, "at": at.isoformat(), "desk": "受付A", "method": "scan", **values}


def test_sync_records_each_check_in_with_its_moment_and_answers_in_order(
    reception, db_session, held_today
):
    seminar, (first, second, _) = held_today()
    at = seminar.starts_at + timedelta(minutes=1)
    response = sync(
        reception,
        seminar,
        [
            item("k1", at, registration_id=first.id, method="search"),
            item("k2", at.astimezone(to_jst(at).tzinfo), code=second.ticket_code.lower()),
        ],
    )
    assert response.status_code == 200
    answers = response.get_json()["answers"]
    assert [(a["key"], a["outcome"]) for a in answers] == [
        ("k1", "checked-in"),
        ("k2", "checked-in"),
    ]
    assert answers[0]["registration_id"] == first.id and answers[0]["name"] == first.name
    assert datetime.fromisoformat(answers[1]["checked_in_at"]) == at
    kept = check_in_of(db_session, first)
    assert (kept.checked_in_at, kept.desk, kept.method) == (at, "受付A", CheckInMethod.SEARCH)
    assert check_in_of(db_session, second).method == CheckInMethod.SCAN
    assert "no-store" in response.headers["Cache-Control"]


def test_the_later_desk_is_told_where_and_when_the_person_was_checked_in(
    reception, db_session, held_today
):
    seminar, (person, *_) = held_today()
    early = seminar.starts_at + timedelta(minutes=2)
    sync(reception, seminar, [item("a", early, registration_id=person.id)])
    later = {**item("b", early + timedelta(minutes=1), code=person.ticket_code), "desk": "受付B"}
    (answer,) = sync(reception, seminar, [later]).get_json()["answers"]
    assert answer["outcome"] == "already-checked-in"
    assert answer["message"] == f"Already checked in at desk “受付A” at {to_jst(early):%H:%M}."
    assert answer["desk"] == "受付A"
    assert [event.details["desk"] for event in audit_of(db_session, person)] == ["受付A", "受付B"]


def test_the_answer_is_in_the_language_of_the_page(reception, held_today):
    """Japanese: fails until the lead merges this branch's translations."""
    seminar, (person, *_) = held_today()
    early = seminar.starts_at + timedelta(minutes=2)
    sync(reception, seminar, [item("a", early, registration_id=person.id)])
    later = {**item("b", early + timedelta(minutes=1), registration_id=person.id), "desk": "受付B"}
    (answer,) = sync(reception, seminar, [later], headers=JAPANESE).get_json()["answers"]
    assert answer["message"] == f"受付端末「受付A」で{to_jst(early):%H:%M}に受付済みです。"


def test_an_earlier_report_synced_later_is_answered_checked_in_with_what_it_replaced(
    reception, db_session, held_today
):
    seminar, (person, *_) = held_today()
    late = seminar.starts_at + timedelta(minutes=5)
    sync(reception, seminar, [{**item("b", late, registration_id=person.id), "desk": "受付B"}])
    early = late - timedelta(minutes=3)
    (answer,) = sync(reception, seminar, [item("a", early, registration_id=person.id)]).get_json()[
        "answers"
    ]
    assert answer["outcome"] == "checked-in" and answer["desk"] == "受付A"
    assert f"“受付B” at {to_jst(late):%H:%M}" in answer["message"]
    assert check_in_of(db_session, person).checked_in_at == early


def test_each_report_is_refused_on_its_own_with_its_reason(
    reception, db_session, held_today, make_seminar
):
    seminar, (person, leaving, third) = held_today()
    registrations.cancel(db_session, leaving.id, utcnow(), by_participant=False)
    elsewhere = register(db_session, make_seminar())
    db_session.commit()
    now, at = utcnow(), seminar.starts_at
    items = [
        item("future", now + timedelta(hours=1), registration_id=person.id),
        item("naive", at.replace(tzinfo=None), registration_id=person.id),
        {"key": "no-time", "registration_id": person.id, "method": "scan"},
        item("nobody", at),
        item("method", at, registration_id=person.id, method="telepathy"),
        {"at": at.isoformat(), "registration_id": person.id, "method": "scan"},
        "not an object",
        item("cancelled", at, registration_id=leaving.id),
        item("other", at, code=elsewhere.ticket_code),
        item("unknown", at, code="ABCD-EFGH-JKLM"),
        item("huge-id", at, registration_id=2**63),
        item("taken", at, registration_id=third.id),
    ]
    answers = sync(reception, seminar, items).get_json()["answers"]
    assert [(a["key"], a["outcome"]) for a in answers] == [
        ("future", "refused"),
        ("naive", "refused"),
        ("no-time", "refused"),
        ("nobody", "refused"),
        ("method", "refused"),
        (None, "refused"),
        (None, "refused"),
        ("cancelled", "cancelled"),
        ("other", "other-seminar"),
        ("unknown", "unknown"),
        ("huge-id", "refused"),
        ("taken", "checked-in"),
    ]
    messages = {a["key"]: a["message"] for a in answers}
    assert "is in the future: check the clock of this device" in messages["future"]
    assert messages["naive"] == "The time of this check-in is missing or has no time zone."
    assert messages["nobody"] == "This check-in could not be read."
    assert answers[8]["seminar"].startswith(elsewhere.seminar.title)
    assert "name" not in answers[8]  # another seminar's person stays unnamed
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert check_in_of(db_session, person) is None


def test_sync_takes_a_json_list_of_bounded_length(reception, db_session, held_today):
    seminar, (person, *_) = held_today()
    at = seminar.starts_at
    assert sync(reception, seminar, {"key": "k"}).status_code == 400
    too_many = [item(f"k{n}", at, registration_id=person.id) for n in range(201)]
    refused = sync(reception, seminar, too_many)
    assert refused.status_code == 400 and "at most 200" in refused.get_json()["error"]
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_sync_needs_the_csrf_token_in_its_header(reception, db_session, held_today):
    seminar, (person, *_) = held_today()
    body = [item("k", seminar.starts_at, registration_id=person.id)]
    refused = reception.post(f"/desk/{seminar.id}/sync", json=body, headers=ENGLISH)
    assert refused.status_code == 400
    assert "The form had expired" in refused.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 0
    assert sync(reception, seminar, body).status_code == 200


def test_a_desk_without_a_name_in_its_reports_is_named_as_the_session_names_it(
    reception, db_session, held_today
):
    seminar, (person, *_) = held_today()
    post_form(reception, "/desk/name", {"desk_name": "受付Ｃ"}, page="/desk/")
    body = [{**item("k", seminar.starts_at, registration_id=person.id), "desk": "  "}]
    sync(reception, seminar, body)
    assert check_in_of(db_session, person).desk == "受付C"


def roster_of(client, seminar, **headers):
    return client.get(f"/desk/{seminar.id}/roster", headers=headers)


def test_the_roster_holds_what_the_desk_shows_and_nothing_more(reception, db_session, held_today):
    seminar, (person, leaving, _) = held_today()
    registrations.cancel(db_session, leaving.id, utcnow(), by_participant=False)
    db_session.commit()
    sync(reception, seminar, [item("k", seminar.starts_at, registration_id=person.id)])
    response = roster_of(reception, seminar)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    entries = {entry["id"]: entry for entry in response.get_json()["registrations"]}
    assert len(entries) == 3
    fields = {
        "id",
        "code",
        "name",
        "kana",
        "organization",
        "status",
        "online",
        "row",
        "checked_in_at",
        "desk",
    }
    assert all(set(entry) == fields for entry in entries.values())
    kept = entries[person.id]
    assert (kept["code"], kept["name"], kept["kana"]) == (
        person.ticket_code,
        person.name,
        person.name_kana,
    )
    assert kept["row"] == services.kana_row(person.name_kana)
    assert kept["desk"] == "受付A"
    assert datetime.fromisoformat(kept["checked_in_at"]) == seminar.starts_at
    assert entries[leaving.id]["status"] == "cancelled"
    assert entries[leaving.id]["checked_in_at"] is None
    assert person.email not in response.get_data(as_text=True)


def test_the_roster_answers_unchanged_when_the_desk_has_it_and_brings_a_csrf_token(
    reception, db_session, held_today
):
    seminar, (person, *_) = held_today()
    first = roster_of(reception, seminar)
    etag = first.headers["ETag"]
    assert roster_of(reception, seminar, **{"If-None-Match": etag}).status_code == 304
    sync(reception, seminar, [item("k", seminar.starts_at, registration_id=person.id)])
    changed = roster_of(reception, seminar, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    body = [item("j", seminar.starts_at, registration_id=person.id)]
    assert sync(reception, seminar, body, token=first.headers["X-CSRF-Token"]).status_code == 200


def test_the_roster_tells_who_at_a_hybrid_seminar_attends_online(
    reception, db_session, make_seminar
):
    seminar = make_seminar(delivery=Delivery.HYBRID, venue="会議室", online_capacity=5)
    at_venue = register(db_session, seminar, attendance_mode=AttendanceMode.VENUE)
    online = register(db_session, seminar, attendance_mode=AttendanceMode.ONLINE)
    entries = {e["id"]: e for e in roster_of(reception, seminar).get_json()["registrations"]}
    assert (entries[at_venue.id]["online"], entries[online.id]["online"]) == (False, True)


@pytest.mark.parametrize(
    ("roles", "status"),
    [(None, 302), ((Role.LECTURER,), 403), ((Role.ADVISOR,), 403), ((Role.ORGANIZER,), 200)],
)
def test_only_the_desks_roles_reach_the_roster_the_sync_and_the_worker(
    client, db_session, make_user, held_today, roles, status
):
    seminar, (person, *_) = held_today()
    token = csrf_token(client, "/login")
    if roles:
        login(client, make_user(*roles))
        token = csrf_token(client, "/staff")
    body = [item("k", seminar.starts_at, registration_id=person.id)]
    for response in (
        client.get(f"/desk/{seminar.id}/roster"),
        client.get("/desk/service-worker.js"),
        client.post(f"/desk/{seminar.id}/sync", json=body, headers={"X-CSRFToken": token}),
    ):
        assert response.status_code == status, response.request.path
        if status == 302:
            assert "/login" in response.headers["Location"]
    assert (db_session.scalar(select(func.count()).select_from(CheckIn)) == 1) == (status == 200)


def test_an_unpublished_seminar_has_no_roster_and_takes_no_reports(
    reception, db_session, held_today
):
    seminar, (person, *_) = held_today()
    seminar.status = "draft"
    db_session.commit()
    assert roster_of(reception, seminar).status_code == 404
    token = csrf_token(reception, "/desk/")
    body = [item("k", seminar.starts_at, registration_id=person.id)]
    assert sync(reception, seminar, body, token=token).status_code == 404


def test_the_service_worker_is_javascript_that_is_never_cached(reception):
    response = reception.get("/desk/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'addEventListener("fetch"' in response.get_data(as_text=True)


def test_the_page_kept_offline_holds_nobodys_data_and_leaves_the_messages(
    reception, db_session, held_today
):
    seminar, people = held_today()
    sync(reception, seminar, [item("k", seminar.starts_at, registration_id=people[0].id)])
    post_form(reception, "/desk/name", {"desk_name": "受付A"}, page="/desk/", headers=ENGLISH)
    copy = reception.get(f"/desk/{seminar.id}", headers={"X-Desk-Copy": "offline", **ENGLISH})
    html = copy.get_data(as_text=True)
    assert copy.status_code == 200 and "data-offline-copy" in html
    assert "no-store" in copy.headers["Cache-Control"]
    for person in people:
        assert person.name not in html and person.ticket_code not in html
    assert "is now called" not in html
    page = reception.get(f"/desk/{seminar.id}", headers=ENGLISH).get_data(as_text=True)
    assert "is now called “受付A”" in page  # the flash waited for the real page
    assert people[0].name in page and "data-offline-copy" not in page


def test_the_desk_page_hands_its_words_to_the_script_in_its_language(reception, held_today):
    seminar, _people = held_today()
    html = reception.get(f"/desk/{seminar.id}", headers=ENGLISH).get_data(as_text=True)
    attribute = re.search(r"data-strings='([^']*)'", html)
    assert attribute
    strings = json.loads(attribute.group(1).replace("&#39;", "'"))
    assert strings["checked_in_at"] == "Checked in %(time)s"
    assert strings["statuses"]["confirmed"] == "Confirmed"
    assert set(offline.desk_strings()) == set(strings)
    with force_locale("ja"):
        japanese = offline.desk_strings()
    assert japanese["checked_in"] == "受付しました"


def test_logging_out_tells_the_browser_to_delete_what_it_keeps(client, make_user):
    login(client, make_user(Role.RECEPTION))
    response = post_form(client, "/logout", {}, page="/staff")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


# --- several desks at once ----------------------------------------------------------------

DESKS = 4
TICKETS = 12


def _desk_reports(url, seminar_id, people, desk, start: Barrier) -> list[str]:
    """One desk sends its check-ins of every person (each at its own moment) in one sync."""
    app = make_app(url)
    with app.app_context():
        from seminar_app.catalogue.models import Seminar

        seminar = db.session.get(Seminar, seminar_id)
        reports = [
            services.ReportedCheckIn(
                key=f"{desk}-{registration_id}",
                at=datetime.fromisoformat(at),
                desk=desk,
                method=CheckInMethod.SCAN,
                registration_id=registration_id,
            )
            for registration_id, at in people
        ]
        start.wait(timeout=READY_WITHIN)
        try:
            answers = services.record_reported(db.session, seminar, reports, by=None, now=utcnow())
            db.session.commit()
            outcomes = [answer.result.outcome.value for answer in answers]
        except Exception as exc:
            db.session.rollback()
            outcomes = [f"error {type(exc).__name__}: {exc}"]
        db.engine.dispose()
    return outcomes


def test_desks_syncing_the_same_people_at_once_keep_the_earliest_moment(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_desk_sync")
    app = make_app(url)
    with app.app_context():
        upgrade()
        seminar = add_open_seminar(
            db.session, slug="door", capacity=TICKETS, starts_in=timedelta(hours=1)
        )
        ids = []
        for n in range(TICKETS):
            details, _ = parse_details(details_data(email=f"sync{n}@example.jp"))
            registration = registrations.register(
                db.session, seminar.id, details, now=utcnow(), privacy_notice_version="x"
            )
            db.session.commit()
            ids.append(registration.id)
        seminar.starts_at = utcnow() - timedelta(minutes=30)
        db.session.commit()
        seminar_id, opened = seminar.id, seminar.starts_at
        db.engine.dispose()

    def moment(desk: int, n: int) -> datetime:
        # Which desk saw a person first differs from person to person.
        return opened + timedelta(seconds=(desk * 7 + n * 5) % (DESKS * 3) + 1)

    jobs = []
    for desk in range(DESKS):
        people = [(ids[n], moment(desk, n).isoformat()) for n in range(TICKETS)]
        # Each desk sends them in its own order: locks are still taken in one order.
        people = people[desk * 3 :] + people[: desk * 3]
        jobs.append((url, seminar_id, people, f"desk-{desk}"))
    outcomes = Counter(o for part in run_together(_desk_reports, jobs) for o in part)
    assert set(outcomes) <= {"checked-in", "already-checked-in"}, outcomes
    assert sum(outcomes.values()) == DESKS * TICKETS
    with app.app_context():
        kept = dict(
            db.session.execute(select(CheckIn.registration_id, CheckIn.checked_in_at))
            .tuples()
            .all()
        )
        assert len(kept) == TICKETS
        for n, registration_id in enumerate(ids):
            earliest = min(moment(desk, n) for desk in range(DESKS))
            assert kept[registration_id] == earliest, n
        attempts = db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.in_(["attendance.checked_in", "attendance.check_in_repeated"]))
        )
        assert attempts == DESKS * TICKETS
        db.engine.dispose()
