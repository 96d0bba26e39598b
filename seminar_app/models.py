"""Every model, imported in one place for Alembic and the shell."""

from .attendance.models import CheckIn, OnlineAttendance
from .audit.models import AuditEvent
from .auth.models import ApiToken, User, UserRole
from .catalogue.models import Seminar, seminar_lecturers
from .consultations.models import Client, Consultation
from .elearning.models import Recording, RecordingView
from .materials.models import Material, MaterialVersion
from .notifications.models import OutboxMessage, OutboxStatus
from .registration.models import CalendarFeed, Registration

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CalendarFeed",
    "CheckIn",
    "Client",
    "Consultation",
    "Material",
    "MaterialVersion",
    "OnlineAttendance",
    "OutboxMessage",
    "OutboxStatus",
    "Recording",
    "RecordingView",
    "Registration",
    "Seminar",
    "User",
    "UserRole",
    "seminar_lecturers",
]
