"""Group registration on the web (団体申込, issue 19): the form with colleagues (入力 → 確認 →
完了), each person's own mail through a real SMTP server, the contact's page (the whole
group: cancel, correct, add a colleague while a seat is free), a member's page (their own
registration only), the console's list and the fiscal-year figures (people, not groups).
The rule of adding a colleague (services.add_to_group) is tested directly, and with
several processes at once."""

from __future__ import annotations

import re
from datetime import timedelta
from threading import Barrier

import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import func, select

from seminar_app.attendance import services as attendance
from seminar_app.audit.models import AuditEvent
from seminar_app.domain import (
    Admission,
    AttendanceMode,
    CheckInMethod,
    Delivery,
    RegistrationStatus,
)
from seminar_app.extensions import db
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration import services
from seminar_app.registration.details import parse_details
from seminar_app.registration.models import Registration
from seminar_app.reports.services import fiscal_year_figures
from seminar_app.timeutil import utcnow
from tests.concurrency import READY_WITHIN, run_together
from tests.conftest import fresh_database_url, make_app, post_form
from tests.registration_helpers import add_open_seminar, details_data, register
from tests.test_invites import deliver, html_of, invite_of, text_of
from tests.test_registration_confirm import read

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
JA = {"Accept-Language": "ja"}
EN = {"Accept-Language": "en"}

COLLEAGUES = [
    {"name": "同僚 一郎", "name_kana": "どうりょう いちろう", "email": "ichiro@group.example.jp"},
    {
        "name": "同僚 二郎",
        "name_kana": "どうりょう じろう",
        "email": "jiro@group.example.jp",
        "department": "開発部",
        "job_title": "主任",
    },
]


def contact_data(**overrides) -> dict:
    data = details_data(
        name="総務 花子",
        name_kana="そうむ はなこ",
        email="hanako@group.example.jp",
        question="事例を知りたい",
        announcements_opt_in="y",
        **overrides,
    )
    data["privacy_notice_agreed"] = "y"
    return data


def with_colleagues(data: dict, colleagues: list[dict]) -> dict:
    posted = dict(data)
    for n, colleague in enumerate(colleagues):
        for name, value in colleague.items():
            posted[f"members-{n}-{name}"] = value
    return posted


def url_of(seminar) -> str:
    return f"/seminars/{seminar.slug}/register"


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def errors_beside(html: str, field_id: str) -> list[str]:
    """The messages the page shows beside the field with this id."""
    return re.findall(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', html)


def group_through_the_form(client, seminar, colleagues=COLLEAGUES, **contact):
    """Enter, confirm, register: the contact's management page (its URL)."""
    url = url_of(seminar)
    confirmation = read(
        post_form(client, url, with_colleagues(contact_data(**contact), colleagues)).text
    )
    done = client.post(url, data={**confirmation.hidden, "register": "1"})
    assert done.status_code == 303, done.text[:2000]
    return done.headers["Location"]


def group_of_three(db_session, seminar, **contact):
    """A contact and two colleagues registered together (the service, as the form calls it)."""
    lead, errors = parse_details(
        details_data(name="総務 花子", email="hanako@group.example.jp", **contact)
    )
    assert not errors, errors
    members = []
    for colleague in COLLEAGUES:
        details, errors = parse_details({**details_data(**colleague)})
        assert not errors, errors
        members.append(details)
    group = services.register_group(
        db_session, seminar.id, lead, members, now=utcnow(), privacy_notice_version="2026-04"
    )
    db_session.commit()
    return group


def colleague_details(email: str, name: str = "追加 三郎"):
    details, errors = parse_details(
        details_data(name=name, name_kana="ついか さぶろう", email=email)
    )
    assert not errors, errors
    return details


def add(db_session, contact, email: str, name: str = "追加 三郎", now=None):
    added = services.add_to_group(
        db_session,
        contact.id,
        colleague_details(email, name),
        now=now or utcnow(),
        privacy_notice_version="2026-04",
    )
    db_session.commit()
    return added


def written(db_session) -> tuple[int, int, int]:
    return (
        count(db_session, Registration),
        count(db_session, OutboxMessage),
        count(db_session, AuditEvent),
    )


# --- adding a colleague: the rule (services.add_to_group) -------------------------------------


def test_a_colleague_added_takes_a_free_seat_in_the_contacts_group(db_session, make_seminar):
    seminar = make_seminar(capacity=10)
    contact, *_ = group_of_three(db_session, seminar)
    added = add(db_session, contact, "saburo@group.example.jp")
    assert added.status == CONFIRMED and added.group_id == contact.id
    assert added.organization == contact.organization and added.ticket_code != contact.ticket_code
    mail = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "saburo@group.example.jp")
    ).one()
    assert mail.kind == "registration.confirmed"
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "registration.group_member_added")
    ).one()
    assert (event.subject_id, event.details["registration_id"]) == (str(contact.id), added.id)


