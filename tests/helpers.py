"""Build in-memory layers and indexes for engine tests (no files)."""

from __future__ import annotations

import numpy as np

from locator.operations.nearest import build_index
from locator.stores.files.read import FacilityLayer, read_city
from locator.values.city import CityProfile
from locator.values.models import Facility
from locator.values.paths import DEFAULT_DATA_DIR


def bundled_city() -> CityProfile:
    """The bundled data directory's city profile (Jiangmen)."""
    return read_city(DEFAULT_DATA_DIR)


def make_layer(layer_id: str, lons, lats, props_fn=None, prefix: str = "f") -> FacilityLayer:
    facilities = []
    for i, (lon, lat) in enumerate(zip(lons, lats, strict=True)):
        props = {
            "id": f"{prefix}{i:06d}",
            "layer": layer_id,
            "name": f"n{i}",
            "district_code": "440703",
            "town_code": "440703002",
            "source": "test",
        }
        if props_fn:
            props.update(props_fn(i))
        facilities.append(
            Facility(
                props["id"],
                layer_id,
                props["name"],
                float(lon),
                float(lat),
                "440703",
                "440703002",
                "test",
                props,
            )
        )
    return FacilityLayer(
        layer_id,
        layer_id,
        layer_id,
        tuple(facilities),
        np.asarray(lons, dtype=float),
        np.asarray(lats, dtype=float),
        "d",
    )


def random_index(layer_id: str, n: int, seed: int, props_fn=None, prefix: str = "f"):
    rng = np.random.default_rng(seed)
    lons = rng.uniform(111.9, 113.3, n).round(6)
    lats = rng.uniform(21.4, 22.9, n).round(6)
    return build_index(make_layer(layer_id, lons, lats, props_fn, prefix))


PROBLEM_TITLES = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def assert_problem(resp, status: int, param: str | None = None) -> dict:
    """The one error shape (RFC 9457 problem+json), whatever raised the error."""
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == status and body["title"] == PROBLEM_TITLES[status]
    assert body["type"].startswith("https://locator.invalid/problems/")
    assert isinstance(body["detail"], str) and body["detail"]
    assert body.get("param") == param
    assert "Traceback" not in resp.get_data(as_text=True)
    return body
