"""The OpenAPI document: valid, and the app keeps every promise it makes (schemathesis)."""

import os
import re
import subprocess
import sys
from pathlib import Path

from openapi_spec_validator import validate


def test_document_is_valid_openapi(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    paths = set(doc["paths"])
    assert {"/api/v1/layers", "/api/v1/layers/{layer}", "/api/v1/facilities/{id}",
            "/api/v1/nearest", "/ogc", "/ogc/conformance", "/ogc/collections",
            "/ogc/collections/{collectionId}/items",
            "/ogc/collections/{collectionId}/items/{featureId}"} <= paths


def test_every_api_route_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    documented = {p.replace("{", "<").replace("}", ">") for p in doc["paths"]}
    for rule in app.url_map.iter_rules():
        path = rule.rule.rstrip("/") or "/"
        if path.startswith(("/api", "/ogc")):
            normalised = path
            for arg in rule.arguments:
                normalised = normalised.replace(f"<{arg}>", "<x>")
            assert normalised in {d.replace("<layer>", "<x>").replace("<id>", "<x>")
                                  .replace("<collectionId>", "<x>").replace("<featureId>", "<x>")
                                  for d in documented}, rule.rule


def test_schemathesis_finds_no_failure(live_server):
    """Schemathesis, over real HTTP against `locator serve`, with every check but one.

    Left out: positive_data_acceptance, which expects every schema-valid request to
    succeed; a bbox whose south edge lies north of its north edge matches the documented
    pattern (JSON Schema cannot compare two numbers) and is rightly refused with a 400.

    The seed is fixed so that CI is repeatable; set SCHEMATHESIS_SEED to explore others
    (six other seeds at 80 examples each found nothing on 2026-11-24).
    """
    st = str(Path(sys.executable).with_name("schemathesis"))
    proc = subprocess.run(
        [st, "run", f"{live_server}/api/v1/openapi.json", "--checks", "all",
         "--exclude-checks", "positive_data_acceptance", "--max-examples", "40",
         "--workers", "2", "--no-color",
         "--seed", os.environ.get("SCHEMATHESIS_SEED", "20240929")],
        capture_output=True, text=True, timeout=480)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    counts = re.search(r"(\d+) generated, (\d+) passed", proc.stdout)
    assert counts, proc.stdout[-3000:]
    generated, passed = map(int, counts.groups())
    assert generated == passed > 300