def test_a_person_registered_alone_becomes_a_contact_by_adding_a_colleague(
    db_session, make_seminar
):
    alone = register(db_session, make_seminar(), email="alone@example.jp")
    assert alone.group_id is None
    added = add(db_session, alone, "joins@example.jp")
    assert alone.group_id == alone.id == added.group_id
    assert [r.id for r in services.group_of(db_session, alone)] == [alone.id, added.id]


def test_adding_is_refused_when_no_seat_is_free(app, db_session, make_seminar):
    seminar = make_seminar(capacity=3)
    contact, *_ = group_of_three(db_session, seminar)
    before = written(db_session)
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(services.RegistrationError) as caught,
    ):
        add(db_session, contact, "late@group.example.jp")
    db_session.rollback()
    assert caught.value.code == "full"
    assert written(db_session) == before


def test_adding_is_refused_while_someone_waits_for_the_free_seat(app, db_session, make_seminar):
    seminar = make_seminar(capacity=3, max_group_size=5)
    contact, *_ = group_of_three(db_session, seminar)
    waiting = register(db_session, seminar, email="waiting@example.jp")
    assert waiting.status == WAITLISTED
    seminar.capacity = 4  # a seat is free, but the waitlist comes first (no promotion here)
    db_session.commit()
    with app.test_request_context(), pytest.raises(services.RegistrationError) as caught:
        add(db_session, contact, "jumps@group.example.jp")
    db_session.rollback()
    assert caught.value.code == "full"


def test_adding_is_refused_at_the_groups_size_counting_active_people_only(
    app, db_session, make_seminar
):
    seminar = make_seminar(capacity=10, max_group_size=3)
    contact, first, _second = group_of_three(db_session, seminar)
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(services.GroupRefused) as caught,
    ):
        add(db_session, contact, "fourth@group.example.jp")
    db_session.rollback()
    assert caught.value.problems == {
        "members": "A group can be at most 3 people, yourself included."
    }
    services.cancel(db_session, first.id, utcnow(), by_participant=True)
    db_session.commit()
    assert add(db_session, contact, "fourth@group.example.jp").status == CONFIRMED


def test_adding_an_address_already_registered_is_refused_beside_the_address(
    app, db_session, make_seminar
):
    seminar = make_seminar(capacity=10)
    contact, *_ = group_of_three(db_session, seminar)
    register(db_session, seminar, email="taken@example.jp")
    before = written(db_session)
    with (
        app.test_request_context(),
        force_locale("en"),
        pytest.raises(services.GroupRefused) as caught,
    ):
        add(db_session, contact, "TAKEN@example.jp")
    db_session.rollback()
    assert caught.value.problems == {
        "email": "This address is already registered for this seminar."
    }
    assert written(db_session) == before


def test_a_cancelled_person_alone_cannot_start_a_group_but_a_contact_still_adds(
    app, db_session, make_seminar
):
    seminar = make_seminar(capacity=10)
    alone = register(db_session, seminar, email="gone@example.jp")
    services.cancel(db_session, alone.id, utcnow(), by_participant=True)
    db_session.commit()
    with app.test_request_context(), pytest.raises(services.RegistrationError) as caught:
        add(db_session, alone, "friend@example.jp")
    db_session.rollback()
    assert caught.value.code == "cancelled"
    contact, *_ = group_of_three(db_session, seminar)
    services.cancel(db_session, contact.id, utcnow(), by_participant=True)
    db_session.commit()
    assert add(db_session, contact, "still@group.example.jp").group_id == contact.id


def test_a_members_link_cannot_add_to_the_group(app, db_session, make_seminar):
    _contact, member, _ = group_of_three(db_session, make_seminar(capacity=10))
    with app.test_request_context(), pytest.raises(services.RegistrationError) as caught:
        add(db_session, member, "other@group.example.jp")
    assert caught.value.code == "not-a-contact"


