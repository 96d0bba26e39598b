"""Placeholder: the privacy console pages are being written."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)
