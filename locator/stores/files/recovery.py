"""Writes to a data directory that survive a crash: the write lock, the intent a write
leaves before it changes anything, and the recovery that finishes or undoes a write a
crash (``kill -9``, a power cut) interrupted, and removes the temporary files it left.

A layer write (:func:`locator.importer.history.replace_layer`, rollbacks alike) goes in
this order, each step durable before the next:

1. ``history/pending-write.json``, the intent: the layer, the checksums of the old and
   new file, the version id the old file is kept under, the log's length and the line
   the log will get;
2. the old file kept as ``history/<layer>/<version>.geojson``;
3. the layer replaced (a temporary file, renamed over it);
4. the line appended to ``history/import-log.jsonl``;
5. the intent removed.

:func:`recover_writes` runs when the app starts, when a writing command starts, and
before every write, holding the write lock: an intent found then belongs to a writer
that died. If the log has its line, the write finished. If the layer file is the new
one, the write is rolled forward: the old file is kept (it was, before the rename) and
the log line written, marked ``recovered_at``. Otherwise the layer was never replaced,
and the write is undone: its kept copy removed and any half-written log line cut off.
Either way the layer, its history and the log agree again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import signal
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from locator.stores.files.read import TEMP_PREFIX, TEMP_SUFFIX, fsync_dir, write_bytes_atomic
from locator.values.registry import HISTORY_DIR, LOG_FILE

#: the intent of the write in progress, in the history folder
PENDING_FILE = "pending-write.json"
#: tests stop a write at a named step as ``kill -9`` would (see :func:`crash_point`)
CRASH_ENV = "LOCATOR_TEST_CRASH_AT"

_log = logging.getLogger(__name__)


@contextlib.contextmanager
def write_lock(data_dir: Path | str) -> Iterator[None]:
    """One writer at a time per data directory (an advisory lock; POSIX only). Hold it from
    the checks to the write, so that two imports cannot both pass a check that only one
    of them may pass (an id used twice). The kernel releases it when its process dies."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no second writer expected
        yield
        return
    # the lock is on the data directory itself: taking it writes nothing
    fd = os.open(data_dir, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def crash_point(step: str) -> None:
    """Die here, as ``kill -9`` would, when a test names ``step`` in
    ``LOCATOR_TEST_CRASH_AT``. Honoured only under pytest (``PYTEST_CURRENT_TEST``)."""
    if os.environ.get(CRASH_ENV) == step and "PYTEST_CURRENT_TEST" in os.environ:
        os.kill(os.getpid(), signal.SIGKILL)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_intent(data_dir: Path, intent: dict[str, Any]) -> None:
    """Record the write about to happen (see the module's steps); durable on return."""
    write_bytes_atomic(
        Path(data_dir) / HISTORY_DIR / PENDING_FILE,
        json.dumps(intent, ensure_ascii=False).encode("utf-8"),
    )


def clear_intent(data_dir: Path) -> None:
    """The write is complete (or undone): forget its intent, durably."""
    folder = Path(data_dir) / HISTORY_DIR
    (folder / PENDING_FILE).unlink(missing_ok=True)
    fsync_dir(folder)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # pragma: no cover - os.kill would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def stale_temp_paths(folder: Path, prefix: str, started_at: float) -> list[Path]:
    """The app's temporary files (or folders) in ``folder`` whose names start
    ``<prefix><pid>.`` or ``<prefix><pid>-``, left by a process that no longer runs and
    older than ``started_at`` (a UNIX time: the start of this run)."""
    out = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        digits = ""
        for ch in entry.name[len(prefix) :]:
            if not ch.isdigit():
                break
            digits += ch
        if not digits:
            continue
        try:
            old = entry.stat(follow_symlinks=False).st_mtime < started_at
        except OSError:
            continue
        if old and not _pid_alive(int(digits)):
            out.append(Path(entry.path))
    return out


def remove_stale_temp_files(folders: Iterable[Path], started_at: float) -> list[str]:
    """Remove the temporary files :func:`write_bytes_atomic` left in ``folders`` when its
    process died (see :func:`stale_temp_paths`); the names removed."""
    removed = []
    for folder in folders:
        for path in stale_temp_paths(folder, TEMP_PREFIX, started_at):
            if path.name.endswith(TEMP_SUFFIX) and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(str(path))
    return removed


def remove_stale_temp_dirs(parent: Path, prefix: str, started_at: float) -> list[str]:
    """Remove folders named ``<prefix><pid>-...`` in ``parent`` whose process died (the
    database store's working copies); the names removed."""
    removed = []
    for path in stale_temp_paths(parent, prefix, started_at):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(str(path))
    return removed


def _data_folders(data_dir: Path) -> list[Path]:
    history = data_dir / HISTORY_DIR
    folders = [data_dir, history]
    if history.is_dir():
        folders += [p for p in history.iterdir() if p.is_dir()]
    return folders


def recover_writes(
    data_dir: Path | str, started_at: float | None = None, locked: bool = False
) -> list[str]:
    """Finish or undo a layer write a crash interrupted (see the module) and, with
    ``started_at`` (the UNIX time this run started), remove the temporary files of
    writers that died before it. Returns what was done, in words, also logged.
    ``locked``: the caller holds :func:`write_lock`."""
    data_dir = Path(data_dir)
    pending = data_dir / HISTORY_DIR / PENDING_FILE
    stale = (
        any(stale_temp_paths(f, TEMP_PREFIX, started_at) for f in _data_folders(data_dir))
        if started_at is not None
        else False
    )
    if not stale and not pending.exists():
        return []  # nothing to do: no lock taken (a read-only data directory stays so)
    done: list[str] = []
    with contextlib.nullcontext() if locked else write_lock(data_dir):
        if started_at is not None:
            done += [
                f"removed the temporary file {p}"
                for p in remove_stale_temp_files(_data_folders(data_dir), started_at)
            ]
        if pending.exists():
            done.append(_recover_intent(data_dir, pending))
    for line in done:
        _log.warning("%s: %s", data_dir, line)
    return done


def _recover_intent(data_dir: Path, pending: Path) -> str:
    history = data_dir / HISTORY_DIR
    try:
        intent = json.loads(pending.read_bytes())
        layer, file, line = str(intent["layer"]), str(intent["file"]), str(intent["line"])
        new_sha, old_sha = intent["sha256"], intent.get("previous_sha256")
        kept, log_size = intent.get("kept"), int(intent["log_size"])
    except (ValueError, KeyError, TypeError):
        # the intent is written atomically before anything else: a damaged one means
        # nothing else was done
        clear_intent(data_dir)
        return "removed a damaged note of an interrupted write (nothing else was written)"
    path = data_dir / file
    current = _sha256(path.read_bytes()) if path.is_file() else None
    log = history / LOG_FILE
    kept_path = history / layer / f"{kept}.geojson" if kept else None
    if _log_has(log, log_size, line):
        outcome = f"the write of layer {layer} had finished; its note is removed"
    elif current == new_sha:
        # the new layer is in place: the old file was kept before it (or, if the two are
        # the same bytes, is the file now); the log gets its line
        if kept_path is not None and not kept_path.exists() and current == old_sha:
            write_bytes_atomic(kept_path, path.read_bytes())
        entry = json.loads(line)
        entry["recovered_at"] = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        _append_log(log, log_size, json.dumps(entry, ensure_ascii=False) + "\n")
        outcome = (
            f"an interrupted write of layer {layer} was finished: the new file was in "
            "place, the log line is written"
        )
    else:
        # the layer was never replaced: nothing of the write stays
        if (
            kept_path is not None
            and kept_path.is_file()
            and _sha256(kept_path.read_bytes()) == old_sha
        ):
            kept_path.unlink()
            fsync_dir(kept_path.parent)
        _append_log(log, log_size, "")
        outcome = (
            f"an interrupted write of layer {layer} was undone: the layer had not been "
            "replaced, its copy in the history is removed"
        )
    clear_intent(data_dir)
    return outcome


def _log_has(log: Path, log_size: int, line: str) -> bool:
    """The log holds ``line``, complete, where the write put it."""
    try:
        with open(log, "rb") as fh:
            fh.seek(log_size)
            return fh.read(len(line.encode("utf-8")) + 1) == line.encode("utf-8")
    except OSError:
        return False


def _append_log(log: Path, log_size: int, line: str) -> None:
    """Cut the log back to ``log_size`` bytes (a line a crash left half written) and add
    ``line``, durably."""
    if not log.exists() and not line:
        return
    with open(log, "ab") as fh:
        if fh.tell() > log_size:
            fh.truncate(log_size)
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
