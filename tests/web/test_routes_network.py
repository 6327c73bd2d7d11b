"""The rural routes on the Jiangmen TEST-FIXTURE street network (tests/network_fixture.py):
legs along its roads through the API, the downloads and the page (once in Chromium at
360 x 640); without a network every leg is labelled straight-line."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import gpxpy
import numpy as np
import pytest
from lxml import etree
from pyproj import Geod

from locator.formats.network import network_from_bytes
from locator.operations.network import ACCESS_M_PER_S, DRIVE, NETWORK_FILE
from locator.values.geo.distance import to_metric
from tests.conftest import DEFAULT_DATA_DIR, FIXTURES
from tests.operations.test_routes import brute_force_along
from tests.web.test_browser import (
    PHONE,
    PNG_1PX,
    TILE_HOST,
    browser,  # noqa: F401  (the module's Chromium)
    missing_glyphs,
    serious_axe_violations,
)

GEOD = Geod(ellps="WGS84")
ROUTED = ("rr-01", "rr-12")  # every leg along the fixture's roads
ISLANDS = "rr-03"  # 川岛: island stops that no road of the fixture reaches


@pytest.fixture(scope="module")
def net(network_data_dir):
    path = Path(network_data_dir) / NETWORK_FILE
    return network_from_bytes(path.read_bytes(), path.name)


def _walk(net, mode, coords, source, target):
    """The quickest walk through the graph of ``mode`` from node ``source`` to ``target``
    visiting, in order, a node at each of ``coords`` (WGS-84) that is a node position
    (the fixture has a few nodes sharing one): its nodes and edge positions; an
    AssertionError if two consecutive ones are not joined by an edge."""
    g = net.graphs[mode]
    where: dict[tuple[float, float], list[int]] = {}
    for i, pos in enumerate(zip(net.lon.tolist(), net.lat.tolist(), strict=True)):
        where.setdefault(pos, []).append(i)
    inner = [tuple(c) for c in coords[1:-1]]  # every inner position is a node
    if inner and inner[0] == (net.lon[source], net.lat[source]):
        inner = inner[1:]  # else the stop is on its node: no access step
    if inner and inner[-1] == (net.lon[target], net.lat[target]):
        inner = inner[:-1]
    steps = [[source], *(where[c] for c in inner), [target]]
    best = {u: (0.0, [u], []) for u in steps[0]}  # node -> (seconds, nodes, edges)
    for cands in steps[1:]:
        nxt = {}
        for v in cands:
            for u, (t, nodes, edges) in best.items():
                e = g.edge_between(u, v)
                if e >= 0 and (v not in nxt or t + g.time_s[e] < nxt[v][0]):
                    nxt[v] = (t + float(g.time_s[e]), [*nodes, v], [*edges, e])
        assert nxt, f"no edge of {mode} joins {coords[0]} ... at {cands}"
        best = nxt
    _, nodes, edges = best[target]
    return nodes, edges


@pytest.mark.parametrize("route_id", ROUTED)
def test_routed_legs_follow_the_drive_graph(network_client, net, route_id):
    body = network_client.get(f"/api/v1/routes/{route_id}").get_json()
    p, line = body["properties"], body["geometry"]["coordinates"]
    assert p["basis"] == "network" and p["along_roads_share"] == 1
    assert p["network"]["fixture"] is True and "ODbL" in p["network"]["attribution"]
    g = net.graphs[DRIVE]
    epsg = net.info.metric_epsg
    for leg, a, b in zip(p["legs"], p["stops"], p["stops"][1:], strict=False):
        assert leg["basis"] == "network" and leg["coach"]["reason"] is None
        first, last = leg["coords"]
        course = line[first : last + 1]
        assert course[0] == [a["lon"], a["lat"]] and course[-1] == [b["lon"], b["lat"]]
        ends = np.array(to_metric([a["lon"], b["lon"]], [a["lat"], b["lat"]], epsg))
        first_last = net.snap(DRIVE, *ends).node.tolist()
        nodes, picked = _walk(net, DRIVE, course, *first_last)  # each pair an edge
        access = np.hypot(ends[0] - net.x[first_last], ends[1] - net.y[first_last])
        length = float(g.length_m[picked].sum() + access.sum())
        assert leg["length_m"] == pytest.approx(length, abs=0.2)
        assert leg["length_m"] >= GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])[2]
        # the quickest path, not just a path: its time is the graph's shortest time
        seconds = float(g.time_s[picked].sum())
        assert seconds == pytest.approx(net.times_from(DRIVE, nodes[0])[nodes[-1]], rel=1e-5)
        minutes = (seconds + access.sum() / ACCESS_M_PER_S[DRIVE]) / 60
        assert leg["coach"]["minutes"] == pytest.approx(minutes, abs=0.06)
        assert b["position_m"] - a["position_m"] == pytest.approx(leg["length_m"], abs=0.3)
    assert p["length_m"] == pytest.approx(sum(leg["length_m"] for leg in p["legs"]), abs=1)


def test_an_unroutable_leg_stays_straight_and_says_so(network_client):
    body = network_client.get(f"/api/v1/routes/{ISLANDS}").get_json()
    p = body["properties"]
    assert p["basis"] == "straight" and p["along_roads_share"] == 0 and p["network"] is None
    # the islands' streets are not joined to the main network: off it (or, where a
    # stop lies within 1 km of the mainland, no path within the search's limit)
    reasons = {(leg["basis"], leg["coach"]["reason"]) for leg in p["legs"]}
    assert ("straight", "off_network") in reasons
    assert reasons <= {("straight", "off_network"), ("straight", "no_path")}
    assert body["geometry"]["coordinates"] == [[s["lon"], s["lat"]] for s in p["stops"]]
    page = network_client.get(f"/routes/{ISLANDS}").get_data(as_text=True)
    assert page.count('data-basis="straight"') >= len(p["legs"])
    assert "直线 · straight line" in page and "没有连通主路网的道路" in page


def test_downloads_carry_the_road_course(network_client):
    body = network_client.get("/api/v1/routes/rr-01").get_json()
    line, legs = body["geometry"]["coordinates"], body["properties"]["legs"]
    text = network_client.get("/api/v1/routes/rr-01.gpx").get_data(as_text=True)
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "gpx-1.1.xsd")))
    assert schema.validate(etree.fromstring(text.encode())), schema.error_log
    gpx = gpxpy.parse(text)
    assert [[[p.longitude, p.latitude] for p in s.points] for s in gpx.tracks[0].segments] == [
        line[leg["coords"][0] : leg["coords"][1] + 1] for leg in legs
    ]
    assert "沿道路" in gpx.tracks[0].description and "OpenStreetMap" in gpx.copyright_author
    kml = etree.fromstring(network_client.get("/api/v1/routes/rr-01.kml").data)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    lines = kml.findall(".//k:Placemark/k:LineString/k:coordinates", ns)
    assert sum(len(c.text.split()) for c in lines) == len(line) + len(legs) - 1
    geo = json.loads(network_client.get("/api/v1/routes/rr-01.geojson").data)["features"][0]
    assert geo["geometry"]["coordinates"] == line and "ODbL" in geo["properties"]["attribution"]


def test_without_a_network_every_leg_says_straight(client):
    p = client.get("/api/v1/routes/rr-01").get_json()["properties"]
    assert p["basis"] == "straight" and p["network"] is None
    assert {leg["coach"]["reason"] for leg in p["legs"]} == {"no_network"}
    page = client.get("/routes/rr-01").get_data(as_text=True)
    assert "未载入道路网" in page and "沿道路 · along roads" not in page


#: the lines on the page's map: [solid?, vertices] each
LINES_DRAWN = """() => {
  const name = Object.keys(window).find((k) => k.startsWith('map_') && window[k] instanceof L.Map);
  const out = [];
  window[name].eachLayer((l) => {
    if (l instanceof L.Polyline && !(l instanceof L.Polygon)) {
      out.push([!l.options.dashArray, l.getLatLngs().length]);
    }
  });
  return out;
}"""


def drawn_courses(client, route_id):
    body = client.get(f"/api/v1/routes/{route_id}").get_json()
    line = body["geometry"]["coordinates"]
    return [line[a : b + 1] for a, b in (leg["coords"] for leg in body["properties"]["legs"])]


def test_the_route_page_on_a_phone_along_roads(browser, network_app):  # noqa: F811
    """The page in Chromium at 360 x 640, served from the app in-process: the legs say
    along roads, the map draws one line a leg, axe finds nothing serious."""
    client = network_app.test_client()
    base = "http://locator.test"

    def answer(route):
        url = urlparse(route.request.url)
        if url.netloc == "locator.test":
            resp = client.get(url.path + (f"?{url.query}" if url.query else ""))
            headers = {k: v for k, v in resp.headers.items() if k.lower() != "content-length"}
            body = resp.get_data()
            resp.close()
            route.fulfill(status=resp.status_code, headers=headers, body=body)
        elif url.netloc.endswith(TILE_HOST):
            route.fulfill(status=200, content_type="image/png", body=PNG_1PX)
        else:
            route.abort()

    ctx = browser.new_context(**PHONE)
    try:
        ctx.route("**/*", answer)
        page = ctx.new_page()
        page.goto(base + "/routes/rr-02")
        page.wait_for_selector(".route-stop")
        legs = page.locator("ol.legs li")
        assert legs.count() == 3
        assert legs.nth(0).locator(".basis").inner_text() == "沿道路 · along roads"
        assert "直线估算" in legs.nth(1).inner_text()  # the bike has no path there
        drawn = page.evaluate(LINES_DRAWN)
        assert drawn == [[True, len(c)] for c in drawn_courses(client, "rr-02")]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
        assert serious_axe_violations(page) == []
        assert missing_glyphs(page) == []
    finally:
        ctx.close()


def test_facilities_along_are_measured_from_the_roads(network_client):
    """Within 2 km of the road course, not of the straight line: the same brute force as
    the straight routes' test, on the line the API gives."""
    facilities = []
    for layer in ("love_stations", "service_centers", "mothers_rooms"):
        text = (DEFAULT_DATA_DIR / f"{layer}.geojson").read_text("utf-8")
        facilities += json.loads(text)["features"]
    differs = 0
    for route_id in ROUTED:
        body = network_client.get(f"/api/v1/routes/{route_id}").get_json()
        line, got = body["geometry"]["coordinates"], body["properties"]["along"]
        expected = brute_force_along(line, facilities)
        assert {a["id"] for a in got} == set(expected)
        for a in got:
            off, pos = expected[a["id"]]
            assert a["distance_off_m"] == pytest.approx(off, abs=1)
            assert a["position_m"] == pytest.approx(pos, abs=2)
        stops = [[s["lon"], s["lat"]] for s in body["properties"]["stops"]]
        differs += set(expected) != set(brute_force_along(stops, facilities))
    assert differs


