"""Coverage within a travel time, on small street networks made here: times against a
brute force (one search per cell), reach against a brute force, a river whose straight
line says covered and whose streets say not, the straight-line fallback's arithmetic and
suggestions measured along the streets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Transformer

from locator.operations.coverage import build_grid, coverage_report
from locator.operations.nearest import DETOUR_FACTOR, EBIKE_M_PER_MIN, WALK_M_PER_MIN
from locator.operations.network import NetworkInfo, StreetNetwork
from locator.operations.travel_coverage import (
    MIXED,
    NETWORK,
    equivalent_radius_m,
    network_cell_times,
    reach_matrix,
    snap_cells,
    straight_cell_times,
    suggest_sites_by_time,
)
from locator.values.models import District, Facility, Town
from tests.helpers import bundled_city

TO_WGS = Transformer.from_crs("EPSG:32649", "EPSG:4326", always_xy=True)
X0, Y0 = 650_000.0, 2_490_000.0  # UTM 49N, in Jiangmen
SPEED = {"walk": 5.0 / 3.6, "ebike": 15.0 / 3.6}  # m/s along every street here
STEP = 200.0  # street spacing, metres


def wgs(geom):
    return shapely.transform(geom, lambda xy: np.column_stack(TO_WGS.transform(xy[:, 0], xy[:, 1])))


def lattice(river_x: float | None = None, bridges=(), oneway_row: float | None = None):
    """Streets every 200 m over 8 x 4 km; a river at ``river_x`` cuts every east-west
    street but those at the ``bridges`` (northings); the street at ``oneway_row`` is
    one-way eastwards for e-bikes (walkers go both ways)."""
    xs = X0 + np.arange(0, 8001, STEP)
    ys = Y0 + np.arange(0, 4001, STEP)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    x, y = gx.ravel(), gy.ravel()
    cols, rows = xs.size, ys.size
    ident = np.arange(x.size).reshape(cols, rows)
    pairs = [
        (ident[:-1, :].ravel(), ident[1:, :].ravel()),
        (ident[:, :-1].ravel(), ident[:, 1:].ravel()),
    ]
    a = np.concatenate([p[0] for p in pairs])
    b = np.concatenate([p[1] for p in pairs])
    if river_x is not None:
        crosses = (np.minimum(x[a], x[b]) < river_x) & (np.maximum(x[a], x[b]) > river_x)
        bridged = np.isin(y[a], [Y0 + v for v in bridges])
        keep = ~crosses | bridged
        a, b = a[keep], b[keep]
    length = np.hypot(x[a] - x[b], y[a] - y[b])
    edges = {}
    for mode in ("walk", "ebike"):
        tail, head = np.concatenate([a, b]), np.concatenate([b, a])
        ln = np.concatenate([length, length])
        if mode == "ebike" and oneway_row is not None:
            westward = (y[tail] == Y0 + oneway_row) & (y[head] == Y0 + oneway_row)
            westward &= x[head] < x[tail]
            tail, head, ln = tail[~westward], head[~westward], ln[~westward]
        edges[mode] = (tail, head, ln, ln / SPEED[mode])
    lon, lat = TO_WGS.transform(x, y)
    info = NetworkInfo(
        "lattice (test)",
        "",
        None,
        "2026-12-05T00:00:00Z",
        "440700",
        32649,
        (0.0, 0.0, 0.0, 0.0),
        1.0,
        {m: {"residential": SPEED[m] * 3.6} for m in ("walk", "ebike")},
        fixture=True,
    )
    return StreetNetwork.from_edges(info, np.asarray(lon), np.asarray(lat), x, y, edges)


def fac(fid: str, x: float, y: float) -> Facility:
    lon, lat = TO_WGS.transform(x, y)
    return Facility(fid, "love_stations", fid, lon, lat, "440703", "440703002", "test", {})


@pytest.fixture(scope="module")
def grid():
    """Two 4 km square towns side by side on a 250 m grid (the river between them)."""
    west = shapely.box(X0, Y0, X0 + 4000, Y0 + 4000)
    east = shapely.box(X0 + 4000, Y0, X0 + 8000, Y0 + 4000)
    both = shapely.union(west, east)
    return build_grid(
        wgs(both),
        {"440703": wgs(both)},
        {"440703": District("440703", "区", "D")},
        {"440703002": wgs(west), "440703005": wgs(east)},
        {
            "440703002": Town("440703002", "西镇", "W", "440703", 0, 0, ""),
            "440703005": Town("440703005", "东镇", "E", "440703", 0, 0, ""),
        },
        250,
        profile=bundled_city(),
    )


@pytest.fixture(scope="module")
def river():
    return lattice(river_x=X0 + 4100, bridges=(0,), oneway_row=2000)


FACS = [fac("a", X0 + 3950, Y0 + 3850), fac("b", X0 + 1020, Y0 + 900), fac("c", X0 + 6610, Y0 + 90)]


@pytest.mark.parametrize("travel", ["walk", "ebike"])
def test_cell_times_equal_one_search_per_cell(grid, river, travel):
    times = network_cell_times(river, travel, grid, FACS)
    cells = snap_cells(river, travel, grid)
    fx, fy = (
        np.array(v)
        for v in TO_WGS.transform([f.lon for f in FACS], [f.lat for f in FACS], direction="INVERSE")
    )
    fs = river.snap(travel, fx, fy)
    f_access = fs.access_m / (10.0 / 3.6 if travel == "ebike" else 4.5 / 3.6)
    import networkx as nx

    g = river.graphs[travel]
    graph = nx.DiGraph()  # an independent search: networkx on the same edges
    tails = np.repeat(np.arange(river.nodes), np.diff(g.indptr))
    graph.add_weighted_edges_from(
        zip(tails.tolist(), g.indices.tolist(), g.time_s.astype(float).tolist(), strict=True)
    )
    rng = np.random.default_rng(7)
    for i in rng.choice(grid.size, 60, replace=False):
        from_cell = nx.single_source_dijkstra_path_length(graph, int(cells.node[i]))
        expect = min(
            from_cell.get(int(n), math.inf) + a for n, a in zip(fs.node, f_access, strict=True)
        )
        assert times.seconds[i] == pytest.approx(expect + cells.access_s[i], rel=1e-6)
    assert times.basis == "network" and not times.off_network.any()


def test_reach_matrix_equals_brute_force_with_oneway(river):
    rng = np.random.default_rng(3)
    usable = river.graphs["ebike"].usable
    sources = rng.choice(usable, 40, replace=False)
    targets = rng.choice(usable, 300, replace=False)
    s_off, t_off = rng.uniform(0, 60, sources.size), rng.uniform(0, 60, targets.size)
    limit = 420.0
    got = reach_matrix(river, "ebike", sources, s_off, targets, t_off, limit).toarray() > 0
    want = np.zeros_like(got)
    for j, t in enumerate(targets):  # from the target to each source, forwards
        d = river.times_from("ebike", int(t))
        want[:, j] = d[sources] + s_off + t_off[j] <= limit
    assert got.sum() > 20 and (got == want).all()
    # the one-way street: eastwards by e-bike in two minutes, never back westwards
    row = np.flatnonzero((river.y == Y0 + 2000) & (river.x >= X0 + 1000) & (river.x <= X0 + 1400))
    west, east = int(row[np.argmin(river.x[row])]), int(row[np.argmax(river.x[row])])
    eastwards = reach_matrix(river, "ebike", [east], [0.0], [west], [0.0], 97.0)  # 96 s
    westwards = reach_matrix(river, "ebike", [west], [0.0], [east], [0.0], 97.0)
    on_foot = reach_matrix(river, "walk", [west], [0.0], [east], [0.0], 400.0)  # 288 s
    assert eastwards.nnz == 1 and westwards.nnz == 0 and on_foot.nnz == 1


def test_river_straight_line_says_covered_streets_say_not(grid, river):
    """A station by the river: across it is 300 m in a straight line, 7.5 km by the only
    bridge. The estimate counts the far bank within 10 minutes by e-bike, the streets
    do not."""
    one = [fac("a", X0 + 3950, Y0 + 3850)]
    far_bank = np.flatnonzero((grid.x > X0 + 4100) & (grid.x < X0 + 4500) & (grid.y > Y0 + 3500))
    assert far_bank.size
    dist = np.hypot(grid.x - (X0 + 3950), grid.y - (Y0 + 3850))
    straight = straight_cell_times(dist, "ebike")
    along = network_cell_times(river, "ebike", grid, one)
    assert (straight.seconds[far_bank] <= 600).all()
    assert (along.seconds[far_bank] > 600).all()
    assert equivalent_radius_m(10, "ebike") == pytest.approx(10 * EBIKE_M_PER_MIN / DETOUR_FACTOR)
    report = coverage_report(
        grid, {"love_stations": one}, ["love_stations"], 1000.0, times=along, limit_s=600.0
    )
    east = report.areas  # one district: the city's row says the same
    assert report.city.covered_share == pytest.approx(
        float((along.seconds <= 600).mean()), abs=1e-9
    )
    assert east and report.travel is not None and report.travel.basis == "network"


@pytest.fixture(scope="module")
def west_only():
    """A network that covers the west town only (nodes east of X0 + 3 km keep no edge):
    the east town's cells are off it."""
    whole = lattice()
    keep = whole.x <= X0 + 3000
    edges = {}
    for mode in ("walk", "ebike"):
        g = whole.graphs[mode]
        tail = np.repeat(np.arange(whole.nodes), np.diff(g.indptr))
        ok = keep[tail] & keep[g.indices]
        edges[mode] = (tail[ok], g.indices[ok], g.length_m[ok], g.time_s[ok])
    return StreetNetwork.from_edges(whole.info, whole.lon, whole.lat, whole.x, whole.y, edges)


