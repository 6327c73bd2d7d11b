"""Turn domain values into short bilingual text for the pages."""

from __future__ import annotations

import datetime as dt
import math

from ..hours import CLOSED, OPEN, HoursStatus
from ..models import AMENITIES
from .i18n import WEEKDAYS, translate

AMENITY_ICONS = {
    "drinking_water": "🚰", "microwave": "🍱", "charging": "🔌", "toilet": "🚻", "seating": "🪑",
    "air_conditioning": "❄️", "first_aid": "⛑️", "wifi": "📶", "fridge": "🧊", "nursing": "🍼",
    "changing_table": "👶", "books": "📚", "e_bike_battery": "🔋", "locker": "🔐",
    "umbrella": "☂️", "hot_water": "♨️", "repair_kit": "🔧",
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


def hours_text(status: HoursStatus, lang: str) -> str:
    if status.state == OPEN:
        if status.closes_at is None:
            return translate("open_always", lang)
        return translate("open_until", lang, time=clock_text(status.closes_at, status.at, lang))
    if status.state == CLOSED:
        if status.opens_at is None:
            return translate("closed", lang)
        return translate("closed_until", lang, time=clock_text(status.opens_at, status.at, lang))
    return translate("hours_unknown", lang)


def amenity_label(term: str, lang: str) -> str:
    zh, en = AMENITIES.get(term, (term, term))
    return f"{AMENITY_ICONS.get(term, '•')} {zh if lang == 'zh' else en}"


def duration_text(minutes: float, lang: str) -> str:
    """``1 小时 40 分钟`` / ``1 h 40 min``, rounded to 5 minutes."""
    total = max(5, int(round(minutes / 5.0)) * 5)
    h, m = divmod(total, 60)
    if lang == "zh":
        return (f"{h} 小时 " if h else "") + (f"{m} 分钟" if m or not h else "").strip()
    return (f"{h} h " if h else "") + (f"{m} min" if m or not h else "").strip()


def route_preview_points(geometry: dict, width: int = 120, height: int = 72,
                         pad: int = 6) -> list[tuple[float, float]]:
    """A line's vertices fitted into a ``width`` x ``height`` box (SVG y down; longitude
    scaled by cos(latitude) so shapes keep their proportions)."""
    coords = geometry["coordinates"]
    lat0 = math.radians(sum(c[1] for c in coords) / len(coords))
    xs = [c[0] * math.cos(lat0) for c in coords]
    ys = [c[1] for c in coords]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    scale = min(width - 2 * pad, height - 2 * pad) / span
    cx = (width - (max(xs) - min(xs)) * scale) / 2
    cy = (height - (max(ys) - min(ys)) * scale) / 2
    return [(round(cx + (x - min(xs)) * scale, 1), round(height - cy - (y - min(ys)) * scale, 1))
            for x, y in zip(xs, ys, strict=True)]


def precision_key(precision: str) -> str:
    if precision in ("site", "town seat", "approximate"):
        return f"precision_{precision}"
    return "precision_other"
