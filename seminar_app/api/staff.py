"""Staff endpoints of the JSON API: create and change seminars, read registrations."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from flask_babel import force_locale
from sqlalchemy import select

from ..attendance import services as attendance
from ..audit.services import record
from ..catalogue import lifecycle
from ..catalogue.models import Seminar
from ..catalogue.rules import (
    SEMINAR_FIELD_NAMES,
    SeminarFields,
    admission_problems,
    seminar_problems,
)
from ..domain import Admission, CheckInMethod, Role, SeminarStatus
from ..extensions import db
from ..registration import services as registrations
from ..registration.models import Registration
from ..reports import services as reports
from ..timeutil import utcnow
from .access import error, refusal, token_required
from .blueprint import bp
from .schemas import (
    AttendanceListSchema,
    CheckInRequestSchema,
    CheckInSchema,
    FiscalYearReportSchema,
    RegistrationListSchema,
    RegistrationRowSchema,
    SeminarCreateSchema,
    SeminarWriteSchema,
    StaffSeminarSchema,
)

#: Fields the seminar's lifecycle takes beside SeminarFields.
RUNNING_FIELDS = ("admission", "lottery_sme_priority", "waitlist_cutoff_hours", "max_group_size")


def _fields_of(seminar: Seminar) -> SeminarFields:
    return SeminarFields(**{name: getattr(seminar, name) for name in SEMINAR_FIELD_NAMES})


def _apply(fields: SeminarFields, body: dict[str, Any]) -> SeminarFields:
    for name in SEMINAR_FIELD_NAMES:
        if name in body and name != "status":  # the lifecycle changes a status
            setattr(fields, name, body[name])
    # Blank, not missing: these columns are NOT NULL.
    fields.title = fields.title or ""
    fields.description = fields.description or ""
    return fields


def _problems(fields: SeminarFields, admission: str) -> dict[str, str]:
    """The seminar's rules, in the API's language."""
    with force_locale("en"):
        problems = admission_problems(admission, fields.registration_closes_at)
        problems.update(seminar_problems(fields, utcnow()))
    return problems


def _running(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body.get(name) for name in RUNNING_FIELDS}


@bp.route("/seminars", methods=["POST"])
@token_required(Role.ORGANIZER)
@bp.arguments(SeminarCreateSchema)
@bp.response(201, StaffSeminarSchema, description="The created seminar")
def create_seminar(body: dict[str, Any]):
    """Create a seminar (staff: organizer)"""
    fields = _apply(SeminarFields(status=SeminarStatus.DRAFT), body)
    problems = _problems(fields, body.get("admission") or Admission.FIRST_COME)
    if problems:
        return error(422, SeminarCreateSchema.invalid_message, fields=problems)
    seminar = lifecycle.create_seminar(db.session, fields, [], **_running(body))
    if body["status"] == SeminarStatus.PUBLISHED:
        lifecycle.publish(db.session, seminar, utcnow())
    db.session.commit()
    return seminar


@bp.route("/seminars/<id:seminar_id>", methods=["PATCH"])
@token_required(Role.ORGANIZER)
@bp.arguments(SeminarWriteSchema)
@bp.response(200, StaffSeminarSchema, description="The changed seminar")
@refusal(404, "No seminar has this id")
@refusal(409, "The status change is not possible, or the admission cannot change any more")
def update_seminar(body: dict[str, Any], seminar_id: int):
    """Change a seminar (staff: organizer)

    A new time or place sends calendar updates; status cancelled sends cancellations.
    """
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        return error(404, "No seminar has this id.")
    fields = _apply(_fields_of(seminar), body)
    status = body.get("status", seminar.status)
    problems = _problems(fields, body.get("admission") or seminar.admission)
    problems.pop("status", None)  # the lifecycle judges a change of status
    if problems:
        return error(422, SeminarWriteSchema.invalid_message, fields=problems)
    try:
        with force_locale("en"):
            lifecycle.change_seminar(
                db.session, seminar.id, fields, list(seminar.lecturers), utcnow(), **_running(body)
            )
            # change_seminar took the seminar's lock in this transaction.
            lifecycle.change_status(
                db.session, seminar, status, utcnow(), reason="API", locked=True
            )
    except lifecycle.SeminarActionError as exc:
        db.session.rollback()
        return error(409, str(exc))
    db.session.commit()
    return seminar


@bp.route("/seminars/<id:seminar_id>/registrations", methods=["GET"])
@token_required(Role.ORGANIZER)
@bp.response(200, RegistrationListSchema, description="The registrations")
@refusal(404, "No seminar has this id")
def list_registrations(seminar_id: int):
    """Every registration of a seminar (staff: organizer)"""
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        return error(404, "No seminar has this id.")
    rows = db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar.id).order_by(Registration.id)
    ).all()
    positions = registrations.waitlist_positions(db.session, seminar.id)
    items = RegistrationRowSchema(many=True, exclude=["waitlist_position"]).dump(rows)
    for item in items:
        item["waitlist_position"] = positions.get(item["id"])
    record(
        db.session,
        "registration.exported",
        "seminar",
        seminar.id,
        actor=g.api_user,
        details={"format": "api", "rows": len(items)},
    )
    # Dumped before the commit, which would expire the rows and cost a query per attribute.
    db.session.commit()
    return jsonify(registrations=items, total=len(items))


@bp.route("/seminars/<id:seminar_id>/attendance", methods=["GET"])
@token_required(Role.ORGANIZER)
@bp.response(200, AttendanceListSchema, description="Every confirmed registration")
@refusal(404, "No seminar has this id")
def list_attendance(seminar_id: int):
    """Every confirmed registration with how they attended (staff: organizer)"""
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        return error(404, "No seminar has this id.")
    items = [
        {
            "registration_id": row.registration.id,
            "name": row.registration.name,
            "name_kana": row.registration.name_kana,
            "organization": row.registration.organization,
            "email": row.registration.email,
            "attended": row.attended,
            "how": row.how or None,
            "checked_in_at": row.check_in.checked_in_at if row.check_in else None,
            "online_minutes": row.online.minutes if row.online else None,
            "first_joined_at": row.online.first_joined_at if row.online else None,
        }
        for row in attendance.attendance_rows(db.session, seminar.id)
    ]
    # Personal data leaves the system: recorded as the console's export is.
    record(
        db.session,
        "attendance.exported",
        "seminar",
        seminar.id,
        actor=g.api_user,
        details={"format": "api", "rows": len(items)},
    )
    db.session.commit()
    return {
        "attendance": items,
        "total": len(items),
        "attended": sum(item["attended"] for item in items),
    }


@bp.route("/checkins", methods=["POST"])
@token_required(Role.ORGANIZER, Role.RECEPTION)
@bp.arguments(CheckInRequestSchema)
@bp.response(201, CheckInSchema, description="Checked in now")
@bp.alt_response(
    200,
    schema=CheckInSchema,
    description="Already checked in (already_checked_in true, checked_in_at the first time)",
    success=True,
)
@refusal(404, "No seminar or no ticket with this code")
@refusal(409, "Cancelled, waitlisted, or another seminar's ticket (see code)")
def create_checkin(body: dict[str, Any]):
    """Check in a ticket (staff: organizer or reception); safe to retry"""
    result = attendance.check_in_code(
        db.session,
        body["seminar_id"],
        body["code"],
        by=g.api_user,
        method=CheckInMethod.API,
        desk="api",
        now=utcnow(),
    )
    if result.outcome == attendance.Outcome.NO_SEMINAR:
        return error(404, "No published seminar has this id.")
    if result.outcome == attendance.Outcome.UNKNOWN:
        return error(404, "No ticket has this code.", code=result.outcome.value)
    if not result.admitted:
        return error(409, "This ticket does not admit to this seminar.", code=result.outcome.value)
    registration, check_in = result.registration, result.check_in
    assert registration is not None and check_in is not None  # admitted: both are known
    already = result.outcome == attendance.Outcome.ALREADY
    # Read before the commit, which would expire the objects and cost a query each.
    answer = {
        "registration_id": registration.id,
        "name": registration.name,
        "organization": registration.organization,
        "checked_in_at": check_in.checked_in_at,
        "already_checked_in": already,
    }
    db.session.commit()
    return answer, (200 if already else 201)


@bp.route("/reports/fiscal-years/<fy:fiscal_year>", methods=["GET"])
@token_required(Role.ORGANIZER)
@bp.response(200, FiscalYearReportSchema, description="The year's figures")
@refusal(404, "Outside the years the system knows")
def fiscal_year_report(fiscal_year: int):
    """Figures of a fiscal year (April–March, JST), every desk together; a figure nobody
    recorded is null, never 0 (staff: organizer)"""
    # The report's figures are passed on whole; the schema documents them.
    return jsonify(reports.fiscal_year_figures(db.session, fiscal_year, utcnow()).as_dict())
