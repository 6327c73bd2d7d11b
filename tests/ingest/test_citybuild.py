"""``locator build-geodata --city``: any city's data directory, built once per session from
the registry packages (cached) and the national tables, then validated and served.

三亚 460200 (districts that govern their villages directly), 东莞 441900 (no counties),
乌鲁木齐 650100 (UTM 45N), 成都 510100 and 北京 110000 (a municipality: its districts are the
county level) are built with ``--sample``; every page is asked for in both
languages and must name the city and never Jiangmen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import box, shape

from locator.cli import cli
from locator.ingest.citybuild import (
    REPORT_FILE,
    build_city,
    load_catalogue,
    utm_epsg,
)
from locator.ingest.sources import fetch_national_sources
from locator.values.errors import BuildError
from locator.values.geo.distance import from_metric, to_metric
from locator.web import create_app
from tests.conftest import serve
from tests.web.test_browser import browser, missing_glyphs, new_page  # noqa: F401 (fixture)
from tests.web.test_city_profile import readable

CITIES = {
    "460200": "三亚市",
    "441900": "东莞市",
    "650100": "乌鲁木齐市",
    "510100": "成都市",
    "110000": "北京市",
}
JIANGMEN = re.compile(r"江门|Jiangmen|五邑|Wuyi|即时帮|19262012351|鹤山|Heshan", re.IGNORECASE)
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="session")
def national():
    sources = fetch_national_sources()
    return sources, load_catalogue(sources)


@pytest.fixture(scope="session")
def built(national, tmp_path_factory) -> dict[str, Path]:
    """Each city's directory, built once with labelled sample layers."""
    sources, catalogue = national
    root = tmp_path_factory.mktemp("cities")
    out = {}
    for code in CITIES:
        out[code] = root / code
        build_city(sources, catalogue.cities[code], out[code], sample=True)
    return out


@pytest.fixture(scope="module")
def clients(built):
    return {
        code: create_app(
            {"TESTING": True, "DATA_DIR": str(d), "WATCH_DATA": False, "TILES": "none"}
        ).test_client()
        for code, d in built.items()
    }


def _features(path: Path) -> list[dict]:
    return json.loads(path.read_text("utf-8"))["features"]


@pytest.mark.parametrize("code", CITIES)
def test_a_built_city_validates_and_its_report_is_honest(built, runner, code):
    d = built[code]
    result = runner.invoke(cli, ["validate", "--data-dir", str(d)])
    assert result.exit_code == 0, result.output
    assert f"{CITIES[code]} · " in result.output and "hotline none" in result.output
    report = json.loads((d / REPORT_FILE).read_text("utf-8"))
    towns = _features(d / "towns.geojson")
    assert report["towns"] == len(towns) > 0
    assert report["seats_outside_district"] == 0
    assert sum(report["seats_by_source"].values()) == len(towns)
    placed = {f"{t['properties']['code']} {t['properties']['name']}" for t in towns}
    approximate = {
        f"{t['properties']['code']} {t['properties']['name']}"
        for t in towns
        if t["properties"]["position"] == "approximate"
    }
    assert set(report["placed_by_rule"]) == approximate <= placed
    # every seat inside its own district (the build's promise, checked independently)
    districts = {
        f["properties"]["code"]: shape(f["geometry"]) for f in _features(d / "districts.geojson")
    }
    for t in towns:
        zone = districts[t["properties"]["district_code"]].buffer(1e-6)
        assert zone.contains(shape(t["geometry"])), t["properties"]
    profile = json.loads((d / "city.json").read_text("utf-8"))
    assert profile["area_codes"] == [] and profile["hotlines"] == []
    assert profile["time_zone"] == "Asia/Shanghai"
    layers = _features(d / "love_stations.geojson")
    assert layers and all(f["properties"]["source"] == "sample" for f in layers)
    assert _features(d / "rural_routes.geojson") == []


def test_cities_without_counties_and_whose_districts_govern_villages(built):
    dongguan = _features(built["441900"] / "districts.geojson")
    assert [f["properties"]["code"] for f in dongguan] == ["441900"]
    sanya = _features(built["460200"] / "towns.geojson")
    # 三亚's four districts have no towns: each is one "directly governed villages" unit,
    # placed by rule and said to be approximate
    assert len(sanya) == 4 and all(t["properties"]["position"] == "approximate" for t in sanya)
    assert all(t["properties"]["name"].endswith("直辖村级区划") for t in sanya)


