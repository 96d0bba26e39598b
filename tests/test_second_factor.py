"""Two-step verification for staff: TOTP with real codes, recovery codes, passkeys, the rule
that organizers, advisors and admins must have a factor, and an admin's audited reset.

Codes are computed by pyotp as an authenticator app would. The server's clock is set by the
`clock` fixture (the services' `utcnow`), so that time steps never depend on when the test
runs. Passkeys are made and used by a software authenticator (P-256, "none" attestation)
that answers exactly as a browser would; tests/browser/test_passkeys_browser.py does the
same with Chromium's virtual authenticator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.encode_cbor import encode_cbor

from seminar_app.audit.models import AuditEvent
from seminar_app.auth.mfa import flow, services
from seminar_app.auth.mfa.models import AuthenticatorApp, Passkey, RecoveryCode
from seminar_app.domain import Role
from tests.conftest import PASSWORD, csrf_token, login, post_form

ENGLISH = {"Accept-Language": "en"}
JAPANESE = {"Accept-Language": "ja"}
#: The middle of a 30-second step: a step before and after are whole steps away.
T0 = datetime(2026, 12, 2, 1, 0, 15, tzinfo=UTC)


# --- fixtures and helpers ----------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The time the second-factor rules see."""
    fixed = Clock(T0)
    monkeypatch.setattr(services, "utcnow", fixed)
    return fixed


@pytest.fixture
def required(app):
    """REQUIRE_SECOND_FACTOR on, as in production, for one test."""
    saved = app.config["REQUIRE_SECOND_FACTOR"]
    app.config["REQUIRE_SECOND_FACTOR"] = True
    yield
    app.config["REQUIRE_SECOND_FACTOR"] = saved


def code_at(secret: str, moment: datetime) -> str:
    return pyotp.TOTP(secret).at(moment)


def password_step(client, user, headers=None):
    response = post_form(
        client, "/login", {"email": user.email, "password": PASSWORD}, headers=headers or {}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response.headers["Location"]


def signed_in(client) -> bool:
    response = client.get("/staff")
    return response.status_code == 200


def log_out(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/staff")})
    assert not signed_in(client)


SECRET_ON_PAGE = re.compile(r'class="totp-secret"[^>]*>(.*?)</p>', re.S)
CODES_ON_PAGE = re.compile(r"<li><code>([A-Z0-9-]+)</code></li>")


def set_up_app(client, clock: Clock) -> tuple[str, list[str]]:
    """Scan (read) the key on the set-up page, type the app's code: the key and the codes."""
    page = client.get("/account/second-factor/app")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="data:image/png;base64,' in html  # the QR code, inline
    secret = re.sub(r"<[^>]+>|\s", "", SECRET_ON_PAGE.search(html).group(1))
    response = post_form(client, "/account/second-factor/app", {"code": code_at(secret, clock.now)})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    codes = CODES_ON_PAGE.findall(response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def enrolled_member(client, make_user, clock, *roles: Role):
    """A member with an authenticator app and recovery codes, logged out again."""
    user = make_user(*(roles or (Role.ORGANIZER,)))
    login(client, user)
    secret, codes = set_up_app(client, clock)
    log_out(client)
    return user, secret, codes


def send_code(client, code: str, headers=None):
    return post_form(client, "/login/second-factor", {"code": code}, headers=headers or {})


def audit_actions(db_session, user) -> list[str]:
    return list(
        db_session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.subject_id == str(user.id))
            .order_by(AuditEvent.id)
        )
    )


# --- TOTP ---------------------------------------------------------------------------------------


def test_authenticator_app_set_up_and_login_with_a_real_code(client, make_user, clock, db_session):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    stored = db_session.scalar(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))
    assert stored.confirmed_at is not None
    assert secret not in stored.secret_encrypted  # encrypted at rest

    assert password_step(client, user).endswith("/login/second-factor")
    assert not signed_in(client)  # the pending login is no login
    assert client.get("/console/").status_code == 302
    clock.advance(30)
    response = send_code(client, code_at(secret, clock.now))
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff")
    assert signed_in(client)
    assert client.get("/console/").status_code == 200
    login_event = db_session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "user.logged_in")
        .order_by(AuditEvent.id.desc())
    )
    assert login_event.details == {"method": "totp"}


