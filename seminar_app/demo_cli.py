"""`flask demo load`: the demo past fiscal year (see seminar_app.demo)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from . import demo
from .database import begin_write
from .extensions import db
from .i18n import format_fiscal_year
from .timeutil import utcnow


@click.group("demo", help="The demo data of a development checkout.")
def demo_cli() -> None:
    pass


@demo_cli.command("load")
@with_appcontext
def load_command() -> None:
    """Fill the fiscal year before this one with fictional figures, once."""
    if not current_app.config["DEMO_DATA"]:
        click.echo("Demo data is off (DEMO_DATA); nothing loaded.")
        return
    begin_write(db.session)
    year = demo.load(db.session, utcnow())
    db.session.commit()
    if year is None:
        click.echo("The demo year is there already; nothing changed.")
    else:
        click.echo(f"Loaded the demo year {format_fiscal_year(year, 'en')} (marked （デモ）).")
