"""The name check on the verification page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

#: Longer than any name a registration holds (100) with spaces and an honorific.
MAX_NAME_LENGTH = 120


class NameCheckForm(FlaskForm):
    name = StringField(
        _l("Name on the certificate"),
        validators=[
            DataRequired(message=_l("Type the name as it is printed on the certificate.")),
            Length(
                max=MAX_NAME_LENGTH,
                message=_l("A name on a certificate is at most 100 characters."),
            ),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": MAX_NAME_LENGTH},
    )
    submit = SubmitField(_l("Check the name"))
