"""`flask report fy 2020`: a fiscal year's figures in the terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from .. import imports
from ..consultations import importer
from ..consultations.cli import totals as totals_command
from ..consultations.figures import UnknownDesk
from ..extensions import db
from ..imports import ReportError
from ..timeutil import FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR, jst_today, utcnow
from . import activity, historic, plans
from .services import desk_names, fiscal_year_figures, fiscal_year_report
from .tables import figure_text, percent_text

#: Files with more rows than this show a progress bar on a terminal.
PROGRESS_FROM_ROWS = 500


@click.group("report", help="Fiscal-year figures.")
def report_cli() -> None:
    pass


report_cli.add_command(totals_command)


@report_cli.command("fy")
@click.argument("fiscal_year", type=click.IntRange(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR))
@with_appcontext
def fiscal_year_command(fiscal_year: int) -> None:
    """Print the summary of FISCAL_YEAR (April to March, Tokyo time)."""
    figures = fiscal_year_figures(db.session, fiscal_year, utcnow())
    seminars, people = figures.seminars, figures.attendees
    registrations, desk = figures.registrations, figures.consultations
    click.echo(f"FY{fiscal_year} ({fiscal_year}-04-01 – {fiscal_year + 1}-03-31, JST)")
    click.echo(
        f"Seminars held: {seminars.total} (online {seminars.online}, hybrid {seminars.hybrid})"
    )
    for host_type, counts in seminars.by_host_type.items():
        attendees = None if counts.attendees_unknown else people.by_host_type[host_type]
        click.echo(
            f"  {host_type:<12} {counts.total:>5}  online {counts.online:>4}  "
            f"attendees {figure_text(attendees):>6}"
        )
    click.echo(f"Attendees: {figure_text(None if seminars.attendees_unknown else people.total)}")
    click.echo(
        f"Registrations: {registrations.total} (confirmed {registrations.confirmed}, "
        f"waitlisted {registrations.waitlisted}, cancelled {registrations.cancelled})"
    )
    click.echo(
        f"Attendance rate: {percent_text(registrations.attendance_rate)}, "
        f"no-shows {registrations.no_shows}"
    )
    click.echo(f"Recordings opened: {figures.recordings.opened}")
    source = f" [{desk.source}]" if desk.source else ""
    click.echo(
        f"Consultations: {figure_text(desk.total)} (online {figure_text(desk.online)}){source}"
    )
    click.echo(f"Satisfaction (4 or 5): {percent_text(figures.satisfaction)}")


@report_cli.command("activity")
@click.argument("fiscal_year", type=click.IntRange(FIRST_FISCAL_YEAR, LAST_FISCAL_YEAR))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the slide deck (.pptx).",
)
@click.option("--desk", "desk_code", help="The desk whose breakdowns it shows (its code).")
@click.option("--own-only", is_flag=True, help="Only the agency's own seminars in the programme.")
@with_appcontext
def activity_command(fiscal_year: int, output: Path, desk_code: str | None, own_only: bool) -> None:
    """Write the annual activity report (活動状況) of FISCAL_YEAR as a slide deck; its
    headline totals cover every desk, its breakdowns the --desk chosen (else all)."""
    try:
        report = fiscal_year_report(db.session, fiscal_year, utcnow(), desk=desk_code)
    except UnknownDesk as exc:
        raise click.BadParameter(
            f"no desk has the code {desk_code!r}.", param_hint="--desk"
        ) from exc
    options = activity.deck_options(
        current_app.config,
        own_only=own_only,
        commentary=plans.commentary_of(db.session, fiscal_year),
        **desk_names(db.session, desk_code),
    )
    body = activity.build_deck(report, options=options)
    output.write_bytes(body)
    click.echo(f"Wrote {output} ({len(body) // 1024} KiB).")


@click.group("import", help="Bring in records from before the system.")
def import_cli() -> None:
    pass


@contextmanager
def _all_or_nothing(path: Path, already_imported: type[Exception]) -> Iterator[None]:
    """Commit what the block imported, or nothing: every problem on stderr, exit status 1.

    The terminal commands speak English, problems included."""
    try:
        with force_locale("en"):
            yield
        db.session.commit()
    except (already_imported, IntegrityError) as exc:  # IntegrityError: imported meanwhile
        db.session.rollback()
        raise click.ClickException(f"{path} was already imported.") from exc
    except ReportError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(f"error: {path}: {problem}", err=True)
        raise click.ClickException(
            f"{len(exc.problems)} problem(s); nothing was imported."
        ) from exc


@import_cli.command("historic")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def historic_command(path: Path) -> None:
    """Load past seminars and their head-counts from a CSV file (all rows or none)."""
    with _all_or_nothing(path, historic.AlreadyImported):
        count = historic.import_file(
            db.session, path.read_bytes(), today=jst_today(), actor_label="cli"
        ).count
    click.echo(f"Imported {count} seminar(s) from {path}.")


@import_cli.command("consultations")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def consultations_command(path: Path) -> None:
    """Load the desk's past consultations from a CSV file (all rows or none)."""
    data = path.read_bytes()
    key = imports.fingerprint(data)
    with _all_or_nothing(path, importer.AlreadyImported):
        importer.ensure_not_imported(db.session, key)
        rows = importer.parse(data, jst_today())
        with click.progressbar(
            length=len(rows), label="Importing", hidden=len(rows) < PROGRESS_FROM_ROWS
        ) as bar:
            count = importer.import_rows(
                db.session, rows, key, actor_label="cli", progress=bar.update
            )
    click.echo(f"Imported {count} consultation(s) from {path}.")
