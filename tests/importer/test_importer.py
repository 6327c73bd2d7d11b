"""The importer: registers in every format checked row by row, all or nothing, history,
rollback, export round trips and a running server picking an import up."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from locator.cli import cli
from locator.formats.register_columns import read_header
from locator.importer import import_register
from locator.importer.history import LOG_FILE, history_dir, read_log, versions
from locator.importer.register import check_register, load_context
from locator.importer.values import BadValue, amenities, opening_hours, phone
from locator.stores.files.read import read_geodata
from locator.values.geo.crs import CoordSystem, wgs84_to_bd09, wgs84_to_gcj02
from locator.values.geo.distance import geodesic_distance_m
from tests.conftest import (
    facility,
    reference_dir,
    serve,
    write_layer,
)
from tests.helpers import bundled_city
from tests.registers import (
    FORMATS,
    HEADERS,
    first_data_row,
    good_rows,
    write_register,
    xlsx_as_excel_users_make_it,
)


def _check(path: Path, ddir: Path, coord=CoordSystem.WGS84, layer="love_stations"):
    return check_register(path.read_bytes(), path.name, load_context(ddir, layer), coord)


# --------------------------------------------------------------------------- mapping


@pytest.mark.parametrize(
    ("header", "field", "crs"),
    [
        ("名称", "name", None),
        ("站点名称", "name", None),
        ("Name", "name", None),
        ("经度(高德)", "lon", CoordSystem.GCJ02),
        ("纬度（百度）", "lat", CoordSystem.BD09),
        ("经度 lon (GCJ-02)", "lon", CoordSystem.GCJ02),
        ("lng", "lon", None),
        ("镇(街)", "town", None),
        ("县（市、区）代码", "district_code", None),
        ("镇（街）", "town", None),
        ("县(市、区)代码", "district_code", None),
        ("*联系电话", "phone", None),
        ("开放时间", "opening_hours", None),
        ("备注", None, None),
    ],
)
def test_headers_map_onto_the_model(header, field, crs):
    assert read_header(header) == (field, crs)


@pytest.mark.parametrize(
    ("cell", "expected", "unknown"),
    [
        ("饮水；热饭/微波炉、充电", ["drinking_water", "microwave", "charging"], []),
        ("卫生间 休息座椅, 空调", ["toilet", "seating", "air_conditioning"], []),
        ("药箱;WiFi;母婴", ["first_aid", "wifi", "nursing"], []),
        ("Drinking water; phone charging", ["drinking_water", "charging"], []),
        ("饮水、血压计", ["drinking_water"], ["血压计"]),
    ],
)
def test_amenity_terms(cell, expected, unknown):
    assert amenities(cell) == (expected, unknown)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0750-3501234", "0750-3501234"),
        ("(0750) 3501234", "0750-3501234"),
        ("+86 138 0013 8000", "13800138000"),
        ("12351", "12351"),
        ("13800138000/0750-3501234", "13800138000; 0750-3501234"),
        ("0750-3501234转8", "0750-3501234-8"),
    ],
)
def test_phone_numbers(cell, expected):
    assert phone(cell, bundled_city()) == expected


@pytest.mark.parametrize(
    ("cell", "hint"),
    [
        ("3501234", "0750-3501234"),
        ("12345678901", "0750-3501234"),
        ("电话", "13800138000"),
    ],
)
def test_bad_phone_numbers_say_how_to_write_them(cell, hint):
    with pytest.raises(BadValue) as exc:
        phone(cell, bundled_city())
    assert hint in exc.value.hint_zh


def test_a_city_without_area_codes_asks_for_one_without_guessing():
    """A built city's profile has no area codes (no public source): a bare local number
    is refused with the form to write, not with Jiangmen's code; full numbers pass."""
    import dataclasses

    city = dataclasses.replace(bundled_city(), area_codes=())
    with pytest.raises(BadValue) as exc:
        phone("3501234", city)
    assert "区号-3501234" in exc.value.hint_zh and "0750" not in exc.value.hint_zh
    assert "area code-3501234" in exc.value.hint_en
    assert phone("0898-88881234; 13800138000", city) == "0898-88881234; 13800138000"


