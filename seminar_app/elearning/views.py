"""Recordings: organizers attach and publish them; participants open them through us."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import roles_required
from ..catalogue.models import Seminar
from ..catalogue.services import public_seminar_by_slug
from ..domain import RecordingAudience, Role
from ..extensions import db
from ..materials.services import Access
from ..registration.models import Registration
from ..registration.services import by_manage_token
from ..text import normalize_text
from ..timeutil import JST, utcnow
from . import services
from .models import Recording

bp = Blueprint("elearning", __name__)


@bp.app_template_global("participant_recordings")
def participant_recordings(registration: Registration, now: datetime) -> list[Recording]:
    """What a participant's own pages (registration/manage.html, overview.html) offer to
    watch: registration sits below elearning and leaves the asking to its templates."""
    return services.recordings_for(db.session, registration, now)


def _moment(name: str) -> datetime | None:
    raw = (request.form.get(name) or "").strip()
    return datetime.fromisoformat(raw).replace(tzinfo=JST) if raw else None


@bp.route("/console/seminars/<id:seminar_id>/recordings", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def manage(seminar_id: int):
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        abort(404)
    problem = None
    if request.method == "POST":
        try:
            opens, closes = _moment("available_from"), _moment("available_until")
        except ValueError:
            problem = _("Enter the dates as shown in the fields.")
        else:
            try:
                services.add_recording(
                    db.session,
                    seminar,
                    title=normalize_text(request.form.get("title"))[:200],
                    url=(request.form.get("url") or "").strip(),
                    audience=request.form.get("audience", ""),
                    available_from=opens,
                    available_until=closes,
                    by=current_user,
                )
            except services.RecordingRefused as refused:
                problem = str(refused)
            else:
                db.session.commit()
                flash(_("The recording is added. Publish it to tell its audience."), "success")
                return redirect(url_for("elearning.manage", seminar_id=seminar.id), 303)
    return render_template(
        "elearning/manage.html",
        seminar=seminar,
        audiences=list(RecordingAudience),
        default_audience=RecordingAudience.REGISTRANTS,  # as for materials
        recordings=services.seminar_recordings(db.session, seminar),
        problem=problem,
    ), (400 if problem else 200)


@bp.post("/console/recordings/<id:recording_id>/publish")
@roles_required(Role.ORGANIZER)
def publish(recording_id: int):
    recording = db.session.get(Recording, recording_id)
    if recording is None:
        abort(404)
    if recording.published_at is not None:
        flash(_("This recording was already published."), "error")
    else:
        told = services.publish(db.session, recording, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("Published: %(n)d people are told by mail.", n=told), "success")
    return redirect(url_for("elearning.manage", seminar_id=recording.seminar_id), 303)


def _open(recording: Recording, registration: Registration | None):
    services.record_view(db.session, recording, registration, utcnow())
    db.session.commit()
    response = redirect(recording.url, 302)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/r/<token>/recordings/<id:recording_id>")
def participant_open(token: str, recording_id: int):
    g.private_page = True
    registration = by_manage_token(db.session, token)
    recording = db.session.get(Recording, recording_id)
    if registration is None or recording is None:
        abort(404)
    answer = services.recording_access(db.session, recording, registration, utcnow())
    if answer is not Access.OPEN:
        abort(int(answer))
    return _open(recording, registration)


@bp.get("/seminars/<slug>/recordings/<id:recording_id>")
def public_open(slug: str, recording_id: int):
    seminar = public_seminar_by_slug(db.session, slug)
    recording = db.session.get(Recording, recording_id)
    if seminar is None or recording is None or recording.seminar_id != seminar.id:
        abort(404)
    answer = services.recording_access(db.session, recording, None, utcnow())
    if answer is not Access.OPEN:
        abort(int(answer))
    return _open(recording, None)
