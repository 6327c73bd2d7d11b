"""Read, validate and write the GeoJSON files under the data directory.

Files in, typed values out. Every problem is a :class:`~locator.values.errors.DataError` naming the
file, the feature and what is wrong. Writes are atomic (temporary file + ``os.replace``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from opening_hours import OpeningHours

from locator.formats.geojson import dumps_feature_collection
from locator.formats.network import load_network
from locator.operations.network import NETWORK_FILE, StreetNetwork
from locator.values import registry
from locator.values.city import CITY_PROFILE_FILE, CityProfile, city_from_doc
from locator.values.errors import DataError, shown
from locator.values.geo.distance import geometry_to_metric, to_metric
from locator.values.models import (
    AMENITIES,
    SAMPLE_SOURCE,
    WHEELCHAIR_VALUES,
    CollectionInfo,
    District,
    Facility,
    Feature,
    HolidaySchedule,
    Town,
    YearSchedule,
)
from locator.values.registry import Collection, Kind

CITY_FILE = registry.CITY.file
DISTRICTS_FILE = registry.DISTRICTS.file
TOWNS_FILE = registry.TOWN_SEATS.file
TOWN_AREAS_FILE = registry.TOWNS.file

#: how far outside the city polygon a facility may lie (metres, the city's metric CRS): the
#: boundary polygons are generalised, and a station on a border river bank may fall just
#: outside
CITY_TOLERANCE_M = 500.0


def _sources(props: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(sorted({str(p["source"]) for p in props if p.get("source")}))


def _extent(bounds: np.ndarray) -> tuple[float, float, float, float] | None:
    if not len(bounds):
        return None
    return (
        float(bounds[:, 0].min()),
        float(bounds[:, 1].min()),
        float(bounds[:, 2].max()),
        float(bounds[:, 3].max()),
    )


@dataclass(frozen=True)
class FacilityLayer:
    """One facility collection (points): its features in file order, plus their
    coordinates as arrays (WGS-84 degrees) for the indexes and bbox look-ups."""

    id: str
    name_zh: str
    name_en: str
    facilities: tuple[Facility, ...]
    lon: np.ndarray = field(repr=False)
    lat: np.ndarray = field(repr=False)
    digest: str = ""  # SHA-256 of the file: the collection's data version

    @property
    def decl(self) -> Collection:
        return registry.BY_ID[self.id]

    @property
    def features(self) -> tuple[Facility, ...]:
        return self.facilities

    @cached_property
    def bounds(self) -> np.ndarray:
        """``(n, 4)`` array of west, south, east, north per feature (a point's box); made
        on first use and kept (every bbox look-up reads it)."""
        return np.column_stack([self.lon, self.lat, self.lon, self.lat])

    @property
    def is_sample(self) -> bool:
        return any(f.is_sample for f in self.facilities)

    def info(self) -> CollectionInfo:
        decl = self.decl
        extent = (
            None
            if not self.facilities
            else (
                float(self.lon.min()),
                float(self.lat.min()),
                float(self.lon.max()),
                float(self.lat.max()),
            )
        )
        return CollectionInfo(
            self.id,
            self.name_zh,
            self.name_en,
            decl.kind.value,
            decl.role.value,
            len(self.facilities),
            self.is_sample,
            _sources(f.properties for f in self.facilities),
            extent,
            self.digest[:16],
            decl.approximate,
            decl.colour,
        )


@dataclass(frozen=True)
class ReferenceCollection:
    """A reference collection of any geometry kind (boundaries, town areas, town seats)."""

    decl: Collection
    features: tuple[Feature, ...]
    shapes: tuple[Any, ...] = field(repr=False)  # shapely geometries, WGS-84
    bounds: np.ndarray = field(repr=False)  # (n, 4) west, south, east, north
    digest: str = ""

    @property
    def id(self) -> str:
        return self.decl.id

    def shape(self, feature_id: str) -> Any:
        for feat, geom in zip(self.features, self.shapes, strict=True):
            if feat.id == feature_id:
                return geom
        raise KeyError(feature_id)

    def info(self) -> CollectionInfo:
        d = self.decl
        sources = _sources(f.properties for f in self.features)
        return CollectionInfo(
            d.id,
            d.name_zh,
            d.name_en,
            d.kind.value,
            d.role.value,
            len(self.features),
            SAMPLE_SOURCE in sources,
            sources,
            _extent(self.bounds),
            self.digest[:16],
            d.approximate,
            d.colour,
        )


AnyCollection = FacilityLayer | ReferenceCollection


@dataclass(frozen=True)
class Geodata:
    """Everything read from one data directory, validated.

    ``collections`` holds every collection present, in registry order; ``layers`` the
    facility collections among them. ``version`` changes whenever any file does.
    """

    #: where the files are; None for data read from database rows
    data_dir: Path | None
    collections: dict[str, AnyCollection] = field(repr=False)
    districts: dict[str, District] = field(repr=False)
    towns: dict[str, Town] = field(repr=False)
    version: str = ""
    holidays: HolidaySchedule = field(default_factory=lambda: HolidaySchedule({}))
    #: documents read with the data (demand CSVs) when they are not files in ``data_dir``
    documents: dict[str, bytes] = field(repr=False, default_factory=dict)

    def document(self, name: str) -> bytes:
        """A document of this data version by file name (``FileNotFoundError`` if none)."""
        if name in self.documents:
            return self.documents[name]
        if self.data_dir is None:
            raise FileNotFoundError(name)
        return (self.data_dir / name).read_bytes()

    #: the city profile (``city.json``); None only for a Geodata made by hand in a test
    profile: CityProfile | None = field(default=None, repr=False)
    #: the street network (``network.npz``), None without one
    network: StreetNetwork | None = field(default=None, repr=False)

    @property
    def layers(self) -> dict[str, FacilityLayer]:
        return {k: c for k, c in self.collections.items() if isinstance(c, FacilityLayer)}

    def reference(self, collection_id: str) -> ReferenceCollection:
        coll = self.collections[collection_id]
        assert isinstance(coll, ReferenceCollection)
        return coll

    @property
    def city(self) -> Any:
        """The city polygon (shapely, WGS-84)."""
        return self.reference(registry.CITY.id).shapes[0]

    @property
    def district_shapes(self) -> dict[str, Any]:
        coll = self.reference(registry.DISTRICTS.id)
        return {f.id: g for f, g in zip(coll.features, coll.shapes, strict=True)}

    def layer_infos(self) -> list[CollectionInfo]:
        return [layer.info() for layer in self.layers.values()]


@dataclass
class LayerReport:
    """What ``locator validate`` prints for one collection."""

    layer: str
    file: str
    count: int = 0
    sources: tuple[str, ...] = ()
    problems: list[DataError] = field(default_factory=list)
    approximate: bool = False

    @property
    def sample(self) -> bool:
        return SAMPLE_SOURCE in self.sources


# --------------------------------------------------------------------------- reading


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(path.name, "file not found") from None
    except IsADirectoryError:
        raise DataError(path.name, "is a directory, not a file") from None
    except OSError as exc:
        raise DataError(path.name, f"cannot be read ({exc.strerror})") from None


def _parse_json(name: str, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(name, f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise DataError(
            name, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise DataError(name, "JSON nested too deeply") from None


def read_json(path: Path) -> Any:
    """Parse a JSON file, turning every failure into a DataError naming the file."""
    return _parse_json(path.name, _read_bytes(path))


def _check_outline(name: str, doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError(name, "not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataError(name, "FeatureCollection has no 'features' list")
    for i, feat in enumerate(features):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise DataError(name, f"item {i} of 'features' is not a GeoJSON Feature")
        if not isinstance(feat.get("properties"), dict):
            raise DataError(name, f"feature {i} has no 'properties' object")
    return features


def read_features(path: Path) -> list[dict[str, Any]]:
    """Return the features of a GeoJSON FeatureCollection file, checking its outline."""
    return _check_outline(path.name, read_json(path))


def _read_features_digest(path: Path) -> tuple[list[dict[str, Any]], str]:
    data = _read_bytes(path)
    return (
        _check_outline(path.name, _parse_json(path.name, data)),
        hashlib.sha256(data).hexdigest(),
    )


#: a collection's features (their outline checked) and the SHA-256 of its text, or None
#: when the collection is absent: from a data directory's files or from database rows
FeatureSource = Callable[[Collection], "tuple[list[dict[str, Any]], str] | None"]


def file_source(data_dir: Path) -> FeatureSource:
    """The collections of a data directory, read from its files when asked for."""

    def read(decl: Collection) -> tuple[list[dict[str, Any]], str] | None:
        path = data_dir / decl.file
        if not path.exists() and not path.is_symlink():
            return None
        return _read_features_digest(path)

    return read


def features_outline(name: str, features: list[Any]) -> list[dict[str, Any]]:
    """Check that ``features`` (parsed already, e.g. database rows) are GeoJSON Features
    with properties, as a file's outline is checked."""
    return _check_outline(name, {"type": "FeatureCollection", "features": features})


def _shape(name: str, feat: dict[str, Any], label: str, kind: Kind):
    geometry = feat.get("geometry")
    gtype = geometry.get("type") if isinstance(geometry, dict) else None
    if gtype not in kind.geojson_types:
        raise DataError(
            name,
            f"geometry must be a GeoJSON {' or '.join(kind.geojson_types)}, "
            f"got {gtype or type(geometry).__name__}",
            label,
        )
    try:
        geom = shapely.geometry.shape(geometry)
    except Exception as exc:  # shapely raises several types for bad geometry
        raise DataError(name, f"invalid geometry: {exc}", label) from None
    if geom.is_empty:
        raise DataError(name, "empty geometry", label)
    return geom


def _check_declared(p: dict[str, Any], decl: Collection) -> None:
    """Raise ValueError if declared properties are missing or not of their declared form."""
    missing = [k for k in decl.required if p.get(k) in (None, "")]
    if missing:
        raise ValueError(
            f"missing required propert{'y' if len(missing) == 1 else 'ies'}: " + ", ".join(missing)
        )
    for prop in decl.properties:
        value = p.get(prop.name)
        if value is None:
            continue
        if prop.type == "string" and not isinstance(value, str):
            raise ValueError(f"{prop.name} must be a string, got {type(value).__name__}")
        if prop.type == "boolean" and not isinstance(value, bool):
            raise ValueError(f"{prop.name} must be true or false, got {shown(value)}")
        if prop.type == "array":
            if not isinstance(value, list):
                raise ValueError(f"{prop.name} must be a list, got {type(value).__name__}")
            kind = {"string": str, "object": dict}.get(prop.items or "", object)
            if not all(isinstance(v, kind) for v in value):
                raise ValueError(f"{prop.name} must be a list of {prop.items}s")
        if prop.pattern and isinstance(value, str) and not re.fullmatch(prop.pattern, value):
            raise ValueError(f"{prop.name} {value!r} does not have the form {prop.pattern}")


def _missing_city() -> DataError:
    return DataError(
        CITY_PROFILE_FILE,
        "file not found: every data directory needs its city profile (names, codes, "
        "map centre, metric CRS, hotlines; see README, City profile)",
    )


def city_from_bytes(data: bytes) -> CityProfile:
    """Parse and check a city profile's text (``city.json``): a DataError names the file
    and the field."""
    profile = city_from_doc(CITY_PROFILE_FILE, _parse_json(CITY_PROFILE_FILE, data))
    _check_metric_crs(profile)
    return profile


def read_city(data_dir: Path | str) -> CityProfile:
    """Read and check the data directory's city profile (``city.json``, required)."""
    path = Path(data_dir) / CITY_PROFILE_FILE
    if not path.exists() and not path.is_symlink():
        raise _missing_city()
    return city_from_bytes(_read_bytes(path))


def _check_metric_crs(profile: CityProfile) -> None:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_epsg(profile.metric_epsg)
    except CRSError:
        raise DataError(
            CITY_PROFILE_FILE, f"metric_crs.epsg {profile.metric_epsg} is not a known EPSG code"
        ) from None
    units = {axis.unit_name for axis in crs.axis_info}
    if not crs.is_projected or units != {"metre"}:
        raise DataError(
            CITY_PROFILE_FILE,
            f"metric_crs.epsg {profile.metric_epsg} ({crs.name}) is not a projected CRS in "
            "metres (areas, grids and distances along lines are measured in it)",
        )


def read_reference(data_dir: Path, decl: Collection) -> ReferenceCollection:
    """Read and check one reference collection (any geometry kind) against its declaration."""
    features, digest = _read_features_digest(data_dir / decl.file)
    return reference_collection(decl, features, digest)


def reference_collection(
    decl: Collection, features: list[dict[str, Any]], digest: str
) -> ReferenceCollection:
    """Check one reference collection's features (outline checked already) against its
    declaration; ``digest`` is the SHA-256 of its text (its version)."""
    items: list[Feature] = []
    shapes = []
    seen: set[str] = set()
    for i, feat in enumerate(features):
        p = feat["properties"]
        raw_id = p.get(decl.id_property)
        label = str(raw_id) if isinstance(raw_id, str) and raw_id else f"#{i}"
        try:
            _check_declared(p, decl)
        except ValueError as exc:
            raise DataError(decl.file, str(exc), label) from None
        if label in seen:
            raise DataError(decl.file, "duplicate id", label)
        seen.add(label)
        geom = _shape(decl.file, feat, label, decl.kind)
        items.append(feature_from_doc(decl, feat, label))
        shapes.append(geom)
    bounds = np.array([g.bounds for g in shapes], dtype=float) if shapes else np.empty((0, 4))
    return ReferenceCollection(decl, tuple(items), tuple(shapes), bounds, digest)


def _districts(coll: ReferenceCollection) -> dict[str, District]:
    return {
        f.id: District(f.id, str(f.properties["name"]), str(f.properties.get("name_en") or ""))
        for f in coll.features
    }


def _towns(coll: ReferenceCollection, districts: dict[str, District]) -> dict[str, Town]:
    """The 9-digit town/street seats, checking each belongs to a known district."""
    towns: dict[str, Town] = {}
    for f in coll.features:
        p = f.properties
        if p["district_code"] not in districts or not f.id.startswith(p["district_code"]):
            raise DataError(coll.decl.file, f"unknown district code {p['district_code']!r}", f.id)
        lon, lat = f.geometry["coordinates"][:2]
        towns[f.id] = Town(
            f.id,
            str(p["name"]),
            str(p.get("name_en") or ""),
            p["district_code"],
            float(lon),
            float(lat),
            str(p.get("position") or ""),
        )
    return towns


def read_references(
    data_dir: Path, routes: bool = True, profile: CityProfile | None = None
) -> dict[str, ReferenceCollection]:
    """Read every collection that is not a facility layer (the boundaries and towns, and
    with ``routes`` the route collections) and check how they fit together. Their
    declarations are the city's (:meth:`Collection.for_city`): ``profile``, or the data
    directory's own."""
    if profile is None:
        profile = read_city(data_dir)
    return references_from(file_source(Path(data_dir)), profile, routes)


def references_from(
    source: FeatureSource, profile: CityProfile, routes: bool = True
) -> dict[str, ReferenceCollection]:
    """:func:`read_references` over any source of collections (files, database rows),
    with the city ``profile`` naming the city's own collection."""
    refs = {}
    for decl in registry.BY_ID.values():
        if decl.is_facility or (decl.is_route and not routes):
            continue
        found = source(decl)
        if found is None:
            raise DataError(decl.file, "file not found")
        refs[decl.id] = reference_collection(decl.for_city(profile), *found)
    city = refs[registry.CITY.id]
    if len(city.features) != 1:
        raise DataError(CITY_FILE, f"expected one city feature, found {len(city.features)}")
    districts = _districts(refs[registry.DISTRICTS.id])
    seats = _towns(refs[registry.TOWN_SEATS.id], districts)
    areas = refs[registry.TOWNS.id]
    for f in areas.features:
        if f.id not in seats:
            raise DataError(TOWN_AREAS_FILE, f"no town seat with this code in {TOWNS_FILE}", f.id)
    return refs


class CityTest:
    """Point-in-city test with a tolerance in metres, done in the city's metric CRS."""

    def __init__(self, city_wgs84, profile: CityProfile):
        self.profile = profile
        self.epsg = profile.metric_epsg
        self.zone = geometry_to_metric(city_wgs84, self.epsg).buffer(CITY_TOLERANCE_M)
        shapely.prepare(self.zone)

    @property
    def name_en(self) -> str:
        return self.profile.name.en

    def contains(self, lon: float, lat: float) -> bool:
        x, y = to_metric(lon, lat, self.epsg)
        return bool(shapely.contains_xy(self.zone, x, y))


def _check_point(geometry: Any, city: CityTest) -> tuple[float, float]:
    """Return ``(lon, lat)`` of a GeoJSON Point geometry or raise ValueError with the problem."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise ValueError(f"geometry must be a GeoJSON Point, got {kind}")
    coords = geometry.get("coordinates")
    if (
        not isinstance(coords, list)
        or len(coords) not in (2, 3)
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
    ):
        raise ValueError(f"Point coordinates must be [lon, lat] numbers, got {coords!r}")
    x, y = float(coords[0]), float(coords[1])
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError(f"coordinates must be finite, got {coords!r}")
    in_range = -180 <= x <= 180 and -90 <= y <= 90
    swapped_ok = -180 <= y <= 180 and -90 <= x <= 90
    if not in_range:
        if swapped_ok:
            raise ValueError(
                f"coordinates {coords!r} look like [lat, lon]; GeoJSON (RFC 7946) needs [lon, lat]"
            )
        raise ValueError(f"coordinates {coords!r} are out of range")
    if not city.contains(x, y):
        if swapped_ok and city.contains(y, x):
            raise ValueError(
                f"coordinates {coords!r} look like [lat, lon]; GeoJSON (RFC 7946) needs [lon, lat]"
            )
        raise ValueError(
            f"point {coords!r} lies outside {city.name_en} (more than "
            f"{CITY_TOLERANCE_M:.0f} m beyond the city boundary)"
        )
    return x, y


def _check_properties(
    p: dict[str, Any], layer_id: str, districts: dict[str, District], towns: dict[str, Town]
) -> None:
    """Raise ValueError with the problem if a facility's properties break DESIGN.md."""
    _check_declared(p, registry.BY_ID[layer_id])
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
            raise ValueError(
                f"unknown amenity term(s) {', '.join(unknown)}; the vocabulary is: "
                + ", ".join(AMENITIES)
            )
    hours = p.get("opening_hours")
    if hours is not None:
        if not isinstance(hours, str):
            raise ValueError("opening_hours must be a string in OpenStreetMap syntax")
        try:
            OpeningHours(hours)
        except Exception:  # the parser's own error type differs between versions
            raise ValueError(
                f"opening_hours {hours!r} does not parse as OpenStreetMap opening_hours syntax"
            ) from None
    wheelchair = p.get("wheelchair")
    if wheelchair is not None and wheelchair not in WHEELCHAIR_VALUES:
        raise ValueError(f"wheelchair must be one of {', '.join(WHEELCHAIR_VALUES)}")


def check_layer(
    path: Path,
    layer_id: str,
    districts: dict[str, District],
    towns: dict[str, Town],
    city: CityTest,
    seen_ids: dict[str, str],
    data: bytes | None = None,
) -> tuple[list[Facility], list[DataError]]:
    """Validate one facility layer file; return its facilities and every problem found.

    ``seen_ids`` maps ids already read (from other layers) to their file, to catch
    duplicates across layers; it is updated in place. ``data`` is the file's content when
    the caller has read it already.
    """
    try:
        if data is None:
            data = _read_bytes(path)
        features = _check_outline(path.name, _parse_json(path.name, data))
    except DataError as exc:
        return [], [exc]
    return check_facilities(path.name, layer_id, features, districts, towns, city, seen_ids)


def check_facilities(
    name: str,
    layer_id: str,
    features: list[dict[str, Any]],
    districts: dict[str, District],
    towns: dict[str, Town],
    city: CityTest,
    seen_ids: dict[str, str],
) -> tuple[list[Facility], list[DataError]]:
    """:func:`check_layer` over features already parsed (their outline checked), the
    problems named after the file ``name``."""
    facilities: list[Facility] = []
    problems: list[DataError] = []
    for i, feat in enumerate(features):
        p = feat["properties"]
        label = str(p["id"]) if isinstance(p.get("id"), str) and p["id"] else f"#{i}"
        try:
            _check_properties(p, layer_id, districts, towns)
            lon, lat = _check_point(feat.get("geometry"), city)
        except ValueError as exc:
            problems.append(DataError(name, str(exc), label))
            continue
        if p["id"] in seen_ids:
            problems.append(DataError(name, f"duplicate id (also in {seen_ids[p['id']]})", p["id"]))
            continue
        seen_ids[p["id"]] = name
        facilities.append(facility_from_feature(layer_id, feat, lon, lat))
    return facilities, problems


def facility_from_feature(
    layer_id: str, feat: dict[str, Any], lon: float | None = None, lat: float | None = None
) -> Facility:
    """The Facility of a feature already checked (from a file, or a database row)."""
    p = feat["properties"]
    if lon is None or lat is None:
        coords = feat["geometry"]["coordinates"]
        lon, lat = float(coords[0]), float(coords[1])
    props = dict(p)
    props["layer"] = layer_id
    return Facility(
        p["id"],
        layer_id,
        str(p["name"]),
        lon,
        lat,
        p["district_code"],
        p["town_code"],
        str(p["source"]),
        props,
    )


def feature_from_doc(decl: Collection, feat: dict[str, Any], label: str | None = None) -> Feature:
    """The Feature of a reference feature already checked."""
    p = feat["properties"]
    return Feature(
        label if label is not None else str(p.get(decl.id_property)),
        decl.id,
        feat["geometry"],
        dict(p),
    )


def make_layer(layer_id: str, facilities: list[Facility], digest: str) -> FacilityLayer:
    """A facility layer of checked facilities; ``digest`` is the SHA-256 of its text."""
    decl = registry.BY_ID[layer_id]
    lon = np.array([f.lon for f in facilities], dtype=float)
    lat = np.array([f.lat for f in facilities], dtype=float)
    return FacilityLayer(layer_id, decl.name_zh, decl.name_en, tuple(facilities), lon, lat, digest)


def layer_files(data_dir: Path) -> dict[str, Path]:
    """The facility layer files of ``data_dir``, in registry order. Every declared layer
    must have its file: a layer meant to be empty says so with an empty FeatureCollection,
    so that a file lost in a copy is an error, not a layer silently gone."""
    return {c.id: data_dir / c.file for c in registry.FACILITIES}


def _missing_layer(path: Path | str) -> DataError:
    return DataError(
        Path(path).name,
        "file not found: every declared layer needs its file (write "
        'an empty FeatureCollection, {"type": "FeatureCollection", '
        '"features": []}, for a layer that is meant to be empty)',
    )


HOLIDAYS_FILE = "holidays.json"


def read_holidays(path: Path) -> HolidaySchedule:
    """Read and check an official holiday schedule file (optional; absent: empty).

    The file: ``{"source": "...", "years": {"2027": {"holidays": {"2027-01-01": "元旦",
    ...}, "workdays": ["2027-02-07", ...]}}}`` — every day off of each official break with
    its name, and the make-up working days (weekend days worked in lieu).
    """
    path = Path(path)
    if not path.exists():
        return HolidaySchedule({})
    return holidays_from_doc(path.name, read_json(path))


def holidays_from_bytes(name: str, data: bytes) -> HolidaySchedule:
    """:func:`read_holidays` over a file's content (e.g. the database's copy)."""
    return holidays_from_doc(name, _parse_json(name, data))


def holidays_from_doc(name: str, doc: Any) -> HolidaySchedule:
    """Check a parsed holiday schedule document (see :func:`read_holidays`)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("years"), dict):
        raise DataError(
            name, 'expected {"years": {"YYYY": {"holidays": {...}, "workdays": [...]}}}'
        )
    years: dict[int, YearSchedule] = {}
    for key, year in doc["years"].items():
        if not (isinstance(key, str) and re.fullmatch(r"(19|20|21)\d\d", key)):
            raise DataError(name, f"year {shown(key)} is not a year from 1900 to 2199")
        if (
            not isinstance(year, dict)
            or not isinstance(year.get("holidays"), dict)
            or not isinstance(year.get("workdays", []), list)
        ):
            raise DataError(
                name, "needs a 'holidays' object (date: name) and a 'workdays' list", key
            )
        holidays = {
            _year_day(name, key, d): _holiday_name(name, key, d, n)
            for d, n in year["holidays"].items()
        }
        if not holidays:  # every year has New Year's Day at least: an empty year is a slip
            raise DataError(name, "a year needs its days off (none are listed)", key)
        workdays = frozenset(_year_day(name, key, d) for d in year.get("workdays", []))
        for day in sorted(workdays):
            if day in holidays:
                raise DataError(name, f"{day} is both a holiday and a make-up working day", key)
            if day.weekday() < 5:
                raise DataError(
                    name,
                    f"make-up working day {day} is a weekday; make-up "
                    "days are Saturdays or Sundays",
                    key,
                )
        years[int(key)] = YearSchedule(holidays, workdays)
    return HolidaySchedule(years, str(doc.get("source") or ""))


def _year_day(name: str, year: str, raw: Any) -> dt.date:
    try:  # YYYY-MM-DD only (fromisoformat would also take 20270101 and 2027-W01-1)
        day = (
            dt.date.fromisoformat(raw)
            if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw)
            else None
        )
    except ValueError:
        day = None
    if day is None or str(day.year) != year:
        raise DataError(name, f"{shown(raw)} is not a date (YYYY-MM-DD) in {year}", year)
    return day


def _holiday_name(name: str, year: str, day: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DataError(name, f"holiday {day} needs a name", year)
    return value


def _context(refs: dict[str, ReferenceCollection], profile: CityProfile):
    """Districts, town seats and the city test; checks the routes against them."""
    return reference_context(refs, profile)


def reference_context(
    refs: dict[str, ReferenceCollection], profile: CityProfile
) -> tuple[dict[str, District], dict[str, Town], CityTest]:
    """Districts, town seats and the city test of the reference collections ``refs``
    (:func:`read_references`) and the city ``profile``; checks the routes among them
    against the city."""
    districts = _districts(refs[registry.DISTRICTS.id])
    towns = _towns(refs[registry.TOWN_SEATS.id], districts)
    city = CityTest(refs[registry.CITY.id].shapes[0], profile)
    for coll in refs.values():
        if coll.decl.is_route:
            check_routes(coll, city)
    return districts, towns, city


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(name: str, fid: str, what: str, value: Any) -> None:
    """Control characters break the GPX and KML a route is downloaded as."""
    if value is not None and not isinstance(value, str):
        raise DataError(name, f"{what} must be text, got {type(value).__name__}", fid)
    if isinstance(value, str) and _CONTROL.search(value):
        raise DataError(name, f"{what} contains a control character", fid)


#: a stop must lie this close to its route's line (metres, the city's metric CRS)
STOP_ON_LINE_M = 1.0


def check_routes(coll: ReferenceCollection, city: CityTest) -> None:
    """Each route: at least two stops, each a named point inside the city, and a line
    that passes its stops in their order. The error names the route and the stop."""
    name = coll.decl.file
    for feat, line in zip(coll.features, coll.shapes, strict=True):
        if line.geom_type != "LineString":
            raise DataError(name, f"a route is one LineString, got {line.geom_type}", feat.id)
        for key in ("name", "name_en", "theme", "theme_en"):
            _no_control(name, feat.id, key, feat.properties.get(key))
        stops = feat.properties["stops"]
        if not isinstance(stops, list) or len(stops) < 2:
            raise DataError(name, "a route needs at least two stops", feat.id)
        line_utm = geometry_to_metric(line, city.epsg)
        last = -1.0
        for i, stop in enumerate(stops, start=1):
            label = stop.get("name") if isinstance(stop, dict) else None
            where = f"stop {i} {shown(label)}" if label else f"stop {i}"
            if not isinstance(stop, dict) or not isinstance(label, str) or not label:
                raise DataError(name, f"{where} needs a name", feat.id)
            for key in ("name", "name_en", "description", "precision", "coord_source"):
                _no_control(name, feat.id, f"{where} {key}", stop.get(key))
            lon, lat = stop.get("lon"), stop.get("lat")
            if not (
                isinstance(lon, int | float)
                and isinstance(lat, int | float)
                and not isinstance(lon, bool)
                and not isinstance(lat, bool)
                and np.isfinite(lon)
                and np.isfinite(lat)
            ):
                raise DataError(name, f"{where} needs numeric lon and lat", feat.id)
            if not city.contains(lon, lat):
                raise DataError(
                    name, f"{where} at [{lon}, {lat}] lies outside {city.name_en}", feat.id
                )
            point = shapely.Point(*to_metric(lon, lat, city.epsg))
            off = line_utm.distance(point)
            if off > STOP_ON_LINE_M:
                raise DataError(
                    name, f"the line does not pass {where} (it runs {off:.0f} m from it)", feat.id
                )
            position = line_utm.project(point)
            if position < last - STOP_ON_LINE_M:
                raise DataError(name, f"the line passes {where} out of order", feat.id)
            last = position
        for x, y, *_ in line.coords:
            if not city.contains(x, y):
                raise DataError(
                    name, f"the line runs outside {city.name_en} at [{x}, {y}]", feat.id
                )
        # the line starts at the first stop and ends at the last (between them it may
        # follow roads): no stretch before or after the trip
        ends = line_utm.coords[0][:2], line_utm.coords[-1][:2]
        for (x, y), stop, which in ((ends[0], stops[0], "first"), (ends[-1], stops[-1], "last")):
            sx, sy = to_metric(stop["lon"], stop["lat"], city.epsg)
            if float(np.hypot(x - sx, y - sy)) > STOP_ON_LINE_M:
                raise DataError(
                    name,
                    f"the line must {'start' if which == 'first' else 'end'}"
                    f" at the {which} stop {shown(stop['name'])}",
                    feat.id,
                )


def validate_data_dir(data_dir: Path) -> tuple[list[LayerReport], list[DataError]]:
    """Check every file; return per-collection reports and reference-file problems."""
    data_dir = Path(data_dir)
    try:
        profile = read_city(data_dir)
        refs = read_references(data_dir, profile=profile)
        districts, towns, city_test = _context(refs, profile)
    except DataError as exc:
        return [], [exc]
    seen: dict[str, str] = {}
    reports = []
    for layer_id, path in layer_files(data_dir).items():
        if not path.exists() and not path.is_symlink():
            reports.append(LayerReport(layer_id, path.name, problems=[_missing_layer(path)]))
            continue
        facilities, problems = check_layer(path, layer_id, districts, towns, city_test, seen)
        reports.append(
            LayerReport(
                layer_id,
                path.name,
                len(facilities),
                _sources(f.properties for f in facilities),
                problems,
            )
        )
    for ref in refs.values():
        reports.append(
            LayerReport(
                ref.id,
                ref.decl.file,
                len(ref.features),
                _sources(f.properties for f in ref.features),
                approximate=ref.decl.approximate,
            )
        )
    return reports, []


def data_version(digests: dict[str, str]) -> str:
    """One short version string over every collection's digest."""
    joined = "|".join(f"{k}:{v}" for k, v in sorted(digests.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def read_geodata(data_dir: Path | str, holidays_file: Path | str | None = None) -> Geodata:
    """Read and validate a data directory; raise the first DataError found.

    ``holidays_file`` replaces the data directory's ``holidays.json``."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(str(data_dir), "data directory not found")
    holidays_path = Path(holidays_file) if holidays_file else data_dir / HOLIDAYS_FILE

    def holidays() -> tuple[str, bytes] | None:
        if not holidays_path.exists():
            return None
        return holidays_path.name, _read_bytes(holidays_path)

    city_path = data_dir / CITY_PROFILE_FILE
    city = _read_bytes(city_path) if city_path.exists() or city_path.is_symlink() else None
    network_path = data_dir / NETWORK_FILE
    network = _read_bytes(network_path) if network_path.exists() else None
    return build_geodata(file_source(data_dir), holidays, data_dir, city=city, network=network)


def build_geodata(
    source: FeatureSource,
    holidays: Callable[[], tuple[str, bytes] | None] = lambda: None,
    data_dir: Path | None = None,
    documents: dict[str, bytes] | None = None,
    *,
    city: bytes | None,
    network: bytes | None = None,
) -> Geodata:
    """Validate every collection ``source`` gives (files or database rows) and the
    holiday schedule ``holidays`` gives (its file name and content, or None: none), and
    make the Geodata; raise the first DataError found. ``documents``: the other documents
    read with the data (demand CSVs), when they do not live in ``data_dir``. ``city``:
    the city profile's text (``city.json``; None: missing, a DataError). ``network``: the
    street network file (``network.npz``; None: look among ``documents``, else none)."""
    if city is None:
        raise _missing_city()
    profile = city_from_bytes(city)
    refs = references_from(source, profile)
    districts, towns, city_test = _context(refs, profile)
    seen: dict[str, str] = {}
    found: dict[str, AnyCollection] = dict(refs)
    for decl in registry.FACILITIES:
        got = source(decl)
        if got is None:
            raise _missing_layer(decl.file)
        features, digest = got
        facilities, problems = check_facilities(
            decl.file, decl.id, features, districts, towns, city_test, seen
        )
        if problems:
            raise problems[0]
        found[decl.id] = make_layer(decl.id, facilities, digest)
    collections = {cid: found[cid] for cid in registry.BY_ID if cid in found}
    schedule = HolidaySchedule({})
    digests = {cid: c.digest for cid, c in collections.items()}
    hol = holidays()
    if hol is not None:
        schedule = holidays_from_bytes(*hol)
        digests[HOLIDAYS_FILE] = hashlib.sha256(hol[1]).hexdigest()
    digests[CITY_PROFILE_FILE] = hashlib.sha256(city).hexdigest()
    if network is None and documents:
        network = documents.get(NETWORK_FILE)
    street_network = None
    if network is not None:
        digests[NETWORK_FILE] = hashlib.sha256(network).hexdigest()
        street_network = network_of(network, digests[NETWORK_FILE], profile)
    return Geodata(
        data_dir,
        collections,
        districts,
        towns,
        data_version(digests),
        schedule,
        documents or {},
        profile,
        street_network,
    )


def network_of(data: bytes, digest: str, profile: CityProfile) -> StreetNetwork:
    """The street network file ``data`` (SHA-256 ``digest``) of a city's data, checked: a
    DataError names ``network.npz`` when it is broken or built for another city."""
    net = load_network(data, digest)
    if net.info.city_code != profile.code:
        raise DataError(
            NETWORK_FILE,
            f"built for city {shown(net.info.city_code)}, not for this data's city "
            f"{profile.code} ({profile.name.zh} · {profile.name.en}); build it again with "
            "`locator build-network`",
        )
    if net.info.metric_epsg != profile.metric_epsg:
        # its metres (snapping, access legs, the planner's cells) would not be the city's
        raise DataError(
            NETWORK_FILE,
            f"built in EPSG:{net.info.metric_epsg}, not in the city's metric projection "
            f"EPSG:{profile.metric_epsg}; build it again with `locator build-network`",
        )
    return net


def fingerprint(data_dir: Path | str, holidays_file: Path | str | None = None) -> tuple:
    """A cheap signature of the data directory's declared files, the city profile, the
    street network and the holiday schedule (name, size, mtime, inode): it changes when
    any of them is replaced, written or removed."""
    paths = [Path(data_dir) / decl.file for decl in registry.BY_ID.values()]
    paths.append(Path(data_dir) / CITY_PROFILE_FILE)
    paths.append(Path(data_dir) / NETWORK_FILE)
    paths.append(Path(holidays_file) if holidays_file else Path(data_dir) / HOLIDAYS_FILE)
    out: list[tuple] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            out.append((str(path), None))
            continue
        out.append((str(path), st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(out)


# --------------------------------------------------------------------------- writing


def write_text_atomic(path: Path, text: str) -> None:
    """Write a file so that readers see the old or the new content, never a half."""
    write_bytes_atomic(path, text.encode("utf-8"))


#: every temporary file the app writes is named ``.locator-tmp.<pid>.<file>.<random>.tmp``:
#: recognisably its own, and by a process that may be asked whether it still runs
#: (:func:`locator.stores.files.recovery.remove_stale_temp_files`)
TEMP_PREFIX = ".locator-tmp."
TEMP_SUFFIX = ".tmp"


def write_bytes_atomic(
    path: Path, data: bytes, before_rename: Callable[[], None] | None = None
) -> None:
    """Write a file atomically: a temporary file in the same directory, flushed and
    fsynced, renamed over the old one, and the directory fsynced. ``before_rename``
    runs once the temporary file is complete (the tests' crash point)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{TEMP_PREFIX}{os.getpid()}.{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; data files are meant to be read
        if before_rename is not None:
            before_rename()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable: fsync the directory that holds it (POSIX; skipped where a
    directory cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_feature_collection(
    path: Path, features: Iterable[dict[str, Any]], name: str | None = None
) -> None:
    """Write features as a GeoJSON FeatureCollection, atomically."""
    write_text_atomic(path, dumps_feature_collection(features, name))
