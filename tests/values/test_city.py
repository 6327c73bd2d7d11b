"""The city profile: the bundled one, the reader's messages, and the profile travelling
with the data version."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from locator.importer.values import BadValue, phone
from locator.stores.files.read import fingerprint, read_city, read_geodata
from locator.values import registry
from locator.values.city import CITY_PROFILE_FILE, city_from_doc
from locator.values.errors import DataError
from locator.values.geo.distance import from_metric, geometry_to_metric, to_metric
from tests.conftest import DEFAULT_DATA_DIR, reference_dir

BUNDLED = json.loads((DEFAULT_DATA_DIR / CITY_PROFILE_FILE).read_text(encoding="utf-8"))


def test_the_bundled_profile_is_jiangmens():
    city = read_city(DEFAULT_DATA_DIR)
    assert city.code == "440700"
    assert (city.name.zh, city.name.en, city.short_name.zh) == ("江门市", "Jiangmen", "江门")
    assert city.title.zh == "江门职工服务设施查询"
    assert city.centre == (112.75, 22.25) and city.zoom == 9
    assert (city.metric_epsg, city.metric_crs, city.metric_name) == (
        32649,
        "EPSG:32649",
        "UTM 49N",
    )
    assert city.time_zone == "Asia/Shanghai"
    assert city.area_codes == ("0750",)
    assert city.hotline.number == "19262012351"
    assert "GeoNames" in city.attribution.en and 'href="https://www.geonames.org/"' in (
        city.map_attribution.zh
    )


def _broken(**changes) -> dict:
    doc = json.loads(json.dumps(BUNDLED))
    for key, value in changes.items():
        if value is None:
            doc.pop(key)
        else:
            doc[key] = value
    return doc


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"code": None}, "missing field 'code'"),
        ({"code": "4407"}, "code must be a 6-digit division code, not '4407'"),
        ({"name": "江门市"}, "'name' must be"),
        ({"name": {"zh": "江门市"}}, "'name.en' must be a non-empty text"),
        ({"title": {"zh": "", "en": "x"}}, "'title.zh' must be a non-empty text"),
        ({"map": {"centre": [22.25], "zoom": 9}}, "map.centre must be [lon, lat]"),
        ({"map": {"centre": [112.75, 122.25], "zoom": 9}}, "is not [lon, lat] in degrees"),
        ({"map": {"centre": [112.75, 22.25]}}, "missing field 'map.zoom'"),
        ({"map": {"centre": [112.75, 22.25], "zoom": 9.5}}, "map.zoom must be a whole number"),
        ({"metric_crs": {"name": "UTM 49N"}}, "missing field 'metric_crs.epsg'"),
        ({"metric_crs": {"epsg": "32649", "name": "UTM"}}, "metric_crs.epsg must be an EPSG"),
        ({"time_zone": "Shanghai time"}, "time_zone 'Shanghai time' is not an IANA zone name"),
        ({"time_zone": "Asia/Urumqi"}, "time_zone 'Asia/Urumqi' is not supported yet"),
        ({"area_codes": "0750"}, "area_codes must be a list"),
        ({"area_codes": ["750"]}, "area_codes: '750' is not a telephone area code"),
        ({"hotlines": {"number": "12351"}}, "hotlines must be a list"),
        (
            {"hotlines": [{"number": "call us", "label": {"zh": "热线", "en": "hotline"}}]},
            "hotlines: number 'call us'",
        ),
        ({"hotlines": [{"number": "12351"}]}, "missing field 'hotlines.label'"),
        ({"map_attribution": None}, "missing field 'map_attribution'"),
        (
            {"map_attribution": {"zh": "<img src=x onerror=alert(1)>", "en": "OSM"}},
            "'map_attribution.zh' may hold plain text and",
        ),
        (
            {"map_attribution": {"zh": "数据", "en": '<a href="javascript:alert(1)">x</a>'}},
            "'map_attribution.en' may hold plain text and",
        ),
    ],
)
def test_a_broken_profile_names_the_file_and_the_field(changes, says):
    with pytest.raises(DataError) as exc:
        city_from_doc(CITY_PROFILE_FILE, _broken(**changes))
    assert exc.value.file == CITY_PROFILE_FILE
    assert says in exc.value.message
    assert exc.value.message.startswith("city.json: ")


def test_a_city_without_area_codes_or_hotline_is_a_profile():
    """No public source gives most cities' area codes or a hotline: empty lists parse,
    and the profile then has no hotline to offer."""
    city = city_from_doc(CITY_PROFILE_FILE, _broken(area_codes=[], hotlines=[]))
    assert city.area_codes == ()
    assert city.hotline is None and city.hotline_number == ""


def _data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return reference_dir(d)


def test_a_missing_or_broken_file_stops_the_data(tmp_path):
    d = _data_dir(tmp_path)
    (d / CITY_PROFILE_FILE).unlink()
    with pytest.raises(DataError, match=r"^city.json: file not found: every data directory"):
        read_geodata(d)
    (d / CITY_PROFILE_FILE).write_text("{", encoding="utf-8")
    with pytest.raises(DataError, match=r"^city.json: invalid JSON at line 1"):
        read_geodata(d)
    (d / CITY_PROFILE_FILE).write_text("[]", encoding="utf-8")
    with pytest.raises(DataError, match=r"^city.json: expected a JSON object"):
        read_geodata(d)


@pytest.mark.parametrize(
    ("epsg", "says"),
    [
        (4326, "EPSG:4326"[5:] + " (WGS 84) is not a projected CRS in metres"),
        (999999, "metric_crs.epsg 999999 is not a known EPSG code"),
    ],
)
def test_the_metric_crs_must_be_projected_in_metres(tmp_path, epsg, says):
    d = _data_dir(tmp_path)
    doc = _broken(metric_crs={"epsg": epsg, "name": "x"})
    (d / CITY_PROFILE_FILE).write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError, match="metric_crs.epsg") as exc:
        read_geodata(d)
    assert says in exc.value.message


def test_the_profile_is_part_of_the_data_version(tmp_path):
    d = _data_dir(tmp_path)
    before, seen = read_geodata(d).version, fingerprint(d)
    doc = _broken(hotlines=[{"number": "12351", "label": {"zh": "热线", "en": "hotline"}}])
    (d / CITY_PROFILE_FILE).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    after = read_geodata(d)
    assert after.version != before and fingerprint(d) != seen
    assert after.profile is not None and after.profile.hotline.number == "12351"


def test_the_city_boundary_is_named_after_the_profile(tmp_path):
    d = _data_dir(tmp_path)
    doc = _broken(name={"zh": "海城市", "en": "Haicheng"})
    (d / CITY_PROFILE_FILE).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    info = read_geodata(d).reference(registry.CITY.id).info()
    assert (info.name_zh, info.name_en) == ("海城市", "Haicheng city")
    bundled = read_geodata(DEFAULT_DATA_DIR).reference(registry.CITY.id).info()
    assert (bundled.name_zh, bundled.name_en) == ("江门市", "Jiangmen city")


def test_transformers_follow_the_epsg_code():
    lon, lat = 113.08, 22.58
    x49, y49 = to_metric(lon, lat, 32649)
    x50, y50 = to_metric(lon, lat, 32650)
    assert 600_000 < x49 < 720_000 and x50 < 100_000  # east of 49N's meridian, far west of 50N's
    assert np.allclose(from_metric(x50, y50, 32650), (lon, lat), atol=1e-9)
    import shapely

    box = shapely.box(113.0, 22.5, 113.1, 22.6)
    assert geometry_to_metric(box, 32650).area > geometry_to_metric(box, 32649).area


def test_phone_hints_use_the_profiles_area_code():
    other = city_from_doc(
        CITY_PROFILE_FILE, _broken(area_codes=["0799"], short_name={"zh": "海城", "en": "Haicheng"})
    )
    with pytest.raises(BadValue) as exc:
        phone("3501234", other)
    assert exc.value.hint_zh == "海城的号码写作 0799-3501234"
    assert exc.value.hint_en == "a Haicheng number is written 0799-3501234"
    with pytest.raises(BadValue) as exc:
        phone("电话", other)
    assert "0799-3501234" in exc.value.hint_zh and "0750" not in exc.value.hint_en


def test_the_database_keeps_the_profile_and_gives_it_back(pg_server, tmp_path):
    """``db load`` stores city.json with the other documents, the PostGIS store exposes
    it, the version counts it as the files' does, and ``db dump`` writes it back byte for
    byte (the bundled directory's, and the versions equal: tests/stores/test_postgis.py)."""
    from locator.stores.postgis.db import database
    from locator.stores.postgis.store import PostgisStore
    from locator.stores.postgis.sync import dump_dir, load_dir

    d = _data_dir(tmp_path)
    doc = _broken(name={"zh": "海城市", "en": "Haicheng"})
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    (d / CITY_PROFILE_FILE).write_text(text, encoding="utf-8")
    db = database(pg_server.database("city-profile", d))
    store = PostgisStore.open(db)
    assert store.reference.city == read_city(d) and store.reference.city.name.en == "Haicheng"
    assert store.infos["city"].name_zh == "海城市"
    out = tmp_path / "dump"
    dump_dir(db, out)
    assert (out / CITY_PROFILE_FILE).read_bytes() == text.encode("utf-8")
    # a changed profile alone is a new data version, in the database as in the files
    (d / CITY_PROFILE_FILE).write_text(text.replace("海城市", "山城市"), encoding="utf-8")
    assert load_dir(db, d).version != store.version
    again = PostgisStore.open(db)
    assert again.version != store.version and again.reference.city.name.zh == "山城市"
