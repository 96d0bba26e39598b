"""The registration form's three steps, 入力 → 確認 → 完了: the person sees what they
entered before anything is sent, can go back with every field kept, and the seat is taken
only when they confirm (issue 16 item 8)."""

from __future__ import annotations

from html.parser import HTMLParser

from sqlalchemy import func, select

from seminar_app.notifications.models import OutboxMessage
from seminar_app.registration import services
from seminar_app.registration.models import Registration
from tests.conftest import post_form
from tests.registration_helpers import details_data, register

QUESTION = 'Is "<b>bold</b>" & fine?\nSecond line'


class Page(HTMLParser):
    """What a page offers to post: its hidden inputs, the values of its visible fields
    (selected options, ticked boxes) and the names of its submit buttons; and the step
    marked as current."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
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
        elif tag == "input" and attributes.get("type") == "checkbox":
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
