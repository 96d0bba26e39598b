"""The desk's figures of a fiscal year: rows where a desk-year has them, recorded totals where
it has none, unknown where it has neither; per desk or combined; steps over the years."""

from datetime import date

import pytest

from seminar_app.consultations import desks, services
from seminar_app.consultations.figures import (
    UNKNOWN,
    UnknownDesk,
    consultation_figures,
    consultation_years,
)
from seminar_app.consultations.models import Desk
from seminar_app.domain import FigureSource, Role


def record(db_session, held_on: date, *, desk: str = "main", **overrides):
    values = dict(
        held_on=held_on,
        channel="in-person",
        attribute="sme",
        topics=["trade-secret-management"],
        source="direct",
        desk=desk,
    )
    values.update(overrides)
    return services.record_consultation(
        db_session, services.ConsultationInput(**values), advisor=None, by=None
    )


@pytest.fixture
def three_years(db_session, make_user):
    """FY2022 only as totals (both desks), FY2023 totals for main and rows for kansai, FY2024
    rows for main only."""
    organizer = make_user(Role.ORGANIZER)
    main = db_session.query(Desk).filter_by(code="main").one()
    kansai = desks.add_desk(db_session, "kansai", "関西窓口", "Kansai desk", by=organizer)
    desks.record_totals(db_session, 2022, main, 40, 10, by=organizer)
    desks.record_totals(db_session, 2022, kansai, 20, None, by=organizer)
    desks.record_totals(db_session, 2023, main, 30, 5, by=organizer)
    record(db_session, date(2023, 4, 1), desk="kansai", channel="online")
    record(db_session, date(2024, 3, 31), desk="kansai", channel="visit-joint")
    for day in (date(2024, 4, 1), date(2024, 9, 30), date(2025, 3, 31)):
        record(db_session, day, channel="online" if day.month == 9 else "phone")
    db_session.flush()
    return main, kansai


def test_a_year_kept_only_as_totals_is_counted_from_them(db_session, three_years):
    combined = consultation_figures(db_session, 2022)
    assert (combined.source, combined.total, combined.recorded) == (FigureSource.TOTALS, 60, 0)


def test_online_is_unknown_when_a_desks_totals_left_it_out(db_session, three_years):
    assert consultation_figures(db_session, 2022).online is None
    assert consultation_figures(db_session, 2022, "main").online == 10


def test_a_year_of_totals_for_one_desk_and_rows_for_the_other_says_both(db_session, three_years):
    combined = consultation_figures(db_session, 2023)
    assert (combined.source, combined.total, combined.online) == (FigureSource.BOTH, 32, 6)
    assert combined.recorded == 2


def test_each_desk_of_that_year_says_where_its_figure_comes_from(db_session, three_years):
    main = consultation_figures(db_session, 2023, "main")
    kansai = consultation_figures(db_session, 2023, "kansai")
    assert (main.source, main.total, main.online) == (FigureSource.TOTALS, 30, 5)
    assert (kansai.source, kansai.total, kansai.online) == (FigureSource.RECORDS, 2, 1)
    assert kansai.by_channel == {"online": 1, "visit-joint": 1}


def test_the_current_year_in_rows_is_counted_from_them(db_session, three_years):
    combined = consultation_figures(db_session, 2024)
    assert (combined.source, combined.total, combined.online) == (FigureSource.RECORDS, 3, 1)
    assert consultation_figures(db_session, 2024, "kansai").total is None


def test_a_year_nobody_recorded_is_unknown_not_zero(db_session, three_years):
    nothing = consultation_figures(db_session, 2021)
    assert (nothing.source, nothing.total, nothing.online) == (None, None, None)
    assert nothing.recorded == 0


def test_rows_of_a_desk_year_win_over_its_totals(db_session, three_years, make_user):
    main, _kansai = three_years
    desks.record_totals(db_session, 2024, main, 99, 99, by=make_user(Role.ORGANIZER))
    figures = consultation_figures(db_session, 2024, "main")
    assert (figures.source, figures.total, figures.online) == (FigureSource.RECORDS, 3, 1)


