"""Seminar and e-learning management for a Japanese public IP-support agency."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, g, jsonify, render_template, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.middleware.proxy_fix import ProxyFix

from . import static_files
from .config import load_config
from .database import begin_write
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .urls import DatabaseIdConverter, FiscalYearConverter


class ReadableJSON(DefaultJSONProvider):
    ensure_ascii = False  # Japanese stays readable in API answers


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; `config` overrides the settings read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    settings = load_config()
    app.config.from_object(settings)
    if config:
        app.config.update(config)
    app.config["ENV_NAME"] = settings.ENV_NAME
    app.json = ReadableJSON(app)
    app.url_map.converters["id"] = DatabaseIdConverter
    app.url_map.converters["fy"] = FiscalYearConverter
    if app.config["PROXY_FIX_X_FOR"]:
        # Behind a load balancer: the client's address for rate limits and the audit log.
        # Flask's documented way to add WSGI middleware (mypy sees a method replaced).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1
        )

    _init_extensions(app)
    _register_blueprints(app)
    _register_favicon(app)
    _register_error_pages(app)
    _register_template_helpers(app)
    _register_security_headers(app)
    _register_sqlite_write_lock(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (register every model with the metadata)
    from .auth import sessions as staff_sessions
    from .i18n import select_locale

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and ":memory:" not in uri:
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(app.config.get("MIGRATIONS_DIR", _migrations_dir())),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    # The cookie names a server-side session (auth/sessions.py), which the loader checks.
    staff_sessions.init_app(app)


def _migrations_dir() -> str:
    return str(Path(__file__).resolve().parent.parent / "migrations")


def _register_favicon(app: Flask) -> None:
    """Browsers ask for /favicon.ico whatever the page says: answer it, cached for a week."""

    @app.get("/favicon.ico")
    def favicon():
        return send_from_directory(
            Path(app.root_path, "static"),
            "favicon.ico",
            mimetype="image/vnd.microsoft.icon",
            max_age=604800,
        )


def _register_blueprints(app: Flask) -> None:
    from .admin.views import bp as admin_bp
    from .announcements import mails as _announcement_mails  # noqa: F401  (mail renderers)
    from .announcements.views import bp as announcements_bp
    from .api import bp as api_bp
    from .attendance.online import bp as online_bp
    from .attendance.views import bp as desk_bp
    from .auth.mfa.views import bp as mfa_bp
    from .auth.views import bp as auth_bp
    from .calendars.views import bp as calendars_bp
    from .catalogue.views import bp as catalogue_bp
    from .certificates.views import bp as certificates_bp
    from .console.views import bp as console_bp
    from .consultations.views import bp as consultations_bp
    from .devmail.views import bp as devmail_bp
    from .devmail.views import enabled as devmail_enabled
    from .dispatch import mails as _dispatch_mails  # noqa: F401  (mail renderers)
    from .dispatch import timeline as _dispatch_timeline  # noqa: F401  (clients' timelines)
    from .dispatch.views import bp as dispatch_bp
    from .elearning.views import bp as elearning_bp
    from .health import bp as health_bp
    from .i18n import bp as i18n_bp
    from .materials.views import bp as materials_bp
    from .privacy.views import bp as privacy_bp
    from .registration import mails  # noqa: F401  (registers the mail renderers)
    from .registration.overview import bp as overview_bp
    from .registration.views import bp as registration_bp
    from .reports.views import bp as reports_bp
    from .surveys import mails as _survey_mails  # noqa: F401  (mail renderers)
    from .surveys.views import bp as surveys_bp

    app.register_blueprint(catalogue_bp)
    app.register_blueprint(i18n_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(overview_bp)
    app.register_blueprint(calendars_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(mfa_bp)
    app.register_blueprint(console_bp, url_prefix="/console")
    app.register_blueprint(desk_bp, url_prefix="/desk")
    app.register_blueprint(online_bp)
    app.register_blueprint(materials_bp)
    app.register_blueprint(elearning_bp)
    app.register_blueprint(reports_bp, url_prefix="/console/reports")
    app.register_blueprint(consultations_bp, url_prefix="/console/consultations")
    app.register_blueprint(surveys_bp)
    app.register_blueprint(dispatch_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(announcements_bp)
    app.register_blueprint(privacy_bp, url_prefix="/console/privacy")
    app.register_blueprint(admin_bp, url_prefix="/console/staff")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(health_bp)
    if devmail_enabled(app):
        app.register_blueprint(devmail_bp)
    csrf.exempt(api_bp)


_ERROR_MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have permission to see this page."),
    404: _l("We could not find that page."),
    405: _l("That action is not allowed here."),
    413: _l("The file is too large."),
    429: _l("Too many attempts. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Please try again later."),
    503: _l("The service is temporarily unavailable. Please try again later."),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _register_error_pages(app: Flask) -> None:
    def render_error(code: int, message: str):
        if _wants_json():
            return jsonify(error=message, status=code), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(
            400,
            str(
                _l(
                    "The form had expired or was incomplete. "
                    "Please reload the page and send it again."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = exc.code or 500
        message = _ERROR_MESSAGES.get(code)
        response = render_error(code, str(message) if message else exc.description or exc.name)
        if code == 429 and exc.response is not None:
            # Keep the Retry-After and rate-limit headers Flask-Limiter set.
            body, status = response
            final = app.make_response((body, status))
            for header, value in exc.response.headers.items():
                if header.lower().startswith(("retry-after", "x-ratelimit")):
                    final.headers[header] = value
            return final
        if isinstance(exc, MethodNotAllowed):  # RFC 9110: a 405 names the allowed methods
            final = app.make_response(response)
            final.headers["Allow"] = ", ".join(sorted(exc.valid_methods or []))
            return final
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        # The route's pattern, not the path: paths carry the secrets of personal links.
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        app.logger.exception("unhandled error on %s %s", request.method, rule)
        db.session.rollback()
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            return render_error(503, str(_ERROR_MESSAGES[503]))
        return render_error(500, str(_ERROR_MESSAGES[500]))


def _register_sqlite_write_lock(app: Flask) -> None:
    """On SQLite a request that may write takes the write lock when its transaction begins.

    SQLite has one writer at a time; a transaction that reads and only later writes fails
    at once (SQLITE_BUSY) if another wrote in between, where BEGIN IMMEDIATE would wait.
    """

    @app.before_request
    def lock_for_writing() -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            begin_write(db.session)


def _register_template_helpers(app: Flask) -> None:
    from . import domain, i18n
    from .auth.services import MIN_PASSWORD_LENGTH
    from .catalogue.services import registration_state, seats_left, seats_left_by_mode
    from .notifications.services import sender_name
    from .text import render_markdown
    from .timeutil import fiscal_year_of

    app.jinja_env.globals.update(
        label=domain.label,
        format_when=i18n.format_when,
        format_day=i18n.format_day,
        format_moment=i18n.format_moment,
        format_fiscal_year=i18n.format_fiscal_year,
        fiscal_year_of=fiscal_year_of,
        mail_sender_name=sender_name,
        current_language=i18n.current_language,
        render_markdown=render_markdown,
        Role=domain.Role,
        speakers=domain.SPEAKERS,
        min_password_length=MIN_PASSWORD_LENGTH,
        registration_state=registration_state,
        seats_left=seats_left,
        seats_left_by_mode=seats_left_by_mode,
    )

    app.jinja_env.filters["fromisoformat"] = datetime.fromisoformat

    @app.context_processor
    def agency():
        language = i18n.current_language()
        return {"agency_name": i18n.agency_name(language), "lang": language}


#: No inline script or style anywhere: everything comes from /static.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _register_security_headers(app: Flask) -> None:
    def add_security_headers(headers) -> None:
        """What every answer carries, a page or a static file (static_files)."""
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config["STRICT_TRANSPORT_SECURITY"]:
            headers.setdefault("Strict-Transport-Security", app.config["STRICT_TRANSPORT_SECURITY"])

    static_files.install(app, add_security_headers)

    @app.after_request
    def security_headers(response):
        add_security_headers(response.headers)
        if getattr(g, "private_page", False):
            response.headers["Cache-Control"] = "no-store"
        return response


def _register_cli(app: Flask) -> None:
    from .announcements.cli import announcements_cli
    from .auth.cli import users_cli
    from .content.cli import content_cli
    from .demo_cli import demo_cli
    from .notifications.cli import outbox_cli
    from .privacy.cli import privacy_cli
    from .registration.cli import reminders_cli
    from .registration.lottery_cli import lottery_cli
    from .reports.cli import import_cli, report_cli
    from .surveys.cli import surveys_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(report_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(surveys_cli)
    app.cli.add_command(lottery_cli)
    app.cli.add_command(announcements_cli)
    app.cli.add_command(privacy_cli)