def test_urumqi_works_in_utm_45n_against_the_geodesic(built):
    profile = json.loads((built["650100"] / "city.json").read_text("utf-8"))
    assert profile["metric_crs"] == {"epsg": 32645, "name": "UTM 45N"}
    assert utm_epsg(112.75, 22.25) == (32649, "UTM 49N")  # Jiangmen's stays
    # a distance between two town seats: UTM 45N against the geodesic (scale < 0.1 %)
    towns = _features(built["650100"] / "towns.geojson")
    (lon1, lat1), (lon2, lat2) = (t["geometry"]["coordinates"] for t in towns[:2])
    x1, y1 = to_metric(lon1, lat1, 32645)
    x2, y2 = to_metric(lon2, lat2, 32645)
    _, _, geodesic = GEOD.inv(lon1, lat1, lon2, lat2)
    assert np.hypot(x2 - x1, y2 - y1) == pytest.approx(geodesic, rel=1e-3)
    # a 1 km grid cell at the centre: its geodesic area is 1 km² within 0.1 % in UTM 45N,
    # and not in Jiangmen's UTM 49N (the wrong zone distorts it by more than 1 %)
    lon, lat = profile["map"]["centre"]
    for epsg, within in ((32645, 1e-3), (32649, None)):
        x, y = to_metric(lon, lat, epsg)
        cell = box(x, y, x + 1000, y + 1000)
        xs, ys = np.asarray(cell.exterior.coords).T
        lons, lats = from_metric(xs, ys, epsg)
        area, _ = GEOD.polygon_area_perimeter(lons, lats)
        if within:
            assert abs(area) == pytest.approx(1e6, rel=within)
        else:
            assert abs(abs(area) / 1e6 - 1) > 0.01


@pytest.mark.parametrize("code", CITIES)
def test_nearest_equals_a_geodesic_brute_force(built, clients, code):
    towns = _features(built[code] / "towns.geojson")
    lon, lat = towns[len(towns) // 2]["geometry"]["coordinates"]
    lon, lat = round(lon + 0.003, 5), round(lat - 0.002, 5)
    resp = clients[code].get(f"/api/v1/nearest?lon={lon}&lat={lat}&layer=book_rooms&k=5")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    got = [(f["id"], f["properties"]["distance_m"]) for f in resp.get_json()["features"]]
    rooms = _features(built[code] / "book_rooms.geojson")
    pts = np.array([f["geometry"]["coordinates"] for f in rooms])
    _, _, dist = GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
    order = np.argsort(dist)[:5]
    assert [g[0] for g in got] == [rooms[i]["id"] for i in order]
    assert [g[1] for g in got] == pytest.approx([dist[i] for i in order], abs=0.5)


@pytest.mark.parametrize("code", CITIES)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_names_the_city_and_never_jiangmen(built, clients, code, lang):
    client = clients[code]
    svc = client.application.extensions["locator.services"].current()
    name = svc.city.short_name.get(lang)  # 乌鲁木齐 in 乌鲁木齐职工服务设施查询
    towns = _features(built[code] / "towns.geojson")
    own = {
        w
        for f in towns
        for w in ("鹤山", "Heshan")
        if w.lower() in f"{f['properties']['name']} {f['properties']['name_en']}".lower()
    }
    for url in ("/", "/map", "/planner", "/routes", "/ogc?f=html", "/ogc/collections?f=html"):
        resp = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        assert resp.status_code == 200, url
        text = readable(resp.get_data(as_text=True))
        assert name in text, url
        found = [m.group(0) for m in JIANGMEN.finditer(text)]
        # a city's own place of the same name is no Jiangmen text (成都's 鹤山街道)
        assert not [w for w in found if w not in own], (url, found)
    # no hotline in the profile: no hotline box, no call button without a number
    lon, lat = svc.city.centre
    for url in ("/", f"/?lon={lon}&lat={lat}"):
        raw = client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}").get_data(as_text=True)
        assert 'class="hotline"' not in raw and 'href="tel:"' not in raw, url
    routes = readable(client.get(f"/routes?lang={lang}").get_data(as_text=True))
    assert "暂无乡村游路线" in routes if lang == "zh" else "No rural routes" in routes
    planner = client.get(f"/planner?lang={lang}").get_data(as_text=True)
    assert 'value="census-2020"' in planner and 'value="heshan-2020"' not in planner


