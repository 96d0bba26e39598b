"""Loading the catalogue files into the database, idempotently and all-or-nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..auth.models import User
from ..catalogue import lifecycle
from ..catalogue.models import Seminar
from ..database import DbSession, begin_write
from ..domain import Role, SeminarStatus
from .loader import Catalogue, LecturerSpec, SeminarSpec, read_catalogue

#: Who the audit log names for the changes a sync makes.
SYNC = "content-sync"


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


def _sync_lecturer(session: DbSession, spec: LecturerSpec, report: SyncReport) -> User:
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
    session: DbSession,
    spec: SeminarSpec,
    lecturers: dict[str, User],
    report: SyncReport,
    now: datetime,
) -> None:
    """Bring one seminar to what its file says, through the seminar's lifecycle."""
    wanted_lecturers = [lecturers[email] for email in spec.fields.lecturer_emails]
    seminar = session.scalar(select(Seminar).where(Seminar.slug == spec.slug))
    if seminar is None:
        seminar = lifecycle.create_seminar(
            session,
            spec.fields,
            wanted_lecturers,
            slug=spec.slug,
            content_path=spec.path,
            label=SYNC,
        )
        lifecycle.change_status(session, seminar, spec.fields.status, now, label=SYNC)
        report.created.append(spec.slug)
        return
    status_before = seminar.status
    changed = lifecycle.change_seminar(
        session,
        seminar.id,
        spec.fields,
        wanted_lecturers,
        now,
        content_path=spec.path,
        label=SYNC,
    )
    if spec.fields.status != seminar.status:
        if seminar.status == SeminarStatus.CANCELLED:
            # A cancellation told the registrants; a file cannot take it back.
            report.kept_cancelled.append(spec.slug)
        else:
            lifecycle.change_status(
                session,
                seminar,
                spec.fields.status,
                now,
                reason=spec.path,
                locked=True,  # change_seminar holds the seminar's lock
                label=SYNC,
            )
    if changed or seminar.status != status_before:
        report.updated.append(spec.slug)
    else:
        report.unchanged.append(spec.slug)


def apply_catalogue(session: DbSession, catalogue: Catalogue, now: datetime) -> SyncReport:
    report = SyncReport()
    lecturers = {spec.email: _sync_lecturer(session, spec, report) for spec in catalogue.lecturers}
    for spec in catalogue.seminars:
        _sync_seminar(session, spec, lecturers, report, now)
    return report


def sync_content(session: DbSession, root: Path, now: datetime) -> SyncReport:
    """Read every file first; write only when all are valid, in one transaction."""
    catalogue = read_catalogue(root, now)  # raises ContentError before anything is written
    begin_write(session)  # one transaction, holding SQLite's write lock, for the whole sync
    try:
        report = apply_catalogue(session, catalogue, now)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report
