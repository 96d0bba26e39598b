"""Certificates of attendance (受講証明書), each with a code anyone can verify."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import TimestampMixin
from ..extensions import db


class Certificate(TimestampMixin, db.Model):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    #: Printed on the certificate and checked at /certificates/verify/<code>.
    code: Mapped[str] = mapped_column(String(32), unique=True)

    registration = relationship("Registration")
