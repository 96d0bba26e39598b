"""The request form, the organizers' change of state and their scheduling: WTForms draws
them and reads them, dispatch.services decides what is valid."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired
from wtforms.widgets import DateInput, TimeInput

from ..consultations.forms import CheckboxesField
from ..domain import Attribute, Delivery, EmployeeBand, choices
from ..reference import INDUSTRIES, PREFECTURES, reference_choices
from ..timeutil import jst_datetime, to_jst
from .delivery import Delivered
from .facts import LABELS
from .models import SERIES_THEMES, STEP_THEMES, TOPIC_THEMES, theme_label

#: The fields the rules always require, marked so on the form.
REQUIRED = (
    "organization",
    "address",
    "prefecture",
    "attribute",
    "contact_name",
    "contact_email",
    "contact_phone",
    "preferred_date_1",
    "preferred_start_1",
    "preferred_end_1",
    "audience",
    "audience_size",
    "delivery",
    "privacy_notice_agreed",
)


def _select(label, **kwargs) -> SelectField:
    # The choices are checked by dispatch.services, with messages of our own.
    return SelectField(label, validate_choice=False, **kwargs)


def _checkboxes(label) -> CheckboxesField:
    return CheckboxesField(label, validate_choice=False)


def _day() -> StringField:
    """A preferred date, typed as text (the rules read it): browsers without a date picker
    let people type 2026-12-15 or 2026/12/15."""
    return StringField(_l("Date"), widget=DateInput())


def _time(label) -> StringField:
    return StringField(label, widget=TimeInput())


class RequestForm(FlaskForm):
    organization = StringField(LABELS["organization"], render_kw={"autocomplete": "organization"})
    corporate_number = StringField(
        _l("Corporate number (法人番号, optional)"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    address = StringField(LABELS["address"], render_kw={"autocomplete": "street-address"})
    prefecture = _select(LABELS["prefecture"])
    attribute = _select(LABELS["attribute"])
    employee_band = _select(LABELS["employee_band"])
    industry = _select(LABELS["industry"])
    contact_name = StringField(_l("Name"), render_kw={"autocomplete": "name"})
    contact_email = EmailField(
        LABELS["contact_email"], render_kw={"autocomplete": "email", "inputmode": "email"}
    )
    contact_phone = TelField(
        LABELS["contact_phone"], render_kw={"autocomplete": "tel", "inputmode": "tel"}
    )
    preferred_date_1 = _day()
    preferred_start_1 = _time(_l("Starting time"))
    preferred_end_1 = _time(_l("Ending time"))
    preferred_date_2 = _day()
    preferred_start_2 = _time(_l("Starting time"))
    preferred_end_2 = _time(_l("Ending time"))
    preferred_date_3 = _day()
    preferred_start_3 = _time(_l("Starting time"))
    preferred_end_3 = _time(_l("Ending time"))
    theme_series = _checkboxes(_l("Seminar series"))
    theme_steps = _checkboxes(_l("The seven steps of trade-secret management"))
    theme_topics = _checkboxes(_l("Specific topics"))
    theme_note = TextAreaField(LABELS["theme_note"])
    audience = StringField(LABELS["audience"])
    audience_size = StringField(LABELS["audience_size"], render_kw={"inputmode": "numeric"})
    delivery = RadioField(LABELS["delivery"], validate_choice=False)
    place = StringField(LABELS["place"])
    privacy_notice_agreed = BooleanField(_l("I agree to the privacy notice"))
    submit = SubmitField(_l("Send the request"))

    def __init__(self, *args, language: str = "ja", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        blank = [("", _l("Choose…"))]
        self.prefecture.choices = blank + reference_choices(PREFECTURES, language)
        self.attribute.choices = blank + choices(Attribute)
        self.employee_band.choices = blank + choices(EmployeeBand)
        self.industry.choices = blank + [
            (code, f"{code} {name}") for code, name in reference_choices(INDUSTRIES, language)
        ]
        self.theme_series.choices = [(theme, theme_label(theme)) for theme in SERIES_THEMES]
        self.theme_steps.choices = [(theme, theme_label(theme)) for theme in STEP_THEMES]
        self.theme_topics.choices = [(theme, theme_label(theme)) for theme in TOPIC_THEMES]
        self.delivery.choices = choices(Delivery)
        for name in REQUIRED:
            self[name].flags.required = True

    def values(self) -> dict[str, Any]:
        """What the form holds, as dispatch.services.check_request reads it."""
        values = {
            field.name: field.data
            for field in self
            if field.name not in ("csrf_token", "submit", *THEME_FIELDS)
        }
        values["themes"] = [theme for name in THEME_FIELDS for theme in self[name].data or []]
        values["locale"] = self.language
        return values


#: The form's three lists of themes, which the rules read as one.
THEME_FIELDS = ("theme_series", "theme_steps", "theme_topics")


class StateForm(FlaskForm):
    """An organizer moves a request on, to the state of the button pressed (`state`)."""

    reason = TextAreaField(
        _l("Reason for declining (the company receives it by mail)"),
        render_kw={"rows": 4},
    )


class ScheduleForm(FlaskForm):
    """An organizer fixes (or changes) the date and the staff of a request; the rules
    (dispatch.services.schedule) judge the values, overlaps included."""

    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = TimeField(
        _l("Starts (JST)"), validators=[InputRequired(message=_l("Enter a time."))]
    )
    end_time = TimeField(_l("Ends (JST)"), validators=[InputRequired(message=_l("Enter a time."))])
    delivery = RadioField(LABELS["delivery"], validate_choice=False)
    staff = CheckboxesField(_l("Lecturers or advisors"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Schedule"))

    def __init__(self, *args, staff_choices: Sequence[tuple[int, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.delivery.choices = choices(Delivery)
        self.staff.choices = list(staff_choices)

    def moments(self) -> tuple[datetime | None, datetime | None]:
        """(start, end) in UTC from the date and the Japan times typed."""
        day = self.day.data
        if day is None or self.start_time.data is None or self.end_time.data is None:
            return None, None
        return jst_datetime(day, self.start_time.data), jst_datetime(day, self.end_time.data)

    def fill(self, starts_at: datetime, ends_at: datetime) -> None:
        """Show a date and its times (Japan time)."""
        start, end = to_jst(starts_at), to_jst(ends_at)
        self.day.data = start.date()
        self.start_time.data, self.end_time.data = start.time(), end.time()


class DeliveryForm(FlaskForm):
    """An organizer records a delivered seminar, or corrects what was recorded; the rules
    (dispatch.delivery.deliver) judge the values."""

    # Typed as text: the rules answer a number out of range or not a number alike.
    attendees = StringField(_l("Attendees (head-count)"), render_kw={"inputmode": "numeric"})
    minutes = StringField(_l("How long it lasted (minutes)"), render_kw={"inputmode": "numeric"})
    report = TextAreaField(_l("Delivery report"), render_kw={"rows": 6})

    def facts(self) -> Delivered:
        return Delivered(
            attendees=_number(self.attendees.data),
            minutes=_number(self.minutes.data),
            report=self.report.data,
        )


def _number(typed: str | None) -> int | str | None:
    """A whole number as typed (full-width digits too); what is not one goes to the rules
    as it is, to be refused in the reader's words; empty is None."""
    text = unicodedata.normalize("NFKC", typed or "").strip()
    if not text:
        return None
    return int(text) if text.isdecimal() and text.isascii() else text


#: Where the rules' refusals of a schedule are shown on ScheduleForm.
SCHEDULE_FIELDS = {"starts_at": "start_time", "ends_at": "end_time"}
