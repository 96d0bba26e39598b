"""Lecturer dispatch (講師派遣): the public request form, its checks, the contact's private
link, the organizers' queue, the states and their history, and the mails."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from seminar_app.audit.models import AuditEvent
from seminar_app.dispatch import services
from seminar_app.dispatch.models import (
    COMPANY,
    DispatchPreferredDate,
    DispatchRequest,
    DispatchStateChange,
    DispatchTheme,
)
from seminar_app.domain import DispatchState, HostType, Role
from seminar_app.i18n import format_when
from seminar_app.notifications.models import OutboxMessage
from seminar_app.notifications.services import deliver_due
from seminar_app.text import corporate_number_check_digit, normalize_corporate_number
from seminar_app.timeutil import utcnow
from tests.conftest import login, post_form
from tests.dispatch_helpers import CORPORATE_NUMBER, in_days, request_data, submit

JA = {"Accept-Language": "ja"}
EN = {"Accept-Language": "en"}
DISPATCH_TABLES = (DispatchRequest, DispatchStateChange, DispatchPreferredDate, DispatchTheme)


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def nothing_stored(db_session) -> bool:
    return all(count(db_session, model) == 0 for model in DISPATCH_TABLES) and not count_mails(
        db_session, "dispatch."
    )


def count_mails(db_session, prefix: str) -> int:
    return db_session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind.startswith(prefix))
    )


def refused(data, **kwargs) -> dict[str, str]:
    with pytest.raises(services.RequestRefused) as caught:
        services.check_request(data, now=kwargs.get("now", utcnow()))
    return caught.value.problems


def form_data(**overrides) -> dict:
    """The request as the browser posts the form: themes in their three lists, the tick box
    as "y", no locale (the page's language decides)."""
    data = request_data(**overrides)
    themes = data.pop("themes")
    data.pop("locale")
    data["theme_series"] = [theme for theme in themes if not theme.startswith("step-")]
    data["theme_steps"] = [theme for theme in themes if theme.startswith("step-")]
    data["privacy_notice_agreed"] = "y" if data["privacy_notice_agreed"] else ""
    return {key: value for key, value in data.items() if value not in ("", None)}


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER, display_name="事務局 一郎")


def in_state(db_session, make_seminar, state: DispatchState) -> DispatchRequest:
    """A request put in `state` directly (a scheduled or delivered one with its seminar)."""
    request = submit(db_session)
    if state in (DispatchState.SCHEDULED, DispatchState.DELIVERED):
        request.seminar = make_seminar(host_type=HostType.IN_COMPANY, capacity=None)
    request.state = state
    db_session.commit()
    return request


# --- the rules of a request ---------------------------------------------------------------


def test_a_request_is_stored_as_received_with_its_history_audit_record_and_mail(db_session):
    request = submit(db_session, themes=["ip-utilization", "step-7", "contracts"])
    assert request.state == DispatchState.RECEIVED
    assert len(request.token) >= 22  # at least 128 bits in URL-safe base64
    assert request.themes == ["ip-utilization", "step-7", "contracts"]
    assert [slot.rank for slot in request.preferred_dates] == [1]
    assert request.privacy_notice_version == "2026-04" and request.privacy_agreed_at
    assert request.organization_key == request.organization.removeprefix("株式会社")
    [change] = request.changes
    assert change.from_state is None and change.to_state == DispatchState.RECEIVED
    assert change.actor_id is None and change.actor_label == COMPANY and change.by_company
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "dispatch.received"))
    assert event.subject_id == str(request.id) and event.actor_label == COMPANY
    mail = db_session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "dispatch.received"))
    assert mail.recipient == request.contact_email
    assert mail.payload == {"request_id": request.id, "language": "ja"}


