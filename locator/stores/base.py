"""The one read interface between the data and everything that shows it.

Views, the OGC API and the OpenAPI document see the data only through :class:`ReadStore`.
The in-memory catalog built from the GeoJSON files (:mod:`locator.catalog`) is its first
implementation, the PostGIS store (:mod:`locator.pg.store`) the second; what both answer
the same way from their summaries is written once, in :class:`StoreCommon`. The answers
it returns are plain, frozen values defined here, so that no caller needs to know which
store it has.

Coordinates are WGS-84 ``(lon, lat)`` degrees; distances are metres on the ellipsoid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from locator.operations.coverage import (
    CoverageReport,
    Demand,
    Progress,
    SuggestResult,
)
from locator.operations.feature_query import Queryable
from locator.operations.hours import (
    DaySchedule,
    HoursStatus,
    hours_status,
    week_schedule,
)
from locator.operations.nearest import Nearby, NearestQuery
from locator.operations.routes import RouteDetails, RouteSummary
from locator.values import registry
from locator.values.city import CityProfile
from locator.values.errors import InvalidQuery, LayerNotFound, shown
from locator.values.models import (
    CollectionInfo,
    District,
    Facility,
    Feature,
    Point,
    Town,
)

#: a bounding box ``(west, south, east, north)`` in WGS-84 degrees; west > east crosses
#: the antimeridian
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Page:
    """One page of a collection: ``matched`` features in all, ``features`` from ``offset``."""

    matched: int
    offset: int
    features: tuple[Facility | Feature, ...]


@dataclass(frozen=True)
class NearestAnswer:
    """A nearest query's answer, with whether the point lies in the service area."""

    point: Point
    results: list[Nearby]
    in_service_area: bool
    distance_to_service_area_m: float
    at: dt.datetime


@dataclass(frozen=True)
class FacilityDetails:
    """A facility with its hours now and its week ahead (the facility page and its twin)."""

    facility: Facility
    layer: CollectionInfo
    status: HoursStatus
    week: list[DaySchedule]
    at: dt.datetime


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


@dataclass(frozen=True)
class CoverageQuery:
    """What a planner asks: coverage of ``layers`` within ``radius_m`` (UTM metres) on a
    grid of ``cell_m`` cells, per district or town, at a moment (None: every facility),
    by area or by ``demand``. ``demand_key`` identifies the demand for caching."""

    layers: tuple[str, ...]
    radius_m: float = 1000.0
    by: str = "district"
    at: dt.datetime | None = None
    cell_m: int = 250
    demand: Demand | None = None
    demand_key: str = ""


@dataclass(frozen=True)
class FeatureQuery:
    """A query on one collection: a bbox (WGS-84), property equalities (queryable name ->
    value), a parsed CQL2 filter, a sort order ((name, descending), ...), a page."""

    bbox: BBox | None = None
    equals: tuple[tuple[str, str], ...] = ()
    cql2: Any = None
    sortby: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    offset: int = 0


def towns_by_district(
    districts: dict[str, District], towns: dict[str, Town]
) -> list[tuple[District, list[Town]]]:
    """Towns grouped by district, both in code order (for a town picker)."""
    return [
        (d, sorted((t for t in towns.values() if t.district_code == code), key=lambda t: t.code))
        for code, d in sorted(districts.items())
    ]


