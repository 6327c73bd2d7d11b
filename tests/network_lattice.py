"""A synthetic street network for tests and benchmarks: a jittered lattice of streets.

Not OpenStreetMap data (``info.fixture`` is True): a grid of nodes ``spacing_m`` apart in
the city's metric projection (EPSG:32649 for Jiangmen), each moved at random by up to a
third of the spacing, joined to its four neighbours by streets of random kinds. Each
street is a little longer than the straight line between its nodes (it bends); walkers
use every street at 4.5 km/h; e-bikes ride primary / secondary / residential streets and
cycleways (at 20 / 18 / 15 / 15 km/h) but not footways (foot-only), and some streets are
one-way for bikes (tail to head only). Drivers get no edges.
"""

from __future__ import annotations

import numpy as np

from locator.operations.network import NetworkInfo, StreetNetwork
from locator.values.geo.distance import from_metric, to_metric

KINDS = ("primary", "secondary", "residential", "cycleway", "footway")
KIND_SHARE = (0.1, 0.15, 0.5, 0.1, 0.15)
WALK_KMH = 4.5
EBIKE_KMH = {"primary": 20.0, "secondary": 18.0, "residential": 15.0, "cycleway": 15.0}
#: share of e-bike streets that are one-way for bikes
ONEWAY_SHARE = 0.1


def lattice_network(
    bbox: tuple[float, float, float, float],
    spacing_m: float,
    seed: int = 0,
    epsg: int = 32649,
    city_code: str = "440700",
) -> StreetNetwork:
    """A jittered lattice over ``bbox`` (west, south, east, north; WGS-84 degrees)."""
    rng = np.random.default_rng(seed)
    west, south, east, north = bbox
    x0, y0 = to_metric(west, south, epsg)
    x1, y1 = to_metric(east, north, epsg)
    nx = max(2, int((x1 - x0) // spacing_m) + 1)
    ny = max(2, int((y1 - y0) // spacing_m) + 1)
    gx, gy = np.meshgrid(x0 + spacing_m * np.arange(nx), y0 + spacing_m * np.arange(ny))
    jitter = spacing_m / 3.0
    x = gx.ravel() + rng.uniform(-jitter, jitter, gx.size)
    y = gy.ravel() + rng.uniform(-jitter, jitter, gy.size)
    lon, lat = from_metric(x, y, epsg)
    ids = np.arange(nx * ny).reshape(ny, nx)
    tail = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    head = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    straight = np.hypot(x[head] - x[tail], y[head] - y[tail])
    length = straight * rng.uniform(1.0, 1.15, tail.size)  # streets bend
    kind = rng.choice(len(KINDS), tail.size, p=KIND_SHARE)
    walk_t = length / (WALK_KMH / 3.6)
    walk = (
        np.concatenate([tail, head]),
        np.concatenate([head, tail]),
        np.concatenate([length, length]),
        np.concatenate([walk_t, walk_t]),
    )
    kmh = np.array([EBIKE_KMH.get(k, 0.0) for k in KINDS])[kind]
    rideable = kmh > 0
    oneway = rideable & (rng.random(tail.size) < ONEWAY_SHARE)
    both = rideable & ~oneway
    ebike_t = np.where(rideable, length / np.maximum(kmh, 1e-9) * 3.6, 0.0)
    ebike = (
        np.concatenate([tail[rideable], head[both]]),
        np.concatenate([head[rideable], tail[both]]),
        np.concatenate([length[rideable], length[both]]),
        np.concatenate([ebike_t[rideable], ebike_t[both]]),
    )
    info = NetworkInfo(
        source="lattice (synthetic test network)",
        source_sha256="0" * 64,
        source_timestamp=None,
        built_at="2026-12-05T00:00:00Z",
        city_code=city_code,
        metric_epsg=epsg,
        clip=(float(west), float(south), float(east), float(north)),
        city_covered=1.0,
        speeds={
            "walk": {k: WALK_KMH for k in KINDS},
            "ebike": {k: v for k, v in EBIKE_KMH.items()},
        },
        fixture=True,
    )
    return StreetNetwork.from_edges(info, lon, lat, x, y, {"walk": walk, "ebike": ebike})
