"""Mail that arrives in the inbox: every kind of mail the app sends scores at most 1 with
SpamAssassin's local rules (Debian's `spamassassin -L -t`: no network tests).

Each mail is made the way the app makes it (registration, waitlist, lottery, cancellation,
a change of the seminar, reminders, an organizer's message, a recording, a survey, an
announcement, a password reset, the overview link), delivered by the outbox sender to a
real SMTP server, and what that server received is scored. All the mails are scored by
one `spamassassin -L -t --mbox` run (its start-up, a few seconds, is paid once), with HOME
in a temporary folder so that neither a developer's user_prefs nor a Bayes database
learnt on their machine changes the scores.

The mails are made once, on SQLite, by an app and database of this module's own: what a
mail says does not depend on the database, and the other tests deliver mail on both. The
app links to an https address, as it does in production (where BASE_URL must be https).

Without `spamassassin` on the PATH these tests are skipped (CI installs it and fails on
skips).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade

from seminar_app.announcements import services as announcements
from seminar_app.auth.models import User
from seminar_app.auth.services import send_password_reset
from seminar_app.catalogue import lifecycle
from seminar_app.dispatch import services as dispatch
from seminar_app.domain import Admission, Delivery, OutboxStatus, RegistrationStatus, Role
from seminar_app.elearning import services as recordings
from seminar_app.extensions import db
from seminar_app.notifications import services as outbox
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration import lottery
from seminar_app.registration import services as registrations
from seminar_app.surveys import services as surveys
from seminar_app.timeutil import utcnow
from tests.conftest import IsolatedClient, fresh_database_url, make_app, post_form
from tests.dispatch_helpers import request_data
from tests.mailserver import MailServer
from tests.registration_helpers import add_open_seminar, register
from tests.test_invites import fields_of
from tests.test_surveys import check_in, end
from tests.waiting import patience, wait_until

#: The most a mail may score (SpamAssassin marks spam at 5; an inbox should see far less).
LIMIT = 1.0
LANGUAGES = ("ja", "en")
SPAMASSASSIN = shutil.which("spamassassin")
#: A header SpamAssassin adds to each message it scores: every rule hit, with its points.
RULES_HEADER = "X-Spam-Rules"
#: SpamAssassin's rules for a mail that is mostly image: little HTML beside an <img>
#: (HTML_IMAGE_ONLY_*: up to 2.8 points, the 2.8 once seen on the confirmation with its QR
#: ticket) and little text for the image's area (HTML_IMAGE_RATIO_*).
IMAGE_RULES = re.compile(r"HTML_IMAGE_(?:ONLY|RATIO)_\d+")
#: The test string of the anti-spam world: any working SpamAssassin scores it 1000.
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


@dataclass(frozen=True)
class Case:
    """A kind of mail, in one of its forms: the first delivered mail `matching` it."""

    kind: str
    variant: str = ""
    matching: Callable[[OutboxMessage], bool] = field(default=lambda row: True, compare=False)
    #: The languages it is sent in: a staff member's assignment only in the default one.
    languages: tuple[str, ...] = LANGUAGES

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.variant}" if self.variant else self.kind


def to(who: str) -> Callable[[OutboxMessage], bool]:
    return lambda row: row.recipient.startswith(f"{who}.")


def had_seat(value: bool) -> Callable[[OutboxMessage], bool]:
    return lambda row: row.payload.get("had_seat") is value


CASES = (
    Case("registration.confirmed", "online", to("seat")),
    Case("registration.confirmed", "in-person", to("venue")),
    Case("registration.confirmed", "lottery", lambda row: row.payload.get("lottery") is True),
    Case("registration.waitlisted"),
    Case("registration.applied"),
    Case("lottery.waitlisted"),
    Case("registration.promoted"),
    Case("registration.cancelled", "had-seat", had_seat(True)),
    Case("registration.cancelled", "waitlisted", had_seat(False)),
    Case("registration.link"),
    Case("registration.reminder"),
    Case("seminar.changed"),
    Case("seminar.cancelled", "had-seat", had_seat(True)),
    Case("seminar.cancelled", "waitlisted", had_seat(False)),
    Case("seminar.message"),
    Case("recording.published"),
    Case("survey.invitation"),
    Case(announcements.MAIL_KIND),
    Case(announcements.TEST_KIND),
    Case("password-reset"),
    Case("participant.overview"),
    Case("dispatch.received"),
    Case("dispatch.declined"),
    Case("dispatch.withdrawn", "unscheduled", lambda row: "sequence" not in row.payload),
    Case("dispatch.withdrawn", "with-cancel", lambda row: "sequence" in row.payload),
    Case("dispatch.scheduled", "first", lambda row: not row.payload["update"]),
    Case("dispatch.scheduled", "update", lambda row: row.payload["update"]),
    Case(
        "dispatch.assignment",
        "request",
        lambda row: row.payload["method"] == "REQUEST" and not row.payload["update"],
        languages=("ja",),
    ),
    Case(
        "dispatch.assignment",
        "update",
        lambda row: row.payload["method"] == "REQUEST" and row.payload["update"],
        languages=("ja",),
    ),
    Case(
        "dispatch.assignment",
        "cancel",
        lambda row: row.payload["method"] == "CANCEL",
        languages=("ja",),
    ),
)


@dataclass(frozen=True)
class Score:
    points: float
    #: Rule name → points, as SpamAssassin reported them.
    rules: dict[str, float]
    #: SpamAssassin's report of the message (the rules hit, with their descriptions).
    report: str


# --- the mails, made through the app ------------------------------------------------------


def address(who: str, language: str) -> str:
    return f"{who}.{language}@example.jp"


def sent(session) -> None:
    """Commit, and deliver what was queued at once, as a prompt sender does: each mail is
    rendered with the state that caused it."""
    session.commit()
    report = outbox.deliver_due(session)
    assert report.failed == report.deferred == 0, report


def person(session, seminar, who: str, language: str, **overrides):
    name = {"ja": "山田 花子", "en": "Hanako Yamada"}[language]
    registration = register(
        session, seminar, email=address(who, language), name=name, locale=language, **overrides
    )
    sent(session)
    return registration


def seminar(session, slug: str, language: str, **overrides):
    values = dict(
        title="営業秘密・知財戦略セミナー（初級）",
        title_en="Trade Secret & IP Strategy Seminar (beginner)",
        description="営業秘密の三要件と、社内で情報を守る仕組みを学びます。",
    )
    return add_open_seminar(session, slug=f"{slug}-{language}", **{**values, **overrides})


def online_seminar_mails(session, language: str) -> None:
    """Seat, waitlist, link again, a message, cancellation, promotion, a change of time,
    the reminder and the seminar's cancellation, at an online seminar of one seat."""
    now = utcnow()
    online = seminar(session, "online", language, capacity=1, starts_in=timedelta(days=2))
    seat = person(session, online, "seat", language)
    person(session, online, "waiting", language)
    registrations.send_link_again(session, seat)
    registrations.message_registrants(
        session,
        online,
        RegistrationStatus.CONFIRMED,
        "当日の入室について",
        "当日は開始10分前から入室できます。資料は前日までにこのアドレスへお送りします。",
    )
    sent(session)
    registrations.cancel(session, seat.id, now, by_participant=True)  # promotes "waiting"
    sent(session)
    late = person(session, online, "late", language)
    registrations.cancel(session, late.id, now, by_participant=True)
    sent(session)
    person(session, online, "last", language)  # waitlisted when the seminar is cancelled
    lifecycle.change_seminar(
        session,
        online.id,
        fields_of(
            online,
            starts_at=online.starts_at + timedelta(hours=1),
            ends_at=online.ends_at + timedelta(hours=1),
        ),
        [],
        now,
    )
    sent(session)
    registrations.queue_reminders(session, now, days_before=3)
    lifecycle.cancel(session, online, "講師の急病のため")
    sent(session)


