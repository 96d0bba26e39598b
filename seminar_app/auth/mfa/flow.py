"""What happens once the password is right: a second factor, or the session itself.

Between the password and the second factor the flask session holds a pending-login marker
(the user's id, a fingerprint of their password, the time). It is not a login: Flask-Login
knows nothing of it, and it opens only the pages that ask for or set up the second factor.
"""

from __future__ import annotations

import hashlib
import time

from flask import redirect, session, url_for
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from ...extensions import db
from ...i18n import safe_next
from ..models import User
from ..sessions import sign_in
from . import services

PENDING_KEY = "second_factor_pending"
#: Seconds to give the second factor after the password.
PENDING_MAX_AGE = 5 * 60
#: Seconds to set up a first factor (scan a QR code, find a security key) after the password.
ENROL_MAX_AGE = 15 * 60
#: Where to go once the first factor is set up during login (the recovery codes come between).
NEXT_KEY = "second_factor_next"


def after_password(user: User, next_url: str):
    """The answer to a right password: ask for a second factor when one is due."""
    if services.has_second_factor(db.session, user):
        _begin_pending(user, next_url, enrol=False)
        return redirect(url_for("mfa.challenge"))
    if services.second_factor_required(user):
        _begin_pending(user, next_url, enrol=True)
        return redirect(url_for("mfa.account"))
    cancel_pending()  # a login begun earlier in this browser, maybe of another account
    sign_in(user, method="password")
    db.session.commit()
    return redirect(next_url)


def _password_fingerprint(user: User) -> str:
    # In the marker: a password changed or reset meanwhile voids the half-done login.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def _begin_pending(user: User, next_url: str, *, enrol: bool) -> None:
    session[PENDING_KEY] = {
        "user": user.id,
        "pw": _password_fingerprint(user),
        "at": int(time.time()),
        "next": next_url,
        "enrol": enrol,
    }


def pending_user(*, enrol: bool = False) -> User | None:
    """The user whose password was right a moment ago, or None (expired, changed, disabled).

    `enrol`: the marker of someone who must set up a first factor (they have none yet).
    """
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict) or not isinstance(marker.get("user"), int):
        return None
    max_age = ENROL_MAX_AGE if marker.get("enrol") else PENDING_MAX_AGE
    if not isinstance(marker.get("at"), int) or time.time() - marker["at"] > max_age:
        return None
    if bool(marker.get("enrol")) != enrol:
        return None
    user = db.session.get(User, marker["user"])
    if user is None or not user.active or marker.get("pw") != _password_fingerprint(user):
        return None
    return user


def pending_next() -> str:
    marker = session.get(PENDING_KEY)
    target = marker.get("next") if isinstance(marker, dict) else None
    return safe_next(target if isinstance(target, str) else None, url_for("auth.home"))


def finish_login(user: User, method: str) -> str:
    """Every factor is proven: begin the session. Returns where to go next."""
    next_url = pending_next()
    session.pop(PENDING_KEY, None)
    sign_in(user, method=method)
    return next_url


def cancel_pending() -> None:
    session.pop(PENDING_KEY, None)


CHALLENGE_KEY = "webauthn_challenge"
#: Seconds a WebAuthn challenge stays good (the browser's own timeout is two minutes).
CHALLENGE_MAX_AGE = 5 * 60


def keep_challenge(purpose: str, user: User, challenge: bytes) -> None:
    """Remember the challenge of a ceremony for its one answer ("login" or "register")."""
    session[CHALLENGE_KEY] = {
        "purpose": purpose,
        "user": user.id,
        "challenge": bytes_to_base64url(challenge),
        "at": int(time.time()),
    }


def take_challenge(purpose: str, user: User) -> bytes | None:
    """The challenge kept for this ceremony and user, removed so that it serves once."""
    kept = session.pop(CHALLENGE_KEY, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose or kept.get("user") != user.id:
        return None
    if not isinstance(kept.get("at"), int) or time.time() - kept["at"] > CHALLENGE_MAX_AGE:
        return None
    challenge = kept.get("challenge")
    return base64url_to_bytes(challenge) if isinstance(challenge, str) else None
