"""The shapes of the API's requests and answers; the OpenAPI document is generated from them.

Request schemas check the JSON's types and convert it; the rules of the domain (a seminar's
fields, a participant's details, an announcement) are called from here, never copied.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Any, ClassVar

import marshmallow as ma
from flask import g
from flask_babel import LazyString, force_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from ..attendance.services import MAX_HEAD_COUNT
from ..catalogue import services as catalogue
from ..catalogue.lifecycle import MAX_GROUP_SIZE
from ..catalogue.rules import MAX_CAPACITY, TEXT_LIMITS
from ..consultations import services as desk
from ..consultations.desks import DESK_CODE
from ..consultations.models import STEPS, Client, Consultation
from ..database import string_length
from ..dispatch.delivery import MAX_MINUTES as MAX_DELIVERED_MINUTES
from ..dispatch.delivery import MAX_REPORT as MAX_DELIVERY_REPORT
from ..dispatch.models import THEMES
from ..dispatch.services import LIMITS as DISPATCH_LIMITS
from ..domain import (
    Admission,
    AttendanceMode,
    Attribute,
    Audience,
    Channel,
    Delivery,
    DispatchState,
    EmployeeBand,
    FigureSource,
    HeardFrom,
    HostType,
    Level,
    RecordingAudience,
    Referral,
    RegistrationStatus,
    SeminarStatus,
    Series,
    Source,
    Topic,
)
from ..elearning.models import Recording
from ..materials.models import Material
from ..reference import INDUSTRIES, PREFECTURAL_DESKS, PREFECTURES
from ..registration.details import LIMITS, parse_details
from ..reports.models import TARGET_NAMES
from ..text import normalize_text, organization_key
from ..timeutil import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    fiscal_year_of,
    is_accepted_fiscal_year,
    to_jst,
)
from .blueprint import ApiSchema, ErrorSchema, ValidationErrorSchema

#: Largest row id a path or a body may name.
MAX_ID = 2**31 - 1
#: Deepest page of a list (the database's OFFSET stays small).
MAX_PAGE = 10_000
#: Most rows on a page of a list.
MAX_PER_PAGE = 100


def choice(values, **kwargs: Any) -> fields.String:
    """A string that is one of `values` (an enum's members, or a collection of codes)."""
    return fields.String(validate=validate.OneOf([str(value) for value in values]), **kwargs)


class WholeNumber(fields.Integer):
    """An integer written as a JSON number: not true, not 1.5, not "3"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """true or false as JSON writes them, nothing that merely looks like one."""

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _none_if_blank(text: str) -> str | None:
    return text or None


class Text(fields.String):
    """Text whose blank means "none"; the seminar's rules judge what is left."""

    def __init__(self, **kwargs: Any) -> None:
        # Validators see the stripped text; what is loaded is None for a blank.
        super().__init__(allow_none=True, post_load=_none_if_blank, **kwargs)

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class _Moment(fields.AwareDateTime):
    """An aware date-time that can also be told in UTC and in Japan time: 9999-12-31T23:59
    at -23:59 is valid ISO 8601 but lies past the last day Python's calendar has once moved
    to UTC, and every rule that stores or compares it would fail with an OverflowError."""

    def _deserialize(self, value: Any, attr, data, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            to_jst(moment.astimezone(UTC))
        except OverflowError as exc:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from exc
        return moment


def moment(**kwargs: Any) -> fields.AwareDateTime:
    """An ISO 8601 date-time with its UTC offset (e.g. 2026-12-15T14:00:00+09:00)."""
    return _Moment(format="iso", **kwargs)


# ---------------------------------------------------------------- answers


class LecturerSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = fields.String(attribute="display_name", required=True)
    name_en = fields.String(attribute="display_name_en", allow_none=True)
    title = fields.String(allow_none=True)


def _seats_left(seminar) -> int | None:
    return catalogue.seats_left(seminar)


def _seats_left_by_mode(seminar) -> dict[str, int | None] | None:
    left = catalogue.seats_left_by_mode(seminar)
    return {str(mode): free for mode, free in left.items()} if seminar.is_hybrid else None


class SeminarSchema(ma.Schema):
    """The public representation; the meeting URL is deliberately absent."""

    class Meta:
        unknown = ma.RAISE

    id = fields.Integer(required=True)
    slug = fields.String()
    title = fields.String(required=True, metadata={"description": "Japanese title"})
    title_en = fields.String(allow_none=True)
    description = fields.String(
        required=True, metadata={"description": "Japanese description, Markdown"}
    )
    description_en = fields.String(allow_none=True)
    series = choice(Series, required=True)
    level = choice(Level, required=True, allow_none=True)
    host_type = choice(HostType, required=True)
    delivery = choice(Delivery, required=True)
    status = choice(SeminarStatus, required=True)
    starts_at = fields.DateTime(format="iso", required=True)
    ends_at = fields.DateTime(format="iso", required=True)
    venue = fields.String(required=True, allow_none=True)
    capacity = fields.Integer(required=True, allow_none=True, validate=validate.Range(min=0))
    seats_left = fields.Function(
        _seats_left,
        required=True,
        allow_none=True,
        metadata={
            "type": "integer",
            "minimum": 0,
            "description": "of a hybrid seminar: at the venue, plus online where online has "
            "a limit (see seats_left_by_mode)",
        },
    )
    online_capacity = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "of a hybrid seminar: seats online (null: no limit); capacity is "
            "then the venue's"
        },
    )
    seats_left_by_mode = fields.Function(
        _seats_left_by_mode,
        allow_none=True,
        metadata={
            "type": "object",
            "description": "of a hybrid seminar: seats left at the venue and online "
            "(null: no limit online); null for any other seminar",
            "properties": {
                str(mode): {"type": ["integer", "null"], "minimum": 0} for mode in AttendanceMode
            },
        },
    )
    admission = choice(
        Admission,
        required=True,
        metadata={
            "description": "first-come: seats in order of registration; lottery: "
            "applications until registration_closes_at, then a draw"
        },
    )
    registration_opens_at = fields.DateTime(format="iso", required=True, allow_none=True)
    registration_closes_at = fields.DateTime(format="iso", required=True, allow_none=True)
    fiscal_year = fields.Integer(
        required=True, metadata={"description": "年度: April to March, in JST"}
    )
    host_organization = fields.String(allow_none=True)
    external_url = fields.String(allow_none=True)
    lecturers = fields.List(fields.Nested(LecturerSchema))


class StaffSeminarSchema(SeminarSchema):
    """What staff see of a seminar: the public fields and how it is run."""

    meeting_url = fields.String(allow_none=True)
    waitlist_cutoff_hours = fields.Integer()
    max_group_size = fields.Integer(
        metadata={"description": "the most people one registration may bring (1: one at a time)"}
    )
    lottery_sme_priority = fields.Boolean()
    lottery_drawn_at = fields.DateTime(format="iso", allow_none=True)
    lottery_seed = fields.Integer(allow_none=True, validate=validate.Range(min=0))


