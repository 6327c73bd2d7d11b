"""Nearest facilities: k nearest by geodesic distance on the WGS-84 ellipsoid.

Index: one ``scipy.spatial.cKDTree`` per layer over earth-centred (ECEF, WGS-84) coordinates
in metres. The straight-line (chord) distance through the earth never exceeds the geodesic
distance along its surface, so after ranking a few candidates by exact geodesic distance
(pyproj's ``Geod``, Karney's algorithm), any point not yet looked at is provably no nearer
than the farthest candidate's chord: when the k-th best geodesic distance is within that
chord, the answer is exact; otherwise the candidate set grows. The cost of a query therefore
depends on k and the filters, not on the size of the layer.

Batch queries (for planners and the benchmark) convert the chord to the arc with the
sphere's series ``c + c^3 / (24 R^2)``: exact to a millimetre below 100 km; rows beyond that
fall back to ``Geod``.
"""

from __future__ import annotations

import array
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy.spatial import cKDTree

from locator.operations.hours import OPEN, TZ, UNKNOWN, Calendar, HoursStatus, hours_status
from locator.values.errors import InvalidQuery
from locator.values.geo.distance import geodesic_inverse, geodesic_inverse_point
from locator.values.models import AMENITIES, Facility, Point

DEFAULT_K = 5
MAX_K = 50
#: straight-line distance x DETOUR_FACTOR approximates the distance along streets
DETOUR_FACTOR = 1.3
WALK_M_PER_MIN = 75.0  # 4.5 km/h
EBIKE_M_PER_MIN = 250.0  # 15 km/h, the national speed limit for e-bikes is 25 km/h
ESTIMATE_NOTE = {
    "zh": f"步行和电动车时间为估算：直线距离 × {DETOUR_FACTOR}（绕行系数），"
    f"步行 4.5 公里/小时，电动车 15 公里/小时",
    "en": f"Walking and e-bike times are estimates: straight-line distance × {DETOUR_FACTOR} "
    "(detour factor), walking 4.5 km/h, e-bike 15 km/h",
}

_A = 6378137.0  # WGS-84 semi-major axis, metres
_E2 = 6.69437999014e-3  # WGS-84 first eccentricity squared
_R_MEAN = 6371008.8
_SERIES_LIMIT_M = 100_000.0


def ecef(lon, lat) -> np.ndarray:
    """Earth-centred coordinates (metres) of WGS-84 points on the ellipsoid, shape (n, 3)."""
    lon_r = np.radians(np.asarray(lon, dtype=float))
    lat_r = np.radians(np.asarray(lat, dtype=float))
    sin_lat, cos_lat = np.sin(lat_r), np.cos(lat_r)
    n = _A / np.sqrt(1.0 - _E2 * sin_lat**2)
    return np.column_stack(
        [n * cos_lat * np.cos(lon_r), n * cos_lat * np.sin(lon_r), n * (1.0 - _E2) * sin_lat]
    )


class PointLayer(Protocol):
    """What an index needs of a layer: its facilities and their WGS-84 degrees."""

    @property
    def facilities(self) -> tuple[Facility, ...]: ...

    @property
    def lon(self) -> np.ndarray: ...

    @property
    def lat(self) -> np.ndarray: ...


@dataclass(frozen=True)
class Points:
    """Facilities and their coordinates (WGS-84 degrees), e.g. several layers together."""

    facilities: tuple[Facility, ...]
    lon: np.ndarray = field(repr=False)
    lat: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class LayerIndex:
    """The spatial index of one layer, built once when the catalog loads."""

    layer: PointLayer
    tree: cKDTree | None = field(repr=False)
    amenity_masks: dict[str, np.ndarray] = field(repr=False)
    # by position: a query reads a few entries one by one, and at a million points each
    # object it touches is a cache miss, so coordinates are packed (one miss for both)
    # and ids and hours are read here rather than through the Facility
    lonlat: array.array = field(repr=False)  # lon, lat, lon, lat, ... (WGS-84 degrees)
    ids: list[str] = field(repr=False)
    hours: list[str | None] = field(repr=False)  # opening_hours expressions

    @property
    def size(self) -> int:
        return len(self.layer.facilities)


def build_union_index(layers: list[PointLayer]) -> LayerIndex:
    """One index over several layers: a query over all of them costs one tree search
    instead of one per layer."""
    facilities = tuple(f for layer in layers for f in layer.facilities)
    lon = np.concatenate([layer.lon for layer in layers]) if layers else np.empty(0)
    lat = np.concatenate([layer.lat for layer in layers]) if layers else np.empty(0)
    return build_index(Points(facilities, lon, lat))


