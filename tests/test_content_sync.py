"""`flask content sync`: the shipped catalogue, idempotence, updates, and refusal of bad files."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from seminar_app.auth.models import User
from seminar_app.catalogue.models import Seminar
from seminar_app.domain import Level, Role, SeminarStatus
from seminar_app.timeutil import fiscal_year_of

CONTENT = Path(__file__).resolve().parent.parent / "content"
#: The day the FY2026 programme was written: "upcoming" is counted from there.
SHIPPED_ON = datetime(2026, 11, 25, tzinfo=UTC)


def run_sync(app, root: Path):
    return app.test_cli_runner().invoke(args=["content", "sync", "--path", str(root)])


@pytest.fixture
def content_copy(tmp_path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def count_seminars(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Seminar))


def test_shipped_catalogue_loads_with_both_programmes(app, db_session):
    result = run_sync(app, CONTENT)
    assert result.exit_code == 0, result.output
    seminars = db_session.scalars(select(Seminar)).all()
    fy2020 = [s for s in seminars if fiscal_year_of(s.starts_at) == 2020]
    assert len(fy2020) == 6 and all(s.delivery == "online" for s in fy2020)
    upcoming_fy2026 = [
        s
        for s in seminars
        if fiscal_year_of(s.starts_at) == 2026
        and s.host_type == "agency"
        and s.status == SeminarStatus.PUBLISHED
        and s.starts_at > SHIPPED_ON
    ]
    assert len(upcoming_fy2026) >= 8
    assert {s.level for s in upcoming_fy2026} >= set(Level)
    assert {s.series for s in upcoming_fy2026} == {"trade-secret-ip-strategy", "ip-utilization"}
    assert {s.delivery for s in upcoming_fy2026} == {"online", "in-person", "hybrid"}
    lecturer = db_session.scalar(select(User).where(User.email.like("%@example.org")))
    assert Role.LECTURER in lecturer.roles and lecturer.password_hash is None


def test_second_run_changes_nothing_and_says_so(app, db_session, content_copy):
    assert run_sync(app, content_copy).exit_code == 0
    result = run_sync(app, content_copy)
    assert result.exit_code == 0
    assert "Nothing changed" in result.output


def test_edited_file_updates_its_seminar(app, db_session, content_copy):
    assert run_sync(app, content_copy).exit_code == 0
    path = content_copy / "seminars/fy2026/2027-01-28-trade-secret-workshop.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("capacity: 24", "capacity: 30"), encoding="utf-8")
    result = run_sync(app, content_copy)
    assert result.exit_code == 0 and "updated  2027-01-28-trade-secret-workshop" in result.output
    seminar = db_session.scalar(
        select(Seminar).where(Seminar.slug == "2027-01-28-trade-secret-workshop")
    )
    assert seminar.capacity == 30


@pytest.mark.parametrize(
    ("replace", "field"),
    [
        (("level: workshop", "level: expert"), "level"),
        (('time: "13:30-16:30"', 'time: "16:30-13:30"'), "time"),
        (("capacity: 24", "capacity: -3"), "capacity"),
        (
            ('registration_closes: "2027-01-26 17:00"', 'registration_closes: "2027-01-29 17:00"'),
            "registration_closes",
        ),
        (("delivery: in-person", "delivery: online"), "meeting_url"),
        (("capacity: 24", "capasity: 24"), "capasity"),
    ],
)
def test_invalid_file_is_refused_with_path_field_and_reason(
    app, db_session, content_copy, replace, field
):
    name = "seminars/fy2026/2027-01-28-trade-secret-workshop.md"
    path = content_copy / name
    text = path.read_text(encoding="utf-8")
    assert replace[0] in text
    path.write_text(text.replace(*replace), encoding="utf-8")
    before = count_seminars(db_session)
    result = run_sync(app, content_copy)
    assert result.exit_code != 0
    assert f"{name}: {field}:" in result.output
    assert "nothing was written" in result.output
    assert count_seminars(db_session) == before


def test_one_bad_file_stops_the_whole_run(app, db_session, content_copy):
    good = content_copy / "seminars/fy2026/2027-03-03-ip-utilization-financing.md"
    good.write_text(
        good.read_text(encoding="utf-8").replace("capacity: 200", "capacity: 210"), encoding="utf-8"
    )
    (content_copy / "seminars/fy2026/2027-03-30-broken.md").write_text(
        "---\ntitle: [unclosed\n---\n", encoding="utf-8"
    )
    result = run_sync(app, content_copy)
    assert result.exit_code != 0
    assert "2027-03-30-broken.md: header:" in result.output
    assert count_seminars(db_session) == 0


def test_file_in_the_wrong_fiscal_year_folder_is_refused(app, db_session, content_copy):
    source = content_copy / "seminars/fy2026/2027-01-28-trade-secret-workshop.md"
    source.rename(content_copy / "seminars/fy2020/2027-01-28-trade-secret-workshop.md")
    result = run_sync(app, content_copy)
    assert result.exit_code != 0 and "falls in fiscal year 2026" in result.output


def test_unknown_lecturer_is_refused(app, db_session, content_copy):
    path = content_copy / "seminars/fy2026/2027-01-28-trade-secret-workshop.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("lecturers: [", "lecturers: [nobody@example.org, "), encoding="utf-8"
    )
    result = run_sync(app, content_copy)
    assert result.exit_code != 0 and "nobody@example.org is not listed" in result.output
