"""/offline/pack.json: the offline data pack (:mod:`locator.operations.offline`) for phones.

Under its current version (``?v=<data version>-<day>``) it is the same for a year and says
so (immutable); without it, or with an old one, caches ask again each time (the pack of
today, and of the data as it is now).
"""

from __future__ import annotations

from flask import Blueprint, g, make_response, render_template, request

from locator.operations.hours import now
from locator.values.models import AMENITIES
from locator.web import format as fmt
from locator.web.context import (
    YEAR_S,
    conditional,
    json_response,
    link_alternate,
    service,
)
from locator.web.i18n import WEEKDAYS, current_lang, translate

bp = Blueprint("offline", __name__)


def pack_version(data_version: str, day: str) -> str:
    return f"{data_version}-{day}"


@bp.get("/offline/pack.json")
def pack():
    svc = service()
    today = now().date()
    body = svc.offline_pack(today)
    current = request.args.get("v") == pack_version(svc.version, today.isoformat())
    resp = conditional(
        json_response(body), svc.version, max_age=YEAR_S if current else 0, extra=today.isoformat()
    )
    if current:
        resp.cache_control.immutable = True
    return resp


#: the words of the offline details view (texts of the page's language)
DETAILS_TEXTS = (
    *fmt.PHRASE_KEYS,
    "address",
    "phone",
    "hours",
    "amenities",
    "amenities_unknown",
    "call",
    "no_phone",
    "hotline_fallback",
    "navigate",
    "amap",
    "baidu",
    "geo",
    "offline_banner",
    "offline_details_missing",
    "no_pack",
    "day_closed",
    "day_unknown",
    "today",
    "walk",
    "ebike",
    "walk_long",
    "ebike_long",
    "too_far_walk",
    "too_far",
    "sample",
    "straight_estimate",
)


@bp.get("/offline/facility")
def facility_shell():
    """The page the service worker shows for a facility's details with no network (and no
    copy of that page kept): details.js fills it from the offline pack, for any facility
    the pack holds. Its data is the pack (its JSON twin)."""
    svc = service()
    lang = current_lang()
    g.locator_kept_page = True  # fetched by the worker in each language: no cookie
    config = {
        "lang": lang,
        "langQuery": "?lang=en" if lang == "en" else "",
        "hotline": svc.city.hotline.number,
        "region": svc.city.short_name.zh,
        "weekdays": WEEKDAYS[lang],
        "amenities": {term: fmt.amenity_label(term, lang) for term in AMENITIES},
        "texts": {k: translate(k, lang) for k in DETAILS_TEXTS},
    }
    resp = make_response(
        render_template(
            "offline_facility.html",
            twin="/offline/pack.json",
            twin_type="application/json",
            config=config,
        )
    )
    return link_alternate(resp, "/offline/pack.json", "application/json")