def test_the_key_is_never_shown_after_set_up(client, make_user, clock):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    password_step(client, user)
    clock.advance(30)
    send_code(client, code_at(secret, clock.now))
    response = client.get("/account/second-factor/app")
    assert response.status_code == 302
    for page in ("/account/second-factor", "/account/second-factor/app"):
        assert secret not in client.get(page, follow_redirects=True).get_data(as_text=True)


def test_a_code_reused_within_its_window_is_refused(client, make_user, clock):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    clock.advance(30)
    code = code_at(secret, clock.now)
    password_step(client, user)
    assert send_code(client, code).status_code == 302
    log_out(client)

    clock.advance(10)  # still the same step: the code is valid, but spent
    password_step(client, user)
    response = send_code(client, code, headers=ENGLISH)
    assert response.status_code == 400
    assert "This code has already been used" in response.get_data(as_text=True)
    assert not signed_in(client)
    # An earlier step's code (within the drift window) is refused as well.
    response = send_code(client, code_at(secret, clock.now - timedelta(seconds=30)))
    assert response.status_code == 400 and not signed_in(client)
    # The next code of the app works.
    clock.advance(30)
    assert send_code(client, code_at(secret, clock.now)).status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("drift", [-30, 30])
def test_clock_drift_of_one_step_is_accepted(client, make_user, clock, drift):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    clock.advance(120)
    password_step(client, user)
    # The phone's clock is 30 seconds behind or ahead of the server's.
    response = send_code(client, pyotp.TOTP(secret).at(clock.now + timedelta(seconds=drift)))
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("drift", [-60, 60, -90])
def test_a_code_two_steps_off_is_refused(client, make_user, clock, drift):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    clock.advance(300)
    password_step(client, user)
    response = send_code(client, pyotp.TOTP(secret).at(clock.now + timedelta(seconds=drift)))
    assert response.status_code == 400
    assert not signed_in(client)


def test_a_wrong_code_is_refused_with_a_clear_message_in_both_languages(
    client, make_user, clock, db_session
):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    right = code_at(secret, clock.now + timedelta(seconds=60))
    wrong = f"{(int(code_at(secret, clock.now)) + 1) % 1_000_000:06d}"
    # A wrong code that is by chance one of the window's codes would not be wrong.
    window = {code_at(secret, clock.now + timedelta(seconds=s)) for s in (-30, 0, 30)}
    wrong = next(c for c in (wrong, "000000", "123456", "987654") if c not in window)
    assert right != wrong
    for headers, message in (
        (ENGLISH, "The code is not right. Enter the code your authenticator app shows now."),
        (
            JAPANESE,
            "コードが正しくありません。認証アプリに表示されている最新のコードを入力してください。",
        ),
    ):
        password_step(client, user, headers)
        response = send_code(client, wrong, headers)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        assert not signed_in(client)
    for raw in ("12345", "abcdef", "１２３４５６７", "x" * 5000, ""):
        response = send_code(client, raw, ENGLISH)
        assert response.status_code == 400, raw
        assert not signed_in(client)
    assert "user.second_factor_refused" in audit_actions(db_session, user)


def test_full_width_digits_are_accepted(client, make_user, clock):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    clock.advance(30)
    code = code_at(secret, clock.now)
    password_step(client, user)
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert send_code(client, f"{full_width[:3]} {full_width[3:]}").status_code == 302


