from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from .services import API_TOKEN_DEFAULT_DAYS, API_TOKEN_NAME_LENGTH, password_problem


class NewPasswordMixin:
    def validate_new_password(self, field) -> None:
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Log in"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send the reset link"))


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired()])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Set the password"))


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change the password"))


class NewApiTokenForm(FlaskForm):
    name = StringField(
        _l("Token name"),
        validators=[
            DataRequired(message=_l("Give the token a name.")),
            Length(max=API_TOKEN_NAME_LENGTH),
        ],
    )
    expires_in = SelectField(_l("Valid for"), coerce=int, default=API_TOKEN_DEFAULT_DAYS)
    submit = SubmitField(_l("Create the token"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.expires_in.choices = [
            (30, _l("30 days")),
            (API_TOKEN_DEFAULT_DAYS, _l("90 days")),
            (180, _l("180 days")),
            (365, _l("365 days")),
        ]
