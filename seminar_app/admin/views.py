"""Admins manage staff accounts: create, roles, disable (which ends their sessions)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..auth import services as accounts
from ..auth.access import require_roles_for_blueprint
from ..auth.mfa import services as second_factors
from ..auth.models import User
from ..domain import Role
from ..extensions import db
from ..i18n import current_language
from .forms import NewStaffForm, StaffForm

bp = Blueprint("admin", __name__)
require_roles_for_blueprint(bp, Role.ADMIN)


@bp.get("/")
def index():
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.email)).all()
    return render_template("admin/index.html", users=users)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(
                db.session,
                form.email.data or "",
                {Role(role) for role in form.roles.data or []},
                display_name=form.display_name.data or "",
            )
        except accounts.AccountError as exc:
            form.email.errors = [*form.email.errors, str(exc)]
        else:
            # The new colleague chooses a password through the reset link.
            accounts.send_password_reset(db.session, user.email, current_language())
            db.session.commit()
            flash(_("Account created; an invitation to set a password has been sent."), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/form.html", form=form, user=None), (400 if form.errors else 200)


@bp.route("/<id:user_id>", methods=["GET", "POST"])
def edit(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = StaffForm(obj=user)
    if not form.is_submitted():
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        roles = {Role(role) for role in form.roles.data or []}
        if user.id == current_user.id and (Role.ADMIN not in roles or not form.active.data):
            form.roles.errors = [
                *form.roles.errors,
                _("You cannot remove your own admin role or disable yourself; ask another admin."),
            ]
        else:
            accounts.update_staff(
                db.session,
                user,
                display_name=form.display_name.data or "",
                roles=roles,
                active=form.active.data,
            )
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/form.html", form=form, user=user), (400 if form.errors else 200)


@bp.post("/<id:user_id>/second-factor/reset")
def reset_second_factor(user_id: int):
    """For a member who lost their phone or key: every factor goes, audited."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    second_factors.reset_second_factors(db.session, user, by=current_user._get_current_object())
    db.session.commit()
    flash(
        _(
            "Two-step verification of %(name)s has been reset. They log in with their password "
            "and set up a new factor if their role needs one.",
            name=user.display_name,
        ),
        "success",
    )
    return redirect(url_for("admin.edit", user_id=user.id))
