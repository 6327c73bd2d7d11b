"""Files into the database and back, and the working copy writes go through.

A collection is kept as its features' JSON text in file order plus a ``geography`` per
feature, so ``dump`` writes back the canonical file (:func:`locator.stores.files.read.
feature_collection_text`) byte for byte, and the data version a database answers
with equals the file store's for the same files.

Writes (``load``, and imports and rollbacks through :func:`working_copy`) take one advisory
lock and run in one transaction: readers on every app server see the old data or the new,
never a mix, and a write that fails changes nothing.

The working copy of work on one layer (an import, its history, a rollback, an export)
holds only what that work reads: the reference collections, the layer, its kept versions
and log lines, and the other layers' ids; the rest of the database is never sent. The
analysis snapshot reads rows (:func:`read_rows`), never files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from json.encoder import encode_basestring as _json_str
from pathlib import Path
from typing import Any

import psycopg
import shapely

from locator.formats.geojson import dumps_feature, feature_collection_text
from locator.operations.network import NETWORK_FILE
from locator.stores.files.read import (
    HOLIDAYS_FILE,
    FeatureSource,
    check_facilities,
    city_from_bytes,
    data_version,
    features_outline,
    make_layer,
    read_city,
    read_features,
    read_geodata,
    read_references,
    reference_context,
    write_bytes_atomic,
)
from locator.stores.files.recovery import remove_stale_temp_dirs
from locator.stores.postgis.db import Database
from locator.stores.postgis.schema import WRITE_LOCK, migrate
from locator.values import registry
from locator.values.city import CITY_PROFILE_FILE, CityProfile
from locator.values.errors import DataError
from locator.values.registry import HISTORY_DIR, LOG_FILE

#: a progress callback: (collection id, features done, features in all)
Progress = Callable[[str, int, int], None]

#: documents a data directory holds besides its collections
DOCUMENT_PATTERNS = (CITY_PROFILE_FILE, HOLIDAYS_FILE, "*.csv", NETWORK_FILE)
#: the channel app servers may LISTEN on (they poll the version row in any case)
CHANNEL = "locator_data"


def _no_progress(_cid: str, _done: int, _total: int) -> None:
    pass


@dataclasses.dataclass
class Parsed:
    """One collection file read for the database: its members other than the features,
    its features and their canonical texts, and the SHA-256 of the canonical file."""

    decl: registry.Collection
    members: dict[str, Any]
    features: list[dict[str, Any]]
    docs: list[str]
    digest: str


def parse_collection(decl: registry.Collection, data: bytes) -> Parsed:
    doc = json.loads(data)
    members = {k: v for k, v in doc.items() if k not in ("type", "features")}
    features = doc.get("features") or []
    docs = [dumps_feature(f) for f in features]
    digest = hashlib.sha256(feature_collection_text(members, docs).encode("utf-8")).hexdigest()
    return Parsed(decl, members, features, docs, digest)


def _parse(folder: Path, collection_id: str) -> Parsed:
    decl = registry.BY_ID[collection_id]
    return parse_collection(decl, (folder / decl.file).read_bytes())


def _geometries_hex(p: Parsed) -> list[str]:
    """Hex EWKB (SRID 4326) of each feature's geometry, for the geography column."""
    if p.decl.kind is registry.Kind.POINT:
        coords = [f["geometry"]["coordinates"] for f in p.features]
        geoms = shapely.points([c[0] for c in coords], [c[1] for c in coords])
    else:
        geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in p.features])
    geoms = shapely.set_srid(geoms, 4326)
    return list(shapely.to_wkb(geoms, hex=True, include_srid=True)) if len(p.features) else []


def _fid(decl: registry.Collection, feat: dict[str, Any]) -> str:
    return str(feat["properties"].get(decl.id_property))


