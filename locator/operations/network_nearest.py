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
facility`` (the legs straight, at ``ACCESS_M_PER_S``). Points and facilities join the
nearest node of the graph's largest strongly connected component (:func:`join_graph`),
so that every facility on the network can be reached from every point on it. A facility
with no such node within ``SNAP_MAX_M`` is off the network: it gets today's straight-line
estimate, ranked by it and labelled. A long detour (a river with its bridge far away) is
measured, not guessed: the place ranks by its time along the network, however much longer
than the straight line; only a trip longer than ``MAX_TRIP_S`` is taken as unreachable,
ranked after every place reached and labelled (its figures are the straight-line
estimate's). A starting point off the network (or outside its area) gets ``None``: the
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
    amenity_mask,
)
from locator.operations.network import StreetNetwork
from locator.values.geo.distance import geodesic_inverse_point, to_metric

#: a facility the network does not reach within this many seconds is taken as
#: unreachable: ranked after every place reached, with its straight-line estimate
MAX_TRIP_S = 2 * 3600.0
#: the straight metres of the lower bound are shrunk by this share: access legs are
#: measured in the metric projection, whose scale differs from the ellipsoid's by less
#: than 0.1 % over a city in its own UTM zone
_BOUND_SLACK = 1e-3
#: the first search's time limit: this many times the slowest straight-line estimate of
#: the k straight-nearest candidates, plus FIRST_LIMIT_EXTRA_S (doubled when not enough)
FIRST_LIMIT_FACTOR = 1.5
FIRST_LIMIT_EXTRA_S = 120.0
#: the candidates first looked at: enough that one round settles almost every query
_FIRST_CANDIDATES = 16


def estimate_s(straight_m: float, travel: str) -> float:
    """Today's straight-line estimate, seconds (DETOUR_FACTOR at the mode's speed)."""
    per_min = EBIKE_M_PER_MIN if travel == EBIKE else WALK_M_PER_MIN
    return straight_m * DETOUR_FACTOR / per_min * 60.0


@dataclass(frozen=True)
class Joinable:
    """The nodes of one way of travel's graph a point may join: those of the graph's
    largest strongly connected component (from each of them every other can be reached),
    with a KD-tree over their metric coordinates. A node outside it (a gated estate's
    paths, a fragment the extract's edge cut off, the far end of a one-way street) would
    strand a rider or a facility; routing engines snap to the big component for the same
    reason. Made once per data version and way of travel."""

    mode: str
    nodes: np.ndarray = field(repr=False)
    tree: Any = field(repr=False)

    def snap(self, net: StreetNetwork, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Nodes (-1: none within SNAP_MAX_M) and access legs (metres) of points given
        in metres of ``net.info.metric_epsg`` (:meth:`StreetNetwork.snap`)."""
        snapped = net.snap(self.mode, x, y)
        return snapped.node, snapped.access_m


def join_graph(net: StreetNetwork, mode: str) -> Joinable:
    """The :class:`Joinable` nodes of ``mode``'s graph (:meth:`StreetNetwork.joinable`:
    its largest strongly connected component)."""
    tree, nodes = net.joinable(mode)
    return Joinable(mode, nodes, tree)


@dataclass(frozen=True)
class SnappedLayer:
    """The facilities of one index joined to one way of travel's graph, by position:
    their nodes (-1: off the network) and the straight access legs (metres)."""

    node: np.ndarray = field(repr=False)
    access_m: np.ndarray = field(repr=False)

    @property
    def off(self) -> np.ndarray:
        """Positions of the facilities off the network (they rank by the estimate)."""
        found = self.__dict__.get("_off")
        if found is None:
            found = np.flatnonzero(self.node < 0)
            object.__setattr__(self, "_off", found)
        return found


def snap_index(net: StreetNetwork, joinable: Joinable, index: LayerIndex) -> SnappedLayer:
    """Join an index's facilities (WGS-84) to the graph of ``joinable``, through the
    network's metric projection (done once per data version)."""
    lon, lat = np.asarray(index.layer.lon, float), np.asarray(index.layer.lat, float)
    if lon.size == 0:
        return SnappedLayer(np.empty(0, np.int64), np.empty(0))
    x, y = to_metric(lon, lat, net.info.metric_epsg)
    node, access_m = joinable.snap(net, x, y)
    return SnappedLayer(node, access_m)