@pytest.mark.parametrize(
    ("cell", "guess"),
    [
        ("周一至周五 8:30-17:30", "Mo-Fr 08:30-17:30"),
        ("每天8:00-18:00", "Mo-Su 08:00-18:00"),
        ("全天24小时", "24/7"),
        ("周一至周五 9:00-17:00，周六 9:00-12:00", "Mo-Fr 09:00-17:00; Sa 09:00-12:00"),
        ("周一至周五 8:30-17:30，节假日休息", "Mo-Fr 08:30-17:30; PH off"),
        ("周一至周五 上午8:30-下午5:30", "Mo-Fr 08:30-17:30"),
    ],
)
def test_chinese_hours_get_an_osm_hint(cell, guess):
    with pytest.raises(BadValue) as exc:
        opening_hours(cell)
    assert exc.value.hint_zh == f"可能是“{guess}”"
    assert opening_hours(guess) == guess  # and the hint itself parses


# --------------------------------------------------------------------------- problems


def _case(rows, i, col, value):
    rows[i][HEADERS.index(col)] = value


CASES = {
    # name: (change to the rows, code, column (tables; GeoJSON: geometry for coordinates),
    #        the Chinese report line after the location)
    "missing-name": (
        lambda r: _case(r, 1, "名称", ""),
        "missing-name",
        "名称",
        "缺少名称。建议：填写设施名称",
    ),
    "missing-coordinates": (
        lambda r: (_case(r, 1, "经度", ""), _case(r, 1, "纬度", "")),
        "missing-coordinates",
        "经度",
        "缺少经度或纬度。建议：从地图上取点并填写经纬度",
    ),
    "not-a-number": (
        lambda r: _case(r, 1, "纬度", "北纬二十二度"),
        "not-a-number",
        "纬度",
        "纬度 lat不是数字。建议：填写十进制度数，如 113.0775",
    ),
    "swapped": (
        lambda r: (_case(r, 1, "经度", 22.63385), _case(r, 1, "纬度", 113.11116)),
        "swapped-coordinates",
        "经度",
        "经度和纬度填反了。建议：经度填 113.11116，纬度填 22.63385",
    ),
    "outside-city": (
        lambda r: (_case(r, 1, "经度", 113.264), _case(r, 1, "纬度", 23.129)),
        "outside-city",
        "经度",
        "该点在江门市界外约",
    ),
    "town-mismatch": (
        lambda r: _case(r, 1, "所属镇街", "台城街道"),
        "town-mismatch",
        "所属镇街",
        "该点在潮连街道，距台城街道约",
    ),
    "unknown-town": (
        lambda r: _case(r, 1, "所属镇街", "潮莲街道"),
        "unknown-town",
        "所属镇街",
        "江门没有这个镇（街）。建议：是否为：潮连街道",
    ),
    "duplicate-name": (
        lambda r: (
            _case(r, 1, "名称", "白沙测试驿站"),
            _case(r, 1, "经度", 113.0737),
            _case(r, 1, "纬度", 22.5772),
            _case(r, 1, "所属镇街", ""),
        ),
        "duplicate",
        "名称",
        "相距 1",
    ),
    "same-coordinates": (
        lambda r: (
            _case(r, 1, "经度", 113.07364),
            _case(r, 1, "纬度", 22.57707),
            _case(r, 1, "所属镇街", ""),
        ),
        "duplicate",
        "名称",
        "坐标相同。建议：删除重复的一行，或更正坐标",
    ),
    "hours-converted": (
        lambda r: _case(r, 1, "开放时间", "周一至周五 8:30-17:30"),
        "hours-converted",
        "开放时间",
        "已按 OpenStreetMap 写法登记为“Mo-Fr 08:30-17:30”",
    ),
    "bad-hours": (
        lambda r: _case(r, 1, "开放时间", "看情况"),
        "bad-hours",
        "开放时间",
        "开放时间不是 OSM opening_hours 格式。建议：如 Mo-Fr 08:30-17:30; PH off",
    ),
    "bad-phone": (
        lambda r: _case(r, 1, "电话", "3501234"),
        "bad-phone",
        "电话",
        "“3501234”缺少区号。建议：江门的号码写作 0750-3501234",
    ),
    "unknown-amenity": (
        lambda r: _case(r, 1, "设施", "饮水、血压计"),
        "unknown-amenity",
        "设施",
        "设施用语不在词表中，原样保留在 amenities_other",
    ),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(CASES))