class SeminarPageSchema(ma.Schema):
    seminars = fields.List(fields.Nested(SeminarSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


#: The statuses a new registration can have.
NEW_STATUSES = [
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.APPLIED,
]


class GroupMemberCreatedSchema(ma.Schema):
    """A colleague registered with the contact: their own registration."""

    id = fields.Integer(required=True)
    email = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(NEW_STATUSES))
    waitlist_position = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min=1)
    )


class RegistrationCreatedSchema(ma.Schema):
    id = fields.Integer(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(NEW_STATUSES),
        metadata={
            "description": "applied: an application to a lottery seminar, "
            "confirmed or waitlisted by the draw after the deadline"
        },
    )
    waitlist_position = fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"description": "of a hybrid seminar: the place in the line of its way"},
    )
    attendance_mode = choice(
        AttendanceMode,
        required=True,
        allow_none=True,
        metadata={"description": "how the person attends a hybrid seminar; null for any other"},
    )
    manage_url = fields.Url(required=True)
    members = fields.List(
        fields.Nested(GroupMemberCreatedSchema),
        metadata={
            "description": "present when the request had members: each colleague's "
            "registration, in the order given (the seats go in that order, the contact first)"
        },
    )


class RegistrationRowSchema(ma.Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String()
    name_kana = fields.String()
    organization = fields.String(allow_none=True)
    status = choice(RegistrationStatus, required=True)
    attendance_mode = choice(
        AttendanceMode,
        attribute="attendance",
        metadata={"description": "how the person attends: chosen at a hybrid seminar"},
    )
    waitlist_position = fields.Integer(required=True, allow_none=True)
    lottery_rank = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1),
        metadata={"description": "place in the lottery's drawn order; null before a draw"},
    )
    created_at = fields.DateTime(format="iso")


class RegistrationStateSchema(ma.Schema):
    """A registration after an organizer's action on it."""

    id = fields.Integer(required=True)
    status = choice(RegistrationStatus, required=True)
    waitlist_position = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min=1)
    )


class RegistrationListSchema(ma.Schema):
    registrations = fields.List(fields.Nested(RegistrationRowSchema), required=True)
    total = fields.Integer(required=True)


class AttendanceRowSchema(ma.Schema):
    """A confirmed registration and how, if at all, the person attended."""

    registration_id = fields.Integer(required=True)
    name = fields.String(required=True)
    name_kana = fields.String(required=True)
    organization = fields.String(required=True, allow_none=True)
    email = fields.String(required=True)
    attended = fields.Boolean(
        required=True,
        metadata={
            "description": "checked in, or online for at least the seminar's minimum minutes"
        },
    )
    how = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(["venue", "online", "both"]),
        metadata={"description": "null when the person did not attend"},
    )
    checked_in_at = fields.DateTime(format="iso", required=True, allow_none=True)
    online_minutes = fields.Integer(required=True, allow_none=True)
    first_joined_at = fields.DateTime(format="iso", required=True, allow_none=True)


class AttendanceListSchema(ma.Schema):
    attendance = fields.List(fields.Nested(AttendanceRowSchema), required=True)
    total = fields.Integer(required=True)
    attended = fields.Integer(required=True)


class CheckInSchema(ma.Schema):
    registration_id = fields.Integer(required=True)
    name = fields.String(required=True)
    organization = fields.String(allow_none=True)
    checked_in_at = fields.DateTime(format="iso", required=True)
    already_checked_in = fields.Boolean(required=True)


class ReportPartSchema(ma.Schema):
    """Figures of the report. Every field the answer carries is described here; a client
    should still ignore fields it does not know, which a later version may add."""

    class Meta:
        unknown = ma.INCLUDE


def _counts(description: str, **kwargs: Any) -> fields.Dict:
    """A breakdown: a coded value (or "unknown") → how many."""
    return fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": description},
        **kwargs,
    )


def _shares(description: str) -> fields.Dict:
    """A coded value → a share between 0 and 1 (null where nobody answered)."""
    return fields.Dict(
        keys=fields.String(),
        values=fields.Float(allow_none=True),
        required=True,
        metadata={"description": description},
    )


class CountsSchema(ReportPartSchema):
    total = fields.Integer(required=True)
    online = fields.Integer(required=True)
    without_head_count = fields.Integer(
        required=True, metadata={"description": "of the total, seminars nobody counted"}
    )


class SeminarFiguresSchema(ReportPartSchema):
    total = fields.Integer(required=True)
    online = fields.Integer(required=True)
    hybrid = fields.Integer(required=True)
    by_host_type = fields.Dict(
        keys=choice(HostType), values=fields.Nested(CountsSchema), required=True
    )
    by_series = fields.Dict(
        keys=choice(Series),
        values=fields.Nested(CountsSchema),
        required=True,
        metadata={"description": "the agency's own seminars by series"},
    )
    by_level = fields.Dict(
        keys=fields.String(validate=validate.OneOf([*(str(level) for level in Level), "none"])),
        values=fields.Nested(CountsSchema),
        required=True,
        metadata={"description": 'the agency\'s own seminars by level ("none": no level)'},
    )
    without_head_count = fields.Integer(
        required=True,
        metadata={
            "description": "Seminars held whose attendees nobody recorded (no head-count, "
            "no registrations); their attendees add nothing to any total"
        },
    )


class AttendanceSplitSchema(ReportPartSchema):
    venue = fields.Integer(required=True, metadata={"description": "checked in at the door"})
    online = fields.Integer(required=True, metadata={"description": "attended online"})


class AttendeeFiguresSchema(ReportPartSchema):
    total = fields.Integer(required=True)
    by_host_type = fields.Dict(keys=choice(HostType), values=fields.Integer(), required=True)
    registered_attendees_by = fields.Dict(
        keys=fields.String(
            validate=validate.OneOf(["attribute", "employee_band", "industry", "prefecture"])
        ),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        required=True,
        metadata={"description": "registered attendees per profile column: value → count"},
    )
    hybrid = fields.Nested(
        AttendanceSplitSchema,
        required=True,
        metadata={"description": "attendees of hybrid seminars (without a head-count)"},
    )


class RegistrationFiguresSchema(ReportPartSchema):
    total = fields.Integer(required=True)
    confirmed = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    cancelled = fields.Integer(required=True)
    attended = fields.Integer(required=True)
    no_shows = fields.Integer(required=True)
    attendance_rate = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "attended / (attended + no-shows); null: nobody was expected"},
    )


class RecordingFiguresSchema(ReportPartSchema):
    opened = fields.Integer(required=True)
    registrants_who_opened = fields.Integer(required=True)


class StepProgressSchema(ReportPartSchema):
    clients = fields.Integer(required=True, metadata={"description": "clients of the year"})
    by_step = _counts('highest step ("1"–"7", "unknown") reached by the year\'s end')
    moved_up = fields.Integer(required=True)
    first_step = fields.Integer(required=True)


