"""Which column is which: Chinese and English headers onto the facility model.

Registers name their columns in many ways (名称, 站点名称, name; 经度(高德), lng ...). A
header is normalised (NFKC, lower case, no spaces or required-marks), split into its words
and its parenthesised notes; the first word or the whole that is a known alias decides
the field. A note such as (高德) or (WGS-84) says which coordinate system the column is in.
Our own export writes headers such as ``经度 lon (GCJ-02)``, so what we export reads back.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from locator.values.geo.crs import CoordSystem, from_wgs84

_MARKS = re.compile(r"[*※\s]")

#: field -> aliases (matched after NFKC, lower case, without spaces and required-marks)
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("编号", "id", "设施编号", "站点编号", "驿站编号"),
    "name": (
        "名称",
        "name",
        "站点名称",
        "驿站名称",
        "设施名称",
        "阵地名称",
        "单位名称",
        "小屋名称",
        "书屋名称",
        "中心名称",
    ),
    "name_en": ("英文名称", "英文名", "name_en", "englishname"),
    "address": ("地址", "address", "详细地址", "具体地址", "站点地址", "所在地址"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "coords": ("坐标", "经纬度", "经纬度坐标", "coordinates", "lnglat", "lonlat"),
    "phone": ("电话", "phone", "联系电话", "联系方式", "电话号码", "tel", "telephone"),
    "opening_hours": (
        "开放时间",
        "opening_hours",
        "openinghours",
        "营业时间",
        "服务时间",
        "开放时段",
        "hours",
    ),
    "amenities": ("设施", "amenities", "服务设施", "配套设施", "服务功能", "服务内容", "功能"),
    "town": (
        "所属镇街",
        "town",
        "镇街",
        "镇（街）",
        "所在镇街",
        "镇街名称",
        "所属镇（街）",
        "乡镇（街道）",
        "镇（街道）",
        "town_name",
    ),
    "town_code": ("镇（街）代码", "town_code", "镇街代码"),
    "district": (
        "所属区县",
        "区县",
        "县（市、区）",
        "所属县（市、区）",
        "市（区）",
        "district",
        "district_name",
    ),
    "district_code": ("县（市、区）代码", "district_code", "区县代码"),
    "operator": ("运营单位", "operator", "管理单位", "建设单位", "主管单位", "运营方"),
    "verified_on": ("核实日期", "verified_on", "核实时间", "更新日期"),
    "wheelchair": ("无障碍", "wheelchair", "无障碍设施"),
    "source": ("来源", "source"),
    "layer": ("图层", "layer"),
}


def normalise(text: str) -> str:
    return _MARKS.sub("", unicodedata.normalize("NFKC", text)).lower()


_BY_ALIAS = {normalise(alias): name for name, aliases in ALIASES.items() for alias in aliases}

#: words in a header note that name a coordinate system
_CRS_WORDS: tuple[tuple[tuple[str, ...], CoordSystem], ...] = (
    (("高德", "gcj-02", "gcj02", "gcj", "火星", "腾讯", "微信"), CoordSystem.GCJ02),
    (("百度", "bd-09", "bd09", "bd"), CoordSystem.BD09),
    (("wgs-84", "wgs84", "wgs", "gps", "epsg:4326"), CoordSystem.WGS84),
)

_NOTE = re.compile(r"[(\[]([^()\[\]]*)[)\]]")


def _crs_of(notes: list[str]) -> CoordSystem | None:
    for note in notes:
        note = normalise(note)
        for words, system in _CRS_WORDS:
            if any(w in note for w in words):
                return system
    return None


def read_header(header: str) -> tuple[str | None, CoordSystem | None]:
    """The field a header names (None: not a known column) and the coordinate system its
    note names (``经度(高德)`` -> ``("lon", gcj02)``)."""
    text = unicodedata.normalize("NFKC", header).strip()
    if not text:
        return None, None
    whole = normalise(text)
    if whole in _BY_ALIAS:  # 镇(街), 县(市、区): the brackets are part of the name
        return _BY_ALIAS[whole], None
    notes = _NOTE.findall(text)
    base = _NOTE.sub(" ", text)
    crs = _crs_of(notes)
    if normalise(base) in _BY_ALIAS:
        return _BY_ALIAS[normalise(base)], crs
    # "名称 name", "镇(街)代码 town_code", "经度 lon (GCJ-02)": every word names the same
    # field, a word with its brackets or without ("Long Hua love station" and "X Road"
    # name none)
    fields = set()
    for word in re.split(r"[\s·/|:：]+", text):
        if not word.strip() or _NOTE.fullmatch(word):
            continue
        fields.add(_BY_ALIAS.get(normalise(word)) or _BY_ALIAS.get(normalise(_NOTE.sub("", word))))
    if len(fields) == 1 and None not in fields:
        return fields.pop(), crs
    return None, crs


def header_score(cells: list[str]) -> int:
    """How many different known fields a row of cells names (finds the header row)."""
    return len({f for f in (read_header(c)[0] for c in cells) if f})


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column: 0 -> A, 26 -> AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass
class ColumnMap:
    """Where each field is: field -> column index; the columns we keep as they are
    (index -> property name); columns that repeat a field; coordinate-system notes."""

    fields: dict[str, int] = field(default_factory=dict)
    extras: dict[int, str] = field(default_factory=dict)
    repeated: list[tuple[int, str]] = field(default_factory=list)
    crs_notes: dict[int, CoordSystem] = field(default_factory=dict)
    unnamed: list[int] = field(default_factory=list)


def map_columns(headers: list[str]) -> ColumnMap:
    """Map the header cells onto fields. The first column naming a field wins; a later
    one is kept as an extra property (and reported), as is every unknown column."""
    out = ColumnMap()
    for i, header in enumerate(headers):
        name, crs = read_header(header)
        if crs is not None and name in ("lon", "lat", "coords"):
            out.crs_notes[i] = crs
        if name is None:
            if header.strip():
                out.extras[i] = header.strip()
            else:
                out.unnamed.append(i)
            continue
        if name in out.fields:
            out.repeated.append((i, name))
            out.extras[i] = header.strip()
            continue
        out.fields[name] = i
    return out


#: the GeoJSON member naming the coordinate system of an exported register
COORD_MEMBER = "coordinate_system"


def coordinates_out(lon: float, lat: float, system: CoordSystem) -> tuple[float, float]:
    """WGS-84 to ``system`` for an export, 7 decimals where converted (1 cm), so that a
    round trip lands within a few centimetres."""
    if system is CoordSystem.WGS84:
        return lon, lat
    x, y = from_wgs84(lon, lat, system)
    return round(x, 7), round(y, 7)
