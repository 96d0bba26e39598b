"""Placeholder: `flask announcements …` is being written."""

import click


@click.group("announcements", help="Announcements of new seminars.")
def announcements_cli() -> None:
    pass
