"""Public catalogue pages: the listing with its filters and one page per seminar.

Both are the same for every visitor of a language who is signed in to nothing, so such
visitors get them from a short-lived cache (PUBLIC_PAGE_CACHE_SECONDS, Flask-Caching):
an announcement sends thousands to the same few pages within minutes. Anyone else
(staff, a visitor with a message waiting or a form's token in their session) gets the
page rendered for them, and a rendering that touched the session is never kept.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_caching import Cache
from flask_login import current_user

from ..domain import Delivery, Level, Series
from ..exports import Table, table_download
from ..extensions import db
from ..i18n import SESSION_KEY as LANGUAGE_KEY
from ..i18n import agency_name, current_language
from ..timeutil import fiscal_year_of, utcnow
from ..urls import absolute_url
from . import opendata, services
from .structured import event_data, language_urls

bp = Blueprint("catalogue", __name__)

#: The public pages kept for visitors without a session (see the module's docstring).
page_cache = Cache()

#: Seconds a page is kept when PUBLIC_PAGE_CACHE_SECONDS is not set (none under TESTING).
DEFAULT_CACHE_SECONDS = 5

#: What a session may hold for its pages still to be everyone's: the language chosen.
_NEUTRAL_SESSION_KEYS = frozenset({LANGUAGE_KEY})


@bp.record_once
def _bind_cache(state: BlueprintSetupState) -> None:
    if isinstance(state.app, Flask):
        page_cache.init_app(state.app)


def _cache_seconds() -> int:
    seconds = current_app.config.get("PUBLIC_PAGE_CACHE_SECONDS")
    if seconds is None:  # unset: the default, except in an app built for tests
        return 0 if current_app.testing else DEFAULT_CACHE_SECONDS
    return max(int(seconds), 0)


def _same_for_everyone() -> bool:
    """Whether this visitor sees what every visitor of their language sees: signed in to
    nothing, remembered by no cookie, no message or form token waiting in their session."""
    if request.method not in ("GET", "HEAD"):
        return False
    if any(key not in _NEUTRAL_SESSION_KEYS for key in session):
        return False
    if request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")):
        return False
    return not current_user.is_authenticated


def _cache_key() -> str:
    address = hashlib.sha256(request.full_path.encode()).hexdigest()
    return f"public-page:{request.endpoint}:{current_language()}:{address}"


def _cached(render: Callable[[], tuple[str, int]]) -> tuple[str, int]:
    """The page from the cache, or rendered (and kept when it is everyone's and a 200).

    The cache is a help, never a dependency: when its Redis is away the page is rendered.
    """
    seconds = _cache_seconds()
    if not seconds or not _same_for_everyone():
        return render()
    key = _cache_key()
    try:
        page = page_cache.get(key)
    except Exception as exc:  # a cache outage must not take the catalogue down
        current_app.logger.warning("page cache unavailable: %s", type(exc).__name__)
        return render()
    if isinstance(page, str):
        return page, 200
    body, status = render()
    # A rendering that wrote to the session (a CSRF token, a message shown) is personal.
    if status == 200 and not session.modified:
        try:
            page_cache.set(key, body, timeout=seconds)
        except Exception as exc:
            current_app.logger.warning("page cache unavailable: %s", type(exc).__name__)
    return body, status


@bp.get("/")
def index():
    return _cached(_render_index)


def _render_index() -> tuple[str, int]:
    error = None
    try:
        filters = services.parse_filters(request.args)
        page = services.parse_page(request.args)
    except services.FilterError as exc:
        filters, page, error = services.CatalogueFilter(), 1, exc
    per_page = current_app.config["CATALOGUE_PAGE_SIZE"]
    now = utcnow()
    seminars, total = services.paginate(
        db.session, services.public_seminars_query(filters, now), page, per_page
    )
    return render_template(
        "catalogue/index.html",
        seminars=seminars,
        filters=filters,
        error=error,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        total=total,
        now=now,
        levels=list(Level),
        series_list=list(Series),
        deliveries=list(Delivery),
        fiscal_years=services.public_fiscal_years(db.session),
        tabs=_tabs(filters),
    ), (400 if error else 200)


def _tabs(filters: services.CatalogueFilter) -> list[tuple[str, str, bool]]:
    """All / upcoming / past, each keeping the other filters."""
    tabs = []
    for text, upcoming in ((_("All"), None), (_("Upcoming"), True), (_("Past"), False)):
        args = replace(filters, upcoming=upcoming).as_args()
        # mypy matches a **dict of str against url_for's typed _external and the like.
        link = url_for("catalogue.index", **args)  # type: ignore[arg-type]
        tabs.append((text, link, filters.upcoming is upcoming))
    return tabs


@bp.get("/seminars/<slug>")
def detail(slug: str):
    return _cached(lambda: _render_detail(slug))


def _render_detail(slug: str) -> tuple[str, int]:
    seminar = services.public_seminar_by_slug(db.session, slug)
    if seminar is None:
        abort(404)
    now = utcnow()
    seats_left = services.seats_left(seminar)
    register_url = _register_url(seminar)
    page_url = absolute_url("catalogue.detail", slug=slug)
    language = current_language()
    structured = event_data(
        seminar,
        language=language,
        page_url=page_url,
        register_url=current_app.config["BASE_URL"] + register_url if register_url else None,
        seats_left=seats_left,
        organizer={"name": agency_name(language), "url": current_app.config["BASE_URL"] + "/"},
    )
    return render_template(
        "catalogue/detail.html",
        seminar=seminar,
        state=services.registration_state(seminar, now),
        seats_left=seats_left,
        register_url=register_url,
        now=now,
        structured=structured,
        page_urls=language_urls(page_url, current_app.config["LANGUAGES"]),
    ), 200


def _register_url(seminar) -> str | None:
    """The registration form once the registration feature provides one."""
    if "registration.register" not in current_app.view_functions:
        return None
    return url_for("registration.register", slug=seminar.slug)


# --- for search engines --------------------------------------------------------------------

#: The public pages beside the seminars' own, by endpoint, in a sitemap.
SITEMAP_PAGES = (
    "catalogue.index",
    "catalogue.open_data",
    "dispatch.request_form",
    "registration.privacy",
    "certificates.verify_form",
)

#: Paths kept out of search engines: personal links (registrations, join links, feeds,
#: overviews, unsubscribing, a dispatch's links), staff pages and the API's data.
PRIVATE_PREFIXES = (
    "/r/",
    "/j/",
    "/me",
    "/calendar/",
    "/unsubscribe/",
    "/password/",
    "/dispatch/r/",
    "/dispatch/p/",
    "/certificates/verify/",
    "/login",
    "/logout",
    "/account/",
    "/staff",
    "/console/",
    "/desk/",
    "/lecturer/",
    "/api/",
    "/dev/",
    "/language/",
)


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {prefix}" for prefix in PRIVATE_PREFIXES)]
    lines += ["", f"Sitemap: {absolute_url('catalogue.sitemap')}", ""]
    response = make_response("\n".join(lines))
    response.mimetype = "text/plain"
    return response


@bp.get("/sitemap.xml")
def sitemap():
    """The public pages, each public seminar's with its last change (W3C datetime, UTC)."""
    pages: list[tuple[str, str | None]] = [
        (absolute_url(endpoint), None) for endpoint in SITEMAP_PAGES
    ]
    pages += [
        (absolute_url("catalogue.detail", slug=slug), changed.astimezone(UTC).isoformat())
        for slug, changed in services.sitemap_seminars(db.session)
    ]
    body = render_template("catalogue/sitemap.xml", pages=pages)
    response = make_response(body)
    response.mimetype = "application/xml"
    return response


# --- open data -----------------------------------------------------------------------------


@bp.get("/opendata/events.csv")
@bp.get("/opendata/events-<fy:fiscal_year>.csv")
def open_data(fiscal_year: int | None = None):
    """The public seminars of a fiscal year (this one by default) in the standard dataset
    for events (自治体標準オープンデータセット「イベント一覧」)."""
    year = fiscal_year or fiscal_year_of(utcnow())
    table = Table(f"events-fy{year}", opendata.COLUMNS, opendata.event_rows(db.session, year))
    response = table_download("csv", f"events-fy{year}", table)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