def test_every_missing_field_is_named_and_nothing_is_stored(db_session):
    empty = {"themes": [], "locale": "en"}
    with force_locale("en"):
        problems = refused(empty)
    assert set(problems) == {
        "organization",
        "address",
        "prefecture",
        "attribute",
        "contact_name",
        "contact_email",
        "contact_phone",
        "preferred_date_1",
        "theme_note",
        "audience",
        "audience_size",
        "delivery",
        "privacy_notice_agreed",
    }
    with pytest.raises(services.RequestRefused):
        services.submit_request(db_session, empty, now=utcnow(), privacy_notice_version="2026-04")
    db_session.rollback()
    assert nothing_stored(db_session)


def test_companies_give_their_number_of_employees_others_need_not():
    assert "employee_band" in refused(request_data(employee_band=""))
    for attribute in ("university", "public-body", "support-organization"):
        services.check_request(request_data(attribute=attribute, employee_band=""), now=utcnow())


def test_the_corporate_number_check_digit_follows_the_national_tax_agency():
    assert corporate_number_check_digit("000012050002") == 7  # 国税庁 7000012050002
    assert corporate_number_check_digit("180301018771") == 1  # 1180301018771
    assert normalize_corporate_number("７０００－０１２０－５０００２") == (CORPORATE_NUMBER, None)
    assert normalize_corporate_number("  ") == (None, None)
    number, problem = normalize_corporate_number("1000012050002")
    assert number is None and problem
    number, problem = normalize_corporate_number("700001205000")
    assert number is None and problem


def test_a_corporate_number_is_optional_and_checked_when_given(app):
    accepted = services.check_request(
        request_data(corporate_number="7000-0120-50002"), now=utcnow()
    )
    assert accepted.corporate_number == CORPORATE_NUMBER
    assert (
        services.check_request(request_data(corporate_number=""), now=utcnow()).corporate_number
        is None
    )
    with app.test_request_context(), force_locale("en"):
        assert (
            "not a valid corporate number"
            in refused(request_data(corporate_number="1000012050002"))["corporate_number"]
        )
        assert refused(request_data(corporate_number="12345"))["corporate_number"] == (
            "A corporate number has 13 digits."
        )


def test_the_contacts_address_is_normalised_as_registrations_are(app):
    details = services.check_request(
        request_data(contact_email="Ｈａｎａｋｏ＠例え.ＪＰ"), now=utcnow()
    )
    assert details.contact_email == "Hanako@xn--r8jz45g.jp"
    with app.test_request_context(), force_locale("en"):
        problem = refused(request_data(contact_email="はなこ@example.jp"))["contact_email"]
    assert "Before the @" in problem


def test_a_telephone_number_is_kept_in_half_width_with_hyphens(app):
    for typed, kept in (
        ("０３－１２３４－５６７８", "03-1234-5678"),
        ("03 1234 5678", "03-1234-5678"),
        ("090-1234-5678", "090-1234-5678"),
        ("+81 3 1234 5678", "+81-3-1234-5678"),
        ("(03)1234-5678", "(03)1234-5678"),
    ):
        details = services.check_request(request_data(contact_phone=typed), now=utcnow())
        assert details.contact_phone == kept, typed
    for wrong in ("12345", "3-1234-5678", "03-1234-5678 内線12", "0312345678901"):
        assert "contact_phone" in refused(request_data(contact_phone=wrong)), wrong


def test_preferred_dates_at_least_one_in_the_future_each_whole(app):
    with app.test_request_context(), force_locale("en"):
        none = refused(request_data(preferred_date_1="", preferred_start_1="", preferred_end_1=""))
        assert none["preferred_date_1"] == "Give at least one preferred date with its times."
        past = refused(request_data(preferred_date_1=in_days(-1)))
        assert past["preferred_date_1"] == "Choose a date and time in the future."
        backwards = refused(request_data(preferred_start_1="16:00", preferred_end_1="14:00"))
        assert set(backwards) == {"preferred_end_1"}
        partial = refused(request_data(preferred_date_2=in_days(40)))
        assert set(partial) == {"preferred_start_2", "preferred_end_2"}
        nonsense = refused(request_data(preferred_date_3="来週", preferred_start_3="25:00"))
        assert {"preferred_date_3", "preferred_start_3", "preferred_end_3"} <= set(nonsense)


