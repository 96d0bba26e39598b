"""Staff endpoint of the JSON API: attach a recording, as the console's recordings page does."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import force_locale

from ..catalogue.models import Seminar
from ..domain import Role
from ..elearning import services
from ..extensions import db
from .access import error, refusal, token_required
from .blueprint import bp
from .schemas import RecordingCreatedSchema, RecordingRequestSchema


@bp.route("/seminars/<id:seminar_id>/recordings", methods=["POST"])
@token_required(Role.ORGANIZER)
@bp.arguments(RecordingRequestSchema)
@bp.response(201, RecordingCreatedSchema, description="The recording is added, unpublished")
@refusal(404, "No seminar has this id")
def add_recording(body: dict[str, Any], seminar_id: int):
    """Add a recording, unpublished (staff: organizer)"""
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        return error(404, "No seminar has this id.")
    try:
        with force_locale("en"):
            recording = services.add_recording(
                db.session,
                seminar,
                title=body["title"],
                url=body["url"],
                audience=body["audience"],
                available_from=body.get("available_from"),
                available_until=body.get("available_until"),
                by=g.api_user,
            )
    except services.RecordingRefused as refused:
        db.session.rollback()
        return error(422, RecordingRequestSchema.invalid_message, fields=refused.problems)
    answer = {"id": recording.id, "audience": recording.audience}
    db.session.commit()
    return answer