def _invoke(runner, *args):
    return runner.invoke(cli, ["build-geodata", *args])


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("999999", "no city with this code"),
        ("440705", "is a county-level division (新会区) of 江门市 440700"),
        ("440705107", "is a town or village code in 新会区 440705"),
        ("鼓楼区", "鼓楼区 320106, 鼓楼区 320302"),
        ("429004", "administered directly by the province"),
        ("无此市", "no city of this name"),
    ],
)
def test_bad_input_says_why_and_writes_nothing(national, runner, tmp_path, query, says):
    out = tmp_path / "out"
    result = _invoke(runner, "--city", query, "--out", str(out))
    assert result.exit_code == 1
    assert says in result.output and "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_another_citys_directory_is_replaced_only_when_asked(national, built, runner, tmp_path):
    sources, catalogue = national
    target = tmp_path / "data"
    import shutil

    shutil.copytree(built["460200"], target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    result = _invoke(runner, "--city", "441900", "--out", str(target))
    assert result.exit_code == 1 and "holds the data of city 460200" in result.output
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    with pytest.raises(BuildError, match="give --replace"):
        build_city(sources, catalogue.cities["441900"], target)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(BuildError, match="files that are not a city's data"):
        build_city(sources, catalogue.cities["441900"], tmp_path / "other")
    report = build_city(sources, catalogue.cities["441900"], target, replace=True)
    assert json.loads((target / "city.json").read_text("utf-8"))["code"] == "441900"
    assert report.towns == len(_features(target / "towns.geojson"))
    assert _features(target / "love_stations.geojson") == []  # empty, ready for import
    # written beside and renamed: nothing else is left in the parent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "other"]
    # a data directory in use (imports, street reports, sessions in history/) is never
    # rebuilt in place, --replace or not: its records would be deleted
    (target / "history").mkdir()
    (target / "history" / "reports.sqlite").write_bytes(b"kept")
    for replace in (False, True):
        with pytest.raises(BuildError, match="data directory in use"):
            build_city(sources, catalogue.cities["441900"], target, replace=replace)
    assert (target / "history" / "reports.sqlite").read_bytes() == b"kept"


@pytest.mark.parametrize("code", CITIES)
def test_coverage_shares_agree_with_a_buffer_union(built, clients, code):
    """The planner's covered share per district (shares by area, 1 km) against shapely:
    the union of 1 km buffers in the city's own UTM zone, clipped to the district."""
    from shapely import union_all

    from locator.values.geo.distance import geometry_to_metric

    epsg = json.loads((built[code] / "city.json").read_text("utf-8"))["metric_crs"]["epsg"]
    resp = clients[code].get(
        "/api/v1/coverage?layer=love_stations&radius_m=1000&by=district&demand=area"
    )
    assert resp.status_code == 200
    shares = {a["code"]: a["covered_share"] for a in resp.get_json()["areas"]}
    stations = _features(built[code] / "love_stations.geojson")
    covered = union_all(
        [geometry_to_metric(shape(f["geometry"]), epsg).buffer(1000, 64) for f in stations]
    )
    for f in _features(built[code] / "districts.geojson"):
        zone = geometry_to_metric(shape(f["geometry"]), epsg)
        expected = zone.intersection(covered).area / zone.area
        assert shares[f["properties"]["code"]] == pytest.approx(expected, abs=0.01), f["properties"]


def test_a_built_municipality_on_a_phone(built, browser):  # noqa: F811 (the fixture)
    """北京 (its districts are the county level) served by `locator serve` and seen in
    Chromium at 360×640 in both languages: each page names the city, never Jiangmen, fits
    the screen's width and draws every glyph."""
    with serve(data_dir=built["110000"], tiles="none") as base:
        for lang, name in (("zh", "北京"), ("en", "Beijing")):
            ctx, page, _, dialogs = new_page(browser, base)
            errors: list[str] = []
            page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
            for path in ("/", "/map", "/planner", "/routes"):
                page.goto(f"{base}{path}?lang={lang}", wait_until="load")
                assert name in page.title(), (path, page.title())
                text = page.inner_text("body")
                assert not JIANGMEN.search(text), (path, JIANGMEN.search(text))
                width = page.evaluate("document.scrollingElement.scrollWidth")
                assert width <= 360, (path, width)
                assert not missing_glyphs(page), (path, missing_glyphs(page))
            assert not errors and not dialogs, errors
            ctx.close()