def test_a_colleague_added_attends_the_way_the_contact_does(db_session, make_seminar):
    seminar = make_seminar(
        delivery=Delivery.HYBRID, venue="本部 会議室", capacity=1, online_capacity=5
    )
    contact = register(db_session, seminar, email="online@example.jp", attendance_mode="online")
    register(db_session, seminar, email="venue@example.jp", attendance_mode="venue")  # venue full
    added = add(db_session, contact, "also-online@example.jp")
    assert added.attendance_mode == AttendanceMode.ONLINE and added.status == CONFIRMED


def test_a_colleague_added_at_a_lottery_seminar_applies(db_session, make_seminar):
    seminar = make_seminar(capacity=1, admission=Admission.LOTTERY)
    contact = register(db_session, seminar, email="applies@example.jp")
    assert add(db_session, contact, "applies-too@example.jp").status == RegistrationStatus.APPLIED


def test_the_preview_gives_the_places_register_group_gives(db_session, make_seminar):
    seminar = make_seminar(capacity=4)
    register(db_session, seminar, email="first@example.jp")
    preview = services.preview_places(db_session, seminar, 4)
    group = group_of_three(db_session, seminar)
    assert preview.free == 3
    assert [status for status, _place in preview.places[:3]] == [r.status for r in group]
    assert preview.places == [(CONFIRMED, None)] * 3 + [(WAITLISTED, 1)]


# --- several contacts adding at once ---------------------------------------------------------

PROCESSES = 4


def _add_colleagues(url: str, contact_id: int, tag: str, start: Barrier) -> list[str]:
    """Three colleagues added to one group, one after another, once every process is
    ready: each one's status, or the refusal's code."""
    app = make_app(url)
    outcomes = []
    with app.app_context(), app.test_request_context():
        start.wait(timeout=READY_WITHIN)
        for n in range(3):
            details, _errors = parse_details(details_data(email=f"{tag}-{n}@example.jp"))
            try:
                added = services.add_to_group(
                    db.session, contact_id, details, now=utcnow(), privacy_notice_version="2026-04"
                )
                db.session.commit()
                outcomes.append(added.status.value)
            except services.RegistrationError as exc:
                db.session.rollback()
                outcomes.append(exc.code)
            except services.GroupRefused as exc:
                db.session.rollback()
                outcomes.append(",".join(exc.problems))
        db.engine.dispose()
    return outcomes


