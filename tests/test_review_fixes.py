"""Faults a review found: each test fails without its fix."""

import threading
from datetime import timedelta

from flask_migrate import upgrade
from sqlalchemy import func, select

from seminar_app.attendance.models import OnlineAttendance
from seminar_app.auth.services import issue_api_token
from seminar_app.domain import Role, SeminarStatus
from seminar_app.extensions import db
from seminar_app.registration import services as registrations
from seminar_app.registration.details import parse_details
from seminar_app.registration.models import CalendarFeed
from seminar_app.timeutil import utcnow
from tests.conftest import login, make_app, post_form
from tests.registration_helpers import add_open_seminar, details_data, register


def test_api_token_does_not_become_a_web_login(client, make_user, make_seminar, db_session):
    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    seminar = make_seminar()
    response = client.patch(
        f"/api/v1/seminars/{seminar.id}",
        json={"title": "改題"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert "session=" not in response.headers.get("Set-Cookie", "")
    assert client.get("/console/").status_code == 302  # still not logged in


def test_api_cancels_and_changes_a_seminar_in_one_patch(
    client, make_user, make_seminar, db_session
):
    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    seminar = make_seminar()
    response = client.patch(
        f"/api/v1/seminars/{seminar.id}",
        json={"status": "cancelled", "waitlist_cutoff_hours": 2},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"


def test_refused_registration_keeps_no_calendar_feed(db_session, make_seminar):
    seminar = make_seminar(status=SeminarStatus.CANCELLED)
    details, _ = parse_details(details_data(email="refused@example.jp"))
    try:
        registrations.register(
            db_session, seminar.id, details, now=utcnow(), privacy_notice_version="x"
        )
    except registrations.RegistrationError:
        db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(CalendarFeed)) == 0


def test_desk_refuses_a_cancelled_seminar(client, make_user, make_seminar):
    seminar = make_seminar(status=SeminarStatus.CANCELLED)
    login(client, make_user(Role.RECEPTION))
    assert client.get(f"/desk/{seminar.id}").status_code == 404


def test_desk_answer_keeps_names_out_of_the_session_cookie(
    client, app, make_user, make_seminar, db_session
):
    seminar = make_seminar()
    registration = register(db_session, seminar, name="秘密 花子")
    login(client, make_user(Role.RECEPTION))
    post_form(
        client,
        f"/desk/{seminar.id}/scan",
        {"code": registration.ticket_code},
        page=f"/desk/{seminar.id}",
    )
    cookie = client.get_cookie("session").value
    stored = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert stored["desk_result"] == {"outcome": "checked-in", "registration_id": registration.id}


def test_many_people_joining_online_at_once_on_sqlite(tmp_path):
    """Join links are GETs that write: on SQLite they must wait for the lock, not fail."""
    app = make_app(f"sqlite:///{tmp_path / 'join.db'}")
    with app.app_context():
        upgrade()
        seminar = add_open_seminar(
            db.session, slug="live", capacity=50, starts_in=-timedelta(minutes=5)
        )
        tokens = []
        for n in range(24):
            details, _ = parse_details(details_data(email=f"live{n}@example.jp"))
            registration = registrations.register(
                db.session,
                seminar.id,
                details,
                now=utcnow() - timedelta(days=1),
                privacy_notice_version="x",
            )
            db.session.commit()
            tokens.append(registration.join_token)
    statuses = []

    def follow(chunk):
        client = app.test_client()
        statuses.extend(client.get(f"/j/{token}").status_code for token in chunk)

    threads = [threading.Thread(target=follow, args=(tokens[n::6],)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 24
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OnlineAttendance)) == 24
        db.engine.dispose()
