"""Hand a place to the phone's map app, in the coordinate system that app expects."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote, urlencode

from locator.values.geo.crs import wgs84_to_bd09, wgs84_to_gcj02

__all__ = ["amap_url", "baidu_url", "geo_uri"]

#: the travel modes each app is asked for: walk, ebike (riding), drive (a route's stops)
AMAP_MODES = {"walk": "walk", "ebike": "ride", "drive": "car"}
BAIDU_MODES = {"walk": "walking", "ebike": "riding", "drive": "driving"}


class Place(Protocol):
    """Anything with a WGS-84 position and a name: a facility, a route's stop."""

    @property
    def lon(self) -> float: ...
    @property
    def lat(self) -> float: ...
    @property
    def name(self) -> str: ...


def amap_url(fac: Place, travel: str = "walk") -> str:
    """AMap (高德) navigation, walking, riding (``mode=ride``, which AMap uses for bicycles
    and e-bikes) or driving (``drive``); AMap wants GCJ-02 (``coordinate=gaode``)."""
    lon, lat = wgs84_to_gcj02(fac.lon, fac.lat)
    return "https://uri.amap.com/navigation?" + urlencode(
        {
            "to": f"{lon:.6f},{lat:.6f},{fac.name}",
            "mode": AMAP_MODES.get(travel, "walk"),
            "coordinate": "gaode",
            "callnative": "1",
            "src": "locator",
        }
    )


def baidu_url(fac: Place, travel: str, region: str) -> str:
    """Baidu Maps directions, walking, riding (``mode=riding``) or driving; Baidu wants
    BD-09 (``coord_type=bd09ll``) and the city's name (``region``, the profile's short
    name)."""
    lon, lat = wgs84_to_bd09(fac.lon, fac.lat)
    return "https://api.map.baidu.com/direction?" + urlencode(
        {
            "destination": f"latlng:{lat:.6f},{lon:.6f}|name:{fac.name}",
            "mode": BAIDU_MODES.get(travel, "walking"),
            "coord_type": "bd09ll",
            "region": region,
            "output": "html",
            "src": "locator",
        }
    )


def geo_uri(fac: Place) -> str:
    """RFC 5870 ``geo:`` URI (WGS-84), which Android hands to any map app."""
    return f"geo:{fac.lat:.6f},{fac.lon:.6f}?q={fac.lat:.6f},{fac.lon:.6f}({quote(fac.name)})"