def write_collection(
    conn: psycopg.Connection, p: Parsed, info: Any, progress: Progress = _no_progress
) -> None:
    """Replace a collection's rows (inside the caller's transaction)."""
    cid = p.decl.id
    info_json = json.dumps(
        dataclasses.asdict(dataclasses.replace(info, version=p.digest[:16])), ensure_ascii=False
    )
    conn.execute("DELETE FROM locator.feature WHERE collection = %s", (cid,))
    conn.execute(
        "INSERT INTO locator.collection (id, members, digest, info, updated_at) "
        "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (id) DO UPDATE SET members = "
        "excluded.members, digest = excluded.digest, info = excluded.info, "
        "updated_at = now()",
        (cid, json.dumps(p.members, ensure_ascii=False), p.digest, info_json),
    )
    wkb = _geometries_hex(p)
    total = len(p.features)
    step = max(1000, total // 100)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY locator.feature (collection, seq, fid, doc, geog, amenities, facility) FROM STDIN"
        ) as copy,
    ):
        for i, (feat, text, geom) in enumerate(zip(p.features, p.docs, wkb, strict=True)):
            amen = feat["properties"].get("amenities") if p.decl.is_facility else None
            copy.write_row(
                (
                    cid,
                    i,
                    _fid(p.decl, feat),
                    text,
                    geom,
                    amen if isinstance(amen, list) else [],
                    p.decl.is_facility,
                )
            )
            if (i + 1) % step == 0:
                progress(cid, i + 1, total)
    progress(cid, total, total)


def _set_version(conn: psycopg.Connection) -> str:
    """Work the data version out from the collections, the holiday schedule and the city
    profile (as the file store does), store it and tell listening app servers."""
    version = _version_of(conn)
    conn.execute(
        "INSERT INTO locator.state (one, version, changed_at) VALUES (true, %s, "
        "now()) ON CONFLICT (one) DO UPDATE SET version = excluded.version, "
        "changed_at = now()",
        (version,),
    )
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, version))
    return version


