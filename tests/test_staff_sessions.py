"""Staff sessions live on the server: ending one makes every copy of its cookie useless."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.auth.models import UserSession
from seminar_app.auth.services import make_reset_token
from seminar_app.auth.sessions import IDLE_LIMIT, device_label
from seminar_app.domain import Role
from seminar_app.timeutil import utcnow
from tests.conftest import PASSWORD, csrf_token, login, post_form

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
NEW_PASSWORD = "another-long-passphrase"


def session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app, cookie: str):
    """A fresh browser carrying only a copy of the cookie: what a thief would have."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def is_sent_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def session_id_in(app, cookie: str) -> str:
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    return data["_user_id"]


def rows(db_session, user) -> list[UserSession]:
    db_session.expire_all()
    return list(
        db_session.scalars(
            select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)
        )
    )


def test_a_copied_cookie_opens_the_console_until_logout_and_never_after(app, client, make_user):
    user = make_user(Role.ORGANIZER)
    login(client, user)
    copied = session_cookie(client)
    assert replay(app, copied).get("/console/").status_code == 200  # the copy works so far
    assert post_form(client, "/logout", {}, page="/staff").status_code == 302
    assert is_sent_to_login(client.get("/console/"))
    assert is_sent_to_login(replay(app, copied).get("/console/"))


def test_the_cookie_carries_a_long_random_session_id_and_the_database_only_its_hash(
    app, client, make_user, db_session
):
    user = make_user()
    login(client, user)
    session_id = session_id_in(app, session_cookie(client))
    assert len(session_id) >= 43  # 256 bits in base64url; at least 128 are required
    assert str(user.id) != session_id.partition(":")[0]  # no user id to guess
    [row] = rows(db_session, user)
    assert row.token_hash == hashlib.sha256(session_id.encode()).hexdigest()
    stored = [str(getattr(row, column.key)) for column in UserSession.__table__.columns]
    assert not any(session_id in value for value in stored)
    assert row.ended_at is None and row.created_at <= utcnow()


def test_changing_the_password_ends_every_session_but_keeps_this_browser_signed_in(
    app, client, make_user, db_session
):
    user = make_user()
    login(client, user)
    copied = session_cookie(client)
    other_device = app.test_client()
    login(other_device, user)
    response = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/staff").status_code == 200  # a fresh session for this browser
    assert session_cookie(client) != copied
    assert is_sent_to_login(replay(app, copied).get("/staff"))
    assert is_sent_to_login(other_device.get("/staff"))
    reasons = [row.ended_reason for row in rows(db_session, user)]
    assert reasons == ["password-changed", "password-changed", None]


def test_a_password_reset_ends_every_session(app, client, make_user, db_session):
    user = make_user()
    login(client, user)
    copied = session_cookie(client)
    link = f"/password/reset/{make_reset_token(user)}"
    stranger = app.test_client()
    response = post_form(stranger, link, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert is_sent_to_login(client.get("/staff"))
    assert is_sent_to_login(replay(app, copied).get("/staff"))
    assert [row.ended_reason for row in rows(db_session, user)] == ["password-reset"]


def test_an_admin_disabling_the_account_ends_its_sessions_for_good(
    app, client, make_user, db_session
):
    colleague = make_user(Role.ORGANIZER)
    login(client, colleague)
    copied = session_cookie(client)
    admin = app.test_client()
    login(admin, make_user(Role.ADMIN))
    page = f"/console/staff/{colleague.id}"
    form = {"display_name": colleague.display_name, "roles": ["organizer"]}
    assert post_form(admin, page, form).status_code == 302  # no "active": disabled
    assert is_sent_to_login(replay(app, copied).get("/console/"))
    assert [row.ended_reason for row in rows(db_session, colleague)] == ["account-disabled"]
    # Enabling the account again does not bring the old session back.
    assert post_form(admin, page, {**form, "active": "y"}).status_code == 302
    assert is_sent_to_login(replay(app, copied).get("/console/"))
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "user.sessions_ended"))
    assert event.subject_id == str(colleague.id)
    assert event.details == {"reason": "account-disabled", "count": 1}


