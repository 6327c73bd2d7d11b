"""Where the service is meant for: the city polygon, and how far a point lies outside it.

Containment is tested in WGS-84 degrees (topological, so exact for the polygon); distances
are geodesic metres on the WGS-84 ellipsoid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import Point as ShapelyPoint
from shapely.ops import nearest_points

from locator.values.geo.distance import geod
from locator.values.models import Point


@dataclass(frozen=True)
class ServiceArea:
    """The city polygon (WGS-84), prepared."""

    city: object = field(repr=False)  # prepared
    #: the outline simplified by ~0.0005° (about 50 m): only to pick the nearest point
    outline: object = field(repr=False)

    def contains(self, point: Point) -> bool:
        # containment is topological: testing in degrees is exact for this polygon
        return bool(shapely.contains_xy(self.city, point.lon, point.lat))

    def distance_m(self, point: Point) -> float:
        """Geodesic metres from ``point`` to the city (0 inside; about ±50 m outside)."""
        if self.contains(point):
            return 0.0
        # the nearest point is picked in degrees on a simplified outline (a choice, not a
        # measurement; within about 50 m) ...
        _, near = nearest_points(ShapelyPoint(point.lon, point.lat), self.outline)
        # ... and the distance to it measured on the ellipsoid
        return float(geod().inv(point.lon, point.lat, near.x, near.y)[2])


def service_area(city: Any) -> ServiceArea:
    """The service area of a city polygon (WGS-84; prepared here for fast tests)."""
    shapely.prepare(city)
    return ServiceArea(city, city.simplify(0.0005))
