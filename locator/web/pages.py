"""HTML pages: parse -> one domain call -> render. Each names its JSON twin (the API call
that answers the same question) in a ``Link: rel="alternate"`` header and in its head."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import Blueprint, current_app, make_response, render_template, request
from werkzeug.datastructures import MultiDict

from ..hours import now
from ..maps import facility_map, overview_map, route_map
from ..models import AMENITIES
from . import format as fmt
from . import links, params
from .assets import app_asset, map_assets
from .context import GEOJSON, catalog, link_alternate, parse_nearest
from .i18n import WEEKDAYS, current_lang, translate

bp = Blueprint("pages", __name__)

RESULTS_PER_LAYER = 3
#: the amenity filters offered on the phone page
FILTER_AMENITIES = ("microwave", "charging", "toilet", "drinking_water", "nursing",
                    "air_conditioning", "e_bike_battery")
#: the phone page's parameters that its JSON twin (/api/v1/nearest) takes as they are
TWIN_PARAMS = ("lon", "lat", "coord", "town", "layer", "amenity", "open_now", "at",
               "max_distance_m")


@bp.app_context_processor
def _inject():
    lang = current_lang()

    def lang_switch_query() -> str:
        args = MultiDict(request.args)
        args["lang"] = "en" if lang == "zh" else "zh"
        return urlencode(list(args.items(multi=True)))

    return {"lang": lang, "t": lambda key, **kw: translate(key, lang, **kw), "fmt": fmt,
            "links": links, "weekdays": WEEKDAYS[lang], "amenity_terms": AMENITIES,
            "lang_switch_query": lang_switch_query, "app_asset": app_asset}


def _form_args() -> MultiDict:
    """Query parameters without the empty fields an HTML form sends."""
    return MultiDict([(k, v) for k, v in request.args.items(multi=True) if v.strip()])


def _page(template: str, twin: str, twin_type: str = "application/json", **context):
    resp = make_response(render_template(template, twin=twin, twin_type=twin_type, **context))
    return link_alternate(resp, twin, twin_type)


@bp.get("/")
def home():
    cat = catalog()
    args = _form_args()
    req = None
    if any(k in args for k in ("lon", "lat", "town")):
        req = parse_nearest(cat, args, default_k=RESULTS_PER_LAYER)
    else:  # no position yet: the filters are still checked, not silently dropped
        cat.resolve_layers(params.LAYER.parse(args))
        params.AMENITY.parse(args)
    view = cat.phone_view(req.query if req else None, now(), req.town if req else None)
    if req:
        twin_args = [(k, v) for k, v in args.items(multi=True) if k in TWIN_PARAMS]
        twin = "/api/v1/nearest?" + urlencode(
            twin_args + [("per_layer", "true"), ("k", str(req.query.k))])
    else:
        twin = "/api/v1/layers"
    return _page(
        "index.html", twin, GEOJSON if req else "application/json", answer=view.answer,
        town=view.town, args=args,
        towns_by_district=view.towns_by_district, layers=view.layers,
        any_sample=view.any_sample, filter_amenities=FILTER_AMENITIES,
        chosen_amenities=set(params.AMENITY.parse(args)),
        open_now=params.OPEN_NOW.parse(args), per_layer=RESULTS_PER_LAYER)


@bp.get("/map")
def map_page():
    cat = catalog()
    args = _form_args()
    position = params.point(args)[0] if ("lon" in args or "lat" in args) else None
    lang = current_lang()
    view = cat.map_view(int(current_app.config["MAP_MAX_POINTS"]))
    routes = cat.collection_info("rural_routes")
    parts = overview_map(map_assets(), current_app.config["TILES"], view.layers,
                         view.district_outlines, position,
                         f"?lang={lang}" if lang != "zh" else "", view.routes,
                         (routes.colour, f"{routes.name_zh} {routes.name_en}"))
    return _page("map.html", "/api/v1/layers", parts=parts, any_sample=view.any_sample,
                 tiles=current_app.config["TILES"], thinned=view.thinned)


@bp.get("/f/<facility_id>")
def facility_page(facility_id: str):
    details = catalog().facility_details(facility_id, now())
    fac, layer = details.facility, details.layer
    parts = facility_map(map_assets(), current_app.config["TILES"], fac,
                         f"{layer.name_zh} {layer.name_en}", layer.colour)
    return _page(
        "facility.html", f"/api/v1/facilities/{quote(fac.id, safe='')}", GEOJSON, fac=fac,
        p=fac.properties, layer_name=(layer.name_zh, layer.name_en), parts=parts,
        status=details.status, week=details.week, today=details.at.date(),
        tiles=current_app.config["TILES"], any_sample=fac.is_sample)


@bp.get("/routes")
def routes_page():
    cat = catalog()
    args = _form_args()
    district, theme = params.DISTRICT.parse(args), params.THEME.parse(args)
    found = cat.routes(district, theme)
    chosen = [(k, v) for k, v in args.items() if k in ("district", "theme")]
    twin = "/api/v1/routes" + (f"?{urlencode(chosen)}" if chosen else "")
    return _page("routes.html", twin, GEOJSON, found=found, district=district, theme=theme,
                 any_sample=found.any_sample, illustrative=True)


@bp.get("/routes/<route_id>")
def route_page(route_id: str):
    cat = catalog()
    details = cat.route(route_id)
    lang = current_lang()
    labels = {i.id: (i.name_zh if lang == "zh" else i.name_en)
              for i in cat.collection_infos(facilities_only=True)}
    colours = {i.id: i.colour for i in cat.collection_infos(facilities_only=True)}
    parts = route_map(map_assets(), current_app.config["TILES"], details,
                      cat.collection_info("rural_routes").colour, labels, colours,
                      f"?lang={lang}" if lang != "zh" else "")
    return _page("route.html", f"/api/v1/routes/{quote(details.summary.id, safe='')}",
                 GEOJSON, d=details, r=details.summary, parts=parts, layer_labels=labels,
                 any_sample=details.summary.sample, illustrative=True,
                 tiles=current_app.config["TILES"])
