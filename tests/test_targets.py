"""The year's targets (年度計画) against its results, and the commentary (所感) an organizer
keeps with the year for the activity report's slides."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from sqlalchemy import func, select

from seminar_app.auth.services import issue_api_token
from seminar_app.domain import Role
from seminar_app.reports import plans
from seminar_app.reports.models import FiscalYearTarget, SlideCommentary
from seminar_app.reports.services import fiscal_year_figures
from tests.conftest import post_form
from tests.test_satisfaction import agency_seminar, answer_survey

FY = 2025
NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def year_with_results(db_session, make_seminar):
    """Two agency seminars with 30 and 25 attendees; 3 of 4 answers satisfied (75%)."""
    first = agency_seminar(make_seminar, 6, None)
    first.head_count = 30
    second = agency_seminar(make_seminar, 7, None)
    second.head_count = 25
    answer_survey(db_session, first, [5, 4, 4, 2])
    db_session.flush()
    return db_session


def test_each_target_has_its_result_and_rate_above_or_below(year_with_results):
    session = year_with_results
    plans.set_targets(
        session,
        FY,
        {"seminars": 4, "participants": 50, "satisfaction": 80, "consultations": None},
        by=None,
    )
    targets = fiscal_year_figures(session, FY, NOW).targets
    assert (targets["seminars"].target, targets["seminars"].result) == (4, 2)
    assert targets["seminars"].rate == 0.5  # below
    assert (targets["participants"].result, targets["participants"].rate) == (55, 1.1)  # above
    assert targets["satisfaction"].target == 0.8 and targets["satisfaction"].result == 0.75
    assert targets["satisfaction"].rate == round(0.75 / 0.8, 4)
    # Unset: no target and no rate, though the result is known.
    assert (targets["elearning_views"].target, targets["elearning_views"].rate) == (None, None)
    assert targets["consultations"].rate is None


def test_a_year_without_a_plan_has_results_but_no_targets(year_with_results):
    targets = fiscal_year_figures(year_with_results, FY, NOW).targets
    assert {name: item.target for name, item in targets.items()} == dict.fromkeys(targets)
    assert targets["participants"].result == 55


def test_setting_targets_again_replaces_them(db_session):
    plans.set_targets(db_session, FY, {"seminars": 4, "participants": 50}, by=None)
    plans.set_targets(db_session, FY, {"seminars": 6}, by=None)
    assert plans.targets_of(db_session, FY)["seminars"] == 6
    assert plans.targets_of(db_session, FY)["participants"] is None


@pytest.mark.parametrize(
    ("values", "field"),
    [({"satisfaction": 101}, "satisfaction"), ({"seminars": -1}, "seminars")],
)
def test_the_rules_refuse_a_target_out_of_range_and_keep_nothing(db_session, values, field):
    with pytest.raises(plans.PlanRefused) as refused:
        plans.set_targets(db_session, FY, values, by=None)
    assert list(refused.value.problems) == [field]
    assert db_session.get(FiscalYearTarget, FY) is None


def test_the_targets_form_refuses_field_by_field_and_writes_nothing(organizer_client, db_session):
    page = f"/console/reports/{FY}/targets"
    response = post_form(
        organizer_client,
        page,
        {"seminars": "六", "participants": "50", "satisfaction": "120", "elearning_views": "-3"},
        headers={"Accept-Language": "ja"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count("0から1000000までの整数を入力してください。") == 2  # seminars, views
    assert "0から100までの整数を入力してください。" in html
    assert db_session.scalar(select(func.count()).select_from(FiscalYearTarget)) == 0


def test_the_targets_form_keeps_full_width_digits_and_empty_fields(organizer_client, db_session):
    response = post_form(
        organizer_client,
        f"/console/reports/{FY}/targets",
        {"seminars": "６", "participants": "1,200", "satisfaction": "80", "consultations": ""},
    )
    assert response.status_code == 302
    assert plans.targets_of(db_session, FY) == {
        "consultations": None,
        "seminars": 6,
        "participants": 1200,
        "satisfaction": 80,
        "elearning_views": None,
    }
    report = organizer_client.get(f"/console/reports/?fy={FY}").get_data(as_text=True)
    assert f"/console/reports/{FY}/targets" in report and "80.0%" in report


def test_api_xlsx_and_deck_show_target_result_and_rate(
    year_with_results, client, organizer_client, make_user
):
    session = year_with_results
    plans.set_targets(session, FY, {"seminars": 4, "participants": 50}, by=None)
    token = issue_api_token(session, make_user(Role.ORGANIZER))
    session.commit()
    fy = fiscal_year_figures(session, FY, NOW)
    api = client.get(
        f"/api/v1/reports/fiscal-years/{FY}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()["targets"]
    assert api["seminars"] == {"target": 4, "result": 2, "rate": 0.5}
    assert api["participants"] == {"target": 50, "result": fy.attendees.total, "rate": 1.1}
    assert api["consultations"]["target"] is None

    book = load_workbook(io.BytesIO(organizer_client.get(f"/console/reports/{FY}.xlsx").data))
    rows = list(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert rows[1][1:] == (4, 2, 0.5) and rows[2][1:] == (50, 55, 1.1)
    assert rows[0][1] == "—"

    deck = Presentation(
        io.BytesIO(organizer_client.get(f"/console/reports/{FY}/activity.pptx").data)
    )
    (slide,) = [s for s in deck.slides if s.shapes[0].text_frame.text == "年度計画に対する実績"]
    (table,) = [shape.table for shape in slide.shapes if shape.has_table]
    lines = [[cell.text for cell in row.cells] for row in table.rows]
    assert ["セミナー開催回数", "4回", "2回", "50.0%"] in lines
    assert ["セミナー参加者数", "50名", "55名", "110.0%"] in lines
    assert ["相談件数", "—", "—", "—"] in lines


def test_commentary_is_kept_with_the_year_and_printed_on_its_slide(organizer_client, db_session):
    response = post_form(
        organizer_client,
        f"/console/reports/{FY}/commentary",
        {"trend": "相談件数は増加した。\r\n来年度も継続する。", "programme": "  "},
    )
    assert response.status_code == 302
    assert plans.commentary_of(db_session, FY) == {
        "trend": "相談件数は増加した。\n来年度も継続する。"
    }
    assert plans.commentary_of(db_session, FY - 1) == {}
    deck = Presentation(
        io.BytesIO(organizer_client.get(f"/console/reports/{FY}/activity.pptx").data)
    )
    (trend,) = [s for s in deck.slides if s.shapes[0].text_frame.text == "相談件数の推移"]
    texts = [shape.text_frame.text for shape in trend.shapes if shape.has_text_frame]
    assert "【所感】相談件数は増加した。\n来年度も継続する。" in texts
    other = Presentation(
        io.BytesIO(organizer_client.get(f"/console/reports/{FY - 1}/activity.pptx").data)
    )
    assert not [
        shape
        for slide in other.slides
        for shape in slide.shapes
        if shape.has_text_frame and "【所感】" in shape.text_frame.text
    ]


def test_too_long_a_commentary_is_refused_and_nothing_changes(organizer_client, db_session):
    plans.set_commentary(db_session, FY, {"trend": "前の所感"}, {"trend": ""}, by=None)
    db_session.commit()
    response = post_form(
        organizer_client,
        f"/console/reports/{FY}/commentary",
        {"trend": "新しい所感", "programme": "長" * (plans.MAX_COMMENTARY + 1)},
        headers={"Accept-Language": "ja"},
    )
    assert response.status_code == 422
    assert f"{plans.MAX_COMMENTARY}文字以内で入力してください。" in response.get_data(as_text=True)
    assert db_session.scalars(select(SlideCommentary.text)).all() == ["前の所感"]


def test_the_rules_refuse_a_slide_the_deck_does_not_have(db_session):
    with pytest.raises(plans.PlanRefused) as refused:
        plans.set_commentary(db_session, FY, {"nowhere": "x"}, {"trend": ""}, by=None)
    assert list(refused.value.problems) == ["nowhere"]


def test_a_target_of_thousands_of_digits_is_refused_with_a_message(organizer_client, db_session):
    """Python refuses to convert more than 4,300 digits: the form judges the length first."""
    response = post_form(
        organizer_client,
        f"/console/reports/{FY}/targets",
        {"seminars": "9" * 5000, "satisfaction": "0" * 10 + "80"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "Enter a whole number from 0 to 1000000." in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(FiscalYearTarget)) == 0


# ---------------------------------------------------------------- two organizers at once


@pytest.fixture
def postgres_app(tmp_path):
    """An application on an empty PostgreSQL database of its own, migrated; dropped after."""
    from flask_migrate import upgrade

    from seminar_app.extensions import db
    from tests.conftest import fresh_database_url, make_app

    url = fresh_database_url("postgresql", tmp_path, "seminar_plans")
    application = make_app(url)
    with application.app_context():
        upgrade()
        yield application
        db.engine.dispose()
    with psycopg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def psycopg_admin():
    import psycopg

    from tests.conftest import PG_HOST, PG_PORT, PG_USER

    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    )


def _saved_at_the_same_moment(app, first_save, second_save) -> list[str]:
    """The first organizer's save is written, not yet committed; the second's waits on
    its row in the database; then the first commits. Each outcome: "ok" or the error."""
    import threading

    from sqlalchemy.orm import Session

    from seminar_app.extensions import db
    from tests.waiting import patience, wait_until

    outcomes: dict[str, str] = {}

    def save(name: str, action, session: Session) -> None:
        try:
            with app.app_context():
                action(session)
                session.commit()
            outcomes[name] = "ok"
        except Exception as exc:  # the outcome under test: an error is reported, not raised
            session.rollback()
            outcomes[name] = repr(exc)

    def waiting_on_a_lock() -> bool:
        with db.engine.connect() as connection:
            return bool(
                connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                ).scalar()
            )

    with Session(db.engine) as first, Session(db.engine) as second:
        first_save(first)
        first.flush()
        other = threading.Thread(target=save, args=("second", second_save, second))
        other.start()
        assert wait_until(waiting_on_a_lock, timeout=30)
        first.commit()
        other.join(timeout=patience(120))
    outcomes["first"] = "ok"
    return [outcomes["first"], outcomes.get("second", "still waiting")]


def test_targets_saved_at_the_same_moment_keep_the_later_ones(postgres_app):
    outcomes = _saved_at_the_same_moment(
        postgres_app,
        lambda session: plans.set_targets(session, FY, {"seminars": 6}, by=None),
        lambda session: plans.set_targets(session, FY, {"seminars": 9}, by=None),
    )
    assert outcomes == ["ok", "ok"]
    from seminar_app.extensions import db

    assert plans.targets_of(db.session, FY)["seminars"] == 9


def test_commentary_saved_at_the_same_moment_keeps_the_later_text(postgres_app):
    from seminar_app.extensions import db
    from seminar_app.reports.activity import SLIDES

    def saving(text: str):
        return lambda session: plans.set_commentary(
            session, FY, {"trend": text, "summary": ""}, SLIDES, by=None
        )

    outcomes = _saved_at_the_same_moment(postgres_app, saving("一人目"), saving("二人目"))
    assert outcomes == ["ok", "ok"]
    assert plans.commentary_of(db.session, FY) == {"trend": "二人目"}


def test_elearning_views_count_in_the_year_they_were_opened(db_session, make_seminar):
    """A FY2024 seminar's recording opened on the last evening of FY2024 and just after
    midnight (Tokyo) on 1 April 2025: one view in each year, whatever the seminar's year."""
    from seminar_app.domain import RecordingAudience
    from seminar_app.elearning.models import Recording
    from seminar_app.elearning.services import record_view

    seminar = agency_seminar(make_seminar, 6, None)
    seminar.starts_at = seminar.starts_at.replace(year=2024)
    seminar.ends_at = seminar.ends_at.replace(year=2024)
    recording = Recording(
        seminar_id=seminar.id,
        title="録画",
        url="https://example.org/recording",
        audience=RecordingAudience.EVERYONE,
    )
    db_session.add(recording)
    db_session.flush()
    record_view(db_session, recording, None, datetime(2025, 3, 31, 14, 59, tzinfo=UTC))
    record_view(db_session, recording, None, datetime(2025, 3, 31, 15, 10, tzinfo=UTC))
    db_session.flush()
    plans.set_targets(db_session, 2025, {"elearning_views": 4}, by=None)
    assert fiscal_year_figures(db_session, 2024, NOW).recordings.opened == 1
    figures = fiscal_year_figures(db_session, 2025, NOW)
    assert figures.recordings.opened == 1
    assert figures.targets["elearning_views"].rate == 0.25


def test_the_slide_keys_commentary_is_kept_under_stay_as_they_are():
    """Commentary is stored under these keys (set_commentary refuses any other): renaming
    one would orphan what organizers wrote, so a rename needs a migration moving the rows
    and this list changed with it. New slides only add keys."""
    from seminar_app.reports.activity import SLIDES

    kept = {
        "overview",
        "trend",
        "attribute",
        "employee_band",
        "industry",
        "topic",
        "prefecture",
        "referring_desk",
        "referral",
        "step",
        "programme",
        "summary",
        "satisfaction",
        "targets",
        "links",
    }
    assert kept <= set(SLIDES)
    assert all(len(key) <= 40 for key in SLIDES)  # slide_commentaries.slide is String(40)