def test_preferred_dates_keep_the_companys_order_and_japan_time(db_session):
    request = submit(
        db_session,
        preferred_date_1="",
        preferred_start_1="",
        preferred_end_1="",
        preferred_date_2=in_days(20).replace("-", "/"),
        preferred_start_2="１０：００",
        preferred_end_2="12:00",
        preferred_date_3=in_days(10),
        preferred_start_3="13:30",
        preferred_end_3="15:00",
    )
    first, second = request.preferred_dates
    assert (first.rank, second.rank) == (1, 2)
    assert first.starts_at.hour == 1 and first.starts_at.minute == 0  # 10:00 JST in UTC
    assert second.starts_at < first.starts_at  # the company's order, not the calendar's


def test_a_theme_is_chosen_or_described(app):
    with app.test_request_context(), force_locale("en"):
        problems = refused(request_data(themes=[], theme_note=""))
        assert problems == {
            "theme_note": "Choose at least one theme, or describe the theme you wish."
        }
        assert "themes" in refused(request_data(themes=["step-8"]))
    described = services.check_request(request_data(themes=[]), now=utcnow())
    assert described.themes == [] and described.theme_note
    chosen = services.check_request(request_data(theme_note=""), now=utcnow())
    assert chosen.themes and chosen.theme_note is None


def test_a_place_is_needed_on_site_and_hybrid_not_online():
    for delivery in ("in-person", "hybrid"):
        assert "place" in refused(request_data(delivery=delivery, place=""))
    online = services.check_request(request_data(delivery="online", place=""), now=utcnow())
    assert online.place is None
    assert "delivery" in refused(request_data(delivery="by-post"))


def test_the_audience_size_is_a_number_of_people():
    assert (
        services.check_request(request_data(audience_size="１２０"), now=utcnow()).audience_size
        == 120
    )
    for wrong in ("0", "-3", "many", "10001", "3.5"):
        assert "audience_size" in refused(request_data(audience_size=wrong)), wrong


def test_the_privacy_notice_must_be_agreed_to():
    assert "privacy_notice_agreed" in refused(request_data(privacy_notice_agreed=False))


# --- states -------------------------------------------------------------------------------

ALL = list(DispatchState)


@pytest.mark.parametrize("current", ALL, ids=lambda state: state.value)
def test_change_state_follows_the_table_of_allowed_transitions(
    db_session, make_seminar, organizer, current
):
    for target in ALL:
        request = in_state(db_session, make_seminar, current)
        seminar = make_seminar(host_type=HostType.IN_COMPANY, capacity=None)
        changes = count(db_session, DispatchStateChange)
        try:
            services.change_state(
                db_session,
                request,
                target,
                by=organizer,
                now=utcnow(),
                reason="講師の都合がつきません。",
                seminar=seminar,
            )
        except services.TransitionRefused as exc:
            db_session.rollback()
            assert target not in services.ALLOWED[current], (current, target, exc.problems)
            assert set(exc.problems) == {"state"}
            assert db_session.get(DispatchRequest, request.id).state == current
            assert count(db_session, DispatchStateChange) == changes
        else:
            db_session.commit()
            assert target in services.ALLOWED[current], (current, target)
            assert request.state == target
            assert request.changes[-1].from_state == current


def test_declining_needs_a_reason_which_the_company_is_mailed(db_session, organizer):
    request = submit(db_session)
    with pytest.raises(services.TransitionRefused) as caught:
        services.change_state(
            db_session, request, "declined", by=organizer, now=utcnow(), reason="  "
        )
    db_session.rollback()
    assert set(caught.value.problems) == {"reason"}
    assert request.state == DispatchState.RECEIVED and len(request.changes) == 1
    assert count_mails(db_session, "dispatch.declined") == 0
    change = services.change_state(
        db_session,
        request,
        "declined",
        by=organizer,
        now=utcnow(),
        reason="ご希望の日程に講師を派遣できません。",
    )
    db_session.commit()
    assert change.reason == "ご希望の日程に講師を派遣できません。"
    mail = db_session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "dispatch.declined"))
    assert mail.recipient == request.contact_email
    assert mail.payload["change_id"] == change.id


