"""HTML pages: parse -> one domain call -> render. Each names its JSON twin (the API call
that answers the same question) in a ``Link: rel="alternate"`` header and in its head."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from locator.maps import (
    basemap_system,
    facility_map,
    overview_map,
    point_rows,
    route_map,
)
from locator.operations.hours import now
from locator.operations.nearest import TRAVEL_MODES
from locator.operations.routes import REASON_TEXT
from locator.values import registry
from locator.values.models import AMENITIES
from locator.web import format as fmt
from locator.web import links, params, reporting
from locator.web.assets import app_asset, build_version, map_assets
from locator.web.context import (
    GEOJSON,
    YEAR_S,
    conditional,
    link_alternate,
    parse_nearest,
    parse_trip,
    service,
)
from locator.web.http import csp_nonce
from locator.web.i18n import (
    LANG_COOKIE,
    LANGS,
    STRINGS,
    WEEKDAYS,
    current_lang,
    translate,
)

bp = Blueprint("pages", __name__)

RESULTS_PER_LAYER = 3
#: the amenity filters offered on the phone page
FILTER_AMENITIES = (
    "microwave",
    "charging",
    "toilet",
    "drinking_water",
    "nursing",
    "air_conditioning",
    "e_bike_battery",
)
#: the phone page's parameters that its JSON twin (/api/v1/nearest) takes as they are
TWIN_PARAMS = (
    "lon",
    "lat",
    "coord",
    "town",
    "layer",
    "amenity",
    "open_now",
    "include_unknown_hours",
    "at",
    "max_distance_m",
    "travel",
)
#: the facility page's parameters that its JSON twin takes as they are
TRIP_PARAMS = ("lon", "lat", "coord", "travel", "at")
#: choices a visitor makes once and the phone remembers (a year), from ?lang= and ?travel=
REMEMBERED = {LANG_COOKIE: LANGS, "travel": TRAVEL_MODES}
REMEMBER_S = YEAR_S


@bp.app_context_processor
def _inject():
    lang = current_lang()

    def lang_switch_query() -> str:
        args = MultiDict(request.args)
        args["lang"] = "en" if lang == "zh" else "zh"
        return urlencode(list(args.items(multi=True)))

    def lang_switch_href() -> str:
        """This page in the other language. The path is this site's own: "/\\evil" or
        "//evil" (which a browser would take for another host) become "/"."""
        path = request.path
        if path.startswith(("//", "/\\")) or "\\" in path:
            path = "/"
        return f"{path}?{lang_switch_query()}"

    def query_with(**changes: str) -> str:
        """This page's query string with ``changes`` applied (a value of "" removes)."""
        args = MultiDict(request.args)
        for key, value in changes.items():
            args.poplist(key)
            if value:
                args[key] = value
        return "?" + urlencode(list(args.items(multi=True)))

    def sample_layers() -> tuple[list[str], int]:
        """Names of the facility layers that are sample data, and how many layers there
        are (the banner names them when only some are)."""
        infos = service().collection_infos(facilities_only=True)
        return ([i.name_zh if lang == "zh" else i.name_en for i in infos if i.sample], len(infos))

    city = service().city

    return {
        "lang": lang,
        # the city profile of the request's data: title, names, hotline, attribution
        "city": city,
        "t": lambda key, **kw: translate(key, lang, city, **kw),
        "fmt": fmt,
        "links": links,
        "weekdays": WEEKDAYS[lang],
        "amenity_terms": AMENITIES,
        "lang_switch_query": lang_switch_query,
        "lang_switch_href": lang_switch_href,
        "query_with": query_with,
        "app_asset": app_asset,
        "sample_layers": sample_layers,
        # reports from the street (templates/_report.html)
        "verified": lambda on: fmt.verified_text(on, now().date(), lang),
        "report_config": lambda map_name=None, coord="wgs84": reporting.report_config(
            lang, map_name, coord
        ),
        "report_works": reporting.WORKS,
    }


