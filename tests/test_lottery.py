"""The lottery (抽選): applications until the deadline, one reproducible draw, its mails."""

from __future__ import annotations

import email
import email.policy
import random
import re
from datetime import timedelta
from email.message import EmailMessage

import jsonschema
import pytest
from sqlalchemy import func, select

from seminar_app.api.openapi import SEMINAR_SCHEMA
from seminar_app.audit.models import AuditEvent
from seminar_app.catalogue import lifecycle
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import Admission, RegistrationStatus, Role
from seminar_app.i18n import format_moment
from seminar_app.notifications.models import OutboxMessage
from seminar_app.notifications.services import render
from seminar_app.registration import services
from seminar_app.registration.lottery import LotteryError, draw, drawn_order
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.conftest import post_form
from tests.registration_helpers import details_data, register
from tests.test_registration_api import bearer, issue_token, validate_against
from tests.test_registration_pages import form_data

# ---------------------------------------------------------------- helpers


def lottery_seminar(make_seminar, *, capacity=3, closed=True, **overrides):
    """A lottery seminar; `closed`: its deadline passed an hour ago (so it can be drawn)."""
    now = utcnow().replace(microsecond=0)
    closes = now - timedelta(hours=1) if closed else now + timedelta(days=3)
    return make_seminar(
        capacity=capacity,
        admission=Admission.LOTTERY,
        registration_closes_at=closes,
        **overrides,
    )


def apply(db_session, seminar, **overrides):
    """An application made before the seminar's deadline."""
    before = seminar.registration_closes_at - timedelta(hours=2)
    return register(db_session, seminar, now=before, **overrides)


def applications(db_session, seminar, count, *, prefix="p", attributes=None):
    made = []
    for number in range(count):
        attribute = attributes[number] if attributes else "sme"
        extra = {} if attribute in ("sme", "large-company") else {"employee_band": None}
        made.append(
            apply(
                db_session,
                seminar,
                email=f"{prefix}{number}@example.jp",
                attribute=attribute,
                locale="en",
                **extra,
            )
        )
    return made


def rows(db_session, seminar) -> list[Registration]:
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(Registration)
            .where(Registration.seminar_id == seminar.id)
            .order_by(Registration.id)
        )
    )


def snapshot(db_session, seminar) -> list[tuple]:
    return [
        (row.id, row.status, row.lottery_rank, row.confirmed_at)
        for row in rows(db_session, seminar)
    ]


def outbox(db_session, kind=None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db_session.scalars(query))


def mails_by_registration(db_session, kind) -> dict[int, OutboxMessage]:
    return {row.payload["registration_id"]: row for row in outbox(db_session, kind)}


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def content_types(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def text_of(message: EmailMessage) -> str:
    [part] = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    return " ".join(part.get_content().split())


def draw_events(db_session, seminar) -> list[AuditEvent]:
    return list(
        db_session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "lottery.drawn", AuditEvent.subject_id == str(seminar.id)
            )
        )
    )


def drawn(db_session, seminar, seed=None):
    result = draw(db_session, seminar.id, seed=seed, now=utcnow())
    db_session.commit()
    return result


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["lottery", "draw", *map(str, args)])


# ---------------------------------------------------------------- applications


