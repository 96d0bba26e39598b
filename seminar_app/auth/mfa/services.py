"""The rules of second factors: who needs one, and how each kind is set up, checked and removed.

Three kinds: an authenticator app (TOTP, RFC 6238), ten single-use recovery codes for the
day the phone or key is lost, and WebAuthn passkeys, which a look-alike site cannot use.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pyotp
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ...audit.services import record
from ...codes import ReadableCode
from ...database import DbSession, rows_changed
from ...domain import Role, SessionEnd
from ...text import normalize_text
from ...timeutil import utcnow
from ..models import User
from ..sessions import end_sessions
from .models import AuthenticatorApp, Passkey, RecoveryCode

#: The roles that reach personal data or consultation notes.
ROLES_NEEDING_SECOND_FACTOR = (Role.ORGANIZER, Role.ADVISOR, Role.ADMIN)

STEP_SECONDS = 30
DIGITS = 6
#: A code of the step before or after is accepted too: a phone's clock may be 30 s off.
DRIFT_STEPS = 1

RECOVERY_CODE_COUNT = 10
#: Longer input is not looked at.
MAX_CODE_INPUT = 60
#: ABCD-EFGH-JKLM: 12 symbols, 60 random bits, beyond guessing at a rate-limited form.
RECOVERY_CODE = ReadableCode(group=4, groups=3, max_input=MAX_CODE_INPUT)

PASSKEY_NAME_LENGTH = 60
#: The browser's time to complete a ceremony, in milliseconds.
CEREMONY_TIMEOUT_MS = 120_000


class SecondFactorError(ValueError):
    """A refusal, with the message the person reads."""


@dataclass(frozen=True)
class Factors:
    """What a staff member has set up."""

    app: AuthenticatorApp | None
    passkeys: list[Passkey]
    recovery_codes_left: int

    @property
    def any(self) -> bool:
        return self.app is not None or bool(self.passkeys)


# --- who needs what -----------------------------------------------------------------------------


def second_factor_required(user: User) -> bool:
    """Whether this account may not sign in on its password alone (REQUIRE_SECOND_FACTOR)."""
    return bool(current_app.config.get("REQUIRE_SECOND_FACTOR")) and user.has_role(
        *ROLES_NEEDING_SECOND_FACTOR
    )


def confirmed_app(session: DbSession, user: User) -> AuthenticatorApp | None:
    return session.scalar(
        select(AuthenticatorApp).where(
            AuthenticatorApp.user_id == user.id, AuthenticatorApp.confirmed_at.is_not(None)
        )
    )


def passkeys_of(session: DbSession, user: User) -> list[Passkey]:
    return list(
        session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id))
    )


def recovery_codes_left(session: DbSession, user: User) -> int:
    return session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def factors_of(session: DbSession, user: User) -> Factors:
    return Factors(
        app=confirmed_app(session, user),
        passkeys=passkeys_of(session, user),
        recovery_codes_left=recovery_codes_left(session, user),
    )


def has_second_factor(session: DbSession, user: User) -> bool:
    """An app whose set-up was finished, or a passkey. Recovery codes only stand in for them."""
    return confirmed_app(session, user) is not None or (
        session.scalar(select(Passkey.id).where(Passkey.user_id == user.id).limit(1)) is not None
    )


def _refuse_removing_the_last(
    session: DbSession, user: User, *, app: bool = False, passkey: bool = False
) -> None:
    """Whoever must have a second factor keeps at least one."""
    if not second_factor_required(user):
        return
    factors = factors_of(session, user)
    left = (factors.app is not None and not app) + len(factors.passkeys) - passkey
    if left < 1:
        raise SecondFactorError(
            _(
                "Your role needs a second factor: add another passkey or an authenticator "
                "app before you remove this one."
            )
        )


def _forget_recovery_codes_without_factor(session: DbSession, user: User) -> None:
    # Without an app or passkey, recovery codes would be a second factor of their own.
    session.flush()
    if not has_second_factor(session, user):
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# --- the authenticator app's secret, encrypted at rest --------------------------------------------


def _fernet_key(secret_key: str | bytes) -> bytes:
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"seminar-app totp secret")
    return base64.urlsafe_b64encode(key.derive(material))


def _cipher() -> MultiFernet:
    """SECRET_KEY encrypts; its SECRET_KEY_FALLBACKS still decrypt while keys are rotated."""
    keys = [
        current_app.config["SECRET_KEY"],
        *(current_app.config.get("SECRET_KEY_FALLBACKS") or []),
    ]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def _secret_of(app: AuthenticatorApp) -> str:
    try:
        return _cipher().decrypt(app.secret_encrypted.encode()).decode()
    except InvalidToken:
        # SECRET_KEY changed without a fallback: the app has to be set up again.
        current_app.logger.warning("authenticator app %s: secret not readable", app.id)
        return ""


def begin_authenticator_app(session: DbSession, user: User) -> AuthenticatorApp:
    """The app being set up: a new secret, or the one shown a moment ago."""
    app = session.scalar(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))
    if app is not None and app.confirmed_at is not None:
        raise SecondFactorError(_("An authenticator app is already set up for your account."))
    if app is None or not _secret_of(app):
        secret = _cipher().encrypt(pyotp.random_base32().encode()).decode()
        if app is None:
            app = AuthenticatorApp(user_id=user.id, secret_encrypted=secret)
            session.add(app)
        else:
            app.secret_encrypted = secret
        session.flush()
    return app


def setup_secret(app: AuthenticatorApp) -> str:
    """The secret, for typing in by hand; only while set-up is unfinished."""
    if app.confirmed_at is not None:
        raise SecondFactorError(_("An authenticator app is already set up for your account."))
    return _secret_of(app)


def provisioning_uri(app: AuthenticatorApp, user: User) -> str:
    """The otpauth:// address the QR code carries (ASCII: the issuer is percent-encoded)."""
    return pyotp.TOTP(setup_secret(app)).provisioning_uri(
        name=user.email, issuer_name=current_app.config["AGENCY_NAME"]
    )


