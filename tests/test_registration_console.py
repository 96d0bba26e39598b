"""Organizer pages for a seminar's registrations, exports, and reminder mails."""

import csv
import io
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import RegistrationStatus, Role, SeminarStatus
from seminar_app.exports import FORMULA_PREFIXES, neutralise
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration import services
from seminar_app.registration.models import Registration
from seminar_app.timeutil import utcnow
from tests.conftest import csrf_token, login, post_form
from tests.registration_helpers import register

EN = {"Accept-Language": "en"}

DANGEROUS = ['=HYPERLINK("http://x")', "+81-3-0000", "-1+2", "@SUM(A1)", "\tTAB", "\rCR"]


# -- helpers -----------------------------------------------------------------------------


@pytest.fixture
def organizer(client, make_user):
    """The logged-in organizer (the `client` fixture acts as them)."""
    user = make_user(Role.ORGANIZER)
    login(client, user)
    return user


def list_url(seminar) -> str:
    return f"/console/seminars/{seminar.id}/registrations"


def export_url(seminar, extension: str) -> str:
    return f"/console/seminars/{seminar.id}/registrations.{extension}"


#: What the confirmation page sends back once the organizer has read what will happen.
CONFIRMED = {"confirmed": "1"}


def post(client, url: str, seminar, data: dict | None = None):
    """A console form post; the CSRF token comes from the seminar's edit page."""
    return post_form(
        client, url, data or {}, page=f"/console/seminars/{seminar.id}/edit", headers=EN
    )


def flashes(client) -> list[tuple[str, str]]:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def mails(db_session, kind: str, registration=None) -> list[OutboxMessage]:
    rows = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
    ).all()
    if registration is None:
        return list(rows)
    return [row for row in rows if row.payload.get("registration_id") == registration.id]


