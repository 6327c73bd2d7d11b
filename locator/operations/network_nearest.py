"""Nearest facilities along the street network: today's candidates, re-ranked by travel time.

With a :class:`~locator.operations.network.StreetNetwork`, a rider's nearest places are
the quickest to reach by the query's way of travel (``walk`` or ``ebike``, each its own
graph), not the nearest as the crow flies. Candidates come from the layer's exact
geodesic index (:mod:`locator.operations.nearest`) in order of straight-line distance;
their network times come from ONE bounded shortest-path search (scipy's Dijkstra with a
time limit) from the starting point's network node. The answer is exact within the
network model because no trip of ``s`` straight metres takes less than
``StreetNetwork.lower_bound_s(s)`` (the straight line at the network's top speed): once
the k-th best time is within the bound of the nearest candidate not yet looked at (the
KD-tree's chord, which never exceeds the geodesic), nothing further can be quicker. When
that does not hold yet, the candidate set grows (x4), or the time limit does (x2).

A time is ``access leg from the point + the path between the nodes + access leg to the
facility`` (the legs straight, at ``ACCESS_M_PER_S``). A facility whose node is off the
network (beyond ``SNAP_MAX_M``), or which the network does not reach within
``UNREACHABLE_FACTOR`` x its straight-line estimate + ``UNREACHABLE_EXTRA_S`` (a gap in the
map's ways, a gated estate, an island), gets today's straight-line estimate, ranked by it
and labelled. A starting point off the network (or outside its area) gets ``None``: the
caller answers with today's straight-line estimates, labelled.

Filters: amenities as today; ``max_distance_m`` bounds the distance shown, metres along
the network for a result measured along it (straight metres for a straight-line one);
open on arrival uses the network time. Ties by facility id.

Coordinates are WGS-84 degrees in, metres in the network's ``info.metric_epsg`` for
snapping; times seconds inside, minutes on the results.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from locator.operations.hours import OPEN, TZ, UNKNOWN, Calendar, HoursStatus, hours_status
from locator.operations.nearest import (
    DETOUR_FACTOR,
    EBIKE,
    EBIKE_M_PER_MIN,
    FACILITY_OFF,
    NETWORK,
    STRAIGHT,
    UNREACHABLE,
    WALK_M_PER_MIN,
    LayerIndex,
    Nearby,
    NearestQuery,
    _ecef1,
)
from locator.operations.network import SNAP_MAX_M, StreetNetwork
from locator.values.geo.distance import geodesic_inverse_point, to_metric

#: a facility the network does not reach within this many times its straight-line
#: estimate, plus UNREACHABLE_EXTRA_S, is taken as unreachable (it keeps its estimate)
UNREACHABLE_FACTOR = 3.0
UNREACHABLE_EXTRA_S = 600.0
#: the straight metres of the lower bound are shrunk by this share: access legs are
#: measured in the metric projection, whose scale differs from the ellipsoid's by less
#: than 0.1 % over a city in its own UTM zone
_BOUND_SLACK = 1e-3
#: the candidates first looked at: enough that one round settles almost every query
_FIRST_CANDIDATES = 16


def estimate_s(straight_m: float, travel: str) -> float:
    """Today's straight-line estimate, seconds (DETOUR_FACTOR at the mode's speed)."""
    per_min = EBIKE_M_PER_MIN if travel == EBIKE else WALK_M_PER_MIN
    return straight_m * DETOUR_FACTOR / per_min * 60.0


@dataclass(frozen=True)
class SnappedLayer:
    """The facilities of one index joined to one way of travel's graph, by position:
    their nodes (-1: off the network) and the straight access legs (metres)."""

    node: np.ndarray = field(repr=False)
    access_m: np.ndarray = field(repr=False)


def snap_index(net: StreetNetwork, mode: str, index: LayerIndex) -> SnappedLayer:
    """Join an index's facilities (WGS-84) to ``mode``'s graph, through the network's
    metric projection (done once per data version)."""
    lon, lat = np.asarray(index.layer.lon, float), np.asarray(index.layer.lat, float)
    if lon.size == 0:
        return SnappedLayer(np.empty(0, np.int64), np.empty(0))
    x, y = to_metric(lon, lat, net.info.metric_epsg)
    snapped = net.snap(mode, x, y)
    return SnappedLayer(snapped.node, snapped.access_m)


@dataclass(frozen=True)
class Origin:
    """A starting point on a graph: its node and the seconds of its access leg."""

    node: int
    access_m: float
    access_s: float


def snap_origin(net: StreetNetwork, mode: str, lon: float, lat: float) -> Origin | None:
    """The point (WGS-84) joined to ``mode``'s graph; None when it lies outside the
    network's area or further than SNAP_MAX_M from any node ``mode`` can use."""
    west, south, east, north = net.info.clip
    if not (west <= lon <= east and south <= lat <= north):
        return None
    x, y = to_metric(lon, lat, net.info.metric_epsg)
    snapped = net.snap(mode, x, y, SNAP_MAX_M)
    node = int(snapped.node[0])
    if node < 0:
        return None
    access_m = float(snapped.access_m[0])
    return Origin(node, access_m, float(net.access_s(mode, access_m)))


