"""Build a city's street network from an OpenStreetMap extract (``.osm.pbf``).

Reader: **pyosmium** (PyPI ``osmium``, the Python binding of the C++ libosmium). It
streams the file block by block in C++; node coordinates go into libosmium's node-location
index and only the ways tagged ``highway=*`` reach Python, with their node locations
filled in. Each such way's coordinates come back from C++ as one WKB line; only a way
reaching into the city's clip has its tags' rules and node ids read in Python. Memory is
therefore the location index plus the city's road nodes, not the province's: a province
extract builds in seconds on a small machine (docs/PERFORMANCE.md, "Street network
build"). pyrosm, the other well-kept reader, decodes the extract into pandas
DataFrames/GeoDataFrames (nodes, ways and tags as in-memory tables at once), which for a
province means gigabytes of Python-side objects beside a running server.

Node-location index: ``flex_mem`` (pyosmium's default). For an extract it is a sorted
sparse array of (node id, location), **16 bytes per node of the file** (every node, not
only the roads'); libosmium switches it to a dense array (8 bytes per node id up to the
largest id) only when that is smaller, i.e. for a planet-sized file. A 60-million-node
province costs about 1 GB for it (measured: 415 MiB for 25 million nodes).

What is kept: every way with a ``highway`` tag that at least one way of travel may use
(:data:`SPEEDS`, :func:`way_rules`), with **every node** of the way (no simplification: a
path's nodes are its geometry), clipped to the city polygon buffered by ``margin_m``
(default :data:`DEFAULT_MARGIN_M`, metres in the city's metric CRS): an edge is kept when
both its ends are inside. Ways tagged ``area=yes`` are skipped. Edge length is the
geodesic distance (WGS-84 ellipsoid, pyproj ``Geod``) between consecutive nodes; time is
length / the way's speed for that way of travel.

Access rules, per way of travel (the most specific access tag decides):

* ``walk`` (``foot`` > ``access``): every class in ``SPEEDS["walk"]`` (not motorway or
  motorway_link, whatever their tags); excluded by ``no``/``private``/… unless
  ``foot=yes|designated|permissive``; ``oneway`` does not apply to walkers;
  ``sidewalk`` is irrelevant.
* ``ebike`` (``bicycle`` > ``vehicle`` > ``access``; ``motor_vehicle`` does not apply:
  China's e-bikes are non-motor vehicles): roads, cycleway, path and track; footway,
  pedestrian, bridleway and steps only with ``bicycle=yes|designated|permissive``;
  never motorway or motorway_link. ``oneway=yes|1|true|-1`` and ``junction=roundabout``
  are respected (``-1`` reverses), ``oneway=reversible|alternating`` excludes the way,
  ``oneway:bicycle=no`` and ``cycleway[:left|:right|:both]=opposite*`` lift it,
  ``oneway:bicycle=yes|-1`` imposes it. ``bicycle=use_sidepath`` is kept (the side path is
  usually mapped beside it; dropping the road would cut the graph where it is not).
* ``drive`` (``motorcar`` > ``motor_vehicle`` > ``vehicle`` > ``access``): the road
  classes of ``SPEEDS["drive"]`` (no footway, path, cycleway, steps, pedestrian, track,
  bridleway); ``oneway`` and ``junction=roundabout`` respected.

Values that exclude: :data:`DENIED`. Speeds (km/h) are per ``highway`` class
(:data:`SPEEDS`, stored in :attr:`NetworkInfo.speeds`); ``maxspeed`` is not read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import resource
import sys
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from locator.operations.network import (
    DRIVE,
    EBIKE,
    MODES,
    NETWORK_FILE,
    SNAP_MAX_M,
    WALK,
    NetworkInfo,
    StreetNetwork,
)
from locator.values.city import Text
from locator.values.errors import BuildError, DataError

#: the city polygon is buffered by this much (metres, metric CRS) before clipping: roads
#: just across the boundary still carry trips between two places inside it
DEFAULT_MARGIN_M = 5000.0
MAX_MARGIN_M = 50_000.0
#: an extract covering less of the city than this is refused unless ``allow_partial``
MIN_COVERED = 0.5
#: a sample point of the city is covered when a network node lies within this many metres
#: (the snapping distance: from there a trip can join the network)
COVER_RADIUS_M = SNAP_MAX_M

#: way of travel -> OSM ``highway`` value -> speed in km/h. A class missing from a mode's
#: table is never used by it; classes in :data:`NEEDS_PERMISSION` only with an explicit
#: ``yes|designated|permissive`` for that mode.
#: the general roads, below motorways: walked, and ridden at the e-bike's 15 km/h
_ROADS = (
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "road",
    "service",
)
SPEEDS: dict[str, dict[str, float]] = {
    WALK: {
        **dict.fromkeys(
            (
                *_ROADS,
                "living_street",
                "track",
                "path",
                "footway",
                "pedestrian",
                "cycleway",
                "bridleway",
                "corridor",
            ),
            4.5,
        ),
        "steps": 2.0,
    },
    EBIKE: {
        **dict.fromkeys((*_ROADS, "cycleway"), 15.0),
        "living_street": 10.0,
        "track": 10.0,
        "path": 10.0,
        "footway": 8.0,
        "pedestrian": 8.0,
        "bridleway": 8.0,
        "steps": 2.0,
    },
    DRIVE: {
        "motorway": 80.0,
        "motorway_link": 40.0,
        "trunk": 60.0,
        "trunk_link": 30.0,
        "primary": 50.0,
        "primary_link": 30.0,
        "secondary": 40.0,
        "secondary_link": 25.0,
        "tertiary": 35.0,
        "tertiary_link": 20.0,
        "unclassified": 25.0,
        "residential": 20.0,
        "road": 20.0,
        "living_street": 10.0,
        "service": 10.0,
    },
}
#: classes a way of travel may use only when the way says so for it
NEEDS_PERMISSION: dict[str, frozenset[str]] = {
    WALK: frozenset(),
    EBIKE: frozenset({"footway", "pedestrian", "bridleway", "steps"}),
    DRIVE: frozenset(),
}
#: the access tags each way of travel reads, most specific first
ACCESS_KEYS: dict[str, tuple[str, ...]] = {
    WALK: ("foot", "access"),
    EBIKE: ("bicycle", "vehicle", "access"),
    DRIVE: ("motorcar", "motor_vehicle", "vehicle", "access"),
}
DENIED = frozenset({"no", "private", "agricultural", "forestry", "military", "emergency"})
GRANTED = frozenset({"yes", "designated", "permissive"})

#: every highway class any mode uses, in a fixed order (a way's class is stored as its index)
CLASSES: tuple[str, ...] = tuple(sorted({c for table in SPEEDS.values() for c in table}))
_CLASS_INDEX = {c: i for i, c in enumerate(CLASSES)}

#: the tags :func:`way_rules` reads
RULE_KEYS: tuple[str, ...] = (
    "highway",
    "area",
    "motorroad",
    "oneway",
    "oneway:bicycle",
    "junction",
    "cycleway",
    "cycleway:left",
    "cycleway:right",
    "cycleway:both",
    "foot",
    "bicycle",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "access",
)

# direction codes of a way for one way of travel
NONE, FORWARD, BACKWARD, BOTH = 0, 1, 2, 3

#: libosmium's value of an unknown coordinate (a node the extract lacks)
_UNDEFINED = 2147483647
_LITTLE_ENDIAN = sys.byteorder == "little"


def _allowed(mode: str, highway: str, tags: dict[str, str]) -> bool:
    if highway not in SPEEDS[mode]:
        return False
    value = next((tags[k] for k in ACCESS_KEYS[mode] if k in tags), None)
    # motorroad=yes: a road for motor vehicles only (汽车专用公路, many trunk roads in
    # China), closed to walkers and e-bikes unless a tag lets them on
    if highway in NEEDS_PERMISSION[mode] or (mode != DRIVE and tags.get("motorroad") == "yes"):
        return value in GRANTED
    return value not in DENIED


def _oneway(tags: dict[str, str], key: str = "oneway") -> int | None:
    """The direction a ``oneway`` value imposes (None: not said, -1: unusable)."""
    value = tags.get(key)
    if value in ("yes", "1", "true"):
        return FORWARD
    if value == "-1":
        return BACKWARD
    if value in ("no", "0", "false"):
        return BOTH
    if value in ("reversible", "alternating"):
        return -1
    return None


def way_rules(tags: dict[str, str]) -> tuple[int, int, int, int] | None:
    """``(class index, walk, ebike, drive direction codes)`` for a way's tags (only the
    :data:`RULE_KEYS` are read), or None when no way of travel may use it."""
    highway = tags.get("highway", "")
    if highway not in _CLASS_INDEX or tags.get("area") == "yes":
        return None
    vehicle_dir = _oneway(tags)
    if vehicle_dir is None:
        vehicle_dir = FORWARD if tags.get("junction") in ("roundabout", "circular") else BOTH
    bike_dir = vehicle_dir
    own = _oneway(tags, "oneway:bicycle")
    if own is not None:
        bike_dir = own
    elif vehicle_dir in (FORWARD, BACKWARD) and any(
        tags.get(k, "").startswith("opposite")
        for k in ("cycleway", "cycleway:left", "cycleway:right", "cycleway:both")
    ):
        bike_dir = BOTH
    dirs = (
        BOTH if _allowed(WALK, highway, tags) else NONE,
        max(bike_dir, NONE) if _allowed(EBIKE, highway, tags) else NONE,
        max(vehicle_dir, NONE) if _allowed(DRIVE, highway, tags) else NONE,
    )
    if not any(dirs):
        return None
    return (_CLASS_INDEX[highway], *dirs)


@dataclass
class _Ways:
    """The kept highway ways that reach into the clip's bounding box, flat: their nodes'
    OSM ids and WGS-84 degrees (NaN: a node the extract lacks), and per way its node count,
    class and direction codes; and what was read."""

    refs: array
    lonlat: array  # lon, lat, lon, lat, ...
    counts: array
    rules: array  # 4 bytes a way: class, walk, ebike, drive
    read: int = 0  # highway ways read
    usable: int = 0  # of which of a class some way of travel uses (SPEEDS), 2+ nodes
    #: the usable ways' extent, west, south, east, north (the message of an extract elsewhere)
    extent: list[float] = field(default_factory=lambda: [math.inf, math.inf, -math.inf, -math.inf])


def _open_file(path: Path) -> Any:
    import osmium

    name = path.name.lower()
    known = name.endswith((".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m", ".opl"))
    return osmium.io.File(str(path)) if known else osmium.io.File(str(path), "pbf")


def _read_ways(path: Path, index: str, bbox: tuple[float, float, float, float]) -> _Ways:
    """Stream the extract: the usable highway ways with a node in ``bbox`` (degrees).

    A way's coordinates come from libosmium as one WKB line (C++, all nodes); only a way
    that reaches into the box has its node ids read one by one in Python, so a province
    costs Python time for the city's ways, not the province's."""
    import osmium

    ways = _Ways(array("q"), array("d"), array("I"), array("B"))
    cache: dict[tuple[str | None, ...], tuple[int, int, int, int] | None] = {}
    unseen = (-1, -1, -1, -1)
    refs, lonlat, counts, rules, extent = (
        ways.refs,
        ways.lonlat,
        ways.counts,
        ways.rules,
        ways.extent,
    )
    west, south, east, north = bbox
    wkb = osmium.geom.WKBFactory()
    all_nodes = osmium.geom.use_nodes.ALL
    processor = (
        osmium.FileProcessor(_open_file(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations(index)
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for way in processor:
        ways.read += 1
        tags = way.tags
        if tags.get("highway") not in _CLASS_INDEX:
            continue
        nodes = way.nodes  # type: ignore[union-attr]  # ways only (the filter above)
        n = len(nodes)
        if n < 2:
            continue
        ways.usable += 1
        line = array("d")
        try:
            made = wkb.create_linestring(nodes, all_nodes)  # hex text (pyosmium 3, 4)
            raw = made if isinstance(made, bytes) else bytes.fromhex(made)
            if raw[0] == 1 and _LITTLE_ENDIAN:  # the WKB's doubles in this machine's order
                line.frombytes(raw[9:])
        except (osmium.InvalidLocationError, RuntimeError):
            pass  # a node the extract lacks (a way cut at its edge): node by node below
        whole = len(line) == 2 * n
        if whole:
            lons, lats = line[0::2], line[1::2]
            w, e, s, nn = min(lons), max(lons), min(lats), max(lats)
            extent[0], extent[1] = min(extent[0], w), min(extent[1], s)
            extent[2], extent[3] = max(extent[2], e), max(extent[3], nn)
            if e < west or w > east or nn < south or s > north:
                continue  # outside the clip: its tags are not even read
        # the rules, read once per combination of the tags they read
        key = tuple(tags.get(k) for k in RULE_KEYS)
        rule = cache.get(key, unseen)
        if rule is unseen:
            given = {k: v for k, v in zip(RULE_KEYS, key, strict=True) if v is not None}
            rule = cache[key] = way_rules(given)
        if rule is None:
            continue
        if whole:
            refs.extend([node.ref for node in nodes])
            lonlat.extend(line)
        else:
            for node in nodes:
                refs.append(node.ref)
                x, y = node.x, node.y
                if x == _UNDEFINED or y == _UNDEFINED:
                    lonlat.extend((math.nan, math.nan))
                else:
                    lonlat.extend((x / 1e7, y / 1e7))
        counts.append(n)
        rules.extend(rule)
    return ways


def extract_timestamp(path: Path) -> str | None:
    """The extract's own date from its header (ISO 8601), or None when it has none."""
    import osmium

    reader = osmium.io.Reader(_open_file(path), osmium.osm.NOTHING)
    try:
        header = reader.header()
        stamp = header.get("osmosis_replication_timestamp") or header.get("timestamp")
    finally:
        reader.close()
    return stamp or None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class BuildReport:
    """What a build made and what it cost."""

    network: StreetNetwork
    ways_read: int  # ways tagged highway in the extract
    ways_kept: int  # of a class some way of travel uses (SPEEDS), before clipping
    seconds: float
    peak_rss_mb: float  # the process's peak resident memory (getrusage), MiB
    #: the OSM id of each network node (int64, by node position; not stored in the file)
    osm_ids: np.ndarray | None = None

    def lines(self) -> list[str]:
        net, info = self.network, self.network.info
        edges = ", ".join(f"{m} {net.graphs[m].edges:,}" for m in MODES)
        return [
            f"source      {info.source} (sha256 {info.source_sha256[:16]}…, "
            f"dated {info.source_timestamp or 'unknown'})",
            f"ways        {self.ways_read:,} highway ways read, {self.ways_kept:,} of a "
            "class walked, ridden or driven",
            f"nodes       {net.nodes:,}",
            f"edges       {edges} (directed)",
            f"city        {_pct(info.city_covered)} % covered "
            f"(within {COVER_RADIUS_M:.0f} m of a node; clip {info.clip})",
            f"build       {self.seconds:.1f} s, peak memory {self.peak_rss_mb:,.0f} MiB",
            f"attribution {info.attribution}; licence {info.licence}",
        ]


