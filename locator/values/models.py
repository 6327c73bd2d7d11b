"""Typed values that cross module boundaries. Coordinates are WGS-84 ``(lon, lat)``."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from locator.values.errors import InvalidQuery

#: the closed amenity vocabulary (DESIGN.md); absent means unknown, never "no"
AMENITIES: dict[str, tuple[str, str]] = {
    "drinking_water": ("饮用水", "Drinking water"),
    "microwave": ("微波炉", "Microwave"),
    "charging": ("手机充电", "Phone charging"),
    "toilet": ("厕所", "Toilet"),
    "seating": ("座椅", "Seating"),
    "air_conditioning": ("空调", "Air conditioning"),
    "first_aid": ("急救药箱", "First aid"),
    "wifi": ("无线网络", "Wi-Fi"),
    "fridge": ("冰箱", "Fridge"),
    "nursing": ("哺乳", "Nursing"),
    "changing_table": ("尿布台", "Changing table"),
    "books": ("图书", "Books"),
    "e_bike_battery": ("电动车换电", "E-bike battery swap"),
    "locker": ("储物柜", "Lockers"),
    "umbrella": ("爱心雨伞", "Umbrellas"),
    "hot_water": ("热水", "Hot water"),
    "repair_kit": ("维修工具", "Repair kit"),
}

WHEELCHAIR_VALUES = ("yes", "limited", "no", "unknown")

SAMPLE_SOURCE = "sample"


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS-84 position: ``lon`` (x) and ``lat`` (y) in degrees."""

    lon: float
    lat: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lon) and math.isfinite(self.lat)):
            raise InvalidQuery("lon", "coordinates must be finite numbers")
        if not -180.0 <= self.lon <= 180.0:
            raise InvalidQuery("lon", f"lon must be between -180 and 180, got {self.lon}")
        if not -90.0 <= self.lat <= 90.0:
            raise InvalidQuery("lat", f"lat must be between -90 and 90, got {self.lat}")


@dataclass(frozen=True, slots=True)
class Facility:
    """One facility of a point layer; ``properties`` keeps every GeoJSON property as read."""

    id: str
    layer: str
    name: str
    lon: float
    lat: float
    district_code: str
    town_code: str
    source: str
    properties: dict[str, Any] = field(hash=False, compare=False)

    @property
    def is_sample(self) -> bool:
        return self.source == SAMPLE_SOURCE

    @property
    def collection(self) -> str:
        return self.layer

    @property
    def geometry(self) -> dict[str, Any]:
        return {"type": "Point", "coordinates": [self.lon, self.lat]}

    def to_feature(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the facility as a GeoJSON Feature (RFC 7946), ``extra`` merged into properties."""
        return feature_dict(self, extra)


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature of a collection of any geometry kind (a boundary, a town area, a seat).

    ``geometry`` is the GeoJSON geometry as read (WGS-84); ``properties`` every property.
    """

    id: str
    collection: str
    geometry: dict[str, Any] = field(hash=False, compare=False)
    properties: dict[str, Any] = field(hash=False, compare=False)

    @property
    def name(self) -> str:
        return str(self.properties.get("name", ""))

    def to_feature(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        return feature_dict(self, extra)


def feature_dict(item: Facility | Feature, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A GeoJSON Feature (RFC 7946) of a facility or feature, ``extra`` merged into properties."""
    props = dict(item.properties)
    if extra:
        props.update(extra)
    return {"type": "Feature", "id": item.id, "geometry": item.geometry, "properties": props}


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Town:
    """A town or street (镇/街道) with its seat point; ``position`` says how it was placed."""

    code: str
    name: str
    name_en: str
    district_code: str
    lon: float
    lat: float
    position: str  # "geonames" | "adjusted" | "approximate"


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    """Summary of one collection for listings: what it is, how much, from where.

    ``bbox`` is the extent ``(west, south, east, north)`` in WGS-84 degrees (None when the
    collection is empty); ``version`` changes whenever the collection's data does.
    """

    id: str
    name_zh: str
    name_en: str
    kind: str  # point | line | polygon
    role: str  # facility | reference
    count: int
    sample: bool
    sources: tuple[str, ...]
    bbox: tuple[float, float, float, float] | None
    version: str
    approximate: bool = False
    colour: str = "#333333"


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: every day off of an official break (name by date)
    and the make-up working days (weekend days worked in lieu)."""

    holidays: dict[dt.date, str]
    workdays: frozenset[dt.date]


@dataclass(frozen=True)
class HolidaySchedule:
    """Official schedules by year, for the years the libraries do not cover yet
    (``holidays.json`` in the data directory; see :mod:`locator.operations.hours`)."""

    years: dict[int, YearSchedule]
    source: str = ""
