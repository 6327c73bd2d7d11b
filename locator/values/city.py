"""The city profile: everything specific to the city a data directory serves.

Names, the division code, the site title, the map's centre and zoom, the metric projection
used for areas and grids, the time zone, telephone area codes, hotlines and the data's
attribution live in one file, ``city.json``, beside the layers (the bundled one describes
Jiangmen). Another city is another data directory; nothing in the code names a city.

This module holds the value and its parsing from a decoded JSON document; reading the
file is :func:`locator.stores.files.read.read_city`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from locator.values.errors import DataError, shown

#: the profile's file in a data directory
CITY_PROFILE_FILE = "city.json"

_LANGS = ("zh", "en")
#: the one time zone hours are worked out in today (locator.operations.hours.TZ)
SUPPORTED_TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Text:
    """A text in Chinese and English."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Hotline:
    """A telephone hotline shown to users: the number to dial and what it is."""

    number: str
    label: Text


@dataclass(frozen=True)
class CityProfile:
    """One city's profile (see the module docstring).

    ``centre`` is WGS-84 ``(lon, lat)`` degrees; ``metric_epsg`` the EPSG code of the
    projected CRS in metres used for areas, grids and distances along lines (it must
    cover the whole city with little scale error, e.g. its UTM zone); ``metric_name`` how
    pages name that projection ("UTM 49N")."""

    code: str
    name: Text  # the full name, "江门市" · "Jiangmen"
    short_name: Text  # as used in running text, "江门" · "Jiangmen"
    title: Text  # the site title
    centre: tuple[float, float]
    zoom: int
    metric_epsg: int
    metric_name: str
    time_zone: str
    area_codes: tuple[str, ...]
    hotlines: tuple[Hotline, ...]
    attribution: Text  # plain text, the pages' footer
    map_attribution: Text  # HTML (links allowed), the maps' attribution line
    #: what the routes page says of the city's routes (optional: a generic line else)
    routes_intro: Text | None = None

    @property
    def metric_crs(self) -> str:
        """The metric CRS as pyproj names it, ``"EPSG:<code>"``."""
        return f"EPSG:{self.metric_epsg}"

    @property
    def hotline(self) -> Hotline | None:
        """The first hotline: the one a page offers when a facility lists no phone; None
        for a city whose profile gives none (no public source for it)."""
        return self.hotlines[0] if self.hotlines else None

    @property
    def hotline_number(self) -> str:
        """The first hotline's number, "" when the profile gives none."""
        return self.hotlines[0].number if self.hotlines else ""


# --------------------------------------------------------------------------- parsing


def _field(name: str, doc: dict[str, Any], key: str, within: str = "") -> Any:
    if key not in doc:
        raise DataError(name, f"missing field {within + key!r}")
    return doc[key]


def _text(name: str, doc: dict[str, Any], key: str, within: str = "") -> str:
    value = _field(name, doc, key, within)
    if not isinstance(value, str) or not value.strip():
        raise DataError(name, f"{within + key!r} must be a non-empty text, not {shown(value)}")
    return value


def _texts(name: str, doc: dict[str, Any], key: str, within: str = "") -> Text:
    value = _field(name, doc, key, within)
    if not isinstance(value, dict):
        raise DataError(name, f'{within + key!r} must be {{"zh": "...", "en": "..."}}')
    for lang in _LANGS:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise DataError(name, f"'{within}{key}.{lang}' must be a non-empty text")
    return Text(value["zh"], value["en"])


