"""The login's second step, and each staff member's own second factors."""

from __future__ import annotations

import base64

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from ...audit.services import record
from ...database import begin_write
from ...extensions import db, limiter, login_manager
from ...qr import qr_png
from ..access import roles_required
from ..models import User
from . import flow, services
from .forms import AppCodeForm, CodeForm, PasskeyNameForm, RemoveAppForm
from .services import SecondFactorError

bp = Blueprint("mfa", __name__)

#: What a signed-in member who still has to set up a factor may reach meanwhile.
_OPEN_WHILE_ENROLLING = {"static", "auth.logout", "i18n.switch_language", "health.healthz"}


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _pending_login_key() -> str:
    """Counts the attempts of one pending login, from whichever address they come."""
    marker = session.get(flow.PENDING_KEY)
    user_id = marker.get("user") if isinstance(marker, dict) else None
    return f"second-factor:{user_id}" if isinstance(user_id, int) else get_remote_address()


@bp.before_app_request
def enrol_before_anything_else():
    """A member who must have a second factor and has none sets one up before anything else."""
    if request.blueprint in ("mfa", "api") or request.endpoint in _OPEN_WHILE_ENROLLING:
        return None
    if not current_user.is_authenticated or not services.second_factor_required(current_user):
        return None
    if services.has_second_factor(db.session, current_user):
        return None
    return redirect(url_for("mfa.account"))


@bp.app_context_processor
def second_factor_helpers():
    return {"second_factors_of": lambda user: services.factors_of(db.session, user)}


# --- the login's second step --------------------------------------------------------------------


def _login_again():
    if flow.PENDING_KEY in session:  # a login was begun, and has lapsed
        flow.cancel_pending()
        flash(_("Your login has timed out. Please enter your e-mail and password again."), "info")
    return redirect(url_for("auth.login"))


def _json_error(message: str, status: int = 400, **extra):
    return jsonify(error=message, **extra), status


def _json_login_again():
    return _json_error(
        _("Your login has timed out. Please enter your e-mail and password again."),
        redirect=url_for("auth.login"),
    )


