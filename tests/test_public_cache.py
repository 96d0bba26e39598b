"""The short-lived cache of the public pages that are the same for everyone of a language.

The seats-left figure is at most PUBLIC_PAGE_CACHE_SECONDS old; staff, a visitor with a
message or a form token in their session, and every personal page are never served from
it nor put into it; a cached page carries no CSRF token nor anyone's data; a Redis cache is
shared by every process, and a Redis that is away leaves the pages rendered.
"""

from __future__ import annotations

import os
import re
import time
import uuid

import pytest
from flask_migrate import upgrade

from seminar_app.catalogue.views import page_cache
from seminar_app.domain import Role
from seminar_app.extensions import db
from seminar_app.registration import services as registration_services
from seminar_app.timeutil import utcnow
from tests.conftest import CSRF_PATTERN, fresh_database_url, login, make_app, post_form
from tests.mailserver import free_port
from tests.registration_helpers import register
from tests.waiting import wait_until

TTL = 3
JA = {"Accept-Language": "ja"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def cached_app(app):
    """The suite's app with the cache on (an app built for tests has it off by default)."""
    saved = app.config.get("PUBLIC_PAGE_CACHE_SECONDS")
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = TTL
    with app.app_context():
        page_cache.clear()
    yield app
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = saved
    with app.app_context():
        page_cache.clear()


def cached_pages() -> int:
    """How many pages the in-process cache holds now (SimpleCache keeps them in a dict)."""
    return len(page_cache.cache._cache)


def seats(html: str) -> int | None:
    match = re.search(r"残り(\d+)席", html) or re.search(r"(\d+) seats left", html)
    return int(match.group(1)) if match else None


def page(client, path: str, headers=JA) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_seats_left_are_true_within_the_ttl(cached_app, client, make_seminar, db_session):
    seminar = make_seminar(capacity=50)
    path = f"/seminars/{seminar.slug}"
    filled_at = time.monotonic()
    assert seats(page(client, path)) == 50
    register(db_session, seminar)
    stale = seats(page(client, path))
    if time.monotonic() - filled_at < TTL:  # still within the TTL: the kept page answered
        assert stale == 50
    # Fresh once the kept page expires: a page kept for ever would never show it. The margin
    # is the time a busy machine takes to render the page again, not a second TTL.
    assert wait_until(lambda: seats(page(client, path)) == 49, timeout=TTL + 10)
    assert time.monotonic() - filled_at < 2 * TTL + 3
    # The listing shows the same figure, kept by the same rule.
    assert wait_until(lambda: "残り49席" in page(client, "/"), timeout=TTL + 10)


def test_kept_per_language(cached_app, client, make_seminar):
    seminar = make_seminar(capacity=20)
    path = f"/seminars/{seminar.slug}"
    japanese = page(client, path, JA)
    english = page(client, path, EN)
    assert "残り20席" in japanese and 'lang="ja"' in japanese
    assert "20 seats left" in english and 'lang="en"' in english
    assert "残り20席" in page(client, path, JA)
    # A language chosen with the switch (kept in the session) is a key of its own too.
    client.get("/language/en")
    assert "20 seats left" in page(client, path, {})


def test_staff_neither_get_nor_fill_the_cache(
    cached_app, app, client, make_seminar, make_user, db_session
):
    seminar = make_seminar(capacity=30)
    path = f"/seminars/{seminar.slug}"
    staff = app.test_client()
    login(staff, make_user(Role.ORGANIZER))
    before = cached_pages()
    staff_page = page(staff, path)
    assert cached_pages() == before  # a staff member's page is theirs alone
    token = CSRF_PATTERN.search(staff_page)
    assert token and "ログアウト" in staff_page

    anonymous = page(client, path)  # rendered now, and kept
    assert cached_pages() == before + 1
    assert "ログアウト" not in anonymous and "csrf_token" not in anonymous
    assert token.group(1) not in anonymous

    register(db_session, seminar)
    # Staff see the change at once, while the kept page may still be the earlier one.
    assert seats(page(staff, path)) == 29
    assert "ログアウト" in page(staff, path)
    assert "ログアウト" not in page(client, path)


def test_a_visitor_with_a_message_or_a_form_token_gets_their_own_page(
    cached_app, app, client, make_seminar, db_session
):
    seminar = make_seminar(capacity=10)
    path = f"/seminars/{seminar.slug}"
    assert seats(page(client, path)) == 10  # kept for everyone
    other = app.test_client()
    # The other visitor asks for their link again: a message waits in their session.
    response = post_form(
        other,
        f"{path}/resend",
        {"email": "nobody@example.jp"},
        page=f"{path}/register",
        headers=JA,
    )
    assert response.status_code == 303
    register(db_session, seminar)
    own = page(other, path)
    assert "確認用リンクをお送りしました" in own  # their message, on their page
    assert seats(own) == 9  # rendered for them, not the kept page
    shared = page(client, path)
    assert "確認用リンクをお送りしました" not in shared
    assert "csrf_token" not in shared


def test_personal_and_staff_pages_are_never_kept(
    cached_app, app, client, make_seminar, make_user, db_session
):
    seminar = make_seminar(capacity=5)
    registration = register(db_session, seminar)
    before = cached_pages()
    manage = f"/r/{registration.manage_token}"
    first = client.get(manage)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    assert "state-open" in first.get_data(as_text=True)
    registration_services.cancel(db_session, registration.id, utcnow(), by_participant=True)
    db_session.commit()
    assert "state-cancelled" in client.get(manage).get_data(as_text=True)
    assert client.get(f"/seminars/{seminar.slug}/register", headers=JA).status_code == 200
    organizer = app.test_client()
    login(organizer, make_user(Role.ORGANIZER))
    assert organizer.get(f"/console/seminars/{seminar.id}").status_code == 200
    assert cached_pages() == before


def test_a_page_that_is_not_found_or_refused_is_not_kept(cached_app, client):
    before = cached_pages()
    assert client.get("/seminars/no-such-seminar").status_code == 404
    assert client.get("/?fiscal_year=not-a-year").status_code == 400
    assert cached_pages() == before


def test_off_in_an_app_built_for_tests_unless_asked(app, client, make_seminar, db_session):
    assert app.testing and app.config["PUBLIC_PAGE_CACHE_SECONDS"] is None
    seminar = make_seminar(capacity=8)
    path = f"/seminars/{seminar.slug}"
    assert seats(page(client, path)) == 8
    register(db_session, seminar)
    assert seats(page(client, path)) == 7


# --- the Redis backend ----------------------------------------------------------------------


def _sqlite_app(tmp_path, name: str, **settings):
    url = fresh_database_url("sqlite", tmp_path, name)
    application = make_app(url, PUBLIC_PAGE_CACHE_SECONDS=TTL, **settings)
    with application.app_context():
        upgrade()
        db.engine.dispose()
    return application


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def test_a_redis_cache_is_shared_by_every_process(tmp_path):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if not _redis_reachable(url):
        if os.environ.get("FAIL_ON_SKIP") == "1":
            pytest.fail(f"Redis not reachable at {url}")
        pytest.skip(f"Redis not reachable at {url}")
    prefix = f"test-public-cache-{uuid.uuid4().hex}:"
    settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": prefix}
    first = _sqlite_app(tmp_path, "cache_one", **settings)
    # A second host: another app on another database, the same Redis. Its own database has
    # no seminars, so a listing that shows one can only come from the cache.
    second = _sqlite_app(tmp_path, "cache_two", **settings)
    with first.app_context():
        from tests.registration_helpers import add_open_seminar

        add_open_seminar(db.session, slug="shared-cache", capacity=40)
    try:
        listing = page(first.test_client(), "/")
        assert "shared-cache" in listing
        assert "shared-cache" in page(second.test_client(), "/")
        assert wait_until(
            lambda: "shared-cache" not in page(second.test_client(), "/"), timeout=TTL + 2
        )
    finally:
        with first.app_context():
            page_cache.clear()
            db.engine.dispose()
        with second.app_context():
            db.engine.dispose()


def test_pages_are_served_while_the_cache_is_away(tmp_path):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    application = _sqlite_app(tmp_path, "cache_away", CACHE_TYPE="RedisCache", CACHE_REDIS_URL=dead)
    with application.app_context():
        from tests.registration_helpers import add_open_seminar

        add_open_seminar(db.session, slug="no-cache", capacity=12)
        client = application.test_client()
        assert "残り12席" in page(client, "/seminars/no-cache")
        assert "no-cache" in page(client, "/")
        db.engine.dispose()


def test_the_backend_follows_the_environment(monkeypatch):
    from seminar_app.config import DevelopmentConfig

    for name in ("CACHE_URL", "REDIS_URL", "PUBLIC_PAGE_CACHE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    local = DevelopmentConfig()
    assert local.CACHE_TYPE == "SimpleCache" and local.CACHE_REDIS_URL is None
    assert local.CACHE_OPTIONS is None
    assert local.PUBLIC_PAGE_CACHE_SECONDS is None  # the default: 5 s, none under TESTING
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/1")
    assert DevelopmentConfig().CACHE_REDIS_URL == "redis://127.0.0.1:6379/1"
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6380/2")
    monkeypatch.setenv("PUBLIC_PAGE_CACHE_SECONDS", "0")
    shared = DevelopmentConfig()
    assert shared.CACHE_TYPE == "RedisCache"
    assert shared.CACHE_REDIS_URL == "redis://127.0.0.1:6380/2"
    assert shared.PUBLIC_PAGE_CACHE_SECONDS == 0
    assert shared.CACHE_OPTIONS["socket_timeout"] <= 1  # a Redis away is not waited for
