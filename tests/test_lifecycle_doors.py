"""One lifecycle, four doors: the console, the staff API, content sync and the historic import.

The same change (the start moved by an hour, the capacity raised from 1 to 24) made through
the console, the API and a content file leaves the same state and queues the same mails:
an updated invite with a higher SEQUENCE to the seat, and a seat for the waitlisted person.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import lxml.html
import pytest
from sqlalchemy import select

from seminar_app.audit.models import AuditEvent
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import RegistrationStatus, Role, SeminarStatus
from seminar_app.notifications.models import OutboxMessage
from seminar_app.timeutil import fiscal_year_of, to_jst, utcnow
from tests.conftest import login, post_form
from tests.registration_helpers import register
from tests.test_registration_api import bearer, issue_token

DOORS = ("console", "api", "content")


def content_file(starts, *, start_time: str, capacity: int) -> str:
    day = to_jst(starts).date().isoformat()
    return f"""---
title: 営業秘密・知財戦略セミナー（初級）
series: trade-secret-ip-strategy
level: beginner
host_type: agency
delivery: in-person
status: published
date: {day}
time: "{start_time}"
venue: 知財戦略支援センター 5階 研修室
capacity: {capacity}
registration_opens: "{to_jst(utcnow() - timedelta(days=5)).strftime("%Y-%m-%d %H:%M")}"
lecturers: []
---
営業秘密の基礎を学びます。
"""


@pytest.fixture
def catalogue(tmp_path) -> tuple[Path, object]:
    root = tmp_path / "content"
    starts = utcnow() + timedelta(days=40)
    folder = root / "seminars" / f"fy{fiscal_year_of(starts)}"
    folder.mkdir(parents=True)
    (root / "lecturers.yml").write_text("[]\n", encoding="utf-8")
    for door in DOORS:
        (folder / f"door-{door}.md").write_text(
            content_file(starts, start_time="14:00-16:00", capacity=1), encoding="utf-8"
        )
    return root, starts


def sync(app, root: Path) -> None:
    result = app.test_cli_runner().invoke(args=["content", "sync", "--path", str(root)])
    assert result.exit_code == 0, result.output


def edit_form_of(page: str) -> dict[str, object]:
    """What the edit form would send as it stands: inputs, choices and text."""
    form = next(f for f in lxml.html.fromstring(page).forms if "title" in f.fields)
    return dict(form.form_values())


def through_console(app, client, seminar, organizer, root, starts) -> None:
    login(client, organizer)
    url = f"/console/seminars/{seminar.id}/edit"
    data = edit_form_of(client.get(url).get_data(as_text=True))
    data.update(start_time="15:00", end_time="17:00", capacity="24")
    response = post_form(client, url, data)
    body = response.get_data(as_text=True)
    assert response.status_code == 302, body[body.find("<main") :][:3000]


def through_api(app, client, seminar, organizer, root, starts) -> None:
    token = issue_token(app, organizer)
    response = client.patch(
        f"/api/v1/seminars/{seminar.id}",
        json={
            "starts_at": (seminar.starts_at + timedelta(hours=1)).isoformat(),
            "ends_at": (seminar.ends_at + timedelta(hours=1)).isoformat(),
            "capacity": 24,
        },
        headers=bearer(token),
    )
    assert response.status_code == 200, response.get_json()


def through_content(app, client, seminar, organizer, root, starts) -> None:
    path = root / "seminars" / f"fy{fiscal_year_of(starts)}" / "door-content.md"
    path.write_text(content_file(starts, start_time="15:00-17:00", capacity=24), encoding="utf-8")
    sync(app, root)


@pytest.fixture
def organizer(make_user):
    return make_user(Role.ORGANIZER)


def outcome(db_session, seminar, people, first_mail_id) -> dict[str, object]:
    db_session.expire_all()
    seminar = db_session.get(Seminar, seminar.id)
    role_of = {person.email: role for role, person in people.items()}
    mails = db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.id > first_mail_id).order_by(OutboxMessage.id)
    ).all()
    return {
        "start (JST)": to_jst(seminar.starts_at).strftime("%H:%M"),
        "capacity": seminar.capacity,
        "sequence": seminar.calendar_sequence,
        "statuses": {role: db_session.get(type(p), p.id).status for role, p in people.items()},
        "mails": sorted(
            (mail.kind, role_of[mail.recipient]) for mail in mails if mail.recipient in role_of
        ),
    }


@pytest.mark.parametrize("door", DOORS)
def test_the_same_change_through_every_door_gives_the_same_state_and_mails(
    app, client, db_session, catalogue, organizer, door
):
    root, starts = catalogue
    sync(app, root)
    seminar = db_session.scalar(select(Seminar).where(Seminar.slug == f"door-{door}"))
    assert (seminar.status, seminar.capacity) == (SeminarStatus.PUBLISHED, 1)
    people = {
        "seated": register(db_session, seminar, email=f"seated-{door}@example.jp"),
        "waiting": register(db_session, seminar, email=f"waiting-{door}@example.jp"),
    }
    assert people["waiting"].status == RegistrationStatus.WAITLISTED
    first_mail_id = db_session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))

    change = {"console": through_console, "api": through_api, "content": through_content}[door]
    change(app, client, seminar, organizer, root, starts)

    assert outcome(db_session, seminar, people, first_mail_id) == {
        "start (JST)": "15:00",
        "capacity": 24,
        "sequence": 1,
        "statuses": {"seated": "confirmed", "waiting": "confirmed"},
        "mails": [("registration.promoted", "waiting"), ("seminar.changed", "seated")],
    }
    [event] = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "seminar.updated", AuditEvent.subject_id == str(seminar.id)
        )
    ).all()
    assert {"starts_at", "ends_at", "capacity"} <= set(event.details["fields"])


HISTORIC_HEADER = "date,title,series,level,host_type,delivery,attendees,organization\n"


def import_historic(app, tmp_path, rows: str):
    path = tmp_path / "past.csv"
    path.write_text(HISTORIC_HEADER + rows, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["import", "historic", str(path)])


def test_the_historic_import_creates_and_publishes_through_the_lifecycle(app, db_session, tmp_path):
    result = import_historic(
        app,
        tmp_path,
        "2019-12-10,社内研修,trade-secret-ip-strategy,beginner,in-company,"
        "in-person,25,株式会社サンプル精機\n",
    )
    assert result.exit_code == 0, result.output
    seminar = db_session.scalar(select(Seminar).where(Seminar.slug.startswith("historic-")))
    assert (seminar.status, seminar.head_count) == (SeminarStatus.PUBLISHED, 25)
    actions = db_session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.subject_type == "seminar", AuditEvent.subject_id == str(seminar.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["seminar.created", "seminar.published", "attendance.head_count_set"]


def test_the_historic_import_refuses_what_the_seminar_rules_refuse(app, db_session, tmp_path):
    result = import_historic(
        app,
        tmp_path,
        "2019-12-10,社内研修,trade-secret-ip-strategy,beginner,in-company,in-person,25,\n"
        "2019-12-11,x,trade-secret-ip-strategy,beginner,agency,in-person,25,\n",
    )
    assert result.exit_code != 0
    # The console's own message for the same seminar, named by the file's column.
    assert "line 2: organization: Name the organization that hosts it." in result.output
    assert "line 3" not in result.output
    assert db_session.scalar(select(Seminar.id).limit(1)) is None
