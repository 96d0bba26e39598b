"""The public JSON API: the catalogue (read-only) and registering without an account."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import force_locale

from ..catalogue import services
from ..catalogue.models import Seminar
from ..domain import AttendanceMode
from ..extensions import db, limiter
from ..registration import services as registrations
from ..registration.details import ParticipantDetails
from ..registration.models import Registration
from ..timeutil import utcnow
from ..urls import absolute_url
from .access import error, refusal
from .blueprint import bp
from .schemas import (
    RegistrationCreatedSchema,
    RegistrationRequestSchema,
    SeminarPageSchema,
    SeminarQuerySchema,
    SeminarSchema,
)


@bp.route("/seminars", methods=["GET"])
@bp.arguments(SeminarQuerySchema, location="query", error_status_code=400)
@bp.response(200, SeminarPageSchema, description="A page of seminars")
def list_seminars(query: dict[str, Any]):
    """Public seminars, upcoming first, then past"""
    seminars, total = services.paginate(
        db.session,
        services.public_seminars_query(query["filters"], utcnow()),
        query["page"],
        query["per_page"],
    )
    return {
        "seminars": seminars,
        "page": query["page"],
        "per_page": query["per_page"],
        "total": total,
    }


@bp.route("/seminars/<id:seminar_id>", methods=["GET"])
@bp.response(200, SeminarSchema, description="The seminar")
@refusal(404, "No public seminar has this id")
def get_seminar(seminar_id: int):
    """One public seminar"""
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None or not seminar.is_public:
        return error(404, "No public seminar has this id.")
    return seminar


def _registration_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


@bp.route("/seminars/<id:seminar_id>/registrations", methods=["POST"])
@limiter.limit(_registration_limit)
@bp.arguments(RegistrationRequestSchema)
@bp.response(
    201,
    RegistrationCreatedSchema,
    description="Confirmed or waitlisted; applied for a lottery seminar (each member too)",
)
@refusal(404, "No public seminar has this id")
@refusal(409, "Already registered, or registration is not open (see code)")
@refusal(429, "Too many registrations from this address")
def create_registration(request: dict[str, Any], seminar_id: int):
    """Register for a seminar, without an account: the same rules as the form

    With `members`, a group registration (団体申込): this person is its contact, and each
    member gets their own registration; refusals name members.<n>.<field>.
    """
    details: ParticipantDetails = request["details"]
    members: list[ParticipantDetails] = request["members"]
    with force_locale(request["locale"]):
        try:
            group = _register(seminar_id, details, members, request["attendance_mode"])
        except registrations.GroupRefused as exc:
            db.session.rollback()
            fields = {_api_field(name): text for name, text in exc.problems.items()}
            return error(422, RegistrationRequestSchema.invalid_message, fields=fields)
        except registrations.AlreadyRegistered as exc:
            db.session.rollback()
            return error(409, exc.message, code=exc.code)
        except registrations.RegistrationError as exc:
            db.session.rollback()
            if exc.code == "not-found":
                return error(404, "No public seminar has this id.")
            if isinstance(exc, registrations.AttendanceModeProblem):
                return error(
                    422,
                    RegistrationRequestSchema.invalid_message,
                    fields={"attendance_mode": exc.message},
                )
            return error(409, exc.message, code=exc.code)
    registration, *others = group
    # Read before the commit, which would expire the object and cost a query per attribute.
    answer: dict[str, Any] = {
        "id": registration.id,
        "status": registration.status,
        "waitlist_position": registration.position_when_registered,
        "attendance_mode": registration.attendance_mode,
        "manage_url": absolute_url("registration.manage", token=registration.manage_token),
    }
    if members:
        answer["members"] = [
            {
                "id": member.id,
                "email": member.email,
                "status": member.status,
                "waitlist_position": member.position_when_registered,
            }
            for member in others
        ]
    db.session.commit()
    return answer


def _register(
    seminar_id: int,
    details: ParticipantDetails,
    members: list[ParticipantDetails],
    attendance_mode: AttendanceMode | None,
) -> list[Registration]:
    """One person, or a group with them as its contact (a body without members is one)."""
    common = {
        "now": utcnow(),
        "source": "api",
        "privacy_notice_version": current_app.config["PRIVACY_NOTICE_VERSION"],
        "attendance_mode": attendance_mode,
    }
    if not members:
        return [registrations.register(db.session, seminar_id, details, **common)]
    return registrations.register_group(db.session, seminar_id, details, members, **common)


def _api_field(name: str) -> str:
    """A group's field as the API names it: members-0-email → members.0.email."""
    return name.replace("-", ".")