def build_index(layer: PointLayer) -> LayerIndex:
    """Index a layer: a KD-tree over ECEF coordinates and one boolean mask per amenity."""
    tree = cKDTree(ecef(layer.lon, layer.lat)) if layer.facilities else None
    masks = {}
    for term in AMENITIES:
        masks[term] = np.array(
            [term in (f.properties.get("amenities") or ()) for f in layer.facilities], dtype=bool
        )
    return LayerIndex(
        layer,
        tree,
        masks,
        array.array("d", np.column_stack([layer.lon, layer.lat]).astype(float).ravel().tobytes()),
        [f.id for f in layer.facilities],
        [f.properties.get("opening_hours") for f in layer.facilities],
    )


#: how a worker travels: on foot, or (most riders and couriers) by e-bike
WALK, EBIKE = "walk", "ebike"
TRAVEL_MODES = (WALK, EBIKE)


@dataclass(frozen=True)
class NearestQuery:
    """What a worker asks. ``at`` is when; ``open_on_arrival`` keeps only places known to
    be open when the worker, travelling by ``travel`` (walk or ebike), would get there;
    with ``keep_unknown_hours`` also those whose hours then are not known (the answer
    marks them: ``hours_on_arrival.state`` is unknown)."""

    point: Point
    layers: tuple[str, ...]
    k: int = DEFAULT_K
    max_distance_m: float | None = None
    amenities: frozenset[str] = frozenset()
    at: dt.datetime | None = None
    open_on_arrival: bool = False
    travel: str = WALK
    keep_unknown_hours: bool = False

    def __post_init__(self) -> None:
        if self.travel not in TRAVEL_MODES:
            raise InvalidQuery(
                "travel", f"travel must be one of {', '.join(TRAVEL_MODES)}, got {self.travel!r}"
            )
        if not 1 <= self.k <= MAX_K:
            raise InvalidQuery("k", f"k must be an integer from 1 to {MAX_K}, got {self.k}")
        if self.max_distance_m is not None and not (
            math.isfinite(self.max_distance_m) and self.max_distance_m > 0
        ):
            raise InvalidQuery(
                "max_distance_m",
                f"max_distance_m must be a positive number of metres, got {self.max_distance_m}",
            )
        unknown = sorted(set(self.amenities) - set(AMENITIES))
        if unknown:
            raise InvalidQuery(
                "amenity",
                f"unknown amenity {', '.join(unknown)}; expected any of: {', '.join(AMENITIES)}",
            )
        if not self.layers:
            raise InvalidQuery("layer", "at least one layer is required")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at must be an aware datetime")


#: how a result's distance and time were measured: along the street network, or the
#: straight-line estimate (DETOUR_FACTOR, WALK_M_PER_MIN, EBIKE_M_PER_MIN)
NETWORK, STRAIGHT = "network", "straight-line"
#: why a result is a straight-line estimate: the data has no street network; the
#: starting point is off it (beyond SNAP_MAX_M, or outside the network's area); the
#: facility is; or the network does not reach the facility within a generous limit
NO_NETWORK, ORIGIN_OFF, FACILITY_OFF, UNREACHABLE = (
    "no-network",
    "origin-off-network",
    "facility-off-network",
    "unreachable",
)
STRAIGHT_REASONS = (NO_NETWORK, ORIGIN_OFF, FACILITY_OFF, UNREACHABLE)


@dataclass(frozen=True)
class Nearby:
    """One facility in a nearest answer.

    ``distance_m`` is metres along the street network when ``measured`` is ``network``
    (the quickest way there by the query's way of travel, access legs included), else the
    geodesic metres; ``straight_m`` is always the geodesic metres. ``walk_min`` and
    ``ebike_min`` are always today's straight-line estimates (see ESTIMATE_NOTE);
    ``network_min`` the minutes along the network by the query's way of travel (None when
    straight-line, with ``reason`` saying why)."""

    facility: Facility
    distance_m: float
    bearing_deg: float
    walk_min: float
    ebike_min: float
    hours: HoursStatus
    hours_on_arrival: HoursStatus
    measured: str = STRAIGHT
    reason: str | None = NO_NETWORK
    straight_m: float = math.nan
    network_min: float | None = None

    def __init__(
        self,
        facility: Facility,
        distance_m: float,
        bearing_deg: float,
        walk_min: float,
        ebike_min: float,
        hours: HoursStatus,
        hours_on_arrival: HoursStatus,
        measured: str = STRAIGHT,
        reason: str | None = NO_NETWORK,
        straight_m: float | None = None,
        network_min: float | None = None,
    ):
        # k of these per query: filling the instance dict directly costs a third of the
        # object.__setattr__ calls a frozen dataclass's own __init__ makes
        d = self.__dict__
        d["facility"] = facility
        d["distance_m"] = distance_m
        d["bearing_deg"] = bearing_deg
        d["walk_min"] = walk_min
        d["ebike_min"] = ebike_min
        d["hours"] = hours
        d["hours_on_arrival"] = hours_on_arrival
        d["measured"] = measured
        d["reason"] = reason
        d["straight_m"] = distance_m if straight_m is None else straight_m
        d["network_min"] = network_min

    @property
    def along_network(self) -> bool:
        return self.measured == NETWORK

    def travel_min(self, travel: str) -> float:
        """Minutes by ``travel``: along the network when measured so (the network time
        is for the query's way of travel), else the straight-line estimate."""
        if self.network_min is not None:
            return self.network_min
        return self.ebike_min if travel == EBIKE else self.walk_min


