"""Benchmark the nearest engine against brute-force numpy, in one run on this machine.

For N = 1,200 (the city), 200,000 and 1,000,000 synthetic points over the Jiangmen
bounding box it prints:
- single-query latency of ``nearest_facilities`` (median, p99; k=1 and k=5) next to a
  brute-force numpy query over the same points (ECEF chord for all N + argpartition: the
  cheapest exact brute force), as a ratio;
- batch throughput of ``nearest_batch`` (k=1, all cores) next to brute-force numpy batch
  throughput, as a ratio.

Run: .venv/bin/python bench/bench_nearest.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time

import numpy as np

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


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    arr = np.array(samples_s) * 1e6
    return float(np.median(arr)), float(np.percentile(arr, 99))


def bench_n(n: int, n_single: int, n_batch: int, n_brute_batch: int) -> None:
    layer = synthetic_layer(n, n)
    t0 = time.perf_counter()
    index = build_index(layer)
    build_s = time.perf_counter() - t0
    xyz_all = ecef(layer.lon, layer.lat)
    rng = np.random.default_rng(7)
    qlon = rng.uniform(BBOX[0], BBOX[2], max(n_single, n_batch))
    qlat = rng.uniform(BBOX[1], BBOX[3], max(n_single, n_batch))
    print(f"\nN = {n:,}   (index build {build_s:.2f} s)")
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
        "--sizes",
        default="1200,200000,1000000",
        help="comma-separated layer sizes N (default: %(default)s)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    single, batch = (200, 20_000) if args.quick else (2_000, 200_000)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, numpy {np.__version__}"
    )
    for n in sizes:
        # brute force at 1M points takes ~30 ms a query: fewer of them for large N
        brute_batch = max(100, min(20_000, 100_000_000 // n))
        bench_n(n, single, batch, brute_batch // (10 if args.quick else 1))


if __name__ == "__main__":
    main()
