"""Coordinate systems: WGS-84, China's GCJ-02 (AMap, Tencent, WeChat) and BD-09 (Baidu).

Everything is stored in WGS-84 ``(lon, lat)``; these functions convert at the edges. The
GCJ-02 offset is a published obfuscation formula (implemented by the public-domain
``prcoords``); its inverse has no closed form, so GCJ-02 -> WGS-84 iterates to a fixed point
(``gcj_wgs_bored``), which is accurate to well under a metre. Outside mainland China the
offset is not applied (the convention every Chinese map app follows).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import numpy as np
import prcoords

WGS84 = "EPSG:4326"


class CoordSystem(StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def in_china(lon: float, lat: float) -> bool:
    """Whether the GCJ-02 offset applies (prcoords' rough mainland bounding box)."""
    return prcoords.sanity_in_china_p(prcoords.Coords(lat, lon))


def _wrap(fn: Callable) -> Callable[[float, float], tuple[float, float]]:
    def convert(lon: float, lat: float) -> tuple[float, float]:
        if not in_china(lon, lat):
            return lon, lat
        out = fn(prcoords.Coords(lat, lon), False)
        return float(out.lon), float(out.lat)

    convert.__doc__ = f"Convert ``(lon, lat)`` with prcoords.{fn.__name__}; degrees in, out."
    return convert


wgs84_to_gcj02 = _wrap(prcoords.wgs_gcj)
gcj02_to_wgs84 = _wrap(prcoords.gcj_wgs_bored)
gcj02_to_bd09 = _wrap(prcoords.gcj_bd)
bd09_to_gcj02 = _wrap(prcoords.bd_gcj_bored)
wgs84_to_bd09 = _wrap(prcoords.wgs_bd)
bd09_to_wgs84 = _wrap(prcoords.bd_wgs_bored)

_TO_WGS84 = {
    CoordSystem.WGS84: lambda lon, lat: (lon, lat),
    CoordSystem.GCJ02: gcj02_to_wgs84,
    CoordSystem.BD09: bd09_to_wgs84,
}
_FROM_WGS84 = {
    CoordSystem.WGS84: lambda lon, lat: (lon, lat),
    CoordSystem.GCJ02: wgs84_to_gcj02,
    CoordSystem.BD09: wgs84_to_bd09,
}


def to_wgs84(lon: float, lat: float, system: CoordSystem) -> tuple[float, float]:
    """Convert a position given in ``system`` to WGS-84 ``(lon, lat)``."""
    return _TO_WGS84[system](lon, lat)


def from_wgs84(lon: float, lat: float, system: CoordSystem) -> tuple[float, float]:
    """Convert a WGS-84 position to ``system``, e.g. for a navigation link."""
    return _FROM_WGS84[system](lon, lat)


PointFn = Callable[[float, float], tuple[float, float]]


def convert_array(coords: np.ndarray, fn: PointFn) -> np.ndarray:
    """Apply a point conversion to an ``(n, 2)`` array of ``(lon, lat)`` (shapely.transform)."""
    out = np.empty_like(coords, dtype=float)
    for i, (lon, lat) in enumerate(coords):
        out[i] = fn(float(lon), float(lat))
    return out