def audit_events(db_session, action: str) -> list[AuditEvent]:
    return list(
        db_session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def row_for(html: str, email: str) -> str:
    """The table row of the registration with `email`."""
    rows = [chunk for chunk in html.split("<tr>") if email in chunk]
    assert len(rows) == 1, f"{email} appears in {len(rows)} rows"
    return rows[0].split("</tr>")[0]


def assert_redirected_to_list(response, seminar) -> None:
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == list_url(seminar)


# -- the list --------------------------------------------------------------------------


def test_list_shows_every_registration_with_its_status(organizer, client, make_seminar, db_session):
    seminar = make_seminar(capacity=1, waitlist_cutoff_hours=10_000)
    seated = register(db_session, seminar, email="seated@example.jp")
    waiting = register(db_session, seminar, email="waiting@example.jp")
    gone = register(db_session, seminar, email="gone@example.jp")
    services.cancel(db_session, gone.id, utcnow(), by_participant=True)
    db_session.commit()

    response = client.get(list_url(seminar), headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert seated.name in html and waiting.name in html and gone.name in html
    assert "status-confirmed" in row_for(html, "seated@example.jp")
    waiting_row = row_for(html, "waiting@example.jp")
    assert "status-waitlisted" in waiting_row and "No. 1" in waiting_row
    assert "status-cancelled" in row_for(html, "gone@example.jp")


def test_list_filters_by_status(organizer, client, make_seminar, db_session):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar, email="seated@example.jp")
    register(db_session, seminar, email="waiting@example.jp")

    response = client.get(f"{list_url(seminar)}?status=waitlisted", headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "waiting@example.jp" in html
    assert "seated@example.jp" not in html


@pytest.mark.parametrize(
    "query",
    ["山田", "やまだ", "HANAKO.YAMADA@EXAMPLE", "hanako.yamada@example.jp", "acme", "ACME"],
)
def test_list_searches_name_kana_email_and_organization(
    organizer, client, make_seminar, db_session, query
):
    seminar = make_seminar()
    hanako = register(
        db_session,
        seminar,
        name="山田 花子",
        name_kana="やまだ はなこ",
        email="Hanako.Yamada@Example.JP",
        organization="Acme 株式会社",
    )
    register(
        db_session,
        seminar,
        name="佐藤 次郎",
        name_kana="さとう じろう",
        email="jiro@example.org",
        organization="有限会社サトウ",
    )

    response = client.get(list_url(seminar), query_string={"q": query}, headers=EN)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert hanako.email in html  # email-validator lower-cases the domain only
    assert "jiro@example.org" not in html


def test_list_search_treats_like_wildcards_as_text(organizer, client, make_seminar, db_session):
    seminar = make_seminar()
    register(db_session, seminar, email="ha_nako@example.jp")
    register(db_session, seminar, email="jiro@example.org")

    html = client.get(list_url(seminar), query_string={"q": "_"}, headers=EN).get_data(as_text=True)

    assert "ha_nako@example.jp" in html
    assert "jiro@example.org" not in html


# -- cancelling on someone's behalf, promoting by hand --------------------------------------


def test_organizer_cancels_on_someones_behalf_and_the_waitlist_moves_up(
    organizer, client, make_seminar, db_session
):
    seminar = make_seminar(capacity=1)
    seated, first, second = (register(db_session, seminar) for _ in range(3))

    response = post(client, f"/console/registrations/{seated.id}/cancel", seminar, CONFIRMED)

    assert_redirected_to_list(response, seminar)
    assert ("success", "The registration is cancelled and the person has been told by mail.") in (
        flashes(client)
    )
    assert seated.status == RegistrationStatus.CANCELLED and seated.cancelled_at is not None
    assert len(mails(db_session, "registration.cancelled", seated)) == 1
    assert first.status == RegistrationStatus.CONFIRMED
    assert len(mails(db_session, "registration.promoted", first)) == 1
    assert second.status == RegistrationStatus.WAITLISTED
    assert mails(db_session, "registration.promoted", second) == []
    (event,) = audit_events(db_session, "registration.cancelled")
    assert event.subject_id == str(seated.id)
    assert event.actor_id == organizer.id and event.actor_label == organizer.email
    assert event.details["by"] == "organizer"


def test_cancelling_twice_is_refused_with_a_message(organizer, client, make_seminar, db_session):
    seminar = make_seminar()
    person = register(db_session, seminar)
    post(client, f"/console/registrations/{person.id}/cancel", seminar, CONFIRMED)

    response = post(client, f"/console/registrations/{person.id}/cancel", seminar, CONFIRMED)

    assert_redirected_to_list(response, seminar)
    assert ("error", "This registration is already cancelled.") in flashes(client)
    assert len(mails(db_session, "registration.cancelled", person)) == 1


def test_promote_by_hand_after_the_cutoff(organizer, client, make_seminar, db_session):
    # The seminar starts in 20 days; a cut-off of 10 000 hours before it has long passed.
    seminar = make_seminar(capacity=1, waitlist_cutoff_hours=10_000)
    seated, waiting = register(db_session, seminar), register(db_session, seminar)
    promote = f"/console/registrations/{waiting.id}/promote"

    full = post(client, promote, seminar)
    assert_redirected_to_list(full, seminar)
    assert ("error", "No seat is free. Raise the capacity first.") in flashes(client)
    assert waiting.status == RegistrationStatus.WAITLISTED
    assert mails(db_session, "registration.promoted", waiting) == []

    post(client, f"/console/registrations/{seated.id}/cancel", seminar, CONFIRMED)
    assert seated.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.WAITLISTED  # past the cut-off: no automatic move

    response = post(client, promote, seminar)
    assert_redirected_to_list(response, seminar)
    assert ("success", "Confirmed from the waitlist; the person has been told by mail.") in (
        flashes(client)
    )
    assert waiting.status == RegistrationStatus.CONFIRMED and waiting.confirmed_at is not None
    assert len(mails(db_session, "registration.promoted", waiting)) == 1
    (event,) = audit_events(db_session, "registration.promoted")
    assert event.subject_id == str(waiting.id) and event.details["how"] == "by-hand"
    assert event.actor_id == organizer.id


def test_promoting_someone_not_waitlisted_is_refused(organizer, client, make_seminar, db_session):
    seminar = make_seminar(capacity=5)
    seated = register(db_session, seminar)

    post(client, f"/console/registrations/{seated.id}/promote", seminar)

    assert ("error", "Only a waitlisted person can be promoted.") in flashes(client)
    assert mails(db_session, "registration.promoted", seated) == []


def test_unknown_registration_is_404(organizer, client, make_seminar):
    seminar = make_seminar()
    assert post(client, "/console/registrations/999999/cancel", seminar).status_code == 404
    assert post(client, "/console/registrations/999999/promote", seminar).status_code == 404


# -- capacity ------------------------------------------------------------------------------


def test_raising_the_capacity_promotes_at_once(organizer, client, make_seminar, db_session):
    seminar = make_seminar(capacity=1)
    people = [register(db_session, seminar) for _ in range(4)]

    response = post(client, f"/console/seminars/{seminar.id}/capacity", seminar, {"capacity": "3"})

    assert_redirected_to_list(response, seminar)
    assert (
        "success",
        "Capacity saved. 2 people were confirmed from the waitlist.",
    ) in flashes(client)
    assert seminar.capacity == 3
    assert [person.status for person in people] == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
    ]
    assert [len(mails(db_session, "registration.promoted", person)) for person in people] == [
        0,
        1,
        1,
        0,
    ]
    (event,) = audit_events(db_session, "seminar.capacity_changed")
    assert event.details == {"from": 1, "to": 3} and event.actor_id == organizer.id


def test_lowering_the_capacity_unseats_nobody(organizer, client, make_seminar, db_session):
    seminar = make_seminar(capacity=3)
    people = [register(db_session, seminar) for _ in range(3)]
    waiting = register(db_session, seminar)

    post(client, f"/console/seminars/{seminar.id}/capacity", seminar, {"capacity": "1"})

    assert seminar.capacity == 1
    assert all(person.status == RegistrationStatus.CONFIRMED for person in people)
    assert waiting.status == RegistrationStatus.WAITLISTED
    assert mails(db_session, "registration.cancelled") == []
    late = register(db_session, seminar)
    assert late.status == RegistrationStatus.WAITLISTED


WHOLE_NUMBER = "Enter the capacity as a whole number from 0."


@pytest.mark.parametrize(
    ("value", "message"),
    [
        *((value, WHOLE_NUMBER) for value in ("abc", "-1", "", "2.5", "１０", "1e3")),
        ("100001", "The capacity can be at most 100000."),
    ],
)
def test_a_bad_capacity_is_refused_and_changes_nothing(
    organizer, client, make_seminar, db_session, value, message
):
    seminar = make_seminar(capacity=1)
    seated, waiting = register(db_session, seminar), register(db_session, seminar)

    response = post(
        client, f"/console/seminars/{seminar.id}/capacity", seminar, {"capacity": value}
    )

    assert_redirected_to_list(response, seminar)
    assert ("error", message) in flashes(client)
    db_session.expire_all()
    assert db_session.get(Seminar, seminar.id).capacity == 1
    assert (seated.status, waiting.status) == ("confirmed", "waitlisted")
    assert audit_events(db_session, "seminar.capacity_changed") == []


# -- messages to the seats or the waitlist --------------------------------------------------


@pytest.mark.parametrize(
    ("audience", "expected"),
    [("confirmed", ["seat1@example.jp", "seat2@example.jp"]), ("waitlisted", ["wait@example.jp"])],
)
def test_message_goes_to_that_group_only(
    organizer, client, make_seminar, db_session, audience, expected
):
    seminar = make_seminar(capacity=3, waitlist_cutoff_hours=10_000)
    register(db_session, seminar, email="seat1@example.jp")
    register(db_session, seminar, email="seat2@example.jp")
    gone = register(db_session, seminar, email="gone@example.jp")
    services.cancel(db_session, gone.id, utcnow(), by_participant=True)
    db_session.commit()
    seminar.capacity = 2
    db_session.commit()
    register(db_session, seminar, email="wait@example.jp")
    other = make_seminar()
    register(db_session, other, email="elsewhere@example.jp")
    subject = "会場変更のお知らせ"
    body = "会場が3階会議室に変わりました。\nお気をつけてお越しください。"

    response = post(
        client,
        f"/console/seminars/{seminar.id}/message",
        seminar,
        {"audience": audience, "subject": subject, "body": body, **CONFIRMED},
    )

    assert_redirected_to_list(response, seminar)
    assert ("success", f"The message is queued for {len(expected)} people.") in flashes(client)
    queued = mails(db_session, "seminar.message")
    assert sorted(row.recipient for row in queued) == expected
    for row in queued:
        assert row.payload["subject"] == subject
        assert row.payload["note"] == body
    (event,) = audit_events(db_session, "seminar.message_sent")
    assert event.details["to"] == audience and event.details["count"] == len(expected)
    assert event.actor_id == organizer.id


@pytest.mark.parametrize(
    "data",
    [
        {"audience": "confirmed", "subject": "", "body": "本文"},
        {"audience": "confirmed", "subject": "   ", "body": "本文"},
        {"audience": "confirmed", "body": "本文"},
        {"audience": "confirmed", "subject": "件名", "body": ""},
    ],
)
def test_message_without_subject_or_body_is_refused(
    organizer, client, make_seminar, db_session, data
):
    seminar = make_seminar()
    register(db_session, seminar)

    post(client, f"/console/seminars/{seminar.id}/message", seminar, data)

    assert ("error", "Write a subject and a message.") in flashes(client)
    assert mails(db_session, "seminar.message") == []
    assert audit_events(db_session, "seminar.message_sent") == []


def test_message_subject_cannot_carry_line_breaks(organizer, client, make_seminar, db_session):
    seminar = make_seminar()
    register(db_session, seminar)

    post(
        client,
        f"/console/seminars/{seminar.id}/message",
        seminar,
        {
            "audience": "confirmed",
            "subject": "お知らせ\r\nBcc: x@example.com",
            "body": "本文",
            **CONFIRMED,
        },
    )

    (row,) = mails(db_session, "seminar.message")
    assert "\r" not in row.payload["subject"] and "\n" not in row.payload["subject"]


@pytest.mark.parametrize("audience", ["", "cancelled", "everyone"])
def test_message_to_an_unknown_group_is_refused(
    organizer, client, make_seminar, db_session, audience
):
    seminar = make_seminar()
    register(db_session, seminar)

    post(
        client,
        f"/console/seminars/{seminar.id}/message",
        seminar,
        {"audience": audience, "subject": "件名", "body": "本文"},
    )

    assert ("error", "Choose who receives the message.") in flashes(client)
    assert mails(db_session, "seminar.message") == []


# -- exports -------------------------------------------------------------------------------


@pytest.fixture
def roster(make_seminar, db_session):
    """A seminar whose registrations carry a formula-like name or organization each."""
    seminar = make_seminar(capacity=2)
    people = [
        register(db_session, seminar, name='=HYPERLINK("http://x")', email="link@example.jp"),
        register(db_session, seminar, email="plain@example.jp"),
    ]
    for number, value in enumerate(DANGEROUS[1:]):
        person = register(db_session, seminar, email=f"danger{number}@example.jp")
        if number % 2:
            person.name = value
        else:
            person.organization = value
        people.append(person)
    db_session.commit()
    return seminar, people


def dangerous_cells(values, dangerous=DANGEROUS) -> list[str]:
    return [value for value in values if isinstance(value, str) and value.lstrip("'") in dangerous]


def test_csv_export_has_a_bom_one_row_per_registration_and_no_formulas(
    organizer, client, roster, db_session
):
    seminar, people = roster

    response = client.get(export_url(seminar, "csv"), headers=EN)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert header[:7] == [
        "No.",
        "Status",
        "Waitlist number",
        "Name",
        "Name in kana",
        "E-mail",
        "Organization",
    ]
    assert [int(row[0]) for row in rows] == [person.id for person in people]
    assert [row[5] for row in rows] == [person.email for person in people]
    assert rows[0][3] == '\'=HYPERLINK("http://x")'
    cells = [cell for row in rows for cell in row]
    assert sorted(dangerous_cells(cells)) == sorted("'" + value for value in DANGEROUS)
    assert not any(cell.startswith(FORMULA_PREFIXES) for cell in cells)
    plain = rows[1]
    assert plain[6] == "株式会社テスト製作所" and plain[1] == "Confirmed"
    assert [row[2] for row in rows[2:4]] == ["1", "2"]  # waitlist numbers


def test_xlsx_export_has_the_same_rows_and_no_formulas(organizer, client, roster, db_session):
    seminar, people = roster

    response = client.get(export_url(seminar, "xlsx"), headers=EN)

    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header[3] == "Name" and header[6] == "Organization"
    assert [row[0] for row in rows] == [person.id for person in people]
    assert [row[5] for row in rows] == [person.email for person in people]
    assert rows[0][3] == '\'=HYPERLINK("http://x")'
    # A raw CR is kept or turned into LF depending on the XML library that writes and reads
    # the file (lxml keeps it, as Excel does): either way it must still be quoted.
    values = [
        value.replace("\r", "\n") if isinstance(value, str) else value
        for row in rows
        for value in row
    ]
    dangerous = [value.replace("\r", "\n") for value in DANGEROUS]
    assert sorted(dangerous_cells(values, dangerous)) == sorted("'" + value for value in dangerous)
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(FORMULA_PREFIXES), cell.coordinate


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_every_export_is_audited(organizer, client, roster, db_session, extension):
    seminar, people = roster
    before = utcnow() - timedelta(seconds=1)

    assert client.get(export_url(seminar, extension)).status_code == 200
    assert client.get(export_url(seminar, extension)).status_code == 200

    events = audit_events(db_session, "registration.exported")
    assert len(events) == 2
    for event in events:
        assert event.actor_id == organizer.id and event.actor_label == organizer.email
        assert event.subject_type == "seminar" and event.subject_id == str(seminar.id)
        assert event.details == {"format": extension, "rows": len(people)}
        assert event.at >= before


# -- access --------------------------------------------------------------------------------


def console_routes(seminar, registration):
    gets = [
        list_url(seminar),
        export_url(seminar, "csv"),
        export_url(seminar, "xlsx"),
    ]
    posts = [
        (f"/console/registrations/{registration.id}/cancel", {}),
        (f"/console/registrations/{registration.id}/promote", {}),
        (f"/console/seminars/{seminar.id}/capacity", {"capacity": "10"}),
        (
            f"/console/seminars/{seminar.id}/message",
            {"audience": "confirmed", "subject": "件名", "body": "本文"},
        ),
    ]
    return gets, posts


def assert_untouched(db_session, seminar, registration) -> None:
    db_session.expire_all()
    assert db_session.get(Seminar, seminar.id).capacity == 1
    assert db_session.get(Registration, registration.id).status == RegistrationStatus.WAITLISTED
    assert mails(db_session, "seminar.message") == []
    assert audit_events(db_session, "registration.exported") == []


@pytest.mark.parametrize("role", [Role.LECTURER, Role.RECEPTION])
def test_lecturer_and_reception_are_forbidden(client, make_user, make_seminar, db_session, role):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    waiting = register(db_session, seminar)
    login(client, make_user(role))
    token = csrf_token(client, "/")
    gets, posts = console_routes(seminar, waiting)

    for url in gets:
        assert client.get(url).status_code == 403, url
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert_untouched(db_session, seminar, waiting)


def test_anonymous_is_sent_to_login(client, make_seminar, db_session):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    waiting = register(db_session, seminar)
    token = csrf_token(client, "/login")
    gets, posts = console_routes(seminar, waiting)

    responses = [client.get(url) for url in gets] + [
        client.post(url, data={**data, "csrf_token": token}) for url, data in posts
    ]

    for response in responses:
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/login"
    assert_untouched(db_session, seminar, waiting)


def test_post_without_csrf_token_is_refused(organizer, client, make_seminar, db_session):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar)
    waiting = register(db_session, seminar)
    _, posts = console_routes(seminar, waiting)

    for url, data in posts:
        assert client.post(url, data=data).status_code == 400, url
        assert client.post(url, data={**data, "csrf_token": "forged"}).status_code == 400, url
    assert_untouched(db_session, seminar, waiting)
    assert audit_events(db_session, "seminar.capacity_changed") == []


