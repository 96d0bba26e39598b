from datetime import timedelta

import pytest

from seminar_app.catalogue.services import RegistrationState, registration_state
from seminar_app.domain import Delivery, HostType, Level, Role, SeminarStatus
from seminar_app.timeutil import fiscal_year_of, utcnow
from tests.conftest import login


def page(client, url, language="ja"):
    response = client.get(url, headers={"Accept-Language": language})
    return response, response.get_data(as_text=True)


def test_catalogue_lists_published_agency_and_external_seminars(client, make_seminar):
    shown = make_seminar(title="公開セミナー")
    external = make_seminar(
        title="他機関での講演",
        host_type=HostType.EXTERNAL,
        capacity=None,
        host_organization="みなと協会",
        external_url="https://example.jp/e",
    )
    make_seminar(
        title="社内セミナー非公開",
        host_type=HostType.IN_COMPANY,
        capacity=None,
        host_organization="株式会社テスト",
    )
    make_seminar(title="下書きセミナー", status=SeminarStatus.DRAFT)
    response, html = page(client, "/")
    assert response.status_code == 200
    assert shown.title in html and external.title in html
    assert "社内セミナー非公開" not in html
    assert "下書きセミナー" not in html


def test_level_filter_shows_only_that_level(client, make_seminar):
    make_seminar(title="初級の回", level=Level.BEGINNER)
    make_seminar(title="中級の回", level=Level.INTERMEDIATE)
    _, html = page(client, "/?level=intermediate")
    assert "中級の回" in html and "初級の回" not in html


def test_filters_by_delivery_series_and_fiscal_year(client, make_seminar):
    now = utcnow()
    make_seminar(title="今年度の対面", delivery=Delivery.IN_PERSON, venue="会場A")
    make_seminar(title="昔のオンライン", starts_at=now.replace(year=2020, month=11, day=16))
    _, html = page(client, "/?delivery=in-person")
    assert "今年度の対面" in html and "昔のオンライン" not in html
    _, html = page(client, "/?fiscal_year=2020")
    assert "昔のオンライン" in html and "今年度の対面" not in html


def test_upcoming_and_past_tabs(client, make_seminar):
    make_seminar(title="これからの回")
    make_seminar(title="終わった回", starts_at=utcnow() - timedelta(days=3))
    _, upcoming = page(client, "/?upcoming=true")
    _, past = page(client, "/?upcoming=false")
    assert "これからの回" in upcoming and "終わった回" not in upcoming
    assert "終わった回" in past and "これからの回" not in past


def test_all_lists_upcoming_first_then_past_newest_first(client, make_seminar):
    now = utcnow()
    make_seminar(title="過去A", starts_at=now - timedelta(days=30))
    make_seminar(title="未来B", starts_at=now + timedelta(days=40))
    make_seminar(title="過去C", starts_at=now - timedelta(days=3))
    make_seminar(title="未来D", starts_at=now + timedelta(days=5))
    _, html = page(client, "/")
    positions = [html.index(title) for title in ("未来D", "未来B", "過去C", "過去A")]
    assert positions == sorted(positions)


def test_unknown_filter_value_is_explained_not_ignored(client, make_seminar):
    response, html = page(client, "/?level=expert", "en")
    assert response.status_code == 400
    assert "One of the filters in the address is not one we know" in html


def test_pagination(client, make_seminar, app):
    size = app.config["CATALOGUE_PAGE_SIZE"]
    for number in range(size + 2):
        make_seminar(title=f"回{number:02d}番", starts_at=utcnow() + timedelta(days=number + 1))
    _, first = page(client, "/")
    _, second = page(client, "/?page=2")
    assert "回00番" in first and f"回{size:02d}番" not in first
    assert f"回{size:02d}番" in second and "回00番" not in second
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_detail_page_in_japanese_style(client, make_seminar, make_user):
    from datetime import UTC, datetime

    lecturer = make_user(display_name="高野 健吾", title="知財戦略アドバイザー")
    seminar = make_seminar(
        starts_at=datetime(2030, 12, 17, 5, 0, tzinfo=UTC), capacity=80, lecturers=[lecturer]
    )
    response, html = page(client, f"/seminars/{seminar.slug}")
    assert response.status_code == 200
    assert "2030年12月17日（火）14:00–16:00" in html
    assert "オンライン" in html
    assert "高野 健吾" in html and "知財戦略アドバイザー" in html
    assert "残り80席" in html


