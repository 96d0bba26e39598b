"""The survey forms: the questions are data, so the answer form is read field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import DateTimeLocalField
from wtforms.validators import Optional

from ..timeutil import JST
from .services import MULTIPLE


def field_name(question: dict[str, Any]) -> str:
    return f"q-{question['key']}"


def answer_data(questions: list[dict[str, Any]], formdata: MultiDict) -> dict[str, Any]:
    """question key → what was sent (a list for multiple choice), for validate_answers."""
    data: dict[str, Any] = {}
    for question in questions:
        name = field_name(question)
        data[question["key"]] = (
            formdata.getlist(name) if question["type"] == MULTIPLE else formdata.get(name)
        )
    return data


class ClosingForm(FlaskForm):
    closes_at = DateTimeLocalField(_l("Answers are taken until (JST)"), validators=[Optional()])

    def closes_at_utc(self) -> datetime | None:
        value = self.closes_at.data
        return value.replace(tzinfo=JST) if value is not None else None
