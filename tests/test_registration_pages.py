"""The registration form, the management page behind the private link, and the dev mailbox."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from seminar_app.i18n import format_moment
from seminar_app.notifications.models import OutboxMessage
from seminar_app.notifications.services import MailboxTransport, deliver_due
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.conftest import post_form
from tests.registration_helpers import details_data, register


def form_data(**overrides):
    data = details_data(**overrides)
    data.setdefault("privacy_notice_agreed", "y")
    data.setdefault("register", "1")  # the confirmation page's button: the final submit
    return {key: value for key, value in data.items() if value is not None}


def count(db_session, model):
    return db_session.scalar(select(func.count()).select_from(model))


def test_register_through_the_form_then_manage(client, make_seminar, db_session):
    seminar = make_seminar()
    url = f"/seminars/{seminar.slug}/register"
    page = client.get(url, headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "ドメイン指定受信" in page
    response = post_form(client, url, form_data(email="hanako@example.jp"))
    assert response.status_code == 303
    manage = response.headers["Location"]
    token = re.search(r"/r/([A-Za-z0-9_-]+)", manage).group(1)
    assert len(token) >= 22  # at least 128 bits, URL-safe base64
    registration = db_session.scalar(select(Registration))
    assert registration.status == "confirmed" and registration.email == "hanako@example.jp"
    assert registration.privacy_notice_version and registration.privacy_agreed_at
    html = client.get(manage).get_data(as_text=True)
    assert registration.name in html and f"/j/{registration.join_token}" in html
    assert seminar.meeting_url not in html  # only behind the personal join link
    assert client.get(manage).headers["Cache-Control"] == "no-store"


def test_privacy_agreement_is_required(client, make_seminar, db_session):
    seminar = make_seminar()
    data = form_data()
    data.pop("privacy_notice_agreed")
    response = post_form(
        client, f"/seminars/{seminar.slug}/register", data, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "privacy notice" in response.get_data(as_text=True)
    assert count(db_session, Registration) == 0


def test_bad_fields_are_shown_beside_the_field_and_nothing_is_written(
    client, make_seminar, db_session
):
    seminar = make_seminar()
    response = post_form(
        client,
        f"/seminars/{seminar.slug}/register",
        form_data(name_kana="yamada", email="bad@", prefecture="99"),
        headers={"Accept-Language": "en"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert html.count('class="field-error"') >= 3
    assert count(db_session, Registration) == 0 and count(db_session, OutboxMessage) == 0


def test_second_attempt_is_told_and_can_get_the_link_again(client, make_seminar, db_session):
    seminar = make_seminar()
    register(db_session, seminar, email="twice@example.jp")
    response = post_form(
        client,
        f"/seminars/{seminar.slug}/register",
        form_data(email="TWICE@example.jp"),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 409
    assert "already registered" in response.get_data(as_text=True)
    assert count(db_session, Registration) == 1
    resend = post_form(
        client,
        f"/seminars/{seminar.slug}/resend",
        {"email": "twice@example.jp"},
        page=f"/seminars/{seminar.slug}/register",
    )
    assert resend.status_code == 303
    kinds = db_session.scalars(select(OutboxMessage.kind)).all()
    assert kinds.count("registration.link") == 1


def test_resend_for_an_unknown_address_sends_nothing(client, make_seminar, db_session):
    seminar = make_seminar()
    post_form(
        client,
        f"/seminars/{seminar.slug}/resend",
        {"email": "nobody@example.jp"},
        page=f"/seminars/{seminar.slug}/register",
    )
    assert count(db_session, OutboxMessage) == 0


def test_closed_registration_is_refused_on_the_page(client, make_seminar, db_session):
    seminar = make_seminar(registration_closes_at=utcnow() - timedelta(hours=1))
    response = post_form(
        client,
        f"/seminars/{seminar.slug}/register",
        form_data(),
        page="/login",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "Registration for this seminar has closed." in response.get_data(as_text=True)
    assert count(db_session, Registration) == 0


def test_wrong_token_is_a_plain_404(client):
    for url in (
        "/r/not-a-token",
        "/r/not-a-token/edit",
        "/r/not-a-token/cancel",
        "/r/not-a-token/calendar.ics",
    ):
        assert client.get(url).status_code == 404


def test_correct_details_keeps_the_address(client, make_seminar, db_session):
    registration = register(db_session, make_seminar())
    url = f"/r/{registration.manage_token}/edit"
    data = form_data(name="訂正 花子", name_kana="ていせい はなこ")
    data.pop("privacy_notice_agreed")
    data["email"] = "other@example.jp"  # ignored: the address identifies the person
    response = post_form(client, url, data)
    assert response.status_code == 303
    assert registration.name == "訂正 花子"
    assert registration.email != "other@example.jp"


def test_cancel_from_the_management_page(client, make_seminar, db_session):
    seminar = make_seminar(capacity=1)
    first, second = register(db_session, seminar), register(db_session, seminar)
    page = f"/r/{first.manage_token}/cancel"
    assert client.get(page).status_code == 200
    response = post_form(client, page, {})
    assert response.status_code == 303
    assert first.status == "cancelled" and second.status == "confirmed"


def test_script_in_a_name_is_escaped(client, make_seminar, db_session):
    registration = register(db_session, make_seminar(), name="<script>alert(1)</script>")
    html = client.get(f"/r/{registration.manage_token}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_seats_left_counts_confirmed_registrations(client, make_seminar, db_session):
    seminar = make_seminar(capacity=3)
    register(db_session, seminar)
    register(db_session, seminar)
    html = client.get(f"/seminars/{seminar.slug}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "1 seats left" in html
    api = client.get(f"/api/v1/seminars/{seminar.id}").get_json()
    assert api["seats_left"] == 1


def test_full_seminar_offers_the_waitlist(client, make_seminar, db_session):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    html = client.get(f"/seminars/{seminar.slug}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Join the waitlist" in html


def test_development_mailbox_shows_delivered_mail(client, make_seminar, db_session, app, tmp_path):
    app.config["DEV_MAILBOX_DIR"] = str(tmp_path)
    register(db_session, make_seminar(), email="dev@example.jp")
    deliver_due(db_session, transport=MailboxTransport(str(tmp_path)))
    index = client.get("/dev/mailbox").get_data(as_text=True)
    assert "dev@example.jp" in index
    name = re.search(r"/dev/mailbox/(\d{8}T\d{12}\.eml)", index).group(1)
    shown = client.get(f"/dev/mailbox/{name}").get_data(as_text=True)
    assert "text/calendar" in shown and "method=REQUEST" in shown
    assert client.get("/dev/mailbox/..%2Fsecret.eml").status_code == 404
    # When it was sent, in Japan time and in Japanese, as every date of the app.
    sent = format_moment(utcnow(), "ja").rsplit(" ", 1)[0]
    assert "送信日時" in index and sent in index and sent in shown


def test_the_form_marks_the_fields_everyone_must_fill(client, make_seminar):
    seminar = make_seminar()
    html = client.get(f"/seminars/{seminar.slug}/register").get_data(as_text=True)
    required = set(re.findall(r'<(?:input|select)[^>]*aria-required="true"[^>]*id="(\w+)"', html))
    required |= set(re.findall(r'<(?:input|select)[^>]*id="(\w+)"[^>]*aria-required="true"', html))
    # The reading is asked for only when the name is in Japanese script: not marked.
    assert required == {"name", "email", "attribute", "prefecture", "privacy_notice_agreed"}
    assert html.count('class="required-mark"') == 5
