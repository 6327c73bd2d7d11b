""" "Station needed here" requests, for planners: counts per town/street, public
(``GET /api/v1/reports/requests``, ``.csv``), never a position finer than the town; and
the points themselves for the planner's ``demand=requests`` (server side only).

The reports are read through :func:`locator.web.context.reports` (the service over the
report store the app factory chose beside the data, :mod:`locator.stores.reports`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response

from locator.formats.reports import requests_csv
from locator.service.requests import COUNTED, need_points
from locator.service.requests import all_reports as stored_reports
from locator.web.context import attachment, json_response, reports, service

bp = Blueprint("report_requests", __name__)


def all_reports(status: str | None = None, kind: str | None = None) -> Iterator[Any]:
    """Every stored report with ``status`` and ``kind`` (None: any), newest first."""
    return stored_reports(reports().store, status, kind)


def request_points() -> list[tuple[float, float]]:
    """WGS-84 ``(lon, lat)`` of every counted "station needed here" request."""
    return need_points(reports().store)


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