@bp.after_app_request
def _remember(resp):
    """An HTML page remembers ``?lang=`` and ``?travel=`` in cookies, and says that its
    content follows them and the browser's languages (``Vary``)."""
    if resp.mimetype != "text/html":
        return resp
    # a page the service worker keeps for later (each language's) is no visitor's choice
    remember = not g.get("locator_kept_page")
    for name, valid in REMEMBERED.items():
        value = (request.args.get(name) or "").strip().lower()
        if remember and value in valid and request.cookies.get(name) != value:
            resp.set_cookie(
                name, value, max_age=REMEMBER_S, samesite="Lax", secure=request.is_secure
            )
    resp.vary.update(("Cookie", "Accept-Language"))
    return resp


def _travel(args: MultiDict) -> MultiDict:
    """``args`` with the remembered way of travel when the URL does not say."""
    remembered = (request.cookies.get("travel") or "").lower()
    if "travel" in args or remembered not in TRAVEL_MODES:
        return args
    args = args.copy()
    args["travel"] = remembered
    return args


def _form_args() -> MultiDict:
    """Query parameters without the empty fields an HTML form sends."""
    return MultiDict([(k, v) for k, v in request.args.items(multi=True) if v.strip()])


def _page(template: str, twin: str, twin_type: str = "application/json", **context):
    resp = make_response(render_template(template, twin=twin, twin_type=twin_type, **context))
    return link_alternate(resp, twin, twin_type)


@bp.get("/")
def home():
    svc = service()
    args = _travel(_form_args())
    travel = params.TRAVEL.parse(args)
    req = None
    if any(k in args for k in ("lon", "lat", "town")):
        req = parse_nearest(svc, args, default_k=RESULTS_PER_LAYER)
    else:  # no position yet: the filters are still checked, not silently dropped
        svc.resolve_layers(params.LAYER.parse(args))
        params.AMENITY.parse(args)
    view = svc.phone_view(req.query if req else None, now(), req.town if req else None)
    if req:
        twin_args = [(k, v) for k, v in args.items(multi=True) if k in TWIN_PARAMS]
        twin = "/api/v1/nearest?" + urlencode(
            twin_args + [("per_layer", "true"), ("k", str(req.query.k))]
        )
    else:
        twin = "/api/v1/layers"
    return _page(
        "index.html",
        twin,
        GEOJSON if req else "application/json",
        answer=view.answer,
        town=view.town,
        args=args,
        towns_by_district=view.towns_by_district,
        layers=view.layers,
        any_sample=view.any_sample,
        filter_amenities=FILTER_AMENITIES,
        chosen_amenities=set(params.AMENITY.parse(args)),
        open_now=params.OPEN_NOW.parse(args),
        include_unknown=params.UNKNOWN_HOURS.parse(args),
        per_layer=RESULTS_PER_LAYER,
        travel=travel,
        # the city's union hotline (city.json): shown as the federation's, never as a
        # station's own number
        hotline=svc.city.hotline_number,
        phone_config=_phone_config(svc.version, travel),
        network_date=fmt.network_date(svc.network_info),
        # the street network's credit when the answer's times are along it
        network_credit=fmt.network_credit(svc.network_info, current_lang())
        if view.answer is not None and view.answer.measured != "straight-line"
        else None,
    )


#: the words the phone page's offline answers use (texts of the page's language)
PHONE_TEXTS = (
    "walk",
    "ebike",
    "walk_long",
    "ebike_long",
    "too_far_walk",
    "too_far",
    "baidu",
    "details",
    "offline_banner",
    "arrival_open",
    "arrival_closed",
    "arrival_unknown",
    "position_town",
    "not_packed",
    "call",
    "hotline_fallback",
    "no_pack",
    "unknown_left_out",
    "show_unknown",
    "amenities",
    "straight_estimate",
    "offline_estimates",
)