class _Times:
    """Seconds from the origin's node to every node, by one bounded Dijkstra, run again
    with a larger limit only when a question needs it."""

    def __init__(self, net: StreetNetwork, mode: str, origin: Origin):
        self.net, self.mode, self.origin = net, mode, origin
        self.limit = -1.0
        self.dist: Any = None
        self.pred: Any = None
        self.runs = 0

    def ensure(self, limit_s: float) -> None:
        if limit_s <= self.limit:
            return
        self.dist, self.pred = self.net.times_from(
            self.mode, self.origin.node, limit_s, predecessors=True
        )
        self.limit = limit_s
        self.runs += 1

    def length_m(self, target: int) -> float:
        """Metres along the quickest path found to ``target`` (reached)."""
        pred = self.pred
        nodes = [target]
        prev = int(pred[target])
        while prev >= 0:
            nodes.append(prev)
            prev = int(pred[prev])
        if len(nodes) < 2:
            return 0.0
        g = self.net.graphs[self.mode]
        heads = np.asarray(nodes[:-1], dtype=np.int64)  # reversed: v <- u
        tails = np.asarray(nodes[1:], dtype=np.int64)
        lo, hi = g.indptr[tails], g.indptr[tails + 1]
        counts = hi - lo
        owner = np.repeat(np.arange(tails.size), counts)
        edge = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        hit = g.indices[edge] == heads[owner]
        edge, owner = edge[hit], owner[hit]
        # the path's step is the quickest edge between its nodes (as Dijkstra took it)
        order = np.lexsort((g.time_s[edge], owner))
        edge, owner = edge[order], owner[order]
        first = np.ones(owner.size, dtype=bool)
        first[1:] = owner[1:] != owner[:-1]
        return float(g.length_m[edge[first]].astype(np.float64).sum())


@dataclass
class _Row:
    key_s: float  # seconds the ranking uses: along the network, or the estimate
    fid: str
    pos: int
    straight_m: float
    bearing_deg: float
    measured: str
    reason: str | None
    node: int = -1
    access_m: float = 0.0
    distance_m: float | None = None  # along the network (worked out when needed)


def _arrival(expr: str | None, at: dt.datetime, seconds: float, calendar: Calendar) -> HoursStatus:
    arrive = at + dt.timedelta(seconds=seconds)
    if not expr:
        return HoursStatus(UNKNOWN, arrive.astimezone(TZ))
    return hours_status(expr, arrive, calendar)


def _passes(state: str, q: NearestQuery) -> bool:
    return state == OPEN or (q.keep_unknown_hours and state == UNKNOWN)


