import re

import pytest
import redis
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.domain import Role
from seminar_app.notifications.services import deliver_due
from tests.conftest import PASSWORD, csrf_token, login, make_app, post_form


def test_login_and_logout(client, make_user):
    user = make_user(Role.ORGANIZER)
    response = login(client, user)
    assert response.headers["Location"].endswith("/staff")
    assert client.get("/console/").status_code == 200
    token = csrf_token(client, "/staff")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/console/").status_code == 302


def test_wrong_password_is_refused_with_one_message(client, make_user):
    user = make_user()
    for email, password in ((user.email, "wrong-password"), ("nobody@example.org", PASSWORD)):
        response = post_form(
            client,
            "/login",
            {"email": email, "password": password},
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 400
        assert "The e-mail or the password is not right." in response.get_data(as_text=True)


def test_disabled_account_cannot_log_in_and_loses_its_session(client, make_user, db_session):
    user = make_user()
    login(client, user)
    user.active = False
    db_session.flush()
    assert client.get("/staff").status_code == 302
    response = post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 400


def test_password_is_stored_hashed(make_user):
    user = make_user()
    assert PASSWORD not in user.password_hash and user.check_password(PASSWORD)


def test_login_is_rate_limited(client, make_user, app):
    user = make_user()
    token = csrf_token(client, "/login")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    statuses = [
        client.post(
            "/login", data={"email": user.email, "password": "nope", "csrf_token": token}
        ).status_code
        for _ in range(limit + 1)
    ]
    assert statuses[:limit] == [400] * limit
    assert statuses[-1] == 429
    # Even the right password waits until the window has passed.
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_form_without_csrf_token_is_refused(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/console/").status_code == 302  # not logged in


def test_roles_gate_the_console_and_the_staff_admin(client, make_user):
    reception = make_user(Role.RECEPTION)
    login(client, reception)
    assert client.get("/staff").status_code == 200
    assert client.get("/console/").status_code == 403
    assert client.get("/console/staff/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get("/console/")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_change_own_password(client, make_user):
    user = make_user()
    login(client, user)
    bad = post_form(
        client,
        "/account/password",
        {
            "current_password": "not-it",
            "new_password": "new-password-123",
            "confirm": "new-password-123",
        },
    )
    assert bad.status_code == 400
    short = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm": "short"},
    )
    assert short.status_code == 400
    ok = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "new-password-123",
            "confirm": "new-password-123",
        },
    )
    assert ok.status_code == 302
    assert user.check_password("new-password-123")


def test_forgotten_password_reset_through_a_real_mail(
    client, make_user, smtp_app, mail_server, db_session
):
    user = make_user()
    response = post_form(client, "/password/forgot", {"email": user.email.upper()})
    assert response.status_code == 302
    # Nothing is sent inside the request: the mail waits in the outbox.
    assert mail_server.raw == []
    report = deliver_due(db_session)
    assert report.sent == 1
    [mail] = mail_server.wait_for(1)
    assert mail["To"] == user.email
    body = mail.get_body(("plain",)).get_content()
    link = re.search(r"http://seminars\.test(/password/reset/\S+)", body).group(1)

    page = client.get(link)
    assert page.status_code == 200
    response = post_form(
        client, link, {"new_password": "a-brand-new-pass", "confirm": "a-brand-new-pass"}
    )
    assert response.status_code == 302
    assert user.check_password("a-brand-new-pass")
    # The link works once.
    assert client.get(link).status_code == 400


def test_reset_for_unknown_address_sends_nothing_and_says_the_same(client, db_session):
    response = post_form(
        client,
        "/password/forgot",
        {"email": "stranger@example.org"},
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    assert "If that address belongs to a staff account" in response.get_data(as_text=True)
    from seminar_app.notifications.models import OutboxMessage

    assert db_session.scalars(select(OutboxMessage)).all() == []


def test_expired_reset_link_is_refused(client, make_user, app):
    from seminar_app.auth.services import make_reset_token

    user = make_user()
    token = make_reset_token(user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        assert client.get(f"/password/reset/{token}").status_code == 400
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_login_is_audited(client, make_user, db_session):
    user = make_user()
    login(client, user)
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "user.logged_in"))
    assert [event.actor_id for event in events] == [user.id]


def test_users_create_command(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "Ｋｅｉｋｏ@Example.org",
            "--role",
            "organizer",
            "--role",
            "lecturer",
            "--password",
            "long-enough-pass",
        ]
    )
    assert result.exit_code == 0, result.output
    from seminar_app.auth.services import find_user

    user = find_user(db_session, "keiko@example.org")
    assert user.roles == {Role.ORGANIZER, Role.LECTURER}
    assert user.check_password("long-enough-pass")
    again = runner.invoke(
        args=[
            "users",
            "create",
            "keiko@example.org",
            "--role",
            "admin",
            "--password",
            "long-enough-pass",
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_users_create_asks_for_the_password(app, db_session):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "ask@example.org", "--role", "reception"],
        input="typed-password-1\ntyped-password-1\n",
    )
    assert result.exit_code == 0, result.output
    from seminar_app.auth.services import find_user

    assert find_user(db_session, "ask@example.org").check_password("typed-password-1")


def test_login_limit_counts_in_redis_across_app_instances(db_session, app):
    """With several hosts the counters live in Redis, so every process sees the same count."""
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis not reachable at 127.0.0.1:6379: the shared rate-limit test is skipped")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    settings = {
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "LOGIN_RATE_LIMIT": "3 per minute",
    }
    first, second = make_app(url, **settings), make_app(url, **settings)
    redis.Redis(host="127.0.0.1", port=6379, db=15).flushdb()
    # No account is needed: failed attempts count alike (and no row is locked here).
    codes = []
    for instance in (first, second, first, second):
        instance.config["WTF_CSRF_ENABLED"] = False
        response = instance.test_client().post(
            "/login", data={"email": "nobody@example.org", "password": "wrong-password"}
        )
        codes.append(response.status_code)
    assert codes == [400, 400, 400, 429]
