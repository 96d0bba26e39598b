"""Forms of the privacy pages: WTForms for input, registration.details for the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from ..registration.forms import mark_required
from ..registration.models import Registration
from .services import CORRECTABLE

#: What a search by address may go on to do (SearchForm.action): show what is held (""),
#: download it, ask to confirm its deletion, delete it. A person known only as the contact
#: of dispatch requests has no registration to reach these pages by.
ACTIONS = ("export", "delete", "erase")


class SearchForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            InputRequired(message=_l("Enter your e-mail address.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )
    action = HiddenField(validators=[Optional(), AnyOf(ACTIONS)])


class CorrectionForm(FlaskForm):
    """The personal fields of one registration; parse_details checks them on saving."""

    name = StringField(_l("Name"))
    name_kana = StringField(_l("Name in kana (furigana)"))
    email = EmailField(_l("E-mail"), render_kw={"inputmode": "email"})
    organization = StringField(_l("Organization"))
    corporate_number = StringField(
        _l("Corporate number (optional)"), render_kw={"inputmode": "numeric"}
    )
    department = StringField(_l("Department"))
    job_title = StringField(_l("Job title"))
    question = TextAreaField(_l("Question for the lecturer (optional)"), render_kw={"rows": 4})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        mark_required(self)

    @classmethod
    def for_registration(cls, registration: Registration) -> CorrectionForm:
        return cls(data={name: getattr(registration, name) or "" for name in CORRECTABLE})

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name).data or "" for name in CORRECTABLE}


class ConfirmForm(FlaskForm):
    """A POST with its CSRF token: the confirmation step of a deletion."""
