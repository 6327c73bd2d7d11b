"""Benchmark the nearest engine against brute-force numpy, in one run on this machine.

For N = 1,200 (the city), 200,000 and 1,000,000 synthetic points over the Jiangmen
bounding box it prints:
- single-query latency of ``nearest_facilities`` (median, p99; k=1 and k=5) next to a
  brute-force numpy query over the same points (ECEF chord for all N + argpartition: the
  cheapest exact brute force), as a ratio;
- batch throughput of ``nearest_batch`` (k=1, all cores) next to brute-force numpy batch
  throughput, as a ratio;
- the engine against a bare KD-tree: a k=5 ``nearest_facilities`` query (the answer with
  distances, bearings, estimates and hours now and on arrival) next to a bare scipy
  ``cKDTree.query(k=5)`` on unit vectors of the same points, the two alternated query by
  query in one process (medians), as a ratio (target <= 2.5).

Run: .venv/bin/python bench/bench_nearest.py [--quick] [--ratio]
(``--ratio``: only the last comparison, for 1,200 and 1,000,000 points.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time

import numpy as np
from scipy.spatial import cKDTree

from locator.operations.hours import TZ, Calendar
from locator.operations.nearest import (
    NearestQuery,
    build_index,
    ecef,
    nearest_batch,
    nearest_facilities,
)
from locator.stores.files.read import FacilityLayer
from locator.values.models import Facility, Point

BBOX = (111.9, 21.4, 113.3, 22.9)  # west, south, east, north (degrees)
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)
CALENDAR = Calendar()


def synthetic_layer(n: int, seed: int) -> FacilityLayer:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(BBOX[0], BBOX[2], n)
    lat = rng.uniform(BBOX[1], BBOX[3], n)
    facilities = tuple(
        Facility(
            f"p{i}",
            "bench",
            "p",
            float(x),
            float(y),
            "440703",
            "440703002",
            "bench",
            {"id": f"p{i}"},
        )
        for i, (x, y) in enumerate(zip(lon, lat, strict=True))
    )
    return FacilityLayer("bench", "bench", "bench", facilities, lon, lat, "")


def brute_single(xyz_all: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    d2 = np.einsum("ij,ij->i", xyz_all - q, xyz_all - q)
    part = np.argpartition(d2, k - 1)[:k] if k < d2.size else np.arange(d2.size)
    return part[np.argsort(d2[part])]


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, shape (n, 3): what a bare KD-tree search would index."""
    lon_r, lat_r = np.radians(lon), np.radians(lat)
    return np.column_stack(
        [np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)]
    )


#: the engine's k=5 query may cost at most this many bare cKDTree k=5 queries
RATIO_TARGET = 2.5


def ratio_to_ckdtree(n: int, queries: int, layer: FacilityLayer | None = None) -> float:
    """Print and return the median engine k=5 query time over the median bare
    ``cKDTree.query(k=5)`` time on unit vectors of the same points, alternated."""
    layer = layer or synthetic_layer(n, n)
    indexes = {"bench": build_index(layer)}
    tree = cKDTree(unit_vectors(layer.lon, layer.lat))
    rng = np.random.default_rng(11)
    qlon = rng.uniform(BBOX[0], BBOX[2], queries)
    qlat = rng.uniform(BBOX[1], BBOX[3], queries)
    asked = [
        NearestQuery(Point(float(x), float(y)), ("bench",), k=5)
        for x, y in zip(qlon, qlat, strict=True)
    ]
    units = unit_vectors(qlon, qlat)
    for j in range(min(200, queries)):  # warm both up
        nearest_facilities(indexes, asked[j], NOW, calendar=CALENDAR)
        tree.query(units[j], k=5)
    engine, bare = [], []
    clock = time.perf_counter
    for j in range(queries):
        q, u = asked[j], units[j]
        if j % 2:  # alternate which goes first
            t = clock()
            nearest_facilities(indexes, q, NOW, calendar=CALENDAR)
            t1 = clock()
            tree.query(u, k=5)
            t2 = clock()
            engine.append(t1 - t)
            bare.append(t2 - t1)
        else:
            t = clock()
            tree.query(u, k=5)
            t1 = clock()
            nearest_facilities(indexes, q, NOW, calendar=CALENDAR)
            t2 = clock()
            bare.append(t1 - t)
            engine.append(t2 - t1)
    em, bm = float(np.median(engine)) * 1e6, float(np.median(bare)) * 1e6
    ratio = em / bm
    print(
        f"  engine k=5 vs bare cKDTree k=5 (unit vectors), N = {n:,}: engine median "
        f"{em:6.1f} µs | cKDTree median {bm:6.1f} µs | ratio x{ratio:.2f}   target <= "
        f"{RATIO_TARGET}: {'met' if ratio <= RATIO_TARGET else 'NOT met'}"
    )
    return ratio


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    arr = np.array(samples_s) * 1e6
    return float(np.median(arr)), float(np.percentile(arr, 99))


