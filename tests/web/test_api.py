"""The JSON API end to end through Flask's test client."""

import gzip
import json

import pytest

from locator.values.geo import crs
from locator.values.geo.distance import geodesic_distance_m
from tests.both_stores import BOTH_STORES

STORES = BOTH_STORES  # every test here runs on the files and on PostGIS

LAYERS = ["love_stations", "mothers_rooms", "service_centers", "book_rooms"]


def test_nearest_defaults(client):
    resp = client.get("/api/v1/nearest?lon=113.0815&lat=22.5787")
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    body = resp.get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 5
    assert body["in_service_area"] is True and body["distance_to_service_area_m"] == 0
    assert "估算" in body["estimate_note"]["zh"] and "estimate" in body["estimate_note"]["en"]
    dists = [f["properties"]["distance_m"] for f in body["features"]]
    assert dists == sorted(dists)
    props = body["features"][0]["properties"]
    for key in (
        "distance_m",
        "bearing_deg",
        "walk_min",
        "ebike_min",
        "hours",
        "hours_on_arrival",
        "name",
        "source",
    ):
        assert key in props
    assert props["estimate"] is True
    lon, lat = body["features"][0]["geometry"]["coordinates"]
    assert geodesic_distance_m(113.0815, 22.5787, lon, lat) == pytest.approx(dists[0], abs=0.1)


def test_nearest_layers_and_k(client):
    body = client.get(
        "/api/v1/nearest?lon=113.08&lat=22.58&layer=mothers_rooms,book_rooms&k=12"
    ).get_json()
    assert len(body["features"]) == 12
    assert {f["properties"]["layer"] for f in body["features"]} <= {"mothers_rooms", "book_rooms"}


def test_repeated_layer_parameters(client):
    body = client.get(
        "/api/v1/nearest?lon=113.08&lat=22.58&layer=love_stations&layer=service_centers&k=50"
    ).get_json()
    assert {f["properties"]["layer"] for f in body["features"]} == {
        "love_stations",
        "service_centers",
    }


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_nearest_converts_input_coordinates(client, truth, system):
    fac = truth.store.layers["love_stations"].facilities[10]
    lon, lat = crs.from_wgs84(fac.lon, fac.lat, crs.CoordSystem(system))
    body = client.get(
        f"/api/v1/nearest?lon={lon}&lat={lat}&coord={system}&layer=love_stations&k=1"
    ).get_json()
    assert body["features"][0]["id"] == fac.id
    assert body["features"][0]["properties"]["distance_m"] < 1.0
    assert body["query"]["input_coord"] == system
    # without the conversion the same numbers are ~600 m off
    raw = client.get(f"/api/v1/nearest?lon={lon}&lat={lat}&layer=love_stations&k=1").get_json()
    assert geodesic_distance_m(lon, lat, fac.lon, fac.lat) > 300
    assert raw["query"]["lon"] == pytest.approx(lon)


def test_far_point_still_answers(client):
    body = client.get("/api/v1/nearest?lon=116.391&lat=39.907&k=1").get_json()
    assert body["in_service_area"] is False
    assert 1_500_000 < body["distance_to_service_area_m"] < 2_500_000
    assert len(body["features"]) == 1


def test_amenity_and_open_now_filters(client):
    body = client.get(
        "/api/v1/nearest?lon=113.08&lat=22.58&layer=love_stations&k=10"
        "&amenity=microwave,charging&open_now=true&at=2026-11-24T23:30"
    ).get_json()
    assert body["features"]
    for f in body["features"]:
        p = f["properties"]
        assert {"microwave", "charging"} <= set(p["amenities"])
        assert p["hours_on_arrival"]["state"] in ("open", "unknown")


def test_at_parameter_sets_hours_time(client):
    body = client.get(
        "/api/v1/nearest?lon=113.08&lat=22.58&layer=service_centers&k=1&at=2026-10-01T10:00"
    ).get_json()
    hours = body["features"][0]["properties"]["hours"]
    assert hours["at"] == "2026-10-01T10:00+08:00" and hours["state"] == "closed"


ERRORS = [
    ("", "lon", "lon is required"),
    ("lon=113", "lat", "lat is required"),
    ("lon=abc&lat=22", "lon", "must be a number"),
    ("lon=113&lat=nan", "lat", "finite"),
    ("lon=inf&lat=22", "lon", "finite"),
    ("lon=113&lat=-Infinity", "lat", "finite"),
    ("lon=200&lat=22", "lon", "between -180 and 180"),
    ("lon=113&lat=95", "lat", "between -90 and 90"),
    ("lon=113&lat=22&k=0", "k", "from 1 to 50"),
    ("lon=113&lat=22&k=51", "k", "from 1 to 50"),
    ("lon=113&lat=22&k=2.5", "k", "integer"),
    ("lon=113&lat=22&amenity=sauna", "amenity", "unknown amenity sauna"),
    ("lon=113&lat=22&coord=mercator", "coord", "wgs84, gcj02, bd09"),
    ("lon=113&lat=22&at=soon", "at", "ISO 8601"),
    ("lon=113&lat=22&open_now=perhaps", "open_now", "true or false"),
    ("lon=113&lat=22&max_distance_m=-5", "max_distance_m", "positive"),
    ("lon=113&lat=22&max_distance_m=nan", "max_distance_m", "positive"),
    ("town=", "town", "empty"),
    ("town=12ab", "town", "9-digit"),
    ("town=440799999", "town", "unknown town code"),
    ("lon=113&lat=22&town=x", "town", "9-digit"),
]