def _time_step(moment: datetime) -> int:
    return int(moment.timestamp()) // STEP_SECONDS


def _digits(raw: str | None) -> str | None:
    """A typed TOTP code: full-width digits and spaces allowed, six digits left."""
    if not raw or len(raw) > MAX_CODE_INPUT:
        return None
    text = unicodedata.normalize("NFKC", raw).replace(" ", "").replace("-", "")
    return text if len(text) == DIGITS and text.isascii() and text.isdigit() else None


def _matching_step(app: AuthenticatorApp, code: str, now: datetime) -> int | None:
    secret = _secret_of(app)
    if not secret:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = _time_step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_app_code(session: DbSession, app: AuthenticatorApp, raw: str, now: datetime) -> None:
    """Accept a code of the app once: its time step must be later than the last one used."""
    code = _digits(raw)
    if code is None:
        raise SecondFactorError(_("Enter the 6-digit code your authenticator app shows."))
    step = _matching_step(app, code, now)
    if step is None:
        raise SecondFactorError(
            _("The code is not right. Enter the code your authenticator app shows now.")
        )
    # One conditional statement: of two requests with the same code, only one wins.
    claimed = rows_changed(
        session,
        update(AuthenticatorApp)
        .where(
            AuthenticatorApp.id == app.id,
            or_(AuthenticatorApp.last_used_step.is_(None), AuthenticatorApp.last_used_step < step),
        )
        .values(last_used_step=step, last_used_at=now)
        .execution_options(synchronize_session=False),
    )
    if claimed != 1:
        raise SecondFactorError(
            _("This code has already been used. Wait for the next code in your app and enter it.")
        )
    session.refresh(app)