@bp.route("/login/second-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_pending_login_key)
def challenge():
    g.private_page = True
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    user = flow.pending_user()
    if user is None:
        if flow.pending_user(enrol=True) is not None:
            return redirect(url_for("mfa.account"))
        return _login_again()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = services.check_code(db.session, user, form.code.data or "")
        except SecondFactorError as exc:
            form.code.errors = [*form.code.errors, str(exc)]
            _refused(user, "code")
        else:
            next_url = flow.finish_login(user, method)
            left = services.recovery_codes_left(db.session, user)
            db.session.commit()
            if method == "recovery-code":
                flash(
                    _(
                        "You used a recovery code; %(n)d are left. Each works only once: "
                        "make new ones on your two-step verification page when few are left.",
                        n=left,
                    ),
                    "warning",
                )
            return redirect(next_url)
    factors = services.factors_of(db.session, user)
    return render_template("auth/mfa/challenge.html", form=form, factors=factors), (
        400 if form.errors else 200
    )


def _refused(user, method: str) -> None:
    """A wrong second factor is kept on record, in a transaction of its own."""
    record(
        db.session,
        "user.second_factor_refused",
        "user",
        user.id,
        actor=user,
        details={"method": method},
    )
    db.session.commit()


@bp.post("/login/second-factor/passkey/options")
@limiter.limit(_login_limit)
@limiter.limit(_login_limit, key_func=_pending_login_key)
def passkey_login_options():
    user = flow.pending_user()
    if user is None:
        return _json_login_again()
    try:
        options, challenge = services.authentication_options(db.session, user)
    except SecondFactorError as exc:
        return _json_error(str(exc))
    flow.keep_challenge("login", user, challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/second-factor/passkey")
@limiter.limit(_login_limit)
@limiter.limit(_login_limit, key_func=_pending_login_key)
def passkey_login():
    user = flow.pending_user()
    if user is None:
        return _json_login_again()
    challenge = flow.take_challenge("login", user)
    if challenge is None:
        return _json_error(_("The passkey request has expired. Please try again."))
    body = request.get_json(silent=True)
    try:
        services.check_passkey(
            db.session, user, body.get("credential") if isinstance(body, dict) else None, challenge
        )
    except SecondFactorError as exc:
        _refused(user, "passkey")
        return _json_error(str(exc))
    next_url = flow.finish_login(user, "passkey")
    db.session.commit()
    return jsonify(redirect=next_url)


# --- a member's own factors (also the first set-up during login) ---------------------------------


def _person() -> tuple[User, bool] | None:
    """Who sets up factors here: the signed-in member, or someone half-way through login who
    must set up a first factor. The flag says whether they are signed in."""
    g.private_page = True
    if current_user.is_authenticated:
        return current_user._get_current_object(), True
    user = flow.pending_user(enrol=True)
    return (user, False) if user is not None else None


def _render_account(user: User, signed_in: bool, status: int = 200, **forms):
    factors = services.factors_of(db.session, user)
    return render_template(
        "auth/mfa/account.html",
        person=user,
        signed_in=signed_in,
        factors=factors,
        required=services.second_factor_required(user),
        recovery_due=factors.any and not factors.recovery_codes_left,
        continue_url=session.get(flow.NEXT_KEY),
        passkey_form=forms.get("passkey_form") or PasskeyNameForm(),
        remove_form=forms.get("remove_form") or RemoveAppForm(),
    ), status


@bp.get("/account/second-factor")
def account():
    person = _person()
    if person is None:
        return login_manager.unauthorized()
    return _render_account(*person)


@bp.route("/account/second-factor/app", methods=["GET", "POST"])
def app_setup():
    person = _person()
    if person is None:
        return login_manager.unauthorized()
    user, signed_in = person
    begin_write(db.session)  # even a GET may keep a new secret
    try:
        app = services.begin_authenticator_app(db.session, user)
    except SecondFactorError as exc:
        flash(str(exc), "info")
        return redirect(url_for("mfa.account"))
    form = AppCodeForm()
    if form.validate_on_submit():
        try:
            services.confirm_authenticator_app(db.session, user, form.code.data or "")
        except SecondFactorError as exc:
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            codes = (
                services.new_recovery_codes(db.session, user)
                if services.recovery_codes_due(db.session, user)
                else None
            )
            next_url = None if signed_in else flow.finish_login(user, "totp")
            db.session.commit()
            if codes:
                return _show_recovery_codes(codes, next_url)
            flash(_("The authenticator app is on."), "success")
            return redirect(next_url or url_for("mfa.account"))
    # Kept, so that a reload shows the same QR code the phone may already have scanned.
    db.session.commit()
    secret = services.setup_secret(app)
    qr = base64.b64encode(qr_png(services.provisioning_uri(app, user), box_size=5)).decode()
    return render_template(
        "auth/mfa/app_setup.html",
        form=form,
        signed_in=signed_in,
        qr_data_uri=f"data:image/png;base64,{qr}",
        secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
    ), (400 if form.errors else 200)


def _show_recovery_codes(codes: list[str], next_url: str | None):
    g.private_page = True
    return render_template(
        "auth/mfa/recovery_codes.html",
        codes=codes,
        continue_url=next_url or session.pop(flow.NEXT_KEY, None) or url_for("mfa.account"),
    )


@bp.post("/account/second-factor/app/remove")
@limiter.limit(_login_limit)
@roles_required()
def app_remove():
    form = RemoveAppForm()
    if form.validate_on_submit():
        try:
            services.remove_authenticator_app(db.session, current_user, form.code.data or "")
        except SecondFactorError as exc:
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The authenticator app has been removed from your account."), "success")
            return redirect(url_for("mfa.account"))
    db.session.rollback()
    return _render_account(current_user._get_current_object(), True, 400, remove_form=form)


@bp.post("/account/second-factor/recovery-codes")
@roles_required()
def recovery_codes():
    try:
        codes = services.new_recovery_codes(db.session, current_user)
    except SecondFactorError as exc:
        flash(str(exc), "error")
        return redirect(url_for("mfa.account"))
    db.session.commit()
    return _show_recovery_codes(codes, None)


@bp.post("/account/second-factor/passkeys/options")
def passkey_options():
    person = _person()
    if person is None:
        return _json_login_again()
    user, _signed_in = person
    body = request.get_json(silent=True)
    try:
        services.passkey_name(body.get("name") if isinstance(body, dict) else None)
        options, challenge = services.registration_options(db.session, user)
    except SecondFactorError as exc:
        return _json_error(str(exc))
    flow.keep_challenge("register", user, challenge)
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/account/second-factor/passkeys")
def passkey_add():
    person = _person()
    if person is None:
        return _json_login_again()
    user, signed_in = person
    challenge = flow.take_challenge("register", user)
    if challenge is None:
        return _json_error(_("The passkey request has expired. Please try again."))
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    try:
        passkey = services.add_passkey(
            db.session, user, body.get("credential"), challenge, body.get("name")
        )
    except SecondFactorError as exc:
        return _json_error(str(exc))
    if not signed_in:
        session[flow.NEXT_KEY] = flow.finish_login(user, "passkey")
    db.session.commit()
    flash(_("The passkey “%(name)s” has been added.", name=passkey.name), "success")
    return jsonify(redirect=url_for("mfa.account"))


@bp.post("/account/second-factor/passkeys/<id:passkey_id>/remove")
@roles_required()
def passkey_remove(passkey_id: int):
    passkey = services.passkey_of(db.session, current_user, passkey_id)
    if passkey is None:
        abort(404)
    try:
        services.remove_passkey(db.session, current_user, passkey)
    except SecondFactorError as exc:
        flash(str(exc), "error")
        return redirect(url_for("mfa.account"))
    db.session.commit()
    flash(_("The passkey “%(name)s” has been removed.", name=passkey.name), "success")
    return redirect(url_for("mfa.account"))
