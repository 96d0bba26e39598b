"""The registration form's three steps, 入力 → 確認 → 完了: the person sees what they
entered before anything is sent, can go back with every field kept, and the seat is taken
only when they confirm (issue 16 item 8)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice

from seminar_app.domain import AttendanceMode, Delivery
from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration import services
from seminar_app.registration.models import Registration
from tests.conftest import post_form
from tests.registration_helpers import details_data, register

QUESTION = 'Is "<b>bold</b>" & fine?\nSecond line'


class Page(HTMLParser):
    """What a page offers to post: its hidden inputs (each of them in `hidden_inputs`), the
    values of its visible fields (selected options, ticked boxes and radio buttons) and the
    names of its submit buttons; and the step marked as current."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.hidden_inputs: list[tuple[str, str]] = []
        self.values: dict[str, str] = {}
        self.buttons: list[str] = []
        self.current_step: str | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_current = False

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name", "")
        if tag == "input" and attributes.get("type") == "hidden":
            self.hidden[name] = attributes.get("value", "")
            self.hidden_inputs.append((name, attributes.get("value", "")))
        elif tag == "input" and attributes.get("type") in ("checkbox", "radio"):
            if "checked" in attributes:
                self.values[name] = attributes.get("value", "y")
        elif tag == "input" and name:
            self.values[name] = attributes.get("value", "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values[self._select] = attributes.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""
        elif tag == "button" and attributes.get("type") == "submit":
            self.buttons.append(name)
        elif tag == "li" and attributes.get("aria-current") == "step":
            self._in_current = True
            self.current_step = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            # As a browser does: a newline right after <textarea> is not part of the value.
            text = self.values[self._textarea]
            self.values[self._textarea] = text.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        elif tag == "li":
            self._in_current = False

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data
        if self._in_current:
            self.current_step = (self.current_step or "") + data.strip()


def read(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def entered(**overrides) -> dict:
    values = {
        "name": "山田 花子",
        "name_kana": "やまだ はなこ",
        "email": "hanako@example.jp",
        "organization": "株式会社みなと精機",
        "question": QUESTION,
        "announcements_opt_in": "y",
    }
    data = details_data(**{**values, **overrides})
    data["privacy_notice_agreed"] = "y"
    return data


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_the_first_submit_shows_what_was_entered_and_writes_nothing(
    client, make_seminar, db_session
):
    seminar = make_seminar(capacity=1)
    url = f"/seminars/{seminar.slug}/register"
    mails = count(db_session, OutboxMessage)

    response = post_form(client, url, entered(), headers={"Accept-Language": "ja"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for shown in ("山田 花子", "やまだ はなこ", "hanako@example.jp", "株式会社みなと精機"):
        assert shown in html
    assert "東京都" in html and "中小企業" in html  # coded choices by their labels
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html
    assert "入力内容の確認" in html
    page = read(html)
    assert page.current_step == "2確認"
    assert set(page.buttons) == {"back", "register"}
    assert count(db_session, Registration) == 0
    assert count(db_session, OutboxMessage) == mails
    assert services.seats_taken(db_session, seminar.id) == 0


def test_going_back_keeps_every_field(client, make_seminar):
    seminar = make_seminar()
    url = f"/seminars/{seminar.slug}/register"
    data = entered()
    confirmation = read(post_form(client, url, data).get_data(as_text=True))

    back = client.post(url, data={**confirmation.hidden, "back": "1"})

    assert back.status_code == 200
    form = read(back.get_data(as_text=True))
    assert form.current_step == "1入力"
    for name, value in data.items():
        assert form.values.get(name) == value, name


def test_the_confirmation_page_registers_exactly_what_it_showed(client, make_seminar, db_session):
    seminar = make_seminar()
    url = f"/seminars/{seminar.slug}/register"
    confirmation = read(post_form(client, url, entered()).get_data(as_text=True))

    done = client.post(url, data={**confirmation.hidden, "register": "1"})

    assert done.status_code == 303
    registration = db_session.scalars(select(Registration)).one()
    assert (registration.name, registration.name_kana, registration.email) == (
        "山田 花子",
        "やまだ はなこ",
        "hanako@example.jp",
    )
    assert registration.question == QUESTION
    assert registration.announcements_opt_in is True
    assert registration.status == "confirmed"
    final = read(client.get(done.headers["Location"]).get_data(as_text=True))
    assert final.current_step == "3完了"


def test_unticked_boxes_stay_unticked_through_the_confirmation(client, make_seminar, db_session):
    seminar = make_seminar()
    url = f"/seminars/{seminar.slug}/register"
    data = entered()
    del data["announcements_opt_in"]
    confirmation = read(post_form(client, url, data).get_data(as_text=True))
    assert "announcements_opt_in" not in confirmation.hidden

    client.post(url, data={**confirmation.hidden, "register": "1"})

    assert db_session.scalars(select(Registration)).one().announcements_opt_in is False


def test_a_form_with_problems_stays_on_the_entry_page(client, make_seminar, db_session):
    seminar = make_seminar()
    url = f"/seminars/{seminar.slug}/register"

    response = post_form(client, url, entered(email="not-an-address"))

    assert response.status_code == 400
    page = read(response.get_data(as_text=True))
    assert page.current_step == "1入力"
    assert "register" not in page.buttons
    assert count(db_session, Registration) == 0


def test_a_seat_taken_while_the_person_reads_the_confirmation_puts_them_on_the_waitlist(
    client, make_seminar, db_session
):
    seminar = make_seminar(capacity=1)
    url = f"/seminars/{seminar.slug}/register"
    confirmation = read(post_form(client, url, entered()).get_data(as_text=True))
    register(db_session, seminar, email="quicker@example.jp")  # the last seat goes meanwhile

    done = client.post(url, data={**confirmation.hidden, "register": "1"})

    assert done.status_code == 303
    late = db_session.scalars(select(Registration).filter_by(email="hanako@example.jp")).one()
    assert late.status == "waitlisted"
    assert services.seats_taken(db_session, seminar.id) == 1


def test_a_full_seminar_says_on_the_confirmation_page_that_it_is_the_waitlist(
    client, make_seminar, db_session
):
    seminar = make_seminar(capacity=1)
    register(db_session, seminar, email="first@example.jp")
    url = f"/seminars/{seminar.slug}/register"

    html = post_form(client, url, entered(), headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )

    assert "you will join the waitlist" in html
    assert "Join the waitlist</button>" in html
    assert count(db_session, Registration) == 1


def test_a_name_without_a_reading_is_shown_without_empty_brackets(client, make_seminar, db_session):
    seminar = make_seminar()
    url = f"/seminars/{seminar.slug}/register"
    data = entered(name="Emily Carter", name_kana="")
    confirmation = read(post_form(client, url, data).get_data(as_text=True))
    done = client.post(url, data={**confirmation.hidden, "register": "1"})

    page = client.get(done.headers["Location"]).get_data(as_text=True)

    assert "Emily Carter" in page
    assert "（）" not in page


def entries(page: Page) -> list[tuple[str, str]]:
    """What the person entered, as a page's hidden inputs post it (the token aside)."""
    return sorted(
        (name, value) for name, value in page.hidden_inputs if value and name != "csrf_token"
    )


def test_the_hidden_fields_carry_a_hybrid_choice_there_and_back(client, make_seminar, db_session):
    # 会場, the first of the two ways: a page that lost the choice, or ticked every radio
    # button, would come back with オンライン or nothing.
    seminar = make_seminar(delivery=Delivery.HYBRID, venue="INPIT 本部 会議室", capacity=5)
    url = f"/seminars/{seminar.slug}/register"
    confirmation = read(post_form(client, url, {**entered(), "attendance_mode": "venue"}).text)
    assert [value for name, value in confirmation.hidden_inputs if name == "attendance_mode"] == [
        "venue"
    ]

    back = read(client.post(url, data={**confirmation.hidden, "back": "1"}).text)
    assert back.current_step == "1入力"
    assert back.values.get("attendance_mode") == "venue"
    again = read(client.post(url, data={**back.values, **back.hidden}).text)
    assert entries(again) == entries(confirmation)

    done = client.post(url, data={**again.hidden, "register": "1"})
    assert done.status_code == 303
    registration = db_session.scalars(select(Registration)).one()
    assert registration.attendance_mode == AttendanceMode.VENUE


class EveryKind(FlaskForm):
    """A field of each kind the macro must write back."""

    class Meta:
        csrf = False

    text = StringField()
    several = SelectMultipleField(choices=[SelectChoice(value) for value in "abc"])
    way = RadioField(choices=[SelectChoice("venue", "会場"), SelectChoice("online", "オンライン")])
    menu = SelectField(choices=[SelectChoice("", "—"), SelectChoice("13", "東京都")])
    ticked = BooleanField()
    unticked = BooleanField()
    submit = SubmitField()


HIDDEN_FIELDS = (
    '{% from "registration/_participant_fields.html" import hidden_fields %}'
    "{{ hidden_fields(form) }}"
)


@pytest.mark.parametrize(
    "posted",
    [
        MultiDict(
            [
                ("text", 'a "quoted" <b>word</b> & more'),
                ("several", "a"),
                ("several", "c"),
                ("way", "online"),
                ("menu", "13"),
                ("ticked", "y"),
            ]
        ),
        MultiDict([("text", ""), ("menu", "")]),
    ],
    ids=["everything", "nothing"],
)
def test_hidden_fields_post_back_every_value_as_it_was_entered(app, posted):
    with app.test_request_context(method="POST", data=posted):
        form = EveryKind()
        html = render_template_string(HIDDEN_FIELDS, form=form)
    page = read(html)
    again = MultiDict(page.hidden_inputs)

    assert "submit" not in again
    assert again.getlist("several") == posted.getlist("several")
    with app.test_request_context(method="POST", data=again):
        copy = EveryKind()
        assert copy.data == form.data
    assert copy.unticked.data is False
    assert "unticked" not in again


def test_hidden_fields_write_a_form_filled_from_data(app):
    values = {"text": "山田", "several": ["b"], "way": "venue", "menu": "13", "ticked": True}
    with app.test_request_context():
        html = render_template_string(HIDDEN_FIELDS, form=EveryKind(data=values))
    again = MultiDict(read(html).hidden_inputs)

    assert again.getlist("several") == ["b"]
    assert (again["way"], again["menu"], again["ticked"]) == ("venue", "13", "y")
    assert "unticked" not in again


def test_the_confirmation_lists_the_fields_in_the_order_of_the_form(client, make_seminar):
    seminar = make_seminar(delivery=Delivery.HYBRID, venue="INPIT 本部 会議室", capacity=5)
    url = f"/seminars/{seminar.slug}/register"
    form = client.get(url).text
    fields = re.findall(r'<(?:input|select|textarea)[^>]* name="(\w+)"', form)
    on_the_form = list(dict.fromkeys(fields))
    confirmation = post_form(client, url, {**entered(), "attendance_mode": "venue"}).text

    listed = re.findall(r'<dd data-field="(\w+)">', confirmation)

    assert listed[0] == "attendance_mode"
    assert listed == [name for name in on_the_form if name in listed]
    assert set(on_the_form) - set(listed) == {"csrf_token"}