def test_contacts_adding_at_once_never_oversell_nor_outgrow_their_groups(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_group_add_race")
    app = make_app(url)
    capacity = PROCESSES + 5  # each contact has a seat; five are left for eight colleagues
    with app.app_context():
        upgrade()
        seminar = add_open_seminar(
            db.session, slug="group-add-race", capacity=capacity, max_group_size=3
        )
        contacts = []
        for n in range(PROCESSES):
            details, _errors = parse_details(details_data(email=f"contact{n}@example.jp"))
            contacts.append(
                services.register(
                    db.session, seminar.id, details, now=utcnow(), privacy_notice_version="2026-04"
                ).id
            )
            db.session.commit()
        seminar_id = seminar.id
        db.engine.dispose()
    results = run_together(
        _add_colleagues, [(url, contact, f"c{n}") for n, contact in enumerate(contacts)]
    )
    outcomes = [outcome for result in results for outcome in result]
    assert set(outcomes) <= {"confirmed", "full", "members"}, outcomes
    assert outcomes.count("confirmed") == 5
    with app.app_context():
        rows = db.session.scalars(
            select(Registration).where(Registration.seminar_id == seminar_id)
        ).all()
        db.engine.dispose()
    assert sum(r.status == CONFIRMED for r in rows) == capacity
    assert not [r for r in rows if r.status == WAITLISTED]
    sizes = {contact: sum(r.group_id == contact for r in rows) for contact in contacts}
    assert max(sizes.values()) <= 3, sizes


# --- the form: colleagues on the entry page ---------------------------------------------------


def test_the_form_offers_colleagues_where_the_seminar_takes_groups(client, make_seminar):
    groups = client.get(url_of(make_seminar(max_group_size=3)), headers=JA).text
    assert 'name="add_member"' in groups and "同行者を追加" in groups
    alone = client.get(url_of(make_seminar(max_group_size=1)), headers=JA).text
    assert 'name="add_member"' not in alone and "members-" not in alone


def test_adding_a_colleague_keeps_every_field_checks_nothing_and_writes_nothing(
    client, make_seminar, db_session
):
    seminar = make_seminar()
    data = with_colleagues(contact_data(), COLLEAGUES[:1])
    response = post_form(client, url_of(seminar), {**data, "add_member": "1"}, headers=JA)
    assert response.status_code == 200
    page = read(response.text)
    assert page.current_step == "1入力"
    for name, value in data.items():
        if name != "privacy_notice_agreed":
            assert page.values.get(name) == value, name
    assert page.values["members-1-name"] == ""  # the new colleague's fields, empty
    assert 'class="field-error"' not in response.text
    assert re.search(r'<input[^>]*autofocus[^>]*id="members-1-name"', response.text)
    assert count(db_session, Registration) == 0


def test_enter_in_a_field_confirms_rather_than_adding_or_removing(client, make_seminar):
    """A browser submits with the form's first submit button when Enter is pressed in a
    field: with colleagues on the page it must be the nameless one, which confirms."""
    seminar = make_seminar()
    data = with_colleagues(contact_data(), COLLEAGUES)
    html = post_form(client, url_of(seminar), {**data, "add_member": "1"}).text
    form = html[html.index('<form method="post" novalidate class="form-grid">') :]
    first = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first and "name=" not in first


def test_a_form_reads_at_most_nineteen_colleagues_whatever_is_posted(client, make_seminar):
    seminar = make_seminar(max_group_size=20)
    many = [
        {"name": f"同僚 {n}", "name_kana": "どうりょう", "email": f"c{n}@group.example.jp"}
        for n in range(40)
    ]
    response = post_form(client, url_of(seminar), with_colleagues(contact_data(), many), headers=EN)
    assert response.status_code == 200  # the confirmation of 20 people, the most a group has
    assert "Your group: 20 people" in response.text
    assert "c19@group.example.jp" not in response.text


def test_removing_a_colleague_keeps_the_others(client, make_seminar):
    seminar = make_seminar()
    data = with_colleagues(contact_data(), COLLEAGUES)
    page = read(post_form(client, url_of(seminar), {**data, "remove_member": "0"}).text)
    names = {name: value for name, value in page.values.items() if name.endswith("-name")}
    assert list(names.values()) == ["同僚 二郎"]


def test_colleagues_stop_at_the_seminars_group_size(client, make_seminar):
    seminar = make_seminar(max_group_size=3)
    data = with_colleagues(contact_data(), COLLEAGUES)
    html = post_form(client, url_of(seminar), {**data, "add_member": "1"}).text
    assert "members-2-name" not in html and 'name="add_member"' not in html


def test_a_group_posted_larger_than_the_seminar_takes_is_refused(client, make_seminar, db_session):
    seminar = make_seminar(max_group_size=2)
    data = with_colleagues(contact_data(), COLLEAGUES)
    response = post_form(client, url_of(seminar), data, headers=JA)
    assert response.status_code == 400
    assert "まとめてお申し込みいただけるのは、ご本人を含めて2名までです。" in response.text
    assert count(db_session, Registration) == 0


def test_colleagues_posted_to_a_seminar_that_takes_one_at_a_time_are_refused(
    client, make_seminar, db_session
):
    """The seminar stopped taking groups while the form was filled in: the contact is not
    registered alone as if the colleagues had not been there."""
    seminar = make_seminar(max_group_size=1)
    data = with_colleagues(contact_data(), COLLEAGUES[:1])
    for step in ({}, {"register": "1"}):
        response = post_form(client, url_of(seminar), {**data, **step}, headers=EN)
        assert response.status_code == 400
        assert "This seminar takes registrations one person at a time." in response.text
    assert count(db_session, Registration) == 0


def test_a_colleagues_bad_fields_are_shown_beside_each_in_japanese(
    client, make_seminar, db_session
):
    seminar = make_seminar()
    colleagues = [
        COLLEAGUES[0],
        {"name": "山田 三郎", "name_kana": "yamada", "email": "bad@", "department": "x" * 101},
        {"name": "", "email": "nameless@group.example.jp"},
    ]
    response = post_form(
        client, url_of(seminar), with_colleagues(contact_data(), colleagues), headers=JA
    )
    html = response.text
    assert response.status_code == 400
    assert read(html).current_step == "1入力"
    assert errors_beside(html, "members-1-name_kana") == [
        "ふりがなは、ひらがなまたはカタカナで入力してください。"
    ]
    assert len(errors_beside(html, "members-1-email")) == 1
    assert errors_beside(html, "members-1-department") == ["100文字以内で入力してください。"]
    assert errors_beside(html, "members-2-name") == ["この項目は必須です。"]
    assert not errors_beside(html, "members-0-name") and not errors_beside(html, "name")
    assert "以下の印の付いた項目を修正してください。" in html
    assert count(db_session, Registration) == 0


def test_an_address_twice_in_the_group_is_refused_before_the_confirmation(client, make_seminar):
    seminar = make_seminar()
    colleagues = [COLLEAGUES[0], {**COLLEAGUES[1], "email": "ICHIRO@group.example.jp"}]
    response = post_form(
        client, url_of(seminar), with_colleagues(contact_data(), colleagues), headers=JA
    )
    assert response.status_code == 400
    assert errors_beside(response.text, "members-1-email") == [
        "このメールアドレスは同じ申込の中ですでに使われています。お一人ずつ別のアドレスをご記入ください。"
    ]


def test_blank_colleagues_are_left_out(client, make_seminar, db_session):
    seminar = make_seminar()
    colleagues = [{"name": "", "email": ""}, COLLEAGUES[0], {"name": " ", "department": ""}]
    manage = group_through_the_form(client, seminar, colleagues)
    assert "/r/" in manage
    assert sorted(db_session.scalars(select(Registration.email))) == [
        "hanako@group.example.jp",
        "ichiro@group.example.jp",
    ]


# --- the confirmation -------------------------------------------------------------------------


def test_the_confirmation_shows_the_group_and_who_would_get_a_seat(
    client, make_seminar, db_session
):
    seminar = make_seminar(capacity=3)
    register(db_session, seminar, email="before@example.jp")
    response = post_form(
        client, url_of(seminar), with_colleagues(contact_data(), COLLEAGUES), headers=JA
    )
    assert response.status_code == 200
    html = response.text
    page = read(html)
    assert page.current_step == "2確認"
    preview = html[html.index('class="panel stack group-preview"') :]
    assert "現在の空席：2席" in preview
    people = re.findall(r'<li class="group-person" data-person="(\d)">(.*?)</li>', preview, re.S)
    assert [person[0] for person in people] == ["0", "1", "2"]
    assert "総務 花子" in people[0][1] and "お席あり" in people[0][1]
    assert "同僚 一郎" in people[1][1] and "お席あり" in people[1][1]
    assert "同僚 二郎" in people[2][1] and "1番目" in people[2][1]
    assert "jiro@group.example.jp" in people[2][1] and "開発部" in people[2][1]
    assert "3名で申し込む" in html
    assert count(db_session, Registration) == 1


def test_a_hybrid_groups_seats_are_those_of_the_way_it_chose(client, make_seminar, db_session):
    seminar = make_seminar(
        delivery=Delivery.HYBRID, venue="本部 会議室", capacity=1, online_capacity=5
    )
    register(db_session, seminar, email="venue@example.jp", attendance_mode="venue")
    data = {**with_colleagues(contact_data(), COLLEAGUES), "attendance_mode": "online"}
    html = post_form(client, url_of(seminar), data, headers=EN).text
    assert "Seats free now: 5" in html and "Each of you would get a seat." in html
    venue = post_form(client, url_of(seminar), {**data, "attendance_mode": "venue"}, headers=EN)
    assert "All of you would join the waitlist, in the order listed." in venue.text


def test_a_single_registration_confirms_as_before(client, make_seminar):
    seminar = make_seminar(capacity=3)
    html = post_form(client, url_of(seminar), contact_data(), headers=JA).text
    assert "group-preview" not in html and "現在の空席" not in html
    assert ">申し込む</button>" in html


def test_going_back_from_the_confirmation_keeps_the_colleagues(client, make_seminar):
    seminar = make_seminar()
    data = with_colleagues(contact_data(), COLLEAGUES)
    confirmation = read(post_form(client, url_of(seminar), data).text)
    back = read(client.post(url_of(seminar), data={**confirmation.hidden, "back": "1"}).text)
    assert back.current_step == "1入力"
    for name, value in data.items():
        assert back.values.get(name) == value, name


def test_confirming_registers_the_group_as_shown_each_with_their_own_fields(
    client, make_seminar, db_session
):
    seminar = make_seminar()
    manage = group_through_the_form(client, seminar)
    rows = db_session.scalars(select(Registration).order_by(Registration.id)).all()
    contact, first, second = rows
    assert manage.endswith(f"/r/{contact.manage_token}?new=1")
    assert {r.group_id for r in rows} == {contact.id}
    assert [r.status for r in rows] == [CONFIRMED] * 3
    assert (second.name, second.name_kana, second.department, second.job_title) == (
        "同僚 二郎",
        "どうりょう じろう",
        "開発部",
        "主任",
    )
    assert {(r.organization, r.prefecture, r.attribute, r.employee_band) for r in rows} == {
        (contact.organization, "13", "sme", "21-50")
    }
    # Each person's own answers: the contact's are not given for the colleagues.
    assert contact.announcements_opt_in and contact.question == "事例を知りたい"
    assert not first.announcements_opt_in and first.question is None and first.heard_from is None
    assert first.department is None


def test_an_address_already_registered_is_refused_beside_its_colleague(
    client, make_seminar, db_session
):
    seminar = make_seminar()
    url = url_of(seminar)
    confirmation = read(post_form(client, url, with_colleagues(contact_data(), COLLEAGUES)).text)
    register(db_session, seminar, email="jiro@group.example.jp")  # meanwhile
    response = client.post(url, data={**confirmation.hidden, "register": "1"}, headers=JA)
    assert response.status_code == 400
    assert errors_beside(response.text, "members-1-email") == [
        "このアドレスはこのセミナーにすでに申し込まれています。"
    ]
    assert count(db_session, Registration) == 1


def test_the_completion_page_counts_the_seats_and_the_waitlist(client, make_seminar, db_session):
    seminar = make_seminar(capacity=2)
    manage = group_through_the_form(client, seminar)
    html = client.get(manage, headers=JA).text
    assert read(html).current_step == "3完了"
    assert "2名が参加確定、1名がキャンセル待ちです" in html


# --- each person's mail, through a real SMTP server ------------------------------------------


def test_each_person_of_a_group_gets_their_own_mail_ticket_link_and_invite(
    client, make_seminar, db_session, smtp_app, mail_server
):
    seminar = make_seminar(capacity=2)
    group_through_the_form(client, seminar)
    mails = deliver(db_session, mail_server)
    people = db_session.scalars(select(Registration).order_by(Registration.id)).all()
    assert sorted(str(m["To"]) for m in mails) == sorted(r.email for r in people)
    assert len(mails) == 3
    for person in people:
        [mail] = [m for m in mails if m["To"] == person.email]
        text = text_of(mail)
        links = set(re.findall(r"http://seminars\.test/r/[\w-]+", text))
        assert links == {f"http://seminars.test/r/{person.manage_token}"}, person.email
        others = [r for r in people if r.id != person.id]
        assert not any(other.manage_token in mail.as_string() for other in others)
        calendars = [part for part in mail.walk() if part.get_content_type() == "text/calendar"]
        if person.status == CONFIRMED:
            assert person.ticket_code in text and person.ticket_code in html_of(mail)
            [event] = invite_of(mail).events
            [attendee] = event.attendees
            assert attendee.uri == f"mailto:{person.email}" and attendee.common_name == person.name
            assert event.uid.startswith(f"registration-{person.id}@")
        else:
            assert calendars == [] and person.ticket_code not in text
            assert "1番目" in text
        assert not any(other.ticket_code in mail.as_string() for other in others)
        told = "総務 花子 様がグループでお申し込みくださいました" in text
        assert told == (person.id != person.group_id), person.email


def test_a_lottery_result_does_not_tell_a_member_again_who_registered_them(
    app, db_session, make_seminar, smtp_app, mail_server
):
    seminar = make_seminar(capacity=10, admission=Admission.LOTTERY)
    _contact, member, _ = group_of_three(db_session, seminar)
    deliver(db_session, mail_server)
    member.status = CONFIRMED
    services.queue_for(db_session, "registration.confirmed", member, lottery=True)
    db_session.commit()
    [result] = deliver(db_session, mail_server)
    assert result["To"] == member.email
    assert "registered you with their group" not in text_of(result)
    assert "総務 花子" not in text_of(result)


# --- the contact's page -----------------------------------------------------------------------


def test_the_contacts_page_shows_the_whole_group_with_each_place(client, make_seminar, db_session):
    seminar = make_seminar(capacity=2)
    contact, first, second = group_of_three(db_session, seminar)
    html = client.get(f"/r/{contact.manage_token}", headers=JA).text
    group = html[html.index('id="group"') :]
    for person in (contact, first, second):
        assert person.name in group and person.email in group
    assert group.count("参加確定") == 2
    assert "キャンセル待ち 1番目" in re.sub(r"<[^>]+>", "", group).replace("\n", " ")
    assert f"/r/{contact.manage_token}/group/{second.id}/cancel" in group
    assert f"/r/{contact.manage_token}/group/{first.id}/edit" in group
    assert first.manage_token not in html and second.ticket_code not in html


def test_a_person_registered_alone_is_offered_to_add_a_colleague_where_groups_are_taken(
    client, make_seminar, db_session
):
    alone = register(db_session, make_seminar(), email="alone@example.jp")
    single = register(db_session, make_seminar(max_group_size=1), email="single@example.jp")
    html = client.get(f"/r/{alone.manage_token}").text
    assert f"/r/{alone.manage_token}/group/add" in html
    assert 'class="group-person"' not in html  # nobody to list yet
    assert "/group/" not in client.get(f"/r/{single.manage_token}").text


def test_the_contact_cancels_a_member_and_the_waitlist_moves_up(client, make_seminar, db_session):
    seminar = make_seminar(capacity=2)
    contact, first, second = group_of_three(db_session, seminar)
    url = f"/r/{contact.manage_token}/group/{first.id}/cancel"
    asked = client.get(url, headers=JA)
    assert asked.status_code == 200 and first.name in asked.text
    response = post_form(client, url, {})
    assert response.status_code == 303
    assert first.status == RegistrationStatus.CANCELLED
    assert second.status == CONFIRMED  # promoted by services.cancel
    kinds = db_session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient == second.email)
    ).all()
    assert "registration.promoted" in kinds
    assert db_session.scalars(
        select(AuditEvent.details).where(
            AuditEvent.action == "registration.cancelled_by_group_contact"
        )
    ).one() == {"seminar_id": seminar.id, "contact_id": contact.id}


