"""`flask lottery draw SEMINAR_ID [--seed N]`: the draw of a lottery seminar, once."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..timeutil import utcnow
from .lottery import SEED_LIMIT, LotteryError, draw


@click.group("lottery", help="Lotteries for small workshops.")
def lottery_cli() -> None:
    pass


@lottery_cli.command("draw")
@click.argument("seminar_id", type=click.IntRange(1, 2**31 - 1))
@click.option(
    "--seed",
    type=click.IntRange(0, SEED_LIMIT - 1),
    default=None,
    help="Seed of the draw (default: a random one); the same seed draws the same order.",
)
@with_appcontext
def draw_command(seminar_id: int, seed: int | None) -> None:
    """Draw SEMINAR_ID's lottery after its deadline; refused (exit status 1) a second time."""
    try:
        result = draw(db.session, seminar_id, seed=seed, now=utcnow())
    except LotteryError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    priority = " (SMEs first)" if result.sme_priority else ""
    click.echo(
        f"Seminar {result.seminar_id} drawn with seed {result.seed}{priority}: "
        f"{result.applications} application(s), {len(result.confirmed)} confirmed, "
        f"{len(result.waitlisted)} waitlisted. The mails are in the outbox "
        "(`flask outbox send` delivers them)."
    )
