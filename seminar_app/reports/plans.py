"""What an organizer writes for a fiscal year's report: the targets of its plan (年度計画)
and the commentary (所感) on the activity report's slides. Every door (the console's
forms, the tests) goes through these functions; a refusal names each field and writes
nothing."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..audit.services import record
from ..auth.models import User
from ..database import DbSession, upsert
from ..problems import FieldProblems
from .models import TARGET_NAMES, FiscalYearTarget, SlideCommentary

#: The largest count a target may set (a year of the agency is far below it).
MAX_TARGET = 1_000_000
#: Satisfaction's target is a share in per cent.
MAX_PERCENT = 100
#: A commentary must fit beneath its slide's figures.
MAX_COMMENTARY = 300


class PlanRefused(FieldProblems):
    """The targets or the commentary were refused: field → message, nothing kept."""


def target_problems(values: Mapping[str, int | None]) -> dict[str, str]:
    """field → what is wrong with it; empty when every target may be kept."""
    problems = {}
    for name in TARGET_NAMES:
        value = values.get(name)
        if value is None:
            continue
        most = MAX_PERCENT if name == "satisfaction" else MAX_TARGET
        if not 0 <= value <= most:
            problems[name] = _("Enter a whole number from 0 to %(most)d.", most=most)
    return problems


def set_targets(
    session: DbSession,
    fiscal_year: int,
    values: Mapping[str, int | None],
    *,
    by: User | None,
) -> FiscalYearTarget:
    """Keep the year's targets (each None: not set), replacing what was there, also when
    another organizer saves the same year at the same moment (the later one is kept)."""
    problems = target_problems(values)
    if problems:
        raise PlanRefused(problems)
    upsert(
        session,
        FiscalYearTarget,
        {"fiscal_year": fiscal_year},
        {name: values.get(name) for name in TARGET_NAMES},
    )
    plan = session.scalars(
        select(FiscalYearTarget)
        .where(FiscalYearTarget.fiscal_year == fiscal_year)
        .execution_options(populate_existing=True)
    ).one()
    record(
        session,
        "report.targets_set",
        "fiscal_year",
        fiscal_year,
        actor=by,
        details={name: values.get(name) for name in TARGET_NAMES},
    )
    return plan


def targets_of(session: DbSession, fiscal_year: int) -> dict[str, int | None]:
    """The year's targets as kept (satisfaction in per cent), None where not set."""
    plan = session.get(FiscalYearTarget, fiscal_year)
    return {name: getattr(plan, name) if plan else None for name in TARGET_NAMES}


def commentary_problems(texts: Mapping[str, str], slides: Mapping[str, str]) -> dict[str, str]:
    problems = {}
    for slide, text in texts.items():
        if slide not in slides:
            problems[slide] = _("There is no such slide.")
        elif len(text) > MAX_COMMENTARY:
            problems[slide] = _(
                "At most %(most)d characters (now %(now)d).", most=MAX_COMMENTARY, now=len(text)
            )
    return problems


def set_commentary(
    session: DbSession,
    fiscal_year: int,
    texts: Mapping[str, str],
    slides: Mapping[str, str],
    *,
    by: User | None,
) -> None:
    """Keep the year's commentary per slide (`slides`: the deck's keys); a blank text
    removes a slide's commentary. Each slide's text is written by one statement, so two
    organizers saving at the same moment both succeed (the later text is kept)."""
    cleaned = {
        slide: "\n".join(line.strip() for line in text.splitlines() if line.strip())
        for slide, text in texts.items()
    }
    problems = commentary_problems(cleaned, slides)
    if problems:
        raise PlanRefused(problems)
    for slide in sorted(cleaned):  # rows locked in one order: two savers cannot deadlock
        if cleaned[slide]:
            upsert(
                session,
                SlideCommentary,
                {"fiscal_year": fiscal_year, "slide": slide},
                {"text": cleaned[slide]},
            )
        else:
            session.execute(
                delete(SlideCommentary).where(
                    SlideCommentary.fiscal_year == fiscal_year, SlideCommentary.slide == slide
                )
            )
    record(
        session,
        "report.commentary_set",
        "fiscal_year",
        fiscal_year,
        actor=by,
        details={"slides": sorted(slide for slide, text in cleaned.items() if text)},
    )


def commentary_of(session: DbSession, fiscal_year: int) -> dict[str, str]:
    """slide key → the year's commentary on it."""
    return {
        slide: text
        for slide, text in session.execute(
            select(SlideCommentary.slide, SlideCommentary.text).where(
                SlideCommentary.fiscal_year == fiscal_year
            )
        )
    }
