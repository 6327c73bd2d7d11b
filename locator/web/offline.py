"""/offline/pack.json: the offline data pack (:mod:`locator.operations.offline`) for phones.

Under its current version (``?v=<data version>-<day>``) it is the same for a year and says
so (immutable); without it, or with an old one, caches ask again each time (the pack of
today, and of the data as it is now).
"""

from __future__ import annotations

from flask import Blueprint, request

from locator.operations.hours import now
from locator.web.context import (
    YEAR_S,
    conditional,
    json_response,
    service,
)

bp = Blueprint("offline", __name__)


def pack_version(data_version: str, day: str) -> str:
    return f"{data_version}-{day}"


@bp.get("/offline/pack.json")
def pack():
    svc = service()
    today = now().date()
    body = svc.offline_pack(today)
    current = request.args.get("v") == pack_version(svc.version, today.isoformat())
    resp = conditional(
        json_response(body), svc.version, max_age=YEAR_S if current else 0, extra=today.isoformat()
    )
    if current:
        resp.cache_control.immutable = True
    return resp
