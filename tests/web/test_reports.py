"""Reports from the street over HTTP (issue #25), on both stores: stored once per
client_id, acknowledged only when stored, every field checked by name, the honeypot,
size and rate limits, staff-only reading, and nothing personal in what is stored."""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from locator.stores.files.reports import reports_path
from locator.values.reports import RATE_PER_MINUTE
from locator.web import create_app
from tests.both_stores import BOTH_STORES
from tests.conftest import small_data_dir

STORES = BOTH_STORES
TOKEN = "reports-staff-token-2026-correct-horse"
STAFF = {"Authorization": f"Bearer {TOKEN}"}
#: t-1 and t-2 are love stations of the small data directory (蓬江区)
FACILITY = "t-1"
INSIDE = (113.0726, 22.5761)


@pytest.fixture(scope="module")
def setup(store_kind, tmp_path_factory, request):
    data = small_data_dir(tmp_path_factory.mktemp(f"reports-{store_kind}"))
    config = {"TESTING": True, "WATCH_DATA": False, "TILES": "none", "ADMIN_TOKEN": TOKEN}
    config["DATA_DIR"] = str(data)
    if store_kind == "postgis":
        config["DATABASE_URL"] = request.getfixturevalue("pg_server").database("reports", data)
    return create_app(config), data, config.get("DATABASE_URL")


@pytest.fixture()
def rapp(setup):
    return setup[0]


def _post(app, body, addr="10.1.0.1", **kw):
    return app.test_client().post(
        "/api/v1/reports", json=body, environ_base={"REMOTE_ADDR": addr}, **kw
    )


def _report(kind="confirm", **fields):
    body = {"kind": kind, "client_id": str(uuid.uuid4())}
    if kind != "need":
        body["facility_id"] = FACILITY
    body.update(fields)
    return body


def test_a_report_is_stored_and_answered_with_its_receipt(rapp):
    body = _report("hours", hours_seen="周一至周五 9:00-18:00", text="门口贴了新时间")
    resp = _post(rapp, body)
    assert resp.status_code == 201, resp.text
    receipt = resp.json
    assert receipt["id"].startswith("r-") and receipt["kind"] == "hours"
    assert receipt["status"] == "received" and receipt["received_at"].endswith("Z")
    assert resp.headers["Cache-Control"] == "no-store"
    got = rapp.test_client().get(f"/api/v1/reports/{receipt['id']}", headers=STAFF)
    assert got.status_code == 200
    stored = got.json
    assert stored["fields"] == {"hours_seen": "周一至周五 9:00-18:00"}
    assert stored["text"] == "门口贴了新时间" and stored["layer"] == "love_stations"
    assert stored["facility_id"] == FACILITY and stored["client_id"] == body["client_id"]
    assert resp.headers["Location"].endswith(f"/api/v1/reports/{receipt['id']}")


def test_the_same_client_id_again_answers_the_same_report(rapp):
    body = _report("closed")
    first = _post(rapp, body)
    again = _post(rapp, body, addr="10.1.0.2")  # another network, the same report
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    listed = rapp.test_client().get(
        "/api/v1/reports", query_string={"kind": "closed", "limit": 500}, headers=STAFF
    )
    assert [r["client_id"] for r in listed.json["reports"]].count(body["client_id"]) == 1


@pytest.mark.parametrize(
    "body",
    [
        _report("closed"),
        _report("moved", lon=113.0731, lat=22.5765),
        _report("hours", hours_seen="8:00-20:00"),
        _report("amenity", amenity="drinking_water", state="broken"),
        _report("phone", phone_seen="0750-1234567"),
        _report("phone"),
        _report("other", text="门口在修路"),
        _report("confirm", lon=INSIDE[0], lat=INSIDE[1]),
        _report("need", lon=113.09, lat=22.59, work="delivery"),
        _report("need", lon=113.09, lat=22.59, layer="mothers_rooms"),
    ],
    ids=lambda b: b["kind"],
)
def test_every_kind_is_taken(rapp, body):
    resp = _post(rapp, body, addr=f"10.2.{len(body)}.{hash(body['client_id']) % 200}")
    assert resp.status_code == 201, resp.text
    stored = rapp.test_client().get(f"/api/v1/reports/{resp.json['id']}", headers=STAFF).json
    assert stored["kind"] == body["kind"]
    if body["kind"] == "need":
        assert stored["layer"] == body.get("layer", "love_stations")
        assert (stored["lon"], stored["lat"], stored["work"]) == (
            body["lon"],
            body["lat"],
            body.get("work"),
        )