def test_totals_set_aside_by_rows_are_flagged_for_the_desk_and_combined(
    db_session, three_years, make_user
):
    main, _kansai = three_years
    flags = [consultation_figures(db_session, year).totals_set_aside for year in (2022, 2023, 2024)]
    assert flags == [False, False, False]
    desks.record_totals(db_session, 2024, main, 99, 99, by=make_user(Role.ORGANIZER))
    assert consultation_figures(db_session, 2024).totals_set_aside
    assert consultation_figures(db_session, 2024, "main").totals_set_aside
    assert not consultation_figures(db_session, 2024, "kansai").totals_set_aside


def test_the_year_and_the_two_before_come_oldest_first(db_session, three_years):
    years = consultation_years(db_session, 2024)
    assert [(year.fiscal_year, year.total) for year in years] == [(2022, 60), (2023, 32), (2024, 3)]
    assert [year.desk for year in consultation_years(db_session, 2024, "kansai")] == ["kansai"] * 3


def test_an_unknown_desk_code_is_an_error_not_an_empty_figure(db_session):
    with pytest.raises(UnknownDesk):
        consultation_figures(db_session, 2024, "nowhere")


def test_breakdowns_by_prefecture_referring_desk_and_referral(db_session):
    record(db_session, date(2024, 5, 1), prefecture="27", referring_desk="27")
    record(
        db_session,
        date(2024, 6, 1),
        prefecture="27",
        referring_desk="28",
        referrals=["police", "ipa"],
    )
    record(db_session, date(2024, 7, 1), referrals=["police"])
    figures = consultation_figures(db_session, 2024)
    assert figures.by_prefecture == {"27": 2, UNKNOWN: 1}
    assert figures.by_referring_desk == {"27": 1, "28": 1, UNKNOWN: 1}
    assert figures.by_referral["police"] == 2 and figures.by_referral["ipa"] == 1
    assert figures.by_referral["attorney"] == 0
    assert figures.largest_first("referral") == [("police", 2), ("ipa", 1)]


def test_a_desks_breakdowns_count_only_its_consultations(db_session, make_user):
    desks.add_desk(db_session, "kansai", "関西窓口", "Kansai desk", by=make_user(Role.ORGANIZER))
    record(db_session, date(2024, 5, 1), prefecture="13")
    record(db_session, date(2024, 5, 2), desk="kansai", prefecture="27", topics=["contracts"])
    kansai = consultation_figures(db_session, 2024, "kansai")
    assert kansai.by_prefecture == {"27": 1}
    assert kansai.by_topic["contracts"] == 1 and kansai.by_topic["trade-secret-management"] == 0


def test_a_clients_steps_over_two_years(db_session):
    company = "株式会社ステップ工業"
    record(db_session, date(2023, 5, 1), organization=company, step=1)
    record(db_session, date(2023, 11, 1), organization=company, step=2)
    record(db_session, date(2024, 6, 1), organization=company, step=4)
    record(db_session, date(2024, 12, 1), organization=company, step=3)
    first, second = (consultation_figures(db_session, year).steps for year in (2023, 2024))
    assert (first.clients, first.by_step["2"], first.moved_up, first.first_step) == (1, 1, 1, 1)
    assert (second.clients, second.by_step["4"], second.moved_up, second.first_step) == (
        1,
        1,
        1,
        0,
    )


def test_a_client_who_stays_on_its_step_has_not_moved_up(db_session):
    company = "株式会社ステイ商事"
    record(db_session, date(2023, 5, 1), organization=company, step=3)
    record(db_session, date(2024, 5, 1), organization=company, step=2)
    record(db_session, date(2024, 6, 1), organization=company, step=3)
    steps = consultation_figures(db_session, 2024).steps
    assert (steps.by_step["3"], steps.moved_up) == (1, 0)


def test_clients_without_a_step_or_without_a_consultation_in_the_year(db_session):
    record(db_session, date(2023, 5, 1), organization="株式会社去年だけ", step=5)
    record(db_session, date(2024, 5, 1), organization="株式会社まだ", step=None)
    record(db_session, date(2025, 4, 1), organization="株式会社まだ", step=6)
    steps = consultation_figures(db_session, 2024).steps
    assert steps.clients == 1
    assert steps.by_step[UNKNOWN] == 1 and steps.moved_up == 0
    assert consultation_figures(db_session, 2024).by_step == steps.by_step
