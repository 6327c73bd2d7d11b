"""Replacing a layer file without ever losing what was there: versions, a log, rollback.

Under ``<data dir>/history/``:

- ``<layer>/<version>.geojson``: every file a write replaced, byte for byte. A version id
  is the UTC time it was replaced and the first 8 hex digits of its SHA-256
  (``20261124T053000Z-1a2b3c4d``);
- ``import-log.jsonl``: one JSON line per import or rollback (who, when, file, counts,
  checksum, the version kept).

A write takes a lock (two imports at once queue), records its intent, keeps the current
file in the history, then replaces the layer atomically (temporary file in the same
directory, flush, fsync, rename; :func:`locator.stores.files.read.write_bytes_atomic`),
so a server reading the directory sees the old layer or the new one, never half of
each; then it logs. A crash anywhere in between is finished or undone at the next start
or write (:mod:`locator.stores.files.recovery`): the layer, its history and the log
always agree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from locator.formats.geojson import dumps_feature_collection
from locator.stores.files.read import (
    check_layer,
    read_city,
    read_features,
    read_references,
    reference_context,
    write_bytes_atomic,
)
from locator.stores.files.recovery import (
    clear_intent,
    crash_point,
    recover_writes,
    write_intent,
    write_lock,
)
from locator.values import registry
from locator.values.errors import DataError, LocatorError
from locator.values.registry import HISTORY_DIR, LOG_FILE


@dataclass(frozen=True)
class Version:
    """One version of a layer: the current file (``id`` "current") or one kept."""

    id: str
    layer: str
    path: Path
    count: int
    sources: tuple[str, ...]
    sha256: str
    current: bool = False
    #: what the import log says about the write that made this version, when it knows
    made_by: dict[str, Any] | None = None
    #: the layer as it was before any logged write (the data it came with)
    original: bool = False


def history_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / HISTORY_DIR


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _version_id(when: dt.datetime, data: bytes, folder: Path) -> str:
    """A version id not taken in ``folder`` (the caller holds the write lock)."""
    base = f"{when:%Y%m%dT%H%M%SZ}-{hashlib.sha256(data).hexdigest()[:8]}"
    vid, n = base, 2
    while (folder / f"{vid}.geojson").exists():
        vid, n = f"{base}-{n}", n + 1
    return vid


def replace_layer(
    data_dir: Path | str,
    layer: str,
    features: list[dict[str, Any]],
    entry: dict[str, Any],
    locked: bool = False,
) -> dict[str, Any]:
    """Replace a facility layer's file with ``features``, keeping the old file in the
    history and logging ``entry`` (who, file ...) with the counts and checksum added.
    Returns the log entry. If the write fails, the old file stays and nothing is logged.
    ``locked``: the caller holds :func:`write_lock` already."""
    text = dumps_feature_collection(features, registry.BY_ID[layer].id)
    return _replace(Path(data_dir), layer, text.encode("utf-8"), len(features), entry, locked)


def _replace(
    data_dir: Path, layer: str, data: bytes, count: int, entry: dict[str, Any], locked: bool = False
) -> dict[str, Any]:
    when = _now()
    decl = registry.BY_ID[layer]
    with contextlib.nullcontext() if locked else write_lock(data_dir):
        # a write a crash interrupted is finished or undone first: the log's length and
        # the history this write starts from are then what they say
        recover_writes(data_dir, locked=True)
        history = history_dir(data_dir)
        history.mkdir(parents=True, exist_ok=True)
        # the log opens before anything is written: a log that cannot be written stops
        # the import while nothing has changed
        with open(history / LOG_FILE, "a", encoding="utf-8") as log_file:
            path = data_dir / decl.file
            old = path.read_bytes() if path.exists() else None
            folder = history / layer
            kept = _version_id(when, old, folder) if old is not None else None
            entry = {
                "at": when.isoformat().replace("+00:00", "Z"),
                **entry,
                "layer": layer,
                "features": count,
                "sha256": hashlib.sha256(data).hexdigest(),
                "previous_version": kept,
            }
            line = json.dumps(entry, ensure_ascii=False) + "\n"
            log_size = os.fstat(log_file.fileno()).st_size
            if log_size and not _ends_with_newline(history / LOG_FILE):
                # a line cut off before this code kept intents: it stays a line of its
                # own (unreadable, skipped), not the start of this one
                log_file.write("\n")
                log_file.flush()
                log_size += 1
            # the intent first: whatever a crash leaves undone after it, the next start
            # finishes or undoes (locator.stores.files.recovery)
            write_intent(
                data_dir,
                {
                    "layer": layer,
                    "file": decl.file,
                    "sha256": entry["sha256"],
                    "previous_sha256": hashlib.sha256(old).hexdigest() if old is not None else None,
                    "kept": kept,
                    "log_size": log_size,
                    "line": line,
                },
            )
            crash_point("after_intent")
            try:
                if old is not None:
                    write_bytes_atomic(folder / f"{kept}.geojson", old)
                    crash_point("after_keep")
                write_bytes_atomic(path, data, lambda: crash_point("layer_temp_written"))
            except BaseException:
                if kept:
                    (folder / f"{kept}.geojson").unlink(missing_ok=True)
                clear_intent(data_dir)
                raise
            crash_point("after_replace")
            try:
                log_file.write(line)
                log_file.flush()
                os.fsync(log_file.fileno())
            except OSError as exc:
                # the layer is replaced already: say so, do not fail; the intent stays,
                # so the next write or start writes the line
                logging.getLogger(__name__).error(
                    "layer %s replaced but the import log could not be written: %s", layer, exc
                )
                entry["log_error"] = str(exc)
                return entry
            crash_point("after_log")
            clear_intent(data_dir)
    return entry


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def read_log(data_dir: Path | str) -> list[dict[str, Any]]:
    path = history_dir(data_dir) / LOG_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out


def _logged_at(entry: dict[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(entry.get("at", "")).replace("Z", "+00:00"))
    except ValueError:
        return None


def _kept_at(vid: str) -> dt.datetime | None:
    """When a kept version was replaced (its id starts with that UTC time)."""
    try:
        return dt.datetime.strptime(vid[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def _describe(
    vid: str, layer: str, path: Path, current: bool, entries: list[dict[str, Any]]
) -> Version:
    """A version, with the logged write that made it: the last one that wrote these bytes
    before the version was replaced. Bytes a later write brings back (a rollback to the
    original) do not make the earlier version that write's: the original stays original."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    # the writes before the one that replaced this version (by the log's own link, else
    # by time); for the current file, every write
    replaced_by = [i for i, e in enumerate(entries) if e.get("previous_version") == vid]
    if current:
        before = entries
    elif replaced_by:
        before = entries[: replaced_by[0]]
    else:
        until = _kept_at(vid)
        before = [
            e
            for e in entries
            if until is not None and (at := _logged_at(e)) is not None and at < until
        ]
    made = [e for e in before if str(e.get("sha256")) == sha]
    made_by = made[-1] if made else None
    try:
        features = json.loads(data).get("features") or []
    except (ValueError, AttributeError, RecursionError):
        features = []
    if not isinstance(features, list):
        features = []
    props = [f.get("properties") for f in features if isinstance(f, dict)]
    sources = sorted({str(p["source"]) for p in props if isinstance(p, dict) and p.get("source")})
    # the original: made by no logged write, and older than every one (a current file no
    # write made is original only while there has been none)
    original = made_by is None and not before
    return Version(vid, layer, path, len(features), tuple(sources), sha, current, made_by, original)


