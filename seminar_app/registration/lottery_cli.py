"""Placeholder: `flask lottery draw` is being written."""

import click


@click.group("lottery", help="Lotteries for small workshops.")
def lottery_cli() -> None:
    pass
