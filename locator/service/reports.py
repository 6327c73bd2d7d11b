"""Reports from the street: the application's questions about them (issue #25).

One :class:`Reports` per app (the web layer reaches it through
:func:`locator.web.context.reports`), over the app's report store
(:mod:`locator.stores.reports`) and the current data version (:class:`Services`), which it
asks whether a facility exists and whether a position lies inside the service area.

The client key: HMAC-SHA256 of (client address, UTC date) under the store's secret,
truncated to 128 bits. It changes every UTC day and cannot be turned back into an address
without the secret; it is used only for rate limits and duplicate detection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from locator.stores.reports import Limit, ReportStore
from locator.values.errors import FacilityNotFound, shown
from locator.values.models import Point
from locator.values.reports import (
    DECISION_NOTE_MAX,
    DECISIONS,
    RATE_PER_DAY,
    RATE_PER_MINUTE,
    ReportDraft,
    ReportInvalid,
    ReportNotFound,
    ReportUnprocessable,
    StoredReport,
    is_bot,
    new_report_id,
    parse_report,
    stored,
)


class Reports:
    """Submitting, reading and deciding reports."""

    def __init__(
        self,
        store: ReportStore,
        services: Any,
        per_minute: int = RATE_PER_MINUTE,
        per_day: int = RATE_PER_DAY,
    ):
        self.store = store
        self.services = services
        self.per_minute = int(per_minute)
        self.per_day = int(per_day)

    # ------------------------------------------------------------------ submitting

    def client_key(self, address: str, now: dt.datetime) -> str:
        """The daily keyed hash of a client (32 hex digits): its IPv4 address, or its IPv6
        /64 network (every IPv6 client holds a /64 and may take any address in it)."""
        day = now.astimezone(dt.UTC).date().isoformat()
        message = f"{client_network(address)}\n{day}".encode()
        return hmac.new(self.store.client_secret(), message, hashlib.sha256).hexdigest()[:32]

    def limits(self, now: dt.datetime) -> list[Limit]:
        """The rate limits at ``now``: (since, at most, retry after seconds); 0 turns one
        off. A day is a UTC day (the client key changes at its end)."""
        now = now.astimezone(dt.UTC)
        out: list[Limit] = []
        if self.per_day > 0:  # first: past it, the answer is "tomorrow", not "in a minute"
            midnight = dt.datetime.combine(now.date(), dt.time(), dt.UTC)
            left = midnight + dt.timedelta(days=1) - now
            out.append((midnight, self.per_day, max(1, int(left.total_seconds()) + 1)))
        if self.per_minute > 0:
            out.append((now - dt.timedelta(minutes=1), self.per_minute, 60))
        return out

    def check(self, draft: ReportDraft) -> ReportDraft:
        """The draft with its facility's layer, once the facility, the layer and the
        position are checked against the current data (ReportInvalid/-Unprocessable
        naming the field)."""
        svc = self.services.current()
        layer = draft.layer
        if draft.facility_id is not None:
            try:
                found = svc.get(draft.facility_id)
            except FacilityNotFound:
                raise ReportUnprocessable(
                    "facility_id",
                    f"facility_id: 没有这个设施 · no facility with id {shown(draft.facility_id)}",
                ) from None
            layer = getattr(found, "layer", None)
        elif layer is not None:
            layers = svc.layer_ids()
            if layer not in layers:
                raise ReportInvalid(
                    "layer",
                    f"layer: 未知图层 · unknown layer {shown(layer)}; valid: {', '.join(layers)}",
                    layers,
                )
        if draft.lon is not None and draft.lat is not None:
            area = svc.store.reference.service_area
            if not area.contains(Point(draft.lon, draft.lat)):
                name = svc.city.name.zh
                raise ReportUnprocessable(
                    "lon",
                    f"lon/lat: 位置不在{name}服务范围内 · the position "
                    f"({draft.lon:g}, {draft.lat:g}) is outside the service area",
                )
        return ReportDraft(
            draft.kind,
            draft.client_id,
            draft.facility_id,
            layer,
            draft.lon,
            draft.lat,
            dict(draft.fields),
            draft.text,
            draft.work,
        )

    def submit(
        self,
        data: Mapping[str, Any],
        address: str,
        now: dt.datetime | None = None,
        form: bool = False,
    ) -> tuple[StoredReport, bool]:
        """Check and store a submitted report (a JSON object, or with ``form`` form
        fields: :func:`~locator.values.reports.parse_report`) from the client at
        ``address``: ``(report, created)``; an earlier report with the same ``client_id``
        is answered instead of storing another (``created`` False).

        With the honeypot filled, a well-formed report is made up and nothing is stored
        (the sender is told it was). Raises ReportInvalid (400), ReportUnprocessable (422)
        naming the field, RateLimited (429) past the client's limits."""
        now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        parsed = parse_report(data, form=form)
        if is_bot(data):
            return StoredReport(
                id=new_report_id(),
                kind=parsed.kind,
                client_id=parsed.client_id,
                client_key="",
                received_at=now,
            ), True
        draft = self.check(parsed)
        report = stored(draft, new_report_id(), self.client_key(address, now), now)
        return self.store.add(report, self.limits(now))

    # ------------------------------------------------------------------ reading (staff)

    def get(self, report_id: str) -> StoredReport:
        found = self.store.get(report_id)
        if found is None:
            raise ReportNotFound(report_id)
        return found

    def list(
        self,
        status: str | None = None,
        kind: str | None = None,
        facility_id: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[StoredReport], int]:
        """One page of reports, newest first, and how many match in all."""
        return (
            self.store.list(status, kind, facility_id, limit, offset),
            self.store.count(status, kind, facility_id),
        )

    def decide(
        self,
        report_id: str,
        status: str,
        note: str | None = None,
        merged_into: str | None = None,
        expect: str = "received",
    ) -> StoredReport:
        """Record a staff decision on a report whose status is ``expect`` (ReportInvalid
        naming the field; naming ``report_id`` when it was decided already)."""
        if status not in DECISIONS:
            raise ReportInvalid(
                "status",
                f"status: 无效的决定 · invalid decision {shown(status)}; "
                f"valid: {', '.join(DECISIONS)}",
                list(DECISIONS),
            )
        if note is not None and len(note) > DECISION_NOTE_MAX:
            raise ReportInvalid(
                "note",
                f"note: 最多 {DECISION_NOTE_MAX} 个字 · at most {DECISION_NOTE_MAX} characters",
            )
        if (status == "merged") != (merged_into is not None):
            raise ReportInvalid(
                "merged_into",
                "merged_into: 合并时须给出且仅在合并时给出 · required with, and only with, "
                "status merged",
            )
        if merged_into is not None:
            if merged_into == report_id:
                raise ReportInvalid("merged_into", "merged_into: 不能合并到自身 · not itself")
            if self.store.get(merged_into) is None:
                raise ReportUnprocessable(
                    "merged_into", f"merged_into: 没有这条报告 · no report {shown(merged_into)}"
                )
        self.get(report_id)
        return self.store.decide(report_id, status, note, merged_into, expect=expect)

    def reopen(self, report_id: str) -> StoredReport:
        """Put an accepted report back to waiting: its layer change wrote nothing (the
        accept claims the report first, so that two accepts cannot both write)."""
        return self.store.decide(report_id, "received", None, expect="accepted")


def client_network(address: str) -> str:
    """What one client is, for the rate limits: an IPv4 address as it is, an IPv6 address
    as its /64 network (an IPv4-mapped one as its IPv4 address); anything else unchanged."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
