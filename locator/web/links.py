"""Hand a place to the phone's map app, in the coordinate system that app expects."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from locator.values.geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from locator.values.models import Facility

__all__ = ["amap_url", "baidu_url", "geo_uri"]


def amap_url(fac: Facility, travel: str = "walk") -> str:
    """AMap (高德) navigation, walking or riding (``mode=ride``, which AMap uses for bicycles
    and e-bikes); AMap wants GCJ-02 (``coordinate=gaode``)."""
    lon, lat = wgs84_to_gcj02(fac.lon, fac.lat)
    return "https://uri.amap.com/navigation?" + urlencode(
        {
            "to": f"{lon:.6f},{lat:.6f},{fac.name}",
            "mode": "ride" if travel == "ebike" else "walk",
            "coordinate": "gaode",
            "callnative": "1",
            "src": "locator",
        }
    )


def baidu_url(fac: Facility, travel: str, region: str) -> str:
    """Baidu Maps directions, walking or riding (``mode=riding``); Baidu wants BD-09
    (``coord_type=bd09ll``) and the city's name (``region``, the profile's short name)."""
    lon, lat = wgs84_to_bd09(fac.lon, fac.lat)
    return "https://api.map.baidu.com/direction?" + urlencode(
        {
            "destination": f"latlng:{lat:.6f},{lon:.6f}|name:{fac.name}",
            "mode": "riding" if travel == "ebike" else "walking",
            "coord_type": "bd09ll",
            "region": region,
            "output": "html",
            "src": "locator",
        }
    )


def geo_uri(fac: Facility) -> str:
    """RFC 5870 ``geo:`` URI (WGS-84), which Android hands to any map app."""
    return f"geo:{fac.lat:.6f},{fac.lon:.6f}?q={fac.lat:.6f},{fac.lon:.6f}({quote(fac.name)})"
