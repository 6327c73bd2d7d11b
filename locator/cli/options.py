"""What several ``locator`` commands share: the data directory and database options,
the coordinate and language choices, and how a command fails."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from locator.values.errors import LocatorError

DATA_DIR_OPTION = click.option(
    "--data-dir",
    envvar="LOCATOR_DATA_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of GeoJSON layers (default: the bundled geodata/; env LOCATOR_DATA_DIR).",
)


def default_data_dir() -> Path:
    from locator.values.paths import DEFAULT_DATA_DIR

    return DEFAULT_DATA_DIR


def fail(exc: LocatorError) -> None:
    """Print the error's message and exit 1 (no traceback)."""
    click.echo(f"error: {exc.message}", err=True)
    sys.exit(1)


DATABASE_OPTION = click.option(
    "--database-url",
    envvar="LOCATOR_DATABASE_URL",
    default=None,
    help="postgresql://… : use the PostGIS store instead of the data directory's files "
    "(env LOCATOR_DATABASE_URL).",
)

COORD_CHOICE = click.Choice(["wgs84", "gcj02", "bd09"])
LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the report.",
)


def who() -> str:
    """Who runs the command, for the import log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
