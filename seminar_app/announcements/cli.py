"""`flask announcements …`: count recipients; unsubscribe an address that asked by phone."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..domain import Level, Series
from ..extensions import db
from ..text import normalize_email, normalize_email_address
from ..timeutil import utcnow
from . import services


@click.group("announcements", help="Announcements of new seminars.")
def announcements_cli() -> None:
    pass


@announcements_cli.command("count")
@click.option("--level", type=click.Choice([member.value for member in Level]))
@click.option("--series", type=click.Choice([member.value for member in Series]))
@with_appcontext
def count_command(level: str | None, series: str | None) -> None:
    """How many people an announcement (to attendees of LEVEL / SERIES) would reach."""
    click.echo(services.count_recipients(db.session, level, series))


@announcements_cli.command("unsubscribe")
@click.argument("email")
@with_appcontext
def unsubscribe_command(email: str) -> None:
    """No more announcements to EMAIL, from now on (safe to repeat)."""
    address, problem = normalize_email_address(email)
    if not address:
        raise click.BadParameter(str(problem or "not an e-mail address"), param_hint="EMAIL")
    added = services.unsubscribe(db.session, normalize_email(address), utcnow())
    db.session.commit()
    click.echo(f"{address}: " + ("unsubscribed" if added else "was already unsubscribed"))
