"""folium output rendered to strings, and the overview map's page and points."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from locator.maps import MapAssets, facility_map, overview_map, point_rows
from locator.values.geo.crs import wgs84_to_gcj02
from locator.values.models import Point
from tests.both_stores import BOTH_STORES
from tests.helpers import bundled_city, make_layer

STORES = BOTH_STORES  # every test here runs on the files and on PostGIS

ASSETS = MapAssets("/s/leaflet.js", "/s/leaflet.css", "/s/mc.js", "/s/mc.css", "/s/mcd.css")
OVERVIEW_JS = Path(__file__).resolve().parents[1] / "locator" / "web" / "static" / "overview.js"


def rows_of(script: str) -> list:
    return [json.loads(m) for m in re.findall(r"var data = (\[.*?\]);", script)]


def layer_with(name: str):
    return make_layer(
        "love_stations", [113.08], [22.58], lambda i: {"name": name, "address": "地址"}
    )


def test_only_the_apps_own_assets(app):
    with app.test_request_context():
        svc = app.extensions["locator.services"].current()
        view = svc.map_view(10_000)
        parts = overview_map(
            ASSETS, "none", view.district_outlines, Point(113.08, 22.58), view.routes, city=svc.city
        )
    everything = parts.header + parts.html + parts.script
    urls = set(re.findall(r"""(?:src|href)=["']([^"']+)""", everything))
    assert urls <= {a for a in vars(ASSETS).values()}
    assert "http://" not in parts.header and "https://" not in parts.header
    assert "cdn" not in everything and "jquery" not in everything.lower()
    assert "GeoNames" in parts.script  # data attribution even without tiles
    # folium's viewport meta forbids pinch-zoom: it is taken out
    assert "user-scalable" not in parts.header and "maximum-scale" not in parts.header
    assert [label for _, label, _, _ in parts.overlays] == [
        "区县边界 District boundaries",
        "乡村游路线 Rural routes",
    ]
    rows = point_rows(view.layers[:1], "none")
    assert len(rows) == 133 and {r[2] for r in rows} == {0}


def test_amap_tiles_convert_every_overlay():
    lay = layer_with("x")
    (row,) = point_rows([(lay.info(), lay.facilities)], "amap")
    lon, lat = wgs84_to_gcj02(113.08, 22.58)
    assert row[0] == pytest.approx(lat, abs=1e-6) and row[1] == pytest.approx(lon, abs=1e-6)
    parts = overview_map(ASSETS, "amap", {}, Point(113.08, 22.58), city=bundled_city())
    assert "autonavi" in parts.script


def test_osm_tiles_keep_wgs84():
    lay = layer_with("x")
    parts = facility_map(ASSETS, "osm", lay.facilities[0], "驿站", "#d62728", city=bundled_city())
    (row,) = rows_of(parts.script)[0]
    assert row[:2] == [22.58, 113.08]
    assert "tile.openstreetmap.org" in parts.script


def test_hostile_names_are_json_escaped_in_the_script():
    lay = layer_with("</script><script>alert(1)</script>")
    parts = facility_map(ASSETS, "none", lay.facilities[0], "驿站", "#d62728", city=bundled_city())
    assert "<script>alert(1)" not in parts.script
    assert "\\u003c/script\\u003e" in parts.script
    assert "textContent = row[2]" in parts.script and "innerHTML" not in parts.script
    # the overview map's script puts every name into the DOM as text
    js = OVERVIEW_JS.read_text(encoding="utf-8")
    assert "innerHTML" not in js and "textContent = row[4]" in js


def test_the_map_page_is_cached_per_version_and_sends_an_etag(client):
    first = client.get("/map")
    assert first.status_code == 200 and first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = client.get("/map", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    english = client.get("/map?lang=en")
    assert english.headers["ETag"] != first.headers["ETag"]
    cookie = client.get("/map", headers={"Cookie": "lang=en"})
    assert "Tap anywhere on the map" in cookie.get_data(as_text=True)
    assert cookie.headers["ETag"] not in (first.headers["ETag"], english.headers["ETag"])
    html = first.get_data(as_text=True)
    assert len(html.encode()) < 120_000  # the points are not in the page
    assert "<noscript>" in html and 'href="/"' in html.split("<noscript>")[1]


def test_the_points_are_cacheable_for_a_year_under_their_version(client):
    html = client.get("/map").get_data(as_text=True)
    config = json.loads(
        re.search(
            r'<script type="application/json" id="map-config">(.*?)'
            r"</script>",
            html,
            re.S,
        )[1]
    )
    resp = client.get(config["points"])
    assert resp.status_code == 200
    assert "immutable" in resp.headers["Cache-Control"]
    assert "max-age=31536000" in resp.headers["Cache-Control"]
    body = resp.get_json()
    assert body["layers"] == [c["id"] for c in config["layers"]]
    assert len(body["rows"]) == sum(c["count"] for c in config["layers"]) == 1146
    stale = client.get("/map/points.json?v=old")
    assert "immutable" not in stale.headers["Cache-Control"]


def test_a_very_large_layer_is_thinned_on_the_map(data_dir):
    """200,000 points would make an 88 MB page: the map draws at most MAP_MAX_POINTS of a
    layer, an even random sample, and says so."""
    from locator.web import create_app
    from tests.conftest import facility, write_layer

    rng = np.random.default_rng(1)
    lons, lats = rng.uniform(113.02, 113.12, 5000), rng.uniform(22.55, 22.62, 5000)
    write_layer(
        data_dir,
        "book_rooms",
        [
            facility(f"b-{i}", round(x, 6), round(y, 6))
            for i, (x, y) in enumerate(zip(lons, lats, strict=True))
        ],
    )
    app = create_app({"DATA_DIR": str(data_dir), "WATCH_DATA": False, "MAP_MAX_POINTS": 400})
    client = app.test_client()
    html = client.get("/map").get_data(as_text=True)
    assert '<p class="note thinned" data-layer="book_rooms">' in html and "5,000" in html
    rows = client.get("/map/points.json").get_json()["rows"]
    counts = [sum(1 for r in rows if r[2] == i) for i in range(4)]
    assert counts == [2, 0, 0, 400]
    drawn = {r[3] for r in rows if r[2] == 3}
    assert len(drawn) == 400  # distinct, spread over the whole layer
    ids = sorted(int(i.split("-")[1]) for i in drawn)
    assert ids[0] < 100 and ids[-1] > 4900


@pytest.mark.parametrize("path", ["/", "/map", "/f/sc-0001", "/routes/rr-01", "/planner"])
def test_pinch_zoom_is_allowed_on_every_page(client, path):
    html = client.get(path).get_data(as_text=True)
    viewports = re.findall(r'<meta name="viewport"[^>]*>', html)
    assert viewports == ['<meta name="viewport" content="width=device-width, initial-scale=1">']