BAD = [
    ({"kind": None}, "kind", 400),
    ({"kind": "gone"}, "kind", 400),
    ({"kind": "confirm", "client_id": None}, "client_id", 400),
    ({"client_id": "not-a-uuid"}, "client_id", 400),
    ({"facility_id": None}, "facility_id", 400),
    ({"facility_id": "no-such-station"}, "facility_id", 422),
    ({"kind": "moved"}, "lon", 400),
    ({"kind": "need", "facility_id": None, "lat": 22.5}, "lon", 400),
    ({"lon": "east", "lat": 22.5}, "lon", 400),
    ({"lon": 113.07, "lat": 95}, "lat", 400),
    ({"lon": 116.40, "lat": 39.90}, "lon", 422),  # Beijing: outside the service area
    ({"kind": "hours"}, "hours_seen", 400),
    ({"kind": "hours", "hours_seen": "9" * 121}, "hours_seen", 400),
    ({"kind": "phone", "phone_seen": "1" * 41}, "phone_seen", 400),
    ({"phone_seen": "123"}, "phone_seen", 400),  # only on a phone report
    ({"kind": "amenity", "state": "broken"}, "amenity", 400),
    ({"kind": "amenity", "amenity": "jacuzzi", "state": "broken"}, "amenity", 400),
    ({"kind": "amenity", "amenity": "wifi", "state": "sad"}, "state", 400),
    ({"kind": "other"}, "text", 400),
    ({"text": "字" * 281}, "text", 400),
    ({"text": 42}, "text", 400),
    ({"text": "a\x00b"}, "text", 400),
    ({"kind": "need", "facility_id": None, "lon": 113.09, "lat": 22.59, "work": "x"}, "work", 400),
    ({"kind": "need", "facility_id": None, "lon": 113.1, "lat": 22.6, "layer": "x"}, "layer", 400),
    ({"layer": "love_stations"}, "layer", 400),  # only on a need report
    ({"name": "张三"}, "name", 400),  # unknown fields are refused, not stored
]


@pytest.mark.parametrize(("change", "param", "status"), BAD, ids=lambda v: str(v)[:40])
def test_every_field_is_checked_by_name(rapp, change, param, status):
    body = {"kind": "confirm", "client_id": str(uuid.uuid4()), "facility_id": FACILITY}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    resp = _post(rapp, body, addr="10.3.0.1")
    assert resp.status_code == status, resp.text
    assert resp.mimetype == "application/problem+json"
    assert resp.json["param"] == param
    assert param in resp.json["detail"] and " · " in resp.json["detail"]  # zh · en


def test_a_form_is_taken_like_json(rapp):
    client_id = str(uuid.uuid4())
    form = {"kind": "need", "client_id": client_id, "lon": "113.09", "lat": "22.59", "website": ""}
    resp = rapp.test_client().post("/api/v1/reports", data=form)
    assert resp.status_code == 201, resp.text
    stored = rapp.test_client().get(f"/api/v1/reports/{resp.json['id']}", headers=STAFF).json
    assert (stored["lon"], stored["lat"], stored["client_id"]) == (113.09, 22.59, client_id)


def test_the_honeypot_answers_as_if_stored_and_stores_nothing(rapp):
    before = rapp.test_client().get("/api/v1/reports", headers=STAFF).json["numberMatched"]
    resp = _post(rapp, _report("closed", website="http://spam.example"))
    assert resp.status_code == 201 and resp.json["kind"] == "closed"
    after = rapp.test_client().get("/api/v1/reports", headers=STAFF)
    assert after.json["numberMatched"] == before
    gone = rapp.test_client().get(f"/api/v1/reports/{resp.json['id']}", headers=STAFF)
    assert gone.status_code == 404


def test_size_and_type_limits(rapp):
    client = rapp.test_client()
    big = _report("other", text="x" * 100) | {"padding": "y" * 4100}
    resp = client.post("/api/v1/reports", json=big)
    assert resp.status_code == 413 and resp.json["param"] == "body"
    resp = client.post("/api/v1/reports", data=b"kind=closed", content_type="text/plain")
    assert resp.status_code == 415 and resp.json["param"] == "Content-Type"
    resp = client.post("/api/v1/reports", data=b"{not json", content_type="application/json")
    assert resp.status_code == 400 and resp.json["param"] == "body"
    resp = client.post("/api/v1/reports", json=["kind", "closed"])
    assert resp.status_code == 400 and resp.json["param"] == "body"


def test_past_the_rate_limit_a_client_is_told_when_to_come_back(rapp):
    addr = f"10.4.{uuid.uuid4().int % 250}.9"
    for _ in range(RATE_PER_MINUTE):
        assert _post(rapp, _report("confirm"), addr=addr).status_code == 201
    refused = _post(rapp, _report("confirm"), addr=addr)
    assert refused.status_code == 429, refused.text
    assert refused.mimetype == "application/problem+json"
    assert refused.headers["Retry-After"] == "60" and "60" in refused.json["detail"]
    assert _post(rapp, _report("confirm"), addr="10.4.255.1").status_code == 201  # others


