"""What a request says, as a person reads it: the form's labels, and the request written
out in them for the confirmation mail, the contact's page and the organizers' page."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..domain import label
from ..i18n import format_when
from ..reference import INDUSTRIES, PREFECTURES, reference_name
from .models import DispatchRequest, theme_label

#: The label of each field of the request form, in the form's order.
LABELS = {
    "organization": _l("Company or organization"),
    "corporate_number": _l("Corporate number (法人番号)"),
    "address": _l("Address"),
    "prefecture": _l("Prefecture"),
    "attribute": _l("Type of organization"),
    "employee_band": _l("Number of employees"),
    "industry": _l("Industry"),
    "contact_name": _l("Contact person"),
    "contact_email": _l("E-mail"),
    "contact_phone": _l("Telephone"),
    "preferred": _l("Preferred dates and times"),
    "themes": _l("Themes"),
    "theme_note": _l("The theme in your words"),
    "audience": _l("Who will attend"),
    "audience_size": _l("Expected number of attendees"),
    "delivery": _l("Delivery"),
    "place": _l("Place of the seminar"),
}


def preferred_lines(request: DispatchRequest, language: str) -> list[str]:
    """'1. 2026年12月15日（火）14:00–16:00' for each preferred date, in the company's order."""
    return [
        f"{slot.rank}. {format_when(slot.starts_at, slot.ends_at, language)}"
        for slot in request.preferred_dates
    ]


def _industry(code: str | None, language: str) -> str:
    return f"{code} {reference_name(INDUSTRIES, code, language)}" if code else ""


def request_facts(request: DispatchRequest, language: str) -> list[tuple[str, list[str]]]:
    """(label, lines) for everything the company gave, in the form's order; what it left
    out is left out."""
    people = _("%(n)d people", n=request.audience_size)
    facts = [
        ("organization", [request.organization]),
        ("corporate_number", [request.corporate_number or ""]),
        ("address", [request.address]),
        ("prefecture", [reference_name(PREFECTURES, request.prefecture, language)]),
        ("attribute", [label(request.attribute)]),
        ("employee_band", [label(request.employee_band)]),
        ("industry", [_industry(request.industry, language)]),
        ("contact_name", [request.contact_name]),
        ("contact_email", [request.contact_email]),
        ("contact_phone", [request.contact_phone]),
        ("preferred", preferred_lines(request, language)),
        ("themes", [theme_label(theme) for theme in request.themes]),
        ("theme_note", (request.theme_note or "").split("\n")),
        ("audience", [request.audience]),
        ("audience_size", [people]),
        ("delivery", [label(request.delivery)]),
        ("place", [request.place or ""]),
    ]
    return [(str(LABELS[name]), lines) for name, lines in facts if any(lines)]
