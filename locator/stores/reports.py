"""Where reports from the street are kept: the report store protocol.

Like the session epoch (:mod:`locator.stores.sessions`) it lives beside the data and is
shared by every app process: :class:`locator.stores.files.reports.SqliteReports` (a SQLite
file in the data directory, WAL, synchronous=FULL) or
:class:`locator.stores.postgis.reports.PgReports` (table ``locator.reports``). The app
factory chooses one where it chooses the store. A report is acknowledged only after
:meth:`ReportStore.add` has returned: then it is on disk (committed and fsynced).

The store is apart from the facility data: writing a report takes no lock a reader of the
facilities takes, and a data swap or an import neither sees nor touches the reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from locator.values.reports import ReportInvalid, StoredReport

#: a rate limit checked while adding: (count reports of the client key received at or
#: after ``since``; at most ``most`` of them; else RateLimited(``retry_after_s``))
Limit = tuple[dt.datetime, int, int]


class ReportStore(Protocol):
    """Durable reports, newest first; ids ``r-…``, one per ``client_id``."""

    def add(self, report: StoredReport, limits: Sequence[Limit] = ()) -> tuple[StoredReport, bool]:
        """Store ``report`` durably, unless a report with its ``client_id`` is stored
        already: then that one, untouched. ``(report, created)``. In the same
        transaction, before storing a new one, each limit of ``limits`` is checked for
        the report's ``client_key`` (RateLimited when one is reached; nothing stored)."""
        ...

    def get(self, report_id: str) -> StoredReport | None:
        """The report with this id, or None."""
        ...

    def list(
        self,
        status: str | None = None,
        kind: str | None = None,
        facility_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[StoredReport]:
        """Reports matching every filter given, newest first."""
        ...

    def count(
        self, status: str | None = None, kind: str | None = None, facility_id: str | None = None
    ) -> int:
        """How many reports match every filter given."""
        ...

    def count_recent(self, client_key: str, since: dt.datetime) -> int:
        """How many reports of ``client_key`` were received at or after ``since``."""
        ...

    def decide(
        self,
        report_id: str,
        status: str,
        note: str | None,
        merged_into: str | None = None,
        expect: str = "received",
    ) -> StoredReport:
        """Record a staff decision (``accepted``, ``rejected`` or ``merged`` into
        ``merged_into``) with the time, only while the report's status is ``expect`` (one
        statement: of two decisions at once, one wins); ReportNotFound when there is no
        such report, ReportInvalid naming ``report_id`` when it was decided already."""
        ...

    def client_secret(self) -> bytes:
        """The key of the client-key HMAC: made (32 random bytes) on first use, the same
        for every process sharing the store."""
        ...


def where_clause(
    status: str | None, kind: str | None, facility_id: str | None, placeholder: str
) -> tuple[str, list]:
    """The SQL ``WHERE`` of a report listing (``""`` when no filter is given) and its
    arguments, with the driver's ``placeholder`` (``?`` for SQLite, ``%s`` for psycopg)."""
    clauses, args = [], []
    for column, value in (("status", status), ("kind", kind), ("facility_id", facility_id)):
        if value is not None:
            clauses.append(f"{column} = {placeholder}")
            args.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def decided_already(report: StoredReport) -> ReportInvalid:
    """The refusal of a decision on a report that is no longer waiting."""
    return ReportInvalid(
        "report_id",
        f"报告 {report.id} 已处理过 · report {report.id} was decided already ({report.status})",
    )