def test_the_answers_keep_to_the_openapi_document(network_client):
    """Routed, mixed and straight routes match the RouteDetails schema the API publishes."""
    from openapi_schema_validator import OAS30Validator

    doc = network_client.get("/api/v1/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/RouteDetails", "components": doc["components"]}
    validator = OAS30Validator(schema)
    for route_id in ("rr-01", "rr-02", ISLANDS):
        body = network_client.get(f"/api/v1/routes/{route_id}").get_json()
        assert [e.message for e in validator.iter_errors(body)] == [], route_id
    body["properties"]["legs"][0]["basis"] = "roads"  # the schema can tell
    assert list(validator.iter_errors(body))


def test_no_note_calls_a_route_along_the_roads_straight(network_client):
    """The list's note, the route's geometry note and its GeoJSON download follow the
    basis: a route wholly along the roads is not described as straight lines."""
    listing = network_client.get("/api/v1/routes").get_json()
    assert "沿道路" in listing["illustrative_note"]
    routed = [f for f in listing["features"] if f["properties"]["basis"] == "network"]
    assert routed
    rid = routed[0]["id"]
    props = network_client.get(f"/api/v1/routes/{rid}").get_json()["properties"]
    download = network_client.get(f"/api/v1/routes/{rid}.geojson").get_json()
    for text in (
        props["geometry_note"],
        download["features"][0]["properties"]["geometry_note"],
        download["features"][0]["properties"]["note"],
    ):
        assert "straight" not in text and "直线" not in text, text
        assert "沿道路" in text


def test_the_route_list_page_does_not_call_routes_along_the_roads_straight(network_client, client):
    page = network_client.get("/routes?lang=en").get_data(as_text=True)
    assert "legs follow the roads where they can" in page
    assert "segments are straight lines, not roads" not in page
    plain = client.get("/routes?lang=en").get_data(as_text=True)  # no network
    assert "segments are straight lines, not roads" in plain
