"""The planner's uploads: demand (weighted points or polygons) and candidate premises
(points), read from a CSV or GeoJSON file.

CSV: a header with longitude, latitude and weight columns (lon/lng/longitude/经度,
lat/latitude/纬度, weight/人口/人数/数量/population), as Excel saves it: UTF-8 with or
without BOM, GB18030, UTF-16; comma, tab or semicolon separated. The text and its rows are
read as a register's are (:func:`locator.formats.tables.decode_text`, ``csv_rows``).
GeoJSON: a FeatureCollection of points or polygons, each with a numeric ``weight`` (or
``population``) property. Coordinates are WGS-84 unless the caller says GCJ-02 or BD-09;
they are converted here. Every problem is an InvalidQuery naming the parameter, with the
row or feature.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np
import orjson
import shapely

from locator.formats.tables import UnreadableRegister, csv_rows, decode_text
from locator.operations.coverage import Demand
from locator.operations.demand import EXAMPLES
from locator.values.errors import InvalidQuery, shown
from locator.values.geo.crs import CoordSystem, convert_array, to_wgs84

LON = ("lon", "lng", "longitude", "经度", "x")
LAT = ("lat", "latitude", "纬度", "y")
WEIGHT = ("weight", "population", "pop", "人口", "人数", "数量", "权重", "pop_2020")
MAX_ROWS = 200_000
MAX_FEATURES = 20_000
MAX_WEIGHT = 1e12


def _decode(data: bytes, param: str) -> tuple[str, str]:
    try:
        text, encoding = decode_text(data, ("CSV", "GeoJSON"))
    except UnreadableRegister as exc:
        raise InvalidQuery(param, f"{param}: {exc.message}") from None
    return text.strip(), encoding


def _column(header: list[str], names: tuple[str, ...], what: str, param: str) -> int:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise InvalidQuery(
        param,
        f"{param}: no {what} column; expected one of "
        f"{', '.join(names)} in the header {shown(header)}",
    )


def _number(raw: str, row: int, column: str, param: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidQuery(
            param, f"{param}: row {row}, column {column}: {shown(raw)} is not a number"
        )
    return value


def read_demand(
    data: bytes, label: str, coord: CoordSystem = CoordSystem.WGS84, param: str = "demand_file"
) -> Demand:
    """Parse a demand file's bytes (CSV or GeoJSON)."""
    text, encoding = _decode(data, param)
    if not text:
        raise InvalidQuery(param, f"{param}: the file is empty")
    if text.startswith("{"):
        return _geojson(text, label, coord, param)
    return _csv(text, encoding, label, coord, param)


def read_candidates(
    data: bytes, coord: CoordSystem = CoordSystem.WGS84, param: str = "candidates_file"
) -> list[tuple[float, float]]:
    """Candidate premises: WGS-84 ``(lon, lat)`` from a CSV (lon, lat columns) or a
    GeoJSON of points."""
    text, encoding = _decode(data, param)
    if not text:
        raise InvalidQuery(param, f"{param}: the file is empty")
    if text.startswith("{"):
        demand = _geojson(text, "", coord, param, weight_needed=False)
        if demand.polygons:
            raise InvalidQuery(param, f"{param}: candidates must be points")
    else:
        demand = _csv(text, encoding, "", coord, param, weight_needed=False)
    return [(lon, lat) for lon, lat, _ in demand.points]


def _csv(
    text: str,
    encoding: str,
    label: str,
    coord: CoordSystem,
    param: str,
    weight_needed: bool = True,
) -> Demand:
    try:
        rows = csv_rows(text, encoding)
    except UnreadableRegister as exc:
        raise InvalidQuery(param, f"{param}: {exc.message}") from None
    header = rows[0]
    ilon = _column(header, LON, "longitude", param)
    ilat = _column(header, LAT, "latitude", param)
    iw = _column(header, WEIGHT, "weight", param) if weight_needed else -1
    points = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(ilon, ilat, iw):
            raise InvalidQuery(
                param, f"{param}: row {n} has {len(row)} columns, the header {len(header)}"
            )
        lon = _number(row[ilon], n, header[ilon], param)
        lat = _number(row[ilat], n, header[ilat], param)
        w = _number(row[iw], n, header[iw], param) if iw >= 0 else 1.0
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidQuery(
                param,
                f"{param}: row {n}: [{lon}, {lat}] is not a longitude and latitude in degrees",
            )
        if not 0 <= w <= MAX_WEIGHT:
            raise InvalidQuery(
                param, f"{param}: row {n}: weight {w:g} is not between 0 and {MAX_WEIGHT:g}"
            )
        x, y = to_wgs84(lon, lat, coord)
        points.append((x, y, w))
        if len(points) > MAX_ROWS:
            raise InvalidQuery(param, f"{param}: more than {MAX_ROWS:,} rows")
    if not points:
        raise InvalidQuery(param, f"{param}: no rows after the header")
    return Demand(label, tuple(points))


