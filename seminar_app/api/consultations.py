"""Staff endpoints of the JSON API: the consultation desk, as the console's desk pages have it.

Organizers and advisors; the notes only in a single consultation, for those who may read
them there (consultations.services decides, and records each read).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from flask import g, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from ..audit.services import record
from ..auth.models import User
from ..auth.services import active_staff
from ..consultations import services
from ..consultations.figures import UnknownDesk, desk_by_code
from ..consultations.models import Client, Consultation
from ..domain import Role
from ..extensions import db
from ..timeutil import fiscal_year_of, utcnow
from .access import error, refusal, token_required
from .blueprint import bp
from .schemas import (
    ClientDetailSchema,
    ClientListSchema,
    ClientQuerySchema,
    ConsultationCreateSchema,
    ConsultationDetailSchema,
    ConsultationPageSchema,
    ConsultationQuerySchema,
    ConsultationSchema,
    ConsultationWriteSchema,
)

DESK = (Role.ORGANIZER, Role.ADVISOR)
#: What names the client; the other fields of the form are the consultation's own.
CLIENT_FIELDS = ("organization", "corporate_number")
#: The consultation's fields, kept as they are when a change leaves them out.
KEPT = tuple(
    field.name for field in fields(services.ConsultationInput) if field.name not in CLIENT_FIELDS
)


def _not_found() -> ResponseReturnValue:
    return error(404, "No consultation has this id.")


def _advisor(body: dict[str, Any], default: User | None) -> tuple[User | None, bool]:
    """The advisor named by advisor_id (an active advisor, as the form offers), or the default;
    and whether the id named one."""
    if "advisor_id" not in body:
        return default, True
    if body["advisor_id"] is None:
        return None, True
    chosen = next(
        (user for user in active_staff(db.session, Role.ADVISOR) if user.id == body["advisor_id"]),
        None,
    )
    return chosen, chosen is not None


def _save(
    body: dict[str, Any], consultation: Consultation | None, advisor: User | None, status: int
) -> ResponseReturnValue:
    """Record or correct through the desk's rules, as the form does: the answer, or 422 with
    each field refused (by the rules, or an advisor_id that names no active advisor) and
    nothing written."""
    advisor, known = _advisor(body, advisor)
    values = _input(body, consultation)
    problems = [] if known else ["advisor_id"]
    try:
        if consultation is None:
            consultation = services.record_consultation(
                db.session, values, advisor=advisor, by=g.api_user
            )
        else:
            services.update_consultation(
                db.session, consultation, values, advisor=advisor, by=g.api_user
            )
    except services.ConsultationError as exc:
        problems += list(exc.problems)
    if problems:
        db.session.rollback()
        return jsonify(ConsultationWriteSchema.refusal(dict.fromkeys(problems, ""), 422)), 422
    db.session.flush()
    # Dumped before the commit, which would expire the record and cost a query per attribute.
    answer = ConsultationSchema().dump(consultation)
    db.session.commit()
    return jsonify(answer), status


def _input(body: dict[str, Any], consultation: Consultation | None) -> services.ConsultationInput:
    """The form's values: what the body sends, the stored values for what it leaves out."""
    values: dict[str, Any] = {}
    if consultation is not None:
        values = {name: getattr(consultation, name) for name in KEPT if name != "desk"}
        values["desk"] = consultation.desk.code
        client = consultation.client
        if client is not None and not any(name in body for name in CLIENT_FIELDS):
            values.update(organization=client.name, corporate_number=client.corporate_number)
        # else the two name the client together: a change sends both, one left out is none.
    values.update(body)
    values.pop("advisor_id", None)
    return services.ConsultationInput(**values)


@bp.route("/consultations", methods=["GET"])
@token_required(*DESK)
@bp.arguments(ConsultationQuerySchema, location="query", error_status_code=400)
@bp.response(200, ConsultationPageSchema, description="A page of the year's consultations")
@refusal(404, "No desk has the code given as desk (field desk)")
def list_consultations(query: dict[str, Any]) -> ResponseReturnValue:
    """A fiscal year's consultations, without notes (staff: organizer or advisor)

    Newest first, filtered as asked; this fiscal year when none is named. Recorded in the
    audit log as the console's export is.
    """
    fiscal_year = query.get("fiscal_year") or fiscal_year_of(utcnow())
    desk_id = None
    if query.get("desk"):
        try:
            desk_id = desk_by_code(db.session, query["desk"]).id
        except UnknownDesk:
            # As the console answers: a code no desk has names nothing to list.
            return error(404, _("No desk has this code."), field="desk")
    rows = [
        consultation
        for consultation in services.consultations_of_year(
            db.session, fiscal_year, client_id=query.get("client_id"), desk_id=desk_id
        )
        if query.get("advisor_id") in (None, consultation.advisor_id)
        and query.get("channel") in (None, consultation.channel)
    ]
    page, per_page = query["page"], query["per_page"]
    shown = rows[(page - 1) * per_page : page * per_page]
    items = ConsultationSchema(many=True).dump(shown)
    # The rows leave the system as the console's export does; recorded alike.
    record(
        db.session,
        "consultation.exported",
        "fiscal_year",
        fiscal_year,
        actor=g.api_user,
        details={"format": "api", "rows": len(items)},
    )
    db.session.commit()
    return jsonify(
        consultations=items,
        fiscal_year=fiscal_year,
        page=page,
        per_page=per_page,
        total=len(rows),
    )


