"""The rural rest routes: data, lengths, what they pass, gaps, downloads, API and pages."""

from __future__ import annotations

import csv
import json
import re
from urllib.parse import unquote

import numpy as np
import pytest
import shapely
from lxml import etree
from pyproj import Geod, Transformer

from locator.operations.routes import ALONG_M, route_details
from locator.stores.files.read import read_geodata
from locator.values.errors import DataError
from locator.values.models import Facility, Feature
from tests.both_stores import BOTH_STORES
from tests.conftest import DEFAULT_DATA_DIR, FIXTURES
from tests.helpers import assert_problem, bundled_city

STORES = BOTH_STORES  # every test here runs on the files and on PostGIS

UTM = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)
FROM_UTM = Transformer.from_crs("EPSG:32649", "EPSG:4326", always_xy=True)


def routes_file() -> list[dict]:
    return json.loads((DEFAULT_DATA_DIR / "rural_routes.geojson").read_text("utf-8"))["features"]


def test_twelve_illustrative_routes_with_honest_stops():
    feats = routes_file()
    assert len(feats) == 12 and len({f["id"] for f in feats}) == 12
    with open(DEFAULT_DATA_DIR / "site-coordinates.csv", encoding="utf-8") as fh:
        sites = {r["name_en"]: r for r in csv.DictReader(fh)}
    districts = {d for f in feats for d in f["properties"]["districts"]}
    assert districts == {"440703", "440704", "440705", "440781", "440783", "440784", "440785"}
    for f in feats:
        p = f["properties"]
        assert p["illustrative"] is True and p["source"] == "sample"
        assert "straight lines" in p["geometry_note"]
        assert len(p["stops"]) >= 2 and p["theme"] and p["theme_en"]
        for stop in p["stops"]:
            assert stop["precision"] and stop["coord_source"]
            row = sites.get(stop["name_en"])
            if row:  # a listed site keeps its published coordinate
                assert (stop["lon"], stop["lat"]) == (float(row["lon"]), float(row["lat"]))
    (bird,) = [s for f in feats for s in f["properties"]["stops"] if "小鸟天堂" in s["name"]]
    assert bird["precision"] == "approximate" and "440705001" in bird["coord_source"]


def test_lengths_are_the_sum_of_geodesic_segments(client):
    geod = Geod(ellps="WGS84")
    body = client.get("/api/v1/routes").get_json()
    assert body["numberMatched"] == 12
    for f in body["features"]:
        coords = f["geometry"]["coordinates"]
        expected = sum(geod.inv(*a, *b)[2] for a, b in zip(coords, coords[1:], strict=False))
        assert f["properties"]["length_m"] == pytest.approx(expected, abs=0.1)
        detail = client.get(f"/api/v1/routes/{f['id']}").get_json()["properties"]
        assert detail["stops"][0]["position_m"] == 0
        assert detail["stops"][-1]["position_m"] == pytest.approx(expected, abs=0.2)


def brute_force_along(coords, facilities) -> dict[str, tuple[float, float]]:
    """Facility id -> (metres off, metres along), one facility at a time in UTM 49N."""
    line = shapely.LineString([UTM.transform(x, y) for x, y in coords])
    out = {}
    for fac in facilities:
        pt = shapely.Point(
            UTM.transform(fac["geometry"]["coordinates"][0], fac["geometry"]["coordinates"][1])
        )
        d = line.distance(pt)
        if d <= ALONG_M:
            out[fac["id"]] = (
                d,
                line.project(pt)
                * Geod(ellps="WGS84").line_length([c[0] for c in coords], [c[1] for c in coords])
                / line.length,
            )
    return out


def test_facilities_along_equal_a_brute_force_in_utm(client):
    facilities = []
    for layer in ("love_stations", "service_centers", "mothers_rooms"):
        facilities += json.loads((DEFAULT_DATA_DIR / f"{layer}.geojson").read_text("utf-8"))[
            "features"
        ]
    total = 0
    for f in routes_file():
        expected = brute_force_along(f["geometry"]["coordinates"], facilities)
        got = client.get(f"/api/v1/routes/{f['id']}").get_json()["properties"]["along"]
        assert {a["id"] for a in got} == set(expected), f["id"]
        for a in got:
            off, pos = expected[a["id"]]
            assert a["distance_off_m"] == pytest.approx(off, abs=0.5)
            assert a["position_m"] == pytest.approx(pos, abs=0.5)
        assert [a["position_m"] for a in got] == sorted(a["position_m"] for a in got)
        total += len(got)
    assert total > 100


