"""The survey forms: the questions are data, so the answer form is read field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ..timeutil import JST
from .services import MULTIPLE, RATING, SINGLE, TEXT


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


def question_types() -> list[tuple[str, str]]:
    return [
        (RATING, _l("Rating from 1 to 5")),
        (SINGLE, _l("Single choice")),
        (MULTIPLE, _l("Multiple choice")),
        (TEXT, _l("Free text")),
    ]


class QuestionForm(FlaskForm):
    """A new question; the rules are services.add_question's, whose problems land here."""

    type = SelectField(
        _l("Kind of question"), choices=question_types, default=RATING, validate_choice=False
    )
    label = StringField(_l("Question (Japanese)"))
    label_en = StringField(_l("Question (English, optional)"))
    choices = TextAreaField(_l("Choices (single or multiple choice only)"), render_kw={"rows": 5})
    required = BooleanField(_l("An answer is required"))

    def spec(self) -> dict[str, Any]:
        return {
            "type": self.type.data,
            "label": self.label.data,
            "label_en": self.label_en.data,
            "choices": self.choices.data,
            "required": self.required.data,
        }