@dataclass(frozen=True)
class Origin:
    """A starting point on a graph: its node and the seconds of its access leg."""

    node: int
    access_m: float
    access_s: float


def snap_origin(net: StreetNetwork, joinable: Joinable, lon: float, lat: float) -> Origin | None:
    """The point (WGS-84) joined to the graph of ``joinable``; None when it lies outside
    the network's area or further than SNAP_MAX_M from any node it may join."""
    west, south, east, north = net.info.clip
    if not (west <= lon <= east and south <= lat <= north):
        return None
    x, y = to_metric(lon, lat, net.info.metric_epsg)
    nodes, access = joinable.snap(net, x, y)
    node = int(nodes[0])
    if node < 0:
        return None
    access_m = float(access[0])
    return Origin(node, access_m, float(net.access_s(joinable.mode, access_m)))


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

    def lengths_m(self, targets: list[int]) -> list[float]:
        """Metres along the quickest paths found to ``targets`` (reached nodes): each
        step is the quickest edge between its nodes, as Dijkstra took it."""
        pred = self.pred
        tails: list[int] = []
        heads: list[int] = []
        owners: list[int] = []
        for i, target in enumerate(targets):
            node = target
            prev = int(pred[node])
            while prev >= 0:
                tails.append(prev)
                heads.append(node)
                owners.append(i)
                node, prev = prev, int(pred[prev])
        out = np.zeros(len(targets))
        if not tails:
            return out.tolist()
        g = self.net.graphs[self.mode]
        tail = np.asarray(tails, dtype=np.int64)
        head = np.asarray(heads, dtype=np.int64)
        lo = g.indptr[tail]
        counts = g.indptr[tail + 1] - lo
        step = np.repeat(np.arange(tail.size), counts)
        edge = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        hit = g.indices[edge] == head[step]
        edge, step = edge[hit], step[hit]
        order = np.lexsort((g.time_s[edge], step))
        edge, step = edge[order], step[order]
        first = np.ones(step.size, dtype=bool)
        first[1:] = step[1:] != step[:-1]
        np.add.at(out, np.asarray(owners)[step[first]], g.length_m[edge[first]])
        return out.tolist()


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
    mask = amenity_mask(index, q.amenities)
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
    per_m_s = estimate_s(1.0, mode)  # seconds of the straight-line estimate a metre
    # position -> (straight_m, bearing, estimate_s, node, access_m, legs_s, cap_s), None
    # beyond max_distance_m: worked out once per candidate, however far the search grows
    seen: dict[int, tuple | None] = {}
    kept: dict[int, _Row | None] = {}  # position -> its row when it passes the filters
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
                if d > bound_m:
                    got = None
                else:
                    est = d * per_m_s
                    acc_m = float(fac_access[p])
                    got = (
                        d,
                        az % 360.0,
                        est,
                        int(fac_node[p]),
                        acc_m,
                        origin.access_s + acc_m * access_s_per_m,
                        MAX_TRIP_S,
                        net.lower_bound_s(mode, d * (1.0 - _BOUND_SLACK)),
                    )
                seen[p] = got
            if got is not None:
                cands.append((p, got))
        # the first limit: half as much again as the slowest estimate among the k
        # straight-nearest (and two minutes), so that a network no worse than that
        # settles the query in one search; a search goes as far as its limit, so a
        # generous one costs every query
        if limit < 0:
            first = [got[2] for _, got in cands[:k]] or [0.0]
            # nothing beyond MAX_TRIP_S changes an answer
            limit = min(FIRST_LIMIT_FACTOR * max(first) + FIRST_LIMIT_EXTRA_S, MAX_TRIP_S)
            if limit <= times.limit * (1 + 1e-6):  # another group's search went as far
                limit = times.limit
        while True:
            times.ensure(limit)
            dist, searched = times.dist, times.limit
            rows: list[tuple[float, str, int, str | None]] = []  # (key, id, position, label)
            pending = math.inf  # the least any undetermined candidate could rank at
            for p, (_s, _az, est, node, _acc, legs, cap, lower) in cands:
                if node < 0:
                    rows.append((est, ids[p], p, FACILITY_OFF))
                    continue
                t_node = dist[node]
                if t_node <= cap - legs:  # inf (not reached) never is
                    rows.append((legs + float(t_node), ids[p], p, None))
                elif cap - legs <= searched or lower > cap:  # not within the cap
                    rows.append((cap + est, ids[p], p, UNREACHABLE))  # after all reached
                else:  # beyond the limit: no quicker than the limit
                    pending = min(pending, legs + searched)
            rows.sort()
            picked: list[_Row] = []
            for key_s, fid, p, label in rows:
                if key_s > pending:
                    break  # an undetermined candidate might come before this one
                if p in kept:
                    row = kept[p]
                else:
                    d, az, _, node, acc_m, _, _, _ = seen[p]  # type: ignore[misc]
                    row = _Row(
                        key_s,
                        fid,
                        p,
                        d,
                        az,
                        NETWORK if label is None else STRAIGHT,
                        label,
                        node,
                        acc_m,
                    )
                    if not _keep(row, q, at, calendar, times, hours, bound_m):
                        row = None
                    kept[p] = row
                if row is not None:
                    picked.append(row)
                    if len(picked) == k:
                        break
            if len(picked) == k or math.isinf(pending):
                break
            # an undetermined one may still rank: search further
            limit = min(times.limit * 2.0, MAX_TRIP_S)
        # candidates not yet looked at are at least the last chord away (chord <= geodesic):
        # on the network, no quicker than the straight line at the top speed, or if not
        # within MAX_TRIP_S, ranked after it by their estimate; off it, by the estimate
        reach = chord[-1] * (1.0 - _BOUND_SLACK)
        on_network = min(net.lower_bound_s(mode, reach), MAX_TRIP_S + estimate_s(reach, mode))
        if len(picked) == k and picked[-1].key_s > on_network and times.limit >= MAX_TRIP_S:
            # far from everything: the search has gone MAX_TRIP_S, so the places it did not
            # reach are unreachable and rank after it; those it reached are read off it
            on_network = _reached_bound(snapped, seen, times, mask, on_network, reach, mode)
        unexamined = min(on_network, estimate_s(reach, mode))
        if exhausted or (len(picked) == k and picked[-1].key_s <= unexamined):
            return picked
        if len(picked) == k and picked[-1].key_s <= on_network:
            # only places off the network could still come first: the nearest of them
            # not looked at yet settles it (they are few: often none)
            if picked[-1].key_s <= _off_bound(snapped, seen, index, q, mask, per_m_s):
                return picked
        kk = min(n, kk * 4)


