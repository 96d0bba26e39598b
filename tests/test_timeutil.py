from datetime import UTC, date, datetime

import pytest

from seminar_app.i18n import format_fiscal_year, format_when
from seminar_app.timeutil import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    era_fiscal_year,
    fiscal_year_bounds,
    fiscal_year_dates,
    fiscal_year_of,
    parse_fiscal_year,
)


@pytest.mark.parametrize(
    ("moment", "fiscal_year"),
    [
        (datetime(2020, 4, 1, 0, 0, tzinfo=UTC), 2020),
        # 2021-03-31 23:30 JST is still FY2020 although it is past 14:30 UTC.
        (datetime(2021, 3, 31, 14, 30, tzinfo=UTC), 2020),
        # 2021-04-01 00:00 JST is 2021-03-31 15:00 UTC: already FY2021.
        (datetime(2021, 3, 31, 15, 0, tzinfo=UTC), 2021),
        (datetime(2021, 1, 28, 5, 0, tzinfo=UTC), 2020),
        (datetime(2026, 12, 15, 5, 0, tzinfo=UTC), 2026),
    ],
)
def test_fiscal_year_is_computed_in_tokyo_time(moment, fiscal_year):
    assert fiscal_year_of(moment) == fiscal_year


def test_fiscal_year_bounds_are_first_of_april_in_jst():
    start, end = fiscal_year_bounds(2020)
    assert start == datetime(2020, 3, 31, 15, 0, tzinfo=UTC)
    assert end == datetime(2021, 3, 31, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [(date(2020, 4, 1), 2020), (date(2021, 3, 31), 2020), (date(2021, 1, 5), 2020)],
)
def test_a_date_is_read_as_a_calendar_date_in_japan(day, fiscal_year):
    assert fiscal_year_of(day) == fiscal_year
    first, after = fiscal_year_dates(fiscal_year)
    assert first <= day < after


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2020", 2020),
        (" 2026 ", 2026),
        (str(FIRST_FISCAL_YEAR), FIRST_FISCAL_YEAR),
        (str(LAST_FISCAL_YEAR), LAST_FISCAL_YEAR),
        (str(FIRST_FISCAL_YEAR - 1), None),
        (str(LAST_FISCAL_YEAR + 1), None),
        ("２０２０", None),
        ("20200", None),
        ("9" * 400, None),
        ("", None),
        ("-2020", None),
    ],
)
def test_only_accepted_fiscal_years_are_read(raw, expected):
    assert parse_fiscal_year(raw) == expected


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        fiscal_year_of(datetime(2020, 5, 1))


def test_seminar_time_in_japanese_style():
    start = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)
    end = datetime(2026, 12, 15, 7, 0, tzinfo=UTC)
    assert format_when(start, end, "ja") == "2026年12月15日（火）14:00–16:00"
    assert format_when(start, end, "en") == "Tue 15 Dec 2026, 14:00–16:00 JST"


def test_seminar_across_midnight_shows_both_days():
    start = datetime(2026, 12, 15, 13, 0, tzinfo=UTC)  # 22:00 JST
    end = datetime(2026, 12, 15, 16, 0, tzinfo=UTC)  # 01:00 JST next day
    assert format_when(start, end, "ja") == "2026年12月15日（火）22:00 – 12月16日（水）01:00"


def test_fiscal_year_names():
    assert format_fiscal_year(2020, "ja") == "2020年度（令和2年度）"
    assert format_fiscal_year(2019, "ja") == "2019年度（令和元年度）"
    assert format_fiscal_year(2018, "ja") == "2018年度（平成30年度）"
    assert format_fiscal_year(1989, "ja") == "1989年度（平成元年度）"
    assert format_fiscal_year(2020, "en") == "FY2020"
    assert era_fiscal_year(2026) == "令和8年度"