class ReportConsultationsSchema(ReportPartSchema):
    """The desk's figures of the year, every desk together."""

    fiscal_year = fields.Integer(required=True)
    desk = fields.String(
        required=True, allow_none=True, metadata={"description": "null: every desk together"}
    )
    total = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: nobody recorded them"}
    )
    online = fields.Integer(required=True, allow_none=True)
    source = choice(
        FigureSource,
        required=True,
        allow_none=True,
        metadata={"description": "records, totals (集計値) or both; null: nobody recorded"},
    )
    recorded = fields.Integer(
        required=True, metadata={"description": "consultations recorded one by one"}
    )
    totals_set_aside = fields.Boolean(
        required=True,
        metadata={"description": "some desk's recorded totals give way to its records"},
    )
    by_topic = _counts("topics (a consultation counts under each of its topics)")
    by_channel = _counts("channel")
    by_attribute = _counts("type of organization")
    by_employee_band = _counts("employee band")
    by_industry = _counts("JSIC major group")
    by_source = _counts("how the client came")
    by_prefecture = _counts("the client's prefecture (JIS code)")
    by_referring_desk = _counts("the prefectural desk that referred the client (JIS code)")
    by_referral = _counts("where clients were referred on to")
    steps = fields.Nested(StepProgressSchema, required=True)
    by_step = _counts("clients by the highest step (1–7) reached by the year's end")


class DispatchCountsSchema(ReportPartSchema):
    """Lecturer-dispatch requests, each in the fiscal year of the moment that makes it."""

    received = fields.Integer(
        required=True, metadata={"description": "requests received in the year"}
    )
    scheduled = fields.Integer(
        required=True,
        metadata={
            "description": "requests scheduled or delivered (their seminar not cancelled) "
            "whose seminar starts in the year; delivered ones included"
        },
    )
    delivered = fields.Integer(
        required=True,
        metadata={"description": "requests delivered whose seminar starts in the year"},
    )
    declined = fields.Integer(required=True, metadata={"description": "declined in the year"})
    withdrawn = fields.Integer(required=True, metadata={"description": "withdrawn in the year"})


class DispatchFiguresSchema(DispatchCountsSchema):
    by_prefecture = fields.Dict(
        keys=choice(PREFECTURES),
        values=fields.Nested(DispatchCountsSchema),
        required=True,
        metadata={"description": "the company's prefecture (JIS code): the values that occur"},
    )
    by_attribute = fields.Dict(
        keys=choice(Attribute),
        values=fields.Nested(DispatchCountsSchema),
        required=True,
        metadata={"description": "the company's type of organization: the values that occur"},
    )


class TargetResultSchema(ReportPartSchema):
    target = fields.Float(required=True, allow_none=True)
    result = fields.Float(required=True, allow_none=True)
    rate = fields.Float(required=True, allow_none=True, metadata={"description": "result / target"})


class FiscalYearReportSchema(ReportPartSchema):
    fiscal_year = fields.Integer(required=True)
    seminars = fields.Nested(SeminarFiguresSchema, required=True)
    attendees = fields.Nested(AttendeeFiguresSchema, required=True)
    registrations = fields.Nested(RegistrationFiguresSchema, required=True)
    recordings = fields.Nested(RecordingFiguresSchema, required=True)
    consultations = fields.Nested(ReportConsultationsSchema, required=True)
    dispatch = fields.Nested(
        DispatchFiguresSchema,
        required=True,
        metadata={"description": "lecturer dispatch (講師派遣) requests of the year"},
    )
    satisfaction = fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "share of survey answers rating satisfaction 4 or 5"},
    )
    satisfaction_by_series = _shares("the same share per series of the seminars held")
    satisfaction_by_level = _shares('the same share per level ("none": no level)')
    targets = fields.Dict(
        keys=choice(TARGET_NAMES),
        values=fields.Nested(TargetResultSchema),
        required=True,
        metadata={"description": "each target of the year's plan with its result and rate"},
    )


class AnnouncementQueuedSchema(ma.Schema):
    announcement_id = fields.Integer(required=True)
    recipients = fields.Integer(required=True, validate=validate.Range(min=0))


# ---------------------------------------------------------------- requests


#: Longest run of digits a whole number in a query may have (Python refuses to read 4,300).
_QUERY_DIGITS = 18


class QuerySchema(ApiSchema):
    """Query parameters: an empty value is the parameter left out; a refusal names one."""

    invalid_message = "A query parameter is not valid."
    refusal_schema = ErrorSchema

    @ma.pre_load
    def drop_empty_values(self, data, **kwargs: Any) -> dict[str, Any]:
        values = {name: data[name].strip() for name in data}
        for name, value in values.items():
            if isinstance(self.fields.get(name), WholeNumber) and value:
                # Digits as typed in ASCII only: "１９９９" is not a year here.
                digits = value.isascii() and value.isdigit() and len(value) <= _QUERY_DIGITS
                values[name] = int(value) if digits else value
        return {name: value for name, value in values.items() if value != ""}

    @classmethod
    def refusal(cls, fields: dict[str, str], status: int) -> dict[str, Any]:
        field, message = next(iter(sorted(fields.items())))
        return {"error": f"{field}: {message}", "field": field, "status": status}


class SeminarQuerySchema(QuerySchema):
    """Filters of the public list; an empty value is the filter left out."""

    level = choice(Level, metadata={"description": "Level of the seminar"})
    series = choice(Series, metadata={"description": "Seminar series"})
    delivery = choice(Delivery, metadata={"description": "How it is held"})
    host_type = choice(HostType, metadata={"description": "Who hosts it"})
    fiscal_year = WholeNumber(
        validate=validate.Range(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR),
        metadata={"description": "年度, e.g. 2026"},
    )
    upcoming = fields.Boolean(
        metadata={"description": "true: not yet ended; false: ended; absent: both"}
    )
    page = WholeNumber(
        load_default=1,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": "Page, from 1"},
    )
    per_page = WholeNumber(
        load_default=20,
        validate=validate.Range(1, MAX_PER_PAGE),
        metadata={"description": "Seminars per page (default 20)"},
    )

    @ma.post_load
    def catalogue_filter(self, data, **kwargs: Any) -> dict[str, Any]:
        filters = catalogue.CatalogueFilter(
            level=Level(data["level"]) if "level" in data else None,
            series=Series(data["series"]) if "series" in data else None,
            delivery=Delivery(data["delivery"]) if "delivery" in data else None,
            host_type=HostType(data["host_type"]) if "host_type" in data else None,
            fiscal_year=data.get("fiscal_year"),
            upcoming=data.get("upcoming"),
        )
        return {"filters": filters, "page": data["page"], "per_page": data["per_page"]}


