"""Settings read from the environment.

`APP_ENV=production` selects the production configuration explicitly; anything
else runs with development defaults, whichever server runs the app. The
production configuration refuses to start with a development default secret.
"""

from __future__ import annotations

import os
from pathlib import Path

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


class Config:
    """Settings shared by every environment, read from os.environ at load time."""

    ENV_NAME = "development"
    TESTING = False
    DEBUG = False

    def __init__(self) -> None:
        env = os.environ
        self.SECRET_KEY = env.get("SECRET_KEY", DEV_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = env.get(
            "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'seminar.db'}"
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.BASE_URL = env.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
        self.MAX_CONTENT_LENGTH = _int("MAX_UPLOAD_MB", 50) * 1024 * 1024
        self.CONTENT_DIR = env.get("CONTENT_DIR", str(PROJECT_ROOT / "content"))

        self.MAIL_SERVER = env.get("MAIL_SERVER", "127.0.0.1")
        self.MAIL_PORT = _int("MAIL_PORT", 25)
        self.MAIL_USERNAME = env.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = env.get("MAIL_PASSWORD") or None
        self.MAIL_USE_TLS = _bool(env.get("MAIL_USE_TLS"), False)
        self.MAIL_SENDER = env.get("MAIL_SENDER", "seminar@example.org")
        self.MAIL_SENDER_NAME = env.get("MAIL_SENDER_NAME", "知財戦略支援センター セミナー事務局")

        self.AGENCY_NAME = env.get("AGENCY_NAME", "知財戦略支援センター")
        self.AGENCY_NAME_EN = env.get("AGENCY_NAME_EN", "IP Strategy Support Center")

        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.LOGIN_RATE_LIMIT = env.get("LOGIN_RATE_LIMIT", "10 per minute")
        self.PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)

        self.BABEL_DEFAULT_LOCALE = "ja"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
        self.LANGUAGES = ("ja", "en")
        self.CATALOGUE_PAGE_SIZE = _int("CATALOGUE_PAGE_SIZE", 12)

        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = False
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.WTF_CSRF_TIME_LIMIT = None

    def validate(self) -> None:
        """Raise ConfigurationError when the settings cannot be used."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class ProductionConfig(Config):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.PREFERRED_URL_SCHEME = "https"

    def validate(self) -> None:
        if not os.environ.get("SECRET_KEY") or self.SECRET_KEY == DEV_SECRET_KEY:
            raise ConfigurationError(
                "SECRET_KEY must be set to a private random value in production "
                "(the development default is refused)."
            )
        if len(self.SECRET_KEY) < 32:
            raise ConfigurationError("SECRET_KEY must be at least 32 characters in production.")
        if not os.environ.get("BASE_URL"):
            raise ConfigurationError("BASE_URL must be set in production (links in mails use it).")


def load_config() -> Config:
    """The configuration that APP_ENV names; development unless it says production."""
    if os.environ.get("APP_ENV", "").strip().lower() == "production":
        config: Config = ProductionConfig()
    else:
        config = DevelopmentConfig()
    config.validate()
    return config
