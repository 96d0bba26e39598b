"""Placeholder: the announcements pages are being written."""

from flask import Blueprint

bp = Blueprint("announcements", __name__)