def lottery_mails(session, language: str) -> None:
    """Two applications for one seat, then the draw: one seat, one place on the waitlist."""
    closes = utcnow().replace(microsecond=0) - timedelta(hours=1)
    drawn = seminar(
        session,
        "lottery",
        language,
        capacity=1,
        admission=Admission.LOTTERY,
        registration_closes_at=closes,
        starts_in=timedelta(days=30),
    )
    for who in ("applicant-a", "applicant-b"):
        person(session, drawn, who, language, now=closes - timedelta(hours=2))
    lottery.draw(session, drawn.id, seed=7, now=utcnow())
    sent(session)


def in_person_mails(session, language: str, staff: User) -> None:
    """A seat at the venue, a recording for the registrants, an announcement's test."""
    venue = seminar(
        session,
        "venue",
        language,
        capacity=30,
        delivery=Delivery.IN_PERSON,
        meeting_url=None,
        venue="知財戦略支援センター 3階 研修室（東京都千代田区霞が関3-4-3）",
        starts_in=timedelta(days=25),
    )
    person(session, venue, "venue", language, announcements_opt_in=True)
    recording = recordings.add_recording(
        session,
        venue,
        title="営業秘密・知財戦略セミナー（初級） 録画",
        url="https://eplat.example.jp/courses/trade-secrets-beginner",
        audience="registrants",
        available_from=None,
        available_until=None,
        by=staff,
    )
    recordings.publish(session, recording, by=staff, now=utcnow())
    announcements.send_test(session, *ANNOUNCEMENT, to=staff, language=language)
    sent(session)


