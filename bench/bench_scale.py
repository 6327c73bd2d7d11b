"""A national-scale layer: 1,000,000 synthetic points, PostGIS next to the in-memory store.

About 186,000 union stations for outdoor workers stood across China at the end of 2024; a
layer five times that is written as a data directory (the bundled reference collections,
plus 1,000,000 love stations at random positions inside Jiangmen, each with a valid town
code: the file store checks that every point lies in the city). In one run it prints:

- load time: the file store reading and indexing the directory (``load_catalog``), and
  ``locator db load``'s work (``load_dir``: validate, COPY, index) into a throw-away
  PostGIS cluster on 127.0.0.1, and opening a PostGIS store on it;
- nearest latency, p50 and p99 over the same random queries (k=5, every layer; and with an
  amenity filter and open-on-arrival), through the engine (the store's ``nearest``) and
  through the API (``GET /api/v1/nearest`` in Flask's test client), both stores;
- that both stores give the same answers to every query;
- what work on one other layer costs on that database (``--import-only`` does this part
  alone, without the file store): an import of a small register into ``mothers_rooms``,
  that layer's history and a rollback, each through the working copy the CLI and the admin
  pages use, with its time and the rows the server read for it (the cumulative
  statistics: ``locator.feature`` rows by sequential scan and through each index,
  ``locator.history`` rows).

With ``--snapshot`` (and ``--import-only``) it also times the PostGIS store's analysis
snapshot of the whole database (built on first use above 200,000 features).

Run: .venv/bin/python bench/bench_scale.py [--n 1000000] [--queries 2000] [--import-only
[--snapshot]]
(needs Debian's postgresql and postgresql-postgis, as `make test` installs; about 10 min)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from locator.formats.geojson import dumps_feature_collection
from locator.operations.hours import TZ
from locator.operations.nearest import NearestQuery
from locator.values import registry
from locator.values.models import Point
from locator.values.paths import DEFAULT_DATA_DIR as BUNDLED

AT = dt.datetime(2026, 11, 24, 17, 50, tzinfo=TZ)
HOURS = ["24/7", "Mo-Fr 08:30-17:30", "Mo-Su 07:00-21:00", None]
#: three amenity sets against four hours (i % 3, i % 4): every combination occurs
AMENITIES = [["drinking_water"], ["drinking_water", "charging"], ["toilet", "seating"]]


def write_data_dir(folder: Path, n: int, seed: int = 7) -> None:
    """The bundled references and ``n`` love stations inside the city (other layers
    empty)."""
    for decl in registry.BY_ID.values():
        if not decl.is_facility:
            shutil.copy(BUNDLED / decl.file, folder / decl.file)
    for name in ("holidays.json", "city.json"):
        shutil.copy(BUNDLED / name, folder / name)
    city = shapely.from_geojson(
        json.dumps(json.loads((BUNDLED / "city.geojson").read_text())["features"][0]["geometry"])
    )
    seats = json.loads((BUNDLED / "towns.geojson").read_text())["features"]
    seat_xy = np.array([f["geometry"]["coordinates"][:2] for f in seats])
    rng = np.random.default_rng(seed)
    west, south, east, north = city.bounds
    lon = np.empty(0)
    lat = np.empty(0)
    while lon.size < n:  # rejection sampling inside the city polygon
        x = rng.uniform(west, east, n)
        y = rng.uniform(south, north, n)
        inside = shapely.contains_xy(city, x, y)
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    lon, lat = lon[:n].round(6), lat[:n].round(6)
    from scipy.spatial import cKDTree

    _, town = cKDTree(seat_xy).query(np.column_stack([lon, lat]))
    features = []
    for i in range(n):
        p = seats[town[i]]["properties"]
        props = {
            "id": f"ls-{i:07d}",
            "name": f"驿站 {i}",
            "district_code": p["district_code"],
            "town_code": p["code"],
            "source": "sample",
            "amenities": AMENITIES[i % 3],
        }
        if HOURS[i % 4]:
            props["opening_hours"] = HOURS[i % 4]
        features.append(
            {
                "type": "Feature",
                "id": props["id"],
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [float(lon[i]), float(lat[i])]},
            }
        )
    (folder / "love_stations.geojson").write_text(
        dumps_feature_collection(features, "love_stations"), encoding="utf-8"
    )
    for decl in registry.FACILITIES:
        if decl.id != "love_stations":
            (folder / decl.file).write_text(dumps_feature_collection([], decl.id), encoding="utf-8")


def make_register(n: int, seed: int = 13) -> bytes:
    """A clerk's CSV register of ``n`` mothers' rooms at random places in the city centre
    (name, address, WGS-84 coordinates; the town is found from the position)."""
    import csv
    import io

    rng = np.random.default_rng(seed)
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["名称", "地址", "经度", "纬度", "电话", "开放时间", "设施", "所属镇街"])
    for i in range(n):
        lon, lat = rng.uniform(113.03, 113.12), rng.uniform(22.54, 22.63)
        out.writerow(
            [f"爱心妈妈小屋 {i}", f"某路{i}号", round(lon, 6), round(lat, 6), "", "", "", ""]
        )
    return buf.getvalue().encode("utf-8")


def rows_read(url: str) -> dict[str, int]:
    """Rows the server has read so far, from the cumulative statistics: ``locator.feature``
    by sequential scan and through each index (index entries, so index-only scans count
    too), and ``locator.history``. Waits until the figures stop moving (a backend reports
    its counts when its connection closes)."""
    import psycopg

    sql = (
        "SELECT 'feature seq scan', coalesce(seq_tup_read, 0) FROM pg_stat_user_tables "
        "WHERE schemaname = 'locator' AND relname = 'feature' UNION ALL "
        "SELECT 'feature index ' || indexrelname, coalesce(idx_tup_read, 0) "
        "FROM pg_stat_user_indexes WHERE schemaname = 'locator' AND relname = 'feature' "
        "UNION ALL SELECT 'history', coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
        "FROM pg_stat_user_tables WHERE schemaname = 'locator' AND relname = 'history'"
    )
    last: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(40):
            time.sleep(0.25)
            conn.execute("SELECT pg_stat_clear_snapshot()")
            now = {k: int(v) for k, v in conn.execute(sql).fetchall()}
            if now == last:
                break
            last = now
    return last


def measure_layer_work(url: str, folder: Path, n_register: int) -> None:
    """An import into mothers_rooms, its history and a rollback on the loaded database,
    each through ``data_dir_for`` as the CLI calls it; prints time and rows read. Runs
    on older code too (whose ``data_dir_for`` copies the whole database)."""
    import inspect

    from locator.importer import import_register
    from locator.importer.history import rollback, versions
    from locator.stores.working import data_dir_for
    from locator.values.geo.crs import CoordSystem

    partial = "layer" in inspect.signature(data_dir_for).parameters
    layer = "mothers_rooms"

    def where(write: bool, others: bool = True):
        extra = {"layer": layer, "others": others} if partial else {}
        return data_dir_for(folder, url, write=write, **extra)

    register = make_register(n_register)
    print(
        "work on one small layer (mothers_rooms) beside the big one, through the working "
        f"copy ({'one layer' if partial else 'the whole database'})"
    )
    steps: dict[str, Any] = {}

    def size(wdir: Path) -> None:
        """What the database sent, as the working copy's files (count, MiB)."""
        files = [p for p in wdir.rglob("*") if p.is_file()]
        steps["copy"] = (len(files), sum(p.stat().st_size for p in files) / 2**20)

    def do_import():
        with where(True) as wdir:
            size(wdir)
            out = import_register(wdir, register, "rooms.csv", layer, CoordSystem.WGS84)
        assert out.written, out.plan.summary("en")

    def do_history():
        with where(False, others=False) as wdir:
            size(wdir)
            steps["kept"] = [v.id for v in versions(wdir, layer) if not v.current]

    def do_rollback():
        with where(True) as wdir:
            size(wdir)
            rollback(wdir, layer, steps["kept"][0], "bench")

    for label, step in (
        (f"import {n_register} rooms", do_import),
        ("history of the layer", do_history),
        ("rollback", do_rollback),
    ):
        before = rows_read(url)
        t = time.perf_counter()
        step()
        took = time.perf_counter() - t
        after = rows_read(url)
        read = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}
        shown = ", ".join(f"{k} {v:,}" for k, v in sorted(read.items())) or "none"
        files, mib = steps["copy"]
        print(
            f"  {label:<24} {took:7.2f} s   working copy {files} files {mib:7.1f} MiB   "
            f"rows read: {shown}"
        )


