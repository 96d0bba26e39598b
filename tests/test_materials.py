"""Lecturers' materials: uploads, versions, audiences, downloads and refusals."""

import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from seminar_app.attendance import services as attendance
from seminar_app.domain import CheckInMethod, Role
from seminar_app.materials.models import Material, MaterialVersion
from seminar_app.timeutil import utcnow
from tests.conftest import csrf_token, login
from tests.registration_helpers import register

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NAME = "第1回_営業秘密の基礎.pdf"


@pytest.fixture
def lecturer_setup(client, make_user, make_seminar, app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    lecturer = make_user(Role.LECTURER)
    seminar = make_seminar(lecturers=[lecturer])
    login(client, lecturer)
    return lecturer, seminar


def upload(
    client,
    seminar,
    *,
    name=NAME,
    data=PDF,
    audience="registrants",
    title="配布資料",
    visible_from="",
):
    page = f"/lecturer/seminars/{seminar.id}"
    return client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "title": title,
            "audience": audience,
            "visible_from": visible_from,
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )


def stored_files(app):
    return [p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()]


def test_lecturer_uploads_and_the_japanese_name_survives(client, lecturer_setup, db_session):
    _, seminar = lecturer_setup
    assert upload(client, seminar).status_code == 303
    material = db_session.scalar(select(Material))
    response = client.get(f"/lecturer/materials/{material.id}/download")
    assert response.data == PDF and response.mimetype == "application/pdf"
    assert f"filename*=UTF-8''{quote(NAME)}" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_lecturer_sees_counts_not_names(client, lecturer_setup, db_session):
    _, seminar = lecturer_setup
    register(db_session, seminar, name="個人 情報子")
    html = client.get(f"/lecturer/seminars/{seminar.id}").get_data(as_text=True)
    assert "個人 情報子" not in html
    assert client.get(f"/console/seminars/{seminar.id}/registrations").status_code == 403


def test_other_lecturers_seminar_is_off_limits(client, make_user, make_seminar):
    seminar = make_seminar(lecturers=[make_user(Role.LECTURER)])
    login(client, make_user(Role.LECTURER))
    assert client.get(f"/lecturer/seminars/{seminar.id}").status_code == 403


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("資料.pdf", b"", "The file is empty."),
        ("資料.pdf", b"\x89PNG\r\n\x1a\nnot a pdf", "does not match its extension"),
        ("../secret.pdf", PDF, "must not contain folders"),
        ("資料\x07.pdf", PDF, "control characters"),
        ("tool.exe", b"MZ", "Upload PDF, PowerPoint"),
    ],
)
def test_bad_uploads_leave_nothing_behind(
    client, lecturer_setup, db_session, app, name, data, message
):
    _, seminar = lecturer_setup
    response = upload(client, seminar, name=name, data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Material)) == 0
    assert stored_files(app) == []


def test_too_large_upload_gets_a_friendly_page_in_japanese(client, lecturer_setup, app):
    _, seminar = lecturer_setup
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        page = f"/lecturer/seminars/{seminar.id}"
        token = csrf_token(client, page)
        response = client.post(
            page,
            data={
                "csrf_token": token,
                "title": "大きい",
                "audience": "everyone",
                "file": (io.BytesIO(PDF * 200), "big.pdf"),
            },
            content_type="multipart/form-data",
            headers={"Accept-Language": "ja"},
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 50 * 1024 * 1024
    assert response.status_code == 413
    assert '<html lang="ja">' in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_replacing_keeps_earlier_versions_and_delete_asks_first(client, lecturer_setup, db_session):
    _, seminar = lecturer_setup
    upload(client, seminar)
    material = db_session.scalar(select(Material))
    page = f"/lecturer/seminars/{seminar.id}"
    client.post(
        f"/lecturer/materials/{material.id}/replace",
        data={
            "csrf_token": csrf_token(client, page),
            "file": (io.BytesIO(PDF + b"%v2"), "改訂版.pdf"),
        },
        content_type="multipart/form-data",
    )
    numbers = db_session.scalars(
        select(MaterialVersion.number).order_by(MaterialVersion.number)
    ).all()
    assert numbers == [1, 2]
    assert client.get(f"/lecturer/materials/{material.id}/download").data == PDF + b"%v2"
    confirm = client.get(f"/lecturer/materials/{material.id}/delete")
    assert confirm.status_code == 200 and material.deleted_at is None
    client.post(
        f"/lecturer/materials/{material.id}/delete", data={"csrf_token": csrf_token(client, page)}
    )
    assert material.deleted_at is not None


def test_audiences_decide_who_downloads(client, lecturer_setup, db_session, make_seminar):
    _, seminar = lecturer_setup
    for audience in ("everyone", "registrants", "attendees"):
        upload(client, seminar, audience=audience, title=audience)
    by_title = {m.title: m for m in db_session.scalars(select(Material))}
    came, absent = register(db_session, seminar), register(db_session, seminar)
    stranger = register(db_session, make_seminar())
    attendance.admit(
        db_session, came, seminar.id, by=None, method=CheckInMethod.SCAN, desk="A", now=utcnow()
    )
    db_session.commit()

    def status(registration, title):
        url = f"/r/{registration.manage_token}/materials/{by_title[title].id}"
        return client.get(url).status_code

    assert [status(came, t) for t in ("everyone", "registrants", "attendees")] == [200] * 3
    assert [status(absent, t) for t in ("registrants", "attendees")] == [200, 403]
    # A management link of another seminar opens nothing of this one, for any audience.
    assert [status(stranger, t) for t in ("everyone", "registrants")] == [404, 404]
    public = f"/seminars/{seminar.slug}/materials/"
    assert client.get(public + str(by_title["everyone"].id)).status_code == 200
    assert client.get(public + str(by_title["registrants"].id)).status_code == 404


def test_material_hidden_until_its_time(client, lecturer_setup, db_session):
    _, seminar = lecturer_setup
    later = (utcnow() + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    upload(client, seminar, audience="everyone", visible_from=later)
    material = db_session.scalar(select(Material))
    assert client.get(f"/seminars/{seminar.slug}/materials/{material.id}").status_code == 404


def selected_audience(html: str) -> str:
    import lxml.html

    [select] = lxml.html.fromstring(html).xpath("//select[@name='audience']")
    return select.value


def test_new_materials_and_recordings_default_to_registrants(
    app, client, lecturer_setup, make_user
):
    _lecturer, seminar = lecturer_setup
    page = client.get(f"/lecturer/seminars/{seminar.id}").get_data(as_text=True)
    assert selected_audience(page) == "registrants"
    organizer = app.test_client()
    login(organizer, make_user(Role.ORGANIZER))
    page = organizer.get(f"/console/seminars/{seminar.id}/recordings").get_data(as_text=True)
    assert selected_audience(page) == "registrants"