def test_an_ipv6_client_is_its_64_not_each_address_it_takes(rapp):
    """Every IPv6 client holds a /64: new addresses in it do not reset its limit."""
    net = f"2001:db8:{uuid.uuid4().int % 65535:x}:1"
    for i in range(RATE_PER_MINUTE):
        assert _post(rapp, _report("confirm"), addr=f"{net}::{i + 1:x}").status_code == 201
    assert _post(rapp, _report("confirm"), addr=f"{net}::ffff").status_code == 429
    assert _post(rapp, _report("confirm"), addr=f"{net[:-1]}2::1").status_code == 201  # next /64


def test_reading_reports_is_for_staff_only(rapp):
    client = rapp.test_client()
    assert client.get("/api/v1/reports").status_code == 401
    wrong = client.get("/api/v1/reports", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    resp = client.get("/api/v1/reports/r-0000", headers=STAFF)
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    page = client.get("/api/v1/reports", query_string={"limit": 2}, headers=STAFF).json
    assert page["numberReturned"] <= 2 and page["numberMatched"] >= page["numberReturned"]
    times = [r["received_at"] for r in page["reports"]]
    assert times == sorted(times, reverse=True)  # newest first
    bad = client.get("/api/v1/reports", query_string={"status": "lost"}, headers=STAFF)
    assert bad.status_code == 400 and bad.json["param"] == "status"
    off = create_app(
        {
            "TESTING": True,
            "WATCH_DATA": False,
            "TILES": "none",
            "DATA_DIR": rapp.config["DATA_DIR"],
            "DATABASE_URL": rapp.config["DATABASE_URL"],
        }
    )
    assert off.test_client().get("/api/v1/reports", headers=STAFF).status_code == 403


def _stored_text(setup) -> str:
    """Everything the store holds about reports, read directly (not through the app)."""
    _app, data, url = setup
    if url is None:
        with sqlite3.connect(reports_path(data)) as conn:
            rows = conn.execute("SELECT * FROM reports").fetchall()
    else:
        import psycopg

        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT row_to_json(r)::text FROM locator.reports r").fetchall()
    return "\n".join(map(repr, rows))


def test_nothing_personal_is_stored(setup):
    app = setup[0]
    marker_ip, agent, cookie = "198.51.100.77", "SecretPhone/9.9 (rider 张三)", "sid=cookie-77"
    resp = app.test_client().post(
        "/api/v1/reports",
        json=_report("other", text="门口在修路"),
        environ_base={"REMOTE_ADDR": marker_ip},
        headers={"User-Agent": agent, "Cookie": cookie, "Referer": "http://rider.example/x"},
    )
    assert resp.status_code == 201
    text = _stored_text(setup)
    assert resp.json["id"] in text and "门口在修路" in text  # the read sees the report
    for secret in (marker_ip, "198.51.100", agent, "SecretPhone", cookie, "rider.example"):
        assert secret not in text


def test_staff_decisions_are_recorded_and_filtered(rapp):
    from locator.values.reports import ReportInvalid, ReportNotFound, ReportUnprocessable

    reports = rapp.extensions["locator_reports"]
    one = _post(rapp, _report("closed"), addr="10.5.0.1").json["id"]
    two = _post(rapp, _report("closed"), addr="10.5.0.2").json["id"]
    merged = reports.decide(two, "merged", "同一件事", merged_into=one)
    assert (merged.status, merged.merged_into, merged.decision_note) == ("merged", one, "同一件事")
    assert merged.decided_at is not None and merged.decided_at >= merged.received_at
    accepted = reports.decide(one, "accepted")
    assert accepted.status == "accepted" and accepted.merged_into is None
    page, total = reports.list(status="merged", facility_id=FACILITY, limit=500)
    assert two in [r.id for r in page] and total >= 1
    assert all(r.status == "merged" for r in page)
    with pytest.raises(ReportInvalid) as bad:
        reports.decide(one, "received")
    assert bad.value.param == "status"
    with pytest.raises(ReportInvalid) as bad:
        reports.decide(one, "merged")
    assert bad.value.param == "merged_into"
    with pytest.raises(ReportUnprocessable):
        reports.decide(one, "merged", merged_into="r-none")
    with pytest.raises(ReportNotFound):
        reports.decide("r-none", "rejected")
    key = reports.client_key("10.5.0.1", merged.received_at)
    assert reports.store.count_recent(key, merged.received_at.replace(hour=0, minute=0)) >= 1
