"""Staff accounts: creation, passwords and the mailed reset link."""

from __future__ import annotations

import hashlib
import secrets
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..domain import Role
from ..notifications.services import compose, queue, renderer
from ..text import normalize_email, normalize_text
from ..timeutil import utcnow
from ..urls import absolute_url
from .models import ApiToken, User, UserRole

MIN_PASSWORD_LENGTH = 10
_RESET_SALT = "staff-password-reset"


class AccountError(ValueError):
    pass


def active_staff(session: Session, role: Role) -> list[User]:
    """The active accounts holding `role`, by name: the choices of a lecturer or advisor."""
    return list(
        session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role == role, User.active)
            .order_by(User.display_name)
        )
    )


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def password_problem(password: str) -> str | None:
    """Why a password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if password.strip() != password:
        return _("The password must not begin or end with a space.")
    return None


def create_user(
    session: Session,
    email: str,
    roles: set[Role],
    *,
    display_name: str = "",
    password: str | None = None,
    actor=None,
) -> User:
    email = normalize_email(email)
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


def user_for_reset_token(session: Session, token: str) -> User | None:
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


def send_password_reset(session: Session, email: str, language: str) -> None:
    """Queue a reset link if the address belongs to an active account; say nothing otherwise."""
    user = find_user(session, email)
    if user is None or not user.active:
        return
    queue(session, "password-reset", user.email, {"user_id": user.id}, language=language)
    # Anyone can ask: the request is not the account holder's act.
    record(session, "user.password_reset_requested", "user", user.id, actor_label="anonymous")


@renderer("password-reset")
def render_password_reset(session: Session, row) -> EmailMessage:
    """Rendered by the sender: the link is made then, so it is fresh when it arrives."""
    user = session.get(User, row.payload["user_id"])
    link = absolute_url("auth.reset_password", token=make_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = render_template("auth/mail/password_reset.txt", user=user, link=link, minutes=minutes)
    return compose(user.email, _("Reset your password"), body)


API_TOKEN_PREFIX = "sat_"  # noqa: S105 - a prefix, not a secret


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(session: Session, user: User) -> str:
    """A new bearer token for the API; only its hash is stored, so it is shown once."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_token_hash(token)))
    record(session, "user.api_token_issued", "user", user.id, actor_label="cli")
    return token


def revoke_api_tokens(session: Session, user: User) -> int:
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


def user_for_api_token(session: Session, token: str) -> User | None:
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    return row.user
