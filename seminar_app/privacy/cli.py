"""`flask privacy …`: anonymise the personal data of past fiscal years."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..database import begin_write
from ..extensions import db
from ..timeutil import (
    FIRST_FISCAL_YEAR,
    LAST_FISCAL_YEAR,
    fiscal_year_bounds,
    fiscal_year_of,
    to_jst,
    utcnow,
)
from . import services

_LABELS = {
    "registrations": "registrations anonymised (name, e-mail, organization, question …)",
    "survey_answers": "survey answers without their written text",
    "consultations": "consultation notes removed",
    "outbox_messages": "stored mails to those addresses or about those requests deleted",
    "calendar_feeds": "calendar feeds of addresses without registrations deleted",
    "audit_labels": "audit entries no longer naming a participant's address",
    "dispatch_requests": (
        "lecturer-dispatch requests anonymised (contact's name, e-mail, telephone, free text …)"
    ),
}


def _echo_counts(result: services.PurgeResult) -> None:
    for name, value in result.counts().items():
        click.echo(f"  {value:>8}  {_LABELS[name]}")


@click.group("privacy", help="Personal data: retention and requests about one's own data.")
def privacy_cli() -> None:
    pass


@privacy_cli.command("purge")
@click.option(
    "--before-fiscal-year",
    "fiscal_year",
    type=click.IntRange(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR),
    required=True,
    help=(
        "Anonymise seminars that started before 1 April of this fiscal year (JST), and "
        "dispatch requests whose seminar started (or, without one, received) before then."
    ),
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def purge_command(fiscal_year: int, yes: bool) -> None:
    """Anonymise the personal data of fiscal years before FY; the report figures stay.

    The privacy notice keeps details for the seminar's fiscal year and the following one,
    so the latest year accepted is the one before the current fiscal year."""
    now = utcnow()
    current = fiscal_year_of(now)
    if fiscal_year >= current:
        raise click.ClickException(
            f"FY{fiscal_year} is not over yet (the current fiscal year is FY{current}) and its "
            f"data are in use: the latest year accepted is {current - 1}."
        )
    cutoff = to_jst(fiscal_year_bounds(fiscal_year)[0])
    preview = services.preview_purge(db.session, fiscal_year, now)
    db.session.rollback()
    click.echo(
        f"Personal data of seminars and dispatch requests before {cutoff:%Y-%m-%d %H:%M} JST:"
    )
    _echo_counts(preview)
    if not preview.changed:
        click.echo("Nothing to purge.")
        return
    if not yes:
        click.confirm("Anonymise this data? This cannot be undone.", abort=True)
    begin_write(db.session)
    result = services.purge_before(db.session, fiscal_year, now)
    db.session.commit()
    click.echo("Done:")
    _echo_counts(result)
