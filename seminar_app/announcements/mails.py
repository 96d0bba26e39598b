"""The announcement mail: the organizer's text, why the person gets it, how to stop it.

Each mail carries a one-click unsubscribe (RFC 8058): `List-Unsubscribe` with the
person's HTTPS link and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. No mailto:
is offered, since no one reads an unsubscribe mailbox and the request would not be
honoured at once. The DKIM signature of the sending MTA must cover both headers.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import Policy

from flask import render_template
from flask_babel import gettext as _

from ..database import DbSession
from ..notifications.models import OutboxMessage
from ..notifications.services import Withdrawn, compose, renderer
from ..urls import absolute_url
from .models import Announcement
from .services import MAIL_KIND, TEST_KIND, unsubscribe_token, wants_announcements

ONE_CLICK = "List-Unsubscribe=One-Click"


class VerbatimHeader(str):
    """A header written as it is, on one line.

    email.policy.SMTP folds an unstructured header at 78 characters and turns a long
    word (an URL) into RFC 2047 encoded words, which no mail client reads as a link.
    RFC 5322 allows 998 characters a line; the URL stays far below.
    """

    name: str

    def __new__(cls, name: str, value: str) -> VerbatimHeader:
        if "\r" in value or "\n" in value or len(name) + len(value) > 990:
            raise ValueError("a verbatim header is one line of at most 990 characters")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


def unsubscribe_url(email_key: str) -> str:
    return absolute_url("announcements.unsubscribe", token=unsubscribe_token(email_key))


def add_unsubscribe_headers(message: EmailMessage, url: str) -> None:
    message["List-Unsubscribe"] = VerbatimHeader("List-Unsubscribe", f"<{url}>")
    if url.startswith("https://"):
        # RFC 8058 one-click needs an HTTPS URI; a development BASE_URL over http gets
        # the plain List-Unsubscribe only.
        message["List-Unsubscribe-Post"] = ONE_CLICK
    message["Precedence"] = "bulk"  # no vacation auto-replies to the agency


@renderer(MAIL_KIND, bulk=True)
def render_announcement(session: DbSession, row: OutboxMessage) -> EmailMessage:
    email_key = row.payload.get("email_key") or row.recipient.lower()
    announcement = session.get(Announcement, row.payload["announcement_id"])
    if announcement is None or not wants_announcements(session, email_key):
        raise Withdrawn("the address unsubscribed or withdrew its opt-in before delivery")
    url = unsubscribe_url(email_key)
    text = render_template("announcements/mail.txt", announcement=announcement, unsubscribe_url=url)
    message = compose(row.recipient, announcement.subject, text)
    add_unsubscribe_headers(message, url)
    return message


@renderer(TEST_KIND)
def render_test(session: DbSession, row: OutboxMessage) -> EmailMessage:
    """What the recipients will read, marked as a test; its unsubscribe link is the tester's."""
    url = unsubscribe_url(row.recipient.lower())
    draft = Announcement(subject=row.payload["subject"], body=row.payload["body"])
    text = render_template("announcements/mail.txt", announcement=draft, unsubscribe_url=url)
    return compose(row.recipient, _("[Test] %(subject)s", subject=draft.subject), text)
