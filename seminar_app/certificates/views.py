"""Placeholder: the certificates pages are being written."""

from flask import Blueprint

bp = Blueprint("certificates", __name__)