def walk_minutes(distance_m: float) -> float:
    return distance_m * DETOUR_FACTOR / WALK_M_PER_MIN


def ebike_minutes(distance_m: float) -> float:
    return distance_m * DETOUR_FACTOR / EBIKE_M_PER_MIN


def travel_minutes(distance_m: float, travel: str) -> float:
    """Estimated minutes to cover ``distance_m`` (straight-line metres) by ``travel``."""
    return ebike_minutes(distance_m) if travel == EBIKE else walk_minutes(distance_m)


def _ecef1(lon: float, lat: float) -> tuple[float, float, float]:
    """``ecef`` for one point, without numpy's per-call overhead."""
    lon_r, lat_r = math.radians(lon), math.radians(lat)
    sin_lat, cos_lat = math.sin(lat_r), math.cos(lat_r)
    n = _A / math.sqrt(1.0 - _E2 * sin_lat * sin_lat)
    return (n * cos_lat * math.cos(lon_r), n * cos_lat * math.sin(lon_r), n * (1.0 - _E2) * sin_lat)


_UNMEASURED = ()


def amenity_mask(index: LayerIndex, amenities: frozenset[str]) -> np.ndarray | None:
    """The positions of ``index`` offering every amenity asked (None: none asked)."""
    mask = None
    for term in amenities:
        mask = index.amenity_masks[term] if mask is None else mask & index.amenity_masks[term]
    return mask


def _layer_nearest(
    index: LayerIndex,
    q: NearestQuery,
    xyz: tuple[float, float, float],
    keep: Callable[[Facility, float], bool] | None,
    bound: float,
) -> list[tuple[float, int, float]]:
    """Up to k ``(distance_m, position, bearing_deg)`` of one layer within ``bound`` metres
    that pass the amenity filter and ``keep``, in exact geodesic order (ties by id)."""
    n = index.size
    if n == 0 or index.tree is None:
        return []
    mask = amenity_mask(index, q.amenities)
    if mask is not None and not mask.any():
        return []
    ids, lonlat = index.ids, index.lonlat
    inv = geodesic_inverse_point()  # ~1 µs a call, far cheaper than arrays for a few
    lon0, lat0 = q.point.lon, q.point.lat
    if mask is None and keep is None and n > q.k:
        # the common case, first: k + 1 candidates by chord and the geodesics of the
        # first k. Any other point is at least the (k+1)-th chord away (chord <=
        # geodesic), so when the k-th geodesic is strictly below it, these are the k
        # nearest, ties included; otherwise the loop below settles it.
        k = q.k
        # positional (k, eps, p, distance_upper_bound) and an array: each saves a
        # conversion in scipy, ~0.4 µs of a ~14 µs search
        chord, pos = index.tree.query(np.array(xyz), k + 1, 0, 2, bound)
        chord, pos = chord.tolist(), pos.tolist()
        if pos[k] != n:  # k + 1 neighbours within the bound
            found = []
            for p in pos[:k]:
                az, _, d = inv(lon0, lat0, lonlat[2 * p], lonlat[2 * p + 1])
                found.append((d, p, az % 360.0))
            found.sort()
            if found[-1][0] < chord[k]:
                for i in range(k - 1):
                    if found[i][0] == found[i + 1][0]:  # a tie: by id, not position
                        found.sort(key=lambda r: (r[0], ids[r[1]]))
                        break
                return found
    # at city scale chord and geodesic differ by less than a millimetre, so a couple of
    # spare candidates almost always settle the order; the loop below proves it or grows
    kk = min(n, q.k + 2 if mask is None and keep is None else max(4 * q.k, 32))
    kept: dict[int, bool] = {}
    measured: dict[int, tuple | None] = {}
    while True:
        chord, pos = index.tree.query(xyz, k=kk, distance_upper_bound=bound)
        if kk == 1:  # a scalar answer
            chord, pos = [float(chord)], [int(pos)]
        else:
            chord, pos = chord.tolist(), pos.tolist()
        exhausted = kk >= n or pos[-1] == n
        rows = []
        for p in pos:
            if p == n:
                break
            if mask is not None and not mask[p]:
                continue
            if kept.get(p) is False:  # refused in an earlier round: never picked
                continue
            row = measured.get(p, _UNMEASURED)
            if row is _UNMEASURED:  # each candidate is measured once, too
                az, _, d = inv(lon0, lat0, lonlat[2 * p], lonlat[2 * p + 1])
                row = measured[p] = (d, ids[p], p, az % 360.0) if d <= bound else None
            if row is not None:
                rows.append(row)
        rows.sort()
        picked = []
        for row in rows:
            if keep is not None:
                ok = kept.get(row[2])
                if ok is None:  # each candidate is judged once, however far the search grows
                    ok = kept[row[2]] = keep(index.layer.facilities[row[2]], row[0])
                if not ok:
                    continue
            picked.append(row)
            if len(picked) == q.k:
                break
        # points not yet examined are at least `reach` away (chord <= geodesic)
        reach = chord[-1]
        if exhausted or (len(picked) == q.k and picked[-1][0] <= reach):
            return [(d, p, az) for d, _, p, az in picked]
        kk = min(n, kk * 4)