def bench_n(n: int, n_single: int, n_batch: int, n_brute_batch: int) -> None:
    layer = synthetic_layer(n, n)
    print(f"\nN = {n:,}")
    ratio_to_ckdtree(n, n_single * 5, layer)
    t0 = time.perf_counter()
    index = build_index(layer)
    build_s = time.perf_counter() - t0
    xyz_all = ecef(layer.lon, layer.lat)
    rng = np.random.default_rng(7)
    qlon = rng.uniform(BBOX[0], BBOX[2], max(n_single, n_batch))
    qlat = rng.uniform(BBOX[1], BBOX[3], max(n_single, n_batch))
    print(f"  index build {build_s:.2f} s")
    for k in (1, 5):
        eng, brute = [], []
        for j in range(n_single):
            q = NearestQuery(Point(float(qlon[j]), float(qlat[j])), ("bench",), k=k)
            t = time.perf_counter()
            nearest_facilities({"bench": index}, q, NOW, calendar=CALENDAR)
            eng.append(time.perf_counter() - t)
        for j in range(min(n_single, 300)):
            qx = ecef(qlon[j], qlat[j])[0]
            t = time.perf_counter()
            brute_single(xyz_all, qx, k)
            brute.append(time.perf_counter() - t)
        em, ep = percentiles(eng)
        bm, bp = percentiles(brute)
        print(
            f"  single k={k}: engine median {em:8.1f} µs  p99 {ep:8.1f} µs | "
            f"brute numpy median {bm:10.1f} µs  p99 {bp:10.1f} µs | "
            f"speed-up x{bm / em:,.1f}   target median <= 100 µs: "
            f"{'met' if em <= 100 else 'NOT met'}"
        )
    t = time.perf_counter()
    nearest_batch(index, qlon[:n_batch], qlat[:n_batch], k=1, workers=-1)
    eng_qps = n_batch / (time.perf_counter() - t)
    t = time.perf_counter()
    for j in range(n_brute_batch):
        brute_single(xyz_all, ecef(qlon[j], qlat[j])[0], 1)
    brute_qps = n_brute_batch / (time.perf_counter() - t)
    print(
        f"  batch k=1 : engine {eng_qps:12,.0f} q/s | brute numpy {brute_qps:10,.0f} q/s | "
        f"ratio x{eng_qps / brute_qps:,.0f}"
        + (
            "   target >= 500,000 q/s: " + ("met" if eng_qps >= 500_000 else "NOT met")
            if n == 1_000_000
            else ""
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries (for a smoke run)")
    parser.add_argument(
        "--ratio",
        action="store_true",
        help="only the engine against a bare cKDTree, for 1,200 and 1,000,000 points",
    )
    parser.add_argument(
        "--sizes",
        default="1200,200000,1000000",
        help="comma-separated layer sizes N (default: %(default)s)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    single, batch = (200, 20_000) if args.quick else (2_000, 200_000)
    import scipy

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
    )
    if args.ratio:
        for n in (1_200, 1_000_000):
            ratio_to_ckdtree(n, single * 5)
        return
    for n in sizes:
        # brute force at 1M points takes ~30 ms a query: fewer of them for large N
        brute_batch = max(100, min(20_000, 100_000_000 // n))
        bench_n(n, single, batch, brute_batch // (10 if args.quick else 1))


if __name__ == "__main__":
    main()