def test_meeting_url_never_appears_on_public_pages(client, make_seminar):
    seminar = make_seminar(meeting_url="https://meet.example.org/j/secret-room-42")
    for url in ("/", f"/seminars/{seminar.slug}", "/?upcoming=true"):
        _, html = page(client, url)
        assert "secret-room-42" not in html


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": SeminarStatus.DRAFT},
        {"host_type": HostType.IN_COMPANY, "capacity": None, "host_organization": "株式会社A"},
    ],
)
def test_unpublished_and_in_company_pages_are_not_found(client, make_seminar, overrides):
    seminar = make_seminar(**overrides)
    assert client.get(f"/seminars/{seminar.slug}").status_code == 404


def test_cancelled_seminar_is_marked(client, make_seminar):
    seminar = make_seminar(status=SeminarStatus.CANCELLED)
    response, html = page(client, f"/seminars/{seminar.slug}")
    assert response.status_code == 200
    assert "中止" in html


def test_external_talk_links_to_the_host_and_takes_no_registration(client, make_seminar):
    seminar = make_seminar(
        host_type=HostType.EXTERNAL,
        capacity=None,
        host_organization="みなと協会",
        external_url="https://example.jp/events/7",
    )
    _, html = page(client, f"/seminars/{seminar.slug}")
    assert "https://example.jp/events/7" in html
    assert registration_state(seminar, utcnow()) is RegistrationState.NOT_TAKEN


def test_registration_state_follows_the_window(make_seminar):
    now = utcnow()
    seminar = make_seminar(
        registration_opens_at=now + timedelta(days=1),
        registration_closes_at=now + timedelta(days=5),
    )
    assert registration_state(seminar, now) is RegistrationState.NOT_OPEN_YET
    assert registration_state(seminar, now + timedelta(days=2)) is RegistrationState.OPEN
    assert registration_state(seminar, now + timedelta(days=6)) is RegistrationState.CLOSED
    assert registration_state(seminar, now + timedelta(days=30)) is RegistrationState.ENDED


def test_english_when_the_browser_prefers_it(client, make_seminar):
    make_seminar()
    _, html = page(client, "/", "en-US,en;q=0.9")
    assert '<html lang="en">' in html
    _, html = page(client, "/", "ja,en;q=0.5")
    assert '<html lang="ja">' in html


def test_english_cards_and_the_console_list_show_the_english_title(client, make_seminar, make_user):
    seminar = make_seminar()
    _, html = page(client, "/", "en")
    assert seminar.title_en in html and seminar.title not in html
    _, html = page(client, "/", "ja")
    assert seminar.title in html
    login(client, make_user(Role.ORGANIZER))
    _, html = page(client, f"/console/?fiscal_year={fiscal_year_of(seminar.starts_at)}", "en")
    assert seminar.title_en in html and seminar.title not in html


def test_language_switch_overrides_the_browser(client, make_seminar):
    seminar = make_seminar()
    response = client.get(
        f"/language/en?next=/seminars/{seminar.slug}", headers={"Accept-Language": "ja"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/seminars/{seminar.slug}"
    _, html = page(client, f"/seminars/{seminar.slug}", "ja")
    assert '<html lang="en">' in html
    assert seminar.title_en in html


def test_language_switch_refuses_to_redirect_elsewhere(client):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.get("/language/ja", query_string={"next": target})
        assert response.headers["Location"] == "/"


def test_language_switch_on_every_page(client, make_seminar):
    seminar = make_seminar()
    for url in ("/", f"/seminars/{seminar.slug}", "/login", "/password/forgot"):
        _, html = page(client, url)
        assert "/language/en" in html, url
