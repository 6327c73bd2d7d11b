"""A street network for the city of a data directory, made by code: a TEST FIXTURE, not a
map of any real streets (its NetworkInfo says ``fixture: true`` and its source names this
file). The real thing comes from an OpenStreetMap extract (``locator build-network``).

What it holds, so that tests can reason about it:
- a lattice of residential streets every :data:`SPACING_M` metres over the city polygon
  (plus 1 km), in the city's metric projection;
- a river running north-south through the median town seat, which the lattice crosses
  only at two bridges (the rows nearest the 25th and 75th percentiles of the town seats'
  northings): across it, travel along streets is much longer than the straight line;
- primary roads from each town seat to its two nearest seats on the same bank (nodes
  every :data:`SPACING_M` / 2); each seat is one node, joined to the nearest lattice node;
- a motorway (drivers only) from the westmost to the eastmost town seat, bridging the
  river without a junction on it;
- a park of footways (walkers only) in the 4 x 4 lattice cells north-east of the first
  town seat.

Speeds (km/h): walk 4.5 everywhere it may go; e-bike 15 on streets and primary roads;
drive 30 on streets, 50 on primary roads, 80 on the motorway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from locator.formats.network import network_to_bytes
from locator.operations.network import NETWORK_FILE, NetworkInfo, StreetNetwork
from locator.stores.files.read import read_geodata, write_bytes_atomic
from locator.values.geo.distance import (
    from_metric,
    geodesic_distance_m,
    geometry_to_metric,
    to_metric,
)

SPACING_M = 800.0
SPEEDS_KMH = {
    "walk": {"residential": 4.5, "primary": 4.5, "footway": 4.5},
    "ebike": {"residential": 15.0, "primary": 15.0},
    "drive": {"residential": 30.0, "primary": 50.0, "motorway": 80.0},
}


def make_fixture_network(data_dir: Path | str) -> StreetNetwork:
    """The fixture network of ``data_dir``'s city (see the module docstring)."""
    import shapely

    geodata = read_geodata(data_dir)
    profile = geodata.profile
    assert profile is not None
    epsg = profile.metric_epsg
    city = geodata.city
    towns = sorted(geodata.towns.values(), key=lambda t: t.code)
    seats = to_metric([t.lon for t in towns], [t.lat for t in towns], epsg)
    tx, ty = (np.asarray(a) for a in seats)
    area = geometry_to_metric(city, epsg).buffer(1000.0)
    west, south, east, north = area.bounds
    xs = np.arange(west, east + SPACING_M, SPACING_M)
    ys = np.arange(south, north + SPACING_M, SPACING_M)
    gx, gy = np.meshgrid(xs, ys)  # (rows = y, cols = x)
    inside = shapely.contains_xy(area, gx, gy)
    ident = np.full(gx.shape, -1, dtype=np.int64)
    ident[inside] = np.arange(int(inside.sum()))
    node_x, node_y = list(gx[inside]), list(gy[inside])
    river_x = float(np.median(tx)) + SPACING_M / 2  # between two lattice columns
    bridge_rows = {int(np.argmin(np.abs(ys - np.percentile(ty, q)))) for q in (25, 75)}

    edges: dict[str, list[tuple[int, int, str, bool]]] = {"lattice": []}
    # (tail, head, highway, oneway); every edge below is two-way unless it says so
    park_row = int(np.argmin(np.abs(ys - ty[0])))
    park_col = int(np.argmin(np.abs(xs - tx[0])))

    def kind_of(r: int, c: int) -> str:
        in_park = park_row <= r < park_row + 4 and park_col <= c < park_col + 4
        return "footway" if in_park else "residential"

    lattice = edges["lattice"]
    rows, cols = gx.shape
    for r in range(rows):
        for c in range(cols):
            a = ident[r, c]
            if a < 0:
                continue
            if c + 1 < cols and ident[r, c + 1] >= 0:
                crosses = xs[c] < river_x < xs[c + 1]
                if not crosses or r in bridge_rows:
                    lattice.append((a, int(ident[r, c + 1]), kind_of(r, c), False))
            if r + 1 < rows and ident[r + 1, c] >= 0:
                lattice.append((a, int(ident[r + 1, c]), kind_of(r, c), False))

    lattice_tree = cKDTree(np.column_stack([node_x, node_y]))

    seat_node: dict[int, int] = {}  # town -> its seat's node, shared by its roads

    def seat(town: int) -> int:
        """The node at a town's seat: made once, joined to the nearest lattice node."""
        if town not in seat_node:
            seat_node[town] = len(node_x)
            node_x.append(float(tx[town]))
            node_y.append(float(ty[town]))
            _, near = lattice_tree.query([tx[town], ty[town]])
            lattice.append((seat_node[town], int(near), "residential", False))
        return seat_node[town]

    def add_road(a: int, b: int, highway: str) -> None:
        """A straight road from town ``a``'s seat to town ``b``'s, nodes every
        SPACING_M / 2."""
        x0, y0, x1, y1 = tx[a], ty[a], tx[b], ty[b]
        steps = max(1, int(np.hypot(x1 - x0, y1 - y0) // (SPACING_M / 2)))
        chain = [seat(a)]
        for i in range(1, steps):
            chain.append(len(node_x))
            node_x.append(x0 + (x1 - x0) * i / steps)
            node_y.append(y0 + (y1 - y0) * i / steps)
        chain.append(seat(b))
        for u, v in zip(chain, chain[1:], strict=False):
            lattice.append((u, v, highway, False))

    # primary roads between near town seats on the same bank
    tree = cKDTree(np.column_stack([tx, ty]))
    done = set()
    for i in range(len(towns)):
        _, near = tree.query([tx[i], ty[i]], k=min(3, len(towns)))
        for j in np.atleast_1d(near)[1:]:
            j = int(j)
            same_bank = (tx[i] < river_x) == (tx[j] < river_x)
            if same_bank and (j, i) not in done:
                done.add((i, j))
                add_road(i, j, "primary")
    # the motorway: westmost to eastmost seat, joined at its ends only
    w, e = int(np.argmin(tx)), int(np.argmax(tx))
    add_road(w, e, "motorway")

    node_x_a, node_y_a = np.asarray(node_x), np.asarray(node_y)
    lon, lat = (np.asarray(a) for a in from_metric(node_x_a, node_y_a, epsg))
    tail = np.array([t for t, _, _, _ in lattice], dtype=np.int64)
    head = np.array([h for _, h, _, _ in lattice], dtype=np.int64)
    kinds = np.array([k for _, _, k, _ in lattice])
    length = np.asarray(geodesic_distance_m(lon[tail], lat[tail], lon[head], lat[head]))
    by_mode = {}
    for mode, speeds in SPEEDS_KMH.items():
        # the motorway's joins are residential links: it is usable by drivers only
        keep = np.isin(kinds, list(speeds))
        kmh = np.array([speeds.get(k, 1.0) for k in kinds])
        secs = length / (kmh / 3.6)
        t, h, m, s = tail[keep], head[keep], length[keep], secs[keep]
        by_mode[mode] = (
            np.concatenate([t, h]),
            np.concatenate([h, t]),
            np.concatenate([m, m]),
            np.concatenate([s, s]),
        )
    west_lon, south_lat, east_lon, north_lat = city.bounds
    info = NetworkInfo(
        source="tests/network_fixture.py",
        source_sha256=hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        source_timestamp=None,
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        city_code=profile.code,
        metric_epsg=epsg,
        clip=(west_lon, south_lat, east_lon, north_lat),
        city_covered=1.0,
        speeds=SPEEDS_KMH,
        fixture=True,
    )
    return StreetNetwork.from_edges(info, lon, lat, node_x_a, node_y_a, by_mode)


def river_x_m(data_dir: Path | str) -> float:
    """The fixture river's easting (metres in the city's metric projection)."""
    geodata = read_geodata(data_dir)
    assert geodata.profile is not None
    towns = geodata.towns.values()
    tx, _ = to_metric([t.lon for t in towns], [t.lat for t in towns], geodata.profile.metric_epsg)
    return float(np.median(tx)) + SPACING_M / 2


def write_fixture_network(data_dir: Path | str) -> StreetNetwork:
    """Make the fixture network of ``data_dir`` and write it there (``network.npz``)."""
    net = make_fixture_network(data_dir)
    write_bytes_atomic(Path(data_dir) / NETWORK_FILE, network_to_bytes(net))
    return net
