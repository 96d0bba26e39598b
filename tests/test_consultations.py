"""The consultation desk's records: clients, validation, and who may read the notes."""

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import delete, func, select

from seminar_app.audit.models import AuditEvent
from seminar_app.consultations import services
from seminar_app.consultations.models import (
    Client,
    Consultation,
    ConsultationReferral,
    ConsultationTopic,
)
from seminar_app.domain import Referral, Role, Topic


def values(**overrides):
    data = dict(
        held_on=date(2026, 10, 1),
        channel="online",
        attribute="sme",
        topics=["trade-secret-management"],
        source="prefectural-desk",
        step=3,
        employee_band="21-50",
        industry="E",
        prefecture="13",
        organization="株式会社ＡＢＣ商事",
        notes="新製品の配合表の管理方法について",
    )
    data.update(overrides)
    return services.ConsultationInput(**data)


def test_clients_match_by_corporate_number_or_normalised_name(db_session):
    first = services.find_or_create_client(db_session, "株式会社ＡＢＣ商事", None)
    db_session.flush()
    assert services.find_or_create_client(db_session, "(株) ABC 商事", None) is first
    numbered = services.find_or_create_client(db_session, "ABC商事", "9234567890123")
    assert numbered is first and first.corporate_number == "9234567890123"
    db_session.flush()
    assert services.find_or_create_client(db_session, "全く別の名前", "9234567890123") is first
    assert db_session.scalars(select(Client)).all() == [first]