def _index_nearest(
    index: LayerIndex,
    snapped: SnappedLayer,
    q: NearestQuery,
    at: dt.datetime,
    calendar: Calendar,
    net: StreetNetwork,
    times: _Times,
) -> list[_Row]:
    """Up to k rows of one index, quickest first (ties by id), exact (module docstring)."""
    n = index.size
    if n == 0 or index.tree is None:
        return []
    mask = None
    for term in q.amenities:
        mask = index.amenity_masks[term] if mask is None else mask & index.amenity_masks[term]
    if mask is not None and not mask.any():
        return []
    mode, origin, k = q.travel, times.origin, q.k
    xyz = _ecef1(q.point.lon, q.point.lat)
    bound_m = q.max_distance_m if q.max_distance_m is not None else math.inf
    inv = geodesic_inverse_point()
    lon0, lat0 = q.point.lon, q.point.lat
    ids, lonlat, hours = index.ids, index.lonlat, index.hours
    fac_node, fac_access = snapped.node, snapped.access_m
    access_s_per_m = float(net.access_s(mode, 1.0))  # seconds a metre of access leg
    # position -> (straight_m, bearing), None beyond max_distance_m
    seen: dict[int, tuple[float, float] | None] = {}
    kept: dict[int, bool] = {}  # position -> passes the arrival / distance filters
    kk = min(n, max(4 * k, _FIRST_CANDIDATES))
    limit = -1.0
    while True:
        chord, pos = index.tree.query(xyz, k=kk, distance_upper_bound=bound_m)
        chord, pos = ([float(chord)], [int(pos)]) if kk == 1 else (chord.tolist(), pos.tolist())
        exhausted = kk >= n or pos[-1] == n
        cands = []
        for p in pos:
            if p == n:
                break
            if mask is not None and not mask[p]:
                continue
            if p in seen:
                got = seen[p]
            else:
                az, _, d = inv(lon0, lat0, lonlat[2 * p], lonlat[2 * p + 1])
                got = seen[p] = (d, az % 360.0) if d <= bound_m else None
            if got is not None:
                cands.append((p, got[0], got[1]))
        # the first limit: twice the slowest estimate among the k straight-nearest, so
        # that a network no worse than twice the estimate settles the query in one search
        if limit < 0:
            first = [estimate_s(s, mode) for _, s, _ in cands[:k]] or [0.0]
            limit = 2.0 * max(first) + UNREACHABLE_EXTRA_S
        while True:
            times.ensure(limit)
            dist = times.dist
            rows: list[_Row] = []
            pending = math.inf  # the least any undetermined candidate could rank at
            for p, s, az in cands:
                est = estimate_s(s, mode)
                node = int(fac_node[p])
                if node < 0:
                    rows.append(_Row(est, ids[p], p, s, az, STRAIGHT, FACILITY_OFF))
                    continue
                acc_m = float(fac_access[p])
                legs = origin.access_s + acc_m * access_s_per_m
                cap = UNREACHABLE_FACTOR * est + UNREACHABLE_EXTRA_S
                t_node = float(dist[node])
                if math.isfinite(t_node) and legs + t_node <= cap:
                    rows.append(_Row(legs + t_node, ids[p], p, s, az, NETWORK, None, node, acc_m))
                elif cap - legs <= times.limit:  # searched far enough: not within the cap
                    rows.append(_Row(est, ids[p], p, s, az, STRAIGHT, UNREACHABLE))
                else:  # beyond the limit: no quicker than the limit, or its estimate
                    pending = min(pending, legs + times.limit, est)
            rows.sort(key=lambda r: (r.key_s, r.fid))
            picked: list[_Row] = []
            for row in rows:
                if row.key_s > pending:
                    break  # an undetermined candidate might come before this one
                ok = kept.get(row.pos)
                if ok is None:
                    ok = kept[row.pos] = _keep(row, q, at, calendar, times, hours, bound_m)
                if ok:
                    picked.append(row)
                    if len(picked) == k:
                        break
            if len(picked) == k or math.isinf(pending):
                break
            limit = times.limit * 2.0  # an undetermined one may still rank: search further
        # candidates not yet looked at are at least the last chord away (chord <= geodesic)
        reach = chord[-1] * (1.0 - _BOUND_SLACK)
        unexamined = min(net.lower_bound_s(mode, reach), estimate_s(reach, mode))
        if exhausted or (len(picked) == k and picked[-1].key_s <= unexamined):
            return picked
        kk = min(n, kk * 4)


def _keep(
    row: _Row,
    q: NearestQuery,
    at: dt.datetime,
    calendar: Calendar,
    times: _Times,
    hours: list[str | None],
    bound_m: float,
) -> bool:
    """Whether a row passes the distance bound (along the network when measured so) and
    the open-on-arrival filter (at the row's own time)."""
    if row.measured == NETWORK and math.isfinite(bound_m):
        row.distance_m = row.access_m + times.origin.access_m + times.length_m(row.node)
        if row.distance_m > bound_m:
            return False
    if not q.open_on_arrival:
        return True
    return _passes(_arrival(hours[row.pos], at, row.key_s, calendar).state, q)