def test_form_application_is_applied_without_seat_or_ticket(client, make_seminar, db_session):
    seminar = lottery_seminar(make_seminar, capacity=1, closed=False)
    url = f"/seminars/{seminar.slug}/register"
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Seats in this seminar are given by lottery" in page
    review = form_data(email="one@example.jp")
    del review["register"]
    confirmation = post_form(client, url, review, headers={"Accept-Language": "en"})
    assert "Apply for the lottery" in confirmation.get_data(as_text=True)
    first = post_form(client, url, form_data(email="one@example.jp"))
    second = post_form(client, url, form_data(email="two@example.jp"))
    assert first.status_code == second.status_code == 303
    found = rows(db_session, seminar)
    assert [row.status for row in found] == ["applied", "applied"]  # capacity 1 refuses none
    assert services.seats_taken(db_session, seminar.id) == 0
    assert all(services.waitlist_position(db_session, row) is None for row in found)
    assert sorted(mails_by_registration(db_session, "registration.applied")) == [
        row.id for row in found
    ]
    assert not outbox(db_session, "registration.confirmed")
    html = client.get(second.headers["Location"], headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Applied; the draw follows the deadline" in html
    assert "/ticket.png" not in html and found[1].ticket_code not in html
    assert client.get(f"/r/{found[1].manage_token}/ticket.png").status_code == 404
    cancel_page = client.get(
        f"/r/{found[1].manage_token}/cancel", headers={"Accept-Language": "en"}
    )
    assert "you take no part in the lottery" in cancel_page.get_data(as_text=True)


def test_api_application_answers_applied(client, make_seminar, db_session):
    seminar = lottery_seminar(make_seminar, capacity=1, closed=False)
    body = {**details_data(), "privacy_notice_agreed": True, "locale": "en"}
    response = client.post(f"/api/v1/seminars/{seminar.id}/registrations", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["status"] == "applied" and answer["waitlist_position"] is None
    validate_against(answer, "RegistrationCreated")
    public = client.get(f"/api/v1/seminars/{seminar.id}").get_json()
    assert public["admission"] == "lottery"
    jsonschema.validate(public, SEMINAR_SCHEMA)


def test_application_mail_says_it_is_an_application_and_when_the_draw_is(
    app, make_seminar, db_session
):
    seminar = lottery_seminar(make_seminar, closed=False)
    registration = apply(db_session, seminar, locale="en")
    [row] = outbox(db_session, "registration.applied")
    with app.test_request_context():
        message = render(db_session, row).decode()
    assert "[Application received]" in row.subject
    text = " ".join(
        email.message_from_string(message, policy=email.policy.default)
        .get_body(("plain",))
        .get_content()
        .split()
    )
    assert "This is an application, not yet a seat" in text
    assert format_moment(seminar.registration_closes_at, "en") in text
    assert "image/png" not in message and "text/calendar" not in message
    assert registration.ticket_code not in message


def test_applications_after_the_deadline_are_refused(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar)
    with pytest.raises(services.RegistrationError) as refused:
        register(db_session, seminar)  # now: after the deadline
    assert refused.value.code == "closed"
    assert rows(db_session, seminar) == []


def test_an_application_can_be_cancelled_and_is_not_drawn(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=1)
    leaving, staying = applications(db_session, seminar, 2)
    services.cancel(db_session, leaving.id, seminar.registration_closes_at, by_participant=True)
    db_session.commit()
    assert mails_by_registration(db_session, "registration.cancelled").keys() == {leaving.id}
    result = drawn(db_session, seminar, seed=1)
    assert result.confirmed == [staying.id] and result.waitlisted == []
    assert rows(db_session, seminar)[0].status == "cancelled"


def test_applications_are_never_promoted_before_the_draw(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=1, closed=False)
    applications(db_session, seminar, 3)
    promoted = lifecycle.change_capacity(db_session, seminar.id, 10, utcnow())
    db_session.commit()
    assert promoted == []
    assert {row.status for row in rows(db_session, seminar)} == {"applied"}


# ---------------------------------------------------------------- the draw


def test_same_seed_gives_the_same_result_on_identical_seminars(db_session, make_seminar):
    first, second = lottery_seminar(make_seminar), lottery_seminar(make_seminar)
    attributes = ["sme", "large-company", "individual"] * 3
    for seminar in (first, second):
        applications(db_session, seminar, 9, attributes=attributes)
    results = [drawn(db_session, seminar, seed=20260415) for seminar in (first, second)]

    def outcome(seminar):
        return [
            (row.email, row.status, row.lottery_rank)
            for row in sorted(rows(db_session, seminar), key=lambda r: r.lottery_rank)
        ]

    assert outcome(first) == outcome(second)
    assert [r.seed for r in results] == [20260415, 20260415]
    # The order is the documented one: the id order shuffled by random.Random(seed).
    ids = sorted(row.id for row in rows(db_session, first))
    expected = list(ids)
    random.Random(20260415).shuffle(expected)
    assert results[0].order == expected


def test_another_seed_draws_another_order(db_session, make_seminar):
    seminars = [lottery_seminar(make_seminar) for _ in range(2)]
    for seminar in seminars:
        applications(db_session, seminar, 8)
    first = drawn(db_session, seminars[0], seed=1)
    second = drawn(db_session, seminars[1], seed=2)
    position = {row_id: i for i, row_id in enumerate(sorted(first.order))}
    other = {row_id: i for i, row_id in enumerate(sorted(second.order))}
    assert [position[i] for i in first.order] != [other[i] for i in second.order]


def test_counts_are_exact_and_the_waitlist_follows_the_drawn_order(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=3)
    applications(db_session, seminar, 7)
    result = drawn(db_session, seminar, seed=99)
    found = rows(db_session, seminar)
    assert (len(result.confirmed), len(result.waitlisted), result.applications) == (3, 4, 7)
    assert sum(row.status == "confirmed" for row in found) == 3
    assert sum(row.status == "waitlisted" for row in found) == 4
    assert not any(row.status == "applied" for row in found)
    assert sorted(row.lottery_rank for row in found) == list(range(1, 8))
    ranked = sorted(found, key=lambda row: row.lottery_rank)
    assert [row.id for row in ranked] == result.order
    assert all(row.status == "confirmed" and row.confirmed_at for row in ranked[:3])
    positions = services.waitlist_positions(db_session, seminar.id)
    assert positions == {row.id: row.lottery_rank - 3 for row in ranked[3:]}
    assert [services.waitlist_position(db_session, row) for row in ranked[3:]] == [1, 2, 3, 4]
    assert services.seats_taken(db_session, seminar.id) == seminar.capacity
    assert db_session.get(Seminar, seminar.id).lottery_drawn_at is not None


def test_fewer_applications_than_seats_all_get_one(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=5)
    applications(db_session, seminar, 2)
    result = drawn(db_session, seminar, seed=5)
    assert (len(result.confirmed), len(result.waitlisted)) == (2, 0)


def test_seats_already_taken_count_against_the_capacity(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=2)
    walk_in, *_others = applications(db_session, seminar, 4)
    walk_in.status, walk_in.confirmed_at = RegistrationStatus.CONFIRMED, utcnow()
    db_session.commit()
    result = drawn(db_session, seminar, seed=3)
    assert (len(result.confirmed), len(result.waitlisted)) == (1, 2)
    assert services.seats_taken(db_session, seminar.id) == 2


def test_sme_priority_draws_small_companies_first(db_session, make_seminar):
    attributes = ["large-company", "sme", "individual", "sme", "large-company", "sme", "other"]
    plain = lottery_seminar(make_seminar, capacity=3)
    favoured = lottery_seminar(make_seminar, capacity=3, lottery_sme_priority=True)
    for seminar in (plain, favoured):
        applications(db_session, seminar, len(attributes), attributes=attributes)
    without = drawn(db_session, plain, seed=4242)
    with_priority = drawn(db_session, favoured, seed=4242)
    by_id = {row.id: row for row in rows(db_session, favoured)}
    assert [by_id[i].attribute for i in with_priority.confirmed] == ["sme"] * 3
    assert all(by_id[i].attribute != "sme" for i in with_priority.waitlisted)
    # Among SMEs and among the rest, the drawn order is kept (a stable partition).
    plain_rows = {row.id: row for row in rows(db_session, plain)}
    plain_emails = [plain_rows[i].email for i in without.order]
    priority_emails = [by_id[i].email for i in with_priority.order]
    is_sme = {row.email: row.attribute == "sme" for row in by_id.values()}
    assert priority_emails == [e for e in plain_emails if is_sme[e]] + [
        e for e in plain_emails if not is_sme[e]
    ]
    [event] = draw_events(db_session, favoured)
    assert event.details["sme_priority"] is True


def test_drawn_order_is_a_pure_function_of_the_applications_and_the_seed():
    pairs = [(5, False), (2, True), (9, False), (1, True), (7, False), (3, False)]
    smes = {1, 2}
    assert drawn_order(pairs, 11, False) == drawn_order(list(reversed(pairs)), 11, False)
    assert sorted(drawn_order(pairs, 11, False)) == [1, 2, 3, 5, 7, 9]
    for seed in range(20):
        plain, favoured = drawn_order(pairs, seed, False), drawn_order(pairs, seed, True)
        assert favoured == [i for i in plain if i in smes] + [i for i in plain if i not in smes]
        assert set(favoured[:2]) == smes


def test_the_seed_and_the_counts_are_in_the_audit_log(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=2)
    applications(db_session, seminar, 5)
    result = drawn(db_session, seminar)  # a random seed
    [event] = draw_events(db_session, seminar)
    assert event.details["seed"] == result.seed
    assert 0 <= result.seed < 2**63
    assert (event.details["confirmed"], event.details["waitlisted"]) == (2, 3)
    assert event.details["applications"] == 5 and event.details["sme_priority"] is False
    drawn_records = db_session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "registration.drawn")
    )
    assert drawn_records == 5


