"""Staff login, logout, own password, and the mailed reset link."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..audit.services import record
from ..extensions import db, limiter
from ..i18n import current_language, safe_next
from ..timeutil import utcnow
from . import services
from .access import roles_required
from .forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, ResetPasswordForm

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.find_user(db.session, form.email.data)
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user)
            user.last_login_at = utcnow()
            record(db.session, "user.logged_in", "user", user.id, actor=user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("auth.home")))
        flash(_("The e-mail or the password is not right."), "error")
    failed = form.is_submitted()
    return render_template("auth/login.html", form=form), (400 if failed else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("catalogue.index"))


@bp.get("/staff")
@roles_required()
def home():
    return render_template("auth/home.html")


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required()
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("The current password is not right."))
        else:
            current_user.set_password(form.new_password.data)
            record(db.session, "user.password_changed", "user", current_user.id)
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("auth.home"))
    return render_template("auth/change_password.html", form=form), (400 if form.errors else 200)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.send_password_reset(db.session, form.email.data, current_language())
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
        user.set_password(form.new_password.data)
        record(db.session, "user.password_reset", "user", user.id, actor=user)
        db.session.commit()
        flash(_("Your password has been set. Please log in."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form), (400 if form.errors else 200)