def test_each_problem_in_each_format(case, fmt, ddir, tmp_path):
    change, code, column, text = CASES[case]
    rows = good_rows()
    change(rows)
    path = write_register(tmp_path / "register", fmt, rows)
    before = (ddir / "love_stations.geojson").read_bytes()
    plan = _check(path, ddir)
    found = [p for p in plan.problems if p.code == code]
    assert len(found) == 1, plan.report()
    p = found[0]
    row = first_data_row(fmt) + 1
    assert p.row == row
    is_coords = code in (
        "missing-coordinates",
        "not-a-number",
        "swapped-coordinates",
        "outside-city",
    )
    assert p.column == ("geometry" if fmt == "geojson" and is_coords else column)
    line = p.line("zh")
    assert text in line
    unit = "个要素" if fmt == "geojson" else "行"
    assert line.startswith(("错误" if p.is_error else "提醒") + f" 第 {row} {unit}")
    assert p.line("en").split(" ")[0] in ("error", "warning")
    # every other row is fine, and a warning alone does not stop the import
    assert len(plan.problems) == 1 + (plan.problems[0].code == "extra-column")
    assert plan.ok is (not p.is_error)
    assert (ddir / "love_stations.geojson").read_bytes() == before


def test_a_clean_register_in_each_format_gives_the_same_layer(ddir, tmp_path):
    results = []
    for fmt in FORMATS:
        plan = _check(write_register(tmp_path / f"r-{fmt}", fmt, good_rows()), ddir)
        assert plan.ok and not plan.problems, plan.report()
        results.append(
            [
                (
                    f["id"],
                    f["geometry"],
                    {k: v for k, v in f["properties"].items() if k != "source"},
                )
                for f in plan.features
            ]
        )
    assert all(r == results[0] for r in results)
    props = [p for _, _, p in results[0]]
    assert [p["town_code"] for p in props] == ["440703002", "440703005", "440703006"]
    assert props[0]["amenities"] == ["drinking_water", "microwave", "charging"]
    assert "phone" not in props[2] and "opening_hours" not in props[2]  # unknown, not "none"


def test_report_in_english(ddir, tmp_path):
    rows = good_rows()
    _case(rows, 1, "电话", "3501234")
    plan = _check(write_register(tmp_path / "r", "csv-utf8", rows), ddir)
    assert plan.report("en") == [
        "error row 3, column '电话', value '3501234': '3501234' lacks its area code. "
        "Suggestion: a Jiangmen number is written 0750-3501234"
    ]


def test_xlsx_as_excel_users_make_it(ddir, tmp_path):
    """Merged title, two-level header with merged cells, blank rows: the rows keep the
    numbers Excel shows, and the coordinate system comes from the header note."""
    path = xlsx_as_excel_users_make_it(tmp_path / "excel")
    plan = _check(path, ddir, coord=None)
    assert plan.coord is CoordSystem.GCJ02
    assert plan.header_row == 3 and plan.description == "XLSX, sheet 驿站"
    errors = plan.errors
    assert [(p.row, p.column, p.code) for p in errors] == [(6, "联系电话", "bad-phone")]
    assert plan.rows == 2
    # the same workbook with the phone fixed imports, with 序号 kept as a property
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb.active["F6"] = "0750-3501235"
    wb.save(path)
    wb.close()
    plan = _check(path, ddir, coord=None)
    assert plan.ok, plan.report()
    assert [f["properties"]["序号"] for f in plan.features] == [1, 2]
    lon, lat = plan.features[0]["geometry"]["coordinates"]
    assert abs(lon - 113.079) > 0.003  # converted from GCJ-02, about 600 m west