def test_the_seed_is_kept_on_the_seminar_and_shown_on_its_page(client, db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=2)
    registrations = applications(db_session, seminar, 5)
    result = drawn(db_session, seminar)
    db_session.refresh(seminar)
    assert seminar.lottery_seed == result.seed
    page = " ".join(client.get(f"/seminars/{seminar.slug}").get_data(as_text=True).split())
    assert str(result.seed) in page
    # The published seed and the applications in id order give the drawn order again.
    again = drawn_order(
        [(registration.id, False) for registration in sorted(registrations, key=lambda r: r.id)],
        seminar.lottery_seed,
        sme_priority=False,
    )
    assert again == result.order


def test_everyone_is_told_by_mail(app, db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=2)
    applications(db_session, seminar, 5)
    before = len(outbox(db_session))
    result = drawn(db_session, seminar, seed=8)
    assert len(outbox(db_session)) == before + 5
    confirmed = mails_by_registration(db_session, "registration.confirmed")
    waitlisted = mails_by_registration(db_session, "lottery.waitlisted")
    assert set(confirmed) == set(result.confirmed)
    assert set(waitlisted) == set(result.waitlisted)
    assert all(row.payload.get("lottery") is True for row in confirmed.values())
    assert [waitlisted[i].payload["position"] for i in result.waitlisted] == [1, 2, 3]
    with app.test_request_context():
        seat = parsed(render(db_session, confirmed[result.confirmed[0]]))
        wait = parsed(render(db_session, waitlisted[result.waitlisted[0]]))
    assert "image/png" in content_types(seat)
    [invite] = [p for p in seat.walk() if p.get_content_type() == "text/calendar"]
    assert invite.get_param("method").upper() == "REQUEST"
    assert "text/calendar" not in content_types(wait) and "image/png" not in content_types(wait)
    assert "(number 1)" in text_of(wait)
    assert "lottery has been drawn and you have a seat" in text_of(seat)


