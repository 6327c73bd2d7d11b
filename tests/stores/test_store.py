"""Loading and validation: each broken input gives one clear DataError."""

import json

import pytest

from locator.stores.files.read import read_geodata, validate_data_dir, write_text_atomic
from locator.values.errors import DataError
from tests.conftest import facility, write_layer


def test_reads_a_valid_dir(data_dir):
    cat = read_geodata(data_dir)
    layer = cat.layers["love_stations"]
    assert [f.id for f in layer.facilities] == ["t-1", "t-2"]
    assert layer.lon.tolist() == [113.0726, 113.08]
    assert not layer.is_sample
    assert len(cat.towns) == 73 and len(cat.districts) == 7


CASES = [
    # (features, fragment of the message, feature id named)
    ([facility("a", 22.5761, 113.0726)], "look like [lat, lon]", "a"),
    ([facility("a", 113.0726, 95.0)], "out of range", "a"),
    ([facility("a", 116.39, 39.9)], "outside Jiangmen", "a"),
    ([facility("a", 113.07, 22.57, name="")], "missing required property: name", "a"),
    (
        [facility("a", 113.07, 22.57, source=None, town_code=None)],
        "missing required properties: town_code, source",
        "a",
    ),
    (
        [facility("a", 113.07, 22.57, amenities=["drinking_water", "jacuzzi"])],
        "unknown amenity term(s) jacuzzi",
        "a",
    ),
    (
        [facility("a", 113.07, 22.57, opening_hours="Mo-Fr 25:00-26:99 sometimes")],
        "does not parse as OpenStreetMap opening_hours",
        "a",
    ),
    ([facility("a", 113.07, 22.57, district_code="440799")], "unknown district_code", "a"),
    ([facility("a", 113.07, 22.57, town_code="440703999")], "unknown town_code", "a"),
    ([facility("a", 113.07, 22.57, town_code="440781001")], "is not in district", "a"),
    ([facility("a", 113.07, 22.57, layer="book_rooms")], "does not match file layer", "a"),
    ([facility("a", 113.07, 22.57, wheelchair="maybe")], "wheelchair must be one of", "a"),
    ([facility("a", 113.07, 22.57), facility("a", 113.08, 22.58)], "duplicate id", "a"),
    (
        [
            {
                "type": "Feature",
                "properties": {
                    "id": "p",
                    "name": "x",
                    "district_code": "440703",
                    "town_code": "440703002",
                    "source": "t",
                },
                "geometry": {"type": "LineString", "coordinates": [[113, 22], [113.1, 22.1]]},
            }
        ],
        "must be a GeoJSON Point",
        "p",
    ),
]


@pytest.mark.parametrize(
    ("feats", "message", "fid"), CASES, ids=[c[1].split()[0] + str(i) for i, c in enumerate(CASES)]
)
def test_validation_failures(data_dir, feats, message, fid):
    write_layer(data_dir, "mothers_rooms", feats)
    with pytest.raises(DataError) as err:
        read_geodata(data_dir)
    assert err.value.file == "mothers_rooms.geojson"
    assert err.value.feature_id == fid
    assert message in err.value.message
    assert err.value.message.startswith(f"mothers_rooms.geojson: feature '{fid}': ")


def test_duplicate_ids_across_layers(data_dir):
    write_layer(data_dir, "book_rooms", [facility("t-1", 113.07, 22.57)])
    with pytest.raises(
        DataError,
        match=r"book_rooms.geojson: feature 't-1': duplicate id "
        r"\(also in love_stations.geojson\)",
    ):
        read_geodata(data_dir)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "invalid JSON at line 1"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection"}', "no 'features' list"),
        ('{"type": "FeatureCollection", "features": [1]}', "item 0 of 'features' is not"),
    ],
)
def test_invalid_json_and_geojson(data_dir, text, message):
    (data_dir / "book_rooms.geojson").write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="book_rooms.geojson") as err:
        read_geodata(data_dir)
    assert message in err.value.message


def test_not_utf8(data_dir):
    (data_dir / "book_rooms.geojson").write_bytes("名称".encode("gb18030"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_geodata(data_dir)


def test_missing_reference_file(data_dir):
    (data_dir / "towns.geojson").unlink()
    with pytest.raises(DataError, match="towns.geojson: file not found"):
        read_geodata(data_dir)


def test_missing_data_dir(tmp_path):
    with pytest.raises(DataError, match="data directory not found"):
        read_geodata(tmp_path / "nope")


def test_validate_reports_every_problem(data_dir):
    write_layer(
        data_dir,
        "book_rooms",
        [
            facility("b-1", 113.07, 22.57),
            facility("b-2", 22.57, 113.07),
            facility("b-3", 113.07, 22.57, amenities=["spa"]),
        ],
    )
    reports, ref = validate_data_dir(data_dir)
    assert ref == []
    by_layer = {r.layer: r for r in reports}
    assert by_layer["love_stations"].problems == []
    assert by_layer["book_rooms"].count == 1
    assert [p.feature_id for p in by_layer["book_rooms"].problems] == ["b-2", "b-3"]


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "layer.geojson"
    target.write_text("old", encoding="utf-8")

    def boom(*args):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", boom)
    with pytest.raises(OSError):
        write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["layer.geojson"]


def test_atomic_write_replaces(tmp_path):
    target = tmp_path / "x.json"
    write_text_atomic(target, json.dumps({"a": 1}))
    assert json.loads(target.read_text()) == {"a": 1}
    assert oct(target.stat().st_mode & 0o777) == "0o644"