def _pct(share: float) -> str:
    """A share as a whole percentage, rounded down (49.8 % is not "50 %")."""
    return str(math.floor(share * 100 + 1e-9))


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def city_covered(area_m: Any, x: np.ndarray, y: np.ndarray) -> float:
    """The share of ``area_m`` (a shapely polygon, metres) within :data:`COVER_RADIUS_M`
    of a point ``(x, y)``: measured on a regular grid of sample points over the area (1 km
    apart, closer for a small area so that there are at least ~1,000), each asked of a
    KD-tree of the points."""
    import shapely
    from scipy.spatial import cKDTree

    if x.size == 0 or area_m.is_empty:
        return 0.0
    step = min(1000.0, math.sqrt(area_m.area / 1000.0))
    west, south, east, north = area_m.bounds
    mesh_x, mesh_y = np.meshgrid(
        np.arange(west + step / 2, east, step), np.arange(south + step / 2, north, step)
    )
    gx, gy = mesh_x.ravel(), mesh_y.ravel()
    inside = shapely.contains_xy(area_m, gx, gy)
    if not inside.any():  # a sliver smaller than a grid step: its representative point
        p = area_m.representative_point()
        gx, gy, inside = np.array([p.x]), np.array([p.y]), np.array([True])
    dist, _ = cKDTree(np.column_stack([x, y])).query(
        np.column_stack([gx[inside], gy[inside]]), k=1, distance_upper_bound=COVER_RADIUS_M
    )
    return float(np.isfinite(dist).mean())


