from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.auth.services import find_user
from seminar_app.domain import Role
from seminar_app.notifications.models import OutboxMessage
from tests.conftest import login, post_form


def test_admin_creates_a_colleague_who_gets_an_invitation(client, make_user, db_session):
    login(client, make_user(Role.ADMIN))
    response = post_form(
        client,
        "/console/staff/new",
        {
            "email": "new.colleague@example.org",
            "display_name": "新人 花子",
            "roles": ["reception"],
            "active": "y",
        },
    )
    assert response.status_code == 302
    user = find_user(db_session, "new.colleague@example.org")
    assert user.roles == {Role.RECEPTION} and user.password_hash is None
    mail = db_session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == user.email))
    assert mail.kind == "password-reset"


def test_admin_changes_roles_and_disables(client, make_user, db_session):
    login(client, make_user(Role.ADMIN))
    colleague = make_user(Role.LECTURER)
    response = post_form(
        client,
        f"/console/staff/{colleague.id}",
        {"display_name": colleague.display_name, "roles": ["lecturer", "organizer"]},
    )
    assert response.status_code == 302
    assert colleague.roles == {Role.LECTURER, Role.ORGANIZER} and colleague.active is False
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "user.updated"))
    assert event.details["after"]["active"] is False


def test_admin_cannot_lock_themselves_out(client, make_user):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    response = post_form(
        client,
        f"/console/staff/{admin.id}",
        {"display_name": "x", "roles": ["organizer"], "active": "y"},
    )
    assert response.status_code == 400
    assert Role.ADMIN in admin.roles


def test_role_is_required(client, make_user):
    login(client, make_user(Role.ADMIN))
    colleague = make_user(Role.LECTURER)
    response = post_form(
        client, f"/console/staff/{colleague.id}", {"display_name": "x", "active": "y"}
    )
    assert response.status_code == 400 and colleague.roles == {Role.LECTURER}


def test_organizer_is_not_an_admin(client, make_user):
    login(client, make_user(Role.ORGANIZER))
    assert client.get("/console/staff/").status_code == 403
