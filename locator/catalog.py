"""The catalog: the validated layers plus their spatial indexes, built once at start-up,
shared read-only by requests, and swapped atomically on reload or import."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry import Point as ShapelyPoint
from shapely.ops import nearest_points

from .errors import FacilityNotFound, InvalidQuery, LayerNotFound
from .geo.distance import geod
from .hours import DaySchedule, HoursStatus, hours_status, week_schedule
from .models import District, Facility, LayerInfo, Point, Town
from .nearest import (
    LayerIndex,
    Nearby,
    NearestQuery,
    build_index,
    build_union_index,
    nearest_facilities,
)
from .store import Geodata, read_geodata


@dataclass(frozen=True)
class ServiceArea:
    """Where the service is meant for: the city polygon (WGS-84)."""

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
    """A facility with its hours now and its week ahead (for the facility page)."""

    facility: Facility
    status: HoursStatus
    week: list[DaySchedule]
    at: dt.datetime


@dataclass(frozen=True)
class Catalog:
    geodata: Geodata
    indexes: dict[str, LayerIndex]
    union: LayerIndex  # over every layer, for all-layer queries
    service_area: ServiceArea
    by_id: dict[str, Facility] = field(repr=False)
    #: district polygons generalised to ~100 m (0.001°), for drawing at city scale
    district_outlines: dict[str, object] = field(repr=False, default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return self.geodata.data_dir

    @property
    def layers(self):
        return self.geodata.layers

    @property
    def districts(self):
        return self.geodata.districts

    @property
    def towns(self):
        return self.geodata.towns

    def layer_infos(self) -> list[LayerInfo]:
        return self.geodata.layer_infos()

    def layer_ids(self) -> list[str]:
        return list(self.geodata.layers)

    def resolve_layers(self, requested: list[str] | None, param: str = "layer") -> tuple[str, ...]:
        """Check requested layer ids; None or empty means every facility layer."""
        if not requested:
            return tuple(self.geodata.layers)
        for layer in requested:
            if layer not in self.geodata.layers:
                raise LayerNotFound(layer, self.layer_ids(), param)
        return tuple(dict.fromkeys(requested))

    def nearest(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer:
        """Answer a nearest query; points outside Jiangmen are answered too, and flagged."""
        self._check_layers(query)
        return self._answer(query, nearest_facilities(self.indexes, query, now, self.union), now)

    def nearest_by_layer(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer:
        """Like :meth:`nearest`, but k results from each layer, in ``query.layers`` order."""
        self._check_layers(query)
        results: list[Nearby] = []
        for layer in query.layers:
            results += nearest_facilities(self.indexes,
                                          dataclasses.replace(query, layers=(layer,)), now)
        return self._answer(query, results, now)

    def _check_layers(self, query: NearestQuery) -> None:
        for layer in query.layers:
            if layer not in self.indexes:
                raise LayerNotFound(layer, self.layer_ids())

    def _answer(self, query: NearestQuery, results: list[Nearby],
                now: dt.datetime) -> NearestAnswer:
        inside = self.service_area.contains(query.point)
        dist = 0.0 if inside else self.service_area.distance_m(query.point)
        return NearestAnswer(query.point, results, inside, dist, query.at or now)

    def towns_by_district(self) -> list[tuple[District, list[Town]]]:
        """Towns grouped by district, both in code order (for a town picker)."""
        return [(d, sorted((t for t in self.geodata.towns.values() if t.district_code == code),
                           key=lambda t: t.code))
                for code, d in sorted(self.geodata.districts.items())]

    def town_position(self, code: str) -> Point:
        """The seat of a town/street, for a worker who picks their town instead of GPS."""
        town = self.geodata.towns.get(code)
        if town is None:
            raise InvalidQuery("town", f"unknown town code {code!r}; expected one of the "
                                       f"{len(self.geodata.towns)} 9-digit codes of Jiangmen")
        return Point(town.lon, town.lat)

    def facility_details(self, facility_id: str, now: dt.datetime) -> FacilityDetails:
        fac = self.facility(facility_id)
        expr = fac.properties.get("opening_hours")
        return FacilityDetails(fac, hours_status(expr, now), week_schedule(expr, now.date()),
                               now)

    def facility(self, facility_id: str) -> Facility:
        try:
            return self.by_id[facility_id]
        except KeyError:
            raise FacilityNotFound(facility_id) from None


def load_catalog(data_dir: Path | str) -> Catalog:
    """Read and validate ``data_dir`` and build the per-layer indexes."""
    geodata = read_geodata(data_dir)
    indexes = {lid: build_index(layer) for lid, layer in geodata.layers.items()}
    by_id = {f.id: f for layer in geodata.layers.values() for f in layer.facilities}
    city = geodata.city
    shapely.prepare(city)
    outline = city.simplify(0.0005)
    union = build_union_index(list(geodata.layers.values()))
    outlines = {code: shapely.set_precision(
                    shapely.simplify(geom, 0.001, preserve_topology=True), 1e-5)
                for code, geom in geodata.district_shapes.items()}
    return Catalog(geodata, indexes, union, ServiceArea(city, outline), by_id, outlines)


class CatalogHolder:
    """Holds the current catalog; a reload or import replaces it in one assignment.

    Requests read ``holder.catalog`` once and keep using that object, so a swap never shows
    a request half of an old catalog and half of a new one.
    """

    def __init__(self, catalog: Catalog):
        self._catalog = catalog
        self._lock = threading.Lock()

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def reload(self) -> Catalog:
        """Read the data directory again; on error the current catalog stays."""
        with self._lock:
            fresh = load_catalog(self._catalog.data_dir)
            self._catalog = fresh
            return fresh