def _wgs(x, y):
    return FROM_UTM.transform(x, y)


def test_longest_gap_on_a_hand_made_route():
    """A straight 10 km route; a station 1 km along it on the line covers km 0-3, one 9 km
    along and 1.2 km off covers km 7.4-10 (half-chord sqrt(2^2 - 1.2^2) = 1.6): the gap is
    km 3-7.4. A mothers' room in the gap does not close it."""
    x0, y0 = 650_000.0, 2_490_000.0
    coords = [list(_wgs(x0, y0)), list(_wgs(x0 + 5_000, y0)), list(_wgs(x0 + 10_000, y0))]
    feature = Feature(
        "g",
        "rural_routes",
        {"type": "LineString", "coordinates": coords},
        {
            "id": "g",
            "name": "测试",
            "theme": "t",
            "source": "test",
            "stops": [
                {"name": "a", "lon": coords[0][0], "lat": coords[0][1]},
                {"name": "b", "lon": coords[2][0], "lat": coords[2][1]},
            ],
        },
    )

    def fac(fid, layer, x, y):
        lon, lat = _wgs(x, y)
        return Facility(fid, layer, fid, lon, lat, "440703", "440703002", "test", {})

    facilities = {
        "love_stations": (fac("ls", "love_stations", x0 + 1_000, y0),),
        "service_centers": (fac("sc", "service_centers", x0 + 9_000, y0 + 1_200),),
        "mothers_rooms": (fac("mr", "mothers_rooms", x0 + 5_000, y0 + 100),),
    }
    d = route_details(feature, facilities, bundled_city().metric_epsg)
    scale = d.summary.length_m / 10_000  # UTM metres to geodesic metres (~1.0001)
    assert d.longest_gap_m == pytest.approx(4_400 * scale, abs=2)
    assert d.gap_from_m == pytest.approx(3_000 * scale, abs=2)
    assert d.gap_to_m == pytest.approx(7_400 * scale, abs=2)
    assert [a.facility.id for a in d.along] == ["ls", "mr", "sc"]
    bare = route_details(feature, {}, bundled_city().metric_epsg)
    assert bare.longest_gap_m == pytest.approx(bare.summary.length_m, abs=0.5)
    assert bare.along == ()


def _route(stops, coords=None) -> dict:
    coords = coords or [[s["lon"], s["lat"]] for s in stops]
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": coords},
        "properties": {
            "id": "rr-x",
            "name": "测试路线",
            "theme": "t",
            "source": "test",
            "stops": stops,
        },
    }


A = {"name": "甲", "lon": 113.07, "lat": 22.57}
B = {"name": "乙", "lon": 113.10, "lat": 22.60}
C = {"name": "丙", "lon": 113.12, "lat": 22.58}


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        (_route([A], [[113.07, 22.57], [113.1, 22.6]]), "a route needs at least two stops"),
        (
            _route([A, {"name": "远", "lon": 116.4, "lat": 39.9}]),
            "stop 2 '远' at [116.4, 39.9] lies outside Jiangmen",
        ),
        (_route([A, B], [[113.07, 22.57], [113.13, 22.56]]), "the line does not pass stop 2 '乙'"),
        (
            _route([A, B], [[113.07, 22.57], [113.10, 22.60], [113.12, 22.62]]),
            "the line must end at the last stop '乙'",
        ),
        (
            _route([A, B], [[113.07, 22.57], [114.5, 23.4], [113.10, 22.60]]),
            "the line runs outside Jiangmen at [114.5, 23.4]",
        ),
        (
            {
                **_route([A, B]),
                "geometry": {
                    "type": "MultiLineString",
                    "coordinates": [[[113.07, 22.57], [113.10, 22.60]]],
                },
            },
            "a route is one LineString",
        ),
        (_route([A, {**B, "name": "乙\x01"}]), "stop 2 '乙\\x01' name contains a control"),
        (
            _route([A, C, B], [[113.07, 22.57], [113.10, 22.60], [113.12, 22.58]]),
            "the line passes stop 3 '乙' out of order",
        ),
        (_route([A, {"lon": 113.1, "lat": 22.6}]), "stop 2 needs a name"),
    ],
)
def test_broken_routes_name_the_route_and_the_stop(data_dir, feature, message):
    (data_dir / "rural_routes.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
        "utf-8",
    )
    with pytest.raises(DataError) as err:
        read_geodata(data_dir)
    assert err.value.message.startswith("rural_routes.geojson: feature 'rr-x': " + message)