@pytest.mark.parametrize(
    ("problem", "coord", "code"),
    [
        ("no system", None, "coordinate-system-unknown"),
        ("header says gcj02", CoordSystem.BD09, "coordinate-system-conflict"),
    ],
)
def test_coordinate_system_must_be_known_and_consistent(problem, coord, code, ddir, tmp_path):
    headers = list(HEADERS)
    if problem == "header says gcj02":
        headers[2], headers[3] = "经度（高德）", "纬度（高德）"
    path = write_register(tmp_path / "r", "csv-utf8", good_rows(), headers)
    plan = _check(path, ddir, coord=coord)
    assert [p.code for p in plan.errors] == [code]
    assert not plan.features


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "empty.csv", "unreadable"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls", "unreadable"),
        (b"PK\x03\x04broken", "broken.xlsx", "unreadable"),
        ("名称,经度,纬度\n".encode(), "header-only.csv", "no-rows"),
        ("地址,电话\n某路,0750-3501234\n".encode(), "no-name.csv", "missing-column"),
        ("甲,乙\n1,2\n".encode(), "no-header.csv", "unreadable"),
        ("名称,地址\n甲,某路\n".encode(), "no-coordinates.csv", "missing-column"),
        (b"\xff\xfe\xfa\xfb\xfc" * 20, "binary.csv", "unreadable"),
    ],
)
def test_unusable_files_give_one_clear_problem(data, name, code, ddir):
    plan = check_register(data, name, load_context(ddir, "love_stations"), CoordSystem.WGS84)
    assert [p.code for p in plan.problems] == [code], plan.report()
    assert plan.problems[0].zh and plan.problems[0].en


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=3000), as_xlsx=st.booleans())
def test_arbitrary_bytes_never_end_in_a_traceback(data, as_xlsx, tmp_path_factory):
    ddir = _shared_ddir(tmp_path_factory)
    if as_xlsx:
        data = b"PK\x03\x04" + data
    plan = check_register(
        data, "junk.xlsx" if as_xlsx else "junk.csv", _shared_context(ddir), CoordSystem.WGS84
    )
    assert plan.problems or plan.features
    assert all(p.zh and p.en for p in plan.problems)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(
        st.lists(
            st.one_of(st.text(max_size=12), st.floats(), st.integers()), min_size=1, max_size=9
        ),
        min_size=1,
        max_size=6,
    )
)
def test_arbitrary_cells_in_a_real_workbook_never_end_in_a_traceback(cells, tmp_path_factory):
    import io

    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = openpyxl.Workbook()
    wb.active.append(HEADERS)
    try:
        for row in cells:
            wb.active.append(row)
    except IllegalCharacterError:
        return  # openpyxl cannot write it; Excel could not have either
    buf = io.BytesIO()
    wb.save(buf)
    plan = check_register(
        buf.getvalue(),
        "cells.xlsx",
        _shared_context(_shared_ddir(tmp_path_factory)),
        CoordSystem.WGS84,
    )
    assert plan.problems or plan.features


_SHARED: dict = {}


def _shared_ddir(factory) -> Path:
    if "ddir" not in _SHARED:
        d = factory.mktemp("shared-data")
        reference_dir(d)
        _SHARED["ddir"] = d
    return _SHARED["ddir"]


def _shared_context(ddir: Path):
    if "ctx" not in _SHARED:
        _SHARED["ctx"] = load_context(ddir, "love_stations")
    return _SHARED["ctx"]


# --------------------------------------------------------------------------- writing


def _layer_bytes(ddir: Path) -> bytes:
    return (ddir / "love_stations.geojson").read_bytes()


def test_import_replaces_keeps_history_and_logs(ddir, tmp_path):
    path = write_register(tmp_path / "江门爱心驿站名单", "csv-gb18030", good_rows())
    before = _layer_bytes(ddir)
    outcome = import_register(
        ddir, path.read_bytes(), path.name, "love_stations", CoordSystem.WGS84, who="clerk"
    )
    assert outcome.written
    layer = read_geodata(ddir).layers["love_stations"]
    assert len(layer.facilities) == 3
    assert {f.source for f in layer.facilities} == {"江门爱心驿站名单.csv"}
    kept = versions(ddir, "love_stations")
    assert [v.current for v in kept] == [True, False]
    assert kept[1].path.read_bytes() == before
    log = [
        json.loads(line)
        for line in (history_dir(ddir) / LOG_FILE).read_text(encoding="utf-8").splitlines()
    ]
    assert log[-1]["who"] == "clerk" and log[-1]["file"] == "江门爱心驿站名单.csv"
    assert log[-1]["features"] == 3 and log[-1]["added"] == 3 and log[-1]["removed"] == 1
    assert log[-1]["sha256"] == hashlib.sha256(_layer_bytes(ddir)).hexdigest()
    assert log[-1]["previous_version"] == kept[1].id
    # the same register again: the same ids (stable), nothing changed
    again = import_register(ddir, path.read_bytes(), path.name, "love_stations", CoordSystem.WGS84)
    assert again.plan.changes() == {"added": 0, "removed": 0, "changed": 0, "unchanged": 3}


