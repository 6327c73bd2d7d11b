"""The rider's journeys along the streets, through the API and the pages, on the Jiangmen
TEST-FIXTURE network (tests/network_fixture.py: a lattice with a river crossed at two
bridges): nearest re-ranked by travel time, open on arrival by it, the trip to a place,
the labels, the fallbacks, the credit; and the same answers from PostGIS."""

import datetime as dt

import pytest

from locator.operations.hours import TZ
from locator.operations.nearest import NETWORK, ORIGIN_OFF, STRAIGHT, NearestQuery
from locator.operations.network_nearest import snap_origin
from locator.values.models import Point

ODBL = "© OpenStreetMap contributors (ODbL)"


@pytest.fixture(scope="module")
def svc(network_app):
    return network_app.extensions["locator.services"].current()


@pytest.fixture(scope="module")
def seats(svc):
    return sorted(svc.store.reference.towns.values(), key=lambda t: t.code)


def nearest(client, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    resp = client.get(f"/api/v1/nearest?{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.get_json()


def test_nearest_is_ranked_along_the_streets(network_client, svc, seats):
    """Every town seat: results in order of network time (ties by id), each labelled,
    its network distance never below the straight one; somewhere the river makes the
    quickest place another than the nearest in a straight line."""
    reordered = 0
    for town in seats[::4]:
        body = nearest(network_client, lon=town.lon, lat=town.lat, travel="ebike", k=5)
        basis = body["travel_basis"]
        assert basis["measured"] in (NETWORK, "mixed")
        assert basis["network"]["attribution"] == ODBL and basis["network"]["fixture"] is True
        rows = [f["properties"] for f in body["features"]]
        assert rows
        keys = []
        for p in rows:
            if p["measured"] == NETWORK:
                assert p["measured_reason"] is None
                assert p["distance_m"] >= p["straight_m"] * (1 - 1e-3)
                keys.append((p["network_min"], p["id"]))
            else:
                assert p["measured_reason"] in ("facility-off-network", "unreachable")
                assert p["network_min"] is None and p["distance_m"] == p["straight_m"]
                keys.append((p["ebike_min"], p["id"]))
        assert [k[0] for k in keys] == sorted(k[0] for k in keys)
        straight = svc.store.nearest(
            NearestQuery(Point(town.lon, town.lat), tuple(svc.layer_ids()), k=5),
            dt.datetime.now(TZ),
        )
        reordered += [p["id"] for p in rows] != [r.facility.id for r in straight]
    assert reordered, "along the streets, some answer differs from the straight-line one"


def test_the_api_returns_both_figures_and_the_page_says_which(network_client, seats):
    town = seats[0]
    body = nearest(network_client, lon=town.lon, lat=town.lat, travel="walk", k=3)
    first = body["features"][0]["properties"]
    assert {"distance_m", "straight_m", "network_min", "walk_min", "ebike_min"} <= set(first)
    assert first["estimate"] is True  # walk_min / ebike_min stay today's estimates
    for lang, label, credit in (
        ("zh", "沿道路", "道路网络 "),
        ("en", "along streets", "Street network "),
    ):
        html = network_client.get(
            f"/?lon={town.lon}&lat={town.lat}&travel=ebike&lang={lang}"
        ).get_data(as_text=True)
        assert f'<small class="basis">{label}</small>' in html
        assert ("骑行 " if lang == "zh" else "By e-bike ") in html
        assert f"{credit}{ODBL}" in html  # the footer: the times are network times
        assert 'class="note network-note"' in html


def test_off_the_network_the_answer_is_straight_and_says_so(network_client, svc):
    """Far outside the network's area: today's estimates, each labelled with why."""
    body = nearest(network_client, lon=116.39, lat=39.91, k=2)
    assert body["travel_basis"]["measured"] == STRAIGHT
    assert body["travel_basis"]["straight_reasons"] == [ORIGIN_OFF]
    for f in body["features"]:
        p = f["properties"]
        assert (p["measured"], p["measured_reason"]) == (STRAIGHT, ORIGIN_OFF)
        assert p["network_min"] is None and p["distance_m"] == p["straight_m"]
    assert snap_origin(svc.network, "walk", 116.39, 39.91) is None
    html = network_client.get("/?lon=116.39&lat=39.91").get_data(as_text=True)
    assert 'class="sample-banner origin-off"' in html and "直线估算" in html
    assert "network-credit" not in html  # no network times: no network credit in the footer


def test_without_a_network_the_answer_says_straight_line(client):
    body = nearest(client, lon=113.0815, lat=22.5787, k=2)
    assert body["travel_basis"] == {
        "measured": STRAIGHT,
        "straight_reasons": ["no-network"],
        "network": None,
    }
    assert {f["properties"]["measured_reason"] for f in body["features"]} == {"no-network"}
    html = client.get("/map").get_data(as_text=True)
    assert "addAttribution(" in html and "OpenStreetMap contributors" not in html


def test_open_on_arrival_and_the_trip_use_the_network_time(network_client, seats):
    """A place open now that closes before the rider arrives along the streets is left
    out; the trip to it says the same time as the nearest answer."""
    town = seats[3]
    at = "2026-11-24T10:00"  # a Tuesday morning
    body = nearest(network_client, lon=town.lon, lat=town.lat, travel="walk", k=10, at=at)
    rows = [f["properties"] for f in body["features"] if f["properties"]["measured"] == NETWORK]
    row = rows[-1]
    trip = network_client.get(
        f"/api/v1/facilities/{row['id']}?lon={town.lon}&lat={town.lat}&travel=walk&at={at}"
    ).get_json()["properties"]
    assert trip["trip"]["measured"] == NETWORK
    assert trip["trip"]["network_min"] == row["network_min"]
    assert trip["trip"]["distance_m"] == row["distance_m"]
    assert trip["trip"]["trip_text"]["zh"].endswith("沿道路")
    assert trip["network"]["attribution"] == ODBL
    # the arrival the filter reads is the network time's
    arrive = dt.datetime.fromisoformat(row["hours_on_arrival"]["at"])
    start = dt.datetime.fromisoformat(at).replace(tzinfo=TZ)
    assert (arrive - start).total_seconds() / 60 == pytest.approx(row["network_min"], abs=1.0)
    html = network_client.get(
        f"/f/{row['id']}?lon={town.lon}&lat={town.lat}&travel=walk&at={at}"
    ).get_data(as_text=True)
    assert 'class="meta trip" data-measured="network"' in html and "沿道路" in html


def test_every_map_credits_the_street_network(network_client):
    """The credit is on the map's attribution line (a script string, JSON-escaped)."""
    import json

    for lang, credit in (("zh", f"道路网络 {ODBL}"), ("en", f"Street network {ODBL}")):
        route = _first_route(network_client)
        for path in ("/map", "/f/sc-0001", f"/routes/{route}"):
            html = network_client.get(f"{path}?lang={lang}").get_data(as_text=True)
            assert f"addAttribution({json.dumps(credit)})" in html, path


def _first_route(client) -> str:
    return client.get("/api/v1/routes").get_json()["features"][0]["id"]


def test_postgis_answers_as_the_files_do(pg_server, network_data_dir, network_client, seats):
    """The same network, the same answers, from the PostGIS store."""
    from locator.web import create_app

    url = pg_server.database("network", network_data_dir)
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(network_data_dir),
            "WATCH_DATA": False,
            "DATABASE_URL": url,
        }
    )
    pg = app.test_client()
    for town in seats[1::20]:
        for travel in ("walk", "ebike"):
            args = dict(lon=town.lon, lat=town.lat, travel=travel, k=4, at="2026-11-24T10:00")
            files, base = nearest(network_client, **args), nearest(pg, **args)
            assert base["features"] == files["features"]
            assert base["travel_basis"] == files["travel_basis"]


