"""Whole numbers typed by a person or read from a file, checked before they are converted."""

from __future__ import annotations


def whole_number(text: str, most: int) -> int | None:
    """The number that a text of ASCII digits gives, from 0 to `most`; None for any other
    text. The length is judged first: Python refuses to convert more than 4,300 digits,
    and a long string of them would only cost time."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(most)):
        return None
    number = int(text)
    return number if number <= most else None
