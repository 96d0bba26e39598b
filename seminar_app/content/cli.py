"""`flask content sync`: load content/ into the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..extensions import db
from ..timeutil import utcnow
from .loader import ContentError
from .services import sync_content


@click.group("content", help="The catalogue kept as files in content/.")
def content_cli() -> None:
    pass


@content_cli.command("sync")
@click.option(
    "--path",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to load (default: CONTENT_DIR, i.e. content/).",
)
@with_appcontext
def sync_command(root: Path | None) -> None:
    """Create or update seminars and lecturers from the content files."""
    root = root or Path(current_app.config["CONTENT_DIR"])
    if not (root / "seminars").is_dir():
        raise click.ClickException(f"{root}: no seminars/ folder here")
    with force_locale("en"):  # file problems are reported in one language
        try:
            report = sync_content(db.session, root, utcnow())
        except ContentError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            raise click.ClickException(
                f"{len(exc.problems)} problem(s) found; nothing was written."
            ) from exc
    for slug in report.kept_cancelled:
        click.echo(f"warning: {slug} was cancelled in the console and stays cancelled", err=True)
    if not report.changed:
        click.echo(f"Nothing changed: {len(report.unchanged)} seminars are up to date.")
        return
    for slug in report.created:
        click.echo(f"created  {slug}")
    for slug in report.updated:
        click.echo(f"updated  {slug}")
    click.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged; lecturers: {len(report.lecturers_created)} created, "
        f"{len(report.lecturers_updated)} updated."
    )
