"""Staff login, logout, own password and sessions, API tokens, and the mailed reset link."""

from __future__ import annotations

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
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..domain import SessionEnd
from ..extensions import db, limiter
from ..i18n import current_language, safe_next
from ..timeutil import utcnow
from . import services, sessions
from .access import roles_required
from .forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewApiTokenForm,
    ResetPasswordForm,
)
from .mfa.flow import after_password

bp = Blueprint("auth", __name__)


def _me():
    """The signed-in user itself (not Flask-Login's proxy), for rows that refer to it."""
    return current_user._get_current_object()


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is not None:
            return after_password(user, safe_next(request.args.get("next"), url_for("auth.home")))
        flash(_("The e-mail or the password is not right."), "error")
    failed = form.is_submitted()
    return render_template("auth/login.html", form=form), (400 if failed else 200)


@bp.post("/logout")
@login_required
def logout():
    sessions.sign_out()
    db.session.commit()
    flash(_("You have logged out."), "info")
    response = redirect(url_for("catalogue.index"))
    # What a check-in desk kept in this browser (its roster in IndexedDB, its page in the
    # service worker's cache) goes with the staff member (static/desk-offline.js).
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.get("/staff")
@roles_required()
def home():
    # Organizers first see what is on (console/_week_ahead.html, filled by the console).
    return render_template("auth/home.html")


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors = [
                *form.current_password.errors,
                _("The current password is not right."),
            ]
        else:
            user = _me()
            services.set_password(
                db.session, user, form.new_password.data or "", reason=SessionEnd.PASSWORD_CHANGED
            )
            # Every session ended with the old password; this browser continues in a new one.
            sessions.sign_in_again(user)
            db.session.commit()
            flash(
                _("Your password has been changed. Your other devices have been logged out."),
                "success",
            )
            return redirect(url_for("auth.home"))
    return render_template("auth/change_password.html", form=form), (400 if form.errors else 200)


@bp.get("/account/sessions")
@roles_required()
def own_sessions():
    return render_template(
        "auth/sessions.html",
        sessions=sessions.active_sessions(db.session, _me()),
        this_session=sessions.current_session(),
    )


@bp.post("/account/sessions/end-others")
@roles_required()
def end_other_sessions():
    count = sessions.end_sessions(
        db.session,
        _me(),
        SessionEnd.ENDED_BY_OWNER,
        keep=sessions.current_session(),
    )
    db.session.commit()
    flash(
        ngettext(
            "Logged out on %(num)d other device.", "Logged out on %(num)d other devices.", count
        ),
        "success",
    )
    return redirect(url_for("auth.own_sessions"))


@bp.post("/account/sessions/end-all")
@roles_required()
def end_all_sessions():
    sessions.end_sessions(db.session, _me(), SessionEnd.ENDED_BY_OWNER)
    sessions.sign_out()
    db.session.commit()
    flash(_("You have been logged out on every device, this one included."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@roles_required()
def api_tokens():
    form = NewApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        try:
            new_token = services.issue_api_token(
                db.session,
                _me(),
                name=form.name.data,
                expires_in_days=form.expires_in.data,
                actor_label=None,
            )
        except services.AccountError as exc:
            form.name.errors = [*form.name.errors, str(exc)]
        else:
            db.session.commit()
            form = NewApiTokenForm(formdata=None)
    return render_template(
        "auth/api_tokens.html",
        form=form,
        new_token=new_token,
        tokens=services.api_tokens(db.session, _me()),
        now=utcnow(),
        is_valid=services.api_token_is_valid,
    ), (400 if form.errors else 200)


@bp.post("/account/tokens/<id:token_id>/revoke")
@roles_required()
def revoke_api_token(token_id: int):
    token = services.revoke_api_token(db.session, _me(), token_id)
    if token is None:
        abort(404)
    db.session.commit()
    flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")
    return redirect(url_for("auth.api_tokens"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(db.session, form.email.data or "", current_language())
        db.session.commit()
        # The same answer whether or not the address has an account.
        flash(
            _(
                "If that address belongs to a staff account, a reset link is on its way. "
                "It works for %(minutes)d minutes.",
                minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), (400 if form.errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    g.private_page = True  # the link is a secret: no cache may keep the page
    user = services.user_for_reset_token(db.session, token)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(
            db.session,
            user,
            form.new_password.data or "",
            reason=SessionEnd.PASSWORD_RESET,
            actor=user,
        )
        db.session.commit()
        flash(_("Your password has been set. Please log in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), (400 if form.errors else 200)
