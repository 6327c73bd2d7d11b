"""JSON API, version 1: parse -> one domain call -> serialise."""

from __future__ import annotations

from flask import Blueprint, request

from ..errors import LayerNotFound
from ..hours import now
from . import params
from .context import GEOJSON, cacheable, catalog, json_response, parse_nearest
from .serialize import (
    facility_details_json,
    feature_collection,
    feature_json,
    layer_info_json,
    nearest_json,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/health")
def health():
    """A trivial endpoint: liveness for operators, and the benchmark's baseline."""
    return json_response({"status": "ok"})


@bp.get("/layers")
def layers():
    cat = catalog()
    infos = cat.collection_infos(facilities_only=True)
    return cacheable({"layers": [layer_info_json(i) for i in infos], "version": cat.version},
                     "application/json", cat.version)


@bp.get("/layers/<layer_id>")
def layer(layer_id: str):
    cat = catalog()
    valid = cat.resolve_layers(None)
    if layer_id not in valid:  # reference collections are served by /ogc, not here
        raise LayerNotFound(layer_id, list(valid), "layer")
    info = cat.collection_info(layer_id)
    box = params.BBOX.parse(request.args)
    limit = params.LAYER_LIMIT.parse(request.args)
    page = cat.page(layer_id, box, limit)
    body = feature_collection([feature_json(f) for f in page.features],
                              name=layer_id, numberMatched=page.matched,
                              numberReturned=len(page.features), sample=info.sample)
    return cacheable(body, GEOJSON, info.version)


@bp.get("/facilities/<facility_id>")
def facility(facility_id: str):
    cat = catalog()
    details = cat.facility_details(facility_id, now())
    # the answer carries the hours now and the week ahead: its ETag changes every minute
    return cacheable(facility_details_json(details), GEOJSON, details.layer.version,
                     at=details.at)


@bp.get("/nearest")
def nearest():
    cat = catalog()
    req = parse_nearest(cat, request.args)
    if req.per_layer:
        answer = cat.nearest_by_layer(req.query, now())
    else:
        answer = cat.nearest(req.query, now())
    resp = json_response(nearest_json(answer, req.coord), GEOJSON)
    resp.headers["Cache-Control"] = "no-store"  # depends on the moment and the position
    return resp