def _detail_text(name: str, *, required: bool = False, **metadata: Any) -> fields.String:
    return fields.String(
        required=required,
        allow_none=not required,
        metadata={"maxLength": LIMITS[name], **metadata},
    )


class GroupMemberSchema(ApiSchema):
    """A colleague registered with the contact: their own name, reading and address (and
    department and title); the company's fields are the contact's."""

    name = _detail_text("name", required=True)
    name_kana = _detail_text("name_kana", description="as for the contact")
    email = _detail_text("email", required=True)
    department = _detail_text("department")
    job_title = _detail_text("job_title")


#: What a colleague gives of their own; the rest of their details are the contact's.
MEMBER_FIELDS = ("name", "name_kana", "email", "department", "job_title")


def member_data(original: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    """A colleague's fields as parse_details takes them: the contact's (the company, the
    consent, the language) with the colleague's own; no question, no opt-in of theirs."""
    shared = {key: value for key, value in original.items() if key not in ("members", "question")}
    return {
        **shared,
        **{name: member.get(name) for name in MEMBER_FIELDS},
        "announcements_opt_in": False,
    }


class RegistrationRequestSchema(ApiSchema):
    """A participant's details (checked by parse_details, as the form's are) and consent;
    with `members`, a group registration (団体申込) by this person as its contact."""

    name = _detail_text("name", required=True)
    name_kana = _detail_text(
        "name_kana",
        description="the reading, in hiragana or katakana; required for a name in Japanese script",
    )
    email = _detail_text("email", required=True)
    organization = _detail_text(
        "organization", description="required unless attribute is individual"
    )
    corporate_number = _detail_text(
        "corporate_number",
        description="法人番号, 13 digits whose check digit matches (hyphens and spaces are "
        "ignored)",
    )
    department = _detail_text("department")
    job_title = _detail_text("job_title")
    prefecture = choice(PREFECTURES, required=True, metadata={"description": "JIS X 0401 code"})
    attribute = choice(Attribute, required=True)
    employee_band = choice(
        EmployeeBand,
        allow_none=True,
        metadata={"description": "required for sme and large-company"},
    )
    industry = choice(INDUSTRIES, allow_none=True, metadata={"description": "JSIC major group"})
    question = _detail_text("question")
    heard_from = choice(HeardFrom, allow_none=True)
    announcements_opt_in = StrictBoolean()
    locale = choice(("ja", "en"))
    attendance_mode = choice(
        AttendanceMode,
        allow_none=True,
        metadata={
            "description": "how the person attends: required for a hybrid seminar "
            "(venue or online), refused for any other"
        },
    )
    privacy_notice_agreed = StrictBoolean(
        required=True,
        validate=validate.Equal(True, error="The privacy notice must be agreed to (true)."),
    )
    members = fields.List(
        fields.Nested(GroupMemberSchema),
        validate=validate.Length(max=19),
        metadata={
            "description": "colleagues registered with this person (a group, up to the "
            "seminar's group size less one): each gets their own registration, ticket and "
            "mail; the free seats go in the order given, this person first, the rest join "
            "the waitlist in that order. Refusals name members.<n>.<field> (n from 0)."
        },
    )

    @staticmethod
    def _locale(original: Any) -> str:
        locale = original.get("locale") if isinstance(original, dict) else None
        return locale if locale in ("ja", "en") else "en"

    @ma.validates_schema(pass_original=True, skip_on_field_errors=False)
    def participant_details(self, data, original, **kwargs: Any) -> None:
        with force_locale(self._locale(original)):
            details, problems = parse_details(original)
            members = []
            for n, member in enumerate(_members_of(original)):
                checked, member_problems = parse_details(member_data(original, member))
                problems.update(
                    {f"members.{n}.{name}": text for name, text in member_problems.items()}
                )
                members.append(checked)
        if problems:
            raise ma.ValidationError(problems)
        # Checked once: post_load takes these details instead of checking them again.
        g.participant_details = (original, details, members)

    @ma.post_load(pass_original=True)
    def details(self, data, original, **kwargs: Any) -> dict[str, Any]:
        locale = self._locale(original)
        checked, details, members = g.pop("participant_details", (None, None, []))
        if checked is not original:
            with force_locale(locale):
                details, _problems = parse_details(original)
                members = [
                    parse_details(member_data(original, member))[0]
                    for member in _members_of(original)
                ]
        return {
            "details": details,
            "members": members,
            "locale": locale,
            "attendance_mode": AttendanceMode(data["attendance_mode"])
            if data.get("attendance_mode")
            else None,
        }


def _members_of(original: Any) -> list[dict[str, Any]]:
    """The members as sent, when they are a list of objects (the fields refuse the rest)."""
    members = original.get("members") if isinstance(original, dict) else None
    if not isinstance(members, list):
        return []
    return [member for member in members if isinstance(member, dict)]


class SeminarWriteSchema(ApiSchema):
    """A seminar's fields as staff send them; the seminar's rules judge the whole."""

    invalid_message = "The change is not valid."

    title = Text()
    title_en = Text(metadata={"maxLength": TEXT_LIMITS["title_en"]})
    series = choice(Series)
    level = choice(Level, allow_none=True)
    host_type = choice(HostType)
    delivery = choice(Delivery)
    status = choice(SeminarStatus)
    description = Text()
    description_en = Text()
    starts_at = moment()
    ends_at = moment()
    venue = Text(metadata={"maxLength": TEXT_LIMITS["venue"]})
    meeting_url = Text(metadata={"maxLength": TEXT_LIMITS["meeting_url"]})
    capacity = WholeNumber(allow_none=True, validate=validate.Range(0, MAX_CAPACITY))
    online_capacity = WholeNumber(
        allow_none=True,
        validate=validate.Range(0, MAX_CAPACITY),
        metadata={"description": "hybrid seminars only: seats online; null for no limit"},
    )
    registration_opens_at = moment(allow_none=True)
    registration_closes_at = moment(allow_none=True)
    host_organization = Text(metadata={"maxLength": TEXT_LIMITS["host_organization"]})
    external_url = Text(metadata={"maxLength": TEXT_LIMITS["external_url"]})
    waitlist_cutoff_hours = WholeNumber(allow_none=True, validate=validate.Range(0, 24 * 60))
    max_group_size = WholeNumber(
        allow_none=True,
        validate=validate.Range(1, MAX_GROUP_SIZE),
        metadata={
            "description": "the most people one registration may bring, the contact "
            "included (default 5; 1: one person at a time)"
        },
    )
    admission = choice(
        Admission,
        metadata={
            "description": "lottery needs registration_closes_at (the application "
            "deadline); fixed once people have registered"
        },
    )
    lottery_sme_priority = StrictBoolean(
        metadata={"description": "in a lottery, small and medium-sized companies are drawn first"}
    )


class SeminarCreateSchema(SeminarWriteSchema):
    invalid_message = "The seminar is not valid."

    title = Text(required=True)
    series = choice(Series, required=True)
    host_type = choice(HostType, required=True)
    delivery = choice(Delivery, required=True)
    status = choice(
        (SeminarStatus.DRAFT, SeminarStatus.PUBLISHED),
        load_default=SeminarStatus.DRAFT,
        metadata={"description": "a new seminar is draft or published"},
    )
    starts_at = moment(required=True)
    ends_at = moment(required=True)
    capacity = WholeNumber(required=True, allow_none=True, validate=validate.Range(0, MAX_CAPACITY))


class CheckInRequestSchema(ApiSchema):
    invalid_message = "The check-in is not valid."

    seminar_id = WholeNumber(required=True, validate=validate.Range(1, MAX_ID))
    code = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "exactly the text the QR code holds"},
    )


