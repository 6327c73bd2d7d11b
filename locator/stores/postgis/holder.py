"""The PostGIS store's holder: the store of the database's current version, replaced whole."""

from __future__ import annotations

import threading
from typing import Any

from locator.stores.postgis.db import Database
from locator.stores.postgis.store import PostgisStore


class PgHolder:
    """Holds the current :class:`PostgisStore`; the same face as
    :class:`~locator.stores.files.holder.CatalogHolder`, so the same
    :class:`~locator.stores.watch.DataWatcher` polls it: its fingerprint is the database's
    version row (one indexed read a second), and a new version opens a new store, swapped
    in by one assignment."""

    def __init__(self, db: Database):
        self.db = db
        self.refused: Exception | None = None
        self.loaded_fingerprint: Any = None
        self._lock = threading.Lock()
        db.check_ready()  # says what to run on a database without schema or data
        self._catalog = self.reload()

    @property
    def catalog(self) -> PostgisStore:
        return self._catalog

    def fingerprint(self) -> Any:
        try:
            return self.db.version()
        except Exception:  # the database is away: keep serving what we have
            return self.loaded_fingerprint

    def reload(self) -> PostgisStore:
        with self._lock:
            fresh = PostgisStore.open(self.db)
            self._catalog = fresh  # its holidays too: no process-wide schedule
            self.loaded_fingerprint = fresh.version
            self.refused = None
            return fresh
