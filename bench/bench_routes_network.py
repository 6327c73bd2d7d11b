"""Benchmark the rural routes along a street network, in one run on this machine.

Builds a synthetic lattice network over the Jiangmen bounding box with about
``--edges`` directed edges for each of the coach (``drive``, random 30-80 km/h) and the
bike (``ebike``, 15 km/h) — not real streets: its size is the point — and works out the
12 bundled routes (``route_details``: legs, positions, facilities along, longest gap)
without a network (today's straight lines: the baseline) and on it, printing both times
and the ratio, the legs routed and the vertices of the joined lines. This is what a data
version costs once (``Service._make_route_details`` caches it per version).

Run: .venv/bin/python bench/bench_routes_network.py [--edges 500000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from pyproj import Geod

from locator.operations.network import DRIVE, EBIKE, NetworkInfo, StreetNetwork
from locator.operations.routes import NETWORK, route_details
from locator.stores.files.read import read_geodata
from locator.values import registry
from locator.values.geo.distance import from_metric, to_metric
from locator.values.paths import DEFAULT_DATA_DIR

BBOX = (111.9, 21.4, 113.3, 22.9)  # west, south, east, north (degrees)
EPSG = 32649


def lattice(edges: int, seed: int = 24) -> StreetNetwork:
    """A rows x cols lattice over BBOX with about ``edges`` directed edges a mode."""
    x0, y0 = to_metric(BBOX[0], BBOX[1], EPSG)
    x1, y1 = to_metric(BBOX[2], BBOX[3], EPSG)
    # 4 directed edges a node: rows * cols = edges / 4, spaced evenly in both directions
    step = float(np.sqrt((x1 - x0) * (y1 - y0) / (edges / 4)))
    xs, ys = np.arange(x0, x1, step), np.arange(y0, y1, step)
    gx, gy = np.meshgrid(xs, ys)
    x, y = gx.ravel(), gy.ravel()
    lon, lat = (np.asarray(a) for a in from_metric(x, y, EPSG))
    ident = np.arange(x.size).reshape(gx.shape)
    a = np.concatenate([ident[:, :-1].ravel(), ident[:-1, :].ravel()])
    b = np.concatenate([ident[:, 1:].ravel(), ident[1:, :].ravel()])
    tail, head = np.concatenate([a, b]), np.concatenate([b, a])
    _, _, length = Geod(ellps="WGS84").inv(lon[tail], lat[tail], lon[head], lat[head])
    rng = np.random.default_rng(seed)
    drive_kmh = rng.uniform(30, 80, tail.size)
    info = NetworkInfo(
        "bench lattice", "0" * 64, None, "2026-12-05T00:00:00Z", "440700", EPSG,
        BBOX, 1.0, {DRIVE: {"primary": 80.0, "residential": 30.0}, EBIKE: {"residential": 15.0}},
        fixture=True,
    )  # fmt: skip
    return StreetNetwork.from_edges(
        info,
        lon,
        lat,
        x,
        y,
        {
            DRIVE: (tail, head, length, length / (drive_kmh / 3.6)),
            EBIKE: (tail, head, length, length / (15 / 3.6)),
        },
    )


def work(features, facilities, net):
    return [route_details(f, facilities, EPSG, net) for f in features]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--edges", type=int, default=500_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    geodata = read_geodata(DEFAULT_DATA_DIR)
    features = list(geodata.collections[registry.ROUTES_DECL.id].features)
    facilities = {lid: layer.facilities for lid, layer in geodata.layers.items()}
    t = time.perf_counter()
    net = lattice(args.edges)
    built = time.perf_counter() - t
    print(f"python {platform.python_version()} on {platform.machine()}, {len(features)} routes")
    print(
        f"network: {net.nodes:,} nodes, {net.graphs[DRIVE].edges:,} drive and "
        f"{net.graphs[EBIKE].edges:,} e-bike edges (made in {built:.1f} s)"
    )
    work(features, facilities, net)  # KD-trees and scipy matrices made once, as a server does

    def best(network) -> tuple[float, list]:
        times, out = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            out = work(features, facilities, network)
            times.append(time.perf_counter() - t)
        return min(times), out

    straight_s, _ = best(None)
    network_s, details = best(net)
    legs = [leg for d in details for leg in d.legs]
    routed = sum(leg.basis == NETWORK for leg in legs)
    vertices = sum(len(d.summary.geometry["coordinates"]) for d in details)
    print(f"straight (today):   {straight_s * 1000:8.1f} ms for every route")
    print(f"along the network:  {network_s * 1000:8.1f} ms for every route")
    print(f"ratio network/straight: {network_s / straight_s:.1f}x")
    print(
        f"legs routed: {routed} of {len(legs)} "
        f"({2 * len(legs)} bounded searches); line vertices: {vertices:,}"
    )


if __name__ == "__main__":
    main()
