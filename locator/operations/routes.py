"""Rural rest routes: length, stops, the facilities along a route and its longest gap.

Lengths are geodesic (pyproj ``Geod`` on WGS-84, summed over the segments). Positions
along a route and distances off it are measured in the city profile's metric CRS (for
Jiangmen UTM 49N, scale error under 0.02 % there) and positions are scaled so that the
last stop's position equals the geodesic length. "Along" means within ``ALONG_M`` of the
line; the longest gap is the longest stretch of the line farther than ``ALONG_M`` from
every love station and service center, computed exactly segment by segment along the
route's own course."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from locator.values.geo.distance import geod, geometry_to_metric, to_metric
from locator.values.models import Facility, Feature

#: "along the route": within this many metres of the line
ALONG_M = 2000.0
#: the facilities listed along a route, and those that close a gap
ALONG_LAYERS = ("love_stations", "service_centers", "mothers_rooms")
GAP_LAYERS = ("love_stations", "service_centers")
#: coach estimate: straight segments x detour, at an average coach speed
COACH_DETOUR = 1.3
COACH_KMH = 40.0
COACH_NOTE = {
    "zh": f"车程为估算：直线距离 × {COACH_DETOUR}，平均时速 {COACH_KMH:.0f} 公里，不含停留",
    "en": f"Coach time is an estimate: straight-line length × {COACH_DETOUR} at "
    f"{COACH_KMH:.0f} km/h on average, stops not included",
}


@dataclass(frozen=True)
class Stop:
    """One stop, numbered from 1, with how its position is known."""

    number: int
    name: str
    name_en: str
    lon: float
    lat: float
    description: str
    precision: str  # site | town | town seat | island centroid | approximate | ...
    coord_source: str
    position_m: float


@dataclass(frozen=True)
class AlongFacility:
    """A facility near a route: metres off the line, and where along it (from the start)."""

    facility: Facility
    distance_off_m: float
    position_m: float


@dataclass(frozen=True)
class RouteSummary:
    """What a route card shows."""

    id: str
    name: str
    name_en: str
    theme: str
    theme_en: str
    districts: tuple[str, ...]
    stops_count: int
    length_m: float
    coach_min: float
    geometry: dict[str, Any]
    sample: bool
    illustrative: bool
    geometry_note: str


@dataclass(frozen=True)
class RouteDetails:
    """A route with its stops, the facilities along it and its longest gap (metres along
    the route, from ``gap_from_m`` to ``gap_to_m``; 0 when every part is within reach)."""

    summary: RouteSummary
    stops: tuple[Stop, ...]
    along: tuple[AlongFacility, ...]
    longest_gap_m: float
    gap_from_m: float
    gap_to_m: float
    properties: dict[str, Any]


def geodesic_length_m(coords: Sequence[Sequence[float]]) -> float:
    """Sum of the geodesic lengths of the segments of a WGS-84 line, metres."""
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return float(geod().line_length(lons, lats))


def coach_minutes(length_m: float) -> float:
    return length_m * COACH_DETOUR / (COACH_KMH * 1000 / 60)


def _points_metric(facilities: Sequence[Facility], epsg: int) -> np.ndarray:
    if not facilities:
        return np.empty(0, dtype=object)
    x, y = to_metric(
        np.array([f.lon for f in facilities]), np.array([f.lat for f in facilities]), epsg
    )
    return shapely.points(np.asarray(x), np.asarray(y))


def _longest_gap(line_m, reach: np.ndarray) -> tuple[float, float, float]:
    """(length, from, to) in metres (metric CRS) of the longest stretch of ``line_m`` farther
    than ALONG_M from every point of ``reach`` (shapely points).

    Exact and segment by segment: a point at distance d from a segment's line covers the
    stretch of half-length sqrt(R^2 - d^2) around its foot; the uncovered rest of each
    segment is carried along the running distance, so a route that crosses itself is
    measured along its own course."""
    coords = np.asarray(line_m.coords)[:, :2]
    pts = (
        np.column_stack([shapely.get_x(reach), shapely.get_y(reach)])
        if reach.size
        else np.empty((0, 2))
    )
    runs: list[tuple[float, float]] = []  # uncovered [from, to] along the route
    offset = 0.0
    for a, b in zip(coords[:-1], coords[1:], strict=True):
        seg = b - a
        length = float(np.hypot(*seg))
        if length == 0:
            continue
        u = seg / length
        covered: list[tuple[float, float]] = []
        if len(pts):
            rel = pts - a
            along = rel @ u
            off = np.abs(rel[:, 0] * u[1] - rel[:, 1] * u[0])
            near = off <= ALONG_M
            half = np.sqrt(ALONG_M**2 - off[near] ** 2)
            lo = np.clip(along[near] - half, 0, length)
            hi = np.clip(along[near] + half, 0, length)
            covered = sorted((x, y) for x, y in zip(lo, hi, strict=True) if y > x)
        cursor = 0.0
        for lo_, hi_ in covered:
            if lo_ > cursor:
                runs.append((offset + cursor, offset + lo_))
            cursor = max(cursor, hi_)
        if cursor < length:
            runs.append((offset + cursor, offset + length))
        offset += length
    merged: list[list[float]] = []
    for start, end in runs:  # join runs that continue across a vertex
        if merged and abs(merged[-1][1] - start) < 1e-6:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    if not merged:
        return 0.0, 0.0, 0.0
    start, end = max(merged, key=lambda r: r[1] - r[0])
    return float(end - start), float(start), float(end)


def route_details(
    feature: Feature, facilities: Mapping[str, Sequence[Facility]], epsg: int
) -> RouteDetails:
    """Everything about one route (a feature of the route collection); ``facilities`` maps
    layer id to that layer's facilities; ``epsg`` is the city's metric CRS."""
    p = feature.properties
    coords = feature.geometry["coordinates"]
    line_m = geometry_to_metric(shapely.LineString(coords), epsg)
    length_m = geodesic_length_m(coords)
    scale = length_m / line_m.length if line_m.length else 1.0

    stops = []
    for i, s in enumerate(p["stops"], start=1):
        pos = line_m.project(shapely.Point(*to_metric(s["lon"], s["lat"], epsg)))
        stops.append(
            Stop(
                i,
                str(s["name"]),
                str(s.get("name_en") or ""),
                float(s["lon"]),
                float(s["lat"]),
                str(s.get("description") or ""),
                str(s.get("precision") or ""),
                str(s.get("coord_source") or ""),
                pos * scale,
            )
        )

    along: list[AlongFacility] = []
    reach = []
    for layer in ALONG_LAYERS:
        facs = list(facilities.get(layer, ()))
        pts = _points_metric(facs, epsg)
        if not facs:
            continue
        near = shapely.dwithin(pts, line_m, ALONG_M)
        for fac, pt in zip(np.array(facs, dtype=object)[near], pts[near], strict=True):
            along.append(
                AlongFacility(
                    fac, float(line_m.distance(pt)) * scale, float(line_m.project(pt)) * scale
                )
            )
        if layer in GAP_LAYERS:
            reach.append(pts[shapely.dwithin(pts, line_m, 2 * ALONG_M)])
    along.sort(key=lambda a: (a.position_m, a.distance_off_m, a.facility.id))
    gap, start, end = _longest_gap(
        line_m, np.concatenate(reach) if reach else np.empty(0, dtype=object)
    )

    summary = RouteSummary(
        feature.id,
        str(p["name"]),
        str(p.get("name_en") or ""),
        str(p["theme"]),
        str(p.get("theme_en") or ""),
        tuple(p.get("districts") or ()),
        len(stops),
        length_m,
        coach_minutes(length_m),
        feature.geometry,
        p.get("source") == "sample",
        bool(p.get("illustrative")),
        str(p.get("geometry_note") or ""),
    )
    return RouteDetails(
        summary, tuple(stops), tuple(along), gap * scale, start * scale, end * scale, dict(p)
    )
