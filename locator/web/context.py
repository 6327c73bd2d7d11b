"""What every view shares: the request's catalog, JSON responses, caching, the JSON twin
link, and the nearest parameters (used by the API and the phone page alike)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson
from flask import Response, current_app, g, request
from werkzeug.datastructures import MultiDict

from locator.operations.nearest import NearestQuery
from locator.service import Service, Services
from locator.service.reports import Reports
from locator.values.models import Point
from locator.web import params
from locator.web.http import host_key

GEOJSON = "application/geo+json"
#: how long a versioned answer (its URL changes with its content) may be kept, seconds
YEAR_S = 365 * 24 * 3600


def service() -> Service:
    """The service of this request's data version: read once, then the same object to
    the end of the request, so a data swap in between never mixes two versions."""
    svc: Service | None = g.get("locator_service")
    if svc is None:
        services: Services = current_app.extensions["locator.services"]
        svc = g.locator_service = services.current()
    return svc


def reports() -> Reports:
    """The app's reports from the street (:mod:`locator.service.reports`), over the report
    store the app factory chose beside the data store."""
    return current_app.extensions["locator_reports"]


def json_response(body: Any, mimetype: str = "application/json", status: int = 200) -> Response:
    # orjson: about ten times faster than the standard library on feature collections
    return Response(orjson.dumps(body), status=status, mimetype=mimetype)


def cacheable(
    body: Any, mimetype: str, version: str, max_age: int = 0, at: dt.datetime | None = None
) -> Response:
    """A JSON response made conditional (see :func:`conditional`)."""
    return conditional(json_response(body, mimetype), version, max_age, at)


def conditional(
    resp: Response, version: str, max_age: int = 0, at: dt.datetime | None = None, extra: str = ""
) -> Response:
    """``resp`` with a strong ETag over data version + query (+ the minute ``at``, for
    answers that depend on the time; + ``extra``, e.g. a language not in the URL),
    honouring If-None-Match. With ``max_age`` 0 (the default) caches keep it but ask again
    each time (``no-cache``): a 304 costs little, and data swapped in live reaches every
    client at once."""
    minute = at.strftime("%Y%m%d%H%M") if at else ""
    key = f"{version}|{minute}|{host_key()}|{request.full_path}|{extra}"
    tag = hashlib.sha256(key.encode()).hexdigest()[:32]
    resp.set_etag(tag)
    resp.cache_control.public = True
    if max_age:
        resp.cache_control.max_age = max_age
    else:
        resp.cache_control.no_cache = True
    resp.make_conditional(request)
    return resp


def attachment(ascii_name: str, name: str) -> str:
    """A ``Content-Disposition`` that keeps a non-ASCII file name (RFC 6266 ``filename*``,
    RFC 5987 encoding) with an ASCII fallback for old clients."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def link_alternate(resp: Response, href: str, mimetype: str = "application/json") -> Response:
    """Name the page's JSON twin (``Link: <href>; rel="alternate"; type=...``)."""
    resp.headers.add("Link", f'<{href}>; rel="alternate"; type="{mimetype}"')
    return resp


@dataclass(frozen=True)
class NearestRequest:
    """A parsed nearest request: the query, the input coordinate system, the town whose
    seat is the position (when picked by town), and whether k is per layer."""

    query: NearestQuery
    coord: str
    town: str | None
    per_layer: bool


def parse_nearest(svc: Service, args: MultiDict, default_k: int | None = None) -> NearestRequest:
    """Parse the nearest parameters (shared by the API and the phone page)."""
    town = params.TOWN.parse(args)
    if "lon" not in args and "lat" not in args and town:
        pt, system = svc.town_position(town), params.CoordSystem.WGS84
    else:
        pt, system = params.point(args)
        if town is not None:
            svc.town_position(town)  # checked wherever given, though lon/lat win
            town = None
    k = params.K.parse(args) if default_k is None or "k" in args else default_k
    query = NearestQuery(
        point=pt,
        layers=svc.resolve_layers(params.LAYER.parse(args)),
        k=k,
        max_distance_m=params.MAX_DISTANCE.parse(args),
        amenities=frozenset(params.AMENITY.parse(args)),
        at=params.AT.parse(args),
        open_on_arrival=params.OPEN_NOW.parse(args),
        travel=params.TRAVEL.parse(args),
        keep_unknown_hours=params.UNKNOWN_HOURS.parse(args),
    )
    return NearestRequest(query, system.value, town, params.PER_LAYER.parse(args))


@dataclass(frozen=True)
class TripRequest:
    """A facility's details asked from a starting point (optional, WGS-84) at a moment
    (``at``, else now), travelling by ``travel``."""

    origin: Point | None
    travel: str
    at: dt.datetime


def parse_trip(args: MultiDict, now: dt.datetime) -> TripRequest:
    """``lon``/``lat`` (in ``coord``), ``travel`` and ``at`` (default ``now``) of a
    facility's details."""
    params.COORD.parse(args)  # checked wherever given
    origin = None
    if "lon" in args or "lat" in args:
        for p, other in ((params.LON, params.LAT), (params.LAT, params.LON)):
            if p.name not in args:
                raise p.fail(f"is required ({p.unit}) with {other.name}")
        origin = params.point(args)[0]
    return TripRequest(origin, params.TRAVEL.parse(args), params.AT.parse(args) or now)
