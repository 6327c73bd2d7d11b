"""Coverage: how much of the city (or of its people) is within reach of a facility, and
where the next stations do the most good.

Everything is measured in the city profile's metric CRS (Jiangmen's: UTM 49N), in metres,
on a regular grid of square cells over the city's land (cell centres inside the city
polygon). A cell is covered when the nearest counted facility is within ``radius_m`` of
its centre (``scipy``'s KD-tree; straight-line distance). Shares are by area (every cell
weighs the same) or, when a demand is given (weighted points or polygons: people,
workers), by demand: a polygon's weight is spread evenly over the cells whose centres it
contains.

Town areas are approximate (Voronoi cells of the seats, clipped to the districts): every
per-town figure inherits that, and says so.

geopandas/shapely stay here and in the importer, imported where needed: the nearest-query
path never loads this module.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import shapely
from scipy.spatial import cKDTree

from locator.operations.hours import OPEN, Calendar, hours_status
from locator.values.city import CityProfile
from locator.values.errors import InvalidQuery
from locator.values.geo.distance import from_metric, geometry_to_metric, to_metric
from locator.values.models import District, Facility, Town

RADIUS_RANGE_M = (100.0, 20_000.0)
CELL_SIZES_M = (100, 250, 500, 1000)
MAX_SUGGEST = 50
#: candidates and demand bins for suggestions are never closer than this (metres): a
#: 100 m radius on a 100 m grid would otherwise make a million candidates
MIN_SPACING_M = 250.0
#: uncovered cell centres kept with a report (for the map; an even sample beyond)
UNCOVERED_KEPT = 20_000
Progress = Callable[[str, float], None]


def _quiet(_step: str, _fraction: float) -> None:
    pass


# ---------------------------------------------------------------------- the grid


@dataclass(frozen=True)
class Area:
    """A district or a town (approximate area) in the city's metric CRS."""

    code: str
    name: str
    name_en: str
    kind: str  # district | town
    geometry: Any = field(repr=False)  # shapely, metric CRS
    district_code: str = ""
    approximate: bool = False


@dataclass(frozen=True)
class Grid:
    """Cell centres over the city's land (metres, the profile's metric CRS) and the area
    each lies in."""

    cell_m: float
    x: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    town: np.ndarray = field(repr=False)  # index into ``towns``, -1 for none
    district: np.ndarray = field(repr=False)  # index into ``districts``
    towns: tuple[Area, ...] = field(repr=False)
    districts: tuple[Area, ...] = field(repr=False)
    x0: float = 0.0
    y0: float = 0.0
    #: (rows, columns) of the full rectangle -> cell index, -1 outside the city: finds the
    #: cells in a box by slicing instead of scanning every cell
    raster: np.ndarray | None = field(default=None, repr=False)
    city: Any = field(default=None, repr=False)  # the city polygon, metric CRS
    #: the city's profile: its metric CRS (the grid's coordinates) and its code and names
    profile: CityProfile | None = field(default=None, repr=False)

    @property
    def epsg(self) -> int:
        """EPSG code of the metric CRS the cells are in."""
        assert self.profile is not None, "a grid is built with its city profile"
        return self.profile.metric_epsg

    def cells_in_box(self, minx: float, miny: float, maxx: float, maxy: float) -> np.ndarray:
        """Indices of the cells whose centres lie in the box (metric CRS)."""
        if self.raster is None:
            return np.nonzero(
                (self.x >= minx) & (self.x <= maxx) & (self.y >= miny) & (self.y <= maxy)
            )[0]
        rows, cols = self.raster.shape
        c0 = max(0, int(np.ceil((minx - self.x0) / self.cell_m)))
        c1 = min(cols - 1, int(np.floor((maxx - self.x0) / self.cell_m)))
        r0 = max(0, int(np.ceil((miny - self.y0) / self.cell_m)))
        r1 = min(rows - 1, int(np.floor((maxy - self.y0) / self.cell_m)))
        if c1 < c0 or r1 < r0:
            return np.empty(0, dtype=np.int64)
        block = self.raster[r0 : r1 + 1, c0 : c1 + 1].ravel()
        return block[block >= 0].astype(np.int64)

    @property
    def size(self) -> int:
        return int(self.x.size)

    @property
    def cell_km2(self) -> float:
        return self.cell_m * self.cell_m / 1e6

    def tree(self) -> cKDTree:
        return cKDTree(np.column_stack([self.x, self.y]))