def nearest_facilities(
    indexes: dict[str, LayerIndex],
    q: NearestQuery,
    now: dt.datetime,
    union: LayerIndex | None = None,
    *,
    calendar: Calendar,
) -> list[Nearby]:
    """The k nearest facilities over ``q.layers``, nearest first (ties by id).

    Distances are geodesic metres on WGS-84; ``now`` is used when ``q.at`` is None. Opening
    hours are evaluated at ``at`` and on arrival (``at`` + the estimate for ``q.travel``)
    with the holidays of ``calendar`` (the data version's). ``union``, an index over every
    layer of ``indexes``, answers queries over all layers in one search.
    """
    at = q.at or now
    xyz = _ecef1(q.point.lon, q.point.lat)
    keep = arrival_filter(q, at, calendar)
    bound = q.max_distance_m if q.max_distance_m is not None else math.inf
    one = (
        union
        if union is not None and indexes.keys() == set(q.layers)
        else indexes[q.layers[0]]
        if len(q.layers) == 1
        else None
    )
    if one is not None:  # one search: its rows are in order already
        facilities, hours = one.layer.facilities, one.hours
        found = [
            (facilities[pos], hours[pos], d, bearing)
            for d, pos, bearing in _layer_nearest(one, q, xyz, keep, bound)
        ]
        return _nearby_rows(found, q, at, calendar)
    merged: list[tuple[float, str, LayerIndex, int, float]] = []
    for lid in q.layers:
        index = indexes[lid]
        ids = index.ids
        for d, pos, bearing in _layer_nearest(index, q, xyz, keep, bound):
            merged.append((d, ids[pos], index, pos, bearing))
        merged.sort(key=lambda r: (r[0], r[1]))
        del merged[q.k :]
        if len(merged) == q.k:  # later layers only matter if they hold something nearer
            bound = merged[-1][0] * (1 + 1e-9) + 1e-6
    return _nearby_rows(
        [
            (index.layer.facilities[pos], index.hours[pos], d, bearing)
            for d, _, index, pos, bearing in merged
        ],
        q,
        at,
        calendar,
    )


def arrival_status(
    fac: Facility, distance_m: float, q: NearestQuery, at: dt.datetime, calendar: Calendar
) -> HoursStatus:
    """The facility's hours when a worker leaving at ``at`` would arrive."""
    return hours_on_arrival(fac.properties.get("opening_hours"), distance_m, q, at, calendar)


def hours_on_arrival(
    expr: str | None, distance_m: float, q: NearestQuery, at: dt.datetime, calendar: Calendar
) -> HoursStatus:
    """``arrival_status`` for an opening-hours expression (OSM syntax; None: unknown)."""
    return hours_status(
        expr, at + dt.timedelta(minutes=travel_minutes(distance_m, q.travel)), calendar
    )


def arrival_keeps(on_arrival: HoursStatus, q: NearestQuery) -> bool:
    """Whether a place with these hours on arrival passes ``q``'s open-on-arrival filter:
    known to be open, or (with ``keep_unknown_hours``) not known."""
    return on_arrival.state == OPEN or (q.keep_unknown_hours and on_arrival.state == UNKNOWN)


