"""Staff accounts and their roles. Participants need no account."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..database import TimestampMixin, UTCDateTime, enum_check
from ..domain import Role
from ..extensions import db
from ..timeutil import utcnow

if TYPE_CHECKING:
    from ..catalogue.models import Seminar


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (enum_check("role", Role),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: organizer, lecturer, reception or admin.
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class User(TimestampMixin, db.Model):
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

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        """The id and a fingerprint of the password: a new password ends other sessions."""
        return f"{self.id}:{self.session_fingerprint}"

    @property
    def session_fingerprint(self) -> str:
        return hashlib.sha256((self.password_hash or "").encode()).hexdigest()[:12]

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
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def name_for(self, locale: str) -> str:
        return (self.display_name_en or self.display_name) if locale == "en" else self.display_name

    def title_for(self, locale: str) -> str | None:
        return (self.title_en or self.title) if locale == "en" else self.title

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class ApiToken(db.Model):
    """A staff member's bearer token for the JSON API; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
