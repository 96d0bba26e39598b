"""Every form that asks for a participant's fields draws them with one macro: the same
required marks, aria-required and error ties on the registration, the participant's own
correction, the desk's walk-in and the privacy correction."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from seminar_app.domain import Role
from seminar_app.registration.details import ALWAYS_REQUIRED, parse_details
from tests.conftest import login, post_form
from tests.registration_helpers import register

#: The fields the privacy correction asks for among those always required.
ABOUT = {"name", "email"}


class FormFields(HTMLParser):
    """The page's inputs with their attributes, and the fields whose label carries the
    required mark: beside a label (its `for`), or inside a check box's own label."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.marked: set[str] = set()
        self._owner: str | None = None  # the field the label being read belongs to
        self._in_mark = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("input", "select", "textarea"):
            if attributes.get("type") not in ("hidden", "submit") and attributes.get("name"):
                self.inputs[attributes["name"]] = attributes
                if self._owner is None:  # an input inside its label (a check box)
                    self._owner = attributes["name"]
        elif tag == "label":
            self._owner = attributes.get("for")
        elif tag == "span" and "required-mark" in (attributes.get("class") or "").split():
            self._in_mark = True

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_mark = False

    def handle_data(self, data):
        if self._in_mark and data.strip() and self._owner:
            self.marked.add(self._owner)


def fields_of(html: str) -> FormFields:
    parser = FormFields()
    parser.feed(html)
    return parser


def assert_marked_alike(html: str, expected: set[str]) -> FormFields:
    page = fields_of(html)
    assert page.marked == expected
    for name, attributes in page.inputs.items():
        if name in expected:
            assert attributes.get("aria-required") == "true", name
        else:
            assert "aria-required" not in attributes, name
    return page


@pytest.fixture
def seminar(make_seminar):
    return make_seminar()


def test_always_required_is_what_parse_details_refuses_to_go_without():
    _details, errors = parse_details({})
    assert set(errors) == set(ALWAYS_REQUIRED)


def test_registration_form_marks_the_required_fields_and_the_privacy_agreement(client, seminar):
    html = client.get(f"/seminars/{seminar.slug}/register").get_data(as_text=True)
    assert_marked_alike(html, {*ALWAYS_REQUIRED, "privacy_notice_agreed"})


def test_correction_form_marks_the_same_fields_but_the_fixed_address(client, db_session, seminar):
    registration = register(db_session, seminar)
    html = client.get(f"/r/{registration.manage_token}/edit").get_data(as_text=True)
    page = assert_marked_alike(html, set(ALWAYS_REQUIRED) - {"email"})
    assert "email" not in page.inputs


def test_walk_in_form_marks_the_same_fields(client, make_user, seminar):
    login(client, make_user(Role.RECEPTION))
    html = client.get(f"/desk/{seminar.id}/walk-in").get_data(as_text=True)
    page = assert_marked_alike(html, set(ALWAYS_REQUIRED))
    assert set(page.inputs) >= set(ALWAYS_REQUIRED)


def test_privacy_correction_marks_the_fields_it_has(client, db_session, make_user, seminar):
    registration = register(db_session, seminar)
    login(client, make_user(Role.ORGANIZER))
    url = f"/console/privacy/registration/{registration.id}/correct"
    html = client.get(url).get_data(as_text=True)
    page = assert_marked_alike(html, ABOUT)
    assert set(page.inputs) >= ABOUT


def test_an_error_is_tied_to_its_field_on_every_participant_form(
    client, db_session, make_user, seminar
):
    """A refused field says so (aria-invalid) and points at its message, on each form."""
    pages = []
    response = post_form(client, f"/seminars/{seminar.slug}/register", {"name": ""})
    pages.append(response.get_data(as_text=True))
    registration = register(db_session, seminar)
    response = post_form(client, f"/r/{registration.manage_token}/edit", {"name": ""})
    pages.append(response.get_data(as_text=True))
    login(client, make_user(Role.ORGANIZER))
    response = post_form(client, f"/desk/{seminar.id}/walk-in", {"name": ""})
    pages.append(response.get_data(as_text=True))
    url = f"/console/privacy/registration/{registration.id}/correct"
    pages.append(post_form(client, url, {"name": ""}).get_data(as_text=True))
    for html in pages:
        name = fields_of(html).inputs["name"]
        assert name.get("aria-invalid") == "true"
        assert "name-error" in (name.get("aria-describedby") or "").split()
        assert 'id="name-error"' in html
