"""The registration form: WTForms renders it, registration.details decides what is valid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    Form,
    FormField,
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
from . import services
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
        self,
        *args,
        language: str = "ja",
        fixed_email: str | None = None,
        kept: Mapping[str, Any] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", _l("Choose…"))]
        self.prefecture.choices = blank + reference_choices(PREFECTURES, language)
        self.attribute.choices = blank + choices(Attribute)
        self.employee_band.choices = blank + choices(EmployeeBand)
        self.industry.choices = blank + [
            (code, f"{code} {name}") for code, name in reference_choices(INDUSTRIES, language)
        ]
        if "heard_from" in self:  # not asked of a group's member by their contact
            self.heard_from.choices = blank + choices(HeardFrom)
        self.details: ParticipantDetails | None = None
        self.language = language
        self.fixed_email = fixed_email
        #: Values of the fields this form leaves out, kept as they are (see MemberDetailsForm).
        self.kept = dict(kept or {})
        mark_required(self)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        data = {
            **self.kept,
            **{
                name: getattr(self, name).data
                for name in DETAIL_FIELDS
                if getattr(self, name, None) is not None
            },
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


#: What a contact enters of each colleague (団体申込); the rest is the contact's, shared.
COLLEAGUE_FIELDS = ("name", "name_kana", "email", "department", "job_title")
#: The organization's fields a colleague shares with the contact who registers them.
SHARED_FIELDS = (
    "organization",
    "corporate_number",
    "prefecture",
    "attribute",
    "employee_band",
    "industry",
)
#: The most colleagues a form reads, whatever is posted: a seminar takes groups of at most
#: 20 people (catalogue.models, max_group_size), the contact included.
MOST_COLLEAGUES = 19


class ColleagueForm(Form):
    """One colleague's own fields; `autocomplete` off, so that a browser does not fill in
    the contact's own name and address again."""

    name = StringField(_l("Name"), render_kw={"autocomplete": "off"})
    name_kana = StringField(_l("Name in kana (furigana)"), render_kw={"autocomplete": "off"})
    email = EmailField(_l("E-mail"), render_kw={"autocomplete": "off", "inputmode": "email"})
    department = StringField(_l("Department"), render_kw={"autocomplete": "off"})
    job_title = StringField(_l("Job title"), render_kw={"autocomplete": "off"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mark_required(self)

    @property
    def blank(self) -> bool:
        return not any((self[name].data or "").strip() for name in COLLEAGUE_FIELDS)


class RegistrationForm(DetailsForm):
    #: Asked of hybrid seminars only (removed from the form for any other).
    attendance_mode = RadioField(_l("How you will attend"), validate_choice=False)
    #: Colleagues registered with the contact, posted as members-<n>-<field>. Always read:
    #: a seminar that came to take one person at a time while the form was filled in
    #: refuses them rather than register the contact alone.
    members = FieldList(FormField(ColleagueForm), max_entries=MOST_COLLEAGUES)
    privacy_notice_agreed = BooleanField(
        _l("I agree to the privacy notice"),
        validators=[DataRequired(message=_l("Please read and agree to the privacy notice."))],
    )
    submit = SubmitField(_l("Register"))

    def __init__(self, *args, seminar: Seminar, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seminar = seminar
        if seminar.is_hybrid:
            self.attendance_mode.choices = attendance_choices(seminar)
            self.attendance_mode.flags.required = True
        else:
            del self.attendance_mode
        #: How many colleagues the contact may add (0: the seminar takes no groups, and the
        #: form shows none).
        self.most_colleagues = min(seminar.max_group_size - 1, MOST_COLLEAGUES)
        #: The colleagues' checked details, in the order given, once validate() has passed.
        self.colleagues: list[ParticipantDetails] = []
        #: Refusals about the group as a whole (its size), shown with the colleagues.
        self.group_errors: list[str] = []

    def change_colleagues(self, posted: Mapping[str, str]) -> bool:
        """The entry page's 「同行者を追加」 and 「削除」 buttons, which work without JavaScript:
        one more colleague's fields, or one colleague's fewer (by place in the list).
        Whether the post was one of them (then nothing is checked nor registered)."""
        members = self.members
        if "add_member" in posted:
            if len(members) < self.most_colleagues:
                name = members.append_entry().form.name
                name.render_kw = {**(name.render_kw or {}), "autofocus": True}
            return True
        place = posted.get("remove_member", "")
        if not place.isdigit():
            return "remove_member" in posted
        if int(place) < len(members):
            members.entries.pop(int(place))
        return True

    @property
    def chosen_mode(self) -> AttendanceMode | None:
        """How the person attends, where the seminar asks (hybrid) and they chose."""
        field = getattr(self, "attendance_mode", None)
        if field is None or field.data not in {mode.value for mode in AttendanceMode}:
            return None
        return AttendanceMode(field.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid = self._validate_colleagues() and valid
        field = getattr(self, "attendance_mode", None)
        if field is not None and self.chosen_mode is None:
            missing = _l("Choose how you will attend: at the venue or online.")
            field.errors = [*field.errors, missing]
            return False
        return valid

    def _validate_colleagues(self) -> bool:
        """Each colleague's fields by the rules of a participant's (parse_details), with the
        contact's organization; blank colleagues are left out. Then the group as a whole."""
        self.members.entries = [entry for entry in self.members if not entry.form.blank]
        shared = {name: self[name].data for name in SHARED_FIELDS if name in self}
        self.colleagues = []
        for entry in self.members:
            own = {name: entry.form[name].data for name in COLLEAGUE_FIELDS}
            details, errors = parse_details({**shared, **own, "locale": self.language})
            for name in COLLEAGUE_FIELDS:
                if name in errors:
                    entry.form[name].errors = [*entry.form[name].errors, errors[name]]
            if details is not None:
                self.colleagues.append(details)
        if self.details is not None and len(self.colleagues) == len(self.members):
            self.show_group_problems(
                services.group_problems(self.seminar, [self.details, *self.colleagues])
            )
        else:
            self._collect_colleague_errors()
        return not self.members.errors

    def show_group_problems(self, problems: Mapping[str, str]) -> list[str]:
        """Put each refusal of the group (services.GroupRefused's keys) beside its field:
        the contact's by name, a colleague's as members-<n>-<field>, the group's size with
        the colleagues. The messages that belong to no field."""
        elsewhere = []
        for key, message in problems.items():
            field = self._field_of(key)
            if field is not None:
                field.errors = [*field.errors, message]
            elif key == "members":
                self.group_errors.append(message)
            else:
                elsewhere.append(message)
        self._collect_colleague_errors()
        return elsewhere

    def _field_of(self, key: str):
        """The field a refusal's key names (None: the group as a whole, or no field)."""
        prefix, _dash, rest = key.partition("-")
        if prefix == "members":
            place, _dash, name = rest.partition("-")
            if not place.isdigit() or name not in COLLEAGUE_FIELDS:
                return None
            members = self.members
            return members[int(place)].form[name] if int(place) < len(members) else None
        return self[key] if key in self and key != "csrf_token" else None

    def _collect_colleague_errors(self) -> None:
        """FieldList keeps the errors its own validation found; those added since count too
        (form.errors, and so the page's summary, reads them)."""
        self.members.errors = [
            *(entry.errors for entry in self.members if entry.errors),
            *self.group_errors,
        ]


class EditDetailsForm(DetailsForm):
    """The person corrects their details; the e-mail identifies them and stays as it is."""

    # WTForms drops an inherited field set to None; its stubs type the field only.
    email = None  # type: ignore[assignment]
    submit = SubmitField(_l("Save the changes"))


#: A member's own answers, which the contact of their group neither sees nor changes.
MEMBERS_OWN = ("question", "heard_from", "announcements_opt_in")


class MemberDetailsForm(EditDetailsForm):
    """The contact of a group corrects a colleague's details: what a contact enters of a
    colleague and the organization's fields; the colleague's own answers stay as they are
    (pass them as `kept`)."""

    question = None  # type: ignore[assignment]
    heard_from = None  # type: ignore[assignment]
    announcements_opt_in = None  # type: ignore[assignment]


def kept_answers(registration) -> dict[str, Any]:
    """A registration's own answers (MEMBERS_OWN) as parse_details takes them."""
    heard_from = registration.heard_from
    return {
        "question": registration.question,
        "heard_from": heard_from.value if heard_from is not None else None,
        "announcements_opt_in": bool(registration.announcements_opt_in),
    }


class ResendForm(FlaskForm):
    email = EmailField(_l("E-mail"))
    submit = SubmitField(_l("Send me the link again"))


def shared_details(contact) -> dict[str, Any]:
    """The organization's fields of the contact's registration, as parse_details takes
    them: what a colleague added later shares with them."""
    values = {}
    for name in SHARED_FIELDS:
        value = getattr(contact, name)
        values[name] = getattr(value, "value", value)
    return values


class ColleagueAddForm(FlaskForm, ColleagueForm):
    """The contact adds a colleague to their group: the colleague's own fields, checked by
    the rules of a participant's with the contact's organization (shared_details)."""

    submit = SubmitField(_l("Register this colleague"))

    def __init__(self, *args, language: str, contact, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.language = language
        self.contact = contact
        self.details: ParticipantDetails | None = None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        own = {name: self[name].data for name in COLLEAGUE_FIELDS}
        self.details, errors = parse_details(
            {**shared_details(self.contact), **own, "locale": self.language}
        )
        for name, message in errors.items():
            if name in COLLEAGUE_FIELDS:
                self[name].errors = [*self[name].errors, message]
            else:
                self.form_errors.append(message)
        return valid and not errors

    @property
    def valid_details(self) -> ParticipantDetails:
        """The colleague's checked details, once validate() has passed."""
        if self.details is None:
            raise RuntimeError("the form has not been validated, or it has errors")
        return self.details