def _document_files(data_dir: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pattern in DOCUMENT_PATTERNS:
        for path in sorted(data_dir.glob(pattern)):
            if path.is_file():
                found[path.name] = path
    return found


@dataclasses.dataclass(frozen=True)
class LoadResult:
    version: str
    written: dict[str, int]  # collection id -> features written
    unchanged: dict[str, int]
    removed: list[str]


def load_dir(
    db: Database, data_dir: Path | str, progress: Progress = _no_progress, force: bool = False
) -> LoadResult:
    """Put a data directory into the database: validated first (nothing is written when a
    file is broken), then every changed collection replaced, in one transaction.
    Idempotent: collections whose text is unchanged are left as they are."""
    data_dir = Path(data_dir)
    geodata = read_geodata(data_dir)  # DataError names the file, feature and problem
    with db.connect() as conn:
        migrate(conn)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            return _load(conn, data_dir, geodata, progress, force)


def _load(
    conn: psycopg.Connection, data_dir: Path, geodata: Any, progress: Progress, force: bool
) -> LoadResult:
    have = {r[0]: r[1] for r in conn.execute("SELECT id, digest FROM locator.collection")}
    written, unchanged = {}, {}
    for cid, coll in geodata.collections.items():
        parsed = _parse(data_dir, cid)
        if not force and have.get(cid) == parsed.digest:
            unchanged[cid] = len(parsed.features)
            continue
        write_collection(conn, parsed, coll.info(), progress)
        written[cid] = len(parsed.features)
    removed = sorted(set(have) - set(geodata.collections))
    if removed:
        conn.execute("DELETE FROM locator.collection WHERE id = ANY(%s)", (removed,))
    docs = _document_files(data_dir)
    for name, path in docs.items():
        conn.execute(
            "INSERT INTO locator.document (name, body) VALUES (%s, %s) ON CONFLICT "
            "(name) DO UPDATE SET body = excluded.body",
            (name, path.read_bytes()),
        )
    conn.execute("DELETE FROM locator.document WHERE NOT (name = ANY(%s))", (list(docs),))
    if written or removed:
        _analyze(conn)
    old = conn.execute("SELECT version FROM locator.state").fetchone()
    version = _version_of(conn)
    if old is None or old[0] != version:  # a new holiday schedule alone changes it too
        _set_version(conn)
    return LoadResult(version, written, unchanged, removed)


def _version_of(conn: psycopg.Connection) -> str:
    digests = {r[0]: r[1] for r in conn.execute("SELECT id, digest FROM locator.collection")}
    for name in (HOLIDAYS_FILE, CITY_PROFILE_FILE):  # as read_geodata counts them
        doc = conn.execute("SELECT body FROM locator.document WHERE name = %s", (name,)).fetchone()
        if doc is not None:
            digests[name] = hashlib.sha256(bytes(doc[0])).hexdigest()
    # the network (tens of MB) is hashed where it lies
    net = conn.execute(
        "SELECT encode(sha256(body), 'hex') FROM locator.document WHERE name = %s",
        (NETWORK_FILE,),
    ).fetchone()
    if net is not None:
        digests[NETWORK_FILE] = net[0]
    return data_version(digests)


def dump_dir(
    db: Database, out_dir: Path | str, progress: Progress = _no_progress, history: bool = False
) -> str:
    """Write the database's collections and documents (and with ``history`` the kept
    versions and the import log) as a data directory; returns the data version. Every
    file is written atomically, from one snapshot of the database."""
    with db.connect() as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            return _dump(conn, Path(out_dir), progress, history)


def _dump(
    conn: psycopg.Connection,
    out: Path,
    progress: Progress = _no_progress,
    history: bool = False,
    only: set[str] | None = None,
) -> str:
    out.mkdir(parents=True, exist_ok=True)
    row = conn.execute("SELECT version FROM locator.state").fetchone()
    if row is None:
        raise DataError("database", "no data loaded; run `locator db load`")
    rows = conn.execute(
        "SELECT id, members, (SELECT count(*) FROM locator.feature f "
        "WHERE f.collection = c.id) FROM locator.collection c"
    ).fetchall()
    for cid, members, total in sorted(
        rows, key=lambda r: list(registry.BY_ID).index(r[0]) if r[0] in registry.BY_ID else 99
    ):
        if cid not in registry.BY_ID or (only is not None and cid not in only):
            continue
        docs: list[str] = []
        with conn.cursor(name=f"dump_{cid}") as cur:
            cur.itersize = 20000
            cur.execute(
                "SELECT doc::text FROM locator.feature WHERE collection = %s ORDER BY seq", (cid,)
            )
            for (text,) in cur:
                docs.append(text)
                if len(docs) % 20000 == 0:
                    progress(cid, len(docs), total)
        progress(cid, len(docs), total)
        write_bytes_atomic(
            out / registry.BY_ID[cid].file, feature_collection_text(members, docs).encode("utf-8")
        )
    for name, body in conn.execute("SELECT name, body FROM locator.document"):
        if "/" not in name and not name.startswith("."):
            write_bytes_atomic(out / name, bytes(body))
    if history:
        folder = out / HISTORY_DIR
        folder.mkdir(exist_ok=True)
        for layer, vid, kept_ns, body in conn.execute(
            "SELECT layer, version_id, kept_ns, body FROM locator.history"
        ):
            path = folder / layer / f"{vid}.geojson"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(body))
            os.utime(path, ns=(kept_ns, kept_ns))
        lines = [r[0] for r in conn.execute("SELECT line FROM locator.import_log ORDER BY n")]
        if lines:
            (folder / LOG_FILE).write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return str(row[0])


@dataclasses.dataclass(frozen=True)
class Rows:
    """Collections and documents read from one database snapshot, for the file store's
    own checks (:func:`locator.stores.files.read.build_geodata`): no files in between."""

    version: str
    #: collection id -> (features in file order, SHA-256 of the canonical file text)
    collections: dict[str, tuple[list[dict[str, Any]], str]]
    documents: dict[str, bytes]

    def source(self) -> FeatureSource:
        def give(decl: registry.Collection) -> tuple[list[dict[str, Any]], str] | None:
            found = self.collections.get(decl.id)
            if found is None:
                return None
            return features_outline(decl.file, found[0]), found[1]

        return give

    def holidays(self) -> tuple[str, bytes] | None:
        body = self.documents.get(HOLIDAYS_FILE)
        return None if body is None else (HOLIDAYS_FILE, body)

    def city(self) -> CityProfile:
        """The city profile of this version (``city.json``, kept as a document)."""
        body = self.documents.get(CITY_PROFILE_FILE)
        if body is None:
            raise DataError(
                CITY_PROFILE_FILE,
                "not in the database: run `locator db load` with a data "
                "directory that has its city profile",
            )
        return city_from_bytes(body)