def test_the_code_form_is_rate_limited(client, make_user, clock, app):
    user, _secret, _codes = enrolled_member(client, make_user, clock)
    password_step(client, user)
    token = csrf_token(client, "/login/second-factor")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    statuses = [
        client.post(
            "/login/second-factor", data={"code": "000000", "csrf_token": token}
        ).status_code
        for _ in range(limit + 1)
    ]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {400}


def test_the_pending_login_expires(client, make_user, clock):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    password_step(client, user)
    with client.session_transaction() as session:
        marker = dict(session[flow.PENDING_KEY])
        marker["at"] -= flow.PENDING_MAX_AGE + 1
        session[flow.PENDING_KEY] = marker
    clock.advance(30)
    response = post_form(
        client,
        "/login/second-factor",
        {"code": code_at(secret, clock.now)},
        page="/login",
        headers=ENGLISH,
        follow_redirects=True,
    )
    assert "Your login has timed out." in response.get_data(as_text=True)
    assert response.request.path == "/login"
    assert not signed_in(client)


def test_a_new_password_voids_the_pending_login(client, make_user, clock, db_session):
    user, secret, _codes = enrolled_member(client, make_user, clock)
    password_step(client, user)
    user.set_password("another-long-password-2026")
    db_session.flush()
    clock.advance(30)
    response = post_form(
        client, "/login/second-factor", {"code": code_at(secret, clock.now)}, page="/login"
    )
    assert response.status_code == 302 and not signed_in(client)


