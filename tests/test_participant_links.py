"""What a participant's link reaches (issue 14, findings 1 and 4).

A management link shows and changes its one registration. The address's other
registrations and its calendar feed come only through a link mailed to the address.
A material or recording opens only for a visitor who may see its seminar, and then
only for its audience.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select

from seminar_app.attendance import services as attendance
from seminar_app.domain import CheckInMethod, HostType, SeminarStatus
from seminar_app.elearning.models import Recording, RecordingView
from seminar_app.elearning.services import recording_access
from seminar_app.materials import services as materials
from seminar_app.materials.services import Access
from seminar_app.materials.validation import CheckedUpload
from seminar_app.notifications.services import deliver_due
from seminar_app.registration.models import CalendarFeed, Registration
from seminar_app.timeutil import utcnow
from tests.conftest import post_form
from tests.registration_helpers import details_data, register

VICTIM = "victim@example.jp"
#: What the victim wrote on their own registration: none of it may reach the attacker.
VICTIM_DETAILS = {
    "email": VICTIM,
    "name": "被害 花子",
    "organization": "秘匿製作所株式会社",
    "question": "退職者による顧客名簿の持ち出しについて相談したい",
}
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: An overview link (/me/<token>) or a private feed (/calendar/<token>.ics); /me alone is fine.
OVERVIEW_LINK = re.compile(r"/me/[A-Za-z0-9_.-]+")
FEED_LINK = re.compile(r"/calendar/(?!seminars\.ics)[A-Za-z0-9_-]+\.ics")
LINK = re.compile(r'(?:href|src|action)="([^"]+)"')


def victim_secrets(registration: Registration, feed_token: str) -> list[str]:
    return [
        registration.manage_token,
        registration.join_token,
        registration.ticket_code,
        feed_token,
        VICTIM_DETAILS["name"],
        VICTIM_DETAILS["organization"],
        VICTIM_DETAILS["question"],
    ]


def feed_token_of(db_session, email_key: str) -> str:
    return db_session.scalar(select(CalendarFeed.token).where(CalendarFeed.email_key == email_key))


def crawl(client, start: str, *, limit: int = 80) -> dict[str, str]:
    """Every page of this site reachable from `start` by GET links, as a visitor would."""
    seen: dict[str, str] = {}
    queue = deque([start])
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        response = client.get(path)
        body = response.get_data(as_text=True) if response.mimetype.startswith("text") else ""
        seen[path] = body
        targets = LINK.findall(body)
        if response.status_code in (301, 302, 303) and "Location" in response.headers:
            targets.append(response.headers["Location"])
        for target in targets:
            parts = urlsplit(urljoin("http://seminars.test" + path, target))
            if parts.netloc != "seminars.test" or parts.path.startswith("/static/"):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


# ------------------------------------------------------------------ finding 1


def test_the_attack_of_the_issue_reaches_no_other_registration(client, db_session, make_seminar):
    """Register via the API with the victim's address, open manage_url, follow every link."""
    theirs = register(db_session, make_seminar(), **VICTIM_DETAILS)
    secrets = victim_secrets(theirs, feed_token_of(db_session, VICTIM))
    target = make_seminar()
    body = {**details_data(email=VICTIM), "privacy_notice_agreed": True}
    answer = client.post(f"/api/v1/seminars/{target.id}/registrations", json=body)
    assert answer.status_code == 201
    assert not any(secret in answer.get_data(as_text=True) for secret in secrets)
    manage_path = urlsplit(answer.get_json()["manage_url"]).path
    own_token = manage_path.rsplit("/", 1)[1]

    page = client.get(manage_path).get_data(as_text=True)
    assert OVERVIEW_LINK.search(page) is None, "the management page links to all registrations"
    assert FEED_LINK.search(page) is None, "the management page shows the address's feed"
    assert 'href="/me"' in page  # where the owner of the address asks for the link by mail

    for path, html in crawl(client, manage_path).items():
        leaked = [secret for secret in secrets if secret in html or secret in path]
        assert not leaked, f"{path} shows the victim's other registration: {leaked}"
        assert not OVERVIEW_LINK.search(html) and not FEED_LINK.search(html), path
        assert set(re.findall(r"/r/([A-Za-z0-9_-]{20,})", html)) <= {own_token}, path

    # The one thing the attacker can cancel is the registration they made themselves.
    post_form(client, f"{manage_path}/cancel", {})
    db_session.expire_all()
    made = db_session.scalar(select(Registration).where(Registration.manage_token == own_token))
    assert made.status == "cancelled"
    assert db_session.get(Registration, theirs.id).status == "confirmed"


