"""Fixtures: the app on SQLite and on PostgreSQL, a rollback per test, factories.

Every test that asks for `app` (directly or through `db_session`, `client`, the
factories) runs twice: once on SQLite and once on the PostgreSQL at
127.0.0.1:5432. Without a reachable PostgreSQL the second half is skipped with a
message; `.ci/run` sets FAIL_ON_SKIP=1 so that CI fails instead.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from seminar_app import create_app
from seminar_app.auth.models import User
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import Delivery, HostType, Level, Role, SeminarStatus, Series
from seminar_app.extensions import db, limiter
from seminar_app.timeutil import utcnow

#: The tests (and the servers and senders they start) run on the development defaults,
#: which apply only when asked for; production is what an unset APP_ENV means.
os.environ["APP_ENV"] = "development"

PG_HOST = os.environ.get("TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("TEST_PG_USER", "postgres")
PASSWORD = "correct-horse-battery"

_skipped_reasons: list[str] = []


def postgres_url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=10
        ):
            return None
    except psycopg.OperationalError as exc:
        return f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT} ({exc.__class__.__name__})"


#: One id per test run, inherited by the processes the tests start, so that two runs on
#: one machine never drop each other's databases.
RUN_ID = os.environ.setdefault("SEMINAR_TEST_RUN", str(os.getpid()))


def recreate_postgres_database(name: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database = f"{name}_{worker}_{RUN_ID}"
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    return postgres_url(database)


def fresh_database_url(backend: str, tmp_dir: Path, name: str) -> str:
    """An empty database of `backend`; skips the test when PostgreSQL is missing."""
    if backend == "postgresql":
        reason = postgres_available()
        if reason:
            pytest.skip(f"{reason}: the PostgreSQL half of the suite is skipped")
        return recreate_postgres_database(name)
    return f"sqlite:///{tmp_dir / (name + '.db')}"


TEST_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-not-for-production-000000",
    "BASE_URL": "http://seminars.test",
    "MAIL_FROM": "seminar@example.org",
    # A cheap hash: hundreds of test accounts log in; the cost of scrypt is not under test.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


def make_app(database_url: str, **settings) -> Flask:
    return create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": database_url, **settings})


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend, tmp_path_factory) -> Iterator[Flask]:
    url = fresh_database_url(backend, tmp_path_factory.mktemp("db"), "seminar_test")
    application = make_app(url, UPLOAD_FOLDER=str(tmp_path_factory.mktemp("uploads")))
    application.test_client_class = IsolatedClient
    with application.app_context():
        upgrade()
        # Each test's session runs in a SAVEPOINT of the connection the test rolls back.
        db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app: Flask):
    """The app's session inside a transaction that is rolled back after the test."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        limiter.reset()
        try:
            yield db.session
        finally:
            db.session.remove()
            transaction.rollback()
            connection.close()
            engines[None] = engine


class IsolatedClient(FlaskClient):
    """Each request starts with an empty `g`, as it would in a real server."""

    def open(self, *args, **kwargs):
        if not has_app_context():
            return super().open(*args, **kwargs)
        saved = dict(g.__dict__)
        g.__dict__.clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            g.__dict__.clear()
            g.__dict__.update(saved)


@pytest.fixture
def client(app: Flask, db_session) -> FlaskClient:
    return app.test_client()


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    match = CSRF_PATTERN.search(html)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict, *, page: str | None = None, **kwargs):
    """Post like a browser: fetch the page for its CSRF token first."""
    token = csrf_token(client, page or url)
    return client.post(url, data={**data, "csrf_token": token}, **kwargs)


@pytest.fixture
def make_seminar(db_session) -> Callable[..., Seminar]:
    counter = iter(range(1, 10_000))

    def factory(**overrides) -> Seminar:
        starts_at = overrides.pop("starts_at", utcnow().replace(microsecond=0) + timedelta(days=20))
        number = next(counter)
        values = dict(
            slug=f"test-seminar-{number}",
            title=f"営業秘密・知財戦略セミナー（初級）テスト{number}",
            title_en=f"Trade secrets for beginners {number}",
            series=Series.TRADE_SECRET_IP_STRATEGY,
            level=Level.BEGINNER,
            host_type=HostType.AGENCY,
            delivery=Delivery.ONLINE,
            status=SeminarStatus.PUBLISHED,
            description="営業秘密の基礎を学びます。",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            meeting_url="https://meet.example.org/j/123",
            capacity=50,
        )
        values.update(overrides)
        lecturers = values.pop("lecturers", [])
        seminar = Seminar(**values)
        seminar.lecturers = lecturers
        db_session.add(seminar)
        db_session.flush()
        return seminar

    return factory


@pytest.fixture
def make_user(db_session) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def factory(
        *roles: Role, email: str | None = None, password: str | None = PASSWORD, **overrides
    ) -> User:
        number = next(counter)
        user = User(
            email=email or f"staff{number}@example.org",
            display_name=overrides.pop("display_name", f"職員 {number}"),
            **overrides,
        )
        user.roles = set(roles) or {Role.ORGANIZER}
        if password is not None:
            user.set_password(password)
        db_session.add(user)
        db_session.flush()
        return user

    return factory


def login(client: FlaskClient, user: User, password: str = PASSWORD):
    response = post_form(client, "/login", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def desk_token(make_user, db_session) -> dict[str, str]:
    """The Authorization header of a reception account's API token (the door's scanners)."""
    from seminar_app.auth.services import issue_api_token

    token = issue_api_token(db_session, make_user(Role.RECEPTION))
    db_session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def organizer_client(client, make_user) -> FlaskClient:
    login(client, make_user(Role.ORGANIZER))
    return client


def pytest_runtest_logreport(report) -> None:
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped_reasons.append(f"{report.nodeid}: {reason}")


def _drop_run_databases() -> None:
    if postgres_available() is not None:
        return
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    ) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"seminar_%_{RUN_ID}",)
            )
        ]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_sessionfinish(session, exitstatus) -> None:
    _drop_run_databases()
    if os.environ.get("FAIL_ON_SKIP") == "1" and _skipped_reasons:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                f"FAIL_ON_SKIP: {len(_skipped_reasons)} test(s) were skipped:", red=True
            )
            for line in sorted(set(reason.split(": ", 1)[1] for reason in _skipped_reasons)):
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = 1


@pytest.fixture
def mail_server():
    from tests.mailserver import MailServer

    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(app, mail_server):
    """The app pointed at the test's SMTP server for the duration of a test."""
    saved = {key: app.config[key] for key in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=mail_server.port)
    yield app
    app.config.update(saved)
