"""Found by machines (issue 21, item 6): sitemap.xml lists the public pages, each public
seminar's with its last change, and nothing else; robots.txt keeps every personal link,
staff page and the API's data out of search engines (read by Python's own robots parser
against the security matrix's classification of every route)."""

from __future__ import annotations

import urllib.robotparser
import xml.etree.ElementTree as ET
from datetime import datetime

from seminar_app.domain import HostType, SeminarStatus
from tests.test_security_matrix import API_STAFF, EXAMPLE, ROUTES, STAFF, TOKEN, url_for_rule

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_entries(client) -> dict[str, str | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)  # noqa: S314 - our own answer, in a test
    assert root.tag == f"{SITEMAP}urlset"
    return {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in root.findall(f"{SITEMAP}url")
    }


def robots_of(client) -> urllib.robotparser.RobotFileParser:
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(response.get_data(as_text=True).splitlines())
    return parser


def test_the_sitemap_lists_public_seminars_with_their_last_change(
    app, client, db_session, make_seminar
):
    base = app.config["BASE_URL"]
    public = make_seminar()
    cancelled = make_seminar(status=SeminarStatus.CANCELLED)
    draft = make_seminar(status=SeminarStatus.DRAFT)
    in_company = make_seminar(host_type=HostType.IN_COMPANY, host_organization="株式会社社内")
    db_session.commit()
    entries = sitemap_entries(client)
    for seminar in (public, cancelled):
        changed = entries[f"{base}/seminars/{seminar.slug}"]
        assert datetime.fromisoformat(changed) == seminar.updated_at.replace(
            microsecond=seminar.updated_at.microsecond
        )
    for seminar in (draft, in_company):
        assert f"{base}/seminars/{seminar.slug}" not in entries
    for page in ("/", "/dispatch/request", "/privacy", "/certificates/verify"):
        assert base + page in entries
    # Every page listed answers, and robots.txt lets a crawler fetch it.
    robots = robots_of(client)
    for location in entries:
        path = location.removeprefix(base)
        assert client.get(path).status_code == 200, path
        assert robots.can_fetch("Googlebot", location), location


def test_robots_keeps_every_personal_and_staff_route_out(app, client):
    robots = robots_of(client)
    base = app.config["BASE_URL"]
    kept_out = [
        url_for_rule(rule, access, EXAMPLE, real_token=True)
        for (_endpoint, rule), access in ROUTES.items()
        if access.kind in (TOKEN, STAFF, API_STAFF)
    ]
    assert len(kept_out) > 100
    allowed = [path for path in kept_out if robots.can_fetch("Googlebot", base + path)]
    assert allowed == []
    assert robots.site_maps() == [f"{base}/sitemap.xml"]
    # The public catalogue and a seminar's page stay open.
    assert robots.can_fetch("Googlebot", f"{base}/")
    assert robots.can_fetch("Googlebot", f"{base}/seminars/some-seminar")
