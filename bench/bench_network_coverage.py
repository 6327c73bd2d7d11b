"""Planner benchmark: whole-city coverage within a travel time along a street network of
about 500,000 edges, against radius coverage of the same layer and cells, in one run.

The network is synthetic (made here, committed code): a lattice of two-way streets over
the city's bounding box in its metric CRS, each node jittered by up to a quarter of the
spacing (seeded), the spacing chosen so that each way of travel has about ``--edges``
directed edges; e-bikes ride at 15 km/h, walkers at 4.5 km/h. It prints, for love
stations on the bundled data:

- radius coverage (1,923 m: what 10 e-bike minutes are by the straight-line estimate):
  the KD-tree distances and the report, per town;
- coverage within 10 minutes by e-bike along the network: cold (every cell joined to the
  network, then the one multi-source Dijkstra pass, then the report) and warm (the cells
  already joined, as the service keeps them per data version), and the ratio to the
  radius coverage;
- the network's size in memory;
- suggesting 10 sites within the same time along the network (by area), for scale.

Run: .venv/bin/python bench/bench_network_coverage.py [--cell-m 100] [--edges 500000]
     [--quick]
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np

from locator.operations.coverage import (
    build_grid,
    counted_facilities,
    coverage_report,
    nearest_distances,
)
from locator.operations.network import NetworkInfo, StreetNetwork
from locator.operations.travel_coverage import (
    equivalent_radius_m,
    network_cell_times,
    snap_cells,
    suggest_sites_by_time,
)
from locator.stores.files.store import load_catalog
from locator.values.geo.distance import from_metric, geometry_to_metric
from locator.values.paths import DEFAULT_DATA_DIR

LAYER, MINUTES, TRAVEL = "love_stations", 10.0, "ebike"
KMH = {"walk": 4.5, "ebike": 15.0, "drive": 30.0}


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def lattice_network(bounds, epsg: int, edges: int, seed: int = 0) -> StreetNetwork:
    """A jittered lattice of two-way streets over ``bounds`` (metres in ``EPSG:epsg``)
    with about ``edges`` directed edges per way of travel."""
    west, south, east, north = bounds
    # a lattice of c x r nodes has about 4 c r directed edges
    spacing = float(np.sqrt((east - west) * (north - south) * 4 / edges))
    xs = np.arange(west, east + spacing, spacing)
    ys = np.arange(south, north + spacing, spacing)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    rng = np.random.default_rng(seed)
    x = gx.ravel() + rng.uniform(-spacing / 4, spacing / 4, gx.size)
    y = gy.ravel() + rng.uniform(-spacing / 4, spacing / 4, gy.size)
    ident = np.arange(x.size).reshape(gx.shape)
    a = np.concatenate([ident[:-1, :].ravel(), ident[:, :-1].ravel()])
    b = np.concatenate([ident[1:, :].ravel(), ident[:, 1:].ravel()])
    length = np.hypot(x[a] - x[b], y[a] - y[b])
    tail, head = np.concatenate([a, b]), np.concatenate([b, a])
    both = np.concatenate([length, length])
    lon, lat = from_metric(x, y, epsg)
    info = NetworkInfo(
        "bench lattice",
        "",
        None,
        "2026-12-05T00:00:00Z",
        "",
        epsg,
        (0.0, 0.0, 0.0, 0.0),
        1.0,
        {m: {"residential": v} for m, v in KMH.items()},
        fixture=True,
    )
    return StreetNetwork.from_edges(
        info,
        np.asarray(lon),
        np.asarray(lat),
        x,
        y,
        {m: (tail, head, both, both / (v / 3.6)) for m, v in KMH.items()},
    )


def megabytes(net: StreetNetwork) -> float:
    arrays = [net.lon, net.lat, net.x, net.y]
    for g in net.graphs.values():
        arrays += [g.indptr, g.indices, g.length_m, g.time_s]
    return sum(a.nbytes for a in arrays) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell-m", type=int, default=100, choices=(100, 250, 500, 1000))
    ap.add_argument("--edges", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1,000 m cells, 50,000 edges")
    a = ap.parse_args()
    if a.quick:
        a.cell_m, a.edges, a.repeats = 1000, 50_000, 1
    cat = load_catalog(DEFAULT_DATA_DIR)
    geo, profile = cat.geodata, cat.reference.city
    towns = geo.reference("towns")
    shapes = {f.id: g for f, g in zip(towns.features, towns.shapes, strict=True)}
    facilities = {lid: layer.facilities for lid, layer in geo.layers.items()}
    grid = build_grid(
        geo.city,
        geo.district_shapes,
        geo.districts,
        shapes,
        geo.towns,
        a.cell_m,
        profile=profile,
    )
    bounds = geometry_to_metric(geo.city, profile.metric_epsg).buffer(2000).bounds
    net, build_s = timed(lambda: lattice_network(bounds, profile.metric_epsg, a.edges))
    g = net.graphs[TRAVEL]
    _ = g.reverse  # made once per loaded network (cached on it)
    print(
        f"network: {net.nodes:,} nodes, {g.edges:,} directed {TRAVEL} edges "
        f"({megabytes(net):.0f} MiB for three ways of travel), built in {build_s:.2f} s"
    )
    counted, _ = counted_facilities(facilities, [LAYER], None)
    radius = equivalent_radius_m(MINUTES, TRAVEL)
    print(
        f"{len(counted)} {LAYER}, {grid.size:,} cells of {a.cell_m} m; "
        f"{MINUTES:g} min by {TRAVEL} (straight-line estimate: {radius:,.0f} m)"
    )

    def by_radius():
        dist = nearest_distances(grid, counted)
        return coverage_report(grid, facilities, [LAYER], radius, "town", dist=dist)

    def by_time(cells=None):
        dist = nearest_distances(grid, counted)  # the report's straight-line columns
        times = network_cell_times(net, TRAVEL, grid, counted, cells)
        return coverage_report(
            grid,
            facilities,
            [LAYER],
            radius,
            "town",
            dist=dist,
            times=times,
            limit_s=MINUTES * 60,
        )

    best = {}
    for _ in range(a.repeats):
        r_radius, t_radius = timed(by_radius)
        cells, t_snap = timed(lambda: snap_cells(net, TRAVEL, grid))
        r_time, t_warm = timed(partial(by_time, cells))
        for k, v in (("radius", t_radius), ("snap", t_snap), ("warm", t_warm)):
            best[k] = min(best.get(k, v), v)
    cold = best["snap"] + best["warm"]
    print(f"radius coverage (KD-tree):            {best['radius']:.3f} s")
    print(f"time coverage, cells joined (warm):   {best['warm']:.3f} s")
    print(f"joining every cell to the network:    {best['snap']:.3f} s")
    print(f"time coverage, cold (join + pass):    {cold:.3f} s")
    print(
        f"ratio warm/radius {best['warm'] / best['radius']:.1f}x, "
        f"cold/radius {cold / best['radius']:.1f}x (best of {a.repeats})"
    )
    print(
        f"city covered: radius {r_radius.city.covered_share * 100:.1f}%, "
        f"along the lattice {r_time.city.covered_share * 100:.1f}%"
    )
    times = network_cell_times(net, TRAVEL, grid, counted, cells)
    weights = np.full(grid.size, grid.cell_km2)
    result, t_suggest = timed(
        lambda: suggest_sites_by_time(grid, net, TRAVEL, MINUTES, 10, times, weights, cells, False)
    )
    sol = result.solution
    assert sol is not None
    print(
        f"10 sites within {MINUTES:g} min along the network: {t_suggest:.2f} s "
        f"({sol.method}, {sol.candidates:,} candidates, {sol.bins:,} bins)"
    )


if __name__ == "__main__":
    main()
