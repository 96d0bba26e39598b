"""Staff accounts: creation, passwords, the mailed reset link, API tokens."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cache

from flask import current_app, render_template
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.services import record
from ..database import DbSession
from ..domain import Role, SessionEnd
from ..notifications.services import compose, queue, renderer
from ..text import normalize_email, normalize_email_address, normalize_text
from ..timeutil import utcnow
from ..urls import absolute_url
from .models import ApiToken, User, UserRole
from .sessions import end_sessions, last_use_due, write_last_use

MIN_PASSWORD_LENGTH = 12
_RESET_SALT = "staff-password-reset"


class AccountError(ValueError):
    pass


def active_staff(session: DbSession, *roles: Role) -> list[User]:
    """The active accounts holding any of `roles`, by name, each once: the choices of a
    lecturer or an advisor."""
    holders = select(UserRole.user_id).where(UserRole.role.in_(roles))
    return list(
        session.scalars(
            select(User).where(User.id.in_(holders), User.active).order_by(User.display_name)
        )
    )


def find_user(session: DbSession, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


@cache
def _dummy_password_hash(method: str) -> str:
    # Made like every real hash (same method and cost), once per process and method.
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def authenticate(session: DbSession, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None.

    Every refusal costs one password hash check, so the time of the answer does not tell
    whether the address has an account (or a password, or is disabled).
    """
    user = find_user(session, email)
    if user is None or user.password_hash is None or not user.active:
        check_password_hash(
            _dummy_password_hash(current_app.config["PASSWORD_HASH_METHOD"]), password
        )
        return None
    return user if user.check_password(password) else None


