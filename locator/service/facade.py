"""One service over any store: every application question is answered here, once.

In the spirit of Nominatim's ``core.py`` facade. A :class:`Service` answers from one data
version of one store (:class:`~locator.stores.base.Store`): the phone view, facility
details, nearest, routes, the overview map, the offline pack, the planner's coverage and
suggestions, and the OGC queries. It owns what is worked out once per version (planner
grids and answers, queryables, the offline pack, route details, district outlines) so a
new version starts with empty caches, and the store stays storage only. Web and CLI call it.

Coordinates are WGS-84 ``(lon, lat)`` degrees; distances metres on the ellipsoid; planner
grids in the city's metric projection.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from locator.operations.coverage import (
    CELL_SIZES_M,
    CoverageReport,
    Demand,
    Grid,
    Progress,
    SuggestResult,
    check_radius,
)
from locator.operations.feature_query import Queryable, property_value
from locator.operations.hours import UNKNOWN, hours_status, week_schedule
from locator.operations.nearest import ORIGIN_OFF, WALK, Nearby, NearestQuery, nearby
from locator.operations.network import StreetNetwork
from locator.operations.routes import RouteDetails
from locator.service.answers import (
    CoverageQuery,
    FacilityDetails,
    MapView,
    NearestAnswer,
    PhoneView,
    RouteList,
    towns_by_district,
)
from locator.stores.base import BBox, FeatureQuery, Page, Store, checked_info
from locator.values import registry
from locator.values.city import CityProfile
from locator.values.errors import (
    DataError,
    FeatureNotFound,
    InvalidQuery,
    PlannerBusy,
    TooCostly,
    shown,
)
from locator.values.geo.distance import geodesic_inverse_point
from locator.values.models import CollectionInfo, Facility, Feature, Point

if TYPE_CHECKING:
    from locator.operations.network import NetworkInfo
    from locator.operations.network_nearest import Joinable, SnappedLayer

#: planner answers kept per version, least recently used first out (each well under a few
#: MB: uncovered cells are sampled); with the radii on a grid (planner_request.RADII_M)
#: distinct ordinary questions are few, and a new version starts empty
ANSWER_CACHE = 32
#: per-cell distance, demand, travel-time and network-node arrays kept per version (8 to
#: 16 bytes a cell: ~7.5 to 15 MB at 100 m over Jiangmen)
FIELD_CACHE = 12
#: planner computations at a time in a process (each may take a second and some hundred MB)
PLANNER_WORKERS = 2
_PLANNER_SLOTS = threading.BoundedSemaphore(PLANNER_WORKERS)
#: how long a request may wait for a planner slot before it is answered 503 with
#: Retry-After, and how many requests of a process may be waiting at once, for a slot or
#: for the same question being worked out by another request (that wait lasts up to
#: TIME_LIMIT_S: the answer is on its way); any other request is answered 503 at once. The
#: planner holds at most PLANNER_WORKERS + PLANNER_WAITERS request threads (waitress and
#: each gunicorn worker have 8), and the phone pages keep the others
SLOT_WAIT_S = 0.5
PLANNER_WAITERS = 4
_PLANNER_WAITING = threading.BoundedSemaphore(PLANNER_WAITERS)
#: what a 503 tells the client to wait, seconds
RETRY_AFTER_S = 5
#: the most a planner computation may run, seconds (its work is bounded beforehand; this
#: stops what the estimate missed, between steps)
TIME_LIMIT_S = 20.0
#: how long a question that ran out of time is refused at once when asked again (seconds):
#: long enough that retries cost nothing, short enough that a question refused while the
#: machine was busy can be asked again later
REFUSAL_KEPT_S = 600.0


#: how much less the planner's threads count for the operating system's scheduler than the
#: request threads (Linux nice, per thread, inherited by the threads a computation starts,
#: e.g. scipy's KD-tree workers): with both cores busy computing, a nearest request still
#: gets a core at once
PLANNER_NICE = 10
_POOL: dict[int, Any] = {}  # process id -> the planner's thread pool (none across a fork)
_POOL_LOCK = threading.Lock()


def _lower_priority() -> None:
    try:  # Linux: nice is per thread; elsewhere this may lower the whole process or fail
        if sys.platform == "linux":
            tid = threading.get_native_id()
            now = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, now + PLANNER_NICE))
    except OSError:
        pass


def _planner_pool() -> Any:
    """The PLANNER_WORKERS threads of this process that run planner computations, at a
    lower priority than the request threads (which wait for their answer)."""
    pid = os.getpid()
    pool = _POOL.get(pid)
    if pool is None:
        with _POOL_LOCK:
            pool = _POOL.get(pid)
            if pool is None:
                from concurrent.futures import ThreadPoolExecutor

                _POOL.clear()
                pool = _POOL[pid] = ThreadPoolExecutor(
                    PLANNER_WORKERS, thread_name_prefix="planner", initializer=_lower_priority
                )
    return pool


def _busy() -> PlannerBusy:
    return PlannerBusy(
        f"规划计算繁忙，请 {RETRY_AFTER_S} 秒后重试 · the planner is busy with other "
        f"requests; try again in {RETRY_AFTER_S} s",
        RETRY_AFTER_S,
    )


def _timed(progress: Progress, limit_s: float) -> Progress:
    """``progress`` that raises TooCostly (naming ``cell_m``) once ``limit_s`` seconds have
    passed: a question that ran out of time would run out again, so it is not "busy"
    (503, retry) but too costly (422: ask it with larger cells or a simpler demand)."""
    deadline = time.monotonic() + limit_s

    def check(step: str, fraction: float) -> None:
        if time.monotonic() > deadline:
            raise TooCostly(
                "cell_m",
                f"规划计算超过 {limit_s:g} 秒，已停止；请换用更大的网格(cell_m)或更简单的需求文件"
                f" · the computation ran past {limit_s:g} s and was stopped; ask it with a "
                "larger cell_m or a simpler demand file",
            )
        progress(step, fraction)

    return check


def _no_progress(_step: str, _fraction: float) -> None:
    pass


class Service:
    """The answers of one data version of ``store``."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._grid_lock = threading.Lock()  # a grid is built under it, not under _lock
        self._grids: dict[int, Grid] = {}
        self._answers: OrderedDict = OrderedDict()
        self._fields: OrderedDict = OrderedDict()
        self._inflight: dict = {}
        #: questions refused while computed (TooCostly: out of time), with when to forget
        #: them: asked again (or waited for) within REFUSAL_KEPT_S, they are refused at once
        self._refused: dict[tuple, tuple[TooCostly, float]] = {}
        self._queryables: dict[str, dict[str, Queryable]] = {}
        self._pack: dict[str, Any] = {}  # {"key": day, "pack": ...}
        self._pack_lock = threading.Lock()
        self._derived: dict[str, Any] = {}
        self._derived_lock = threading.RLock()  # a derived value may use another

    # ------------------------------------------------------------------ collections

    @property
    def version(self) -> str:
        """Changes whenever any collection's data changes (for ETags and caches)."""
        return self.store.version

    @property
    def city(self) -> CityProfile:
        """The city profile of this data version (``city.json``)."""
        return self.store.reference.city

    @property
    def network(self) -> StreetNetwork | None:
        """The street network of this data version (``network.npz``), None without one:
        then every travel figure is the straight-line estimate, and says so."""
        return self.store.reference.network

    def collection_infos(self, facilities_only: bool = False) -> list[CollectionInfo]:
        """Every collection present, in display order."""
        infos = self.store.infos.values()
        return [i for i in infos if i.role == "facility" or not facilities_only]

    def collection_info(self, collection_id: str, param: str = "collectionId") -> CollectionInfo:
        """One collection; LayerNotFound naming ``param`` when there is none."""
        return checked_info(self.store.infos, collection_id, param)

    def extent(self, collection_id: str) -> BBox | None:
        """The collection's bounding box, None when it is empty."""
        return self.collection_info(collection_id).bbox

    def layer_ids(self) -> list[str]:
        """The facility layers present, in display order."""
        return [i.id for i in self.store.infos.values() if i.role == "facility"]

    def resolve_layers(self, requested: list[str] | None, param: str = "layer") -> tuple[str, ...]:
        """Check facility layer ids named by a query parameter (InvalidQuery naming
        ``param`` for an unknown one); None or empty means every facility layer."""
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

    def get(self, feature_id: str, collection_id: str | None = None) -> Facility | Feature:
        """A feature by id: in ``collection_id``, or among all facilities when None."""
        return self.store.get(feature_id, collection_id)

    def page(
        self, collection_id: str, bbox: BBox | None, limit: int | None, offset: int = 0
    ) -> Page:
        """Features whose geometry intersects ``bbox``, in collection order, paged."""
        return self.store.page(collection_id, bbox, limit, offset)

    def queryables(self, collection_id: str) -> dict[str, Queryable]:
        """The properties of a collection that filter and sort, with their values."""
        self.collection_info(collection_id)
        found = self._queryables.get(collection_id)
        if found is None:  # asked several times a request: worked out once per version
            from locator.operations.feature_query import queryables

            ref = self.store.reference
            codes = {"district_code": sorted(ref.districts), "town_code": sorted(ref.towns)}
            found = self._queryables[collection_id] = queryables(
                registry.BY_ID[collection_id], codes
            )
        return found

    def search(self, collection_id: str, query: FeatureQuery) -> Page:
        """Features matching the query, sorted, paged (``matched`` counts them all)."""
        from locator.operations.feature_query import compile_cql2, equals

        self.collection_info(collection_id)
        names = self.queryables(collection_id)
        checks: list[Callable[[Any], bool]] = []
        for name, raw in query.equals:
            if name not in names:
                raise InvalidQuery(name, f"unknown property {shown(name)}")
            checks.append(equals(name, raw, names[name]))
        snap = self.store.snapshot()
        if query.cql2 is not None:
            checks.append(compile_cql2(query.cql2, names, snap.shape_of(collection_id)))
        for name, _ in query.sortby:  # after the filter, as its errors came first
            if name not in names:
                raise InvalidQuery(
                    "sortby",
                    f"sortby names {shown(name)}, which is not a "
                    f"queryable; queryables: {', '.join(names)}",
                )
        page = snap.page(collection_id, query.bbox, None, 0)
        found = [f for f in page.features if all(check(f) for check in checks)]
        for name, descending in reversed(query.sortby):  # stable: last key first
            found.sort(key=partial(_sort_value, name=name), reverse=descending)
        end = None if query.limit is None else query.offset + query.limit
        return Page(len(found), query.offset, tuple(found[query.offset : end]))

    # ------------------------------------------------------------------ the phone

    def town_position(self, code: str) -> Point:
        """The seat of a town/street, for a worker who picks a town instead of GPS."""
        towns = self.store.reference.towns
        town = towns.get(code)
        if town is None:
            raise InvalidQuery(
                "town",
                f"unknown town code {shown(code)}; expected one of the "
                f"{len(towns)} 9-digit codes of {self.city.short_name.en}",
            )
        return Point(town.lon, town.lat)

    def requests_by_town(self, points: list[tuple[float, float]]) -> dict[str, Any]:
        """Counts of "station needed here" requests at WGS-84 ``points`` per town/street
        (its approximate area): every town listed, by code, with its names; positions
        are not given out, only the counts."""
        from locator.operations.demand import count_in_areas

        def areas() -> tuple[list[str], list[Any]]:
            towns = self.store.snapshot().geodata.reference(registry.TOWNS.id)
            return [f.id for f in towns.features], list(towns.shapes)

        codes, shapes = self._once("town_areas", areas)
        counts, outside = count_in_areas(points, codes, shapes)
        ref = self.store.reference.towns
        rows = [
            {
                "town_code": code,
                "town": ref[code].name if code in ref else code,
                "town_en": ref[code].name_en if code in ref else "",
                "district_code": ref[code].district_code if code in ref else "",
                "requests": counts[code],
            }
            for code in sorted(counts)
        ]
        return {"total": len(points), "outside_towns": outside, "towns": rows}

    def nearest(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer:
        """The k nearest facilities over the query's layers."""
        self._check_layers(query)
        return self._filtered(query, now, per_layer=False)

    def nearest_by_layer(self, query: NearestQuery, now: dt.datetime) -> NearestAnswer:
        """k nearest from each of the query's layers, in the query's layer order."""
        self._check_layers(query)
        return self._filtered(query, now, per_layer=True)

    def _filtered(self, query: NearestQuery, now: dt.datetime, per_layer: bool) -> NearestAnswer:
        """The answer, and with the open-on-arrival filter, how many places with unknown
        hours it left out: those among the answer that keeps them. That answer is asked
        first; when it holds none, it is the filtered answer too (one search)."""

        net = self.network

        def straight(q: NearestQuery) -> list[Nearby]:
            return (
                self.store.nearest(q, now, per_layer=True)
                if per_layer
                else self.store.nearest(q, now)
            )

        ask = (
            straight if net is None else partial(self._along_streets, now=now, per_layer=per_layer)
        )
        if not query.open_on_arrival or query.keep_unknown_hours:
            return self._answer(query, ask(query), now)
        lenient = ask(dataclasses.replace(query, keep_unknown_hours=True))
        left_out: dict[str, int] = {}
        for r in lenient:
            if r.hours_on_arrival.state == UNKNOWN:
                left_out[r.facility.layer] = left_out.get(r.facility.layer, 0) + 1
        if not left_out:
            return self._answer(query, lenient, now)
        strict = ask(query)
        return dataclasses.replace(
            self._answer(query, strict, now), unknown_hours_left_out=left_out
        )

    # ------------------------------------------------------------------ the street network

    @property
    def network_info(self) -> NetworkInfo | None:
        """Where the street network came from (None: no network)."""
        net = self.network
        return net.info if net is not None else None

    def _snapped(self, travel: str, group: str) -> SnappedLayer:
        """The facilities of ``group`` (a layer id, or "*" for every layer) joined to the
        graph of ``travel``: worked out once per data version."""
        from locator.operations.network_nearest import snap_index

        def make() -> SnappedLayer:
            snap = self.store.snapshot()
            index = snap.union if group == "*" else snap.indexes[group]  # type: ignore[attr-defined]
            assert self.network is not None
            return snap_index(self.network, self._joinable(travel), index)

        return self._once(f"snapped:{travel}:{group}", make)

    def _joinable(self, travel: str) -> Joinable:
        """The nodes of the graph of ``travel`` a point may join (its largest strongly
        connected component): worked out once per data version."""
        from locator.operations.network_nearest import join_graph

        def make() -> Joinable:
            assert self.network is not None
            return join_graph(self.network, travel)

        return self._once(f"joinable:{travel}", make)

    def _along_streets(self, q: NearestQuery, now: dt.datetime, per_layer: bool) -> list[Nearby]:
        """Nearest by travel time along the network (operations.network_nearest); a point
        off the network gets today's straight-line answer, each result labelled so."""
        from locator.operations.network_nearest import network_nearest

        net = self.network
        assert net is not None
        snap = self.store.snapshot()
        indexes = snap.indexes  # type: ignore[attr-defined]
        groups = (
            [(snap.union, self._snapped(q.travel, "*"))]  # type: ignore[attr-defined]
            if not per_layer and set(q.layers) == indexes.keys()
            else [(indexes[lid], self._snapped(q.travel, lid)) for lid in q.layers]
        )
        calendar = self.store.reference.calendar
        found = network_nearest(
            net, self._joinable(q.travel), groups, q, now, calendar=calendar, per_group=per_layer
        )
        if found is not None:
            return found
        rows = self.store.nearest(q, now, per_layer=per_layer)
        return [dataclasses.replace(r, reason=ORIGIN_OFF) for r in rows]

    def facility_details(
        self,
        facility_id: str,
        now: dt.datetime,
        origin: Point | None = None,
        travel: str = WALK,
    ) -> FacilityDetails:
        """A facility with its hours at ``now`` and the 7 days from ``now``; from
        ``origin`` (WGS-84), also the trip there by ``travel`` and the hours on arrival."""
        fac = self.store.get(facility_id)
        assert isinstance(fac, Facility)
        expr = fac.properties.get("opening_hours")
        calendar = self.store.reference.calendar
        trip = None
        if origin is not None:
            q = NearestQuery(point=origin, layers=(fac.layer,), k=1, at=now, travel=travel)
            net = self.network
            if net is not None:
                from locator.operations.network_nearest import network_trip

                snap = self.store.snapshot()
                index = snap.indexes[fac.layer]  # type: ignore[attr-defined]
                position = self._once(
                    f"positions:{fac.layer}", lambda: {fid: i for i, fid in enumerate(index.ids)}
                )[fac.id]
                snapped = self._snapped(travel, fac.layer)
                trip = network_trip(
                    net, self._joinable(travel), index, snapped, position, q, now, calendar=calendar
                )
            if trip is None:
                az, _, d = geodesic_inverse_point()(origin.lon, origin.lat, fac.lon, fac.lat)
                trip = nearby(fac, d, az % 360.0, q, now, calendar)
                if net is not None:
                    trip = dataclasses.replace(trip, reason=ORIGIN_OFF)
        return FacilityDetails(
            fac,
            self.store.infos[fac.layer],
            hours_status(expr, now, calendar),
            week_schedule(expr, now.date(), calendar),
            now,
            trip,
            self.network.info if self.network is not None else None,
        )

    def phone_view(
        self, query: NearestQuery | None, now: dt.datetime, town_code: str | None = None
    ) -> PhoneView:
        """Everything the phone page shows, with the nearest of each layer when asked;
        ``town_code`` names the town whose seat the query's position is."""
        answer = self.nearest_by_layer(query, now) if query is not None else None
        ref = self.store.reference
        town = ref.towns.get(town_code) if town_code else None
        return PhoneView(
            self.collection_infos(facilities_only=True),
            towns_by_district(ref.districts, ref.towns),
            answer,
            town,
        )

    def offline_pack(self, start: dt.date) -> dict[str, Any]:
        """The offline data pack (:mod:`locator.operations.offline`) from the local day
        ``start``: built once per data version and day (it is the same for every phone)."""
        with self._pack_lock:
            if self._pack.get("key") != start:
                from locator.operations.offline import build_pack

                snap = self.store.snapshot()
                ref = self.store.reference
                pack = build_pack(
                    self.version,
                    [(self.store.infos[lid], facs) for lid, facs in snap.facilities().items()],
                    sorted(ref.towns.values(), key=lambda t: t.code),
                    start,
                    calendar=ref.calendar,
                )
                self._pack.update(key=start, pack=pack)
            return self._pack["pack"]

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
        """Points outside the service area are answered too, and flagged."""
        area = self.store.reference.service_area
        inside = area.contains(query.point)
        dist = 0.0 if inside else area.distance_m(query.point)
        net = self.network
        origin_off = False
        if net is not None and not results:  # no result to say how the point joined
            from locator.operations.network_nearest import snap_origin

            joinable = self._joinable(query.travel)
            origin_off = snap_origin(net, joinable, query.point.lon, query.point.lat) is None
        return NearestAnswer(
            query.point,
            results,
            inside,
            dist,
            query.at or now,
            network=net.info if net is not None else None,
            origin_off_network=origin_off,
        )

    # ------------------------------------------------------------------ map and routes

    def _once(self, name: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` worked out once per version and kept under ``name`` (a lock per
        service: functools.cached_property on Python 3.11 holds one lock for every
        instance, so one version's slow first answer would hold up every other's)."""
        found = self._derived.get(name)
        if found is None:
            with self._derived_lock:
                found = self._derived.get(name)
                if found is None:
                    found = self._derived[name] = compute()
        return found

    @property
    def _district_outlines(self) -> dict[str, object]:
        """District polygons generalised to ~100 m (0.001°), for drawing at city scale."""
        return self._once("district_outlines", self._make_district_outlines)

    def _make_district_outlines(self) -> dict[str, object]:
        import shapely

        return {
            code: shapely.set_precision(shapely.simplify(geom, 0.001, preserve_topology=True), 1e-5)
            for code, geom in self.store.snapshot().geodata.district_shapes.items()
        }

    @property
    def _route_details(self) -> dict[str, RouteDetails]:
        """Route id -> the route worked out (stops, legs along the roads or straight,
        facilities along, gap), once per data version: with a network that is 2 bounded
        shortest-path searches a leg (coach and bike)."""
        return self._once("route_details", self._make_route_details)

    def _make_route_details(self) -> dict[str, RouteDetails]:
        from locator.operations.routes import route_details

        snap = self.store.snapshot()
        coll = snap.geodata.collections.get(registry.ROUTES_DECL.id)
        if coll is None:
            return {}
        facilities = snap.facilities()
        # legs follow this version's street network where it covers them (None: straight)
        net = self.network
        out = {}
        for feat in coll.features:
            assert isinstance(feat, Feature)
            out[feat.id] = route_details(feat, facilities, self.city.metric_epsg, net)
        return out

    def map_view(self, max_points: int) -> MapView:
        """Everything the overview map draws, at most ``max_points`` per layer."""
        snap = self.store.snapshot()
        return MapView(
            [
                (self.store.infos[lid], _thin(facs, max_points))
                for lid, facs in snap.facilities().items()
            ],
            self._district_outlines,
            [d.summary for d in self._route_details.values()],
        )

    def routes(self, district: str | None = None, theme: str | None = None) -> RouteList:
        """The rural routes passing ``district`` (6-digit code) with ``theme`` (zh or en);
        InvalidQuery naming the parameter for a district or theme no route has."""
        every = [d.summary for d in self._route_details.values()]
        themes = list(dict.fromkeys((r.theme, r.theme_en) for r in every))
        codes = sorted({c for r in every for c in r.districts})
        known = self.store.reference.districts
        districts = [known[c] for c in codes if c in known]
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

    def route(self, route_id: str) -> RouteDetails:
        """One route with its stops, the facilities along it and its longest gap."""
        try:
            return self._route_details[route_id]
        except KeyError:
            raise FeatureNotFound(route_id, registry.ROUTES_DECL.id) from None

    # ------------------------------------------------------------------ planner

    def grid(self, cell_m: int, progress: Progress | None = None) -> Grid:
        """The planner's grid of ``cell_m`` metre cells over the city (built once)."""
        if cell_m not in CELL_SIZES_M:
            raise InvalidQuery(
                "cell_m", f"cell_m must be one of {', '.join(map(str, CELL_SIZES_M))}, got {cell_m}"
            )
        grid = self._grids.get(cell_m)
        if grid is not None:
            return grid
        with self._grid_lock:
            grid = self._grids.get(cell_m)
            if grid is None:
                from locator.operations.coverage import build_grid

                geodata = self.store.snapshot().geodata
                towns = geodata.reference(registry.TOWNS.id)
                grid = build_grid(
                    geodata.city,
                    geodata.district_shapes,
                    geodata.districts,
                    {f.id: g for f, g in zip(towns.features, towns.shapes, strict=True)},
                    geodata.towns,
                    cell_m,
                    progress or _no_progress,
                    profile=self.city,
                )
                self._grids[cell_m] = grid
            return grid

    def _cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The answer for ``key``, computed once: a request that finds the same question
        already being worked on waits for that answer instead of computing it again, and
        at most PLANNER_WORKERS questions are computed at a time. At most PLANNER_WAITERS
        requests wait (for a slot, at most SLOT_WAIT_S, or for that answer); any other is
        answered PlannerBusy (503 with Retry-After) at once, so that no more request
        threads than these are held by the planner."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
            self._raise_if_refused(key)
        if not _PLANNER_WAITING.acquire(blocking=False):
            raise _busy()
        try:
            found, running = self._wait_turn(key)
        finally:
            _PLANNER_WAITING.release()
        if running is None:
            return found
        try:
            try:  # on the planner's own threads, at a lower priority; this one waits
                value = _planner_pool().submit(compute).result()
            except TooCostly as exc:
                with self._lock:
                    self._refused[key] = (exc, time.monotonic() + REFUSAL_KEPT_S)
                raise
            finally:
                _PLANNER_SLOTS.release()
            with self._lock:
                self._answers[key] = value
                while len(self._answers) > ANSWER_CACHE:
                    self._answers.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            running.set()

    def _raise_if_refused(self, key: tuple) -> None:
        """Raise the refusal ``key`` got when computed, if it is recent (under _lock)."""
        refused = self._refused.get(key)
        if refused is not None:
            if refused[1] > time.monotonic():
                raise refused[0]
            del self._refused[key]

    def _wait_turn(self, key: tuple) -> tuple[Any, threading.Event | None]:
        """``(answer, None)`` when another request's answer to ``key`` came meanwhile
        (waited for up to TIME_LIMIT_S), or ``(None, event)`` with a planner slot held
        (waited for up to SLOT_WAIT_S) and ``key`` marked in flight (set ``event`` when
        done); PlannerBusy when either wait runs out."""
        deadline = time.monotonic() + TIME_LIMIT_S + SLOT_WAIT_S
        while True:
            with self._lock:
                if key in self._answers:
                    self._answers.move_to_end(key)
                    return self._answers[key], None
                self._raise_if_refused(key)  # the request computing it ran out of time
                running = self._inflight.get(key)
                if running is None:
                    running = self._inflight[key] = threading.Event()
                    break
            # someone else computes it; then look again (or take over)
            if not running.wait(max(0.0, deadline - time.monotonic())):
                raise _busy()
        if _PLANNER_SLOTS.acquire(timeout=SLOT_WAIT_S):
            return None, running
        with self._lock:
            self._inflight.pop(key, None)
        running.set()  # a request waiting for this answer looks again (and takes over)
        raise _busy()

    @property
    def _city_bounds_m(self) -> tuple[float, float, float, float]:
        """The city's bounding box in its metric CRS (metres)."""

        def bounds() -> tuple[float, float, float, float]:
            from locator.values.geo.distance import geometry_to_metric

            geodata = self.store.snapshot().geodata
            return tuple(geometry_to_metric(geodata.city, self.city.metric_epsg).bounds)

        return self._once("city_bounds_m", bounds)

    def check_demand_cost(self, demand: Demand, cell_m: int, param: str = "demand_file") -> None:
        """TooCostly naming ``param`` when placing ``demand`` on the grid of ``cell_m``
        metre cells would take more than the planner's budget of point-in-polygon tests
        (estimated from the polygons' boxes, before any work is done)."""
        from locator.operations.coverage import MAX_DEMAND_TESTS, demand_tests

        tests = demand_tests(demand, cell_m, self.city.metric_epsg, self._city_bounds_m)
        if tests > MAX_DEMAND_TESTS:
            raise TooCostly(
                param,
                f"{param}: 需求多边形覆盖的网格过多(约 {tests:,} 次判断，上限 "
                f"{MAX_DEMAND_TESTS:,})；请合并或简化多边形，或用更大的网格(cell_m) · the "
                f"demand polygons cover too many grid cells at cell_m={cell_m} (about "
                f"{tests:,} point-in-polygon tests, at most {MAX_DEMAND_TESTS:,}); merge or "
                "clip the polygons, use fewer, or choose a larger cell_m",
            )

    def _planner_layers(self, query: CoverageQuery) -> tuple[str, ...]:
        check_radius(query.radius_m)  # before any grid is built
        return self.resolve_layers(list(query.layers))

    def _timed_fields(
        self, query: CoverageQuery, layers: tuple[str, ...], progress: Progress | None
    ) -> tuple[Grid, np.ndarray, np.ndarray | None, Progress]:
        """:meth:`_cell_fields` for a computation, and the progress that stops it at
        TIME_LIMIT_S: the grid (built once a version) does not count against the limit."""
        self.grid(query.cell_m, progress)
        timed = _timed(progress or _no_progress, TIME_LIMIT_S)
        return (*self._cell_fields(query, layers, timed), timed)

    def _cell_fields(
        self, query: CoverageQuery, layers: tuple[str, ...], progress: Progress | None
    ) -> tuple[Grid, np.ndarray, np.ndarray | None]:
        """The grid, each cell's distance to the nearest counted facility (metres) and
        each cell's demand (None by area), each worked out once per version and question
        (the page asks coverage and suggestions of the same grid)."""
        from locator.operations.coverage import (
            counted_facilities,
            demand_weights,
            nearest_distances,
        )

        grid = self.grid(query.cell_m, progress)
        minute = _minute(query)
        dkey = ("dist", query.cell_m, layers, minute)
        wkey = ("weights", query.cell_m, query.demand_key)
        with self._lock:
            dist = self._fields.get(dkey)
            weights = self._fields.get(wkey)
        if dist is None:
            counted, _ = counted_facilities(
                self.store.snapshot().facilities(), layers, query.at, self.store.reference.calendar
            )
            dist = nearest_distances(grid, counted)
        if weights is None and query.demand is not None:
            weights = demand_weights(grid, query.demand, progress or _no_progress)
        with self._lock:
            for key, value in ((dkey, dist), (wkey, weights)):
                if value is not None:
                    self._fields[key] = value
                    self._fields.move_to_end(key)
            while len(self._fields) > FIELD_CACHE:
                self._fields.popitem(last=False)
        return grid, dist, weights if query.demand is not None else None

    def coverage(self, query: CoverageQuery, progress: Progress | None = None) -> CoverageReport:
        """Coverage per district or town and for the city (cached per data version);
        within a travel time when the query has ``minutes`` (along the streets when this
        version has a network, else the straight-line estimate, and the answer says
        which)."""
        from locator.operations.coverage import coverage_report

        layers = self._planner_layers(query)
        minute = _minute(query)
        key = (
            "coverage",
            layers,
            query.radius_m,
            query.by,
            minute,
            query.cell_m,
            query.demand_key,
            *_reach_key(query),
        )

        def compute() -> CoverageReport:
            grid, dist, weights, timed = self._timed_fields(query, layers, progress)
            times = self._cell_times(query, layers, grid, dist)
            return coverage_report(
                grid,
                self.store.snapshot().facilities(),
                layers,
                query.radius_m,
                query.by,
                query.at,
                query.demand,
                progress=timed,
                calendar=self.store.reference.calendar,
                dist=dist,
                weights=weights,
                times=times,
                limit_s=None if query.minutes is None else query.minutes * 60.0,
                network=self._network_about() if times is not None else None,
            )

        return self._cached(key, compute)

    def suggest(
        self,
        query: CoverageQuery,
        n: int,
        candidates: list[tuple[float, float]] | None = None,
        progress: Progress | None = None,
    ) -> SuggestResult:
        """``n`` new sites that bring the most uncovered demand (or area) within reach:
        within the radius, or within the travel time along the streets (with a network;
        off a partial one, and without one, the time's straight-line radius)."""
        from locator.operations.coverage import suggest_sites

        layers = self._planner_layers(query)
        minute = _minute(query)
        key = (
            "suggest",
            layers,
            query.radius_m,
            minute,
            query.cell_m,
            query.demand_key,
            n,
            _digest(candidates),
            *_reach_key(query),
        )

        def compute() -> SuggestResult:
            grid, dist, weights, timed = self._timed_fields(query, layers, progress)
            net = self.network if query.minutes is not None else None
            if net is not None and query.minutes is not None:
                from locator.operations.travel_coverage import suggest_sites_by_time

                times = self._cell_times(query, layers, grid, dist)
                assert times is not None
                return suggest_sites_by_time(
                    grid,
                    net,
                    query.travel,
                    query.minutes,
                    n,
                    times,
                    weights if weights is not None else np.full(grid.size, grid.cell_km2),
                    self._cell_nodes(grid, query.travel),
                    weights is not None,
                    candidates,
                    timed,
                )
            result = suggest_sites(
                grid,
                self.store.snapshot().facilities(),
                layers,
                query.radius_m,
                n,
                query.at,
                query.demand,
                candidates,
                timed,
                calendar=self.store.reference.calendar,
                dist=dist,
                weights=weights,
            )
            if query.minutes is not None:  # the time's straight-line radius
                result = dataclasses.replace(result, along="straight_line_estimate")
            return result

        return self._cached(key, compute)

    # ------------------------------------------------------------------ travel times

    def _network_about(self) -> dict[str, Any] | None:
        """What the answers say of the network they were measured on."""
        net = self.network
        return None if net is None else net.info.about()

    def _cell_nodes(self, grid: Grid, travel: str) -> Any:
        """Where each cell of ``grid`` joins the ``travel`` graph (once a version)."""
        from locator.operations.travel_coverage import snap_cells

        key = ("cells", grid.cell_m, travel)
        with self._lock:
            found = self._fields.get(key)
        if found is None:
            net = self.network
            assert net is not None, "cells join a network only when there is one"
            found = snap_cells(net, travel, grid)
            self._keep_field(key, found)
        return found

    def _cell_times(
        self, query: CoverageQuery, layers: tuple[str, ...], grid: Grid, dist: np.ndarray
    ) -> Any:
        """Seconds from every cell to the nearest counted facility by ``query.travel``
        (None for a radius): along the streets with a network (one Dijkstra pass, kept
        per version and question: the same for every number of minutes; cells and
        facilities off a partial network by the straight-line estimate, basis
        ``mixed``), else the straight-line estimate from ``dist``."""
        from locator.operations.travel_coverage import (
            network_cell_times,
            straight_cell_times,
        )

        if query.minutes is None:
            return None
        net = self.network
        if net is None:
            return straight_cell_times(dist, query.travel)
        key = ("times", query.cell_m, layers, _minute(query), query.travel)
        with self._lock:
            found = self._fields.get(key)
        if found is None:
            from locator.operations.coverage import counted_facilities

            counted, _ = counted_facilities(
                self.store.snapshot().facilities(), layers, query.at, self.store.reference.calendar
            )
            found = network_cell_times(
                net, query.travel, grid, counted, self._cell_nodes(grid, query.travel)
            )
            self._keep_field(key, found)
        return found

    def _keep_field(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._fields[key] = value
            self._fields.move_to_end(key)
            while len(self._fields) > FIELD_CACHE:
                self._fields.popitem(last=False)

    def demand_example(self, name: str) -> Demand:
        """A bundled demand example (e.g. ``heshan-2020``)."""
        from locator.formats.demand import read_example_demand
        from locator.operations.demand import CENSUS, example_file

        file = example_file(name)
        if name == CENSUS:
            return self._once("census_demand", self._make_census_demand)
        snap = self.store.snapshot()
        towns = snap.geodata.reference(registry.TOWNS.id)
        return read_example_demand(
            name,
            snap.document(file),
            {f.id: g for f, g in zip(towns.features, towns.shapes, strict=True)},
        )

    def demand_examples(self) -> tuple[str, ...]:
        """The bundled demand examples this data version holds the file of (a built city
        has the census table but not Jiangmen's Heshan town table)."""
        from locator.operations.demand import EXAMPLES

        def held() -> tuple[str, ...]:
            snap = self.store.snapshot()
            out = []
            for name, (file, _label) in EXAMPLES.items():
                try:
                    snap.document(file)
                except (DataError, OSError):
                    continue
                out.append(name)
            return tuple(out)

        return self._once("demand_examples", held)

    def default_demand(self) -> str | None:
        """The demand a planner gets when asking for none: the whole city's census when
        this data version has the county table and a figure for every district, else
        None (shares by area)."""
        from locator.operations.demand import CENSUS

        def usable() -> bool:
            try:
                self.demand_example(CENSUS)
            except (DataError, InvalidQuery):
                return False
            return True

        return CENSUS if self._once("census_usable", usable) else None

    def _make_census_demand(self) -> Demand:
        """The whole city's 2020 census on the grid's areas (operations.demand)."""
        from locator.formats.demand import read_county_population, read_town_population
        from locator.operations.demand import COUNTY_TABLE, TOWN_TABLES, city_census_demand

        snap = self.store.snapshot()
        ref = self.store.reference
        towns: dict[str, float] = {}
        for name in TOWN_TABLES:
            try:
                towns.update(read_town_population(snap.document(name)))
            except DataError:
                pass  # a city with no published town figures: districts only
        return city_census_demand(
            self.city.name.zh,
            ref.districts,
            ref.towns,
            read_county_population(snap.document(COUNTY_TABLE), self.city.code),
            towns,
        )


def _minute(query: CoverageQuery) -> str:
    """The question's time to the minute, for cache keys ("" for any time)."""
    return query.at.strftime("%Y%m%d%H%M") if query.at else ""


def _reach_key(query: CoverageQuery) -> tuple:
    """The travel time of a question, for cache keys (empty for a radius)."""
    return () if query.minutes is None else ("minutes", query.minutes, query.travel)


def _digest(candidates: list[tuple[float, float]] | None) -> str:
    """A key for uploaded candidate premises: its digest, not the tens of thousands of
    points a kept answer's key would otherwise hold."""
    if not candidates:
        return ""
    import hashlib

    return hashlib.sha256(np.asarray(candidates, dtype=float).tobytes()).hexdigest()


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


class Services:
    """The service of a holder's current store: a new :class:`Service` (with empty caches)
    for each new data version, the same one while the version lasts. A request reads
    :meth:`current` once and keeps it to the end."""

    def __init__(self, holder: Any):
        self.holder = holder
        self._lock = threading.Lock()
        self._service: Service | None = None

    def current(self) -> Service:
        svc = self._service
        if svc is not None and svc.store is self.holder.catalog:
            return svc
        with self._lock:
            # read again under the lock: only the holder's newest store is ever installed,
            # so a request that read an older store before a swap cannot bring it back
            store = self.holder.catalog
            svc = self._service
            if svc is None or svc.store is not store:
                svc = self._service = Service(store)
            return svc