def percentiles(times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument(
        "--import-only",
        action="store_true",
        help="load the database and measure work on one other layer only (no file store, "
        "no nearest queries)",
    )
    ap.add_argument("--register", type=int, default=50, help="rooms in the imported register")
    ap.add_argument(
        "--snapshot",
        action="store_true",
        help="with --import-only: also time the PostGIS store's analysis snapshot (the whole "
        "database in memory)",
    )
    args = ap.parse_args()

    from locator.service import Service
    from locator.stores.files.store import load_catalog
    from locator.stores.postgis.db import database
    from locator.stores.postgis.store import EAGER_FEATURES, PostgisStore
    from locator.stores.postgis.sync import load_dir
    from locator.web import create_app

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pgcluster
    from tests.pgcluster import start_cluster

    folder = Path(tempfile.mkdtemp(prefix="locator-scale-"))
    cluster = start_cluster()
    try:
        t = time.perf_counter()
        write_data_dir(folder, args.n)
        size = (folder / "love_stations.geojson").stat().st_size
        print(
            f"{args.n:,} points written ({size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s"
        )

        db = database(cluster.url)
        if args.import_only:
            t = time.perf_counter()
            load_dir(db, folder)
            print(f"PostGIS: db load {time.perf_counter() - t:.1f} s")
            measure_layer_work(cluster.url, folder, args.register)
            if args.snapshot:
                t = time.perf_counter()
                PostgisStore.open(db).snapshot()
                print(f"analysis snapshot of the whole database: {time.perf_counter() - t:.1f} s")
            return
        t = time.perf_counter()
        files = Service(load_catalog(folder))
        t_files = time.perf_counter() - t
        t = time.perf_counter()
        load_dir(db, folder)
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        pg = PostgisStore.open(db)
        t_open = time.perf_counter() - t
        print("load")
        print(f"  file store: read, validate, index         {t_files:7.1f} s")
        print(
            f"  PostGIS: db load (validate, COPY, index)   {t_load:7.1f} s   "
            f"(×{t_load / t_files:.2f} the file store)"
        )
        snap = ("with" if pg.total <= EAGER_FEATURES else "without") + " the analysis snapshot"
        print(f"  PostGIS: open a store ({snap})        {t_open:7.2f} s")

        rng = np.random.default_rng(11)
        west, south, east, north = 112.3, 21.6, 113.2, 22.8
        points = [
            Point(float(x), float(y))
            for x, y in zip(
                rng.uniform(west, east, args.queries),
                rng.uniform(south, north, args.queries),
                strict=True,
            )
        ]
        layers = tuple(i.id for i in files.collection_infos(True))
        kinds = {
            "k=5": {},
            "k=5, amenity + open on arrival": {
                "amenities": frozenset({"charging"}),
                "open_on_arrival": True,
            },
        }
        print("nearest through the engine (p50 / p99 ms)")
        for label, extra in kinds.items():
            res = {}
            for name, store in (("memory", files), ("PostGIS", Service(pg))):
                times, answers = [], []
                for p in points:
                    q = NearestQuery(p, layers, k=5, at=AT, **extra)
                    t = time.perf_counter()
                    a = store.nearest(q, AT)
                    times.append(time.perf_counter() - t)
                    answers.append([(r.facility.id, round(r.distance_m, 3)) for r in a.results])
                res[name] = (percentiles(times), answers)
            same = res["memory"][1] == res["PostGIS"][1]
            (m50, m99), (p50, p99) = res["memory"][0], res["PostGIS"][0]
            print(
                f"  {label:<34} memory {m50:6.3f} / {m99:6.3f}   PostGIS {p50:6.3f} / "
                f"{p99:6.3f}   (p50 ×{p50 / m50:.1f})   same answers: {same}"
            )

        print("nearest through the API, GET /api/v1/nearest in Flask's test client (p50 / p99 ms)")
        apps = {
            "memory": create_app({"DATA_DIR": str(folder), "WATCH_DATA": False}),
            "PostGIS": create_app({"DATABASE_URL": cluster.url, "WATCH_DATA": False}),
        }
        res2 = {}
        for name, app in apps.items():
            client = app.test_client()
            times, bodies = [], []
            for p in points[: min(len(points), 1000)]:
                url = f"/api/v1/nearest?lon={p.lon}&lat={p.lat}&k=5"
                t = time.perf_counter()
                resp = client.get(url)
                times.append(time.perf_counter() - t)
                assert resp.status_code == 200, resp.data[:300]
                bodies.append([f["id"] for f in resp.get_json()["features"]])
            res2[name] = (percentiles(times), bodies)
        (m50, m99), (p50, p99) = res2["memory"][0], res2["PostGIS"][0]
        print(
            f"  k=5, every layer                   memory {m50:6.3f} / {m99:6.3f}   PostGIS "
            f"{p50:6.3f} / {p99:6.3f}   (p50 ×{p50 / m50:.1f})   same answers: "
            f"{res2['memory'][1] == res2['PostGIS'][1]}"
        )
        measure_layer_work(cluster.url, folder, args.register)
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
