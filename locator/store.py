"""Read, validate and write the GeoJSON files under the data directory.

Files in, typed values out. Every problem is a :class:`~locator.errors.DataError` naming the
file, the feature and what is wrong. Writes are atomic (temporary file + ``os.replace``).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from opening_hours import OpeningHours

from .errors import DataError
from .geo.distance import geometry_to_utm, to_utm
from .models import (
    AMENITIES,
    FACILITY_LAYERS,
    SAMPLE_SOURCE,
    WHEELCHAIR_VALUES,
    District,
    Facility,
    LayerInfo,
    Town,
)

CITY_FILE = "city.geojson"
DISTRICTS_FILE = "districts.geojson"
TOWNS_FILE = "towns.geojson"
TOWN_AREAS_FILE = "town_areas.geojson"

#: properties every facility must carry
REQUIRED_PROPERTIES = ("id", "name", "district_code", "town_code", "source")

#: how far outside the city polygon a facility may lie (metres, UTM 49N): the boundary
#: polygons are generalised, and a station on a border river bank may fall just outside
CITY_TOLERANCE_M = 500.0


@dataclass(frozen=True)
class FacilityLayer:
    """One facility layer: its features in file order, plus their coordinates as arrays."""

    id: str
    name_zh: str
    name_en: str
    facilities: tuple[Facility, ...]
    lon: np.ndarray = field(repr=False)
    lat: np.ndarray = field(repr=False)
    digest: str = ""  # SHA-256 of the file, for ETags

    @property
    def is_sample(self) -> bool:
        return any(f.is_sample for f in self.facilities)

    def info(self) -> LayerInfo:
        sources = tuple(sorted({f.source for f in self.facilities}))
        return LayerInfo(self.id, self.name_zh, self.name_en, len(self.facilities),
                         self.is_sample, sources)


@dataclass(frozen=True)
class Geodata:
    """Everything read from one data directory, validated."""

    data_dir: Path
    city: Any  # shapely geometry, WGS-84
    districts: dict[str, District]
    district_shapes: dict[str, Any] = field(repr=False)
    towns: dict[str, Town] = field(repr=False)
    layers: dict[str, FacilityLayer] = field(repr=False)

    def layer_infos(self) -> list[LayerInfo]:
        return [layer.info() for layer in self.layers.values()]


@dataclass
class LayerReport:
    """What ``locator validate`` prints for one layer."""

    layer: str
    file: str
    count: int = 0
    sources: tuple[str, ...] = ()
    problems: list[DataError] = field(default_factory=list)

    @property
    def sample(self) -> bool:
        return SAMPLE_SOURCE in self.sources


# --------------------------------------------------------------------------- reading


def read_json(path: Path) -> Any:
    """Parse a JSON file, turning every failure into a DataError naming the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise DataError(path.name, "file not found") from None
    except UnicodeDecodeError as exc:
        raise DataError(path.name, f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise DataError(path.name, f"invalid JSON at line {exc.lineno} column {exc.colno}: "
                                   f"{exc.msg}") from None


def read_features(path: Path) -> list[dict[str, Any]]:
    """Return the features of a GeoJSON FeatureCollection file, checking its outline."""
    doc = read_json(path)
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError(path.name, "not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataError(path.name, "FeatureCollection has no 'features' list")
    for i, feat in enumerate(features):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise DataError(path.name, f"item {i} of 'features' is not a GeoJSON Feature")
        if not isinstance(feat.get("properties"), dict):
            raise DataError(path.name, f"feature {i} has no 'properties' object")
    return features


def _shape(path: Path, feat: dict[str, Any], label: str):
    try:
        geom = shapely.geometry.shape(feat["geometry"])
    except Exception as exc:  # shapely raises several types for bad geometry
        raise DataError(path.name, f"invalid geometry: {exc}", label) from None
    if geom.is_empty:
        raise DataError(path.name, "empty geometry", label)
    return geom


def read_boundaries(data_dir: Path) -> tuple[Any, dict[str, District], dict[str, Any]]:
    """Read the city polygon and the district polygons (WGS-84)."""
    city_path = data_dir / CITY_FILE
    city_feats = read_features(city_path)
    if len(city_feats) != 1:
        raise DataError(CITY_FILE, f"expected one city feature, found {len(city_feats)}")
    city = _shape(city_path, city_feats[0], "city")
    districts: dict[str, District] = {}
    shapes: dict[str, Any] = {}
    path = data_dir / DISTRICTS_FILE
    for feat in read_features(path):
        p = feat["properties"]
        code = str(p.get("code", ""))
        if not (len(code) == 6 and code.isdigit()):
            raise DataError(DISTRICTS_FILE, "district code must have 6 digits", code or None)
        districts[code] = District(code, str(p.get("name", "")), str(p.get("name_en", "")))
        shapes[code] = _shape(path, feat, code)
    return city, districts, shapes


def read_towns(data_dir: Path, districts: dict[str, District]) -> dict[str, Town]:
    """Read the 9-digit town/street seats, checking each belongs to a known district."""
    path = data_dir / TOWNS_FILE
    towns: dict[str, Town] = {}
    for feat in read_features(path):
        p = feat["properties"]
        code = str(p.get("code", ""))
        if not (len(code) == 9 and code.isdigit()):
            raise DataError(TOWNS_FILE, "town code must have 9 digits", code or None)
        if p.get("district_code") not in districts or not code.startswith(p["district_code"]):
            raise DataError(TOWNS_FILE, f"unknown district code {p.get('district_code')!r}", code)
        geom = _shape(path, feat, code)
        towns[code] = Town(code, str(p["name"]), str(p.get("name_en", "")), p["district_code"],
                           geom.x, geom.y, str(p.get("position", "")))
    return towns


class _CityTest:
    """Point-in-city test with a tolerance in metres, done in UTM 49N."""

    def __init__(self, city_wgs84):
        city_utm = geometry_to_utm(city_wgs84)
        self.zone = city_utm.buffer(CITY_TOLERANCE_M)
        shapely.prepare(self.zone)

    def contains(self, lon: float, lat: float) -> bool:
        x, y = to_utm(lon, lat)
        return bool(shapely.contains_xy(self.zone, x, y))


def _check_point(geometry: Any, city: _CityTest) -> tuple[float, float]:
    """Return ``(lon, lat)`` of a GeoJSON Point geometry or raise ValueError with the problem."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise ValueError(f"geometry must be a GeoJSON Point, got {kind}")
    coords = geometry.get("coordinates")
    if (not isinstance(coords, list) or len(coords) not in (2, 3)
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)):
        raise ValueError(f"Point coordinates must be [lon, lat] numbers, got {coords!r}")
    x, y = float(coords[0]), float(coords[1])
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError(f"coordinates must be finite, got {coords!r}")
    in_range = -180 <= x <= 180 and -90 <= y <= 90
    swapped_ok = -180 <= y <= 180 and -90 <= x <= 90
    if not in_range:
        if swapped_ok:
            raise ValueError(f"coordinates {coords!r} look like [lat, lon]; GeoJSON "
                             "(RFC 7946) needs [lon, lat]")
        raise ValueError(f"coordinates {coords!r} are out of range")
    if not city.contains(x, y):
        if swapped_ok and city.contains(y, x):
            raise ValueError(f"coordinates {coords!r} look like [lat, lon]; GeoJSON "
                             "(RFC 7946) needs [lon, lat]")
        raise ValueError(f"point {coords!r} lies outside Jiangmen (more than "
                         f"{CITY_TOLERANCE_M:.0f} m beyond the city boundary)")
    return x, y


def _check_properties(p: dict[str, Any], layer_id: str, districts: dict[str, District],
                      towns: dict[str, Town]) -> None:
    """Raise ValueError with the problem if a facility's properties break DESIGN.md."""
    missing = [k for k in REQUIRED_PROPERTIES if p.get(k) in (None, "")]
    if missing:
        raise ValueError(f"missing required propert{'y' if len(missing) == 1 else 'ies'}: "
                         + ", ".join(missing))
    if not isinstance(p["id"], str):
        raise ValueError("id must be a string")
    if "layer" in p and p["layer"] != layer_id:
        raise ValueError(f"layer property {p['layer']!r} does not match file layer {layer_id!r}")
    if p["district_code"] not in districts:
        raise ValueError(f"unknown district_code {p['district_code']!r}")
    if p["town_code"] not in towns:
        raise ValueError(f"unknown town_code {p['town_code']!r}")
    if towns[p["town_code"]].district_code != p["district_code"]:
        raise ValueError(f"town_code {p['town_code']!r} is not in district {p['district_code']!r}")
    amenities = p.get("amenities")
    if amenities is not None:
        if not isinstance(amenities, list) or not all(isinstance(a, str) for a in amenities):
            raise ValueError("amenities must be a list of strings")
        unknown = sorted(set(amenities) - set(AMENITIES))
        if unknown:
            raise ValueError(f"unknown amenity term(s) {', '.join(unknown)}; the vocabulary is: "
                             + ", ".join(AMENITIES))
    hours = p.get("opening_hours")
    if hours is not None:
        if not isinstance(hours, str):
            raise ValueError("opening_hours must be a string in OpenStreetMap syntax")
        try:
            OpeningHours(hours)
        except Exception:  # the parser's own error type differs between versions
            raise ValueError(f"opening_hours {hours!r} does not parse as OpenStreetMap "
                             "opening_hours syntax") from None
    wheelchair = p.get("wheelchair")
    if wheelchair is not None and wheelchair not in WHEELCHAIR_VALUES:
        raise ValueError(f"wheelchair must be one of {', '.join(WHEELCHAIR_VALUES)}")


def check_layer(path: Path, layer_id: str, districts: dict[str, District],
                towns: dict[str, Town], city: _CityTest,
                seen_ids: dict[str, str]) -> tuple[list[Facility], list[DataError]]:
    """Validate one facility layer file; return its facilities and every problem found.

    ``seen_ids`` maps ids already read (from other layers) to their file, to catch
    duplicates across layers; it is updated in place.
    """
    try:
        features = read_features(path)
    except DataError as exc:
        return [], [exc]
    facilities: list[Facility] = []
    problems: list[DataError] = []
    for i, feat in enumerate(features):
        p = feat["properties"]
        label = str(p["id"]) if isinstance(p.get("id"), str) and p["id"] else f"#{i}"
        try:
            _check_properties(p, layer_id, districts, towns)
            lon, lat = _check_point(feat.get("geometry"), city)
        except ValueError as exc:
            problems.append(DataError(path.name, str(exc), label))
            continue
        if p["id"] in seen_ids:
            problems.append(DataError(path.name, f"duplicate id (also in {seen_ids[p['id']]})",
                                      p["id"]))
            continue
        seen_ids[p["id"]] = path.name
        props = dict(p)
        props["layer"] = layer_id
        facilities.append(Facility(p["id"], layer_id, str(p["name"]), lon, lat,
                                   p["district_code"], p["town_code"], str(p["source"]), props))
    return facilities, problems


def _make_layer(layer_id: str, facilities: list[Facility], digest: str) -> FacilityLayer:
    zh, en = FACILITY_LAYERS[layer_id]
    lon = np.array([f.lon for f in facilities], dtype=float)
    lat = np.array([f.lat for f in facilities], dtype=float)
    return FacilityLayer(layer_id, zh, en, tuple(facilities), lon, lat, digest)


def layer_files(data_dir: Path) -> dict[str, Path]:
    """The facility layer files present in ``data_dir``, in the order of FACILITY_LAYERS."""
    return {lid: data_dir / f"{lid}.geojson" for lid in FACILITY_LAYERS
            if (data_dir / f"{lid}.geojson").exists()}


def validate_data_dir(data_dir: Path) -> tuple[list[LayerReport], list[DataError]]:
    """Check every file; return per-layer reports and reference-file problems."""
    data_dir = Path(data_dir)
    try:
        city, districts, _ = read_boundaries(data_dir)
        towns = read_towns(data_dir, districts)
    except DataError as exc:
        return [], [exc]
    city_test = _CityTest(city)
    seen: dict[str, str] = {}
    reports = []
    for layer_id, path in layer_files(data_dir).items():
        facilities, problems = check_layer(path, layer_id, districts, towns, city_test, seen)
        reports.append(LayerReport(layer_id, path.name, len(facilities),
                                   tuple(sorted({f.source for f in facilities})), problems))
    return reports, []


def read_geodata(data_dir: Path | str) -> Geodata:
    """Read and validate a data directory; raise the first DataError found."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(str(data_dir), "data directory not found")
    city, districts, shapes = read_boundaries(data_dir)
    towns = read_towns(data_dir, districts)
    city_test = _CityTest(city)
    seen: dict[str, str] = {}
    layers: dict[str, FacilityLayer] = {}
    for layer_id, path in layer_files(data_dir).items():
        facilities, problems = check_layer(path, layer_id, districts, towns, city_test, seen)
        if problems:
            raise problems[0]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        layers[layer_id] = _make_layer(layer_id, facilities, digest)
    return Geodata(data_dir, city, districts, shapes, towns, layers)


# --------------------------------------------------------------------------- writing


def dumps_feature_collection(features: Iterable[dict[str, Any]], name: str | None = None) -> str:
    """Serialise a FeatureCollection deterministically, one feature per line (diff-friendly)."""
    head = {"type": "FeatureCollection"}
    if name:
        head["name"] = name
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features]
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":['
    return opening + "\n" + ",\n".join(lines) + "\n]}\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; data files are meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_feature_collection(path: Path, features: Iterable[dict[str, Any]],
                             name: str | None = None) -> None:
    """Write features as a GeoJSON FeatureCollection, atomically."""
    write_text_atomic(path, dumps_feature_collection(features, name))