def test_route_filters_and_errors(client):
    kaiping = client.get("/api/v1/routes?district=440783").get_json()["features"]
    assert kaiping and all("440783" in f["properties"]["districts"] for f in kaiping)
    both = client.get("/api/v1/routes?district=440783&theme=Diaolou").get_json()["features"]
    assert [f["id"] for f in both] == ["rr-01"]
    assert_problem(client.get("/api/v1/routes?district=440799"), 400, "district")
    assert_problem(client.get("/api/v1/routes?district=4407"), 400, "district")
    assert_problem(client.get("/api/v1/routes?theme=滑雪"), 400, "theme")
    for url in ("/api/v1/routes/nope", "/api/v1/routes/nope.gpx", "/api/v1/routes/nope.kml"):
        assert_problem(client.get(url), 404)
    page = client.get("/routes/nope", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "找不到页面" in page.get_data(as_text=True)


def test_gpx_is_valid_gpx_11_with_chinese_names(client):
    resp = client.get("/api/v1/routes/rr-01.gpx")
    assert resp.mimetype == "application/gpx+xml"
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "gpx-1.1.xsd")))
    doc = etree.fromstring(resp.data)
    assert schema.validate(doc), schema.error_log
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    stops = client.get("/api/v1/routes/rr-01").get_json()["properties"]["stops"]
    rtepts = doc.findall("g:rte/g:rtept", ns)
    assert [p.findtext("g:name", namespaces=ns) for p in rtepts] == [
        f"{s['number']}. {s['name']}" for s in stops
    ]
    assert [(float(p.get("lon")), float(p.get("lat"))) for p in rtepts] == [
        (s["lon"], s["lat"]) for s in stops
    ]
    assert len(doc.findall("g:wpt", ns)) == len(stops)
    assert "示意" in doc.findtext("g:metadata/g:desc", namespaces=ns)


def test_gpx_carries_the_line_as_a_track_that_gpxpy_reads_back(client):
    """A phone app that draws tracks but ignores routes still shows the line (gpxpy, as
    such apps read it); valid GPX 1.1 with rte, trk and wpt in the order the schema asks."""
    import gpxpy

    text = client.get("/api/v1/routes/rr-03.gpx").get_data(as_text=True)
    gpx = gpxpy.parse(text)
    line = client.get("/api/v1/routes/rr-03").get_json()["geometry"]["coordinates"]
    assert len(gpx.tracks) == 1 and len(gpx.tracks[0].segments) == 1
    points = gpx.tracks[0].segments[0].points
    assert [(p.longitude, p.latitude) for p in points] == [tuple(c[:2]) for c in line]
    assert gpx.tracks[0].name == gpx.routes[0].name and "示意" in gpx.tracks[0].description
    schema = etree.XMLSchema(etree.parse(str(FIXTURES / "gpx-1.1.xsd")))
    assert schema.validate(etree.fromstring(text.encode())), schema.error_log


def test_kml_parses_back_with_placemarks_in_stop_order(client):
    resp = client.get("/api/v1/routes/rr-12.kml")
    doc = etree.fromstring(resp.data)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = doc.findall(".//k:Placemark", ns)
    stops = client.get("/api/v1/routes/rr-12").get_json()["properties"]["stops"]
    points = [m for m in marks if m.find("k:Point", ns) is not None]
    assert [m.findtext("k:name", namespaces=ns) for m in points] == [
        f"{s['number']}. {s['name']}" for s in stops
    ]
    (line,) = [m for m in marks if m.find("k:LineString", ns) is not None]
    coords = line.findtext("k:LineString/k:coordinates", namespaces=ns).split()
    assert [tuple(map(float, c.split(",")[:2])) for c in coords] == [
        (s["lon"], s["lat"]) for s in stops
    ]


@pytest.mark.parametrize("ext", ["gpx", "kml", "geojson"])
def test_downloads_keep_the_chinese_name(client, ext):
    disposition = client.get(f"/api/v1/routes/rr-04.{ext}").headers["Content-Disposition"]
    assert disposition.startswith("attachment; ") and f'filename="rr-04.{ext}"' in disposition
    (encoded,) = re.findall(r"filename\*=UTF-8''(\S+)", disposition)
    assert unquote(encoded) == f"新会陈皮美食游.{ext}"


