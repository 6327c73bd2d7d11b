"""One service over any store (:class:`Service`), and the answers it gives.

Web and CLI ask the service; the service asks a narrow store
(:class:`~locator.stores.base.Store`) for storage and works out everything else once per
data version.
"""

from locator.service.answers import (
    CoverageQuery,
    FacilityDetails,
    MapView,
    NearestAnswer,
    PhoneView,
    RouteList,
    towns_by_district,
)
from locator.service.facade import Service, Services

__all__ = [
    "CoverageQuery",
    "FacilityDetails",
    "MapView",
    "NearestAnswer",
    "PhoneView",
    "RouteList",
    "Service",
    "Services",
    "towns_by_district",
]
