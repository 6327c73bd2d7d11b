"""Turn domain values into short bilingual text for the pages."""

from __future__ import annotations

import datetime as dt
import math
import re

from markupsafe import Markup

from locator.operations.hours import HoursPhrase, HoursStatus, hours_phrase
from locator.operations.nearest import Nearby
from locator.operations.network import NetworkInfo
from locator.values.models import AMENITIES
from locator.web.i18n import WEEKDAYS, translate

AMENITY_ICONS = {
    "drinking_water": "🚰",
    "microwave": "🍱",
    "charging": "🔌",
    "toilet": "🚻",
    "seating": "🪑",
    "air_conditioning": "❄️",
    "first_aid": "⛑️",
    "wifi": "📶",
    "fridge": "🧊",
    "nursing": "🍼",
    "changing_table": "👶",
    "books": "📚",
    "e_bike_battery": "🔋",
    "locker": "🔐",
    "umbrella": "☂️",
    "hot_water": "♨️",
    "repair_kit": "🔧",
}


def distance_text(distance_m: float) -> str:
    """Metres under 1 km (to 10 m), else kilometres to 0.1 km."""
    if distance_m < 1000:
        return f"{max(10, round(distance_m / 10) * 10):.0f} m"
    return f"{distance_m / 1000:.1f} km"


def clock_text(when: dt.datetime, ref: dt.datetime, lang: str) -> str:
    """``HH:MM`` today, else the weekday (within a week) or the date."""
    hhmm = when.strftime("%H:%M")
    days = (when.date() - ref.date()).days
    if days == 0:
        return hhmm
    if 0 < days < 7:
        return f"{WEEKDAYS[lang][when.weekday()]} {hhmm}"
    return f"{when.strftime('%m-%d')} {hhmm}"


#: every wording :func:`locator.operations.hours.hours_phrase` may choose (the offline
#: script gets the same texts, and mirrors the rule)
PHRASE_KEYS = (
    "open_until",
    "open_always",
    "closed_until",
    "closed",
    "hours_unknown",
    "arrive_closed",
    "arrive_open",
    "arrival_open",
    "arrival_closed",
    "arrival_unknown_state",
)


def phrase_text(phrase: HoursPhrase, lang: str) -> str:
    """A card's hours in words (not cached: a phrase carries the request's time)."""
    if phrase.time is None:
        return translate(phrase.key, lang)
    return translate(phrase.key, lang, time=clock_text(phrase.time, phrase.ref, lang))


def hours_text(status: HoursStatus, lang: str, on_arrival: HoursStatus | None = None) -> str:
    """The hours of a place in words: the state on arrival first when it differs from the
    state now (:func:`locator.operations.hours.hours_phrase` decides)."""
    return phrase_text(hours_phrase(status, on_arrival), lang)


#: a walk longer than this is not suggested (minutes); an e-bike estimate longer than this
#: is not given at all (the point is far outside the city)
WALK_MAX_MIN = 180.0
EBIKE_MAX_MIN = 360.0


def _estimate(minutes: float, mode: str, limit: float, lang: str) -> str:
    if minutes > limit:
        return translate("too_far_walk" if mode == "walk" else "too_far", lang)
    if minutes > 60:
        return translate(f"{mode}_long", lang, text=duration_text(minutes, lang))
    return translate(mode, lang, min=max(1, math.ceil(minutes)))


def estimates(walk_min: float, ebike_min: float, travel: str, lang: str) -> list[str]:
    """The time estimates of one result, the chosen way of travel first: e-bike and walking
    both, so that a 7 km result never says only "步行约 123 分钟"; far outside the city,
    one line saying it is too far."""
    if ebike_min > EBIKE_MAX_MIN:
        return [translate("too_far", lang)]
    ebike = _estimate(ebike_min, "ebike", EBIKE_MAX_MIN, lang)
    walk = _estimate(walk_min, "walk", WALK_MAX_MIN, lang)
    return [ebike, walk] if travel == "ebike" else [walk, ebike]


def network_texts(item: Nearby, travel: str, lang: str) -> list[str]:
    """A result measured along the streets: its way of travel and distance, then its
    time ("骑行 3.2 km", "约 13 分钟"); a walk too long to suggest says so."""
    km = distance_text(item.distance_m)
    minutes = item.travel_min(travel)
    head = translate("net_ebike" if travel == "ebike" else "net_walk", lang, km=km)
    limit = EBIKE_MAX_MIN if travel == "ebike" else WALK_MAX_MIN
    if minutes > limit:
        return [head, translate("too_far" if travel == "ebike" else "too_far_walk", lang)]
    if minutes > 60:
        return [head, translate("net_long", lang, text=duration_text(minutes, lang))]
    return [head, translate("net_min", lang, min=max(1, math.ceil(minutes)))]


