"""Synthetic OpenStreetMap extracts, written with ``osmium.SimpleWriter`` (test and
benchmark fixtures, not map data): a regular grid of streets over a bounding box, and a
file holding only buildings."""

from __future__ import annotations

import math
from pathlib import Path

import osmium

#: the class of every n-th grid line (the rest are residential)
GRID_CLASSES = ((10, "primary"), (5, "secondary"), (2, "tertiary"))


def _header(timestamp: str | None) -> osmium.io.Header:
    header = osmium.io.Header()
    if timestamp:
        header.set("osmosis_replication_timestamp", timestamp)
    return header


def _class(line: int) -> str:
    return next((c for every, c in GRID_CLASSES if line % every == 0), "residential")


def write_grid_pbf(
    path: Path,
    bbox: tuple[float, float, float, float],
    spacing_m: float,
    *,
    nodes_per_way: int = 10,
    timestamp: str | None = "2026-11-30T21:21:02Z",
    extra_nodes: int = 0,
    jitter_m: float = 0.0,
    seed: int = 24,
) -> dict[str, int]:
    """Write a grid of streets over ``bbox`` (west, south, east, north, WGS-84 degrees):
    east-west and north-south lines ``spacing_m`` metres apart (approximately: degrees per
    metre at the box's middle latitude), with a node at every crossing, cut into ways of
    ``nodes_per_way`` nodes. Lines take classes by :data:`GRID_CLASSES`; every 4th
    residential east-west line is ``oneway=yes``. ``extra_nodes`` untagged nodes (of
    nothing, like a real extract's building corners) are added to weigh the file.
    ``jitter_m`` moves every node by up to that many metres (seeded), so that the file
    compresses like real data rather than like a perfect grid. Returns counts of nodes and
    ways written."""
    import random

    rng = random.Random(seed)
    jlat = jitter_m / 111_320.0
    west, south, east, north = bbox
    mid = math.radians((south + north) / 2)
    dlat = spacing_m / 111_320.0
    dlon = spacing_m / (111_320.0 * math.cos(mid))
    ncols = int((east - west) / dlon) + 1
    nrows = int((north - south) / dlat) + 1
    jlon = jlat / math.cos(mid)

    def moved(lon: float, lat: float) -> tuple[float, float]:
        if not jitter_m:
            return (lon, lat)
        return (lon + jlon * (2 * rng.random() - 1), lat + jlat * (2 * rng.random() - 1))

    writer = osmium.SimpleWriter(str(path), header=_header(timestamp), overwrite=True)
    way_id = 0
    try:
        for r in range(nrows):
            lat = south + r * dlat
            base = r * ncols + 1
            for c in range(ncols):
                writer.add_node(
                    osmium.osm.mutable.Node(id=base + c, location=moved(west + c * dlon, lat))
                )
        first_extra = nrows * ncols + 1
        for i in range(extra_nodes):
            r, c = divmod(i, max(1, ncols))
            writer.add_node(
                osmium.osm.mutable.Node(
                    id=first_extra + i,
                    location=moved(west + (c + 0.5) * dlon, south + ((r % nrows) + 0.5) * dlat),
                )
            )
        step = max(1, nodes_per_way - 1)
        for r in range(nrows):
            tags = {"highway": _class(r), "name": f"E{r}"}
            if tags["highway"] == "residential" and r % 4 == 1:
                tags["oneway"] = "yes"
            for c0 in range(0, ncols - 1, step):
                way_id += 1
                ids = [r * ncols + c + 1 for c in range(c0, min(c0 + step, ncols - 1) + 1)]
                writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=ids, tags=tags))
        for c in range(ncols):
            tags = {"highway": _class(c), "name": f"N{c}"}
            for r0 in range(0, nrows - 1, step):
                way_id += 1
                ids = [r * ncols + c + 1 for r in range(r0, min(r0 + step, nrows - 1) + 1)]
                writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=ids, tags=tags))
    finally:
        writer.close()
    return {"nodes": nrows * ncols + extra_nodes, "ways": way_id}


def write_buildings_pbf(path: Path, lon: float, lat: float, count: int = 20) -> None:
    """Write ``count`` square buildings near ``(lon, lat)`` and no highway at all."""
    writer = osmium.SimpleWriter(str(path), header=_header(None), overwrite=True)
    d = 0.0002
    try:
        for i in range(count):
            x0 = lon + i * 3 * d
            for j, (dx, dy) in enumerate(((0, 0), (d, 0), (d, d), (0, d))):
                writer.add_node(
                    osmium.osm.mutable.Node(id=4 * i + j + 1, location=(x0 + dx, lat + dy))
                )
        for i in range(count):
            ids = [4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4, 4 * i + 1]
            writer.add_way(osmium.osm.mutable.Way(id=i + 1, nodes=ids, tags={"building": "yes"}))
        # a highway no way of travel may use is not a usable way either
        writer.add_way(
            osmium.osm.mutable.Way(id=count + 1, nodes=[1, 2], tags={"highway": "construction"})
        )
    finally:
        writer.close()
