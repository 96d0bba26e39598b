"""`flask report totals FY --desk CODE --consultations N [--online M]`: a year's consultation
totals for a desk without rows (the desks page does the same). The command object is
registered in the `report` group (reports/cli.py)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from ..database import begin_write
from ..extensions import db
from .desks import DeskError, default_desk, normalised_code, record_totals
from .models import Desk


@click.command("totals")
@click.argument("fiscal_year", type=int)
@click.option("--desk", "desk_code", help="The desk's code; the first active desk if left out.")
@click.option("--consultations", type=int, required=True, help="Consultations held in the year.")
@click.option("--online", type=int, default=None, help="Of which online, where counted.")
@with_appcontext
def totals(fiscal_year: int, desk_code: str | None, consultations: int, online: int | None) -> None:
    """Record FISCAL_YEAR's consultation totals for a desk without records; a second call
    replaces them."""
    with force_locale("en"):
        begin_write(db.session)  # SQLite: the desk is read, then the totals written
        if desk_code is None:
            desk = default_desk(db.session)
        else:
            desk = db.session.scalar(select(Desk).where(Desk.code == normalised_code(desk_code)))
        try:
            recorded = record_totals(
                db.session, fiscal_year, desk, consultations, online, by=None, actor_label="cli"
            )
        except DeskError as exc:
            db.session.rollback()
            for field, problem in exc.problems.items():
                click.echo(f"error: {field}: {problem}", err=True)
            raise click.ClickException("nothing was recorded.") from exc
        code = recorded.desk.code
        db.session.commit()
    shown = "" if online is None else f", online {online}"
    click.echo(f"FY{fiscal_year} desk {code}: {consultations} consultations{shown} recorded.")
