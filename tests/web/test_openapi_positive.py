"""Positive data: a value its OpenAPI document allows is a value the server takes.

For every query parameter of the cheap operations of both documents (`/api/v1/openapi.json`
and `/ogc/api`), hypothesis draws values from the parameter's own schema (patterns, enums,
bounds, lengths), and each request that carries one of them must not be refused with a
400. Schemathesis' positive_data_acceptance check found the 21 kinds of value this used
to refuse (e.g. ``at=2170-02-31T00:00``); this test keeps them out, one parameter at a
time so that one parameter's refusal cannot hide another's.

Two rules no schema can state are checked the other way round: a bbox whose south lies
north of its north and a datetime interval that ends before it starts match the
document's schema, and get a 400 naming the parameter with a message that says why.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: operations whose answer is cheap (the planner's are not: its own tests bound them)
CHEAP = {
    "/api/v1/openapi.json": [
        ("/api/v1/nearest", {"lon": "113.08", "lat": "22.58"}),
        ("/api/v1/layers/{layer}", {}),
        ("/api/v1/routes", {}),
        ("/ogc/collections/{collectionId}/items", {"limit": "1"}),
        ("/ogc/collections/{collectionId}/items/{featureId}", {}),
        ("/ogc/collections/{collectionId}", {}),
        ("/ogc/collections/{collectionId}/queryables", {}),
    ],
    "/ogc/api": [
        ("/collections/love_stations/items", {"limit": "1"}),
        ("/collections/towns/items", {"limit": "1"}),
        ("/collections/rural_routes/items", {"limit": "1"}),
        ("/collections", {}),
        ("/", {}),
    ],
}
PATH_VALUES = {
    "{layer}": "love_stations",
    "{collectionId}": "love_stations",
    "{featureId}": "ls-0001",
}
#: a CQL2 filter is a grammar, not a pattern, and filter-lang and filter-crs go with a
#: filter: tests/web/test_ogc_filters.py covers them
SKIPPED = {"filter", "filter-lang", "filter-crs"}
EXAMPLES = 10


def _strategy(schema: dict) -> st.SearchStrategy[str]:
    """Query-string text for a value of ``schema`` (OpenAPI 3.0, style form)."""
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"]])
    kind = schema.get("type")
    if kind == "boolean":
        return st.sampled_from(["true", "false"])
    if kind == "integer":
        return st.integers(
            int(schema.get("minimum", -(10**9))), int(schema.get("maximum", 10**9))
        ).map(str)
    if kind == "number":
        low, high = schema.get("minimum"), schema.get("maximum")
        floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
        if schema.get("exclusiveMinimum"):
            floats = floats.filter(lambda v: v != low)
        return floats.map(repr)
    if kind == "array":
        items = _strategy(schema["items"])
        return st.lists(items, min_size=schema["minItems"], max_size=schema["maxItems"]).map(
            ",".join
        )
    if "pattern" in schema:
        # ECMA-262 (JSON Schema) \d is ASCII; Python's would draw any script's digits
        return st.from_regex(re.compile(schema["pattern"], re.ASCII), fullmatch=True)
    alphabet = st.characters(codec="utf-8", exclude_categories=("Cs",))
    return st.text(
        alphabet, min_size=schema.get("minLength", 0), max_size=schema.get("maxLength", 50)
    )


def _cases(client) -> list[tuple[str, str, str, dict, dict]]:
    out = []
    for doc_path, operations in CHEAP.items():
        doc = client.get(doc_path).get_json()
        prefix = "/ogc" if doc_path == "/ogc/api" else ""
        for path, fixed in operations:
            url = prefix + path
            for template, value in PATH_VALUES.items():
                url = url.replace(template, value)
            for p in doc["paths"][path]["get"].get("parameters", []):
                if p["in"] == "query" and p["name"] not in SKIPPED:
                    out.append((doc_path, url, p["name"], p["schema"], fixed))
    return out


def _beyond_schema(name: str, value: str) -> bool:
    """A value only the server can refuse: a bbox's latitude beyond 90 (OpenAPI 3.0 has no
    per-position item schema) or its south above its north, an interval backwards."""
    if name == "bbox":
        parts = [float(v) for v in value.split(",")]
        south, north = (parts[1], parts[3]) if len(parts) == 4 else (parts[1], parts[4])
        return south > north or max(abs(south), abs(north)) > 90
    if name == "datetime" and "/" in value and ".." not in value:
        import datetime as dt

        def at(text: str) -> dt.datetime:
            t = dt.datetime.fromisoformat(text)
            return t if t.tzinfo else t.replace(tzinfo=dt.UTC)

        start, end = value.split("/")
        return at(start) > at(end)
    return False


def _probe(client, case: tuple[str, str, str, dict, dict], refused: dict) -> None:
    """Draw values of one parameter and note the first the server refuses."""
    doc_path, url, name, schema, fixed = case

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    @given(value=_strategy(schema))
    def check(value: str) -> None:
        resp = client.get(f"{url}?{urlencode({**fixed, name: value})}")
        if _beyond_schema(name, value):
            assert resp.status_code == 400 and resp.get_json()["param"] == name, value
            return
        if resp.status_code == 400 and (doc_path, name) not in refused:
            refused[(doc_path, name)] = f"{url} {name}={value!r}: {resp.get_json()['detail']}"

    check()


def test_every_schema_valid_value_is_taken(client):
    cases = _cases(client)
    assert len(cases) > 40 and {c[2] for c in cases} >= {"at", "town", "theme", "bbox"}
    refused: dict[tuple[str, str], str] = {}
    for case in cases:
        _probe(client, case, refused)
    assert not refused, "\n".join(refused.values())


@pytest.mark.parametrize(
    "query, words",
    [
        ("bbox=113.1,22.6,113.0,22.5", "minlat <= maxlat"),
        ("bbox=113.0,22.5,0,113.1,95,10", "minlat <= maxlat <= 90"),
        ("datetime=2026-03-01/2026-02-01", "ends before it starts"),
    ],
)
def test_what_no_schema_can_say_is_a_clear_400(client, query, words):
    resp = client.get(f"/ogc/collections/love_stations/items?{query}")
    assert resp.status_code == 400 and resp.get_json()["param"] == query.split("=")[0]
    assert words in resp.get_json()["detail"]


def test_a_date_that_is_no_date_is_refused_by_the_document_too(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    at = next(p for p in doc["paths"]["/api/v1/nearest"]["get"]["parameters"] if p["name"] == "at")
    for value in ("2170-02-31T00:00", "2023-02-29T00:00", "2100-02-29T00:00", "2026-04-31T10:00"):
        assert not re.match(at["schema"]["pattern"], value), value
        resp = client.get(f"/api/v1/nearest?lon=113.08&lat=22.58&at={value}")
        assert resp.status_code == 400 and resp.get_json()["param"] == "at", value
    assert re.match(at["schema"]["pattern"], "2024-02-29T00:00")