def test_scheduling_needs_the_in_company_seminar(db_session, make_seminar, organizer):
    request = submit(db_session)
    with pytest.raises(services.TransitionRefused) as caught:
        services.change_state(db_session, request, "scheduled", by=organizer, now=utcnow())
    db_session.rollback()
    assert set(caught.value.problems) == {"state"}
    seminar = make_seminar(host_type=HostType.IN_COMPANY, capacity=None)
    services.change_state(
        db_session, request, "scheduled", by=organizer, now=utcnow(), seminar=seminar
    )
    db_session.commit()
    assert request.state == DispatchState.SCHEDULED and request.seminar_id == seminar.id


def test_an_unknown_state_is_refused(db_session, organizer):
    request = submit(db_session)
    with pytest.raises(services.TransitionRefused) as caught:
        services.change_state(db_session, request, "lost", by=organizer, now=utcnow())
    assert set(caught.value.problems) == {"state"}


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (
            DispatchState.DELIVERED,
            "This request has been delivered: it can no longer be withdrawn.",
        ),
        (DispatchState.DECLINED, "This request was declined: there is nothing left to withdraw."),
        (DispatchState.WITHDRAWN, "This request has already been withdrawn."),
    ],
    ids=["delivered", "declined", "withdrawn"],
)
def test_the_contact_cannot_withdraw_a_closed_request_and_is_told_why(
    app, db_session, make_seminar, state, message
):
    request = in_state(db_session, make_seminar, state)
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(services.TransitionRefused) as caught:
            services.withdraw_by_contact(db_session, request, now=utcnow())
        assert caught.value.problems == {"state": message}
        assert services.withdrawal_refusal(request) == message


def test_the_history_names_who_made_each_change(db_session, organizer):
    request = submit(db_session)
    services.change_state(db_session, request, "under-review", by=organizer, now=utcnow())
    services.withdraw_by_contact(db_session, request, now=utcnow())
    db_session.commit()
    history = [
        (change.from_state, change.to_state, change.actor_id, change.actor_label)
        for change in request.changes
    ]
    assert history == [
        (None, DispatchState.RECEIVED, None, COMPANY),
        (DispatchState.RECEIVED, DispatchState.UNDER_REVIEW, organizer.id, organizer.email),
        (DispatchState.UNDER_REVIEW, DispatchState.WITHDRAWN, None, COMPANY),
    ]
    audited = db_session.scalars(
        select(AuditEvent.details)
        .where(
            AuditEvent.subject_type == "dispatch_request", AuditEvent.subject_id == str(request.id)
        )
        .order_by(AuditEvent.id)
    ).all()
    assert audited == [
        {"from": None, "to": "received"},
        {"from": "received", "to": "under-review"},
        {"from": "under-review", "to": "withdrawn"},
    ]


def test_the_queue_counts_and_orders_requests_by_state(db_session, organizer):
    first, second, third = submit(db_session), submit(db_session), submit(db_session)
    services.change_state(db_session, second, "declined", by=organizer, now=utcnow(), reason="x")
    services.change_state(db_session, third, "declined", by=organizer, now=utcnow(), reason="y")
    db_session.commit()
    counts = services.state_counts(db_session)
    assert counts[DispatchState.RECEIVED] == 1 and counts[DispatchState.DECLINED] == 2
    assert counts[DispatchState.DELIVERED] == 0
    assert services.in_state(db_session, DispatchState.RECEIVED) == ([first], 1)
    assert services.in_state(db_session, DispatchState.DECLINED) == ([third, second], 2)
    assert services.in_state(db_session, DispatchState.DECLINED, per_page=1, page=2) == (
        [second],
        2,
    )


