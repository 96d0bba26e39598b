"""Unsubscribing from announcements (public, by signed link), and the organizer's console page.

GET /unsubscribe/<token> only shows a button: mail scanners follow links, and must not
unsubscribe anyone. POST /unsubscribe/<token> unsubscribes at once; it is the RFC 8058
one-click target (body `List-Unsubscribe=One-Click`, sent by the mail provider without a
CSRF token) and the button's target alike, so it is exempt from CSRF: the token in the
path is the proof.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..auth.access import roles_required
from ..auth.models import User
from ..domain import Level, Role, Series, Vocabulary, choices
from ..extensions import csrf, db
from ..i18n import current_language
from ..problems import show_problems
from ..timeutil import utcnow
from . import services

bp = Blueprint("announcements", __name__)


# --- unsubscribing --------------------------------------------------------------------------


def _email_key_or_404(token: str) -> str:
    email_key = services.email_for_token(token)
    if email_key is None:
        abort(404)
    g.private_page = True
    return email_key


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    email_key = _email_key_or_404(token)
    return render_template(
        "announcements/unsubscribe.html",
        email=email_key,
        token=token,
        done=services.is_unsubscribed(db.session, email_key),
    )


@bp.post("/unsubscribe/<token>")
def unsubscribe_now(token: str):
    email_key = _email_key_or_404(token)
    services.unsubscribe(db.session, email_key, utcnow())
    db.session.commit()
    return render_template("announcements/unsubscribed.html", email=email_key)


csrf.exempt(unsubscribe_now)


# --- the console ----------------------------------------------------------------------------


class AnnouncementForm(FlaskForm):
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(), Length(max=services.SUBJECT_MAX)],
        filters=[lambda value: value.strip() if value else value],
    )
    body = TextAreaField(
        _l("Text of the mail"),
        validators=[DataRequired(), Length(max=services.BODY_MAX)],
        render_kw={"rows": 14},
    )
    level = SelectField(_l("Only people who attended a seminar of the level"))
    series = SelectField(_l("Only people who attended a seminar of the series"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.level.choices = [("", _l("Any level (no filter)")), *choices(Level)]
        self.series.choices = [("", _l("Any series (no filter)")), *choices(Series)]


def _refused(form: AnnouncementForm, exc: services.AnnouncementError) -> None:
    """Nothing is sent; each refusal is shown beside its field."""
    db.session.rollback()
    show_problems(form, exc.problems)


def _known(value: str | None, enum: type[Vocabulary]) -> str | None:
    """The filter as chosen, or None (no filter) for a value that is none of the enum's."""
    return value if value in {member.value for member in enum} else None


def _recipient_count(form: AnnouncementForm) -> int:
    level, series = _known(form.level.data, Level), _known(form.series.data, Series)
    return services.count_recipients(db.session, level, series)


def _send_test(form: AnnouncementForm) -> ResponseReturnValue | None:
    """Queue the announcement to the organizer alone; the console is shown again."""
    try:
        services.send_test(
            db.session,
            form.subject.data,
            form.body.data,
            to=current_user,
            language=current_language(),
        )
    except services.AnnouncementError as exc:
        _refused(form, exc)
        return None
    db.session.commit()
    flash(
        _("A test is on its way to %(address)s; nobody else gets it.", address=current_user.email),
        "success",
    )
    return None


def _confirmation(form: AnnouncementForm) -> str:
    """Ask first: how many people get it, and what exactly they will read."""
    return render_template(
        "console/confirm.html",
        question=_("Send this announcement?"),
        consequence=ngettext(
            "%(num)d person will get this mail. It cannot be called back once sent.",
            "%(num)d people will get this mail. It cannot be called back once sent.",
            _recipient_count(form),
        ),
        confirm_label=_("Send the announcement"),
        action=url_for("announcements.console"),
        fields={
            "action": "send",
            "subject": form.subject.data,
            "body": form.body.data,
            "level": form.level.data or "",
            "series": form.series.data or "",
        },
        preview=[(_("Subject"), form.subject.data), (_("Text of the mail"), form.body.data)],
        back=url_for("announcements.console"),
        danger=False,
    )


def _send(form: AnnouncementForm) -> ResponseReturnValue | None:
    """Once confirmed, queue the announcement to every recipient and go back to the console."""
    if request.form.get("confirmed") != "1":
        return _confirmation(form)
    try:
        _announcement, count = services.send(
            db.session,
            form.subject.data,
            form.body.data,
            form.level.data,
            form.series.data,
            by=current_user,
            now=utcnow(),
        )
    except services.AnnouncementError as exc:
        _refused(form, exc)
        return None
    db.session.commit()
    flash(_("The announcement was queued for %(count)d recipients.", count=count), "success")
    return redirect(url_for("announcements.console"))


#: What the console's buttons do with a valid form; None shows the console again.
#: The third button, "preview", only counts the recipients: the console page does that.
_ACTIONS: dict[str, Callable[[AnnouncementForm], ResponseReturnValue | None]] = {
    "test": _send_test,
    "send": _send,
}


def _console_page(form: AnnouncementForm, *, previewed: bool) -> str:
    count = _recipient_count(form)
    announcements = services.past_announcements(db.session)
    sender_ids = {a.sent_by_id for a in announcements if a.sent_by_id is not None}
    senders = (
        list(db.session.scalars(select(User).where(User.id.in_(sender_ids)))) if sender_ids else []
    )
    return render_template(
        "announcements/console.html",
        form=form,
        count=count,
        previewed=previewed,
        announcements=announcements,
        sender_names={user.id: user.display_name for user in senders},
    )


@bp.route("/console/announcements", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def console() -> ResponseReturnValue:
    form = AnnouncementForm()
    action = request.form.get("action", "") if request.method == "POST" else ""
    act = _ACTIONS.get(action)
    if act is not None and form.validate_on_submit():
        response = act(form)
        if response is not None:
            return response
    return _console_page(form, previewed=action == "preview")