def test_the_contact_corrects_a_member_keeping_their_address_and_own_answers(
    client, make_seminar, db_session
):
    seminar = make_seminar()
    contact, first, _ = group_of_three(db_session, seminar)
    first.question, first.announcements_opt_in = "私の質問", True
    db_session.commit()
    url = f"/r/{contact.manage_token}/group/{first.id}/edit"
    form = client.get(url, headers=JA).text
    assert 'name="question"' not in form and 'name="announcements_opt_in"' not in form
    data = {
        **{k: v for k, v in details_data().items() if k not in ("email", "question", "heard_from")},
        "name": "訂正 一郎",
        "name_kana": "ていせい いちろう",
        "email": "hijack@example.jp",
    }
    response = post_form(client, url, data)
    assert response.status_code == 303
    assert (first.name, first.email) == ("訂正 一郎", "ichiro@group.example.jp")
    assert (first.question, first.announcements_opt_in) == ("私の質問", True)


def test_a_members_correction_is_checked_by_the_rules_of_a_participant(
    client, make_seminar, db_session
):
    contact, first, _ = group_of_three(db_session, make_seminar())
    url = f"/r/{contact.manage_token}/group/{first.id}/edit"
    response = post_form(client, url, {**details_data(), "name_kana": "yamada"}, headers=JA)
    assert response.status_code == 400
    assert errors_beside(response.text, "name_kana") == [
        "ふりがなは、ひらがなまたはカタカナで入力してください。"
    ]


