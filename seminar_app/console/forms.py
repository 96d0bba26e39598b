"""The organizer's seminar form: WTForms for input, catalogue.rules for the domain rules."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from ..catalogue.lifecycle import MAX_GROUP_SIZE
from ..catalogue.rules import SeminarFields, admission_problems, seminar_problems
from ..domain import Admission, Delivery, HostType, Level, Series, choices
from ..timeutil import JST, jst_datetime, to_jst, utcnow

#: Where a rule about a model field is shown on this form.
RULE_FIELD_TO_FORM = {
    "starts_at": "start_time",
    "ends_at": "end_time",
    "registration_opens_at": "registration_opens",
    "registration_closes_at": "registration_closes",
}


def _blank_to_none(value):
    return value.strip() or None if isinstance(value, str) else value


class SeminarForm(FlaskForm):
    title = StringField(
        _l("Title (Japanese)"),
        validators=[DataRequired(), Length(max=200)],
        filters=[lambda v: v.strip() if v else v],
    )
    title_en = StringField(
        _l("Title (English)"), validators=[Optional(), Length(max=200)], filters=[_blank_to_none]
    )
    series = SelectField(_l("Series"))
    level = SelectField(_l("Level"))
    host_type = SelectField(_l("Host"))
    delivery = SelectField(_l("Delivery"))
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date."))])
    start_time = TimeField(
        _l("Starts (JST)"), validators=[InputRequired(message=_l("Enter a time."))]
    )
    end_time = TimeField(_l("Ends (JST)"), validators=[InputRequired(message=_l("Enter a time."))])
    venue = StringField(
        _l("Venue"), validators=[Optional(), Length(max=300)], filters=[_blank_to_none]
    )
    meeting_url = StringField(
        _l("Meeting URL (registrants only)"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
        filters=[_blank_to_none],
    )
    capacity = IntegerField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(min=0, message=_l("The capacity cannot be negative."))],
    )
    online_capacity = IntegerField(
        _l("Online capacity (hybrid)"),
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("The online capacity cannot be negative.")),
        ],
    )
    registration_opens = DateTimeLocalField(_l("Registration opens (JST)"), validators=[Optional()])
    registration_closes = DateTimeLocalField(
        _l("Registration closes (JST)"), validators=[Optional()]
    )
    admission = SelectField(_l("How seats are given"), default=Admission.FIRST_COME.value)
    lottery_sme_priority = BooleanField(
        _l("Lottery: small and medium-sized companies are drawn first")
    )
    max_group_size = IntegerField(
        _l("People one registration may bring"),
        default=5,
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_GROUP_SIZE,
                message=_l("Enter a number from 1 to %(most)d.", most=MAX_GROUP_SIZE),
            ),
        ],
    )
    host_organization = StringField(
        _l("Host organization"), validators=[Optional(), Length(max=200)], filters=[_blank_to_none]
    )
    external_url = StringField(
        _l("Host's page (talks at other organizations)"),
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
        filters=[_blank_to_none],
    )
    lecturers = SelectMultipleField(_l("Lecturers"), coerce=int)
    description = TextAreaField(_l("Description (Japanese, Markdown)"))
    description_en = TextAreaField(_l("Description (English, Markdown)"), filters=[_blank_to_none])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, lecturer_choices: Sequence[tuple[int, str]] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.series.choices = choices(Series)
        self.level.choices = [("", _l("No level")), *choices(Level)]
        self.host_type.choices = choices(HostType)
        self.delivery.choices = choices(Delivery)
        self.admission.choices = choices(Admission)
        self.lecturers.choices = list(lecturer_choices)

    def to_fields(self) -> SeminarFields:
        def moment(day: date | None, at: time | None) -> datetime | None:
            return jst_datetime(day, at) if day and at else None

        def local(value: datetime | None) -> datetime | None:
            return value.replace(tzinfo=JST) if value is not None else None

        return SeminarFields(
            title=self.title.data or "",
            title_en=self.title_en.data,
            series=self.series.data,
            level=self.level.data or None,
            host_type=self.host_type.data,
            delivery=self.delivery.data,
            description=(self.description.data or "").strip(),
            description_en=self.description_en.data,
            starts_at=moment(self.day.data, self.start_time.data),
            ends_at=moment(self.day.data, self.end_time.data),
            venue=self.venue.data,
            meeting_url=self.meeting_url.data,
            capacity=self.capacity.data,
            online_capacity=self.online_capacity.data,
            registration_opens_at=local(self.registration_opens.data),
            registration_closes_at=local(self.registration_closes.data),
            host_organization=self.host_organization.data,
            external_url=self.external_url.data,
        )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        fields = self.to_fields()
        problems = seminar_problems(fields, utcnow())
        problems.pop("status", None)
        for name, message in admission_problems(
            self.admission.data, fields.registration_closes_at
        ).items():
            problems.setdefault(name, message)
        for name, message in problems.items():
            getattr(self, RULE_FIELD_TO_FORM.get(name, name)).errors.append(message)
        return not problems

    def fill_from(self, seminar) -> None:
        """Show an existing seminar's values (times in Tokyo)."""
        start, end = to_jst(seminar.starts_at), to_jst(seminar.ends_at)
        for name in (
            "title",
            "title_en",
            "series",
            "host_type",
            "delivery",
            "venue",
            "meeting_url",
            "capacity",
            "online_capacity",
            "host_organization",
            "external_url",
            "description",
            "description_en",
        ):
            getattr(self, name).data = getattr(seminar, name)
        self.level.data = seminar.level or ""
        self.day.data = start.date()
        self.start_time.data, self.end_time.data = start.time(), end.time()
        for field, value in (
            (self.registration_opens, seminar.registration_opens_at),
            (self.registration_closes, seminar.registration_closes_at),
        ):
            field.data = to_jst(value).replace(tzinfo=None) if value else None
        self.lecturers.data = [user.id for user in seminar.lecturers]
        self.admission.data = seminar.admission or Admission.FIRST_COME.value
        self.lottery_sme_priority.data = bool(seminar.lottery_sme_priority)
        self.max_group_size.data = seminar.max_group_size