def test_removing_the_app_needs_a_current_code(client, make_user, clock, db_session):
    user, secret, _codes = enrolled_member(client, make_user, clock, Role.LECTURER)
    password_step(client, user)
    clock.advance(30)
    send_code(client, code_at(secret, clock.now))
    response = post_form(
        client,
        "/account/second-factor/app/remove",
        {"code": "000000"},
        page="/account/second-factor",
        headers=ENGLISH,
    )
    assert response.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(AuthenticatorApp)) == 1
    clock.advance(30)
    response = post_form(
        client,
        "/account/second-factor/app/remove",
        {"code": code_at(secret, clock.now)},
        page="/account/second-factor",
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert services.factors_of(db_session, user) == services.Factors(None, [], 0)
    log_out(client)
    # Without a factor, the password alone signs in again (a lecturer needs none).
    assert password_step(client, user).endswith("/staff")
    assert signed_in(client)


def test_the_last_factor_of_a_member_who_needs_one_stays(
    client, make_user, clock, db_session, required
):
    user = make_user(Role.ADVISOR)
    password_step(client, user)
    secret, _codes = set_up_app(client, clock)  # during login: the session begins after it
    assert signed_in(client)
    clock.advance(30)
    response = post_form(
        client,
        "/account/second-factor/app/remove",
        {"code": code_at(secret, clock.now)},
        page="/account/second-factor",
        headers=ENGLISH,
    )
    assert response.status_code == 400
    assert "Your role needs a second factor" in response.get_data(as_text=True)
    assert services.has_second_factor(db_session, user)


# --- recovery codes -----------------------------------------------------------------------------


def test_a_recovery_code_works_once(client, make_user, clock, db_session):
    user, _secret, codes = enrolled_member(client, make_user, clock)
    assert db_session.scalar(select(func.count()).select_from(RecoveryCode)) == 10
    stored = set(db_session.scalars(select(RecoveryCode.code_hash)))
    assert not any(code in hashes_ for code in codes for hashes_ in stored)  # only hashes

    password_step(client, user)
    response = send_code(client, codes[3].lower().replace("-", " "), headers=ENGLISH)
    assert response.status_code == 302
    home = client.get("/staff", headers=ENGLISH)
    assert home.status_code == 200  # signed in
    assert "You used a recovery code; 9 are left." in home.get_data(as_text=True)
    log_out(client)

    password_step(client, user)
    response = send_code(client, codes[3], headers=ENGLISH)
    assert response.status_code == 400
    assert not signed_in(client)
    assert send_code(client, codes[4]).status_code == 302
    assert audit_actions(db_session, user).count("user.recovery_code_used") == 2


def test_new_recovery_codes_replace_the_old_ones(client, make_user, clock):
    user, secret, old = enrolled_member(client, make_user, clock)
    password_step(client, user)
    clock.advance(30)
    send_code(client, code_at(secret, clock.now))
    response = post_form(
        client, "/account/second-factor/recovery-codes", {}, page="/account/second-factor"
    )
    new = CODES_ON_PAGE.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    log_out(client)
    password_step(client, user)
    assert send_code(client, old[0]).status_code == 400
    assert send_code(client, new[0]).status_code == 302


# --- who must have a second factor --------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ORGANIZER, Role.ADVISOR, Role.ADMIN])
def test_required_roles_set_up_a_factor_before_anything_else(
    client, make_user, clock, role, required
):
    user = make_user(role)
    assert password_step(client, user, ENGLISH).endswith("/account/second-factor")
    # Not signed in: no page beyond the set-up opens.
    for page in ("/staff", "/console/", "/console/consultations/", "/console/staff/"):
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"], page
    page = client.get("/account/second-factor", headers=ENGLISH)
    assert page.status_code == 200
    assert "Set up a second factor to continue." in page.get_data(as_text=True)
    _secret, codes = set_up_app(client, clock)
    assert len(codes) == 10
    assert signed_in(client)


@pytest.mark.parametrize("role", [Role.LECTURER, Role.RECEPTION])
def test_roles_without_personal_data_may_sign_in_with_the_password(
    client, make_user, role, required
):
    user = make_user(role)
    assert password_step(client, user).endswith("/staff")
    assert signed_in(client)


def test_without_the_setting_an_organizer_signs_in_with_the_password(client, make_user, app):
    assert app.config["REQUIRE_SECOND_FACTOR"] is False  # the tests' development default
    assert password_step(client, make_user(Role.ORGANIZER)).endswith("/staff")
    assert signed_in(client)


def test_a_member_with_a_factor_is_always_asked_for_it(client, make_user, clock):
    lecturer, _secret, _codes = enrolled_member(client, make_user, clock, Role.LECTURER)
    assert password_step(client, lecturer).endswith("/login/second-factor")
    assert not signed_in(client)


def test_a_signed_in_member_without_a_factor_reaches_only_the_set_up(
    client, make_user, app, db_session, clock
):
    organizer = make_user(Role.ORGANIZER)
    login(client, organizer)  # before the setting was turned on
    app.config["REQUIRE_SECOND_FACTOR"] = True
    try:
        for page in ("/staff", "/console/", "/account/password"):
            response = client.get(page)
            assert response.status_code == 302, page
            assert response.headers["Location"].endswith("/account/second-factor"), page
        assert client.get("/account/second-factor").status_code == 200
        set_up_app(client, clock)
        assert client.get("/console/").status_code == 200
    finally:
        app.config["REQUIRE_SECOND_FACTOR"] = False


def test_the_setting_is_on_in_production_and_off_in_development(monkeypatch):
    from seminar_app.config import DevelopmentConfig, ProductionConfig

    monkeypatch.delenv("REQUIRE_SECOND_FACTOR", raising=False)
    assert ProductionConfig().REQUIRE_SECOND_FACTOR is True
    assert DevelopmentConfig().REQUIRE_SECOND_FACTOR is False
    monkeypatch.setenv("REQUIRE_SECOND_FACTOR", "false")
    assert ProductionConfig().REQUIRE_SECOND_FACTOR is False


# --- an admin's reset ---------------------------------------------------------------------------


def test_an_admin_resets_a_members_factor_audited(client, make_user, clock, db_session, app):
    member, _secret, _codes = enrolled_member(client, make_user, clock, Role.ORGANIZER)
    admin = make_user(Role.ADMIN)
    login(client, admin)
    page = client.get(f"/console/staff/{member.id}", headers=ENGLISH).get_data(as_text=True)
    assert "Authenticator app, on since" in page
    response = post_form(
        client,
        f"/console/staff/{member.id}/second-factor/reset",
        {},
        page=f"/console/staff/{member.id}",
    )
    assert response.status_code == 302
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.second_factor_reset")
    )
    assert event.actor_id == admin.id and event.subject_id == str(member.id)
    assert event.details == {"authenticator_app": 1, "passkeys": 0, "recovery_codes": 10}
    log_out(client)

    # The member logs in with the password alone ...
    assert password_step(client, member).endswith("/staff")
    assert signed_in(client)
    log_out(client)
    # ... and, where a factor is required, sets up a new one at once.
    app.config["REQUIRE_SECOND_FACTOR"] = True
    try:
        assert password_step(client, member).endswith("/account/second-factor")
        assert not signed_in(client)
    finally:
        app.config["REQUIRE_SECOND_FACTOR"] = False