class MaterialUploadSchema(ApiSchema):
    """A material as the lecturer's page takes it; check_upload judges the file."""

    invalid_message = "The material is not valid."

    file = Upload(required=True, metadata={"description": "PDF, Office, image or ZIP"})
    title = fields.String(
        required=True, validate=validate.Length(1, string_length(Material.__table__.c.title))
    )
    audience = choice(Audience, required=True)
    visible_from = moment(metadata={"description": "hidden from participants until then"})

    @ma.pre_load
    def normalized_title(self, data, **kwargs: Any) -> dict[str, Any]:
        values = dict(data)
        if isinstance(values.get("title"), str):
            values["title"] = normalize_text(values["title"])
        return values


class MaterialCreatedSchema(ma.Schema):
    id = fields.Integer(required=True)
    url = fields.Url(required=True, metadata={"description": "where staff download it"})


#: Words the API takes for an audience beside its codes: 見逃し配信 is a no-show's recording.
RECORDING_AUDIENCE_ALIASES = {"no-shows": RecordingAudience.ABSENTEES}


class RecordingRequestSchema(ApiSchema):
    """A recording as the console's recordings page takes it; add_recording judges it."""

    invalid_message = "The recording is not valid."

    url = fields.String(
        required=True,
        metadata={
            "description": "https address on the e-learning platform",
            "maxLength": string_length(Recording.__table__.c.url),
        },
    )
    title = fields.String(
        required=True, validate=validate.Length(max=string_length(Recording.__table__.c.title))
    )
    audience = choice(
        [*RecordingAudience, *RECORDING_AUDIENCE_ALIASES],
        required=True,
        metadata={"description": "no-shows is another name for absentees"},
    )
    available_from = moment(allow_none=True)
    available_until = moment(allow_none=True, metadata={"description": "after available_from"})

    @ma.pre_load
    def normalized_text(self, data, **kwargs: Any) -> dict[str, Any]:
        values = dict(data)
        if isinstance(values.get("title"), str):
            values["title"] = normalize_text(values["title"])
        if isinstance(values.get("url"), str):
            values["url"] = values["url"].strip()
        return values

    @ma.post_load
    def stored_audience(self, data, **kwargs: Any) -> dict[str, Any]:
        audience = data["audience"]
        data["audience"] = RECORDING_AUDIENCE_ALIASES.get(audience) or RecordingAudience(audience)
        return data


class RecordingCreatedSchema(ma.Schema):
    id = fields.Integer(required=True)
    audience = choice(
        RecordingAudience,
        required=True,
        metadata={"description": "as stored: no-shows is absentees"},
    )


class AnnouncementRequestSchema(ApiSchema):
    """The types of an announcement; announcements.send judges its content."""

    invalid_message = "The announcement is not valid."

    @classmethod
    def not_an_object(cls) -> dict[str, Any]:
        return cls.refusal({"body": "must be a JSON object"}, 400)

    subject = fields.String(required=True, metadata={"description": "one line"})
    body = fields.String(
        required=True,
        metadata={
            "description": "plain text; a footer with the reason and the unsubscribe link is added"
        },
    )
    level = choice(
        Level,
        allow_none=True,
        metadata={"description": "only people who attended a seminar of this level"},
    )
    series = choice(
        Series,
        allow_none=True,
        metadata={"description": "only people who attended a seminar of this series"},
    )


# ---------------------------------------------------------------- the consultation desk


class PersonSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(attribute="display_name", required=True)


class ClientSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    corporate_number = fields.String(
        required=True, allow_none=True, metadata={"description": "法人番号, where known"}
    )


def _notes_readable(consultation: Consultation) -> bool:
    return desk.may_read_notes(g.api_user, consultation)


class ConsultationSchema(ma.Schema):
    """A consultation of the desk, without its notes."""

    id = fields.Integer(required=True)
    held_on = fields.Date(required=True, metadata={"description": "相談日"})
    fiscal_year = fields.Function(
        lambda consultation: fiscal_year_of(consultation.held_on),
        required=True,
        metadata={"type": "integer", "description": "年度 of the consultation date"},
    )
    desk = fields.String(
        attribute="desk.code",
        required=True,
        metadata={"description": "the code of the desk (相談窓口) that held it"},
    )
    channel = choice(Channel, required=True)
    client = fields.Nested(ClientSchema, required=True, allow_none=True)
    attribute = choice(Attribute, required=True)
    employee_band = choice(EmployeeBand, required=True, allow_none=True)
    industry = choice(INDUSTRIES, required=True, allow_none=True)
    prefecture = choice(PREFECTURES, required=True, allow_none=True)
    topics = fields.List(choice(Topic), required=True)
    source = choice(Source, required=True)
    referring_desk = choice(
        PREFECTURAL_DESKS,
        required=True,
        allow_none=True,
        metadata={
            "description": "the prefectural IP comprehensive support desk (知財総合支援窓口) "
            "that referred the client, by its prefecture's JIS X 0401 code"
        },
    )
    referrals = fields.List(
        choice(Referral),
        required=True,
        metadata={"description": "where the client was referred on to"},
    )
    step = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min(STEPS), max(STEPS))
    )
    advisor = fields.Nested(PersonSchema, required=True, allow_none=True)
    notes_readable = fields.Function(
        _notes_readable,
        required=True,
        metadata={
            "type": "boolean",
            "description": "whether this token may read the notes (organizers and the "
            "record's advisor), and change the record",
        },
    )
    created_at = fields.DateTime(format="iso", required=True)
    updated_at = fields.DateTime(format="iso", required=True)


class ConsultationDetailSchema(ConsultationSchema):
    """A consultation with its notes, for those who may read them."""

    notes = fields.String(
        allow_none=True,
        metadata={
            "description": "confidential; present only when notes_readable, and every "
            "read is recorded in the audit log"
        },
    )


class ConsultationPageSchema(ma.Schema):
    consultations = fields.List(fields.Nested(ConsultationSchema), required=True)
    fiscal_year = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class ClientRowSchema(ClientSchema):
    consultations = fields.Integer(required=True, validate=validate.Range(min=0))
    last_consultation_on = fields.Date(required=True, allow_none=True)
    highest_step = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min(STEPS), max(STEPS))
    )