def build_network(
    path: Path | str,
    area: Any,
    metric_epsg: int,
    *,
    city_code: str = "",
    city_name: Text | None = None,
    margin_m: float = DEFAULT_MARGIN_M,
    allow_partial: bool = False,
    index: str = "flex_mem",
) -> BuildReport:
    """Read an OSM extract and build the street network of ``area``.

    Parameters
    ----------
    path : the ``.osm.pbf`` extract.
    area : shapely (Multi)Polygon, WGS-84 degrees: the city. Its buffer by ``margin_m``
        metres (in ``metric_epsg``) is the clip; coverage is measured on ``area`` itself.
    metric_epsg : EPSG code of the city's projected CRS in metres (node ``x``, ``y``).
    allow_partial : build even when the extract covers less than :data:`MIN_COVERED` of
        ``area`` (an extract covering none of it is always refused).
    index : pyosmium's node-location index (see the module docstring).

    Raises BuildError with a one-line message (nothing is written here at all).
    """
    import shapely

    from locator.values.geo.distance import (
        geod,
        geometry_to_metric,
        geometry_to_wgs84,
        to_metric,
    )

    started = time.perf_counter()
    path = Path(path)
    label = city_name or Text("该城市", "the city")
    if not isinstance(margin_m, int | float) or not 0 <= margin_m <= MAX_MARGIN_M:
        raise BuildError(
            f"margin_m (--margin-m) must be 0 to {MAX_MARGIN_M:.0f} metres, not {margin_m!r}"
        )
    if not path.is_file():
        raise BuildError(f"{path}: file not found (an OpenStreetMap extract, .osm.pbf)")
    # the clip: the city buffered in metres, and its bounding box in degrees
    area_m = geometry_to_metric(area, metric_epsg)
    clip_m = area_m.buffer(margin_m)
    clip_ll = geometry_to_wgs84(clip_m, metric_epsg)
    pad = 1e-4
    cw, cs, ce, cn = clip_ll.bounds
    try:
        stamp = extract_timestamp(path)
        ways = _read_ways(path, index, (cw - pad, cs - pad, ce + pad, cn + pad))
    except (RuntimeError, OSError, ValueError) as exc:
        raise BuildError(
            f"{path.name}: not a readable OpenStreetMap extract, corrupt or truncated "
            f"({' '.join(str(exc).split())})"
        ) from None
    if ways.usable == 0:
        raise BuildError(
            f"{path.name}: no usable ways (none of its {ways.read:,} highway=* ways may be "
            "walked, ridden or driven; an extract of roads is needed)"
        )

    def elsewhere() -> BuildError:
        where = (
            ", ".join(f"{v:.3f}" for v in ways.extent)
            if math.isfinite(ways.extent[0])
            else "no located nodes"
        )
        city_box = ", ".join(f"{v:.3f}" for v in area.bounds)
        return BuildError(
            f"{path.name}: the extract covers 0 % of {label.zh} · 0 % of {label.en} "
            f"(its roads lie in {where}, the city in {city_box}; an extract of the "
            "province holding the city is needed)"
        )

    n_ways = len(ways.counts)
    if n_ways == 0:
        raise elsewhere()

    # nodes: one per OSM id; a node the extract lacks has no location and ends its edges
    refs = np.frombuffer(ways.refs, dtype=np.int64)
    ids, inverse = np.unique(refs, return_inverse=True)
    del refs
    coords = np.frombuffer(ways.lonlat, dtype=np.float64).reshape(-1, 2)
    lon = np.empty(ids.size)
    lat = np.empty(ids.size)
    lon[inverse] = coords[:, 0]
    lat[inverse] = coords[:, 1]
    del coords
    known = np.isfinite(lon) & np.isfinite(lat)

    # inside the clip: its bounding box first, cheaply, then the polygon in metres
    inside = known & (lon >= cw - pad) & (lon <= ce + pad) & (lat >= cs - pad) & (lat <= cn + pad)
    cand = np.flatnonzero(inside)
    cx, cy = to_metric(lon[cand], lat[cand], metric_epsg)
    cx, cy = np.asarray(cx, dtype=np.float64), np.asarray(cy, dtype=np.float64)
    shapely.prepare(clip_m)
    hit = shapely.contains_xy(clip_m, cx, cy)
    inside[cand[~hit]] = False
    node_mx = np.full(lon.size, np.nan)
    node_my = np.full(lon.size, np.nan)
    node_mx[cand], node_my[cand] = cx, cy

    # segments: consecutive nodes of one way, both ends inside, not a node to itself
    counts = np.frombuffer(ways.counts, dtype=np.uint32).astype(np.int64)
    rules = np.frombuffer(ways.rules, dtype=np.uint8).reshape(n_ways, 4)
    total = int(counts.sum())
    way_of = np.repeat(np.arange(n_ways, dtype=np.int64), counts)
    last = np.zeros(total, dtype=bool)
    last[np.cumsum(counts) - 1] = True
    pos = np.flatnonzero(~last)
    a, b = inverse[pos], inverse[pos + 1]
    seg_way = way_of[pos]
    del way_of, last, pos, inverse
    keep = inside[a] & inside[b] & (a != b)
    a, b, seg_way = a[keep], b[keep], seg_way[keep]
    if a.size == 0:
        covered = 0.0
    else:
        used = np.unique(np.concatenate([a, b]))
        covered = city_covered(area_m, node_mx[used], node_my[used])
    if a.size == 0 or covered == 0.0:
        raise elsewhere()
    if covered < MIN_COVERED and not allow_partial:
        raise BuildError(
            f"{path.name}: the extract covers only {_pct(covered)} % of {label.zh} · "
            f"{_pct(covered)} % of {label.en} (at least {MIN_COVERED:.0%} is needed; "
            "--allow-partial builds it anyway, and places outside it keep straight-line "
            "estimates)"
        )

    # renumber the nodes the kept edges use, compactly, in OSM id order
    new_index = np.full(lon.size, -1, dtype=np.int64)
    new_index[used] = np.arange(used.size)
    a, b = new_index[a], new_index[b]
    lon_k, lat_k = lon[used], lat[used]
    x_k, y_k = node_mx[used], node_my[used]
    _, _, length = geod().inv(lon_k[a], lat_k[a], lon_k[b], lat_k[b])
    length = np.asarray(length, dtype=np.float64)

    edges = {}
    seg_rules = rules[seg_way]
    for col, mode in enumerate(MODES, start=1):
        speed_of_class = np.array(
            [SPEEDS[mode].get(c, np.nan) / 3.6 for c in CLASSES], dtype=np.float64
        )
        direction = seg_rules[:, col]
        fwd = (direction & FORWARD) > 0
        bwd = (direction & BACKWARD) > 0
        tail = np.concatenate([a[fwd], b[bwd]])
        head = np.concatenate([b[fwd], a[bwd]])
        seg = np.concatenate([np.flatnonzero(fwd), np.flatnonzero(bwd)])
        metres = length[seg]
        seconds = metres / speed_of_class[seg_rules[seg, 0]]
        # two ways along the same pair of nodes: keep the quicker edge only
        order = np.lexsort((seconds, head, tail))
        tail, head, metres, seconds = tail[order], head[order], metres[order], seconds[order]
        first = np.ones(tail.size, dtype=bool)
        first[1:] = (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])
        edges[mode] = (tail[first], head[first], metres[first], seconds[first])

    info = NetworkInfo(
        source=path.name,
        source_sha256=file_sha256(path),
        source_timestamp=stamp,
        built_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        city_code=city_code,
        metric_epsg=int(metric_epsg),
        clip=(round(cw, 6), round(cs, 6), round(ce, 6), round(cn, 6)),
        city_covered=round(covered, 4),
        speeds={mode: dict(SPEEDS[mode]) for mode in MODES},
    )
    try:
        net = StreetNetwork.from_edges(info, lon_k, lat_k, x_k, y_k, edges)
    except DataError as exc:  # cannot happen with the arrays above; said plainly if it does
        raise BuildError(exc.message) from None
    return BuildReport(
        net,
        ways.read,
        ways.usable,
        time.perf_counter() - started,
        peak_rss_mb(),
        ids[used],
    )


