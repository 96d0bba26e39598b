"""Language choice and Japanese-style dates.

Japanese by default; the browser's Accept-Language decides until the person
picks a language with the switch, which is then kept in their session.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

from babel.dates import format_date
from flask import (
    Blueprint,
    abort,
    current_app,
    has_request_context,
    redirect,
    request,
    session,
)
from flask_babel import get_locale

from .timeutil import era_fiscal_year, to_jst

bp = Blueprint("i18n", __name__)

SESSION_KEY = "language"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI and background work speak the default language
        return languages[0]
    # A page's address in one language (hreflang links to it), for this request only.
    asked = request.args.get("lang", "")
    if asked in languages:
        return asked
    chosen = session.get(SESSION_KEY)
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "ja"


def agency_name(language: str | None = None) -> str:
    """The agency's name in `language` (the page's when None)."""
    language = language or current_language()
    return current_app.config["AGENCY_NAME_EN" if language == "en" else "AGENCY_NAME"]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: an open redirect would help phishing."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return default
    if target.startswith(("//", "/\\")):  # browsers read these as another host
        return default
    return target


@bp.get("/language/<code>")
def switch_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session[SESSION_KEY] = code
    return redirect(safe_next(request.args.get("next")))


_DAY_PATTERNS = {"ja": "y年M月d日（EEE）", "en": "EEE d MMM y"}
_SAME_YEAR_PATTERNS = {"ja": "M月d日（EEE）", "en": "EEE d MMM"}


def format_day(moment: datetime | date, language: str | None = None) -> str:
    """2026年12月15日（火） / Tue 15 Dec 2026: a moment in Tokyo time, or a calendar date."""
    language = language or current_language()
    day = to_jst(moment).date() if isinstance(moment, datetime) else moment
    return format_date(day, _DAY_PATTERNS[language], locale=language)


def format_when(starts_at: datetime, ends_at: datetime, language: str | None = None) -> str:
    """2026年12月15日（火）14:00–16:00, or both days when a seminar spans midnight."""
    language = language or current_language()
    start, end = to_jst(starts_at), to_jst(ends_at)
    day = format_day(starts_at, language)
    separator = "" if language == "ja" else ", "
    suffix = "" if language == "ja" else " JST"
    if start.date() == end.date():
        return f"{day}{separator}{start:%H:%M}–{end:%H:%M}{suffix}"
    end_day = format_date(end.date(), _SAME_YEAR_PATTERNS[language], locale=language)
    return f"{day}{separator}{start:%H:%M} – {end_day}{separator}{end:%H:%M}{suffix}"


def format_moment(moment: datetime, language: str | None = None) -> str:
    """A single moment such as a registration deadline, in Tokyo time."""
    language = language or current_language()
    separator = " " if language == "ja" else ", "
    return f"{format_day(moment, language)}{separator}{to_jst(moment):%H:%M}"


def format_fiscal_year(fiscal_year: int, language: str | None = None) -> str:
    """2020年度（令和2年度）, 2018年度（平成30年度） in Japanese, FY2020 in English: every year
    is written this one way, on pages, in exports and in the deck."""
    language = language or current_language()
    if language != "ja":
        return f"FY{fiscal_year}"
    return f"{fiscal_year}年度（{era_fiscal_year(fiscal_year)}）"
