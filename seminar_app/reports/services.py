"""Fiscal-year figures, aggregated by the database (GROUP BY), never row by row in Python.

A seminar is *held* in a fiscal year when it is published (not cancelled, not a draft),
starts within the year in Tokyo time, and has ended. Its attendees are its head-count
when an organizer recorded one, else its registrations that attended (the rule of
attendance.attended).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ..attendance.attended import attended_condition, registrations_with_attendance
from ..catalogue.models import Seminar
from ..consultations.models import Consultation, ConsultationTopic
from ..domain import Channel, Delivery, HostType, RegistrationStatus, SeminarStatus, Topic
from ..elearning.models import Recording, RecordingView
from ..registration.models import Registration
from ..timeutil import fiscal_year_bounds, fiscal_year_dates


def held_in(fiscal_year: int, now: datetime):
    """The condition on Seminar of being held in the fiscal year (see the module's rule)."""
    start, end = fiscal_year_bounds(fiscal_year)
    return and_(
        Seminar.status == SeminarStatus.PUBLISHED,
        Seminar.starts_at >= start,
        Seminar.starts_at < end,
        Seminar.ends_at <= now,
    )


def _attendance_per_seminar(fiscal_year: int, now: datetime):
    """seminar_id → attended registrations, as a subquery (a plain count: no DISTINCT)."""
    attended = func.count(case((attended_condition(), Registration.id)))
    return (
        registrations_with_attendance()
        .with_only_columns(Registration.seminar_id.label("seminar_id"), attended.label("attended"))
        .where(held_in(fiscal_year, now))
        .group_by(Registration.seminar_id)
        .subquery()
    )


def _zero_by(keys) -> dict[str, Any]:
    return {key: 0 for key in keys}


def fiscal_year_report(session: Session, fiscal_year: int, now: datetime) -> dict[str, Any]:
    per_seminar = _attendance_per_seminar(fiscal_year, now)
    attendees = func.coalesce(Seminar.head_count, per_seminar.c.attended, 0)
    online = Seminar.delivery == Delivery.ONLINE

    seminars = {
        "total": 0,
        "online": 0,
        "hybrid": 0,
        "by_host_type": {h.value: {"total": 0, "online": 0} for h in HostType},
        "by_series": {},
        "by_level": {},
    }
    people = {"total": 0, "by_host_type": _zero_by(h.value for h in HostType)}
    rows = session.execute(
        select(Seminar.host_type, Seminar.delivery, func.count(Seminar.id), func.sum(attendees))
        .outerjoin(per_seminar, per_seminar.c.seminar_id == Seminar.id)
        .where(held_in(fiscal_year, now))
        .group_by(Seminar.host_type, Seminar.delivery)
    ).all()
    for host_type, delivery, count, attended in rows:
        bucket = seminars["by_host_type"][host_type]
        bucket["total"] += count
        seminars["total"] += count
        if delivery == Delivery.ONLINE:
            bucket["online"] += count
            seminars["online"] += count
        elif delivery == Delivery.HYBRID:
            seminars["hybrid"] += count
        people["by_host_type"][host_type] += int(attended or 0)
        people["total"] += int(attended or 0)
    for column, key in ((Seminar.series, "by_series"), (Seminar.level, "by_level")):
        for value, count, count_online in session.execute(
            select(column, func.count(Seminar.id), func.count(case((online, Seminar.id))))
            .where(held_in(fiscal_year, now), Seminar.host_type == HostType.AGENCY)
            .group_by(column)
        ):
            seminars[key][value or "none"] = {"total": count, "online": count_online}

    status_counts = dict(
        session.execute(
            select(Registration.status, func.count(Registration.id))
            .join(Seminar, Seminar.id == Registration.seminar_id)
            .where(held_in(fiscal_year, now))
            .group_by(Registration.status)
        ).all()
    )
    attended_registered = (
        session.scalar(
            registrations_with_attendance()
            .with_only_columns(func.count(Registration.id))
            .where(held_in(fiscal_year, now), Seminar.head_count.is_(None), attended_condition())
        )
        or 0
    )
    confirmed_counted = (
        session.scalar(
            select(func.count(Registration.id))
            .join(Seminar, Seminar.id == Registration.seminar_id)
            .where(
                held_in(fiscal_year, now),
                Seminar.head_count.is_(None),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        or 0
    )
    registrations = {
        "total": sum(status_counts.values()),
        "confirmed": status_counts.get(RegistrationStatus.CONFIRMED, 0),
        "waitlisted": status_counts.get(RegistrationStatus.WAITLISTED, 0),
        "cancelled": status_counts.get(RegistrationStatus.CANCELLED, 0),
        "attended": attended_registered,
        "no_shows": confirmed_counted - attended_registered,
        "attendance_rate": round(attended_registered / confirmed_counted, 4)
        if confirmed_counted
        else 0.0,
    }

    profile = {}
    for name in ("attribute", "employee_band", "industry", "prefecture"):
        column = getattr(Registration, name)
        profile[name] = {
            (value or "unknown"): count
            for value, count in session.execute(
                registrations_with_attendance()
                .with_only_columns(column, func.count(Registration.id))
                .where(held_in(fiscal_year, now), attended_condition())
                .group_by(column)
            )
        }
    people["registered_attendees_by"] = profile

    views, viewers = session.execute(
        select(
            func.count(RecordingView.id), func.count(func.distinct(RecordingView.registration_id))
        )
        .join(Recording, Recording.id == RecordingView.recording_id)
        .join(Seminar, Seminar.id == Recording.seminar_id)
        .where(held_in(fiscal_year, now))
    ).one()
    return {
        "fiscal_year": fiscal_year,
        "seminars": seminars,
        "attendees": people,
        "registrations": registrations,
        "recordings": {"opened": views, "registrants_who_opened": viewers},
        "consultations": consultation_figures(session, fiscal_year),
    }


def seminar_rows(session: Session, fiscal_year: int, now: datetime) -> list[dict[str, Any]]:
    """Every held seminar of the year with its figures, one aggregated query."""
    per_seminar = _attendance_per_seminar(fiscal_year, now)
    confirmed = (
        select(Registration.seminar_id, func.count(Registration.id).label("confirmed"))
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.seminar_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Seminar,
            func.coalesce(confirmed.c.confirmed, 0),
            func.coalesce(Seminar.head_count, per_seminar.c.attended, 0),
        )
        .outerjoin(per_seminar, per_seminar.c.seminar_id == Seminar.id)
        .outerjoin(confirmed, confirmed.c.seminar_id == Seminar.id)
        .where(held_in(fiscal_year, now))
        .order_by(Seminar.starts_at)
    ).all()
    return [
        {"seminar": seminar, "confirmed": seated, "attendees": came}
        for seminar, seated, came in rows
    ]


def years_side_by_side(
    session: Session, last_year: int, count: int, now: datetime
) -> list[dict[str, Any]]:
    """The last `count` fiscal years, oldest first, each with its change from the year before."""
    years = []
    previous = None
    for fiscal_year in range(last_year - count, last_year + 1):
        report = fiscal_year_report(session, fiscal_year, now)
        entry = {
            "fiscal_year": fiscal_year,
            "seminars": report["seminars"]["total"],
            "attendees": report["attendees"]["total"],
            "consultations": report["consultations"]["total"],
            "consultations_online": report["consultations"]["online"],
        }
        if previous is not None:
            for name in ("seminars", "attendees", "consultations"):
                entry[f"{name}_change"] = entry[name] - previous[name]
        previous = entry
        years.append(entry)
    return years[1:]


def consultation_figures(session: Session, fiscal_year: int) -> dict[str, Any]:
    """The desk's consultations held on dates of the fiscal year (1 April – 31 March)."""
    start, end = fiscal_year_dates(fiscal_year)
    in_year = and_(Consultation.held_on >= start, Consultation.held_on < end)
    total, online = session.execute(
        select(
            func.count(Consultation.id),
            func.count(case((Consultation.channel == Channel.ONLINE, Consultation.id))),
        ).where(in_year)
    ).one()
    # One row per topic of a consultation: one with two topics counts once under each.
    per_topic = dict(
        session.execute(
            select(ConsultationTopic.topic, func.count())
            .join(Consultation, Consultation.id == ConsultationTopic.consultation_id)
            .where(in_year)
            .group_by(ConsultationTopic.topic)
        ).all()
    )
    figures: dict[str, Any] = {
        "total": total,
        "online": online,
        "by_topic": {topic.value: per_topic.get(topic, 0) for topic in Topic},
    }
    for name in ("channel", "attribute", "employee_band", "industry", "source"):
        column = getattr(Consultation, name)
        figures[f"by_{name}"] = {
            (value or "unknown"): count
            for value, count in session.execute(
                select(column, func.count(Consultation.id)).where(in_year).group_by(column)
            )
        }
    return figures