def build_city_network(
    path: Path | str,
    data_dir: Path | str,
    margin_m: float = DEFAULT_MARGIN_M,
    allow_partial: bool = False,
) -> BuildReport:
    """:func:`build_network` for the data directory's city (its ``city`` polygon and the
    city profile's metric CRS). Writes nothing."""
    from locator.stores.files.read import read_city, read_reference
    from locator.values import registry
    from locator.values.errors import LocatorError

    try:
        profile = read_city(data_dir)
        city = read_reference(Path(data_dir), registry.CITY.for_city(profile))
    except LocatorError as exc:
        raise BuildError(f"the data directory {data_dir}: {exc.message}") from None
    if len(city.shapes) != 1:
        raise BuildError(f"{registry.CITY.file}: expected one city feature")
    return build_network(
        path,
        city.shapes[0],
        profile.metric_epsg,
        city_code=profile.code,
        city_name=profile.name,
        margin_m=margin_m,
        allow_partial=allow_partial,
    )


def write_network(data_dir: Path | str, net: StreetNetwork) -> tuple[Path, int]:
    """Write ``net`` as the data directory's :data:`NETWORK_FILE`, atomically (a reader
    sees the old file or the new one); returns the path and its size in bytes."""
    from locator.formats.network import network_to_bytes
    from locator.stores.files.read import write_bytes_atomic

    data = network_to_bytes(net)
    target = Path(data_dir) / NETWORK_FILE
    write_bytes_atomic(target, data)
    return target, len(data)
