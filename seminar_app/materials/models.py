"""Lecturers' materials for a seminar, each with its earlier versions kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import Coded, TimestampMixin, UTCDateTime, enum_check
from ..domain import Audience
from ..extensions import Model
from ..timeutil import utcnow


class Material(TimestampMixin, Model):
    __tablename__ = "materials"
    __table_args__ = (enum_check("audience", Audience),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seminar_id: Mapped[int] = mapped_column(
        ForeignKey("seminars.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    #: Who may download: everyone, the seminar's registrants, or its attendees.
    audience: Mapped[Audience] = mapped_column(Coded(Audience, 12))
    #: Hidden until this moment (for example the end of the seminar); None: at once.
    visible_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when a lecturer deletes it; the files stay for the record.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    versions: Mapped[list[MaterialVersion]] = relationship(
        back_populates="material",
        order_by="MaterialVersion.number.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def current(self) -> MaterialVersion:
        return self.versions[0]


class MaterialVersion(Model):
    __tablename__ = "material_versions"
    __table_args__ = (
        UniqueConstraint("material_id", "number", name="uq_material_versions_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    #: 1 for the first upload, then 2, 3 … for each replacement.
    number: Mapped[int] = mapped_column(Integer)
    #: The name as uploaded (Japanese kept), used when it is downloaded.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    #: SHA-256 of the content: the file's name in storage.
    storage_key: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    material: Mapped[Material] = relationship(back_populates="versions")