def arrival_filter(
    q: NearestQuery, at: dt.datetime, calendar: Calendar
) -> Callable[[Facility, float], bool] | None:
    """With ``open_on_arrival``, the test of :func:`arrival_keeps` for a place at
    ``distance_m`` metres."""
    if not q.open_on_arrival:
        return None
    # called for every candidate a filtered search looks at (hundreds when few places
    # are open): arrival_status written out, and no hours evaluated for unknown hours
    speed = EBIKE_M_PER_MIN if q.travel == EBIKE else WALK_M_PER_MIN
    keep_unknown = q.keep_unknown_hours

    def keep(fac: Facility, distance_m: float) -> bool:
        expr = fac.properties.get("opening_hours")
        if not expr:
            return keep_unknown
        minutes = distance_m * DETOUR_FACTOR / speed  # travel_minutes' arithmetic
        state = hours_status(expr, at + dt.timedelta(minutes=minutes), calendar).state
        return state == OPEN or (keep_unknown and state == UNKNOWN)

    return keep


def nearby(
    fac: Facility,
    distance_m: float,
    bearing_deg: float,
    q: NearestQuery,
    at: dt.datetime,
    calendar: Calendar,
) -> Nearby:
    """One result, with its estimates and its hours now and on arrival."""
    expr = fac.properties.get("opening_hours")
    return _nearby_rows([(fac, expr, distance_m, bearing_deg)], q, at, calendar)[0]


def _nearby_rows(
    found: list[tuple[Facility, str | None, float, float]],
    q: NearestQuery,
    at: dt.datetime,
    calendar: Calendar,
) -> list[Nearby]:
    """:func:`nearby` for each ``(facility, its opening_hours, distance_m, bearing_deg)``."""
    # the hot path of every nearest query: the estimates and the arrival time are written
    # out here (the arithmetic of walk_minutes, ebike_minutes, travel_minutes), and the
    # hours now are worked out once per distinct expression (they are the same value)
    by_ebike = q.travel == EBIKE
    now: dict[str | None, HoursStatus] = {}
    out = []
    for fac, expr, distance_m, bearing_deg in found:
        status = now.get(expr)
        if status is None:
            status = now[expr] = hours_status(expr, at, calendar)
        walk = distance_m * DETOUR_FACTOR / WALK_M_PER_MIN
        ebike = distance_m * DETOUR_FACTOR / EBIKE_M_PER_MIN
        # timedelta(0, 0, 0, 0, m) is timedelta(minutes=m), without parsing keywords
        arrive = at + dt.timedelta(0, 0, 0, 0, ebike if by_ebike else walk)
        on_arrival = (
            hours_status(expr, arrive, calendar)
            if expr
            else HoursStatus(UNKNOWN, arrive.astimezone(TZ))  # what hours_status says
        )
        out.append(Nearby(fac, distance_m, bearing_deg, walk, ebike, status, on_arrival))
    return out


def nearest_batch(
    index: LayerIndex, lon, lat, k: int = 1, workers: int = -1
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest for many WGS-84 points at once: ``(distance_m, position)``, shape (m, k).

    Distances are geodesic metres (the chord series below 100 km, ``Geod`` beyond). Rows
    more than 100 km from every facility are ranked by chord, which may order near-ties
    (within tens of metres) differently from the geodesic; ``nearest_facilities`` is exact.
    ``position`` indexes ``index.layer.facilities``; missing neighbours have distance inf.
    """
    if index.size == 0 or index.tree is None:
        m = np.asarray(lon).size
        return np.full((m, k), np.inf), np.full((m, k), 0)
    chord, pos = index.tree.query(ecef(lon, lat), k=k, workers=workers)
    chord, pos = chord.reshape(-1, k), pos.reshape(-1, k)
    dist = chord + chord**3 / (24.0 * _R_MEAN**2)
    far = np.isfinite(chord) & (chord > _SERIES_LIMIT_M)
    if far.any():
        rows, cols = np.nonzero(far)
        lon_a = np.broadcast_to(np.asarray(lon, dtype=float).reshape(-1, 1), chord.shape)
        lat_a = np.broadcast_to(np.asarray(lat, dtype=float).reshape(-1, 1), chord.shape)
        p = pos[rows, cols]
        _, d = geodesic_inverse(
            lon_a[rows, cols], lat_a[rows, cols], index.layer.lon[p], index.layer.lat[p]
        )
        dist[rows, cols] = d
        # re-sort rows whose order the exact distances changed
        order = np.argsort(dist, axis=1, kind="stable")
        dist = np.take_along_axis(dist, order, axis=1)
        pos = np.take_along_axis(pos, order, axis=1)
    return dist, pos