def test_notes_are_for_organizers_and_the_records_advisor(db_session, make_user):
    advisor, other_advisor = make_user(Role.ADVISOR), make_user(Role.ADVISOR)
    organizer, lecturer = make_user(Role.ORGANIZER), make_user(Role.LECTURER)
    reception, admin = make_user(Role.RECEPTION), make_user(Role.ADMIN)
    consultation = services.record_consultation(db_session, values(), advisor=advisor, by=advisor)
    allowed = {user.id for user in (advisor, organizer)}
    for user in (advisor, other_advisor, organizer, lecturer, reception, admin):
        if user.id in allowed:
            assert services.read_notes(db_session, consultation, user).startswith("新製品")
        else:
            with pytest.raises(PermissionError):
                services.read_notes(db_session, consultation, user)
    reads = db_session.scalars(
        select(AuditEvent.actor_id).where(AuditEvent.action == "consultation.notes_read")
    ).all()
    assert sorted(reads) == sorted(allowed)
    assert not services.may_see_desk(lecturer) and services.may_see_desk(other_advisor)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"topics": ["astrology"]}, "topics"),
        ({"topics": []}, "topics"),
        ({"step": 8}, "step"),
        ({"step": 0}, "step"),
        ({"prefecture": "48"}, "prefecture"),
        ({"corporate_number": "12345"}, "corporate_number"),
        ({"source": "rumour"}, "source"),
    ],
)
def test_bad_values_are_refused(db_session, make_user, overrides, field):
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(
            db_session, values(**overrides), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert field in caught.value.problems


def test_consultations_in_the_fiscal_year_report(db_session, make_user, client):
    from seminar_app.auth.services import issue_api_token
    from seminar_app.reports.services import fiscal_year_figures
    from seminar_app.timeutil import utcnow

    advisor = make_user(Role.ADVISOR)
    for held_on, channel, topics in (
        (date(2025, 4, 1), "online", ["trade-secret-management", "contracts"]),
        (date(2026, 3, 31), "phone", ["leak-incident"]),
        (date(2026, 4, 1), "online", ["ip-strategy"]),  # FY2026
        (date(2025, 3, 31), "online", ["other"]),  # FY2024
    ):
        services.record_consultation(
            db_session,
            values(held_on=held_on, channel=channel, topics=topics),
            advisor=advisor,
            by=advisor,
        )
    db_session.commit()
    figures = fiscal_year_figures(db_session, 2025, utcnow()).consultations
    assert (figures.total, figures.online) == (2, 1)
    assert figures.by_channel == {"online": 1, "phone": 1}
    # Every topic has its count, and a consultation with two topics counts under each.
    assert figures.by_topic == {
        "trade-secret-management": 1,
        "ip-strategy": 0,
        "ip-system-general": 0,
        "contracts": 1,
        "leak-incident": 1,
        "departing-employees": 0,
        "other": 0,
    }
    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    body = client.get(
        "/api/v1/reports/fiscal-years/2025", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert body["consultations"]["total"] == 2
    assert "notes" not in str(body)


def stored_topics(db_session) -> list[tuple[int, str]]:
    return sorted(
        db_session.execute(
            select(ConsultationTopic.consultation_id, ConsultationTopic.topic)
        ).tuples()
    )


def test_topics_are_rows_shown_in_the_order_of_the_vocabulary(db_session, make_user):
    advisor = make_user(Role.ADVISOR)
    consultation = services.record_consultation(
        db_session,
        values(topics=["other", "contracts", "trade-secret-management", "contracts"]),
        advisor=advisor,
        by=advisor,
    )
    db_session.commit()
    db_session.expire_all()
    assert consultation.topics == [Topic.TRADE_SECRET_MANAGEMENT, Topic.CONTRACTS, Topic.OTHER]
    assert len(stored_topics(db_session)) == 3


def test_a_correction_replaces_the_topics(db_session, make_user):
    advisor = make_user(Role.ADVISOR)
    consultation = services.record_consultation(
        db_session,
        values(topics=["trade-secret-management", "contracts"]),
        advisor=advisor,
        by=advisor,
    )
    db_session.commit()
    services.update_consultation(
        db_session,
        consultation,
        values(topics=["contracts", "leak-incident"]),
        advisor=advisor,
        by=advisor,
    )
    db_session.commit()
    assert stored_topics(db_session) == [
        (consultation.id, "contracts"),
        (consultation.id, "leak-incident"),
    ]


def test_a_refused_correction_keeps_the_topics(db_session, make_user):
    advisor = make_user(Role.ADVISOR)
    consultation = services.record_consultation(
        db_session, values(topics=["contracts"]), advisor=advisor, by=advisor
    )
    db_session.commit()
    with pytest.raises(services.ConsultationError):
        services.update_consultation(
            db_session, consultation, values(topics=[]), advisor=advisor, by=advisor
        )
    db_session.rollback()
    assert stored_topics(db_session) == [(consultation.id, "contracts")]


def test_the_topics_go_with_their_consultation(db_session, make_user):
    advisor = make_user(Role.ADVISOR)
    services.record_consultation(
        db_session, values(topics=["contracts", "other"]), advisor=advisor, by=advisor
    )
    db_session.commit()
    db_session.execute(delete(Consultation))  # in SQL: the database's ON DELETE CASCADE
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(ConsultationTopic)) == 0


@pytest.mark.parametrize(
    ("overrides", "field", "must_hold"),
    [
        ({"attribute": "company"}, "attribute", "one of sme, large-company, "),
        ({"employee_band": "50"}, "employee_band", "one of 1-5, 6-20, "),
        ({"industry": "Z"}, "industry", "a JSIC major group, A to T"),
        ({"industry": ""}, "industry", "a JSIC major group, A to T"),
        ({"corporate_number": "１２３４５"}, "corporate_number", "13 digits"),
    ],
)
def test_each_refusal_says_what_the_field_must_hold(
    db_session, make_user, overrides, field, must_hold
):
    with pytest.raises(services.ConsultationError) as caught, force_locale("en"):
        services.record_consultation(
            db_session, values(**overrides), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert list(caught.value.problems) == [field]
    assert caught.value.problems[field].startswith(must_hold)


def test_a_refusal_says_what_the_field_must_hold_in_the_readers_language(db_session, make_user):
    """The rules' one wording, which every door words in its own way."""
    with pytest.raises(services.ConsultationError) as caught, force_locale("ja"):
        services.record_consultation(
            db_session, values(corporate_number="12345"), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert caught.value.problems == {"corporate_number": "チェックデジットの合う13桁の数字"}


def test_every_refusal_is_told_at_once_in_the_order_of_the_form(db_session, make_user):
    bad = values(
        corporate_number="12345",
        step=9,
        topics=[],
        prefecture="00",
        industry="Z",
        employee_band="0",
        source="",
        attribute="",
        channel="",
    )
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(db_session, bad, advisor=None, by=make_user(Role.ADVISOR))
    assert list(caught.value.problems) == [
        "channel",
        "attribute",
        "source",
        "employee_band",
        "industry",
        "prefecture",
        "topics",
        "step",
        "corporate_number",
    ]


def test_what_may_be_left_out_is_accepted_empty(db_session, make_user):
    optional = values(
        employee_band=None, industry=None, prefecture=None, step=None, corporate_number=""
    )
    services.record_consultation(db_session, optional, advisor=None, by=make_user(Role.ADVISOR))
    assert db_session.scalar(select(func.count()).select_from(Consultation)) == 1


def test_a_corporate_number_in_full_width_digits_is_accepted(db_session, make_user):
    consultation = services.record_consultation(
        db_session,
        values(corporate_number=" ９２３４５６７８９０１２３ "),
        advisor=None,
        by=make_user(Role.ADVISOR),
    )
    assert consultation.client.corporate_number == "9234567890123"


@pytest.mark.parametrize("organization", ["株式会社", "（株）", "(株)", "㍿", " 有限会社 "])
def test_a_company_form_alone_is_refused_as_no_organization(db_session, make_user, organization):
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(
            db_session, values(organization=organization), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert list(caught.value.problems) == ["organization"]
    assert db_session.scalar(select(func.count()).select_from(Client)) == 0


@pytest.mark.parametrize("number", ["١٢٣٤٥٦٧٨٩٠١٢٣", "۱۲۳۴۵۶۷۸۹۰۱۲۳", "१२३४५६७८९०१२३"])
def test_a_corporate_number_in_other_scripts_digits_is_refused(db_session, make_user, number):
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(
            db_session, values(corporate_number=number), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert list(caught.value.problems) == ["corporate_number"]


@pytest.mark.parametrize("held_on", [date(2000, 3, 31), date(2101, 4, 1)])
def test_a_date_outside_the_accepted_fiscal_years_is_refused(db_session, make_user, held_on):
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(
            db_session, values(held_on=held_on), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert list(caught.value.problems) == ["held_on"]
    assert db_session.scalar(select(func.count()).select_from(Consultation)) == 0


def test_the_first_and_last_accepted_days_are_accepted(db_session, make_user):
    for held_on in (date(2000, 4, 1), date(2101, 3, 31)):
        services.record_consultation(
            db_session, values(held_on=held_on), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert db_session.scalar(select(func.count()).select_from(Consultation)) == 2


@pytest.mark.parametrize("channel", ["visit", "visit-joint"])
def test_a_visit_alone_or_with_a_prefectural_desk_is_a_channel(db_session, make_user, channel):
    made = services.record_consultation(
        db_session, values(channel=channel), advisor=None, by=make_user(Role.ADVISOR)
    )
    db_session.expire_all()
    assert db_session.get(Consultation, made.id).channel == channel


def test_referrals_are_rows_replaced_by_a_correction(db_session, make_user):
    organizer = make_user(Role.ORGANIZER)
    made = services.record_consultation(
        db_session,
        values(referring_desk="27", referrals=["patent-attorney", "police"]),
        advisor=None,
        by=organizer,
    )
    db_session.expire_all()
    stored = db_session.get(Consultation, made.id)
    assert stored.referring_desk == "27"
    assert stored.referrals == [Referral.POLICE, Referral.PATENT_ATTORNEY]
    services.update_consultation(
        db_session, stored, values(referrals=["ipa"]), advisor=None, by=organizer
    )
    rows = db_session.execute(select(ConsultationReferral.referral)).scalars().all()
    assert rows == [Referral.IPA]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"referring_desk": "48"}, "referring_desk"),
        ({"referring_desk": "Tokyo"}, "referring_desk"),
        ({"referrals": ["lawyer"]}, "referrals"),
        ({"desk": "nowhere"}, "desk"),
    ],
)
def test_an_unknown_desk_or_referral_is_refused(db_session, make_user, overrides, field):
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(
            db_session, values(**overrides), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert list(caught.value.problems) == [field]
    assert db_session.scalar(select(func.count()).select_from(Consultation)) == 0


@pytest.mark.parametrize("typed", ["1234567890123", "9234567890124"])
def test_a_corporate_number_whose_check_digit_does_not_match_is_refused(
    db_session, make_user, typed
):
    """The check digit is the one rule of text.normalize_corporate_number, at every door:
    a mistyped number must not link a consultation to another company."""
    with pytest.raises(services.ConsultationError) as caught:
        services.record_consultation(
            db_session, values(corporate_number=typed), advisor=None, by=make_user(Role.ADVISOR)
        )
    assert set(caught.value.problems) == {"corporate_number"}
