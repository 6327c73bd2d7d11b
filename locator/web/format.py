"""Turn domain values into short bilingual text for the pages."""

from __future__ import annotations

import datetime as dt

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
