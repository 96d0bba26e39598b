"""`flask surveys send-invitations`: safe to run from cron after seminars end."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..timeutil import utcnow
from .services import queue_invitations


@click.group("surveys", help="Post-seminar surveys.")
def surveys_cli() -> None:
    pass


@surveys_cli.command("send-invitations")
@with_appcontext
def send_invitations_command() -> None:
    """Queue the survey link to the attendees of every ended seminar, once per survey."""
    queued = queue_invitations(db.session, utcnow())
    db.session.commit()
    click.echo(f"{queued} survey invitation(s) queued; `flask outbox send` delivers them.")
