"""Absolute links for mails and calendars, built from BASE_URL in or out of a request."""

from __future__ import annotations

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    """BASE_URL + the path of `endpoint`: the public address, whoever asks."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path
