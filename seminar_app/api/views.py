"""Read-only JSON API of the public catalogue, described by /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import force_locale

from ..catalogue import services
from ..catalogue.models import Seminar
from ..extensions import db, limiter
from ..registration import services as registrations
from ..registration.details import DETAIL_FIELDS, parse_details
from ..timeutil import utcnow
from ..urls import absolute_url
from .access import error
from .openapi import openapi_document

bp = Blueprint("api", __name__)

MAX_PER_PAGE = 100


def seminar_json(seminar: Seminar) -> dict[str, Any]:
    """The public representation; the meeting URL is deliberately absent."""

    def iso(moment):
        return moment.isoformat() if moment is not None else None

    return {
        "id": seminar.id,
        "slug": seminar.slug,
        "title": seminar.title,
        "title_en": seminar.title_en,
        "description": seminar.description,
        "description_en": seminar.description_en,
        "series": seminar.series,
        "level": seminar.level,
        "host_type": seminar.host_type,
        "delivery": seminar.delivery,
        "status": seminar.status,
        "starts_at": iso(seminar.starts_at),
        "ends_at": iso(seminar.ends_at),
        "venue": seminar.venue,
        "capacity": seminar.capacity,
        "seats_left": services.seats_left(seminar),
        "admission": seminar.admission,
        "registration_opens_at": iso(seminar.registration_opens_at),
        "registration_closes_at": iso(seminar.registration_closes_at),
        "fiscal_year": seminar.fiscal_year,
        "host_organization": seminar.host_organization,
        "external_url": seminar.external_url,
        "lecturers": [
            {"name": user.display_name, "name_en": user.display_name_en, "title": user.title}
            for user in seminar.lecturers
        ],
    }


def _bad_request(error: services.FilterError):
    return jsonify(error=error.message, field=error.field, status=400), 400


@bp.get("/seminars")
def list_seminars():
    with force_locale("en"):
        unknown = sorted(
            set(request.args)
            - {
                "level",
                "series",
                "delivery",
                "host_type",
                "fiscal_year",
                "upcoming",
                "page",
                "per_page",
            }
        )
        if unknown:
            return _bad_request(
                services.FilterError(unknown[0], f"Unknown query parameter “{unknown[0]}”.")
            )
        try:
            filters = services.parse_filters(request.args)
            page = services.parse_page(request.args)
            per_page = services.parse_page(
                request.args, "per_page", default=20, maximum=MAX_PER_PAGE
            )
        except services.FilterError as error:
            return _bad_request(error)
    seminars, total = services.paginate(
        db.session, services.public_seminars_query(filters, utcnow()), page, per_page
    )
    return jsonify(
        seminars=[seminar_json(seminar) for seminar in seminars],
        page=page,
        per_page=per_page,
        total=total,
    )


@bp.get("/seminars/<id:seminar_id>")
def get_seminar(seminar_id: int):
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None or not seminar.is_public:
        return jsonify(error="No public seminar has this id.", status=404), 404
    return jsonify(seminar_json(seminar))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(current_app.config["BASE_URL"]))


REGISTRATION_FIELDS = {*DETAIL_FIELDS, "locale", "privacy_notice_agreed"}


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


@bp.post("/seminars/<id:seminar_id>/registrations")
@limiter.limit(_registration_limit)
def create_registration(seminar_id: int):
    """Register without an account: the same rules as the form."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "Send a JSON object.")
    with force_locale(body.get("locale") if body.get("locale") in ("ja", "en") else "en"):
        errors = {name: "unknown field" for name in set(body) - REGISTRATION_FIELDS}
        details, problems = parse_details(body)
        errors.update(problems)
        if body.get("privacy_notice_agreed") is not True:
            errors["privacy_notice_agreed"] = "The privacy notice must be agreed to (true)."
        if errors:
            return error(422, "Some fields are not valid.", fields=errors)
        try:
            registration = registrations.register(
                db.session,
                seminar_id,
                details,
                now=utcnow(),
                source="api",
                privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
            )
        except registrations.AlreadyRegistered as exc:
            db.session.rollback()
            return error(409, exc.message, code=exc.code)
        except registrations.RegistrationError as exc:
            db.session.rollback()
            if exc.code == "not-found":
                return error(404, "No public seminar has this id.")
            return error(409, exc.message, code=exc.code)
    # Read before the commit, which would expire the object and cost a query per attribute.
    answer = {
        "id": registration.id,
        "status": registration.status,
        "waitlist_position": registration.position_when_registered,
        "manage_url": absolute_url("registration.manage", token=registration.manage_token),
    }
    db.session.commit()
    return jsonify(answer), 201
