"""A participant's own pages list what their registration may open from the features above
registration: materials and recordings (asked for by the templates, see materials.views and
elearning.views), both on the management page and on the page of all their registrations."""

from __future__ import annotations

from datetime import timedelta

from seminar_app.elearning.models import Recording
from seminar_app.materials import services as materials
from seminar_app.materials.validation import CheckedUpload
from seminar_app.registration.overview import overview_token
from seminar_app.timeutil import utcnow
from tests.registration_helpers import register

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def add_material(db_session, seminar, audience: str):
    upload = CheckedUpload(filename="slides.pdf", content_type="application/pdf", data=PDF)
    return materials.add_material(
        db_session, seminar, f"資料 {audience}", audience, None, upload, by=None
    )


def add_recording(db_session, seminar, audience: str) -> Recording:
    recording = Recording(
        seminar_id=seminar.id,
        title=f"録画 {audience}",
        audience=audience,
        url=f"https://eplat.example.jp/v/{seminar.id}",
        published_at=utcnow() - timedelta(days=1),
    )
    db_session.add(recording)
    return recording


def test_both_pages_list_the_materials_and_recordings_the_registration_may_open(
    app, client, db_session, make_seminar
):
    seminar = make_seminar()
    registration = register(db_session, seminar)
    token = registration.manage_token
    shared = add_material(db_session, seminar, "registrants")
    for_attendees = add_material(db_session, seminar, "attendees")
    recording = add_recording(db_session, seminar, "registrants")
    db_session.commit()
    with app.test_request_context():
        overview = f"/me/{overview_token(registration.email_key)}"

    for page in (client.get(f"/r/{token}"), client.get(overview)):
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert f"/r/{token}/materials/{shared.id}" in html and shared.title in html
        assert f"/r/{token}/recordings/{recording.id}" in html and recording.title in html
        # Not checked in: the attendees' material is not offered.
        assert for_attendees.title not in html


def test_a_registration_with_nothing_to_open_shows_no_such_sections(
    client, db_session, make_seminar
):
    registration = register(db_session, make_seminar())
    db_session.commit()
    html = client.get(f"/r/{registration.manage_token}", headers={"Accept-Language": "en"})
    assert "<h2>Materials</h2>" not in html.get_data(as_text=True)
    assert "<h2>Recordings</h2>" not in html.get_data(as_text=True)
