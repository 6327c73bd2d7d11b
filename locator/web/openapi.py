"""The OpenAPI 3 document describing every endpoint; built from the live catalog."""

from __future__ import annotations

from flask import Blueprint

from ..models import AMENITIES
from ..nearest import MAX_K
from .api import GEOJSON, catalog, json_response
from .ogc import CONFORMANCE, DEFAULT_LIMIT
from .ogc import MAX_LIMIT as OGC_MAX_LIMIT

bp = Blueprint("openapi", __name__)

PROBLEM = "application/problem+json"
_LON = r"-?(180(\.0+)?|(1[0-7]\d|\d{1,2})(\.\d+)?)"
_LAT = r"-?(90(\.0+)?|[0-8]?\d(\.\d+)?)"
BBOX_PATTERN = f"^{_LON},{_LAT},{_LON},{_LAT}$"
TIME_PATTERN = (r"^(19|20|21)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d"
                r"(:[0-5]\d)?([+-](0\d|1[0-3]):[0-5]\d|Z)?$")


def _problem_response(description: str) -> dict:
    return {"description": description,
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _ok(schema_ref: str, media: str = "application/json", description: str = "OK") -> dict:
    return {"description": description,
            "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema,
            "description": description}


def _path(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema,
            "description": description}


def build_document(layer_ids: list[str], example_id: str | None = None) -> dict:
    layer_schema = {"type": "string", "enum": layer_ids} if layer_ids else {"type": "string"}
    bbox = _query("bbox", {"type": "string", "pattern": BBOX_PATTERN},
                  "minlon,minlat,maxlon,maxlat in WGS-84 degrees")
    bad = _problem_response("invalid parameter (the `param` member names it)")
    missing = _problem_response("unknown layer, collection or feature")
    not_modified = {"description": "not modified (If-None-Match matched the ETag)"}
    etag_headers = {"ETag": {"schema": {"type": "string"}},
                    "Cache-Control": {"schema": {"type": "string"}}}
    fmt = _query("f", {"type": "string", "enum": ["json"]}, "response format")

    def with_headers(resp: dict) -> dict:
        return {**resp, "headers": etag_headers}

    paths = {
        "/api/v1/health": {"get": {
            "summary": "Liveness check", "operationId": "health",
            "responses": {"200": {"description": "the service is up", "content": {
                "application/json": {"schema": {
                    "type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string", "enum": ["ok"]}}}}}}}}},
        "/api/v1/layers": {"get": {
            "summary": "List the facility layers with counts and whether they are sample data",
            "operationId": "listLayers",
            "responses": {"200": _ok("LayerList")}}},
        "/api/v1/layers/{layer}": {"get": {
            "summary": "All facilities of one layer as GeoJSON",
            "operationId": "getLayer",
            "parameters": [_path("layer", layer_schema, "layer id"), bbox,
                           _query("limit", {"type": "integer", "minimum": 1,
                                            "maximum": 10000}, "maximum number of features")],
            "responses": {"200": with_headers(_ok("FacilityCollection", GEOJSON)),
                          "304": not_modified, "400": bad, "404": missing}}},
        "/api/v1/facilities/{id}": {"get": {
            "summary": "One facility as a GeoJSON Feature",
            "operationId": "getFacility",
            "parameters": [{**_path("id", {"type": "string"}, "facility id"),
                            **({"example": example_id} if example_id else {})}],
            "responses": {"200": with_headers(_ok("Facility", GEOJSON)),
                          "304": not_modified, "404": missing}}},
        "/api/v1/nearest": {"get": {
            "summary": "The k nearest facilities to a point, by geodesic distance",
            "operationId": "nearest",
            "parameters": [
                _query("lon", {"type": "number", "minimum": -180, "maximum": 180},
                       "longitude, degrees, in the `coord` system", True),
                _query("lat", {"type": "number", "minimum": -90, "maximum": 90},
                       "latitude, degrees, in the `coord` system", True),
                _query("coord", {"type": "string", "enum": ["wgs84", "gcj02", "bd09"]},
                       "coordinate system of lon/lat: wgs84 (GPS, default), gcj02 (AMap, "
                       "WeChat), bd09 (Baidu)"),
                _query("layer", layer_schema, "layer id(s), comma-separated; default all"),
                _query("k", {"type": "integer", "minimum": 1, "maximum": MAX_K},
                       "number of results (default 5)"),
                _query("max_distance_m", {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                                          "maximum": 1e8},
                       "only facilities within this many metres"),
                _query("amenity", {"type": "string", "enum": list(AMENITIES)},
                       "required amenity (comma-separated for several; all must be present)"),
                _query("open_now", {"type": "boolean"},
                       "leave out facilities known to be closed on arrival (walking)"),
                _query("per_layer", {"type": "boolean"},
                       "k results from each requested layer instead of k in all"),
                _query("town", {"type": "string", "pattern": r"^\d{9}$"},
                       "9-digit town/street code: its seat is the position when lon/lat "
                       "are absent"),
                _query("at", {"type": "string", "pattern": TIME_PATTERN},
                       "ISO 8601 time to evaluate opening hours at (default now; naive = "
                       "Asia/Shanghai)"),
            ],
            "responses": {"200": _ok("NearestCollection", GEOJSON), "400": bad,
                          "404": missing}}},
        "/api/v1/openapi.json": {"get": {
            "summary": "This document", "operationId": "openapi",
            "responses": {"200": {
                "description": "OpenAPI 3.0 document",
                "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/ogc": {"get": {
            "summary": "OGC API - Features landing page", "operationId": "ogcLanding",
            "parameters": [fmt],
            "responses": {"200": _ok("Landing"), "400": bad}}},
        "/ogc/conformance": {"get": {
            "summary": "OGC API conformance classes", "operationId": "ogcConformance",
            "parameters": [fmt],
            "responses": {"200": _ok("Conformance"), "400": bad}}},
        "/ogc/collections": {"get": {
            "summary": "The collections (one per layer)", "operationId": "ogcCollections",
            "parameters": [fmt],
            "responses": {"200": _ok("Collections"), "400": bad}}},
        "/ogc/collections/{collectionId}": {"get": {
            "summary": "One collection", "operationId": "ogcCollection",
            "parameters": [_path("collectionId", layer_schema, "layer id"), fmt],
            "responses": {"200": _ok("Collection"), "400": bad, "404": missing}}},
        "/ogc/collections/{collectionId}/items": {"get": {
            "summary": "Features of a collection, paged", "operationId": "ogcItems",
            "parameters": [
                _path("collectionId", layer_schema, "layer id"), bbox, fmt,
                _query("limit", {"type": "integer", "minimum": 1, "maximum": OGC_MAX_LIMIT,
                                 "default": DEFAULT_LIMIT}, "page size"),
                _query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9},
                       "features to skip")],
            "responses": {"200": _ok("ItemsCollection", GEOJSON), "400": bad,
                          "404": missing}}},
        "/ogc/collections/{collectionId}/items/{featureId}": {"get": {
            "summary": "One feature", "operationId": "ogcItem",
            "parameters": [_path("collectionId", layer_schema, "layer id"),
                           {**_path("featureId", {"type": "string"}, "feature id"),
                            **({"example": example_id} if example_id else {})}, fmt],
            "responses": {"200": with_headers(_ok("Facility", GEOJSON)), "304": not_modified,
                          "400": bad, "404": missing}}},
    }
    point = {"type": "object", "required": ["type", "coordinates"], "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "minItems": 2, "maxItems": 2,
                        "items": {"type": "number"}}}}
    hours = {"type": "object", "required": ["state"], "properties": {
        "state": {"type": "string", "enum": ["open", "closed", "unknown"]},
        "at": {"type": "string"},
        "opens_at": {"type": "string", "nullable": True},
        "closes_at": {"type": "string", "nullable": True}}}
    facility_props = {"type": "object", "required": ["id", "layer", "name", "source"],
                      "properties": {
                          "id": {"type": "string"}, "layer": {"type": "string"},
                          "name": {"type": "string"}, "name_en": {"type": "string"},
                          "address": {"type": "string"}, "district_code": {"type": "string"},
                          "town_code": {"type": "string"}, "phone": {"type": "string"},
                          "opening_hours": {"type": "string"},
                          "amenities": {"type": "array", "items": {"type": "string"}},
                          "wheelchair": {"type": "string"}, "operator": {"type": "string"},
                          "verified_on": {"type": "string"}, "source": {"type": "string"}}}
    link = {"type": "object", "required": ["href", "rel"], "properties": {
        "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
        "title": {"type": "string"}}}
    links = {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}
    schemas = {
        "Problem": {"type": "object", "required": ["type", "title", "status", "detail"],
                    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                   "status": {"type": "integer"}, "detail": {"type": "string"},
                                   "param": {"type": "string"},
                                   "valid": {"type": "array", "items": {"type": "string"}}}},
        "Link": link,
        "Point": point,
        "Hours": hours,
        "LayerList": {"type": "object", "required": ["layers"], "properties": {
            "layers": {"type": "array", "items": {
                "type": "object", "required": ["id", "count", "sample"],
                "properties": {"id": {"type": "string"}, "name_zh": {"type": "string"},
                               "name_en": {"type": "string"}, "count": {"type": "integer"},
                               "sample": {"type": "boolean"},
                               "sources": {"type": "array", "items": {"type": "string"}}}}}}},
        "Facility": {"type": "object", "required": ["type", "id", "geometry", "properties"],
                     "properties": {"type": {"type": "string", "enum": ["Feature"]},
                                    "id": {"type": "string"},
                                    "geometry": {"$ref": "#/components/schemas/Point"},
                                    "properties": facility_props, "links": links}},
        "FacilityCollection": {"type": "object", "required": ["type", "features"], "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "numberMatched": {"type": "integer"}, "numberReturned": {"type": "integer"},
            "sample": {"type": "boolean"},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/Facility"}}}},
        "NearbyFacility": {"type": "object", "required": ["type", "geometry", "properties"],
                           "properties": {
                               "type": {"type": "string", "enum": ["Feature"]},
                               "id": {"type": "string"},
                               "geometry": {"$ref": "#/components/schemas/Point"},
                               "properties": {"allOf": [facility_props, {
                                   "type": "object",
                                   "required": ["distance_m", "bearing_deg", "walk_min",
                                                "ebike_min", "estimate", "hours",
                                                "hours_on_arrival"],
                                   "properties": {
                                       "distance_m": {"type": "number", "minimum": 0},
                                       "bearing_deg": {"type": "number", "minimum": 0,
                                                       "maximum": 360},
                                       "walk_min": {"type": "number", "minimum": 0},
                                       "ebike_min": {"type": "number", "minimum": 0},
                                       "estimate": {"type": "boolean"},
                                       "hours": {"$ref": "#/components/schemas/Hours"},
                                       "hours_on_arrival": {"$ref": "#/components/schemas/Hours"},
                                   }}]}}},
        "NearestCollection": {
            "type": "object",
            "required": ["type", "features", "query", "in_service_area", "estimate_note"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "query": {"type": "object", "required": ["lon", "lat"], "properties": {
                    "lon": {"type": "number"}, "lat": {"type": "number"},
                    "crs": {"type": "string"}, "input_coord": {"type": "string"},
                    "at": {"type": "string"}}},
                "in_service_area": {"type": "boolean"},
                "distance_to_service_area_m": {"type": "number", "minimum": 0},
                "detour_factor": {"type": "number"},
                "estimate_note": {"type": "object", "properties": {
                    "zh": {"type": "string"}, "en": {"type": "string"}}},
                "numberReturned": {"type": "integer"},
                # k in all, or k from each layer with per_layer=true
                "features": {"type": "array", "maxItems": MAX_K * max(1, len(layer_ids)),
                             "items": {"$ref": "#/components/schemas/NearbyFacility"}}}},
        "Landing": {"type": "object", "required": ["links"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"}, "links": links}},
        "Conformance": {"type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": {"type": "array", "items": {"type": "string",
                                                      "enum": CONFORMANCE}}}},
        "Collection": {"type": "object", "required": ["id", "links"], "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "description": {"type": "string"}, "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}},
            "extent": {"type": "object"}, "links": links}},
        "Collections": {"type": "object", "required": ["links", "collections"], "properties": {
            "links": links,
            "collections": {"type": "array",
                            "items": {"$ref": "#/components/schemas/Collection"}}}},
        "ItemsCollection": {"type": "object",
                            "required": ["type", "features", "links", "numberReturned"],
                            "properties": {
                                "type": {"type": "string", "enum": ["FeatureCollection"]},
                                "timeStamp": {"type": "string"},
                                "numberMatched": {"type": "integer", "minimum": 0},
                                "numberReturned": {"type": "integer", "minimum": 0},
                                "links": links,
                                "features": {"type": "array", "items": {
                                    "$ref": "#/components/schemas/Facility"}}}},
    }
    return {
        "openapi": "3.0.3",
        "info": {"title": "locator · 江门职工服务设施查询 API", "version": "1.0.0",
                 "description": "Nearest union service facilities in Jiangmen. Coordinates "
                                "are WGS-84 [lon, lat]; distances are geodesic metres; "
                                "walking and e-bike times are estimates. Errors are "
                                "application/problem+json (RFC 9457)."},
        "paths": paths,
        "components": {"schemas": schemas},
    }


@bp.get("/api/v1/openapi.json")
def document():
    cat = catalog()
    return json_response(build_document(cat.layer_ids(), next(iter(cat.by_id), None)))
