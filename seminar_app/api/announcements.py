"""Placeholder: POST /api/v1/announcements is being written."""