@cache
def _common_passwords() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most used passwords, lower-cased (loaded on first use)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(word.lower() for word in FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Why a password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if password.strip() != password:
        return _("The password must not begin or end with a space.")
    # Full-width letters count as the ASCII ones they look like.
    if unicodedata.normalize("NFKC", password).lower() in _common_passwords():
        return _(
            "This password is on a list of commonly used passwords that attackers try first. "
            "Please choose another."
        )
    return None


def set_password(
    session: DbSession, user: User, password: str, *, reason: SessionEnd, actor=None
) -> None:
    """Give `user` a new password; every session of the account ends with the old one."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    user.set_password(password)
    action = (
        "user.password_reset" if reason == SessionEnd.PASSWORD_RESET else "user.password_changed"
    )
    record(session, action, "user", user.id, actor=actor)
    end_sessions(session, user, reason, actor=actor)


def update_staff(
    session: DbSession, user: User, *, display_name: str, roles: set[Role], active: bool
) -> None:
    """An admin's change of a colleague's name, roles or state; disabling ends their sessions."""

    def snapshot() -> dict:
        return {
            "roles": sorted(user.roles),
            "active": user.active,
            "display_name": user.display_name,
        }

    before = snapshot()
    user.display_name = normalize_text(display_name)
    user.roles = roles
    user.active = active
    after = snapshot()
    if before != after:
        record(session, "user.updated", "user", user.id, details={"before": before, "after": after})
    if before["active"] and not active:
        end_sessions(session, user, SessionEnd.ACCOUNT_DISABLED)


def create_user(
    session: DbSession,
    email: str,
    roles: set[Role],
    *,
    display_name: str = "",
    password: str | None = None,
    actor=None,
) -> User:
    address, problem = normalize_email_address(email)
    if problem:
        raise AccountError(problem)
    email = normalize_email(address)  # staff addresses are kept in their key form
    if find_user(session, email) is not None:
        raise AccountError(_("A staff account with this e-mail already exists."))
    if not roles:
        raise AccountError(_("Give the account at least one role."))
    user = User(email=email, display_name=normalize_text(display_name) or email.split("@")[0])
    user.roles = roles
    if password is not None:
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        user.set_password(password)
    session.add(user)
    session.flush()
    record(
        session,
        "user.created",
        "user",
        user.id,
        actor=actor,
        actor_label=None,
        details={"email": email, "roles": sorted(roles)},
    )
    return user


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, older links stop working.
    return hashlib.sha256((user.password_hash or "unset").encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "pw": _password_fingerprint(user)})


def user_for_reset_token(session: DbSession, token: str) -> User | None:
    """The user a reset link belongs to, or None if it is forged, used or expired."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = session.get(User, data["user"])
    if user is None or not user.active or data.get("pw") != _password_fingerprint(user):
        return None
    return user


def send_password_reset(session: DbSession, email: str, language: str) -> None:
    """Queue a reset link if the address belongs to an active account; say nothing otherwise."""
    user = find_user(session, email)
    if user is None or not user.active:
        return
    queue(session, "password-reset", user.email, {"user_id": user.id}, language=language)
    # Anyone can ask: the request is not the account holder's act.
    record(session, "user.password_reset_requested", "user", user.id, actor_label="anonymous")


@renderer("password-reset")
def render_password_reset(session: DbSession, row) -> EmailMessage:
    """Rendered by the sender: the link is made then, so it is fresh when it arrives."""
    user = session.get_one(User, row.payload["user_id"])
    link = absolute_url("auth.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = render_template("auth/mail/password_reset.txt", user=user, link=link, minutes=minutes)
    return compose(user.email, _("Reset your password"), body)


API_TOKEN_PREFIX = "sat_"  # noqa: S105 - a prefix, not a secret
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365
API_TOKEN_NAME_LENGTH = 60


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_tokens(session: DbSession, user: User) -> list[ApiToken]:
    """`user`'s tokens, newest first, revoked and expired ones included (they say so)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def api_token_is_valid(row: ApiToken, now: datetime) -> bool:
    return row.revoked_at is None and now < row.expires_at


def issue_api_token(
    session: DbSession,
    user: User,
    *,
    name: str | None = None,
    expires_in_days: int = API_TOKEN_DEFAULT_DAYS,
    actor=None,
    actor_label: str | None = "cli",
) -> str:
    """A new bearer token for the API; only its hash is stored, so it is shown once."""
    if not 1 <= expires_in_days <= API_TOKEN_MAX_DAYS:
        raise AccountError(_("A token lasts from 1 to %(max)d days.", max=API_TOKEN_MAX_DAYS))
    name = normalize_text(name or "")
    if len(name) > API_TOKEN_NAME_LENGTH:
        raise AccountError(_("Use at most %(n)d characters.", n=API_TOKEN_NAME_LENGTH))
    if not name:
        count = session.execute(
            select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)
        ).scalar_one()
        name = f"token {count + 1}"
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        user=user,
        token_hash=_token_hash(token),
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
    )
    session.add(row)
    session.flush()
    record(
        session,
        "user.api_token_issued",
        "user",
        user.id,
        actor=actor,
        actor_label=None if actor is not None else actor_label,
        details={"token_id": row.id, "name": name, "expires_at": row.expires_at.isoformat()},
    )
    return token


def revoke_api_token(session: DbSession, user: User, token_id: int) -> ApiToken | None:
    """Revoke one of `user`'s own tokens; None when `user` has no such token."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record(
            session,
            "user.api_token_revoked",
            "user",
            user.id,
            details={"token_id": row.id, "name": row.name},
        )
    return row


def revoke_api_tokens(session: DbSession, user: User) -> int:
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = utcnow()
    record(
        session,
        "user.api_tokens_revoked",
        "user",
        user.id,
        actor_label="cli",
        details={"count": len(tokens)},
    )
    return len(tokens)


@cache
def _token_with_user() -> Select:
    """A token with its account and the account's roles, in one query (every API call runs
    it); built on first use, once every model is mapped."""
    return (
        select(ApiToken)
        .where(ApiToken.token_hash == bindparam("token_hash"))
        .options(joinedload(ApiToken.user).joinedload(User.role_rows))
    )


def user_for_api_token(session: DbSession, token: str) -> User | None:
    """The active account of a valid (unrevoked, unexpired) token, or None.

    Its time of last use is written at most once a minute, in a transaction of its own
    (see `write_last_use`), so call this before the request's own changes.
    """
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    now = utcnow()
    row = session.scalars(_token_with_user(), {"token_hash": _token_hash(token)}).unique().first()
    if row is None or not api_token_is_valid(row, now) or not row.user.active:
        return None
    if last_use_due(row.last_used_at, now):
        user_id = row.user_id
        write_last_use(session, ApiToken.last_used_at, row.id, now)
        return session.get(User, user_id)
    return row.user