# --- the public form ------------------------------------------------------------------------


def test_the_form_speaks_japanese_and_english(client):
    japanese = client.get("/dispatch/request", headers=JA).get_data(as_text=True)
    assert "講師派遣" in japanese and "第1希望" in japanese and "気づき" in japanese
    english = client.get("/dispatch/request", headers=EN).get_data(as_text=True)
    assert "Request a lecturer" in english and "Choice 1" in english


def test_a_request_through_the_form_reaches_its_private_page(client, db_session):
    response = post_form(client, "/dispatch/request", form_data(), headers=EN)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    token = re.search(r"/dispatch/r/([A-Za-z0-9_-]+)\?new=1$", location).group(1)
    request = db_session.scalar(select(DispatchRequest))
    assert request.token == token and request.locale == "en"
    assert request.themes == ["trade-secret-ip-strategy", "step-3"]
    page = client.get(location, headers=EN)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Your request has been received" in html and request.organization in html
    assert "Received" in html and "Withdraw my request" in html
    assert (
        format_when(request.preferred_dates[0].starts_at, request.preferred_dates[0].ends_at, "en")
        in html
    )


def test_the_form_answers_field_by_field_and_stores_nothing(client, db_session):
    data = form_data(contact_email="not an address", preferred_date_1=in_days(-3), place="")
    data.pop("privacy_notice_agreed")
    response = post_form(client, "/dispatch/request", data, headers=EN)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field, message in (
        ("contact_email", "An e-mail address cannot contain spaces"),
        ("preferred_date_1", "Choose a date and time in the future."),
        ("place", "Enter where the seminar would be held."),
        ("privacy_notice_agreed", "Please read and agree to the privacy notice."),
    ):
        assert re.search(rf'id="{field}-error">{re.escape(message)}', html), field
    assert nothing_stored(db_session)


def test_the_form_answers_in_japanese_to_a_japanese_reader(client, db_session):
    response = post_form(client, "/dispatch/request", form_data(contact_phone="12345"), headers=JA)
    assert response.status_code == 400
    assert 'id="contact_phone-error">電話番号を' in response.get_data(as_text=True)
    assert nothing_stored(db_session)


def test_the_form_is_rate_limited_as_registrations_are(app, client, db_session):
    saved = app.config["REGISTRATION_RATE_LIMIT"]
    app.config["REGISTRATION_RATE_LIMIT"] = "2 per minute"
    try:
        codes = [post_form(client, "/dispatch/request", form_data()).status_code for _ in range(3)]
    finally:
        app.config["REGISTRATION_RATE_LIMIT"] = saved
    assert codes == [303, 303, 429]
    assert count(db_session, DispatchRequest) == 2


# --- the contact's private link -------------------------------------------------------------


def test_a_private_link_reaches_its_own_request_only(client, db_session):
    mine, theirs = submit(db_session), submit(db_session)
    html = client.get(f"/dispatch/r/{mine.token}").get_data(as_text=True)
    assert mine.organization in html and theirs.organization not in html
    assert theirs.contact_email not in html
    wrong = mine.token[:-4] + ("AAAA" if not mine.token.endswith("AAAA") else "BBBB")
    assert client.get(f"/dispatch/r/{wrong}").status_code == 404
    assert (
        post_form(
            client, f"/dispatch/r/{wrong}/withdraw", {}, page=f"/dispatch/r/{mine.token}/withdraw"
        ).status_code
        == 404
    )
    response = post_form(client, f"/dispatch/r/{mine.token}/withdraw", {})
    assert response.status_code == 303
    db_session.expire_all()
    assert mine.state == DispatchState.WITHDRAWN and theirs.state == DispatchState.RECEIVED