def test_the_page_after_registering_by_form_shows_that_registration_only(
    client, db_session, make_seminar
):
    theirs = register(db_session, make_seminar(), **VICTIM_DETAILS)
    secrets = victim_secrets(theirs, feed_token_of(db_session, VICTIM))
    seminar = make_seminar()
    data = {**details_data(email=VICTIM), "privacy_notice_agreed": "y", "register": "1"}
    response = post_form(client, f"/seminars/{seminar.slug}/register", data)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert not [secret for secret in secrets if secret in page]
    assert OVERVIEW_LINK.search(page) is None and FEED_LINK.search(page) is None


def test_registering_again_with_the_address_reveals_nothing_of_its_registration(
    client, db_session, make_seminar
):
    seminar = make_seminar()
    theirs = register(db_session, seminar, **VICTIM_DETAILS)
    secrets = [*victim_secrets(theirs, feed_token_of(db_session, VICTIM)), f'"id": {theirs.id}']
    body = {**details_data(email=VICTIM.upper()), "privacy_notice_agreed": True}
    api = client.post(f"/api/v1/seminars/{seminar.id}/registrations", json=body)
    assert api.status_code == 409
    assert set(api.get_json()) == {"error", "status", "code"}
    data = {**details_data(email=VICTIM), "privacy_notice_agreed": "y", "register": "1"}
    form = post_form(client, f"/seminars/{seminar.slug}/register", data)
    assert form.status_code == 409
    for text in (api.get_data(as_text=True), form.get_data(as_text=True)):
        assert not [secret for secret in secrets if secret in text]
        assert "/r/" not in text and OVERVIEW_LINK.search(text) is None
    assert db_session.scalar(select(func.count()).select_from(Registration)) == 1


def test_all_registrations_and_the_feed_come_through_the_mail_only(
    client, db_session, smtp_app, mail_server, make_seminar
):
    first = register(db_session, make_seminar(), email=VICTIM)
    second = register(db_session, make_seminar(), email=VICTIM)
    feed = feed_token_of(db_session, VICTIM)
    asked = post_form(client, "/me", {"email": VICTIM}, follow_redirects=True)
    assert OVERVIEW_LINK.search(asked.get_data(as_text=True)) is None
    assert feed not in asked.get_data(as_text=True)
    deliver_due(db_session)
    mails = mail_server.wait_for(3)  # two confirmations and the overview
    [mail] = [m for m in mails if "/me/" in m.get_body(("plain",)).get_content()]
    assert mail["To"] == VICTIM
    link = OVERVIEW_LINK.search(mail.get_body(("plain",)).get_content()).group(0)
    page = client.get(link).get_data(as_text=True)
    assert first.manage_token in page and second.manage_token in page
    assert f"/calendar/{feed}.ics" in page
    calendar = client.get(f"/calendar/{feed}.ics").get_data(as_text=True)
    assert calendar.count("BEGIN:VEVENT") == 2


# ------------------------------------------------------------------ finding 4


def add_material(db_session, seminar, audience="everyone", **overrides):
    upload = CheckedUpload(filename="資料.pdf", content_type="application/pdf", data=PDF)
    material = materials.add_material(
        db_session, seminar, f"資料 {audience}", audience, None, upload, by=None
    )
    for name, value in overrides.items():
        setattr(material, name, value)
    db_session.commit()
    return material


def add_recording(db_session, seminar, audience="everyone", **overrides):
    recording = Recording(
        seminar_id=seminar.id,
        title=f"録画 {audience}",
        audience=audience,
        url=f"https://eplat.example.jp/v/{seminar.id}",
        published_at=utcnow() - timedelta(days=1),
        **overrides,
    )
    db_session.add(recording)
    db_session.commit()
    return recording


def in_company(make_seminar):
    return make_seminar(host_type=HostType.IN_COMPANY, host_organization="株式会社社内研修")


def test_a_management_link_opens_no_material_of_a_draft_seminar(client, db_session, make_seminar):
    draft = make_seminar(status=SeminarStatus.DRAFT)
    material = add_material(db_session, draft, "everyone")
    other = register(db_session, make_seminar())
    assert client.get(f"/r/{other.manage_token}/materials/{material.id}").status_code == 404
    assert client.get(f"/seminars/{draft.slug}/materials/{material.id}").status_code == 404


