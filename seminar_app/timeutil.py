"""Time rules of design.md: stored in UTC, shown in Asia/Tokyo, fiscal years from April."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")

#: The fiscal year (年度) starts on 1 April in Japan.
FISCAL_YEAR_START_MONTH = 4


def utcnow() -> datetime:
    return datetime.now(UTC)


def jst_today() -> date:
    """Today's date in Japan, which is what a calendar date in a record means."""
    return utcnow().astimezone(JST).date()


def to_jst(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must carry a timezone")
    return moment.astimezone(JST)


def jst_datetime(day: date, at: time) -> datetime:
    """A wall-clock time in Tokyo as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=JST).astimezone(UTC)


#: The fiscal years accepted anywhere: URLs, filters, commands and the API.
FIRST_FISCAL_YEAR = 2000
LAST_FISCAL_YEAR = 2100


def is_accepted_fiscal_year(fiscal_year: int) -> bool:
    return FIRST_FISCAL_YEAR <= fiscal_year <= LAST_FISCAL_YEAR


def parse_fiscal_year(raw: str) -> int | None:
    """A fiscal year written as ASCII digits (such as "2020") and accepted; None otherwise."""
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4:
        return None
    return int(raw) if is_accepted_fiscal_year(int(raw)) else None


def fiscal_year_of(moment: datetime | date) -> int:
    """年度 of a moment or a date in Japan: April or later belongs to that year, January–March
    to the one before. A date is a calendar date in Japan already; a moment is read in JST."""
    local = to_jst(moment) if isinstance(moment, datetime) else moment
    return local.year if local.month >= FISCAL_YEAR_START_MONTH else local.year - 1


def fiscal_year_dates(fiscal_year: int) -> tuple[date, date]:
    """[first day, first day of the next year) of a fiscal year, as dates in Japan."""
    return date(fiscal_year, FISCAL_YEAR_START_MONTH, 1), date(
        fiscal_year + 1, FISCAL_YEAR_START_MONTH, 1
    )


def fiscal_year_bounds(fiscal_year: int) -> tuple[datetime, datetime]:
    """[start, end) of a fiscal year in UTC: 1 April 00:00 JST to the next 1 April."""
    first, after = fiscal_year_dates(fiscal_year)
    return jst_datetime(first, time(0, 0)), jst_datetime(after, time(0, 0))


#: The eras a fiscal year is named in, latest first: (its first fiscal year, its name). 令和
#: began on 2019-05-01 and 平成 on 1989-01-08; the fiscal year begun in April 2019 is
#: 令和元年度, the one begun in April 1989 平成元年度.
ERAS = ((2019, "令和"), (1989, "平成"))


def era_fiscal_year(fiscal_year: int) -> str:
    """The fiscal year in the Japanese era: 令和2年度, 令和元年度, 平成30年度."""
    first, era = next((first, era) for first, era in ERAS if fiscal_year >= first)
    number = fiscal_year - first + 1
    return f"{era}元年度" if number == 1 else f"{era}{number}年度"
