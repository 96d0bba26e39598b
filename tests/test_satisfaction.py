"""Satisfaction as the agency states it: the share of survey answers rating it 4 or 5, per
seminar, series and level, in the report, the API and the deck; None where nobody answered."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from pptx import Presentation

from seminar_app.auth.services import issue_api_token
from seminar_app.domain import Delivery, HostType, Level, Role, Series
from seminar_app.reports.activity import build_deck
from seminar_app.reports.services import fiscal_year_figures, fiscal_year_report
from seminar_app.reports.tables import percent_text
from seminar_app.surveys.models import Survey, SurveyAnswer
from seminar_app.surveys.services import standard_questions
from tests.registration_helpers import register

FY = 2025
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def answer_survey(session, seminar, ratings: list[int | None]) -> None:
    """One answer per rating (None: the satisfaction question left out) from new registrants."""
    survey = Survey(seminar_id=seminar.id, questions=standard_questions())
    session.add(survey)
    session.flush()
    for number, rating in enumerate(ratings):
        registration = register(
            session,
            seminar,
            now=seminar.starts_at - timedelta(days=10),
            email=f"answer{seminar.id}-{number}@example.com",
        )
        answers = {"understanding": 3} if rating is None else {"satisfaction": rating}
        session.add(
            SurveyAnswer(survey_id=survey.id, registration_id=registration.id, answers=answers)
        )
    session.flush()


def agency_seminar(make_seminar, month: int, level, series=Series.TRADE_SECRET_IP_STRATEGY):
    return make_seminar(
        starts_at=datetime(2025, month, 10, 5, tzinfo=UTC),
        host_type=HostType.AGENCY,
        delivery=Delivery.ONLINE,
        series=series,
        level=level,
        registration_opens_at=None,
        registration_closes_at=None,
    )


def test_satisfaction_is_the_share_rating_4_or_5_per_seminar_series_and_level(
    db_session, make_seminar
):
    beginner = agency_seminar(make_seminar, 6, Level.BEGINNER)
    intermediate = agency_seminar(make_seminar, 7, Level.INTERMEDIATE)
    utilization = agency_seminar(make_seminar, 8, None, series=Series.IP_UTILIZATION)
    unanswered = agency_seminar(make_seminar, 9, Level.BEGINNER)
    # 5 and 4 count, 3 and below do not; an answer without the rating is not counted at all.
    answer_survey(db_session, beginner, [5, 4, 3, None])
    answer_survey(db_session, intermediate, [5, 5, 5, 1])
    answer_survey(db_session, utilization, [2])

    report = fiscal_year_report(db_session, FY, NOW)
    by_seminar = {row.seminar_id: row.satisfaction for row in report.programme}
    assert by_seminar == {
        beginner.id: round(2 / 3, 4),
        intermediate.id: 0.75,
        utilization.id: 0.0,
        unanswered.id: None,
    }
    assert report.figures.satisfaction == round(5 / 8, 4)
    assert report.surveys.by_level["beginner"].satisfied_share == round(2 / 3, 4)
    assert report.surveys.by_level["none"].satisfied_share == 0.0
    assert report.surveys.by_series["trade-secret-ip-strategy"].satisfied_share == round(5 / 7, 4)
    assert report.surveys.by_series["ip-utilization"].satisfied_share == 0.0


def test_a_year_nobody_answered_has_no_satisfaction_not_zero(db_session, make_seminar):
    agency_seminar(make_seminar, 6, Level.BEGINNER)
    assert fiscal_year_figures(db_session, FY, NOW).satisfaction is None
    assert percent_text(None) == "—"


def test_the_api_gives_the_share_or_null(app, client, db_session, make_seminar, make_user):
    seminar = agency_seminar(make_seminar, 6, Level.BEGINNER)
    answer_survey(db_session, seminar, [5, 4, 4, 1])
    db_session.commit()
    token = issue_api_token(db_session, make_user(Role.ORGANIZER))
    db_session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    answered = client.get(f"/api/v1/reports/fiscal-years/{FY}", headers=headers).get_json()
    empty = client.get("/api/v1/reports/fiscal-years/2019", headers=headers).get_json()
    assert answered["satisfaction"] == 0.75
    assert empty["satisfaction"] is None


def test_the_deck_states_satisfaction_per_seminar_and_for_the_year(db_session, make_seminar):
    seminar = agency_seminar(make_seminar, 6, Level.INTERMEDIATE)
    answer_survey(db_session, seminar, [5, 4, 4, 1])
    deck = Presentation(
        io.BytesIO(build_deck(fiscal_year_report(db_session, FY, NOW), agency_name="本部"))
    )
    texts = [
        cell.text
        for slide in deck.slides
        for shape in slide.shapes
        for cell in (
            [c for row in shape.table.rows for c in row.cells]
            if shape.has_table
            else [shape.text_frame]
            if shape.has_text_frame
            else []
        )
    ]
    assert "75.0%" in texts  # the programme's row and the level's row
    assert any(text.startswith("満足度 75.0%") for text in texts)


def test_the_report_page_states_the_share_per_seminar_and_level(
    organizer_client, db_session, make_seminar
):
    seminar = agency_seminar(make_seminar, 6, Level.INTERMEDIATE)
    answer_survey(db_session, seminar, [5, 4, 4, 1])
    db_session.commit()
    page = organizer_client.get(f"/console/reports/?fy={FY}").get_data(as_text=True)
    # the year's figure, the level's row and the seminar's row
    assert page.count("75.0%") >= 3
