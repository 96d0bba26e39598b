"""Staff endpoint of the JSON API: send an announcement of new seminars (organizers)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import force_locale

from ..announcements import services as announcements
from ..domain import Role
from ..extensions import db
from ..timeutil import utcnow
from .access import error, token_required
from .blueprint import bp
from .schemas import AnnouncementQueuedSchema, AnnouncementRequestSchema


@bp.route("/announcements", methods=["POST"])
@token_required(Role.ORGANIZER)
@bp.arguments(AnnouncementRequestSchema, error_status_code=400)
@bp.response(
    202, AnnouncementQueuedSchema, description="Queued; `recipients` mails will be delivered"
)
def send_announcement(body: dict[str, Any]):
    """Announce new seminars by mail (staff: organizer)

    To everyone who opted in and has not unsubscribed, optionally only to those who attended
    a seminar of a level and/or series. The mails are queued and delivered in the background.
    """
    try:
        with force_locale("en"):
            announcement, count = announcements.send(
                db.session,
                body["subject"],
                body["body"],
                body.get("level"),
                body.get("series"),
                by=g.api_user,
                now=utcnow(),
            )
    except announcements.AnnouncementError as exc:
        db.session.rollback()
        return error(400, AnnouncementRequestSchema.invalid_message, fields=exc.problems)
    db.session.commit()
    return {"announcement_id": announcement.id, "recipients": count}
