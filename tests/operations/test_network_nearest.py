"""Nearest along the streets against brute force: every facility's network time by an
unbounded Dijkstra from the point's node, the fallbacks applied, sorted by (time, id)."""

import dataclasses
import datetime as dt
import math

import numpy as np
import pytest

from locator.operations.hours import OPEN, TZ, UNKNOWN, Calendar, hours_status
from locator.operations.nearest import (
    FACILITY_OFF,
    NETWORK,
    STRAIGHT,
    UNREACHABLE,
    NearestQuery,
    build_index,
)
from locator.operations.network import SNAP_MAX_M
from locator.operations.network_nearest import (
    MAX_TRIP_S,
    estimate_s,
    join_graph,
    network_nearest,
    network_trip,
    snap_index,
    snap_origin,
)
from locator.values.geo.distance import geodesic_distance_m, to_metric
from locator.values.models import Point
from tests.helpers import make_layer
from tests.network_lattice import lattice_network

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)  # a Tuesday
CAL = Calendar()
BOX = (112.95, 22.5, 113.15, 22.66)  # central Jiangmen; the network's clip
HOURS = ("Mo-Su 00:00-24:00", "Mo-Fr 08:30-10:12", "Mo-Fr 10:05-17:00", None, "Sa-Su 09:00-17:00")


@pytest.fixture(scope="module")
def net():
    return lattice_network(BOX, 350.0, seed=7)


_JOINS: dict = {}


def joined(net, mode):
    """The joinable nodes of ``mode`` (made once a network)."""
    key = (id(net), mode)
    if key not in _JOINS:
        _JOINS[key] = join_graph(net, mode)
    return _JOINS[key]


def ask(net, groups, q, **kw):
    return network_nearest(net, joined(net, q.travel), groups, q, NOW, calendar=CAL, **kw)


def snapped_of(net, mode, index):
    return snap_index(net, joined(net, mode), index)


@pytest.fixture(scope="module")
def layers():
    """Two layers over and beyond the network (some facilities far off it)."""
    rng = np.random.default_rng(11)
    out = {}
    for n, (lid, prefix) in enumerate((("love_stations", "a"), ("book_rooms", "b"))):
        lon = rng.uniform(BOX[0] - 0.03, BOX[2] + 0.03, 160 + 40 * n)
        lat = rng.uniform(BOX[1] - 0.03, BOX[3] + 0.03, lon.size)
        lon[:3], lat[:3] = BOX[0] + 0.05, BOX[1] + 0.05  # a tie: three at one place

        def props(i, n=n):
            return {
                "opening_hours": HOURS[(i + n) % len(HOURS)],
                "amenities": ["charging"] if i % 3 else ["toilet"],
            }

        out[lid] = build_index(make_layer(lid, lon.round(6), lat.round(6), props, prefix))
    return out


_SNAPS: dict = {}


def brute(net, layers, q, lids):
    """Every facility of ``lids``: its key (network seconds or the estimate), label,
    distance shown, filters applied; sorted by (key, id), first k."""
    origin = snap_origin(net, joined(net, q.travel), q.point.lon, q.point.lat)
    times, pred = net.times_from(q.travel, origin.node, predecessors=True)
    at = q.at or NOW
    rows = []
    for lid in lids:
        index = layers[lid]
        snapped = _SNAPS.get((id(net), lid, q.travel))
        if snapped is None:
            snapped = _SNAPS[(id(net), lid, q.travel)] = snapped_of(net, q.travel, index)
        s_all = geodesic_distance_m(q.point.lon, q.point.lat, index.layer.lon, index.layer.lat)
        for p, fac in enumerate(index.layer.facilities):
            if any(a not in (fac.properties.get("amenities") or ()) for a in q.amenities):
                continue
            s = float(s_all[p])
            est = estimate_s(s, q.travel)
            node = int(snapped.node[p])
            if node < 0:
                rows.append((est, fac.id, FACILITY_OFF, s, fac, node, 0.0))
                continue
            acc = float(snapped.access_m[p])
            t = float(net.access_s(q.travel, origin.access_m + acc)) + float(times[node])
            if math.isfinite(t) and t <= MAX_TRIP_S:
                rows.append((t, fac.id, NETWORK, s, fac, node, acc))
            else:  # after every place reached; its arrival is the estimate's
                rows.append((MAX_TRIP_S + est, fac.id, UNREACHABLE, s, fac, node, 0.0))
    rows.sort(key=lambda r: (r[0], r[1]))
    out = []
    for key, fid, how, s, fac, node, acc in rows:  # the filters, in rank order
        shown = s
        if how == NETWORK:
            shown = origin.access_m + acc + net.path(q.travel, pred, node).length_m
        if q.max_distance_m is not None and (s > q.max_distance_m or shown > q.max_distance_m):
            continue
        if q.open_on_arrival:
            expr = fac.properties.get("opening_hours")
            trip = key if how == NETWORK else estimate_s(s, q.travel)
            state = hours_status(expr, at + dt.timedelta(seconds=trip), CAL).state
            if not (state == OPEN or (q.keep_unknown_hours and state == UNKNOWN)):
                continue
        out.append((key, fid, how, shown))
        if len(out) == q.k:
            break
    return out


