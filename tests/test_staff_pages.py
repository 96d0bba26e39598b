"""Which pages are staff pages has one home: the role check (auth.access.check_roles). A page
it lets through has `<body class="staff">` (the width of the screen, for its tables); a
public page has not, even when a member of staff reads it."""

from __future__ import annotations

import re

import pytest
from flask import g, render_template_string

from seminar_app.auth.access import check_roles
from seminar_app.auth.sessions import sign_in
from seminar_app.domain import Role
from tests.conftest import login

BODY = re.compile(r"<body([^>]*)>")


def body_class(html: str) -> str:
    match = BODY.search(html)
    assert match is not None, html[:300]
    found = re.search(r'class="([^"]*)"', match.group(1))
    return found.group(1) if found else ""


@pytest.fixture
def staff_client(client, make_user):
    """Logged in as someone holding every role, so that each staff page opens."""
    login(client, make_user(*Role))
    return client


@pytest.mark.parametrize(
    "path",
    ["/staff", "/console/", "/console/reports/", "/console/consultations/", "/lecturer/",
     "/account/password", "/console/staff/"],
)  # fmt: skip
def test_a_staff_page_is_laid_out_for_staff(staff_client, path):
    response = staff_client.get(path)

    assert response.status_code == 200, path
    assert "staff" in body_class(response.get_data(as_text=True)).split()


def test_a_seminars_desk_and_console_page_are_staff_pages(staff_client, make_seminar):
    seminar = make_seminar()
    for path in (f"/desk/{seminar.id}", f"/console/seminars/{seminar.id}"):
        response = staff_client.get(path)
        assert response.status_code == 200, path
        assert "staff" in body_class(response.get_data(as_text=True)).split(), path


@pytest.mark.parametrize("logged_in", [False, True], ids=["visitor", "staff"])
def test_a_public_page_is_not_a_staff_page(client, make_user, make_seminar, logged_in):
    seminar = make_seminar()
    if logged_in:
        login(client, make_user(*Role))
    for path in ("/", f"/seminars/{seminar.slug}", f"/seminars/{seminar.slug}/register"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "staff" not in body_class(response.get_data(as_text=True)).split(), path


def test_the_login_page_and_a_refused_page_are_not_staff_pages(client, make_user):
    assert "staff" not in body_class(client.get("/login").get_data(as_text=True)).split()
    login(client, make_user(Role.RECEPTION))

    refused = client.get("/console/")

    assert refused.status_code == 403
    assert "staff" not in body_class(refused.get_data(as_text=True)).split()


def test_any_page_behind_the_role_check_is_a_staff_page_whatever_its_address(app, make_user):
    # A new staff blueprint needs no list of addresses: passing the check is what counts.
    user = make_user(Role.ORGANIZER)
    page = '{% extends "base.html" %}{% block content %}<h1>新しい画面</h1>{% endblock %}'
    with app.test_request_context("/a-new-staff-blueprint/"):
        sign_in(user)
        assert "staff" not in body_class(render_template_string(page)).split()
        check_roles(Role.ORGANIZER)
        assert g.staff_page is True
        assert "staff" in body_class(render_template_string(page)).split()
