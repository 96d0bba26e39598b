"""Group registration (団体申込, issue 19): a contact registers colleagues with them; the group
takes the free seats in the order given and the rest join the waitlist in that order, in one
transaction under the seminar's lock; each person has their own registration and mail; the
refusals name each person's field and write nothing. The concurrency test races groups and
single registrations from several processes on a real database."""

from __future__ import annotations

from dataclasses import replace
from threading import Barrier

import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import func, select

from seminar_app.audit.models import AuditEvent
from seminar_app.domain import Admission, RegistrationStatus
from seminar_app.extensions import db
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration import services
from seminar_app.registration.details import ParticipantDetails, parse_details
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.concurrency import READY_WITHIN, register_many, run_together
from tests.conftest import fresh_database_url, make_app
from tests.registration_helpers import add_open_seminar, details_data, register

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED


def contact(email: str = "soumu@group.example.jp") -> ParticipantDetails:
    details, errors = parse_details(details_data(email=email, name="総務 花子"))
    assert not errors, errors
    return details


def colleague(base: ParticipantDetails, n: int, email: str | None = None) -> ParticipantDetails:
    """A colleague of the contact: their own name, reading and address, the company shared."""
    return replace(
        base,
        name=f"同僚 {n}郎",
        name_kana="どうりょう",
        email=email or f"colleague{n}@group.example.jp",
        department="開発部",
        job_title="主任",
        question=None,
    )


def register_group(session, seminar, people: int, *, first=None, **members):
    lead = first or contact()
    group = services.register_group(
        session,
        seminar.id,
        lead,
        [colleague(lead, n) for n in range(1, people)],
        now=utcnow(),
        privacy_notice_version="2026-04",
        **members,
    )
    session.commit()
    return group


def counts(session) -> tuple[int, int, int]:
    """Registrations, mails and audit rows: what a refusal leaves alone."""
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Registration, OutboxMessage, AuditEvent)
    )


def test_a_group_takes_free_seats_each_person_their_own(db_session, make_seminar):
    seminar = make_seminar(capacity=10)
    group = register_group(db_session, seminar, 3)
    assert [r.status for r in group] == [CONFIRMED] * 3
    assert {r.group_id for r in group} == {group[0].id}
    assert len({r.manage_token for r in group}) == 3 and len({r.ticket_code for r in group}) == 3
    assert [r.department for r in group] == ["総務部", "開発部", "開発部"]
    assert {r.organization for r in group} == {group[0].organization}
    mails = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.kind, m.recipient) for m in mails] == [
        ("registration.confirmed", r.email) for r in group
    ]
    [event] = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "registration.group_created")
    ).all()
    assert event.details["registrations"] == [r.id for r in group]


def test_the_seats_go_in_the_order_given_and_the_rest_wait_in_that_order(db_session, make_seminar):
    seminar = make_seminar(capacity=5)
    for n in range(3):
        register(db_session, seminar, email=f"before{n}@example.jp")
    group = register_group(db_session, seminar, 4)
    assert [r.status for r in group] == [CONFIRMED, CONFIRMED, WAITLISTED, WAITLISTED]
    assert [services.waitlist_position(db_session, r) for r in group[2:]] == [1, 2]
    kinds = db_session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient.in_([r.email for r in group]))
    ).all()
    assert sorted(kinds) == ["registration.confirmed"] * 2 + ["registration.waitlisted"] * 2


def test_a_group_waits_behind_people_already_waiting(db_session, make_seminar):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar, email="seated@example.jp")
    register(db_session, seminar, email="waiting@example.jp")
    group = register_group(db_session, seminar, 2)
    assert [r.status for r in group] == [WAITLISTED, WAITLISTED]
    assert [services.waitlist_position(db_session, r) for r in group] == [2, 3]


def test_a_lottery_seminar_takes_the_group_as_applications(db_session, make_seminar):
    seminar = make_seminar(capacity=1, admission=Admission.LOTTERY)
    group = register_group(db_session, seminar, 3)
    assert {r.status for r in group} == {RegistrationStatus.APPLIED}


def refused(app, db_session, seminar, lead, members) -> dict[str, str]:
    before = counts(db_session)
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(services.GroupRefused) as caught,
    ):
        services.register_group(
            db_session,
            seminar.id,
            lead,
            members,
            now=utcnow(),
            privacy_notice_version="2026-04",
        )
    db_session.rollback()
    assert counts(db_session) == before
    return caught.value.problems


def test_an_address_twice_in_the_group_is_refused_beside_the_second(app, db_session, make_seminar):
    seminar, lead = make_seminar(), contact()
    members = [colleague(lead, 1), colleague(lead, 2, email="COLLEAGUE1@group.example.jp")]
    assert refused(app, db_session, seminar, lead, members) == {
        "members-1-email": "This address is already in the group: each person needs their own."
    }