def _phone_config(version: str, travel: str) -> dict:
    """What phone.js needs: today's pack URL, the way of travel and the words."""
    lang = current_lang()
    texts = {k: translate(k, lang) for k in PHONE_TEXTS + fmt.PHRASE_KEYS}
    texts["navigate_amap"] = f"{translate('navigate', lang)} · {translate('amap', lang)}"
    texts["position"] = (
        translate("position_point", lang)
        .replace("{lat:.5f}", "{lat}")
        .replace("{lon:.5f}", "{lon}")
    )
    day = now().date().isoformat()
    return {
        "pack": url_for("offline.pack", v=f"{version}-{day}"),
        "lang": lang,
        "travel": travel,
        "langQuery": "?lang=en" if lang == "en" else "",
        "hotline": service().city.hotline_number,
        "region": service().city.short_name.zh,
        "amenities": {
            term: [fmt.amenity_name(term, lang), fmt.amenity_icon(term)] for term in AMENITIES
        },
        "weekdays": WEEKDAYS[lang],
        "texts": texts,
    }


#: rendered /map pages kept (by data version, tiles, language and URL)
MAP_CACHE_SIZE = 32


class _PageCache:
    """A small LRU of rendered pages; a new data version makes new keys, the old ones age
    out."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _map_cache() -> _PageCache:
    return current_app.extensions.setdefault("locator_map_cache", _PageCache(MAP_CACHE_SIZE))


def _points_version(version: str) -> str:
    """What the map's points depend on: the data, the tiles' coordinate system and how
    many points a layer may draw."""
    return f"{version}-{current_app.config['TILES']}-{current_app.config['MAP_MAX_POINTS']}"


@bp.get("/map")
def map_page():
    """The overview map: built once per data version, tile provider, language and URL,
    and answered with an ETag; the facilities come from /map/points.json."""
    svc = service()
    args = _form_args()
    position = params.point(args)[0] if ("lon" in args or "lat" in args) else None
    lang = current_lang()
    tiles = current_app.config["TILES"]
    key = (svc.version, tiles, lang, request.full_path)
    cached = _map_cache().get(key)
    if cached is None:
        view = svc.map_view(int(current_app.config["MAP_MAX_POINTS"]))
        routes = svc.collection_info("rural_routes")
        parts = overview_map(
            map_assets(),
            tiles,
            view.district_outlines,
            position,
            view.routes,
            (routes.colour, translate("routes_layer", lang)),
            translate("boundaries_layer", lang),
            lang=lang,
            city=svc.city,
            network_credit=fmt.network_credit(svc.network_info, lang),
        )
        chips = [
            {
                "id": info.id,
                "colour": info.colour,
                "count": len(drawn),
                "name": _chip_name(info.id, lang),
            }
            for info, drawn in view.layers
        ]
        config = {
            "map": parts.name,
            "coord": basemap_system(tiles).value,
            "lang": lang,
            "points": url_for("pages.map_points", v=_points_version(svc.version)),
            "layers": chips,
            "you": [position.lat, position.lon] if position else None,
            "youWgs": [position.lon, position.lat] if position else None,
            "langQuery": "?lang=en" if lang == "en" else "",
            "texts": {k: translate(k, lang) for k in MAP_TEXTS},
        }
        html = render_template(
            "map.html",
            twin="/api/v1/layers",
            twin_type="application/json",
            parts=parts,
            chips=chips,
            config=config,
            any_sample=view.any_sample,
            tiles=tiles,
            thinned=view.thinned,
        )
        cached = (html, csp_nonce())
        _map_cache().put(key, cached)
    # the page is kept with the nonce of the response that made it: each answer gets its own
    html, made_with = cached
    resp = link_alternate(make_response(html.replace(made_with, csp_nonce())), "/api/v1/layers")
    # the ETag also follows the tiles and the release (templates, scripts, strings)
    return conditional(resp, svc.version, extra=f"{lang}|{tiles}|{build_version()}")


@bp.get("/map/points.json")
def map_points():
    """The facilities of the overview map as compact rows (see maps.point_rows), in the
    basemap's coordinates. With the current ``v`` a year in any cache; it never changes."""
    svc = service()
    key = ("points", _points_version(svc.version))
    body = _map_cache().get(key)
    if body is None:
        view = svc.map_view(int(current_app.config["MAP_MAX_POINTS"]))
        body = orjson.dumps(
            {
                "layers": [info.id for info, _ in view.layers],
                "rows": point_rows(view.layers, current_app.config["TILES"]),
            }
        ).decode()
        _map_cache().put(key, body)
    current = request.args.get("v") == _points_version(svc.version)
    resp = conditional(
        Response(body, mimetype="application/json"), svc.version, max_age=YEAR_S if current else 0
    )
    if current:
        resp.cache_control.immutable = True
    return resp


