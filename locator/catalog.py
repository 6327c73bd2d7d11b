"""The shared, read-only catalog of layers and a holder that swaps it atomically."""

from __future__ import annotations

import threading
from pathlib import Path

from .store import Catalog, read_catalog


def load_catalog(data_dir: Path | str) -> Catalog:
    """Read and validate ``data_dir`` and build what queries need (once, at start-up)."""
    return read_catalog(data_dir)


class CatalogHolder:
    """Holds the current catalog; a reload or import replaces it in one assignment.

    Requests read ``holder.catalog`` once and keep using that object, so a swap never shows
    a request half of an old catalog and half of a new one.
    """

    def __init__(self, catalog: Catalog):
        self._catalog = catalog
        self._lock = threading.Lock()

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def reload(self) -> Catalog:
        """Read the data directory again; on error the current catalog stays."""
        with self._lock:
            fresh = load_catalog(self._catalog.data_dir)
            self._catalog = fresh
            return fresh
