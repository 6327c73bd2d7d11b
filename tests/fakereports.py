"""A small in-memory report store following the reports contract (issue #25), for the
staff review's tests until the real stores are merged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from typing import Any

_IDS = itertools.count(1)


@dataclasses.dataclass(frozen=True)
class FakeReport:
    id: str
    kind: str
    facility_id: str | None = None
    layer: str | None = None
    lon: float | None = None
    lat: float | None = None
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    text: str = ""
    work: str | None = None
    client_id: str = ""
    client_key: str = ""
    received_at: str = ""
    status: str = "received"
    decided_at: str | None = None
    decision_note: str = ""
    merged_into: str | None = None


class FakeReportStore:
    def __init__(self) -> None:
        self.items: dict[str, FakeReport] = {}

    def add(self, kind: str, **values: Any) -> FakeReport:
        n = next(_IDS)
        when = dt.datetime(2026, 12, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
        report = FakeReport(
            f"r-{n:06d}", kind, received_at=when.isoformat().replace("+00:00", "Z"), **values
        )
        self.items[report.id] = report
        return report

    def get(self, report_id: str) -> FakeReport | None:
        return self.items.get(report_id)

    def list(self, status=None, kind=None, facility_id=None, limit=100, offset=0):
        found = [
            r
            for r in self.items.values()
            if (status is None or r.status == status)
            and (kind is None or r.kind == kind)
            and (facility_id is None or r.facility_id == facility_id)
        ]
        found.sort(key=lambda r: r.received_at, reverse=True)
        return found[offset : offset + limit]

    def decide(self, report_id, status, note, merged_into=None):
        r = self.items[report_id]
        self.items[report_id] = dataclasses.replace(
            r, status=status, decision_note=note, merged_into=merged_into, decided_at="now"
        )
        return self.items[report_id]
