"""The OpenAPI document: valid, and the app keeps every promise it makes (schemathesis)."""

import datetime as dt
import re

import pytest
from openapi_spec_validator import validate

from tests import fuzz


def test_document_is_valid_openapi(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    paths = set(doc["paths"])
    assert {
        "/api/v1/layers",
        "/api/v1/layers/{layer}",
        "/api/v1/facilities/{id}",
        "/api/v1/nearest",
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/{collectionId}/items",
        "/ogc/collections/{collectionId}/items/{featureId}",
    } <= paths


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {p.replace("{", "<").replace("}", ">") for p in doc["paths"]}
    for rule in app.url_map.iter_rules():
        path = rule.rule.rstrip("/") or "/"
        if path.startswith(("/api", "/ogc")):
            normalised = path
            for arg in rule.arguments:
                normalised = normalised.replace(f"<{arg}>", "<x>")
            assert normalised in {
                d.replace("<layer>", "<x>")
                .replace("<id>", "<x>")
                .replace("<collectionId>", "<x>")
                .replace("<featureId>", "<x>")
                for d in documented
            }, rule.rule


def test_schemathesis_finds_no_failure():
    """Schemathesis, over real HTTP against `locator serve`, with every check but one.

    Left out: positive_data_acceptance, which expects every schema-valid request to
    succeed; a bbox whose south edge lies north of its north edge matches the documented
    pattern (JSON Schema cannot compare two numbers) and is rightly refused with a 400.

    The seed is fixed so that CI is repeatable; set SCHEMATHESIS_SEED to explore others
    (six other seeds at 80 examples each found nothing on 2026-11-24). The run starts when
    the session does and goes on beside the other tests (tests/fuzz.py).
    """
    returncode, stdout, stderr = fuzz.RUN.result()
    assert returncode == 0, stdout[-6000:] + stderr[-2000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", stdout)
    assert counts, stdout[-3000:]
    generated, passed = map(int, counts.groups())
    assert generated == passed > 300


def _params(doc, path):
    return {
        p["name"]: p for p in doc["paths"][path]["get"].get("parameters", []) if p["in"] == "query"
    }


def test_document_and_server_agree_on_every_day_and_layer_lists(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = _params(doc, "/api/v1/nearest")
    at = re.compile(params["at"]["schema"]["pattern"])
    base = "/api/v1/nearest?lon=113.08&lat=22.58&k=1&layer=service_centers"
    day = dt.date(2024, 1, 1)  # a leap year: every day of every month
    while day.year == 2024:
        value = f"{day.isoformat()}T23:59"
        assert at.match(value), value
        assert client.get(f"{base}&at={value}").status_code == 200, value
        day += dt.timedelta(days=1)
    for bad in (
        "2026-13-01T10:00",
        "2026-01-32T10:00",
        "2026-01-01T24:00",
        "0001-01-01T00:00+14:00",
        "9999-12-31T23:59",
    ):
        assert not at.match(bad), bad
        resp = client.get(f"{base}&at={bad}")
        assert resp.status_code == 400 and resp.get_json()["param"] == "at", bad
    layer = re.compile(params["layer"]["schema"]["pattern"])
    for value, ok in (
        ("love_stations,book_rooms", True),
        ("mothers_rooms", True),
        ("love_stations,nope", False),
        ("love_stations,", False),
    ):
        assert bool(layer.match(value)) is ok, value
        resp = client.get(f"/api/v1/nearest?lon=113.08&lat=22.58&layer={value}")
        assert (resp.status_code == 200) is ok, value


@pytest.mark.parametrize(
    "path", ["/api/v1/nearest", "/api/v1/layers/{layer}", "/ogc/collections/{collectionId}/items"]
)
def test_document_and_server_agree_on_numeric_bounds(client, path):
    """For every numeric parameter the document bounds, the bound itself is accepted and
    one past it is refused naming the parameter."""
    doc = client.get("/api/v1/openapi.json").get_json()
    url = (
        path.replace("{layer}", "love_stations").replace("{collectionId}", "towns")
        + "?"
        + ("lon=113.08&lat=22.58&" if path.endswith("nearest") else "")
    )
    checked = 0
    for name, p in _params(doc, path).items():
        schema = p["schema"]
        if schema["type"] not in ("integer", "number") or name in ("lon", "lat"):
            continue
        for bound, step in (("minimum", -1), ("maximum", 1)):
            if bound not in schema:
                continue
            edge = schema[bound]
            fmt = (lambda v: str(int(v))) if schema["type"] == "integer" else repr
            inside = client.get(f"{url}{name}={fmt(edge)}")
            if not schema.get("exclusiveMinimum") or bound == "maximum":
                assert inside.status_code == 200, (name, edge, inside.get_json())
            outside = client.get(f"{url}{name}={fmt(edge + step)}")
            assert outside.status_code == 400 and outside.get_json()["param"] == name, name
            checked += 1
    assert checked >= 2


def test_parameter_descriptions_are_bilingual(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        for p in ops["get"].get("parameters", []):
            if p["in"] == "query":
                assert re.search(r"[\u4e00-\u9fff]", p["description"]), (path, p["name"])
                assert re.search(r"[a-z]{3}", p["description"]), (path, p["name"])
