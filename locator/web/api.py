"""JSON API, version 1: parse -> one domain call -> serialise."""

from __future__ import annotations

import hashlib

import orjson
from flask import Blueprint, Response, current_app, request

from ..catalog import Catalog
from ..hours import now, parse_time
from ..lookup import layer_page
from ..nearest import MAX_K, NearestQuery
from . import params
from .serialize import facility_feature, feature_collection, layer_info_json, nearest_json

bp = Blueprint("api", __name__, url_prefix="/api/v1")

GEOJSON = "application/geo+json"
MAX_LIMIT = 10_000


def catalog() -> Catalog:
    return current_app.extensions["locator"].catalog


def json_response(body, mimetype: str = "application/json", status: int = 200) -> Response:
    # orjson: about ten times faster than the standard library on feature collections
    return Response(orjson.dumps(body), status=status, mimetype=mimetype)


def cacheable(body, mimetype: str, version: str, max_age: int = 300) -> Response:
    """A response with a strong ETag over data version + query, honouring If-None-Match."""
    resp = json_response(body, mimetype)
    tag = hashlib.sha256(f"{version}|{request.full_path}".encode()).hexdigest()[:32]
    resp.set_etag(tag)
    resp.cache_control.public = True
    resp.cache_control.max_age = max_age
    return resp.make_conditional(request)


@bp.get("/health")
def health():
    """A trivial endpoint: liveness for operators, and the benchmark's baseline."""
    return json_response({"status": "ok"})


@bp.get("/layers")
def layers():
    infos = catalog().layer_infos()
    return json_response({"layers": [layer_info_json(i) for i in infos]})


@bp.get("/layers/<layer_id>")
def layer(layer_id: str):
    cat = catalog()
    (layer_id,) = cat.resolve_layers([layer_id])
    box = params.bbox(request.args)
    limit = params.integer(request.args, "limit", MAX_LIMIT, 1, MAX_LIMIT)
    lay = cat.layers[layer_id]
    page = layer_page(lay, box, limit)
    body = feature_collection([facility_feature(f) for f in page.facilities],
                              name=layer_id, numberMatched=page.matched,
                              numberReturned=len(page.facilities), sample=lay.is_sample)
    return cacheable(body, GEOJSON, lay.digest)


@bp.get("/facilities/<facility_id>")
def facility(facility_id: str):
    fac = catalog().facility(facility_id)
    return cacheable(facility_feature(fac), GEOJSON, catalog().layers[fac.layer].digest)


def parse_nearest(args, default_k: int = 5) -> tuple[NearestQuery, str]:
    """Parse the nearest parameters (shared by the API and the phone page)."""
    cat = catalog()
    town = params.town_code(args)
    if args.get("lon") is None and args.get("lat") is None and town:
        pt, system = cat.town_position(town), params.CoordSystem.WGS84
    else:
        pt, system = params.point(args)
    query = NearestQuery(
        point=pt,
        layers=cat.resolve_layers(params.csv_list(args, "layer")),
        k=params.integer(args, "k", default_k, 1, MAX_K),
        max_distance_m=params.positive_number(args, "max_distance_m"),
        amenities=frozenset(params.csv_list(args, "amenity")),
        at=parse_time(params.raw_value(args, "at")),
        open_on_arrival=params.boolean(args, "open_now"),
    )
    return query, system.value


@bp.get("/nearest")
def nearest():
    query, coord = parse_nearest(request.args)
    if params.boolean(request.args, "per_layer"):
        answer = catalog().nearest_by_layer(query, now())
    else:
        answer = catalog().nearest(query, now())
    return json_response(nearest_json(answer, coord), GEOJSON)