def read_rows(conn: psycopg.Connection, only: set[str] | None = None) -> Rows:
    """The collections (``only`` those named, or all) and documents of the database, as
    parsed features; run it in a repeatable-read transaction so that everything is of one
    version (the version returned)."""
    row = conn.execute("SELECT version FROM locator.state").fetchone()
    if row is None:
        raise DataError("database", "no data loaded; run `locator db load`")
    found = {}
    for cid, digest in conn.execute("SELECT id, digest FROM locator.collection").fetchall():
        if cid not in registry.BY_ID or (only is not None and cid not in only):
            continue
        found[cid] = (_feature_docs(conn, cid), str(digest))
    documents = {
        name: bytes(body) for name, body in conn.execute("SELECT name, body FROM locator.document")
    }
    return Rows(str(row[0]), found, documents)


def _feature_texts(conn: psycopg.Connection, cid: str) -> list[str]:
    """A collection's feature documents as text, in file order (a server-side cursor:
    the rows come in batches, not all at once)."""
    texts: list[str] = []
    with conn.cursor(name=f"rows_{cid}") as cur:
        cur.itersize = 20000
        cur.execute(
            "SELECT doc::text FROM locator.feature WHERE collection = %s ORDER BY seq", (cid,)
        )
        texts.extend(text for (text,) in cur)
    return texts


def _feature_docs(conn: psycopg.Connection, cid: str) -> list[Any]:
    """A collection's features, parsed, in file order: a batch of rows at a time, each
    batch's texts joined and parsed at once (far cheaper than a json.loads per row, and
    no more than a batch of text held beside the features)."""
    docs: list[Any] = []
    with conn.cursor(name=f"docs_{cid}") as cur:
        cur.execute(
            "SELECT doc::text FROM locator.feature WHERE collection = %s ORDER BY seq", (cid,)
        )
        while batch := cur.fetchmany(20000):
            docs.extend(json.loads("[" + ",".join(r[0] for r in batch) + "]"))
    return docs


def _scan(wdir: Path) -> dict[str, str]:
    """SHA-256 of each file a write may change: collections, kept versions, the log."""
    out = {}
    for decl in registry.BY_ID.values():
        path = wdir / decl.file
        if path.exists():
            out[decl.file] = hashlib.sha256(path.read_bytes()).hexdigest()
    folder = wdir / HISTORY_DIR
    if folder.is_dir():
        for path in folder.glob("*/*.geojson"):
            out[str(path.relative_to(wdir))] = "kept"
    return out


def _log_lines(wdir: Path) -> list[str]:
    path = wdir / HISTORY_DIR / LOG_FILE
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@contextlib.contextmanager
def working_copy(
    db: Database, write: bool = True, layer: str | None = None, others: bool = True
) -> Iterator[Path]:
    """A data directory made from the database, for the importer's own code to check and
    write through. With ``write``, the changes made in it (layers replaced, versions kept,
    log lines) go back to the database when the block ends, in the transaction that holds
    the write lock from the first read: all or nothing, one writer at a time.

    With ``layer`` (a facility layer) the copy holds only what work on that layer reads
    (:func:`_write_partial`) and only that layer, its kept versions and new log lines go
    back; without, it holds everything (every layer, all history: what only a whole-data
    command needs)."""
    # the copies of processes killed mid-import (their transaction rolled back when the
    # connection dropped) are removed; this one is named by its process to be found so
    remove_stale_temp_dirs(Path(tempfile.gettempdir()), WORKING_COPY_PREFIX, time.time())
    with (
        db.connect() as conn,
        tempfile.TemporaryDirectory(prefix=f"{WORKING_COPY_PREFIX}{os.getpid()}-") as tmp,
    ):
        wdir = Path(tmp)
        if not write:
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction():
            if write:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            if layer is None:
                _dump(conn, wdir, history=True)
                before, log_before = _scan(wdir), len(_log_lines(wdir))
                yield wdir
                if write:
                    _commit(conn, wdir, before, log_before)
                return
            # a write checks the layer against the other layers' ids: it needs them
            copy = _write_partial(conn, wdir, layer, others or write)
            yield wdir
            if write:
                _commit_layer(conn, wdir, copy)


#: a working copy's folder, in the system's temporary folder, is named so with its pid
WORKING_COPY_PREFIX = "locator-wc-"