def versions(data_dir: Path | str, layer: str) -> list[Version]:
    """The layer's current file first, then the kept versions, newest first."""
    data_dir = Path(data_dir)
    decl = registry.BY_ID[layer]
    entries = [e for e in read_log(data_dir) if e.get("layer") == layer]
    out = []
    current = data_dir / decl.file
    if current.exists():
        out.append(_describe("current", layer, current, True, entries))
    folder = history_dir(data_dir) / layer
    if folder.is_dir():
        # newest first: by the time in the id, then (same second) by when it was written
        for path in sorted(
            folder.glob("*.geojson"),
            key=lambda p: (p.stem[:16], p.stat().st_mtime_ns),
            reverse=True,
        ):
            out.append(_describe(path.stem, layer, path, False, entries))
    return out


def find_version(data_dir: Path | str, layer: str, wanted: str) -> Version:
    """The kept version ``wanted`` names (its id, or a prefix naming one version)."""
    kept = [v for v in versions(data_dir, layer) if not v.current]
    exact = [v for v in kept if v.id == wanted]
    matches = exact or [v for v in kept if wanted and v.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(v.id for v in kept[:10]) or "none"
    if not matches:
        raise LocatorError(
            f"version: layer {layer} has no version {wanted!r}; kept versions: {known}"
        )
    raise LocatorError(f"version: {wanted!r} names {len(matches)} versions; give more of the id")


def rollback(data_dir: Path | str, layer: str, wanted: str, who: str) -> dict[str, Any]:
    """Restore a kept version of a layer, the same way an import writes (the current file
    is kept first, so a rollback can itself be rolled back). The version must pass the
    layer checks against today's reference data and other layers, or nothing changes."""
    data_dir = Path(data_dir)
    version = find_version(data_dir, layer, wanted)
    with write_lock(data_dir):
        profile = read_city(data_dir)
        refs = read_references(data_dir, routes=False, profile=profile)
        districts, towns, city = reference_context(refs, profile)
        seen: dict[str, str] = {}
        for other in registry.FACILITIES:
            path = data_dir / other.file
            if other.id == layer or not path.exists():
                continue
            try:
                features = read_features(path)
            except DataError:
                continue  # a broken other layer is the server's to refuse, not ours
            for f in features:
                seen[str(f["properties"].get("id"))] = other.file
        facilities, problems = check_layer(version.path, layer, districts, towns, city, seen)
        if problems:
            raise LocatorError(
                f"version {version.id} no longer passes the layer checks, nothing changed: "
                f"{problems[0].message}"
                + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
            )
        # byte for byte: the restored file is the file that was replaced
        return _replace(
            data_dir,
            layer,
            version.path.read_bytes(),
            len(facilities),
            {
                "action": "rollback",
                "who": who,
                "file": f"{HISTORY_DIR}/{layer}/{version.id}.geojson",
                "restored_version": version.id,
            },
            locked=True,
        )
