"""Edge cases a review of the importer found, each kept from coming back."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
from pathlib import Path

import pytest

from locator.cli import cli
from locator.formats.register_columns import read_header
from locator.importer import import_register
from locator.importer.history import LOG_FILE, history_dir, versions
from locator.importer.register import check_register, load_context
from locator.importer.values import BadValue, number
from locator.stores.files.read import validate_data_dir
from locator.values.geo.crs import CoordSystem
from locator.web import create_app
from tests.conftest import write_layer
from tests.registers import HEADERS, good_rows, write_register


def _plan(ddir: Path, data: bytes, name: str, coord=CoordSystem.WGS84, sheet=None):
    return check_register(data, name, load_context(ddir, "love_stations"), coord, sheet)


@pytest.mark.parametrize(
    "text", ["113°5'1.2.3", "2°.", "113.0775,22", "11_3.0775", "1e5", "nan", "inf", "0x71"]
)
def test_numbers_are_plain_decimals_and_never_crash(text):
    with pytest.raises(BadValue):
        number(text, "经度")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Long Hua love station", None),
        ("24 hours", None),
        ("X Road", None),
        ("镇（街）代码 town_code", "town_code"),
        ("名称 name", "name"),
        ("经度 lon (GCJ-02)", "lon"),
    ],
)
def test_a_header_of_several_words_maps_only_when_all_agree(header, field):
    assert read_header(header)[0] == field


def test_an_english_data_row_is_not_taken_for_a_header(ddir, tmp_path):
    rows = [["Long Hua love station", "X Road", 113.07364, 22.57707, "", "24/7", "", ""]]
    plan = _plan(ddir, write_register(tmp_path / "r", "csv-utf8", rows).read_bytes(), "r.csv")
    assert plan.ok, plan.report()
    assert plan.header_row == 1 and plan.features[0]["properties"]["name"] == rows[0][0]


def test_a_styled_empty_cell_far_right_does_not_widen_the_table(ddir, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(HEADERS)
    wb.active.append(good_rows()[0])
    wb.active.cell(row=1, column=250).number_format = "@"  # styled, empty
    buf = io.BytesIO()
    wb.save(buf)
    plan = _plan(ddir, buf.getvalue(), "wide.xlsx")
    assert plan.ok, plan.report()


def test_a_chartsheet_is_not_a_table(ddir):
    import openpyxl
    from openpyxl.chart import BarChart, Reference

    wb = openpyxl.Workbook()
    wb.active.append(HEADERS)
    wb.active.append([1, 2, 3])
    chart = BarChart()
    chart.add_data(Reference(wb.active, min_col=1, min_row=2, max_col=3))
    wb.create_chartsheet("图表").add_chart(chart)
    buf = io.BytesIO()
    wb.save(buf)
    plan = _plan(ddir, buf.getvalue(), "chart.xlsx", sheet="图表")
    assert [p.code for p in plan.problems] == ["unreadable"]
    assert "图表" in plan.problems[0].zh


@pytest.mark.parametrize(
    "body",
    [
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"name":"a","n":' + "1" * 5000 + "},"
        '"geometry":{"type":"Point","coordinates":[113.07,22.57]}}]}',
        '{"type":"FeatureCollection","features":[{"type":"Feature",'
        '"properties":{"name":"a","x":[NaN]},"geometry":{"type":'
        '"Point","coordinates":[113.07,22.57]}}]}',
    ],
)
def test_geojson_that_json_cannot_hold_is_unreadable_not_a_crash(ddir, body):
    plan = _plan(ddir, body.encode(), "odd.geojson", coord=None)
    assert [p.code for p in plan.problems] == ["unreadable"]


def test_control_characters_anywhere_are_an_error(ddir, tmp_path):
    rows = good_rows()
    rows[0][1] = "某路\x011号"
    plan = _plan(ddir, write_register(tmp_path / "r", "csv-utf8", rows).read_bytes(), "r.csv")
    assert [(p.code, p.column) for p in plan.errors] == [("control-characters", "地址")]


def test_formulas_are_exported_as_text_and_come_back(ddir, tmp_path, runner):
    rows = good_rows()
    rows[0][0] = '=HYPERLINK("http://x.invalid","点我")'
    rows[1][1] = "@SUM(A1)"
    rows[2][6] = "=1+1"  # an amenity term not in the vocabulary: kept as it is
    path = write_register(tmp_path / "r", "csv-utf8", rows)
    assert import_register(
        ddir, path.read_bytes(), path.name, "love_stations", CoordSystem.WGS84
    ).written
    before = json.loads((ddir / "love_stations.geojson").read_bytes())["features"]
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"out.{fmt}"
        res = runner.invoke(
            cli,
            [
                "export",
                "--layer",
                "love_stations",
                "--format",
                fmt,
                "--out",
                str(out),
                "--data-dir",
                str(ddir),
            ],
        )
        assert res.exit_code == 0
        if fmt == "csv":
            text = out.read_bytes().decode("utf-8-sig")
            assert "'=HYPERLINK" in text and ",'=1+1," in text
        else:
            import openpyxl

            wb = openpyxl.load_workbook(out)
            cell = wb.active["B2"]
            assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
            wb.close()
        res = runner.invoke(
            cli, ["import", str(out), "--layer", "love_stations", "--data-dir", str(ddir)]
        )
        assert res.exit_code == 0, res.output
        after = json.loads((ddir / "love_stations.geojson").read_bytes())["features"]
        assert [f["properties"] for f in after] == [f["properties"] for f in before]


def test_an_unwritable_log_stops_the_import_before_anything_changes(ddir, tmp_path):
    (history_dir(ddir) / LOG_FILE).mkdir(parents=True)  # the log cannot be opened
    before = (ddir / "love_stations.geojson").read_bytes()
    path = write_register(tmp_path / "r", "csv-utf8", good_rows())
    with pytest.raises(IsADirectoryError):
        import_register(ddir, path.read_bytes(), path.name, "love_stations", CoordSystem.WGS84)
    assert (ddir / "love_stations.geojson").read_bytes() == before
    assert not (history_dir(ddir) / "love_stations").exists()


def test_two_imports_at_once_cannot_both_take_an_id(ddir, tmp_path):
    headers = ["编号"] + HEADERS
    results: dict[str, bool] = {}
    for layer in ("love_stations", "mothers_rooms"):
        write_register(tmp_path / layer, "csv-utf8", [["same-id"] + good_rows()[0]], headers)
    barrier = threading.Barrier(2)

    def run(layer: str) -> None:
        data = (tmp_path / f"{layer}.csv").read_bytes()
        barrier.wait()
        results[layer] = import_register(
            ddir, data, f"{layer}.csv", layer, CoordSystem.WGS84
        ).written

    threads = [
        threading.Thread(target=run, args=(layer,)) for layer in ("love_stations", "mothers_rooms")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [False, True]
    reports, problems = validate_data_dir(ddir)
    assert not problems and not any(r.problems for r in reports)


def test_a_broken_current_layer_can_be_mended_by_an_import(ddir, tmp_path, runner):
    (ddir / "love_stations.geojson").write_text(
        '{"type": "FeatureCollection", "feat', encoding="utf-8"
    )
    write_layer(ddir, "book_rooms", [{"type": "Feature", "properties": None, "geometry": None}])
    path = write_register(tmp_path / "r", "csv-utf8", good_rows())
    outcome = import_register(
        ddir, path.read_bytes(), path.name, "love_stations", CoordSystem.WGS84
    )
    assert outcome.written
    assert {p.code for p in outcome.plan.warnings} == {"unreadable-layer"}
    # a kept version with odd content still lists
    (history_dir(ddir) / "love_stations" / "20200101T000000Z-00000000.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"properties": null}]}', encoding="utf-8"
    )
    assert len(versions(ddir, "love_stations")) == 3
    res = runner.invoke(cli, ["history", "--layer", "love_stations", "--data-dir", str(ddir)])
    assert res.exit_code == 0


def test_a_password_hash_alone_cannot_be_used_to_forge_a_session(ddir):
    from flask.sessions import SecureCookieSessionInterface
    from werkzeug.security import generate_password_hash

    hashed = generate_password_hash("a long enough password")
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(ddir),
            "WATCH_DATA": False,
            "TILES": "none",
            "ADMIN_PASSWORD_HASH": hashed,
        }
    )
    forger = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(ddir),
            "WATCH_DATA": False,
            "TILES": "none",
            "SECRET_KEY": hmac.new(
                hashed.encode(), b"locator admin session", hashlib.sha256
            ).hexdigest(),
        }
    )
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    cookie = serializer.dumps({"admin": True, "csrf": "x"})
    client = app.test_client()
    client.set_cookie("locator_admin", cookie, path="/admin")
    assert client.get("/admin/import").status_code == 302  # to the sign-in page


def test_behind_a_proxy_limits_and_cookies_follow_the_real_client(ddir):
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(ddir),
            "WATCH_DATA": False,
            "TILES": "none",
            "ADMIN_TOKEN": "t" * 24,
            "PROXY_COUNT": 1,
        }
    )
    client = app.test_client()
    for _ in range(5):
        client.post(
            "/admin/signin", data={"token": "guess"}, headers={"X-Forwarded-For": "203.0.113.7"}
        )
    locked = client.post(
        "/admin/signin", data={"token": "t" * 24}, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert locked.status_code == 429
    other = client.post(
        "/admin/signin",
        data={"token": "t" * 24},
        headers={"X-Forwarded-For": "198.51.100.2", "X-Forwarded-Proto": "https"},
    )
    assert other.status_code == 303 and "Secure" in other.headers["Set-Cookie"]


def test_a_line_break_in_next_is_not_a_500(ddir):
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(ddir),
            "WATCH_DATA": False,
            "TILES": "none",
            "ADMIN_TOKEN": "t" * 24,
        }
    )
    resp = app.test_client().post(
        "/admin/signin", data={"token": "t" * 24, "next": "/admin/\r\nX: 1"}
    )
    assert resp.status_code == 303 and resp.headers["Location"] == "/admin/import"


def test_a_token_that_looks_like_a_number_stays_text(ddir, monkeypatch):
    monkeypatch.setenv("LOCATOR_ADMIN_TOKEN", "1e30")
    app = create_app({"TESTING": True, "DATA_DIR": str(ddir), "WATCH_DATA": False, "TILES": "none"})
    resp = app.test_client().post("/admin/signin", data={"token": "1e30"})
    assert resp.status_code == 303