def survey_mails(session, language: str) -> None:
    """An attendee of a seminar that ended is invited to its survey."""
    ended = seminar(session, "ended", language, capacity=30)
    attendee = person(session, ended, "attendee", language)
    end(session, ended)
    check_in(session, attendee)
    surveys.create_survey(session, ended)
    sent(session)
    surveys.queue_invitations(session, utcnow())
    sent(session)


def dispatch_mails(session, language: str, staff: User) -> None:
    """Two companies ask for a lecturer: one is declined, the other withdraws."""
    asked = []
    for who in ("dispatch-declined", "dispatch-withdrawn"):
        data = request_data(
            contact_name={"ja": "山田 花子", "en": "Hanako Yamada"}[language],
            contact_email=address(who, language),
            locale=language,
        )
        asked.append(
            dispatch.submit_request(session, data, now=utcnow(), privacy_notice_version="2026-04")
        )
    sent(session)
    declined, withdrawn = asked
    dispatch.change_state(
        session,
        declined,
        "declined",
        by=staff,
        now=utcnow(),
        reason="ご希望の時期は講師の予定が埋まっております。来年度にあらためてご相談ください。",
    )
    dispatch.withdraw_by_contact(session, withdrawn, now=utcnow())
    sent(session)
    scheduled_mails(session, language, staff)


def scheduled_mails(session, language: str, staff: User) -> None:
    """A company's request is scheduled, moved an hour, then withdrawn: the contact and the
    advisor receive the invite, its update and its cancellation."""
    advisor = User(
        email=f"advisor.{language}@example.org",
        display_name={"ja": "知財 太郎", "en": "Taro Chizai"}[language],
    )
    advisor.roles = {Role.LECTURER, Role.ADVISOR}
    session.add(advisor)
    data = request_data(
        contact_name={"ja": "山田 花子", "en": "Hanako Yamada"}[language],
        contact_email=address("dispatch-scheduled", language),
        locale=language,
    )
    request = dispatch.submit_request(session, data, now=utcnow(), privacy_notice_version="2026-04")
    sent(session)
    starts_at = utcnow().replace(microsecond=0) + timedelta(days=40)
    for hours in (0, 1):
        dispatch.schedule(
            session,
            request,
            starts_at=starts_at + timedelta(hours=hours),
            ends_at=starts_at + timedelta(hours=hours + 2),
            delivery="in-person",
            staff=[advisor],
            by=staff,
            now=utcnow(),
        )
        sent(session)
    dispatch.withdraw_by_contact(session, request, now=utcnow())
    sent(session)


ANNOUNCEMENT = (
    "【ご案内】営業秘密・知財戦略セミナー（中級）の受付を開始しました",
    "いつもセミナーをご利用いただきありがとうございます。\n\n"
    "営業秘密・知財戦略セミナー（中級）の受付を開始しました。社内の情報を棚卸しし、"
    "格付けと取扱ルールを定める手順を、演習を交えて学びます。\n\n"
    "詳しい内容とお申込みは、セミナー一覧のページをご覧ください。",
)


