"""The JSON API: one blueprint whose routes declare their schemas (see openapi.py)."""

from . import announcements, materials, openapi, staff, views  # noqa: F401  (their routes are on bp)
from .blueprint import bp

__all__ = ["bp"]
