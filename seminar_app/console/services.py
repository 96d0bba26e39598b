"""The organizer's changes to seminars, each audited."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..auth.models import User
from ..auth.services import active_staff
from ..catalogue.models import Seminar
from ..catalogue.rules import (
    SEMINAR_FIELD_NAMES,
    SeminarFields,
    admission_problems,
    seminar_problems,
)
from ..domain import Admission, RegistrationStatus, Role, SeminarStatus
from ..registration import services as registrations
from ..registration.models import Registration
from ..timeutil import to_jst

#: What the console edits; the status changes through publish, unpublish and cancel.
EDITABLE = tuple(name for name in SEMINAR_FIELD_NAMES if name != "status")


class SeminarActionError(ValueError):
    pass


def lecturer_choices(session: Session) -> list[User]:
    return active_staff(session, Role.LECTURER)


def new_slug(fields: SeminarFields) -> str:
    day = to_jst(fields.starts_at).date().isoformat() if fields.starts_at else "undated"
    return f"{day}-{fields.series}-{secrets.token_hex(3)}"


def _apply(seminar: Seminar, fields: SeminarFields, lecturers: list[User]) -> list[str]:
    changed = [name for name in EDITABLE if getattr(seminar, name) != getattr(fields, name)]
    for name in changed:
        setattr(seminar, name, getattr(fields, name))
    if {user.id for user in seminar.lecturers} != {user.id for user in lecturers}:
        seminar.lecturers = lecturers
        changed.append("lecturers")
    return changed


def _has_registrations(session: Session, seminar_id: int) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.seminar_id == seminar_id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
    )


def apply_admission(
    session: Session,
    seminar: Seminar,
    admission: str | None,
    sme_priority: bool | None,
) -> list[str]:
    """Set how seats are given (None: unchanged). The admission is fixed once people have
    registered or applied; nothing about the lottery changes after its draw."""
    changed = []
    if admission is not None and admission != (seminar.admission or Admission.FIRST_COME):
        if seminar.lottery_drawn_at is not None or (
            seminar.id is not None and _has_registrations(session, seminar.id)
        ):
            raise SeminarActionError(
                _(
                    "How seats are given cannot change once people have registered "
                    "or the lottery has been drawn."
                )
            )
        seminar.admission = admission
        changed.append("admission")
    if sme_priority is not None and bool(sme_priority) != bool(seminar.lottery_sme_priority):
        if seminar.lottery_drawn_at is not None:
            raise SeminarActionError(_("The lottery has been drawn; its rules no longer change."))
        seminar.lottery_sme_priority = bool(sme_priority)
        changed.append("lottery_sme_priority")
    return changed


def create_seminar(
    session: Session,
    fields: SeminarFields,
    lecturers: list[User],
    *,
    admission: str | None = None,
    lottery_sme_priority: bool | None = None,
) -> Seminar:
    seminar = Seminar(
        slug=new_slug(fields),
        status=SeminarStatus.DRAFT,
        admission=admission or Admission.FIRST_COME,
        lottery_sme_priority=bool(lottery_sme_priority),
    )
    _apply(seminar, fields, lecturers)
    session.add(seminar)
    session.flush()
    record(session, "seminar.created", "seminar", seminar.id, details={"title": seminar.title})
    return seminar


def update_seminar(
    session: Session,
    seminar_id: int,
    fields: SeminarFields,
    lecturer_ids: list[int],
    now: datetime,
    *,
    admission: str | None = None,
    lottery_sme_priority: bool | None = None,
) -> list[str]:
    """Save an edit under the seminar's lock. Registrants hear of a new time or place;
    a raised capacity promotes from the waitlist at once. `admission` and
    `lottery_sme_priority` (None: unchanged) raise SeminarActionError where they may not
    change; the caller rolls back then."""
    seminar = registrations.lock_seminar(session, seminar_id)
    wanted = set(lecturer_ids)
    lecturers = [user for user in lecturer_choices(session) if user.id in wanted]
    capacity_before = seminar.capacity or 0
    changed = apply_admission(session, seminar, admission, lottery_sme_priority)
    changed += _apply(seminar, fields, lecturers)
    if changed:
        record(session, "seminar.updated", "seminar", seminar.id, details={"fields": changed})
        if seminar.status == SeminarStatus.PUBLISHED:
            registrations.announce_change(session, seminar, changed)
    if (seminar.capacity or 0) > capacity_before:
        registrations.promote_waitlisted(session, seminar, now)
    return changed


def duplicate_seminar(session: Session, original: Seminar) -> Seminar:
    """A new draft with the same content, for the next run of a seminar."""
    copy = Seminar(slug="", status=SeminarStatus.DRAFT)
    for name in EDITABLE:
        setattr(copy, name, getattr(original, name))
    suffix = "（複製）"
    if len(original.title) + len(suffix) <= 200:
        copy.title = original.title + suffix
    copy.lecturers = list(original.lecturers)
    copy.admission = original.admission
    copy.lottery_sme_priority = original.lottery_sme_priority
    copy.slug = f"{original.slug[:100]}-copy-{secrets.token_hex(3)}"
    session.add(copy)
    session.flush()
    record(session, "seminar.duplicated", "seminar", copy.id, details={"from": original.id})
    return copy


def publish(session: Session, seminar: Seminar, now: datetime) -> None:
    if seminar.status == SeminarStatus.CANCELLED:
        raise SeminarActionError(_("A cancelled seminar cannot be published again."))
    fields = SeminarFields(
        **{name: getattr(seminar, name) for name in EDITABLE}, status=SeminarStatus.PUBLISHED
    )
    problems = seminar_problems(fields, now)
    problems.update(admission_problems(seminar.admission, seminar.registration_closes_at))
    if problems:
        raise SeminarActionError(
            _("Fix these before publishing: %(problems)s", problems=" ".join(problems.values()))
        )
    seminar.status = SeminarStatus.PUBLISHED
    record(session, "seminar.published", "seminar", seminar.id)


def unpublish(session: Session, seminar: Seminar) -> None:
    if seminar.status != SeminarStatus.PUBLISHED:
        raise SeminarActionError(_("Only a published seminar can be unpublished."))
    seminar.status = SeminarStatus.DRAFT
    record(session, "seminar.unpublished", "seminar", seminar.id)


def cancel(session: Session, seminar: Seminar, reason: str, *, locked: bool = False) -> None:
    """Cancel and tell every registrant; `locked` when the caller already holds the lock."""
    if not locked:
        seminar = registrations.lock_seminar(session, seminar.id)
    if seminar.status == SeminarStatus.CANCELLED:
        raise SeminarActionError(_("This seminar is already cancelled."))
    seminar.status = SeminarStatus.CANCELLED
    told = registrations.announce_cancellation(session, seminar)
    record(
        session,
        "seminar.cancelled",
        "seminar",
        seminar.id,
        details={"reason": reason, "registrants_told": told},
    )
