"""`flask reminders send`: safe to run from cron every few minutes."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from ..timeutil import utcnow
from .services import queue_reminders


@click.group("reminders", help="Reminder mails before seminars.")
def reminders_cli() -> None:
    pass


@reminders_cli.command("send")
@click.option(
    "--days", type=int, default=None, help="Days before the start (default: REMINDER_DAYS_BEFORE)."
)
@with_appcontext
def send_command(days: int | None) -> None:
    days = current_app.config["REMINDER_DAYS_BEFORE"] if days is None else days
    queued = queue_reminders(db.session, utcnow(), days)
    click.echo(f"{queued} reminder(s) queued; `flask outbox send` delivers them.")
