"""The forms an organizer fills in for a year's report: its targets and its slides'
commentary. WTForms reads the input; reports.plans holds the rules."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from .models import TARGET_NAMES
from .numbers import whole_number
from .plans import MAX_COMMENTARY, MAX_PERCENT, MAX_TARGET


class WholeNumberField(StringField):
    """A whole number or nothing; full-width digits are read as digits."""

    def __init__(self, label: Any, *, most: int, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators=[Optional()], **kwargs)
        self.most = most
        self.number: int | None = None

    def pre_validate(self, form: FlaskForm) -> None:
        text = unicodedata.normalize("NFKC", self.data or "").strip().replace(",", "")
        self.number = None
        if not text:
            return
        self.number = whole_number(text, self.most)
        if self.number is None:
            raise ValidationError(_l("Enter a whole number from 0 to %(most)d.", most=self.most))


class TargetsForm(FlaskForm):
    consultations = WholeNumberField(_l("Consultations (all desks)"), most=MAX_TARGET)
    seminars = WholeNumberField(_l("Seminars held"), most=MAX_TARGET)
    participants = WholeNumberField(_l("Participants"), most=MAX_TARGET)
    satisfaction = WholeNumberField(
        _l("Satisfaction (per cent answering 4 or 5)"), most=MAX_PERCENT
    )
    elearning_views = WholeNumberField(_l("E-learning views"), most=MAX_TARGET)

    def values(self) -> dict[str, int | None]:
        return {name: self[name].number for name in TARGET_NAMES}


def commentary_form(slides: Mapping[str, str], **kwargs: Any) -> FlaskForm:
    """A form with one text area per slide (key → heading)."""
    fields: dict[str, Field] = {
        key: TextAreaField(
            heading,
            validators=[
                Length(
                    max=MAX_COMMENTARY,
                    message=_l("At most %(most)d characters.", most=MAX_COMMENTARY),
                )
            ],
            render_kw={"rows": 3, "maxlength": MAX_COMMENTARY},
        )
        for key, heading in slides.items()
    }
    form_class = type("CommentaryForm", (FlaskForm,), fields)
    return form_class(**kwargs)
