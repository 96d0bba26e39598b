"""The privacy pages of the console (organizers only): a person's data on their request,
and the versions of the privacy notice agreed to."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import check_roles
from ..dispatch.facts import request_facts
from ..domain import Role
from ..extensions import db
from ..i18n import current_language
from ..reference import INDUSTRIES, PREFECTURES, reference_name
from ..registration.models import Registration
from ..surveys.services import choice_label, label_of
from ..timeutil import utcnow
from . import services
from .forms import ConfirmForm, CorrectionForm, SearchForm

bp = Blueprint("privacy", __name__)
bp.before_request(lambda: check_roles(Role.ORGANIZER))


def _registration_or_404(registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        abort(404)
    return registration


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _person_page(email_key: str, *, status: int = 200) -> Response:
    held = services.holdings(db.session, email_key)
    services.record_viewed(db.session, email_key, held, by=current_user)
    db.session.commit()
    now = utcnow()
    html = render_template(
        "privacy/person.html",
        held=held,
        is_purged=services.is_purged,
        is_contact_purged=services.is_contact_purged,
        received_at=services.received_at,
        request_facts=lambda dispatch: request_facts(dispatch, current_language()),
        upcoming=services.upcoming_registrations(db.session, email_key, now),
        still_open=services.open_dispatch_requests(db.session, email_key, now),
        current_version=current_app.config["PRIVACY_NOTICE_VERSION"],
        place=_place,
        answer_lines=_answer_lines,
    )
    return _no_store(Response(html, status=status))


def _answer_lines(answer) -> list[tuple[str, str]]:
    """(question, answer) of a survey answer, labelled in the page's language."""
    language = current_language()
    questions = {question["key"]: question for question in answer.survey.questions or []}
    lines = []
    for key, value in (answer.answers or {}).items():
        question = questions.get(key)
        if question is None:
            lines.append((key, str(value)))
        elif isinstance(value, list):
            labels = [choice_label(question, item, language) for item in value]
            lines.append((label_of(question, language), ", ".join(labels)))
        else:
            text = choice_label(question, str(value), language)
            lines.append((label_of(question, language), text))
    return lines


def _place(table: str, code: str | None) -> str:
    """The name of a prefecture or industry code in the page's language."""
    tables = {"prefecture": PREFECTURES, "industry": INDUSTRIES}
    return reference_name(tables[table], code, current_language()) or (code or "")


@bp.route("/", methods=["GET", "POST"])
def index():
    form = SearchForm()
    if form.validate_on_submit():
        email_key = services.email_key_of(form.email.data)
        held = services.holdings(db.session, email_key)
        if not services.is_empty(held):
            return _for_person(email_key, held, form.action.data)
        services.record_viewed(db.session, email_key, held, by=current_user)
        db.session.commit()
        flash(_("Nothing is held about this address."), "info")
    return _no_store(Response(render_template("privacy/index.html", form=form)))


def _for_person(email_key: str, held: dict[str, Any], action: str | None) -> ResponseReturnValue:
    """What a search found: the person's page (by their latest registration when they have
    one), or, asked from that page, the download or the deletion by the address."""
    if action == "export":
        return _export(email_key)
    if action in ("delete", "erase"):
        return _deletion(email_key, confirmed=action == "erase", person=None)
    if held["entries"]:
        latest = held["entries"][0]["registration"]
        return redirect(url_for("privacy.person", registration_id=latest.id))
    return _person_page(email_key)


@bp.get("/person/<int:registration_id>")
def person(registration_id: int):
    return _person_page(_registration_or_404(registration_id).email_key)


def _export(email_key: str) -> Response:
    now = utcnow()
    held = services.holdings(db.session, email_key)
    data = services.export_data(held, now)
    services.record_exported(db.session, email_key, held, by=current_user)
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="personal-data-{now:%Y%m%d}.json"'
    )
    return _no_store(response)


@bp.get("/person/<int:registration_id>/export")
def export(registration_id: int):
    return _export(_registration_or_404(registration_id).email_key)


@bp.route("/registration/<int:registration_id>/correct", methods=["GET", "POST"])
def correct(registration_id: int):
    registration = _registration_or_404(registration_id)
    if services.is_purged(registration):
        flash(_("This registration has been anonymised: there is nothing to correct."), "error")
        return redirect(url_for("privacy.person", registration_id=registration.id))
    if request.method == "POST":
        form = CorrectionForm()
    else:
        form = CorrectionForm.for_registration(registration)
    if form.validate_on_submit():
        changed, errors = services.correct(db.session, registration, form.values(), by=current_user)
        if errors:
            db.session.rollback()
            for name, message in errors.items():
                if name == "email" and message == "already-registered":
                    message = _("This address is already registered for this seminar.")
                target = getattr(form, name, None)
                if target is not None:
                    target.errors = [*target.errors, message]
                else:
                    flash(message, "error")
        else:
            db.session.commit()
            if changed:
                flash(_("The details have been corrected."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("privacy.person", registration_id=registration.id))
    return _no_store(
        Response(render_template("privacy/correct.html", form=form, registration=registration))
    )


def _deleted_message(result: services.PurgeResult) -> str:
    if result.dispatch_requests:
        return _(
            "Deleted: %(n)d registrations and %(d)d lecturer-dispatch requests were "
            "anonymised. The figures of the reports are unchanged.",
            n=result.registrations,
            d=result.dispatch_requests,
        )
    return _(
        "Deleted: %(n)d registrations were anonymised. The figures of the reports are unchanged.",
        n=result.registrations,
    )


def _deletion(
    email_key: str, *, confirmed: bool, person: Registration | None
) -> ResponseReturnValue:
    """The confirmation of a deletion, or the deletion once `confirmed` (a POST with its
    CSRF token): refused (409) while a registration or a dispatch request is still on.
    Reached from a registration (`person`), or by the address (the search form)."""
    now = utcnow()
    held = services.holdings(db.session, email_key)
    upcoming = services.upcoming_registrations(db.session, email_key, now)
    still_open = services.open_dispatch_requests(db.session, email_key, now)
    if confirmed and not (upcoming or still_open):
        result = services.erase(db.session, email_key, now, by=current_user)
        db.session.commit()
        flash(_deleted_message(result), "success")
        return redirect(url_for("privacy.index"))
    status = 409 if confirmed else 200
    html = render_template(
        "privacy/delete.html",
        held=held,
        upcoming=upcoming,
        still_open=still_open,
        person=person,
        form=ConfirmForm() if person is not None else None,
        received_at=services.received_at,
    )
    return _no_store(Response(html, status=status))


@bp.route("/person/<int:registration_id>/delete", methods=["GET", "POST"])
def delete(registration_id: int):
    registration = _registration_or_404(registration_id)
    if services.is_purged(registration):
        flash(_("This registration has been anonymised already."), "info")
        return redirect(url_for("privacy.person", registration_id=registration.id))
    confirmed = ConfirmForm().validate_on_submit()
    return _deletion(registration.email_key, confirmed=confirmed, person=registration)


@bp.get("/notice")
def notice():
    return render_template(
        "privacy/notice.html",
        versions=services.notice_versions(db.session),
        current_version=current_app.config["PRIVACY_NOTICE_VERSION"],
    )
