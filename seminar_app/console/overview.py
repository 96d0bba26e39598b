"""One page per seminar: everything about it within reach, each with its count."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from ..attendance.attended import attended_condition, registrations_with_attendance
from ..attendance.models import CheckIn
from ..catalogue.models import Seminar
from ..catalogue.services import capacity_of, modes_of
from ..certificates.models import Certificate
from ..database import DbSession
from ..domain import AttendanceMode, OutboxStatus, RegistrationStatus
from ..elearning.models import Recording
from ..materials.models import Material
from ..notifications.models import OutboxMessage
from ..registration.models import Registration
from ..surveys.models import Survey, SurveyAnswer


@dataclass(frozen=True)
class SeminarCounts:
    confirmed: int
    waitlisted: int
    applied: int
    cancelled: int
    checked_in: int
    attended: int
    materials: int
    recordings: int
    survey_answers: int | None  # None: the seminar has no survey
    certificates: int
    mails_sent: int
    mails_waiting: int
    mails_failed: int


def seminar_counts(session: DbSession, seminar_id: int) -> SeminarCounts:
    status = Registration.status
    confirmed, waitlisted, applied, cancelled, checked_in, attended = session.execute(
        registrations_with_attendance()
        .with_only_columns(
            *(
                func.count(case((status == wanted, 1)))
                for wanted in (
                    RegistrationStatus.CONFIRMED,
                    RegistrationStatus.WAITLISTED,
                    RegistrationStatus.APPLIED,
                    RegistrationStatus.CANCELLED,
                )
            ),
            func.count(CheckIn.id),
            func.count(case((attended_condition(), 1))),
        )
        .where(Registration.seminar_id == seminar_id)
    ).one()
    ids = select(Registration.id).where(Registration.seminar_id == seminar_id)
    mails = dict(
        session.execute(
            select(OutboxMessage.status, func.count(OutboxMessage.id))
            .where(OutboxMessage.payload["registration_id"].as_integer().in_(ids))
            .group_by(OutboxMessage.status)
        )
        .tuples()
        .all()
    )
    survey = session.scalar(select(Survey.id).where(Survey.seminar_id == seminar_id))
    return SeminarCounts(
        confirmed=confirmed,
        waitlisted=waitlisted,
        applied=applied,
        cancelled=cancelled,
        checked_in=checked_in,
        attended=attended,
        materials=_count(
            session,
            select(func.count(Material.id)).where(
                Material.seminar_id == seminar_id, Material.deleted_at.is_(None)
            ),
        ),
        recordings=_count(
            session, select(func.count(Recording.id)).where(Recording.seminar_id == seminar_id)
        ),
        survey_answers=None
        if survey is None
        else _count(
            session, select(func.count(SurveyAnswer.id)).where(SurveyAnswer.survey_id == survey)
        ),
        certificates=_count(
            session,
            select(func.count(Certificate.id)).where(
                Certificate.registration_id.in_(ids), Certificate.replaced_at.is_(None)
            ),
        ),
        mails_sent=mails.get(OutboxStatus.SENT, 0),
        mails_waiting=mails.get(OutboxStatus.PENDING, 0),
        mails_failed=mails.get(OutboxStatus.FAILED, 0),
    )


@dataclass(frozen=True)
class ModeCounts:
    """A hybrid seminar's figures for one way of attending."""

    mode: AttendanceMode
    #: Seats of this way; None: no limit (online without an online capacity).
    capacity: int | None
    confirmed: int
    waitlisted: int
    checked_in: int
    attended: int


def counts_by_mode(session: DbSession, seminar: Seminar) -> list[ModeCounts]:
    """Each way of attending a hybrid seminar counted apart; [] for any other seminar.

    A registration without a recorded way counts at the venue (Registration.attendance)."""
    if not seminar.is_hybrid:
        return []
    status = Registration.status
    mode = func.coalesce(Registration.attendance_mode, AttendanceMode.VENUE.value)
    rows = session.execute(
        registrations_with_attendance()
        .with_only_columns(
            mode,
            func.count(case((status == RegistrationStatus.CONFIRMED, 1))),
            func.count(case((status == RegistrationStatus.WAITLISTED, 1))),
            func.count(CheckIn.id),
            func.count(case((attended_condition(), 1))),
        )
        .where(Registration.seminar_id == seminar.id)
        .group_by(mode)
    ).all()
    found = {AttendanceMode(row[0]): row[1:] for row in rows}
    return [
        ModeCounts(way, capacity_of(seminar, way), *found.get(way, (0, 0, 0, 0)))
        for way in modes_of(seminar)
    ]


def _count(session: DbSession, query) -> int:
    return session.scalar(query) or 0