def network_nearest(
    net: StreetNetwork,
    groups: list[tuple[LayerIndex, SnappedLayer]],
    q: NearestQuery,
    now: dt.datetime,
    *,
    calendar: Calendar,
    per_group: bool = False,
    origin: Origin | None = None,
) -> list[Nearby] | None:
    """The k quickest facilities of ``groups`` by ``q.travel`` along ``net`` (each group an
    index and its facilities snapped to the graph of ``q.travel``), quickest first, ties
    by id; with ``per_group``, k from each group in the groups' order. None when the
    starting point is off the network (the caller answers with straight-line estimates).
    Hours are evaluated at ``q.at`` (``now`` when None) and on arrival after the time
    each result gives."""
    at = q.at or now
    if origin is None:
        origin = snap_origin(net, q.travel, q.point.lon, q.point.lat)
    if origin is None:
        return None
    times = _Times(net, q.travel, origin)
    found: list[tuple[LayerIndex, _Row]] = []
    for index, snapped in groups:
        rows = _index_nearest(index, snapped, q, at, calendar, net, times)
        found += [(index, r) for r in rows]
    if not per_group:
        found.sort(key=lambda ir: (ir[1].key_s, ir[1].fid))
        del found[q.k :]
    return [_nearby(index, row, q, at, calendar, times) for index, row in found]


def _nearby(
    index: LayerIndex,
    row: _Row,
    q: NearestQuery,
    at: dt.datetime,
    calendar: Calendar,
    times: _Times,
) -> Nearby:
    fac = index.layer.facilities[row.pos]
    expr = index.hours[row.pos]
    s = row.straight_m
    walk = s * DETOUR_FACTOR / WALK_M_PER_MIN
    ebike = s * DETOUR_FACTOR / EBIKE_M_PER_MIN
    if row.measured == NETWORK:
        if row.distance_m is None:
            row.distance_m = row.access_m + times.origin.access_m + times.length_m(row.node)
        distance, network_min = row.distance_m, row.key_s / 60.0
    else:
        distance, network_min = s, None
    return Nearby(
        fac,
        distance,
        row.bearing_deg,
        walk,
        ebike,
        hours_status(expr, at, calendar),
        _arrival(expr, at, row.key_s, calendar),
        row.measured,
        row.reason,
        s,
        network_min,
    )


def network_trip(
    net: StreetNetwork,
    index: LayerIndex,
    snapped: SnappedLayer,
    position: int,
    q: NearestQuery,
    now: dt.datetime,
    *,
    calendar: Calendar,
) -> Nearby | None:
    """The trip from ``q.point`` to the facility at ``position`` of ``index`` by
    ``q.travel`` along the network (None when the point is off the network)."""
    at = q.at or now
    origin = snap_origin(net, q.travel, q.point.lon, q.point.lat)
    if origin is None:
        return None
    p = position
    az, _, s = geodesic_inverse_point()(
        q.point.lon, q.point.lat, index.lonlat[2 * p], index.lonlat[2 * p + 1]
    )
    fid = index.ids[p]
    est = estimate_s(s, q.travel)
    times = _Times(net, q.travel, origin)
    node = int(snapped.node[p])
    if node < 0:
        row = _Row(est, fid, p, s, az % 360.0, STRAIGHT, FACILITY_OFF)
        return _nearby(index, row, q, at, calendar, times)
    acc_m = float(snapped.access_m[p])
    legs = origin.access_s + float(net.access_s(q.travel, acc_m))
    cap = UNREACHABLE_FACTOR * est + UNREACHABLE_EXTRA_S
    times.ensure(max(0.0, cap - legs))
    t_node = float(times.dist[node])
    if math.isfinite(t_node) and legs + t_node <= cap:
        row = _Row(legs + t_node, fid, p, s, az % 360.0, NETWORK, None, node, acc_m)
    else:
        row = _Row(est, fid, p, s, az % 360.0, STRAIGHT, UNREACHABLE)
    return _nearby(index, row, q, at, calendar, times)
