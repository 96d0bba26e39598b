"""Placeholder: `flask privacy …` is being written."""

import click


@click.group("privacy", help="Personal data: retention and requests about one's own data.")
def privacy_cli() -> None:
    pass
