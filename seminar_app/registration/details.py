"""What a participant tells us, checked and normalised the same way for the form and the API."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from flask_babel import gettext as _

from ..domain import Attribute, EmployeeBand, HeardFrom
from ..reference import INDUSTRIES, PREFECTURES
from ..text import (
    EMAIL_MAX_LENGTH,
    normalize_corporate_number,
    normalize_email,
    normalize_email_address,
    normalize_text,
)

#: Hiragana, katakana, the prolonged sound mark, middle dot and spaces.
KANA_PATTERN = re.compile(r"^[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe\u30fb ]+$")
#: Kanji, kana and the marks written with them: a name in Japanese script, whose reading
#: cannot be guessed, so the reading in kana is asked for (a name in Latin letters is read
#: as written).
JAPANESE_SCRIPT = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f々〆ヶ]"
)

LIMITS = {
    "name": 100,
    "name_kana": 100,
    "email": EMAIL_MAX_LENGTH,
    "organization": 200,
    "corporate_number": 20,
    "department": 100,
    "job_title": 100,
    "question": 2000,
}


@dataclass
class ParticipantDetails:
    name: str
    name_kana: str
    email: str
    prefecture: str
    attribute: str
    organization: str | None = None
    #: 法人番号 (13 digits), optional: links the registration to a client of the desk.
    corporate_number: str | None = None
    department: str | None = None
    job_title: str | None = None
    employee_band: str | None = None
    industry: str | None = None
    question: str | None = None
    heard_from: str | None = None
    announcements_opt_in: bool = False
    locale: str = "ja"

    @cached_property
    def email_key(self) -> str:
        return normalize_email(self.email)

    def as_dict(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


#: The fields a participant fills in, as the form and the API name them.
DETAIL_FIELDS = tuple(name for name in ParticipantDetails.__dataclass_fields__ if name != "locale")


def _has_control_characters(value: str) -> bool:
    """Control and format characters, and lone surrogates (which JSON can carry as \\ud800
    and no database keeps as text)."""
    return any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in value)


def text_value(
    raw: Any,
    name: str,
    errors: dict[str, str],
    *,
    required: bool,
    multiline: bool = False,
    limit: int | None = None,
) -> str | None:
    """Typed text, NFKC and trimmed (one line with spaces folded, unless `multiline`), at
    most `limit` characters (LIMITS[name] by default); None when empty. A refusal goes to
    errors[name], in the reader's language."""
    limit = limit or LIMITS[name]
    if raw is not None and not isinstance(raw, str):
        errors[name] = _("Enter text.")
        return None
    value = unicodedata.normalize("NFKC", raw or "").strip()
    if multiline:
        value = "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").split("\n"))
        if any(_has_control_characters(char) for char in value if char not in "\n\t"):
            errors[name] = _("Remove the control characters.")
            return None
    else:
        if "\n" in value or "\r" in value or _has_control_characters(value):
            errors[name] = _("Use a single line without line breaks.")
            return None
        value = normalize_text(value)
    if not value:
        if required:
            errors[name] = _("This field is required.")
        return None
    if len(value) > limit:
        errors[name] = _("Use at most %(n)d characters.", n=limit)
        return None
    return value


def choice_value(
    raw: Any, name: str, allowed, errors: dict[str, str], *, required: bool
) -> str | None:
    """One of `allowed`, or None when nothing was chosen; a refusal goes to errors[name]."""
    value = raw.strip() if isinstance(raw, str) else raw
    if value in (None, ""):
        if required:
            errors[name] = _("Choose one.")
        return None
    if not isinstance(value, str) or value not in allowed:
        errors[name] = _("Choose one of the listed values.")
        return None
    return value


def email_value(raw: Any, errors: dict[str, str], name: str = "email") -> str | None:
    """The address in the form it is stored and sent in (see normalize_email_address)."""
    if raw is not None and not isinstance(raw, str):
        errors[name] = _("Enter text.")
        return None
    email, problem = normalize_email_address(raw or "")
    if problem:
        errors[name] = problem
    return email


def _corporate_number(raw: Any, errors: dict[str, str]) -> str | None:
    """法人番号, optional: text.normalize_corporate_number's rule (13 digits whose check
    digit matches, hyphens and spaces ignored)."""
    typed = text_value(raw, "corporate_number", errors, required=False)
    number, problem = normalize_corporate_number(typed)
    if problem:
        errors["corporate_number"] = problem
    return number


def yes_or_no(raw: Any, name: str, errors: dict[str, str]) -> bool:
    """A tick box: absent or None is no; anything but a boolean is refused."""
    if raw is None:
        return False
    if not isinstance(raw, bool):
        errors[name] = _("Answer yes or no.")
        return False
    return raw


#: The fields parse_details refuses to go without, whatever else is given (the reading, the
#: organization and the employee band depend on the name and the attribute); every
#: participant form marks these required.
ALWAYS_REQUIRED = ("name", "email", "attribute", "prefecture")


def parse_details(data: Mapping[str, Any]) -> tuple[ParticipantDetails | None, dict[str, str]]:
    """Check and normalise a registration's fields; errors map each bad field to a message."""
    errors: dict[str, str] = {}
    name = text_value(data.get("name"), "name", errors, required=True)
    reading_needed = bool(name and JAPANESE_SCRIPT.search(name))
    kana = text_value(data.get("name_kana"), "name_kana", errors, required=reading_needed)
    if kana and not KANA_PATTERN.match(kana):
        errors["name_kana"] = _("Write the reading in hiragana or katakana.")
    email = email_value(data.get("email"), errors)
    attribute = choice_value(
        data.get("attribute"), "attribute", {a.value for a in Attribute}, errors, required=True
    )
    organization = text_value(
        data.get("organization"),
        "organization",
        errors,
        required=attribute not in (None, Attribute.INDIVIDUAL),
    )
    corporate_number = _corporate_number(data.get("corporate_number"), errors)
    department = text_value(data.get("department"), "department", errors, required=False)
    job_title = text_value(data.get("job_title"), "job_title", errors, required=False)
    prefecture = choice_value(
        data.get("prefecture"), "prefecture", PREFECTURES, errors, required=True
    )
    employee_band = choice_value(
        data.get("employee_band"),
        "employee_band",
        {band.value for band in EmployeeBand},
        errors,
        required=attribute in (Attribute.SME, Attribute.LARGE_COMPANY),
    )
    industry = choice_value(data.get("industry"), "industry", INDUSTRIES, errors, required=False)
    question = text_value(data.get("question"), "question", errors, required=False, multiline=True)
    heard_from = choice_value(
        data.get("heard_from"),
        "heard_from",
        {item.value for item in HeardFrom},
        errors,
        required=False,
    )
    locale = choice_value(data.get("locale") or "ja", "locale", {"ja", "en"}, errors, required=True)
    opt_in = yes_or_no(data.get("announcements_opt_in"), "announcements_opt_in", errors)
    if errors:
        return None, errors
    # A required field is missing only with its message in `errors`.
    assert name and email and prefecture and attribute and locale
    return ParticipantDetails(
        name=name,
        name_kana=kana or "",
        email=email,
        organization=organization,
        corporate_number=corporate_number,
        department=department,
        job_title=job_title,
        prefecture=prefecture,
        attribute=attribute,
        employee_band=employee_band,
        industry=industry,
        question=question,
        heard_from=heard_from,
        announcements_opt_in=opt_in,
        locale=locale,
    ), {}