def test_an_admin_reset_ends_every_session_of_the_member(app, client, make_user, clock):
    member, secret, _codes = enrolled_member(client, make_user, clock, Role.ORGANIZER)
    phone = app.test_client()  # the member's browser, as a thief of the phone would hold it
    assert password_step(phone, member).endswith("/login/second-factor")
    clock.advance(30)
    assert send_code(phone, code_at(secret, clock.now)).status_code == 302
    assert phone.get("/console/").status_code == 200
    login(client, make_user(Role.ADMIN))
    reset = post_form(
        client,
        f"/console/staff/{member.id}/second-factor/reset",
        {},
        page=f"/console/staff/{member.id}",
    )
    assert reset.status_code == 302
    refused = phone.get("/console/")
    assert refused.status_code == 302 and "/login" in refused.headers["Location"]


def test_only_admins_reset_second_factors(client, make_user, clock, db_session):
    member, _secret, _codes = enrolled_member(client, make_user, clock, Role.LECTURER)
    login(client, make_user(Role.ORGANIZER))
    response = post_form(
        client, f"/console/staff/{member.id}/second-factor/reset", {}, page="/staff"
    )
    assert response.status_code == 403
    assert services.has_second_factor(db_session, member)


# --- passkeys (a software authenticator) --------------------------------------------------------


