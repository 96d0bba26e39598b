"""Staff endpoints of the JSON API: create and change seminars, read registrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, jsonify, request
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
from .access import error, token_required
from .views import bp, seminar_json

#: Fields of a seminar that the API writes, and the JSON types they take.
TIME_FIELDS = tuple(name for name in SEMINAR_FIELD_NAMES if name.endswith("_at"))
TEXT_FIELDS = tuple(
    name for name in SEMINAR_FIELD_NAMES if name not in (*TIME_FIELDS, "capacity", "status")
)
REQUIRED_ON_CREATE = (
    "title",
    "series",
    "host_type",
    "delivery",
    "starts_at",
    "ends_at",
    "capacity",
)
WRITABLE = {
    *TEXT_FIELDS,
    *TIME_FIELDS,
    "capacity",
    "status",
    "waitlist_cutoff_hours",
    "admission",
    "lottery_sme_priority",
}


def staff_seminar_json(seminar: Seminar) -> dict[str, Any]:
    return {
        **seminar_json(seminar),
        "meeting_url": seminar.meeting_url,
        "waitlist_cutoff_hours": seminar.waitlist_cutoff_hours,
        "lottery_sme_priority": bool(seminar.lottery_sme_priority),
        "lottery_drawn_at": (
            seminar.lottery_drawn_at.isoformat() if seminar.lottery_drawn_at else None
        ),
        "lottery_seed": seminar.lottery_seed,
    }


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-12-15T14:00:00+09:00")
    return moment


def _read_body(fields: SeminarFields, body: dict[str, Any], errors: dict[str, str]) -> None:
    for name in TEXT_FIELDS:
        if name in body:
            value = body[name]
            if value is not None and not isinstance(value, str):
                errors[name] = "must be a string or null"
            else:
                setattr(fields, name, value.strip() or None if isinstance(value, str) else None)
    if "title" in body and not errors.get("title"):
        fields.title = fields.title or ""
    if "description" in body and not errors.get("description"):
        fields.description = fields.description or ""  # blank, not missing (NOT NULL)
    for name in TIME_FIELDS:
        if name in body:
            try:
                setattr(fields, name, None if body[name] is None else _parse_time(body[name]))
            except ValueError as exc:
                errors[name] = str(exc)
    if "capacity" in body:
        value = body["capacity"]
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            errors["capacity"] = "must be a whole number or null"
        else:
            fields.capacity = value


def _fields_of(seminar: Seminar) -> SeminarFields:
    return SeminarFields(**{name: getattr(seminar, name) for name in SEMINAR_FIELD_NAMES})


def _body() -> tuple[dict[str, Any] | None, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None, error(400, "Send a JSON object.")
    unknown = sorted(set(body) - WRITABLE)
    if unknown:
        return None, error(
            422, "Unknown fields.", fields={name: "unknown field" for name in unknown}
        )
    return body, None


def _cutoff(body: dict[str, Any], errors: dict[str, str]) -> int | None:
    value = body.get("waitlist_cutoff_hours")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24 * 60:
        errors["waitlist_cutoff_hours"] = "must be a whole number of hours from 0 to 1440"
        return None
    return value


def _admission(
    body: dict[str, Any], errors: dict[str, str], closes_at: datetime | None, current: str
) -> tuple[str | None, bool | None]:
    """The admission and SME priority the body asks for (None: not given)."""
    admission = body.get("admission")
    if "admission" in body and (
        not isinstance(admission, str) or admission not in {member.value for member in Admission}
    ):
        errors["admission"] = "one of " + ", ".join(member.value for member in Admission)
        admission = None
    sme_priority = body.get("lottery_sme_priority")
    if "lottery_sme_priority" in body and not isinstance(sme_priority, bool):
        errors["lottery_sme_priority"] = "must be true or false"
        sme_priority = None
    if "admission" not in errors:
        with force_locale("en"):
            for name, message in admission_problems(admission or current, closes_at).items():
                errors.setdefault(name, message)
    return admission, sme_priority


@bp.post("/seminars")
@token_required(Role.ORGANIZER)
def create_seminar():
    body, failure = _body()
    if failure:
        return failure
    errors = {name: "required" for name in REQUIRED_ON_CREATE if body.get(name) is None}
    fields = SeminarFields(status=SeminarStatus.DRAFT)
    _read_body(fields, body, errors)
    cutoff = _cutoff(body, errors)
    admission, sme_priority = _admission(
        body, errors, fields.registration_closes_at, Admission.FIRST_COME
    )
    status = body.get("status", SeminarStatus.DRAFT)
    if status not in (SeminarStatus.DRAFT, SeminarStatus.PUBLISHED):
        errors["status"] = "a new seminar is draft or published"
    if not errors:
        with force_locale("en"):
            errors.update(seminar_problems(fields, utcnow()))
    if errors:
        return error(422, "The seminar is not valid.", fields=errors)
    seminar = lifecycle.create_seminar(
        db.session,
        fields,
        [],
        admission=admission,
        lottery_sme_priority=sme_priority,
        waitlist_cutoff_hours=cutoff,
    )
    if status == SeminarStatus.PUBLISHED:
        lifecycle.publish(db.session, seminar, utcnow())
    db.session.commit()
    return jsonify(staff_seminar_json(seminar)), 201


@bp.patch("/seminars/<id:seminar_id>")
@token_required(Role.ORGANIZER)
def update_seminar(seminar_id: int):
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        return error(404, "No seminar has this id.")
    body, failure = _body()
    if failure:
        return failure
    errors: dict[str, str] = {}
    fields = _fields_of(seminar)
    _read_body(fields, body, errors)
    cutoff = _cutoff(body, errors)
    admission, sme_priority = _admission(
        body, errors, fields.registration_closes_at, seminar.admission
    )
    status = body.get("status", seminar.status)
    if not isinstance(status, str) or status not in {member.value for member in SeminarStatus}:
        errors["status"] = "one of draft, published, cancelled"
    if not errors:
        with force_locale("en"):
            problems = seminar_problems(fields, utcnow())
        problems.pop("status", None)
        errors.update(problems)
    if errors:
        return error(422, "The change is not valid.", fields=errors)
    try:
        with force_locale("en"):
            lifecycle.change_seminar(
                db.session,
                seminar.id,
                fields,
                list(seminar.lecturers),
                utcnow(),
                admission=admission,
                lottery_sme_priority=sme_priority,
                waitlist_cutoff_hours=cutoff,
            )
            # change_seminar took the seminar's lock in this transaction.
            lifecycle.change_status(
                db.session, seminar, status, utcnow(), reason="API", locked=True
            )
    except lifecycle.SeminarActionError as exc:
        db.session.rollback()
        return error(409, str(exc))
    db.session.commit()
    return jsonify(staff_seminar_json(seminar))


@bp.get("/seminars/<id:seminar_id>/registrations")
@token_required(Role.ORGANIZER)
def list_registrations(seminar_id: int):
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        return error(404, "No seminar has this id.")
    rows = db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar.id).order_by(Registration.id)
    ).all()
    positions = registrations.waitlist_positions(db.session, seminar.id)
    items = []
    for row in rows:
        items.append(
            {
                "id": row.id,
                "email": row.email,
                "name": row.name,
                "name_kana": row.name_kana,
                "organization": row.organization,
                "status": row.status,
                "waitlist_position": positions.get(row.id),
                "lottery_rank": row.lottery_rank,
                "created_at": row.created_at.isoformat(),
            }
        )
    record(
        db.session,
        "registration.exported",
        "seminar",
        seminar.id,
        actor=g.api_user,
        details={"format": "api", "rows": len(items)},
    )
    db.session.commit()
    return jsonify(registrations=items, total=len(items))


@bp.post("/checkins")
@token_required(Role.ORGANIZER, Role.RECEPTION)
def create_checkin():
    """Scanning apps: check in the ticket `code` for `seminar_id`. Safe to retry."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error(400, "Send a JSON object.")
    seminar_id, code = body.get("seminar_id"), body.get("code")
    problems = {}
    if (
        isinstance(seminar_id, bool)
        or not isinstance(seminar_id, int)
        or not 0 < seminar_id < 2**31
    ):
        problems["seminar_id"] = "must be a seminar id (integer)"
    if not isinstance(code, str) or not code or len(code) > attendance.MAX_CODE_LENGTH:
        problems["code"] = "must be the text of the ticket's QR code"
    if problems:
        return error(422, "The check-in is not valid.", fields=problems)
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None or seminar.status != SeminarStatus.PUBLISHED:
        return error(404, "No published seminar has this id.")
    result = attendance.check_in_code(
        db.session,
        seminar_id,
        code,
        by=g.api_user,
        method=CheckInMethod.API,
        desk="api",
        now=utcnow(),
    )
    db.session.commit()
    if result.outcome == attendance.Outcome.UNKNOWN:
        return error(404, "No ticket has this code.", code=result.outcome.value)
    if not result.admitted:
        return error(409, "This ticket does not admit to this seminar.", code=result.outcome.value)
    registration, check_in = result.registration, result.check_in
    answer = {
        "registration_id": registration.id,
        "name": registration.name,
        "organization": registration.organization,
        "checked_in_at": check_in.checked_in_at.isoformat(),
        "already_checked_in": result.outcome == attendance.Outcome.ALREADY,
    }
    return jsonify(answer), (200 if answer["already_checked_in"] else 201)


@bp.get("/reports/fiscal-years/<fy:fiscal_year>")
@token_required(Role.ORGANIZER)
def fiscal_year_report(fiscal_year: int):
    return jsonify(reports.fiscal_year_report(db.session, fiscal_year, utcnow()))
