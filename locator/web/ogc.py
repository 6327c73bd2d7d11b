"""OGC API - Features at /ogc over every collection of the registry.

Part 1 (core, GeoJSON, HTML, OpenAPI 3.0), Part 2 (CRS: CRS84, EPSG:4326 and EPSG:4490
CGCS2000 for output and bbox), Part 3 (queryables, queryables as query parameters, CQL2
text and JSON filters), sorting and property selection. A query parameter that is not
defined here is a 400 naming it; a defined one is honoured.

EPSG:4326 and EPSG:4490 have latitude first (their authorities' axis order), CRS84
longitude first. WGS-84 to CGCS2000 is pyproj's transformation, a null ("ballpark") one:
the two datums agree to a few centimetres in China, below the data's own precision.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, current_app, make_response, render_template, request
from pyproj import Transformer
from werkzeug.datastructures import MultiDict

from locator.maps import features_map
from locator.operations.feature_query import MAX_EQUALS, parse_cql2
from locator.service import Service
from locator.stores.base import FeatureQuery
from locator.values import registry
from locator.values.city import CityProfile
from locator.values.errors import InvalidQuery, shown
from locator.values.geo.distance import transformer
from locator.values.models import CollectionInfo
from locator.web import params
from locator.web.assets import map_assets
from locator.web.context import (
    GEOJSON,
    cacheable,
    json_response,
    service,
)
from locator.web.format import network_credit
from locator.web.http import external_url
from locator.web.i18n import current_lang
from locator.web.serialize import feature_collection, feature_json

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
log = logging.getLogger(__name__)

CRS84 = params.CRS84
OGCF = "http://www.opengis.net/spec/ogcapi-features-{part}/1.0/conf/{name}"
CONFORMANCE = [
    OGCF.format(part=1, name="core"),
    OGCF.format(part=1, name="geojson"),
    OGCF.format(part=1, name="html"),
    OGCF.format(part=1, name="oas30"),
    OGCF.format(part=2, name="crs"),
    OGCF.format(part=3, name="queryables"),
    OGCF.format(part=3, name="queryables-query-parameters"),
    OGCF.format(part=3, name="filter"),
    OGCF.format(part=3, name="features-filter"),
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
]
#: the parameters a next/prev link carries over
CARRIED = (
    "bbox",
    "bbox-crs",
    "datetime",
    "limit",
    "f",
    "crs",
    "properties",
    "skipGeometry",
    "sortby",
    "filter",
    "filter-lang",
    "filter-crs",
)
SIMPLE = (params.OGC_FORMAT,)
SINGLE = (params.OGC_FORMAT, params.OGC_CRS)


def _to_4490() -> Transformer:
    """WGS-84 to CGCS2000 (made on first use in each thread: pyproj's database look-up
    takes a fifth of a second, and few requests ask for EPSG:4490)."""
    return transformer("EPSG:4326", "EPSG:4490")


def _url(endpoint: str, **values) -> str:
    return external_url(endpoint, **values)


def _check(allowed: tuple[params.Param, ...], extra: set[str] | None = None) -> None:
    """Every query parameter must be defined here (OGC API - Features, /req/core/...)."""
    # lang: the site's language switch, which the HTML pages share with the rest
    known = {p.name for p in allowed} | (extra or set()) | {"lang"}
    for name in request.args:
        if name not in known:
            raise InvalidQuery(
                name,
                f"unknown query parameter {shown(name)}; this endpoint "
                f"takes: {', '.join(sorted(known)) or 'none'}",
            )


def _wants_html() -> bool:
    f = params.OGC_FORMAT.parse(request.args)
    if f is not None:
        return f == "html"
    if not request.headers.get("Accept"):
        return False
    best = request.accept_mimetypes.best_match(["application/json", GEOJSON, "text/html"])
    return best == "text/html"


def _page(template: str, json_href: str, **context) -> Response:
    infos = service().collection_infos()
    shown_features = context.get("features") or (
        [context["feature"]] if "feature" in context else None
    )
    parts = None
    if shown_features is not None:
        info = context["info"]
        parts = features_map(
            map_assets(),
            current_app.config["TILES"],
            shown_features,
            info.colour,
            lang=current_lang(),
            city=service().city,
            network_credit=network_credit(service().network_info, current_lang()),
        )
    resp = make_response(
        render_template(
            template,
            json_href=json_href,
            parts=parts,
            any_sample=any(i.sample for i in infos)
            if context.get("view") != "conformance"
            else False,
            **context,
        )
    )
    resp.headers["Link"] = f'<{json_href}>; rel="alternate"; type="application/json"'
    return resp


def _collection(info: CollectionInfo, city_bbox, city: CityProfile) -> dict:
    bbox = list(info.bbox or city_bbox)
    decl = registry.BY_ID[info.id].for_city(city) if info.id in registry.BY_ID else None
    notes = (
        [f"{decl.description_zh} · {decl.description_en}."] if decl and decl.description_zh else []
    )
    if info.sample:
        notes.append("示例数据 · sample data.")
    if info.approximate:
        notes.append("近似范围 · approximate areas.")
    links = [
        {
            "href": _url("ogc.collection", collection_id=info.id),
            "rel": "self",
            "type": "application/json",
            "title": "this collection",
        },
        {
            "href": _url("ogc.collection", collection_id=info.id, f="html"),
            "rel": "alternate",
            "type": "text/html",
            "title": "this collection (HTML)",
        },
        {
            "href": _url("ogc.items", collection_id=info.id),
            "rel": "items",
            "type": GEOJSON,
            "title": "items",
        },
        {
            "href": _url("ogc.items", collection_id=info.id, f="html"),
            "rel": "items",
            "type": "text/html",
            "title": "items (HTML)",
        },
        {
            "href": _url("ogc.queryables", collection_id=info.id),
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "type": "application/schema+json",
            "title": "queryables",
        },
        {
            "href": _url("ogc.schema", collection_id=info.id),
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/schema",
            "type": "application/schema+json",
            "title": "schema",
        },
    ]
    return {
        "id": info.id,
        "title": f"{info.name_zh} · {info.name_en}",
        "description": " ".join(
            [f"{info.name_zh} ({info.name_en}), {info.count} {info.kind} features."] + notes
        ),
        "itemType": "feature",
        "crs": list(params.CRS_URIS),
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [bbox], "crs": CRS84}},
        "links": links,
    }


@bp.get("")
@bp.get("/")
def landing():
    _check(SIMPLE)
    city = service().city
    body = {
        "title": f"{city.short_name.zh}职工服务设施 · "
        f"{city.short_name.en} worker service facilities",
        "description": "OGC API - Features over the locator collections: facilities, "
        "routes, boundaries and towns (CRS84; EPSG:4326 and EPSG:4490 on "
        "request).",
        "links": [
            {
                "href": _url("ogc.landing"),
                "rel": "self",
                "type": "application/json",
                "title": "this document",
            },
            {
                "href": _url("ogc.landing", f="html"),
                "rel": "alternate",
                "type": "text/html",
                "title": "this document (HTML)",
            },
            {
                "href": _url("openapi.ogc_document"),
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.0",
                "title": "OpenAPI",
            },
            {
                "href": _url("openapi.ogc_document", f="html"),
                "rel": "service-doc",
                "type": "text/html",
                "title": "API documentation (HTML)",
            },
            {
                "href": _url("ogc.conformance"),
                "rel": "conformance",
                "type": "application/json",
                "title": "conformance classes",
            },
            {
                "href": _url("ogc.collections"),
                "rel": "data",
                "type": "application/json",
                "title": "collections",
            },
        ],
    }
    if _wants_html():
        return _page(
            "ogc.html",
            _url("ogc.landing", f="json"),
            view="landing",
            body=body,
            infos=service().collection_infos(),
        )
    return json_response(body)


@bp.get("/conformance")
def conformance():
    _check(SIMPLE)
    if _wants_html():
        return _page(
            "ogc.html",
            _url("ogc.conformance", f="json"),
            view="conformance",
            body={"conformsTo": CONFORMANCE},
        )
    return json_response({"conformsTo": CONFORMANCE})


@bp.get("/collections")
def collections():
    _check(SIMPLE)
    svc = service()
    city = svc.extent("city")
    body = {
        "links": [
            {
                "href": _url("ogc.collections"),
                "rel": "self",
                "type": "application/json",
                "title": "collections",
            },
            {
                "href": _url("ogc.collections", f="html"),
                "rel": "alternate",
                "type": "text/html",
                "title": "collections (HTML)",
            },
        ],
        "crs": list(params.CRS_URIS),
        "collections": [_collection(info, city, svc.city) for info in svc.collection_infos()],
    }
    if _wants_html():
        return _page(
            "ogc.html",
            _url("ogc.collections", f="json"),
            view="collections",
            body=body,
            infos=svc.collection_infos(),
        )
    return json_response(body)


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    _check(SIMPLE)
    svc = service()
    info = svc.collection_info(collection_id)
    body = _collection(info, svc.extent("city"), svc.city)
    if _wants_html():
        return _page(
            "ogc.html",
            _url("ogc.collection", collection_id=collection_id, f="json"),
            view="collection",
            body=body,
            info=info,
            queryables=svc.queryables(collection_id),
        )
    return json_response(body)


def _schema(svc: Service, collection_id: str, kind: str) -> dict:
    qs = svc.queryables(collection_id)
    props: dict[str, Any] = {name: q.schema() for name, q in qs.items()}
    decl = registry.BY_ID[collection_id].for_city(svc.city)
    if kind == "schema":
        props = {p.name: p.schema() for p in decl.properties}
    props["geometry"] = {
        "title": "几何 · geometry",
        "x-ogc-role": "primary-geometry",
        "format": {
            "point": "geometry-point",
            "line": "geometry-linestring",
            "polygon": "geometry-multipolygon",
        }[decl.kind.value],
    }
    endpoint = "ogc.queryables" if kind == "queryables" else "ogc.schema"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _url(endpoint, collection_id=collection_id),
        "type": "object",
        "title": f"{decl.name_zh} · {decl.name_en}",
        "properties": props,
        "additionalProperties": kind == "schema",
    }


def _schema_response(collection_id: str, kind: str) -> Response:
    _check(SIMPLE)
    params.OGC_FORMAT.parse(request.args)
    svc = service()
    svc.collection_info(collection_id)
    return json_response(_schema(svc, collection_id, kind), "application/schema+json")


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str):
    return _schema_response(collection_id, "queryables")


@bp.get("/collections/<collection_id>/schema")
def schema(collection_id: str):
    return _schema_response(collection_id, "schema")


# ---------------------------------------------------------------------- coordinates


def _output_transform(crs: str) -> Callable[[list], list] | None:
    """A function on one [lon, lat] position for the output CRS (None: CRS84 as stored)."""
    if crs == params.EPSG4326:
        return lambda c: [c[1], c[0], *c[2:]]
    if crs == params.CGCS2000:

        def to_4490(c: list) -> list:
            x, y = _to_4490().transform(c[0], c[1])
            return [round(y, 7), round(x, 7), *c[2:]]

        return to_4490
    return None


def _map_coords(coords: Any, fn: Callable[[list], list]) -> Any:
    if coords and isinstance(coords[0], int | float):
        return fn(list(coords))
    return [_map_coords(c, fn) for c in coords]


def _reproject(feature: dict, fn: Callable[[list], list] | None) -> dict:
    geom = feature.get("geometry")
    if fn is None or not geom:
        return feature
    return {**feature, "geometry": {**geom, "coordinates": _map_coords(geom["coordinates"], fn)}}


def _as_declared(feature: dict) -> dict:
    """A Polygon as a MultiPolygon of one: an area collection declares MultiPolygon (its
    schema, GDAL and QGIS type the layer by it), so every feature is one."""
    geom = feature.get("geometry")
    if not geom or geom.get("type") != "Polygon":
        return feature
    return {**feature, "geometry": {"type": "MultiPolygon", "coordinates": [geom["coordinates"]]}}


def _bbox(args: MultiDict) -> tuple[float, float, float, float] | None:
    """The bbox as (west, south, east, north) in CRS84 degrees; four or six numbers (with
    heights, ignored), latitude first when ``bbox-crs`` is EPSG:4326 or EPSG:4490."""
    crs = params.BBOX_CRS.parse(args) or CRS84
    if crs == CRS84:
        return params.OGC_BBOX.parse(args)
    raw = params.OGC_BBOX.raw(args)
    if raw is None:
        return None
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) == 6:
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or not all(params.NUMBER.fullmatch(p) for p in parts):
        raise InvalidQuery(
            "bbox",
            f"bbox in {crs} must be four numbers minlat,minlon,maxlat,maxlon "
            f"(or six, with heights), got {shown(raw)}",
        )
    lat1, lon1, lat2, lon2 = parts
    flipped = MultiDict({"bbox": f"{lon1},{lat1},{lon2},{lat2}"})
    return params.OGC_BBOX.parse(flipped)


# ---------------------------------------------------------------------- items


def _feature_query(svc: Service, collection_id: str, args: MultiDict) -> FeatureQuery:
    qs = svc.queryables(collection_id)
    equals = []
    for name, value in args.items(multi=True):
        if name in qs:
            equals.append((name, value))
            if len(equals) > MAX_EQUALS:
                raise InvalidQuery(
                    name,
                    f"at most {MAX_EQUALS} queryables may be given as query parameters; "
                    "use filter for more",
                )
    tree = None
    text = params.FILTER.parse(args)
    params.FILTER_CRS.parse(args)
    lang = params.FILTER_LANG.parse(args)
    if text is not None:
        tree = parse_cql2(text, lang)
    elif lang is not None:
        raise InvalidQuery("filter-lang", "filter-lang without a filter")
    sortby = []
    for part in (params.SORTBY.parse(args) or "").split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        sortby.append((part.lstrip("+-"), descending))
    # no collection here has time: validated, then every feature matches
    # (/req/core/fc-time-response)
    params.DATETIME.parse(args)
    limit = params.OGC_LIMIT.parse(args)
    offset = params.OFFSET.parse(args)
    return FeatureQuery(_bbox(args), tuple(equals), tree, tuple(sortby), limit, offset)


def _select(feature: dict, keep: set[str] | None, skip_geometry: bool) -> dict:
    out = dict(feature)
    if keep is not None:
        out["properties"] = {k: v for k, v in feature["properties"].items() if k in keep}
    if skip_geometry:
        out["geometry"] = None
    return out


@contextmanager
def _filter_refusals_logged() -> Iterator[None]:
    """A refused filter writes one log line (the reason, as the client reads it), never a
    parser's dump."""
    try:
        yield
    except InvalidQuery as exc:
        if exc.param.startswith("filter"):
            log.info("refused filter on %s: %s", request.path, exc.message)
        raise


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    svc = service()
    svc.collection_info(collection_id)
    qs = svc.queryables(collection_id)
    _check(params.OGC_ITEMS, set(qs))
    args = request.args
    with _filter_refusals_logged():
        query = _feature_query(svc, collection_id, args)
    crs = params.OGC_CRS.parse(args) or CRS84
    keep = params.PROPERTIES.parse(args)
    keep_set = {k.strip() for k in keep.split(",") if k.strip()} if keep else None
    if keep_set is not None:
        declared = {p.name for p in registry.BY_ID[collection_id].properties}
        unknown = sorted(keep_set - declared)
        if unknown:
            raise InvalidQuery(
                "properties",
                "unknown properties "
                f"{', '.join(map(shown, unknown))}; this "
                f"collection has: {', '.join(sorted(declared))}",
            )
    skip = params.SKIP_GEOMETRY.parse(args)
    with _filter_refusals_logged():
        page = svc.search(collection_id, query)
    limit = query.limit or params.OGC_LIMIT.default

    def link(rel: str, off: int, fmt: str | None = None) -> dict:
        carried: list[tuple[str, str]] = [
            (k, v)
            for k, v in args.items(multi=True)
            if (k in CARRIED or k in qs) and k not in ("limit", "f")
        ]
        carried.append(("limit", str(limit)))
        if off:
            carried.append(("offset", str(off)))
        if fmt:
            carried.append(("f", fmt))
        href = _url("ogc.items", collection_id=collection_id)
        from urllib.parse import urlencode

        return {
            "href": f"{href}?{urlencode(carried)}",
            "rel": rel,
            "type": "text/html" if fmt == "html" else GEOJSON,
        }

    links = [
        link("self", query.offset),
        link("alternate", query.offset, "html"),
        {
            "href": _url("ogc.collection", collection_id=collection_id),
            "rel": "collection",
            "type": "application/json",
        },
    ]
    if query.offset + limit < page.matched:
        links.append(link("next", query.offset + limit))
    if query.offset > 0:
        links.append(link("prev", max(0, query.offset - limit)))
    transform = _output_transform(crs)
    features = [
        _select(_reproject(_as_declared(feature_json(f)), transform), keep_set, skip)
        for f in page.features
    ]
    if _wants_html():
        html_links = {
            lk["rel"]: lk["href"]
            for lk in [
                link("next", query.offset + limit, "html"),
                link("prev", max(0, query.offset - limit), "html"),
            ]
        }
        return _page(
            "ogc.html",
            link("self", query.offset)["href"],
            view="items",
            info=svc.collection_info(collection_id),
            page=page,
            features=[feature_json(f) for f in page.features],
            has_next=query.offset + limit < page.matched,
            has_prev=query.offset > 0,
            html_links=html_links,
            columns=[
                p.name
                for p in registry.BY_ID[collection_id].properties
                if (p.type != "array" or p.items == "string") and p.name not in ("id", "layer")
            ][:8],
        )
    body = feature_collection(
        features,
        timeStamp=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        numberMatched=page.matched,
        numberReturned=len(page.features),
        links=links,
    )
    resp = json_response(body, GEOJSON)
    resp.headers["Content-Crs"] = f"<{crs}>"
    return resp


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    _check(SINGLE)
    svc = service()
    info = svc.collection_info(collection_id)
    crs = params.OGC_CRS.parse(request.args) or CRS84
    found = svc.get(feature_id, collection_id)
    feature = _reproject(_as_declared(feature_json(found)), _output_transform(crs))
    feature["links"] = [
        {
            "href": _url("ogc.item", collection_id=collection_id, feature_id=feature_id),
            "rel": "self",
            "type": GEOJSON,
        },
        {
            "href": _url("ogc.item", collection_id=collection_id, feature_id=feature_id, f="html"),
            "rel": "alternate",
            "type": "text/html",
        },
        {
            "href": _url("ogc.collection", collection_id=collection_id),
            "rel": "collection",
            "type": "application/json",
        },
    ]
    if _wants_html():
        return _page(
            "ogc.html",
            _url("ogc.item", collection_id=collection_id, feature_id=feature_id, f="json"),
            view="item",
            info=info,
            feature=feature_json(found),
        )
    resp = cacheable(feature, GEOJSON, info.version)
    resp.headers["Content-Crs"] = f"<{crs}>"
    return resp
