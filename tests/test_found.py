"""Found by machines (issue 21, item 6): sitemap.xml lists the public pages, each public
seminar's with its last change, and nothing else; robots.txt keeps every personal link,
staff page and the API's data out of search engines (read by Python's own robots parser
against the security matrix's classification of every route)."""

from __future__ import annotations

import urllib.robotparser
import xml.etree.ElementTree as ET
from datetime import datetime, time

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


# --- a seminar's page for search engines and for sharing (item 5) ----------------------------

#: schema.org's Event properties that Google requires and recommends (developers.google.com
#: /search/docs/appearance/structured-data/event), and the values its enumerations allow.
REQUIRED = {"name", "startDate", "location"}
RECOMMENDED = {
    "description",
    "endDate",
    "eventAttendanceMode",
    "eventStatus",
    "offers",
    "organizer",
    "performer",
}
ATTENDANCE_MODES = {
    f"https://schema.org/{mode}"
    for mode in (
        "OnlineEventAttendanceMode",
        "OfflineEventAttendanceMode",
        "MixedEventAttendanceMode",
    )
}
EVENT_STATUSES = {
    f"https://schema.org/{status}"
    for status in (
        "EventScheduled",
        "EventCancelled",
        "EventPostponed",
        "EventRescheduled",
        "EventMovedOnline",
    )
}
AVAILABILITIES = {
    f"https://schema.org/{value}"
    for value in ("InStock", "SoldOut", "Discontinued", "LimitedAvailability", "PreOrder")
}
#: schema.org types that are an Event (the page's is one of them).
EVENT_TYPES = {"Event", "EducationEvent"}


def structured_data(client, slug: str, language: str = "ja") -> tuple[dict, str]:
    import json
    import re

    html = client.get(f"/seminars/{slug}?lang={language}").get_data(as_text=True)
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(block), html


def check_event(data: dict) -> None:
    """The event as Google reads schema.org Event: every required and recommended property,
    each value of the kind and the enumeration it must be."""
    assert data["@context"] == "https://schema.org" and data["@type"] in EVENT_TYPES
    missing = (REQUIRED | RECOMMENDED) - set(data)
    assert not missing, missing
    for key in ("startDate", "endDate"):
        moment = datetime.fromisoformat(data[key])
        assert moment.utcoffset() is not None and data[key].endswith("+09:00")
    assert datetime.fromisoformat(data["startDate"]) < datetime.fromisoformat(data["endDate"])
    assert data["eventAttendanceMode"] in ATTENDANCE_MODES
    assert data["eventStatus"] in EVENT_STATUSES
    offer = data["offers"]
    assert offer["@type"] == "Offer" and offer["price"] == 0 and offer["priceCurrency"] == "JPY"
    assert offer["availability"] in AVAILABILITIES and offer["url"].startswith("http")
    assert data["organizer"]["@type"] == "Organization" and data["organizer"]["name"]
    assert all(p["@type"] == "Person" and p["name"] for p in data["performer"])
    for place in data["location"]:
        assert place["@type"] in {"Place", "VirtualLocation"}
        if place["@type"] == "Place":
            assert place["name"] and place["address"]["@type"] == "PostalAddress"
        else:
            assert place["url"].startswith("http")