def test_off_the_network_cells_and_facilities_get_the_estimate(grid, west_only):
    """Cells off a partial network get the straight-line estimate to the nearest
    facility (not "never reached"); a facility off it reaches cells on it by the
    estimate too; the cells so answered are counted, and the basis says mixed."""
    west, east = fac("b", X0 + 1020, Y0 + 900), fac("e", X0 + 6000, Y0 + 2000)
    times = network_cell_times(west_only, "walk", grid, [west])
    off = times.off_network
    assert off[grid.x > X0 + 4100].all() and not off[grid.x < X0 + 3000].any()
    dist_w = np.hypot(grid.x - (X0 + 1020), grid.y - (Y0 + 900))
    want = dist_w * DETOUR_FACTOR / WALK_M_PER_MIN * 60
    assert times.seconds[off] == pytest.approx(want[off], rel=1e-9)
    assert (times.estimated == off).all() and times.basis == MIXED
    along = network_cell_times(west_only, "walk", grid, [west, east])
    assert along.facilities_off_network == 1
    dist_e = np.hypot(grid.x - (X0 + 6000), grid.y - (Y0 + 2000))
    est_e = dist_e * DETOUR_FACTOR / WALK_M_PER_MIN * 60
    on = ~along.off_network
    # on the network: the least of the streets to the west station and the estimate to
    # the east one, and "estimated" exactly where the estimate wins
    assert along.seconds[on] == pytest.approx(np.minimum(times.seconds[on], est_e[on]))
    assert (along.estimated[on] == (est_e[on] < times.seconds[on])).all()
    assert along.estimated[on].any() and not along.estimated[on].all()
    assert along.seconds[off] == pytest.approx(np.minimum(want[off], est_e[off]), rel=1e-9)
    report = coverage_report(
        grid,
        {"love_stations": [west, east]},
        ["love_stations"],
        1000.0,
        by="town",
        times=along,
        limit_s=600.0,
    )
    assert report.travel is not None and report.travel.basis == MIXED
    east_row = next(a for a in report.areas if a.code == "440703005")
    assert east_row.estimated_km2 == pytest.approx(east_row.area_km2)  # all off it
    assert east_row.covered_share == pytest.approx(
        float((along.seconds[grid.town == 1] <= 600).mean())
    )
    assert east_row.covered_share > 0 and east_row.unreachable_km2 == 0
    assert report.city.estimated_km2 == pytest.approx(
        float(along.estimated.sum()) * grid.cell_km2, abs=1e-3
    )
    # no facility at all: nothing estimated, nothing reached
    none = network_cell_times(west_only, "walk", grid, [])
    assert none.basis == NETWORK and not np.isfinite(none.seconds).any()


