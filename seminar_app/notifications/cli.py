"""`flask outbox send`: the sender, run once or as its own long-lived process."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..domain import OutboxStatus
from ..extensions import db
from .models import OutboxMessage
from .services import deliver_due


@click.group("outbox", help="Deliver the mail waiting in the outbox.")
def outbox_cli() -> None:
    pass


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep running, polling every --interval seconds.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
@with_appcontext
def send_command(loop: bool, interval: float) -> None:
    while True:
        try:
            report = deliver_due(db.session)
        except SQLAlchemyError as exc:
            if not loop:
                raise
            # The database is away for a moment: a long-lived sender waits and goes on.
            db.session.remove()  # drop the broken connection; the pool makes a new one
            current_app.logger.warning("outbox: database unavailable: %s", type(exc).__name__)
            time.sleep(interval)
            continue
        except Exception:
            if not loop:
                raise
            # deliver_due fails a message for its own faults; anything else is logged and
            # the sender goes on (the message in hand is leased, so it holds nobody up).
            db.session.remove()
            current_app.logger.exception("outbox: sending interrupted")
            time.sleep(interval)
            continue
        if report.sent or report.deferred or report.failed or not loop:
            click.echo(f"sent {report.sent}, deferred {report.deferred}, failed {report.failed}")
        if not loop:
            return
        time.sleep(interval)


@outbox_cli.command("status")
@with_appcontext
def status_command() -> None:
    rows = (
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        .tuples()
        .all()
    )
    counts = dict(rows)
    for status in OutboxStatus:
        click.echo(f"{status}: {counts.get(status, 0)}")