def test_a_remember_me_cookie_obeys_the_session_too(app, client, make_user):
    """No form offers "remember me", but such a cookie would name the session as well."""
    user = make_user()
    login(client, user)
    session_id = session_id_in(app, session_cookie(client))
    remembered = app.test_client()
    with app.test_request_context():
        cookie = encode_cookie(session_id)
    remembered.set_cookie("remember_token", cookie)
    assert remembered.get("/console/").status_code == 200
    post_form(client, "/logout", {}, page="/staff")
    later = app.test_client()
    later.set_cookie("remember_token", cookie)
    assert is_sent_to_login(later.get("/console/"))


def test_last_use_is_written_at_most_once_a_minute(app, client, make_user, db_session):
    user = make_user()
    login(client, user)
    [row] = rows(db_session, user)
    recently = utcnow() - timedelta(seconds=30)
    row.last_seen_at = recently
    db_session.commit()
    assert client.get("/staff").status_code == 200
    [row] = rows(db_session, user)
    assert row.last_seen_at == recently  # no write for a request within the minute
    a_while_ago = utcnow() - timedelta(minutes=5)
    row.last_seen_at = a_while_ago
    db_session.commit()
    before = utcnow()
    assert client.get("/staff").status_code == 200
    [row] = rows(db_session, user)
    assert row.last_seen_at >= before


def test_a_session_unused_for_the_idle_limit_is_over(client, make_user, db_session):
    user = make_user()
    login(client, user)
    [row] = rows(db_session, user)
    row.last_seen_at = utcnow() - IDLE_LIMIT - timedelta(minutes=1)
    db_session.commit()
    assert is_sent_to_login(client.get("/staff"))


def test_staff_see_their_own_sessions_and_which_one_is_this_device(app, make_user):
    user, colleague = make_user(), make_user()
    laptop = app.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = FIREFOX_WINDOWS
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = SAFARI_IPHONE
    login(laptop, user)
    login(phone, user)
    login(app.test_client(), colleague)
    page = laptop.get("/account/sessions", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Firefox (Windows)" in html and "Safari (iPhone)" in html
    assert html.count("This device") == 1
    this_row = html[html.index("Firefox (Windows)") :].split("</tr>")[0]
    assert "This device" in this_row
    assert html.count("<tr>") == 2 + 1  # the header row and two sessions, not the colleague's
    assert "IP address" in html and "Last used" in html


def test_ending_the_other_sessions_keeps_this_one(app, make_user, db_session):
    user = make_user()
    here, elsewhere, colleague = app.test_client(), app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    login(colleague, make_user())
    response = post_form(here, "/account/sessions/end-others", {}, page="/account/sessions")
    assert response.status_code == 302
    assert here.get("/staff").status_code == 200
    assert is_sent_to_login(elsewhere.get("/staff"))
    assert colleague.get("/staff").status_code == 200  # someone else's sessions are untouched
    assert [row.ended_reason for row in rows(db_session, user)] == [None, "ended-by-owner"]


def test_ending_all_sessions_signs_this_browser_out_too(app, make_user, db_session):
    user = make_user()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    copied = session_cookie(here)
    response = post_form(here, "/account/sessions/end-all", {}, page="/account/sessions")
    assert is_sent_to_login(response)
    for browser in (here, elsewhere, replay(app, copied)):
        assert is_sent_to_login(browser.get("/staff"))
    assert [row.ended_reason for row in rows(db_session, user)] == ["ended-by-owner"] * 2
    events = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == str(user.id))
    ).all()
    assert "user.sessions_ended" in events and "user.logged_out" not in events


def test_logging_out_is_audited(client, make_user, db_session):
    user = make_user()
    login(client, user)
    token = csrf_token(client, "/staff")
    client.post("/logout", data={"csrf_token": token})
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "user.logged_out"))
    assert event.actor_id == user.id and event.subject_id == str(user.id)


def test_a_cookie_of_the_old_kind_opens_nothing(app, make_user):
    """Before sessions were recorded the cookie held "user id:fingerprint"."""
    user = make_user()
    forged = app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"{user.id}:{'0' * 12}", "_fresh": True}
    )
    assert is_sent_to_login(replay(app, forged).get("/console/"))


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (FIREFOX_WINDOWS, "Firefox (Windows)"),
        (SAFARI_IPHONE, "Safari (iPhone)"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge (macOS)",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome (Android)",
        ),
        ("python-requests/2.32", None),
        (None, None),
    ],
)
def test_device_labels(agent, label):
    assert device_label(agent) == label
