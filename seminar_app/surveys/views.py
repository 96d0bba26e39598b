"""Placeholder: the surveys pages are being written."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)