def test_a_freed_seat_goes_to_the_first_in_drawn_order(db_session, make_seminar):
    # Large companies applied first; with SME priority the drawn order is not the id order.
    attributes = ["large-company", "large-company", "sme", "sme", "sme"]
    seminar = lottery_seminar(make_seminar, capacity=2, lottery_sme_priority=True)
    made = applications(db_session, seminar, 5, attributes=attributes)
    result = drawn(db_session, seminar, seed=17)
    first_in_line = result.waitlisted[0]
    assert db_session.get(Registration, first_in_line).attribute == "sme"
    assert min(result.waitlisted) < first_in_line  # id order would pick someone else
    services.cancel(db_session, result.confirmed[0], utcnow(), by_participant=True)
    db_session.commit()
    states = {row.id: row.status for row in rows(db_session, seminar)}
    assert states[first_in_line] == "confirmed"
    assert services.seats_taken(db_session, seminar.id) == seminar.capacity
    assert [
        row.payload["registration_id"] for row in outbox(db_session, "registration.promoted")
    ] == [first_in_line]
    assert services.waitlist_positions(db_session, seminar.id) == {
        result.waitlisted[1]: 1,
        result.waitlisted[2]: 2,
    }
    assert len(made) == 5


def test_draw_before_the_deadline_is_refused_and_changes_nothing(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, closed=False)
    applications(db_session, seminar, 3)
    before = snapshot(db_session, seminar)
    with pytest.raises(LotteryError) as refused:
        draw(db_session, seminar.id, seed=1, now=utcnow())
    db_session.rollback()
    assert refused.value.code == "too-early"
    assert snapshot(db_session, seminar) == before
    assert db_session.get(Seminar, seminar.id).lottery_drawn_at is None
    assert draw_events(db_session, seminar) == []


