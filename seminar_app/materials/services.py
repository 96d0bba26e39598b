"""Rules for materials: who manages them, who may download them, and their versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from flask import current_app
from sqlalchemy import case, func, select

from ..attendance.attended import attended, attended_condition, registrations_with_attendance
from ..audit.services import record
from ..catalogue.models import Seminar, seminar_lecturers
from ..database import DbSession
from ..domain import SPEAKERS, Audience, RecordingAudience, RegistrationStatus, Role
from ..registration.models import Registration
from .models import Material, MaterialVersion
from .storage import FilesystemStorage, Storage
from .validation import CheckedUpload


def storage() -> Storage:
    return FilesystemStorage(current_app.config["UPLOAD_FOLDER"])


def may_manage(user, seminar: Seminar) -> bool:
    """Organizers manage every seminar's materials; a lecturer or an advisor (SPEAKERS) only
    those of the seminars they are named lecturers of."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.has_role(Role.ORGANIZER):
        return True
    return user.has_role(*SPEAKERS) and user in seminar.lecturers


def lecturer_seminars(session: DbSession, user) -> list[tuple[Seminar, int, int]]:
    """The lecturer's seminars with counts only: confirmed, and attended (no names)."""
    seminars = session.scalars(
        select(Seminar)
        .join(seminar_lecturers)
        .where(seminar_lecturers.c.user_id == user.id)
        .order_by(Seminar.starts_at.desc())
    ).all()
    return [(seminar, *attendance_counts(session, seminar.id)) for seminar in seminars]


def attendance_counts(session: DbSession, seminar_id: int) -> tuple[int, int]:
    """(confirmed, attended) of a seminar: the counts a lecturer sees."""
    seated, came = session.execute(
        registrations_with_attendance()
        .with_only_columns(
            func.count(case((Registration.status == RegistrationStatus.CONFIRMED, 1))),
            func.count(case((attended_condition(), 1))),
        )
        .where(Registration.seminar_id == seminar_id)
    ).one()
    return seated, came


def visible_materials(session: DbSession, seminar_id: int) -> list[Material]:
    return list(
        session.scalars(
            select(Material)
            .where(Material.seminar_id == seminar_id, Material.deleted_at.is_(None))
            .order_by(Material.created_at)
        )
    )


class Access(IntEnum):
    """The one rule's answer for a material or a recording, as the status a door gives."""

    OPEN = 200
    #: The visitor may see the seminar, but the item is not (or not yet) for them.
    REFUSED = 403
    #: The visitor may not see the seminar: nothing of it is told, not even that it exists.
    HIDDEN = 404


@dataclass(frozen=True)
class SharedLink:
    """A visitor who came by a link shared with a seminar's participants who did not
    register (an in-company seminar's, forwarded by the company's contact): it sees its
    seminar only, and stands for its registrants, not for its attendees (it cannot tell
    who attended)."""

    seminar_id: int


#: Who asks for a material or a recording: a management link's registration, a shared
#: link, or nobody known (None).
Visitor = Registration | SharedLink | None


def may_see_seminar(seminar: Seminar, visitor: Visitor) -> bool:
    """The first question before any material or recording: may this visitor see the seminar?

    A management link or a shared link sees its own seminar and no other, public or not; a
    visitor without one sees a public seminar (the catalogue's word: Seminar.is_public).
    Staff who manage the seminar have their own door, which asks may_manage.
    """
    if visitor is not None:
        return visitor.seminar_id == seminar.id
    return seminar.is_public


def in_audience(session: DbSession, audience: str, visitor: Visitor) -> bool:
    """The second question, asked only of a visitor who may see the seminar.

    Materials and recordings share the audiences; only a recording can be for absentees.
    """
    if audience == RecordingAudience.EVERYONE:
        return True
    if isinstance(visitor, SharedLink):
        return audience == RecordingAudience.REGISTRANTS
    registration = visitor
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        return False
    if audience == RecordingAudience.REGISTRANTS:
        return True
    if audience == RecordingAudience.ATTENDEES:
        return attended(session, registration)
    return audience == RecordingAudience.ABSENTEES and not attended(session, registration)


def access(
    session: DbSession,
    seminar: Seminar,
    audience: str,
    visitor: Visitor,
    *,
    available: bool,
) -> Access:
    """Who may open a material or a recording: the seminar first, then time and audience."""
    if not may_see_seminar(seminar, visitor):
        return Access.HIDDEN
    if available and in_audience(session, audience, visitor):
        return Access.OPEN
    # Without a link of the seminar nobody is told that something is there for others.
    return Access.REFUSED if visitor is not None else Access.HIDDEN


def material_access(
    session: DbSession, material: Material, visitor: Visitor, now: datetime
) -> Access:
    if material.deleted_at is not None:
        return Access.HIDDEN
    available = material.visible_from is None or now >= material.visible_from
    seminar = session.get_one(Seminar, material.seminar_id)
    return access(session, seminar, material.audience, visitor, available=available)


def may_download(session: DbSession, material: Material, visitor: Visitor, now: datetime) -> bool:
    return material_access(session, material, visitor, now) is Access.OPEN


def materials_for(
    session: DbSession, visitor: Registration | SharedLink, now: datetime
) -> list[Material]:
    """What this management link or shared link may download, for its page."""
    return [
        material
        for material in visible_materials(session, visitor.seminar_id)
        if may_download(session, material, visitor, now)
    ]


def add_version(session: DbSession, material: Material, upload: CheckedUpload, *, by) -> None:
    key = storage().save(upload.data)
    number = (material.versions[0].number + 1) if material.versions else 1
    material.versions.insert(
        0,
        MaterialVersion(
            number=number,
            filename=upload.filename,
            content_type=upload.content_type,
            size=len(upload.data),
            storage_key=key,
            uploaded_by_id=getattr(by, "id", None),
        ),
    )


def add_material(
    session: DbSession,
    seminar: Seminar,
    title: str,
    audience: Audience,
    visible_from: datetime | None,
    upload: CheckedUpload,
    *,
    by,
) -> Material:
    material = Material(
        seminar_id=seminar.id, title=title, audience=audience, visible_from=visible_from
    )
    session.add(material)
    add_version(session, material, upload, by=by)
    session.flush()
    record(
        session,
        "material.uploaded",
        "material",
        material.id,
        actor=by,
        details={"seminar_id": seminar.id, "filename": upload.filename},
    )
    return material


def replace(session: DbSession, material: Material, upload: CheckedUpload, *, by) -> None:
    add_version(session, material, upload, by=by)
    record(
        session,
        "material.replaced",
        "material",
        material.id,
        actor=by,
        details={"filename": upload.filename, "version": material.current.number},
    )


def delete(session: DbSession, material: Material, *, by, now: datetime) -> None:
    material.deleted_at = now
    record(session, "material.deleted", "material", material.id, actor=by)
