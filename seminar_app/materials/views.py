"""Lecturers upload materials; participants download what their registration allows."""

from __future__ import annotations

import io
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..auth.access import roles_required
from ..catalogue.models import Seminar
from ..catalogue.services import public_seminar_by_slug
from ..domain import SPEAKERS, Audience, Role
from ..extensions import db
from ..registration.models import Registration
from ..registration.services import by_manage_token
from ..text import normalize_text
from ..timeutil import JST, utcnow
from . import services
from .models import Material
from .validation import UploadRefused, check_upload

bp = Blueprint("materials", __name__)


@bp.app_template_global("participant_materials")
def participant_materials(registration: Registration, now: datetime) -> list[Material]:
    """What a participant's own pages (registration/manage.html, overview.html) offer to
    download: registration sits below materials and leaves the asking to its templates."""
    return services.materials_for(db.session, registration, now)


REFUSALS = {
    "no-name": _l("The file has no name."),
    "control-characters": _l("The file name contains control characters; rename the file."),
    "path": _l("The file name must not contain folders or begin with a dot."),
    "name-too-long": _l("The file name is too long (200 characters at most)."),
    "kind": _l("Upload PDF, PowerPoint, Word, Excel, images (PNG, JPEG, GIF) or ZIP."),
    "empty": _l("The file is empty."),
    "too-large": _l("The file is too large."),
    "content-mismatch": _l("The file's content does not match its extension."),
}


def _managed_seminar(seminar_id: int) -> Seminar:
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        abort(404)
    if not services.may_manage(current_user, seminar):
        abort(403)
    g.private_page = True
    return seminar


def _managed_material(material_id: int) -> Material:
    material = db.session.get(Material, material_id)
    if material is None or material.deleted_at is not None:
        abort(404)
    _managed_seminar(material.seminar_id)
    return material


def _checked_upload():
    upload = request.files.get("file")
    data = upload.read(current_app.config["MAX_CONTENT_LENGTH"] + 1) if upload else b""
    try:
        return check_upload(
            upload.filename if upload else "", data, current_app.config["MAX_CONTENT_LENGTH"]
        ), None
    except UploadRefused as exc:
        return None, str(REFUSALS[exc.code])


def _visible_from() -> tuple[datetime | None, str | None]:
    raw = (request.form.get("visible_from") or "").strip()
    if not raw:
        return None, None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=JST), None
    except ValueError:
        return None, str(_("Enter the date and time as shown in the field."))


def send_material(material: Material):
    """The material's current version as a download, never kept by a cache."""
    version = material.current
    data = services.storage().read(version.storage_key)
    # send_file writes an ASCII fallback and an RFC 5987 filename* for Japanese names.
    response = send_file(
        io.BytesIO(data),
        mimetype=version.content_type,
        as_attachment=True,
        download_name=version.filename,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/lecturer/")
@roles_required(*SPEAKERS, Role.ORGANIZER)
def lecturer_home():
    return render_template(
        "materials/lecturer_home.html", rows=services.lecturer_seminars(db.session, current_user)
    )


@bp.route("/lecturer/seminars/<id:seminar_id>", methods=["GET", "POST"])
@roles_required(*SPEAKERS, Role.ORGANIZER)
def seminar_materials(seminar_id: int):
    seminar = _managed_seminar(seminar_id)
    problem = None
    if request.method == "POST":
        title = normalize_text(request.form.get("title"))[:200]
        audience = request.form.get("audience", "")
        visible_from, problem = _visible_from()
        if not title:
            problem = str(_("Give the material a title."))
        elif audience not in {member.value for member in Audience}:
            problem = str(_("Choose who may download it."))
        if problem is None:
            upload, problem = _checked_upload()
        if problem is None:
            services.add_material(
                db.session,
                seminar,
                title,
                Audience(audience),
                visible_from,
                upload,
                by=current_user,
            )
            db.session.commit()
            flash(_("The material is uploaded."), "success")
            return redirect(url_for("materials.seminar_materials", seminar_id=seminar.id), 303)
    seated, came = services.attendance_counts(db.session, seminar.id)
    return render_template(
        "materials/seminar.html",
        seminar=seminar,
        seated=seated,
        came=came,
        materials=services.visible_materials(db.session, seminar.id),
        audiences=list(Audience),
        default_audience=Audience.REGISTRANTS,  # opening a file to everyone is a choice
        problem=problem,
        now=utcnow(),
    ), (400 if problem else 200)


@bp.post("/lecturer/materials/<id:material_id>/replace")
@roles_required(*SPEAKERS, Role.ORGANIZER)
def replace(material_id: int):
    material = _managed_material(material_id)
    upload, problem = _checked_upload()
    if problem:
        flash(problem, "error")
    else:
        services.replace(db.session, material, upload, by=current_user)
        db.session.commit()
        flash(_("The material is replaced; the earlier version is kept."), "success")
    return redirect(url_for("materials.seminar_materials", seminar_id=material.seminar_id), 303)


@bp.route("/lecturer/materials/<id:material_id>/delete", methods=["GET", "POST"])
@roles_required(*SPEAKERS, Role.ORGANIZER)
def delete(material_id: int):
    material = _managed_material(material_id)
    if request.method == "GET":
        return render_template("materials/delete.html", material=material)
    services.delete(db.session, material, by=current_user, now=utcnow())
    db.session.commit()
    flash(_("The material is deleted."), "success")
    return redirect(url_for("materials.seminar_materials", seminar_id=material.seminar_id), 303)


@bp.get("/lecturer/materials/<id:material_id>/download")
@roles_required(*SPEAKERS, Role.ORGANIZER)
def staff_download(material_id: int):
    return send_material(_managed_material(material_id))


@bp.get("/seminars/<slug>/materials/<id:material_id>")
def public_download(slug: str, material_id: int):
    seminar = public_seminar_by_slug(db.session, slug)
    material = db.session.get(Material, material_id)
    if seminar is None or material is None or material.seminar_id != seminar.id:
        abort(404)
    answer = services.material_access(db.session, material, None, utcnow())
    if answer is not services.Access.OPEN:
        abort(int(answer))
    return send_material(material)


@bp.get("/r/<token>/materials/<id:material_id>")
def participant_download(token: str, material_id: int):
    g.private_page = True
    registration = by_manage_token(db.session, token)
    material = db.session.get(Material, material_id)
    if registration is None or material is None:
        abort(404)
    answer = services.material_access(db.session, material, registration, utcnow())
    if answer is not services.Access.OPEN:
        abort(int(answer))
    return send_material(material)