def test_geojson_download_is_the_line_then_the_stops(client):
    body = json.loads(client.get("/api/v1/routes/rr-03.geojson").data)
    kinds = [f["geometry"]["type"] for f in body["features"]]
    assert kinds[0] == "LineString" and set(kinds[1:]) == {"Point"}
    assert [f["properties"]["number"] for f in body["features"][1:]] == list(range(1, len(kinds)))


def test_route_page_lists_what_its_twin_says(client):
    resp = client.get("/routes/rr-10")
    html = resp.get_data(as_text=True)
    twin = client.get("/api/v1/routes/rr-10").get_json()["properties"]
    shown = re.findall(r'<ol class="along">(.*?)</ol>', html, re.S)[0]
    assert re.findall(r'data-id="([^"]+)"', shown) == [a["id"] for a in twin["along"]]
    assert len(re.findall(r'<li data-number="\d+">', html)) == len(twin["stops"])
    assert "示意" in html and "直线" in html
    assert f"{twin['length_m'] / 1000:.1f}" in html


def test_routes_page_filters_without_javascript(client):
    html = client.get("/routes?theme=温泉").get_data(as_text=True)
    assert re.findall(r'<li class="card route" data-id="([^"]+)"', html) == ["rr-08", "rr-09"]
    en = client.get("/routes?lang=en&district=440785").get_data(as_text=True)
    assert "Enping hot springs and wellness" in en and "rr-02" not in en


def test_the_overview_map_carries_the_routes_switched_off(client):
    html = client.get("/map").get_data(as_text=True)
    assert re.search(
        r'class="chip overlay" aria-pressed="false" data-overlay="(geo_json_\w+)"'
        r'><span class="swatch" style="background: #8c564b"></span>乡村游路线',
        html,
    )
    assert len(re.findall(r'"type":\s*"LineString"', html)) == 12
    (name,) = set(
        re.findall(
            r"(geo_json_\w+)_add\(\{\"features\": \[\{\"geometry\": "
            r"\{\"coordinates\": \[\[[\d.]+, [\d.]+\], \[",
            html,
        )
    )
    assert f"{name}.addTo(" not in html  # off until the user switches it on
    assert f'data-overlay="{name}"' in html


def test_longest_gap_follows_a_route_that_crosses_itself():
    """A route that runs back across its own course: the gap is measured along the route,
    not cut where the line meets itself (an independent 1 m sampling agrees)."""
    from locator.operations.routes import ALONG_M, _longest_gap

    line = shapely.LineString([(0, 0), (10_000, 10_000), (10_000, 0), (0, 10_000)])
    reach = shapely.points([[-1_500, 0]])
    gap, start, end = _longest_gap(line, reach)
    dist = np.arange(0, line.length, 1.0)
    pts = shapely.line_interpolate_point(line, dist)
    uncovered = shapely.distance(pts, reach[0]) > ALONG_M
    # the covered start, then one uncovered run to the end
    first = int(np.argmax(uncovered))
    assert not uncovered[:first].any() and uncovered[first:].all()
    assert gap == pytest.approx(line.length - first, abs=1.5)
    assert (start, end) == (pytest.approx(first, abs=1.5), pytest.approx(line.length))


def test_odd_route_properties_are_data_errors(data_dir):
    good = _route([A, B])
    for change, message in (
        ({"districts": [440783]}, "districts must be a list of strings"),
        ({"districts": "440783"}, "districts must be a list"),
        ({"illustrative": "false"}, "illustrative must be true or false"),
        ({"id": "路线01"}, "id '路线01' does not have the form"),
    ):
        feature = {**good, "properties": {**good["properties"], **change}}
        (data_dir / "rural_routes.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
            "utf-8",
        )
        with pytest.raises(DataError, match=message):
            read_geodata(data_dir)


