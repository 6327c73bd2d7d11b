"""Rural rest routes: length, stops, the facilities along a route and its longest gap.

Lengths are geodesic (pyproj ``Geod`` on WGS-84, summed over the segments). With a street
network (:mod:`locator.operations.network`) each leg between consecutive stops follows
the roads where it can (:func:`route_legs`: the ``drive`` graph for the coach, whose path is
the leg's course, and the ``ebike`` graph for the bike); a leg that cannot be routed stays a
straight line and says why. Positions
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

from locator.operations.network import DRIVE, EBIKE, StreetNetwork
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
#: bike estimate on a straight leg: the rider's (straight x detour at 15 km/h)
BIKE_DETOUR = 1.3
BIKE_KMH = 15.0
#: a leg whose quickest path along the roads takes longer than this many times the
#: straight line at the slowest speed of the way of travel counts as not routed; it also
#: bounds each shortest-path search (plus LEG_LIMIT_EXTRA_S)
LEG_LIMIT_DETOUR = 3.0
LEG_LIMIT_EXTRA_S = 1800.0
#: how a leg's length and times were measured
NETWORK, STRAIGHT = "network", "straight"
#: why a leg is straight: no network in this data version; a stop further than
#: SNAP_MAX_M from every road the coach can use; no path within the limit
NO_NETWORK, OFF_NETWORK, NO_PATH = "no_network", "off_network", "no_path"
#: how a leg was measured and why a leg is straight, Chinese and English
BASIS_TEXT = {
    NETWORK: {"zh": "沿道路", "en": "along roads"},
    STRAIGHT: {"zh": "直线", "en": "straight line"},
}
REASON_TEXT = {
    NO_NETWORK: {"zh": "未载入道路网", "en": "no street network loaded"},
    OFF_NETWORK: {
        "zh": "站点 1 公里内没有连通主路网的道路",
        "en": "no road joined to the main network within 1 km of a stop",
    },
    NO_PATH: {"zh": "道路网中找不到合理路径", "en": "no reasonable path in the street network"},
}
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
class LegTravel:
    """One way of travel over a leg: metres, minutes, and how they were measured
    (``basis`` NETWORK or STRAIGHT; ``reason`` why straight, "" along the network)."""

    length_m: float
    minutes: float
    basis: str
    reason: str


@dataclass(frozen=True)
class Leg:
    """The stretch from stop ``from_number`` to ``to_number``: its course (WGS-84
    ``(lon, lat)`` positions: the coach's path along the roads with the straight access
    legs at both ends, or the two stops), the coach over it and the bike over it."""

    from_number: int
    to_number: int
    coords: tuple[tuple[float, float], ...]
    coach: LegTravel
    bike: LegTravel

    @property
    def basis(self) -> str:
        """How the course and its length were measured (the coach's)."""
        return self.coach.basis

    @property
    def length_m(self) -> float:
        return self.coach.length_m


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
    #: bike minutes over the whole route (the legs' sum)
    bike_min: float = 0.0
    #: share (0..1) of the length measured along the roads; 0 without a network
    along_roads_share: float = 0.0
    #: the network's attribution when any leg follows it ("" otherwise)
    network_attribution: str = ""
    #: True when that network is a test fixture, not OpenStreetMap
    network_fixture: bool = False
    #: the stops' WGS-84 (lon, lat), in order (the line's vertices need not be stops)
    stop_coords: tuple[tuple[float, float], ...] = ()

    @property
    def basis(self) -> str:
        """NETWORK (every leg along roads), STRAIGHT (none) or "mixed"."""
        if self.along_roads_share >= 1.0:
            return NETWORK
        return STRAIGHT if self.along_roads_share <= 0.0 else "mixed"


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
    #: stop to stop, in order
    legs: tuple[Leg, ...] = ()


def geodesic_length_m(coords: Sequence[Sequence[float]]) -> float:
    """Sum of the geodesic lengths of the segments of a WGS-84 line, metres."""
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    return float(geod().line_length(lons, lats))


def coach_minutes(length_m: float) -> float:
    """The straight-line coach estimate for ``length_m`` metres, minutes."""
    return length_m * COACH_DETOUR / (COACH_KMH * 1000 / 60)


def coach_note(summary: RouteSummary) -> dict[str, str]:
    """How the route's coach and bike times were worked out, zh and en."""
    return coach_note_for(summary.basis)


def coach_note_for(basis: str) -> dict[str, str]:
    """How coach and bike times measured on ``basis`` (NETWORK, STRAIGHT or "mixed") were
    worked out, zh and en."""
    if basis == STRAIGHT:
        return COACH_NOTE
    head = {
        "zh": "沿道路的路段按道路网计算长度和时间（客车按各类道路的车速，骑行按电动车车速），"
        "不含停留",
        "en": "Legs along roads are measured on the street network (coach at each kind of "
        "road's speed, bike at e-bike speeds), stops not included",
    }
    if basis == NETWORK:
        return head
    return {
        "zh": head["zh"] + "；其余路段为直线估算：" + COACH_NOTE["zh"],
        "en": head["en"] + "; the other legs are straight-line estimates: " + COACH_NOTE["en"],
    }


def leg_text(leg: Leg, lang: str) -> str:
    """How a leg was measured, for a person: "沿道路" / "直线（reason）" in ``lang``."""
    text = BASIS_TEXT[leg.basis][lang]
    if leg.coach.reason:
        sep = ("（", "）") if lang == "zh" else (" (", ")")
        text += sep[0] + REASON_TEXT[leg.coach.reason][lang] + sep[1]
    return text


def leg_spans(details: RouteDetails) -> list[tuple[int, int]] | None:
    """Per leg, the first and last index of its course in the route's line (None when the
    line is the route's stored geometry, not the legs joined)."""
    if details.summary.basis == STRAIGHT:
        return None
    spans, start = [], 0
    for leg in details.legs:
        end = start + len(leg.coords) - 1
        spans.append((start, end))
        start = end
    return spans


def bike_minutes(length_m: float) -> float:
    """The straight-line bike estimate for ``length_m`` metres, minutes."""
    return length_m * BIKE_DETOUR / (BIKE_KMH * 1000 / 60)


def _straight(length_m: float, minutes: float, reason: str) -> LegTravel:
    return LegTravel(length_m, minutes, STRAIGHT, reason)


def _leg_on_network(
    net: StreetNetwork, mode: str, a: tuple[float, float], b: tuple[float, float], straight_m: float
) -> tuple[LegTravel, list[tuple[float, float]] | None]:
    """``mode`` from stop ``a`` to stop ``b`` (WGS-84) along ``net``: the travel and the
    course (None when straight). Access legs are straight, metres in the network's CRS."""
    x, y = to_metric(np.array([a[0], b[0]]), np.array([a[1], b[1]]), net.info.metric_epsg)
    snapped = net.snap(mode, x, y)
    fallback = bike_minutes if mode == EBIKE else coach_minutes
    if not snapped.on_network.all():
        return _straight(straight_m, fallback(straight_m), OFF_NETWORK), None
    speeds = [v for v in net.info.speeds.get(mode, {}).values() if v > 0]
    slowest_m_s = (min(speeds) if speeds else 5.0) / 3.6
    limit_s = LEG_LIMIT_DETOUR * straight_m / slowest_m_s + LEG_LIMIT_EXTRA_S
    path = net.route(mode, int(snapped.node[0]), int(snapped.node[1]), limit_s)
    if path is None:
        return _straight(straight_m, fallback(straight_m), NO_PATH), None
    access_m = float(snapped.access_m.sum())
    seconds = path.time_s + float(net.access_s(mode, access_m))
    course = [a, *zip(net.lon[path.nodes].tolist(), net.lat[path.nodes].tolist(), strict=True), b]
    # a stop on its node (to rounding): no zero-length access step
    course = [
        c
        for i, c in enumerate(course)
        if i == 0 or max(abs(c[0] - course[i - 1][0]), abs(c[1] - course[i - 1][1])) > 1e-9
    ]
    course[-1] = b  # the leg ends at the stop itself
    return LegTravel(path.length_m + access_m, seconds / 60, NETWORK, ""), course


def route_legs(stops: Sequence[tuple[float, float]], net: StreetNetwork | None) -> tuple[Leg, ...]:
    """The legs between consecutive ``stops`` (WGS-84 ``(lon, lat)``): along ``net`` where
    it covers them (coach on the ``drive`` graph, bike on the ``ebike`` graph, each
    search bounded by LEG_LIMIT_DETOUR), else straight with the reason; without a network
    every leg is straight (NO_NETWORK) with today's estimates."""
    legs = []
    for i, (a, b) in enumerate(zip(stops, stops[1:], strict=False), start=1):
        straight_m = geodesic_length_m([a, b])
        if net is None:
            coach = _straight(straight_m, coach_minutes(straight_m), NO_NETWORK)
            bike = _straight(straight_m, bike_minutes(straight_m), NO_NETWORK)
            course: list[tuple[float, float]] | None = None
        else:
            coach, course = _leg_on_network(net, DRIVE, a, b, straight_m)
            bike, _ = _leg_on_network(net, EBIKE, a, b, straight_m)
        legs.append(Leg(i, i + 1, tuple(course or (a, b)), coach, bike))
    return tuple(legs)


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


def _joined(legs: Sequence[Leg]) -> list[list[float]]:
    """The legs' courses as one line (each leg starts where the one before ends)."""
    coords = [list(legs[0].coords[0])]
    for leg in legs:
        coords.extend(list(c) for c in leg.coords[1:])
    return coords


def route_details(
    feature: Feature,
    facilities: Mapping[str, Sequence[Facility]],
    epsg: int,
    net: StreetNetwork | None = None,
) -> RouteDetails:
    """Everything about one route (a feature of the route collection); ``facilities`` maps
    layer id to that layer's facilities; ``epsg`` is the city's metric CRS; ``net`` the
    street network (None: every leg straight, the route's own line as given).

    When any leg follows the network the route's line is the legs' courses joined, its
    length their sum, and stops sit at the running sum of the legs (the stretch before
    them along the roads); otherwise the line is the route's geometry as stored."""
    p = feature.properties
    legs = route_legs([(float(s["lon"]), float(s["lat"])) for s in p["stops"]], net)
    routed = any(leg.basis == NETWORK for leg in legs)
    if routed:
        geometry: dict[str, Any] = {"type": "LineString", "coordinates": _joined(legs)}
        length_m = float(sum(leg.length_m for leg in legs))
        starts = np.concatenate([[0.0], np.cumsum([leg.length_m for leg in legs])])
    else:
        geometry = feature.geometry
    coords = geometry["coordinates"]
    line_m = geometry_to_metric(shapely.LineString(coords), epsg)
    if not routed:
        length_m = geodesic_length_m(coords)
    scale = length_m / line_m.length if line_m.length else 1.0

    stops = []
    for i, s in enumerate(p["stops"], start=1):
        if routed:
            pos = float(starts[i - 1])
        else:
            pt = shapely.Point(*to_metric(s["lon"], s["lat"], epsg))
            pos = line_m.project(pt) * scale
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
                pos,
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

    # the bike may follow the roads where the coach cannot (and the other way round)
    any_network = any(NETWORK in (leg.coach.basis, leg.bike.basis) for leg in legs)
    along_m = sum(leg.length_m for leg in legs if leg.basis == NETWORK)
    along_share = float(min(1.0, along_m / length_m)) if routed and length_m > 0 else 0.0
    summary = RouteSummary(
        feature.id,
        str(p["name"]),
        str(p.get("name_en") or ""),
        str(p["theme"]),
        str(p.get("theme_en") or ""),
        tuple(p.get("districts") or ()),
        len(stops),
        length_m,
        float(sum(leg.coach.minutes for leg in legs)) if routed else coach_minutes(length_m),
        geometry,
        p.get("source") == "sample",
        bool(p.get("illustrative")),
        str(p.get("geometry_note") or ""),
        float(sum(leg.bike.minutes for leg in legs)) if any_network else bike_minutes(length_m),
        along_share,
        net.info.attribution if routed and net is not None else "",
        bool(routed and net is not None and net.info.fixture),
        tuple((st.lon, st.lat) for st in stops),
    )
    return RouteDetails(
        summary,
        tuple(stops),
        tuple(along),
        gap * scale,
        start * scale,
        end * scale,
        dict(p),
        legs,
    )
