"""The certificate download behind a management link, and the public verification page."""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..database import begin_write
from ..extensions import db, limiter
from ..i18n import SESSION_KEY as LANGUAGE_KEY
from ..registration.models import Registration
from ..registration.services import by_manage_token
from ..timeutil import to_jst, utcnow
from . import services
from .forms import NameCheckForm
from .pdf import certificate_text, render_pdf

bp = Blueprint("certificates", __name__)

REFUSALS = {
    "cancelled": _l("This registration was cancelled, so there is no certificate of attendance."),
    "not-confirmed": _l(
        "A certificate of attendance is only for people who had a confirmed seat and attended."
    ),
    "seminar-cancelled": _l(
        "This seminar was cancelled, so there is no certificate of attendance."
    ),
    "not-held": _l("This seminar has not taken place."),
    "not-ended": _l("The certificate of attendance is available once the seminar has ended."),
    "not-attended": _l(
        "We have no record of your attendance: you were not checked in at the door "
        "and did not join online."
    ),
    "too-short-online": _l(
        "You joined online, but for less time than a certificate of attendance requires."
    ),
}


@bp.app_context_processor
def certificate_helpers():
    def certificate_available(registration: Registration) -> bool:
        """For the management page: may this person download a certificate now?"""
        return services.may_have_certificate(db.session, registration, utcnow())

    return {"certificate_available": certificate_available}


def _language_of(registration: Registration) -> str:
    """The language the person chose with the switch, else the one they registered in."""
    chosen = session.get(LANGUAGE_KEY)
    if isinstance(chosen, str) and chosen in current_app.config["LANGUAGES"]:
        return chosen
    return registration.locale


def verify_url(code: str) -> str:
    return current_app.config["BASE_URL"] + url_for("certificates.verify", code=code)


def _attachment(filename: str, fallback: str) -> str:
    """An ASCII name for old clients and the real one per RFC 5987 / RFC 6266."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/r/<token>/certificate.pdf")
def download(token: str):
    g.private_page = True
    begin_write(db.session)  # the first download writes: SQLite must lock before the read
    registration = by_manage_token(db.session, token)
    if registration is None:
        abort(404)
    now = utcnow()
    try:
        certificate = services.issue(db.session, registration, now)
    except services.NotEligible as exc:
        db.session.rollback()
        with force_locale(_language_of(registration)):
            return render_template(
                "certificates/unavailable.html",
                registration=registration,
                seminar=registration.seminar,
                reason=str(REFUSALS.get(exc.reason, REFUSALS["not-attended"])),
                min_online_minutes=registration.seminar.min_online_minutes,
            ), 403
    db.session.commit()
    text = certificate_text(
        certificate,
        agency_name=current_app.config["AGENCY_NAME"],
        agency_name_en=current_app.config.get("AGENCY_NAME_EN"),
        verify_url=verify_url(certificate.code),
    )
    day = to_jst(registration.seminar.starts_at).date().isoformat()
    response = Response(render_pdf(text), mimetype="application/pdf")
    response.headers["Content-Disposition"] = _attachment(
        f"受講証明書_{day}.pdf", f"certificate-of-attendance_{day}.pdf"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/certificates/verify")
def verify_form():
    raw = request.args.get("code")
    if raw is None or not raw.strip():
        return render_template("certificates/verify_form.html", code="", error=None)
    code = services.normalize_code(raw)
    if code is None:
        error = _(
            "That is not a certificate code. A code has 20 letters and digits in groups of "
            "four, such as ABCD-EFGH-JKLM-NPQR-STUV."
        )
        return render_template("certificates/verify_form.html", code=raw[:80], error=error), 400
    return redirect(url_for("certificates.verify", code=code), 303)


def _check_limit() -> str:
    return current_app.config["REGISTRATION_RATE_LIMIT"]


@bp.route("/certificates/verify/<code>", methods=["GET", "POST"])
@limiter.limit(_check_limit, methods=["POST"])
def verify(code: str):
    certificate = services.verify(db.session, code, utcnow())
    if certificate is None:
        return render_template("certificates/not_found.html", code=code[:80]), 404
    form = NameCheckForm()
    # A replaced certificate is no longer valid: 410 tells a program so, the page a person.
    status = 200 if certificate.in_force else 410
    checked = issued_to = None
    if form.validate_on_submit():
        checked = form.name.data or ""
        issued_to = services.issued_to(certificate, checked)
    elif form.errors:
        status = 400
    return render_template(
        "certificates/verify.html",
        certificate=certificate,
        form=form,
        checked=checked,
        issued_to=issued_to,
    ), status