def _shape(geometry: object) -> Any:
    """One GeoJSON geometry as shapely's shape() reads it (rings closed for the writer
    that forgot), or None."""
    try:
        return shapely.geometry.shape(geometry)
    except Exception:
        return None


def _geojson(
    text: str, label: str, coord: CoordSystem, param: str, weight_needed: bool = True
) -> Demand:
    # orjson: several times faster than json on a 2 MB upload, and it refuses NaN and
    # Infinity as JSON does (and nesting deeper than 1,024)
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidQuery(param, f"{param}: not valid JSON ({exc})") from None
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list) or not feats:
        raise InvalidQuery(param, f"{param}: expected a GeoJSON FeatureCollection with features")
    if len(feats) > MAX_FEATURES:
        raise InvalidQuery(param, f"{param}: more than {MAX_FEATURES:,} features")
    weights, raw = [], []
    for i, f in enumerate(feats):
        props = f.get("properties") if isinstance(f, dict) else None
        props = props if isinstance(props, dict) else {}
        w = next((props[k] for k in WEIGHT if k in props), None if weight_needed else 1.0)
        if isinstance(w, int) and not isinstance(w, bool):
            w = float(w) if abs(w) <= MAX_WEIGHT else math.inf
        if not isinstance(w, float) or not math.isfinite(w) or not 0 <= w <= MAX_WEIGHT:
            raise InvalidQuery(
                param,
                f"{param}: feature {i} needs a non-negative numeric "
                "'weight' (or 'population') property",
            )
        weights.append(w)
        raw.append(orjson.dumps(f.get("geometry")) if isinstance(f, dict) else b"null")
    # every geometry read, measured and checked in one vectorised pass each (GEOS's
    # GeoJSON reader); what it refuses is read again one by one, as shape() reads it
    geoms = shapely.from_geojson(np.array(raw, dtype=object), on_invalid="ignore")
    for j in np.nonzero(shapely.is_missing(geoms))[0]:
        geoms[j] = _shape(feats[j].get("geometry") if isinstance(feats[j], dict) else None)
        if geoms[j] is None:
            raise InvalidQuery(param, f"{param}: feature {j} has no valid geometry")
    for j in np.nonzero(shapely.is_empty(geoms))[0][:1]:
        raise InvalidQuery(param, f"{param}: feature {j} has an empty geometry")
    b = shapely.bounds(geoms)
    degrees = (-180 <= b[:, 0]) & (b[:, 0] <= b[:, 2]) & (b[:, 2] <= 180)
    degrees &= (-90 <= b[:, 1]) & (b[:, 1] <= b[:, 3]) & (b[:, 3] <= 90)
    for j in np.nonzero(~degrees)[0][:1]:
        raise InvalidQuery(param, f"{param}: feature {j} is not in longitude and latitude degrees")
    if coord is not CoordSystem.WGS84:
        geoms = shapely.transform(
            geoms, lambda xy: convert_array(xy, lambda lon, lat: to_wgs84(lon, lat, coord))
        )
    kinds = shapely.get_type_id(geoms)
    point = kinds == shapely.GeometryType.POINT
    polygon = np.isin(kinds, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    polygon &= shapely.is_valid(geoms)
    for j in np.nonzero(~(point | polygon))[0][:1]:
        raise InvalidQuery(
            param,
            f"{param}: feature {j} must be a Point or a valid Polygon, got {geoms[j].geom_type}",
        )
    xy = shapely.get_coordinates(geoms[point])
    points = [
        (float(x), float(y), weights[j]) for (x, y), j in zip(xy, np.nonzero(point)[0], strict=True)
    ]
    polygons = [(geoms[j], weights[j]) for j in np.nonzero(polygon)[0]]
    return Demand(label, tuple(points), tuple(polygons))


def read_county_population(data: bytes, city_code: str) -> dict[str, int]:
    """The census total of each county of the city ``city_code`` (6 digits) from the
    national county table (``code,city_code,…,pop_2020``; geodata/SOURCES.md)."""
    text = data.decode("utf-8-sig")
    return {
        r["code"]: int(r["pop_2020"])
        for r in csv.DictReader(io.StringIO(text))
        if r["city_code"] == city_code and r["code"]
    }


def read_town_population(data: bytes) -> dict[str, float]:
    """Town figures (9-digit ``code`` -> ``pop_2020``) from a town table such as Heshan's."""
    text = data.decode("utf-8-sig")
    return {
        r["code"]: float(r["pop_2020"])
        for r in csv.DictReader(io.StringIO(text))
        if len(r["code"]) == 9
    }


def read_example_demand(name: str, data: bytes, town_shapes: dict) -> Demand:
    """A bundled example from its file's bytes (UTF-8 CSV with ``code`` and ``pop_2020``):
    e.g. the Heshan census, each town's population spread over the town's area."""
    label = EXAMPLES[name][1] if name in EXAMPLES else name
    text = data.decode("utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if len(r["code"]) == 9]
    return Demand(
        label,
        (),
        tuple(
            (town_shapes[r["code"]], float(r["pop_2020"])) for r in rows if r["code"] in town_shapes
        ),
    )
