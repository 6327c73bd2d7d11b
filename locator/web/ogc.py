"""OGC API - Features (Part 1: Core, GeoJSON) at /ogc, over the same catalog and lookups."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, request, url_for

from ..errors import FacilityNotFound, InvalidQuery
from ..lookup import layer_page
from . import params
from .api import GEOJSON, cacheable, catalog, json_response
from .serialize import facility_feature, feature_collection

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
ITEMS_PARAMS = {"bbox", "limit", "offset", "f"}


def _url(endpoint: str, **values) -> str:
    return url_for(endpoint, _external=True, **values)


def _check_format() -> None:
    f = request.args.get("f")
    if f not in (None, "json", "geojson"):
        raise InvalidQuery("f", f"f must be json (the only format served), got {f!r}")


def _collection(layer_id: str) -> dict:
    cat = catalog()
    lay = cat.layers[layer_id]
    if lay.facilities:
        bbox = [float(lay.lon.min()), float(lay.lat.min()),
                float(lay.lon.max()), float(lay.lat.max())]
    else:
        bbox = list(cat.geodata.city.bounds)
    sample = " 示例数据 · sample data." if lay.is_sample else ""
    return {
        "id": layer_id,
        "title": f"{lay.name_zh} · {lay.name_en}",
        "description": f"{lay.name_zh} ({lay.name_en}), {len(lay.facilities)} features.{sample}",
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [bbox], "crs": CRS84}},
        "links": [
            {"href": _url("ogc.collection", layer_id=layer_id), "rel": "self",
             "type": "application/json", "title": "this collection"},
            {"href": _url("ogc.items", layer_id=layer_id), "rel": "items", "type": GEOJSON,
             "title": "items"},
        ],
    }


@bp.get("")
@bp.get("/")
def landing():
    _check_format()
    return json_response({
        "title": "江门职工服务设施 · Jiangmen worker service facilities",
        "description": "OGC API - Features over the locator layers (WGS-84, CRS84).",
        "links": [
            {"href": _url("ogc.landing"), "rel": "self", "type": "application/json",
             "title": "this document"},
            {"href": _url("openapi.document"), "rel": "service-desc",
             "type": "application/vnd.oai.openapi+json;version=3.0", "title": "OpenAPI"},
            {"href": _url("ogc.conformance"), "rel": "conformance",
             "type": "application/json", "title": "conformance classes"},
            {"href": _url("ogc.collections"), "rel": "data", "type": "application/json",
             "title": "collections"},
        ],
    })


@bp.get("/conformance")
def conformance():
    _check_format()
    return json_response({"conformsTo": CONFORMANCE})


@bp.get("/collections")
def collections():
    _check_format()
    cat = catalog()
    return json_response({
        "links": [{"href": _url("ogc.collections"), "rel": "self", "type": "application/json",
                   "title": "collections"}],
        "collections": [_collection(lid) for lid in cat.layer_ids()],
    })


@bp.get("/collections/<layer_id>")
def collection(layer_id: str):
    _check_format()
    (layer_id,) = catalog().resolve_layers([layer_id], "collectionId")
    return json_response(_collection(layer_id))


@bp.get("/collections/<layer_id>/items")
def items(layer_id: str):
    _check_format()
    cat = catalog()
    (layer_id,) = cat.resolve_layers([layer_id], "collectionId")
    box = params.bbox(request.args)
    limit = params.integer(request.args, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = params.integer(request.args, "offset", 0, 0, 10**9)
    lay = cat.layers[layer_id]
    page = layer_page(lay, box, limit, offset)

    def link(rel: str, off: int) -> dict:
        args = {k: v for k, v in request.args.items() if k in ITEMS_PARAMS and k != "offset"}
        args["limit"] = str(limit)
        if off:
            args["offset"] = str(off)
        return {"href": _url("ogc.items", layer_id=layer_id, **args), "rel": rel,
                "type": GEOJSON}

    links = [link("self", offset),
             {"href": _url("ogc.collection", layer_id=layer_id), "rel": "collection",
              "type": "application/json"}]
    if offset + limit < page.matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    body = feature_collection(
        [facility_feature(f) for f in page.facilities],
        timeStamp=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
                    .replace("+00:00", "Z"),
        numberMatched=page.matched, numberReturned=len(page.facilities), links=links)
    return json_response(body, GEOJSON)


@bp.get("/collections/<layer_id>/items/<feature_id>")
def item(layer_id: str, feature_id: str):
    _check_format()
    cat = catalog()
    (layer_id,) = cat.resolve_layers([layer_id], "collectionId")
    fac = cat.facility(feature_id)
    if fac.layer != layer_id:
        raise FacilityNotFound(feature_id)
    feature = facility_feature(fac)
    feature["links"] = [
        {"href": _url("ogc.item", layer_id=layer_id, feature_id=feature_id), "rel": "self",
         "type": GEOJSON},
        {"href": _url("ogc.collection", layer_id=layer_id), "rel": "collection",
         "type": "application/json"},
    ]
    return cacheable(feature, GEOJSON, cat.layers[layer_id].digest)
