"""Check-in at the desk: outcomes, double scans, undo, walk-ins, access, and the API."""

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from seminar_app.attendance import services
from seminar_app.attendance.models import CheckIn
from seminar_app.audit.models import AuditEvent
from seminar_app.domain import CheckInMethod, Role
from seminar_app.qr import qr_png
from seminar_app.registration import services as registrations
from seminar_app.timeutil import utcnow
from tests.conftest import login, post_form
from tests.registration_helpers import details_data, register


def scan(db_session, seminar, code, by=None, desk="受付A"):
    result = services.check_in_code(
        db_session, seminar.id, code, by=by, method=CheckInMethod.SCAN, desk=desk, now=utcnow()
    )
    db_session.commit()
    return result


def text_of(response) -> str:
    return re.sub(r"<[^>]+>", "", response.get_data(as_text=True))


def check_ins(db_session):
    return db_session.scalar(select(func.count()).select_from(CheckIn))


def test_scan_checks_in_once_then_says_already(db_session, make_seminar, make_user):
    desk_user = make_user(Role.RECEPTION)
    seminar = make_seminar()
    registration = register(db_session, seminar)
    first = scan(db_session, seminar, registration.ticket_code, by=desk_user)
    second = scan(db_session, seminar, registration.ticket_code, desk="受付B")
    assert first.outcome == services.Outcome.CHECKED_IN
    assert second.outcome == services.Outcome.ALREADY
    assert second.check_in.checked_in_by_id == desk_user.id
    assert second.check_in.desk == "受付A"
    assert check_ins(db_session) == 1
    audited = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "attendance.checked_in")
    ).all()
    assert len(audited) == 1 and audited[0].details["desk"] == "受付A"


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("", services.Outcome.UNKNOWN),
        ("TKT-short", services.Outcome.UNKNOWN),
        ("TKT-" + "x" * 24, services.Outcome.UNKNOWN),
        ("x" * 5000, services.Outcome.UNKNOWN),
        ("'; DROP TABLE registrations; --", services.Outcome.UNKNOWN),
    ],
)
def test_bad_codes_are_unknown(db_session, make_seminar, code, outcome):
    assert scan(db_session, make_seminar(), code).outcome == outcome
    assert check_ins(db_session) == 0


def test_cancelled_waitlisted_and_other_seminars_are_refused(db_session, make_seminar):
    seminar, other = make_seminar(capacity=1), make_seminar()
    seated = register(db_session, seminar)
    waiting = register(db_session, seminar)
    elsewhere = register(db_session, other)
    assert scan(db_session, seminar, waiting.ticket_code).outcome == services.Outcome.WAITLISTED
    assert scan(db_session, seminar, elsewhere.ticket_code).outcome == (
        services.Outcome.OTHER_SEMINAR
    )
    registrations.cancel(db_session, seated.id, utcnow(), by_participant=False)
    db_session.commit()
    assert scan(db_session, seminar, seated.ticket_code).outcome == services.Outcome.CANCELLED
    assert check_ins(db_session) == 0


def test_full_width_code_from_an_ime_still_matches(db_session, make_seminar):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    typed = "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in registration.ticket_code
    )
    assert scan(db_session, seminar, f" {typed} ").outcome == services.Outcome.CHECKED_IN


def test_undo_is_audited_and_allows_a_new_check_in(db_session, make_seminar, make_user):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    scan(db_session, seminar, registration.ticket_code)
    assert services.undo(db_session, seminar.id, registration.id, by=make_user(), desk="受付A")
    db_session.commit()
    assert check_ins(db_session) == 0
    assert (
        db_session.scalar(
            select(AuditEvent).where(AuditEvent.action == "attendance.check_in_undone")
        )
        is not None
    )
    assert scan(db_session, seminar, registration.ticket_code).outcome == (
        services.Outcome.CHECKED_IN
    )


def test_walk_in_is_checked_in_past_capacity(db_session, make_seminar, make_user):
    from seminar_app.registration.details import parse_details

    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    details, _ = parse_details(details_data())
    registration, over = services.walk_in(
        db_session,
        seminar.id,
        details,
        by=make_user(),
        desk="受付A",
        now=utcnow(),
        privacy_notice_version="2026-04",
    )
    db_session.commit()
    assert registration.status == "confirmed" and registration.source == "desk"
    assert over is True
    assert services.counts(db_session, seminar.id) == (1, 2)


# --- the desk pages ---------------------------------------------------------------------


