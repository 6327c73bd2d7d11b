"""folium output, rendered to strings."""

import json
import re

import numpy as np
import pytest

from locator.geo.crs import wgs84_to_gcj02
from locator.maps import MapAssets, facility_map, overview_map
from locator.models import Point

from .helpers import make_layer

ASSETS = MapAssets("/s/leaflet.js", "/s/leaflet.css", "/s/jquery.js", "/s/mc.js", "/s/mc.css",
                   "/s/mcd.css")


def rows_of(script: str) -> list:
    return [json.loads(m) for m in re.findall(r"var data = (\[.*?\]);", script)]


def layer_with(name: str):
    return make_layer("love_stations", [113.08], [22.58],
                      lambda i: {"name": name, "address": "地址"})


def test_only_the_apps_own_assets(app):
    with app.test_request_context():
        cat = app.extensions["locator"].catalog
        view = cat.map_view(10_000)
        parts = overview_map(ASSETS, "none", view.layers[:1], view.district_outlines,
                             Point(113.08, 22.58))
    everything = parts.header + parts.html + parts.script
    urls = set(re.findall(r"""(?:src|href)=["']([^"']+)""", everything))
    assert urls <= {a for a in vars(ASSETS).values()}
    assert "http://" not in parts.header and "https://" not in parts.header
    assert "cdn" not in everything
    assert "GeoNames" in parts.script  # data attribution even without tiles
    (rows,) = rows_of(parts.script)
    assert len(rows) == 133
    assert {r[6] for r in rows} == {"#d62728"}  # the registry's colour of love stations


def test_amap_tiles_convert_every_overlay():
    lay = layer_with("x")
    parts = overview_map(ASSETS, "amap", [(lay.info(), lay.facilities)], {},
                         Point(113.08, 22.58))
    (row,) = rows_of(parts.script)[0]
    lon, lat = wgs84_to_gcj02(113.08, 22.58)
    assert row[0] == pytest.approx(lat, abs=1e-6) and row[1] == pytest.approx(lon, abs=1e-6)
    assert "autonavi" in parts.script


def test_osm_tiles_keep_wgs84():
    lay = layer_with("x")
    parts = facility_map(ASSETS, "osm", lay.facilities[0], "驿站", "#d62728")
    (row,) = rows_of(parts.script)[0]
    assert row[:2] == [22.58, 113.08]
    assert "tile.openstreetmap.org" in parts.script


def test_hostile_names_are_json_escaped_in_the_script():
    lay = layer_with("</script><script>alert(1)</script>")
    parts = overview_map(ASSETS, "none", [(lay.info(), lay.facilities)], {}, None)
    assert "<script>alert(1)" not in parts.script
    assert "\\u003c/script\\u003e" in parts.script
    # and the marker callback puts it into the DOM as text
    assert "textContent = row[2]" in parts.script and "innerHTML" not in parts.script


def test_a_very_large_layer_is_thinned_on_the_map(data_dir):
    """200,000 points would make an 88 MB page: the map draws at most MAP_MAX_POINTS of a
    layer, an even random sample, and says so."""
    from locator.web import create_app

    from .conftest import facility, write_layer

    rng = np.random.default_rng(1)
    lons, lats = rng.uniform(113.02, 113.12, 5000), rng.uniform(22.55, 22.62, 5000)
    write_layer(data_dir, "book_rooms", [facility(f"b-{i}", round(x, 6), round(y, 6))
                                         for i, (x, y) in enumerate(zip(lons, lats, strict=True))])
    app = create_app({"DATA_DIR": str(data_dir), "WATCH_DATA": False, "MAP_MAX_POINTS": 400})
    html = app.test_client().get("/map").get_data(as_text=True)
    counts = [len(rows) for rows in rows_of(html)]
    assert counts == [2, 0, 0, 400]
    assert len(html) < 200_000
    assert '<p class="note thinned" data-layer="book_rooms">' in html and "5,000" in html
    drawn = {row[3] for row in rows_of(html)[3]}
    assert len(drawn) == 400  # distinct, spread over the whole layer
    ids = sorted(int(i.split("-")[1]) for i in drawn)
    assert ids[0] < 100 and ids[-1] > 4900