# -- reminders -----------------------------------------------------------------------------


@pytest.fixture
def reminder_cases(make_seminar, db_session):
    """Who should and should not get a reminder two days ahead."""
    now = utcnow().replace(microsecond=0)
    soon = make_seminar(capacity=3, starts_at=now + timedelta(days=1), waitlist_cutoff_hours=1000)
    due = [register(db_session, soon) for _ in range(3)]
    waiting = register(db_session, soon)
    cancelled = due.pop()
    services.cancel(db_session, cancelled.id, utcnow(), by_participant=True)
    db_session.commit()
    later = make_seminar(starts_at=now + timedelta(days=5))
    called_off = make_seminar(starts_at=now + timedelta(days=1))
    not_due = [waiting, cancelled, register(db_session, later), register(db_session, called_off)]
    called_off.status = SeminarStatus.CANCELLED
    db_session.commit()
    assert [person.status for person in due] == ["confirmed", "confirmed"]
    assert [person.status for person in not_due] == [
        "waitlisted",
        "cancelled",
        "confirmed",
        "confirmed",
    ]
    return due, not_due


def reminder_counts(db_session, people) -> list[int]:
    return [len(mails(db_session, "registration.reminder", person)) for person in people]


def test_reminders_cli_queues_one_per_confirmed_seat_soon(app, db_session, reminder_cases):
    due, not_due = reminder_cases
    runner = app.test_cli_runner()

    first = runner.invoke(args=["reminders", "send", "--days", "2"])

    assert first.exit_code == 0, first.output
    assert first.output.startswith("2 reminder(s) queued")
    assert reminder_counts(db_session, due) == [1, 1]
    assert reminder_counts(db_session, not_due) == [0, 0, 0, 0]
    for person in due:
        (row,) = mails(db_session, "registration.reminder", person)
        assert row.recipient == person.email
        assert person.reminder_queued_at is not None

    second = runner.invoke(args=["reminders", "send", "--days", "2"])

    assert second.exit_code == 0, second.output
    assert second.output.startswith("0 reminder(s) queued")
    assert reminder_counts(db_session, due) == [1, 1]
    assert len(mails(db_session, "registration.reminder")) == 2


