"""The JSON API: one blueprint whose routes declare their schemas (see openapi.py)."""

from . import (  # noqa: F401  (their routes are on bp)
    announcements,
    consultations,
    dispatch,
    materials,
    openapi,
    recordings,
    registrations,
    staff,
    views,
)
from .blueprint import bp

__all__ = ["bp"]