def check(got, expected):
    assert [r.facility.id for r in got] == [e[1] for e in expected]
    for r, (key, _fid, how, shown) in zip(got, expected, strict=True):
        assert r.measured == (NETWORK if how == NETWORK else STRAIGHT)
        assert r.reason == (None if how == NETWORK else how)
        minutes = r.network_min if r.measured == NETWORK else r.travel_min("walk")
        if r.measured == NETWORK:
            assert minutes * 60 == pytest.approx(key, rel=1e-9)
        assert r.distance_m == pytest.approx(shown, rel=1e-5)


def points(seed, n):
    rng = np.random.default_rng(seed)
    return list(zip(rng.uniform(BOX[0], BOX[2], n), rng.uniform(BOX[1], BOX[3], n), strict=True))


@pytest.mark.parametrize("travel", ["walk", "ebike"])
def test_ranking_equals_brute_force(net, layers, travel):
    lids = ("love_stations", "book_rooms")
    groups = [(layers[lid], snapped_of(net, travel, layers[lid])) for lid in lids]
    labels = set()
    for i, (lon, lat) in enumerate(points(3 if travel == "walk" else 4, 30)):
        q = NearestQuery(Point(lon, lat), lids, k=1 + i % 7, travel=travel)
        got = ask(net, groups, q)
        expected = brute(net, layers, q, lids)
        check(got, expected)
        labels |= {r.reason for r in got}
        # per layer: k of each, in the layers' order
        by_layer = ask(net, groups, q, per_group=True)
        assert [r.facility.id for r in by_layer] == [
            e[1] for lid in lids for e in brute(net, layers, q, (lid,))
        ]
    assert None in labels and FACILITY_OFF in labels  # both kinds of result were seen


@pytest.mark.parametrize("travel", ["walk", "ebike"])
def test_filters_equal_brute_force(net, layers, travel):
    lids = ("love_stations",)
    groups = [(layers["love_stations"], snapped_of(net, travel, layers["love_stations"]))]
    for i, (lon, lat) in enumerate(points(5, 24)):
        q = NearestQuery(
            Point(lon, lat),
            lids,
            k=3,
            travel=travel,
            amenities=frozenset({"charging"}) if i % 2 else frozenset(),
            max_distance_m=(2500.0, None, 6000.0)[i % 3],
            open_on_arrival=i % 4 != 0,
            keep_unknown_hours=i % 4 == 3,
            at=NOW + dt.timedelta(minutes=(0, 1, 5)[i % 3]),
        )
        check(ask(net, groups, q), brute(net, layers, q, lids))


def test_open_on_arrival_uses_the_network_time(net):
    """A place that closes before the rider gets there along the streets, though the
    straight-line estimate would arrive in time: left out by the network's answer, kept
    by today's straight-line one."""
    from locator.operations.nearest import nearest_facilities

    start = Point(113.03, 22.58)
    rng = np.random.default_rng(5)
    lon = start.lon + rng.uniform(-0.02, 0.02, 40)
    lat = start.lat + rng.uniform(-0.02, 0.02, 40)
    probe = build_index(make_layer("love_stations", lon, lat))
    q = NearestQuery(start, ("love_stations",), k=40, travel="walk", at=NOW)
    rows = ask(net, [(probe, snapped_of(net, "walk", probe))], q)
    slow = [r for r in rows if r.measured == NETWORK and r.network_min > r.walk_min + 2]
    assert slow, "some place is slower along the streets than the estimate says"
    row = slow[0]
    closes = NOW + dt.timedelta(minutes=(row.walk_min + row.network_min) / 2)
    hours = f"Mo-Su 08:00-{closes:%H:%M}"
    index = build_index(
        make_layer(
            "love_stations",
            [row.facility.lon],
            [row.facility.lat],
            lambda i: {"opening_hours": hours},
        )
    )
    groups = [(index, snapped_of(net, "walk", index))]
    [kept] = ask(net, groups, q)
    assert kept.hours.state == OPEN and kept.hours_on_arrival.state != OPEN
    strict = dataclasses.replace(q, k=1, open_on_arrival=True)
    assert ask(net, groups, strict) == []
    [straight] = nearest_facilities({"love_stations": index}, strict, NOW, calendar=CAL)
    assert straight.hours_on_arrival.state == OPEN


