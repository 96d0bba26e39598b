"""Placeholder: `flask surveys …` is being written."""

import click


@click.group("surveys", help="Post-seminar surveys.")
def surveys_cli() -> None:
    pass
