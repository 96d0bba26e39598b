"""Configuration, health, error pages and headers."""

import pytest
from sqlalchemy import text

from seminar_app import create_app
from seminar_app.config import DEV_SECRET_KEY, ConfigurationError
from seminar_app.extensions import db
from tests.conftest import make_app

PRODUCTION_SETTINGS = ("SECRET_KEY", "BASE_URL", "SMTP_HOST", "MAIL_FROM")


def test_production_is_what_an_unset_app_env_means(monkeypatch):
    monkeypatch.delenv("APP_ENV", raising=False)
    for name in PRODUCTION_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    message = str(refused.value)
    assert all(name in message for name in PRODUCTION_SETTINGS), message
    assert "APP_ENV=development" in message


def test_development_defaults_apply_only_when_asked_for(monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    for name in (*PRODUCTION_SETTINGS, "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["ENV_NAME"] == "development"
    assert app.config["SECRET_KEY"] == DEV_SECRET_KEY
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    assert "devmail.index" in {rule.endpoint for rule in app.url_map.iter_rules()}


def test_development_links_follow_host_and_port(monkeypatch):
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("HOST", "localhost")
    monkeypatch.setenv("PORT", "5611")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["BASE_URL"] == "http://localhost:5611"


def test_an_unknown_app_env_is_refused(monkeypatch):
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigurationError, match="APP_ENV"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_only_production_sends_strict_transport_security(monkeypatch, tmp_path):
    development = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "Strict-Transport-Security" not in development.test_client().get("/healthz").headers
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("BASE_URL", "https://seminar.example.org")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("MAIL_FROM", "seminar@example.org")
    production = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    with production.app_context():
        db.create_all()
    response = production.test_client().get("/login", base_url="https://seminar.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "devmail.index" not in {rule.endpoint for rule in production.url_map.iter_rules()}


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("BASE_URL", "https://seminar.example.org")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", DEV_SECRET_KEY)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_with_a_real_secret_uses_secure_cookies(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("BASE_URL", "https://seminar.example.org")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("MAIL_FROM", "seminar@example.org")
    monkeypatch.delenv("SMTP_HOST", raising=False)
    with pytest.raises(ConfigurationError, match="SMTP_HOST"):
        create_app()
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    app = create_app()
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("BASE_URL", "https://seminar.example.org/")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("SMTP_PORT", "587")
    monkeypatch.setenv("UPLOAD_FOLDER", str(tmp_path / "up"))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"
    assert app.config["BASE_URL"] == "https://seminar.example.org"
    assert (app.config["SMTP_HOST"], app.config["SMTP_PORT"]) == ("smtp.example.org", 587)
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "up")


def test_bad_integer_setting_is_named(monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "twenty-five")
    with pytest.raises(ConfigurationError, match="SMTP_PORT"):
        create_app()


def test_sqlite_runs_in_wal_mode(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/wal.db")
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_healthz_503_when_the_database_is_unreachable():
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "unavailable"


def test_pages_show_a_friendly_error_when_the_database_is_unreachable():
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    response = app.test_client().get("/", headers={"Accept-Language": "ja"})
    assert response.status_code == 503
    assert "<html" in response.get_data(as_text=True)


def test_security_headers_on_pages(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_not_found_page_in_japanese(client):
    response = client.get("/seminars/no-such-seminar", headers={"Accept-Language": "ja"})
    assert response.status_code == 404
    assert '<html lang="ja">' in response.get_data(as_text=True)


def test_old_secret_keys_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", " old-key-one , old-key-two ,")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY_FALLBACKS"] == ["old-key-one", "old-key-two"]


def test_the_site_has_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)
