"""The OpenAPI 3 document describing every endpoint; built from the live catalog."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, Response, request

from locator.operations.feature_query import Queryable
from locator.operations.nearest import NETWORK, STRAIGHT, STRAIGHT_REASONS
from locator.service import Service
from locator.values import registry
from locator.values.city import CityProfile
from locator.values.models import AMENITIES, WHEELCHAIR_VALUES
from locator.web import params, reports
from locator.web.context import GEOJSON, json_response, service
from locator.web.format import PHRASE_KEYS
from locator.web.ogc import CONFORMANCE, SIMPLE

bp = Blueprint("openapi", __name__)

PROBLEM = "application/problem+json"


#: what a card says of the hours (one rule: the state on arrival first when it differs
#: from now), in words of each language
HOURS_WORDS = {
    "hours_phrase": {
        "type": "string",
        "enum": list(PHRASE_KEYS),
    },
    "hours_text": {
        "type": "object",
        "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
    },
}

#: how a nearest result (or a trip) was measured (locator.operations.network_nearest)
#: a route leg's figures for one way of travel (the coach's, the bike's)
LEG_TRAVEL = {
    "type": "object",
    "properties": {
        "length_m": {"type": "number", "minimum": 0},
        "minutes": {"type": "number", "minimum": 0},
        "basis": {"type": "string", "enum": ["network", "straight"]},
        "reason": {"type": "string", "nullable": True},
        "reason_text": {"type": "object", "nullable": True},
    },
}

MEASURED = {
    "measured": {
        "description": "`network`: distance_m and network_min along the street network "
        "by `travel`; `straight-line`: today's estimate, for `measured_reason`",
        "type": "string",
        "enum": [NETWORK, STRAIGHT],
    },
    "measured_reason": {
        "description": "why a result is a straight-line estimate: the data has no street "
        "network, the point or the facility is off it (more than 1 km from a street the "
        "way of travel can use, or outside its area), or the network does not reach the "
        "facility within 2 hours (ranked after every place reached); null when along the "
        "network",
        "type": "string",
        "nullable": True,
        "enum": [*STRAIGHT_REASONS, None],
    },
    "straight_m": {
        "description": "straight-line metres on the ellipsoid, always",
        "type": "number",
        "minimum": 0,
    },
    "network_min": {
        "description": "minutes along the streets by `travel`, access legs included; "
        "null when straight-line",
        "type": "number",
        "nullable": True,
        "minimum": 0,
    },
}

#: the street network behind network figures: its source, dates and attribution
NETWORK_INFO = {
    "type": "object",
    "nullable": True,
    "properties": {
        "source": {"type": "string"},
        "source_timestamp": {"type": "string", "nullable": True},
        "built_at": {"type": "string"},
        "licence": {"type": "string"},
        "attribution": {"type": "string"},
        "fixture": {"type": "boolean"},
    },
}


def _html_too(resp: dict) -> dict:
    """The same answer as HTML with f=html (or Accept: text/html)."""
    return {**resp, "content": {**resp["content"], "text/html": {"schema": {"type": "string"}}}}


def _problem_response(description: str) -> dict:
    return {
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _ok(schema_ref: str, media: str = "application/json", description: str = "OK") -> dict:
    return {
        "description": description,
        "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}},
    }


def _path(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _planner_ops(
    op_id: str, summary: str, plist, media: str, schema: dict, layers: tuple[str, ...], bad: dict
) -> dict:
    """GET with the parameters in the query; POST with the same and a demand or candidate
    file as multipart/form-data (read, used and forgotten)."""
    parameters = [p.openapi(layers if p is params.LAYER else None) for p in plist]
    ok = {"description": "OK", "content": {media: {"schema": schema}}}
    too_large = _problem_response("the uploaded file is larger than 2 MB")
    too_costly = _problem_response(
        "the demand file's polygons would cost the planner too much work at this cell_m "
        "(estimated before any is done; the `param` member names the file)"
    )
    busy = {
        **_problem_response(
            "the planner's computation slots are busy (answered at once, never queued), or "
            "the computation ran past its time limit: try again after Retry-After seconds"
        ),
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
    }
    upload = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "minProperties": 1,
                    "properties": {
                        "demand_file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (lon, lat, weight) or GeoJSON points/"
                            "polygons with a weight property",
                        },
                        "candidates_file": {
                            "type": "string",
                            "format": "binary",
                            "description": "candidate premises: CSV (lon, lat) or GeoJSON points",
                        },
                    },
                }
            }
        },
    }
    return {
        "get": {
            "summary": summary,
            "operationId": op_id,
            "parameters": parameters,
            "responses": {
                "200": ok,
                "304": {"description": "not modified"},
                "400": bad,
                "503": busy,
            },
        },
        "post": {
            "summary": summary + " (with an uploaded file)",
            "operationId": op_id + "Upload",
            "parameters": parameters + [params.DEMAND_COORD.openapi()],
            "requestBody": upload,
            "responses": {
                "200": ok,
                "400": bad,
                "413": too_large,
                "422": too_costly,
                "503": busy,
            },
        },
    }


@dataclass(frozen=True)
class Vocabulary:
    """The closed lists of values the running server takes, for the document to state
    (a schema-valid value must be one the server takes: tests/web/test_openapi_positive.py)."""

    #: town/street codes (``town``, ``town_code``), district codes (``district_code``)
    towns: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    #: the districts some route passes (``district`` of /routes), the route themes
    #: (zh and en: ``theme``)
    route_districts: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    #: collection id -> its declared property names (``properties``) and its queryables
    #: (``sortby`` and the queryables as query parameters)
    properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    queryables: dict[str, dict[str, Queryable]] = field(default_factory=dict)

    @classmethod
    def of(cls, svc: Service) -> Vocabulary:
        ids = [i.id for i in svc.collection_infos()]
        qs = {cid: svc.queryables(cid) for cid in ids}
        ref = svc.store.reference
        routes = svc.routes()
        return cls(
            towns=tuple(sorted(ref.towns)),
            districts=tuple(sorted(ref.districts)),
            route_districts=tuple(d.code for d in routes.districts),
            themes=tuple(t for pair in routes.themes for t in dict.fromkeys(pair) if t),
            properties={cid: tuple(p.name for p in registry.BY_ID[cid].properties) for cid in ids},
            queryables=qs,
        )

    def common(
        self, names: dict[str, tuple[str, ...]] | dict[str, dict[str, Queryable]]
    ) -> list[str]:
        """The names every collection has (what the one items path for all can promise)."""
        sets = [set(v) for v in names.values()]
        return sorted(set.intersection(*sets)) if sets else []


def _names_pattern(names: list[str] | tuple[str, ...], signed: bool = False) -> dict:
    """A comma-separated list of ``names`` (each with an optional + or - with ``signed``)."""
    sign = "[+-]?" if signed else ""
    one = sign + "(" + "|".join(re.escape(n) for n in names) + ")"
    return {"type": "string", "pattern": f"^{one}(,{one})*$"}


def _items_parameters(
    properties: list[str] | tuple[str, ...] | None,
    sortable: list[str] | None,
    ogc: bool = False,
) -> list[dict]:
    """The items parameters (params.OGC_ITEMS), ``properties`` and ``sortby`` narrowed to
    the property names and queryables given (None: any text up to their length).

    ``ogc``: for /ogc/api, which states limit's maximum as OGC API - Features asks
    (/req/core/fc-limit-definition) though a larger limit is served as the maximum, not
    refused (/req/core/fc-limit-response); this document leaves the maximum out, for a
    client that reads a maximum as "larger is an error" (schemathesis does)."""
    out = []
    for p in params.OGC_ITEMS:
        doc = p.openapi()
        if ogc and p.clamp and p.maximum is not None:
            doc["schema"]["maximum"] = int(p.maximum)
        if p is params.PROPERTIES and properties:
            doc["schema"] = {**_names_pattern(properties), "maxLength": p.max_length}
        elif p is params.SORTBY and sortable:
            doc["schema"] = {**_names_pattern(sortable, signed=True), "maxLength": p.max_length}
        out.append(doc)
    return out


def build_document(
    layer_ids: list[str],
    collection_ids: list[str],
    example_id: str | None = None,
    route_example: str | None = None,
    *,
    city: CityProfile,
    vocabulary: Vocabulary | None = None,
) -> dict:
    """The OpenAPI 3.0 document; parameters come from their declarations in
    :mod:`locator.web.params`, feature properties from the registry, the layer and
    collection ids from the running server's catalog, the title from its city profile,
    the closed lists of values (codes, themes, property names) from ``vocabulary``."""
    voc = vocabulary or Vocabulary()
    layer_schema = {"type": "string", "enum": layer_ids} if layer_ids else {"type": "string"}
    collection_schema = {"type": "string", "enum": collection_ids}
    layers = tuple(layer_ids)
    bbox = params.BBOX.openapi()
    bad = _problem_response("invalid parameter (the `param` member names it)")
    missing = _problem_response("unknown layer, collection or feature")
    not_acceptable = _problem_response("none of the media types in Accept can be served")
    per_layer_max = int(params.K.maximum or 1) * max(1, len(layer_ids))
    route_id = {
        **_path("id", {"type": "string"}, "route id"),
        **({"example": route_example} if route_example else {}),
    }
    not_modified = {"description": "not modified (If-None-Match matched the ETag)"}
    etag_headers = {
        "ETag": {"schema": {"type": "string"}},
        "Cache-Control": {"schema": {"type": "string"}},
    }
    fmt = params.OGC_FORMAT.openapi()

    def with_headers(resp: dict) -> dict:
        return {**resp, "headers": etag_headers}

    paths: dict[str, dict[str, dict]] = {
        "/api/v1/health": {
            "get": {
                "summary": "Liveness check",
                "operationId": "health",
                "responses": {
                    "200": {
                        "description": "the service is up",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["status"],
                                    "properties": {"status": {"type": "string", "enum": ["ok"]}},
                                }
                            }
                        },
                    }
                },
            }
        },
        "/api/v1/reports/requests": {
            "get": {
                "summary": 'Riders\' "station needed here" requests (received or accepted), '
                "counted per town/street; no positions finer than the town",
                "operationId": "stationRequestsByTown",
                "responses": {
                    "200": {
                        "description": "every town with its count",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["total", "outside_towns", "towns"],
                                    "properties": {
                                        "total": {"type": "integer", "minimum": 0},
                                        "outside_towns": {"type": "integer", "minimum": 0},
                                        "counted": {"type": "array", "items": {"type": "string"}},
                                        "note": {"type": "string"},
                                        "towns": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "required": ["town_code", "requests"],
                                                "properties": {
                                                    "town_code": {"type": "string"},
                                                    "town": {"type": "string"},
                                                    "town_en": {"type": "string"},
                                                    "district_code": {"type": "string"},
                                                    "requests": {"type": "integer", "minimum": 0},
                                                },
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "503": _problem_response("the report store cannot answer now"),
                },
            }
        },
        "/api/v1/reports/requests.csv": {
            "get": {
                "summary": "The same as CSV (UTF-8 with BOM, opens in Excel)",
                "operationId": "stationRequestsByTownCsv",
                "responses": {
                    "200": {
                        "description": "town_code, town, town_en, district_code, requests",
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "503": _problem_response("the report store cannot answer now"),
                },
            }
        },
        "/api/v1/layers": {
            "get": {
                "summary": "List the facility layers with counts and whether they are sample data",
                "operationId": "listLayers",
                "responses": {"200": with_headers(_ok("LayerList")), "304": not_modified},
            }
        },
        "/api/v1/layers/{layer}": {
            "get": {
                "summary": "All facilities of one layer as GeoJSON",
                "operationId": "getLayer",
                "parameters": [
                    _path("layer", layer_schema, "layer id"),
                    bbox,
                    params.LAYER_LIMIT.openapi(),
                ],
                "responses": {
                    "200": with_headers(_ok("FacilityCollection", GEOJSON)),
                    "304": not_modified,
                    "400": bad,
                    "404": missing,
                },
            }
        },
        "/api/v1/facilities/{id}": {
            "get": {
                "summary": "One facility as a GeoJSON Feature",
                "operationId": "getFacility",
                "parameters": [
                    {
                        **_path("id", {"type": "string"}, "facility id"),
                        **({"example": example_id} if example_id else {}),
                    },
                    *(p.openapi() for p in params.FACILITY_TRIP),
                ],
                "responses": {
                    "200": with_headers(_ok("FacilityDetails", GEOJSON)),
                    "304": not_modified,
                    "400": bad,
                    "404": missing,
                },
            }
        },
        "/api/v1/nearest": {
            "get": {
                "summary": "The k nearest facilities to a point, by geodesic distance",
                "operationId": "nearest",
                "parameters": [
                    p.openapi(
                        layers if p is params.LAYER else voc.towns if p is params.TOWN else None
                    )
                    for p in params.NEAREST
                ],
                "responses": {"200": _ok("NearestCollection", GEOJSON), "400": bad},
            }
        },
        "/api/v1/routes": {
            "get": {
                "summary": "The rural rest routes (illustrative), filtered by district and theme",
                "operationId": "listRoutes",
                "parameters": [
                    params.DISTRICT.openapi(voc.route_districts or None),
                    params.THEME.openapi(voc.themes or None),
                ],
                "responses": {
                    "200": with_headers(_ok("RouteCollection", GEOJSON)),
                    "304": not_modified,
                    "400": bad,
                },
            }
        },
        "/api/v1/routes/{id}": {
            "get": {
                "summary": "One route: its line, stops, the facilities along it, its longest gap",
                "operationId": "getRoute",
                "parameters": [route_id],
                "responses": {
                    "200": with_headers(_ok("RouteDetails", GEOJSON)),
                    "304": not_modified,
                    "404": missing,
                },
            }
        },
        **{
            f"/api/v1/routes/{{id}}.{ext}": {
                "get": {
                    "summary": f"One route as a {label} download (Content-Disposition keeps the "
                    "Chinese name)",
                    "operationId": f"getRoute{ext.capitalize()}",
                    "parameters": [route_id],
                    "responses": {
                        "200": {
                            "description": f"the route as {label}",
                            "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
                            "content": {
                                media: {
                                    "schema": {"type": "string"}
                                    if ext != "geojson"
                                    else {"type": "object"}
                                }
                            },
                        },
                        "304": not_modified,
                        "404": missing,
                    },
                }
            }
            for ext, label, media in (
                ("gpx", "GPX 1.1", "application/gpx+xml"),
                ("kml", "KML 2.2", "application/vnd.google-earth.kml+xml"),
                ("geojson", "GeoJSON", GEOJSON),
            )
        },
        **{
            path: _planner_ops(op_id, summary, plist, media, schema, layers, bad)
            for path, op_id, summary, plist, media, schema in (
                (
                    "/api/v1/coverage",
                    "coverage",
                    "Coverage of facility layers within a radius or a travel time "
                    "(minutes, along the streets when the data has a network), per "
                    "district or town, and the city",
                    params.COVERAGE,
                    "application/json",
                    {"$ref": "#/components/schemas/Coverage"},
                ),
                (
                    "/api/v1/coverage.csv",
                    "coverageCsv",
                    "The same as CSV (UTF-8 with BOM, opens in Excel)",
                    params.COVERAGE,
                    "text/csv",
                    {"type": "string"},
                ),
                (
                    "/api/v1/coverage.geojson",
                    "coverageGeojson",
                    "The same as GeoJSON: the area polygons with their figures",
                    params.COVERAGE,
                    GEOJSON,
                    {"type": "object"},
                ),
                (
                    "/api/v1/coverage/suggest",
                    "suggest",
                    "New sites that bring the most uncovered demand (or area) within reach",
                    params.SUGGEST,
                    GEOJSON,
                    {"$ref": "#/components/schemas/Suggestions"},
                ),
            )
        },
        "/ogc/api": {
            "get": {
                "summary": "The OGC API's own OpenAPI document (paths relative to /ogc, one "
                "items path per collection with its queryables)",
                "operationId": "ogcOpenapi",
                "parameters": [fmt],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.0 document (as "
                        "application/vnd.oai.openapi+json;version=3.0 when Accept asks for "
                        "it), or a readable page with f=html or Accept: text/html",
                        "content": {
                            "application/json": {"schema": {"type": "object"}},
                            "application/vnd.oai.openapi+json;version=3.0": {
                                "schema": {"type": "object"}
                            },
                            "text/html": {"schema": {"type": "string"}},
                        },
                    },
                    "400": bad,
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "openapi",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.0 document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/ogc": {
            "get": {
                "summary": "OGC API - Features landing page",
                "operationId": "ogcLanding",
                "parameters": [fmt],
                "responses": {"200": _html_too(_ok("Landing")), "400": bad},
            }
        },
        "/ogc/conformance": {
            "get": {
                "summary": "OGC API conformance classes",
                "operationId": "ogcConformance",
                "parameters": [fmt],
                "responses": {"200": _html_too(_ok("Conformance")), "400": bad},
            }
        },
        "/ogc/collections": {
            "get": {
                "summary": "The collections: facility layers, boundaries, towns",
                "operationId": "ogcCollections",
                "parameters": [fmt],
                "responses": {"200": _html_too(_ok("Collections")), "400": bad},
            }
        },
        "/ogc/collections/{collectionId}": {
            "get": {
                "summary": "One collection",
                "operationId": "ogcCollection",
                "parameters": [_path("collectionId", collection_schema, "collection id"), fmt],
                "responses": {"200": _html_too(_ok("Collection")), "400": bad, "404": missing},
            }
        },
        "/ogc/collections/{collectionId}/items": {
            "get": {
                "summary": "Features of a collection, paged",
                "operationId": "ogcItems",
                "parameters": [_path("collectionId", collection_schema, "collection id")]
                + _items_parameters(
                    voc.common(voc.properties) if voc.properties else None,
                    voc.common(voc.queryables) if voc.queryables else None,
                )
                + [
                    {
                        "name": name,
                        "in": "query",
                        "required": False,
                        "schema": schema,
                        "description": f"可查询属性 {name} · queryable {name} as a query parameter "
                        "(a collection without it answers 400)",
                    }
                    for name, schema in (
                        (
                            "district_code",
                            {"type": "string", "enum": list(voc.districts)}
                            if voc.districts
                            else {"type": "string", "pattern": r"^\d{6}$"},
                        ),
                        (
                            "town_code",
                            {"type": "string", "enum": list(voc.towns)}
                            if voc.towns
                            else {"type": "string", "pattern": r"^\d{9}$"},
                        ),
                        ("amenities", {"type": "string", "enum": list(AMENITIES)}),
                        ("wheelchair", {"type": "string", "enum": list(WHEELCHAIR_VALUES)}),
                    )
                ],
                "responses": {
                    "200": _html_too(_ok("ItemsCollection", GEOJSON)),
                    "400": bad,
                    "404": missing,
                },
            }
        },
        "/ogc/collections/{collectionId}/queryables": {
            "get": {
                "summary": "The queryables of a collection (JSON Schema)",
                "operationId": "ogcQueryables",
                "parameters": [_path("collectionId", collection_schema, "collection id"), fmt],
                "responses": {
                    "200": {
                        "description": "JSON Schema",
                        "content": {"application/schema+json": {"schema": {"type": "object"}}},
                    },
                    "400": bad,
                    "404": missing,
                },
            }
        },
        "/ogc/collections/{collectionId}/schema": {
            "get": {
                "summary": "The schema of a collection's features (JSON Schema)",
                "operationId": "ogcSchema",
                "parameters": [_path("collectionId", collection_schema, "collection id"), fmt],
                "responses": {
                    "200": {
                        "description": "JSON Schema",
                        "content": {"application/schema+json": {"schema": {"type": "object"}}},
                    },
                    "400": bad,
                    "404": missing,
                },
            }
        },
        "/ogc/collections/{collectionId}/items/{featureId}": {
            "get": {
                "summary": "One feature",
                "operationId": "ogcItem",
                "parameters": [
                    _path("collectionId", collection_schema, "collection id"),
                    _path("featureId", {"type": "string"}, "feature id"),
                    fmt,
                    params.OGC_CRS.openapi(),
                ],
                "responses": {
                    "200": _html_too(with_headers(_ok("Feature", GEOJSON))),
                    "304": not_modified,
                    "400": bad,
                    "404": missing,
                },
            }
        },
    }
    point = {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {
                "type": "array",
                "minItems": 2,
                "maxItems": 2,
                "items": {"type": "number"},
            },
        },
    }
    hours = {
        "type": "object",
        "required": ["state"],
        "properties": {
            "state": {"type": "string", "enum": ["open", "closed", "unknown"]},
            "at": {"type": "string"},
            "opens_at": {"type": "string", "nullable": True},
            "closes_at": {"type": "string", "nullable": True},
        },
    }
    facility_props = {
        "type": "object",
        "required": [p.name for p in registry.FACILITY_PROPERTIES if p.required],
        "properties": {p.name: p.schema() for p in registry.FACILITY_PROPERTIES},
    }
    link = {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
    }
    links = {"type": "array", "items": {"$ref": "#/components/schemas/Link"}}
    schemas = {
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "param": {"type": "string"},
                "valid": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Link": link,
        "Point": point,
        "Hours": hours,
        "LayerList": {
            "type": "object",
            "required": ["layers", "version"],
            "properties": {
                "version": {"type": "string"},
                "layers": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "count", "sample"],
                        "properties": {
                            "id": {"type": "string"},
                            "name_zh": {"type": "string"},
                            "name_en": {"type": "string"},
                            "count": {"type": "integer"},
                            "sample": {"type": "boolean"},
                            "version": {"type": "string"},
                            "sources": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "Facility": {
            "type": "object",
            "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                "geometry": {"$ref": "#/components/schemas/Point"},
                "properties": facility_props,
                "links": links,
            },
        },
        "FacilityDetails": {
            "allOf": [
                {"$ref": "#/components/schemas/Facility"},
                {
                    "type": "object",
                    "properties": {
                        "properties": {
                            "type": "object",
                            "required": ["hours", "week"],
                            "properties": {
                                "hours": {"$ref": "#/components/schemas/Hours"},
                                **HOURS_WORDS,
                                "trip": {
                                    "description": "with lon/lat: the trip there by `travel`",
                                    "type": "object",
                                    "properties": {
                                        "distance_m": {"type": "number", "minimum": 0},
                                        "walk_min": {"type": "number", "minimum": 0},
                                        "ebike_min": {"type": "number", "minimum": 0},
                                        "estimate": {"type": "boolean"},
                                        **MEASURED,
                                        "hours_on_arrival": {"$ref": "#/components/schemas/Hours"},
                                    },
                                },
                                "network": NETWORK_INFO,
                                "week": {
                                    "type": "array",
                                    "minItems": 7,
                                    "maxItems": 7,
                                    "items": {"$ref": "#/components/schemas/Day"},
                                },
                            },
                        }
                    },
                },
            ]
        },
        "Day": {
            "type": "object",
            "required": ["date", "kind", "open", "unknown"],
            "properties": {
                "calendar_known": {"type": "boolean"},
                "date": {"type": "string", "format": "date"},
                "kind": {"type": "string", "enum": ["holiday", "makeup", "workday", "weekend"]},
                "open": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "minItems": 2,
                        "maxItems": 2,
                        "items": {"type": "string", "pattern": r"^\d{2}:\d{2}$"},
                    },
                },
                "unknown": {"type": "boolean"},
            },
        },
        "RouteSummary": {
            "type": "object",
            "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                "geometry": {"$ref": "#/components/schemas/Geometry"},
                "properties": {
                    "type": "object",
                    "required": [
                        "id",
                        "name",
                        "theme",
                        "districts",
                        "stops_count",
                        "length_m",
                        "coach_min",
                        "illustrative",
                    ],
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "name_en": {"type": "string"},
                        "theme": {"type": "string"},
                        "theme_en": {"type": "string"},
                        "districts": {"type": "array", "items": {"type": "string"}},
                        "stops_count": {"type": "integer", "minimum": 2},
                        "length_m": {"type": "number", "minimum": 0},
                        "coach_min": {"type": "number", "minimum": 0},
                        "bike_min": {"type": "number", "minimum": 0},
                        "estimate": {"type": "boolean"},
                        "basis": {
                            "type": "string",
                            "enum": ["network", "straight", "mixed"],
                            "description": "how the length and times were measured: every "
                            "leg along the street network, none, or some",
                        },
                        "along_roads_share": {"type": "number", "minimum": 0, "maximum": 1},
                        "coach_note": {"type": "object"},
                        "network": {
                            "type": "object",
                            "nullable": True,
                            "description": "the street network's attribution when a leg "
                            "follows it (ODbL)",
                            "properties": {
                                "attribution": {"type": "string"},
                                "fixture": {"type": "boolean"},
                            },
                        },
                        "sample": {"type": "boolean"},
                        "illustrative": {"type": "boolean"},
                        "geometry_note": {"type": "string"},
                    },
                },
            },
        },
        "RouteCollection": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "numberMatched": {"type": "integer", "minimum": 0},
                "total": {"type": "integer", "minimum": 0},
                "illustrative_note": {"type": "string"},
                "coach_note": {"type": "object"},
                "features": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/RouteSummary"},
                },
            },
        },
        "RouteDetails": {
            "allOf": [
                {"$ref": "#/components/schemas/RouteSummary"},
                {
                    "type": "object",
                    "properties": {
                        "properties": {
                            "type": "object",
                            "required": ["stops", "along", "longest_gap_m", "longest_gap"],
                            "properties": {
                                "stops": {
                                    "type": "array",
                                    "minItems": 2,
                                    "items": {
                                        "type": "object",
                                        "required": [
                                            "number",
                                            "name",
                                            "lon",
                                            "lat",
                                            "precision",
                                            "position_m",
                                        ],
                                        "properties": {
                                            "number": {"type": "integer", "minimum": 1},
                                            "name": {"type": "string"},
                                            "name_en": {"type": "string"},
                                            "lon": {"type": "number"},
                                            "lat": {"type": "number"},
                                            "description": {"type": "string"},
                                            "precision": {"type": "string"},
                                            "coord_source": {"type": "string"},
                                            "position_m": {"type": "number", "minimum": 0},
                                        },
                                    },
                                },
                                "along": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "required": ["id", "layer", "distance_off_m", "position_m"],
                                        "properties": {
                                            "id": {"type": "string"},
                                            "layer": {"type": "string"},
                                            "name": {"type": "string"},
                                            "distance_off_m": {"type": "number", "minimum": 0},
                                            "position_m": {"type": "number", "minimum": 0},
                                        },
                                    },
                                },
                                "legs": {
                                    "type": "array",
                                    "description": "stop to stop: along roads (the coach on "
                                    "the drive graph, the bike on the e-bike graph) or a "
                                    "straight line, with the reason; coords: the leg's first "
                                    "and last index in the line (null: the stored line)",
                                    "items": {
                                        "type": "object",
                                        "required": ["from", "to", "basis", "length_m"],
                                        "properties": {
                                            "from": {"type": "integer", "minimum": 1},
                                            "to": {"type": "integer", "minimum": 2},
                                            "basis": {
                                                "type": "string",
                                                "enum": ["network", "straight"],
                                            },
                                            "basis_text": {"type": "object"},
                                            "length_m": {"type": "number", "minimum": 0},
                                            "coach": LEG_TRAVEL,
                                            "bike": LEG_TRAVEL,
                                            "coords": {
                                                "type": "array",
                                                "nullable": True,
                                                "items": {"type": "integer", "minimum": 0},
                                            },
                                        },
                                    },
                                },
                                "along_within_m": {"type": "number"},
                                "longest_gap_m": {"type": "number", "minimum": 0},
                                "longest_gap": {
                                    "type": "object",
                                    "properties": {
                                        "from_m": {"type": "number"},
                                        "to_m": {"type": "number"},
                                    },
                                },
                                "coach_note": {"type": "object"},
                            },
                        }
                    },
                },
            ]
        },
        "Coverage": {
            "type": "object",
            "required": ["city", "areas", "shares_by"],
            "properties": {
                "layers": {"type": "array", "items": {"type": "string"}},
                "radius_m": {
                    "type": "number",
                    "nullable": True,
                    "description": "the radius; within a travel time, the straight-line "
                    "radius the estimate amounts to, or null along the streets (even partly)",
                },
                "reach": {
                    "type": "object",
                    "description": "what within reach meant: a radius (straight line) or "
                    "a travel time, along the streets (with the network's source, date "
                    "and attribution) or the straight-line estimate; says which",
                    "required": ["kind", "along", "label"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["radius", "travel_time"]},
                        "along": {
                            "type": "string",
                            "enum": [
                                "straight_line",
                                "streets",
                                "straight_line_estimate",
                                "mixed",
                            ],
                            "description": "`mixed`: along the streets where the network "
                            "reaches, the straight-line estimate for cells off it or "
                            "nearest a facility off it (a partial network)",
                        },
                        "label": {"type": "string"},
                        "minutes": {"type": "number"},
                        "travel": {"type": "string", "enum": ["walk", "ebike"]},
                        "unreachable_km2": {
                            "type": "number",
                            "minimum": 0,
                            "description": "km² of cells that reach no counted facility",
                        },
                        "estimated_km2": {
                            "type": "number",
                            "minimum": 0,
                            "description": "km² of cells whose time is the straight-line "
                            "estimate (all of them without a network)",
                        },
                        "network": {"type": "object", "nullable": True},
                    },
                },
                "cell_m": {"type": "number"},
                "by": {"type": "string", "enum": ["district", "town"]},
                "shares_by": {"type": "string", "enum": ["area", "demand"]},
                "city": {"$ref": "#/components/schemas/AreaCoverage"},
                "areas": {"type": "array", "items": {"$ref": "#/components/schemas/AreaCoverage"}},
                "towns_without": {"type": "object"},
            },
        },
        "AreaCoverage": {
            "type": "object",
            "required": ["code", "area_km2", "covered_share"],
            "properties": {
                "code": {"type": "string"},
                "name": {"type": "string"},
                "area_km2": {"type": "number", "minimum": 0},
                "facilities": {"type": "integer", "minimum": 0},
                "covered_share": {"type": "number", "minimum": 0, "maximum": 1, "nullable": True},
                "mean_distance_m": {"type": "number", "nullable": True},
                "max_distance_m": {"type": "number", "nullable": True},
                "uncovered_km2": {"type": "number", "minimum": 0},
                "demand": {"type": "number", "nullable": True},
                "approximate": {"type": "boolean"},
                "mean_minutes": {"type": "number", "nullable": True},
                "max_minutes": {"type": "number", "nullable": True},
                "unreachable_km2": {"type": "number", "minimum": 0},
                "estimated_km2": {"type": "number", "minimum": 0},
            },
        },
        "Suggestions": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "shares_by": {"type": "string", "enum": ["area", "demand"]},
                "features": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "properties": {
                                "type": "object",
                                "required": ["rank", "town_code"],
                                "properties": {
                                    "rank": {"type": "integer", "minimum": 1},
                                    "town_code": {"type": "string"},
                                },
                            }
                        },
                    },
                },
            },
        },
        "Geometry": {
            "type": "object",
            "required": ["type", "coordinates"],
            "properties": {
                "type": {
                    "type": "string",
                    "enum": sorted({t for c in registry.COLLECTIONS for t in c.kind.geojson_types}),
                },
                "coordinates": {"type": "array"},
            },
        },
        "Feature": {
            "type": "object",
            "required": ["type", "id", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                # null with skipGeometry=true
                "geometry": {
                    "nullable": True,
                    "allOf": [{"$ref": "#/components/schemas/Geometry"}],
                },
                "properties": {"type": "object"},
                "links": links,
            },
        },
        "FacilityCollection": {
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "numberMatched": {"type": "integer"},
                "numberReturned": {"type": "integer"},
                "sample": {"type": "boolean"},
                "features": {"type": "array", "items": {"$ref": "#/components/schemas/Facility"}},
            },
        },
        "NearbyFacility": {
            "type": "object",
            "required": ["type", "geometry", "properties"],
            "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                "geometry": {"$ref": "#/components/schemas/Point"},
                "properties": {
                    "allOf": [
                        facility_props,
                        {
                            "type": "object",
                            "required": [
                                "distance_m",
                                "bearing_deg",
                                "walk_min",
                                "ebike_min",
                                "estimate",
                                "hours",
                                "hours_on_arrival",
                            ],
                            "properties": {
                                "distance_m": {
                                    "description": "metres along the streets when `measured` "
                                    "is network (the quickest way by `travel`, access legs "
                                    "included), else straight-line metres on the ellipsoid",
                                    "type": "number",
                                    "minimum": 0,
                                },
                                "bearing_deg": {"type": "number", "minimum": 0, "maximum": 360},
                                "walk_min": {
                                    "description": "today's straight-line estimate (see "
                                    "estimate_note), whatever `measured` says",
                                    "type": "number",
                                    "minimum": 0,
                                },
                                "ebike_min": {"type": "number", "minimum": 0},
                                "estimate": {"type": "boolean"},
                                **MEASURED,
                                "hours": {"$ref": "#/components/schemas/Hours"},
                                "hours_on_arrival": {"$ref": "#/components/schemas/Hours"},
                                **HOURS_WORDS,
                            },
                        },
                    ]
                },
            },
        },
        "NearestCollection": {
            "type": "object",
            "required": ["type", "features", "query", "in_service_area", "estimate_note"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "query": {
                    "type": "object",
                    "required": ["lon", "lat"],
                    "properties": {
                        "lon": {"type": "number"},
                        "lat": {"type": "number"},
                        "crs": {"type": "string"},
                        "input_coord": {"type": "string"},
                        "at": {"type": "string"},
                    },
                },
                "in_service_area": {"type": "boolean"},
                "distance_to_service_area_m": {"type": "number", "minimum": 0},
                "detour_factor": {"type": "number"},
                "travel_basis": {
                    "description": "how the answer was measured: `network` (every result "
                    "along the street network), `straight-line` (none: no network, or the "
                    "point is off it) or `mixed` (see each result's `measured`); the "
                    "network's source, date and attribution when the data has one",
                    "type": "object",
                    "required": ["measured", "straight_reasons", "network"],
                    "properties": {
                        "measured": {"type": "string", "enum": [NETWORK, STRAIGHT, "mixed"]},
                        "straight_reasons": {
                            "type": "array",
                            "items": {"type": "string", "enum": list(STRAIGHT_REASONS)},
                        },
                        "network": NETWORK_INFO,
                    },
                },
                "estimate_note": {
                    "type": "object",
                    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
                },
                "numberReturned": {"type": "integer"},
                "unknown_hours_left_out": {
                    "description": "with open_now: places whose hours on arrival are not "
                    "known, left out (include_unknown_hours=true shows them)",
                    "type": "integer",
                    "minimum": 0,
                },
                "unknown_hours_left_out_by_layer": {
                    "type": "object",
                    "additionalProperties": {"type": "integer", "minimum": 1},
                },
                # k in all, or k from each layer with per_layer=true
                "features": {
                    "type": "array",
                    "maxItems": per_layer_max,
                    "items": {"$ref": "#/components/schemas/NearbyFacility"},
                },
            },
        },
        "Landing": {
            "type": "object",
            "required": ["links"],
            "properties": {
                "title": {"type": "string"},
                "description": {"type": "string"},
                "links": links,
            },
        },
        "Conformance": {
            "type": "object",
            "required": ["conformsTo"],
            "properties": {
                "conformsTo": {"type": "array", "items": {"type": "string", "enum": CONFORMANCE}}
            },
        },
        "Collection": {
            "type": "object",
            "required": ["id", "links"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "description": {"type": "string"},
                "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}},
                "extent": {"type": "object"},
                "links": links,
            },
        },
        "Collections": {
            "type": "object",
            "required": ["links", "collections"],
            "properties": {
                "links": links,
                "collections": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Collection"},
                },
            },
        },
        "ItemsCollection": {
            "type": "object",
            "required": ["type", "features", "links", "numberReturned"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "timeStamp": {"type": "string"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0},
                "links": links,
                "features": {"type": "array", "items": {"$ref": "#/components/schemas/Feature"}},
            },
        },
    }
    paths.update(reports.openapi_paths(_problem_response))
    schemas.update(reports.openapi_schemas(layer_ids))
    for ops in paths.values():
        for op in ops.values():
            op["responses"]["406"] = not_acceptable
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"locator · {city.title.zh} API",
            "version": "1.0.0",
            "description": f"Nearest union service facilities in {city.name.en}. Coordinates "
            "are WGS-84 [lon, lat]; distances are geodesic metres; "
            "walking and e-bike times are estimates. Errors are "
            "application/problem+json (RFC 9457).",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": reports.SECURITY_SCHEMES},
    }


@bp.get("/api/v1/openapi.json")
def document():
    svc = service()
    layer_ids = list(svc.resolve_layers(None))
    example = None
    for lid in layer_ids:
        page = svc.page(lid, None, 1)
        if page.features:
            example = page.features[0].id
            break
    routes = svc.routes().routes
    return json_response(
        build_document(
            layer_ids,
            [i.id for i in svc.collection_infos()],
            example,
            routes[0].id if routes else None,
            city=svc.city,
            vocabulary=Vocabulary.of(svc),
        )
    )


@bp.get("/ogc/api")
def ogc_document():
    """The OGC API's own OpenAPI document (its landing page's service-desc): the /ogc
    paths relative to /ogc, and one items path per collection listing that collection's
    queryables as query parameters (GDAL pushes attribute filters down from these)."""
    from locator.web.http import external_url

    svc = service()
    layer_ids = list(svc.resolve_layers(None))
    voc = Vocabulary.of(svc)
    main = build_document(
        layer_ids, [i.id for i in svc.collection_infos()], city=svc.city, vocabulary=voc
    )
    paths = {
        key[len("/ogc") :] or "/": value
        for key, value in main["paths"].items()
        if key.startswith("/ogc")
    }
    generic = paths["/collections/{collectionId}/items"]["get"]
    for p in generic["parameters"]:
        if p["name"] == params.OGC_LIMIT.name and p["in"] == "query":
            p["schema"]["maximum"] = int(params.OGC_LIMIT.maximum or 0)
    for info in svc.collection_infos():
        base = _items_parameters(voc.properties[info.id], list(voc.queryables[info.id]), ogc=True)
        queryable = [
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": (
                    {"type": "string", "enum": list(q.enum)}
                    if q.enum
                    else {"type": "string" if q.type == "array" else q.type}
                ),
                "description": f"{q.title} (equality; for a list: contains)",
            }
            for name, q in svc.queryables(info.id).items()
        ]
        paths[f"/collections/{info.id}/items"] = {
            "get": {
                **generic,
                "operationId": f"items_{info.id}",
                "summary": f"{info.name_zh} · {info.name_en}",
                "parameters": base + queryable,
            }
        }
    doc = {**main, "servers": [{"url": external_url("ogc.landing").rstrip("/")}], "paths": paths}
    return _document_response(doc, "openapi.ogc_document")


#: the OpenAPI 3.0 media type (OGC API - Features /req/oas30/oas-impl)
OAS30 = "application/vnd.oai.openapi+json;version=3.0"


def _document_response(doc: dict, endpoint: str) -> Response:
    """The document as JSON (``application/vnd.oai.openapi+json;version=3.0`` when the
    client prefers that type), or as a readable HTML page with ``f=html`` or when the
    client prefers ``text/html``."""
    from locator.web.http import external_url
    from locator.web.ogc import _check, _page

    _check(SIMPLE)
    fmt = params.OGC_FORMAT.parse(request.args)
    best = None
    if fmt is None and request.headers.get("Accept"):
        offered = ["application/json", OAS30, OAS30.split(";")[0], "text/html"]
        best = request.accept_mimetypes.best_match(offered)
    if fmt == "html" or best == "text/html":
        return _page("ogc.html", external_url(endpoint, f="json"), view="api", body=doc)
    oas = best is not None and best.startswith(OAS30.split(";")[0])
    return json_response(doc, OAS30 if oas else "application/json")
