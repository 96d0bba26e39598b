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
