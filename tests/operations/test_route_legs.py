"""Route legs along a street network: a small hand-made grid (StreetNetwork.from_edges), its
shortest paths checked against networkx, and the downloads that carry the road course."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from lxml import etree
from pyproj import Geod, Transformer

from locator.operations.network import DRIVE, EBIKE, NetworkInfo, StreetNetwork
from locator.operations.routes import (
    NETWORK,
    NO_NETWORK,
    OFF_NETWORK,
    STRAIGHT,
    route_details,
    route_legs,
)
from locator.values.models import Feature
from tests.conftest import FIXTURES

EPSG = 32649
TO_WGS = Transformer.from_crs(f"EPSG:{EPSG}", "EPSG:4326", always_xy=True)
GEOD = Geod(ellps="WGS84")
X0, Y0 = 650_000.0, 2_490_000.0  # near 江门 in UTM 49N
SIDE, STEP = 16, 250.0  # a 16 x 16 grid, 250 m apart: 3.75 km a side


def _wgs(x, y):
    return TO_WGS.transform(x, y)


@pytest.fixture(scope="module")
def grid():
    """A grid with random speeds on its streets (so that the quickest path is not the
    obvious one), plus an island of two nodes 3 km east that no street reaches and a
    cycle bridge (bikes only) leads to: on the bikes' network, off the cars'."""
    rng = np.random.default_rng(24)
    xs, ys = np.meshgrid(np.arange(SIDE) * STEP + X0, np.arange(SIDE) * STEP + Y0)
    x = np.concatenate([xs.ravel(), [X0 + 7_000, X0 + 7_200]])
    y = np.concatenate([ys.ravel(), [Y0, Y0]])
    lon, lat = _wgs(x, y)
    pairs = []
    for r in range(SIDE):
        for c in range(SIDE):
            u = r * SIDE + c
            if c + 1 < SIDE:
                pairs.append((u, u + 1))
            if r + 1 < SIDE:
                pairs.append((u, u + SIDE))
    island = SIDE * SIDE
    pairs.append((island, island + 1))
    a, b = np.array(pairs).T
    tail, head = np.concatenate([a, b]), np.concatenate([b, a])
    _, _, length = GEOD.inv(lon[tail], lat[tail], lon[head], lat[head])
    edges = {}
    for mode, (lo, hi) in {DRIVE: (20, 60), EBIKE: (12, 20)}.items():
        kmh = rng.uniform(lo, hi, tail.size)
        edges[mode] = (tail, head, length, length / (kmh / 3.6))
    # a cycle bridge from the grid's south-east corner to the island: bikes only
    corner = SIDE - 1
    _, _, bridge = GEOD.inv(lon[corner], lat[corner], lon[island], lat[island])
    t, h, m, s = edges[EBIKE]
    edges[EBIKE] = (
        np.append(t, [corner, island]), np.append(h, [island, corner]),
        np.append(m, [bridge, bridge]), np.append(s, [bridge / (15 / 3.6)] * 2),
    )  # fmt: skip
    info = NetworkInfo(
        "grid", "0" * 64, None, "2026-12-05T00:00:00Z", "440700", EPSG,
        (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())), 1.0,
        {DRIVE: {"residential": 20.0}, EBIKE: {"residential": 12.0}}, fixture=True,
    )  # fmt: skip
    return StreetNetwork.from_edges(info, lon, lat, x, y, edges), edges


def _stops():
    """A and B inside the grid (off its nodes by tens of metres), C beside the island
    (off the network: the island's streets are not joined to the main network, only the
    cycle bridge leads there), D 20 km away (off the network)."""
    return [
        _wgs(X0 + 260, Y0 + 540),
        _wgs(X0 + 3_460, Y0 + 2_980),
        _wgs(X0 + 7_050, Y0 + 30),
        _wgs(X0 + 27_000, Y0),
    ]


def _node_of(net, lon, lat):
    (i,) = np.flatnonzero((net.lon == lon) & (net.lat == lat))
    return int(i)


def test_a_leg_follows_the_graph_and_equals_networkx(grid):
    net, edges = grid
    legs = route_legs(_stops(), net)
    assert [leg.basis for leg in legs] == [NETWORK, STRAIGHT, STRAIGHT]
    assert [leg.coach.reason for leg in legs] == ["", OFF_NETWORK, OFF_NETWORK]
    leg = legs[0]
    # the course: stop, the path's nodes, stop; each consecutive pair of nodes an edge
    assert leg.coords[0] == _stops()[0] and leg.coords[-1] == _stops()[1]
    nodes = [_node_of(net, lon, lat) for lon, lat in leg.coords[1:-1]]
    g = net.graphs[DRIVE]
    picked = [g.edge_between(u, v) for u, v in zip(nodes, nodes[1:], strict=False)]
    assert len(nodes) > 10 and min(picked) >= 0
    # length: the access legs (metres in UTM) plus the edges' lengths, never below the
    # straight line
    sx, sy = Transformer.from_crs("EPSG:4326", f"EPSG:{EPSG}", always_xy=True).transform(
        *np.array([leg.coords[0], leg.coords[-1]]).T
    )
    access = np.hypot(sx - net.x[[nodes[0], nodes[-1]]], sy - net.y[[nodes[0], nodes[-1]]])
    assert leg.length_m == pytest.approx(access.sum() + g.length_m[picked].sum(), rel=1e-6)
    straight = GEOD.inv(*leg.coords[0], *leg.coords[-1])[2]
    assert leg.length_m >= straight
    # the time: networkx on the same edges, independently
    dg = nx.DiGraph()
    tail, head, _, time = edges[DRIVE]
    dg.add_weighted_edges_from(zip(tail.tolist(), head.tolist(), time.tolist(), strict=True))
    expected = nx.dijkstra_path_length(dg, nodes[0], nodes[-1])
    assert leg.coach.minutes * 60 == pytest.approx(
        expected + float(net.access_s(DRIVE, access.sum())), rel=1e-5
    )
    # the bike has its own graph and times, along the roads too
    assert leg.bike.basis == NETWORK and leg.bike.minutes > leg.coach.minutes
    # the bike crosses the cycle bridge to the island and back; for the coach the island
    # is off the network (its two nodes are not joined to the grid)
    assert legs[1].bike.basis == NETWORK and legs[1].bike.length_m > legs[1].coach.length_m
    (back,) = route_legs([_stops()[2], _stops()[1]], net)
    assert (back.coach.reason, back.bike.basis) == (OFF_NETWORK, NETWORK)
    # the straight legs keep the stops as their course and today's estimates
    assert legs[1].coords == (_stops()[1], _stops()[2])
    assert legs[2].length_m == pytest.approx(GEOD.inv(*_stops()[2], *_stops()[3])[2])


def test_without_a_network_every_leg_is_straight(grid):
    legs = route_legs(_stops()[:3], None)
    assert {(leg.basis, leg.coach.reason, leg.bike.reason) for leg in legs} == {
        (STRAIGHT, NO_NETWORK, NO_NETWORK)
    }


@pytest.fixture(scope="module")
def details(grid):
    net, _ = grid
    stops = _stops()
    feature = Feature(
        "g",
        "rural_routes",
        {"type": "LineString", "coordinates": [list(s) for s in stops]},
        {
            "id": "g",
            "name": "测试路线",
            "name_en": "Test route",
            "theme": "t",
            "source": "sample",
            "stops": [{"name": f"站{i}", "lon": s[0], "lat": s[1]} for i, s in enumerate(stops)],
        },
    )
    return route_details(feature, {}, EPSG, net)


def test_the_route_is_its_legs_joined(details):
    s = details.summary
    legs = details.legs
    assert s.basis == "mixed" and s.network_fixture and "ODbL" in s.network_attribution
    line = s.geometry["coordinates"]
    assert line[0] == list(legs[0].coords[0]) and line[-1] == list(legs[-1].coords[-1])
    assert len(line) == sum(len(leg.coords) - 1 for leg in legs) + 1
    assert s.length_m == pytest.approx(sum(leg.length_m for leg in legs))
    assert s.along_roads_share == pytest.approx(legs[0].length_m / s.length_m)
    assert s.coach_min == pytest.approx(sum(leg.coach.minutes for leg in legs))
    assert s.bike_min == pytest.approx(sum(leg.bike.minutes for leg in legs))
    # stops sit at the running sum of the legs before them
    assert [st.position_m for st in details.stops] == pytest.approx(
        np.concatenate([[0], np.cumsum([leg.length_m for leg in legs])]).tolist()
    )


def test_downloads_carry_the_road_course_and_say_which_legs_are_straight(details):
    import gpxpy

    from locator.formats.routes import route_to_geojson, route_to_gpx, route_to_kml

    text = route_to_gpx(details)
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "gpx-1.1.xsd")))
    assert schema.validate(etree.fromstring(text.encode())), schema.error_log
    gpx = gpxpy.parse(text)
    segments = gpx.tracks[0].segments
    assert [[(p.longitude, p.latitude) for p in seg.points] for seg in segments] == [
        list(leg.coords) for leg in details.legs
    ]
    desc = gpx.tracks[0].description
    assert "1 → 2 沿道路" in desc and "2 → 3 直线" in desc and "3 → 4 直线" in desc
    assert "odbl" in gpx.copyright_license.lower()

    ns = {"k": "http://www.opengis.net/kml/2.2"}
    doc = etree.fromstring(route_to_kml(details).encode())
    lines = [m for m in doc.findall(".//k:Placemark", ns) if m.find("k:LineString", ns) is not None]
    assert [m.findtext("k:name", namespaces=ns) for m in lines] == ["1 → 2", "2 → 3", "3 → 4"]
    first = lines[0].findtext("k:LineString/k:coordinates", namespaces=ns).split()
    # flat: pytest.approx takes no nested sequences (9.2 refuses them)
    got = [float(v) for c in first for v in c.split(",")[:2]]
    assert got == pytest.approx([v for xy in details.legs[0].coords for v in xy])
    assert "along roads" in lines[0].findtext("k:description", namespaces=ns)
    assert "straight line" in lines[2].findtext("k:description", namespaces=ns)

    body = json.loads(json.dumps(route_to_geojson(details)))
    line = body["features"][0]
    assert line["geometry"]["coordinates"] == details.summary.geometry["coordinates"]
    assert [leg["basis"] for leg in line["properties"]["legs"]] == [NETWORK, STRAIGHT, STRAIGHT]
    assert [leg["reason"] for leg in line["properties"]["legs"]] == [
        None,
        OFF_NETWORK,
        OFF_NETWORK,
    ]
    a, b = line["properties"]["legs"][0]["coords"]
    assert line["geometry"]["coordinates"][a : b + 1] == [list(c) for c in details.legs[0].coords]
    assert "ODbL" in line["properties"]["attribution"]