def test_a_first_come_seminar_is_not_drawn(db_session, make_seminar):
    seminar = make_seminar(registration_closes_at=utcnow() - timedelta(hours=1))
    with pytest.raises(LotteryError) as refused:
        draw(db_session, seminar.id, now=utcnow())
    assert refused.value.code == "not-lottery"


def test_registration_after_the_draw_is_refused_even_with_a_new_deadline(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar)
    applications(db_session, seminar, 2)
    drawn(db_session, seminar, seed=1)
    seminar.registration_closes_at = utcnow() + timedelta(days=1)
    db_session.commit()
    with pytest.raises(services.RegistrationError) as refused:
        register(db_session, seminar)
    assert refused.value.code == "closed"


# ---------------------------------------------------------------- the command


def test_cli_draws_once_and_refuses_a_second_time(app, db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=2)
    applications(db_session, seminar, 4)
    db_session.commit()
    result = cli(app, seminar.id, "--seed", 123456789)
    assert result.exit_code == 0, result.output
    assert "seed 123456789" in result.output
    assert "4 application(s), 2 confirmed, 2 waitlisted" in result.output
    after_first = snapshot(db_session, seminar)
    mails = len(outbox(db_session))
    assert [status for _, status, _, _ in after_first].count("confirmed") == 2

    again = cli(app, seminar.id, "--seed", 1)
    assert again.exit_code != 0
    assert snapshot(db_session, seminar) == after_first
    assert len(outbox(db_session)) == mails
    [event] = draw_events(db_session, seminar)
    assert event.details["seed"] == 123456789


def test_cli_result_matches_the_service_for_the_same_seed(app, db_session, make_seminar):
    by_cli, by_service = lottery_seminar(make_seminar), lottery_seminar(make_seminar)
    for seminar in (by_cli, by_service):
        applications(db_session, seminar, 6)
    db_session.commit()
    assert cli(app, by_cli.id, "--seed", 77).exit_code == 0
    drawn(db_session, by_service, seed=77)

    def ranks(seminar):
        return sorted(
            (row.lottery_rank, row.email, row.status) for row in rows(db_session, seminar)
        )

    assert ranks(by_cli) == ranks(by_service)


@pytest.mark.parametrize("case", ["unknown", "first-come", "too-early", "no-deadline"])
def test_cli_refusals_exit_non_zero(app, db_session, make_seminar, case):
    if case == "unknown":
        seminar_id = 999_999
    elif case == "first-come":
        seminar_id = make_seminar(registration_closes_at=utcnow() - timedelta(hours=1)).id
    elif case == "too-early":
        seminar_id = lottery_seminar(make_seminar, closed=False).id
    else:
        seminar_id = make_seminar(admission=Admission.LOTTERY).id
    db_session.commit()
    result = cli(app, seminar_id)
    assert result.exit_code != 0
    assert "Error" in result.output
    assert (
        db_session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "lottery.drawn")
        )
        == 0
    )


# ---------------------------------------------------------------- console