def test_suggestions_reach_off_the_network_by_the_estimate(grid, west_only):
    """With the network in the west only and a station there, the east town (off the
    network) is open ground for new sites: a site there reaches the cells within the
    estimate's radius, and its gain is exactly those still uncovered."""
    station = fac("b", X0 + 1020, Y0 + 900)
    times = network_cell_times(west_only, "ebike", grid, [station])
    cells = snap_cells(west_only, "ebike", grid)
    weights = np.full(grid.size, grid.cell_km2)
    result = suggest_sites_by_time(grid, west_only, "ebike", 5, 3, times, weights, cells, False)
    assert result.along == MIXED and len(result.suggestions) == 3
    radius = equivalent_radius_m(5, "ebike")
    left = times.seconds > 300.0
    for s in result.suggestions:
        sx, sy = TO_WGS.transform(s.lon, s.lat, direction="INVERSE")
        site = west_only.snap("ebike", [sx], [sy])
        straight = np.hypot(grid.x - sx, grid.y - sy) <= radius
        if site.node[0] >= 0:  # along the streets to the cells on them
            back = west_only.times_from("ebike", int(site.node[0]))  # symmetric lattice
            trip = (
                back[np.maximum(cells.node, 0)] + cells.access_s + site.access_m[0] / (10.0 / 3.6)
            )
            reached = np.where(cells.node >= 0, trip <= 300.0, straight)
        else:
            reached = straight
        assert s.gain == pytest.approx(float(weights[reached & left].sum()), rel=1e-9)
        left &= ~reached
    east = [s for s in result.suggestions if s.town_code == "440703005"]
    assert east and all(s.gain > 0 for s in east)