def staff_member(session, language: str) -> User:
    user = User(
        email=f"staff.{language}@example.org",
        display_name={"ja": "鈴木 一郎", "en": "Ichiro Suzuki"}[language],
    )
    user.roles = {Role.ORGANIZER}
    user.set_password("a staff password for the spam test")
    session.add(user)
    session.flush()
    return user


def make_every_mail(app: Flask) -> None:
    """Queue every kind of mail in both languages through the code that queues it."""
    session = db.session
    for language in LANGUAGES:
        staff = staff_member(session, language)
        online_seminar_mails(session, language)
        lottery_mails(session, language)
        in_person_mails(session, language, staff)
        survey_mails(session, language)
        dispatch_mails(session, language, staff)
        send_password_reset(session, staff.email, language)
        sent(session)
    announcements.send(session, *ANNOUNCEMENT, now=utcnow())
    sent(session)
    for language in LANGUAGES:
        client = app.test_client()  # a session of its own: the language comes from the header
        response = post_form(
            client,
            "/me",
            {"email": address("venue", language)},
            headers={"Accept-Language": language},
        )
        assert response.status_code == 303
        sent(db.session)


# --- scoring ------------------------------------------------------------------------------

#: The mbox "From " line of every message: the agency's envelope sender.
FROM_LINE = "From seminar@example.org " + time.asctime(time.gmtime())


def as_mbox(messages: list[bytes]) -> bytes:
    """Messages as one mbox (mboxrd): LF line ends, a body line starting "From " quoted."""
    entries = []
    for data in messages:
        text = data.replace(b"\r\n", b"\n")
        text = re.sub(rb"^(>*From )", rb">\1", text, flags=re.MULTILINE)
        entries.append(FROM_LINE.encode() + b"\n" + text.rstrip(b"\n") + b"\n\n")
    return b"".join(entries)


def parse_scored(chunk: bytes) -> tuple[str, Score]:
    """(Message-ID, score) of one message as `spamassassin -t` wrote it back."""
    message = message_from_bytes(chunk, policy=policy.default)
    status = re.search(r"score=(-?[0-9.]+)", str(message["X-Spam-Status"]))
    assert status, chunk[:2000]
    rules = {}
    for item in re.sub(r"\s+", "", str(message[RULES_HEADER] or "")).split(","):
        if item:
            name, _, points = item.partition("=")
            rules[name] = float(points)
    text = chunk.decode("utf-8", "replace")
    # The table of rules hit: from its heading to the blank line after its rows.
    report = re.search(r"Content analysis details:.*?\n-{4} .*?\n(?:\n|$)", text, re.DOTALL)
    return str(message["Message-ID"]), Score(
        float(status.group(1)), rules, report.group(0) if report else text
    )