def test_ids_are_kept_for_renamed_addresses_and_moved_points(ddir, tmp_path):
    first = import_register(
        ddir,
        write_register(tmp_path / "a", "csv-utf8", good_rows()).read_bytes(),
        "a.csv",
        "love_stations",
        CoordSystem.WGS84,
    )
    rows = good_rows()
    _case(rows, 0, "地址", "白沙街道新地址")
    _case(rows, 0, "经度", 113.07394)  # about 30 m east
    second = import_register(
        ddir,
        write_register(tmp_path / "b", "csv-utf8", rows).read_bytes(),
        "b.csv",
        "love_stations",
        CoordSystem.WGS84,
    )
    assert [f["id"] for f in first.plan.features] == [f["id"] for f in second.plan.features]
    assert second.plan.changes()["changed"] == 3  # the source changed too (b.csv)


def test_ids_must_not_clash_with_other_layers(ddir, tmp_path):
    write_layer(ddir, "book_rooms", [facility("br-1", 113.0726, 22.5761, source="sample")])
    headers = ["编号"] + HEADERS
    rows = [["br-1"] + good_rows()[0]]
    plan = _check(write_register(tmp_path / "r", "csv-utf8", rows, headers), ddir)
    assert [p.code for p in plan.errors] == ["duplicate-id"]
    assert "book_rooms" in plan.errors[0].zh


def test_a_failure_between_writing_and_renaming_leaves_the_old_layer(ddir, tmp_path, monkeypatch):
    import locator.stores.files.read as store

    before = _layer_bytes(ddir)
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst).name == "love_stations.geojson":
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(store.os, "replace", failing_replace)
    path = write_register(tmp_path / "r", "csv-utf8", good_rows())
    with pytest.raises(OSError):
        import_register(ddir, path.read_bytes(), path.name, "love_stations", CoordSystem.WGS84)
    assert _layer_bytes(ddir) == before
    assert not list(ddir.glob(".love_stations.geojson.*"))  # no temporary file left
    assert [v.current for v in versions(ddir, "love_stations")] == [True]
    assert read_log(ddir) == []  # nothing logged
    read_geodata(ddir)  # and the directory still loads


def test_rollback_restores_byte_for_byte_and_can_itself_be_undone(ddir, tmp_path, runner):
    before = _layer_bytes(ddir)
    path = write_register(tmp_path / "r", "xlsx", good_rows())
    res = runner.invoke(
        cli,
        [
            "import",
            str(path),
            "--layer",
            "love_stations",
            "--coord",
            "wgs84",
            "--data-dir",
            str(ddir),
        ],
    )
    assert res.exit_code == 0, res.output
    after_import = _layer_bytes(ddir)
    res = runner.invoke(cli, ["history", "--layer", "love_stations", "--data-dir", str(ddir)])
    assert res.exit_code == 0
    lines = res.output.splitlines()
    assert lines[0].startswith("current") and "r.xlsx" in lines[0]
    old_id = lines[1].split()[0]
    res = runner.invoke(
        cli, ["rollback", "--layer", "love_stations", "--to", old_id[:16], "--data-dir", str(ddir)]
    )
    assert res.exit_code == 0, res.output
    assert _layer_bytes(ddir) == before
    kept = versions(ddir, "love_stations")
    assert len(kept) == 3 and kept[1].path.read_bytes() == after_import
    # the bytes back are the original's, yet the original stays the original
    assert [v.original for v in kept] == [False, False, True]
    assert [(v.made_by or {}).get("action") for v in kept] == ["rollback", "import", None]
    lines = runner.invoke(
        cli, ["history", "--layer", "love_stations", "--data-dir", str(ddir)]
    ).output.splitlines()
    assert "rollback by" in lines[0] and "import by" in lines[1]
    assert "原始版本 / original" in lines[2] and "rollback" not in lines[2]
    res = runner.invoke(
        cli, ["rollback", "--layer", "love_stations", "--to", "1999", "--data-dir", str(ddir)]
    )
    assert res.exit_code == 1 and "has no version '1999'" in res.output
    assert _layer_bytes(ddir) == before