class ClientListSchema(ma.Schema):
    clients = fields.List(fields.Nested(ClientRowSchema), required=True)
    total = fields.Integer(required=True)


class AttendedSeminarSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    title_en = fields.String(allow_none=True)
    series = choice(Series, required=True)
    level = choice(Level, required=True, allow_none=True)
    host_type = choice(HostType, required=True)
    starts_at = fields.DateTime(format="iso", required=True)


class DispatchMentionSchema(ma.Schema):
    id = fields.Integer(attribute="request_id", required=True)
    state = choice(DispatchState, required=True)


class HistoryEntrySchema(ma.Schema):
    """A consultation, a seminar that people of the client attended, a lecturer-dispatch
    request of the client (on the day it was received) or its in-company seminar."""

    day = fields.Date(required=True)
    kind = choice(("consultation", "seminar", "dispatch", "dispatch-seminar"), required=True)
    consultation = fields.Nested(ConsultationSchema, required=True, allow_none=True)
    seminar = fields.Nested(AttendedSeminarSchema, required=True, allow_none=True)
    people = fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={
            "description": "how many of the client's people attended (a dispatch's seminar: "
            "its head-count); null for a consultation, a request, or a head-count not "
            "recorded yet"
        },
    )
    dispatch = fields.Nested(
        DispatchMentionSchema,
        required=True,
        allow_none=True,
        metadata={"description": "the dispatch request, for a dispatch or its seminar"},
    )


class ClientDetailSchema(ClientSchema):
    highest_step = fields.Integer(
        required=True, allow_none=True, validate=validate.Range(min(STEPS), max(STEPS))
    )
    history = fields.List(
        fields.Nested(HistoryEntrySchema),
        required=True,
        metadata={"description": "oldest first"},
    )


def _one_of(values: Any, *, nullable: bool = False) -> LazyString:
    listed = ", ".join(str(value) for value in values)
    if nullable:
        return _l("Choose one of: %(values)s, or null (not known).", values=listed)
    return _l("Choose one of: %(values)s.", values=listed)


_UNKNOWN_PARAMETER = _l("This parameter is not known.")
_UNKNOWN_FIELD = _l("This field is not known.")
_NAME_LENGTH = string_length(Client.__table__.c.name)
#: Longest search of the clients' list (the console's box takes as much).
SEARCH_LENGTH = 200


def _unprintable(value: Any, allowed: str = "") -> bool:
    """Control characters and lone surrogates: no database keeps them as text."""
    return isinstance(value, str) and any(
        unicodedata.category(char) in ("Cc", "Cs") and char not in allowed for char in value
    )


def _fits_a_client_name(name: str | None) -> None:
    # A blank name is none (Text), and fits.
    if name is not None and len(name) > _NAME_LENGTH:
        raise ma.ValidationError("too long")


def _in_accepted_fiscal_year(day: date) -> None:
    if not is_accepted_fiscal_year(fiscal_year_of(day)):
        raise ma.ValidationError("outside the fiscal years the system knows")


class DeskQuerySchema(QuerySchema):
    """Query parameters of the desk; a refusal says what the parameter takes."""

    parameter_messages: ClassVar[dict[str, LazyString]] = {}

    @classmethod
    def refusal(cls, fields: dict[str, str], status: int) -> dict[str, Any]:
        field = min(fields)
        message = str(cls.parameter_messages.get(field, _UNKNOWN_PARAMETER))
        return {"error": f"{field}: {message}", "field": field, "status": status}


class ConsultationQuerySchema(DeskQuerySchema):
    """Filters of the consultations' list; an empty value is the filter left out."""

    parameter_messages: ClassVar[dict[str, LazyString]] = {
        "fiscal_year": _l(
            "Enter a fiscal year from %(first)d to %(last)d.",
            first=FIRST_FISCAL_YEAR,
            last=LAST_FISCAL_YEAR,
        ),
        "client_id": _l("Enter an id, a whole number from 1."),
        "advisor_id": _l("Enter an id, a whole number from 1."),
        "channel": _one_of(Channel),
        "desk": _l("Enter the code of a desk."),
        "page": _l("Enter a page from 1 to %(max)d.", max=MAX_PAGE),
        "per_page": _l("Enter a number of rows per page from 1 to %(max)d.", max=MAX_PER_PAGE),
    }

    fiscal_year = WholeNumber(
        validate=validate.Range(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR),
        metadata={"description": "年度 of the consultation date; this fiscal year when absent"},
    )
    client_id = WholeNumber(
        validate=validate.Range(1, MAX_ID), metadata={"description": "a client"}
    )
    advisor_id = WholeNumber(
        validate=validate.Range(1, MAX_ID), metadata={"description": "an advisor's user id"}
    )
    channel = choice(Channel, metadata={"description": "how it was held"})
    desk = fields.String(
        validate=validate.Regexp(DESK_CODE),
        metadata={"description": "the code of a desk (相談窓口): its consultations only"},
    )
    page = WholeNumber(
        load_default=1, validate=validate.Range(1, MAX_PAGE), metadata={"description": "from 1"}
    )
    per_page = WholeNumber(
        load_default=20,
        validate=validate.Range(1, MAX_PER_PAGE),
        metadata={"description": "consultations per page (default 20)"},
    )


class ClientQuerySchema(DeskQuerySchema):
    parameter_messages: ClassVar[dict[str, LazyString]] = {
        "q": _l("Enter at most %(max)d characters, without control characters.", max=SEARCH_LENGTH),
    }

    q = fields.String(
        validate=[
            validate.Length(max=SEARCH_LENGTH),
            # Documented as a pattern: no control characters (PostgreSQL refuses NUL).
            validate.Regexp(r"^[^\x00-\x1f\x7f-\x9f]*$"),
        ],
        metadata={"description": "part of the name, or the corporate number"},
    )


def _consultation_date(**kwargs: Any) -> fields.Date:
    return fields.Date(
        validate=_in_accepted_fiscal_year,
        metadata={"description": "相談日, the day of the consultation (in Japan)"},
        **kwargs,
    )


def _topics(**kwargs: Any) -> fields.List:
    return fields.List(
        choice(Topic), metadata={"minItems": 1, "description": "one or more"}, **kwargs
    )


