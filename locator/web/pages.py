"""HTML pages. Each has a JSON twin in :mod:`locator.web.api` making the same domain call."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from ..hours import now
from ..maps import facility_map, overview_map
from ..models import AMENITIES, FACILITY_LAYERS
from . import format as fmt
from . import links, params
from .api import catalog, parse_nearest
from .assets import map_assets
from .i18n import WEEKDAYS, current_lang, translate

bp = Blueprint("pages", __name__)

RESULTS_PER_LAYER = 3
#: the amenity filters offered on the phone page
FILTER_AMENITIES = ("microwave", "charging", "toilet", "drinking_water", "nursing",
                    "air_conditioning", "e_bike_battery")


@bp.app_context_processor
def _inject():
    lang = current_lang()

    def lang_switch_query() -> str:
        args = MultiDict(request.args)
        args["lang"] = "en" if lang == "zh" else "zh"
        return urlencode(list(args.items(multi=True)))

    return {"lang": lang, "t": lambda key, **kw: translate(key, lang, **kw), "fmt": fmt,
            "links": links, "weekdays": WEEKDAYS[lang], "amenity_terms": AMENITIES,
            "lang_switch_query": lang_switch_query}


def _form_args() -> MultiDict:
    """Query parameters without the empty fields an HTML form sends."""
    return MultiDict([(k, v) for k, v in request.args.items(multi=True) if v.strip()])


@bp.get("/")
def home():
    cat = catalog()
    args = _form_args()
    answer = query = None
    if any(k in args for k in ("lon", "lat", "town")):
        query, _ = parse_nearest(args, default_k=RESULTS_PER_LAYER)
        answer = cat.nearest_by_layer(query, now())
    infos = cat.layer_infos()
    town = cat.towns.get(args.get("town", "")) if "lon" not in args else None
    return render_template(
        "index.html", answer=answer, query=query, town=town, args=args,
        towns_by_district=cat.towns_by_district(), layers=infos,
        any_sample=any(i.sample for i in infos), filter_amenities=FILTER_AMENITIES,
        chosen_amenities=set(params.csv_list(args, "amenity")),
        open_now=params.boolean(args, "open_now"), per_layer=RESULTS_PER_LAYER)


@bp.get("/map")
def map_page():
    cat = catalog()
    args = _form_args()
    position = params.point(args)[0] if ("lon" in args or "lat" in args) else None
    lang = current_lang()
    layers = {lid: (f"{zh} {en}", cat.layers[lid].facilities)
              for lid, (zh, en) in FACILITY_LAYERS.items() if lid in cat.layers}
    parts = overview_map(map_assets(), current_app.config["TILES"], layers,
                         cat.district_outlines, position,
                         f"?lang={lang}" if lang != "zh" else "")
    infos = cat.layer_infos()
    return render_template("map.html", parts=parts, any_sample=any(i.sample for i in infos),
                           tiles=current_app.config["TILES"])


@bp.get("/f/<facility_id>")
def facility_page(facility_id: str):
    details = catalog().facility_details(facility_id, now())
    fac = details.facility
    zh, en = FACILITY_LAYERS.get(fac.layer, (fac.layer, fac.layer))
    parts = facility_map(map_assets(), current_app.config["TILES"], fac, f"{zh} {en}")
    return render_template(
        "facility.html", fac=fac, p=fac.properties, layer_name=(zh, en), parts=parts,
        status=details.status, week=details.week, today=details.at.date(),
        tiles=current_app.config["TILES"], any_sample=fac.is_sample)
