""" "Station needed here" requests, for planners: counts per town/street, public
(``GET /api/v1/reports/requests``, ``.csv``), never a position finer than the town; and
the points themselves for the planner's ``demand=requests`` (server side only).

The reports are read through :func:`report_store` (the store the app factory chose
beside the data, :mod:`locator.stores.reports`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app

from locator.formats.reports import requests_csv
from locator.values.errors import StoreUnavailable
from locator.web.context import attachment, json_response, service

bp = Blueprint("report_requests", __name__)

#: a request counts while it waits for review and once accepted (not rejected or merged)
COUNTED = ("received", "accepted")
_PAGE = 500


def report_store() -> Any:
    """The reports store of this app (chosen by the app factory beside the data)."""
    store = current_app.extensions.get("locator_reports")
    if store is None:
        raise StoreUnavailable("no reports store in this app")
    return store


def all_reports(status: str | None = None, kind: str | None = None) -> Iterator[Any]:
    """Every stored report with ``status`` and ``kind`` (None: any), newest first."""
    store = report_store()
    offset = 0
    while True:
        page = list(store.list(status=status, kind=kind, limit=_PAGE, offset=offset))
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def request_points() -> list[tuple[float, float]]:
    """WGS-84 ``(lon, lat)`` of every counted "station needed here" request."""
    return [
        (float(r.lon), float(r.lat))
        for status in COUNTED
        for r in all_reports(status, "need")
        if r.lon is not None and r.lat is not None
    ]


def _counts() -> dict[str, Any]:
    body = service().requests_by_town(request_points())
    body["counted"] = list(COUNTED)
    body["note"] = (
        "按近似镇（街）范围统计，不公开具体位置 · counted by the approximate town/street "
        "areas; no positions are given out"
    )
    return body


@bp.get("/api/v1/reports/requests")
def requests_json() -> Response:
    resp = json_response(_counts())
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/api/v1/reports/requests.csv")
def requests_csv_view() -> Response:
    resp = Response(requests_csv(_counts()["towns"]), mimetype="text/csv")
    resp.headers["Content-Disposition"] = attachment(
        "station-requests-by-town.csv", "驿站请求-按镇街.csv"
    )
    resp.headers["Cache-Control"] = "no-cache"
    return resp
