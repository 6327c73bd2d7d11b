"""Nearest along the streets (re-ranked by network travel time) next to today's nearest
(straight-line), the same points in the same run.

In one process: the bundled data as it is (no network: today's code path), and a copy of
it with a SYNTHETIC street network of about 500,000 walking edges over the city's
bounding box (tests/network_lattice.py: a jittered lattice, ``--spacing`` metres apart,
of streets of several kinds; some footway-only, some one-way for bikes). At random points
inside the city:

- ``Service.nearest``, k=5 over every facility layer by e-bike: with and without the
  network; per-query p50 / p99 and the ratio of the means;
- ``Service.nearest_by_layer``, k=3 from each layer (the phone page's call);
- ``GET /api/v1/nearest?...&k=5&travel=ebike`` through Flask's test client, both apps.

Also what a new data version costs once: loading the network file and joining every
facility to the graph (per way of travel). Targets (issue #24): the re-ranked nearest at
most 3x today's, p99 under 5 ms for k=5.

Run: .venv/bin/python bench/bench_network_nearest.py [--n 500] [--spacing 400] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from locator.formats.network import network_to_bytes  # noqa: E402
from locator.operations.hours import TZ  # noqa: E402
from locator.operations.nearest import NearestQuery  # noqa: E402
from locator.operations.network import NETWORK_FILE  # noqa: E402
from locator.values.models import Point  # noqa: E402
from locator.web import DEFAULT_DATA_DIR, create_app  # noqa: E402
from tests.network_lattice import lattice_network  # noqa: E402

AT = dt.datetime(2026, 12, 7, 10, 0, tzinfo=TZ)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1e3)
    return out


def report(name: str, base: list[float], net: list[float]) -> None:
    mb, mn = statistics.fmean(base), statistics.fmean(net)
    print(
        f"  {name:34s} straight p50 {pct(base, 50):6.3f} p99 {pct(base, 99):6.3f} ms | "
        f"network p50 {pct(net, 50):6.3f} p99 {pct(net, 99):6.3f} ms | mean x{mn / mb:.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500, help="random points")
    ap.add_argument("--spacing", type=float, default=400.0, help="lattice spacing, metres")
    ap.add_argument("--quick", action="store_true", help="a smoke run: small and fast")
    args = ap.parse_args()
    if args.quick:
        args.n, args.spacing = 30, 3000.0

    plain_app = create_app({"TESTING": True, "WATCH_DATA": False})
    plain = plain_app.extensions["locator.services"].current()
    geodata_bounds = plain.store.snapshot().geodata.city.bounds  # type: ignore[attr-defined]
    start = time.perf_counter()
    net = lattice_network(tuple(geodata_bounds), args.spacing, seed=1)
    built = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns("history"))
        blob = network_to_bytes(net)
        (data / NETWORK_FILE).write_bytes(blob)
        start = time.perf_counter()
        net_app = create_app({"TESTING": True, "WATCH_DATA": False, "DATA_DIR": str(data)})
        loaded = time.perf_counter() - start
        svc = net_app.extensions["locator.services"].current()
        assert svc.network is not None
        print(
            f"synthetic network: {net.nodes:,} nodes, "
            + ", ".join(f"{m} {g.edges:,} edges" for m, g in net.graphs.items() if g.edges)
            + f"; made in {built:.1f} s, file {len(blob) / 2**20:.1f} MiB, "
            f"app with it started in {loaded:.1f} s"
        )
        rng = random.Random(20261205)
        area = plain.store.reference.service_area
        west, south, east, north = geodata_bounds
        points: list[Point] = []
        while len(points) < args.n:
            p = Point(rng.uniform(west, east), rng.uniform(south, north))
            if area.contains(p):
                points.append(p)
        layers = tuple(plain.layer_ids())

        start = time.perf_counter()  # once per data version: every facility snapped
        svc.nearest(NearestQuery(points[0], layers, k=5, travel="ebike", at=AT), AT)
        svc.nearest_by_layer(NearestQuery(points[0], layers, k=3, travel="ebike", at=AT), AT)
        snapped = time.perf_counter() - start
        print(
            f"first e-bike queries of the version (facilities joined to the graph): {snapped:.2f} s"
        )

        measured = {"network": 0, "other": 0}
        for p in points:
            for r in svc.nearest(NearestQuery(p, layers, k=5, travel="ebike", at=AT), AT).results:
                measured["network" if r.measured == "network" else "other"] += 1
        print(
            "results along the network / straight-line:",
            f"{measured['network']} / {measured['other']}",
        )

        print(f"per query over {len(points)} points inside the city (ms):")
        for name, k, by_layer in (
            ("nearest k=5, e-bike", 5, False),
            ("by layer k=3 (phone), e-bike", 3, True),
        ):

            def ask(service, p, k=k, by_layer=by_layer):
                q = NearestQuery(p, layers, k=k, travel="ebike", at=AT)
                return (service.nearest_by_layer if by_layer else service.nearest)(q, AT)

            timed(lambda p: ask(plain, p), points[:20])  # warm
            timed(lambda p: ask(svc, p), points[:20])
            base = timed(lambda p: ask(plain, p), points)
            along = timed(lambda p: ask(svc, p), points)
            report(name, base, along)
        for app in (plain_app, net_app):
            app.test_client().get("/api/v1/health")
        c_plain, c_net = plain_app.test_client(), net_app.test_client()

        def http(client, p):
            resp = client.get(f"/api/v1/nearest?lon={p.lon:.6f}&lat={p.lat:.6f}&k=5&travel=ebike")
            assert resp.status_code == 200

        timed(lambda p: http(c_plain, p), points[:20])
        timed(lambda p: http(c_net, p), points[:20])
        base = timed(lambda p: http(c_plain, p), points)
        along = timed(lambda p: http(c_net, p), points)
        report("HTTP /api/v1/nearest k=5, e-bike", base, along)


if __name__ == "__main__":
    main()