def confirm_authenticator_app(
    session: DbSession, user: User, raw: str, now: datetime | None = None
) -> None:
    """Finish set-up with a code from the app: it counts from now on."""
    app = session.scalar(select(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))
    if app is None or app.confirmed_at is not None:
        raise SecondFactorError(_("Start the set-up again: scan the new QR code."))
    now = now or utcnow()
    _use_app_code(session, app, raw, now)
    app.confirmed_at = now
    record(session, "user.authenticator_app_added", "user", user.id, actor=user)


def remove_authenticator_app(
    session: DbSession, user: User, raw: str, now: datetime | None = None
) -> None:
    """Remove the app after a current code from it: a borrowed session alone cannot."""
    app = confirmed_app(session, user)
    if app is None:
        raise SecondFactorError(_("No authenticator app is set up for your account."))
    _refuse_removing_the_last(session, user, app=True)
    _use_app_code(session, app, raw, now or utcnow())
    session.delete(app)
    _forget_recovery_codes_without_factor(session, user)
    record(session, "user.authenticator_app_removed", "user", user.id, actor=user)


# --- recovery codes -----------------------------------------------------------------------------


def _recovery_hash(symbols: str) -> str:
    return hashlib.sha256(symbols.encode()).hexdigest()


def new_recovery_codes(session: DbSession, user: User) -> list[str]:
    """Ten fresh codes replace any old ones; they are shown once, only their hashes kept."""
    if not has_second_factor(session, user):
        raise SecondFactorError(_("Set up a passkey or an authenticator app first."))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _number in range(RECOVERY_CODE_COUNT):
        symbols = RECOVERY_CODE.new_symbols()
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(symbols)))
        codes.append(RECOVERY_CODE.format(symbols))
    record(session, "user.recovery_codes_created", "user", user.id, actor=user)
    return codes


def recovery_codes_due(session: DbSession, user: User) -> bool:
    """A factor is set up but no unused recovery code is left: time to make ten."""
    session.flush()
    return has_second_factor(session, user) and not recovery_codes_left(session, user)


def _use_recovery_code(session: DbSession, user: User, raw: str, now: datetime) -> bool:
    symbols = RECOVERY_CODE.symbols_of(raw)
    if symbols is None or not has_second_factor(session, user):
        return False
    used = rows_changed(
        session,
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(symbols),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False),
    )
    if used != 1:
        return False
    record(
        session,
        "user.recovery_code_used",
        "user",
        user.id,
        actor=user,
        details={"left": recovery_codes_left(session, user)},
    )
    return True


def check_code(session: DbSession, user: User, raw: str, now: datetime | None = None) -> str:
    """The login's second step with a typed code: "totp" or "recovery-code", or a refusal."""
    now = now or utcnow()
    if _digits(raw) is not None:
        app = confirmed_app(session, user)
        if app is None:
            raise SecondFactorError(_("The code is not right."))
        _use_app_code(session, app, raw, now)
        return "totp"
    if _use_recovery_code(session, user, raw, now):
        return "recovery-code"
    raise SecondFactorError(
        _(
            "The code is not right. Enter the 6-digit code from your authenticator app, "
            "or a recovery code you have not used before."
        )
    )


# --- passkeys (WebAuthn) ------------------------------------------------------------------------


def relying_party() -> tuple[str, str]:
    """The RP ID (the host of BASE_URL) and the origin the browser must report."""
    parts = urlsplit(current_app.config["BASE_URL"])
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _user_handle(user: User) -> bytes:
    # Stable per account and free of personal data; kept on the authenticator.
    return hashlib.sha256(f"seminar-staff:{user.id}".encode()).digest()


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in filter(None, passkey.transports.split(",")):
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id), transports=transports or None
    )


def passkey_name(raw: Any) -> str:
    name = normalize_text(raw if isinstance(raw, str) else "")
    if not name:
        raise SecondFactorError(_("Give the passkey a name, for example the device it is on."))
    if len(name) > PASSKEY_NAME_LENGTH:
        raise SecondFactorError(
            _("Use at most %(n)d characters for the name.", n=PASSKEY_NAME_LENGTH)
        )
    return name


