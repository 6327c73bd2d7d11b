"""/admin/reports: staff review of the reports from the street, end to end through real
HTTP (the Flask test client): a stored report -> the queue -> accepted through the
importer -> served by the API, with a history entry whose rollback restores the layer;
reject, merge, exports, the guard, and the planner's requests. Both stores."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from pathlib import Path

import pytest

from locator.values.reports import StoredReport, new_report_id
from locator.web import create_app
from tests.conftest import facility, reference_dir, write_layer

TOKEN = "correct-horse-battery-staple-2026"
HOSTILE = '<img src=x onerror="window.__pwned=1">=HYPERLINK("http://x")'


def _data(path: Path) -> Path:
    path.mkdir()
    reference_dir(path)
    write_layer(
        path,
        "love_stations",
        [
            facility("ls-1", 113.0726, 22.5761, name="甲驿站", phone="0750-3111111"),
            facility("ls-2", 113.0800, 22.5800, name="乙驿站", amenities=["toilet", "wifi"]),
            facility("ls-3", 113.0850, 22.5850, name="丙驿站"),
        ],
    )
    write_layer(path, "book_rooms", [facility("br-1", 113.0900, 22.5900, name="书屋")])
    return path


@pytest.fixture()
def files_config(tmp_path: Path) -> dict:
    return {"DATA_DIR": str(_data(tmp_path / "data"))}


class _Reports:
    """Reports stored through core's store API directly (as the public API would store
    them), each received a minute after the one before."""

    def __init__(self, app):
        self.service = app.extensions["locator_reports"]
        self.n = 0

    def add(self, kind: str, **values) -> StoredReport:
        self.n += 1
        when = dt.datetime(2026, 12, 1, 16, tzinfo=dt.UTC) + dt.timedelta(minutes=self.n)
        report = StoredReport(
            id=new_report_id(),
            kind=kind,
            client_id=str(uuid.uuid4()),
            client_key="k" * 16,
            received_at=when,
            **values,
        )
        stored, created = self.service.store.add(report)
        assert created
        return stored

    def get(self, report_id: str) -> StoredReport:
        return self.service.get(report_id)

    def decide(self, report_id: str, status: str, note: str) -> None:
        self.service.decide(report_id, status, note)


def _app(config: dict):
    app = create_app(
        {"TESTING": True, "WATCH_DATA": False, "TILES": "none", "ADMIN_TOKEN": TOKEN} | config
    )
    app.extensions["test_reports"] = _Reports(app)
    return app


def _signin(client) -> str:
    assert client.post("/admin/signin", data={"token": TOKEN}).status_code == 303
    page = client.get("/admin/reports")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]


def _props(client, fid: str) -> dict | None:
    resp = client.get(f"/api/v1/facilities/{fid}")
    return resp.json if resp.status_code == 200 else None


def _accept(c, report_id: str, **form) -> dict:
    resp = c.post(
        f"/admin/reports/{report_id}/accept",
        data=form,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert resp.status_code == 200, resp.text
    return resp.json["entry"]


def _rollback(c, layer: str, version: str) -> None:
    resp = c.post(
        "/admin/rollback",
        data={"layer": layer, "version": version},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert resp.status_code == 200, resp.text


def test_every_kind_accepted_through_the_importer_and_rolled_back(files_config):
    app = _app(files_config)
    reports = app.extensions["test_reports"]
    data = Path(files_config["DATA_DIR"])
    original = (data / "love_stations.geojson").read_bytes()
    c = app.test_client()
    _signin(c)
    made = {
        "hours": reports.add("hours", facility_id="ls-1", fields={"hours_seen": "8:00-18:00"}),
        "phone": reports.add("phone", facility_id="ls-1", fields={"phone_seen": "0750-3222222"}),
        "amenity": reports.add(
            "amenity", facility_id="ls-2", fields={"amenity": "toilet", "state": "broken"}
        ),
        "confirm": reports.add("confirm", facility_id="ls-3"),
        "moved": reports.add("moved", facility_id="ls-3", lon=113.0861, lat=22.5857),
        "closed": reports.add("closed", facility_id="ls-2"),
        "need": reports.add("need", lon=113.08, lat=22.58, layer="love_stations"),
        "other": reports.add("other", facility_id="ls-1", text=HOSTILE),
    }
    queue = c.get("/admin/reports")
    assert queue.text.count('class="rgroup"') == 8
    assert HOSTILE not in queue.text and "&lt;img src=x" in queue.text
    # the prefilled corrections: the hours seen, the amenities without the broken one
    assert 'value="8:00-18:00"' in queue.text and 'value="wifi"' in queue.text
    # the moved report's distance from the facility, geodesic metres (about 136 m)
    assert re.search(r"距设施 1[34]\d 米", queue.text)
    entries = {
        "hours": _accept(c, made["hours"].id, value="Mo-Fr 08:00-18:00"),
        "phone": _accept(c, made["phone"].id, value="0750-3222222"),
        "amenity": _accept(c, made["amenity"].id, value="wifi"),
        "confirm": _accept(c, made["confirm"].id),  # the report's date, prefilled
        "moved": _accept(c, made["moved"].id),  # the reported point
        "closed": _accept(c, made["closed"].id),
        "need": _accept(c, made["need"].id),
        "other": _accept(c, made["other"].id),
    }
    assert all(reports.get(r.id).status == "accepted" for r in made.values())
    assert entries["need"] is None and entries["other"] is None  # no layer changed
    ls1 = _props(c, "ls-1")["properties"]
    assert (ls1["opening_hours"], ls1["phone"]) == ("Mo-Fr 08:00-18:00", "0750-3222222")
    ls3 = _props(c, "ls-3")
    # the day it was received in Beijing: 16:04 UTC on 1 December is 00:04 on the 2nd
    assert ls3["properties"]["verified_on"] == "2026-12-02"
    assert ls3["geometry"]["coordinates"] == [113.0861, 22.5857]
    assert "2026-12-02" in c.get("/f/ls-3").text  # the facility's page serves it too
    assert _props(c, "ls-2") is None  # closed: removed from its layer
    # every change is a logged write of its own, naming its report
    history = c.get("/admin/history?layer=love_stations")
    for kind in ("hours", "phone", "amenity", "confirm", "moved", "closed"):
        assert entries[kind]["action"] == "report" and entries[kind]["report"] == made[kind].id
        assert made[kind].id in history.text
    assert entries["amenity"]["changed"] == 1 and entries["closed"]["removed"] == 1
    # rolling back to the version the first accept kept restores the layer, byte for byte
    _rollback(c, "love_stations", entries["hours"]["previous_version"])
    assert (data / "love_stations.geojson").read_bytes() == original
    assert _props(c, "ls-2")["properties"]["amenities"] == ["toilet", "wifi"]
    assert "verified_on" not in _props(c, "ls-3")["properties"]


def test_accept_and_rollback_on_the_database(ddir, pg_server):
    """The database store: the change goes through the working copy and back, its
    history kept in the database; the rollback restores it."""
    app = _app({"DATABASE_URL": pg_server.database("sessions", ddir)})
    reports = app.extensions["test_reports"]
    c = app.test_client()
    _signin(c)
    before = _props(c, "ls-0001")
    r = reports.add("moved", facility_id="ls-0001", lon=113.0741, lat=22.5772)
    entry = _accept(c, r.id)
    assert _props(c, "ls-0001")["geometry"]["coordinates"] == [113.0741, 22.5772]
    assert entry["action"] == "report" and entry["report"] == r.id
    _rollback(c, "love_stations", entry["previous_version"])
    assert _props(c, "ls-0001")["geometry"] == before["geometry"]


def test_a_change_the_checks_refuse_writes_nothing(files_config):
    app = _app(files_config)
    reports = app.extensions["test_reports"]
    c = app.test_client()
    csrf = _signin(c)
    data = Path(files_config["DATA_DIR"])
    layer = (data / "love_stations.geojson").read_bytes()
    r = reports.add("phone", facility_id="ls-1", fields={"phone_seen": "12"})
    resp = c.post(f"/admin/reports/{r.id}/accept", data={"csrf_token": csrf, "value": "12"})
    assert resp.status_code == 400 and "nothing changed" in resp.text
    moved = reports.add("moved", facility_id="ls-3", lon=113.08, lat=22.58)
    resp = c.post(f"/admin/reports/{moved.id}/accept", data={"csrf_token": csrf, "lon": "east"})
    assert resp.status_code == 400 and "lon" in resp.text
    assert (data / "love_stations.geojson").read_bytes() == layer
    # no version kept, nothing logged (the reports themselves live in history/ too)
    assert not (data / "history" / "import-log.jsonl").exists()
    assert not (data / "history" / "love_stations").exists()
    assert reports.get(r.id).status == reports.get(moved.id).status == "received"


def test_reject_merge_and_decided_once(files_config):
    app = _app(files_config)
    reports = app.extensions["test_reports"]
    c = app.test_client()
    csrf = _signin(c)
    dups = [reports.add("closed", facility_id="ls-1") for _ in range(3)]
    odd = reports.add("hours", facility_id="ls-1", fields={"hours_seen": "x"})
    resp = c.post(f"/admin/reports/{dups[-1].id}/merge", data={"csrf_token": csrf})
    assert resp.status_code == 303
    assert [reports.get(d.id).status for d in dups] == ["merged", "merged", "received"]
    assert reports.get(dups[0].id).merged_into == dups[-1].id
    assert reports.get(odd.id).status == "received"  # another kind: not a duplicate
    resp = c.post(f"/admin/reports/{odd.id}/reject", data={"csrf_token": csrf, "note": "no"})
    assert resp.status_code == 303 and reports.get(odd.id).status == "rejected"
    resp = c.post(f"/admin/reports/{odd.id}/accept", data={"csrf_token": csrf})
    assert resp.status_code == 400 and "decided already" in resp.text
    assert c.post("/admin/reports/r-nope/reject", data={"csrf_token": csrf}).status_code == 404
    queue = c.get("/admin/reports?status=merged&lang=en")
    assert f"<strong>{dups[0].id}</strong>" in queue.text
    assert f"<strong>{dups[-1].id}</strong>" not in queue.text  # the kept one waits
    assert c.get("/admin/reports?status=bogus").status_code == 400


def test_only_staff_with_a_csrf_token_change_or_export_anything(files_config):
    app = _app(files_config)
    reports = app.extensions["test_reports"]
    r = reports.add("closed", facility_id="ls-1")
    c = app.test_client()
    data = Path(files_config["DATA_DIR"])
    layer = (data / "love_stations.geojson").read_bytes()
    assert c.get("/admin/reports").status_code == 302
    for path in ("/admin/reports.csv", "/admin/reports.geojson"):
        resp = c.get(path, headers={"Accept": "application/json"})
        assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    assert c.post(f"/admin/reports/{r.id}/accept").status_code == 401
    _signin(c)
    assert c.post(f"/admin/reports/{r.id}/accept", data={}).status_code == 403
    assert c.post(f"/admin/reports/{r.id}/merge", data={"csrf_token": "x"}).status_code == 403
    assert (data / "love_stations.geojson").read_bytes() == layer
    assert reports.get(r.id).status == "received"


def test_exports_neutralise_formulas_and_keep_positions(files_config):
    app = _app(files_config)
    reports = app.extensions["test_reports"]
    reports.add("other", facility_id="ls-1", text=HOSTILE)
    need = reports.add("need", lon=113.08, lat=22.58, work="delivery")
    c = app.test_client()
    _signin(c)
    body = c.get("/admin/reports.csv").data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1]["说明 text"] == HOSTILE  # starts with "<": not a formula, kept as is
    reports.add("other", facility_id="ls-1", text="=1+2")
    rows = list(csv.DictReader(io.StringIO(c.get("/admin/reports.csv").data.decode("utf-8-sig"))))
    assert rows[0]["说明 text"] == "'=1+2"
    assert "client_key" not in body.decode("utf-8-sig")
    doc = json.loads(c.get("/admin/reports.geojson?kind=need").data)
    assert [f["id"] for f in doc["features"]] == [need.id]
    assert doc["features"][0]["geometry"]["coordinates"] == [113.08, 22.58]
    assert c.get("/admin/reports.csv?kind=bogus").status_code == 400


def test_requests_are_public_only_as_counts_by_town_and_weigh_in_the_planner(files_config):
    app = _app(files_config)
    reports = app.extensions["test_reports"]
    c = app.test_client()
    empty = c.get("/api/v1/reports/requests").json
    assert empty["total"] == 0 and all(t["requests"] == 0 for t in empty["towns"])
    for lon, lat in ((113.0726, 22.5761), (113.0730, 22.5765), (112.98, 22.36)):
        reports.add("need", lon=lon, lat=lat)
    gone = reports.add("need", lon=113.07, lat=22.57)
    reports.decide(gone.id, "rejected", "")
    body = c.get("/api/v1/reports/requests").json
    assert body["total"] == 3
    counted = {t["town_code"]: t["requests"] for t in body["towns"] if t["requests"]}
    assert counted.get("440703002") == 2 and sum(counted.values()) == 3 - body["outside_towns"]
    assert "113.07" not in json.dumps(body)  # no position finer than the town
    text = c.get("/api/v1/reports/requests.csv").data.decode("utf-8-sig")
    assert "440703002" in text and "113.07" not in text
    resp = c.get("/api/v1/coverage?demand=requests&cell_m=1000&radius_m=1000")
    assert resp.status_code == 200, resp.text
    assert "request" in resp.json["demand"] and resp.headers["Cache-Control"] == "no-store"
    # two of the three requests sit within 1 km of ls-1: covered; the third is not
    assert round(resp.json["city"]["demand"]) == 3
    assert abs(resp.json["city"]["covered_share"] - 2 / 3) < 0.01


def test_of_four_accepts_at_once_one_writes_the_layer(files_config):
    """The accept claims the report in the store before it writes: of several at once,
    one writes the layer (one history entry), the others are told it was decided."""
    import threading

    from locator.values import registry

    app = _app(files_config)
    report = app.extensions["test_reports"].add("confirm", facility_id="ls-3")
    statuses: list[int] = []
    start = threading.Barrier(4)

    def accept() -> None:
        c = app.test_client()
        start.wait()
        resp = c.post(
            f"/admin/reports/{report.id}/accept",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=accept) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses) == [200, 400, 400, 400], statuses
    log = Path(files_config["DATA_DIR"]) / registry.HISTORY_DIR / registry.LOG_FILE
    writes = [line for line in log.read_text("utf-8").splitlines() if report.id in line]
    assert len(writes) == 1, writes
    assert app.extensions["test_reports"].get(report.id).status == "accepted"


def test_a_verification_dated_after_today_is_refused_and_the_report_waits(files_config):
    app = _app(files_config)
    report = app.extensions["test_reports"].add("confirm", facility_id="ls-3")
    before = (Path(files_config["DATA_DIR"]) / "love_stations.geojson").read_bytes()
    c = app.test_client()
    resp = c.post(
        f"/admin/reports/{report.id}/accept",
        data={"value": "2099-01-01"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert 400 <= resp.status_code < 500 and "2099-01-01" in resp.text, resp.text
    assert app.extensions["test_reports"].get(report.id).status == "received"
    assert (Path(files_config["DATA_DIR"]) / "love_stations.geojson").read_bytes() == before
