"""Every mail the outbox can send comes out of one layout: the HTML part from
mail/layout.html, the text part with mail/layout.txt's signature, in the mail's language."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta
from email.message import EmailMessage

import pytest

from seminar_app.announcements.models import Announcement
from seminar_app.announcements.services import MAIL_KIND, TEST_KIND
from seminar_app.dispatch import services as dispatch
from seminar_app.dispatch.mails import SUBJECTS as DISPATCH_SUBJECTS
from seminar_app.domain import Role
from seminar_app.notifications import services as outbox
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration.mails import SUBJECTS
from seminar_app.surveys.services import create_survey
from seminar_app.timeutil import utcnow
from tests.dispatch_helpers import submit
from tests.registration_helpers import register

#: What the English signature says (AGENCY_NAME_EN of the default settings).
ENGLISH_SENDER = "Seminar office, IP Strategy Support Center"


@pytest.fixture
def payloads(db_session, make_seminar, make_user):
    """A payload for every kind of mail, keyed by kind."""
    seminar = make_seminar(meeting_url="https://meet.example.org/j/layout")
    registration = register(
        db_session, seminar, email="layout@example.jp", announcements_opt_in=True
    )
    survey = create_survey(db_session, seminar)
    announcement = Announcement(subject="新しいセミナーのご案内", body="本文です。")
    db_session.add(announcement)
    db_session.flush()
    staff = make_user()
    kinds = {
        kind: {"registration_id": registration.id, "sequence": 1, "had_seat": True}
        for kind in SUBJECTS
    }
    kinds["seminar.message"]["note"] = "当日は10分前から入室できます。"
    kinds["survey.invitation"] = {"registration_id": registration.id, "survey_id": survey.id}
    kinds[MAIL_KIND] = {"announcement_id": announcement.id, "email_key": "layout@example.jp"}
    kinds[TEST_KIND] = {"subject": announcement.subject, "body": announcement.body}
    kinds["password-reset"] = {"user_id": staff.id}
    kinds["participant.overview"] = {"email_key": "layout@example.jp"}
    request = submit(db_session, contact_email="layout@example.jp")
    kinds["dispatch.received"] = {"request_id": request.id}
    declined = dispatch.change_state(
        db_session, request, "declined", by=staff, now=utcnow(), reason="日程が合いません。"
    )
    for kind in ("dispatch.declined", "dispatch.withdrawn"):
        kinds[kind] = {"request_id": request.id, "change_id": declined.id}
    advisor = make_user(Role.LECTURER)
    scheduled = submit(db_session, contact_email="layout@example.jp")
    starts_at = utcnow().replace(microsecond=0) + timedelta(days=30)
    dispatch.schedule(
        db_session,
        scheduled,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        delivery="in-person",
        staff=[advisor],
        by=staff,
        now=utcnow(),
    )
    kinds[dispatch.CONTACT_INVITE] = {"request_id": scheduled.id, "sequence": 0, "update": False}
    kinds[dispatch.STAFF_INVITE] = {
        "request_id": scheduled.id,
        "user_id": advisor.id,
        "method": "REQUEST",
        "sequence": 0,
    }
    return kinds, {"password-reset": staff.email, dispatch.STAFF_INVITE: advisor.email}


def rendered(db_session, payloads, language: str) -> dict[str, EmailMessage]:
    kinds, recipients = payloads
    messages = {}
    for kind, payload in kinds.items():
        row = OutboxMessage(
            kind=kind,
            recipient=recipients.get(kind, "layout@example.jp"),
            payload={**payload, "language": language},
        )
        db_session.add(row)
        db_session.flush()
        data = outbox.render(db_session, row)
        messages[kind] = email.message_from_bytes(data, policy=email.policy.default)
    return messages


def parts(message: EmailMessage, content_type: str) -> list[str]:
    return [
        part.get_content() for part in message.walk() if part.get_content_type() == content_type
    ]


def test_every_kind_of_mail_is_tried(payloads):
    kinds, _ = payloads
    # Other tests register renderers of their own; the app's are those in seminar_app.
    registered = {
        kind
        for kind, function in outbox._RENDERERS.items()
        if function.__module__.startswith("seminar_app.")
    }
    assert set(kinds) == registered


@pytest.mark.parametrize(
    ("language", "sender"), [("ja", "知財戦略支援センター セミナー事務局"), ("en", ENGLISH_SENDER)]
)
def test_every_mail_comes_out_of_the_one_layout(app, db_session, payloads, language, sender):
    mail_from = app.config["MAIL_FROM"]
    for kind, message in rendered(db_session, payloads, language).items():
        [text] = parts(message, "text/plain")
        _body, separator, signature = text.replace("\r\n", "\n").rpartition("\n-- \n")
        assert separator and signature.endswith(f"{sender}\n{mail_from}\n"), kind
        for html in parts(message, "text/html"):
            assert f'<html lang="{language}">' in html, kind
            assert 'class="mail-layout"' in html, kind
            footer = html[html.index('class="mail-footer"') :]
            assert f"{sender}<br>{mail_from}" in footer, kind


def test_registration_survey_and_dispatch_mails_have_an_html_part(db_session, payloads):
    messages = rendered(db_session, payloads, "ja")
    with_html = {kind for kind, message in messages.items() if parts(message, "text/html")}
    assert with_html == {*SUBJECTS, "survey.invitation", *DISPATCH_SUBJECTS}


def test_the_announcement_keeps_its_unsubscribe_note_above_the_signature(db_session, payloads):
    text = rendered(db_session, payloads, "en")[MAIL_KIND].get_content().replace("\r\n", "\n")
    note, signature = text.split("\n-- \n")
    assert note.strip() == "本文です。"
    assert "To receive no more of these mails, open this link:" in signature
    assert signature.index("/unsubscribe/") < signature.index(ENGLISH_SENDER)


def test_details_labels_stay_readable_on_a_phone(db_session, payloads):
    """The label column never wraps to a sliver: labels keep a minimum width and do not
    break; values (long links) wrap; narrow screens stack label over value."""
    html = parts(rendered(db_session, payloads, "ja")["registration.confirmed"], "text/html")[0]
    labels = re.findall(r"<th [^>]*style=\"([^\"]*)\"", html)
    assert len(labels) >= 4
    for style in labels:
        assert "white-space:nowrap" in style and "min-width:6em" in style
    assert re.search(r"@media[^{]*max-width:480px\)\{\.mail-details th,\.mail-details td", html)


@pytest.mark.parametrize(
    ("language", "sender"), [("ja", "知財戦略支援センター セミナー事務局"), ("en", ENGLISH_SENDER)]
)
def test_the_from_name_and_the_calendars_organizer_speak_the_mails_language(
    db_session, payloads, language, sender
):
    message = rendered(db_session, payloads, language)["registration.confirmed"]
    # Python's parser keeps the space between two encoded words that mail clients drop.
    shown = message["From"].addresses[0].display_name
    assert shown.replace(" ", "") == sender.replace(" ", "")
    [invite] = parts(message, "text/calendar")
    unfolded = re.sub(r"\r\n[ \t]", "", invite)
    assert f'ORGANIZER;CN="{sender}":mailto:' in unfolded