def registration_options(session: DbSession, user: User) -> tuple[str, bytes]:
    """Options for navigator.credentials.create() as JSON, and the challenge to keep."""
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["AGENCY_NAME"],
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.display_name,
        timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        # The same authenticator twice would be no second key.
        exclude_credentials=[_descriptor(passkey) for passkey in passkeys_of(session, user)],
    )
    return options_to_json(options), options.challenge


def _credential(payload: Any) -> dict:
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        raise SecondFactorError(_("The browser's answer could not be read. Please try again."))
    return payload


def add_passkey(
    session: DbSession, user: User, payload: Any, challenge: bytes, name: Any
) -> Passkey:
    """Verify the browser's registration answer and keep the credential under its name."""
    name = passkey_name(name)
    credential = _credential(payload)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        current_app.logger.info("passkey registration refused: %s", exc)
        raise SecondFactorError(_("The passkey could not be checked. Please try again.")) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise SecondFactorError(_("This passkey is already registered."))
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    known = {transport.value for transport in AuthenticatorTransport}
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(
            t for t in (transports if isinstance(transports, list) else []) if t in known
        ),
        name=name,
    )
    session.add(passkey)
    session.flush()
    record(
        session,
        "user.passkey_added",
        "user",
        user.id,
        actor=user,
        details={"passkey": passkey.id, "name": name},
    )
    return passkey


def authentication_options(session: DbSession, user: User) -> tuple[str, bytes]:
    """Options for navigator.credentials.get(), limited to this account's passkeys."""
    passkeys = passkeys_of(session, user)
    if not passkeys:
        raise SecondFactorError(_("No passkey is registered for your account."))
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        timeout=CEREMONY_TIMEOUT_MS,
        allow_credentials=[_descriptor(passkey) for passkey in passkeys],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options), options.challenge


def check_passkey(
    session: DbSession, user: User, payload: Any, challenge: bytes, now: datetime | None = None
) -> Passkey:
    """The login's second step with a passkey of this account."""
    credential = _credential(payload)
    passkey = session.scalar(
        select(Passkey).where(Passkey.user_id == user.id, Passkey.credential_id == credential["id"])
    )
    refusal = _("The passkey could not be checked. Please try again or use another way.")
    if passkey is None:
        raise SecondFactorError(refusal)
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        # A counter that went back also lands here: a hint at a cloned authenticator.
        current_app.logger.info("passkey %s refused: %s", passkey.id, exc)
        raise SecondFactorError(refusal) from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now or utcnow()
    return passkey


def passkey_of(session: DbSession, user: User, passkey_id: int) -> Passkey | None:
    """One of this account's passkeys, or None (another's is as good as none)."""
    return session.scalar(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    )


def remove_passkey(session: DbSession, user: User, passkey: Passkey) -> None:
    _refuse_removing_the_last(session, user, passkey=True)
    session.delete(passkey)
    _forget_recovery_codes_without_factor(session, user)
    record(
        session,
        "user.passkey_removed",
        "user",
        user.id,
        actor=user,
        details={"passkey": passkey.id, "name": passkey.name},
    )


# --- an admin's reset ---------------------------------------------------------------------------


def reset_second_factors(session: DbSession, user: User, *, by: User) -> dict[str, int]:
    """Remove every factor of `user` (a lost phone); they sign in with the password next."""
    removed = {
        "authenticator_app": int(confirmed_app(session, user) is not None),
        "passkeys": rows_changed(session, delete(Passkey).where(Passkey.user_id == user.id)),
        "recovery_codes": rows_changed(
            session, delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
        ),
    }
    session.execute(delete(AuthenticatorApp).where(AuthenticatorApp.user_id == user.id))
    record(session, "user.second_factor_reset", "user", user.id, actor=by, details=removed)
    # Whoever holds the lost phone or key may hold a session too: every one of them ends.
    end_sessions(session, user, SessionEnd.SECOND_FACTOR_RESET, actor=by)
    return removed
