"""Calendar invites in registration mails, and the calendar feeds (issue 3, items 6 and 7).

Mails go through the outbox to a real SMTP server; every calendar that comes back
is parsed with the strict `ical` package, independent of the `icalendar` package
that builds them.
"""

from __future__ import annotations

import email
import email.policy
import threading
import time as clock
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

import psycopg
import pytest
from flask_migrate import upgrade
from ical.calendar import Calendar
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy import select

from seminar_app.catalogue import lifecycle
from seminar_app.catalogue.models import Seminar
from seminar_app.catalogue.rules import SeminarFields
from seminar_app.domain import Delivery, Level, RegistrationStatus, SeminarStatus, Series
from seminar_app.extensions import db
from seminar_app.notifications.services import deliver_due
from seminar_app.registration import services
from seminar_app.registration.details import parse_details
from seminar_app.registration.models import CalendarFeed, Registration
from seminar_app.timeutil import JST, utcnow
from tests.conftest import PG_HOST, PG_PORT, PG_USER, fresh_database_url, make_app
from tests.waiting import patience, wait_until

LONG_TITLE = (
    "営業秘密・知財戦略セミナー（初級）〜中小企業のための情報管理、契約、"
    "特許出願と秘匿化の使い分け、海外展開で気をつけること、社内規程の作り方まで〜"
)


def details_data(**overrides) -> dict:
    data = {
        "name": "山田 太郎",
        "name_kana": "やまだ たろう",
        "email": "taro@example.jp",
        "prefecture": "13",
        "attribute": "sme",
        "organization": "株式会社テスト",
        "employee_band": "21-50",
    }
    data.update(overrides)
    return data


def register(db_session, seminar, **overrides) -> Registration:
    details, errors = parse_details(details_data(**overrides))
    assert not errors, errors
    registration = services.register(
        db_session, seminar.id, details, now=utcnow(), privacy_notice_version="2026-04"
    )
    db_session.commit()
    return registration


def deliver(db_session, mail_server) -> list[EmailMessage]:
    """Send what the outbox holds; the mails that arrived in this round."""
    before = len(mail_server.raw)
    report = deliver_due(db_session)
    assert report.deferred == 0 and report.failed == 0, report
    mail_server.wait_for(before + report.sent)
    raw = mail_server.raw
    assert len(raw) == before + report.sent
    return [email.message_from_bytes(data, policy=email.policy.default) for _, data in raw[before:]]


def mail_to(mails: list[EmailMessage], address: str) -> EmailMessage:
    [message] = [mail for mail in mails if mail["To"] == address]
    return message


def calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    return [part for part in message.walk() if part.get_content_type() == "text/calendar"]


def calendar_bytes(message: EmailMessage) -> bytes:
    [part] = calendar_parts(message)
    return part.get_payload(decode=True)


def parse_ics(data: bytes | str) -> Calendar:
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return IcsCalendarStream.calendar_from_ics(text)


def invite_of(message: EmailMessage) -> Calendar:
    return parse_ics(calendar_bytes(message))


def html_of(message: EmailMessage) -> str:
    [part] = [part for part in message.walk() if part.get_content_type() == "text/html"]
    return part.get_content()


def text_of(message: EmailMessage) -> str:
    [part] = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    return part.get_content()


