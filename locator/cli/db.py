"""``locator db init|load|dump``: the PostGIS store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from locator.cli.options import DATA_DIR_OPTION, DATABASE_OPTION, default_data_dir, fail
from locator.values.errors import LocatorError


@click.group()
def db() -> None:
    """The PostGIS store: create its schema, load a data directory, dump it back."""


def _database(url: str | None):
    if url is None or not url:
        fail(LocatorError("--database-url: give postgresql://… (or set LOCATOR_DATABASE_URL)"))
    try:
        from locator.stores.postgis.db import Database
    except ImportError:
        fail(LocatorError("the PostGIS store needs psycopg: pip install 'locator[postgis]'"))
    try:
        return Database(str(url))
    except LocatorError as exc:
        fail(exc)


class _Bars:
    """One click progress bar per collection (features done / in all)."""

    def __init__(self, label: str):
        self.label = label
        self.bar: Any = None
        self.cid = ""

    def __call__(self, cid: str, done: int, total: int) -> None:
        if cid != self.cid:
            self.close()
            self.cid = cid
            self.bar = click.progressbar(
                length=max(total, 1), label=f"{self.label} {cid}", file=sys.stderr, show_pos=True
            )
            self.bar.__enter__()
            self.done = 0
        self.bar.update(done - self.done)
        self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@db.command("init")
@DATABASE_OPTION
def db_init(database_url: str | None) -> None:
    """Create the schema, or bring it up to date (numbered migrations; idempotent)."""
    from locator.stores.postgis.db import translated
    from locator.stores.postgis.schema import migrate

    database = _database(database_url)
    try:
        with translated(database), database.connect() as conn:
            applied = migrate(conn)
    except LocatorError as exc:
        fail(exc)
    click.echo(
        f"applied migrations {', '.join(map(str, applied))}" if applied else "schema up to date"
    )


@db.command("load")
@DATA_DIR_OPTION
@DATABASE_OPTION
@click.option("--force", is_flag=True, help="Rewrite every collection, changed or not.")
def db_load(data_dir: Path | None, database_url: str | None, force: bool) -> None:
    """Put a data directory into the database: validated first, then every changed
    collection replaced in one transaction (idempotent); app servers swap within seconds."""
    from locator.stores.postgis.sync import load_dir

    database = _database(database_url)
    bars = _Bars("load")
    from locator.stores.postgis.db import translated

    try:
        with translated(database):  # load_dir brings the schema up to date first
            result = load_dir(database, data_dir or default_data_dir(), bars, force)
    except LocatorError as exc:
        fail(exc)
    finally:
        bars.close()
    for cid, n in result.written.items():
        click.echo(f"loaded {cid}: {n} features")
    if result.unchanged:
        click.echo(f"unchanged: {', '.join(result.unchanged)}")
    for cid in result.removed:
        click.echo(f"removed {cid}")
    click.echo(f"data version {result.version}")


@db.command("dump")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the data directory into.",
)
@click.option(
    "--history",
    "with_history",
    is_flag=True,
    help="Also write the kept versions and the import log (history/).",
)
@DATABASE_OPTION
def db_dump(out: Path, with_history: bool, database_url: str | None) -> None:
    """Write the database back as a data directory (the files `db load` reads; each
    written atomically, all from one snapshot)."""
    from locator.stores.postgis.sync import dump_dir

    database = _database(database_url)
    bars = _Bars("dump")
    from locator.stores.postgis.db import translated

    try:
        database.check_ready()
        with translated(database):
            version = dump_dir(database, out, bars, with_history)
    except LocatorError as exc:
        fail(exc)
    finally:
        bars.close()
    click.echo(f"wrote data version {version} to {out}")
