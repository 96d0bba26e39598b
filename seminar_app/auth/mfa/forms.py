from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from .services import MAX_CODE_INPUT, PASSKEY_NAME_LENGTH

#: What a password manager and a phone's keyboard need to offer the code.
_CODE_ATTRIBUTES = {"autocomplete": "one-time-code", "spellcheck": "false", "autocorrect": "off"}


class CodeForm(FlaskForm):
    """The login's second step: a code of the authenticator app, or a recovery code."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(message=_l("Enter the code.")),
            Length(max=MAX_CODE_INPUT, message=_l("The code is not right.")),
        ],
        render_kw={**_CODE_ATTRIBUTES, "autocapitalize": "characters"},
    )
    submit = SubmitField(_l("Log in"))


class AppCodeForm(FlaskForm):
    """A code of the authenticator app only: to finish its set-up, or to remove it."""

    code = StringField(
        _l("6-digit code"),
        validators=[
            DataRequired(message=_l("Enter the code.")),
            Length(max=MAX_CODE_INPUT, message=_l("The code is not right.")),
        ],
        render_kw={**_CODE_ATTRIBUTES, "inputmode": "numeric"},
    )
    submit = SubmitField(_l("Turn on"))


class RemoveAppForm(AppCodeForm):
    submit = SubmitField(_l("Remove the authenticator app"))


class PasskeyNameForm(FlaskForm):
    """The name a new passkey will have; the ceremony itself runs in passkeys.js."""

    name = StringField(
        _l("Name of the passkey"),
        validators=[DataRequired(), Length(max=PASSKEY_NAME_LENGTH)],
        render_kw={"maxlength": PASSKEY_NAME_LENGTH, "autocomplete": "off"},
    )
    submit = SubmitField(_l("Add a passkey"))
