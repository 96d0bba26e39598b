"""One page for all of an address's registrations, reached by a signed, expiring link."""

from __future__ import annotations

from email.message import EmailMessage

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..database import DbSession
from ..extensions import db, limiter
from ..i18n import current_language
from ..notifications.services import compose, queue, renderer
from ..timeutil import utcnow
from ..urls import absolute_url
from .details import normalize_email_address
from .models import CalendarFeed, Registration

bp = Blueprint("overview", __name__)

_SALT = "participant-overview"
#: The emailed link works for a week. It is made only for a mail to the address itself:
#: no page reached without that mail shows it, or the calendar feed it leads to.
MAX_AGE = 7 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def overview_token(email_key: str) -> str:
    return _serializer().dumps(email_key)


def email_key_from(token: str) -> str | None:
    try:
        value = _serializer().loads(token, max_age=MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    return value if isinstance(value, str) else None


def registrations_of(session: DbSession, email_key: str) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.email_key == email_key)
            .options(selectinload(Registration.seminar))
            .order_by(Registration.id.desc())
        )
    )


@renderer("participant.overview")
def render_overview(session: DbSession, row) -> EmailMessage:
    link = absolute_url("overview.show", token=overview_token(row.payload["email_key"]))
    body = render_template("registration/mail/overview.txt", link=link)
    return compose(row.recipient, _("Your seminar registrations"), body)


@bp.route("/me", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTRATION_RATE_LIMIT"], methods=["POST"])
def ask():
    if request.method == "POST":
        email, _problem = normalize_email_address(request.form.get("email") or "")
        found = registrations_of(db.session, email.lower()) if email else []
        if found:
            queue(
                db.session,
                "participant.overview",
                found[0].email,
                {"email_key": found[0].email_key},
                language=current_language(),
            )
            db.session.commit()
        # The same answer either way: this page must not tell who registered.
        flash(_("If that address has registrations, a link to them is on its way."), "info")
        return redirect(url_for("overview.ask"), 303)
    return render_template("registration/overview_ask.html")


@bp.get("/me/<token>")
def show(token: str):
    g.private_page = True
    email_key = email_key_from(token)
    if email_key is None:
        return render_template("registration/overview_expired.html"), 400
    now = utcnow()
    found = registrations_of(db.session, email_key)
    if not found:
        abort(404)
    return render_template(
        "registration/overview.html",
        upcoming=[registration for registration in found if registration.seminar.ends_at > now],
        past=[registration for registration in found if registration.seminar.ends_at <= now],
        email=found[0].email,
        # Shown here because this page was reached through the mail to the address.
        feed=db.session.scalar(select(CalendarFeed).where(CalendarFeed.email_key == email_key)),
        now=now,
    )
