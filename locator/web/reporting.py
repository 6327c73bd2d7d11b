"""What the report panels of the pages need (issue #25): the words their script shows and
the amenity names, in the page's language. The reports themselves go to
``POST /api/v1/reports`` (``report.js``); nothing here stores anything."""

from __future__ import annotations

from locator.values.models import AMENITIES
from locator.web import format as fmt
from locator.web.i18n import translate

#: the public endpoint the pages send reports to
REPORTS_API = "/api/v1/reports"

#: the ways of work a "station needed here" request may name (the contract's `work`)
WORKS = ("delivery", "sanitation", "construction", "other")

#: the words report.js shows (texts of the page's language)
REPORT_TEXTS = (
    "report_received",
    "report_waiting",
    "report_sent",
    "report_failed",
    "report_sending",
    "report_place_set",
    "report_place_needed",
    "report_locating",
    "report_no_position",
    "report_need_here",
    "report_need_pick",
    "report_missing",
    "report_broken",
    "report_confirm",
    "report_wrong",
)


def report_config(lang: str, map_name: str | None = None, coord: str = "wgs84") -> dict:
    """report.js's configuration: the endpoint, the words, the amenity names, and the map
    a tap on which gives a position (``map_name``, the Leaflet variable, in ``coord``:
    ``wgs84`` or ``gcj02``)."""
    return {
        "api": REPORTS_API,
        "lang": lang,
        "map": map_name,
        "coord": coord,
        "amenities": {term: fmt.amenity_label(term, lang) for term in AMENITIES},
        "texts": {key: translate(key, lang) for key in REPORT_TEXTS},
    }