def test_every_stop_has_navigation_links_in_each_apps_coordinates(client):
    """Like a facility card: AMap in GCJ-02, Baidu in BD-09, geo: in WGS-84."""
    from urllib.parse import parse_qs, urlsplit

    from locator.values.geo.crs import wgs84_to_bd09, wgs84_to_gcj02

    doc = etree.HTML(client.get("/routes/rr-01").data)
    stops = client.get("/api/v1/routes/rr-01").get_json()["properties"]["stops"]
    items = doc.findall(".//ol[@class='stops']/li")
    assert len(items) == len(stops) == 6
    for li, stop in zip(items, stops, strict=True):
        amap = parse_qs(urlsplit(li.find(".//a[@class='btn nav-amap']").get("href")).query)
        lon, lat = wgs84_to_gcj02(stop["lon"], stop["lat"])
        assert amap["to"] == [f"{lon:.6f},{lat:.6f},{stop['name']}"]
        assert amap["coordinate"] == ["gaode"] and amap["mode"] == ["car"]
        baidu = parse_qs(urlsplit(li.find(".//a[@class='btn alt nav-baidu']").get("href")).query)
        lon, lat = wgs84_to_bd09(stop["lon"], stop["lat"])
        assert baidu["destination"] == [f"latlng:{lat:.6f},{lon:.6f}|name:{stop['name']}"]
        assert baidu["coord_type"] == ["bd09ll"] and baidu["mode"] == ["driving"]
        geo = li.find(".//a[@class='btn alt nav-geo']").get("href")
        assert geo.startswith(f"geo:{stop['lat']:.6f},{stop['lon']:.6f}?")


@pytest.fixture(scope="module")
def half_english_client(tmp_path_factory):
    """The bundled routes, with rr-02's English name and its second stop's taken away."""
    from locator.web import create_app
    from tests.conftest import small_data_dir

    data = small_data_dir(tmp_path_factory.mktemp("half-english"))
    path = data / "rural_routes.geojson"
    routes = json.loads(path.read_text(encoding="utf-8"))
    for f in routes["features"]:
        if f["properties"]["id"] == "rr-02":
            f["properties"].pop("name_en", None)
            f["properties"]["stops"][1].pop("name_en", None)
    path.write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    return create_app({"DATA_DIR": str(data), "TESTING": True}).test_client()


def test_english_route_pages_show_english_names_or_say_chinese_only(half_english_client):
    c = half_english_client
    stops = c.get("/api/v1/routes/rr-02").get_json()["properties"]["stops"]
    doc = etree.HTML(c.get("/routes/rr-02?lang=en").data)
    h2 = doc.find(".//h2[@class='name']")
    assert h2.text == c.get("/api/v1/routes/rr-02").get_json()["properties"]["name"]
    assert h2.get("lang") == "zh-CN"
    assert doc.find(".//p[@class='note zh-only']").text == "Chinese name only"
    items = doc.findall(".//ol[@class='stops']/li")
    first = "".join(items[0].find("strong").itertext())
    assert first == f"1. {stops[0]['name_en']}" and items[0].find("span").text == stops[0]["name"]
    second = "".join(items[1].find("strong").itertext())
    assert second == f"2. {stops[1]['name']}"
    assert "Chinese name only" in "".join(items[1].itertext())
    assert "Chinese name only" not in "".join(items[0].itertext())
    # the Chinese page is unchanged; the list says it too
    zh = etree.HTML(c.get("/routes/rr-02").data)
    assert zh.find(".//h2[@class='name']").text == h2.text
    assert "仅有中文名" not in c.get("/routes/rr-02").get_data(as_text=True)
    listing = etree.HTML(c.get("/routes?lang=en").data)
    card = listing.find(".//li[@data-id='rr-02']")
    assert "Chinese name only" in "".join(card.itertext())
    other = listing.find(".//li[@data-id='rr-01']")
    assert "Chinese name only" not in "".join(other.itertext())


def test_a_route_in_parts_is_a_track_segment_a_part(store):
    """A MultiLineString route: one track segment per part, so no app draws a line across
    the gap between them."""
    from dataclasses import replace

    import gpxpy

    from locator.formats.routes import route_to_gpx

    parts = [[[113.0, 22.5], [113.1, 22.5]], [[113.2, 22.6], [113.25, 22.6], [113.3, 22.6]]]
    details = store.route("rr-03")
    details = replace(
        details,
        summary=replace(
            details.summary, geometry={"type": "MultiLineString", "coordinates": parts}
        ),
    )
    segments = gpxpy.parse(route_to_gpx(details)).tracks[0].segments
    assert [[[p.longitude, p.latitude] for p in s.points] for s in segments] == parts
