"""``kill -9`` during an import: a real import in a subprocess, killed at each step of
its write (``LOCATOR_TEST_CRASH_AT``), then a restart. After it the layer, its history
and the import log agree, and no temporary file of the app is left."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from locator.importer import import_register
from locator.importer.history import read_log, versions
from locator.stores.files.read import TEMP_PREFIX
from locator.stores.files.recovery import CRASH_ENV, PENDING_FILE, recover_writes
from locator.values.geo.crs import CoordSystem
from locator.values.registry import HISTORY_DIR, LOG_FILE
from locator.web import create_app
from tests.conftest import facility, reference_dir, write_layer
from tests.registers import good_rows, write_register

LOCATOR = str(Path(sys.executable).with_name("locator"))
LAYER = "love_stations"
#: where the write dies -> whether the restart finds the new layer in place (rolled
#: forward) or not (undone)
STEPS = {
    "after_intent": False,
    "after_keep": False,
    "layer_temp_written": False,
    "after_replace": True,
    "after_log": True,
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _temp_files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.rglob("*") if p.name.startswith(TEMP_PREFIX)]


def _import(data_dir: Path, register: Path, step: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if step:
        env[CRASH_ENV] = step
    cmd = [LOCATOR, "import", str(register), "--layer", LAYER, "--coord", "wgs84"]
    return subprocess.run(
        [*cmd, "--data-dir", str(data_dir)], capture_output=True, text=True, env=env, timeout=120
    )


def assert_consistent(data_dir: Path) -> None:
    """The layer is what the log's last write of it made; every kept version is the file
    a logged write replaced, and every version the log kept is there; nothing pending."""
    history = data_dir / HISTORY_DIR
    assert not (history / PENDING_FILE).exists()
    assert not _temp_files(data_dir)
    log = [e for e in read_log(data_dir) if e["layer"] == LAYER]
    text = (history / LOG_FILE).read_text(encoding="utf-8")
    assert text.endswith("\n") and len(text.splitlines()) == len(read_log(data_dir))
    assert log[-1]["sha256"] == _sha(data_dir / f"{LAYER}.geojson")
    kept = {v.id: v for v in versions(data_dir, LAYER) if not v.current}
    assert set(kept) == {e["previous_version"] for e in log}
    for before, after in zip(log, log[1:], strict=False):
        # each write kept the file the write before it had made
        assert kept[after["previous_version"]].sha256 == before["sha256"]


@pytest.fixture(scope="module")
def crashed(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess, dict]]:
    """For each step, a data directory with one import done, and a second import killed
    at that step (the subprocesses run side by side: each is mostly Python starting)."""
    root = tmp_path_factory.mktemp("crash")
    first = write_register(root / "first", "csv-utf8", good_rows()[:2])
    second = write_register(root / "second", "csv-utf8", good_rows())
    template = root / "template"
    template.mkdir()
    reference_dir(template)
    write_layer(template, LAYER, [facility("ls-0001", 113.0726, 22.5761, source="sample")])
    assert import_register(
        template, first.read_bytes(), first.name, LAYER, CoordSystem.WGS84, who="test"
    ).written
    dirs = {step: Path(shutil.copytree(template, root / step)) for step in STEPS}
    with ThreadPoolExecutor(len(STEPS)) as pool:
        procs = dict(
            zip(STEPS, pool.map(lambda s: _import(dirs[s], second, s), STEPS), strict=True)
        )
    out = {}
    for step, proc in procs.items():
        d = dirs[step]
        state = {
            "layer": _sha(d / f"{LAYER}.geojson"),
            "log": read_log(d),
            "temp": _temp_files(d),
            "pending": (d / HISTORY_DIR / PENDING_FILE).exists(),
        }
        out[step] = (d, proc, state)
    return out


@pytest.mark.parametrize("step", list(STEPS))
def test_a_killed_import_is_finished_or_undone_at_restart(crashed, step, tmp_path):
    data_dir, proc, at_crash = crashed[step]
    assert proc.returncode == -9, proc.stdout + proc.stderr  # killed, as kill -9 does
    log_before = [e for e in read_log(data_dir) if e["layer"] == LAYER]
    assert at_crash["pending"]  # the intent was there when it died
    assert len(at_crash["log"]) == 1 + (step == "after_log")
    if step == "layer_temp_written":
        assert at_crash["temp"]  # the new layer was complete in a temporary file
    # the restart: the app factory recovers before it reads the data
    create_app({"TESTING": True, "DATA_DIR": str(data_dir), "WATCH_DATA": False, "TILES": "none"})
    assert_consistent(data_dir)
    log = [e for e in read_log(data_dir) if e["layer"] == LAYER]
    rolled_forward = STEPS[step]
    assert len(log) == len(log_before) + (rolled_forward and step != "after_log")
    assert _sha(data_dir / f"{LAYER}.geojson") == at_crash["layer"]  # never rewritten
    if rolled_forward:
        assert log[-1]["file"] == "second.csv" and log[-1]["features"] == 3
        # a line written at restart says so; a line the import wrote itself is as it was
        assert ("recovered_at" in log[-1]) is (step == "after_replace")
    else:
        assert log[-1]["file"] == "first.csv" and len(log) == 1
    if step not in ("layer_temp_written", "after_replace"):
        return  # one of each outcome is enough for what follows
    # and the next import starts from there as if nothing had happened
    again = write_register(tmp_path / "again", "csv-utf8", good_rows()[1:])
    assert import_register(
        data_dir, again.read_bytes(), again.name, LAYER, CoordSystem.WGS84
    ).written
    assert_consistent(data_dir)


def test_only_the_apps_temporary_files_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f"{TEMP_PREFIX}{dead_pid}.{LAYER}.geojson.abc.tmp"
    live = tmp_path / f"{TEMP_PREFIX}{os.getpid()}.{LAYER}.geojson.def.tmp"
    other = tmp_path / f".{LAYER}.geojson.ghi.tmp"  # not the app's name
    for p in (stale, live, other):
        p.write_text("{}")
    assert recover_writes(tmp_path) == []  # without a start time, no file is removed
    import time

    # newer than the start of this run: not left by an earlier one
    assert recover_writes(tmp_path, started_at=time.time() - 3600) == []
    assert stale.exists()
    recover_writes(tmp_path, started_at=time.time() + 1)
    assert not stale.exists() and live.exists() and other.exists()


def test_a_killed_import_leaves_the_database_as_it_was(pg_server, ddir, tmp_path, monkeypatch):
    """With PostGIS the import is one transaction: killed after the working copy's layer
    is replaced, the database has neither the layer nor a log line (the connection
    dropped, the transaction rolled back); the working copy it left in the temporary
    folder is removed by the next one made."""
    from tests.stores.test_postgis import rows, version

    url = pg_server.database("crash", ddir)
    before = version(url)
    register = write_register(tmp_path / "r", "csv-utf8", good_rows())
    # a temporary folder of this test's own: a working copy made in another pytest worker
    # meanwhile would sweep the dead process's copy from the shared one before we look
    own_tmp = tmp_path / "tmp"
    own_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(own_tmp))
    env = {
        **os.environ,
        CRASH_ENV: "after_replace",
        "LOCATOR_DATABASE_URL": url,
        "TMPDIR": str(own_tmp),
    }
    cmd = [LOCATOR, "import", str(register), "--layer", LAYER, "--coord", "wgs84"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env) as killed:
        output = killed.communicate(timeout=120)[0]
    assert killed.returncode == -9, output
    assert version(url) == before
    assert rows(url, "SELECT count(*) FROM locator.history") == [(0,)]
    assert rows(url, "SELECT count(*) FROM locator.import_log") == [(0,)]
    left = list(Path(tempfile.gettempdir()).glob(f"locator-wc-{killed.pid}-*"))
    assert left  # the dead process's working copy
    # the next import (here its working copy, the first thing it makes) removes it
    from locator.stores.working import data_dir_for

    with data_dir_for(tmp_path, url, write=False, layer=LAYER, others=False) as wdir:
        assert wdir.name.startswith(f"locator-wc-{os.getpid()}-")
    assert not [p for p in left if p.exists()]
    assert version(url) == before


def test_a_log_line_cut_off_earlier_does_not_swallow_the_next(ddir, tmp_path):
    log = ddir / HISTORY_DIR / LOG_FILE
    log.parent.mkdir()
    log.write_text('{"at": "2026-01-01T00:00:00Z", "layer": "love_st', encoding="utf-8")
    register = write_register(tmp_path / "r", "csv-utf8", good_rows())
    entry = import_register(
        ddir, register.read_bytes(), register.name, LAYER, CoordSystem.WGS84
    ).entry
    assert read_log(ddir) == [entry]