def test_console_form_sets_a_lottery(organizer_client, db_session):
    from tests.test_console import form_data as seminar_form

    response = post_form(
        organizer_client,
        "/console/seminars/new",
        seminar_form(title="抽選ワークショップ", admission="lottery", lottery_sme_priority="y"),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400  # a lottery needs its deadline
    assert "application deadline" in response.get_data(as_text=True)
    closes = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    response = post_form(
        organizer_client,
        "/console/seminars/new",
        seminar_form(
            title="抽選ワークショップ",
            admission="lottery",
            lottery_sme_priority="y",
            registration_closes=closes,
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    seminar = db_session.scalar(select(Seminar).where(Seminar.title == "抽選ワークショップ"))
    assert seminar.admission == "lottery" and seminar.lottery_sme_priority is True


def test_console_refuses_to_change_the_admission_once_people_registered(
    organizer_client, db_session, make_seminar
):
    from tests.test_console import form_data as seminar_form

    seminar = make_seminar()
    register(db_session, seminar)
    closes = (utcnow() + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    url = f"/console/seminars/{seminar.id}/edit"
    response = post_form(
        organizer_client, url, seminar_form(admission="lottery", registration_closes=closes)
    )
    assert response.status_code == 400
    db_session.expire_all()
    assert db_session.get(Seminar, seminar.id).admission == "first-come"


def test_console_draws_with_the_button(organizer_client, db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, capacity=1)
    applications(db_session, seminar, 3)
    page_url = f"/console/seminars/{seminar.id}/registrations"
    page = organizer_client.get(page_url).get_data(as_text=True)
    assert f"/console/seminars/{seminar.id}/lottery" in page
    assert ">3<" in page  # applications waiting for the draw
    confirm = f"/console/seminars/{seminar.id}/lottery"
    assert organizer_client.get(confirm).status_code == 200
    response = post_form(organizer_client, confirm, {})
    assert response.status_code == 303
    [event] = draw_events(db_session, seminar)
    found = rows(db_session, seminar)
    assert sorted(row.status for row in found) == ["confirmed", "waitlisted", "waitlisted"]
    page = organizer_client.get(page_url).get_data(as_text=True)
    assert str(event.details["seed"]) in page
    assert f'href="/console/seminars/{seminar.id}/lottery"' not in page
    again = post_form(organizer_client, confirm, {}, page=page_url)
    assert again.status_code == 303
    assert len(draw_events(db_session, seminar)) == 1


def test_console_offers_no_draw_before_the_deadline(organizer_client, db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, closed=False)
    applications(db_session, seminar, 2)
    page = organizer_client.get(f"/console/seminars/{seminar.id}/registrations")
    assert f'href="/console/seminars/{seminar.id}/lottery"' not in page.get_data(as_text=True)
    response = post_form(
        organizer_client,
        f"/console/seminars/{seminar.id}/lottery",
        {},
        page=f"/console/seminars/{seminar.id}/registrations",
    )
    assert response.status_code == 303
    assert {row.status for row in rows(db_session, seminar)} == {"applied"}


# ---------------------------------------------------------------- staff API


@pytest.fixture
def token(app, make_user) -> str:
    return issue_token(app, make_user(Role.ORGANIZER))


def test_staff_api_sets_the_admission(client, token, make_seminar, db_session):
    seminar = make_seminar()
    url = f"/api/v1/seminars/{seminar.id}"
    refused = client.patch(url, json={"admission": "lottery"}, headers=bearer(token))
    assert refused.status_code == 422
    assert "registration_closes_at" in refused.get_json()["fields"]
    bad = client.patch(url, json={"admission": "raffle"}, headers=bearer(token))
    assert bad.status_code == 422 and "admission" in bad.get_json()["fields"]
    closes = (seminar.starts_at - timedelta(days=2)).isoformat()
    response = client.patch(
        url,
        json={
            "admission": "lottery",
            "lottery_sme_priority": True,
            "registration_closes_at": closes,
        },
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["admission"] == "lottery" and body["lottery_sme_priority"] is True
    validate_against(body, "StaffSeminar")
    db_session.expire_all()
    assert db_session.get(Seminar, seminar.id).admission == "lottery"


def test_staff_api_refuses_to_change_the_admission_after_registrations(
    client, token, make_seminar, db_session
):
    seminar = make_seminar()
    register(db_session, seminar)
    closes = (seminar.starts_at - timedelta(days=2)).isoformat()
    response = client.patch(
        f"/api/v1/seminars/{seminar.id}",
        json={"admission": "lottery", "registration_closes_at": closes},
        headers=bearer(token),
    )
    assert response.status_code == 409
    db_session.expire_all()
    assert db_session.get(Seminar, seminar.id).admission == "first-come"


def test_staff_api_lists_drawn_ranks_and_waitlist_positions(
    client, token, make_seminar, db_session
):
    seminar = lottery_seminar(make_seminar, capacity=1)
    applications(db_session, seminar, 3)
    result = drawn(db_session, seminar, seed=31)
    response = client.get(f"/api/v1/seminars/{seminar.id}/registrations", headers=bearer(token))
    listed = {item["id"]: item for item in response.get_json()["registrations"]}
    for item in listed.values():
        validate_against(item, "RegistrationRow")
    assert [listed[i]["lottery_rank"] for i in result.order] == [1, 2, 3]
    assert [listed[i]["waitlist_position"] for i in result.order] == [None, 1, 2]


def test_staff_api_creates_a_lottery_seminar(client, token, db_session):
    from tests.test_registration_api import seminar_body

    body = seminar_body(title="抽選API", admission="lottery")
    body["registration_closes_at"] = body["starts_at"]
    response = client.post("/api/v1/seminars", json=body, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["admission"] == "lottery"
    assert re.fullmatch(r"\d+", str(response.get_json()["id"]))


def test_console_messages_the_applicants_of_a_lottery_only(
    organizer_client, db_session, make_seminar
):
    seminar = lottery_seminar(make_seminar, closed=False)
    applied = applications(db_session, seminar, 2)
    other = make_seminar()
    register(db_session, other)
    message = {
        "audience": "applied",
        "subject": "会場変更",
        "body": "会場が変わります。",
        "confirmed": "1",
    }
    for target in (seminar, other):
        post_form(
            organizer_client,
            f"/console/seminars/{target.id}/message",
            message,
            page=f"/console/seminars/{target.id}/registrations",
        )
    sent = [row.payload["registration_id"] for row in outbox(db_session, "seminar.message")]
    assert sorted(sent) == sorted(row.id for row in applied)


def test_one_application_per_address(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, closed=False)
    apply(db_session, seminar, email="twice@example.jp")
    with pytest.raises(services.AlreadyRegistered):
        apply(db_session, seminar, email="TWICE@example.jp")
    db_session.rollback()
    assert len(rows(db_session, seminar)) == 1


def test_cancelling_the_seminar_tells_the_applicants(db_session, make_seminar):
    seminar = lottery_seminar(make_seminar, closed=False)
    made = applications(db_session, seminar, 2)
    lifecycle.cancel(db_session, seminar, reason="講師都合")
    db_session.commit()
    told = mails_by_registration(db_session, "seminar.cancelled")
    assert sorted(told) == sorted(row.id for row in made)
    assert all(row.payload["had_seat"] is False for row in told.values())


# ---------------------------------------------------------------- around the draw


def test_an_applicant_is_not_checked_in_at_the_door(db_session, make_seminar):
    from seminar_app.attendance import services as attendance
    from seminar_app.attendance.models import CheckIn
    from seminar_app.domain import CheckInMethod

    seminar = lottery_seminar(make_seminar, closed=False)
    applicant = apply(db_session, seminar)
    result = attendance.admit(
        db_session,
        applicant,
        seminar.id,
        by=None,
        method=CheckInMethod.SCAN,
        desk="A",
        now=utcnow(),
    )
    assert result.outcome == attendance.Outcome.WAITLISTED
    assert db_session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_the_roster_export_numbers_the_waitlist_in_drawn_order(db_session, make_seminar):
    from seminar_app.registration.roster import export_rows

    seminar = lottery_seminar(make_seminar, capacity=1)
    applications(db_session, seminar, 5)
    draw(db_session, seminar.id, seed=7, now=utcnow())
    db_session.commit()
    exported = {row[0]: row[2] for row in export_rows(db_session, seminar.id, "en")}
    drawn = [row for row in rows(db_session, seminar) if row.status == "waitlisted"]
    by_rank = sorted(drawn, key=lambda row: row.lottery_rank)
    assert [exported[row.id] for row in by_rank] == [1, 2, 3, 4]
    assert [row.id for row in by_rank] != sorted(row.id for row in by_rank)  # seed 7 shuffles


def test_an_application_is_tentative_in_the_calendar_and_the_catalogue_says_lottery(
    client, db_session, make_seminar
):
    seminar = lottery_seminar(make_seminar, closed=False)
    applicant = apply(db_session, seminar)
    ics = client.get(f"/r/{applicant.manage_token}/calendar.ics").get_data(as_text=True)
    assert "STATUS:TENTATIVE" in ics
    page = client.get(f"/seminars/{seminar.slug}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "By lottery" in text and "Apply for the lottery" in text and "seats left" not in text
