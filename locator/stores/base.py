"""The narrow store: what every store of features answers, and nothing more.

In the spirit of pygeoapi's ``provider/base.py`` and tipg's ``Collection``: a store is
storage only. It names its data version, describes its collections, gets a feature by
id, pages a collection by bounding box, answers the k nearest facilities, and hands out a
snapshot of one data version in memory for whole-collection analysis. Application
questions (the phone view, routes, the planner, the offline pack ...) are the service's
(:mod:`locator.service`), answered once over any store.

Two stores implement it side by side: the in-memory store over the GeoJSON files
(:mod:`locator.stores.files`) and the PostGIS store (:mod:`locator.stores.postgis`).

Coordinates are WGS-84 ``(lon, lat)`` degrees; distances are metres on the ellipsoid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from locator.operations.hours import Calendar
from locator.operations.nearest import Nearby, NearestQuery
from locator.operations.network import StreetNetwork
from locator.operations.service_area import ServiceArea
from locator.values import registry
from locator.values.city import CityProfile
from locator.values.errors import LayerNotFound
from locator.values.models import CollectionInfo, District, Facility, Feature, Town

if TYPE_CHECKING:
    from locator.stores.files.read import Geodata

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
class FeatureQuery:
    """A query on one collection: a bbox (WGS-84), property equalities (queryable name ->
    value), a parsed CQL2 filter, a sort order ((name, descending), ...), a page."""

    bbox: BBox | None = None
    equals: tuple[tuple[str, str], ...] = ()
    cql2: Any = None
    sortby: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class Reference:
    """The reference data of one version, always in memory: districts and towns by code,
    the service area (the city polygon), the calendar (the version's holiday schedule,
    which every hours question of this version is answered by), the city profile and,
    when the data has one, the street network."""

    districts: dict[str, District]
    towns: dict[str, Town]
    service_area: ServiceArea
    calendar: Calendar
    #: the city profile (``city.json``): names, codes, title, map centre, metric CRS,
    #: time zone, area codes, hotlines, attribution
    city: CityProfile
    #: the street network of this version (``network.npz``), None without one
    network: StreetNetwork | None = None


def checked_info(
    infos: dict[str, CollectionInfo], collection_id: str, param: str = "collectionId"
) -> CollectionInfo:
    """The info of ``collection_id``; LayerNotFound naming ``param`` when it is not
    declared or not present in this data."""
    registry.collection(collection_id, param)  # LayerNotFound for an undeclared id
    try:
        return infos[collection_id]
    except KeyError:  # declared, but not present in this data
        raise LayerNotFound(collection_id, list(infos), param) from None


class Snapshot(Protocol):
    """One data version in memory (the file store's catalog), for whole-collection work."""

    @property
    def geodata(self) -> Geodata: ...

    def facilities(self) -> dict[str, tuple[Facility, ...]]:
        """Facility layer id -> its facilities, in display order."""
        ...

    def page(
        self, collection_id: str, bbox: BBox | None, limit: int | None, offset: int = 0
    ) -> Page: ...

    def shape_of(self, collection_id: str) -> Any:
        """A function from a feature of the collection to its shapely geometry."""
        ...

    def document(self, name: str) -> bytes:
        """A data document of this version by file name (e.g. a demand example's CSV);
        DataError when there is none."""
        ...


class Store(Protocol):
    """Storage of one data version: the same whichever store holds the features."""

    @property
    def infos(self) -> dict[str, CollectionInfo]:
        """Collection id -> info, in display order."""
        ...

    @property
    def version(self) -> str:
        """Changes whenever any collection's data changes (for ETags and caches)."""
        ...

    @property
    def reference(self) -> Reference:
        """Districts, towns, service area and holidays of this version."""
        ...

    def get(self, feature_id: str, collection_id: str | None = None) -> Facility | Feature:
        """A feature by id: in ``collection_id``, or among all facilities when None
        (FeatureNotFound / FacilityNotFound / LayerNotFound otherwise)."""
        ...

    def page(
        self, collection_id: str, bbox: BBox | None, limit: int | None, offset: int = 0
    ) -> Page:
        """Features whose geometry intersects ``bbox``, in collection order, paged."""
        ...

    def nearest(
        self, query: NearestQuery, now: dt.datetime, per_layer: bool = False
    ) -> list[Nearby]:
        """The k nearest facilities over ``query.layers`` (ids already checked), or with
        ``per_layer`` k from each layer in ``query.layers`` order, read at one version."""
        ...

    def snapshot(self) -> Snapshot:
        """This version in memory, for whole-collection analysis."""
        ...


class Holder(Protocol):
    """What the app and the watcher need of a holder (files: CatalogHolder; the
    database: :class:`locator.stores.postgis.holder.PgHolder`)."""

    refused: Any
    loaded_fingerprint: Any

    @property
    def catalog(self) -> Store: ...

    def fingerprint(self) -> Any: ...

    def reload(self) -> Store: ...
