"""The catalog: the in-memory store. The validated collections of one data directory plus
their spatial indexes, built once, shared read-only by requests, and replaced whole when the
data changes (see :mod:`locator.live`). It implements :class:`~locator.readstore.ReadStore`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point as ShapelyPoint
from shapely.ops import nearest_points

from locator.operations.coverage import (
    CELL_SIZES_M,
    CoverageReport,
    Demand,
    Grid,
    Progress,
    SuggestResult,
    build_grid,
    check_radius,
    coverage_report,
    suggest_sites,
)
from locator.operations.demand import example_demand
from locator.operations.feature_query import (
    Queryable,
    compile_cql2,
    equals,
    property_value,
    queryables,
)
from locator.operations.nearest import (
    LayerIndex,
    Nearby,
    NearestQuery,
    build_index,
    build_union_index,
    nearest_facilities,
)
from locator.operations.routes import RouteDetails, route_details
from locator.stores.base import (
    BBox,
    CoverageQuery,
    FeatureQuery,
    MapView,
    NearestAnswer,
    Page,
    RouteList,
    StoreCommon,
)
from locator.stores.files.read import AnyCollection, Geodata, read_geodata
from locator.values import registry
from locator.values.city import CityProfile
from locator.values.errors import (
    FacilityNotFound,
    FeatureNotFound,
    InvalidQuery,
    shown,
)
from locator.values.geo.distance import geod
from locator.values.models import (
    CollectionInfo,
    Facility,
    Feature,
    Point,
)

#: planner answers kept per catalog (each well under a few MB: uncovered cells are sampled)
ANSWER_CACHE = 32
#: planner computations at a time (each may take a second and some hundred MB)
PLANNER_WORKERS = 2
_PLANNER_SLOTS = threading.BoundedSemaphore(PLANNER_WORKERS)


def _no_progress(_step: str, _fraction: float) -> None:
    pass


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


def service_area(city: Any) -> ServiceArea:
    """The service area of a city polygon (WGS-84; prepared here for fast tests)."""
    shapely.prepare(city)
    return ServiceArea(city, city.simplify(0.0005))


@dataclass(frozen=True)
class Catalog(StoreCommon):
    """The in-memory :class:`~locator.readstore.ReadStore` over one data directory."""

    geodata: Geodata
    indexes: dict[str, LayerIndex]
    union: LayerIndex  # over every layer, for all-layer queries
    service_area: ServiceArea
    by_id: dict[str, Facility] = field(repr=False)
    #: district polygons generalised to ~100 m (0.001°), for drawing at city scale
    district_outlines: dict[str, object] = field(repr=False, default_factory=dict)
    #: collection id -> {feature id: position}, for get-by-id in any collection
    positions: dict[str, dict[str, int]] = field(repr=False, default_factory=dict)
    infos: dict[str, CollectionInfo] = field(repr=False, default_factory=dict)
    #: route id -> the route worked out (stops, facilities along, gap), at load
    route_details: dict[str, RouteDetails] = field(repr=False, default_factory=dict)
    #: planner caches: grids by cell size, answers by query (this catalog is one data
    #: version, so a new version starts with empty caches)
    _grids: dict[int, Grid] = field(repr=False, default_factory=dict)
    _answers: OrderedDict = field(repr=False, default_factory=OrderedDict)
    _lock: threading.Lock = field(repr=False, default_factory=threading.Lock)
    _inflight: dict = field(repr=False, default_factory=dict)
    _point_shapes: dict = field(repr=False, default_factory=dict)
    _queryables: dict = field(repr=False, default_factory=dict)
    _pack: dict = field(repr=False, default_factory=dict)  # {"key": ..., "pack": ...}
    _pack_lock: threading.Lock = field(repr=False, default_factory=threading.Lock)

    # ------------------------------------------------------------------ ReadStore

    @property
    def version(self) -> str:
        return self.geodata.version

    @property
    def city(self) -> CityProfile:
        """The city profile of this data version (``city.json``)."""
        profile = self.geodata.profile
        assert profile is not None  # read_geodata always reads it
        return profile

    def get(self, feature_id: str, collection_id: str | None = None) -> Facility | Feature:
        if collection_id is None:
            return self.facility(feature_id)
        self.collection_info(collection_id)
        pos = self.positions[collection_id].get(feature_id)
        if pos is None:
            raise FeatureNotFound(feature_id, collection_id)
        return self._collection(collection_id).features[pos]

    def page(
        self, collection_id: str, bbox: BBox | None, limit: int | None, offset: int = 0
    ) -> Page:
        self.collection_info(collection_id)
        return layer_page(self._collection(collection_id), bbox, limit, offset)

    def queryables(self, collection_id: str) -> dict[str, Queryable]:
        self.collection_info(collection_id)
        found = self._queryables.get(collection_id)
        if found is None:  # asked several times a request: worked out once per version
            codes = {
                "district_code": sorted(self.geodata.districts),
                "town_code": sorted(self.geodata.towns),
            }
            found = self._queryables[collection_id] = queryables(
                registry.BY_ID[collection_id], codes
            )
        return found

    def search(self, collection_id: str, query: FeatureQuery) -> Page:
        self.collection_info(collection_id)
        coll = self._collection(collection_id)
        names = self.queryables(collection_id)
        checks: list[Callable[[Any], bool]] = []
        for name, raw in query.equals:
            if name not in names:
                raise InvalidQuery(name, f"unknown property {shown(name)}")
            checks.append(equals(name, raw, names[name]))
        if query.cql2 is not None:
            shapes = getattr(coll, "shapes", None)
            if shapes is None:  # points: made once per collection, then looked up
                with self._lock:
                    shapes = self._point_shapes.get(collection_id)
                    if shapes is None:
                        shapes = shapely.points(coll.lon, coll.lat)  # type: ignore[union-attr]
                        self._point_shapes[collection_id] = shapes
            positions = self.positions[collection_id]

            def shape(item, shapes=shapes) -> Any:
                return shapes[positions[item.id]]

            checks.append(compile_cql2(query.cql2, names, shape))
        for name, _ in query.sortby:
            if name not in names:
                raise InvalidQuery(
                    "sortby",
                    f"sortby names {shown(name)}, which is not a "
                    f"queryable; queryables: {', '.join(names)}",
                )
        page = layer_page(coll, query.bbox, None, 0)
        found = [f for f in page.features if all(check(f) for check in checks)]
        for name, descending in reversed(query.sortby):  # stable: last key first
            found.sort(key=partial(_sort_value, name=name), reverse=descending)
        end = None if query.limit is None else query.offset + query.limit
        return Page(len(found), query.offset, tuple(found[query.offset : end]))

    def nearest(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer:
        self._check_layers(query)
        return self._answer(query, nearest_facilities(self.indexes, query, now, self.union), now)

    def nearest_by_layer(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer:
        """Like :meth:`nearest`, but k results from each layer, in ``query.layers`` order."""
        self._check_layers(query)
        results: list[Nearby] = []
        for layer in query.layers:
            results += nearest_facilities(
                self.indexes, dataclasses.replace(query, layers=(layer,)), now
            )
        return self._answer(query, results, now)

    def map_view(self, max_points: int) -> MapView:
        return MapView(
            [
                (self.infos[lid], _thin(layer.facilities, max_points))
                for lid, layer in self.geodata.layers.items()
            ],
            self.district_outlines,
            [d.summary for d in self.route_details.values()],
        )

    def routes(self, district: str | None = None, theme: str | None = None) -> RouteList:
        every = [d.summary for d in self.route_details.values()]
        themes = list(dict.fromkeys((r.theme, r.theme_en) for r in every))
        codes = sorted({c for r in every for c in r.districts})
        districts = [self.geodata.districts[c] for c in codes if c in self.geodata.districts]
        if district is not None and district not in codes:
            raise InvalidQuery(
                "district",
                f"no route passes district {shown(district)}; routes pass: {', '.join(codes)}",
                codes,
            )
        folded = theme.casefold() if theme is not None else None
        if folded is not None and folded not in {t.casefold() for pair in themes for t in pair}:
            raise InvalidQuery(
                "theme",
                f"no route has the theme {shown(theme)}; themes: {', '.join(t for t, _ in themes)}",
                [t for t, _ in themes],
            )
        chosen = [
            r
            for r in every
            if (district is None or district in r.districts)
            and (folded is None or folded in (r.theme.casefold(), r.theme_en.casefold()))
        ]
        return RouteList(chosen, themes, districts, len(every))

    # ------------------------------------------------------------------ planner

    def grid(self, cell_m: int, progress: Progress | None = None) -> Grid:
        if cell_m not in CELL_SIZES_M:
            raise InvalidQuery(
                "cell_m", f"cell_m must be one of {', '.join(map(str, CELL_SIZES_M))}, got {cell_m}"
            )
        with self._lock:
            grid = self._grids.get(cell_m)
            if grid is None:
                towns = self.geodata.reference(registry.TOWNS.id)
                grid = build_grid(
                    self.geodata.city,
                    self.geodata.district_shapes,
                    self.geodata.districts,
                    {f.id: g for f, g in zip(towns.features, towns.shapes, strict=True)},
                    self.geodata.towns,
                    cell_m,
                    progress or _no_progress,
                    profile=self.city,
                )
                self._grids[cell_m] = grid
            return grid

    def _cached(self, key: tuple, compute):
        """The answer for ``key``, computed once: a request that finds the same question
        already being worked on waits for that answer instead of computing it again, and
        at most PLANNER_WORKERS questions are computed at a time."""
        while True:
            with self._lock:
                if key in self._answers:
                    self._answers.move_to_end(key)
                    return self._answers[key]
                running = self._inflight.get(key)
                if running is None:
                    running = self._inflight[key] = threading.Event()
                    break
            running.wait()  # someone else computes it; then look again (or take over)
        try:
            with _PLANNER_SLOTS:
                value = compute()
            with self._lock:
                self._answers[key] = value
                while len(self._answers) > ANSWER_CACHE:
                    self._answers.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            running.set()

    def _planner_layers(self, query: CoverageQuery) -> tuple[str, ...]:
        check_radius(query.radius_m)  # before any grid is built
        return self.resolve_layers(list(query.layers))

    def coverage(self, query: CoverageQuery, progress: Progress | None = None) -> CoverageReport:
        layers = self._planner_layers(query)
        minute = query.at.strftime("%Y%m%d%H%M") if query.at else ""
        key = ("coverage", layers, query.radius_m, query.by, minute, query.cell_m, query.demand_key)
        return self._cached(
            key,
            lambda: coverage_report(
                self.grid(query.cell_m, progress),
                self._facilities(),
                layers,
                query.radius_m,
                query.by,
                query.at,
                query.demand,
                progress=progress or _no_progress,
            ),
        )

    def suggest(
        self,
        query: CoverageQuery,
        n: int,
        candidates: list[tuple[float, float]] | None = None,
        progress: Progress | None = None,
    ) -> SuggestResult:
        layers = self._planner_layers(query)
        minute = query.at.strftime("%Y%m%d%H%M") if query.at else ""
        key = (
            "suggest",
            layers,
            query.radius_m,
            minute,
            query.cell_m,
            query.demand_key,
            n,
            tuple(candidates or ()),
        )
        return self._cached(
            key,
            lambda: suggest_sites(
                self.grid(query.cell_m, progress),
                self._facilities(),
                layers,
                query.radius_m,
                n,
                query.at,
                query.demand,
                candidates,
                progress or _no_progress,
            ),
        )

    def demand_example(self, name: str) -> Demand:
        towns = self.geodata.reference(registry.TOWNS.id)
        return example_demand(
            name,
            self.geodata.data_dir,
            {f.id: g for f, g in zip(towns.features, towns.shapes, strict=True)},
        )

    def _facilities(self) -> dict[str, tuple[Facility, ...]]:
        return {lid: layer.facilities for lid, layer in self.geodata.layers.items()}

    def route(self, route_id: str) -> RouteDetails:
        try:
            return self.route_details[route_id]
        except KeyError:
            raise FeatureNotFound(route_id, registry.ROUTES_DECL.id) from None

    # ------------------------------------------------------------------ helpers

    def _collection(self, collection_id: str) -> AnyCollection:
        return self.geodata.collections[collection_id]

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

    def offline_pack(self, start: dt.date) -> dict[str, Any]:
        """Built once per data version and day (it is the same for every phone)."""
        with self._pack_lock:
            if self._pack.get("key") != start:
                from locator.operations.offline import build_pack

                pack = build_pack(
                    self.version,
                    [(self.infos[lid], layer.facilities) for lid, layer in self.layers.items()],
                    sorted(self.towns.values(), key=lambda t: t.code),
                    start,
                )
                self._pack.update(key=start, pack=pack)
            return self._pack["pack"]

    def facility(self, facility_id: str) -> Facility:
        try:
            return self.by_id[facility_id]
        except KeyError:
            raise FacilityNotFound(facility_id) from None


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


def _sort_value(item: Any, name: str) -> tuple:
    """Sort key: missing values last, numbers before text, then the value."""
    value = property_value(item, name)
    if value is None:
        return (2, "")
    if isinstance(value, bool | int | float):
        return (0, float(value))
    return (1, str(value))


def _thin(features: tuple[Facility, ...], most: int) -> tuple[Facility, ...]:
    """All features, or ``most`` of them drawn at random with a fixed seed (in file order):
    an even sample keeps the density pattern a planner reads from a map, where every n-th
    feature of a file sorted by town would not."""
    if len(features) <= most:
        return features
    keep = np.sort(np.random.default_rng(0).choice(len(features), most, replace=False))
    return tuple(features[i] for i in keep)


def _positions(features: Sequence[Facility | Feature]) -> dict[str, int]:
    return {f.id: i for i, f in enumerate(features)}


def load_catalog(data_dir: Path | str, holidays_file: Path | str | None = None) -> Catalog:
    """Read and validate ``data_dir`` (and the holiday schedule: the data directory's
    ``holidays.json`` unless ``holidays_file`` names another) and build the indexes."""
    geodata = read_geodata(data_dir, holidays_file)
    profile = geodata.profile
    assert profile is not None  # read_geodata always reads it
    indexes = {lid: build_index(layer) for lid, layer in geodata.layers.items()}
    by_id = {f.id: f for layer in geodata.layers.values() for f in layer.facilities}
    union = build_union_index(list(geodata.layers.values()))
    outlines = {
        code: shapely.set_precision(shapely.simplify(geom, 0.001, preserve_topology=True), 1e-5)
        for code, geom in geodata.district_shapes.items()
    }
    positions = {cid: _positions(coll.features) for cid, coll in geodata.collections.items()}
    infos = {cid: coll.info() for cid, coll in geodata.collections.items()}
    routes = {}
    route_coll = geodata.collections.get(registry.ROUTES_DECL.id)
    if route_coll is not None:
        facilities = {lid: layer.facilities for lid, layer in geodata.layers.items()}
        for feat in route_coll.features:
            assert isinstance(feat, Feature)
            routes[feat.id] = route_details(feat, facilities, profile.metric_epsg)
    return Catalog(
        geodata,
        indexes,
        union,
        service_area(geodata.city),
        by_id,
        outlines,
        positions,
        infos,
        routes,
    )
