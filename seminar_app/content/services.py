"""Loading the catalogue files into the database, idempotently and all-or-nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..auth.models import User
from ..catalogue.models import Seminar
from ..catalogue.rules import SEMINAR_FIELD_NAMES
from ..domain import Role, SeminarStatus
from .loader import Catalogue, LecturerSpec, SeminarSpec, read_catalogue

#: Seminar columns a content file sets, compared one by one to detect a change.
#: Seminar columns a content file sets, compared one by one to detect a change.
SEMINAR_COLUMNS = SEMINAR_FIELD_NAMES


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    lecturers_created: list[str] = field(default_factory=list)
    lecturers_updated: list[str] = field(default_factory=list)
    kept_cancelled: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.created or self.updated or self.lecturers_created or self.lecturers_updated
        )


def _sync_lecturer(session: Session, spec: LecturerSpec, report: SyncReport) -> User:
    user = session.scalar(select(User).where(User.email == spec.email))
    wanted = {
        "display_name": spec.name,
        "display_name_en": spec.name_en,
        "title": spec.title,
        "title_en": spec.title_en,
    }
    if user is None:
        # No password: the lecturer sets one through the reset link before logging in.
        user = User(email=spec.email, **wanted)
        user.roles = {Role.LECTURER}
        session.add(user)
        report.lecturers_created.append(spec.email)
        return user
    changed = [key for key, value in wanted.items() if getattr(user, key) != value]
    for key in changed:
        setattr(user, key, wanted[key])
    if Role.LECTURER not in user.roles:
        user.roles = user.roles | {Role.LECTURER}
        changed.append("roles")
    if changed:
        report.lecturers_updated.append(spec.email)
    return user


def _sync_seminar(
    session: Session, spec: SeminarSpec, lecturers: dict[str, User], report: SyncReport
) -> None:
    seminar = session.scalar(select(Seminar).where(Seminar.slug == spec.slug))
    created = seminar is None
    if seminar is None:
        seminar = Seminar(slug=spec.slug)
        session.add(seminar)
    changed = [
        name for name in SEMINAR_COLUMNS if getattr(seminar, name) != getattr(spec.fields, name)
    ]
    if seminar.status == SeminarStatus.CANCELLED and "status" in changed:
        # A cancellation told the registrants; a file cannot take it back.
        changed.remove("status")
        report.kept_cancelled.append(spec.slug)
    for name in changed:
        setattr(seminar, name, getattr(spec.fields, name))
    if seminar.content_path != spec.path:
        seminar.content_path = spec.path
        changed.append("content_path")
    wanted_lecturers = [lecturers[email] for email in spec.fields.lecturer_emails]
    if {id(user) for user in seminar.lecturers} != {id(user) for user in wanted_lecturers}:
        seminar.lecturers = wanted_lecturers
        changed.append("lecturers")
    if created:
        report.created.append(spec.slug)
    elif changed:
        report.updated.append(spec.slug)
    else:
        report.unchanged.append(spec.slug)
        return
    session.flush()
    record(
        session,
        "seminar.created" if created else "seminar.updated",
        "seminar",
        seminar.id,
        actor_label="content-sync",
        details={"path": spec.path, "fields": sorted(changed)},
    )


def apply_catalogue(session: Session, catalogue: Catalogue) -> SyncReport:
    report = SyncReport()
    lecturers = {spec.email: _sync_lecturer(session, spec, report) for spec in catalogue.lecturers}
    for spec in catalogue.seminars:
        _sync_seminar(session, spec, lecturers, report)
    return report


def sync_content(session: Session, root: Path, now: datetime) -> SyncReport:
    """Read every file first; write only when all are valid, in one transaction."""
    catalogue = read_catalogue(root, now)  # raises ContentError before anything is written
    try:
        report = apply_catalogue(session, catalogue)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report
