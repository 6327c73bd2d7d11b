"""The one JSON error body (RFC 9457 problem+json), pinned, for every error source."""

import logging

import pytest

from tests.both_stores import BOTH_STORES
from tests.helpers import assert_problem

STORES = BOTH_STORES  # every test here runs on the files and on PostGIS


def test_problem_json_shape(client):
    resp = client.get("/api/v1/nearest?lon=113&lat=22&k=99")
    assert resp.headers["Content-Type"] == "application/problem+json"
    assert resp.get_json() == {
        "type": "https://locator.invalid/problems/invalid-parameter",
        "title": "Bad Request",
        "status": 400,
        "detail": "k must be an integer from 1 to 50, got 99",
        "param": "k",
    }


SOURCES = [
    # (method, url, headers, status, param)
    ("GET", "/api/v1/nearest?lon=113&lat=22&k=99", {}, 400, "k"),
    ("GET", "/api/v1/nearest?lon=113&lat=22&layer=toilets", {}, 400, "layer"),
    ("GET", "/api/v1/layers/love_stations?bbox=1,2", {}, 400, "bbox"),
    ("GET", "/ogc/collections/districts/items?limit=0", {}, 400, "limit"),
    ("GET", "/ogc/collections?f=xml", {}, 400, "f"),
    ("GET", "/api/v1/facilities/nope", {}, 404, None),
    ("GET", "/api/v1/layers/nope", {}, 404, "layer"),
    ("GET", "/ogc/collections/nope/items", {}, 404, "collectionId"),
    ("GET", "/ogc/collections/districts/items/999999", {}, 404, None),
    ("GET", "/api/v1/no-such-endpoint", {}, 404, None),
    ("POST", "/api/v1/nearest?lon=113&lat=22", {}, 405, None),
    ("DELETE", "/ogc/collections", {}, 405, None),
    ("GET", "/api/v1/layers", {"Accept": "text/csv"}, 406, "Accept"),
    ("GET", "/ogc/collections/towns/items", {"Accept": "application/gml+xml"}, 406, "Accept"),
]


@pytest.mark.parametrize(
    ("method", "url", "headers", "status", "param"),
    SOURCES,
    ids=[f"{s[3]}-{s[1][:40]}" for s in SOURCES],
)
def test_every_error_source_answers_problem_json(client, method, url, headers, status, param):
    assert_problem(client.open(url, method=method, headers=headers), status, param)


def test_405_says_what_is_allowed(client):
    resp = client.post("/api/v1/nearest?lon=113&lat=22")
    assert "GET" in resp.headers["Allow"]


def test_json_is_served_to_clients_that_accept_it(client):
    for accept in (
        "application/json",
        "application/geo+json",
        "*/*",
        "text/html,application/xhtml+xml,*/*;q=0.8",
    ):
        assert client.get("/api/v1/layers", headers={"Accept": accept}).status_code == 200


def test_unexpected_errors_are_500_with_the_trace_in_the_log(app, monkeypatch, caplog):
    def boom(self, *args):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(type(app.extensions["locator"].catalog), "nearest", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    caplog.set_level(logging.ERROR, logger="locator.web.errors")
    resp = app.test_client().get("/api/v1/nearest?lon=113&lat=22")
    body = assert_problem(resp, 500)
    assert body == {
        "type": "https://locator.invalid/problems/internal-error",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "internal server error",
    }
    assert b"secret" not in resp.data
    (record,) = [r for r in caplog.records if r.name == "locator.web.errors"]
    assert record.exc_info and "secret internals" in str(record.exc_info[1])
    assert "GET /api/v1/nearest" in record.getMessage()


def test_unknown_paths_are_404_whatever_the_accept_header(client):
    assert_problem(client.get("/api/v1/nope", headers={"Accept": "text/html"}), 404)


def test_the_openapi_media_type_is_acceptable(client):
    resp = client.get(
        "/api/v1/openapi.json", headers={"Accept": "application/vnd.oai.openapi+json;version=3.0"}
    )
    assert resp.status_code == 200