def test_a_seminars_page_carries_its_event_data(app, client, db_session, make_seminar, make_user):
    from seminar_app.domain import Delivery, Level

    lecturer = make_user(display_name="知財 太郎")
    seminar = make_seminar(
        delivery=Delivery.HYBRID,
        venue="東京都千代田区霞が関3-4-3 会議室A",
        level=Level.BEGINNER,
        lecturers=[lecturer],
        online_capacity=10,
    )
    db_session.commit()
    data, html = structured_data(client, seminar.slug)
    check_event(data)
    assert data["name"] == seminar.title and data["educationalLevel"] == "初級"
    assert data["superEvent"] == {"@type": "EventSeries", "name": "営業秘密・知財戦略セミナー"}
    assert data["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert [place["@type"] for place in data["location"]] == ["Place", "VirtualLocation"]
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert data["performer"] == [{"@type": "Person", "name": "知財 太郎"}]
    # The meeting's address is for registrants only: never in what machines read.
    assert seminar.meeting_url not in html.split("<body")[0]
    english, _html = structured_data(client, seminar.slug, "en")
    assert english["name"] == seminar.title_en and english["educationalLevel"] == "Beginner"


def test_cancelled_rescheduled_and_full_seminars_say_so(client, db_session, make_seminar):
    from seminar_app.domain import Delivery

    cancelled = make_seminar(status=SeminarStatus.CANCELLED)
    moved = make_seminar(calendar_sequence=1)
    full = make_seminar(capacity=0)
    online = make_seminar(delivery=Delivery.ONLINE)
    db_session.commit()
    status = {s.slug: structured_data(client, s.slug)[0] for s in (cancelled, moved, full, online)}
    assert status[cancelled.slug]["eventStatus"] == "https://schema.org/EventCancelled"
    assert status[cancelled.slug]["offers"]["availability"] == "https://schema.org/Discontinued"
    assert status[moved.slug]["eventStatus"] == "https://schema.org/EventRescheduled"
    assert status[full.slug]["offers"]["availability"] == "https://schema.org/SoldOut"
    assert status[online.slug]["location"] == [
        {"@type": "VirtualLocation", "url": f"http://seminars.test/seminars/{online.slug}"}
    ]
    for data in status.values():
        check_event({**data, "performer": data.get("performer", [])})


def test_each_language_has_its_address_and_the_page_can_be_shared(client, db_session, make_seminar):
    import re

    seminar = make_seminar()
    db_session.commit()
    page = f"http://seminars.test/seminars/{seminar.slug}"
    for language in ("ja", "en"):
        _data, html = structured_data(client, seminar.slug, language)
        assert f'<html lang="{language}">' in html
        assert f'<link rel="canonical" href="{page}?lang={language}">' in html
        alternates = dict(
            re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)
        )
        assert alternates == {"ja": f"{page}?lang=ja", "en": f"{page}?lang=en", "x-default": page}
        for tag in ("og:title", "og:description", "og:url", "og:type", "og:site_name", "og:locale"):
            assert f'<meta property="{tag}" content="' in html, tag
        assert '<meta name="twitter:card" content="summary">' in html


# --- open data (item 7) ----------------------------------------------------------------------

#: The standard dataset's columns (自治体標準オープンデータセット「イベント一覧」), in its
#: order, and the form each value must take ("" always allowed where the dataset allows it).
DATASET = [
    ("都道府県コード又は市区町村コード", r"\d{6}"),
    ("NO", r"\d+"),
    ("都道府県名", r".+[都道府県]"),
    ("市区町村名", r""),
    ("イベント名", r".+"),
    ("イベント名_カナ", r"[ァ-ヶー・　 ]*"),
    ("イベント名_英語", r".*"),
    ("開始日", r"\d{4}-\d{2}-\d{2}"),
    ("終了日", r"\d{4}-\d{2}-\d{2}"),
    ("開始時間", r"\d{2}:\d{2}"),
    ("終了時間", r"\d{2}:\d{2}"),
    ("開始日時特記事項", r"(中止)?"),
    ("説明", r"(?s).*"),
    ("料金(基本)", r"無料"),
    ("料金(詳細)", r".*"),
    ("連絡先名称", r".+"),
    ("連絡先電話番号", r"[0-9-]*"),
    ("連絡先内線番号", r"[0-9]*"),
    ("主催者", r".+"),
    ("場所名称", r".+"),
    ("住所", r".*"),
    ("方書", r".*"),
    ("緯度", r"(-?\d+\.\d+)?"),
    ("経度", r"(-?\d+\.\d+)?"),
    ("アクセス方法", r".*"),
    ("駐車場情報", r".*"),
    ("定員", r".*"),
    ("参加申込終了日", r"(\d{4}-\d{2}-\d{2})?"),
    ("参加申込終了時間", r"(\d{2}:\d{2})?"),
    ("参加申込方法", r".*"),
    ("URL", r"https?://\S+"),
    ("備考", r".*"),
]