def test_cli_import_all_or_nothing_and_dry_run(ddir, tmp_path, runner):
    rows = good_rows()
    _case(rows, 2, "开放时间", "每天8:00-18:00")  # converted, and said so
    _case(rows, 1, "电话", "3501234")  # an error
    bad = write_register(tmp_path / "bad", "csv-gb18030", rows)
    before = _layer_bytes(ddir)
    res = runner.invoke(
        cli,
        [
            "import",
            str(bad),
            "--layer",
            "love_stations",
            "--coord",
            "wgs84",
            "--data-dir",
            str(ddir),
        ],
    )
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert lines[0].startswith("错误 第 3 行，列“电话”，值“3501234”")  # errors first
    assert (
        "提醒 第 4 行，列“开放时间”，值“每天8:00-18:00”：已按 OpenStreetMap 写法登记为"
        "“Mo-Su 08:00-18:00”" in res.output
    )
    assert "未写入任何内容" in res.output
    good = write_register(tmp_path / "good", "csv-utf8", good_rows())
    res = runner.invoke(
        cli,
        [
            "import",
            str(good),
            "--layer",
            "love_stations",
            "--coord",
            "wgs84",
            "--dry-run",
            "--lang",
            "en",
            "--data-dir",
            str(ddir),
        ],
    )
    assert res.exit_code == 0 and "dry run, nothing written: 3 added, 1 removed" in res.output
    assert _layer_bytes(ddir) == before and not history_dir(ddir).exists()
    res = runner.invoke(
        cli, ["import", str(good), "--layer", "nope", "--coord", "wgs84", "--data-dir", str(ddir)]
    )
    assert res.exit_code == 1 and "unknown layer 'nope'" in res.output


