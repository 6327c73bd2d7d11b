"""The in-memory store over the GeoJSON files: the validated collections of one data
directory plus their spatial indexes, built once, shared read-only by requests, and replaced
whole when the data changes (see :mod:`locator.stores.files.holder`). It implements the
narrow :class:`~locator.stores.base.Store` and is its own snapshot.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from locator.operations.hours import Calendar
from locator.operations.nearest import (
    LayerIndex,
    Nearby,
    NearestQuery,
    build_index,
    build_union_index,
    nearest_facilities,
)
from locator.operations.service_area import ServiceArea, service_area
from locator.stores.base import BBox, Page, Reference, checked_info
from locator.stores.files.read import AnyCollection, Geodata, read_geodata
from locator.values import registry
from locator.values.errors import DataError, FacilityNotFound, FeatureNotFound
from locator.values.models import CollectionInfo, Facility, Feature

__all__ = ["Catalog", "ServiceArea", "layer_page", "load_catalog", "service_area"]


@dataclass(frozen=True)
class Catalog:
    """The in-memory :class:`~locator.stores.base.Store` over one data directory."""

    geodata: Geodata
    indexes: dict[str, LayerIndex]
    union: LayerIndex  # over every layer, for all-layer queries
    service_area: ServiceArea
    by_id: dict[str, Facility] = field(repr=False)
    #: collection id -> {feature id: position}, for get-by-id in any collection
    positions: dict[str, dict[str, int]] = field(repr=False, default_factory=dict)
    infos: dict[str, CollectionInfo] = field(repr=False, default_factory=dict)
    _lock: threading.Lock = field(repr=False, default_factory=threading.Lock)
    _point_shapes: dict = field(repr=False, default_factory=dict)
    #: the holiday schedule of this version (``geodata.holidays``) with its caches
    calendar: Calendar = field(init=False, repr=False, compare=False)
    #: districts, towns, service area, calendar and city profile, made once
    _reference: Reference = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        g = self.geodata
        calendar = Calendar(g.holidays)
        object.__setattr__(self, "calendar", calendar)
        assert g.profile is not None  # read_geodata and build_geodata always read it
        reference = Reference(
            g.districts, g.towns, self.service_area, calendar, g.profile, g.network
        )
        object.__setattr__(self, "_reference", reference)

    # ------------------------------------------------------------------ Store

    @property
    def version(self) -> str:
        return self.geodata.version

    @property
    def reference(self) -> Reference:
        return self._reference

    def get(self, feature_id: str, collection_id: str | None = None) -> Facility | Feature:
        if collection_id is None:
            try:
                return self.by_id[feature_id]
            except KeyError:
                raise FacilityNotFound(feature_id) from None
        checked_info(self.infos, collection_id)
        pos = self.positions[collection_id].get(feature_id)
        if pos is None:
            raise FeatureNotFound(feature_id, collection_id)
        return self._collection(collection_id).features[pos]

    def page(
        self, collection_id: str, bbox: BBox | None, limit: int | None, offset: int = 0
    ) -> Page:
        checked_info(self.infos, collection_id)
        return layer_page(self._collection(collection_id), bbox, limit, offset)

    def nearest(
        self, query: NearestQuery, now: dt.datetime, per_layer: bool = False
    ) -> list[Nearby]:
        if not per_layer:
            return nearest_facilities(self.indexes, query, now, self.union, calendar=self.calendar)
        results: list[Nearby] = []
        for layer in query.layers:
            results += nearest_facilities(
                self.indexes,
                dataclasses.replace(query, layers=(layer,)),
                now,
                calendar=self.calendar,
            )
        return results

    def snapshot(self) -> Catalog:
        return self

    # ------------------------------------------------------------------ Snapshot

    def facilities(self) -> dict[str, tuple[Facility, ...]]:
        return {lid: layer.facilities for lid, layer in self.geodata.layers.items()}

    def shape_of(self, collection_id: str) -> Any:
        coll = self._collection(collection_id)
        shapes = getattr(coll, "shapes", None)
        if shapes is None:  # points: made once per collection, then looked up
            with self._lock:
                shapes = self._point_shapes.get(collection_id)
                if shapes is None:
                    shapes = shapely.points(coll.lon, coll.lat)  # type: ignore[union-attr]
                    self._point_shapes[collection_id] = shapes
        positions = self.positions[collection_id]

        def shape(item: Any, shapes: Any = shapes) -> Any:
            return shapes[positions[item.id]]

        return shape

    def document(self, name: str) -> bytes:
        try:
            return self.geodata.document(name)
        except OSError as exc:
            raise DataError(name, f"cannot be read ({exc.strerror})") from None

    # ------------------------------------------------------------------ helpers

    def _collection(self, collection_id: str) -> AnyCollection:
        return self.geodata.collections[collection_id]

    @property
    def data_dir(self) -> Path | None:
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


def layer_page(coll: AnyCollection, bbox: BBox | None, limit: int | None, offset: int = 0) -> Page:
    """Features of a collection whose geometry intersects ``bbox`` (WGS-84 degrees, west,
    south, east, north; a box whose west exceeds its east crosses the antimeridian), in
    file order, paged. Boxes are compared first; lines and polygons whose box meets the
    bbox are then tested exactly (shapely), so a polygon merely near the box is left out."""
    features = coll.features
    positions = np.arange(len(features))
    if bbox is not None and len(features):
        west, south, east, north = bbox
        b = coll.bounds
        hit = (b[:, 3] >= south) & (b[:, 1] <= north)
        if west <= east:
            hit &= (b[:, 2] >= west) & (b[:, 0] <= east)
        else:
            hit &= (b[:, 2] >= west) | (b[:, 0] <= east)
        positions = positions[hit]
        shapes = getattr(coll, "shapes", None)
        if shapes is not None and coll.decl.kind is not registry.Kind.POINT and positions.size:
            boxes = (
                [shapely.box(west, south, east, north)]
                if west <= east
                else [shapely.box(west, south, 180, north), shapely.box(-180, south, east, north)]
            )
            geoms = np.array([shapes[i] for i in positions], dtype=object)
            exact = np.zeros(positions.size, dtype=bool)
            for box in boxes:
                exact |= shapely.intersects(geoms, box)
            positions = positions[exact]
    end = None if limit is None else offset + limit
    chosen = positions[offset:end]
    return Page(int(positions.size), offset, tuple(features[i] for i in chosen))


def _positions(features: Sequence[Facility | Feature]) -> dict[str, int]:
    return {f.id: i for i, f in enumerate(features)}


def load_catalog(data_dir: Path | str, holidays_file: Path | str | None = None) -> Catalog:
    """Read and validate ``data_dir`` (and the holiday schedule: the data directory's
    ``holidays.json`` unless ``holidays_file`` names another) and build the indexes."""
    return catalog_of(read_geodata(data_dir, holidays_file))


def catalog_of(geodata: Geodata) -> Catalog:
    """The catalog of validated data (from files or database rows): its indexes built."""
    indexes = {lid: build_index(layer) for lid, layer in geodata.layers.items()}
    by_id = {f.id: f for layer in geodata.layers.values() for f in layer.facilities}
    union = build_union_index(list(geodata.layers.values()))
    positions = {cid: _positions(coll.features) for cid, coll in geodata.collections.items()}
    infos = {cid: coll.info() for cid, coll in geodata.collections.items()}
    return Catalog(
        geodata,
        indexes,
        union,
        service_area(geodata.city),
        by_id,
        positions,
        infos,
    )
