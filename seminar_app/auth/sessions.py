"""A staff member's signed-in sessions, recorded on the server.

A session begins once every required factor is proven (`sign_in`). The cookie carries only
its random id (Flask-Login's user id is that id); the server keeps its hash, and the row
decides: logging out, a new password, a reset, an admin disabling the account or the
owner's "end sessions" end it, and a copy of the cookie then opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import Flask, g, has_request_context, request
from flask_login import current_user, login_user, logout_user
from sqlalchemy import or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from ..audit.services import record
from ..database import DbSession, begin_write
from ..domain import SessionEnd
from ..extensions import db, login_manager
from ..timeutil import utcnow
from .models import User, UserSession

#: A session unused for this long is over, also when its browser never logged out.
IDLE_LIMIT = timedelta(days=14)
#: Times of last use (sessions, API tokens) are written at most this often: no write per
#: request.
LAST_USE_PRECISION = timedelta(minutes=1)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari", Android
# also says "Linux".
_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def device_label(user_agent: str | None) -> str | None:
    """A label such as "Firefox (Windows)": enough to recognise one's own devices."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return f"{browser} ({system})"
    return browser or system


def last_use_due(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= LAST_USE_PRECISION


def begin_session(
    session: DbSession, user: User, *, user_agent: str | None, ip_address: str | None
) -> str:
    """Record a new session of `user`; the returned id goes into the cookie, never to disk."""
    session_id = secrets.token_urlsafe(32)  # 256 bits
    now = utcnow()
    session.add(
        UserSession(
            user=user,
            token_hash=_hash(session_id),
            created_at=now,
            last_seen_at=now,
            device=device_label(user_agent),
            ip_address=(ip_address or None) and ip_address[:45],
        )
    )
    return session_id


def active_session(
    session: DbSession, session_id: str, *, now: datetime | None = None
) -> UserSession | None:
    """The session a cookie names, if it has not ended, lapsed, or lost its account."""
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(session_id)))
    if (
        row is None
        or row.ended_at is not None
        or row.last_seen_at <= now - IDLE_LIMIT
        or not row.user.active
    ):
        return None
    return row


def active_sessions(session: DbSession, user: User) -> list[UserSession]:
    """`user`'s sessions that still open the console, most recently used first."""
    return list(
        session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.ended_at.is_(None),
                UserSession.last_seen_at > utcnow() - IDLE_LIMIT,
            )
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def end_sessions(
    session: DbSession,
    user: User,
    reason: SessionEnd,
    *,
    keep: UserSession | None = None,
    actor=None,
) -> int:
    """End every open session of `user` (but `keep`), audited; how many ended."""
    rows = session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    ).all()
    now = utcnow()
    ended = [row for row in rows if keep is None or row.id != keep.id]
    for row in ended:
        row.ended_at, row.ended_reason = now, reason
    if ended:
        record(
            session,
            "user.sessions_ended",
            "user",
            user.id,
            actor=actor,
            details={"reason": str(reason), "count": len(ended)},
        )
    return len(ended)


def write_last_use(
    session: DbSession, column: InstrumentedAttribute, row_id: int, now: datetime
) -> None:
    """Write a row's time of last use in a transaction of its own, before the request's work.

    On SQLite the write lock is taken before writing (a read transaction that starts
    writing can fail under contention), and taken again for an unsafe request, whose view
    expects to hold it. The condition makes two simultaneous requests write once.
    """
    model = column.class_
    session.commit()  # ends the read that found the row; nothing of the request's own yet
    begin_write(session)
    session.execute(
        update(model)
        .where(
            model.id == row_id,
            or_(column.is_(None), column <= now - LAST_USE_PRECISION),
        )
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if has_request_context() and request.method not in _SAFE_METHODS:
        begin_write(session)


# --- the session of this request (Flask, Flask-Login) -------------------------------------------


def _resume(session_id: str) -> User | None:
    """Flask-Login's user loader: the cookie's session id, checked against its row."""
    row = active_session(db.session, session_id)
    if row is None:
        return None
    g.staff_session = row
    row.user.session_id = session_id
    return row.user


def _note_last_use() -> None:
    """Load the session before the view runs (so a write of its last use comes first)."""
    # The API authenticates by bearer token only; static files need no session.
    if request.blueprint == "api" or request.endpoint == "static":
        return
    if not current_user.is_authenticated:
        return
    row = g.get("staff_session")
    now = utcnow()
    if row is not None and last_use_due(row.last_seen_at, now):
        write_last_use(db.session, UserSession.last_seen_at, row.id, now)


def init_app(app: Flask) -> None:
    login_manager.user_loader(_resume)
    app.before_request(_note_last_use)


def current_session() -> UserSession | None:
    """The UserSession of this request's browser, if it is signed in."""
    return g.get("staff_session") if current_user.is_authenticated else None


def _begin_for_this_browser(user: User) -> None:
    user.session_id = begin_session(
        db.session,
        user,
        user_agent=request.headers.get("User-Agent"),
        ip_address=request.remote_addr,
    )
    login_user(user)


def sign_in(user: User, *, method: str = "password") -> None:
    """Begin a session for `user`, whose every required factor has been checked."""
    _begin_for_this_browser(user)
    user.last_login_at = utcnow()
    record(db.session, "user.logged_in", "user", user.id, actor=user, details={"method": method})


def sign_in_again(user: User) -> None:
    """A fresh session for this browser after all of `user`'s sessions ended (a new
    password): the person stays signed in, a copy of the old cookie does not."""
    _begin_for_this_browser(user)


def sign_out() -> None:
    """End this browser's session on the server, then forget it in the cookie."""
    row = current_session()
    if row is not None and row.ended_at is None:
        row.ended_at, row.ended_reason = utcnow(), SessionEnd.LOGGED_OUT
        record(db.session, "user.logged_out", "user", row.user_id, details={"session": row.id})
    logout_user()