def test_cli_import_of_junk_has_no_traceback(ddir, tmp_path):
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(os.urandom(4000))
    locator = str(Path(sys.executable).with_name("locator"))
    proc = subprocess.run(
        [locator, "import", str(junk), "--layer", "love_stations", "--data-dir", str(ddir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "错误 文件：" in proc.stdout


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("coord", ["wgs84", "gcj02", "bd09"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_export_then_import_gives_the_same_layer(fmt, coord, tmp_path, runner):
    """The bundled sample love stations, out and back in, in every format and system."""
    from locator.values.paths import DEFAULT_DATA_DIR

    ddir = tmp_path / "data"
    ddir.mkdir()
    reference_dir(ddir)
    original = (DEFAULT_DATA_DIR / "love_stations.geojson").read_bytes()
    (ddir / "love_stations.geojson").write_bytes(original)
    out = tmp_path / f"export.{fmt}"
    res = runner.invoke(
        cli,
        [
            "export",
            "--layer",
            "love_stations",
            "--format",
            fmt,
            "--coord",
            coord,
            "--out",
            str(out),
            "--data-dir",
            str(ddir),
        ],
    )
    assert res.exit_code == 0, res.output
    if coord != "wgs84" and fmt != "geojson":
        assert "经度 lon (" in out.read_bytes().decode("utf-8-sig", "ignore") or fmt == "xlsx"
    # imported with no --coord: the file says which system it is in
    res = runner.invoke(
        cli, ["import", str(out), "--layer", "love_stations", "--data-dir", str(ddir)]
    )
    assert res.exit_code == 0, res.output
    old = {f["id"]: f for f in json.loads(original)["features"]}
    new = {f["id"]: f for f in json.loads(_layer_bytes(ddir))["features"]}
    assert old.keys() == new.keys()
    for fid, f in old.items():
        assert new[fid]["properties"] == f["properties"]
        (x1, y1), (x2, y2) = f["geometry"]["coordinates"], new[fid]["geometry"]["coordinates"]
        assert float(geodesic_distance_m(x1, y1, x2, y2)) < 0.2


def test_csv_export_opens_in_excel_with_chinese(tmp_path, runner):
    from locator.values.paths import DEFAULT_DATA_DIR

    res = runner.invoke(
        cli,
        [
            "export",
            "--layer",
            "mothers_rooms",
            "--format",
            "csv",
            "--coord",
            "gcj02",
            "--data-dir",
            str(DEFAULT_DATA_DIR),
        ],
    )
    assert res.exit_code == 0
    data = res.stdout_bytes
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    header = data.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:2] == ["编号 id", "名称 name"]
    assert "经度 lon (GCJ-02)" in header
    first = data.decode("utf-8-sig").splitlines()[1].split(",")
    fc = json.loads((DEFAULT_DATA_DIR / "mothers_rooms.geojson").read_bytes())
    lon, lat = fc["features"][0]["geometry"]["coordinates"]
    gx, gy = wgs84_to_gcj02(lon, lat)
    assert abs(float(first[header.index("经度 lon (GCJ-02)")]) - gx) < 1e-6
    assert wgs84_to_bd09(lon, lat) != (gx, gy)


def test_xlsx_export_has_bilingual_header(tmp_path, runner):
    import openpyxl

    from locator.values.paths import DEFAULT_DATA_DIR

    out = tmp_path / "x.xlsx"
    res = runner.invoke(
        cli,
        [
            "export",
            "--layer",
            "book_rooms",
            "--format",
            "xlsx",
            "--out",
            str(out),
            "--data-dir",
            str(DEFAULT_DATA_DIR),
        ],
    )
    assert res.exit_code == 0
    wb = openpyxl.load_workbook(out)
    header = [c.value for c in wb.active[1]]
    wb.close()
    assert header[:4] == ["编号 id", "名称 name", "英文名称 name_en", "地址 address"]


# --------------------------------------------------------------------------- live


def test_a_running_server_serves_the_import_within_5_seconds(ddir, tmp_path):
    path = write_register(
        tmp_path / "federation",
        "csv-gb18030",
        [[r[0], r[1], *wgs84_to_gcj02(r[2], r[3]), *r[4:]] for r in good_rows()],
        ["名称", "地址", "经度（高德）", "纬度（高德）", *HEADERS[4:]],
    )
    locator = str(Path(sys.executable).with_name("locator"))
    with serve(ddir) as base:

        def layer() -> dict:
            with urllib.request.urlopen(base + "/api/v1/layers/love_stations") as r:
                return json.load(r)

        assert [f["id"] for f in layer()["features"]] == ["ls-0001"]
        proc = subprocess.run(
            [locator, "import", str(path), "--layer", "love_stations", "--data-dir", str(ddir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            feats = layer()["features"]
            if len(feats) == 3:
                break
            assert [f["id"] for f in feats] == ["ls-0001"]  # old or new, never a mix
            time.sleep(0.1)
        assert len(feats) == 3, "the import did not reach the server within 5 s"
        assert {f["properties"]["source"] for f in feats} == {"federation.csv"}


def test_a_hours_notation_understood_is_one_warning_for_the_register(ddir, tmp_path):
    """The same notation in many cells gives one warning listing its rows (runs of rows
    as first–last); another notation gets its own; the hours are converted in every row."""
    rows = []
    for i in range(6):
        row = list(good_rows()[i % 3])
        row[0] = f"驿站{i}"
        row[2] = 113.07 + i * 0.002
        row[7] = ""
        rows.append(row)
    for i in (0, 1, 2, 4):
        _case(rows, i, "开放时间", "周一至周五 8:30-17:30")
    _case(rows, 5, "开放时间", "每天 9:00-18:00")
    plan = _check(write_register(tmp_path / "r", "csv-utf8", rows), ddir)
    warnings = [p for p in plan.problems if p.code == "hours-converted"]
    assert len(warnings) == 2, plan.report()
    first, second = warnings
    assert first.rows == (2, 3, 4, 6) and first.row == 2 and second.rows == ()
    zh, en = first.line("zh"), first.line("en")
    assert zh.startswith("提醒 第 2–4、6 行（共 4 处），列“开放时间”，值“周一至周五 8:30-17:30”")
    assert "Mo-Fr 08:30-17:30" in zh
    assert en.startswith("warning rows 2–4, 6 (4 in all), column '开放时间'")
    assert second.line("zh").startswith("提醒 第 7 行，")
    hours = [f["properties"].get("opening_hours") for f in plan.features]
    assert hours[:3] == ["Mo-Fr 08:30-17:30"] * 3 and hours[4] == "Mo-Fr 08:30-17:30"
    assert plan.summary("en").endswith("0 error(s), 2 warning(s)")
