"""The PostGIS store on its own: schema and loads, dumps, imports through a working copy
(all or nothing), history and rollback, two app servers on one database, and
``serve --workers``. The behaviour it shares with the file store is in test_stores.py and
in the modules that set STORES = BOTH_STORES."""

from __future__ import annotations

import datetime as dt
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

from locator.operations.hours import TZ
from locator.service import Service
from locator.stores.files.read import read_geodata
from locator.stores.postgis.db import Database
from locator.stores.postgis.sync import load_dir
from locator.values import registry
from locator.web import DEFAULT_DATA_DIR
from tests.conftest import facility, serve, write_layer
from tests.registers import good_rows, write_register

LOCATOR = str(Path(sys.executable).with_name("locator"))
AT = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [LOCATOR, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def run_all(*commands: list[str], env: dict | None = None) -> list[subprocess.CompletedProcess]:
    """`run` each command, side by side: each one's time is mostly Python starting."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: run(*args, env=env), commands))


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
    write_layer(
        data_dir, "book_rooms", [facility("x-1", 113.07, 22.57), facility("x-1", 113.08, 22.58)]
    )  # an id twice
    proc = run("db", "load", "--database-url", url, "--data-dir", str(data_dir))
    assert proc.returncode == 1 and "duplicate id" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert version(url) == before
    assert rows(url, "SELECT count(*) FROM locator.feature WHERE collection = 'book_rooms'") == [
        (0,)
    ]


def test_bad_urls_and_empty_databases_get_a_clear_message(pg_server):
    cases = (
        (["db", "load", "--database-url", "mysql://x"], "postgresql://"),
        (
            ["db", "init", "--database-url", "postgresql://nobody@127.0.0.1:1/none"],
            "database 127.0.0.1:1/none",
        ),
        (["db", "dump", "--out", "/tmp/x"], "--database-url"),
    )
    procs = run_all(*(args for args, _ in cases), env={"LOCATOR_DATABASE_URL": ""})
    for proc, (_, says) in zip(procs, cases, strict=True):
        assert proc.returncode != 0 and says in proc.stderr and "Traceback" not in proc.stderr
    empty = pg_server.database("empty")
    bare = pg_server.url_of("postgres")  # no schema at all
    proc, *procs = run_all(
        ["serve", "--database-url", empty, "--port", "1"],
        ["history", "--layer", "love_stations", "--database-url", bare],
        ["export", "--layer", "love_stations", "--format", "csv", "--database-url", bare],
        ["db", "dump", "--out", "/tmp/never", "--database-url", bare],
    )
    assert proc.returncode == 1 and "locator db load" in proc.stderr
    for proc in procs:
        assert proc.returncode == 1 and "locator db init" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr and "SELECT" not in proc.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://me:s3cretpw@127.0.0.1:1/x",
        "postgresql://me:pa%zzss@127.0.0.1:1/x",
        "postgresql://me@127.0.0.1:1/x?password=s3cretpw",
    ],
)
def test_a_password_in_the_url_is_never_shown(url):
    for proc in run_all(
        ["db", "init", "--database-url", url],
        ["serve", "--port", "1", "--database-url", url],
        ["history", "--layer", "love_stations", "--database-url", url],
    ):
        assert proc.returncode != 0 and "Traceback" not in proc.stderr
        assert "s3cretpw" not in proc.stdout + proc.stderr
        assert "zzss" not in proc.stdout + proc.stderr


def test_a_database_gone_away_is_503_and_says_nothing_of_it(pg_server, data_dir):
    from locator.web import create_app

    url = pg_server.database("gone", data_dir)
    app = create_app({"DATABASE_URL": url, "WATCH_DATA": False, "TESTING": True})
    client = app.test_client()
    assert client.get("/api/v1/nearest?lon=113.07&lat=22.57").status_code == 200
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(pg_server.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    t0 = time.monotonic()
    for path, html in (
        ("/api/v1/nearest?lon=113.07&lat=22.57", False),
        ("/f/t-1", True),
        ("/?lon=113.07&lat=22.57", True),
    ):
        resp = client.get(path, headers={"Accept": "text/html" if html else "*/*"})
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "5", path
        body = resp.get_data(as_text=True)
        assert "127.0.0.1" not in body and name not in body and "Traceback" not in body
        assert (
            ("暂时无法查询" in body and "数据服务暂时不可用" in body)
            if html
            else (resp.get_json()["status"] == 503)
        )
    assert time.monotonic() - t0 < 20  # each within the pool's 5 s
    app.extensions["locator"].db.close()  # its pool would go on trying to reconnect


def test_a_reload_that_fails_is_tried_again(pg_server, data_dir, monkeypatch):
    """The database away for a moment when a new version arrives: the app server keeps
    the old version, then takes the new one at a later poll (not only when the data
    changes once more)."""
    from locator.stores.postgis import store as pg_store
    from locator.web import create_app

    url = pg_server.database("retry", data_dir)
    app = create_app({"DATABASE_URL": url, "WATCH_INTERVAL_S": 0.2, "TESTING": True})
    holder = app.extensions["locator"]
    real, failures = pg_store.PostgisStore.open, []

    def flaky(db):
        if not failures:
            failures.append(1)
            raise pg_store.StoreUnavailable("database away for a moment")
        return real(db)

    monkeypatch.setattr(pg_store.PostgisStore, "open", staticmethod(flaky))
    write_layer(data_dir, "book_rooms", [facility("br-new", 113.07, 22.57)])
    load_dir(Database(url), data_dir)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5 and holder.catalog.infos["book_rooms"].count == 0:
        time.sleep(0.1)
    app.extensions["locator_watcher"].stop(wait_s=5)
    assert failures and holder.catalog.infos["book_rooms"].count == 1


def test_a_lazy_snapshot_never_mixes_versions(pg_server, data_dir, monkeypatch):
    from locator.stores.postgis import store as pg_store
    from locator.values.errors import StoreUnavailable

    url = pg_server.database("lazy", data_dir)
    monkeypatch.setattr(pg_store, "EAGER_FEATURES", 0)
    store = pg_store.PostgisStore.open(Database(url))
    assert store._snap is None
    service = Service(store)
    write_layer(data_dir, "book_rooms", [facility("br-new", 113.07, 22.57)])
    load_dir(Database(url), data_dir)
    with pytest.raises(StoreUnavailable):
        service.map_view(100)
    fresh = Service(pg_store.PostgisStore.open(Database(url)))
    assert [len(f) for _, f in fresh.map_view(100).layers] == [2, 0, 0, 1]


def test_other_members_of_a_collection_keep_their_order(pg_server, data_dir, tmp_path):
    path = data_dir / "love_stations.geojson"
    doc = json.loads(path.read_text())
    text = json.dumps(
        {
            "type": "FeatureCollection",
            "name": "love_stations",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "features": doc["features"],
        },
        ensure_ascii=False,
    )
    from locator.formats.geojson import feature_collection_text
    from locator.stores.postgis.sync import parse_collection

    parsed = parse_collection(registry.BY_ID["love_stations"], text.encode())
    path.write_text(feature_collection_text(parsed.members, parsed.docs), encoding="utf-8")
    url = pg_server.database("members", data_dir)
    proc = run("db", "dump", "--database-url", url, "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes()
    assert load_dir(Database(url), tmp_path / "out").written == {}


def test_knn_ranks_on_geography_through_the_index(bundled_db):
    point = "'SRID=4326;POINT(113.08 22.58)'::geography"
    for where in (
        "collection = 'book_rooms'",
        "facility AND collection = ANY('{love_stations,book_rooms}')",
    ):
        plan = "\n".join(
            r[0]
            for r in rows(
                bundled_db,
                (
                    f"EXPLAIN SELECT doc FROM locator.feature WHERE {where} "
                    f"ORDER BY geog <-> {point} LIMIT 5"
                ),
            )
        )
        assert "Index Scan using feature_" in plan and "Order By: (geog <->" in plan, plan
        assert "Sort" not in plan.split("Index Scan")[0], plan  # no sort over the table
    source = (Path(__file__).parents[2] / "locator/stores/postgis/store.py").read_text()
    assert "geometry <->" not in source and "::geometry <->" not in source


def test_import_rollback_and_history_through_the_database(pg_server, ddir, tmp_path):
    url = pg_server.database("import", ddir)
    env = {"LOCATOR_DATABASE_URL": url}
    before = version(url)
    bad = write_register(
        tmp_path / "bad", "csv-utf8", [good_rows()[0], ["", "无名", 200.0, 22.5, "", "", "", ""]]
    )
    proc = run("import", str(bad), "--layer", "love_stations", "--coord", "wgs84", env=env)
    assert proc.returncode == 1 and "未写入任何内容" in proc.stdout
    assert version(url) == before and rows(url, "SELECT count(*) FROM locator.history") == [(0,)]
    dry = run(
        "import",
        str(write_register(tmp_path / "ok", "xlsx", good_rows())),
        "--layer",
        "love_stations",
        "--dry-run",
        "--coord",
        "wgs84",
        env=env,
    )
    assert dry.returncode == 0 and version(url) == before
    good = write_register(tmp_path / "good", "csv-gb18030", good_rows())
    proc = run("import", str(good), "--layer", "love_stations", "--coord", "wgs84", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = version(url)
    assert after != before
    names = {
        r[0]
        for r in rows(
            url,
            "SELECT doc->'properties'->>'name' FROM locator.feature "
            "WHERE collection = 'love_stations'",
        )
    }
    assert names == {r[0] for r in good_rows()}
    hist = run("history", "--layer", "love_stations", env=env)
    kept = [line.split()[0] for line in hist.stdout.splitlines() if not line.startswith("current")]
    assert len(kept) == 1 and "import by" in hist.stdout
    back = run("rollback", "--layer", "love_stations", "--to", kept[0], env=env)
    assert back.returncode == 0, back.stderr
    assert version(url) == before  # the very bytes that were replaced
    log = [json.loads(r[0]) for r in rows(url, "SELECT line FROM locator.import_log ORDER BY n")]
    assert [e["action"] for e in log] == ["import", "rollback"]
    exported = run("export", "--layer", "love_stations", "--format", "geojson", env=env)
    assert json.loads(exported.stdout)["features"][0]["properties"]["id"] == "ls-0001"


def test_a_failure_while_writing_back_changes_nothing(pg_server, ddir, tmp_path, monkeypatch):
    from locator.importer import import_register
    from locator.stores.postgis import sync
    from locator.values.geo.crs import CoordSystem

    url = pg_server.database("fail", ddir)
    before = version(url)
    data = write_register(tmp_path / "good", "csv-utf8", good_rows()).read_bytes()

    def broken(conn, parsed, info, progress=None):
        conn.execute("DELETE FROM locator.feature WHERE collection = %s", (parsed.decl.id,))
        raise OSError("disk full")

    monkeypatch.setattr(sync, "write_collection", broken)
    with pytest.raises(OSError), sync.working_copy(Database(url)) as wdir:
        assert import_register(wdir, data, "good.csv", "love_stations", CoordSystem.WGS84).written
    assert version(url) == before
    assert rows(url, "SELECT fid FROM locator.feature WHERE collection = 'love_stations'") == [
        ("ls-0001",)
    ]
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
        body, boundary = _multipart(
            {"layer": "love_stations", "action": "apply", "coord": "wgs84"},
            ("file", "federation.csv", register),
        )
        req = urllib.request.Request(
            one + "/admin/import",
            data=body,
            method="POST",
            headers={
                "Authorization": "Bearer " + "t" * 32,
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        with urllib.request.urlopen(req) as r:
            assert json.load(r)["written"] is True
        new = sorted(
            json.loads(urllib.request.urlopen(one + "/api/v1/layers/love_stations").read())[
                "features"
            ][i]["id"]
            for i in range(3)
        )
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            seen = ids(two)
            assert seen in (["ls-0001"], new), seen  # the old layer or the new, never a mix
            if seen == new:
                break
            time.sleep(0.05)
        assert seen == new, "the import did not reach the other app server within 5 s"
        assert ids(one) == seen
        near = json.load(
            urllib.request.urlopen(
                two + "/api/v1/nearest?lon=113.0736&lat=22.5771&layer=love_stations&k=1"
            )
        )
        assert near["features"][0]["properties"]["name"] == "白沙测试驿站"


def _multipart(fields: dict[str, str], file: tuple[str, str, bytes]) -> tuple[bytes, str]:
    boundary = "locatortestboundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    name, filename, data = file
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def test_serve_with_workers_starts_workers_that_answer(bundled_db, tmp_path):
    log = tmp_path / "serve.log"
    with serve(
        env_extra={"LOCATOR_DATABASE_URL": bundled_db, "LOCATOR_WORKERS": "2"}, log=log
    ) as base:
        pids = set()
        for _ in range(40):
            with urllib.request.urlopen(base + "/api/v1/nearest?lon=113.08&lat=22.58") as r:
                assert r.status == 200 and json.load(r)["features"]
        text = log.read_text()
        pids = {
            line.split("(pid ")[1].split(")")[0]
            for line in text.splitlines()
            if " serving" in line and "(pid " in line
        }
        assert len(pids) == 2, text


def test_listening_beyond_this_machine_without_a_proxy_warns(data_dir):
    from locator.cli.serve import exposure_warning

    assert exposure_warning("127.0.0.1", 0) is None and exposure_warning("::1", 0) is None
    assert exposure_warning("localhost", 0) is None
    assert exposure_warning("", 0) is not None  # an empty host listens everywhere
    assert exposure_warning("0.0.0.0", 1) is None  # a proxy is declared in front
    warning = exposure_warning("0.0.0.0", 0)
    assert warning and "HTTPS" in warning and "DEPLOY.md" in warning and "反向代理" in warning


def test_a_database_with_facilities_only_in_one_layer_still_answers(pg_server, data_dir):
    url = pg_server.database("one-layer", data_dir)
    from locator.stores.postgis.db import database
    from locator.stores.postgis.store import PostgisStore

    db = database(url)
    store = Service(PostgisStore.open(db))
    assert [i.count for i in store.collection_infos(True)] == [2, 0, 0, 0]
    from locator.operations.nearest import NearestQuery
    from locator.values.models import Point

    q = NearestQuery(Point(113.0726, 22.5761), tuple(store.resolve_layers(None)), k=5)
    answer = store.nearest_by_layer(q, AT)
    assert [r.facility.id for r in answer.results] == ["t-1", "t-2"]
    assert store.nearest(q, AT).results[0].distance_m == 0.0
    shutil.rmtree(data_dir / "history", ignore_errors=True)
    assert load_dir(db, data_dir).written == {}


def test_sphere_and_ellipsoid_disagree_and_the_ellipsoid_wins(pg_server, data_dir):
    """At 22.6° N a metre north-south is longer on the index's sphere than on the
    ellipsoid (by 0.4 %), east-west shorter. Three facilities east of a worker come first
    on the sphere; one 999.9 m north, the nearest on the ellipsoid, comes fourth. Asked
    for one, the store reads three candidates and must not stop there. Two more stand on
    one spot (a tie: by id, whatever order the index gives)."""
    from locator.operations.nearest import NearestQuery
    from locator.stores.files.store import load_catalog
    from locator.stores.postgis.db import database
    from locator.stores.postgis.store import PostgisStore
    from locator.values.geo.distance import geod
    from locator.values.models import Point

    lon0, lat0 = 113.07, 22.60
    g = geod()

    def at(azimuth: float, metres: float) -> tuple[float, float]:
        return tuple(g.fwd(lon0, lat0, azimuth, metres)[:2])

    write_layer(
        data_dir,
        "love_stations",
        [
            facility("e-1", *at(90, 1002.0)),
            facility("e-2", *at(90, 1004.0)),
            facility("e-3", *at(90, 1005.0)),
            facility("n-1", *at(0, 999.9)),
            facility("t-b", *at(200, 1500.0)),
            facility("t-a", *at(200, 1500.0)),
        ],
    )
    url = pg_server.database("sphere", data_dir)
    with psycopg.connect(url) as conn:
        by_sphere = [
            r[0]
            for r in conn.execute(
                "SELECT fid FROM locator.feature WHERE collection = 'love_stations' "
                "ORDER BY geog <-> %s::geography",
                (f"SRID=4326;POINT({lon0} {lat0})",),
            )
        ]
    assert by_sphere[:4] == ["e-1", "e-2", "e-3", "n-1"]  # the index's own order
    store, files = Service(PostgisStore.open(database(url))), Service(load_catalog(data_dir))
    for k, want in (
        (1, ["n-1"]),
        (5, ["n-1", "e-1", "e-2", "e-3", "t-a"]),
        (6, ["n-1", "e-1", "e-2", "e-3", "t-a", "t-b"]),
    ):
        q = NearestQuery(Point(lon0, lat0), ("love_stations",), k=k)
        assert [r.facility.id for r in store.nearest(q, AT).results] == want
        assert [r.facility.id for r in files.nearest(q, AT).results] == want


def test_admin_check_on_one_app_server_confirm_on_another(pg_server, ddir, tmp_path):
    """The upload staged by one app server is confirmed through another (behind a proxy
    the two requests may go anywhere), once only; history and rollback work there too."""
    import io
    import re

    from locator.web import create_app

    url = pg_server.database("admin", ddir)
    token = "correct-horse-battery-staple-2026"
    apps = [
        create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "WATCH_DATA": False,
                "TILES": "none",
                "ADMIN_TOKEN": token,
            }
        )
        for _ in range(2)
    ]
    one, two = (app.test_client() for app in apps)
    assert one.post("/admin/signin", data={"token": token}).status_code == 303
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', one.get("/admin/import").text)[1]
    two.set_cookie(
        "locator_admin", one.get_cookie("locator_admin", path="/admin").value, path="/admin"
    )
    before = version(url)
    register = write_register(tmp_path / "r", "csv-utf8", good_rows()).read_bytes()
    resp = one.post(
        "/admin/import",
        data={
            "layer": "love_stations",
            "coord": "wgs84",
            "csrf_token": csrf,
            "file": (io.BytesIO(register), "名单.csv"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200 and version(url) == before  # checked, not written
    staged = re.search(r'name="staged" value="([^"]+)"', resp.text)[1]
    confirm = {"csrf_token": csrf, "staged": staged, "action": "apply"}
    resp = two.post("/admin/import", data=confirm)
    assert resp.status_code == 200 and "已替换图层" in resp.text
    assert version(url) != before
    again = one.post("/admin/import", data=confirm)
    assert again.status_code == 400 and "no longer waiting" in again.text
    assert len(rows(url, "SELECT 1 FROM locator.import_log")) == 1  # imported once
    page = one.get("/admin/history?layer=love_stations")
    kept = re.search(r'name="version" value="([^"]+)"', page.text)[1]
    resp = two.post(
        "/admin/rollback", data={"csrf_token": csrf, "layer": "love_stations", "version": kept}
    )
    assert resp.status_code == 303 and version(url) == before


def test_the_snapshot_is_read_from_rows_without_temporary_files(bundled_db, monkeypatch):
    """Opening a store and building its analysis snapshot (at open, and later on first
    use) write no file: the rows go straight to the file store's checks."""
    import tempfile

    from locator.stores.files.store import load_catalog
    from locator.stores.postgis import store as pg_store

    def refuse(*_args, **_kwargs):
        raise AssertionError("a temporary file or folder was made")

    for name in ("mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)
    files = load_catalog(DEFAULT_DATA_DIR)
    eager = pg_store.PostgisStore.open(Database(bundled_db))
    assert eager._snap is not None and eager.snapshot().version == eager.version
    monkeypatch.setattr(pg_store, "EAGER_FEATURES", 0)
    lazy = pg_store.PostgisStore.open(Database(bundled_db))
    assert lazy._snap is None
    assert [len(f) for _, f in Service(lazy).map_view(10_000).layers] == [
        len(f) for _, f in Service(files).map_view(10_000).layers
    ]
    assert lazy.snapshot().version == lazy.version
    # the demand example is a CSV document of the database, not a file
    assert (
        Service(lazy).demand_example("heshan-2020").polygons
        == Service(files).demand_example("heshan-2020").polygons
    )
    assert lazy.holidays.years == files.geodata.holidays.years


def _db_with_two_layers(pg_server, ddir, name: str) -> str:
    """love_stations (ls-0001) and book_rooms (two rooms, then replaced by an import, so
    that book_rooms has a kept version and a log line)."""
    from locator.importer import import_register
    from locator.stores.postgis import sync
    from locator.values.geo.crs import CoordSystem

    write_layer(
        ddir,
        "book_rooms",
        [facility("br-1", 113.0726, 22.5761), facility("br-2", 113.08, 22.58)],
    )
    url = pg_server.database(name, ddir)
    data = write_register(ddir.parent / "rooms", "csv-utf8", good_rows()).read_bytes()
    with sync.working_copy(Database(url), layer="book_rooms") as wdir:
        assert import_register(wdir, data, "rooms.csv", "book_rooms", CoordSystem.WGS84).written
    assert rows(url, "SELECT layer FROM locator.history") == [("book_rooms",)]
    return url


def test_an_import_of_one_layer_reads_no_other_layer(pg_server, ddir, tmp_path, monkeypatch):
    """The working copy of an import holds the references, the layer, its history and
    log lines, and the other layers' ids only; the write-back changes that layer alone."""
    from locator.importer import import_register
    from locator.importer.register import load_context
    from locator.stores.postgis import sync
    from locator.values.geo.crs import CoordSystem

    url = _db_with_two_layers(pg_server, ddir, "partial")
    rooms = "SELECT fid FROM locator.feature WHERE collection = 'book_rooms'"
    room_ids = {r[0] for r in rows(url, rooms)}
    digest = "SELECT digest FROM locator.collection WHERE id = 'book_rooms'"
    rooms_before = rows(url, digest)
    read, real = [], sync._feature_texts

    def counting(conn, cid):
        texts = real(conn, cid)
        read.append((cid, len(texts)))
        return texts

    monkeypatch.setattr(sync, "_feature_texts", counting)
    data = write_register(tmp_path / "good", "csv-utf8", good_rows()).read_bytes()
    with sync.working_copy(Database(url), layer="love_stations") as wdir:
        stub = json.loads((wdir / "book_rooms.geojson").read_text(encoding="utf-8"))
        assert {f["properties"]["id"] for f in stub["features"]} == room_ids
        assert all(f.keys() == {"type", "properties"} for f in stub["features"])
        assert all(len(f["properties"]) == 1 for f in stub["features"])
        assert load_context(wdir, "love_stations").other_ids == dict.fromkeys(
            room_ids, "book_rooms"
        )
        assert not (wdir / "history" / "book_rooms").exists()
        assert not (wdir / "history" / "import-log.jsonl").exists()  # book_rooms' line only
        assert not (wdir / registry.ROUTES_DECL.file).exists()
        assert import_register(wdir, data, "good.csv", "love_stations", CoordSystem.WGS84).written
    references = {d.id for d in registry.BY_ID.values() if not d.is_facility and not d.is_route}
    assert {cid for cid, _ in read} == references | {"love_stations"}
    assert dict(read)["love_stations"] == 1
    assert rows(url, digest) == rooms_before
    assert sorted(rows(url, "SELECT layer FROM locator.history")) == [
        ("book_rooms",),
        ("love_stations",),
    ]
    log = [json.loads(r[0]) for r in rows(url, "SELECT line FROM locator.import_log ORDER BY n")]
    assert [e["layer"] for e in log] == ["book_rooms", "love_stations"]
    names = {
        r[0]
        for r in rows(
            url,
            "SELECT doc->'properties'->>'name' FROM locator.feature "
            "WHERE collection = 'love_stations'",
        )
    }
    assert names == {r[0] for r in good_rows()}
    # the history of one layer: its own versions and log lines, nothing of the other
    read.clear()
    with sync.working_copy(Database(url), write=False, layer="book_rooms", others=False) as wdir:
        from locator.importer.history import versions

        kept = versions(wdir, "book_rooms")
        assert not (wdir / "love_stations.geojson").exists()
        assert not (wdir / "history" / "love_stations").exists()
        lines = (wdir / "history" / "import-log.jsonl").read_text(encoding="utf-8").splitlines()
    assert [v.current for v in kept] == [True, False] and kept[1].count == 2
    assert kept[0].made_by is not None and kept[0].made_by["layer"] == "book_rooms"
    assert [json.loads(line)["layer"] for line in lines] == ["book_rooms"]
    assert "love_stations" not in {cid for cid, _ in read}


@pytest.mark.parametrize("failing", ["write_collection", "_analyze", "_set_version"])
def test_a_failure_while_writing_back_one_layer_changes_nothing(
    pg_server, ddir, tmp_path, monkeypatch, failing
):
    """Wherever the write-back of a one-layer working copy fails (the layer half
    replaced, or the layer, its kept version and log line written), nothing changes."""
    from locator.importer import import_register
    from locator.stores.postgis import sync
    from locator.values.geo.crs import CoordSystem

    url = _db_with_two_layers(pg_server, ddir, f"fail_{failing.strip('_')}")
    before = version(url)
    features = "SELECT collection, seq, doc::text FROM locator.feature ORDER BY 1, 2"
    state = rows(url, features)
    data = write_register(tmp_path / "good", "csv-utf8", good_rows()).read_bytes()
    real = getattr(sync, failing)

    def broken(conn, *args, **kwargs):
        real(conn, *args, **kwargs)  # it has done its work in the transaction ...
        raise OSError("disk full")  # ... and then the write fails

    monkeypatch.setattr(sync, failing, broken)
    with pytest.raises(OSError), sync.working_copy(Database(url), layer="love_stations") as wdir:
        assert import_register(wdir, data, "good.csv", "love_stations", CoordSystem.WGS84).written
    assert version(url) == before
    assert rows(url, features) == state
    assert rows(url, "SELECT layer FROM locator.history") == [("book_rooms",)]
    assert rows(url, "SELECT count(*) FROM locator.import_log") == [(1,)]


def test_a_one_layer_copy_writes_back_that_layer_only(pg_server, ddir):
    """A change to anything but the layer in its working copy is refused whole."""
    from locator.stores.postgis import sync
    from locator.values.errors import DataError

    url = _db_with_two_layers(pg_server, ddir, "stray")
    before = version(url)
    with (
        pytest.raises(DataError, match="book_rooms.geojson"),
        sync.working_copy(Database(url), layer="love_stations") as wdir,
    ):
        write_layer(wdir, "love_stations", [facility("ls-9", 113.0726, 22.5761)])
        write_layer(wdir, "book_rooms", [])
    assert version(url) == before
    # the layer itself is checked as the server checks it: an id another layer uses
    room = rows(url, "SELECT fid FROM locator.feature WHERE collection = 'book_rooms' LIMIT 1")
    with (
        pytest.raises(DataError, match="duplicate id"),
        sync.working_copy(Database(url), layer="love_stations") as wdir,
    ):
        write_layer(wdir, "love_stations", [facility(room[0][0], 113.0726, 22.5761)])
    assert version(url) == before