def test_the_contact_adds_a_colleague_while_a_seat_is_free(client, make_seminar, db_session):
    seminar = make_seminar(capacity=4)
    contact, *_ = group_of_three(db_session, seminar)
    page = client.get(f"/r/{contact.manage_token}", headers=JA).text
    add_url = f"/r/{contact.manage_token}/group/add"
    assert add_url in page
    response = post_form(
        client,
        add_url,
        {"name": "追加 四郎", "name_kana": "ついか しろう", "email": "shiro@group.example.jp"},
    )
    assert response.status_code == 303
    added = db_session.scalars(select(Registration).filter_by(email="shiro@group.example.jp")).one()
    assert added.status == CONFIRMED and added.group_id == contact.id
    assert added.organization == contact.organization and added.locale == contact.locale
    # The last seat is gone: the page says why no colleague can be added, and a post is refused.
    page = client.get(f"/r/{contact.manage_token}", headers=JA).text
    assert add_url not in page and "空席がありません" in page
    refused = post_form(
        client,
        add_url,
        {"name": "満席 五郎", "name_kana": "まんせき", "email": "goro@group.example.jp"},
        page=url_of(seminar),
    )
    assert refused.status_code == 400
    assert count(db_session, Registration) == 4


def test_adding_a_colleague_shows_each_problem_beside_its_field(client, make_seminar, db_session):
    seminar = make_seminar(capacity=10)
    contact, *_ = group_of_three(db_session, seminar)
    response = post_form(
        client,
        f"/r/{contact.manage_token}/group/add",
        {"name": "重複 一郎", "name_kana": "ちょうふく", "email": "ichiro@group.example.jp"},
        headers=JA,
    )
    assert response.status_code == 400
    assert errors_beside(response.text, "email") == [
        "このアドレスはこのセミナーにすでに申し込まれています。"
    ]
    assert count(db_session, Registration) == 3


