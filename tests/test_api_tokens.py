"""API tokens have a name, an expiry and a last use; staff see and revoke their own."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.auth.models import ApiToken
from seminar_app.auth.services import issue_api_token, user_for_api_token
from seminar_app.domain import Role
from seminar_app.extensions import db
from seminar_app.timeutil import utcnow
from tests.conftest import fresh_database_url, login, make_app, post_form

ENGLISH = {"Accept-Language": "en"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def cli_token(app, email: str, *options: str):
    return app.test_cli_runner().invoke(args=["users", "token", email, *options])


def token_row(db_session, token: str) -> ApiToken:
    db_session.expire_all()
    digest = hashlib.sha256(token.encode()).hexdigest()
    return db_session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))


def registrations_url(seminar) -> str:
    return f"/api/v1/seminars/{seminar.id}/registrations"


def close_to(moment: datetime, expected: datetime) -> bool:
    return abs(moment - expected) < timedelta(minutes=5)


# ---------------------------------------------------------------- the terminal


def test_users_token_takes_a_name_and_days_and_prints_the_token_last(app, make_user, db_session):
    user = make_user(Role.ORGANIZER)
    result = cli_token(app, user.email, "--expires-in", "7", "--name", "受付タブレット")
    assert result.exit_code == 0, result.output
    token = result.output.rstrip("\n").splitlines()[-1]
    assert token.startswith("sat_") and " " not in token
    row = token_row(db_session, token)
    assert row.name == "受付タブレット"
    assert close_to(row.expires_at, utcnow() + timedelta(days=7))


def test_users_token_defaults_to_90_days_and_a_numbered_name(app, make_user, db_session):
    user = make_user(Role.ORGANIZER)
    first = cli_token(app, user.email).output.splitlines()[-1]
    second = cli_token(app, user.email).output.splitlines()[-1]
    assert [token_row(db_session, t).name for t in (first, second)] == ["token 1", "token 2"]
    assert close_to(token_row(db_session, first).expires_at, utcnow() + timedelta(days=90))


@pytest.mark.parametrize("days", ["0", "366", "-3", "soon"])
def test_users_token_refuses_an_impossible_lifetime(app, make_user, db_session, days):
    user = make_user(Role.ORGANIZER)
    result = cli_token(app, user.email, "--expires-in", days)
    assert result.exit_code == 2 and "--expires-in" in result.output
    assert db_session.scalars(select(ApiToken)).all() == []


# ---------------------------------------------------------------- the API's answer


def test_an_expired_token_is_refused(client, make_user, make_seminar, db_session):
    token = issue_api_token(db_session, make_user(Role.ORGANIZER), expires_in_days=1)
    url = registrations_url(make_seminar())
    assert client.get(url, headers=bearer(token)).status_code == 200
    row = token_row(db_session, token)
    row.created_at = utcnow() - timedelta(days=2)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_last_use_is_recorded_at_most_once_a_minute(
    client, make_user, make_seminar, db_session
):
    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    url = registrations_url(make_seminar())
    assert token_row(db_session, token).last_used_at is None
    assert client.get(url, headers=bearer(token)).status_code == 200
    first = token_row(db_session, token).last_used_at
    assert first is not None and close_to(first, utcnow())
    assert client.get(url, headers=bearer(token)).status_code == 200
    assert token_row(db_session, token).last_used_at == first  # no write within the minute
    row = token_row(db_session, token)
    row.last_used_at = utcnow() - timedelta(minutes=2)
    db_session.commit()
    before = utcnow()
    # A write refused by validation: the token was still used, and its use is kept.
    response = client.post("/api/v1/seminars", json={"title": ""}, headers=bearer(token))
    assert response.status_code in (400, 422), response.status_code
    assert token_row(db_session, token).last_used_at >= before


def test_a_token_of_a_disabled_account_is_refused(make_user, db_session):
    user = make_user(Role.ORGANIZER)
    token = issue_api_token(db_session, user)
    user.active = False
    db_session.commit()
    assert user_for_api_token(db_session, token) is None


def test_the_openapi_document_says_tokens_expire(client):
    document = client.get("/api/v1/openapi.json").get_json()
    scheme = document["components"]["securitySchemes"]["bearerToken"]
    assert "expire" in scheme["description"] and "revoked" in scheme["description"]


# ---------------------------------------------------------------- the console


def test_staff_create_a_named_token_shown_once_and_it_works(
    app, client, make_user, make_seminar, db_session
):
    user = make_user(Role.ORGANIZER)
    login(client, user)
    response = post_form(
        client, "/account/tokens", {"name": "集計スクリプト", "expires_in": "30"}, headers=ENGLISH
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    token = re.search(r'<code id="new-token">(sat_[A-Za-z0-9_-]+)</code>', html).group(1)
    assert "shown only this once" in html and "集計スクリプト" in html
    row = token_row(db_session, token)
    assert (row.user_id, row.name) == (user.id, "集計スクリプト")
    assert close_to(row.expires_at, utcnow() + timedelta(days=30))
    api = app.test_client()
    assert api.get(registrations_url(make_seminar()), headers=bearer(token)).status_code == 200
    again = client.get("/account/tokens").get_data(as_text=True)
    assert token not in again and "集計スクリプト" in again
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.api_token_issued")
    )
    assert event.actor_id == user.id and event.details["name"] == "集計スクリプト"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "expires_in": "90"}, "Give the token a name."),
        ({"name": "   ", "expires_in": "90"}, "Give the token a name."),
        ({"name": "x" * 61, "expires_in": "90"}, "60"),
        ({"name": "ok", "expires_in": "1000"}, "Not a valid choice"),
        ({"name": "ok", "expires_in": "soon"}, "Invalid Choice"),
    ],
)
def test_a_bad_token_form_is_refused_and_creates_nothing(
    client, make_user, db_session, data, message
):
    login(client, make_user(Role.ORGANIZER))
    response = post_form(client, "/account/tokens", data, headers=ENGLISH)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db_session.scalars(select(ApiToken)).all() == []


def test_staff_list_only_their_own_tokens_and_see_their_state(client, make_user, db_session):
    user, colleague = make_user(Role.ORGANIZER), make_user(Role.ORGANIZER)
    issue_api_token(db_session, user, name="live one")
    revoked = issue_api_token(db_session, user, name="revoked one")
    expired = issue_api_token(db_session, user, name="expired one", expires_in_days=1)
    issue_api_token(db_session, colleague, name="colleague's token")
    revoked_row, expired_row = token_row(db_session, revoked), token_row(db_session, expired)
    revoked_row.revoked_at = utcnow()
    expired_row.created_at = utcnow() - timedelta(days=3)
    expired_row.expires_at = utcnow() - timedelta(days=2)
    db_session.commit()
    login(client, user)
    html = client.get("/account/tokens", headers=ENGLISH).get_data(as_text=True)
    assert "colleague" not in html
    rows = {
        name: html[html.index(name) :].split("</tr>")[0]
        for name in ("live one", "revoked one", "expired one")
    }
    assert "Active" in rows["live one"] and "Revoke" in rows["live one"]
    assert "Revoked" in rows["revoked one"] and "<button" not in rows["revoked one"]
    assert "Expired" in rows["expired one"] and "<button" not in rows["expired one"]
    assert "Never" in rows["live one"]


def test_staff_revoke_their_own_token_and_it_is_refused(
    app, client, make_user, make_seminar, db_session
):
    user = make_user(Role.ORGANIZER)
    token = issue_api_token(db_session, user, name="old script")
    db_session.commit()
    url = registrations_url(make_seminar())
    login(client, user)
    row = token_row(db_session, token)
    response = post_form(client, f"/account/tokens/{row.id}/revoke", {}, page="/account/tokens")
    assert response.status_code == 302
    assert token_row(db_session, token).revoked_at is not None
    assert app.test_client().get(url, headers=bearer(token)).status_code == 401
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.api_token_revoked")
    )
    assert event.actor_id == user.id and event.details["name"] == "old script"


def test_nobody_revokes_a_colleagues_token(client, make_user, make_seminar, db_session):
    colleague = make_user(Role.ORGANIZER)
    token = issue_api_token(db_session, colleague)
    db_session.commit()
    login(client, make_user(Role.ADMIN))
    row = token_row(db_session, token)
    response = post_form(client, f"/account/tokens/{row.id}/revoke", {}, page="/account/tokens")
    assert response.status_code == 404
    assert token_row(db_session, token).revoked_at is None


# ---------------------------------------------------------------- the migration


def test_existing_tokens_get_a_name_and_an_expiry_in_the_migration(backend, tmp_path):
    app = make_app(fresh_database_url(backend, tmp_path, "seminar_token_migration"))
    users = sa.table(
        "users",
        *(sa.column(name) for name in ("id", "email", "display_name", "active")),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    tokens = sa.table(
        "api_tokens",
        *(sa.column(name) for name in ("id", "user_id", "token_hash")),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    long_ago = datetime(2025, 4, 1, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="c14b2f6e0002")
        with db.engine.begin() as connection:
            for user_id in (1, 2):
                connection.execute(
                    users.insert().values(
                        id=user_id,
                        email=f"staff{user_id}@example.org",
                        display_name=f"職員 {user_id}",
                        active=True,
                        created_at=long_ago,
                        updated_at=long_ago,
                    )
                )
            for token_id, user_id, days in ((1, 1, 2), (2, 2, 0), (3, 1, 1)):
                connection.execute(
                    tokens.insert().values(
                        id=token_id,
                        user_id=user_id,
                        token_hash=f"{token_id:064x}",
                        created_at=long_ago + timedelta(days=days),
                    )
                )
        upgrade(revision="c14c3a7f0003")
        rows = db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        # Numbered per owner in the order they were made.
        assert [(row.id, row.name) for row in rows] == [
            (1, "token 2"),
            (2, "token 1"),
            (3, "token 1"),
        ]
        # Ninety days from the upgrade, not from their creation: nobody is cut off at once.
        for row in rows:
            assert close_to(row.expires_at, utcnow() + timedelta(days=90))
        db.session.remove()
        db.engine.dispose()