def test_origin_off_the_network_is_none(net, layers):
    """Outside the network's area, or inside it but beyond SNAP_MAX_M from any node the
    way of travel can use: no network answer (the caller falls back, labelled)."""
    groups = [(layers["love_stations"], snapped_of(net, "walk", layers["love_stations"]))]
    outside = NearestQuery(Point(BOX[2] + 0.2, BOX[1]), ("love_stations",), travel="walk")
    assert ask(net, groups, outside) is None
    # streets in one corner of a larger clip: 1.5 km from them is inside, yet off it
    small = lattice_network((113.0, 22.55, 113.006, 22.556), 300.0)
    wide = dataclasses.replace(small, info=dataclasses.replace(small.info, clip=BOX))
    near = NearestQuery(Point(113.003, 22.553), ("love_stations",), travel="walk")
    far = NearestQuery(Point(113.003, 22.553 + 0.0135), ("love_stations",), travel="walk")
    assert snap_origin(wide, joined(wide, "walk"), near.point.lon, near.point.lat) is not None
    assert snap_origin(wide, joined(wide, "walk"), far.point.lon, far.point.lat) is None
    assert ask(wide, groups, far) is None


def test_snapping_joins_the_nearest_node_of_the_big_component(net):
    """A point joins the nearest node of its way of travel's largest strongly connected
    component, within SNAP_MAX_M (checked against every node): never a node the graph
    cannot leave or come back to, such as the start of one-way streets no bike street
    leads into; e-bikes also skip nodes only footways reach."""
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(BOX[0], BOX[2], 60), rng.uniform(BOX[1], BOX[3], 60)
    x, y = to_metric(lon, lat, 32649)
    for mode in ("walk", "ebike"):
        g = net.graphs[mode]
        _, labels = connected_components(g.forward, directed=True, connection="strong")
        big = np.bincount(labels[g.usable]).argmax()
        ok = g.usable[labels[g.usable] == big]
        d = np.hypot(net.x[ok][None, :] - x[:, None], net.y[ok][None, :] - y[:, None])
        node, access = joined(net, mode).snap(net, x, y)
        assert np.array_equal(node, ok[d.argmin(axis=1)])
        assert np.allclose(access, d.min(axis=1))
        if mode == "ebike":  # the lattice has such nodes; none is ever joined
            indeg = np.bincount(g.indices, minlength=net.nodes)
            stranded = np.flatnonzero((indeg == 0) & (np.diff(g.indptr) > 0))
            assert stranded.size and not np.isin(stranded, joined(net, mode).nodes).any()
            near_it = joined(net, mode).snap(net, net.x[stranded], net.y[stranded])[0]
            assert (near_it >= 0).all() and not np.isin(near_it, stranded).any()
    assert SNAP_MAX_M == 1000.0


