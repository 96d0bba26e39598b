"""The check-in desk: a scanner field, the phone's camera, name search, walk-ins."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..auth.access import require_roles_for_blueprint
from ..catalogue.models import Seminar
from ..domain import CheckInMethod, Role, SeminarStatus
from ..extensions import db
from ..i18n import current_language, safe_next
from ..registration.forms import DetailsForm
from ..registration.models import Registration
from ..registration.services import AlreadyRegistered
from ..text import normalize_text
from ..timeutil import utcnow
from . import offline, services
from .models import CheckIn
from .tickets import MAX_PHOTO_PIXELS, DecoderUnavailable, PhotoUnreadable, codes_in_photo

bp = Blueprint("desk", __name__)
require_roles_for_blueprint(bp, Role.ORGANIZER, Role.RECEPTION)

RESULT_KEY = "desk_result"
DESK_NAME_KEY = "desk_name"
MAX_PHOTO_BYTES = 15 * 1024 * 1024
#: The desk page asks for its copy to keep offline with this header (desk-offline.js).
OFFLINE_COPY_HEADER = "X-Desk-Copy"
#: The service worker's source, among the static files, served from /desk/ (its scope).
WORKER_FILE = "desk-sw.js"


def _desk_name() -> str:
    """The name this desk gave itself, else the device's address, for the audit log."""
    return session.get(DESK_NAME_KEY) or (request.remote_addr or "desk")[:60]


def _seminar(seminar_id: int) -> Seminar:
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None or seminar.status != SeminarStatus.PUBLISHED:
        abort(404)
    return seminar


def _remember(result: services.CheckInResult) -> None:
    """Keep the answer for the page the desk is sent back to (post/redirect/get).

    Only the outcome and an id go into the session cookie; names stay in the database.
    """
    registration = result.registration
    session[RESULT_KEY] = {
        "outcome": result.outcome.value,
        "registration_id": registration.id if registration else None,
    }


def _recall() -> dict | None:
    """The remembered answer, with the person and their check-in read afresh."""
    remembered = session.pop(RESULT_KEY, None)
    if not isinstance(remembered, dict):
        return None
    registration_id = remembered.get("registration_id")
    registration = db.session.get(Registration, registration_id) if registration_id else None
    check_in = None
    if registration is not None:
        check_in = db.session.scalar(
            select(CheckIn).where(CheckIn.registration_id == registration.id)
        )
    return {
        "outcome": remembered.get("outcome"),
        "registration": registration,
        "check_in": check_in,
    }


def _check_in_and_return(seminar: Seminar, code: str | None, method: CheckInMethod):
    result = services.check_in_code(
        db.session,
        seminar.id,
        code,
        by=current_user,
        method=method,
        desk=_desk_name(),
        now=utcnow(),
    )
    db.session.commit()
    _remember(result)
    return _back(seminar.id)


def _back(seminar_id: int):
    return redirect(url_for("desk.desk", seminar_id=seminar_id), 303)


@bp.get("/")
def index():
    now = utcnow()
    seminars = db.session.scalars(
        select(Seminar)
        .where(
            Seminar.status == SeminarStatus.PUBLISHED,
            Seminar.ends_at >= now - timedelta(days=1),
            Seminar.starts_at <= now + services.DESK_LEAD_TIME,
        )
        .order_by(Seminar.starts_at)
    ).all()
    return render_template(
        "attendance/index.html", seminars=seminars, desk_name=session.get(DESK_NAME_KEY, "")
    )


@bp.post("/name")
def name_desk():
    session[DESK_NAME_KEY] = normalize_text(request.form.get("desk_name"))[:60]
    flash(
        _(
            "This device is now called “%(name)s” in the check-in log.",
            name=session[DESK_NAME_KEY] or _desk_name(),
        ),
        "success",
    )
    return redirect(safe_next(request.form.get("next"), url_for("desk.index")), 303)


