"""What the service answers: plain, frozen values, the same whichever store holds the data.

Coordinates are WGS-84 ``(lon, lat)`` degrees; distances are metres on the ellipsoid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from locator.operations.coverage import Demand
from locator.operations.hours import DaySchedule, HoursStatus
from locator.operations.nearest import NETWORK, NO_NETWORK, ORIGIN_OFF, STRAIGHT, Nearby
from locator.operations.network import NetworkInfo
from locator.operations.routes import RouteSummary
from locator.values.models import CollectionInfo, District, Facility, Point, Town


@dataclass(frozen=True)
class NearestAnswer:
    """A nearest query's answer, with whether the point lies in the service area.

    ``unknown_hours_left_out``: with the open-on-arrival filter, per layer, how many places
    whose hours on arrival are not known the filter left out of the answer (they would be
    among its results with ``keep_unknown_hours``); layers with none are absent."""

    point: Point
    results: list[Nearby]
    in_service_area: bool
    distance_to_service_area_m: float
    at: dt.datetime
    unknown_hours_left_out: dict[str, int] = field(default_factory=dict)
    #: the street network's description when the data version has one
    network: NetworkInfo | None = None
    #: with a network and no result: the point is off it (the answer is straight-line)
    origin_off_network: bool = False

    @property
    def unknown_hours_left_out_total(self) -> int:
        return sum(self.unknown_hours_left_out.values())

    @property
    def measured(self) -> str:
        """How the answer's figures were measured: ``network`` (every result along the
        streets), ``straight-line`` (none) or ``mixed`` (see each result's label)."""
        if self.origin_off_network:
            return STRAIGHT
        return travel_basis(self.results, self.network)

    @property
    def straight_reasons(self) -> list[str]:
        """Why some results are straight-line estimates (each reason once, in order)."""
        if self.network is None:
            return [NO_NETWORK]
        if self.origin_off_network:
            return [ORIGIN_OFF]
        return list(dict.fromkeys(r.reason for r in self.results if r.reason))


@dataclass(frozen=True)
class FacilityDetails:
    """A facility with its hours now and its week ahead (the facility page and its twin);
    with a starting point, ``trip``: the distance, the estimates and the hours on arrival
    (as a nearest answer's row)."""

    facility: Facility
    layer: CollectionInfo
    status: HoursStatus
    week: list[DaySchedule]
    at: dt.datetime
    trip: Nearby | None = None
    network: NetworkInfo | None = None


@dataclass(frozen=True)
class PhoneView:
    """What the phone page shows: the layers, the town picker and, when a position is
    known, the nearest of each layer."""

    layers: list[CollectionInfo]
    towns_by_district: list[tuple[District, list[Town]]]
    answer: NearestAnswer | None = None
    town: Town | None = None  # the town picked, when the position is its seat

    @property
    def any_sample(self) -> bool:
        return any(i.sample for i in self.layers)


@dataclass(frozen=True)
class MapView:
    """What the overview map draws: each facility layer with the features drawn (all of
    them, or an even sample when the layer holds more than the map can carry), the
    district outlines generalised for city scale (shapely, WGS-84), and the routes."""

    layers: list[tuple[CollectionInfo, tuple[Facility, ...]]]
    district_outlines: dict[str, Any] = field(repr=False)
    routes: list[RouteSummary] = field(default_factory=list)

    @property
    def any_sample(self) -> bool:
        return any(info.sample for info, _ in self.layers)

    @property
    def thinned(self) -> list[tuple[CollectionInfo, int]]:
        """The layers not drawn whole, with how many of their features are drawn."""
        return [(info, len(shown)) for info, shown in self.layers if len(shown) < info.count]


@dataclass(frozen=True)
class RouteList:
    """The routes a filter leaves, and what the filters can offer."""

    routes: list[RouteSummary]
    themes: list[tuple[str, str]]  # (zh, en) of every theme, in first-seen order
    districts: list[District]  # every district some route passes, in code order
    total: int  # routes before filtering

    @property
    def any_sample(self) -> bool:
        return any(r.sample for r in self.routes)

    @property
    def basis(self) -> str:
        """The listed routes' common basis (straight, network, mixed; none listed:
        straight): what the list's note says of their lines."""
        bases = {r.basis for r in self.routes} or {"straight"}
        return bases.pop() if len(bases) == 1 else "mixed"


@dataclass(frozen=True)
class CoverageQuery:
    """What a planner asks: coverage of ``layers`` within ``radius_m`` (metres in the city's
    metric projection) on a grid of ``cell_m`` cells, per district or town, at a moment
    (None: every facility), by area or by ``demand``. ``demand_key`` identifies the demand
    for caching. With ``minutes``: within that travel time by ``travel`` (walk | ebike)
    instead, along the streets when the data has a network (else the straight-line
    estimate, whose radius ``radius_m`` then is)."""

    layers: tuple[str, ...]
    radius_m: float = 1000.0
    by: str = "district"
    at: dt.datetime | None = None
    cell_m: int = 250
    demand: Demand | None = None
    demand_key: str = ""
    minutes: float | None = None
    travel: str = "walk"


def travel_basis(results: list[Nearby], network: NetworkInfo | None) -> str:
    """``network`` when every result was measured along the streets (or none was found
    on a network), ``straight-line`` when none was, else ``mixed``."""
    if network is None:
        return STRAIGHT
    kinds = {r.measured for r in results}
    if not kinds:
        return NETWORK
    return kinds.pop() if len(kinds) == 1 else "mixed"


def towns_by_district(
    districts: dict[str, District], towns: dict[str, Town]
) -> list[tuple[District, list[Town]]]:
    """Towns grouped by district, both in code order (for a town picker)."""
    return [
        (d, sorted((t for t in towns.values() if t.district_code == code), key=lambda t: t.code))
        for code, d in sorted(districts.items())
    ]
