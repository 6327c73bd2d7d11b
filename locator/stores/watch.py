"""Live data: notice a new data version, load it aside, swap it in whole.

A :class:`DataWatcher` thread polls a holder's fingerprint (the file store: size, mtime
and inode of each declared file; PostGIS: the version row) and, once a change has settled,
loads and validates the new data in the background. A valid version replaces the old in
one assignment; a broken one is refused with one log line naming file, feature and problem,
and the old data keeps being served. Each process runs its own watcher, so several worker
processes each pick the change up.
"""

from __future__ import annotations

import logging
import threading
import weakref

from locator.stores.base import Holder
from locator.values.errors import DataError, LocatorError

log = logging.getLogger("locator.live")

#: how often the watcher looks at the data (seconds)
POLL_INTERVAL_S = 1.0


class DataWatcher:
    """A daemon thread that reloads the holder's catalog when its data directory changes.

    A change is loaded once the fingerprint has been the same for two polls in a row, so a
    writer that replaces several files one after another is read once, when it is done.
    Only a weak reference to the holder is kept: the thread ends with the app.
    """

    def __init__(self, holder: Holder, interval_s: float = POLL_INTERVAL_S):
        self._holder = weakref.ref(holder)
        self._interval = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._force = False
        self._loaded = holder.loaded_fingerprint
        self._thread = threading.Thread(target=self._run, name="locator-data-watcher", daemon=True)

    def start(self) -> DataWatcher:
        self._thread.start()
        return self

    def stop(self, wait_s: float = 0.0) -> None:
        """Stop the thread; with ``wait_s``, wait that long for it to end (before a
        fork, so that no lock it holds is copied into a child)."""
        self._stop.set()
        self._wake.set()
        if wait_s and self._thread.is_alive():
            self._thread.join(wait_s)

    def trigger(self) -> None:
        """Reload now, even if nothing seems changed (e.g. on SIGHUP)."""
        self._force = True
        self._wake.set()

    def _run(self) -> None:
        pending = None
        while not self._stop.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            holder = self._holder()
            if self._stop.is_set() or holder is None:
                return
            current = holder.fingerprint()
            del holder  # hold no strong reference while sleeping
            if self._force:
                self._force, pending = False, None
                self._load(current)
            elif current == self._loaded:
                pending = None
            elif current == pending:  # changed, and settled since the last poll
                self._load(current)
                pending = None
            else:
                pending = current

    def _load(self, current: tuple) -> None:
        holder = self._holder()
        if holder is None:
            return
        old = holder.catalog.version
        try:
            fresh = holder.reload()
            self._loaded = holder.loaded_fingerprint
        except DataError as exc:
            # a broken version is not tried again until the data changes once more
            self._loaded = current
            holder.refused = exc
            log.error("data change refused, still serving version %s: %s", old, exc.message)
            return
        except LocatorError as exc:  # e.g. the database away: tried again next poll
            log.error("data change not loaded yet, still serving version %s: %s", old, exc.message)
            return
        except Exception:  # never let the watcher die; the old data keeps being served
            log.exception("data change not loaded, still serving version %s", old)
            return
        log.info(
            "data reloaded: version %s -> %s (%s)",
            old,
            fresh.version,
            ", ".join(f"{i.id} {i.count}" for i in fresh.infos.values() if i.role == "facility"),
        )
