"""Reports in a SQLite file beside the data (:mod:`locator.stores.reports`).

``history/reports.sqlite`` in the data directory: WAL journal, ``synchronous=FULL`` (a
commit is fsynced before :meth:`SqliteReports.add` returns), so a report acknowledged is
kept across processes (``--workers N``), restarts and power loss. Writers queue on SQLite's
own lock (``BEGIN IMMEDIATE``), readers never wait for them (WAL). The data watcher looks
only at the declared data files, and imports replace only those: a data swap never touches
this file. The file is made on first use, so a read-only data directory is served as long
as nobody reports.

The client-key secret is a file of its own (``history/.reports-secret``), made atomically
on first use (written aside, then hard-linked into place: of two processes racing, both
read the one that won).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from locator.stores.reports import Limit, decided_already, where_clause
from locator.values.errors import StoreUnavailable
from locator.values.registry import HISTORY_DIR
from locator.values.reports import (
    RateLimited,
    ReportNotFound,
    StoredReport,
    parse_utc,
    utc_iso,
)

REPORTS_FILE = "reports.sqlite"
SECRET_FILE = ".reports-secret"
#: how long a writer waits for another's transaction (milliseconds)
BUSY_TIMEOUT_MS = 15000

SCHEMA = """
CREATE TABLE IF NOT EXISTS reports (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    client_key TEXT NOT NULL,
    received_at TEXT NOT NULL,
    facility_id TEXT,
    layer TEXT,
    lon REAL,
    lat REAL,
    fields TEXT NOT NULL DEFAULT '{}',
    text TEXT,
    work TEXT,
    status TEXT NOT NULL DEFAULT 'received',
    decided_at TEXT,
    decision_note TEXT,
    merged_into TEXT
);
CREATE INDEX IF NOT EXISTS reports_client ON reports (client_key, received_at);
CREATE INDEX IF NOT EXISTS reports_status ON reports (status, n);
CREATE INDEX IF NOT EXISTS reports_facility ON reports (facility_id, n);
"""
COLUMNS = (
    "id, kind, client_id, client_key, received_at, facility_id, layer, lon, lat, fields, "
    "text, work, status, decided_at, decision_note, merged_into"
)


def reports_path(data_dir: Path | str) -> Path:
    """Where a data directory keeps its reports."""
    return Path(data_dir) / HISTORY_DIR / REPORTS_FILE


def _row_report(row: Any) -> StoredReport:
    return StoredReport(
        id=row[0],
        kind=row[1],
        client_id=row[2],
        client_key=row[3],
        received_at=parse_utc(row[4]),
        facility_id=row[5],
        layer=row[6],
        lon=row[7],
        lat=row[8],
        fields=json.loads(row[9] or "{}"),
        text=row[10],
        work=row[11],
        status=row[12],
        decided_at=parse_utc(row[13]) if row[13] else None,
        decision_note=row[14],
        merged_into=row[15],
    )


class SqliteReports:
    """The report store protocol over one SQLite file (one connection per thread)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()
        self._secret: bytes | None = None

    # ------------------------------------------------------------------ connections

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._set_up(conn)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"reports {self.path}: {exc}") from None
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _set_up(self, conn: sqlite3.Connection) -> None:
        """WAL, full sync and the schema, on a new connection. Connections opening a new
        file at once (two worker processes' first requests) can find it locked while one
        of them switches it to WAL, which SQLite reports at once, without its busy
        handler: that is waited out here, as a busy writer is (BUSY_TIMEOUT_MS)."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        pause = 0.005
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                with self._ready_lock:
                    if not self._ready:
                        conn.executescript(SCHEMA)  # each statement idempotent
                        self._ready = True
                return
            except sqlite3.OperationalError as exc:
                text = str(exc)
                if ("locked" not in text and "busy" not in text) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.2)

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._connect().execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"reports {self.path}: {exc}") from None

    # ------------------------------------------------------------------ the protocol

    def add(self, report: StoredReport, limits: Sequence[Limit] = ()) -> tuple[StoredReport, bool]:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")  # one writer at a time, from check to commit
            try:
                row = conn.execute(
                    f"SELECT {COLUMNS} FROM reports WHERE client_id = ?", (report.client_id,)
                ).fetchone()
                if row is not None:
                    conn.execute("COMMIT")
                    return _row_report(row), False
                for since, most, retry_after_s in limits:
                    (n,) = conn.execute(
                        "SELECT count(*) FROM reports WHERE client_key = ? AND received_at >= ?",
                        (report.client_key, utc_iso(since)),
                    ).fetchone()
                    if n >= most:
                        raise RateLimited(retry_after_s)
                conn.execute(
                    f"INSERT INTO reports ({COLUMNS}) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        report.id,
                        report.kind,
                        report.client_id,
                        report.client_key,
                        utc_iso(report.received_at),
                        report.facility_id,
                        report.layer,
                        report.lon,
                        report.lat,
                        json.dumps(report.fields, ensure_ascii=False),
                        report.text,
                        report.work,
                        report.status,
                        utc_iso(report.decided_at) if report.decided_at else None,
                        report.decision_note,
                        report.merged_into,
                    ),
                )
                conn.execute("COMMIT")  # fsynced (synchronous=FULL) before it returns
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"reports {self.path}: {exc}") from None
        return report, True

    def get(self, report_id: str) -> StoredReport | None:
        rows = self._query(f"SELECT {COLUMNS} FROM reports WHERE id = ?", (report_id,))
        return _row_report(rows[0]) if rows else None

    def list(
        self,
        status: str | None = None,
        kind: str | None = None,
        facility_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[StoredReport]:
        where, args = where_clause(status, kind, facility_id, "?")
        rows = self._query(
            f"SELECT {COLUMNS} FROM reports{where} ORDER BY n DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
        return [_row_report(r) for r in rows]

    def count(
        self, status: str | None = None, kind: str | None = None, facility_id: str | None = None
    ) -> int:
        where, args = where_clause(status, kind, facility_id, "?")
        return int(self._query(f"SELECT count(*) FROM reports{where}", args)[0][0])

    def count_recent(self, client_key: str, since: dt.datetime) -> int:
        rows = self._query(
            "SELECT count(*) FROM reports WHERE client_key = ? AND received_at >= ?",
            (client_key, utc_iso(since)),
        )
        return int(rows[0][0])

    def decide(
        self,
        report_id: str,
        status: str,
        note: str | None,
        merged_into: str | None = None,
        expect: str = "received",
    ) -> StoredReport:
        conn = self._connect()
        try:
            cur = conn.execute(
                "UPDATE reports SET status = ?, decision_note = ?, merged_into = ?, "
                "decided_at = ? WHERE id = ? AND status = ?",
                (status, note, merged_into, utc_iso(dt.datetime.now(dt.UTC)), report_id, expect),
            )
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"reports {self.path}: {exc}") from None
        found = self.get(report_id)
        if found is None:
            raise ReportNotFound(report_id)
        if cur.rowcount == 0:
            raise decided_already(found)
        return found

    def client_secret(self) -> bytes:
        if self._secret is None:
            self._secret = read_or_make_secret(self.path.parent / SECRET_FILE)
        return self._secret


def read_or_make_secret(path: Path) -> bytes:
    """32 random bytes kept in ``path`` (hex), made on first use: written to a file of
    this process's own, fsynced, then hard-linked to ``path`` (which fails if another
    process made it first: then its secret is read)."""
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        raise StoreUnavailable(f"reports secret {path}: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(aside, path)
    except FileExistsError:
        pass
    finally:
        aside.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())
