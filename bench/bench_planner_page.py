"""The planner page at 100 m cells, against the coverage API call in the same run, and the
suggestions' quality against PySAL spopt's MCLP on the same model.

Prints, for the bundled data (love stations, 1 km, the default demand, n = 10):

- the API call ``/api/v1/coverage`` on a fresh app (grid built cold) — the baseline;
- ``/planner`` on a fresh app (cold: grid, coverage, suggestions), then with the grid
  kept (a new question: another radius), then the same page again (cached answers);
- ``/planner/map`` (the deferred map the page's frame loads), after the page;
- each as seconds and as a ratio to the API call measured in this run;
- with ``--before DIR``: the same page on another checkout (e.g. the main branch before
  this change), in a subprocess, for the record;
- with spopt installed: the suggestions' model (Heshan only, 1 km cells, n = 10) solved
  by spopt's MCLP (PuLP + CBC) against ``choose_sites`` (greedy + swaps, its proven bound,
  and scipy's milp where small).

Run: PYTHONPATH=. .venv/bin/python bench/bench_planner_page.py [--before /work/main] [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

PAGE = "/planner?layer=love_stations&radius_m=1000&cell_m=100&n=10"
OTHER = "/planner?layer=love_stations&radius_m=1200&cell_m=100&n=10"
API = "/api/v1/coverage?layer=love_stations&radius_m=1000&cell_m=100"
MAP = "/planner/map?layer=love_stations&radius_m=1000&cell_m=100&n=10&lang=zh"


def timed_get(client, url: str) -> float:
    start = time.perf_counter()
    resp = client.get(url)
    elapsed = time.perf_counter() - start
    assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    return elapsed


def fresh_client():
    from locator.web import create_app

    app = create_app({"WATCH_DATA": False})
    return app.test_client()


def before(directory: str, url: str) -> float:
    """The page's time on another checkout, in a fresh process."""
    code = (
        "import time; from locator.web import create_app; c = create_app("
        "{'WATCH_DATA': False}).test_client(); s = time.perf_counter(); "
        f"r = c.get({url!r}); print(r.status_code, time.perf_counter() - s)"
    )
    env = dict(os.environ, PYTHONPATH=directory)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=directory, capture_output=True, text=True
    )
    status, seconds = out.stdout.split()[-2:]
    assert status == "200", out.stdout + out.stderr
    return float(seconds)


def page_times(a: argparse.Namespace) -> None:
    """Medians over ``a.repeats`` rounds, each round: the API on a fresh app, then the
    page's requests on another fresh app (the machine's load then weighs on both alike)."""
    import statistics

    rounds: dict[str, list[float]] = {}
    for _ in range(a.repeats):
        rounds.setdefault("api", []).append(timed_get(fresh_client(), API))
        client = fresh_client()
        for name, url in (("cold", PAGE), ("map", MAP), ("other", OTHER), ("again", PAGE)):
            rounds.setdefault(name, []).append(timed_get(client, url))
        if a.before:
            rounds.setdefault("before", []).append(before(a.before, PAGE))
    med = {k: statistics.median(v) for k, v in rounds.items()}
    api = med["api"]
    print(f"medians of {a.repeats} rounds")
    print(f"{'API /api/v1/coverage, fresh app (baseline)':<44} {api:6.2f} s  1.00")
    for label, name in (
        ("/planner, fresh app (grid cold)", "cold"),
        ("/planner/map after the page", "map"),
        ("/planner, another radius (grid kept)", "other"),
        ("/planner again (answers cached)", "again"),
    ):
        print(f"{label:<44} {med[name]:6.2f} s  {med[name] / api:4.2f}")
    if a.before:
        # the same URL asks the other checkout the same question (its default demand)
        label = f"/planner on {a.before}, fresh process"
        print(f"{label:<44} {med['before']:6.2f} s  {med['before'] / api:4.2f}")


def spopt_check(a: argparse.Namespace) -> None:
    try:
        import pulp
        from spopt.locate import MCLP
    except ImportError:
        print("spopt not installed: skipping the MCLP check (pip install spopt)")
        return
    import numpy as np
    from scipy.spatial.distance import cdist

    from locator.operations.coverage import (
        _lattice_model,
        choose_sites,
        demand_weights,
        greedy_cover,
        nearest_distances,
    )
    from locator.service import Service
    from locator.stores.files.store import load_catalog
    from locator.values.paths import DEFAULT_DATA_DIR

    svc = Service(load_catalog(DEFAULT_DATA_DIR))
    cell, radius = 1000, 2000.0
    grid = svc.grid(cell)
    demand = svc.demand_example("heshan-2020")
    weights = demand_weights(grid, demand)
    facs = svc.store.snapshot().facilities()["service_centers"]
    open_cells = (nearest_distances(grid, facs) > radius) & (weights > 0)
    ix = np.rint((grid.x - grid.x0) / cell).astype(np.int64)
    iy = np.rint((grid.y - grid.y0) / cell).astype(np.int64)
    keep = open_cells.copy()  # candidates: the uncovered cells themselves
    matrix, bin_w = _lattice_model(
        ix[keep], iy[keep], ix[open_cells], iy[open_cells], weights[open_cells], 1, radius / cell
    )
    ns = (3, 5) if a.quick else (3, 5, 10)
    print(
        f"\nHeshan census, service centers, {radius:.0f} m, {cell} m cells: "
        f"{matrix.shape[0]} candidates x {matrix.shape[1]} demand cells"
    )
    for n in ns:
        greedy = sum(g for _, g in greedy_cover(matrix, bin_w, n))
        t0 = time.perf_counter()
        _, method, value, bound = choose_sites(matrix, bin_w, n)
        ours = time.perf_counter() - t0
        # spopt wants a dense demand x facility cost matrix (here: distances in cells)
        cand = np.column_stack([ix[keep], iy[keep]])
        dem = np.column_stack([ix[open_cells], iy[open_cells]])
        dem = dem[np.lexsort((dem[:, 1], dem[:, 0]))]  # the model's bin order (column, row)
        cost = cdist(dem, cand)
        t0 = time.perf_counter()
        model = MCLP.from_cost_matrix(cost, bin_w, radius / cell + 1e-9, n)
        model.solve(pulp.PULP_CBC_CMD(msg=False))
        theirs = time.perf_counter() - t0
        best = float(pulp.value(model.problem.objective))
        print(
            f"n={n:>2}: spopt MCLP {best:10.0f} in {theirs:5.2f} s | greedy {greedy / best:6.1%} | "
            f"ours ({method}) {value / best:6.1%} in {ours:5.2f} s, proven bound "
            f"{bound / best:6.1%} of spopt's optimum"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="another checkout to time the same page on")
    ap.add_argument("--quick", action="store_true", help="fewer MCLP instances")
    ap.add_argument("--repeats", type=int, default=3, help="rounds of the page timings")
    ap.add_argument("--no-spopt", action="store_true", help="skip the MCLP check")
    a = ap.parse_args()
    page_times(a)
    if not a.no_spopt:
        spopt_check(a)


if __name__ == "__main__":
    main()
