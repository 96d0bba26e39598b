"""Survey pages: the attendee's answer behind their private link, the organizer's results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ..attendance.attended import attended
from ..audit.services import record
from ..auth.access import roles_required
from ..catalogue.models import Seminar
from ..domain import RegistrationStatus, Role
from ..exports import Table, table_download
from ..extensions import db
from ..i18n import current_language
from ..problems import show_problems
from ..registration.models import Registration
from ..registration.services import by_manage_token
from ..timeutil import to_jst, utcnow
from . import services
from .forms import ClosingForm, QuestionForm, answer_data, field_name
from .models import Survey

bp = Blueprint("surveys", __name__)


@bp.app_template_global("survey_panel")
def survey_panel(registration: Registration, now: datetime) -> dict[str, Any] | None:
    """What the registration page shows of the survey: None unless this attendee may answer."""
    if registration.status != RegistrationStatus.CONFIRMED or registration.seminar.ends_at > now:
        return None
    survey = services.survey_for_seminar(db.session, registration.seminar_id)
    if survey is None or not services.is_open(survey, now):
        return None
    if not attended(db.session, registration):
        return None
    answered = services.answer_of(db.session, survey, registration) is not None
    return {"survey": survey, "answered": answered}


@dataclass(frozen=True)
class Door:
    """Where a respondent came from, for the answer page's way back and its redirect."""

    #: The page the respondent goes back to, and what its link says.
    back_url: str
    back_label: str
    #: The answer page itself (after a post, the browser is sent back to it).
    here: str
    #: Whether the respondent may let their name go with their answers (a registration).
    ask_name: bool


def answer_page(
    survey: Survey, respondent: services.Respondent, seminar: Seminar, door: Door
) -> ResponseReturnValue:
    """The survey for one respondent, and their answer posted: the page of a registration's
    private link and of a shared link's browser alike."""
    now = utcnow()
    existing = services.answer_of(db.session, survey, respondent)
    back = {"back_url": door.back_url, "back_label": door.back_label}
    try:
        services.check_may_answer(db.session, survey, respondent, now)
    except services.SurveyError as exc:
        if exc.code != "closed":
            return render_template(
                "surveys/refused.html", seminar=seminar, message=exc.message, **back
            ), 403
        return render_template(
            "surveys/closed.html", seminar=seminar, survey=survey, answer=existing, **back
        ), (409 if request.method == "POST" else 200)

    values: dict[str, Any] = dict(existing.answers) if existing else {}
    may_name = existing.may_name if existing else False
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = answer_data(survey.questions, request.form)
        may_name = door.ask_name and request.form.get("may_name") == "1"
        answers, errors = services.validate_answers(survey, data)
        if not errors:
            try:
                services.submit_answer(db.session, survey, respondent, answers, may_name, now)
            except services.SurveyError as exc:  # closed or changed in between
                db.session.rollback()
                flash(exc.message, "error")
            else:
                db.session.commit()
                flash(_("Thank you. Your answers have been saved."), "success")
            return redirect(door.here, 303)
        values = data
    return render_template(
        "surveys/answer.html",
        seminar=seminar,
        survey=survey,
        values=values,
        may_name=may_name,
        ask_name=door.ask_name,
        errors=errors,
        answered=existing is not None,
        field_name=field_name,
        label_of=services.label_of,
        **back,
    ), (400 if errors else 200)


@bp.route("/r/<token>/survey", methods=["GET", "POST"])
def answer(token: str):
    g.private_page = True
    registration = by_manage_token(db.session, token)
    if registration is None:
        abort(404)
    survey = services.survey_for_seminar(db.session, registration.seminar_id)
    if survey is None:
        abort(404)
    door = Door(
        back_url=url_for("registration.manage", token=registration.manage_token),
        back_label=_("Back to your registration"),
        here=url_for("surveys.answer", token=registration.manage_token),
        ask_name=True,
    )
    return answer_page(survey, registration, registration.seminar, door)


def _seminar_or_404(seminar_id: int) -> Seminar:
    seminar = db.session.get(Seminar, seminar_id)
    if seminar is None:
        abort(404)
    return seminar


def _survey_or_404(seminar_id: int):
    survey = services.survey_for_seminar(db.session, seminar_id)
    if survey is None:
        abort(404)
    return survey


