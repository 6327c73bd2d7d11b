"""Distances on the WGS-84 ellipsoid and projections to a city's metric CRS (metres).

The metric CRS is the city profile's (``CityProfile.metric_epsg``; Jiangmen's is UTM 49N,
EPSG:32649): every projecting function takes its EPSG code, and the transformers are built
once per code and thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cache

import numpy as np
import shapely
from pyproj import Geod, Transformer

from locator.values.geo.crs import WGS84


@cache
def geod() -> Geod:
    """The WGS-84 ellipsoid for geodesic distances (Karney's algorithm)."""
    return Geod(ellps="WGS84")


@cache
def geodesic_inverse_point() -> Callable[..., tuple[float, float, float]]:
    """``inv(lon1, lat1, lon2, lat2)`` for one pair of WGS-84 points (degrees): ``(forward
    azimuth in degrees (-180, 180], back azimuth, distance in metres)``, the numbers
    ``geod().inv`` gives for scalars.

    ``Geod.inv`` tries this scalar routine of pyproj first and falls back to arrays; the
    nearest query measures a handful of candidates one by one, so it calls the scalar
    routine itself (a fifth less per call).
    """
    g = geod()
    return getattr(g, "_inv_point", g.inv)


#: each thread's own transformers: pyproj's are not to be shared between threads (they
#: hold PROJ objects bound to one thread's context; a shared one has crashed a server
#: swapping data in while three request threads worked)
_THREAD = threading.local()


def transformer(source: str, target: str) -> Transformer:
    """A transformer from CRS ``source`` to ``target`` (``always_xy``: lon/lat, x/y order),
    made once per thread and pair."""
    made: dict[tuple[str, str], Transformer] | None = getattr(_THREAD, "transformers", None)
    if made is None:
        made = _THREAD.transformers = {}
    found = made.get((source, target))
    if found is None:
        found = made[(source, target)] = Transformer.from_crs(source, target, always_xy=True)
    return found


def _to_metric(epsg: int) -> Transformer:
    return transformer(WGS84, f"EPSG:{epsg}")


def _from_metric(epsg: int) -> Transformer:
    return transformer(f"EPSG:{epsg}", WGS84)


def to_metric(lon, lat, epsg: int):
    """Project WGS-84 degrees to metres in the CRS ``EPSG:<epsg>``; scalars or arrays,
    returns ``(x, y)``."""
    return _to_metric(epsg).transform(lon, lat)


def from_metric(x, y, epsg: int):
    """Unproject metres in ``EPSG:<epsg>`` to WGS-84 ``(lon, lat)`` degrees."""
    return _from_metric(epsg).transform(x, y)


def geodesic_distance_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres between WGS-84 points (broadcasting arrays)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2))
    )
    _, _, dist = geod().inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


def geodesic_inverse(lon1, lat1, lon2, lat2) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(forward azimuth in degrees [0, 360), distance in metres)`` from 1 to 2."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2))
    )
    az, _, dist = geod().inv(lon1, lat1, lon2, lat2)
    return np.mod(np.asarray(az), 360.0), np.asarray(dist)


def geometry_to_metric(geom, epsg: int):
    """Project a shapely geometry from WGS-84 degrees to metres in ``EPSG:<epsg>``."""
    tr = _to_metric(epsg)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def geometry_to_wgs84(geom, epsg: int):
    """Unproject a shapely geometry from metres in ``EPSG:<epsg>`` to WGS-84 degrees."""
    tr = _from_metric(epsg)
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