@pytest.mark.parametrize(("query", "param", "message"), ERRORS)
def test_nearest_errors_name_the_parameter(client, query, param, message):
    resp = client.get(f"/api/v1/nearest?{query}")
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["param"] == param
    assert message in body["detail"]


def test_unknown_layer_parameter_is_400_listing_the_valid_ones(client):
    """A bad value of a query parameter is the client's bad request (400), not a missing
    resource (404, which stays for unknown ids in the path)."""
    resp = client.get("/api/v1/nearest?lon=113&lat=22.5&layer=love_stations,toilets")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["param"] == "layer" and body["valid"] == LAYERS
    assert "toilets" in body["detail"]


def test_layer_geojson_with_bbox_and_limit(client):
    body = client.get("/api/v1/layers/love_stations").get_json()
    assert len(body["features"]) == 133 and body["sample"] is True
    box = "113.0,22.5,113.1,22.6"
    inside = client.get(f"/api/v1/layers/love_stations?bbox={box}").get_json()
    assert 0 < inside["numberMatched"] < 133
    for f in inside["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert 113.0 <= lon <= 113.1 and 22.5 <= lat <= 22.6
    limited = client.get("/api/v1/layers/book_rooms?limit=7").get_json()
    assert len(limited["features"]) == 7 and limited["numberMatched"] == 706


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=0,10,1,5", "bbox"),
        ("limit=0", "limit"),
    ],
)
def test_layer_errors(client, query, param):
    resp = client.get(f"/api/v1/layers/love_stations?{query}")
    assert resp.status_code == 400 and resp.get_json()["param"] == param


def test_unknown_layer_path(client):
    resp = client.get("/api/v1/layers/nope")
    assert resp.status_code == 404 and resp.get_json()["valid"] == LAYERS


def test_etag_cache_control_and_if_none_match(client):
    resp = client.get("/api/v1/layers/love_stations")
    assert set(resp.headers["Cache-Control"].split(", ")) == {"public", "no-cache"}
    etag = resp.headers["ETag"]
    again = client.get("/api/v1/layers/love_stations", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get("/api/v1/layers/love_stations?limit=3", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_gzip_when_accepted(client):
    plain = client.get("/api/v1/layers/book_rooms")
    zipped = client.get("/api/v1/layers/book_rooms", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert len(zipped.data) < len(plain.data) / 4
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    etag = zipped.headers["ETag"]
    again = client.get(
        "/api/v1/layers/book_rooms", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304


def test_facility(client):
    resp = client.get("/api/v1/facilities/ls-0001")
    assert resp.status_code == 200 and resp.get_json()["properties"]["layer"] == "love_stations"
    missing = client.get("/api/v1/facilities/ls-9999")
    assert missing.status_code == 404 and "ls-9999" in missing.get_json()["detail"]


def test_wrong_method_is_405_with_allow(client):
    resp = client.post("/api/v1/nearest?lon=113&lat=22")
    assert resp.status_code == 405 and "GET" in resp.headers["Allow"]
    assert resp.mimetype == "application/problem+json"


# eviltransform's published pairs (wgs lat, wgs lon, gcj lat, gcj lon), see test_crs.py
@pytest.mark.parametrize(
    ("wlat", "wlon", "glat", "glon"),
    [
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    ],
)
def test_coord_parameter_on_known_pairs(client, wlat, wlon, glat, glon):
    body = client.get(f"/api/v1/nearest?lon={glon}&lat={glat}&coord=gcj02&k=1").get_json()
    q = body["query"]
    assert geodesic_distance_m(q["lon"], q["lat"], wlon, wlat) < 1.0
    plain = client.get(f"/api/v1/nearest?lon={wlon}&lat={wlat}&k=1").get_json()
    assert body["features"][0]["id"] == plain["features"][0]["id"]
    assert body["features"][0]["properties"]["distance_m"] == pytest.approx(
        plain["features"][0]["properties"]["distance_m"], abs=1.0
    )


def test_per_layer_returns_k_from_each_layer(client):
    body = client.get("/api/v1/nearest?lon=113.08&lat=22.58&k=50&per_layer=true").get_json()
    layers = [f["properties"]["layer"] for f in body["features"]]
    assert len(layers) == 4 * 50
    assert layers == sorted(layers, key=LAYERS.index)  # grouped, in layer order
