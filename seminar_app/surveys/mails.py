"""The survey invitation, rendered by the outbox sender in the person's language."""

from __future__ import annotations

from email.message import EmailMessage

from flask import render_template
from flask_babel import gettext as _

from ..database import DbSession
from ..i18n import format_moment, format_when
from ..notifications.models import OutboxMessage
from ..notifications.services import compose, renderer
from ..registration.models import Registration
from ..urls import absolute_url
from .models import Survey


def survey_url(registration: Registration) -> str:
    return absolute_url("surveys.answer", token=registration.manage_token)


@renderer("survey.invitation", bulk=True)
def render_invitation(session: DbSession, row: OutboxMessage) -> EmailMessage:
    registration = session.get_one(Registration, row.payload["registration_id"])
    survey = session.get_one(Survey, row.payload["survey_id"])
    seminar = registration.seminar
    language = row.payload.get("language", "ja")
    context = {
        "registration": registration,
        "seminar": seminar,
        "language": language,
        "survey_url": survey_url(registration),
        "when": format_when(seminar.starts_at, seminar.ends_at, language),
        "closes": format_moment(survey.closes_at, language) if survey.closes_at else None,
    }
    subject = _("[Survey] %(title)s", title=seminar.title_for(language))
    return compose(
        registration.email,
        subject,
        render_template("surveys/mail/invitation.txt", **context),
        render_template("surveys/mail/invitation.html", **context),
    )
