"""Announcements: who receives them, the unsubscribe link and headers, the console, the API."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from urllib.parse import urlsplit

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import delete, func, select

from seminar_app.announcements import services
from seminar_app.announcements.models import Announcement, Unsubscribe
from seminar_app.api.openapi import openapi_document
from seminar_app.attendance.models import CheckIn
from seminar_app.audit.models import AuditEvent
from seminar_app.auth.services import issue_api_token
from seminar_app.domain import Level, OutboxStatus, Role, Series
from seminar_app.notifications.models import OutboxMessage
from seminar_app.notifications.services import deliver_due, render
from seminar_app.registration.overview import overview_token
from seminar_app.timeutil import utcnow
from tests.conftest import login, post_form
from tests.registration_helpers import register

ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def clear_outbox(db_session) -> None:
    """Forget the registration mails, so that only announcements are delivered."""
    db_session.execute(delete(OutboxMessage))
    db_session.commit()


def person(db_session, seminar, address: str, *, opt_in: bool = True, **overrides):
    return register(db_session, seminar, email=address, announcements_opt_in=opt_in, **overrides)


def attended(db_session, registration) -> None:
    db_session.add(CheckIn(registration_id=registration.id, method="scan"))
    db_session.commit()


def announce(
    db_session, subject="新しいセミナーのご案内", body="12月に新しいセミナーを開きます。", **kw
):
    announcement, count = services.send(
        db_session, subject, body, kw.pop("level", None), kw.pop("series", None), now=utcnow(), **kw
    )
    db_session.commit()
    return announcement, count


def deliver(db_session, mail_server) -> list[EmailMessage]:
    """Send what the outbox holds; the mails the SMTP server received in this round."""
    before = len(mail_server.raw)
    report = deliver_due(db_session)
    assert report.deferred == 0 and report.failed == 0, report
    mail_server.wait_for(before + report.sent)
    raw = mail_server.raw
    assert len(raw) == before + report.sent
    return [email.message_from_bytes(data, policy=email.policy.default) for _, data in raw[before:]]


def envelope_recipients(mail_server, since: int = 0) -> list[str]:
    return sorted(address for rcpts, _ in mail_server.raw[since:] for address in rcpts)


def keys(db_session, **filters) -> set[str]:
    return {r.email_key for r in services.recipients(db_session, **filters)}


def unsubscribe_path(message: EmailMessage) -> str:
    header = message["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">"), header
    return urlsplit(header[1:-1]).path


@pytest.fixture
def https_base_url(app):
    saved = app.config["BASE_URL"]
    app.config["BASE_URL"] = "https://seminars.test"
    yield "https://seminars.test"
    app.config["BASE_URL"] = saved


# --- who receives it ------------------------------------------------------------------------


def test_opted_in_receive_and_the_others_never(db_session, smtp_app, mail_server, make_seminar):
    seminar = make_seminar()
    person(db_session, seminar, "yes@example.jp")
    person(db_session, seminar, "no@example.jp", opt_in=False)
    clear_outbox(db_session)

    announcement, count = announce(db_session, body="本文：新セミナーのお知らせ")
    mails_ = deliver(db_session, mail_server)

    assert count == 1 and announcement.recipients == 1
    assert envelope_recipients(mail_server) == ["yes@example.jp"]
    [message] = mails_
    assert message["To"] == "yes@example.jp"
    assert message["Subject"] == "新しいセミナーのご案内"
    text = message.get_content()
    assert "本文：新セミナーのお知らせ" in text
    assert "/unsubscribe/" in text and unsubscribe_path(message) in text


def test_level_and_series_filters_reach_only_attendees(db_session, make_seminar):
    beginner = make_seminar(level=Level.BEGINNER, series=Series.TRADE_SECRET_IP_STRATEGY)
    intermediate = make_seminar(level=Level.INTERMEDIATE, series=Series.TRADE_SECRET_IP_STRATEGY)
    utilization = make_seminar(level=None, series=Series.IP_UTILIZATION)
    attended(db_session, person(db_session, beginner, "came-beginner@example.jp"))
    person(db_session, beginner, "absent-beginner@example.jp")  # registered, never came
    attended(db_session, person(db_session, intermediate, "came-intermediate@example.jp"))
    attended(db_session, person(db_session, utilization, "came-utilization@example.jp"))
    # attended a beginner seminar but did not opt in
    attended(db_session, person(db_session, beginner, "quiet@example.jp", opt_in=False))

    assert keys(db_session, level=Level.BEGINNER) == {"came-beginner@example.jp"}
    assert keys(db_session, level=Level.INTERMEDIATE) == {"came-intermediate@example.jp"}
    assert keys(db_session, series=Series.IP_UTILIZATION) == {"came-utilization@example.jp"}
    assert keys(db_session, series=Series.TRADE_SECRET_IP_STRATEGY) == {
        "came-beginner@example.jp",
        "came-intermediate@example.jp",
    }
    assert keys(db_session, level=Level.BEGINNER, series=Series.IP_UTILIZATION) == set()
    assert len(keys(db_session)) == 4  # no filter: everyone who opted in
    assert services.count_recipients(db_session, level=Level.BEGINNER) == 1

    clear_outbox(db_session)
    _, count = announce(db_session, level=Level.BEGINNER)
    queued = db_session.scalars(select(OutboxMessage.recipient)).all()
    assert count == 1 and queued == ["came-beginner@example.jp"]


def test_the_same_address_registered_twice_gets_one_mail(
    db_session, smtp_app, mail_server, make_seminar
):
    first, second = make_seminar(), make_seminar()
    person(db_session, first, "Twice@Example.jp")
    person(db_session, second, "twice@example.jp", locale="en")
    clear_outbox(db_session)

    _, count = announce(db_session)
    deliver(db_session, mail_server)

    assert count == 1
    # the latest registration's address and language
    assert envelope_recipients(mail_server) == ["twice@example.jp"]
    [row] = db_session.scalars(select(OutboxMessage)).all()
    assert row.payload["language"] == "en"


def test_the_latest_registration_decides_the_opt_in(db_session, make_seminar):
    first, second = make_seminar(), make_seminar()
    person(db_session, first, "changed-mind@example.jp", opt_in=True)
    person(db_session, second, "changed-mind@example.jp", opt_in=False)
    person(db_session, first, "came-back@example.jp", opt_in=False)
    person(db_session, second, "came-back@example.jp", opt_in=True)

    assert keys(db_session) == {"came-back@example.jp"}


# --- unsubscribing --------------------------------------------------------------------------


def test_an_unsubscribed_address_receives_nothing_from_a_later_announcement(
    db_session, client, smtp_app, mail_server, make_seminar, https_base_url
):
    seminar = make_seminar()
    person(db_session, seminar, "leaving@example.jp")
    person(db_session, seminar, "staying@example.jp")
    clear_outbox(db_session)
    announce(db_session, subject="第1回のご案内")
    first = deliver(db_session, mail_server)
    assert sorted(m["To"] for m in first) == ["leaving@example.jp", "staying@example.jp"]

    [leaving] = [m for m in first if m["To"] == "leaving@example.jp"]
    response = client.post(unsubscribe_path(leaving), data=ONE_CLICK)
    assert response.status_code == 200

    _, count = announce(db_session, subject="第2回のご案内")
    second = deliver(db_session, mail_server)
    assert count == 1
    assert [m["To"] for m in second] == ["staying@example.jp"]
    assert [m["Subject"] for m in second] == ["第2回のご案内"]
    assert envelope_recipients(mail_server, since=len(first)) == ["staying@example.jp"]


def test_unsubscribe_headers_are_exact(
    db_session, smtp_app, mail_server, make_seminar, https_base_url
):
    person(db_session, make_seminar(), "headers@example.jp")
    clear_outbox(db_session)
    announce(db_session)
    [message] = deliver(db_session, mail_server)
    [(_, raw)] = mail_server.raw

    token = services.unsubscribe_token("headers@example.jp")
    url = f"https://seminars.test/unsubscribe/{token}"
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # written as they are on one line each: no RFC 2047 encoded words, no folding
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    assert message.get_all("List-Unsubscribe") == [f"<{url}>"]


def test_without_https_there_is_no_one_click_header(
    db_session, smtp_app, mail_server, make_seminar
):
    person(db_session, make_seminar(), "plain@example.jp")
    clear_outbox(db_session)
    announce(db_session)
    [message] = deliver(db_session, mail_server)
    assert message["List-Unsubscribe"].startswith("<http://seminars.test/unsubscribe/")
    assert message["List-Unsubscribe-Post"] is None


def test_one_click_post_needs_no_csrf_token_and_is_honoured(
    db_session, client, make_seminar, organizer_client
):
    seminar = make_seminar()
    person(db_session, seminar, "one-click@example.jp")
    person(db_session, seminar, "other@example.jp")
    token = services.unsubscribe_token("one-click@example.jp")

    # CSRF is on in this app: a console POST without a token is refused ...
    refused = client.post("/console/announcements", data={"action": "send"})
    assert refused.status_code == 400
    # ... but the one-click POST, as a mail provider sends it, is accepted
    response = client.post(
        f"/unsubscribe/{token}",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "one-click@example.jp" in response.get_data(as_text=True)
    assert services.is_unsubscribed(db_session, "one-click@example.jp")
    assert keys(db_session) == {"other@example.jp"}
    _, count = announce(db_session)
    assert count == 1
    queued = db_session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.kind == "announcement")
    ).all()
    assert queued == ["other@example.jp"]


def test_get_shows_a_button_and_does_not_unsubscribe(db_session, client, make_seminar):
    person(db_session, make_seminar(), "scanned@example.jp")
    token = services.unsubscribe_token("scanned@example.jp")

    response = client.get(f"/unsubscribe/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'action="/unsubscribe/{token}"' in html and 'method="post"' in html
    assert "<button" in html
    assert (
        response.headers["Cache-Control"].startswith("private")
        or "no-store" in (response.headers["Cache-Control"])
    )
    assert db_session.scalar(select(func.count(Unsubscribe.id))) == 0
    assert keys(db_session) == {"scanned@example.jp"}

    # the button posts the page's form and unsubscribes
    assert client.post(f"/unsubscribe/{token}", data=ONE_CLICK).status_code == 200
    assert keys(db_session) == set()
    again = client.get(f"/unsubscribe/{token}").get_data(as_text=True)
    assert "<button" not in again.split("<main", 1)[1]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_token_is_404(client, method):
    foreign = overview_token("someone@example.jp")  # signed, but for another purpose
    tampered = services.unsubscribe_token("someone@example.jp")[:-2] + "xx"
    for token in (foreign, tampered, "nonsense"):
        response = getattr(client, method)(f"/unsubscribe/{token}", data=ONE_CLICK)
        assert response.status_code == 404, token


def test_the_token_round_trips_and_unsubscribe_is_idempotent(db_session):
    token = services.unsubscribe_token("again@example.jp")
    assert services.email_for_token(token) == "again@example.jp"
    assert services.unsubscribe(db_session, "again@example.jp", utcnow()) is True
    assert services.unsubscribe(db_session, "Again@Example.jp", utcnow()) is False
    db_session.commit()
    assert db_session.scalar(select(func.count(Unsubscribe.id))) == 1
    audited = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "announcement.unsubscribed")
    ).all()
    assert audited == ["announcement.unsubscribed"]


def test_an_unsubscribe_after_queueing_withdraws_the_queued_mail(
    db_session, smtp_app, mail_server, make_seminar
):
    seminar = make_seminar()
    person(db_session, seminar, "late@example.jp")
    person(db_session, seminar, "kept@example.jp")
    clear_outbox(db_session)
    _, count = announce(db_session)
    assert count == 2

    services.unsubscribe(db_session, "late@example.jp", utcnow())
    db_session.commit()
    deliver(db_session, mail_server)

    assert envelope_recipients(mail_server) == ["kept@example.jp"]
    withdrawn = db_session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == "late@example.jp")
    )
    assert withdrawn.status == OutboxStatus.FAILED
    assert withdrawn.last_error == services.WITHDRAWN_NOTE


def test_an_opt_out_after_queueing_is_dropped_by_the_renderer(
    db_session, smtp_app, mail_server, make_seminar
):
    first, second = make_seminar(), make_seminar()
    person(db_session, first, "edited@example.jp")
    person(db_session, first, "kept@example.jp")
    clear_outbox(db_session)
    announce(db_session)
    person(db_session, second, "edited@example.jp", opt_in=False)  # a newer "no"
    db_session.execute(delete(OutboxMessage).where(OutboxMessage.kind != "announcement"))
    db_session.commit()

    deliver(db_session, mail_server)
    assert envelope_recipients(mail_server) == ["kept@example.jp"]


# --- sending --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "level", "series", "field"),
    [
        ("", "本文", None, None, "subject"),
        ("x" * 201, "本文", None, None, "subject"),
        ("二行\nの件名", "本文", None, None, "subject"),
        ("件名", "   ", None, None, "body"),
        ("件名", "x" * 10_001, None, None, "body"),
        ("件名", "本文", "expert", None, "level"),
        ("件名", "本文", None, "other-series", "series"),
        (None, "本文", None, None, "subject"),
    ],
)
def test_invalid_announcements_change_nothing(
    db_session, make_seminar, subject, body, level, series, field
):
    person(db_session, make_seminar(), "valid@example.jp")
    clear_outbox(db_session)
    with pytest.raises(services.AnnouncementError) as caught:
        services.send(db_session, subject, body, level, series, now=utcnow())
    assert isinstance(caught.value, ValueError)
    assert set(caught.value.problems) == {field}
    db_session.rollback()
    assert db_session.scalar(select(func.count(Announcement.id))) == 0
    assert db_session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_limits_are_inclusive(db_session, make_seminar):
    person(db_session, make_seminar(), "limits@example.jp")
    announcement, count = announce(db_session, subject="x" * 200, body="y" * 10_000)
    assert count == 1 and len(announcement.subject) == 200


def test_queued_in_batches_with_an_audit_record(db_session, make_seminar, make_user):
    seminar = make_seminar()
    for n in range(5):
        person(db_session, seminar, f"batch{n}@example.jp")
    clear_outbox(db_session)
    organizer = make_user(Role.ORGANIZER)
    announcement, count = announce(db_session, by=organizer, batch_size=2)

    rows = db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.recipient)).all()
    assert count == 5 and len(rows) == 5
    assert {row.kind for row in rows} == {"announcement"}
    assert {row.payload["announcement_id"] for row in rows} == {announcement.id}
    assert announcement.sent_by_id == organizer.id
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "announcement.sent"))
    assert event.subject_id == str(announcement.id) and event.details["recipients"] == 5
    assert event.actor_id == organizer.id


def test_a_double_submit_is_not_sent_twice(db_session, make_seminar):
    person(db_session, make_seminar(), "double@example.jp")
    announce(db_session)
    with pytest.raises(services.AnnouncementError) as caught:
        announce(db_session)
    assert "subject" in caught.value.problems
    db_session.rollback()
    assert db_session.scalar(select(func.count(Announcement.id))) == 1
    # a different text is a different announcement
    _, count = announce(db_session, body="別の本文")
    assert count == 1


# --- the console ----------------------------------------------------------------------------


def test_console_counts_sends_and_lists(db_session, organizer_client, make_seminar):
    seminar = make_seminar(level=Level.BEGINNER)
    attended(db_session, person(db_session, seminar, "console1@example.jp"))
    person(db_session, seminar, "console2@example.jp")
    clear_outbox(db_session)
    organizer_client.get("/language/en")  # the assertions below read the English wording

    page = organizer_client.get("/console/announcements").get_data(as_text=True)
    assert ": 2" in page.split('id="recipient-count"', 1)[1].split("</p>", 1)[0]

    preview = post_form(
        organizer_client,
        "/console/announcements",
        {"action": "preview", "level": "beginner", "series": ""},
    ).get_data(as_text=True)
    assert ": 1" in preview.split('id="recipient-count"', 1)[1].split("</p>", 1)[0]
    assert db_session.scalar(select(func.count(Announcement.id))) == 0  # preview sends nothing

    response = post_form(
        organizer_client,
        "/console/announcements",
        {
            "action": "send",
            "subject": "コンソールからのご案内",
            "body": "本文です。",
            "level": "beginner",
            "series": "",
            "confirmed": "1",
        },
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "queued for 1 recipients" in html
    assert "コンソールからのご案内" in html
    [announcement] = db_session.scalars(select(Announcement)).all()
    assert announcement.level == "beginner" and announcement.recipients == 1
    assert db_session.scalars(select(OutboxMessage.recipient)).all() == ["console1@example.jp"]


def test_console_shows_errors_and_sends_nothing(db_session, organizer_client, make_seminar):
    person(db_session, make_seminar(), "console-error@example.jp")
    clear_outbox(db_session)
    response = post_form(
        organizer_client,
        "/console/announcements",
        {"action": "send", "subject": "", "body": "本文", "level": "", "series": ""},
    )
    assert response.status_code == 200
    assert "field-error" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_console_is_for_organizers(client, make_user):
    assert client.get("/console/announcements").status_code in (302, 401)
    login(client, make_user(Role.LECTURER))
    assert client.get("/console/announcements").status_code == 403


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def organizer_token(db_session, make_user):
    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    return {"Authorization": f"Bearer {token}"}


def _operation():
    return openapi_document("http://seminars.test")["paths"]["/api/v1/announcements"]["post"]


def test_the_served_openapi_document_has_the_announcements(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert (
        document["paths"]["/api/v1/announcements"]["post"]["operationId"]
        == _operation()["operationId"]
    )
    validate_openapi(openapi_document("http://seminars.test"))


def test_api_answers_202_and_queues(client, db_session, organizer_token, make_seminar):
    seminar = make_seminar(level=Level.BEGINNER)
    attended(db_session, person(db_session, seminar, "api1@example.jp"))
    person(db_session, seminar, "api2@example.jp")
    person(db_session, seminar, "api3@example.jp", opt_in=False)
    clear_outbox(db_session)
    body = {"subject": "APIからのご案内", "body": "本文", "level": "beginner", "series": None}
    jsonschema.validate(body, _operation()["requestBody"]["content"]["application/json"]["schema"])

    response = client.post("/api/v1/announcements", json=body, headers=organizer_token)

    assert response.status_code == 202, response.get_json()
    answer = response.get_json()
    jsonschema.validate(
        answer, _operation()["responses"]["202"]["content"]["application/json"]["schema"]
    )
    assert answer["recipients"] == 1
    announcement = db_session.get(Announcement, answer["announcement_id"])
    assert announcement.subject == "APIからのご案内"
    assert db_session.scalars(select(OutboxMessage.recipient)).all() == ["api1@example.jp"]

    everyone = client.post(
        "/api/v1/announcements",
        json={"subject": "全員へ", "body": "本文"},
        headers=organizer_token,
    )
    assert everyone.status_code == 202 and everyone.get_json()["recipients"] == 2


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"body": "本文"}, {"subject"}),
        ({"subject": "件名"}, {"body"}),
        ({"subject": "件名", "body": "本文", "level": "expert"}, {"level"}),
        ({"subject": "件名", "body": "本文", "series": 3}, {"series"}),
        ({"subject": "件\n名", "body": "本文"}, {"subject"}),
        ({"subject": 5, "body": ["本文"]}, {"subject", "body"}),
        ({"subject": "件名", "body": "本文", "to": "all"}, {"to"}),
    ],
)
def test_api_400_names_the_fields(client, db_session, organizer_token, body, fields):
    response = client.post("/api/v1/announcements", json=body, headers=organizer_token)
    assert response.status_code == 400
    assert set(response.get_json()["fields"]) == fields
    assert db_session.scalar(select(func.count(Announcement.id))) == 0


def test_api_400_for_a_body_that_is_not_a_json_object(client, organizer_token):
    for data in ("not json", "[1, 2]"):
        response = client.post(
            "/api/v1/announcements",
            data=data,
            content_type="application/json",
            headers=organizer_token,
        )
        assert response.status_code == 400 and response.get_json()["status"] == 400


def test_api_needs_an_organizer_token(client, db_session, make_user):
    body = {"subject": "件名", "body": "本文"}
    missing = client.post("/api/v1/announcements", json=body)
    assert missing.status_code == 401 and "Bearer" in missing.headers["WWW-Authenticate"]
    wrong = client.post(
        "/api/v1/announcements", json=body, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    reception = issue_api_token(db_session, make_user(Role.RECEPTION))
    db_session.commit()
    refused = client.post(
        "/api/v1/announcements", json=body, headers={"Authorization": f"Bearer {reception}"}
    )
    assert refused.status_code == 403
    assert db_session.scalar(select(func.count(Announcement.id))) == 0


# --- the command line -----------------------------------------------------------------------


def test_cli_counts_and_unsubscribes(app, db_session, make_seminar):
    seminar = make_seminar(level=Level.BEGINNER)
    attended(db_session, person(db_session, seminar, "phone@example.jp"))
    person(db_session, seminar, "mail@example.jp")
    runner = app.test_cli_runner()

    counted = runner.invoke(args=["announcements", "count"])
    assert counted.exit_code == 0 and counted.output.strip() == "2"
    counted = runner.invoke(args=["announcements", "count", "--level", "beginner"])
    assert counted.exit_code == 0 and counted.output.strip() == "1"

    # full-width letters as typed from a phone call, NFKC-normalised
    result = runner.invoke(args=["announcements", "unsubscribe", "ＰＨＯＮＥ@example.jp"])
    assert result.exit_code == 0, result.output
    assert "unsubscribed" in result.output and "already" not in result.output
    assert keys(db_session) == {"mail@example.jp"}
    again = runner.invoke(args=["announcements", "unsubscribe", "phone@example.jp"])
    assert again.exit_code == 0 and "already" in again.output

    bad = runner.invoke(args=["announcements", "unsubscribe", "not an address"])
    assert bad.exit_code != 0


ANNOUNCEMENT = {"subject": "新しいセミナー", "body": "ご案内です。", "level": "", "series": ""}


def test_sending_an_announcement_asks_first_saying_how_many_get_it(
    organizer_client, db_session, make_seminar
):
    seminar = make_seminar()
    register(db_session, seminar, announcements_opt_in=True)
    data = {
        "action": "send",
        "subject": "新しいセミナー",
        "body": "ご案内です。",
        "level": "",
        "series": "",
    }
    page = post_form(
        organizer_client, "/console/announcements", data, headers={"Accept-Language": "en"}
    )
    text = " ".join(page.get_data(as_text=True).split())
    assert page.status_code == 200 and "1 person will get this mail." in text
    assert "新しいセミナー" in text and "ご案内です。" in text
    assert db_session.scalar(select(func.count(Announcement.id))) == 0


def test_a_test_goes_to_the_organizer_alone_as_recipients_will_read_it(
    organizer_client, db_session, make_seminar
):
    register(db_session, make_seminar(), announcements_opt_in=True)
    data = {
        "action": "test",
        "subject": "新しいセミナー",
        "body": "ご案内です。",
        "level": "",
        "series": "",
    }
    post_form(organizer_client, "/console/announcements", data)
    [row] = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind.startswith("announcement"))
    ).all()
    assert row.kind == "announcement.test" and row.recipient.startswith("staff")
    message = email.message_from_bytes(render(db_session, row), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    # The organizer's text, then the footer every recipient gets, with its unsubscribe link.
    assert text.index("ご案内です。") < text.index("http://seminars.test/")
    subject = str(message["Subject"])
    assert "新しいセミナー" in subject and subject != "新しいセミナー"  # marked as a test
    assert db_session.scalar(select(func.count(Announcement.id))) == 0


# --- the console's buttons ------------------------------------------------------------------


def announcement_rows(db_session) -> int:
    return db_session.scalar(select(func.count(Announcement.id)))


def outbox_rows(db_session) -> int:
    return db_session.scalar(select(func.count(OutboxMessage.id)))


def test_a_sent_test_is_confirmed_on_the_console_itself(organizer_client, db_session):
    response = post_form(
        organizer_client,
        "/console/announcements",
        {**ANNOUNCEMENT, "action": "test"},
        headers={"Accept-Language": "en"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A test is on its way to staff" in html and "nobody else gets it" in html
    assert 'value="新しいセミナー"' in html  # the form keeps the text for the real sending


def test_a_refused_test_is_shown_beside_its_field_and_queues_nothing(organizer_client, db_session):
    clear_outbox(db_session)
    response = post_form(
        organizer_client,
        "/console/announcements",
        {**ANNOUNCEMENT, "subject": "一行目\n二行目", "action": "test"},
        headers={"Accept-Language": "en"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "field-error" in html and "The subject must be a single line." in html
    assert outbox_rows(db_session) == 0


def test_a_confirmed_sending_refused_by_the_rules_is_shown_and_sends_nothing(
    organizer_client, db_session, make_seminar
):
    register(db_session, make_seminar(), announcements_opt_in=True)
    announce(db_session, ANNOUNCEMENT["subject"], ANNOUNCEMENT["body"])
    clear_outbox(db_session)
    response = post_form(
        organizer_client,
        "/console/announcements",
        {**ANNOUNCEMENT, "action": "send", "confirmed": "1"},
        headers={"Accept-Language": "en"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "sent a few minutes ago; it is not sent twice" in html
    assert announcement_rows(db_session) == 1 and outbox_rows(db_session) == 0


def test_counting_the_recipients_does_not_judge_the_unfinished_text(organizer_client, db_session):
    response = post_form(
        organizer_client,
        "/console/announcements",
        {"action": "preview", "subject": "", "body": "", "level": "", "series": ""},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "field-error" not in html and 'id="recipient-count"' in html


@pytest.mark.parametrize("action", ["", "delete"])
def test_a_post_without_a_known_button_shows_the_console_and_sends_nothing(
    organizer_client, db_session, action
):
    clear_outbox(db_session)
    response = post_form(
        organizer_client, "/console/announcements", {**ANNOUNCEMENT, "action": action}
    )
    assert response.status_code == 200 and 'id="recipient-count"' in response.get_data(as_text=True)
    assert announcement_rows(db_session) == 0 and outbox_rows(db_session) == 0
