"""Staff endpoints of the JSON API: an organizer cancels or promotes a registration."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import force_locale

from ..domain import Role
from ..extensions import db
from ..registration import services
from ..registration.models import Registration
from ..timeutil import utcnow
from .access import error, refusal, token_required
from .blueprint import bp
from .schemas import RegistrationStateSchema


def _act(registration_id: int, action: Callable[[int], Registration]):
    """Run the console's action on a registration; a refusal is 409 and changes nothing."""
    if db.session.get(Registration, registration_id) is None:
        return error(404, "No registration has this id.")
    try:
        with force_locale("en"):
            registration = action(registration_id)
    except services.RegistrationError as exc:
        db.session.rollback()
        return error(409, exc.message, code=exc.code)
    positions = services.waitlist_positions(db.session, registration.seminar_id)
    answer = {
        "id": registration.id,
        "status": registration.status,
        "waitlist_position": positions.get(registration.id),
    }
    db.session.commit()
    return answer


@bp.route("/registrations/<id:registration_id>/cancel", methods=["POST"])
@token_required(Role.ORGANIZER)
@bp.response(200, RegistrationStateSchema, description="Cancelled; the person is told by mail")
@refusal(404, "No registration has this id")
@refusal(409, "Already cancelled (code already-cancelled)")
def cancel_registration(registration_id: int):
    """Cancel a registration; the freed seat goes to the waitlist (staff: organizer)"""
    return _act(
        registration_id,
        lambda rid: services.cancel(db.session, rid, utcnow(), by_participant=False),
    )


@bp.route("/registrations/<id:registration_id>/promote", methods=["POST"])
@token_required(Role.ORGANIZER)
@bp.response(200, RegistrationStateSchema, description="Confirmed; the person is told by mail")
@refusal(404, "No registration has this id")
@refusal(409, "Not waitlisted, or no seat is free (see code)")
def promote_registration(registration_id: int):
    """Confirm a waitlisted person by hand (staff: organizer)"""
    return _act(registration_id, lambda rid: services.promote_by_hand(db.session, rid, utcnow()))