def test_reception_uses_the_desk_and_nothing_else(client, make_user, make_seminar, db_session):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    login(client, make_user(Role.RECEPTION))
    page = client.get(f"/desk/{seminar.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "0 / 1" in text_of(page)
    for url in ("/console/", f"/console/seminars/{seminar.id}/registrations", "/console/staff/"):
        assert client.get(url).status_code == 403
    response = post_form(
        client,
        f"/desk/{seminar.id}/scan",
        {"code": registration.ticket_code},
        page=f"/desk/{seminar.id}",
    )
    assert response.status_code == 303
    html = text_of(client.get(f"/desk/{seminar.id}", headers={"Accept-Language": "en"}))
    assert "Checked in" in html and registration.name in html and "1 / 1" in html
    again = post_form(
        client,
        f"/desk/{seminar.id}/scan",
        {"code": registration.ticket_code},
        page=f"/desk/{seminar.id}",
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    assert "Already checked in" in again.get_data(as_text=True)


def test_lecturer_and_anonymous_cannot_use_the_desk(client, make_user, make_seminar):
    seminar = make_seminar()
    assert client.get(f"/desk/{seminar.id}").status_code == 302
    login(client, make_user(Role.LECTURER))
    assert client.get(f"/desk/{seminar.id}").status_code == 403


def test_search_and_one_tap_check_in(client, make_user, make_seminar, db_session):
    seminar = make_seminar()
    registration = register(db_session, seminar, name="検索 花子", name_kana="けんさく はなこ")
    login(client, make_user(Role.RECEPTION))
    html = client.get(f"/desk/{seminar.id}?q=けんさく").get_data(as_text=True)
    assert "検索 花子" in html
    post_form(
        client,
        f"/desk/{seminar.id}/registrations/{registration.id}/check-in",
        {},
        page=f"/desk/{seminar.id}",
    )
    assert check_ins(db_session) == 1


def test_photo_of_the_ticket_is_read_by_the_server(client, make_user, make_seminar, db_session):
    import io

    seminar = make_seminar()
    registration = register(db_session, seminar)
    login(client, make_user(Role.RECEPTION))
    from tests.conftest import csrf_token

    token = csrf_token(client, f"/desk/{seminar.id}")
    response = client.post(
        f"/desk/{seminar.id}/photo",
        data={
            "csrf_token": token,
            "photo": (io.BytesIO(qr_png(registration.ticket_code)), "p.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert check_ins(db_session) == 1
    junk = client.post(
        f"/desk/{seminar.id}/photo",
        data={"csrf_token": token, "photo": (io.BytesIO(b"not a photo"), "p.jpg")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert junk.status_code == 400
    assert "could not be read as a photo" in junk.get_data(as_text=True)
    from PIL import Image

    white = io.BytesIO()
    Image.new("L", (200, 200), 255).save(white, format="PNG")
    blank = client.post(
        f"/desk/{seminar.id}/photo",
        data={"csrf_token": token, "photo": (io.BytesIO(white.getvalue()), "p.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    assert "No QR code could be read" in blank.get_data(as_text=True)
    assert check_ins(db_session) == 1


def test_walk_in_page(client, make_user, make_seminar, db_session):
    seminar = make_seminar(capacity=0)
    login(client, make_user(Role.RECEPTION))
    data = {key: value for key, value in details_data().items() if value is not None}
    response = post_form(
        client,
        f"/desk/{seminar.id}/walk-in",
        data,
        follow_redirects=True,
        headers={"Accept-Language": "en"},
    )
    html = response.get_data(as_text=True)
    assert "is registered and checked in" in html and "over its capacity" in html
    assert check_ins(db_session) == 1


# --- the API ------------------------------------------------------------------------------


def test_api_check_in_is_safe_to_retry(client, desk_token, make_seminar, db_session):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    body = {"seminar_id": seminar.id, "code": registration.ticket_code}
    first = client.post("/api/v1/checkins", json=body, headers=desk_token)
    second = client.post("/api/v1/checkins", json=body, headers=desk_token)
    assert first.status_code == 201 and first.get_json()["already_checked_in"] is False
    assert second.status_code == 200 and second.get_json()["already_checked_in"] is True
    assert second.get_json()["checked_in_at"] == first.get_json()["checked_in_at"]
    assert datetime.fromisoformat(first.get_json()["checked_in_at"]).utcoffset() is not None
    assert check_ins(db_session) == 1


def test_api_refusals(client, desk_token, make_seminar, db_session):
    seminar, other = make_seminar(capacity=1), make_seminar()
    register(db_session, seminar)
    waiting = register(db_session, seminar)
    elsewhere = register(db_session, other)

    def post(body):
        return client.post("/api/v1/checkins", json=body, headers=desk_token)

    assert post({"seminar_id": seminar.id, "code": "TKT-" + "z" * 24}).status_code == 404
    assert post({"seminar_id": 999999, "code": waiting.ticket_code}).status_code == 404
    assert post({"seminar_id": seminar.id, "code": waiting.ticket_code}).get_json()["code"] == (
        "waitlisted"
    )
    assert post({"seminar_id": seminar.id, "code": elsewhere.ticket_code}).status_code == 409
    assert post({"seminar_id": "1", "code": 5}).status_code == 422
    assert post({"seminar_id": seminar.id, "code": "x" * 500}).status_code == 422
    assert client.post("/api/v1/checkins", json={}).status_code == 401
    assert check_ins(db_session) == 0
