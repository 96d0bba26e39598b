"""Every model, imported in one place for Alembic and the shell."""

from .audit.models import AuditEvent
from .auth.models import User, UserRole
from .catalogue.models import Seminar, seminar_lecturers
from .notifications.models import OutboxMessage, OutboxStatus

__all__ = [
    "AuditEvent",
    "OutboxMessage",
    "OutboxStatus",
    "Seminar",
    "User",
    "UserRole",
    "seminar_lecturers",
]
