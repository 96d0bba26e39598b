"""Settings read from the environment.

Production is the default: the development defaults (a public secret key, links to
127.0.0.1, mail kept in a folder shown at /dev/mailbox) apply only when
`APP_ENV=development` is set explicitly, as `make run` and the tests do. Without it
the app refuses to start until its settings are given, and says which are missing.
"""

from __future__ import annotations

import os
from pathlib import Path

from .reference import local_government_code_is_valid

#: Development-only default. ProductionConfig refuses to start with it.
DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - marked dev default

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


class ConfigurationError(RuntimeError):
    """The environment does not describe a configuration the app can run with."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def report_links(value: str) -> tuple[tuple[str, str], ...]:
    """(title, address) of each "title|address" (or bare address) in REPORT_LINKS."""
    links = []
    for entry in value.replace(";", "\n").splitlines():
        title, _bar, address = entry.rpartition("|")
        if address.strip():
            links.append((title.strip(), address.strip()))
    return tuple(links)


class Config:
    """Settings shared by every environment, read from os.environ at load time."""

    ENV_NAME = "development"
    TESTING = False
    DEBUG = False

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY") or None
        #: Keys being retired (comma-separated): sessions and second-factor secrets made with
        #: them are still read while everyone moves to the new SECRET_KEY.
        self.SECRET_KEY_FALLBACKS = [
            key.strip() for key in env.get("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()
        ]
        self.SQLALCHEMY_DATABASE_URI = env.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'seminar.db'}"
        )
        # hide_parameters: a database error in the log never carries the values of a
        # statement (addresses, names, the secrets of management links and tickets).
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
        self.BASE_URL = (env.get("BASE_URL") or "").rstrip("/") or None
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
        self.MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 50) * 1024 * 1024
        self.CONTENT_DIR = env.get("CONTENT_DIR", str(PROJECT_ROOT / "content"))

        #: Without SMTP_HOST, development keeps mail in a mailbox folder shown at /dev/mailbox.
        self.SMTP_HOST = env.get("SMTP_HOST") or None
        self.SMTP_PORT = _int("SMTP_PORT", 25)
        self.SMTP_USER = env.get("SMTP_USER") or None
        self.SMTP_PASSWORD = env.get("SMTP_PASSWORD") or None
        self.SMTP_STARTTLS = _bool(env.get("SMTP_STARTTLS"), False)
        self.MAIL_FROM = env.get("MAIL_FROM") or None
        self.MAIL_FROM_NAME = env.get("MAIL_FROM_NAME", "知財戦略支援センター セミナー事務局")
        #: ORGANIZER of calendar invites: a mailbox that can take the replies calendars send.
        self.CALENDAR_ORGANIZER = env.get("CALENDAR_ORGANIZER") or self.MAIL_FROM
        self.DEV_MAILBOX_DIR = env.get("DEV_MAILBOX_DIR", str(INSTANCE_DIR / "mailbox"))
        #: Version of the privacy notice that registrations agree to.
        self.PRIVACY_NOTICE_VERSION = env.get("PRIVACY_NOTICE_VERSION", "2026-04")
        #: Days before a seminar on which `flask reminders send` sends the reminder.
        self.REMINDER_DAYS_BEFORE = _int("REMINDER_DAYS_BEFORE", 2)
        #: How long a claimed mail is left to its sender before another sender may take it.
        self.OUTBOX_LEASE_SECONDS = _int("OUTBOX_LEASE_SECONDS", 300)
        #: The first wait after a failed delivery; it doubles with each attempt, to an hour.
        self.OUTBOX_BACKOFF_SECONDS = _int("OUTBOX_BACKOFF_SECONDS", 30)
        self.REGISTRATION_RATE_LIMIT = env.get("REGISTRATION_RATE_LIMIT", "20 per minute")
        #: Minutes kept free for travel between two assignments of one lecturer or advisor
        #: (dispatch.services refuses an assignment that leaves less).
        self.DISPATCH_TRAVEL_MARGIN_MINUTES = _int("DISPATCH_TRAVEL_MARGIN_MINUTES", 60)
        if self.DISPATCH_TRAVEL_MARGIN_MINUTES < 0:
            raise ConfigurationError("DISPATCH_TRAVEL_MARGIN_MINUTES cannot be negative.")
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)

        #: `flask demo load` fills a fictional past fiscal year (development only by default).
        self.DEMO_DATA = _bool(env.get("DEMO_DATA"), self.ENV_NAME == "development")
        self.AGENCY_NAME = env.get("AGENCY_NAME", "知財戦略支援センター")
        self.AGENCY_NAME_EN = env.get("AGENCY_NAME_EN", "IP Strategy Support Center")
        #: The contact block of the activity report's last slide; empty: left out.
        self.DESK_CONTACT_NAME = env.get("DESK_CONTACT_NAME", "")
        self.DESK_CONTACT_PHONE = env.get("DESK_CONTACT_PHONE", "")
        self.DESK_CONTACT_EXTENSION = env.get("DESK_CONTACT_EXTENSION", "")
        self.DESK_CONTACT_ADDRESS = env.get("DESK_CONTACT_ADDRESS", "")
        #: The local government code (全国地方公共団体コード, 6 digits) of the open data's
        #: publisher; by default the prefecture of Tokyo's (130001).
        self.OPEN_DATA_AREA_CODE = env.get("OPEN_DATA_AREA_CODE", "130001")
        if not local_government_code_is_valid(self.OPEN_DATA_AREA_CODE):
            raise ConfigurationError(
                "OPEN_DATA_AREA_CODE must be a local government code of 6 digits whose check "
                f"digit matches (130001 for Tokyo), got {self.OPEN_DATA_AREA_CODE!r}"
            )
        #: The activity report's reference links: "title|https://…" separated by newlines
        #: or ";"; none: the slide shows the contact block alone, or is left out.
        self.REPORT_LINKS = report_links(env.get("REPORT_LINKS", ""))

        #: Number of proxies in front of the app whose X-Forwarded-For is trusted (0: none).
        self.PROXY_FIX_X_FOR = _int("PROXY_FIX_X_FOR", 0)
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "10 per minute")
        self.PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)
        #: How staff passwords are hashed (werkzeug's method string); the tests use a cheap one.
        self.PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password
        #: Organizers, advisors and admins (who reach personal data) need a second factor.
        self.REQUIRE_SECOND_FACTOR = _bool(
            env.get("REQUIRE_SECOND_FACTOR"), self.ENV_NAME == "production"
        )

        self.BABEL_DEFAULT_LOCALE = "ja"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
        self.LANGUAGES = ("ja", "en")
        self.CATALOGUE_PAGE_SIZE = _int("CATALOGUE_PAGE_SIZE", 12)

        #: Seconds that the public pages that are the same for everyone of a language (the
        #: catalogue, a seminar's page) are kept for visitors without a session; the seats
        #: left they show are at most this old. 0: never. Unset: 5, and none in an app built
        #: for tests (TESTING), where one test's page must not answer the next one.
        raw_seconds = env.get("PUBLIC_PAGE_CACHE_SECONDS", "")
        self.PUBLIC_PAGE_CACHE_SECONDS = (
            _int("PUBLIC_PAGE_CACHE_SECONDS", 5) if raw_seconds.strip() else None
        )
        #: Where they are kept (Flask-Caching): Redis at CACHE_URL (else REDIS_URL) when set,
        #: shared by every process and host; otherwise each process's own memory.
        cache_url = env.get("CACHE_URL") or env.get("REDIS_URL") or ""
        self.CACHE_TYPE = "RedisCache" if cache_url else "SimpleCache"
        self.CACHE_REDIS_URL = cache_url or None
        #: A Redis that does not answer at once is passed by (the page is rendered), not
        #: waited for.
        self.CACHE_OPTIONS = (
            {"socket_timeout": 0.5, "socket_connect_timeout": 0.5} if cache_url else None
        )
        self.CACHE_KEY_PREFIX = env.get("CACHE_KEY_PREFIX", "seminar-app:")

        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None
        #: Strict-Transport-Security, sent in production only (development runs on plain HTTP).
        self.STRICT_TRANSPORT_SECURITY: str | None = None

    def validate(self) -> None:
        """Raise ConfigurationError when the settings cannot be used."""


class DevelopmentConfig(Config):
    """Asked for with APP_ENV=development: defaults that let a checkout run at once."""

    ENV_NAME = "development"

    def __init__(self) -> None:
        super().__init__()
        env = os.environ
        self.SECRET_KEY = self.SECRET_KEY or DEV_SECRET_KEY
        # Links in mails point where `make run` serves (HOST and PORT) unless BASE_URL says.
        host = env.get("HOST") or "127.0.0.1"
        self.BASE_URL = self.BASE_URL or f"http://{host}:{_int('PORT', 5000)}"
        self.MAIL_FROM = self.MAIL_FROM or "seminar@example.org"
        self.CALENDAR_ORGANIZER = self.CALENDAR_ORGANIZER or self.MAIL_FROM


class ProductionConfig(Config):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.PREFERRED_URL_SCHEME = "https"
        self.STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

    def validate(self) -> None:
        if self.SECRET_KEY == DEV_SECRET_KEY:
            raise ConfigurationError(
                "SECRET_KEY must be a private random value in production "
                "(the public development default is refused)."
            )
        missing = [
            f"{name} ({why})"
            for name, why in (
                ("SECRET_KEY", "a private random value of at least 32 characters"),
                ("BASE_URL", "the public https address that links in mails use"),
                ("SMTP_HOST", "the mail server that mail leaves through"),
                ("MAIL_FROM", "the agency's mailbox that mails come from"),
            )
            if not getattr(self, name)
        ]
        if missing:
            raise ConfigurationError(
                "Production settings missing: "
                + "; ".join(missing)
                + ". For a development checkout set APP_ENV=development (make run does)."
            )
        if len(self.SECRET_KEY or "") < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters in production.")


ENVIRONMENTS: dict[str, type[Config]] = {
    "production": ProductionConfig,
    "development": DevelopmentConfig,
}


def load_config() -> Config:
    """The configuration that APP_ENV names: production unless it says development."""
    name = os.environ.get("APP_ENV", "").strip().lower() or "production"
    if name not in ENVIRONMENTS:
        raise ConfigurationError(f"APP_ENV must be 'production' or 'development', got {name!r}.")
    config = ENVIRONMENTS[name]()
    config.validate()
    return config