@bp.get("/service-worker.js")
def service_worker():
    """The desk's service worker: served from /desk/ so that its scope covers the desk of
    every seminar, and never cached, so that a new version reaches every desk."""
    response = send_from_directory(
        Path(current_app.root_path, "static"),
        WORKER_FILE,
        mimetype="application/javascript",
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<id:seminar_id>")
def desk(seminar_id: int):
    seminar = _seminar(seminar_id)
    if request.headers.get(OFFLINE_COPY_HEADER) == "offline":
        return _offline_copy(seminar)
    return _desk_page(seminar, (request.args.get("q") or "").strip()[:100])


def _desk_page(seminar: Seminar, query: str = "", status: int = 200):
    checked_in, confirmed = services.counts(db.session, seminar.id)
    row = request.args.get("row", "")
    row = row if row in (*services.KANA_ROWS, services.OTHER_ROW) else ""
    people, rows = services.desk_list(db.session, seminar.id, row or None)
    return _render_desk(
        seminar,
        result=_recall(),
        query=query,
        matches=services.search(db.session, seminar.id, query) if query else [],
        people=people,
        rows=rows,
        row=row,
        checked_in=checked_in,
        confirmed=confirmed,
        online_people=services.online_list(db.session, seminar.id),
    ), status


def _offline_copy(seminar: Seminar):
    """The desk page the service worker keeps for offline use: nobody's data in it (the
    page fills its lists from the roster the browser keeps), and no answer or message
    meant for the next page taken from the session."""
    waiting = session.pop("_flashes", None)
    page = _render_desk(
        seminar,
        result=None,
        query="",
        matches=[],
        people=[],
        rows=[],
        row="",
        checked_in=0,
        confirmed=0,
        online_people=[],
        offline_copy=True,
    )
    if waiting is not None:
        session["_flashes"] = waiting
    return page


def _render_desk(seminar: Seminar, *, offline_copy: bool = False, **lists) -> str:
    return render_template(
        "attendance/desk.html",
        seminar=seminar,
        desk_name=session.get(DESK_NAME_KEY),
        desk_label=_desk_name(),
        desk_strings=offline.desk_strings(),
        kana_rows=[*services.KANA_ROWS, services.OTHER_ROW],
        offline_copy=offline_copy,
        **lists,
    )


@bp.get("/<id:seminar_id>/roster")
def roster(seminar_id: int):
    """What the desk keeps to admit people offline (JSON), never stored by any cache; 304
    when the desk has it already (If-None-Match). The CSRF token for the check-ins it
    sends comes along in a header: a desk page kept offline may hold an older one."""
    seminar = _seminar(seminar_id)
    response = jsonify(registrations=offline.roster_json(services.desk_roster(db.session, seminar)))
    response.add_etag()
    response.make_conditional(request)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-CSRF-Token"] = generate_csrf()
    return response


@bp.post("/<id:seminar_id>/sync")
def sync(seminar_id: int):
    """The check-ins a desk kept (offline, or not sent yet): a JSON list, the CSRF token in
    the X-CSRFToken header; each is recorded with its own moment and answered."""
    seminar = _seminar(seminar_id)
    items = request.get_json(silent=True)
    if not isinstance(items, list) or len(items) > offline.MAX_REPORTS:
        return jsonify(
            error=_(
                "Send a list of at most %(n)d check-ins.",
                n=offline.MAX_REPORTS,
            )
        ), 400
    answers = offline.answer_reports(
        db.session, seminar, items, by=current_user, desk=_desk_name(), now=utcnow()
    )
    db.session.commit()
    response = jsonify(answers=answers)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<id:seminar_id>/count")
def count(seminar_id: int):
    checked_in, confirmed = services.counts(db.session, _seminar(seminar_id).id)
    return jsonify(checked_in=checked_in, confirmed=confirmed)


@bp.post("/<id:seminar_id>/scan")
def scan(seminar_id: int):
    seminar = _seminar(seminar_id)
    return _check_in_and_return(seminar, request.form.get("code"), CheckInMethod.SCAN)


@bp.post("/<id:seminar_id>/photo")
def photo(seminar_id: int):
    """Phones without live scanning send a photo; the server reads the QR in it."""
    seminar = _seminar(seminar_id)
    upload = request.files.get("photo")
    data = upload.read(MAX_PHOTO_BYTES + 1) if upload else b""
    if not data:
        flash(_("Take a photo of the ticket's QR code, then send it."), "error")
        return _back(seminar.id)
    if len(data) > MAX_PHOTO_BYTES:
        flash(
            _(
                "The photo is larger than %(megabytes)d MB. Take it again at a lower "
                "resolution, or search by name.",
                megabytes=MAX_PHOTO_BYTES // (1024 * 1024),
            ),
            "error",
        )
        return _desk_page(seminar, status=400)
    try:
        codes = codes_in_photo(data)
    except DecoderUnavailable:
        current_app.logger.error("photo check-in: zbar is not installed on this server")
        flash(_("Reading photos is not available on this server; use the search."), "error")
        return _back(seminar.id)
    except PhotoUnreadable as exc:
        # The desk page again, with the reason, and a 400: nothing was checked in.
        if exc.reason == PhotoUnreadable.TOO_MANY_PIXELS:
            message = _(
                "The photo is too large (more than %(megapixels)d million pixels). Take it "
                "again at a lower resolution, or search by name.",
                megapixels=MAX_PHOTO_PIXELS // 1_000_000,
            )
        else:
            message = _(
                "The file could not be read as a photo (JPEG, PNG, WebP or GIF). Take a "
                "photo of the QR code again, or search by name."
            )
        flash(message, "error")
        return _desk_page(seminar, status=400)
    if not codes:
        flash(
            _(
                "No QR code could be read in the photo. Hold the phone closer and try "
                "again, or search by name."
            ),
            "error",
        )
        return _back(seminar.id)
    return _check_in_and_return(seminar, codes[0], CheckInMethod.PHOTO)


@bp.post("/<id:seminar_id>/registrations/<id:registration_id>/check-in")
def check_in(seminar_id: int, registration_id: int):
    seminar = _seminar(seminar_id)
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404)
    result = services.admit(
        db.session,
        registration,
        seminar.id,
        by=current_user,
        method=CheckInMethod.SEARCH,
        desk=_desk_name(),
        now=utcnow(),
    )
    db.session.commit()
    _remember(result)
    return _back(seminar.id)


