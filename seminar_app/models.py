"""Every model, imported in one place for Alembic and the shell."""

from .announcements.models import Announcement, Unsubscribe
from .attendance.models import CheckIn, OnlineAttendance
from .audit.models import AuditEvent
from .auth.mfa.models import AuthenticatorApp, Passkey, RecoveryCode
from .auth.models import ApiToken, User, UserRole
from .catalogue.models import Seminar, seminar_lecturers
from .certificates.models import Certificate
from .consultations.models import Client, Consultation
from .dispatch.models import (
    DispatchPreferredDate,
    DispatchRequest,
    DispatchStateChange,
    DispatchTheme,
    StaffCalendarFeed,
)
from .domain import OutboxStatus
from .elearning.models import Recording, RecordingView
from .materials.models import Material, MaterialVersion
from .notifications.models import OutboxMessage
from .registration.models import CalendarFeed, Registration
from .reports.models import FiscalYearTarget, SlideCommentary
from .surveys.models import Survey, SurveyAnswer

__all__ = [
    "Announcement",
    "ApiToken",
    "AuditEvent",
    "AuthenticatorApp",
    "CalendarFeed",
    "Certificate",
    "CheckIn",
    "Client",
    "Consultation",
    "DispatchPreferredDate",
    "DispatchRequest",
    "DispatchStateChange",
    "DispatchTheme",
    "FiscalYearTarget",
    "Material",
    "MaterialVersion",
    "OnlineAttendance",
    "OutboxMessage",
    "OutboxStatus",
    "Passkey",
    "Recording",
    "RecordingView",
    "RecoveryCode",
    "Registration",
    "Seminar",
    "SlideCommentary",
    "StaffCalendarFeed",
    "Survey",
    "SurveyAnswer",
    "Unsubscribe",
    "User",
    "UserRole",
    "seminar_lecturers",
]