def network_credit(info: NetworkInfo | None, lang: str) -> str | None:
    """The street network's credit for a map or a footer (None without a network), as
    escaped markup: the attribution comes from the network file, and Leaflet puts a
    map's attribution line in as HTML."""
    if info is None:
        return None
    return Markup.escape(translate("network_credit", lang, attribution=info.attribution))


def network_date(info: NetworkInfo | None) -> str:
    """The day of the street data: the extract's own date, else when it was built."""
    if info is None:
        return ""
    return (info.source_timestamp or info.built_at or "")[:10]


def basis_text(item: Nearby, lang: str) -> str:
    """How a result was measured, in two words: along the streets, or straight-line."""
    return translate("along_streets" if item.along_network else "straight_estimate", lang)


def basis_reason(item: Nearby, lang: str) -> str:
    """Why a result is a straight-line estimate ("" when it is along the streets)."""
    return translate(f"reason_{item.reason}", lang) if item.reason else ""


def trip_text(item: Nearby, travel: str, lang: str, with_network: bool) -> str:
    """A result or trip in one line, as a card says it (for a map's popup): along the
    streets, or today's estimates, labelled when the data has a network."""
    if item.along_network:
        return " · ".join([*network_texts(item, travel, lang), basis_text(item, lang)])
    parts = [distance_text(item.distance_m)]
    found = estimates(item.walk_min, item.ebike_min, travel, lang)
    parts += found[:1] if with_network else found
    if with_network:
        parts.append(basis_text(item, lang))
    return " · ".join(parts)


_DAY_NAMES = {"Mo": 0, "Tu": 1, "We": 2, "Th": 3, "Fr": 4, "Sa": 5, "Su": 6}
_RULE = re.compile(
    r"^(?:(?P<days>(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:[-,](?:Mo|Tu|We|Th|Fr|Sa|Su|PH))*)"
    r"\s*)?(?P<times>\d\d:\d\d-\d\d:\d\d(?:,\d\d:\d\d-\d\d:\d\d)*|off|closed)?$"
)


def _day_set(spec: str | None) -> set[str] | None:
    """The days a rule's day part names (every day when it names none); None when it is
    not a plain list of days and ranges."""
    order = list(_DAY_NAMES)
    if not spec:
        return set(order)
    out: set[str] = set()
    for piece in spec.split(","):
        if piece == "PH":
            out.add("PH")
            continue
        ends = piece.split("-")
        if len(ends) == 1 and ends[0] in _DAY_NAMES:
            out.add(ends[0])
        elif (
            len(ends) == 2
            and all(e in _DAY_NAMES for e in ends)
            and order.index(ends[0]) <= order.index(ends[1])
        ):
            out.update(order[order.index(ends[0]) : order.index(ends[1]) + 1])
        else:
            return None
    return out


def _days_text(spec: str, lang: str) -> str:
    names = WEEKDAYS[lang]
    parts = []
    for piece in spec.split(","):
        if piece == "PH":
            parts.append("法定节假日" if lang == "zh" else "public holidays")
        elif "-" in piece:
            a, b = piece.split("-")
            if (a, b) == ("Mo", "Su"):
                parts.append("每天" if lang == "zh" else "daily")
            else:
                sep = "至" if lang == "zh" else "–"
                parts.append(f"{names[_DAY_NAMES[a]]}{sep}{names[_DAY_NAMES[b]]}")
        else:
            parts.append(names[_DAY_NAMES[piece]])
    return ("、" if lang == "zh" else ", ").join(parts)


