"""Public catalogue pages: the listing with its filters and one page per seminar."""

from __future__ import annotations

import math
from dataclasses import replace

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _

from ..domain import Delivery, Level, Series
from ..extensions import db
from ..timeutil import utcnow
from . import services

bp = Blueprint("catalogue", __name__)


@bp.get("/")
def index():
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
    seminar = services.public_seminar_by_slug(db.session, slug)
    if seminar is None:
        abort(404)
    now = utcnow()
    return render_template(
        "catalogue/detail.html",
        seminar=seminar,
        state=services.registration_state(seminar, now),
        seats_left=services.seats_left(seminar),
        register_url=_register_url(seminar),
        now=now,
    )


def _register_url(seminar) -> str | None:
    """The registration form once the registration feature provides one."""
    if "registration.register" not in current_app.view_functions:
        return None
    return url_for("registration.register", slug=seminar.slug)
