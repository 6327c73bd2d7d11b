"""Reports are durable (issue #25), on both stores, against real `locator serve`
processes: 200 reports sent at once by 50 clients to two worker processes are all kept,
none twice; the same client_id resent at once is stored once; a restart and a live data
swap (an import while reports arrive) lose none."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from locator.stores.files.reports import reports_path
from tests.conftest import facility, serve, small_data_dir, wait_until

CLIENTS = 50
PER_CLIENT = 4


@pytest.fixture(params=["files", "postgis"])
def setup(request, tmp_path: Path) -> tuple[Path, str | None, dict[str, str]]:
    (tmp_path / "data").mkdir()
    data = small_data_dir(tmp_path / "data")
    # the client's address comes from X-Forwarded-For (the test stands for 50 phones)
    env = {"LOCATOR_PROXY_COUNT": "1", "LOCATOR_WATCH_INTERVAL_S": "0.2"}
    url = None
    if request.param == "postgis":
        url = request.getfixturevalue("pg_server").database("reports_durable", data)
        env["LOCATOR_DATABASE_URL"] = url
    return data, url, env


def post(base: str, body: dict, client: str) -> tuple[int, dict]:
    req = urllib.request.Request(
        base + "/api/v1/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": client},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def confirm(facility_id: str = "t-1") -> dict:
    return {"kind": "confirm", "client_id": str(uuid.uuid4()), "facility_id": facility_id}


def send_all(base: str, bodies: list[tuple[dict, str]], threads: int = CLIENTS) -> list:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(lambda bc: post(base, *bc), bodies))


def stored_rows(data: Path, url: str | None) -> list[tuple[str, str]]:
    """(id, client_id) of every stored report, read from the store directly."""
    if url is None:
        with sqlite3.connect(reports_path(data)) as conn:
            return conn.execute("SELECT id, client_id FROM reports").fetchall()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT id, client_id FROM locator.reports").fetchall()


def test_no_report_is_lost_or_doubled_across_workers_restarts_and_data_swaps(setup):
    data, url, env = setup
    # 50 clients (addresses) send 4 reports each, all at once, to two worker processes;
    # 10 of the reports are also sent 5 times at once (a phone retrying)
    bodies = [(confirm(), f"10.50.0.{c}") for c in range(CLIENTS) for _ in range(PER_CLIENT)]
    retried = [(bodies[i][0], f"10.60.0.{i}") for i in range(0, 200, 20) for _ in range(5)]
    with serve(data, env_extra=env | {"LOCATOR_WORKERS": "2"}) as base:
        answers = send_all(base, bodies + retried)
    # per report: one 201, and 200 with the same id for every copy (whichever came first)
    by_client: dict[str, list[tuple[int, str]]] = {}
    for (body, _), (status, receipt) in zip(bodies + retried, answers, strict=True):
        by_client.setdefault(body["client_id"], []).append((status, receipt.get("id", "")))
    assert len(by_client) == len(bodies)
    for sent in by_client.values():
        assert sorted(status for status, _ in sent) == [200] * (len(sent) - 1) + [201], sent
        assert len({rid for _, rid in sent}) == 1, sent
    ids = {client_id: sent[0][1] for client_id, sent in by_client.items()}
    assert len(set(ids.values())) == len(bodies)

    # a restart on the same store; reports arrive while an import replaces the layer
    new = facility("t-3", 113.0850, 22.5850)
    register = {
        "type": "FeatureCollection",
        "features": [facility("t-1", 113.0726, 22.5761), facility("t-2", 113.08, 22.58), new],
    }
    more = [(confirm(), f"10.70.0.{c}") for c in range(25) for _ in range(PER_CLIENT)]
    with serve(data, env_extra=env) as base:
        with ThreadPoolExecutor(1) as pool:
            during = pool.submit(send_all, base, more, 25)
            _import(data, url, json.dumps(register).encode())
            late = confirm("t-3")  # the same report, sent until the new data is served
            status, receipt = wait_until(
                lambda: post(base, late, "10.80.0.1"), lambda a: a[0] != 422, timeout_s=30
            )
            assert status == 201, receipt
            answers = during.result()
    assert [status for status, _ in answers] == [201] * len(more)
    ids |= {b[0]["client_id"]: r["id"] for b, (_, r) in zip(more, answers, strict=True)}
    ids[late["client_id"]] = receipt["id"]

    rows = stored_rows(data, url)
    assert len(rows) == len(ids)  # none doubled
    assert dict((client_id, rid) for rid, client_id in rows) == ids  # none lost


def _import(data: Path, url: str | None, register: bytes) -> None:
    from locator.importer import import_register
    from locator.stores.working import data_dir_for
    from locator.values.geo.crs import CoordSystem

    with data_dir_for(data, url, layer="love_stations") as wdir:
        outcome = import_register(
            wdir, register, "register.geojson", "love_stations", CoordSystem.WGS84, who="test"
        )
        assert outcome.written, outcome.plan.report("en")
