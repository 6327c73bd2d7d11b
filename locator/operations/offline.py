"""The offline data pack: what a phone needs to answer "nearest" with no network.

One compact JSON document per data version: every facility of every facility layer
(position, name, the few properties a result card shows), the towns for the picker, and
the opening hours as each distinct ``opening_hours`` expression's intervals for the days
the pack covers, worked out here by :mod:`locator.operations.hours` (holidays and make-up
working days included), so that the phone's "open on arrival" is the server's, not a
second parser's.

Ranking on the phone is on the WGS-84 ellipsoid (Vincenty's inverse in the page's script),
as the server ranks (geodesic distances): the same facilities in the same order.

Offline times stay today's straight-line estimates, and the page labels them so, even when
the data version has a street network: re-ranking on the phone would need the network's
times, and a precomputed table of them does not fit the pack's budget (120 KB gzip, the
whole pack). From every 250 m cell of Jiangmen (~150,000 cells over ~9,500 km2) to the
3 quickest facilities of each of 4 layers by 2 ways of travel is ~3.6 million
(facility, seconds) pairs, several MB even packed tightly: some hundred times the budget;
the graph itself (~0.5 million edges for a city) is larger still.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from locator.operations.hours import CLOSED, OPEN, Calendar, day_intervals
from locator.values.models import CollectionInfo, Facility, Town

#: days of opening hours a pack carries, from the day it is built
PACK_DAYS = 14
#: a layer with more facilities than this is left out of the pack (a national layer would
#: not fit a phone); the pack lists it under "not_packed" and the page says so
PACK_MAX_POINTS = 20_000
_STATE = {OPEN: "o", CLOSED: "c"}


def _day_rows(expr: str, day: dt.date, calendar: Calendar) -> list[list[Any]]:
    """A day's intervals as ``[start minute, end minute, state]`` (state o, c or u;
    minutes from local midnight, the end at most 1440)."""
    midnight = dt.datetime.combine(day, dt.time())
    out = []
    for a, b, state, _ in day_intervals(expr, day, calendar):
        start = max(0, int((a - midnight).total_seconds() // 60))
        end = min(1440, int((b - midnight).total_seconds() // 60))
        if end > start:
            out.append([start, end, _STATE.get(state, "u")])
    return out


def build_pack(
    version: str,
    layers: Iterable[tuple[CollectionInfo, tuple[Facility, ...]]],
    towns: Iterable[Town],
    start: dt.date,
    days: int = PACK_DAYS,
    max_points: int = PACK_MAX_POINTS,
    *,
    calendar: Calendar,
) -> dict[str, Any]:
    """The pack (a JSON-ready dict). Facility rows are ``[layer index, id, name, English
    name, lon, lat, address, phone, amenities, hours index]`` (WGS-84 degrees; hours index
    -1 when unknown); ``hours[i][d]`` holds expression i's intervals on day ``start + d``,
    by the holidays of ``calendar`` (the data version's)."""
    exprs: dict[str, int] = {}
    infos: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    not_packed: list[dict[str, Any]] = []
    for info, facilities in layers:
        if len(facilities) > max_points:
            not_packed.append(
                {
                    "id": info.id,
                    "name_zh": info.name_zh,
                    "name_en": info.name_en,
                    "count": len(facilities),
                }
            )
            continue
        index = len(infos)
        infos.append(
            {
                "id": info.id,
                "name_zh": info.name_zh,
                "name_en": info.name_en,
                "colour": info.colour,
                "sample": info.sample,
                "count": info.count,
            }
        )
        for fac in facilities:
            p = fac.properties
            expr = p.get("opening_hours")
            hours = exprs.setdefault(expr, len(exprs)) if expr else -1
            rows.append(
                [
                    index,
                    fac.id,
                    fac.name,
                    str(p.get("name_en") or ""),
                    fac.lon,
                    fac.lat,
                    str(p.get("address") or ""),
                    str(p.get("phone") or ""),
                    list(p.get("amenities") or []),
                    hours,
                ]
            )
    days_range = [start + dt.timedelta(days=d) for d in range(days)]
    return {
        "version": version,
        "start": start.isoformat(),
        "days": days,
        "layers": infos,
        "not_packed": not_packed,
        "facilities": rows,
        "hours": [[_day_rows(expr, day, calendar) for day in days_range] for expr in exprs],
        "towns": [[t.code, t.name, t.name_en, t.lon, t.lat] for t in towns],
    }