def at_utc(hour: int, days: int = 20) -> datetime:
    day = (utcnow() + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def fields_of(seminar, **changes) -> SeminarFields:
    """The seminar's current values as the console form would send them, with changes."""
    values = {name: getattr(seminar, name) for name in lifecycle.EDITABLE}
    values.update(changes)
    return SeminarFields(**values, status=seminar.status)


def confirmation(db_session, mail_server, make_seminar, **seminar_values):
    seminar = make_seminar(**seminar_values)
    registration = register(db_session, seminar)
    message = mail_to(deliver(db_session, mail_server), "taro@example.jp")
    return seminar, registration, message


# --- 1. MIME structure, METHOD, line ends and folding ---------------------------------


def test_confirmation_is_multipart_alternative_with_one_calendar_part(
    db_session, smtp_app, mail_server, make_seminar
):
    _, _, message = confirmation(db_session, mail_server, make_seminar)
    assert message.get_content_type() == "multipart/alternative"
    types = [part.get_content_type() for part in message.iter_parts()]
    # The HTML travels with the QR ticket inside multipart/related.
    assert types == ["text/plain", "multipart/related", "text/calendar"]
    related = list(message.iter_parts())[1]
    assert [p.get_content_type() for p in related.iter_parts()] == ["text/html", "image/png"]
    assert len(calendar_parts(message)) == 1  # none hidden deeper either
    [part] = calendar_parts(message)
    assert part.get_param("method").upper() == "REQUEST"
    assert part.get_content_charset().lower() == "utf-8"


def test_calendar_method_equals_the_mime_method(db_session, smtp_app, mail_server, make_seminar):
    _, _, message = confirmation(db_session, mail_server, make_seminar)
    [part] = calendar_parts(message)
    methods = [
        line.partition(b":")[2]
        for line in calendar_bytes(message).split(b"\r\n")
        if line.startswith(b"METHOD:")
    ]
    assert methods == [part.get_param("method").encode()]
    assert invite_of(message).method == part.get_param("method")


def test_calendar_uses_crlf_only(db_session, smtp_app, mail_server, make_seminar):
    _, _, message = confirmation(db_session, mail_server, make_seminar, title=LONG_TITLE)
    data = calendar_bytes(message)
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")


def test_calendar_lines_are_folded_at_75_octets(db_session, smtp_app, mail_server, make_seminar):
    _, _, message = confirmation(db_session, mail_server, make_seminar, title=LONG_TITLE)
    lines = calendar_bytes(message).split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the long title was folded
    # Folding never cuts a character in two: each line is valid UTF-8 on its own.
    for line in lines:
        line.decode("utf-8")
    assert invite_of(message).events[0].summary == LONG_TITLE


# --- 2. The strict parser's view of the confirmation -------------------------------------


def test_invite_parses_strictly_with_the_times_in_tokyo(
    db_session, smtp_app, mail_server, make_seminar
):
    starts_at = at_utc(5)
    _, _, message = confirmation(
        db_session, mail_server, make_seminar, starts_at=starts_at, ends_at=at_utc(7)
    )
    data = calendar_bytes(message)
    calendar = parse_ics(data)
    [event] = calendar.events
    local_day = starts_at.astimezone(JST).strftime("%Y%m%d")
    assert f"DTSTART;TZID=Asia/Tokyo:{local_day}T140000".encode() in data
    assert f"DTEND;TZID=Asia/Tokyo:{local_day}T160000".encode() in data
    assert (event.dtstart.hour, event.dtstart.minute) == (14, 0)
    assert event.dtstart.utcoffset() == timedelta(hours=9)
    assert event.dtstart == starts_at
    assert event.dtend == at_utc(7)


def test_invite_puts_a_late_utc_start_on_the_next_day_in_tokyo(
    db_session, smtp_app, mail_server, make_seminar
):
    starts_at = at_utc(15)  # 00:00 the next day in Tokyo
    _, _, message = confirmation(
        db_session, mail_server, make_seminar, starts_at=starts_at, ends_at=at_utc(17)
    )
    next_day = (starts_at + timedelta(days=1)).strftime("%Y%m%d")
    assert f"DTSTART;TZID=Asia/Tokyo:{next_day}T000000".encode() in calendar_bytes(message)
    [event] = invite_of(message).events
    assert event.dtstart == starts_at


def test_invite_has_a_vtimezone_for_tokyo(db_session, smtp_app, mail_server, make_seminar):
    _, _, message = confirmation(db_session, mail_server, make_seminar)
    calendar = invite_of(message)
    assert [zone.tz_id for zone in calendar.timezones] == ["Asia/Tokyo"]
    [standard] = calendar.timezones[0].standard
    assert standard.tz_offset_to.offset == timedelta(hours=9)


def test_invite_summary_is_the_japanese_title(db_session, smtp_app, mail_server, make_seminar):
    seminar, _, message = confirmation(db_session, mail_server, make_seminar, title=LONG_TITLE)
    [event] = invite_of(message).events
    assert event.summary == seminar.title == LONG_TITLE


def test_invite_organizer_is_the_calendar_mailbox(db_session, smtp_app, mail_server, make_seminar):
    saved = smtp_app.config["CALENDAR_ORGANIZER"]
    smtp_app.config["CALENDAR_ORGANIZER"] = "calendar-replies@example.org"
    try:
        _, _, message = confirmation(db_session, mail_server, make_seminar)
    finally:
        smtp_app.config["CALENDAR_ORGANIZER"] = saved
    [event] = invite_of(message).events
    assert event.organizer.uri == "mailto:calendar-replies@example.org"


def test_invite_attendee_is_the_registrant_without_rsvp(
    db_session, smtp_app, mail_server, make_seminar
):
    _, _, message = confirmation(db_session, mail_server, make_seminar)
    [event] = invite_of(message).events
    [attendee] = event.attendees
    assert attendee.uri == "mailto:taro@example.jp"
    assert attendee.common_name == "山田 太郎"
    assert attendee.rsvp is False


# --- 3. UID stays, SEQUENCE grows ---------------------------------------------------------


def move_by_an_hour(db_session, seminar) -> list[str]:
    changed = lifecycle.change_seminar(
        db_session,
        seminar.id,
        fields_of(
            seminar,
            starts_at=seminar.starts_at + timedelta(hours=1),
            ends_at=seminar.ends_at + timedelta(hours=1),
        ),
        [],
        utcnow(),
    )
    db_session.commit()
    return changed


def test_change_of_time_sends_request_with_same_uid_and_higher_sequence(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar, _, confirmed = confirmation(
        db_session, mail_server, make_seminar, starts_at=at_utc(5), ends_at=at_utc(7)
    )
    [first] = invite_of(confirmed).events
    assert move_by_an_hour(db_session, seminar) == ["starts_at", "ends_at"]
    update = mail_to(deliver(db_session, mail_server), "taro@example.jp")
    [part] = calendar_parts(update)
    assert part.get_param("method") == "REQUEST"
    calendar = invite_of(update)
    assert calendar.method == "REQUEST"
    [event] = calendar.events
    assert event.uid == first.uid
    assert event.sequence > first.sequence
    assert (event.dtstart.astimezone(JST).hour, event.dtstart.minute) == (15, 0)


def test_cancelled_registration_sends_cancel_with_same_uid_and_higher_sequence(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar, registration, confirmed = confirmation(db_session, mail_server, make_seminar)
    [first] = invite_of(confirmed).events
    move_by_an_hour(db_session, seminar)
    [updated] = invite_of(mail_to(deliver(db_session, mail_server), "taro@example.jp")).events
    services.cancel(db_session, registration.id, utcnow(), by_participant=True)
    db_session.commit()
    cancelled = mail_to(deliver(db_session, mail_server), "taro@example.jp")
    [part] = calendar_parts(cancelled)
    assert part.get_param("method") == "CANCEL"
    calendar = invite_of(cancelled)
    assert calendar.method == "CANCEL"
    [event] = calendar.events
    assert event.status == "CANCELLED"
    assert event.uid == updated.uid == first.uid
    assert first.sequence < updated.sequence < event.sequence


def test_change_of_description_only_sends_no_calendar_update(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar, _, _ = confirmation(db_session, mail_server, make_seminar)
    lifecycle.change_seminar(
        db_session, seminar.id, fields_of(seminar, description="新しい説明"), [], utcnow()
    )
    db_session.commit()
    assert deliver(db_session, mail_server) == []


def test_change_of_venue_sends_an_update_to_every_confirmed_registrant(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar(delivery=Delivery.IN_PERSON, venue="本館 3階 会議室A", meeting_url=None)
    register(db_session, seminar)
    register(db_session, seminar, email="hanako@example.jp", name="佐藤 花子")
    first = {mail["To"]: invite_of(mail).events[0] for mail in deliver(db_session, mail_server)}
    lifecycle.change_seminar(
        db_session, seminar.id, fields_of(seminar, venue="別館 1階 大ホール"), [], utcnow()
    )
    db_session.commit()
    updates = deliver(db_session, mail_server)
    assert sorted(mail["To"] for mail in updates) == ["hanako@example.jp", "taro@example.jp"]
    for mail in updates:
        [event] = invite_of(mail).events
        assert event.location == "別館 1階 大ホール"
        assert event.uid == first[mail["To"]].uid
        assert event.sequence > first[mail["To"]].sequence


# --- 4. The seminar is cancelled -----------------------------------------------------------


def test_seminar_cancellation_sends_cancel_to_the_confirmed_person(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    register(db_session, seminar, email="hanako@example.jp", name="佐藤 花子")
    [first] = invite_of(mail_to(deliver(db_session, mail_server), "taro@example.jp")).events
    lifecycle.cancel(db_session, seminar, "講師の急病のため")
    db_session.commit()
    message = mail_to(deliver(db_session, mail_server), "taro@example.jp")
    [part] = calendar_parts(message)
    assert part.get_param("method") == "CANCEL"
    calendar = invite_of(message)
    assert calendar.method == "CANCEL"
    [event] = calendar.events
    assert event.status == "CANCELLED"
    assert event.uid == first.uid and event.sequence > first.sequence


def test_seminar_cancellation_tells_the_waitlist_without_a_calendar(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    register(db_session, seminar, email="hanako@example.jp", name="佐藤 花子")
    deliver(db_session, mail_server)
    lifecycle.cancel(db_session, seminar, "講師の急病のため")
    db_session.commit()
    message = mail_to(deliver(db_session, mail_server), "hanako@example.jp")
    assert calendar_parts(message) == []
    assert seminar.title in message["Subject"]


# --- 5. Waitlist and promotion --------------------------------------------------------------


def test_waitlisted_mail_has_no_calendar(db_session, smtp_app, mail_server, make_seminar):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    waiting = register(db_session, seminar, email="hanako@example.jp", name="佐藤 花子")
    assert waiting.status == RegistrationStatus.WAITLISTED
    message = mail_to(deliver(db_session, mail_server), "hanako@example.jp")
    assert message.get_content_type() == "multipart/alternative"
    assert calendar_parts(message) == []


def test_promoted_person_gets_a_request(db_session, smtp_app, mail_server, make_seminar):
    seminar = make_seminar(capacity=1)
    first = register(db_session, seminar)
    waiting = register(db_session, seminar, email="hanako@example.jp", name="佐藤 花子")
    deliver(db_session, mail_server)
    services.cancel(db_session, first.id, utcnow(), by_participant=True)
    db_session.commit()
    assert waiting.status == RegistrationStatus.CONFIRMED
    message = mail_to(deliver(db_session, mail_server), "hanako@example.jp")
    [part] = calendar_parts(message)
    assert part.get_param("method") == "REQUEST"
    calendar = invite_of(message)
    assert calendar.method == "REQUEST"
    [event] = calendar.events
    assert event.status == "CONFIRMED"
    [attendee] = event.attendees
    assert attendee.uri == "mailto:hanako@example.jp"
    assert event.uid != f"registration-{first.id}@example.org"
    assert event.uid == f"registration-{waiting.id}@example.org"


def test_raised_capacity_sends_the_promoted_person_a_request(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    waiting = register(db_session, seminar, email="hanako@example.jp", name="佐藤 花子")
    deliver(db_session, mail_server)
    assert lifecycle.change_capacity(db_session, seminar.id, 2, utcnow()) == [waiting]
    db_session.commit()
    [message] = deliver(db_session, mail_server)
    assert message["To"] == "hanako@example.jp"
    calendar = invite_of(message)
    assert calendar.method == "REQUEST"
    assert calendar.events[0].uid == f"registration-{waiting.id}@example.org"


def test_waitlisted_person_who_cancels_gets_no_calendar(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    waiting = register(db_session, seminar, email="hanako@example.jp", name="佐藤 花子")
    deliver(db_session, mail_server)
    services.cancel(db_session, waiting.id, utcnow(), by_participant=True)
    db_session.commit()
    [message] = deliver(db_session, mail_server)
    assert message["To"] == "hanako@example.jp"
    assert calendar_parts(message) == []


# --- 6. Script in a name ---------------------------------------------------------------------

SCRIPT_NAME = "山田<script>alert(1)</script>"


def test_script_in_a_name_is_escaped_in_the_html_part(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar()
    register(db_session, seminar, name=SCRIPT_NAME)
    html = html_of(mail_to(deliver(db_session, mail_server), "taro@example.jp"))
    assert "<script" not in html.lower()
    assert "山田&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_script_in_a_name_is_plain_text_in_the_attendee(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar()
    register(db_session, seminar, name=SCRIPT_NAME)
    message = mail_to(deliver(db_session, mail_server), "taro@example.jp")
    [event] = invite_of(message).events
    [attendee] = event.attendees
    assert attendee.common_name == SCRIPT_NAME
    assert attendee.uri == "mailto:taro@example.jp"


def test_name_with_separators_keeps_the_attendee_parameters_intact(
    db_session, smtp_app, mail_server, make_seminar
):
    name = "Yamada, Taro; Jr.: <b>"
    seminar = make_seminar()
    register(db_session, seminar, name=name)
    [event] = invite_of(mail_to(deliver(db_session, mail_server), "taro@example.jp")).events
    [attendee] = event.attendees
    assert attendee.common_name == name
    assert attendee.rsvp is False
    assert attendee.uri == "mailto:taro@example.jp"


# --- 7. Language of the mail ------------------------------------------------------------------


def test_registration_in_english_gets_an_english_mail(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar()
    register(db_session, seminar, locale="en")
    message = mail_to(deliver(db_session, mail_server), "taro@example.jp")
    assert message["Subject"] == f"[Registration confirmed] {seminar.title_en}"
    text = text_of(message)
    assert "Thank you for registering. Your seat is confirmed." in text
    assert "Dear 山田 太郎," in text
    assert "Thank you for registering" in html_of(message)
    [event] = invite_of(message).events
    assert event.summary == seminar.title_en


def test_registration_by_default_gets_a_japanese_mail(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar()
    register(db_session, seminar)
    message = mail_to(deliver(db_session, mail_server), "taro@example.jp")
    subject = message["Subject"]
    assert seminar.title in subject
    assert subject != f"[Registration confirmed] {seminar.title}"
    # What the subject says besides the title is Japanese too.
    assert not subject.replace(seminar.title, "").isascii()
    text = text_of(message)
    assert "Dear" not in text
    assert "Thank you for registering" not in text
    [event] = invite_of(message).events
    assert event.summary == seminar.title


# --- 8. Feeds ------------------------------------------------------------------------------------


def test_public_feed_asks_clients_to_refresh(client, make_seminar):
    make_seminar()
    response = client.get("/calendar/seminars.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data()
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT" in body
    assert b"\r\nX-PUBLISHED-TTL:PT" in body
    calendar = parse_ics(body)
    assert calendar.refresh_interval is not None and calendar.refresh_interval > timedelta(0)
    assert calendar.method is None


def test_public_feed_answers_304_to_its_etag(client, make_seminar):
    make_seminar()
    response = client.get("/calendar/seminars.ics")
    etag = response.headers.get("ETag")
    assert etag
    again = client.get("/calendar/seminars.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_public_feed_holds_no_personal_data_nor_meeting_url(client, db_session, make_seminar):
    seminar = make_seminar(meeting_url="https://meet.example.org/j/secret-room-981")
    register(db_session, seminar, name="機密 花子", email="kimitsu.hanako@example.jp")
    response = client.get("/calendar/seminars.ics")
    text = response.get_data(as_text=True)
    calendar = parse_ics(text)
    assert seminar.title in [event.summary for event in calendar.events]
    unfolded = text.replace("\r\n ", "")
    for secret in ("機密 花子", "kimitsu.hanako", "example.jp", "secret-room-981"):
        assert secret not in unfolded
    assert "ATTENDEE" not in unfolded and "ORGANIZER" not in unfolded


def test_public_feed_filters_by_level(client, make_seminar):
    workshop = make_seminar(level=Level.WORKSHOP, title="演習ワークショップ")
    beginner = make_seminar(level=Level.BEGINNER, title="初級セミナー")
    response = client.get("/calendar/seminars.ics?level=workshop")
    assert response.status_code == 200
    summaries = [event.summary for event in parse_ics(response.get_data()).events]
    assert workshop.title in summaries
    assert beginner.title not in summaries


@pytest.mark.parametrize("query", ["level=bogus", "series=bogus"])
def test_public_feed_refuses_an_unknown_filter_value(client, query):
    assert client.get(f"/calendar/seminars.ics?{query}").status_code == 400


def private_feed_url(db_session, email_key: str) -> str:
    token = db_session.scalar(select(CalendarFeed.token).where(CalendarFeed.email_key == email_key))
    return f"/calendar/{token}.ics"


def test_private_feed_lists_the_persons_registrations(client, db_session, make_seminar):
    first, second, other = make_seminar(), make_seminar(), make_seminar()
    mine = [register(db_session, first), register(db_session, second)]
    register(db_session, other, email="someone.else@example.jp", name="他人 次郎")
    response = client.get(private_feed_url(db_session, "taro@example.jp"))
    assert response.status_code == 200
    assert "public" not in response.headers["Cache-Control"]
    events = parse_ics(response.get_data()).events
    assert sorted(event.uid for event in events) == sorted(
        f"registration-{registration.id}@example.org" for registration in mine
    )
    assert {event.summary for event in events} == {first.title, second.title}


def test_private_feed_with_a_wrong_token_is_404(client, db_session, make_seminar):
    register(db_session, make_seminar())
    assert client.get("/calendar/not-a-real-token-0000000000000000.ics").status_code == 404


def test_registration_ics_download_parses_and_matches_the_invite(
    client, db_session, smtp_app, mail_server, make_seminar
):
    seminar, registration, message = confirmation(db_session, mail_server, make_seminar)
    [invited] = invite_of(message).events
    response = client.get(f"/r/{registration.manage_token}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    [event] = parse_ics(response.get_data()).events
    assert event.uid == invited.uid
    assert event.sequence == invited.sequence
    assert event.summary == seminar.title
    assert event.dtstart == seminar.starts_at
    assert client.get("/r/wrong-token/calendar.ics").status_code == 404


def test_public_feed_lines_use_crlf_and_fold_at_75_octets(client, make_seminar):
    make_seminar(title=LONG_TITLE)
    body = client.get("/calendar/seminars.ics").get_data()
    assert b"\n" not in body.replace(b"\r\n", b"")
    assert max(len(line) for line in body.split(b"\r\n")) <= 75


def test_public_feed_gets_a_new_etag_when_the_catalogue_changes(client, make_seminar):
    make_seminar()
    etag = client.get("/calendar/seminars.ics").headers["ETag"]
    make_seminar(title="新しく公開されたセミナー")
    response = client.get("/calendar/seminars.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    summaries = [event.summary for event in parse_ics(response.get_data()).events]
    assert "新しく公開されたセミナー" in summaries


def test_public_feed_marks_a_cancelled_seminar_cancelled(client, db_session, make_seminar):
    seminar = make_seminar()
    uid = f"seminar-{seminar.id}@example.org"
    [before] = [
        event
        for event in parse_ics(client.get("/calendar/seminars.ics").get_data()).events
        if event.uid == uid
    ]
    lifecycle.cancel(db_session, seminar, "講師の急病のため")
    db_session.commit()
    [after] = [
        event
        for event in parse_ics(client.get("/calendar/seminars.ics").get_data()).events
        if event.uid == uid
    ]
    assert after.status == "CANCELLED"
    assert after.sequence > before.sequence


def test_private_feed_answers_304_to_its_etag(client, db_session, make_seminar):
    register(db_session, make_seminar())
    url = private_feed_url(db_session, "taro@example.jp")
    etag = client.get(url).headers.get("ETag")
    assert etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_private_feed_keeps_a_cancelled_registration_as_cancelled(client, db_session, make_seminar):
    registration = register(db_session, make_seminar())
    services.cancel(db_session, registration.id, utcnow(), by_participant=True)
    db_session.commit()
    [event] = parse_ics(
        client.get(private_feed_url(db_session, "taro@example.jp")).get_data()
    ).events
    assert event.uid == f"registration-{registration.id}@example.org"
    assert event.status == "CANCELLED"


@pytest.mark.parametrize("name", ["山田\r\nATTENDEE:mailto:evil@example.com", "山田\n太郎"])
def test_line_break_in_a_name_is_refused_before_it_reaches_a_calendar(db_session, name):
    details, errors = parse_details(details_data(name=name))
    assert details is None
    assert "name" in errors


# --- The private feed when one person registers for two seminars at the same moment ------------


def _waiting_on_a_lock(backend: str, url: str) -> bool:
    if backend != "postgresql":
        return True  # SQLite: BEGIN IMMEDIATE makes the second writer wait for the first
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database) as conn:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]
    return waiting > 0


def test_one_person_registering_for_two_seminars_at_once_gets_both(backend, tmp_path):
    url = fresh_database_url(backend, tmp_path, "seminar_invites_feed")
    app = make_app(url)
    with app.app_context():
        upgrade()
        starts_at = utcnow().replace(microsecond=0) + timedelta(days=20)
        seminars = [
            Seminar(
                slug=f"feed-race-{n}",
                title=f"同時申込セミナー{n}",
                series=Series.TRADE_SECRET_IP_STRATEGY,
                delivery=Delivery.ONLINE,
                status=SeminarStatus.PUBLISHED,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                meeting_url="https://meet.example.org/j/1",
                capacity=10,
            )
            for n in (1, 2)
        ]
        db.session.add_all(seminars)
        db.session.commit()
        first_id, second_id = (seminar.id for seminar in seminars)
    details, errors = parse_details(details_data())
    assert not errors
    failures: list[Exception] = []

    def register_for_the_second():
        with app.app_context():
            try:
                services.register(
                    db.session, second_id, details, now=utcnow(), privacy_notice_version="2026-04"
                )
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                failures.append(exc)

    try:
        with app.app_context():
            services.register(
                db.session, first_id, details, now=utcnow(), privacy_notice_version="2026-04"
            )
            other = threading.Thread(target=register_for_the_second)
            other.start()
            assert wait_until(lambda: _waiting_on_a_lock(backend, url), timeout=60)
            if backend != "postgresql":
                clock.sleep(0.2)  # SQLite's waiter cannot be seen: a chance for it to begin
            db.session.commit()  # the first registration lands while the second waits
            other.join(patience(120))
            assert not other.is_alive()
            statuses = db.session.scalars(
                select(Registration.status).order_by(Registration.seminar_id)
            ).all()
            feeds = db.session.scalars(select(CalendarFeed.email_key)).all()
    finally:
        with app.app_context():
            db.engine.dispose()
    assert failures == []
    assert statuses == [RegistrationStatus.CONFIRMED, RegistrationStatus.CONFIRMED]
    assert feeds == ["taro@example.jp"]
