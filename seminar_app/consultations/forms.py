"""The consultation form: WTForms for input, consultations.services for the domain rules."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..domain import Attribute, Channel, EmployeeBand, Referral, Source, Topic, choices
from ..problems import show_problems
from ..reference import INDUSTRIES, PREFECTURAL_DESKS, PREFECTURES, reference_choices
from .models import STEPS, Consultation, Desk
from .services import ConsultationInput


def _blank_to_none(value):
    return (value.strip() or None) if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ShowsProblems:
    """A desk form: the rules' reasons worded as it asks, and their refusal at its fields."""

    def word_problems(self, reasons: Mapping[str, str]) -> dict[str, str]:
        """The rules' reasons (what each field must hold) as the form tells them: a field
        typed in is asked to be entered, any other to be chosen."""
        return {
            name: _("Enter %(reason)s.", reason=reason)
            if isinstance(getattr(self, name, None), StringField | DateField)
            else _("Choose %(reason)s.", reason=reason)
            for name, reason in reasons.items()
        }

    def show_problems(self, problems: Mapping[str, str]) -> None:
        show_problems(self, problems)  # type: ignore[arg-type]  # a mixin of FlaskForms


class ConsultationForm(ShowsProblems, FlaskForm):
    held_on = DateField(
        _l("Consultation date"), validators=[InputRequired(message=_l("Enter a date."))]
    )
    # The rules judge the code (an active desk), as they do for the API and files.
    desk = SelectField(_l("Desk"), validate_choice=False)
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
    referring_desk = SelectField(
        _l("Referred by (prefectural IP comprehensive support desk)"), validate_choice=False
    )
    referrals = CheckboxesField(_l("Referred on to"))
    step = SelectField(_l("Step of the seven-step support reached"), coerce=int)
    notes = TextAreaField(
        _l("Notes (confidential)"), validators=[Optional()], filters=[_blank_to_none]
    )

    def __init__(self, *args, advisors, desks: list[Desk], language: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", _l("Not known"))]
        self.desk.choices = [(desk.code, desk.name) for desk in desks]
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
        self.referring_desk.choices = [
            ("", _l("None")),
            *reference_choices(PREFECTURAL_DESKS, language),
        ]
        self.referrals.choices = choices(Referral)
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
            desk=self.desk.data or None,
            referring_desk=self.referring_desk.data or None,
            referrals=list(self.referrals.data or []),
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
        self.desk.data = consultation.desk.code
        self.referring_desk.data = consultation.referring_desk or ""
        self.referrals.data = consultation.referrals


class DeskForm(ShowsProblems, FlaskForm):
    """A new desk (with its code), or a desk's new names (without)."""

    code = StringField(
        _l("Code (letters, digits, hyphens: used by files and scripts)"),
        validators=[Optional(), Length(max=30)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )
    name_ja = StringField(_l("Name in Japanese"), validators=[Optional(), Length(max=100)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=100)])


class TotalsForm(ShowsProblems, FlaskForm):
    """A fiscal year's consultation totals for the desk, where no records exist."""

    # The range is the rules' (desks.record_totals), told with the other fields' problems.
    fiscal_year = IntegerField(
        _l("Fiscal year"),
        validators=[InputRequired(message=_l("Enter a fiscal year."))],
        render_kw={"inputmode": "numeric"},
    )
    consultations = IntegerField(
        _l("Number of consultations"),
        validators=[InputRequired(message=_l("Enter a number."))],
        render_kw={"inputmode": "numeric"},
    )
    online = IntegerField(
        _l("Of which online (leave empty if not counted)"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