def test_the_contact_withdraws_once_and_is_told_the_second_time(client, db_session):
    request = submit(db_session)
    url = f"/dispatch/r/{request.token}/withdraw"
    assert "Yes, withdraw the request" in client.get(url, headers=EN).get_data(as_text=True)
    done = post_form(client, url, {}, headers=EN, follow_redirects=True)
    assert "Your request has been withdrawn" in done.get_data(as_text=True)
    db_session.expire_all()
    assert request.state == DispatchState.WITHDRAWN
    assert count_mails(db_session, "dispatch.withdrawn") == 1
    again = client.get(url, headers=EN).get_data(as_text=True)
    assert "This request has already been withdrawn." in again
    assert "Yes, withdraw the request" not in again


def test_a_declined_request_shows_why_and_cannot_be_withdrawn(client, db_session, organizer):
    request = submit(db_session)
    services.change_state(
        db_session, request, "declined", by=organizer, now=utcnow(), reason="日程が合いません。"
    )
    db_session.commit()
    html = client.get(f"/dispatch/r/{request.token}", headers=EN).get_data(as_text=True)
    assert "日程が合いません。" in html
    assert "This request was declined: there is nothing left to withdraw." in html
    assert f"/dispatch/r/{request.token}/withdraw" not in html
    response = post_form(
        client,
        f"/dispatch/r/{request.token}/withdraw",
        {},
        page="/dispatch/request",  # the refusal page has no form: any page's token
        headers=EN,
        follow_redirects=True,
    )
    assert "This request was declined: there is nothing left to withdraw." in response.get_data(
        as_text=True
    )
    db_session.expire_all()
    assert request.state == DispatchState.DECLINED
    assert organizer.email not in html  # the company sees "the seminar office", not who


# --- the organizers' queue ------------------------------------------------------------------


def test_organizers_find_the_queue_on_their_home_page(client, make_user):
    login(client, make_user(Role.ORGANIZER))
    assert "/console/dispatch/" in client.get("/staff").get_data(as_text=True)


def test_the_queue_lists_requests_by_state(client, db_session, organizer):
    waiting, declined = submit(db_session), submit(db_session)
    services.change_state(db_session, declined, "declined", by=organizer, now=utcnow(), reason="x")
    db_session.commit()
    login(client, organizer)
    received = client.get("/console/dispatch/", headers=EN).get_data(as_text=True)
    assert waiting.organization in received and declined.organization not in received
    page = client.get("/console/dispatch/?state=declined", headers=EN).get_data(as_text=True)
    assert declined.organization in page and waiting.organization not in page
    assert client.get("/console/dispatch/?state=lost").status_code == 404


def test_the_queue_is_paged_oldest_first(client, db_session, organizer, monkeypatch):
    from seminar_app.dispatch import views

    monkeypatch.setattr(views, "QUEUE_PAGE_SIZE", 2)
    first, second, third = submit(db_session), submit(db_session), submit(db_session)
    login(client, organizer)
    one = client.get("/console/dispatch/", headers=EN).get_data(as_text=True)
    assert first.organization in one and second.organization in one
    assert third.organization not in one and "Page 1 of 2" in one
    two = client.get("/console/dispatch/?page=2", headers=EN).get_data(as_text=True)
    assert third.organization in two and first.organization not in two
    for bad in ("0", "x", "２"):
        assert client.get(f"/console/dispatch/?page={bad}").status_code == 404


def test_an_organizer_reviews_then_declines_with_a_reason(client, db_session, organizer):
    request = submit(db_session)
    login(client, organizer)
    url = f"/console/dispatch/{request.id}"
    review = post_form(client, f"{url}/state", {"state": "under-review"}, page=url, headers=EN)
    assert review.status_code == 303
    no_reason = post_form(client, f"{url}/state", {"state": "declined"}, page=url, headers=EN)
    assert no_reason.status_code == 400
    assert 'id="reason-error">Give the reason for declining' in no_reason.get_data(as_text=True)
    db_session.expire_all()
    assert request.state == DispatchState.UNDER_REVIEW
    declined = post_form(
        client,
        f"{url}/state",
        {"state": "declined", "reason": "講師の都合がつきません。"},
        page=url,
        headers=EN,
        follow_redirects=True,
    )
    html = declined.get_data(as_text=True)
    assert "The request is now “Declined”." in html
    assert "事務局 一郎" in html and "講師の都合がつきません。" in html
    assert "The company's contact" in html  # the receipt, in the history
    db_session.expire_all()
    assert request.state == DispatchState.DECLINED