def test_an_address_already_registered_is_refused_beside_its_person(app, db_session, make_seminar):
    seminar, lead = make_seminar(), contact()
    register(db_session, seminar, email="colleague2@group.example.jp")
    register(db_session, seminar, email=lead.email)
    members = [colleague(lead, 1), colleague(lead, 2)]
    assert refused(app, db_session, seminar, lead, members) == {
        "email": "This address is already registered for this seminar.",
        "members-1-email": "This address is already registered for this seminar.",
    }


def test_a_group_larger_than_the_seminar_takes_is_refused(app, db_session, make_seminar):
    lead = contact()
    members = [colleague(lead, n) for n in range(1, 4)]
    small = make_seminar(max_group_size=3)
    assert refused(app, db_session, small, lead, members) == {
        "members": "A group can be at most 3 people, yourself included."
    }
    single = make_seminar(max_group_size=1)
    assert refused(app, db_session, single, lead, members[:1]) == {
        "members": "This seminar takes registrations one person at a time."
    }


def test_a_group_of_one_is_a_registration_as_any_other(db_session, make_seminar):
    seminar = make_seminar(max_group_size=1)
    [alone] = register_group(db_session, seminar, 1)
    assert alone.status == CONFIRMED and alone.group_id == alone.id


# --- several processes at once --------------------------------------------------------------

PROCESSES = 4
CAPACITY = 13


def _register_groups(url: str, seminar_id: int, tag: str, start: Barrier) -> list[list[str]]:
    """Three groups of three, one after another, once every process is ready; each group's
    statuses in the order given, or the error it met."""
    app = make_app(url)
    outcomes: list[list[str]] = []
    with app.app_context():
        start.wait(timeout=READY_WITHIN)
        for number in range(3):
            lead = contact(f"{tag}-{number}-0@example.jp")
            members = [colleague(lead, n, f"{tag}-{number}-{n}@example.jp") for n in (1, 2)]
            try:
                group = services.register_group(
                    db.session,
                    seminar_id,
                    lead,
                    members,
                    now=utcnow(),
                    privacy_notice_version="2026-04",
                )
                db.session.commit()
                outcomes.append([r.status.value for r in group])
            except Exception as exc:
                db.session.rollback()
                outcomes.append([f"error {type(exc).__name__}: {exc}"])
        db.engine.dispose()
    return outcomes


def test_groups_and_single_registrations_at_once_never_oversell(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_group_race")
    app = make_app(url)
    with app.app_context():
        upgrade()
        seminar_id = add_open_seminar(db.session, slug="group-race", capacity=CAPACITY).id
        db.engine.dispose()
    jobs = [(url, seminar_id, f"g{worker}") for worker in range(PROCESSES - 1)]
    singles = (url, seminar_id, [(f"single{n}@example.jp", None) for n in range(9)])
    results = run_together(
        _dispatch_job, [("groups", job) for job in jobs] + [("singles", singles)]
    )
    groups = [group for part in results[:-1] for group in part]
    assert not [g for g in groups if g[0].startswith("error")], groups
    assert not [s for s in results[-1] if s.startswith("error")], results[-1]
    # Within each group the seats come first and the waitlist after, never the reverse.
    for group in groups:
        assert group == sorted(group, key=lambda status: status != "confirmed"), group
    with app.app_context():
        rows = db.session.scalars(
            select(Registration)
            .where(Registration.seminar_id == seminar_id)
            .order_by(Registration.id)
        ).all()
        confirmed = [r for r in rows if r.status == CONFIRMED]
        waiting = {
            r.id: services.waitlist_position(db.session, r) for r in rows if r.status == WAITLISTED
        }
        by_group: dict[int, list[Registration]] = {}
        for row in rows:
            if row.group_id is not None:
                by_group.setdefault(row.group_id, []).append(row)
        db.engine.dispose()
    assert len(confirmed) == CAPACITY
    assert sorted(waiting.values()) == list(range(1, len(rows) - CAPACITY + 1))
    # No group half-written: every group has its three people, its contact first.
    assert len(by_group) == 3 * (PROCESSES - 1)
    assert all(len(members) == 3 and members[0].id == gid for gid, members in by_group.items())
    # A group's waiting members wait in the order they were listed.
    for members in by_group.values():
        places = [waiting[m.id] for m in members if m.id in waiting]
        assert places == sorted(places)


def _dispatch_job(kind: str, job: tuple, start: Barrier):
    """One process's work: groups, or single registrations (tests.concurrency.register_many)."""
    if kind == "groups":
        return _register_groups(*job, start)
    return register_many(*job, start)