def spamassassin(messages: list[bytes], home: Path) -> dict[str, Score]:
    """Each message's score by Message-ID: one `spamassassin -L -t` for the lot."""
    assert SPAMASSASSIN is not None
    command = [
        SPAMASSASSIN,
        "-L",  # local tests only: no DNS blocklists, no Razor, Pyzor or DCC
        "-t",
        "-x",  # nothing written to the (temporary) home
        "--mbox",
        "--cf",
        f"add_header all {RULES_HEADER.removeprefix('X-Spam-')} _TESTSSCORES(,)_",
    ]
    result = subprocess.run(
        command,
        input=as_mbox(messages),
        capture_output=True,
        env={**os.environ, "HOME": str(home)},
        timeout=patience(300),
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    chunks = result.stdout.split(FROM_LINE.encode() + b"\n")
    scores = dict(parse_scored(chunk) for chunk in chunks if chunk.strip())
    assert len(scores) == len(messages), result.stderr.decode("utf-8", "replace")
    return scores


def gtube_message() -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "someone@example.net"
    message["To"] = "someone@example.jp"
    message["Subject"] = "GTUBE"
    message["Message-ID"] = "<gtube@example.net>"
    message.set_content(f"{GTUBE}\n")
    return message.as_bytes()


@dataclass
class Scored:
    #: (case name, language) → the mail as the SMTP server received it, and its score.
    mails: dict[tuple[str, str], tuple[bytes, Score]]
    gtube: Score
    #: Every kind the outbox delivered.
    kinds: set[str]


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> Scored:
    if SPAMASSASSIN is None:
        pytest.skip("spamassassin is not installed (apt-get install spamassassin)")
    folder = tmp_path_factory.mktemp("spam")
    server = MailServer().start()
    app = make_app(
        fresh_database_url("sqlite", folder, "seminar_spam"),
        BASE_URL="https://seminars.example.org",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=server.port,
        UPLOAD_FOLDER=str(folder / "uploads"),
    )
    app.test_client_class = IsolatedClient
    try:
        with app.app_context():
            try:
                upgrade()
                make_every_mail(app)
                rows = db.session.query(OutboxMessage).order_by(OutboxMessage.id).all()
                assert all(row.status == OutboxStatus.SENT for row in rows)
                assert wait_until(lambda: len(server.raw) == len(rows), timeout=10)
                sent_ids = {message_id(row.message): row for row in rows if row.message}
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        server.stop()
    received = {message_id(data): data for _, data in server.raw}
    home = folder / "home"
    home.mkdir()
    scores = spamassassin([*received.values(), gtube_message()], home)
    mails = {}
    for case in CASES:
        for language in LANGUAGES:
            found = [
                key
                for key, row in sent_ids.items()
                if row.kind == case.kind
                and row.payload.get("language") == language
                and case.matching(row)
            ]
            if found:
                mails[case.name, language] = received[found[0]], scores[found[0]]
    return Scored(mails, scores[message_id(gtube_message())], {row.kind for row in rows})


def message_id(data: bytes) -> str:
    return str(message_from_bytes(data, policy=policy.default)["Message-ID"])


def app_kinds() -> set[str]:
    """Every kind of mail the app can queue: the renderers the app registered (other tests
    register their own)."""
    return {
        kind
        for kind, function in outbox._RENDERERS.items()
        if function.__module__.startswith("seminar_app.")
    }


# --- the tests ----------------------------------------------------------------------------


def test_every_kind_the_app_can_queue_is_scored(scored):
    """A new kind of mail needs a case here; and every case's mail was really sent."""
    assert {case.kind for case in CASES} == app_kinds()
    assert scored.kinds == app_kinds()


def test_spamassassin_really_scores(scored):
    """The scorer is no dummy: the GTUBE test string goes through the same run and scores
    far above spam's threshold."""
    assert scored.gtube.points >= 1000 and "GTUBE" in scored.gtube.rules


@pytest.mark.parametrize(
    ("case", "language"),
    [(case, language) for case in CASES for language in case.languages],
    ids=lambda value: value.name if isinstance(value, Case) else value,
)
def test_the_mail_scores_at_most_one(scored, case, language):
    assert (case.name, language) in scored.mails, f"no {case.name} mail in {language} was sent"
    _, score = scored.mails[case.name, language]
    hits = ", ".join(f"{name} {points:+.3f}" for name, points in sorted(score.rules.items()))
    assert score.points <= LIMIT, f"{case.name} ({language}) scores {score.points}: {hits}\n" + (
        score.report
    )


def test_no_mail_reads_as_an_image_mail(scored):
    """The ticket's QR code comes with enough text that no image rule hits, not even one
    that weighs little today: the margin to the heavy ones is what keeps it so."""
    hits = {
        f"{name} ({language})": sorted(filter(IMAGE_RULES.fullmatch, score.rules))
        for (name, language), (_, score) in scored.mails.items()
    }
    assert {mail: rules for mail, rules in hits.items() if rules} == {}


def test_the_recipient_is_written_in_angle_brackets(scored):
    """`To: <address>`: a bare address beside an HTML image costs a point
    (TO_NO_BRKTS_HTML_IMG)."""
    for (name, language), (data, _) in scored.mails.items():
        headers = data.split(b"\r\n\r\n", 1)[0]
        assert re.search(rb"^To: <[^<>\s]+>\r$", headers, re.MULTILINE), (name, language)
