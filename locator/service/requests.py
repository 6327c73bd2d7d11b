""" "Station needed here" requests as points: what the planner's ``demand=requests`` and
the counts by town are made of.

A request counts while it waits for review and once accepted (not rejected, not merged
into another). Points are WGS-84 ``(lon, lat)`` degrees.
"""

from __future__ import annotations

from collections.abc import Iterator

from locator.stores.reports import ReportStore
from locator.values.reports import StoredReport

#: the statuses a request counts in
COUNTED = ("received", "accepted")
_PAGE = 500


def all_reports(
    store: ReportStore, status: str | None = None, kind: str | None = None
) -> Iterator[StoredReport]:
    """Every stored report with ``status`` and ``kind`` (None: any), newest first."""
    offset = 0
    while True:
        page = store.list(status, kind, None, _PAGE, offset)
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def need_points(store: ReportStore) -> list[tuple[float, float]]:
    """WGS-84 ``(lon, lat)`` of every counted "station needed here" request."""
    return [
        (float(r.lon), float(r.lat))
        for status in COUNTED
        for r in all_reports(store, status, "need")
        if r.lon is not None and r.lat is not None
    ]
