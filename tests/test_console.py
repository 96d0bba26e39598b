from datetime import timedelta

import pytest
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import Role, SeminarStatus
from seminar_app.timeutil import to_jst, utcnow
from tests.conftest import login, post_form


def form_data(**overrides):
    day = (to_jst(utcnow()) + timedelta(days=30)).date().isoformat()
    data = {
        "title": "営業秘密・知財戦略セミナー（初級）～新しい回～",
        "title_en": "Trade secrets for beginners",
        "series": "trade-secret-ip-strategy",
        "level": "beginner",
        "host_type": "agency",
        "delivery": "online",
        "day": day,
        "start_time": "14:00",
        "end_time": "16:00",
        "meeting_url": "https://meet.example.org/j/77",
        "capacity": "80",
        "description": "情報の棚卸しから始めます。",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_organizer_creates_a_draft(organizer_client, db_session):
    response = post_form(organizer_client, "/console/seminars/new", form_data())
    assert response.status_code == 302
    seminar = db_session.scalar(select(Seminar).where(Seminar.title.like("%新しい回%")))
    assert seminar.status == SeminarStatus.DRAFT
    assert to_jst(seminar.starts_at).hour == 14 and seminar.capacity == 80


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "13:00"}, "The end must be after the start."),
        ({"capacity": "-1"}, "The capacity cannot be negative."),
        ({"meeting_url": ""}, "An online or hybrid seminar needs its meeting URL."),
        ({"level": "expert"}, "Not a valid choice"),
        ({"delivery": "in-person", "venue": ""}, "An in-person or hybrid seminar needs a venue."),
        ({"title": ""}, "This field is required."),
    ],
)
def test_bad_input_is_refused_beside_the_field(organizer_client, db_session, overrides, message):
    before = db_session.scalar(select(Seminar.id).order_by(Seminar.id.desc()).limit(1))
    response = post_form(
        organizer_client,
        "/console/seminars/new",
        form_data(**overrides),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'class="field-error"' in html
    assert db_session.scalar(select(Seminar.id).order_by(Seminar.id.desc()).limit(1)) == before


def test_registration_closing_after_the_start_is_refused(organizer_client):
    data = form_data()
    data["registration_closes"] = f"{data['day']}T15:00"
    response = post_form(
        organizer_client, "/console/seminars/new", data, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "Registration must close by the start." in response.get_data(as_text=True)


def test_edit_saves_and_audits(organizer_client, make_seminar, db_session):
    seminar = make_seminar()
    url = f"/console/seminars/{seminar.id}/edit"
    page = organizer_client.get(url).get_data(as_text=True)
    assert seminar.title in page
    data = form_data(title="改題したセミナー", day=to_jst(seminar.starts_at).date().isoformat())
    assert post_form(organizer_client, url, data).status_code == 302
    assert seminar.title == "改題したセミナー"
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "seminar.updated"))
    assert "title" in event.details["fields"]


def test_duplicate_makes_a_new_draft(organizer_client, make_seminar, db_session, make_user):
    lecturer = make_user(Role.LECTURER)
    seminar = make_seminar(lecturers=[lecturer])
    response = post_form(
        organizer_client,
        f"/console/seminars/{seminar.id}/duplicate",
        {},
        page=f"/console/seminars/{seminar.id}/edit",
    )
    assert response.status_code == 302
    copy = db_session.scalars(select(Seminar).order_by(Seminar.id.desc())).first()
    assert copy.id != seminar.id and copy.status == SeminarStatus.DRAFT
    assert copy.slug != seminar.slug and copy.lecturers == [lecturer]
    assert copy.title.startswith(seminar.title)


def test_publish_unpublish_cancel(organizer_client, make_seminar, client):
    seminar = make_seminar(status=SeminarStatus.DRAFT)
    edit = f"/console/seminars/{seminar.id}/edit"
    assert client.get(f"/seminars/{seminar.slug}").status_code == 404
    post_form(organizer_client, f"/console/seminars/{seminar.id}/publish", {}, page=edit)
    assert seminar.status == SeminarStatus.PUBLISHED
    assert client.get(f"/seminars/{seminar.slug}").status_code == 200
    post_form(organizer_client, f"/console/seminars/{seminar.id}/unpublish", {}, page=edit)
    assert seminar.status == SeminarStatus.DRAFT
    confirm = organizer_client.get(f"/console/seminars/{seminar.id}/cancel")
    assert confirm.status_code == 200
    post_form(organizer_client, f"/console/seminars/{seminar.id}/cancel", {"reason": "講師都合"})
    assert seminar.status == SeminarStatus.CANCELLED
    response = post_form(
        organizer_client,
        f"/console/seminars/{seminar.id}/publish",
        {},
        page=edit,
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    assert "cannot be published again" in response.get_data(as_text=True)
    assert seminar.status == SeminarStatus.CANCELLED


def test_publishing_an_incomplete_seminar_is_refused(organizer_client, make_seminar):
    seminar = make_seminar(status=SeminarStatus.DRAFT, meeting_url=None)
    response = post_form(
        organizer_client,
        f"/console/seminars/{seminar.id}/publish",
        {},
        page=f"/console/seminars/{seminar.id}/edit",
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    assert "meeting URL" in response.get_data(as_text=True)
    assert seminar.status == SeminarStatus.DRAFT


def test_lecturer_cannot_use_the_console(client, make_user, make_seminar):
    seminar = make_seminar()
    login(client, make_user(Role.LECTURER))
    assert client.get("/console/").status_code == 403
    assert client.get(f"/console/seminars/{seminar.id}/edit").status_code == 403


def test_console_lists_the_fiscal_year(organizer_client, make_seminar):
    seminar = make_seminar(title="今年度の回", status=SeminarStatus.DRAFT)
    html = organizer_client.get(f"/console/?fiscal_year={seminar.fiscal_year}").get_data(
        as_text=True
    )
    assert "今年度の回" in html