def _json_schema(node):
    """OpenAPI 3.0's ``nullable`` as JSON Schema's ``["type", "null"]``."""
    if isinstance(node, dict):
        out = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") and "type" in node:
            out["type"] = [node["type"], "null"]
        return out
    if isinstance(node, list):
        return [_json_schema(v) for v in node]
    return node


def test_the_answers_along_the_streets_match_the_openapi_document(network_client, seats):
    """The nearest answer and the trip, network figures in them, as the document says."""
    import jsonschema

    doc = _json_schema(network_client.get("/api/v1/openapi.json").get_json())
    town = seats[5]

    def check(body, name):
        schema = {**doc["components"]["schemas"][name], "components": doc["components"]}
        jsonschema.validate(body, schema)

    body = nearest(network_client, lon=town.lon, lat=town.lat, travel="ebike", per_layer="true")
    assert body["travel_basis"]["measured"] != STRAIGHT
    check(body, "NearestCollection")
    check(nearest(network_client, lon=116.39, lat=39.91), "NearestCollection")
    fid = body["features"][0]["id"]
    trip = network_client.get(f"/api/v1/facilities/{fid}?lon={town.lon}&lat={town.lat}")
    check(trip.get_json(), "FacilityDetails")


def test_a_hostile_network_attribution_stays_text(tmp_path, network_data_dir):
    """The network file's attribution reaches the maps' attribution line (which Leaflet
    puts in as HTML) and the phone page's footer: escaped in both."""
    import dataclasses
    import shutil

    from locator.formats.network import network_from_bytes, network_to_bytes
    from locator.operations.network import NETWORK_FILE
    from locator.web import create_app

    data = tmp_path / "data"
    shutil.copytree(network_data_dir, data)
    net = network_from_bytes((data / NETWORK_FILE).read_bytes())
    hostile = '<img src=x onerror="alert(1)"><a href="https://evil.example/">OSM</a>'
    info = dataclasses.replace(net.info, attribution=hostile)
    (data / NETWORK_FILE).write_bytes(network_to_bytes(dataclasses.replace(net, info=info)))
    app = create_app({"TESTING": True, "DATA_DIR": str(data), "WATCH_DATA": False})
    client = app.test_client()
    page = client.get("/map").get_data(as_text=True)
    assert "\\u003cimg" not in page and "<img src=x" not in page
    assert "\\u0026lt;img src=x" in page  # &lt;img ... as a JSON string: text, not markup
    phone = client.get("/?lon=113.08&lat=22.58&travel=ebike").get_data(as_text=True)
    assert "<img src=x" not in phone and "&lt;img src=x" in phone
