"""URLs: absolute links for mails and calendars (from BASE_URL, in or out of a request),
and the converters of ids and fiscal years in paths."""

from __future__ import annotations

from flask import current_app
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

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


class DatabaseIdConverter(IntegerConverter):
    """A row id in a URL: larger numbers are simply not found (no database overflow)."""

    def __init__(self, map, *args, **kwargs) -> None:
        super().__init__(map)

    def to_python(self, value: str) -> int:
        # Out of range becomes 0, which no row has: a plain 404. (A min/max on the
        # converter would make the router answer 405 from the path's other rules.)
        number = int(value)
        return number if 1 <= number < 2**31 else 0