def _reached_bound(
    snapped: SnappedLayer,
    seen: dict[int, tuple | None],
    times: _Times,
    mask: np.ndarray | None,
    fallback: float,
    reach: float,
    mode: str,
) -> float:
    """With the search gone MAX_TRIP_S: the least key a facility on the network not
    looked at yet may have (seconds): its time from the search when reached (no less than
    the node's time plus the origin's access leg), else MAX_TRIP_S + its estimate (at
    least ``reach`` metres away)."""
    node = snapped.node
    todo = node >= 0
    if mask is not None:
        todo &= mask
    if seen:
        todo[np.fromiter(seen, dtype=np.int64)] = False
    at = times.dist[node[todo]]
    at = at[np.isfinite(at) & (at <= MAX_TRIP_S)]
    unreached = MAX_TRIP_S + estimate_s(reach, mode)
    if at.size == 0:
        return max(fallback, unreached)
    return min(unreached, float(at.min()) + times.origin.access_s)


def _off_bound(
    snapped: SnappedLayer,
    seen: dict[int, tuple | None],
    index: LayerIndex,
    q: NearestQuery,
    mask: np.ndarray | None,
    per_m_s: float,
) -> float:
    """The least estimate (seconds) of a facility off the network not looked at yet and
    passing the amenity mask (inf when none)."""
    off = snapped.off
    if off.size == 0:
        return math.inf
    todo = np.array([p for p in off.tolist() if p not in seen], dtype=np.int64)
    if mask is not None and todo.size:
        todo = todo[mask[todo]]
    if todo.size == 0:
        return math.inf
    from locator.values.geo.distance import geodesic_distance_m

    d = geodesic_distance_m(q.point.lon, q.point.lat, index.layer.lon[todo], index.layer.lat[todo])
    return float(np.min(d)) * per_m_s


