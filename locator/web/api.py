"""JSON API, version 1: parse -> one domain call -> serialise."""

from __future__ import annotations

from collections.abc import Callable

import orjson
from flask import Blueprint, Response, request

from locator.formats.routes import (
    route_to_geojson,
    route_to_gpx,
    route_to_kml,
    routes_note,
)
from locator.operations.hours import now
from locator.operations.routes import RouteDetails, coach_note_for
from locator.values.city import CityProfile
from locator.values.errors import LayerNotFound
from locator.web import params
from locator.web.context import (
    GEOJSON,
    attachment,
    cacheable,
    conditional,
    json_response,
    parse_nearest,
    parse_trip,
    service,
)
from locator.web.serialize import (
    facility_details_json,
    feature_collection,
    feature_json,
    layer_info_json,
    nearest_json,
    route_json,
    route_summary_json,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/health")
def health():
    """A trivial endpoint: liveness for operators, and the benchmark's baseline."""
    return json_response({"status": "ok"})


@bp.get("/layers")
def layers():
    svc = service()
    infos = svc.collection_infos(facilities_only=True)
    return cacheable(
        {"layers": [layer_info_json(i) for i in infos], "version": svc.version},
        "application/json",
        svc.version,
    )


@bp.get("/layers/<layer_id>")
def layer(layer_id: str):
    svc = service()
    valid = svc.resolve_layers(None)
    if layer_id not in valid:  # reference collections are served by /ogc, not here
        raise LayerNotFound(layer_id, list(valid), "layer")
    info = svc.collection_info(layer_id)
    box = params.BBOX.parse(request.args)
    limit = params.LAYER_LIMIT.parse(request.args)
    page = svc.page(layer_id, box, limit)
    body = feature_collection(
        [feature_json(f) for f in page.features],
        name=layer_id,
        numberMatched=page.matched,
        numberReturned=len(page.features),
        sample=info.sample,
    )
    return cacheable(body, GEOJSON, info.version)


@bp.get("/facilities/<facility_id>")
def facility(facility_id: str):
    svc = service()
    trip = parse_trip(request.args, now())
    details = svc.facility_details(facility_id, trip.at, trip.origin, trip.travel)
    # the answer carries the hours now and the week ahead: its ETag changes every minute
    body = facility_details_json(details, trip.travel)
    return cacheable(body, GEOJSON, details.layer.version, at=details.at)


@bp.get("/nearest")
def nearest():
    svc = service()
    req = parse_nearest(svc, request.args)
    if req.per_layer:
        answer = svc.nearest_by_layer(req.query, now())
    else:
        answer = svc.nearest(req.query, now())
    resp = json_response(nearest_json(answer, req.coord, req.query.travel), GEOJSON)
    resp.headers["Cache-Control"] = "no-store"  # depends on the moment and the position
    return resp


@bp.get("/routes")
def routes():
    svc = service()
    found = svc.routes(params.DISTRICT.parse(request.args), params.THEME.parse(request.args))
    body = feature_collection(
        [route_summary_json(r) for r in found.routes],
        numberMatched=len(found.routes),
        total=found.total,
        illustrative_note=routes_note(found.basis),
        coach_note=coach_note_for(found.basis),
    )
    return cacheable(body, GEOJSON, svc.version)


@bp.get("/routes/<route_id>")
def route(route_id: str):
    svc = service()
    return cacheable(route_json(svc.route(route_id)), GEOJSON, svc.version)


#: download format -> (writer of (route, city profile), media type)
DOWNLOADS: dict[str, tuple[Callable[[RouteDetails, CityProfile], str], str]] = {
    "gpx": (lambda d, city: route_to_gpx(d, f"locator · {city.title.zh}"), "application/gpx+xml"),
    "kml": (lambda d, _city: route_to_kml(d), "application/vnd.google-earth.kml+xml"),
    "geojson": (lambda d, _city: orjson.dumps(route_to_geojson(d)).decode(), GEOJSON),
}


def _download(route_id: str, fmt: str):
    svc = service()
    details = svc.route(route_id)
    write, mimetype = DOWNLOADS[fmt]
    resp = Response(write(details, svc.city), mimetype=mimetype)
    resp.headers["Content-Disposition"] = attachment(
        f"{details.summary.id}.{fmt}", f"{details.summary.name}.{fmt}"
    )
    return conditional(resp, svc.version)


@bp.get("/routes/<route_id>.gpx")
def route_gpx(route_id: str):
    return _download(route_id, "gpx")


@bp.get("/routes/<route_id>.kml")
def route_kml(route_id: str):
    return _download(route_id, "kml")


@bp.get("/routes/<route_id>.geojson")
def route_geojson(route_id: str):
    return _download(route_id, "geojson")