class StoreCommon:
    """What both stores answer the same way from their summaries, towns and service
    area, whatever holds the features: a store mixes this in and provides ``infos``
    (collection id -> CollectionInfo, in display order), ``districts``, ``towns``,
    ``service_area`` (``contains`` and ``distance_m``), ``city``, ``get`` and
    ``nearest_by_layer``."""

    infos: dict[str, CollectionInfo]
    service_area: Any

    if TYPE_CHECKING:

        @property
        def city(self) -> CityProfile: ...

        @property
        def districts(self) -> dict[str, District]: ...

        @property
        def towns(self) -> dict[str, Town]: ...

        def get(self, feature_id: str, collection_id: str | None = None) -> Facility | Feature: ...

        def nearest_by_layer(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer: ...

    def collection_infos(self, facilities_only: bool = False) -> list[CollectionInfo]:
        return [i for i in self.infos.values() if i.role == "facility" or not facilities_only]

    def collection_info(self, collection_id: str, param: str = "collectionId") -> CollectionInfo:
        registry.collection(collection_id, param)  # LayerNotFound for an undeclared id
        try:
            return self.infos[collection_id]
        except KeyError:  # declared, but not present in this data
            raise LayerNotFound(collection_id, list(self.infos), param) from None

    def extent(self, collection_id: str) -> BBox | None:
        return self.collection_info(collection_id).bbox

    def layer_ids(self) -> list[str]:
        """The facility layers present, in display order."""
        return [i.id for i in self.infos.values() if i.role == "facility"]

    def resolve_layers(self, requested: list[str] | None, param: str = "layer") -> tuple[str, ...]:
        layers = self.layer_ids()
        if not requested:
            return tuple(layers)
        for layer in requested:
            if layer not in layers:
                raise InvalidQuery(
                    param,
                    f"unknown layer {shown(layer)}; valid layers: {', '.join(layers)}",
                    layers,
                )
        return tuple(dict.fromkeys(requested))

    def town_position(self, code: str) -> Point:
        town = self.towns.get(code)
        if town is None:
            raise InvalidQuery(
                "town",
                f"unknown town code {shown(code)}; expected one of the "
                f"{len(self.towns)} 9-digit codes of {self.city.name.en}",
            )
        return Point(town.lon, town.lat)

    def facility_details(self, facility_id: str, now: dt.datetime) -> FacilityDetails:
        fac = self.get(facility_id)
        assert isinstance(fac, Facility)
        expr = fac.properties.get("opening_hours")
        return FacilityDetails(
            fac,
            self.infos[fac.layer],
            hours_status(expr, now),
            week_schedule(expr, now.date()),
            now,
        )

    def phone_view(
        self, query: NearestQuery | None, now: dt.datetime, town_code: str | None = None
    ) -> PhoneView:
        answer = self.nearest_by_layer(query, now) if query is not None else None
        town = self.towns.get(town_code) if town_code else None
        return PhoneView(
            self.collection_infos(facilities_only=True),
            towns_by_district(self.districts, self.towns),
            answer,
            town,
        )

    def _check_layers(self, query: NearestQuery) -> None:
        layers = self.layer_ids()
        for layer in query.layers:
            if layer not in layers:
                raise InvalidQuery(
                    "layer", f"unknown layer {shown(layer)}; valid layers: {', '.join(layers)}"
                )

    def _answer(
        self, query: NearestQuery, results: list[Nearby], now: dt.datetime
    ) -> NearestAnswer:
        """Points outside the city are answered too, and flagged."""
        inside = self.service_area.contains(query.point)
        dist = 0.0 if inside else self.service_area.distance_m(query.point)
        return NearestAnswer(query.point, results, inside, dist, query.at or now)


class ReadStore(Protocol):
    """Read access to the collections, the same whichever store holds them."""

    @property
    def version(self) -> str:
        """Changes whenever any collection's data changes (for ETags and caches)."""
        ...

    @property
    def city(self) -> CityProfile:
        """The city profile of this data version: names, codes, title, map centre, metric
        CRS, time zone, area codes, hotlines, attribution (``city.json``)."""
        ...

    def collection_infos(self, facilities_only: bool = False) -> list[CollectionInfo]:
        """Every collection present, in display order."""
        ...

    def collection_info(self, collection_id: str, param: str = "collectionId") -> CollectionInfo:
        """One collection; LayerNotFound naming ``param`` when there is none."""
        ...

    def extent(self, collection_id: str) -> BBox | None:
        """The collection's bounding box, None when it is empty."""
        ...

    def get(self, feature_id: str, collection_id: str | None = None) -> Facility | Feature:
        """A feature by id: in ``collection_id``, or among all facilities when None."""
        ...

    def page(
        self, collection_id: str, bbox: BBox | None, limit: int | None, offset: int = 0
    ) -> Page:
        """Features whose geometry intersects ``bbox``, in collection order, paged."""
        ...

    def queryables(self, collection_id: str) -> dict[str, Queryable]:
        """The properties of a collection that filter and sort, with their values."""
        ...

    def search(self, collection_id: str, query: FeatureQuery) -> Page:
        """Features matching the query, sorted, paged (``matched`` counts them all)."""
        ...

    def resolve_layers(self, requested: list[str] | None, param: str = "layer") -> tuple[str, ...]:
        """Check facility layer ids named by a query parameter (InvalidQuery naming
        ``param`` for an unknown one); None or empty means every facility layer."""
        ...

    def town_position(self, code: str) -> Point:
        """The seat of a town/street, for a worker who picks a town instead of GPS."""
        ...

    def nearest(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer:
        """The k nearest facilities over the query's layers."""
        ...

    def nearest_by_layer(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer:
        """k nearest from each of the query's layers, in the query's layer order."""
        ...

    def facility_details(self, facility_id: str, now: dt.datetime) -> FacilityDetails:
        """A facility with its hours at ``now`` and the 7 days from ``now``."""
        ...

    def phone_view(
        self, query: NearestQuery | None, now: dt.datetime, town_code: str | None = None
    ) -> PhoneView:
        """Everything the phone page shows, with the nearest of each layer when asked;
        ``town_code`` names the town whose seat the query's position is."""
        ...

    def map_view(self, max_points: int) -> MapView:
        """Everything the overview map draws, at most ``max_points`` per layer."""
        ...

    def offline_pack(self, start: dt.date) -> dict[str, Any]:
        """The offline data pack (:mod:`locator.offline`) from the local day ``start``."""
        ...

    def routes(self, district: str | None = None, theme: str | None = None) -> RouteList:
        """The rural routes passing ``district`` (6-digit code) with ``theme`` (zh or en);
        InvalidQuery naming the parameter for a district or theme no route has."""
        ...

    def route(self, route_id: str) -> RouteDetails:
        """One route with its stops, the facilities along it and its longest gap."""
        ...

    def coverage(self, query: CoverageQuery, progress: Progress | None = None) -> CoverageReport:
        """Coverage per district or town and for the city (cached per data version)."""
        ...

    def suggest(
        self,
        query: CoverageQuery,
        n: int,
        candidates: list[tuple[float, float]] | None = None,
        progress: Progress | None = None,
    ) -> SuggestResult:
        """``n`` new sites that bring the most uncovered demand (or area) within reach."""
        ...

    def demand_example(self, name: str) -> Demand:
        """A bundled demand example (e.g. ``heshan-2020``)."""
        ...


class Holder(Protocol):
    """What the app and the watcher need of a holder (files: CatalogHolder; the
    database: :class:`locator.pg.store.PgHolder`)."""

    refused: Any
    loaded_fingerprint: Any

    @property
    def catalog(self) -> ReadStore: ...

    def fingerprint(self) -> Any: ...

    def reload(self) -> ReadStore: ...
