"""The data directory the importer works on: the files themselves, or, with a database,
a working copy of it (:func:`locator.stores.postgis.sync.working_copy`) whose changes are
written back in one transaction. The importer, its history and rollback are the same code
either way."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def data_dir_for(
    data_dir: Path | str,
    database_url: str | None,
    write: bool = True,
    layer: str | None = None,
    others: bool = True,
) -> Iterator[Path]:
    """``data_dir`` itself without a database URL; else a working copy of the database,
    written back when the block ends without an error (``write``), dropped otherwise.

    ``layer``: the work is on this facility layer only (an import, its history, a
    rollback, an export): the copy holds the reference collections, that layer, its kept
    versions and log lines, and (``others``, needed by imports and rollbacks) the other
    layers' ids; no other layer's features or history. Without, it holds everything."""
    if not database_url:
        if write:
            # a write a crash interrupted is finished or undone, its temporary files
            # removed, before this one reads anything
            from locator.stores.files.recovery import recover_writes

            recover_writes(data_dir, started_at=time.time())
        yield Path(data_dir)
        return
    from locator.stores.postgis.db import database, translated
    from locator.stores.postgis.sync import working_copy

    db = database(database_url)
    db.check_ready()  # "run `locator db init`", not an SQL error, on an empty database
    with translated(db), working_copy(db, write=write, layer=layer, others=others) as wdir:
        yield wdir