def _console_page(seminar: Seminar, question_form: QuestionForm | None = None, status=200):
    survey = services.survey_for_seminar(db.session, seminar.id)
    form = ClosingForm()
    if survey is not None and survey.closes_at is not None:
        form.closes_at.data = to_jst(survey.closes_at).replace(tzinfo=None)
    results = services.results(db.session, survey) if survey else None
    return render_template(
        "surveys/console.html",
        seminar=seminar,
        survey=survey,
        form=form,
        question_form=question_form or QuestionForm(formdata=None),
        editable=results is not None and results["answers"] == 0,
        editing_refusal=services.editing_refusal(),
        reported_keys=services.REPORTED_KEYS,
        results=results,
        label_of=services.label_of,
        language=current_language(),
        now=utcnow(),
    ), status


@bp.get("/console/seminars/<id:seminar_id>/survey")
@roles_required(Role.ORGANIZER)
def console(seminar_id: int):
    return _console_page(_seminar_or_404(seminar_id))


@bp.post("/console/seminars/<id:seminar_id>/survey")
@roles_required(Role.ORGANIZER)
def create(seminar_id: int):
    seminar = _seminar_or_404(seminar_id)
    try:
        services.create_survey(db.session, seminar)
    except services.SurveyError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(
            _(
                "The standard survey was created. Its questions can be changed until the "
                "first answer comes in."
            ),
            "success",
        )
    return redirect(url_for("surveys.console", seminar_id=seminar_id), 303)


@bp.post("/console/seminars/<id:seminar_id>/survey/closing")
@roles_required(Role.ORGANIZER)
def set_closing(seminar_id: int):
    survey = _survey_or_404(seminar_id)
    form = ClosingForm()
    if not form.validate_on_submit():
        flash(_("Enter the closing date and time as shown."), "error")
        return redirect(url_for("surveys.console", seminar_id=seminar_id), 303)
    try:
        services.set_closing(db.session, survey, form.closes_at_utc(), by=current_user)
    except services.SurveyError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("The closing date was saved."), "success")
    return redirect(url_for("surveys.console", seminar_id=seminar_id), 303)


@bp.post("/console/seminars/<id:seminar_id>/survey/questions")
@roles_required(Role.ORGANIZER)
def add_question(seminar_id: int):
    seminar = _seminar_or_404(seminar_id)
    survey = _survey_or_404(seminar_id)
    form = QuestionForm()
    try:  # CSRFProtect checked the token; the rules are the service's
        services.add_question(db.session, survey, form.spec(), by=current_user)
    except services.QuestionError as exc:
        db.session.rollback()
        for message in show_problems(form, exc.problems):
            flash(message, "error")
        return _console_page(seminar, form, 400)
    db.session.commit()
    flash(_("The question was added."), "success")
    return redirect(url_for("surveys.console", seminar_id=seminar_id, _anchor="questions"), 303)


def _change_questions(seminar_id: int, change, done: str):
    survey = _survey_or_404(seminar_id)
    try:
        change(survey)
    except services.QuestionError as exc:
        db.session.rollback()
        for message in exc.problems.values():
            flash(message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("surveys.console", seminar_id=seminar_id, _anchor="questions"), 303)


@bp.post("/console/seminars/<id:seminar_id>/survey/questions/<key>/remove")
@roles_required(Role.ORGANIZER)
def remove_question(seminar_id: int, key: str):
    return _change_questions(
        seminar_id,
        lambda survey: services.remove_question(db.session, survey, key, by=current_user),
        _("The question was removed."),
    )


@bp.post("/console/seminars/<id:seminar_id>/survey/questions/<key>/move")
@roles_required(Role.ORGANIZER)
def move_question(seminar_id: int, key: str):
    direction = request.form.get("direction", "")
    return _change_questions(
        seminar_id,
        lambda survey: services.move_question(db.session, survey, key, direction, by=current_user),
        _("The question was moved."),
    )


@bp.get("/console/seminars/<id:seminar_id>/survey.<any(csv, xlsx):extension>")
@roles_required(Role.ORGANIZER)
def export(seminar_id: int, extension: str):
    survey = _survey_or_404(seminar_id)
    header, rows = services.export_rows(db.session, survey, current_language())
    named = sum(1 for row in rows if row[2])
    record(
        db.session,
        "survey.exported",
        "survey",
        survey.id,
        details={"format": extension, "answers": len(rows), "named": named},
    )
    db.session.commit()
    return table_download(extension, f"survey-{seminar_id}", Table(_("Survey"), header, rows))