def test_queue_reminders_twice_queues_once(db_session, reminder_cases):
    due, not_due = reminder_cases
    now = utcnow()

    assert services.queue_reminders(db_session, now, 2) == 2
    assert services.queue_reminders(db_session, now, 2) == 0

    assert reminder_counts(db_session, due) == [1, 1]
    assert reminder_counts(db_session, not_due) == [0, 0, 0, 0]


def test_interleaved_reminder_runs_cannot_queue_twice(db_session, reminder_cases, monkeypatch):
    """A second run starts after the first has chosen its candidates but before it claims."""
    due, _ = reminder_cases
    now = utcnow()
    original = services.begin_write
    inner: list[int] = []

    def begin_write_after_a_rival_run(session):
        if not inner:
            inner.append(-1)
            inner[0] = services.queue_reminders(session, now, 2)
        original(session)

    monkeypatch.setattr(services, "begin_write", begin_write_after_a_rival_run)

    outer = services.queue_reminders(db_session, now, 2)

    assert inner == [2] and outer == 0
    assert reminder_counts(db_session, due) == [1, 1]
    assert len(mails(db_session, "registration.reminder")) == 2


def test_no_reminder_for_a_seminar_already_started(make_seminar, db_session):
    seminar = make_seminar(starts_at=utcnow().replace(microsecond=0) + timedelta(hours=1))
    person = register(db_session, seminar)
    seminar.starts_at = utcnow() - timedelta(minutes=5)
    db_session.commit()

    assert services.queue_reminders(db_session, utcnow(), 2) == 0
    assert reminder_counts(db_session, [person]) == [0]