@pytest.mark.parametrize("detour_m", [5000.0, 1500.0])
def test_a_long_detour_is_measured_and_beyond_max_trip_unreachable(detour_m):
    """Two streets 200 m apart, joined only by a detour: the facility across (200 m as
    the crow flies) is ranked by its time along the streets, behind a place 1 km down
    the street; a detour of 13 km (about 3 h on foot, over MAX_TRIP_S) is unreachable,
    still ranked behind everything reached, labelled, with the straight-line figures;
    one of 6 km (about 80 min) is measured along the network. A bridge puts it first."""
    import dataclasses

    from locator.operations.network import NetworkInfo, StreetNetwork
    from locator.values.geo.distance import from_metric

    x0, y0 = to_metric(113.05, 22.58, 32649)
    # street A: y0, x0 .. x0+2000 every 100 m; street B: y0+200; the detour: far east
    xa = x0 + 100.0 * np.arange(21)
    xs = np.concatenate([xa, xa, [x0 + 2000 + detour_m]])
    ys = np.concatenate([np.full(21, y0), np.full(21, y0 + 200.0), [y0 + 100.0]])
    tail = [*range(20), *range(21, 41), 20, 41]
    head = [*range(1, 21), *range(22, 42), 42, 42]
    length = np.hypot(xs[head] - xs[tail], ys[head] - ys[tail])
    walk = length / (4.5 / 3.6)
    edges = {
        "walk": (
            np.array(tail + head),
            np.array(head + tail),
            np.concatenate([length, length]),
            np.concatenate([walk, walk]),
        )
    }
    lon, lat = from_metric(xs, ys, 32649)
    info = NetworkInfo(
        "test",
        "0" * 64,
        None,
        "2026-12-05",
        "440700",
        32649,
        (112.9, 22.5, 113.2, 22.7),
        1.0,
        {"walk": {"residential": 4.5}},
        fixture=True,
    )
    line = StreetNetwork.from_edges(info, lon, lat, xs, ys, edges)
    across = from_metric(x0 + 500, y0 + 210, 32649)
    down = from_metric(x0 + 1500, y0 - 5, 32649)
    index = build_index(make_layer("love_stations", [across[0], down[0]], [across[1], down[1]]))
    joinable = join_graph(line, "walk")
    snapped = snap_index(line, joinable, index)
    start = from_metric(x0 + 500, y0 - 10, 32649)
    q = NearestQuery(Point(*start), ("love_stations",), k=2, travel="walk")
    rows = network_nearest(line, joinable, [(index, snapped)], q, NOW, calendar=CAL)
    far = detour_m > 2000
    assert [(r.facility.id, r.measured, r.reason) for r in rows] == [
        ("f000001", NETWORK, None),
        ("f000000", STRAIGHT, UNREACHABLE) if far else ("f000000", NETWORK, None),
    ]
    trip = network_trip(line, joinable, index, snapped, 0, q, NOW, calendar=CAL)
    if far:
        assert rows[1].distance_m == rows[1].straight_m and rows[1].network_min is None
        assert (trip.measured, trip.reason) == (STRAIGHT, UNREACHABLE)
    else:
        assert 60 < rows[1].network_min < 100 and rows[1].distance_m > 5000
        assert (trip.measured, trip.network_min) == (NETWORK, rows[1].network_min)
    # with a bridge in the middle, the same place is along the network, and first
    bridged = dataclasses.replace(q, k=2)
    edges2 = {
        "walk": (
            np.concatenate([edges["walk"][0], [5, 26]]),
            np.concatenate([edges["walk"][1], [26, 5]]),
            np.concatenate([edges["walk"][2], [200.0, 200.0]]),
            np.concatenate([edges["walk"][3], [160.0, 160.0]]),
        )
    }
    line2 = StreetNetwork.from_edges(info, lon, lat, xs, ys, edges2)
    j2 = join_graph(line2, "walk")
    rows2 = network_nearest(
        line2, j2, [(index, snap_index(line2, j2, index))], bridged, NOW, calendar=CAL
    )
    assert [(r.facility.id, r.measured) for r in rows2] == [
        ("f000000", NETWORK),
        ("f000001", NETWORK),
    ]


def test_one_search_settles_most_queries(net, layers, monkeypatch):
    """The bounded search runs once for almost every query (the cost claim)."""
    from locator.operations import network_nearest as mod

    runs = []
    real = mod._Times.ensure

    def counted(self, limit_s):
        before = self.runs
        real(self, limit_s)
        if self.runs > before:
            runs.append(limit_s)

    monkeypatch.setattr(mod._Times, "ensure", counted)
    groups = [(layers["love_stations"], snapped_of(net, "ebike", layers["love_stations"]))]
    for lon, lat in points(9, 40):
        q = NearestQuery(Point(lon, lat), ("love_stations",), k=5, travel="ebike")
        ask(net, groups, q)
    assert len(runs) <= 44


def test_far_from_every_place_the_search_stays_small(monkeypatch):
    """A walker hours from 3,000 places (all unreachable within MAX_TRIP_S): the answer
    is settled by the search gone MAX_TRIP_S, not by measuring every place (the candidate
    set used to grow to the whole layer: 80 ms for 20,000 places)."""
    from locator.operations import network_nearest as mod

    lattice = lattice_network((112.9, 22.4, 113.35, 22.8), 300.0, seed=1)
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(113.2, 113.35, 3000), rng.uniform(22.4, 22.8, 3000)
    index = build_index(make_layer("love_stations", lon, lat))
    joinable = join_graph(lattice, "walk")
    groups = [(index, snap_index(lattice, joinable, index))]
    measured = []
    real = mod.geodesic_inverse_point

    def counting():
        inverse = real()

        def counted(*args):
            measured.append(args)
            return inverse(*args)

        return counted

    monkeypatch.setattr(mod, "geodesic_inverse_point", counting)
    q = NearestQuery(Point(112.95, 22.6), ("love_stations",), k=5, travel="walk")
    rows = network_nearest(lattice, joinable, groups, q, NOW, calendar=CAL)
    assert [r.reason for r in rows] == [UNREACHABLE] * 5  # 25 km and more on foot
    assert len(measured) <= 100
    # and the same answer as ranking every place (brute force)
    expected = sorted(
        (MAX_TRIP_S + estimate_s(float(d), "walk"), index.ids[p])
        for p, d in enumerate(geodesic_distance_m(112.95, 22.6, lon, lat))
    )[:5]
    assert [r.facility.id for r in rows] == [fid for _, fid in expected]