#: how a stub file of another layer says what it is (a member the importer ignores)
STUB_MEMBER = "locator_ids_only"


@dataclasses.dataclass
class _Partial:
    """What a partial working copy wrote: the target layer (None: not a facility layer),
    its digest and feature count, the signature of every other file (none may change),
    that layer's kept versions, the number of log lines and the other layers' ids."""

    layer: str | None
    layer_digest: str | None
    layer_count: int
    fixed: dict[str, tuple[int, int, int]]
    kept: set[str]
    log_before: int
    other_ids: dict[str, str]


def _signature(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _write_partial(conn: psycopg.Connection, wdir: Path, layer: str, others: bool) -> _Partial:
    """Write what work on one facility layer reads: the reference collections (not the
    routes), the JSON documents (holidays), the layer itself byte for byte, its kept
    versions and its lines of the import log; and with ``others``, each other facility
    layer as a stub of its ids only (ids are unique across layers: an import checks new
    ids against them, a rollback too). No other layer's features or history is read."""
    row = conn.execute("SELECT version FROM locator.state").fetchone()
    if row is None:
        raise DataError("database", "no data loaded; run `locator db load`")
    decl = registry.BY_ID.get(layer)
    target = decl.id if decl is not None and decl.is_facility else None
    present: dict[str, Any] = dict(
        conn.execute("SELECT id, members FROM locator.collection").fetchall()
    )
    fixed: dict[str, tuple[int, int, int]] = {}
    other_ids: dict[str, str] = {}
    digest = None
    layer_count = 0
    for d in registry.BY_ID.values():
        if d.id not in present or d.is_route:
            continue
        path = wdir / d.file
        if d.id == target:
            texts = _feature_texts(conn, d.id)
            layer_count = len(texts)
            data = feature_collection_text(present[d.id], texts).encode("utf-8")
            path.write_bytes(data)
            digest = hashlib.sha256(data).hexdigest()
            continue
        if d.is_facility:
            if not others:
                continue
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT fid FROM locator.feature WHERE collection = %s", (d.id,)
                ).fetchall()
            ]
            other_ids.update(dict.fromkeys(ids, d.file))
            # what dumps_feature writes for {"type": "Feature", "properties": {"id": fid}},
            # many times faster for a million ids
            text = feature_collection_text(
                {STUB_MEMBER: True, "name": d.id},
                ('{"type":"Feature","properties":{"id":' + _json_str(fid) + "}}" for fid in ids),
            )
        else:
            text = feature_collection_text(present[d.id], _feature_texts(conn, d.id))
        path.write_text(text, encoding="utf-8")
        fixed[d.file] = _signature(path)
    for name, body in conn.execute(
        "SELECT name, body FROM locator.document WHERE name LIKE '%.json'"
    ):
        if "/" not in name and not name.startswith("."):
            (wdir / name).write_bytes(bytes(body))
            fixed[name] = _signature(wdir / name)
    kept: set[str] = set()
    lines: list[str] = []
    if target is not None:
        folder = wdir / HISTORY_DIR / target
        for vid, kept_ns, body in conn.execute(
            "SELECT version_id, kept_ns, body FROM locator.history WHERE layer = %s", (target,)
        ):
            path = folder / f"{vid}.geojson"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(bytes(body))
            os.utime(path, ns=(kept_ns, kept_ns))
            kept.add(str(path.relative_to(wdir)))
        # the lines whose "layer" is this one, as json.dumps writes them (the importer
        # keeps only those in any case); other lines are never sent
        pattern = '%"layer": ' + json.dumps(target).replace("_", "\\_") + "%"
        lines = [
            r[0]
            for r in conn.execute(
                "SELECT line FROM locator.import_log WHERE line LIKE %s ORDER BY n", (pattern,)
            )
        ]
    if lines:
        (wdir / HISTORY_DIR).mkdir(exist_ok=True)
        (wdir / HISTORY_DIR / LOG_FILE).write_text(
            "".join(f"{line}\n" for line in lines), encoding="utf-8"
        )
    return _Partial(target, digest, layer_count, fixed, kept, len(lines), other_ids)


