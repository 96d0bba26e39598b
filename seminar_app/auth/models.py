"""Staff accounts and their roles. Participants need no account."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import Coded, TimestampMixin, UTCDateTime, enum_check
from ..domain import Role, SessionEnd
from ..extensions import Model
from ..timeutil import utcnow

if TYPE_CHECKING:
    from ..catalogue.models import Seminar


class UserRole(Model):
    __tablename__ = "user_roles"
    __table_args__ = (enum_check("role", Role),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: organizer, lecturer, reception or admin.
    role: Mapped[Role] = mapped_column(Coded(Role, 20), primary_key=True)


class User(TimestampMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name: NFKC-normalised and lower-cased before it is stored.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Name shown to participants (for lecturers) and colleagues.
    display_name: Mapped[str] = mapped_column(String(100))
    display_name_en: Mapped[str | None] = mapped_column(String(100))
    #: Public title, for example 知財戦略アドバイザー or 弁理士.
    title: Mapped[str | None] = mapped_column(String(100))
    title_en: Mapped[str | None] = mapped_column(String(100))
    #: Werkzeug hash; None until the person sets a password (no login possible).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: A disabled account cannot log in and loses its open sessions.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by=UserRole.role
    )
    seminars: Mapped[list[Seminar]] = relationship(
        secondary="seminar_lecturers", back_populates="lecturers"
    )

    # Flask-Login protocol, written out: `active` is a column here.
    is_anonymous = False
    #: The id of the server-side session this request uses (set by auth.sessions when the
    #: session begins or is resumed; never stored: the database keeps only its hash).
    if TYPE_CHECKING:
        session_id: str | None = None
    else:  # unannotated, so that the mapper makes no column of it
        session_id = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the server-side session's id, no user id.

        A cookie is therefore only as good as its UserSession row: once that ends, a copy
        of the cookie opens nothing.
        """
        if self.session_id is None:
            raise RuntimeError("no session begun for this user: use auth.sessions.sign_in")
        return self.session_id

    @property
    def roles(self) -> set[Role]:
        return {Role(row.role) for row in self.role_rows}

    @roles.setter
    def roles(self, wanted: set[Role] | list[Role]) -> None:
        wanted = {Role(role) for role in wanted}
        self.role_rows[:] = [row for row in self.role_rows if row.role in wanted]
        present = {row.role for row in self.role_rows}
        self.role_rows.extend(UserRole(role=role) for role in sorted(wanted - present))

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def name_for(self, locale: str) -> str:
        return (self.display_name_en or self.display_name) if locale == "en" else self.display_name

    def title_for(self, locale: str) -> str | None:
        return (self.title_en or self.title) if locale == "en" else self.title

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(Model):
    """A browser signed in to a staff account, recorded on the server so that it can end.

    The cookie carries a random id; only its hash is here, so a copy of this table
    opens no session.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (
        enum_check("ended_reason", SessionEnd),
        CheckConstraint("(ended_at IS NULL) = (ended_reason IS NULL)", name="ended_with_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the session id (256 random bits) the cookie carries, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: When the password (and any second factor) was accepted.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The last request with this session, to the minute (not written on every request).
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Browser and system read from the User-Agent, e.g. "Firefox (Windows)"; None when
    #: unrecognised. The header itself is not kept.
    device: Mapped[str | None] = mapped_column(String(100))
    #: The address the session began from (the client's, behind the proxy).
    ip_address: Mapped[str | None] = mapped_column(String(45))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[SessionEnd | None] = mapped_column(Coded(SessionEnd, 20))

    user: Mapped[User] = relationship()


class ApiToken(Model):
    """A staff member's bearer token for the JSON API; only its hash is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("expires_at > created_at", name="expires_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: What the owner calls it, for example "受付タブレット" or "report script".
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: After this moment the token is refused; a new one is issued instead of extending it.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The last request with this token, to the minute.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