def opening_hours_text(osm: str | None, lang: str) -> str | None:
    """OpenStreetMap ``opening_hours`` in words for the common forms (``Mo-Fr 08:30-17:30;
    PH off`` -> ``周一至周五 08:30–17:30；法定节假日休息``); None for forms it does not know
    (the page then shows the rule as it is, labelled as OSM syntax)."""
    if not osm:
        return None
    if osm.strip() == "24/7":
        return "每天 24 小时" if lang == "zh" else "24 hours, every day"
    out = []
    covered: set[str] = set()
    for rule in (r.strip() for r in osm.split(";") if r.strip()):
        m = _RULE.match(rule)
        if not m or not m["times"]:  # "Mo-Fr" alone means open all day: left to the table
            return None
        day_set = _day_set(m["days"])
        if day_set is None or day_set & covered:  # a later rule overrides: words mislead
            return None
        covered |= day_set
        days = _days_text(m["days"], lang) if m["days"] else ("每天" if lang == "zh" else "daily")
        times = m["times"]
        if times in ("off", "closed"):
            out.append(f"{days}休息" if lang == "zh" else f"{days}: closed")
        else:
            spans = [t.replace("-", "–") for t in times.split(",")]
            out.append(
                f"{days} {'、'.join(spans)}" if lang == "zh" else f"{days} {', '.join(spans)}"
            )
    return ("；" if lang == "zh" else "; ").join(out)


def amenity_name(term: str, lang: str) -> str:
    zh, en = AMENITIES.get(term, (term, term))
    return zh if lang == "zh" else en


def amenity_icon(term: str) -> str:
    return AMENITY_ICONS.get(term, "•")


def amenity_label(term: str, lang: str) -> str:
    return f"{amenity_icon(term)} {amenity_name(term, lang)}"


def duration_text(minutes: float, lang: str) -> str:
    """``1 小时 40 分钟`` / ``1 h 40 min``, rounded to 5 minutes."""
    total = max(5, int(round(minutes / 5.0)) * 5)
    h, m = divmod(total, 60)
    parts = [f"{h} 小时" if lang == "zh" else f"{h} h"] if h else []
    if m or not h:
        parts.append(f"{m} 分钟" if lang == "zh" else f"{m} min")
    return " ".join(parts)


def route_preview_points(
    geometry: dict,
    width: int = 120,
    height: int = 72,
    pad: int = 6,
    at: list[tuple[float, float]] | tuple[tuple[float, float], ...] | None = None,
) -> list[tuple[float, float]]:
    """A line's vertices fitted into a ``width`` x ``height`` box (SVG y down; longitude
    scaled by cos(latitude) so shapes keep their proportions), each at least a pixel from
    the one before (the last always kept); with ``at`` (WGS-84 positions, e.g. the stops),
    those positions in the same box instead, every one kept."""
    coords = geometry["coordinates"]
    lat0 = math.radians(sum(c[1] for c in coords) / len(coords))
    xs = [c[0] * math.cos(lat0) for c in coords]
    ys = [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    scale = min(width - 2 * pad, height - 2 * pad) / span
    cx = (width - (max(xs) - min(xs)) * scale) / 2
    cy = (height - (max(ys) - min(ys)) * scale) / 2

    def box(x: float, y: float) -> tuple[float, float]:
        return (round(cx + (x - min(xs)) * scale, 1), round(height - cy - (y - min(ys)) * scale, 1))

    if at is not None:
        return [box(lon * math.cos(lat0), lat) for lon, lat in at]
    points = [box(x, y) for x, y in zip(xs, ys, strict=True)]
    # a line along the roads has a vertex at every node: keep those a pixel apart
    kept = points[:1]
    for p in points[1:-1]:
        if abs(p[0] - kept[-1][0]) >= 1 or abs(p[1] - kept[-1][1]) >= 1:
            kept.append(p)
    return kept + points[-1:] if len(points) > 1 else kept


def precision_key(precision: str) -> str:
    if precision in ("site", "town seat", "approximate"):
        return f"precision_{precision}"
    return "precision_other"


def verified_days(verified_on: str | None, today: dt.date) -> int | None:
    """Whole days from a facility's ``verified_on`` (ISO date) to ``today`` (local date);
    ``None`` when there is no date, it does not parse, or it lies in the future."""
    if not verified_on:
        return None
    try:
        day = dt.date.fromisoformat(str(verified_on)[:10])
    except ValueError:
        return None
    days = (today - day).days
    return days if days >= 0 else None


def verified_text(verified_on: str | None, today: dt.date, lang: str) -> str | None:
    """ "X 天前核实 / verified X days ago", or ``None`` when :func:`verified_days` has none."""
    days = verified_days(verified_on, today)
    if days is None:
        return None
    if days == 0:
        return translate("verified_today", lang)
    if days == 1:
        return translate("verified_day", lang)
    return translate("verified_days", lang, n=f"{days:,}" if lang == "en" else str(days))
