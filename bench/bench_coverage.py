"""Planner benchmark: coverage and site suggestions on the whole city, in one run.

For one layer (love stations, 1 km) it prints, on this machine:
- the whole city per town at 250 m and 100 m cells (grid built cold, then a cached grid),
  next to the straightforward approach (shapely: buffer every facility, union, intersect
  with each town) measured in the same run, as a ratio;
- suggesting 10 sites at 100 m;
- the greedy choice, and greedy improved by swaps (what ``suggest`` uses), against the
  exact maximal-covering optimum (scipy.optimize.milp, HiGHS) on city-sized instances
  (uncovered demand gathered at 1 km, candidates every 1 km), and by how much each falls
  short.

Run: .venv/bin/python bench/bench_coverage.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from locator.operations.coverage import (
    _bins,
    build_grid,
    coverage_report,
    covering_matrix,
    greedy_cover,
    improve_by_swaps,
    nearest_distances,
    optimal_cover,
    ranked,
    suggest_sites,
)
from locator.service import Service
from locator.stores.files.store import load_catalog
from locator.values.geo.distance import to_metric
from locator.values.paths import DEFAULT_DATA_DIR

LAYER, RADIUS = "love_stations", 1000.0


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def straightforward(cat, grid) -> float:
    """Buffer + union + overlay per town in shapely (the city's metric CRS): the desktop-GIS way."""
    facs = cat.layers[LAYER].facilities
    x, y = to_metric(np.array([f.lon for f in facs]), np.array([f.lat for f in facs]), grid.epsg)
    reach = shapely.union_all(shapely.buffer(shapely.points(x, y), RADIUS))
    covered = [shapely.intersection(t.geometry, reach).area / t.geometry.area for t in grid.towns]
    return float(np.mean(covered))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="250 m only, small MILP instance")
    a = ap.parse_args()
    cat = load_catalog(DEFAULT_DATA_DIR)
    geo = cat.geodata
    towns = geo.reference("towns")
    shapes = {f.id: g for f, g in zip(towns.features, towns.shapes, strict=True)}
    facilities = {lid: layer.facilities for lid, layer in geo.layers.items()}

    def grid_for(cell):
        return build_grid(
            geo.city,
            geo.district_shapes,
            geo.districts,
            shapes,
            geo.towns,
            cell,
            profile=cat.reference.city,
        )

    print(f"coverage of {LAYER} within {RADIUS:.0f} m, per town")
    for cell in (250,) if a.quick else (250, 100):
        grid, t_grid = timed(lambda c=cell: grid_for(c))
        report, t_report = timed(
            lambda g=grid: coverage_report(g, facilities, [LAYER], RADIUS, "town")
        )
        _, t_plain = timed(lambda g=grid: straightforward(cat, g))
        cold = t_grid + t_report
        print(
            f"  {cell:>4} m: {grid.size:>9,} cells | cold {cold:6.2f} s (grid {t_grid:.2f} + "
            f"report {t_report:.2f}) | cached grid {t_report:6.2f} s | shapely buffer+"
            f"union+overlay {t_plain:6.2f} s | ratio x{t_plain / cold:.1f} "
            f"| city share {report.city.covered_share:.4f}"
        )
    if not a.quick:
        result, t_suggest = timed(lambda: suggest_sites(grid, facilities, [LAYER], RADIUS, 10))
        print(
            f"  suggest 10 sites at 100 m: {t_suggest:.2f} s (covered "
            f"{result.covered_before:.1f} -> {result.covered_after:.1f} km²)"
        )

    # greedy against the optimum on city-sized instances where choices overlap
    grid250 = grid_for(250)
    heshan = Service(cat).demand_example("heshan-2020")
    from locator.operations.coverage import demand_weights

    instances = [
        ("area, love stations, 3 km", "love_stations", 3000.0, None),
        ("Heshan 2020 census, service centers, 2 km", "service_centers", 2000.0, heshan),
    ]
    for label, layer, radius, demand in instances:
        dist = nearest_distances(grid250, facilities[layer])
        weights = (
            demand_weights(grid250, demand)
            if demand is not None
            else np.full(grid250.size, grid250.cell_km2)
        )
        open_cells = (dist > radius) & (weights > 0)
        bins_xy, bins_w = _bins(grid250, open_cells, weights, 4)  # 1 km bins
        step = 4 if not a.quick else 8  # candidates every 1 km (2 km quick)
        ix = np.rint((grid250.x - grid250.x0) / 250).astype(int)
        iy = np.rint((grid250.y - grid250.y0) / 250).astype(int)
        keep = (ix % step == 0) & (iy % step == 0) & open_cells
        cands = np.column_stack([grid250.x[keep], grid250.y[keep]])
        matrix = covering_matrix(cands, bins_xy, radius)
        print(
            f"greedy vs optimum, {label}: {len(cands):,} candidates x {len(bins_xy):,} demand bins"
        )
        for n in (5,) if a.quick else (5, 10, 20):
            chosen, t_g = timed(lambda n=n, m=matrix, w=bins_w: greedy_cover(m, w, n))
            greedy = sum(g for _, g in chosen)
            swapped, t_s = timed(
                lambda c=chosen, m=matrix, w=bins_w: ranked(
                    m, w, improve_by_swaps(m, w, [i for i, _ in c])
                )
            )
            improved = sum(g for _, g in swapped)
            (best, _), t_m = timed(lambda n=n, m=matrix, w=bins_w: optimal_cover(m, w, n, 300))
            print(
                f"  n={n:>2}: greedy {greedy / best:6.1%} of the optimum ({t_g:.2f} s) | "
                f"greedy + swaps {improved / best:6.1%} ({t_g + t_s:.2f} s) | optimum "
                f"{best:,.1f} by MILP in {t_m:.2f} s"
            )


if __name__ == "__main__":
    main()
