"""Staff endpoint of the JSON API: upload a seminar's materials, as the lecturer's page does."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_babel import force_locale

from ..catalogue.models import Seminar
from ..domain import SPEAKERS, Audience, Role
from ..extensions import db
from ..materials import services
from ..materials.validation import UploadRefused, check_upload
from ..materials.views import REFUSALS
from ..urls import absolute_url
from .access import error, refusal, token_required
from .blueprint import bp
from .schemas import MaterialCreatedSchema, MaterialUploadSchema


@bp.route("/seminars/<id:seminar_id>/materials", methods=["POST"])
@token_required(*SPEAKERS, Role.ORGANIZER)
@bp.arguments(MaterialUploadSchema, location="multipart")
@bp.response(201, MaterialCreatedSchema, description="The material is uploaded")
@refusal(404, "No seminar has this id")
def upload_material(form: dict[str, Any], seminar_id: int):
    """Upload a material (staff: organizer, or a lecturer of the seminar)"""
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        return error(404, "No seminar has this id.")
    if not services.may_manage(g.api_user, seminar):
        return error(403, "This token's account does not manage this seminar's materials.")
    file = form["file"]
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        upload = check_upload(file.filename, file.read(limit + 1), limit)
    except UploadRefused as exc:
        with force_locale("en"):
            message = str(REFUSALS[exc.code])
        return error(422, MaterialUploadSchema.invalid_message, fields={"file": message})
    material = services.add_material(
        db.session,
        seminar,
        form["title"],
        Audience(form["audience"]),
        form.get("visible_from"),
        upload,
        by=g.api_user,
    )
    answer = {
        "id": material.id,
        "url": absolute_url("materials.staff_download", material_id=material.id),
    }
    db.session.commit()
    return answer