# --- a member's page --------------------------------------------------------------------------


def test_a_members_link_shows_their_own_registration_only(client, make_seminar, db_session):
    contact, first, second = group_of_three(db_session, make_seminar(capacity=10))
    html = client.get(f"/r/{first.manage_token}", headers=JA).text
    assert first.name in html and first.ticket_code in html
    assert 'id="group"' not in html
    for other in (second, contact):
        assert other.email not in html and other.ticket_code not in html
        assert other.manage_token not in html
    assert second.name not in html
    assert "総務 花子 様がグループでお申し込みくださいました" in html


def test_a_members_link_cannot_act_on_the_others(client, make_seminar, db_session):
    contact, first, second = group_of_three(db_session, make_seminar(capacity=10))
    member = first.manage_token
    for url in (
        f"/r/{member}/group/{second.id}/edit",
        f"/r/{member}/group/{second.id}/cancel",
        f"/r/{member}/group/{contact.id}/cancel",
        f"/r/{member}/group/{first.id}/cancel",
        f"/r/{member}/group/add",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        post_form(
            client,
            f"/r/{member}/group/{second.id}/cancel",
            {},
            page=f"/r/{contact.manage_token}/group/{first.id}/cancel",
        ).status_code
        == 404
    )
    assert second.status == CONFIRMED