# -- neutralise ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_neutralise_quotes_each_formula_prefix(prefix):
    value = f"{prefix}1+cmd|' /C calc'!A0"
    assert neutralise(value) == "'" + value
    assert neutralise(prefix) == "'" + prefix


@pytest.mark.parametrize(
    "value",
    [
        "株式会社テスト製作所",
        "Acme Ltd.",
        "a=b",
        "1+1",
        "'already quoted",
        "",
        " =not first",
        "＝全角",
    ],
)
def test_neutralise_leaves_harmless_text(value):
    assert neutralise(value) == value


@pytest.mark.parametrize(
    "value", [-5, 0, 42, -1.5, 3.25, None, True, datetime(2026, 4, 1, tzinfo=UTC)]
)
def test_neutralise_leaves_numbers_and_other_values(value):
    assert neutralise(value) is value


def test_cancelling_someones_registration_asks_first_and_says_who_is_told(
    organizer, client, make_seminar, db_session
):
    seminar = make_seminar(capacity=1)
    seated, waiting = register(db_session, seminar), register(db_session, seminar)
    url = f"/console/registrations/{seated.id}/cancel"
    page = post(client, url, seminar)
    assert page.status_code == 200
    text = " ".join(page.get_data(as_text=True).split())
    assert f"Cancel the registration of {seated.name}?" in text
    assert "is told by mail (1 mail)" in text and 'name="confirmed" value="1"' in text
    db_session.expire_all()
    assert (seated.status, waiting.status) == ("confirmed", "waitlisted")
    assert mails(db_session, "registration.cancelled") == []
    post(client, url, seminar, CONFIRMED)
    db_session.expire_all()
    assert (seated.status, waiting.status) == ("cancelled", "confirmed")


def test_messaging_registrants_asks_first_and_says_how_many_get_the_mail(
    organizer, client, make_seminar, db_session
):
    seminar = make_seminar()
    for _ in range(3):
        register(db_session, seminar)
    data = {"audience": "confirmed", "subject": "会場変更", "body": "3階に変わりました。"}
    page = post(client, f"/console/seminars/{seminar.id}/message", seminar, data)
    text = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200 and "3 people (Confirmed) will get this mail." in text
    assert "会場変更" in text and "3階に変わりました。" in text
    assert mails(db_session, "seminar.message") == []
    post(client, f"/console/seminars/{seminar.id}/message", seminar, {**data, **CONFIRMED})
    assert len(mails(db_session, "seminar.message")) == 3