def _commit_layer(conn: psycopg.Connection, wdir: Path, copy: _Partial) -> None:
    """Write back what work on one layer changed: the layer (checked as the server will
    check it), its new kept versions and the new log lines. Anything else changed in the
    copy is a mistake, and nothing is written."""
    for name, sig in copy.fixed.items():
        path = wdir / name
        if not path.exists() or _signature(path) != sig:
            raise DataError(name, "changed in a working copy of another layer; nothing written")
    history = wdir / HISTORY_DIR
    new_kept = []
    if history.is_dir():
        for path in sorted(history.glob("*/*.geojson")):
            rel = str(path.relative_to(wdir))
            if rel in copy.kept:
                continue
            if path.parent.name != copy.layer:
                raise DataError(rel, "kept in a working copy of another layer; nothing written")
            new_kept.append(path)
    changed = False
    if copy.layer is not None:
        decl = registry.BY_ID[copy.layer]
        path = wdir / decl.file
        data = path.read_bytes() if path.exists() else None
        if data is None and copy.layer_digest is not None:
            raise DataError(decl.file, "removed in the working copy; nothing written")
        changed = data is not None and hashlib.sha256(data).hexdigest() != copy.layer_digest
    if changed:
        assert data is not None
        # the layer passes the server's checks against the references and the other
        # layers' ids, or nothing is written
        profile = read_city(wdir)
        refs = read_references(wdir, routes=False, profile=profile)
        districts, towns, city = reference_context(refs, profile)
        features = read_features(path)
        facilities, problems = check_facilities(
            decl.file, decl.id, features, districts, towns, city, dict(copy.other_ids)
        )
        if problems:
            raise problems[0]
        info = make_layer(decl.id, facilities, hashlib.sha256(data).hexdigest()).info()
        parsed = parse_collection(decl, data)
        write_collection(conn, parsed, info)
    for path in new_kept:
        conn.execute(
            "INSERT INTO locator.history (layer, version_id, kept_ns, body) "
            "VALUES (%s, %s, %s, %s)",
            (path.parent.name, path.stem, path.stat().st_mtime_ns, path.read_bytes()),
        )
    for line in _log_lines(wdir)[copy.log_before :]:
        conn.execute("INSERT INTO locator.import_log (line) VALUES (%s)", (line,))
    if changed:
        _analyze(conn, copy.layer_count + len(parsed.features))
        _set_version(conn)


def _commit(conn: psycopg.Connection, wdir: Path, before: dict[str, str], log_before: int) -> None:
    after = _scan(wdir)
    changed = [
        decl
        for decl in registry.BY_ID.values()
        if decl.file in after and after[decl.file] != before.get(decl.file)
    ]
    if changed:
        # the whole directory passes the server's checks, or nothing is written
        geodata = read_geodata(wdir)
        for decl in changed:
            write_collection(conn, _parse(wdir, decl.id), geodata.collections[decl.id].info())
    for rel in sorted(set(after) - set(before)):
        if rel.startswith(HISTORY_DIR + "/"):
            path = wdir / rel
            conn.execute(
                "INSERT INTO locator.history (layer, version_id, kept_ns, body) "
                "VALUES (%s, %s, %s, %s)",
                (path.parent.name, path.stem, path.stat().st_mtime_ns, path.read_bytes()),
            )
    for line in _log_lines(wdir)[log_before:]:
        conn.execute("INSERT INTO locator.import_log (line) VALUES (%s)", (line,))
    if changed:
        _analyze(conn)
        _set_version(conn)


def _analyze(conn: psycopg.Connection, rows_changed: int | None = None) -> None:
    """Fresh planner statistics for the rows just written: without them PostgreSQL
    guesses that an amenity filter keeps 0.5 % of rows and, for a larger LIMIT, may sort
    the whole table instead of walking the KNN index (seen at a million points).

    ``rows_changed`` (rows deleted and inserted): below a tenth of the table the
    statistics barely move, and ANALYZE (seconds at a million rows) is left to
    autovacuum, whose default threshold is that same tenth."""
    if rows_changed is not None:
        row = conn.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'locator.feature'::regclass"
        ).fetchone()
        if row is not None and row[0] >= 0 and rows_changed * 10 < row[0]:
            return
    conn.execute("ANALYZE locator.feature")
