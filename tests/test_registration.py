"""Registration rules: seats, waitlist, promotion, cancellation, duplicates, windows."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from seminar_app.audit.models import AuditEvent
from seminar_app.auth.services import AccountError, create_user, find_user
from seminar_app.catalogue import lifecycle
from seminar_app.domain import HostType, RegistrationStatus, Role, SeminarStatus
from seminar_app.notifications.models import OutboxMessage
from seminar_app.notifications.services import deliver_due
from seminar_app.registration import services
from seminar_app.registration.details import normalize_email_address, parse_details
from seminar_app.registration.models import Registration
from seminar_app.text import normalize_email
from seminar_app.timeutil import utcnow
from tests.conftest import post_form
from tests.registration_helpers import details_data, register


def kinds(db_session, registration):
    rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [row.kind for row in rows if row.payload.get("registration_id") == registration.id]


def test_seats_then_waitlist_in_order(db_session, make_seminar):
    seminar = make_seminar(capacity=2)
    people = [register(db_session, seminar) for _ in range(4)]
    assert [p.status for p in people] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [services.waitlist_position(db_session, p) for p in people] == [None, None, 1, 2]
    assert kinds(db_session, people[0]) == ["registration.confirmed"]
    assert kinds(db_session, people[2]) == ["registration.waitlisted"]


def test_cancelling_a_seat_promotes_the_first_waitlisted(db_session, make_seminar):
    seminar = make_seminar(capacity=1)
    first, second, third = (register(db_session, seminar) for _ in range(3))
    services.cancel(db_session, first.id, utcnow(), by_participant=True)
    db_session.commit()
    assert (first.status, second.status, third.status) == ("cancelled", "confirmed", "waitlisted")
    assert services.waitlist_position(db_session, third) == 1
    assert kinds(db_session, second)[-1] == "registration.promoted"
    assert kinds(db_session, first)[-1] == "registration.cancelled"


def test_no_promotion_after_the_cutoff(db_session, make_seminar):
    seminar = make_seminar(capacity=1, waitlist_cutoff_hours=24)
    first, second = register(db_session, seminar), register(db_session, seminar)
    late = seminar.starts_at - timedelta(hours=2)
    services.cancel(db_session, first.id, late, by_participant=True)
    db_session.commit()
    assert second.status == "waitlisted"
    services.promote_by_hand(db_session, second.id, late)
    db_session.commit()
    assert second.status == "confirmed"


def test_raising_capacity_promotes_at_once(db_session, make_seminar):
    seminar = make_seminar(capacity=1)
    people = [register(db_session, seminar) for _ in range(4)]
    promoted = lifecycle.change_capacity(db_session, seminar.id, 3, utcnow())
    db_session.commit()
    assert [p.id for p in promoted] == [people[1].id, people[2].id]
    assert people[3].status == "waitlisted"
    assert services.waitlist_position(db_session, people[3]) == 1


def test_lowering_capacity_unseats_nobody(db_session, make_seminar):
    seminar = make_seminar(capacity=3)
    people = [register(db_session, seminar) for _ in range(3)]
    lifecycle.change_capacity(db_session, seminar.id, 1, utcnow())
    db_session.commit()
    assert all(p.status == "confirmed" for p in people)
    assert register(db_session, seminar).status == "waitlisted"
    services.cancel(db_session, people[0].id, utcnow(), by_participant=True)
    db_session.commit()
    # Still two seats taken for a capacity of one: nobody moves up.
    waiting = db_session.scalars(
        select(Registration).where(Registration.status == RegistrationStatus.WAITLISTED)
    ).all()
    assert len(waiting) == 1


def test_new_registrant_queues_behind_the_waitlist(db_session, make_seminar):
    """After the cut-off a freed seat is not taken by a newcomer ahead of those waiting."""
    seminar = make_seminar(capacity=1, waitlist_cutoff_hours=0)
    first, second = register(db_session, seminar), register(db_session, seminar)
    seminar.waitlist_cutoff_hours = 10_000
    db_session.commit()
    services.cancel(db_session, first.id, utcnow(), by_participant=True)
    db_session.commit()
    assert second.status == "waitlisted"
    assert register(db_session, seminar).status == "waitlisted"


def test_one_active_registration_per_address_whatever_the_case(db_session, make_seminar):
    seminar = make_seminar()
    register(db_session, seminar, email="Hanako@Example.JP")
    details, _ = parse_details(details_data(email="hanako@example.jp"))
    with pytest.raises(services.AlreadyRegistered):
        services.register(
            db_session, seminar.id, details, now=utcnow(), privacy_notice_version="2026-04"
        )


def test_database_refuses_a_second_active_registration(db_session, make_seminar):
    from sqlalchemy.exc import IntegrityError

    seminar = make_seminar()
    original = register(db_session, seminar, email="dup@example.jp")
    copy = Registration(
        **{
            column: getattr(original, column)
            for column in (
                "seminar_id",
                "status",
                "email",
                "email_key",
                "name",
                "name_kana",
                "prefecture",
                "attribute",
                "privacy_notice_version",
                "privacy_agreed_at",
            )
        },
        manage_token="other",
        ticket_code="TKT-other",
        join_token="other-join",
    )
    db_session.add(copy)
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_register_again_after_cancelling(db_session, make_seminar):
    seminar = make_seminar()
    first = register(db_session, seminar, email="again@example.jp")
    services.cancel(db_session, first.id, utcnow(), by_participant=True)
    db_session.commit()
    assert register(db_session, seminar, email="again@example.jp").status == "confirmed"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"status": SeminarStatus.CANCELLED}, "cancelled"),
        ({"status": SeminarStatus.DRAFT}, "not-found"),
        ({"registration_opens_at": utcnow() + timedelta(days=1)}, "not-open-yet"),
        ({"registration_closes_at": utcnow() - timedelta(minutes=1)}, "closed"),
        ({"starts_at": utcnow() - timedelta(days=3)}, "ended"),
        (
            {"host_type": HostType.EXTERNAL, "capacity": None, "host_organization": "協会"},
            "not-taken",
        ),
    ],
)
def test_registration_refused_outside_the_window(db_session, make_seminar, overrides, code):
    seminar = make_seminar(**overrides)
    details, _ = parse_details(details_data())
    with pytest.raises(services.RegistrationError) as caught:
        services.register(
            db_session, seminar.id, details, now=utcnow(), privacy_notice_version="2026-04"
        )
    assert caught.value.code == code
    db_session.rollback()
    assert db_session.scalars(select(Registration)).all() == []


def test_every_change_is_audited(db_session, make_seminar):
    seminar = make_seminar(capacity=1)
    first = register(db_session, seminar)
    register(db_session, seminar)
    services.cancel(db_session, first.id, utcnow(), by_participant=True)
    db_session.commit()
    actions = db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("registration.created") == 2
    assert "registration.cancelled" in actions and "registration.promoted" in actions


# --- what people type -------------------------------------------------------------------


def test_names_and_numbers_are_normalised():
    details, errors = parse_details(
        details_data(
            name="山田　太郎",
            name_kana="ﾔﾏﾀﾞ ﾀﾛｳ",
            email="ＴＡＲＯ@Example.JP",
            organization="株式会社ＡＢＣ１２３",
        )
    )
    assert not errors
    assert details.name == "山田 太郎"
    assert details.name_kana == "ヤマダ タロウ"
    assert details.email == "TARO@example.jp" and details.email_key == "taro@example.jp"
    assert details.organization == "株式会社ABC123"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", ""),
        ("name", "a" * 101),
        ("name", "山田\r\nBcc: x@example.com"),
        ("name_kana", "yamada"),
        ("name_kana", "山田"),
        ("email", "not-an-address"),
        ("email", "a@b"),
        ("email", "taro..yamada@example.com"),
        ("email", "名前@例え.jp"),
        ("prefecture", "48"),
        ("attribute", "alien"),
        ("employee_band", "7"),
        ("industry", "Z"),
        ("organization", ""),
        ("question", "x" * 2001),
        ("name", 42),
    ],
)
def test_bad_input_is_named(field, value):
    details, errors = parse_details(details_data(**{field: value}))
    assert details is None and field in errors and errors[field]


@pytest.mark.parametrize(
    ("name", "reading", "error"),
    [
        ("John Smith", "", False),  # read as written: no kana asked for
        ("Émilie Dubois-Smith", "", False),
        ("山田 太郎", "", True),
        ("やまだ たろう", "", True),
        ("John 山田", "", True),  # partly in Japanese script
        ("John Smith", "じょん すみす", False),  # given anyway, it is kept
        ("John Smith", "smith", True),  # given, it must be kana
    ],
)
def test_the_reading_is_asked_for_names_in_japanese_script(name, reading, error):
    details, errors = parse_details(details_data(name=name, name_kana=reading))
    assert ("name_kana" in errors) is error, errors
    if not error:
        assert details.name_kana == reading


def test_organization_not_needed_for_individuals():
    details, errors = parse_details(
        details_data(attribute="individual", organization="", employee_band="")
    )
    assert not errors and details.organization is None


def test_old_japanese_mobile_addresses_are_accepted_for_carrier_domains():
    assert normalize_email_address("taro..yamada.@docomo.ne.jp") == (
        "taro..yamada.@docomo.ne.jp",
        None,
    )
    assert normalize_email_address("x.y.@ezweb.ne.jp")[0] == "x.y.@ezweb.ne.jp"
    assert normalize_email_address("taro..yamada@example.com")[0] is None


# --- e-mail addresses: stored in the form mail can be delivered to ---------------------------

LOCAL_PART_JA = "「@」より前には、半角の英数字と記号のみ使用できます"
LOCAL_PART_EN = "Before the @, an e-mail address can only use half-width letters"


def test_an_internationalized_domain_is_kept_in_its_ascii_form():
    details, errors = parse_details(details_data(email="Taro@例え.JP"))
    assert not errors
    assert details.email == "Taro@xn--r8jz45g.jp" and details.email_key == "taro@xn--r8jz45g.jp"
    assert normalize_email("TARO@XN--R8JZ45G.JP") == normalize_email("taro@例え.jp")


def test_a_unicode_local_part_is_refused_with_its_reason():
    address, problem = normalize_email_address("名前@例え.jp")
    assert address is None and problem.startswith("Before the @")


def test_both_spellings_of_a_domain_are_one_person(db_session, make_seminar):
    seminar = make_seminar(capacity=5)
    first = register(db_session, seminar, email="taro@例え.jp")
    with pytest.raises(services.AlreadyRegistered):
        register(db_session, seminar, email="Taro@xn--r8jz45g.jp")
    assert first.email == "taro@xn--r8jz45g.jp"


def test_the_form_stores_the_ascii_form_and_the_mail_arrives_addressed_to_it(
    client, make_seminar, db_session, smtp_app, mail_server
):
    seminar = make_seminar()
    response = post_form(
        client,
        f"/seminars/{seminar.slug}/register",
        {**details_data(email="taro@例え.jp"), "privacy_notice_agreed": "y", "register": "1"},
    )
    assert response.status_code == 303
    registration = db_session.scalar(select(Registration))
    assert (registration.email, registration.email_key) == (
        "taro@xn--r8jz45g.jp",
        "taro@xn--r8jz45g.jp",
    )
    assert deliver_due(db_session).sent == 1
    [(envelope, data)] = mail_server.raw
    assert envelope == ["taro@xn--r8jz45g.jp"]
    assert b"\r\nTo: <taro@xn--r8jz45g.jp>\r\n" in data
    assert mail_server.parsed()[0]["To"] == "taro@xn--r8jz45g.jp"


@pytest.mark.parametrize(("language", "message"), [("ja", LOCAL_PART_JA), ("en", LOCAL_PART_EN)])
def test_the_form_refuses_a_unicode_local_part_in_the_persons_language(
    client, make_seminar, db_session, language, message
):
    seminar = make_seminar()
    response = post_form(
        client,
        f"/seminars/{seminar.slug}/register",
        {**details_data(email="名前@例え.jp"), "privacy_notice_agreed": "y", "register": "1"},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Registration)) == 0


@pytest.mark.parametrize(("language", "message"), [("ja", LOCAL_PART_JA), ("en", LOCAL_PART_EN)])
def test_the_api_refuses_a_unicode_local_part_on_the_email_field(
    client, make_seminar, db_session, language, message
):
    seminar = make_seminar()
    body = {**details_data(email="名前@例え.jp"), "privacy_notice_agreed": True, "locale": language}
    response = client.post(f"/api/v1/seminars/{seminar.id}/registrations", json=body)
    assert response.status_code == 422
    assert message in response.get_json()["fields"]["email"]
    assert db_session.scalar(select(func.count()).select_from(Registration)) == 0


def test_staff_accounts_go_through_the_same_rule(db_session):
    user = create_user(db_session, "Staff@例え.jp", {Role.ORGANIZER})
    assert user.email == "staff@xn--r8jz45g.jp"
    assert find_user(db_session, "staff@例え.jp") is user
    with pytest.raises(AccountError, match=LOCAL_PART_JA):
        create_user(db_session, "職員@example.jp", {Role.ORGANIZER})