def test_scheduling_is_not_a_button_of_the_requests_page(client, db_session, organizer):
    request = submit(db_session)
    login(client, organizer)
    url = f"/console/dispatch/{request.id}"
    response = post_form(client, f"{url}/state", {"state": "scheduled"}, page=url)
    assert response.status_code == 400
    db_session.expire_all()
    assert request.state == DispatchState.RECEIVED


# --- the mails, through a real SMTP server ------------------------------------------------------


def deliver(db_session, mail_server) -> list[email.message.EmailMessage]:
    before = len(mail_server.raw)
    report = deliver_due(db_session)
    assert report.failed == 0 and report.deferred == 0, report
    mail_server.wait_for(before + report.sent)
    return [
        email.message_from_bytes(data, policy=email.policy.default)
        for _, data in mail_server.raw[before:]
    ]


def test_the_confirmation_mail_lists_the_request_and_its_private_link(
    db_session, smtp_app, mail_server
):
    request = submit(
        db_session,
        corporate_number=CORPORATE_NUMBER,
        preferred_date_2=in_days(45),
        preferred_start_2="10:00",
        preferred_end_2="12:00",
    )
    [message] = deliver(db_session, mail_server)
    assert mail_server.raw[-1][0] == [request.contact_email]
    assert str(message["Subject"]) == f"[講師派遣の申込を受け付けました] {request.organization}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"http://seminars.test/dispatch/r/{request.token}"
    for expected in (
        request.organization,
        CORPORATE_NUMBER,
        "東京都",
        "1. "
        + format_when(
            request.preferred_dates[0].starts_at, request.preferred_dates[0].ends_at, "ja"
        ),
        "2. "
        + format_when(
            request.preferred_dates[1].starts_at, request.preferred_dates[1].ends_at, "ja"
        ),
        "営業秘密・知財戦略セミナー",
        "3. 規程",
        "退職者による情報持ち出し",
        "40",
        "本社 5階 会議室",
        link,
    ):
        assert expected in text, expected
    assert f'href="{link}"' in html


def test_an_english_request_is_confirmed_in_english(db_session, smtp_app, mail_server):
    submit(db_session, locale="en", themes=["step-1"])
    [message] = deliver(db_session, mail_server)
    assert str(message["Subject"]).startswith("[Lecturer dispatch: request received]")
    text = message.get_body(("plain",)).get_content()
    assert "1. Awareness" in text and "Tokyo" in text


def test_the_decline_mail_gives_the_reason(db_session, smtp_app, mail_server, organizer):
    request = submit(db_session)
    deliver(db_session, mail_server)
    services.change_state(
        db_session,
        request,
        "declined",
        by=organizer,
        now=utcnow(),
        reason="ご希望の時期は講師の予定が埋まっております。\n来年度にあらためてご相談ください。",
    )
    db_session.commit()
    [message] = deliver(db_session, mail_server)
    assert mail_server.raw[-1][0] == [request.contact_email]
    assert str(message["Subject"]) == f"[講師派遣の申込について] {request.organization}"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert (
        "ご希望の時期は講師の予定が埋まっております。\n来年度にあらためてご相談ください。" in text
    )
    assert f"http://seminars.test/dispatch/r/{request.token}" in text


def test_a_withdrawal_is_confirmed_by_mail(db_session, smtp_app, mail_server):
    request = submit(db_session)
    deliver(db_session, mail_server)
    services.withdraw_by_contact(db_session, request, now=utcnow() + timedelta(minutes=1))
    db_session.commit()
    [message] = deliver(db_session, mail_server)
    assert mail_server.raw[-1][0] == [request.contact_email]
    assert request.organization in str(message["Subject"])
