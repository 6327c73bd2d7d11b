"""Reports in the database (:mod:`locator.stores.reports`; the files store's twin is
:mod:`locator.stores.files.reports`): table ``locator.reports`` (migration 3).

Adding is one transaction: writers of the same client key queue on a transaction-level
advisory lock (in a key space of its own: imports and loads never wait for reports, nor
reports for them), check the idempotency key and the rate limits, insert and commit. The
read path's queries never touch this table.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from locator.stores.postgis.db import Database
from locator.stores.reports import Limit, decided_already, where_clause
from locator.values.reports import RateLimited, ReportNotFound, StoredReport

#: the first key of the two-key advisory locks reports take ("rept")
REPORT_LOCK = 0x72657074
COLUMNS = (
    "id, kind, client_id, client_key, received_at, facility_id, layer, lon, lat, fields, "
    "text, work, status, decided_at, decision_note, merged_into"
)


def _row_report(row: Any) -> StoredReport:
    return StoredReport(
        id=row[0],
        kind=row[1],
        client_id=row[2],
        client_key=row[3],
        received_at=row[4].astimezone(dt.UTC),
        facility_id=row[5],
        layer=row[6],
        lon=row[7],
        lat=row[8],
        fields=dict(row[9] or {}),
        text=row[10],
        work=row[11],
        status=row[12],
        decided_at=row[13].astimezone(dt.UTC) if row[13] else None,
        decision_note=row[14],
        merged_into=row[15],
    )


def _one(cursor: Any) -> Any:
    """The one row a query always answers."""
    row = cursor.fetchone()
    assert row is not None
    return row


class PgReports:
    """The report store protocol over ``locator.reports``."""

    def __init__(self, db: Database):
        self.db = db
        self._secret: bytes | None = None

    def add(self, report: StoredReport, limits: Sequence[Limit] = ()) -> tuple[StoredReport, bool]:
        with self.db.connection() as conn, conn.transaction():
            conn.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (REPORT_LOCK, report.client_key)
            )
            row = conn.execute(
                f"SELECT {COLUMNS} FROM locator.reports WHERE client_id = %s",
                (report.client_id,),
            ).fetchone()
            if row is not None:
                return _row_report(row), False
            for since, most, retry_after_s in limits:
                (n,) = _one(
                    conn.execute(
                        "SELECT count(*) FROM locator.reports "
                        "WHERE client_key = %s AND received_at >= %s",
                        (report.client_key, since),
                    )
                )
                if n >= most:
                    raise RateLimited(retry_after_s)
            inserted = conn.execute(
                f"INSERT INTO locator.reports ({COLUMNS}) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (client_id) DO NOTHING RETURNING id",
                (
                    report.id,
                    report.kind,
                    report.client_id,
                    report.client_key,
                    report.received_at,
                    report.facility_id,
                    report.layer,
                    report.lon,
                    report.lat,
                    Jsonb(report.fields),
                    report.text,
                    report.work,
                    report.status,
                    report.decided_at,
                    report.decision_note,
                    report.merged_into,
                ),
            ).fetchone()
            if inserted is None:  # the same client_id under another client key, just now
                row = conn.execute(
                    f"SELECT {COLUMNS} FROM locator.reports WHERE client_id = %s",
                    (report.client_id,),
                ).fetchone()
                return _row_report(row), False
        return report, True  # committed (synchronous_commit: the server's durability)

    def get(self, report_id: str) -> StoredReport | None:
        with self.db.connection() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS} FROM locator.reports WHERE id = %s", (report_id,)
            ).fetchone()
        return _row_report(row) if row else None

    def list(
        self,
        status: str | None = None,
        kind: str | None = None,
        facility_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[StoredReport]:
        where, args = where_clause(status, kind, facility_id, "%s")
        with self.db.connection() as conn:
            rows = conn.execute(
                f"SELECT {COLUMNS} FROM locator.reports{where} ORDER BY n DESC LIMIT %s OFFSET %s",
                [*args, limit, offset],
            ).fetchall()
        return [_row_report(r) for r in rows]

    def count(
        self, status: str | None = None, kind: str | None = None, facility_id: str | None = None
    ) -> int:
        where, args = where_clause(status, kind, facility_id, "%s")
        with self.db.connection() as conn:
            row = _one(conn.execute(f"SELECT count(*) FROM locator.reports{where}", args))
        return int(row[0])

    def count_recent(self, client_key: str, since: dt.datetime) -> int:
        with self.db.connection() as conn:
            row = _one(
                conn.execute(
                    "SELECT count(*) FROM locator.reports "
                    "WHERE client_key = %s AND received_at >= %s",
                    (client_key, since),
                )
            )
        return int(row[0])

    def decide(
        self,
        report_id: str,
        status: str,
        note: str | None,
        merged_into: str | None = None,
        expect: str = "received",
    ) -> StoredReport:
        with self.db.connection() as conn:
            row = conn.execute(
                "UPDATE locator.reports SET status = %s, decision_note = %s, merged_into = %s, "
                f"decided_at = now() WHERE id = %s AND status = %s RETURNING {COLUMNS}",
                (status, note, merged_into, report_id, expect),
            ).fetchone()
        if row is None:
            found = self.get(report_id)
            if found is None:
                raise ReportNotFound(report_id)
            raise decided_already(found)
        return _row_report(row)

    def client_secret(self) -> bytes:
        if self._secret is None:
            with self.db.connection() as conn:
                conn.execute(
                    "INSERT INTO locator.report_secret (secret) VALUES (%s) "
                    "ON CONFLICT (one) DO NOTHING",
                    (secrets.token_bytes(32),),
                )
                row = _one(conn.execute("SELECT secret FROM locator.report_secret"))
            self._secret = bytes(row[0])
        return self._secret
