"""The registration form: WTForms renders it, registration.details decides what is valid."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired

from ..catalogue.models import Seminar
from ..catalogue.services import seats_left_by_mode
from ..domain import AttendanceMode, Attribute, EmployeeBand, HeardFrom, choices
from ..reference import INDUSTRIES, PREFECTURES, reference_choices
from .details import ALWAYS_REQUIRED, DETAIL_FIELDS, ParticipantDetails, parse_details


def mark_required(form: FlaskForm) -> None:
    """Flag the fields parse_details always requires, so that every participant form shows
    their required marks (the participant_fields macro reads field.flags.required)."""
    for name in ALWAYS_REQUIRED:
        if name in form:
            form[name].flags.required = True


def _select(label, **kwargs) -> SelectField:
    # The choices are checked by parse_details, with messages of our own.
    return SelectField(label, validate_choice=False, **kwargs)


class DetailsForm(FlaskForm):
    name = StringField(_l("Name"), render_kw={"autocomplete": "name"})
    name_kana = StringField(_l("Name in kana (furigana)"))
    email = EmailField(_l("E-mail"), render_kw={"autocomplete": "email", "inputmode": "email"})
    organization = StringField(_l("Organization"), render_kw={"autocomplete": "organization"})
    corporate_number = StringField(
        _l("Corporate number (optional)"), render_kw={"inputmode": "numeric", "autocomplete": "off"}
    )
    department = StringField(_l("Department"))
    job_title = StringField(_l("Job title"), render_kw={"autocomplete": "organization-title"})
    prefecture = _select(_l("Prefecture"))
    attribute = _select(_l("You are with"))
    employee_band = _select(_l("Number of employees"))
    industry = _select(_l("Industry"))
    question = TextAreaField(_l("Question for the lecturer (optional)"))
    heard_from = _select(_l("How did you hear of this seminar? (optional)"))
    announcements_opt_in = BooleanField(_l("Send me news of future seminars"))

    def __init__(
        self, *args, language: str = "ja", fixed_email: str | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", _l("Choose…"))]
        self.prefecture.choices = blank + reference_choices(PREFECTURES, language)
        self.attribute.choices = blank + choices(Attribute)
        self.employee_band.choices = blank + choices(EmployeeBand)
        self.industry.choices = blank + [
            (code, f"{code} {name}") for code, name in reference_choices(INDUSTRIES, language)
        ]
        self.heard_from.choices = blank + choices(HeardFrom)
        self.details: ParticipantDetails | None = None
        self.language = language
        self.fixed_email = fixed_email
        mark_required(self)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        data = {
            name: getattr(self, name).data
            for name in DETAIL_FIELDS
            if getattr(self, name, None) is not None
        }
        data["locale"] = self.language
        if self.fixed_email is not None:
            data["email"] = self.fixed_email
        self.details, errors = parse_details(data)
        for name, message in errors.items():
            field = getattr(self, name, None)
            if field is not None:
                field.errors = [*field.errors, message]
        return valid and not errors

    @property
    def valid_details(self) -> ParticipantDetails:
        """The checked details, once validate() has passed."""
        if self.details is None:
            raise RuntimeError("the form has not been validated, or it has errors")
        return self.details


def attendance_choices(seminar: Seminar) -> list[tuple[str, str]]:
    """The ways of attending a hybrid seminar, each with the seats it has left."""
    left = seats_left_by_mode(seminar)
    labelled = []
    for mode in AttendanceMode:
        free = left.get(mode)
        if free is None:
            seats = ""
        elif free > 0:
            seats = _l("%(n)d seats left", n=free)
        else:
            seats = _l("full: you join its waitlist")
        labelled.append((mode.value, f"{mode.label}（{seats}）" if seats else mode.label))
    return labelled


class RegistrationForm(DetailsForm):
    #: Asked of hybrid seminars only (removed from the form for any other).
    attendance_mode = RadioField(_l("How you will attend"), validate_choice=False)
    privacy_notice_agreed = BooleanField(
        _l("I agree to the privacy notice"),
        validators=[DataRequired(message=_l("Please read and agree to the privacy notice."))],
    )
    submit = SubmitField(_l("Register"))

    def __init__(self, *args, seminar: Seminar, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if seminar.is_hybrid:
            self.attendance_mode.choices = attendance_choices(seminar)
            self.attendance_mode.flags.required = True
        else:
            del self.attendance_mode

    @property
    def chosen_mode(self) -> AttendanceMode | None:
        """How the person attends, where the seminar asks (hybrid) and they chose."""
        field = getattr(self, "attendance_mode", None)
        if field is None or field.data not in {mode.value for mode in AttendanceMode}:
            return None
        return AttendanceMode(field.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        field = getattr(self, "attendance_mode", None)
        if field is not None and self.chosen_mode is None:
            missing = _l("Choose how you will attend: at the venue or online.")
            field.errors = [*field.errors, missing]
            return False
        return valid


class EditDetailsForm(DetailsForm):
    """The person corrects their details; the e-mail identifies them and stays as it is."""

    # WTForms drops an inherited field set to None; its stubs type the field only.
    email = None  # type: ignore[assignment]
    submit = SubmitField(_l("Save the changes"))


class ResendForm(FlaskForm):
    email = EmailField(_l("E-mail"))
    submit = SubmitField(_l("Send me the link again"))