class SoftAuthenticator:
    """A WebAuthn authenticator in Python: P-256 key, "none" attestation, a counter."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.counter = 0

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return encode_cbor(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, options: dict) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": options["challenge"], "origin": self.origin}
        ).encode()

    def create(self, options: dict) -> dict:
        client_data = self._client_data("webauthn.create", options)
        auth_data = (
            hashlib.sha256(options["rp"]["id"].encode()).digest()
            + bytes([0x45])  # user present, user verified, attested credential data
            + self.counter.to_bytes(4, "big")
            + bytes(16)  # AAGUID
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + self._cose_key()
        )
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": bytes_to_base64url(self.credential_id),
            "rawId": bytes_to_base64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict, *, counter: int | None = None) -> dict:
        self.counter = self.counter + 1 if counter is None else counter
        client_data = self._client_data("webauthn.get", options)
        auth_data = (
            hashlib.sha256(options["rpId"].encode()).digest()
            + bytes([0x05])
            + self.counter.to_bytes(4, "big")
        )
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": bytes_to_base64url(self.credential_id),
            "rawId": bytes_to_base64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
                "userHandle": None,
            },
            "clientExtensionResults": {},
        }


def post_json(client, url: str, body: dict, page: str, headers=None):
    token = csrf_token(client, page)
    return client.post(url, json=body, headers={"X-CSRFToken": token, **(headers or {})})


def add_passkey(client, authenticator, name="会社のパソコン", page="/account/second-factor"):
    options = post_json(client, "/account/second-factor/passkeys/options", {"name": name}, page)
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = authenticator.create(options.get_json())
    return post_json(
        client,
        "/account/second-factor/passkeys",
        {"name": name, "credential": credential},
        page,
    )


def passkey_login(client, authenticator, **kwargs):
    page = "/login/second-factor"
    options = post_json(client, "/login/second-factor/passkey/options", {}, page)
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = authenticator.get(options.get_json(), **kwargs)
    return post_json(client, "/login/second-factor/passkey", {"credential": credential}, page)


@pytest.fixture
def origin(app) -> str:
    return app.config["BASE_URL"]


def test_passkey_registered_and_used_to_log_in(client, make_user, origin, db_session):
    user = make_user(Role.ORGANIZER)
    login(client, user)
    key = SoftAuthenticator(origin)
    response = add_passkey(client, key)
    assert response.status_code == 200 and response.get_json() == {
        "redirect": "/account/second-factor"
    }
    passkey = db_session.scalar(select(Passkey).where(Passkey.user_id == user.id))
    assert passkey.name == "会社のパソコン" and passkey.transports == "internal"
    # The first factor: the account page asks for the recovery codes next.
    page = client.get("/account/second-factor", headers=ENGLISH).get_data(as_text=True)
    assert "Next: make your recovery codes." in page
    log_out(client)

    assert password_step(client, user).endswith("/login/second-factor")
    response = passkey_login(client, key)
    assert response.status_code == 200 and response.get_json() == {"redirect": "/staff"}
    assert signed_in(client)
    db_session.expire_all()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert "user.passkey_added" in audit_actions(db_session, user)


def test_a_passkey_challenge_serves_once(client, make_user, origin):
    user = make_user(Role.LECTURER)
    login(client, user)
    key = SoftAuthenticator(origin)
    add_passkey(client, key)
    log_out(client)
    password_step(client, user)
    page = "/login/second-factor"
    options = post_json(client, "/login/second-factor/passkey/options", {}, page).get_json()
    answer = key.get(options)
    first = post_json(client, "/login/second-factor/passkey", {"credential": answer}, page)
    assert first.status_code == 200
    log_out(client)
    password_step(client, user)
    again = post_json(
        client, "/login/second-factor/passkey", {"credential": answer}, page, headers=ENGLISH
    )
    assert again.status_code == 400
    assert "expired" in again.get_json()["error"]
    assert not signed_in(client)


def test_a_passkey_whose_counter_goes_back_is_refused(client, make_user, origin):
    user = make_user(Role.LECTURER)
    login(client, user)
    key = SoftAuthenticator(origin)
    add_passkey(client, key)
    log_out(client)
    password_step(client, user)
    assert passkey_login(client, key, counter=5).status_code == 200
    log_out(client)
    password_step(client, user)
    response = passkey_login(client, key, counter=5)  # a clone of the key
    assert response.status_code == 400 and not signed_in(client)


def test_another_accounts_passkey_or_another_origin_is_refused(client, make_user, origin):
    owner, other = make_user(Role.LECTURER), make_user(Role.LECTURER)
    key = SoftAuthenticator(origin)
    login(client, owner)
    add_passkey(client, key)
    log_out(client)
    login(client, other)
    add_passkey(client, SoftAuthenticator(origin))
    log_out(client)
    password_step(client, other)
    assert passkey_login(client, key).status_code == 400  # the owner's key
    phishing = SoftAuthenticator("https://seminars-login.example")
    phishing.key, phishing.credential_id = key.key, key.credential_id
    password_step(client, owner)
    assert passkey_login(client, phishing).status_code == 400
    assert not signed_in(client)


def test_passkey_set_up_during_login_then_recovery_codes(
    client, make_user, origin, db_session, required
):
    user = make_user(Role.ADMIN)
    password_step(client, user)
    response = add_passkey(client, SoftAuthenticator(origin), name="セキュリティキー")
    assert response.status_code == 200
    assert signed_in(client)
    response = post_form(
        client, "/account/second-factor/recovery-codes", {}, page="/account/second-factor"
    )
    html = response.get_data(as_text=True)
    assert len(CODES_ON_PAGE.findall(html)) == 10
    assert 'href="/staff"' in html  # then on to where the login was going


def test_bad_passkey_input_changes_nothing(client, make_user, origin, db_session):
    user = make_user(Role.LECTURER)
    login(client, user)
    page = "/account/second-factor"
    for name in ("", "  ", "x" * 61, None, 5):
        response = post_json(
            client, "/account/second-factor/passkeys/options", {"name": name}, page
        )
        assert response.status_code == 400 and response.get_json()["error"], name
    for body in (None, [], {"name": "PC"}, {"name": "PC", "credential": "x"}):
        post_json(client, "/account/second-factor/passkeys/options", {"name": "PC"}, page)
        response = post_json(client, "/account/second-factor/passkeys", body, page)
        assert response.status_code == 400 and response.get_json()["error"], body
    key = SoftAuthenticator(origin)
    options = post_json(
        client, "/account/second-factor/passkeys/options", {"name": "PC"}, page
    ).get_json()
    answer = key.create(options)
    answer["response"]["clientDataJSON"] = bytes_to_base64url(b"{}")
    response = post_json(
        client, "/account/second-factor/passkeys", {"name": "PC", "credential": answer}, page
    )
    assert response.status_code == 400
    assert db_session.scalar(select(func.count()).select_from(Passkey)) == 0


def test_a_member_removes_a_passkey_of_their_own_only(client, make_user, origin, db_session):
    owner, other = make_user(Role.LECTURER), make_user(Role.LECTURER)
    login(client, owner)
    key = SoftAuthenticator(origin)
    add_passkey(client, key, name="古いスマートフォン")
    post_form(client, "/account/second-factor/recovery-codes", {}, page="/account/second-factor")
    assert services.recovery_codes_left(db_session, owner) == 10
    passkey = db_session.scalar(select(Passkey).where(Passkey.user_id == owner.id))
    log_out(client)
    login(client, other)
    url = f"/account/second-factor/passkeys/{passkey.id}/remove"
    assert post_form(client, url, {}, page="/account/second-factor").status_code == 404
    log_out(client)
    password_step(client, owner)
    assert passkey_login(client, key).status_code == 200
    assert post_form(client, url, {}, page="/account/second-factor").status_code == 302
    assert db_session.scalar(select(func.count()).select_from(Passkey)) == 0
    # No factor left: the recovery codes would be a factor alone, so they go too.
    assert services.recovery_codes_left(db_session, owner) == 0


def test_the_relying_party_comes_from_base_url(app):
    with app.test_request_context():
        saved = app.config["BASE_URL"]
        app.config["BASE_URL"] = "https://seminar.example.jp:8443"
        try:
            assert services.relying_party() == (
                "seminar.example.jp",
                "https://seminar.example.jp:8443",
            )
        finally:
            app.config["BASE_URL"] = saved


def test_the_secret_survives_a_key_rotation_with_a_fallback(app, make_user, db_session):
    user = make_user(Role.LECTURER)
    with app.test_request_context():
        stored = services.begin_authenticator_app(db_session, user)
        secret = services.setup_secret(stored)
        saved = app.config["SECRET_KEY"], app.config.get("SECRET_KEY_FALLBACKS", [])
        app.config["SECRET_KEY"] = "a-new-secret-key-after-rotation-0000000000"
        app.config["SECRET_KEY_FALLBACKS"] = [saved[0]]
        try:
            assert services.setup_secret(stored) == secret
            app.config["SECRET_KEY_FALLBACKS"] = []
            assert services.setup_secret(stored) == ""  # unreadable: set up again
        finally:
            app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = saved
    assert base64.b32decode(secret)