def _assign(areas: Sequence[Area], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the area whose polygon contains each point (-1 for none)."""
    out = np.full(x.size, -1, dtype=np.int32)
    for i, area in enumerate(areas):
        minx, miny, maxx, maxy = area.geometry.bounds
        cand = np.nonzero((out < 0) & (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))[0]
        if cand.size:
            shapely.prepare(area.geometry)
            out[cand[shapely.contains_xy(area.geometry, x[cand], y[cand])]] = i
    return out


def build_grid(
    city_wgs84,
    districts: Mapping[str, Any],
    district_info: Mapping[str, District],
    towns: Mapping[str, Any],
    town_info: Mapping[str, Town],
    cell_m: float,
    progress: Progress = _quiet,
    *,
    profile: CityProfile,
) -> Grid:
    """Cells of ``cell_m`` metres over the city, in the profile's metric CRS. ``districts``
    and ``towns`` map codes to WGS-84 polygons; a cell in no town area is counted for its
    district and the city."""
    progress("grid", 0.0)
    epsg = profile.metric_epsg
    city = geometry_to_metric(city_wgs84, epsg)
    shapely.prepare(city)
    minx, miny, maxx, maxy = city.bounds
    x0, y0 = minx + cell_m / 2, miny + cell_m / 2
    xs, ys = np.arange(x0, maxx, cell_m), np.arange(y0, maxy, cell_m)
    mesh_x, mesh_y = np.meshgrid(xs, ys)
    gx, gy = mesh_x.ravel(), mesh_y.ravel()
    inside = shapely.contains_xy(city, gx, gy)
    x, y = gx[inside], gy[inside]
    progress("grid", 0.3)
    d_areas = tuple(
        Area(
            code,
            district_info[code].name,
            district_info[code].name_en,
            "district",
            geometry_to_metric(g, epsg),
        )
        for code, g in sorted(districts.items())
    )
    t_areas = tuple(
        Area(
            code,
            town_info[code].name if code in town_info else code,
            town_info[code].name_en if code in town_info else "",
            "town",
            geometry_to_metric(g, epsg),
            code[:6],
            True,
        )
        for code, g in sorted(towns.items())
    )
    district = _assign(d_areas, x, y)
    progress("grid", 0.6)
    town = _assign(t_areas, x, y)
    # a cell on a border the generalised district polygons leave open: nearest district
    lost = district < 0
    if lost.any():
        centroids = np.array([[a.geometry.centroid.x, a.geometry.centroid.y] for a in d_areas])
        _, nearest = cKDTree(centroids).query(np.column_stack([x[lost], y[lost]]))
        district[lost] = nearest
    raster = np.full(mesh_x.shape, -1, dtype=np.int32)
    raster.ravel()[np.nonzero(inside)[0]] = np.arange(int(inside.sum()), dtype=np.int32)
    progress("grid", 1.0)
    return Grid(
        float(cell_m), x, y, town, district, t_areas, d_areas, x0, y0, raster, city, profile
    )


# ---------------------------------------------------------------------- demand


@dataclass(frozen=True)
class Demand:
    """Weighted demand in WGS-84: points ``(lon, lat, weight)``, polygons ``(shapely
    polygon, weight)`` and/or areas of the grid ``(district or town code, weight)``, each
    spread evenly over the land cells the grid assigns to that area; ``label`` says what
    it is (shown with every share)."""

    label: str
    points: tuple[tuple[float, float, float], ...] = ()
    polygons: tuple[tuple[Any, float], ...] = ()
    areas: tuple[tuple[str, float], ...] = ()

    @property
    def total(self) -> float:
        return float(
            sum(w for *_, w in self.points)
            + sum(w for _, w in self.polygons)
            + sum(w for _, w in self.areas)
        )


#: the most point-in-polygon tests a demand may cost on one grid: every cell centre in
#: each polygon's bounding box is one test (about 0.15 µs each: some 1.5 s in all). A
#: city-sized polygon at 100 m cells is about a million tests, at 1,000 m ten thousand.
MAX_DEMAND_TESTS = 10_000_000
#: what one polygon costs besides its tests (its own set-up), in tests
POLYGON_OVERHEAD_TESTS = 64


def demand_tests(
    demand: Demand, cell_m: float, epsg: int, within: tuple[float, float, float, float]
) -> int:
    """Estimate, before any is done, the point-in-polygon tests :func:`demand_weights`
    makes: the grid cells in each polygon's bounding box clipped to ``within`` (the city's
    bounds, metres in ``EPSG:<epsg>``), plus a fixed cost per polygon. Points cost a
    KD-tree query each and are not counted."""
    if not demand.polygons:
        return 0
    polys = geometry_to_metric(np.array([p for p, _ in demand.polygons], dtype=object), epsg)
    b = shapely.bounds(polys)
    w = np.clip(np.minimum(b[:, 2], within[2]) - np.maximum(b[:, 0], within[0]), 0, None)
    h = np.clip(np.minimum(b[:, 3], within[3]) - np.maximum(b[:, 1], within[1]), 0, None)
    meets = (b[:, 0] <= within[2]) & (b[:, 2] >= within[0])
    meets &= (b[:, 1] <= within[3]) & (b[:, 3] >= within[1])
    cells = np.ceil(w / cell_m + 1) * np.ceil(h / cell_m + 1) * meets
    return int(cells.sum()) + POLYGON_OVERHEAD_TESTS * len(polys)


def demand_weights(grid: Grid, demand: Demand, progress: Progress = _quiet) -> np.ndarray:
    """Weight per cell. A point goes to its nearest cell; a polygon's weight is spread
    evenly over the cells whose centres it contains (its nearest cell when it contains
    none). Demand outside the city is dropped (and reported by the caller).

    The polygons are projected, measured against the city and placed in one vectorised
    pass each; only the point-in-polygon tests go polygon by polygon, over the cells of
    its box (their number is bounded beforehand: :func:`demand_tests`). ``progress`` is
    called between polygons (it may raise to stop the work)."""
    w = np.zeros(grid.size)
    tree = grid.tree() if demand.points or demand.polygons else None
    if demand.points:
        assert tree is not None
        lon = np.array([p[0] for p in demand.points])
        lat = np.array([p[1] for p in demand.points])
        px, py = to_metric(lon, lat, grid.epsg)
        dist, idx = tree.query(np.column_stack([px, py]))
        weights = np.array([p[2] for p in demand.points])
        ok = dist <= grid.cell_m  # farther than a cell from any cell: outside the city
        np.add.at(w, idx[ok], weights[ok])
    if demand.polygons:
        assert tree is not None
        _add_polygons(grid, demand.polygons, tree, w, progress)
    if demand.areas:
        index = {a.code: ("town", i) for i, a in enumerate(grid.towns)}
        index.update({a.code: ("district", i) for i, a in enumerate(grid.districts)})
        for code, weight in demand.areas:
            found = index.get(code)
            if found is None:
                continue  # not an area of this city: outside (reported by the caller)
            kind, i = found
            cells = np.nonzero((grid.town if kind == "town" else grid.district) == i)[0]
            if cells.size:
                w[cells] += weight / cells.size
    return w


def _add_polygons(
    grid: Grid,
    polygons: Sequence[tuple[Any, float]],
    tree: cKDTree,
    w: np.ndarray,
    progress: Progress,
) -> None:
    """Add each polygon's weight to ``w`` (see :func:`demand_weights`)."""
    polys = geometry_to_metric(np.array([p for p, _ in polygons], dtype=object), grid.epsg)
    pweights = np.array([wt for _, wt in polygons], dtype=float)
    # a polygon partly outside the city brings only its share inside (by area)
    share = np.ones(len(polys))
    if grid.city is not None:
        areas = shapely.area(polys)
        partly = (areas > 0) & ~shapely.contains(grid.city, polys)
        if partly.any():
            inside_area = shapely.area(shapely.intersection(polys[partly], grid.city))
            share[partly] = inside_area / areas[partly]
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    empty: list[int] = []
    step = max(1, len(polys) // 20)
    for i, g in enumerate(polys):
        if i % step == 0:
            progress("demand", i / len(polys))
        cand = grid.cells_in_box(*bounds[i])
        inside = cand[shapely.contains_xy(g, grid.x[cand], grid.y[cand])] if cand.size else cand
        if inside.size:
            w[inside] += pweights[i] * share[i] / inside.size
        else:
            empty.append(i)
    if empty:  # contains no cell centre: its nearest cell takes it all
        reps = shapely.get_coordinates(shapely.point_on_surface(polys[empty]))
        dist, idx = tree.query(reps)
        ok = dist <= grid.cell_m
        np.add.at(w, idx[ok], pweights[empty][ok])


# ---------------------------------------------------------------------- coverage


@dataclass(frozen=True)
class AreaCoverage:
    """One district, one town or the whole city. Areas are on the grid (cells x cell
    area); ``covered_share`` is by demand when ``demand`` is not None (None where the area
    holds no demand); distances are from cell centres to the nearest counted facility."""

    code: str
    name: str
    name_en: str
    kind: str
    area_km2: float
    facilities: int
    covered_share: float | None
    mean_distance_m: float
    max_distance_m: float
    uncovered_km2: float
    demand: float | None = None
    approximate: bool = False
    geometry: Any = field(default=None, repr=False)  # metric CRS polygon, for the downloads
    #: within a travel time only (None for a radius): minutes from the cells to the
    #: nearest counted facility (mean and most, over the cells that reach one), the km²
    #: of cells that reach none (no facility counted), and the km² of cells whose time
    #: is the straight-line estimate (off the street network, or nearest a facility off
    #: it; every cell without a network)
    mean_minutes: float | None = None
    max_minutes: float | None = None
    unreachable_km2: float | None = None
    estimated_km2: float | None = None


@dataclass(frozen=True)
class TravelReach:
    """What "within reach" meant for a coverage by travel time: ``minutes`` by
    ``travel`` (walk | ebike), found along the streets (``basis`` ``network``), by the
    straight-line estimate (``straight``: the same as ``radius_m``, straight-line metres)
    or both (``mixed``: along the streets where the network reaches, the estimate
    elsewhere); what the network left out; and where the network came from (None when
    there is none)."""

    minutes: float
    travel: str
    basis: str  # network | straight | mixed
    radius_m: float  # the straight-line radius the estimate amounts to
    off_network_km2: float = 0.0
    unreachable_km2: float = 0.0
    facilities_off_network: int = 0
    network: dict[str, Any] | None = None
    #: km² of cells whose time is the straight-line estimate
    estimated_km2: float = 0.0


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of ``layers`` within ``radius_m``, per district or town, and the city."""

    layers: tuple[str, ...]
    radius_m: float
    cell_m: float
    at: dt.datetime | None
    by: str
    weighting: str  # area | demand
    demand_label: str
    city: AreaCoverage
    areas: tuple[AreaCoverage, ...]
    facilities_counted: int
    facilities_unknown_hours: int
    towns_without: dict[str, list[tuple[str, str]]]
    demand_outside: float = 0.0
    uncovered_cells: np.ndarray | None = field(default=None, repr=False)  # (n, 2) metric
    #: EPSG code of the metric CRS of ``uncovered_cells`` and the areas' geometries, and
    #: how reports name it ("UTM 49N")
    epsg: int = 0
    crs_name: str = ""
    #: the districts that hold some demand ``(code, name, name_en, demand)``, and how
    #: many districts the city has: when a demand covers only part of the city, every
    #: figure "for the city" is really for those districts, and says so
    demand_districts: tuple[tuple[str, str, str, float], ...] = ()
    districts_in_city: int = 0
    #: a coverage within a travel time (None: within ``radius_m``)
    travel: TravelReach | None = None

    @property
    def demand_partial(self) -> bool:
        """True when a demand is given and some district of the city holds none of it."""
        return self.weighting == "demand" and len(self.demand_districts) < self.districts_in_city


def counted_facilities(
    facilities: Mapping[str, Sequence[Facility]],
    layers: Sequence[str],
    at: dt.datetime | None,
    calendar: Calendar | None = None,
) -> tuple[list[Facility], int]:
    """The facilities of ``layers`` that count: all of them, or those open at ``at``
    (with the holidays of ``calendar``, the data version's: required with ``at``).
    Facilities with unknown hours are not counted at a given time; their number is
    returned beside."""
    if at is not None and calendar is None:
        raise ValueError("a time needs the calendar of the data version")
    out, unknown = [], 0
    for layer in layers:
        for fac in facilities.get(layer, ()):
            if at is None:
                out.append(fac)
                continue
            assert calendar is not None
            state = hours_status(fac.properties.get("opening_hours"), at, calendar).state
            if state == OPEN:
                out.append(fac)
            elif state != "closed":
                unknown += 1
    return out, unknown


def nearest_distances(grid: Grid, facilities: Sequence[Facility]) -> np.ndarray:
    """Metres from every cell centre to the nearest facility (inf when there is none)."""
    if not facilities:
        return np.full(grid.size, np.inf)
    fx, fy = to_metric(
        np.array([f.lon for f in facilities]), np.array([f.lat for f in facilities]), grid.epsg
    )
    dist, _ = cKDTree(np.column_stack([fx, fy])).query(
        np.column_stack([grid.x, grid.y]), workers=-1
    )
    return dist


def check_radius(radius_m: float) -> float:
    lo, hi = RADIUS_RANGE_M
    if not (math.isfinite(radius_m) and lo <= radius_m <= hi):
        raise InvalidQuery(
            "radius_m", f"radius_m must be from {lo:g} to {hi:g} metres, got {radius_m:g}"
        )
    return radius_m


def _area_row(
    area: Area | None,
    mask: np.ndarray,
    dist: np.ndarray,
    covered: np.ndarray,
    weights: np.ndarray | None,
    grid: Grid,
    n_facilities: int,
    code: str = "",
    name: str = "",
    name_en: str = "",
    kind: str = "city",
    seconds: np.ndarray | None = None,
    estimated: np.ndarray | None = None,
) -> AreaCoverage:
    n = int(mask.sum())
    area_km2 = n * grid.cell_km2
    if weights is not None:
        total = float(weights[mask].sum())
        share = float(weights[mask & covered].sum() / total) if total > 0 else None
    else:
        total = None
        share = float(covered[mask].sum() / n) if n else None
    d = dist[mask]
    finite = d[np.isfinite(d)]
    uncovered = float((mask & ~covered).sum()) * grid.cell_km2
    timed: dict[str, Any] = {}
    if seconds is not None:
        t = seconds[mask]
        reached = t[np.isfinite(t)] / 60.0
        timed = {
            "mean_minutes": float(reached.mean()) if reached.size else None,
            "max_minutes": float(reached.max()) if reached.size else None,
            "unreachable_km2": round(float((~np.isfinite(t)).sum()) * grid.cell_km2, 3),
            "estimated_km2": round(
                float(estimated[mask].sum() if estimated is not None else 0) * grid.cell_km2, 3
            ),
        }
    return AreaCoverage(
        area.code if area else code,
        area.name if area else name,
        area.name_en if area else name_en,
        area.kind if area else kind,
        round(area_km2, 3),
        n_facilities,
        share,
        float(finite.mean()) if finite.size else math.inf,
        float(finite.max()) if finite.size else math.inf,
        round(uncovered, 3),
        total,
        area.approximate if area else False,
        area.geometry if area else None,
        **timed,
    )


def coverage_report(
    grid: Grid,
    facilities: Mapping[str, Sequence[Facility]],
    layers: Sequence[str],
    radius_m: float,
    by: str = "district",
    at: dt.datetime | None = None,
    demand: Demand | None = None,
    towns: Mapping[str, Town] | None = None,
    progress: Progress = _quiet,
    calendar: Calendar | None = None,
    *,
    dist: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    times: Any = None,
    limit_s: float | None = None,
    network: dict[str, Any] | None = None,
) -> CoverageReport:
    """Coverage per district or town and for the city (see the module docstring); with
    ``at``, of the facilities open then, by the holidays of ``calendar`` (the data
    version's). ``dist`` (metres from each cell to the nearest counted facility) and
    ``weights`` (each cell's share of ``demand``) may be given when already known.

    Within a travel time instead of a radius: ``times`` (a
    :class:`~locator.operations.travel_coverage.CellTimes`: seconds from each cell to
    the nearest counted facility, along streets or estimated) and ``limit_s`` (seconds);
    a cell is covered when its time is at most ``limit_s``; ``radius_m`` is then the
    straight-line radius the estimate amounts to, and ``network`` what the network says
    of itself (its source, date and attribution)."""
    check_radius(radius_m)
    if by not in ("district", "town"):
        raise InvalidQuery("by", f"by must be district or town, got {by!r}")
    progress("facilities", 0.0)
    counted, unknown = counted_facilities(facilities, layers, at, calendar)
    progress("distances", 0.2)
    if dist is None:
        dist = nearest_distances(grid, counted)
    seconds = None if times is None else times.seconds
    estimated = None if times is None else times.by_estimate
    if seconds is not None:
        assert limit_s is not None, "a travel time needs its limit"
        covered = seconds <= limit_s
    else:
        covered = dist <= radius_m
    if demand is None:
        weights = None
    elif weights is None:
        weights = demand_weights(grid, demand, progress)
    progress("areas", 0.7)
    per_town = {a.code: 0 for a in grid.towns}
    per_district = {a.code: 0 for a in grid.districts}
    for fac in counted:  # by the codes the facility carries (validated against the areas)
        if fac.town_code in per_town:
            per_town[fac.town_code] += 1
        if fac.district_code in per_district:
            per_district[fac.district_code] += 1
    if by == "district":
        rows = tuple(
            _area_row(
                a,
                grid.district == i,
                dist,
                covered,
                weights,
                grid,
                per_district[a.code],
                seconds=seconds,
                estimated=estimated,
            )
            for i, a in enumerate(grid.districts)
        )
    else:
        rows = tuple(
            _area_row(
                a,
                grid.town == i,
                dist,
                covered,
                weights,
                grid,
                per_town[a.code],
                seconds=seconds,
                estimated=estimated,
            )
            for i, a in enumerate(grid.towns)
        )
    profile = grid.profile
    assert profile is not None, "a grid is built with its city profile"
    city = _area_row(
        None,
        np.ones(grid.size, dtype=bool),
        dist,
        covered,
        weights,
        grid,
        len(counted),
        profile.code,
        profile.name.zh,
        profile.name.en,
        "city",
        seconds=seconds,
        estimated=estimated,
    )
    without: dict[str, list[tuple[str, str]]] = {}
    for layer in layers:  # "no facility at all": whatever the time asked about
        have = {f.town_code for f in facilities.get(layer, ())}
        without[layer] = [(a.code, a.name) for a in grid.towns if a.code not in have]
    outside = (demand.total - float(weights.sum())) if demand and weights is not None else 0.0
    progress("areas", 1.0)
    open_idx = np.nonzero(~covered)[0]
    if open_idx.size > UNCOVERED_KEPT:
        open_idx = open_idx[np.linspace(0, open_idx.size - 1, UNCOVERED_KEPT).astype(int)]
    held: tuple[tuple[str, str, str, float], ...] = ()
    if weights is not None:
        per = np.bincount(grid.district, weights=weights, minlength=len(grid.districts))
        held = tuple(
            (a.code, a.name, a.name_en, float(per[i]))
            for i, a in enumerate(grid.districts)
            if per[i] > 0
        )
        if 0 < len(held) < len(grid.districts):
            # a figure for the city is never one for part of it: the row says what it is
            zh = "、".join(n for _, n, _, _ in held)
            en = ", ".join(e for _, _, e, _ in held)
            city = replace(
                city,
                name=f"{city.name}（需求仅覆盖{zh}）",
                name_en=f"{city.name_en} (the demand covers {en} only)",
            )
    return CoverageReport(
        tuple(layers),
        radius_m,
        grid.cell_m,
        at,
        by,
        "demand" if demand else "area",
        demand.label if demand else "",
        city,
        rows,
        len(counted),
        unknown,
        without,
        max(0.0, outside),
        np.column_stack([grid.x[open_idx], grid.y[open_idx]]),
        grid.epsg,
        profile.metric_name,
        held,
        len(grid.districts),
        None
        if times is None
        else TravelReach(
            float(limit_s or 0.0) / 60.0,
            times.travel,
            times.basis,
            radius_m,
            round(float(times.off_network.sum()) * grid.cell_km2, 3),
            round(float((~np.isfinite(times.seconds)).sum()) * grid.cell_km2, 3),
            times.facilities_off_network,
            network,
            round(float(estimated.sum()) * grid.cell_km2, 3) if estimated is not None else 0.0,
        ),
    )


def uncovered_cells_wgs84(report: CoverageReport, most: int = 20_000) -> np.ndarray:
    """Up to ``most`` uncovered cell centres as (lon, lat) (an even sample beyond)."""
    cells = report.uncovered_cells
    if cells is None or not len(cells):
        return np.empty((0, 2))
    if len(cells) > most:
        cells = cells[np.linspace(0, len(cells) - 1, most).astype(int)]
    lon, lat = from_metric(cells[:, 0], cells[:, 1], report.epsg)
    return np.column_stack([lon, lat])


# ---------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class Suggestion:
    """A suggested site: rank (1 = first chosen), WGS-84 position, the town it lies in
    and the demand (or km² when by area) it newly brings within reach."""

    rank: int
    lon: float
    lat: float
    town_code: str
    town_name: str
    gain: float


@dataclass(frozen=True)
class Solution:
    """How good a choice of sites is, on the model it was chosen on (the candidates and
    the uncovered demand gathered into bins): ``method`` is ``optimal`` (proved by the
    exact solver) or ``greedy`` (greedy, improved by swaps); ``value`` is the demand (or
    km²) the choice covers in the model and ``bound`` a proven upper limit of what any
    ``n`` candidates could cover there (``value`` itself when optimal)."""

    method: str  # optimal | greedy
    value: float
    bound: float
    candidates: int  # candidate points that could cover some uncovered demand
    bins: int  # uncovered demand bins
    bin_m: float  # the bins' side, metres

    @property
    def within(self) -> float:
        """Proven shortfall from the best possible, as a fraction (0 when optimal)."""
        if self.method == "optimal" or self.bound <= 0:
            return 0.0
        return max(0.0, 1.0 - self.value / self.bound)


@dataclass(frozen=True)
class SuggestResult:
    suggestions: tuple[Suggestion, ...]
    weighting: str  # area (gain in km2) | demand
    covered_before: float
    covered_after: float
    total: float
    solution: Solution | None = None
    #: how reach was measured: straight_line (a radius), streets (a travel time along
    #: the network), straight_line_estimate (a travel time without one) or mixed (along
    #: the network where it reaches, the estimate for cells or candidates off it)
    along: str = "straight_line"


def covering_matrix(cand_xy: np.ndarray, cell_xy: np.ndarray, radius_m: float):
    """Sparse 0/1 matrix (candidates x cells): which cells each candidate would cover."""
    from scipy.sparse import csr_matrix

    lists = (
        cKDTree(cell_xy).query_ball_point(cand_xy, radius_m, workers=-1)
        if len(cell_xy)
        else [[] for _ in range(len(cand_xy))]
    )
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(c) for c in lists])
    indices = np.fromiter((j for c in lists for j in c), dtype=np.int64, count=int(indptr[-1]))
    return csr_matrix((np.ones(indices.size), indices, indptr), shape=(len(cand_xy), len(cell_xy)))


def greedy_cover(matrix, weights: np.ndarray, n: int) -> list[tuple[int, float]]:
    """Greedy maximal covering: ``n`` times, the candidate that newly covers the most
    weight. Returns ``(candidate, gain)`` in the order chosen."""
    w = weights.astype(float).copy()
    chosen: list[tuple[int, float]] = []
    for _ in range(n):
        gains = matrix @ w
        best = int(np.argmax(gains)) if gains.size else -1
        if best < 0 or gains[best] <= 0:
            break
        chosen.append((best, float(gains[best])))
        covered = matrix.indices[matrix.indptr[best] : matrix.indptr[best + 1]]
        w[covered] = 0.0
    return chosen


def improve_by_swaps(
    matrix, weights: np.ndarray, chosen: Sequence[int], rounds: int = 20
) -> list[int]:
    """Teitz-Bart interchange: swap a chosen candidate for another while that covers more
    weight in all, until no swap helps (or ``rounds`` passes). Greedy alone can stop well
    short when sites compete for the same demand (91 % of the optimum on the Heshan census
    at n = 5); the swaps close most of that gap."""
    picked = list(chosen)
    if not picked:
        return picked
    w = weights.astype(float)
    rows = matrix.tocsr()
    counts = np.asarray(rows[picked].sum(axis=0)).ravel()
    for _ in range(rounds):
        improved = False
        for pos, i in enumerate(picked):
            mine = rows.indices[rows.indptr[i] : rows.indptr[i + 1]]
            base = counts.copy()
            base[mine] -= 1
            loss = float(w[mine][base[mine] == 0].sum())
            gains = rows @ np.where(base == 0, w, 0.0)
            gains[picked] = -1.0
            j = int(np.argmax(gains))
            if gains[j] > loss * (1 + 1e-9) + 1e-12:
                theirs = rows.indices[rows.indptr[j] : rows.indptr[j + 1]]
                counts = base
                counts[theirs] += 1
                picked[pos] = j
                improved = True
        if not improved:
            break
    return picked


def ranked(matrix, weights: np.ndarray, picked: Sequence[int]) -> list[tuple[int, float]]:
    """``picked`` in the order a greedy pass over them adds the most weight, with gains."""
    w = weights.astype(float).copy()
    rows = matrix.tocsr()
    left, out = list(picked), []
    while left:
        gains = [float(w[rows.indices[rows.indptr[i] : rows.indptr[i + 1]]].sum()) for i in left]
        k = int(np.argmax(gains))
        i = left.pop(k)
        out.append((i, gains[k]))
        w[rows.indices[rows.indptr[i] : rows.indptr[i + 1]]] = 0.0
    return out


def optimal_cover(
    matrix, weights: np.ndarray, n: int, time_limit_s: float = 60.0
) -> tuple[float, np.ndarray]:
    """The exact maximal-covering optimum (scipy.optimize.milp, HiGHS): max sum w_j y_j
    subject to y_j <= sum_{i covers j} x_i, sum x_i = n, x binary, 0 <= y_j <= 1.
    Returns (covered weight, chosen candidates)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix, hstack, identity, vstack

    m, k = matrix.shape
    c = np.concatenate([np.zeros(m), -weights])
    cover = hstack([-matrix.T.tocsr(), identity(k, format="csr")])  # y_j - sum x_i <= 0
    count = hstack([csr_matrix(np.ones((1, m))), csr_matrix((1, k))])
    constraints = [
        LinearConstraint(vstack([cover]).tocsr(), -np.inf, 0),
        LinearConstraint(count.tocsr(), n, n),
    ]
    integrality = np.concatenate([np.ones(m), np.zeros(k)])
    res = milp(
        c,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if res.x is None:
        raise RuntimeError(f"no solution: {res.message}")
    return float(-res.fun), np.nonzero(res.x[:m] > 0.5)[0]


#: the exact solver is tried when the model has at most this many (candidate, bin) pairs
EXACT_MAX_PAIRS = 150_000
#: and for at most this long (seconds); past it the better of its best choice and
#: greedy's is given, with the solver's proven bound
EXACT_TIME_S = 2.0
GREEDY_GUARANTEE = 1 - 1 / math.e  # greedy covers at least this share of the optimum


def upper_bound(matrix, weights: np.ndarray, picked: Sequence[int], n: int) -> float:
    """A proven upper limit of what ``n`` candidates can cover: coverage is submodular,
    so the optimum covers at most what ``picked`` covers plus the ``n`` largest gains any
    single candidate would still add to it (Nemhauser, Wolsey & Fisher 1978; the
    data-dependent bound of Leskovec et al. 2007)."""
    w = weights.astype(float).copy()
    rows = matrix.tocsr()
    for i in picked:
        w[rows.indices[rows.indptr[i] : rows.indptr[i + 1]]] = 0.0
    covered = float(weights.sum() - w.sum())
    gains = rows @ w
    top = np.sort(gains)[-n:] if gains.size else gains
    return covered + float(top.sum())


def lagrangian_bound(
    matrix, weights: np.ndarray, n: int, target: float, iterations: int = 40, time_s: float = 0.3
) -> float:
    """A proven upper limit of what ``n`` candidates can cover, from the Lagrangian
    relaxation of the covering constraints (whose best is the LP relaxation's bound):
    for any multipliers ``0 <= lam <= w``, ``sum(max(w - lam, 0)) + the n largest of
    (matrix @ lam)`` bounds the optimum. Starts from ``lam = w`` (the n best single
    candidates) and improves by subgradient steps (Polyak's rule towards ``target``, a
    value some choice reaches) for ``iterations`` steps or ``time_s`` seconds."""
    import time

    rows = matrix.tocsr()
    m = rows.shape[0]
    if m == 0:
        return 0.0
    k = min(n, m)
    w = weights.astype(float)
    lam = w.copy()
    best, theta, stall = math.inf, 2.0, 0
    deadline = time.monotonic() + time_s
    for _ in range(iterations):
        g = rows @ lam
        top = np.argpartition(-g, k - 1)[:k] if k < m else np.arange(m)
        value = float(np.maximum(w - lam, 0.0).sum() + g[top].sum())
        if best - value > 1e-9 * max(1.0, abs(value)):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 5:
                theta, stall = theta / 2, 0
        hits = np.concatenate([rows.indices[rows.indptr[i] : rows.indptr[i + 1]] for i in top])
        sub = np.bincount(hits, minlength=w.size) - (w > lam)
        norm = float((sub * sub).sum())
        if norm == 0 or best <= target * (1 + 1e-9) or time.monotonic() > deadline:
            break
        lam = np.clip(lam - theta * (value - target) / norm * sub, 0.0, w)
    return best


def suggestion_at(grid: Grid, rank: int, x: float, y: float, town: int, gain: float) -> Suggestion:
    """A suggested site at metric ``(x, y)`` of ``grid``: WGS-84 to 6 decimals (about
    0.1 m), in the town at position ``town`` of ``grid.towns`` (-1: none)."""
    lon, lat = from_metric(x, y, grid.epsg)
    area = grid.towns[town] if town >= 0 else None
    return Suggestion(
        rank,
        round(float(lon), 6),
        round(float(lat), 6),
        area.code if area else "",
        area.name if area else "",
        gain,
    )


def choose_sites(
    matrix,
    weights: np.ndarray,
    n: int,
    exact_max_pairs: int = EXACT_MAX_PAIRS,
    time_limit_s: float = EXACT_TIME_S,
) -> tuple[list[int], str, float, float]:
    """``n`` candidates (rows of ``matrix``) that cover the most ``weights`` (columns):
    exactly (scipy's ``milp``, HiGHS) when the model has at most ``exact_max_pairs``
    covering pairs and the solver proves the optimum within ``time_limit_s``; otherwise
    greedy improved by swaps, or the solver's best choice when that is better. Returns
    ``(chosen, method, value, bound)`` with ``method`` ``optimal`` or ``greedy`` and
    ``bound`` a proven upper limit (see :class:`Solution`)."""
    rows = matrix.tocsr()
    if rows.shape[0] == 0 or rows.nnz == 0:
        return [], "optimal", 0.0, 0.0
    greedy = greedy_cover(rows, weights, n)
    greedy_value = sum(g for _, g in greedy)
    picked = improve_by_swaps(rows, weights, [i for i, _ in greedy])
    value = _covered(rows, weights, picked)
    bound = min(
        upper_bound(rows, weights, picked, n),
        greedy_value / GREEDY_GUARANTEE,
        lagrangian_bound(rows, weights, n, value),
    )
    if len(picked) < n or value >= bound * (1 - 1e-9):
        # every coverable bin covered, or the bound proves the choice the best possible
        return picked, "optimal", value, value
    if rows.nnz <= exact_max_pairs:
        found = _exact(rows, weights, n, time_limit_s)
        if found is not None:
            exact, proved, solver_bound = found
            exact_value = _covered(rows, weights, exact)
            bound = min(bound, solver_bound)
            if proved:
                return exact, "optimal", exact_value, exact_value
            if exact_value > value:
                picked, value = exact, exact_value
    return picked, "greedy", value, max(bound, value)


def _covered(rows, weights: np.ndarray, picked: Sequence[int]) -> float:
    if not len(picked):
        return 0.0
    hit = np.unique(
        np.concatenate([rows.indices[rows.indptr[i] : rows.indptr[i + 1]] for i in picked])
    )
    return float(weights[hit].sum())


def _exact(rows, weights: np.ndarray, n: int, time_limit_s: float):
    """(chosen, proved optimal, proven upper bound) from ``milp``, None when it found
    nothing in time."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix, hstack, identity

    m, k = rows.shape
    c = np.concatenate([np.zeros(m), -weights])
    cover = hstack([-rows.T.tocsr(), identity(k, format="csr")]).tocsr()
    count = hstack([csr_matrix(np.ones((1, m))), csr_matrix((1, k))]).tocsr()
    res = milp(
        c,
        constraints=[LinearConstraint(cover, -np.inf, 0), LinearConstraint(count, n, n)],
        integrality=np.concatenate([np.ones(m), np.zeros(k)]),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if res.x is None:
        return None
    chosen = [int(i) for i in np.argsort(-res.x[:m])[:n]]
    dual = getattr(res, "mip_dual_bound", None)
    bound = -float(dual) if dual is not None and math.isfinite(dual) else math.inf
    return chosen, res.status == 0, bound


def _bins(
    grid: Grid, mask: np.ndarray, weights: np.ndarray, factor: int
) -> tuple[np.ndarray, np.ndarray]:
    """The cells of ``mask`` gathered into square bins of ``factor`` x ``factor`` cells:
    (weighted centres, summed weights)."""
    ix = np.rint((grid.x[mask] - grid.x0) / grid.cell_m).astype(np.int64) // factor
    iy = np.rint((grid.y[mask] - grid.y0) / grid.cell_m).astype(np.int64) // factor
    keys, inverse = np.unique(ix * 1_000_003 + iy, return_inverse=True)
    w = weights[mask]
    total = np.bincount(inverse, weights=w, minlength=keys.size)
    safe = np.where(total > 0, total, 1.0)
    cx = np.bincount(inverse, weights=w * grid.x[mask], minlength=keys.size) / safe
    cy = np.bincount(inverse, weights=w * grid.y[mask], minlength=keys.size) / safe
    return np.column_stack([cx, cy]), total


def _lattice_model(
    cand_ix: np.ndarray,
    cand_iy: np.ndarray,
    cell_ix: np.ndarray,
    cell_iy: np.ndarray,
    cell_w: np.ndarray,
    factor: int,
    radius_cells: float,
):
    """The covering model when the candidates are cells of the grid: the uncovered cells
    (integer column, row) gathered into square bins of ``factor`` cells, each bin's
    demand at its centre, and the sparse 0/1 matrix (candidates x bins) of the bins whose
    centres lie within ``radius_cells`` cell sides of a candidate. Grid and bins are
    lattices, so the bins in reach of a candidate are a fixed stencil of offsets (one per
    candidate position within its bin): one array lookup per offset instead of a KD-tree
    query per candidate. Returns ``(matrix, bin weights)``, the bins in (column, row)
    order."""
    reach = int(np.ceil(radius_cells / factor)) + 1
    # bins on a padded dense raster (key = column * span + row): a stencil offset of up
    # to ``reach`` bins never leaves it, and a key's bin is one array lookup
    pad = reach + 1
    top = max(int(cell_iy.max(initial=0)), int(cand_iy.max(initial=0))) // factor
    right = max(int(cell_ix.max(initial=0)), int(cand_ix.max(initial=0))) // factor
    span = top + 2 * pad + 1
    size = (right + 2 * pad + 1) * span
    dense = np.bincount(
        (cell_ix // factor + pad) * span + cell_iy // factor + pad,
        weights=cell_w,
        minlength=size,
    )
    occupied = np.bincount(
        (cell_ix // factor + pad) * span + cell_iy // factor + pad, minlength=size
    )
    keys = np.flatnonzero(occupied)
    bin_w = dense[keys]
    index_of = np.full(size, -1, dtype=np.int64)
    index_of[keys] = np.arange(keys.size)
    groups, counts, cols_out = [], [], []
    span_off = np.arange(-reach, reach + 1)
    dx, dy = (a.ravel() for a in np.meshgrid(span_off, span_off, indexing="ij"))
    half = (factor - 1) / 2
    for rx in range(factor):
        for ry in range(factor):
            group = np.nonzero((cand_ix % factor == rx) & (cand_iy % factor == ry))[0]
            if not group.size:
                continue
            ddx, ddy = dx * factor + half - rx, dy * factor + half - ry
            near = ddx * ddx + ddy * ddy <= radius_cells * radius_cells
            stencil = dx[near] * span + dy[near]
            base = (cand_ix[group] // factor + pad) * span + cand_iy[group] // factor + pad
            found = index_of[base[:, None] + stencil[None, :]]
            hit = found >= 0
            groups.append(group)
            counts.append(hit.sum(axis=1))
            cols_out.append(found[hit])  # row by row: the group's rows, CSR-ordered
    from scipy.sparse import csr_matrix

    order = np.concatenate(groups) if groups else np.empty(0, dtype=np.int64)
    indptr = np.zeros(order.size + 1, dtype=np.int64)
    if counts:
        np.cumsum(np.concatenate(counts), out=indptr[1:])
    indices = np.concatenate(cols_out) if cols_out else np.empty(0, dtype=np.int64)
    by_group = csr_matrix((np.ones(indices.size), indices, indptr), shape=(order.size, keys.size))
    # back to the candidates' own order (every candidate is in exactly one group)
    where = np.empty(cand_ix.size, dtype=np.int64)
    where[order] = np.arange(order.size)
    matrix = by_group[where]
    return matrix, bin_w


def suggest_sites(
    grid: Grid,
    facilities: Mapping[str, Sequence[Facility]],
    layers: Sequence[str],
    radius_m: float,
    n: int,
    at: dt.datetime | None = None,
    demand: Demand | None = None,
    candidates: Sequence[tuple[float, float]] | None = None,
    progress: Progress = _quiet,
    calendar: Calendar | None = None,
    *,
    dist: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> SuggestResult:
    """``n`` new sites that bring the most uncovered demand (or area) within reach,
    keeping every existing facility (greedy maximal covering, then improved by swaps).

    Candidates are points of the grid every half radius, or the given WGS-84
    ``(lon, lat)`` premises. The choice is made on the uncovered cells gathered into bins
    of a quarter radius (so that a city at 100 m stays a few seconds' work), solved
    exactly when small enough (:func:`choose_sites`; ``solution`` says how good the choice
    is); the gains reported are then measured exactly on the grid's own cells, site after
    site. ``dist`` (metres from each cell to the nearest counted facility) and
    ``weights`` (each cell's demand) may be given when already known.
    """
    check_radius(radius_m)
    if not 1 <= n <= MAX_SUGGEST:
        raise InvalidQuery("n", f"n must be an integer from 1 to {MAX_SUGGEST}, got {n}")
    progress("coverage", 0.0)
    if dist is None:
        counted, _ = counted_facilities(facilities, layers, at, calendar)
        dist = nearest_distances(grid, counted)
    if weights is None:
        weights = (
            demand_weights(grid, demand, progress) if demand else np.full(grid.size, grid.cell_km2)
        )
    open_cells = (dist > radius_m) & (weights > 0)
    progress("candidates", 0.3)
    factor = max(1, int(round(max(radius_m / 4, MIN_SPACING_M) / grid.cell_m)))
    if candidates:
        cx, cy = to_metric(
            np.array([c[0] for c in candidates]), np.array([c[1] for c in candidates]), grid.epsg
        )
        cand_xy = np.column_stack([cx, cy])
        bin_xy, bin_w = _bins(grid, open_cells, weights, factor)
        matrix = covering_matrix(cand_xy, bin_xy, radius_m)
    else:
        step = max(1, int(round(max(radius_m / 2, MIN_SPACING_M) / grid.cell_m)))
        ix = np.rint((grid.x - grid.x0) / grid.cell_m).astype(np.int64)
        iy = np.rint((grid.y - grid.y0) / grid.cell_m).astype(np.int64)
        keep = (ix % step == step // 2) & (iy % step == step // 2)
        cand_xy = np.column_stack([grid.x[keep], grid.y[keep]])
        matrix, bin_w = _lattice_model(
            ix[keep],
            iy[keep],
            ix[open_cells],
            iy[open_cells],
            weights[open_cells],
            factor,
            radius_m / grid.cell_m,
        )
    # the model: only candidates that reach some uncovered demand
    useful = np.nonzero(np.diff(matrix.indptr) > 0)[0]
    progress("greedy", 0.6)
    picked, method, value, bound = choose_sites(matrix[useful], bin_w, n)
    chosen = ranked(matrix, bin_w, [int(useful[i]) for i in picked])
    progress("gains", 0.8)
    solution = Solution(
        method, value, bound, int(useful.size), int(bin_w.size), float(factor * grid.cell_m)
    )
    # exact gains on the grid's cells, in the order chosen
    left = np.where(open_cells, weights, 0.0)
    town_index = (
        _assign(grid.towns, cand_xy[[i for i, _ in chosen], 0], cand_xy[[i for i, _ in chosen], 1])
        if chosen
        else np.empty(0)
    )
    out = []
    for rank, (i, _) in enumerate(chosen, start=1):
        x, y = cand_xy[i]
        box = grid.cells_in_box(x - radius_m, y - radius_m, x + radius_m, y + radius_m)
        near = box[np.hypot(grid.x[box] - x, grid.y[box] - y) <= radius_m]
        gain = float(left[near].sum())
        left[near] = 0.0
        out.append(suggestion_at(grid, rank, x, y, int(town_index[rank - 1]), gain))
    progress("greedy", 1.0)
    total = float(weights.sum())
    before = float(weights[~open_cells].sum())
    return SuggestResult(
        tuple(out),
        "demand" if demand else "area",
        before,
        before + sum(x.gain for x in out),
        total,
        solution,
    )