def _chip_name(layer: str, lang: str) -> str:
    """A layer's name on the map's chips: short, in the page's language."""
    key = f"chip_{layer}"
    if key in STRINGS:
        return translate(key, lang)
    decl = registry.BY_ID[layer]
    return decl.short_zh if lang == "zh" else decl.short_en


#: the words the map's script shows (texts of the page's language)
MAP_TEXTS = (
    "locate_me",
    "locating",
    "locate_insecure_map",
    "locate_denied_map",
    "locate_unavailable_map",
    "locate_timeout_map",
    "you_are_here",
    "find_here",
    "attribution_toggle",
    "map_load_failed",
)


@bp.get("/f/<facility_id>")
def facility_page(facility_id: str):
    svc = service()
    args = _travel(_form_args())
    trip = parse_trip(args, now())
    details = svc.facility_details(facility_id, trip.at, trip.origin, trip.travel)
    travel = trip.travel
    lang = current_lang()
    fac, layer = details.facility, details.layer
    parts = facility_map(
        map_assets(),
        current_app.config["TILES"],
        fac,
        f"{layer.name_zh} {layer.name_en}",
        layer.colour,
        lang=current_lang(),
        city=svc.city,
        network_credit=fmt.network_credit(svc.network_info, lang),
    )
    twin_args = [(k, v) for k, v in args.items(multi=True) if k in TRIP_PARAMS]
    return _page(
        "facility.html",
        f"/api/v1/facilities/{quote(fac.id, safe='')}"
        + (f"?{urlencode(twin_args)}" if twin_args else ""),
        GEOJSON,
        fac=fac,
        p=fac.properties,
        layer_name=(layer.name_zh, layer.name_en),
        parts=parts,
        status=details.status,
        trip=details.trip,
        week=details.week,
        today=details.at.date(),
        tiles=current_app.config["TILES"],
        basemap_coord=basemap_system(current_app.config["TILES"]).value,
        any_sample=fac.is_sample,
        travel=travel,
        hotline=svc.city.hotline_number,
        network_date=fmt.network_date(details.network),
        network_credit=fmt.network_credit(details.network, lang)
        if details.trip is not None and details.trip.along_network
        else None,
    )


@bp.get("/routes")
def routes_page():
    svc = service()
    args = _form_args()
    district, theme = params.DISTRICT.parse(args), params.THEME.parse(args)
    found = svc.routes(district, theme)
    chosen = [(k, v) for k, v in args.items() if k in ("district", "theme")]
    twin = "/api/v1/routes" + (f"?{urlencode(chosen)}" if chosen else "")
    return _page(
        "routes.html",
        twin,
        GEOJSON,
        found=found,
        district=district,
        theme=theme,
        any_sample=found.any_sample,
        illustrative=True,
    )


@bp.get("/routes/<route_id>")
def route_page(route_id: str):
    svc = service()
    details = svc.route(route_id)
    lang = current_lang()
    labels = {
        i.id: (i.name_zh if lang == "zh" else i.name_en)
        for i in svc.collection_infos(facilities_only=True)
    }
    colours = {i.id: i.colour for i in svc.collection_infos(facilities_only=True)}
    parts = route_map(
        map_assets(),
        current_app.config["TILES"],
        details,
        svc.collection_info("rural_routes").colour,
        labels,
        colours,
        f"?lang={lang}" if lang != "zh" else "",
        lang=lang,
        city=svc.city,
        network_credit=fmt.network_credit(svc.network_info, lang),
    )
    return _page(
        "route.html",
        f"/api/v1/routes/{quote(details.summary.id, safe='')}",
        GEOJSON,
        d=details,
        r=details.summary,
        reason_text=REASON_TEXT,
        parts=parts,
        layer_labels=labels,
        any_sample=details.summary.sample,
        illustrative=True,
        tiles=current_app.config["TILES"],
    )
