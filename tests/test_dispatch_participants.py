"""After a dispatch (issue 18, item 4): the page the company's contact forwards to its
participants, who do not register: the seminar's materials for them (the materials'
audiences, a shared link standing for registrants) and its survey, one anonymous answer per
browser; the organizer's delivery record (head-count, minutes, report) on the request's page.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from seminar_app.dispatch import services
from seminar_app.dispatch.models import DispatchRequest
from seminar_app.domain import DispatchState, Role
from seminar_app.materials.models import Material
from seminar_app.surveys import services as surveys
from seminar_app.surveys.models import SurveyAnswer
from seminar_app.timeutil import utcnow
from tests.conftest import csrf_token, login, post_form
from tests.dispatch_helpers import submit
from tests.test_dispatch_figures import schedule
from tests.test_materials import upload

COOKIE = "dispatch_browser"


@pytest.fixture
def lecturer(make_user):
    return make_user(Role.LECTURER)


@pytest.fixture
def held(db_session, lecturer):
    """A scheduled request whose seminar ended an hour ago, with the standard survey."""
    request = submit(db_session)
    schedule(db_session, request, lecturer, utcnow() - timedelta(hours=3))
    surveys.create_survey(db_session, request.seminar)
    db_session.commit()
    return request


def page_of(request: DispatchRequest) -> str:
    return f"/dispatch/p/{request.participant_token}"


def answer(client, request, satisfaction: int, **extra):
    """Post the survey as a participant's browser does (the client keeps its cookies)."""
    url = page_of(request) + "/survey"
    data = {"q-satisfaction": str(satisfaction), "q-understanding": "4", **extra}
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_every_request_has_its_own_participants_link_apart_from_the_contacts(db_session):
    first, second = submit(db_session), submit(db_session)
    tokens = {first.token, first.participant_token, second.token, second.participant_token}
    assert len(tokens) == 4
    assert all(len(token) >= 32 for token in tokens)  # 192 random bits, URL-safe


def test_the_link_shows_nothing_until_the_seminar_is_scheduled(client, db_session, lecturer):
    request = submit(db_session)
    assert client.get(page_of(request)).status_code == 404
    schedule(db_session, request, lecturer, utcnow() + timedelta(days=10))
    html = client.get(page_of(request)).get_data(as_text=True)
    assert request.seminar.title in html
    assert lecturer.display_name in html
    assert 'name="robots" content="noindex"' in html
    # Before the seminar ends there is no survey to answer.
    assert "/survey" not in html


@pytest.mark.parametrize("state", [DispatchState.WITHDRAWN, DispatchState.DECLINED])
def test_a_withdrawn_or_declined_requests_link_shows_nothing(client, db_session, held, state):
    services.change_state(db_session, held, state, by=None, now=utcnow(), reason="日程が合わず")
    db_session.commit()
    assert client.get(page_of(held)).status_code == 404
    assert client.get(page_of(held) + "/survey").status_code == 404


def test_an_unknown_link_is_not_found(client, db_session, held):
    assert client.get("/dispatch/p/not-a-token").status_code == 404
    # The contact's own link is not the participants' link.
    assert client.get(f"/dispatch/p/{held.token}").status_code == 404


