"""The `locator` command through Click's runner, and `serve` as a real process."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

from locator.cli import cli
from tests.conftest import (
    facility,
    free_port,
    wait_for,
    wait_until,
    write_layer,
)

LOCATOR = str(Path(sys.executable).with_name("locator"))


def test_validate_bundled_data_is_clean(runner):
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "love_stations       133 features  ok       sample" in result.output
    assert "districts             7 features  ok       real: AMap" in result.output
    assert "towns                73 features  ok       real, see SOURCES.md (approximate)" in (
        result.output
    )
    assert "all layers valid" in result.output
    assert (
        "city profile     江门市 · Jiangmen (440700), metric CRS EPSG:32649 (UTM 49N), "
        "hotline 19262012351"
    ) in result.output


def test_validate_names_a_broken_city_profile(runner, data_dir):
    (data_dir / "city.json").write_text('{"code": "440700"}', encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert "error: city.json: missing field 'map'" in result.output


def test_validate_reports_problems_and_exits_1(runner, data_dir):
    write_layer(data_dir, "book_rooms", [facility("b", 113.07, 22.57, opening_hours="whenever")])
    result = runner.invoke(cli, ["validate", "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert "book_rooms.geojson: feature 'b': opening_hours 'whenever' does not parse" in (
        result.output
    )
    assert "1 problem(s)" in result.output


def test_validate_takes_data_dir_from_env(runner, data_dir):
    result = runner.invoke(cli, ["validate"], env={"LOCATOR_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0 and "real: test" in result.output


def test_build_sample_into_a_dir(runner, data_dir):
    result = runner.invoke(cli, ["build-geodata", "--sample", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "wrote  706 sample features to book_rooms.geojson" in result.output
    assert runner.invoke(cli, ["validate", "--data-dir", str(data_dir)]).exit_code == 0


def test_serve_with_broken_data_exits_1_without_traceback(data_dir):
    write_layer(data_dir, "love_stations", [facility("x", 22.57, 113.07)])
    proc = subprocess.run(
        [LOCATOR, "serve", "--port", "1", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "error: love_stations.geojson: feature 'x': coordinates" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_serve_answers_on_the_given_port():
    port = free_port()
    proc = subprocess.Popen(
        [LOCATOR, "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/", proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
            html = resp.read().decode()
            server = resp.headers["Server"]
        assert "爱心驿站" in html and "示例数据" in html
        assert server == "locator"  # waitress, not Werkzeug's development server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sighup_reloads_even_without_a_watcher(data_dir, tmp_path):
    """The reload is waited for by its effect (the served version changes), then its log
    line: the swap may be served before the line is written, and a busy machine widens
    that gap."""
    import os
    import signal

    from tests.conftest import SERVED_PIDS, serve

    def layers(base: str) -> dict:
        with urllib.request.urlopen(base + "/api/v1/layers", timeout=10) as resp:
            return json.loads(resp.read())

    log = tmp_path / "log"
    with serve(data_dir, log=log, env_extra={"LOCATOR_WATCH_DATA": "false"}) as base:
        before = layers(base)
        assert before["layers"][0]["count"] == 2
        write_layer(data_dir, "love_stations", [facility("h-1", 113.07, 22.57)])
        os.kill(SERVED_PIDS[base], signal.SIGHUP)
        after = wait_until(lambda: layers(base), lambda d: d["version"] != before["version"])
        assert after["layers"][0]["count"] == 1
        wait_until(log.read_text, lambda text: "data reloaded on SIGHUP" in text)
    assert f"data reloaded on SIGHUP: version {after['version']}" in log.read_text()
