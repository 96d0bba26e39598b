"""Staff endpoints of the JSON API: lecturer dispatch (講師派遣), as the console's queue has it.

Organizers only. A change of state goes through dispatch's rules as the console's does
(services.change_state, services.schedule, delivery.deliver); a refusal is 422, field by
field, and changes nothing; an assignment that comes within the travel margin of another
seminar or dispatch of the same person is 409, naming it.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from ..audit.services import record
from ..auth.models import User
from ..catalogue import lifecycle
from ..catalogue.services import paginate
from ..dispatch import services
from ..dispatch.delivery import Delivered, deliver
from ..dispatch.models import DispatchRequest
from ..domain import DispatchState, Role
from ..extensions import db
from ..problems import FieldProblems
from ..text import normalize_email
from ..timeutil import utcnow
from .access import error, refusal, token_required
from .blueprint import bp
from .schemas import (
    DispatchChangeSchema,
    DispatchOverlapSchema,
    DispatchQuerySchema,
    DispatchRequestDetailSchema,
    DispatchRequestPageSchema,
    DispatchRequestSchema,
)


def _not_found() -> ResponseReturnValue:
    return error(404, "No dispatch request has this id.")


@bp.route("/dispatch-requests", methods=["GET"])
@token_required(Role.ORGANIZER)
@bp.arguments(DispatchQuerySchema, location="query", error_status_code=400)
@bp.response(200, DispatchRequestPageSchema, description="A page of requests, oldest first")
def list_dispatch_requests(query: dict[str, Any]) -> ResponseReturnValue:
    """Lecturer-dispatch requests, oldest first, in one state where asked (staff: organizer)

    The contacts' details leave the system: each page is recorded in the audit log.
    """
    statement = select(DispatchRequest).order_by(DispatchRequest.id)
    if "state" in query:
        statement = statement.where(DispatchRequest.state == DispatchState(query["state"]))
    page, per_page = query["page"], query["per_page"]
    rows, total = paginate(db.session, statement, page, per_page)
    items = DispatchRequestSchema(many=True).dump(rows)
    record(
        db.session,
        "dispatch.exported",
        "dispatch_request",
        query.get("state", "all"),
        actor=g.api_user,
        details={"format": "api", "rows": len(items)},
    )
    db.session.commit()
    return jsonify(dispatch_requests=items, page=page, per_page=per_page, total=total)


@bp.route("/dispatch-requests/<id:request_id>", methods=["GET"])
@token_required(Role.ORGANIZER)
@bp.response(200, DispatchRequestDetailSchema, description="The request and its history")
@refusal(404, "No dispatch request has this id")
def get_dispatch_request(request_id: int) -> ResponseReturnValue:
    """One lecturer-dispatch request with every change of its state (staff: organizer)"""
    dispatch = db.session.get(DispatchRequest, request_id)
    if dispatch is None:
        return _not_found()
    return jsonify(DispatchRequestDetailSchema().dump(dispatch))


@bp.route("/dispatch-requests/<id:request_id>", methods=["PATCH"])
@token_required(Role.ORGANIZER)
@bp.arguments(DispatchChangeSchema)
@bp.response(200, DispatchRequestDetailSchema, description="The request after the change")
@refusal(404, "No dispatch request has this id")
@bp.alt_response(
    409,
    schema=DispatchOverlapSchema,
    description="An assigned person has another seminar or dispatch within the travel "
    "margin: each is named in conflicts",
)
def change_dispatch_request(body: dict[str, Any], request_id: int) -> ResponseReturnValue:
    """Move a lecturer-dispatch request on (staff: organizer)

    under-review; scheduled with starts_at, ends_at, delivery and staff (again: a new date
    or new staff), which makes the in-company seminar (seminar_id) and sends the invites;
    declined with a reason, which the company receives by mail; delivered with attendees
    (and the minutes and a report), once the seminar has ended, or again to correct them;
    withdrawn, on the company's word.
    """
    dispatch = db.session.get(DispatchRequest, request_id)
    if dispatch is None:
        return _not_found()
    try:
        _change(dispatch, body)
    except services.ScheduleRefused as exc:
        db.session.rollback()
        if exc.conflicts:
            return _overlap(exc)
        return _refused(exc.problems)
    except FieldProblems as exc:
        db.session.rollback()
        return _refused(exc.problems)
    db.session.flush()
    # Dumped before the commit, which would expire the request and cost a query per attribute.
    answer = DispatchRequestDetailSchema().dump(dispatch)
    db.session.commit()
    return jsonify(answer)


def _change(dispatch: DispatchRequest, body: dict[str, Any]) -> None:
    """The change `body` asks for, through dispatch's rules; FieldProblems when refused."""
    state, by, now = DispatchState(body["state"]), g.api_user, utcnow()
    if state == DispatchState.SCHEDULED:
        _schedule(dispatch, body, by)
    elif state == DispatchState.DELIVERED:
        facts = Delivered(body.get("attendees"), body.get("minutes"), body.get("report"))
        deliver(db.session, dispatch, facts, by=by, now=now)
    else:
        services.change_state(
            db.session, dispatch, state, by=by, now=now, reason=body.get("reason")
        )


def _schedule(dispatch: DispatchRequest, body: dict[str, Any], by: User) -> None:
    """Schedule with the staff named by their addresses. An address of no one who can be
    assigned is refused under `staff`, beside what the rules refuse of the rest."""
    eligible = {user.email: user for user in lifecycle.lecturer_choices(db.session)}
    wanted = list(dict.fromkeys(normalize_email(address) for address in body.get("staff", [])))
    unknown = [address for address in wanted if address not in eligible]
    problem = {
        "staff": _(
            "No active lecturer or advisor has this address: %(addresses)s.",
            addresses=", ".join(unknown),
        )
    }
    try:
        services.schedule(
            db.session,
            dispatch,
            starts_at=body.get("starts_at"),
            ends_at=body.get("ends_at"),
            delivery=body.get("delivery", ""),
            staff=[eligible[address] for address in wanted if address in eligible],
            by=by,
            now=utcnow(),
        )
    except services.ScheduleRefused as exc:
        if unknown:  # the addresses are what is wrong with the staff first
            raise FieldProblems({**exc.problems, **problem}) from None
        raise
    if unknown:  # the caller rolls back what the others' scheduling wrote
        raise FieldProblems(problem)


def _refused(problems: dict[str, str]) -> ResponseReturnValue:
    return error(422, DispatchChangeSchema.invalid_message, fields=problems)


def _overlap(exc: services.ScheduleRefused) -> ResponseReturnValue:
    """409 naming, for each person refused, the seminars in the way and their requests."""
    seminar_ids = {conflict.seminar.id for conflict in exc.conflicts}
    requests: dict[int | None, int] = {
        seminar_id: request_id
        for seminar_id, request_id in db.session.execute(
            select(DispatchRequest.seminar_id, DispatchRequest.id).where(
                DispatchRequest.seminar_id.in_(seminar_ids)
            )
        )
    }
    conflicts = [
        {
            "staff": conflict.person.email,
            "seminar_id": conflict.seminar.id,
            "title": conflict.seminar.title,
            "starts_at": conflict.seminar.starts_at.isoformat(),
            "ends_at": conflict.seminar.ends_at.isoformat(),
            "dispatch_request_id": requests.get(conflict.seminar.id),
        }
        for conflict in exc.conflicts
    ]
    return error(409, exc.problems["staff"], fields=exc.problems, conflicts=conflicts)
