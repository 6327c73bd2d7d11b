"""OGC API - Features (Part 1: Core, GeoJSON) at /ogc: every collection of the registry,
points, lines and polygons alike, through the read interface."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, request

from .. import registry
from ..models import CollectionInfo
from . import params
from .context import GEOJSON, cacheable, catalog, json_response
from .http import external_url
from .serialize import feature_collection, feature_json

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
#: the parameters a next/prev link carries over
ITEMS_PARAMS = ("bbox", "limit", "offset", "f")


def _url(endpoint: str, **values) -> str:
    return external_url(endpoint, **values)


def _check_format() -> None:
    params.FORMAT.parse(request.args)


def _collection(info: CollectionInfo, city_bbox) -> dict:
    bbox = list(info.bbox or city_bbox)
    decl = registry.BY_ID.get(info.id)
    notes = [f"{decl.description_zh} · {decl.description_en}."] if decl and \
        decl.description_zh else []
    if info.sample:
        notes.append("示例数据 · sample data.")
    if info.approximate:
        notes.append("近似范围 · approximate areas.")
    return {
        "id": info.id,
        "title": f"{info.name_zh} · {info.name_en}",
        "description": " ".join([f"{info.name_zh} ({info.name_en}), {info.count} "
                                 f"{info.kind} features."] + notes),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [bbox], "crs": CRS84}},
        "links": [
            {"href": _url("ogc.collection", collection_id=info.id), "rel": "self",
             "type": "application/json", "title": "this collection"},
            {"href": _url("ogc.items", collection_id=info.id), "rel": "items", "type": GEOJSON,
             "title": "items"},
        ],
    }


@bp.get("")
@bp.get("/")
def landing():
    _check_format()
    return json_response({
        "title": "江门职工服务设施 · Jiangmen worker service facilities",
        "description": "OGC API - Features over the locator collections: facilities, "
                       "boundaries and towns (WGS-84, CRS84).",
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
    city = cat.extent("city")
    return json_response({
        "links": [{"href": _url("ogc.collections"), "rel": "self", "type": "application/json",
                   "title": "collections"}],
        "collections": [_collection(info, city) for info in cat.collection_infos()],
    })


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    _check_format()
    cat = catalog()
    return json_response(_collection(cat.collection_info(collection_id), cat.extent("city")))


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    _check_format()
    cat = catalog()
    cat.collection_info(collection_id)
    box = params.BBOX.parse(request.args)
    limit = params.OGC_LIMIT.parse(request.args)
    offset = params.OFFSET.parse(request.args)
    page = cat.page(collection_id, box, limit, offset)

    def link(rel: str, off: int) -> dict:
        args = {k: v for k, v in request.args.items() if k in ITEMS_PARAMS and k != "offset"}
        args["limit"] = str(limit)
        if off:
            args["offset"] = str(off)
        return {"href": _url("ogc.items", collection_id=collection_id, **args), "rel": rel,
                "type": GEOJSON}

    links = [link("self", offset),
             {"href": _url("ogc.collection", collection_id=collection_id),
              "rel": "collection", "type": "application/json"}]
    if offset + limit < page.matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    body = feature_collection(
        [feature_json(f) for f in page.features],
        timeStamp=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
                    .replace("+00:00", "Z"),
        numberMatched=page.matched, numberReturned=len(page.features), links=links)
    return json_response(body, GEOJSON)


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    _check_format()
    cat = catalog()
    info = cat.collection_info(collection_id)
    feature = feature_json(cat.get(feature_id, collection_id))
    feature["links"] = [
        {"href": _url("ogc.item", collection_id=collection_id, feature_id=feature_id),
         "rel": "self", "type": GEOJSON},
        {"href": _url("ogc.collection", collection_id=collection_id), "rel": "collection",
         "type": "application/json"},
    ]
    return cacheable(feature, GEOJSON, info.version)
