"""The file store's reports database opened for the first time by two processes at once
(two `serve --workers` processes' first requests): every connection waits its turn while
one of them switches the new file to WAL, which SQLite reports as "database is locked"
at once, without its busy handler (it used to be a 503 for a report)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

from locator.stores.files.reports import SqliteReports

RUNS = 6
THREADS = 40


def _first_queries(path: str, start_at: float, errors) -> None:  # in a child process
    store = SqliteReports(path)
    found: list[str] = []

    def ask() -> None:
        while time.time() < start_at:  # all threads of both processes at once
            pass
        try:
            store._query("SELECT count(*) FROM reports")
        except Exception as exc:  # noqa: BLE001 (the test reports whatever it was)
            found.append(repr(exc))

    threads = [threading.Thread(target=ask) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors.put(found)


def test_two_processes_opening_a_new_reports_file_at_once_never_fail(tmp_path: Path):
    ctx = multiprocessing.get_context("fork")
    failures = []
    for run in range(RUNS):
        path = tmp_path / str(run) / "history" / "reports.sqlite"
        errors = ctx.Queue()
        start_at = time.time() + 0.15
        procs = [
            ctx.Process(target=_first_queries, args=(str(path), start_at, errors)) for _ in range(2)
        ]
        for p in procs:
            p.start()
        failures += [e for _ in procs for e in errors.get(timeout=60)]
        for p in procs:
            p.join(timeout=60)
    assert failures == []