def test_materials_for_everyone_or_registrants_open_but_not_for_attendees_only(
    app, client, db_session, held, lecturer, tmp_path, make_seminar
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    staff = app.test_client()
    login(staff, lecturer)
    for audience in ("everyone", "registrants", "attendees"):
        assert upload(staff, held.seminar, audience=audience, title=audience).status_code == 303
    other = make_seminar(lecturers=[lecturer])
    assert upload(staff, other, audience="everyone", title="other seminar").status_code == 303
    by_title = {m.title: m for m in db_session.scalars(select(Material))}
    html = client.get(page_of(held)).get_data(as_text=True)
    assert "everyone" in html and "registrants" in html
    assert "attendees" not in html and "other seminar" not in html

    def status(title):
        url = f"{page_of(held)}/materials/{by_title[title].id}"
        return client.get(url).status_code

    assert [status(title) for title in ("everyone", "registrants", "attendees")] == [
        200,
        200,
        403,
    ]
    # A material of another seminar is not found through this link.
    assert status("other seminar") == 404
    download = client.get(f"{page_of(held)}/materials/{by_title['everyone'].id}")
    assert "no-store" in download.headers["Cache-Control"]
    assert download.data.startswith(b"%PDF")


def test_the_survey_waits_for_the_end_of_the_seminar(client, db_session, lecturer):
    request = submit(db_session)
    schedule(db_session, request, lecturer, utcnow() + timedelta(days=3))
    surveys.create_survey(db_session, request.seminar)
    db_session.commit()
    response = client.get(page_of(request) + "/survey", headers={"Accept-Language": "ja"})
    assert response.status_code == 403
    assert "アンケートはセミナー終了後に回答できるようになります。" in response.get_data(
        as_text=True
    )


def test_one_answer_per_browser_which_it_may_change(app, client, db_session, held):
    survey = surveys.survey_for_seminar(db_session, held.seminar_id)
    page = client.get(page_of(held)).get_data(as_text=True)
    assert "/survey" in page  # the seminar is over: the survey is offered
    form = client.get(page_of(held) + "/survey")
    cookie = client.get_cookie(COOKIE, path=page_of(held))
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert "may_name" not in form.get_data(as_text=True)  # nobody is asked for a name

    assert answer(client, held, 5).status_code == 303
    assert answer(client, held, 2, may_name="1").status_code == 303  # the same browser
    rows = db_session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id))
    [row] = rows.all()
    assert row.answers["satisfaction"] == 2
    assert row.registration_id is None and row.may_name is False
    # The key stored is not the browser's secret (a leaked table lets nobody answer as it).
    assert row.browser_key != cookie.value and len(row.browser_key) == 64
    again = client.get(page_of(held), headers={"Accept-Language": "en"})
    assert "Thank you: your answers were received." in again.get_data(as_text=True)

    another_browser = app.test_client()
    assert answer(another_browser, held, 4).status_code == 303
    assert surveys.answer_count(db_session, survey) == 2
    result = surveys.results(db_session, survey)
    assert result["answers"] == 2
    assert result["questions"][0]["distribution"] == {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}


def test_a_forged_cookie_is_not_taken_as_a_browser(client, db_session, held):
    client.set_cookie(COOKIE, "../../x", path=page_of(held))
    answer(client, held, 3)
    kept = client.get_cookie(COOKIE, path=page_of(held))
    assert kept is not None and re.fullmatch(r"[A-Za-z0-9_-]{43}", kept.value)


def test_missing_answers_are_named_and_nothing_is_kept(client, db_session, held):
    url = page_of(held) + "/survey"
    response = client.post(
        url, data={"csrf_token": csrf_token(client, url)}, headers={"Accept-Language": "ja"}
    )
    assert response.status_code == 400
    assert 'id="q-satisfaction-error"' in response.get_data(as_text=True)
    assert not db_session.scalars(select(SurveyAnswer)).all()


def test_a_closed_survey_takes_no_more_answers(client, db_session, held):
    url = page_of(held) + "/survey"
    token = csrf_token(client, url)  # the form was open when the page was loaded
    survey = surveys.survey_for_seminar(db_session, held.seminar_id)
    survey.closes_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    data = {"q-satisfaction": "5", "q-understanding": "4", "csrf_token": token}
    assert client.post(url, data=data).status_code == 409
    assert not db_session.scalars(select(SurveyAnswer)).all()
    assert "/survey" not in client.get(page_of(held)).get_data(as_text=True)


def test_a_browsers_answer_is_exported_without_a_name(client, db_session, held):
    answer(client, held, 5, **{"q-comment": "分かりやすかった"})
    survey = surveys.survey_for_seminar(db_session, held.seminar_id)
    _header, rows = surveys.export_rows(db_session, survey)
    assert rows[0][2:4] == ["", ""]  # name and organization: nobody's
    assert "分かりやすかった" in rows[0]