def _first_limit(index: LayerIndex, q: NearestQuery) -> float:
    """The first search limit :func:`_index_nearest` would choose for ``index`` (from the
    chords of the first candidates: a hair below their geodesics)."""
    n = index.size
    if n == 0 or index.tree is None:
        return 0.0
    kk = min(n, max(4 * q.k, _FIRST_CANDIDATES))
    bound_m = q.max_distance_m if q.max_distance_m is not None else math.inf
    chord, pos = index.tree.query(
        _ecef1(q.point.lon, q.point.lat), k=kk, distance_upper_bound=bound_m
    )
    chord, pos = np.atleast_1d(chord), np.atleast_1d(pos)
    ok = pos < n
    for term in q.amenities:
        ok[ok] &= index.amenity_masks[term][pos[ok]]
    found = chord[ok][: q.k]
    if found.size == 0:
        return 0.0
    first = FIRST_LIMIT_FACTOR * estimate_s(float(found[-1]), q.travel) + FIRST_LIMIT_EXTRA_S
    return min(first, MAX_TRIP_S)


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
        [along] = times.lengths_m([row.node])
        row.distance_m = row.access_m + times.origin.access_m + along
        if row.distance_m > bound_m:
            return False
    if not q.open_on_arrival:
        return True
    return _passes(_arrival(hours[row.pos], at, _trip_s(row, q), calendar).state, q)


def _trip_s(row: _Row, q: NearestQuery) -> float:
    """The seconds a row's trip takes: along the network, or the straight-line estimate
    (an unreachable place ranks behind every other, but its arrival is the estimate's)."""
    return row.key_s if row.measured == NETWORK else estimate_s(row.straight_m, q.travel)


def network_nearest(
    net: StreetNetwork,
    joinable: Joinable,
    groups: list[tuple[LayerIndex, SnappedLayer]],
    q: NearestQuery,
    now: dt.datetime,
    *,
    calendar: Calendar,
    per_group: bool = False,
    origin: Origin | None = None,
) -> list[Nearby] | None:
    """The k quickest facilities of ``groups`` by ``q.travel`` along ``net`` (each group an
    index and its facilities joined to ``joinable``, the graph of ``q.travel``; see
    :func:`join_graph`), quickest first, ties
    by id; with ``per_group``, k from each group in the groups' order. None when the
    starting point is off the network (the caller answers with straight-line estimates).
    Hours are evaluated at ``q.at`` (``now`` when None) and on arrival after the time
    each result gives."""
    at = q.at or now
    if origin is None:
        origin = snap_origin(net, joinable, q.point.lon, q.point.lat)
    if origin is None:
        return None
    times = _Times(net, q.travel, origin)
    # one search for every group: as far as the one that needs it furthest
    times.ensure(max((_first_limit(index, q) for index, _ in groups), default=0.0))
    found: list[tuple[LayerIndex, _Row]] = []
    for index, snapped in groups:
        rows = _index_nearest(index, snapped, q, at, calendar, net, times)
        found += [(index, r) for r in rows]
    if not per_group:
        found.sort(key=lambda ir: (ir[1].key_s, ir[1].fid))
        del found[q.k :]
    _measure(times, [row for _, row in found])
    return [_nearby(index, row, q, at, calendar, times) for index, row in found]


def _measure(times: _Times, rows: list[_Row]) -> None:
    """Fill in the metres along the network of the rows measured along it (one pass)."""
    todo = [r for r in rows if r.measured == NETWORK and r.distance_m is None]
    if todo:
        along = times.lengths_m([r.node for r in todo])
        for r, m in zip(todo, along, strict=True):
            r.distance_m = r.access_m + times.origin.access_m + m


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
        _measure(times, [row])
        assert row.distance_m is not None
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
        _arrival(expr, at, _trip_s(row, q), calendar),
        row.measured,
        row.reason,
        s,
        network_min,
    )


def network_trip(
    net: StreetNetwork,
    joinable: Joinable,
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
    origin = snap_origin(net, joinable, q.point.lon, q.point.lat)
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
    # as nearest searches: a first limit from the estimate, doubled until the place is
    # reached or the search has gone MAX_TRIP_S
    limit = FIRST_LIMIT_FACTOR * est + FIRST_LIMIT_EXTRA_S
    while True:
        times.ensure(min(limit, MAX_TRIP_S))
        t_node = float(times.dist[node])
        if math.isfinite(t_node) or limit >= MAX_TRIP_S:
            break
        limit *= 2.0
    if math.isfinite(t_node) and legs + t_node <= MAX_TRIP_S:
        row = _Row(legs + t_node, fid, p, s, az % 360.0, NETWORK, None, node, acc_m)
    else:
        row = _Row(est, fid, p, s, az % 360.0, STRAIGHT, UNREACHABLE)
    return _nearby(index, row, q, at, calendar, times)
