"""The file store's holder: the current catalog of a data directory, replaced whole.

A :class:`CatalogHolder` holds the current catalog; requests read ``holder.catalog`` once
and keep that object to the end, so a swap never shows a request half of each. Its
fingerprint is the size, mtime and inode of each declared file (a few ``stat`` calls),
which the :class:`~locator.stores.watch.DataWatcher` polls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from locator.stores.files.read import fingerprint
from locator.stores.files.store import Catalog, load_catalog
from locator.values.errors import DataError


class CatalogHolder:
    """Holds the current catalog; a reload replaces it in one assignment.

    The data directory's fingerprint is taken *before* each read, so a file that changes
    while it is being read is seen as a change by the next look.
    """

    def __init__(
        self,
        data_dir: Path | str,
        holidays_file: Path | str | None = None,
        loader: Callable[..., Catalog] = load_catalog,
    ):
        self.data_dir = Path(data_dir)
        self.holidays_file = holidays_file
        self._loader = loader
        self._lock = threading.Lock()
        self.refused: DataError | None = None  # the last refused version's problem
        self.loaded_fingerprint = self.fingerprint()
        self._catalog = loader(self.data_dir, holidays_file)

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def fingerprint(self) -> tuple:
        return fingerprint(self.data_dir, self.holidays_file)

    def reload(self) -> Catalog:
        """Read the data directory again and swap it in; on error the current catalog
        stays and the DataError is raised."""
        with self._lock:
            seen = self.fingerprint()
            fresh = self._loader(self.data_dir, self.holidays_file)
            self._catalog = fresh  # the one assignment requests can observe (its holidays too)
            self.loaded_fingerprint = seen
            self.refused = None
            return fresh
