"""The consultation form: WTForms for input, consultations.services for the domain rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain import Attribute, Channel, EmployeeBand, Source, Topic, choices
from ..reference import INDUSTRIES, PREFECTURES, reference_choices
from .models import STEPS, Consultation
from .services import ConsultationInput


def _blank_to_none(value):
    return (value.strip() or None) if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ConsultationForm(FlaskForm):
    held_on = DateField(
        _l("Consultation date"), validators=[InputRequired(message=_l("Enter a date."))]
    )
    channel = SelectField(_l("Channel"))
    advisor = SelectField(_l("Advisor"), coerce=int)
    organization = StringField(
        _l("Organization"),
        validators=[Optional(), Length(max=200)],
        filters=[_blank_to_none],
        render_kw={"autocomplete": "off"},
    )
    corporate_number = StringField(
        _l("Corporate number (法人番号, 13 digits)"),
        validators=[Optional(), Length(max=20)],
        filters=[_blank_to_none],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    attribute = SelectField(_l("Type of organization"))
    employee_band = SelectField(_l("Employees"))
    industry = SelectField(_l("Industry"))
    prefecture = SelectField(_l("Prefecture"))
    topics = CheckboxesField(_l("Topics"))
    source = SelectField(_l("How the client came"))
    step = SelectField(_l("Step of the seven-step support reached"), coerce=int)
    notes = TextAreaField(
        _l("Notes (confidential)"), validators=[Optional()], filters=[_blank_to_none]
    )

    def __init__(self, *args, advisors, language: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", _l("Not known"))]
        self.channel.choices = choices(Channel)
        self.advisor.choices = [(0, _l("No advisor"))] + [
            (user.id, user.display_name) for user in advisors
        ]
        self.attribute.choices = choices(Attribute)
        self.employee_band.choices = blank + choices(EmployeeBand)
        self.industry.choices = blank + [
            (code, f"{code} {name}") for code, name in reference_choices(INDUSTRIES, language)
        ]
        self.prefecture.choices = blank + reference_choices(PREFECTURES, language)
        self.topics.choices = choices(Topic)
        self.source.choices = choices(Source)
        self.step.choices = [(0, _l("None yet"))] + [
            (number, f"{number}. {name}") for number, name in STEPS.items()
        ]

    def values(self) -> ConsultationInput:
        return ConsultationInput(
            held_on=self.held_on.data,
            channel=self.channel.data,
            attribute=self.attribute.data,
            topics=list(self.topics.data or []),
            source=self.source.data,
            employee_band=self.employee_band.data or None,
            industry=self.industry.data or None,
            prefecture=self.prefecture.data or None,
            step=self.step.data or None,
            organization=self.organization.data,
            corporate_number=self.corporate_number.data,
            notes=self.notes.data,
        )

    def fill(self, consultation: Consultation, notes: str | None) -> None:
        """Show a stored consultation for editing (notes only for those who may read them)."""
        self.held_on.data = consultation.held_on
        self.channel.data = consultation.channel
        self.advisor.data = consultation.advisor_id or 0
        self.organization.data = consultation.client.name if consultation.client else None
        self.corporate_number.data = (
            consultation.client.corporate_number if consultation.client else None
        )
        self.attribute.data = consultation.attribute
        self.employee_band.data = consultation.employee_band or ""
        self.industry.data = consultation.industry or ""
        self.prefecture.data = consultation.prefecture or ""
        self.topics.data = consultation.topics
        self.source.data = consultation.source
        self.step.data = consultation.step or 0
        self.notes.data = notes

    def show_problems(self, problems: dict[str, str]) -> None:
        for name, message in problems.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = [*field.errors, message]