def test_reach_buckets_allow_for_metric_metres_longer_than_true_ones():
    """Two nodes 1,000 m apart along the way (its true length) lie 1,000.3 m apart in the
    metric CRS (UTM runs ~0.03 % long in the east of the city): a trip of exactly the
    time limit is found, though the buckets are as wide as the reach."""
    x = np.array([0.0, 1999.9, 1999.9 + 1000.3])
    y = np.zeros(3)
    lon, lat = TO_WGS.transform(X0 + x, Y0 + y)
    tail, head = np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1])
    length = np.array([1999.9, 1999.9, 1000.0, 1000.0])
    info = lattice().info
    net = StreetNetwork.from_edges(
        info, np.asarray(lon), np.asarray(lat), x, y, {"walk": (tail, head, length, length / 5)}
    )
    assert net.top_speeds["walk"] == pytest.approx(5.0)
    found = reach_matrix(net, "walk", [2], [0.0], [1], [0.0], 200.0)  # 1,000 m at 5 m/s
    assert found.nnz == 1


def test_suggestions_along_streets_gain_what_the_streets_reach(grid, river):
    times = network_cell_times(river, "ebike", grid, FACS[:1])
    cells = snap_cells(river, "ebike", grid)
    weights = np.full(grid.size, grid.cell_km2)
    result = suggest_sites_by_time(grid, river, "ebike", 6, 2, times, weights, cells, False)
    assert len(result.suggestions) == 2
    first = result.suggestions[0]
    # its gain, measured independently: cells whose trip to the site is within 6 minutes
    sx, sy = TO_WGS.transform(first.lon, first.lat, direction="INVERSE")
    site = river.snap("ebike", [sx], [sy])
    from_site_rev = np.array(
        [
            river.times_from("ebike", int(n))[site.node[0]] if n >= 0 else math.inf
            for n in cells.node
        ]
    )
    total = from_site_rev + cells.access_s + site.access_m[0] / (10.0 / 3.6)
    newly = (total <= 360.0) & (times.seconds > 360.0)
    assert first.gain == pytest.approx(float(weights[newly].sum()), rel=1e-9)
    assert first.gain > 0 and result.covered_after > result.covered_before


def test_too_much_searching_is_refused_before_any(grid, river, monkeypatch):
    from locator.operations import travel_coverage
    from locator.values.errors import TooCostly

    times = network_cell_times(river, "walk", grid, FACS[:1])
    cells = snap_cells(river, "walk", grid)
    weights = np.full(grid.size, grid.cell_km2)
    monkeypatch.setattr(travel_coverage, "MAX_REACH_WORK", 1000)
    with pytest.raises(TooCostly) as err:
        suggest_sites_by_time(grid, river, "walk", 10, 2, times, weights, cells, False)
    assert err.value.param == "cell_m" and "cell_m" in str(err.value)
