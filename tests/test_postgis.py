"""The PostGIS store on its own: schema and loads, dumps, imports through a working copy
(all or nothing), history and rollback, two app servers on one database, and
``serve --workers``. The behaviour it shares with the file store is in test_stores.py and
in the modules that set STORES = BOTH_STORES."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest

from locator import registry
from locator.pg.db import Database
from locator.pg.sync import load_dir
from locator.store import read_geodata
from locator.web import DEFAULT_DATA_DIR

from .conftest import facility, serve, write_layer
from .registers import good_rows, write_register

LOCATOR = str(Path(sys.executable).with_name("locator"))


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([LOCATOR, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def version(url: str) -> str:
    return str(rows(url, "SELECT version FROM locator.state")[0][0])


def rows(url: str, sql: str) -> list:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_init_is_idempotent_and_load_writes_only_what_changed(pg_server, tmp_path):
    url = pg_server.database("init")
    first = run("db", "init", "--database-url", url)
    assert first.returncode == 0 and "schema up to date" in first.stdout
    load = run("db", "load", "--database-url", url)
    assert load.returncode == 0, load.stderr
    assert "loaded book_rooms: 706 features" in load.stdout
    assert load.stderr.count("load ") >= len(registry.COLLECTIONS) - 1  # a bar per layer
    again = run("db", "load", "--database-url", url)
    assert "loaded" not in again.stdout and "unchanged: love_stations" in again.stdout
    assert version(url) == read_geodata(DEFAULT_DATA_DIR).version  # the files' version


def test_dump_gives_the_files_back_byte_for_byte(bundled_db, tmp_path):
    out = tmp_path / "dump"
    proc = run("db", "dump", "--database-url", bundled_db, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for path in DEFAULT_DATA_DIR.iterdir():
        if path.suffix in (".geojson", ".csv", ".json"):
            assert filecmp.cmp(path, out / path.name, shallow=False), path.name
    assert read_geodata(out).version == version(bundled_db)


def test_a_broken_data_directory_loads_nothing(pg_server, tmp_path, data_dir):
    url = pg_server.database("broken", data_dir)
    before = version(url)
    write_layer(data_dir, "book_rooms", [facility("x-1", 113.07, 22.57),
                                         facility("x-1", 113.08, 22.58)])  # an id twice
    proc = run("db", "load", "--database-url", url, "--data-dir", str(data_dir))
    assert proc.returncode == 1 and "duplicate id" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert version(url) == before
    assert rows(url, "SELECT count(*) FROM locator.feature WHERE collection = 'book_rooms'"
                ) == [(0,)]


def test_bad_urls_and_empty_databases_get_a_clear_message(pg_server):
    for args, says in ((["db", "load", "--database-url", "mysql://x"], "postgresql://"),
                       (["db", "init", "--database-url",
                         "postgresql://nobody@127.0.0.1:1/none"], "database:"),
                       (["db", "dump", "--out", "/tmp/x"], "--database-url")):
        proc = run(*args, env={"LOCATOR_DATABASE_URL": ""})
        assert proc.returncode != 0 and says in proc.stderr and "Traceback" not in proc.stderr
    empty = pg_server.database("empty")
    proc = run("serve", "--database-url", empty, "--port", "1")
    assert proc.returncode == 1 and "locator db load" in proc.stderr


def test_knn_ranks_on_geography_through_the_index(bundled_db):
    point = "'SRID=4326;POINT(113.08 22.58)'::geography"
    for where in ("collection = 'book_rooms'",
                  "facility AND collection = ANY('{love_stations,book_rooms}')"):
        plan = "\n".join(r[0] for r in rows(bundled_db, (
            f"EXPLAIN SELECT doc FROM locator.feature WHERE {where} "
            f"ORDER BY geog <-> {point} LIMIT 5")))
        assert "Index Scan using feature_" in plan and "Order By: (geog <->" in plan, plan
        assert "Sort" not in plan.split("Index Scan")[0], plan  # no sort over the table
    source = (Path(__file__).parents[1] / "locator/pg/store.py").read_text()
    assert "geometry <->" not in source and "::geometry <->" not in source


def test_import_rollback_and_history_through_the_database(pg_server, ddir, tmp_path):
    url = pg_server.database("import", ddir)
    env = {"LOCATOR_DATABASE_URL": url}
    before = version(url)
    bad = write_register(tmp_path / "bad", "csv-utf8",
                         [good_rows()[0], ["", "无名", 200.0, 22.5, "", "", "", ""]])
    proc = run("import", str(bad), "--layer", "love_stations", "--coord", "wgs84",
               env=env)
    assert proc.returncode == 1 and "未写入任何内容" in proc.stdout
    assert version(url) == before and rows(url, "SELECT count(*) FROM locator.history") == [(0,)]
    dry = run("import", str(write_register(tmp_path / "ok", "xlsx", good_rows())), "--layer",
              "love_stations", "--dry-run", "--coord", "wgs84", env=env)
    assert dry.returncode == 0 and version(url) == before
    good = write_register(tmp_path / "good", "csv-gb18030", good_rows())
    proc = run("import", str(good), "--layer", "love_stations", "--coord", "wgs84",
               env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = version(url)
    assert after != before
    names = {r[0] for r in rows(url, "SELECT doc->'properties'->>'name' FROM locator.feature "
                                     "WHERE collection = 'love_stations'")}
    assert names == {r[0] for r in good_rows()}
    hist = run("history", "--layer", "love_stations", env=env)
    kept = [line.split()[0] for line in hist.stdout.splitlines()
            if not line.startswith("current")]
    assert len(kept) == 1 and "import by" in hist.stdout
    back = run("rollback", "--layer", "love_stations", "--to", kept[0], env=env)
    assert back.returncode == 0, back.stderr
    assert version(url) == before  # the very bytes that were replaced
    log = [json.loads(r[0]) for r in rows(url, "SELECT line FROM locator.import_log ORDER BY n")]
    assert [e["action"] for e in log] == ["import", "rollback"]
    exported = run("export", "--layer", "love_stations", "--format", "geojson", env=env)
    assert json.loads(exported.stdout)["features"][0]["properties"]["id"] == "ls-0001"


def test_a_failure_while_writing_back_changes_nothing(pg_server, ddir, tmp_path, monkeypatch):
    from locator.geo.crs import CoordSystem
    from locator.importer import import_register
    from locator.pg import sync

    url = pg_server.database("fail", ddir)
    before = version(url)
    data = write_register(tmp_path / "good", "csv-utf8", good_rows()).read_bytes()

    def broken(conn, parsed, info, progress=None):
        conn.execute("DELETE FROM locator.feature WHERE collection = %s", (parsed.decl.id,))
        raise OSError("disk full")

    monkeypatch.setattr(sync, "write_collection", broken)
    with pytest.raises(OSError), sync.working_copy(Database(url)) as wdir:
        assert import_register(wdir, data, "good.csv", "love_stations", CoordSystem.WGS84
                               ).written
    assert version(url) == before
    assert rows(url, "SELECT fid FROM locator.feature WHERE collection = 'love_stations'"
                ) == [("ls-0001",)]
    assert rows(url, "SELECT count(*) FROM locator.history") == [(0,)]
    assert rows(url, "SELECT count(*) FROM locator.import_log") == [(0,)]


def test_two_app_servers_one_database(pg_server, ddir, tmp_path):
    """An import through one app server's admin API is served by the other within 5 s,
    with no restart; meanwhile the other answers the old layer or the new, never a mix."""
    url = pg_server.database("two", ddir)
    env = {"LOCATOR_DATABASE_URL": url, "LOCATOR_ADMIN_TOKEN": "t" * 32}
    register = write_register(tmp_path / "federation", "csv-utf8", good_rows()).read_bytes()
    with serve(env_extra=env) as one, serve(env_extra=env) as two:
        def ids(base: str) -> list[str]:
            with urllib.request.urlopen(base + "/api/v1/layers/love_stations") as r:
                return sorted(f["id"] for f in json.load(r)["features"])

        assert ids(one) == ids(two) == ["ls-0001"]
        body, boundary = _multipart({"layer": "love_stations", "action": "apply",
                                     "coord": "wgs84"},
                                    ("file", "federation.csv", register))
        req = urllib.request.Request(one + "/admin/import", data=body, method="POST", headers={
            "Authorization": "Bearer " + "t" * 32,
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        with urllib.request.urlopen(req) as r:
            assert json.load(r)["written"] is True
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            seen = ids(two)
            if seen != ["ls-0001"]:
                break
            time.sleep(0.1)
        assert len(seen) == 3, "the import did not reach the other app server within 5 s"
        assert ids(one) == seen
        near = json.load(urllib.request.urlopen(
            two + "/api/v1/nearest?lon=113.0736&lat=22.5771&layer=love_stations&k=1"))
        assert near["features"][0]["properties"]["name"] == "白沙测试驿站"


def _multipart(fields: dict[str, str], file: tuple[str, str, bytes]) -> tuple[bytes, str]:
    boundary = "locatortestboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             .encode() for k, v in fields.items()]
    name, filename, data = file
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                 f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode() + data
                 + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def test_serve_with_workers_runs_gunicorn(bundled_db, tmp_path):
    log = tmp_path / "serve.log"
    with serve(env_extra={"LOCATOR_DATABASE_URL": bundled_db, "LOCATOR_WORKERS": "2"},
               log=log) as base:
        pids = set()
        for _ in range(40):
            with urllib.request.urlopen(base + "/api/v1/nearest?lon=113.08&lat=22.58") as r:
                assert r.status == 200 and json.load(r)["features"]
        text = log.read_text()
        pids = {line.split("pid: ")[1].split(")")[0] for line in text.splitlines()
                if "Booting worker with pid" in line}
        assert len(pids) == 2, text


def test_listening_beyond_this_machine_without_a_proxy_warns(data_dir):
    from locator.cli import exposure_warning

    assert exposure_warning("127.0.0.1", 0) is None and exposure_warning("::1", 0) is None
    assert exposure_warning("localhost", 0) is None
    assert exposure_warning("0.0.0.0", 1) is None  # a proxy is declared in front
    warning = exposure_warning("0.0.0.0", 0)
    assert warning and "HTTPS" in warning and "DEPLOY.md" in warning and "反向代理" in warning


def test_a_database_with_facilities_only_in_one_layer_still_answers(pg_server, data_dir):
    url = pg_server.database("one-layer", data_dir)
    from locator.pg.db import database
    from locator.pg.store import PostgisStore

    db = database(url)
    store = PostgisStore.open(db)
    assert [i.count for i in store.collection_infos(True)] == [2, 0, 0, 0]
    shutil.rmtree(data_dir / "history", ignore_errors=True)
    assert load_dir(db, data_dir).written == {}