def test_a_contacts_link_reaches_their_own_group_only(client, make_seminar, db_session):
    seminar = make_seminar(capacity=10)
    contact, *_ = group_of_three(db_session, seminar)
    stranger = register(db_session, seminar, email="stranger@example.jp")
    other_contact = register(db_session, seminar, email="other-contact@example.jp")
    outsider = add(db_session, other_contact, "outsider@example.jp")
    for victim in (stranger, outsider, other_contact):
        for action in ("edit", "cancel"):
            url = f"/r/{contact.manage_token}/group/{victim.id}/{action}"
            assert client.get(url).status_code == 404, url
    assert (
        post_form(
            client,
            f"/r/{contact.manage_token}/group/{outsider.id}/cancel",
            {},
            page=f"/r/{contact.manage_token}/group/add",
        ).status_code
        == 404
    )
    assert outsider.status == CONFIRMED


# --- the console and the figures --------------------------------------------------------------


def test_the_console_list_names_each_registrations_group(
    organizer_client, make_seminar, db_session
):
    seminar = make_seminar(capacity=10)
    contact, first, _ = group_of_three(db_session, seminar)
    alone = register(db_session, seminar, email="alone@example.jp", name="単独 太郎")
    html = organizer_client.get(f"/console/seminars/{seminar.id}/registrations", headers=JA).text
    rows = {
        person.id: next(c for c in html.split("<tr>") if person.email in c).split("</tr>")[0]
        for person in (contact, first, alone)
    }
    assert (
        f"グループ {contact.id}（3名）" in rows[first.id] and "申込者：総務 花子" in rows[first.id]
    )
    assert f"グループ {contact.id}（3名）" in rows[contact.id] and "代表者" in rows[contact.id]
    assert "グループ" not in rows[alone.id]


def test_the_fiscal_year_report_counts_people_not_groups(db_session, make_seminar):
    now = utcnow()
    start = now - timedelta(days=2)
    seminar = make_seminar(
        starts_at=start,
        registration_opens_at=None,
        registration_closes_at=None,
        delivery=Delivery.IN_PERSON,
        venue="会場",
        meeting_url=None,
    )
    lead, errors = parse_details(details_data(email="lead@example.jp"))
    assert not errors
    members = [colleague_details(f"member{n}@example.jp", name=f"同僚 {n}") for n in range(3)]
    group = services.register_group(
        db_session,
        seminar.id,
        lead,
        members,
        now=start - timedelta(days=7),
        privacy_notice_version="2026-04",
    )
    for person in group[:3]:
        attendance.admit(
            db_session, person, seminar.id, by=None, method=CheckInMethod.SCAN, desk="A", now=start
        )
    db_session.commit()
    figures = fiscal_year_figures(db_session, seminar.fiscal_year, now)
    assert figures.registrations.total == 4 and figures.registrations.confirmed == 4
    assert figures.attendees.by_host_type["agency"] == 3
    assert figures.registrations.no_shows == 1
    assert figures.attendees.registered_attendees_by["attribute"] == {"sme": 3}
