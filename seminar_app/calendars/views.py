"""Calendar files: a registration's .ics, the public catalogue feed and each person's feed."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, g, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..catalogue.models import Seminar
from ..catalogue.services import CatalogueFilter, FilterError, parse_filters, public_seminars_query
from ..domain import RegistrationStatus, SeminarStatus
from ..extensions import db
from ..notifications import calendar
from ..registration.mails import join_url, manage_url, registration_uid
from ..registration.models import CalendarFeed, Registration
from ..registration.services import by_manage_token, calendar_sequence
from ..timeutil import utcnow
from ..urls import absolute_url

bp = Blueprint("calendars", __name__)

#: How far back the public feed reaches, so that recent seminars stay in calendars.
FEED_HISTORY = timedelta(days=180)


def ics_response(body: bytes, filename: str) -> Response:
    """A calendar file, kept privately for a private page (g.private_page), with an ETag
    that answers 304 when it has not changed (the staff's feed of assignments too)."""
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = (
        "private, max-age=300" if g.get("private_page") else "public, max-age=900"
    )
    response.add_etag()
    response.make_conditional(request)  # a 304 when the calendar has not changed
    return response


def _registration_event(registration: Registration):
    seminar = registration.seminar
    language = registration.locale
    cancelled = not registration.is_active or seminar.status == SeminarStatus.CANCELLED
    lines = [calendar.location_of(seminar, language)]
    if (
        registration.status == RegistrationStatus.CONFIRMED
        and seminar.meeting_url
        and not cancelled
    ):
        lines.append(join_url(registration))
    return calendar.seminar_event(
        seminar,
        uid=registration_uid(registration),
        sequence=calendar_sequence(registration),
        language=language,
        description="\n".join(lines),
        url=manage_url(registration),
        cancelled=cancelled,
        tentative=registration.status
        in (RegistrationStatus.WAITLISTED, RegistrationStatus.APPLIED),
        stamp=max(seminar.updated_at, registration.updated_at),
    )


@bp.get("/r/<token>/calendar.ics")
def registration_ics(token: str):
    g.private_page = True
    registration = by_manage_token(db.session, token)
    if registration is None:
        abort(404)
    body = calendar.feed(
        [_registration_event(registration)],
        name=registration.seminar.title_for(registration.locale),
    )
    return ics_response(body, f"seminar-{registration.seminar_id}.ics")


@bp.get("/calendar/seminars.ics")
def public_feed():
    """Upcoming and recent public seminars; filter by level or series. No personal data."""
    try:
        filters = parse_filters(
            {key: request.args.get(key, "") for key in ("level", "series", "delivery")}
        )
    except FilterError as exc:
        abort(Response(exc.message, status=400, mimetype="text/plain"))
    filters = CatalogueFilter(level=filters.level, series=filters.series, delivery=filters.delivery)
    query = public_seminars_query(filters, utcnow()).where(
        Seminar.starts_at >= utcnow() - FEED_HISTORY
    )
    events = []
    for seminar in db.session.scalars(query):
        description = calendar.location_of(seminar, "ja")
        events.append(
            calendar.seminar_event(
                seminar,
                uid=f"seminar-{seminar.id}@{calendar.domain()}",
                sequence=seminar.calendar_sequence,
                language="ja",
                description=description,
                url=absolute_url("catalogue.detail", slug=seminar.slug),
                cancelled=seminar.status == SeminarStatus.CANCELLED,
                stamp=seminar.updated_at,
            )
        )
    name = f"{current_app.config['AGENCY_NAME']} セミナー"
    return ics_response(calendar.feed(events, name=name), "seminars.ics")


@bp.get("/calendar/<token>.ics")
def private_feed(token: str):
    """One person's registrations, at a secret address they can subscribe to."""
    g.private_page = True
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token == token))
    if feed is None:
        abort(404)
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.email_key == feed.email_key)
        .options(selectinload(Registration.seminar))
        .order_by(Registration.id)
    ).all()
    # Cancelled ones stay, marked CANCELLED, so that subscribed calendars drop them.
    events = [_registration_event(registration) for registration in registrations]
    return ics_response(calendar.feed(events, name="My seminars"), "my-seminars.ics")