def _number(name: str, key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataError(name, f"{key} must be a number, not {shown(value)}")
    return float(value)


#: the one markup a map attribution may hold: a plain link to a web page
_LINK = re.compile(r'<a href="https?://[^"<>\s]+">[^<>]*</a>')


def _links_only(name: str, text: Text) -> Text:
    """``text`` (the maps' attribution, shown as HTML) when it is plain text with at most
    ``<a href="https://…">…</a>`` links: anything else would reach every map page
    unescaped, so it is refused."""
    for lang in _LANGS:
        rest = _LINK.sub("", text.get(lang))
        if "<" in rest or ">" in rest:
            raise DataError(
                name,
                f"'map_attribution.{lang}' may hold plain text and "
                '<a href="https://...">links</a> only',
            )
    return text


def city_from_doc(name: str, doc: Any) -> CityProfile:
    """Check a decoded ``city.json`` and make the profile; every problem is a DataError
    naming the file (``name``) and the field."""
    if not isinstance(doc, dict):
        raise DataError(name, "expected a JSON object (the city profile)")
    code = _text(name, doc, "code")
    if not re.fullmatch(r"\d{6}", code):
        raise DataError(name, f"code must be a 6-digit division code, not {shown(code)}")
    map_ = _field(name, doc, "map")
    if not isinstance(map_, dict):
        raise DataError(name, 'map must be {"centre": [lon, lat], "zoom": n}')
    centre = _field(name, map_, "centre", "map.")
    if not isinstance(centre, list) or len(centre) != 2:
        raise DataError(name, "map.centre must be [lon, lat] (WGS-84 degrees)")
    lon, lat = (_number(name, "map.centre", v) for v in centre)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DataError(name, f"map.centre {shown(centre)} is not [lon, lat] in degrees")
    zoom = _field(name, map_, "zoom", "map.")
    if isinstance(zoom, bool) or not isinstance(zoom, int) or not 0 <= zoom <= 19:
        raise DataError(name, f"map.zoom must be a whole number 0-19, not {shown(zoom)}")
    crs = _field(name, doc, "metric_crs")
    if not isinstance(crs, dict):
        raise DataError(name, 'metric_crs must be {"epsg": <EPSG code>, "name": "..."}')
    epsg = _field(name, crs, "epsg", "metric_crs.")
    if isinstance(epsg, bool) or not isinstance(epsg, int) or not 1024 <= epsg <= 999999:
        raise DataError(name, f"metric_crs.epsg must be an EPSG code number, not {shown(epsg)}")
    metric_name = _text(name, crs, "name", "metric_crs.")
    time_zone = _text(name, doc, "time_zone")
    if not re.fullmatch(r"[A-Za-z_]+(/[A-Za-z0-9_+-]+)*", time_zone):
        raise DataError(name, f"time_zone {shown(time_zone)} is not an IANA zone name")
    if time_zone != SUPPORTED_TIME_ZONE:
        # opening hours, the offline pack and the pages still reckon in China Standard Time:
        # a city elsewhere would be told wrong hours, so it is refused rather than served
        raise DataError(
            name,
            f"time_zone {shown(time_zone)} is not supported yet: opening hours are "
            f"worked out in {SUPPORTED_TIME_ZONE} (China Standard Time)",
        )
    area_codes = _field(name, doc, "area_codes")
    if not isinstance(area_codes, list):  # empty: no public source gave them
        raise DataError(name, 'area_codes must be a list of area codes such as ["020"]')
    for ac in area_codes:
        if not isinstance(ac, str) or not re.fullmatch(r"0\d{2,3}", ac):
            raise DataError(
                name,
                f"area_codes: {shown(ac)} is not a telephone area code (0 and 2-3 digits)",
                "area_codes",
            )
    hotlines = _field(name, doc, "hotlines")
    if not isinstance(hotlines, list):  # empty: the city's federation gave none
        raise DataError(
            name,
            'hotlines must be a list of {"number": "...", "label": {"zh": ..., "en": ...}}',
            "hotlines",
        )
    lines = []
    for item in hotlines:
        if not isinstance(item, dict):
            raise DataError(name, f"hotlines: an entry must be an object, not {shown(item)}")
        number = _text(name, item, "number", "hotlines.")
        if not re.fullmatch(r"\+?[0-9][0-9-]{2,19}", number):
            raise DataError(name, f"hotlines: number {shown(number)} is not a telephone number")
        lines.append(Hotline(number, _texts(name, item, "label", "hotlines.")))
    return CityProfile(
        code=code,
        name=_texts(name, doc, "name"),
        short_name=_texts(name, doc, "short_name"),
        title=_texts(name, doc, "title"),
        centre=(lon, lat),
        zoom=zoom,
        metric_epsg=epsg,
        metric_name=metric_name,
        time_zone=time_zone,
        area_codes=tuple(area_codes),
        hotlines=tuple(lines),
        attribution=_texts(name, doc, "attribution"),
        map_attribution=_links_only(name, _texts(name, doc, "map_attribution")),
        routes_intro=_texts(name, doc, "routes_intro") if "routes_intro" in doc else None,
    )
