"""OGC API - Features - Part 1: Core, requirement by requirement.

Two views of the same promise: the abstract test suite of the standard as ported to pytest
by others (PyPI ``ogctests``, ``features/core``) run against `locator serve`, and a
checklist naming each requirement of /req/core (with /req/oas30, /req/html,
/req/geojson and Part 3's queryables where /ogc/api and the links rest on them), each
checked on the app here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from openapi_spec_validator import validate

from tests import ogcsuite

GEOJSON = "application/geo+json"
OAS30 = "application/vnd.oai.openapi+json;version=3.0"
ITEMS = "/ogc/collections/love_stations/items"


# ---------------------------------------------------------------------- the checklist


def _rels(links: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for link in links:
        out.setdefault(link["rel"], []).append(link)
    return out


def _api(client) -> dict:
    return client.get("/ogc/api").get_json()


def _items_params(client) -> dict[str, dict]:
    op = _api(client)["paths"]["/collections/love_stations/items"]["get"]
    return {p["name"]: p for p in op["parameters"] if p["in"] == "query"}


def root_success(client):
    body = client.get("/ogc").get_json()
    rels = _rels(body["links"])
    assert rels["service-desc"][0]["type"] == OAS30
    assert rels["service-doc"][0]["type"] == "text/html"
    assert {"self", "alternate", "conformance", "data"} <= set(rels)


def api_definition_success(client):
    desc = _rels(client.get("/ogc").get_json()["links"])["service-desc"][0]["href"]
    resp = client.get(desc.split("localhost", 1)[-1], headers={"Accept": OAS30})
    assert resp.status_code == 200 and resp.mimetype == "application/vnd.oai.openapi+json"
    assert resp.headers["Content-Type"].replace(" ", "").endswith("version=3.0")
    validate(resp.get_json())
    for accept, media in (
        ("application/vnd.oai.openapi+json", "application/vnd.oai.openapi+json"),
        (f"{OAS30}, text/html;q=0.5", "application/vnd.oai.openapi+json"),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/html, application/json;q=0.9", "text/html"),
    ):
        assert client.get("/ogc/api", headers={"Accept": accept}).mimetype == media, accept


def html_api_definition(client):
    for resp in (
        client.get("/ogc/api?f=html"),
        client.get("/ogc/api", headers={"Accept": "text/html"}),
    ):
        assert resp.status_code == 200 and resp.mimetype == "text/html"
        page = resp.get_data(as_text=True)
        assert "/collections/{collectionId}/items" in page and "datetime" in page


def conformance_success(client):
    body = client.get("/ogc/conformance").get_json()
    assert {
        f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{name}"
        for name in ("core", "geojson", "html", "oas30")
    } <= set(body["conformsTo"])


def fc_md_success(client):
    body = client.get("/ogc/collections").get_json()
    rels = _rels(body["links"])
    assert rels["self"][0]["type"] == "application/json"
    assert rels["alternate"][0]["type"] == "text/html"
    html = client.get(rels["alternate"][0]["href"].split("localhost", 1)[-1])
    assert html.status_code == 200 and html.mimetype == "text/html"


def fc_md_items(client):
    for c in client.get("/ogc/collections").get_json()["collections"]:
        assert any(link["rel"] == "items" for link in c["links"]), c["id"]
        assert c["extent"]["spatial"]["bbox"][0][0] < c["extent"]["spatial"]["bbox"][0][2]


def fc_bbox_definition(client):
    bbox = _items_params(client)["bbox"]
    assert bbox["style"] == "form" and bbox["explode"] is False and not bbox["required"]
    schema = bbox["schema"]
    assert (schema["type"], schema["minItems"], schema["maxItems"]) == ("array", 4, 6)
    assert schema["items"]["type"] == "number"


def fc_bbox_response(client):
    box = (113.0, 22.5, 113.1, 22.6)
    four = client.get(f"{ITEMS}?bbox={','.join(map(str, box))}&limit=1000").get_json()
    six = client.get(f"{ITEMS}?bbox=113.0,22.5,-50,113.1,22.6,8000&limit=1000").get_json()
    assert 0 < four["numberMatched"] < 133 and six["numberMatched"] == four["numberMatched"]
    for f in four["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def fc_limit_definition(client):
    limit = _items_params(client)["limit"]
    assert limit["style"] == "form" and limit["explode"] is False
    assert limit["schema"]["type"] == "integer"
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 10_000)
    assert limit["schema"]["default"] == 100


def fc_limit_response(client):
    assert client.get(f"{ITEMS}?limit=7").get_json()["numberReturned"] == 7
    assert client.get(ITEMS).get_json()["numberReturned"] == 100  # the declared default


def fc_time_definition(client):
    dt = _items_params(client)["datetime"]
    assert dt["style"] == "form" and dt["explode"] is False and not dt["required"]
    pattern = re.compile(dt["schema"]["pattern"])
    for ok in ("2026-10-01", "2026-10-01T08:30:00Z", "2015-01-01/2024-01-01", "../2026-01-01"):
        assert pattern.match(ok), ok
    for bad in ("2026-02-30", "2026-10-01T08:30", "../..", "yesterday"):
        assert not pattern.match(bad), bad


def fc_time_response(client):
    everything = client.get(f"{ITEMS}?limit=1000").get_json()["numberMatched"]
    for value in (
        "2024-02-29",
        "2018-02-12T23:20:52Z",
        "2018-02-12T00:00:00Z/2018-03-18T12:31:12+08:00",
        "../2018-03-18T12:31:12Z",
        "2018-02-12T00:00:00Z/..",
    ):
        resp = client.get(f"{ITEMS}?datetime={value.replace('+', '%2B')}")
        assert resp.status_code == 200, (value, resp.get_json())
        assert resp.get_json()["numberMatched"] == everything, value  # no feature has time
    nxt = _rels(client.get(f"{ITEMS}?datetime=2024-01-01/..&limit=5").get_json()["links"])
    assert "datetime=2024-01-01%2F.." in nxt["next"][0]["href"]


def query_param_invalid(client):
    for query, param in (
        ("datetime=2024-02-30", "datetime"),
        ("datetime=2024-03-01/2024-02-01", "datetime"),
        ("bbox=1,2,3", "bbox"),
        ("limit=0", "limit"),
    ):
        resp = client.get(f"{ITEMS}?{query}")
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json", query
        assert resp.get_json()["param"] == param, query


def query_param_unknown(client):
    resp = client.get(f"{ITEMS}?colour=red")
    assert resp.status_code == 400 and resp.get_json()["param"] == "colour"


def root_op(client):
    resp = client.get("/ogc", headers={"Accept": "application/json"})
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert client.get("/ogc?f=html").mimetype == "text/html"


def sfc_md_success(client):
    body = client.get("/ogc/collections/towns").get_json()
    assert body["id"] == "towns" and body["itemType"] == "feature"
    assert {"self", "alternate", "items"} <= set(_rels(body["links"]))


def fc_response(client):
    body = client.get(f"{ITEMS}?limit=3&offset=3").get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 3
    assert all(f["type"] == "Feature" for f in body["features"])


def fc_links(client):
    body = client.get(f"{ITEMS}?limit=3&offset=3").get_json()
    rels = _rels(body["links"])
    assert {"self", "alternate", "next", "prev"} <= set(rels)
    assert all("type" in link for link in body["links"])
    assert "offset=6" in rels["next"][0]["href"] and "offset" not in rels["prev"][0]["href"]


def fc_timestamp(client):
    stamp = client.get(f"{ITEMS}?limit=1").get_json()["timeStamp"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)


def fc_number_matched(client):
    every = client.get(f"{ITEMS}?limit=10000").get_json()
    assert every["numberMatched"] == len(every["features"]) == 133
    some = client.get(f"{ITEMS}?limit=5&district_code=440703").get_json()
    assert some["numberMatched"] == sum(
        f["properties"]["district_code"] == "440703" for f in every["features"]
    )


def fc_number_returned(client):
    body = client.get(f"{ITEMS}?limit=50&offset=100").get_json()
    assert body["numberReturned"] == len(body["features"]) == 33


def f_success(client):
    resp = client.get(f"{ITEMS}/ls-0001", headers={"Accept": GEOJSON})
    body = resp.get_json()
    assert resp.mimetype == GEOJSON and body["type"] == "Feature" and body["id"] == "ls-0001"


def f_links(client):
    body = client.get(f"{ITEMS}/ls-0001").get_json()
    rels = _rels(body["links"])
    assert {"self", "alternate", "collection"} <= set(rels)
    assert rels["alternate"][0]["type"] == "text/html" and all("type" in x for x in body["links"])


def geojson_geometry_declared(client):
    """Each area collection holds what its schema says: every town is a MultiPolygon."""
    schema = client.get("/ogc/collections/towns/schema").get_json()
    assert schema["properties"]["geometry"]["format"] == "geometry-multipolygon"
    body = client.get("/ogc/collections/towns/items?limit=1000").get_json()
    assert {f["geometry"]["type"] for f in body["features"]} == {"MultiPolygon"}
    one = client.get(f"/ogc/collections/towns/items/{body['features'][0]['id']}").get_json()
    assert one["geometry"]["type"] == "MultiPolygon"


def queryables_as_schema_json(client):
    for path in ("/ogc/collections/towns/queryables", "/ogc/collections/towns/schema"):
        resp = client.get(path, headers={"Accept": "application/schema+json"})
        assert resp.status_code == 200 and resp.mimetype == "application/schema+json", path
        assert resp.get_json()["type"] == "object"


#: requirement id -> its check (ids as the standards name them)
CHECKLIST: dict[str, Callable] = {
    "/req/core/root-op": root_op,
    "/req/core/root-success": root_success,
    "/req/core/api-definition-success": api_definition_success,
    "/req/oas30/oas-impl": api_definition_success,
    "/req/html/definition": html_api_definition,
    "/req/core/conformance-success": conformance_success,
    "/req/core/fc-md-success": fc_md_success,
    "/req/core/fc-md-items": fc_md_items,
    "/req/core/sfc-md-success": sfc_md_success,
    "/req/core/fc-bbox-definition": fc_bbox_definition,
    "/req/core/fc-bbox-response": fc_bbox_response,
    "/req/core/fc-limit-definition": fc_limit_definition,
    "/req/core/fc-limit-response": fc_limit_response,
    "/req/core/fc-time-definition": fc_time_definition,
    "/req/core/fc-time-response": fc_time_response,
    "/req/core/query-param-invalid": query_param_invalid,
    "/req/core/query-param-unknown": query_param_unknown,
    "/req/core/fc-response": fc_response,
    "/req/core/fc-links": fc_links,
    "/req/core/fc-timeStamp": fc_timestamp,
    "/req/core/fc-numberMatched": fc_number_matched,
    "/req/core/fc-numberReturned": fc_number_returned,
    "/req/core/f-success": f_success,
    "/req/core/f-links": f_links,
    "/req/geojson/content": geojson_geometry_declared,
    "/req/queryables/get-queryables-response": queryables_as_schema_json,
}


@pytest.mark.parametrize("requirement", list(CHECKLIST))
def test_requirement(client, requirement):
    CHECKLIST[requirement](client)


def test_ogctests_features_core_passes():
    """Every test of ogctests' features/core passes, none skipped, and none warns (the
    suite warns, rather than fails, when the API definition lacks a parameter). The run
    starts with the session and goes on beside the other tests (tests/ogcsuite.py)."""
    returncode, stdout, stderr = ogcsuite.RUN.result()
    assert returncode == 0, stdout[-6000:] + stderr[-2000:]
    passed = set(re.findall(r"^PASSED \S*::(test_ast\d+)", stdout, re.MULTILINE))
    assert passed == {f"test_ast{i}" for i in range(1, 30)}, stdout[-3000:]
    assert re.search(r"\b29 passed\b", stdout) and not re.search(
        r"\d+ (failed|skipped|error)", stdout
    ), stdout[-3000:]