def test_each_seminars_answers_are_its_own(client, db_session, held, lecturer):
    other = submit(db_session)
    schedule(db_session, other, lecturer, utcnow() - timedelta(days=2))
    surveys.create_survey(db_session, other.seminar)
    db_session.commit()
    answer(client, held, 5)
    answer(client, other, 1)
    for request, rating in ((held, 5), (other, 1)):
        survey = surveys.survey_for_seminar(db_session, request.seminar_id)
        [row] = db_session.scalars(select(SurveyAnswer).where(SurveyAnswer.survey_id == survey.id))
        assert row.answers["satisfaction"] == rating


def test_a_browser_answers_only_the_survey_of_the_seminar_it_came_for(db_session, held):
    survey = surveys.survey_for_seminar(db_session, held.seminar_id)
    stranger = surveys.Browser.of(held.seminar_id + 1, "x" * 43)
    with pytest.raises(surveys.SurveyError) as caught:
        surveys.check_may_answer(db_session, survey, stranger, utcnow())
    assert caught.value.code == "other-seminar"


# --- the organizer's delivery record --------------------------------------------------------


def test_the_organizer_records_the_delivery_on_the_requests_page(
    client, db_session, held, make_user
):
    organizer = make_user(Role.ORGANIZER)
    login(client, organizer)
    page = f"/console/dispatch/{held.id}"
    html = client.get(page, headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert 'value="120"' in html  # the minutes as scheduled
    assert held.participant_token in html
    response = post_form(
        client,
        page + "/delivery",
        {"attendees": "３２", "minutes": "110", "report": "規程の作り方を説明した。"},
        page=page,
    )
    assert response.status_code == 303
    again = db_session.get(DispatchRequest, held.id)
    assert again.state == DispatchState.DELIVERED
    assert (again.seminar.head_count, again.delivered_minutes) == (32, 110)
    assert again.delivery_report == "規程の作り方を説明した。"
    html = client.get(page).get_data(as_text=True)
    assert "規程の作り方を説明した。" in html and 'value="32"' in html


def test_a_bad_delivery_record_is_answered_beside_its_fields_in_japanese(
    client, db_session, held, make_user
):
    login(client, make_user(Role.ORGANIZER))
    page = f"/console/dispatch/{held.id}"
    response = post_form(
        client,
        page + "/delivery",
        {"attendees": "三十", "minutes": "0", "report": ""},
        page=page,
        headers={"Accept-Language": "ja"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="attendees-error"' in html and 'id="minutes-error"' in html
    assert "出席者数" in html
    again = db_session.get(DispatchRequest, held.id)
    assert again.state == DispatchState.SCHEDULED and again.seminar.head_count is None


def test_no_delivery_form_before_the_seminar_ends(client, db_session, lecturer, make_user):
    request = submit(db_session)
    schedule(db_session, request, lecturer, utcnow() + timedelta(days=3))
    login(client, make_user(Role.ORGANIZER))
    html = client.get(f"/console/dispatch/{request.id}").get_data(as_text=True)
    assert "/delivery" not in html
    response = post_form(
        client,
        f"/console/dispatch/{request.id}/delivery",
        {"attendees": "10", "minutes": "60"},
        page=f"/console/dispatch/{request.id}",
    )
    assert response.status_code == 400
    assert db_session.get(DispatchRequest, request.id).state == DispatchState.SCHEDULED


def test_the_contact_sees_the_participants_link_once_scheduled(client, db_session, held):
    html = client.get(f"/dispatch/r/{held.token}").get_data(as_text=True)
    assert f"/dispatch/p/{held.participant_token}" in html
    fresh = submit(db_session)
    html = client.get(f"/dispatch/r/{fresh.token}").get_data(as_text=True)
    assert fresh.participant_token not in html