def test_a_recording_of_an_in_company_seminar_stays_closed(client, db_session, make_seminar):
    private = in_company(make_seminar)
    recording = add_recording(db_session, private, "everyone")
    other = register(db_session, make_seminar())
    assert client.get(f"/r/{other.manage_token}/recordings/{recording.id}").status_code == 404
    assert client.get(f"/seminars/{private.slug}/recordings/{recording.id}").status_code == 404
    assert db_session.scalar(select(func.count()).select_from(RecordingView)) == 0


def test_a_management_link_of_one_seminar_opens_nothing_of_another(
    client, db_session, make_seminar
):
    mine, public = make_seminar(), make_seminar()
    material, recording = add_material(db_session, public), add_recording(db_session, public)
    link = register(db_session, mine).manage_token
    assert client.get(f"/r/{link}/materials/{material.id}").status_code == 404
    assert client.get(f"/r/{link}/recordings/{recording.id}").status_code == 404
    # The same items are public through the seminar's public addresses.
    assert client.get(f"/seminars/{public.slug}/materials/{material.id}").data == PDF
    opened = client.get(f"/seminars/{public.slug}/recordings/{recording.id}")
    assert opened.status_code == 302 and opened.headers["Location"] == recording.url


def test_the_own_registration_opens_its_seminar_and_the_audience_still_decides(
    client, db_session, make_seminar
):
    seminar = make_seminar(starts_at=utcnow() - timedelta(hours=3))
    earlier = utcnow() - timedelta(days=2)
    came, absent = (register(db_session, seminar, now=earlier) for _ in range(2))
    attendance.admit(
        db_session, came, seminar.id, by=None, method=CheckInMethod.SCAN, desk="A", now=utcnow()
    )
    db_session.commit()
    everyone, registrants, attendees = (
        add_material(db_session, seminar, audience)
        for audience in ("everyone", "registrants", "attendees")
    )
    missed = add_recording(db_session, seminar, "absentees")

    def status(registration, path):
        return client.get(f"/r/{registration.manage_token}/{path}").status_code

    came_gets = [status(came, f"materials/{m.id}") for m in (everyone, registrants, attendees)]
    assert came_gets == [200] * 3
    assert status(absent, f"materials/{attendees.id}") == 403
    assert status(absent, f"recordings/{missed.id}") == 302
    assert status(came, f"recordings/{missed.id}") == 403
    # A seminar taken back to draft still opens to its own registrations, and to them only.
    seminar.status = SeminarStatus.DRAFT
    db_session.commit()
    assert status(came, f"materials/{everyone.id}") == 200
    assert client.get(f"/seminars/{seminar.slug}/materials/{everyone.id}").status_code == 404


def visitor_of(db_session, make_seminar, seminar, visitor):
    if visitor == "nobody":
        return None
    if visitor == "other":
        return register(db_session, make_seminar())
    # Registered while the seminar was published; it changed afterwards.
    status, seminar.status = seminar.status, SeminarStatus.PUBLISHED
    registration = register(db_session, seminar)
    seminar.status = status
    db_session.commit()
    return registration


@pytest.mark.parametrize(
    ("kind", "visitor", "expected"),
    [
        ("public", "nobody", Access.OPEN),
        ("public", "own", Access.OPEN),
        ("public", "other", Access.HIDDEN),
        ("cancelled", "nobody", Access.OPEN),
        ("draft", "nobody", Access.HIDDEN),
        ("draft", "own", Access.OPEN),
        ("draft", "other", Access.HIDDEN),
        ("in-company", "nobody", Access.HIDDEN),
        ("in-company", "other", Access.HIDDEN),
    ],
)
def test_the_seminar_is_asked_before_the_audience(
    db_session, make_seminar, kind, visitor, expected
):
    """The one rule, for both kinds of item: an item for everyone, of each kind of seminar."""
    seminar = {
        "public": lambda: make_seminar(),
        "cancelled": lambda: make_seminar(status=SeminarStatus.CANCELLED),
        "draft": lambda: make_seminar(status=SeminarStatus.DRAFT),
        "in-company": lambda: in_company(make_seminar),
    }[kind]()
    material, recording = add_material(db_session, seminar), add_recording(db_session, seminar)
    registration = visitor_of(db_session, make_seminar, seminar, visitor)
    now = utcnow()
    assert materials.material_access(db_session, material, registration, now) is expected
    assert recording_access(db_session, recording, registration, now) is expected
