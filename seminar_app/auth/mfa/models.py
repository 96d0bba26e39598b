"""A staff member's second factors: an authenticator app (TOTP), recovery codes, passkeys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ...database import UTCDateTime
from ...extensions import Model
from ...timeutil import utcnow


class AuthenticatorApp(Model):
    """The TOTP secret (RFC 6238) an authenticator app shares with the account; one per user."""

    __tablename__ = "authenticator_apps"
    __table_args__ = (
        CheckConstraint(
            "last_used_step IS NULL OR last_used_step >= 0", name="last_used_step_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: The base32 secret, encrypted with a key derived from SECRET_KEY (Fernet); it is
    #: shown only while the app is being set up.
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None while set-up is unfinished: the secret counts only once a code from it was typed.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The 30-second time step of the last code accepted; a code of that step or an
    #: earlier one is refused, so an overheard code cannot be used again.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(Model):
    """One of ten single-use codes for a lost phone or key; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the normalised code, hex: the code has 60 random bits, so no slow hash.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when the code is used; a used code never works again.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(Model):
    """A WebAuthn credential: a platform passkey or a security key, named by its owner."""

    __tablename__ = "passkeys"
    __table_args__ = (
        CheckConstraint("sign_count >= 0", name="sign_count_not_negative"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The credential's id as the browser sends it (base64url, at most 1023 bytes raw).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    #: COSE public key from the registration.
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    #: The authenticator's counter; a lower or equal one later hints at a cloned key.
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    #: How the browser may reach it ("internal", "usb", "hybrid"...), comma-separated.
    transports: Mapped[str] = mapped_column(String(200), default="")
    #: What the owner calls it, for example "MacBook" or "会社のセキュリティキー".
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
