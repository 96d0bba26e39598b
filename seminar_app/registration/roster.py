"""The organizer's list of a seminar's registrations: search, filters and export rows."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from ..database import DbSession
from ..domain import RegistrationStatus, label
from ..reference import INDUSTRIES, PREFECTURES, reference_name
from ..text import normalize_text
from ..timeutil import to_jst
from .models import Registration
from .services import waitlist_positions


def roster_query(
    seminar_id: int, status: str | None = None, search: str | None = None
) -> Select[tuple[Registration]]:
    query = select(Registration).where(Registration.seminar_id == seminar_id)
    if status in {member.value for member in RegistrationStatus}:
        query = query.where(Registration.status == status)
    term = normalize_text(search).lower()
    if term:
        # autoescape: a % or _ typed by the organizer is a character, not a wildcard.
        query = query.where(
            or_(
                Registration.name.icontains(term, autoescape=True),
                Registration.name_kana.icontains(term, autoescape=True),
                Registration.email_key.contains(term, autoescape=True),
                Registration.organization.icontains(term, autoescape=True),
            )
        )
    return query.order_by(Registration.id)


@dataclass(frozen=True)
class Group:
    """A group registered together (団体申込), as the organizer's list and exports name it."""

    #: The group's number: its contact's registration number (No.).
    number: int
    #: The name of the person who registered the group.
    contact: str
    #: How many people were registered in it (cancelled ones too).
    size: int


def groups_of(session: DbSession, seminar_id: int) -> dict[int, Group]:
    """The seminar's groups of two people or more by group id (Registration.group_id), in
    one query; a group of one is a registration like any other and is left out."""
    member = aliased(Registration)
    rows = session.execute(
        select(Registration.id, Registration.name, func.count(member.id))
        .join(member, member.group_id == Registration.id)
        .where(Registration.seminar_id == seminar_id)
        .group_by(Registration.id, Registration.name)
        .having(func.count(member.id) > 1)
    )
    return {number: Group(number, name, size) for number, name, size in rows}


def export_header() -> list[str]:
    return [
        _("No."),
        _("Status"),
        _("Waitlist number"),
        _("Name"),
        _("Name in kana"),
        _("E-mail"),
        _("Organization"),
        _("Department"),
        _("Job title"),
        _("Prefecture"),
        _("Type of organization"),
        _("Employees"),
        _("Industry"),
        _("Question"),
        _("Heard from"),
        _("Announcements"),
        _("Registered at (JST)"),
        _("Privacy notice version"),
        _("How they attend"),
        _("Group No."),
        _("Group contact"),
    ]


def export_rows(session: DbSession, seminar_id: int, language: str) -> list[list[object]]:
    rows = []
    positions = waitlist_positions(session, seminar_id)  # in drawn order after a lottery
    groups = groups_of(session, seminar_id)
    for registration in session.scalars(roster_query(seminar_id)):
        group = groups.get(registration.group_id) if registration.group_id else None
        rows.append(
            [
                registration.id,
                label(registration.status),
                positions.get(registration.id),
                registration.name,
                registration.name_kana,
                registration.email,
                registration.organization,
                registration.department,
                registration.job_title,
                reference_name(PREFECTURES, registration.prefecture, language),
                label(registration.attribute),
                registration.employee_band,
                reference_name(INDUSTRIES, registration.industry, language),
                registration.question,
                label(registration.heard_from) if registration.heard_from else None,
                registration.announcements_opt_in,
                to_jst(registration.created_at),
                registration.privacy_notice_version,
                label(registration.attendance),
                group.number if group else None,
                group.contact if group else None,
            ]
        )
    return rows