def open_data(client, path: str) -> list[dict[str, str]]:
    import csv
    import io
    import re

    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # UTF-8 with its BOM
    reader = csv.reader(io.StringIO(response.data.decode("utf-8-sig")))
    header, *rows = list(reader)
    assert header == [name for name, _form in DATASET]
    records = [dict(zip(header, row, strict=True)) for row in rows]
    for record in records:
        for name, form in DATASET:
            assert re.fullmatch(form, record[name]), (name, record[name])
    return records


def test_the_catalogue_as_the_standard_dataset_for_events(app, client, db_session, make_seminar):
    from datetime import timedelta

    from seminar_app.domain import Delivery
    from seminar_app.timeutil import JST, fiscal_year_of, jst_datetime, to_jst, utcnow

    start = jst_datetime(to_jst(utcnow()).date() + timedelta(days=20), time(14))
    year = fiscal_year_of(start)
    venue = make_seminar(
        delivery=Delivery.IN_PERSON,
        venue="東京都千代田区霞が関3-4-3",
        capacity=40,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    cancelled = make_seminar(
        status=SeminarStatus.CANCELLED,
        starts_at=start + timedelta(days=1),
        ends_at=start + timedelta(days=1, hours=1),
    )
    draft = make_seminar(status=SeminarStatus.DRAFT)
    in_company = make_seminar(host_type=HostType.IN_COMPANY, host_organization="株式会社社内")
    db_session.commit()
    records = {int(r["NO"]): r for r in open_data(client, f"/opendata/events-{year}.csv")}
    assert set(records) >= {venue.id, cancelled.id}
    assert draft.id not in records and in_company.id not in records
    row = records[venue.id]
    assert row["都道府県コード又は市区町村コード"] == "130001" and row["都道府県名"] == "東京都"
    assert (row["開始日"], row["開始時間"], row["終了時間"]) == (
        start.astimezone(JST).strftime("%Y-%m-%d"),
        "14:00",
        "16:00",
    )
    assert row["場所名称"] == "東京都千代田区霞が関3-4-3" and row["定員"] == "40名"
    assert row["URL"] == f"http://seminars.test/seminars/{venue.slug}"
    assert row["料金(基本)"] == "無料" and row["主催者"] == app.config["AGENCY_NAME"]
    assert records[cancelled.id]["開始日時特記事項"] == "中止"
    # This fiscal year's file is the default one, and the catalogue links to each year's.
    this_year = fiscal_year_of(utcnow())
    assert open_data(client, "/opendata/events.csv") == open_data(
        client, f"/opendata/events-{this_year}.csv"
    )
    assert f"/opendata/events-{year}.csv" in client.get("/").get_data(as_text=True)
    assert client.get("/opendata/events-1999.csv").status_code == 404


def test_the_publishers_code_must_have_its_check_digit(monkeypatch):
    import pytest

    from seminar_app.config import ConfigurationError, load_config
    from seminar_app.reference import local_government_code_is_valid

    assert all(map(local_government_code_is_valid, ("130001", "010006", "270008", "131016")))
    assert not any(
        map(local_government_code_is_valid, ("130002", "13000", "990009", "１３０００１"))
    )
    monkeypatch.setenv("APP_ENV", "development")
    monkeypatch.setenv("OPEN_DATA_AREA_CODE", "130002")
    with pytest.raises(ConfigurationError, match="OPEN_DATA_AREA_CODE"):
        load_config()