@bp.post("/<id:seminar_id>/registrations/<id:registration_id>/undo")
def undo(seminar_id: int, registration_id: int):
    seminar = _seminar(seminar_id)
    if services.undo(db.session, seminar.id, registration_id, by=current_user, desk=_desk_name()):
        db.session.commit()
        flash(_("The check-in was undone."), "success")
    else:
        flash(_("There was no check-in to undo."), "error")
    return _back(seminar.id)


@bp.route("/<id:seminar_id>/walk-in", methods=["GET", "POST"])
def walk_in(seminar_id: int):
    seminar = _seminar(seminar_id)
    form = DetailsForm(language=current_language())
    if form.validate_on_submit():
        try:
            registration, over = services.walk_in(
                db.session,
                seminar.id,
                form.valid_details,
                by=current_user,
                desk=_desk_name(),
                now=utcnow(),
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            )
        except AlreadyRegistered as exc:
            db.session.rollback()
            form.email.errors = [
                *form.email.errors,
                _("Already registered: find the person with the search and check them in."),
            ]
            del exc
        else:
            db.session.commit()
            flash(_("%(name)s is registered and checked in.", name=registration.name), "success")
            if over:
                flash(
                    _("The seminar is now over its capacity of %(n)d.", n=seminar.capacity or 0),
                    "warning",
                )
            return _back(seminar.id)
    return render_template("attendance/walk_in.html", seminar=seminar, form=form), (
        400 if form.errors else 200
    )


@bp.get("/<id:seminar_id>/sheet")
def sheet(seminar_id: int):
    """受付名簿: an A4 list to print, for a reception that loses its network."""
    seminar = _seminar(seminar_id)
    return render_template(
        "attendance/sheet.html",
        seminar=seminar,
        rows=services.attendance_rows(db.session, seminar.id),
        now=utcnow(),
    )
