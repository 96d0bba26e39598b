"""`flask report fy 2020`: a fiscal year's figures in the terminal."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..timeutil import utcnow
from .services import fiscal_year_report


@click.group("report", help="Fiscal-year figures.")
def report_cli() -> None:
    pass


@report_cli.command("fy")
@click.argument("fiscal_year", type=click.IntRange(2000, 2100))
@with_appcontext
def fiscal_year_command(fiscal_year: int) -> None:
    """Print the summary of FISCAL_YEAR (April to March, Tokyo time)."""
    report = fiscal_year_report(db.session, fiscal_year, utcnow())
    seminars, people = report["seminars"], report["attendees"]
    registrations = report["registrations"]
    click.echo(f"FY{fiscal_year} ({fiscal_year}-04-01 – {fiscal_year + 1}-03-31, JST)")
    click.echo(
        f"Seminars held: {seminars['total']} (online {seminars['online']}, "
        f"hybrid {seminars['hybrid']})"
    )
    for host_type, bucket in seminars["by_host_type"].items():
        click.echo(
            f"  {host_type:<12} {bucket['total']:>5}  online {bucket['online']:>4}  "
            f"attendees {people['by_host_type'][host_type]:>6}"
        )
    click.echo(f"Attendees: {people['total']}")
    click.echo(
        f"Registrations: {registrations['total']} (confirmed {registrations['confirmed']}, "
        f"waitlisted {registrations['waitlisted']}, cancelled {registrations['cancelled']})"
    )
    click.echo(
        f"Attendance rate: {registrations['attendance_rate']:.1%}, "
        f"no-shows {registrations['no_shows']}"
    )
    click.echo(f"Recordings opened: {report['recordings']['opened']}")
