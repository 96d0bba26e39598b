"""`flask users …`: staff accounts from the terminal."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import force_locale

from ..domain import Role
from ..extensions import db
from . import services


@click.group("users", help="Manage staff accounts.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([role.value for role in Role]),
    help="Repeat for several roles.",
)
@click.option("--name", default="", help="Display name (defaults to the address's local part).")
@click.option("--password", default=None, help="Asked for when not given.")
@with_appcontext
def create_command(email: str, roles: tuple[str, ...], name: str, password: str | None) -> None:
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with force_locale("en"):  # the terminal commands speak English
            user = services.create_user(
                db.session,
                email,
                {Role(role) for role in roles},
                display_name=name,
                password=password,
                actor=None,
            )
    except services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(sorted(user.roles))}")


def _user_or_fail(email: str):
    user = services.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"No staff account for {email}.")
    return user


@users_cli.command("token")
@click.argument("email")
@click.option(
    "--expires-in",
    "days",
    type=click.IntRange(1, services.API_TOKEN_MAX_DAYS),
    default=services.API_TOKEN_DEFAULT_DAYS,
    show_default=True,
    help="Days until the token stops working.",
)
@click.option("--name", default=None, help='What the token is for (default: "token N").')
@with_appcontext
def token_command(email: str, days: int, name: str | None) -> None:
    """Print a new API bearer token for EMAIL (alone on the last line)."""
    user = _user_or_fail(email)
    try:
        with force_locale("en"):
            token = services.issue_api_token(db.session, user, name=name, expires_in_days=days)
    except services.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(
        f"API token for {user.email}, valid for {days} days "
        "(shown once; revoke with `users revoke-tokens` or in the console):"
    )
    click.echo(token)


@users_cli.command("revoke-tokens")
@click.argument("email")
@with_appcontext
def revoke_tokens_command(email: str) -> None:
    """Revoke every API token of EMAIL."""
    count = services.revoke_api_tokens(db.session, _user_or_fail(email))
    db.session.commit()
    click.echo(f"Revoked {count} token(s).")
