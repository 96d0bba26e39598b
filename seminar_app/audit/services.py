"""Writing audit records in the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from ..database import DbSession
from .models import AuditEvent

#: Who acted, for a participant acting through their own link: the registration is the
#: event's subject, so the log never needs their address (which a purge would remove).
PARTICIPANT = "participant"


def record(
    session: DbSession,
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    actor: Any = None,
    actor_label: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event; it commits or rolls back with the change it describes."""
    event = AuditEvent(
        **event_values(
            action,
            subject_type,
            subject_id,
            actor=actor,
            actor_label=actor_label,
            details=details,
        )
    )
    session.add(event)
    return event


def event_values(
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    actor: Any = None,
    actor_label: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns of an audit event (who, from where, what), for record() or for an insert
    of several rows at once. The actor is the signed-in person unless given."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    return {
        "actor_id": getattr(actor, "id", None),
        "actor_label": actor_label or getattr(actor, "email", None) or "system",
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "source": request.remote_addr if has_request_context() else None,
        "details": details or {},
    }