class ConsultationWriteSchema(ApiSchema):
    """A change to a consultation, as the console's form takes it; the desk's rules judge it.

    A refused field is told what it takes, in the request's language.
    """

    invalid_message = "The consultation is not valid."
    field_messages: ClassVar[dict[str, LazyString]] = {
        "held_on": _l(
            "Enter the consultation date as YYYY-MM-DD, in a fiscal year from %(first)d "
            "to %(last)d.",
            first=FIRST_FISCAL_YEAR,
            last=LAST_FISCAL_YEAR,
        ),
        "channel": _one_of(Channel),
        "attribute": _one_of(Attribute),
        "employee_band": _one_of(EmployeeBand, nullable=True),
        "industry": _l("Choose a JSIC major group, A to T, or null (not known)."),
        "prefecture": _l("Choose a JIS X 0401 prefecture code, 01 to 47, or null (not known)."),
        "topics": _l("Choose one or more of: %(values)s.", values=", ".join(Topic)),
        "source": _one_of(Source),
        "step": _l("Choose a step of the seven-step support, 1 to 7, or null (none yet)."),
        "organization": _l(
            "Enter the organization's name, at most %(max)d characters, or null.",
            max=_NAME_LENGTH,
        ),
        "corporate_number": _l(
            "Enter a corporate number of 13 digits whose check digit matches, or null."
        ),
        "desk": _l("Enter the code of an active desk."),
        "referring_desk": _l(
            "Choose a prefectural desk by its JIS X 0401 prefecture code, 01 to 47, or null (none)."
        ),
        "referrals": _l("Choose none or more of: %(values)s.", values=", ".join(Referral)),
        "advisor_id": _l("Choose the id of an active advisor, or null (no advisor)."),
        "notes": _l(
            "Enter the notes as text (no control characters but tabs and line breaks), or null."
        ),
    }

    held_on = _consultation_date()
    channel = choice(Channel)
    attribute = choice(Attribute, metadata={"description": "the client's type of organization"})
    employee_band = choice(EmployeeBand, allow_none=True)
    industry = choice(INDUSTRIES, allow_none=True, metadata={"description": "JSIC major group"})
    prefecture = choice(PREFECTURES, allow_none=True, metadata={"description": "JIS X 0401 code"})
    topics = _topics()
    source = choice(Source, metadata={"description": "how the client came to the desk"})
    step = WholeNumber(
        allow_none=True,
        metadata={
            "minimum": min(STEPS),
            "maximum": max(STEPS),
            "description": "the step of the seven-step trade-secret support reached",
        },
    )
    organization = Text(
        validate=_fits_a_client_name,
        metadata={
            "maxLength": _NAME_LENGTH,
            "description": "the client, found by corporate number, else by name (new when "
            "neither is known); in a change, send it with corporate_number: one left out "
            "is none",
        },
    )
    corporate_number = Text(
        metadata={"description": "法人番号, 13 digits whose check digit matches"}
    )
    desk = fields.String(
        validate=validate.Length(max=30),
        metadata={
            "description": "the code of an active desk (相談窓口); left out: the record's desk, "
            "or for a new one the first active desk"
        },
    )
    referring_desk = choice(
        PREFECTURAL_DESKS,
        allow_none=True,
        metadata={"description": "the referring prefectural desk's JIS X 0401 code"},
    )
    referrals = fields.List(
        choice(Referral), metadata={"description": "where the client was referred on to"}
    )
    advisor_id = WholeNumber(
        allow_none=True,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "an active advisor's user id"},
    )
    notes = Text(
        metadata={
            "description": "confidential: read back only by organizers and the record's advisor"
        }
    )

    @ma.pre_load
    def normalized_organization(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        values = dict(data)
        if isinstance(values.get("organization"), str):
            # Judged at the length it is kept at: NFKC may lengthen it (㍿ is 株式会社).
            values["organization"] = normalize_text(values["organization"])
        return values

    @ma.validates_schema
    def storable_text(self, data: dict[str, Any], **kwargs: Any) -> None:
        allowed = {"organization": "", "corporate_number": "", "notes": "\t\n\r"}
        refused = [name for name, chars in allowed.items() if _unprintable(data.get(name), chars)]
        if data.get("organization") and organization_key(data["organization"]) is None:
            # Nothing but the company form (株式会社): no name to find the client by.
            refused.append("organization")
        if refused:
            raise ma.ValidationError(dict.fromkeys(refused, "not storable"))

    @classmethod
    def refusal(cls, fields: dict[str, str], status: int) -> dict[str, Any]:
        """Whatever was wrong with a field, it is told what it takes."""
        explained = {
            name: str(cls.field_messages.get(name, _UNKNOWN_FIELD)) for name in sorted(fields)
        }
        return {
            "error": gettext("The consultation is not valid."),
            "status": status,
            "fields": explained,
        }


class ConsultationCreateSchema(ConsultationWriteSchema):
    """A new consultation, as the console's form takes it."""

    held_on = _consultation_date(required=True)
    channel = choice(Channel, required=True)
    attribute = choice(
        Attribute, required=True, metadata={"description": "the client's type of organization"}
    )
    topics = _topics(required=True)
    source = choice(
        Source, required=True, metadata={"description": "how the client came to the desk"}
    )
    advisor_id = WholeNumber(
        allow_none=True,
        validate=validate.Range(1, MAX_ID),
        metadata={
            "description": "an active advisor's user id; left out: the token's owner if an "
            "advisor, else no advisor"
        },
    )


# ---------------------------------------------------------------- lecturer dispatch


class PreferredDateSchema(ma.Schema):
    rank = fields.Integer(
        required=True, validate=validate.Range(1, 3), metadata={"description": "1: first choice"}
    )
    starts_at = fields.DateTime(format="iso", required=True)
    ends_at = fields.DateTime(format="iso", required=True)


class AssignedStaffSchema(ma.Schema):
    email = fields.String(required=True)
    name = fields.String(attribute="display_name", required=True)


class DispatchSeminarSchema(ma.Schema):
    """The in-company seminar that scheduling made: its date, delivery and staff are the
    dispatch's."""

    id = fields.Integer(required=True)
    status = choice(SeminarStatus, required=True)
    starts_at = fields.DateTime(format="iso", required=True)
    ends_at = fields.DateTime(format="iso", required=True)
    delivery = choice(Delivery, required=True)
    venue = fields.String(required=True, allow_none=True)
    head_count = fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata={"description": "attendees recorded at delivery; null until then"},
    )
    staff = fields.List(
        fields.Nested(AssignedStaffSchema),
        attribute="lecturers",
        required=True,
        metadata={"description": "the lecturers or advisors assigned"},
    )


class DispatchChangeEntrySchema(ma.Schema):
    """One change of a request's state; the receipt is the first (from_state null)."""

    at = fields.DateTime(format="iso", required=True)
    from_state = choice(DispatchState, required=True, allow_none=True)
    to_state = choice(DispatchState, required=True)
    by = fields.String(
        attribute="actor_label",
        required=True,
        metadata={"description": "a staff member's e-mail, company (its private link) or system"},
    )
    reason = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "why (a decline's reason, which the company received)"},
    )


