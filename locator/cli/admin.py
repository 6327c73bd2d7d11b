"""``locator admin-hash``: a password hash for the admin pages."""

from __future__ import annotations

import click

from locator.cli.options import fail
from locator.values.errors import LocatorError


@click.command("admin-hash")
@click.password_option("--password", prompt="Admin password", help="The password to hash.")
def admin_hash(password: str) -> None:
    """Print a password hash for LOCATOR_ADMIN_PASSWORD_HASH (werkzeug scrypt), so the
    server's environment holds no password."""
    from werkzeug.security import generate_password_hash

    if len(password) < 12:
        fail(LocatorError("--password: use at least 12 characters"))
    click.echo(generate_password_hash(password))