@bp.route("/consultations", methods=["POST"])
@token_required(*DESK)
@bp.arguments(ConsultationCreateSchema)
@bp.response(201, ConsultationSchema, description="The consultation is recorded")
def create_consultation(body: dict[str, Any]) -> ResponseReturnValue:
    """Record a consultation, as the console's form does (staff: organizer or advisor)"""
    user = g.api_user
    return _save(body, None, user if user.has_role(Role.ADVISOR) else None, 201)


@bp.route("/consultations/<id:consultation_id>", methods=["GET"])
@token_required(*DESK)
@bp.response(200, ConsultationDetailSchema, description="The consultation")
@refusal(404, "No consultation has this id")
def get_consultation(consultation_id: int) -> ResponseReturnValue:
    """One consultation (staff: organizer or advisor)

    With its notes for an organizer and for the record's advisor, as the console shows them;
    each such read is recorded in the audit log.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return _not_found()
    answer = ConsultationSchema().dump(consultation)
    if services.may_read_notes(g.api_user, consultation):
        answer["notes"] = services.read_notes(db.session, consultation, g.api_user)
        db.session.commit()
    return jsonify(answer)


@bp.route("/consultations/<id:consultation_id>", methods=["PATCH"])
@token_required(*DESK)
@bp.arguments(ConsultationWriteSchema)
@bp.response(200, ConsultationSchema, description="The changed consultation")
@refusal(404, "No consultation has this id")
def update_consultation(body: dict[str, Any], consultation_id: int) -> ResponseReturnValue:
    """Correct a consultation (staff: organizer, or the record's advisor)

    The fields sent change, the others stay; organization and corporate_number go together.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return _not_found()
    if not services.may_read_notes(g.api_user, consultation):
        return error(403, "Only organizers and the record's advisor change a consultation.")
    return _save(body, consultation, consultation.advisor, 200)


@bp.route("/clients", methods=["GET"])
@token_required(*DESK)
@bp.arguments(ClientQuerySchema, location="query", error_status_code=400)
@bp.response(200, ClientListSchema, description="The clients, latest consultation first")
def list_clients(query: dict[str, Any]) -> ResponseReturnValue:
    """The desk's clients (staff: organizer or advisor)

    With their number of consultations, the last one's date and the highest step reached,
    latest first, at most 500, as the console lists them.
    """
    rows = services.clients_overview(db.session, query.get("q", ""))
    clients = [
        {
            "id": client.id,
            "name": client.name,
            "corporate_number": client.corporate_number,
            "consultations": count,
            "last_consultation_on": last,
            "highest_step": step,
        }
        for client, count, last, step in rows
    ]
    return {"clients": clients, "total": len(clients)}


def _people(entry: services.HistoryEntry) -> int | None:
    """People of the client at a seminar: who attended, or a dispatch's head-count (None
    until recorded); None for an entry without a seminar."""
    if entry.seminar is None:
        return None
    return entry.seminar.head_count if entry.kind == "dispatch-seminar" else entry.people


@bp.route("/clients/<id:client_id>", methods=["GET"])
@token_required(*DESK)
@bp.response(200, ClientDetailSchema, description="The client and its support history")
@refusal(404, "No client has this id")
def get_client(client_id: int) -> ResponseReturnValue:
    """A client and its support history (staff: organizer or advisor)

    Its consultations (without notes), the seminars its people attended and its
    lecturer-dispatch requests with their seminars, oldest first, and the highest step of the
    seven-step support reached.
    """
    client = db.session.get(Client, client_id)
    if client is None:
        return error(404, "No client has this id.")
    entries, highest = services.client_history(db.session, client)
    history = [
        {
            "day": entry.day,
            "kind": entry.kind,
            "consultation": entry.consultation,
            "seminar": entry.seminar,
            "people": _people(entry),
            "dispatch": entry.dispatch,
        }
        for entry in entries
    ]
    return {
        "id": client.id,
        "name": client.name,
        "corporate_number": client.corporate_number,
        "highest_step": highest,
        "history": history,
    }
