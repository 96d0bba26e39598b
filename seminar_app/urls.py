"""Absolute links for mails and calendars, built from BASE_URL in or out of a request."""

from __future__ import annotations

from flask import current_app
from werkzeug.routing import BaseConverter, ValidationError

from .timeutil import parse_fiscal_year


def absolute_url(endpoint: str, **values) -> str:
    """BASE_URL + the path of `endpoint`: the public address, whoever asks."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


class FiscalYearConverter(BaseConverter):
    """<fy:name> in a URL: an accepted fiscal year such as 2020; anything else is not found."""

    regex = r"\d{4}"

    def to_python(self, value: str) -> int:
        fiscal_year = parse_fiscal_year(value)
        if fiscal_year is None:
            raise ValidationError
        return fiscal_year

    def to_url(self, value: int) -> str:
        return str(value)
