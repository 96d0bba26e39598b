"""Personal join links: following one records online attendance, then opens the meeting."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, g, redirect, render_template
from sqlalchemy import select

from ..audit.services import PARTICIPANT, record
from ..database import DbSession, begin_write, insert_unless_present
from ..domain import Delivery, RegistrationStatus, SeminarStatus
from ..extensions import db
from ..registration.models import Registration
from ..timeutil import utcnow
from .models import OnlineAttendance

bp = Blueprint("online", __name__)

#: Joining this long before the start already counts as being there.
EARLY_JOIN = timedelta(hours=1)


def record_join(session: DbSession, registration: Registration, now) -> bool:
    """Record the first join within the seminar's time; True when this call recorded it."""
    seminar = registration.seminar
    if not seminar.starts_at - EARLY_JOIN <= now <= seminar.ends_at:
        return False
    new_id = insert_unless_present(
        session,
        OnlineAttendance,
        "registration_id",
        registration_id=registration.id,
        first_joined_at=now,
    )
    recorded = new_id is not None
    if recorded:
        record(
            session,
            "attendance.joined_online",
            "registration",
            registration.id,
            actor_label=PARTICIPANT,
            details={"seminar_id": seminar.id},
        )
    return recorded


@bp.get("/j/<token>")
def join(token: str):
    g.private_page = True
    begin_write(db.session)  # a GET that writes: SQLite must lock before the read
    registration = db.session.scalar(select(Registration).where(Registration.join_token == token))
    if registration is None:
        abort(404)
    seminar = registration.seminar
    usable = (
        registration.status == RegistrationStatus.CONFIRMED
        and seminar.status == SeminarStatus.PUBLISHED
        and seminar.delivery in (Delivery.ONLINE, Delivery.HYBRID)
    )
    meeting_url = seminar.meeting_url if usable else None
    if not meeting_url:
        return render_template(
            "attendance/join_unavailable.html", registration=registration, seminar=seminar
        ), 409
    record_join(db.session, registration, utcnow())
    db.session.commit()
    response = redirect(meeting_url, 302)
    response.headers["Referrer-Policy"] = "no-referrer"  # the link's token stays here
    return response