class DispatchRequestSchema(ma.Schema):
    """A company's request for a lecturer (講師派遣) and where it stands."""

    id = fields.Integer(required=True)
    state = choice(DispatchState, required=True)
    received_at = fields.DateTime(attribute="created_at", format="iso", required=True)
    organization = fields.String(required=True)
    corporate_number = fields.String(
        required=True, allow_none=True, metadata={"description": "法人番号, where given"}
    )
    address = fields.String(required=True)
    prefecture = choice(PREFECTURES, required=True, metadata={"description": "JIS X 0401 code"})
    attribute = choice(Attribute, required=True, metadata={"description": "type of organization"})
    employee_band = choice(EmployeeBand, required=True, allow_none=True)
    industry = choice(
        INDUSTRIES, required=True, allow_none=True, metadata={"description": "JSIC major group"}
    )
    contact_name = fields.String(required=True)
    contact_email = fields.String(required=True)
    contact_phone = fields.String(required=True)
    preferred_dates = fields.List(fields.Nested(PreferredDateSchema), required=True)
    themes = fields.List(
        choice(THEMES),
        required=True,
        metadata={"description": "a series, a step of the seven-step support, or a topic"},
    )
    theme_note = fields.String(required=True, allow_none=True)
    audience = fields.String(required=True)
    audience_size = fields.Integer(required=True, validate=validate.Range(min=1))
    delivery = choice(
        Delivery,
        required=True,
        metadata={"description": "as the company asked; the seminar's is the one fixed"},
    )
    place = fields.String(required=True, allow_none=True)
    locale = choice(("ja", "en"), required=True, metadata={"description": "the contact's"})
    client_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "the company as a client of the desk, once scheduled"},
    )
    seminar_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "the in-company seminar, once scheduled"},
    )
    seminar = fields.Nested(DispatchSeminarSchema, required=True, allow_none=True)
    delivered_minutes = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "how many minutes the seminar lasted; null until delivered"},
    )
    delivery_report = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "the organizer's report of the delivery"},
    )


class DispatchRequestDetailSchema(DispatchRequestSchema):
    history = fields.List(
        fields.Nested(DispatchChangeEntrySchema),
        attribute="changes",
        required=True,
        metadata={"description": "every change of state, oldest first"},
    )


class DispatchRequestPageSchema(ma.Schema):
    dispatch_requests = fields.List(fields.Nested(DispatchRequestSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class DispatchQuerySchema(QuerySchema):
    state = choice(DispatchState, metadata={"description": "only the requests in this state"})
    page = WholeNumber(
        load_default=1, validate=validate.Range(1, MAX_PAGE), metadata={"description": "from 1"}
    )
    per_page = WholeNumber(
        load_default=20,
        validate=validate.Range(1, MAX_PER_PAGE),
        metadata={"description": "requests per page (default 20)"},
    )


def _in_an_accepted_fiscal_year(moment: datetime) -> None:
    try:
        accepted = is_accepted_fiscal_year(fiscal_year_of(moment))
    except OverflowError:  # an offset that takes it past the calendar's last day
        accepted = False
    if not accepted:
        raise ma.ValidationError("outside the fiscal years the system knows")


#: The states a staff member may ask for, and the fields each takes beside `state`.
DISPATCH_CHANGES: dict[str, tuple[str, ...]] = {
    DispatchState.UNDER_REVIEW: ("reason",),
    DispatchState.SCHEDULED: ("starts_at", "ends_at", "delivery", "staff"),
    DispatchState.DECLINED: ("reason",),
    DispatchState.DELIVERED: ("attendees", "minutes", "report"),
    DispatchState.WITHDRAWN: ("reason",),
}


class DispatchChangeSchema(ApiSchema):
    """A change of a request's state, with what that state takes; dispatch's rules judge it
    as the console's pages do."""

    invalid_message = "The change is not valid."

    state = choice(
        DISPATCH_CHANGES,
        required=True,
        metadata={
            "description": "scheduled takes starts_at, ends_at, delivery and staff (again on a "
            "scheduled request: a new date or new staff); declined takes reason, which the "
            "company receives by mail; delivered takes attendees, and optionally minutes "
            "and report, once the seminar has ended (again on a delivered request: a "
            "correction); under-review and withdrawn take an optional reason as a note"
        },
    )
    starts_at = moment(
        validate=_in_an_accepted_fiscal_year,
        metadata={"description": "scheduled: when the seminar starts"},
    )
    ends_at = moment(
        validate=_in_an_accepted_fiscal_year, metadata={"description": "scheduled: when it ends"}
    )
    delivery = choice(Delivery, metadata={"description": "scheduled: how it is held"})
    staff = fields.List(
        fields.String(validate=validate.Length(1, 254)),
        metadata={
            "description": "scheduled: the e-mail addresses of the lecturers or advisors "
            "assigned, each an active staff account that can be a lecturer"
        },
    )
    reason = Text(
        validate=validate.Length(max=DISPATCH_LIMITS["reason"]),
        metadata={"description": "declined: why (the company receives it); else a note"},
    )
    attendees = WholeNumber(
        metadata={
            "minimum": 0,
            "maximum": MAX_HEAD_COUNT,
            "description": "delivered: how many attended (the seminar's head-count)",
        }
    )
    minutes = WholeNumber(
        metadata={
            "minimum": 1,
            "maximum": MAX_DELIVERED_MINUTES,
            "description": "delivered: how many minutes the seminar lasted (default: as scheduled)",
        }
    )
    report = Text(
        validate=validate.Length(max=MAX_DELIVERY_REPORT),
        metadata={"description": "delivered: the organizer's short report of the seminar"},
    )

    @ma.validates_schema
    def fields_of_the_state(self, data: dict[str, Any], **kwargs: Any) -> None:
        taken = DISPATCH_CHANGES.get(data.get("state", ""), ())
        extra = [name for name in data if name != "state" and name not in taken]
        if extra and "state" in data:
            message = f"Not taken with state {data['state']}."
            raise ma.ValidationError(dict.fromkeys(extra, message))

    @ma.validates_schema
    def storable_text(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Lone surrogates: no database keeps them, no answer shows them (the rules refuse
        # control characters in a reason in the reader's words; an address has none).
        refused = [
            name
            for name in ("reason", "report")
            if any(unicodedata.category(char) == "Cs" for char in data.get(name) or "")
        ]
        if any(_unprintable(address) for address in data.get("staff", [])):
            refused.append("staff")
        if refused:
            raise ma.ValidationError(dict.fromkeys(refused, "not storable"))


class DispatchConflictSchema(ma.Schema):
    """A seminar or dispatch of an assigned person that comes too close."""

    staff = fields.String(required=True, metadata={"description": "the person's e-mail"})
    seminar_id = fields.Integer(required=True)
    title = fields.String(required=True)
    starts_at = fields.DateTime(format="iso", required=True)
    ends_at = fields.DateTime(format="iso", required=True)
    dispatch_request_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "when that seminar is another dispatch: its request"},
    )


class DispatchOverlapSchema(ValidationErrorSchema):
    """A refused assignment: `fields` says under `staff` who is refused and what is in the
    way, `conflicts` names each seminar."""

    conflicts = fields.List(fields.Nested(DispatchConflictSchema), required=True)
