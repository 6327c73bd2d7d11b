"""Query parameters, each declared once.

A :class:`Param` says a parameter's name, type, bounds, default and description (zh/en).
From that one declaration come its parsing (:meth:`Param.parse`), its error message (an
:class:`~locator.values.errors.InvalidQuery` naming it) and its OpenAPI description
(:meth:`Param.openapi`), so the document cannot drift from the server.

A small table of our own rather than a library (webargs, flask-smorest, pydantic): those
bring a schema layer, a serialisation layer and a second error shape, for about fifteen
query parameters that are all scalars, lists or boxes. What they would add here is what
this module does in 200 lines.

Numbers are ASCII decimal numbers only (Python's ``float`` and ``int`` also accept
full-width digits and underscores, which the document does not promise).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from locator.formats.times import parse_time
from locator.operations.demand import DEMAND_CHOICES
from locator.operations.nearest import DEFAULT_K, MAX_K
from locator.service import planner_request as planning
from locator.values.errors import InvalidQuery, shown
from locator.values.geo.crs import CoordSystem, to_wgs84
from locator.values.models import AMENITIES, Point

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_LON = r"-?(180(\.0+)?|(1[0-7]\d|\d{1,2})(\.\d+)?)"
_LAT = r"-?(90(\.0+)?|[0-8]?\d(\.\d+)?)"
BBOX_PATTERN = f"^{_LON},{_LAT},{_LON},{_LAT}$"
#: a real calendar date in 1900-2199 (formats.times.YEARS): 30-day months end on the
#: 30th, February on the 28th, or the 29th in a leap year (1900 and 2100 are not)
_DATE = (
    r"((19|20|21)\d{2}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])"
    r"|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))"
    r"|((19|20|21)(0[48]|[2468][048]|[13579][26])|2000)-02-29)"
)
_CLOCK = r"T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?"
_ZONE = r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)"
TIME_PATTERN = f"^{_DATE}{_CLOCK}{_ZONE}?$"
#: OGC API - Features ``datetime``: an RFC 3339 date or date-time (with its offset), or an
#: interval of two, either end open (``..``)
_INSTANT = f"{_DATE}({_CLOCK}{_ZONE})?"
DATETIME_PATTERN = f"^({_INSTANT}|({_INSTANT}|\\.\\.)/{_INSTANT}|{_INSTANT}/\\.\\.)$"


def _list_pattern(choices: tuple[str, ...]) -> str:
    one = "(" + "|".join(re.escape(c) for c in choices) + ")"
    return f"^{one}(,{one})*$"


@dataclass(frozen=True)
class Param:
    """One query parameter. ``kind`` is number, integer, boolean, choice, list, bbox,
    datetime, code (a fixed number of digits, ``digits``) or text (1-50 characters)."""

    name: str
    kind: str
    zh: str
    en: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    default: Any = None
    choices: tuple[str, ...] | None = None
    required: bool = False
    unit: str = ""
    digits: int = 0
    #: a value above ``maximum`` is served as ``maximum`` instead of refused (OGC API -
    #: Features asks this of ``limit``); the document then states no maximum
    clamp: bool = False
    #: longest value a text parameter takes
    max_length: int = 50
    #: a bbox may also be six numbers (with heights, which are ignored: the data has
    #: none), and is documented as OGC API - Features' array of numbers
    heights: bool = False

    # ------------------------------------------------------------------ parsing

    def raw(self, args: MultiDict) -> str | None:
        """The parameter's text, None when absent. Present but empty is an error: an API
        client that sends ``k=`` meant something and should hear that it did not arrive."""
        if self.name not in args:  # args.get raises and catches a KeyError when absent
            return None
        raw = args[self.name]
        if raw.strip() == "":
            raise InvalidQuery(self.name, f"{self.name} is empty; leave it out or give a value")
        return raw

    def fail(self, message: str) -> InvalidQuery:
        return InvalidQuery(self.name, f"{self.name} {message}")

    def parse(self, args: MultiDict) -> Any:
        """The parameter's value from ``args``, or its default when absent."""
        if self.kind == "list":
            return self._list(args)
        raw = self.raw(args)
        if raw is None:
            if self.required:
                raise self.fail(f"is required{f' ({self.unit})' if self.unit else ''}")
            return self.default
        return getattr(self, f"_{self.kind}")(raw.strip(), raw)

    def _range_text(self) -> str:
        return f"from {self.minimum:g} to {self.maximum:g}"

    def _number(self, text: str, raw: str) -> float:
        if not NUMBER.fullmatch(text):
            positive = "positive " if self.exclusive_minimum else ""
            try:
                if not math.isfinite(float(text)):
                    raise self.fail(f"must be a {positive}finite number, got {shown(raw)}")
            except ValueError:
                pass
            unit = f" in {self.unit}" if self.unit else ""
            raise self.fail(f"must be a number{unit}, got {shown(raw)}")
        value = float(text)
        if not math.isfinite(value):
            raise self.fail(f"must be a finite number, got {shown(raw)}")
        if self.exclusive_minimum and self.minimum is not None and value <= self.minimum:
            raise self.fail(f"must be a positive finite number, got {shown(raw)}")
        low = self.minimum if self.minimum is not None else -math.inf
        high = self.maximum if self.maximum is not None else math.inf
        if not low <= value <= high:
            raise self.fail(f"must be between {low:g} and {high:g}, got {value:g}")
        return value

    def _integer(self, text: str, raw: str) -> int:
        # the length cap keeps int() away from Python's 4,300-digit conversion limit
        whole = _INTEGER.fullmatch(text) is not None and len(text) <= 20
        value = int(text) if whole else None
        if value is not None and self.clamp and self.maximum is not None and value > self.maximum:
            return int(self.maximum)
        if value is None or not (self.minimum or 0) <= value <= (self.maximum or 0):
            got = value if value is not None else repr(raw)
            raise self.fail(f"must be an integer {self._range_text()}, got {got}")
        return value

    def _boolean(self, text: str, raw: str) -> bool:
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise self.fail(f"must be true or false, got {shown(raw)}")

    def _choice(self, text: str, raw: str) -> str:
        assert self.choices
        if text.lower() not in self.choices:
            raise self.fail(f"must be one of {', '.join(self.choices)}, got {shown(raw)}")
        return text.lower()

    def _text(self, text: str, raw: str) -> str:
        if len(text) > self.max_length:
            raise self.fail(f"must be at most {self.max_length} characters, got {shown(raw)}")
        if self.choices and text not in self.choices:
            raise self.fail(f"must be one of {', '.join(self.choices)}, got {shown(raw)}")
        return text

    def _code(self, text: str, raw: str) -> str:
        if not (len(text) == self.digits and text.isascii() and text.isdigit()):
            raise self.fail(f"must be a {self.digits}-digit code, got {shown(raw)}")
        return text

    def _datetime(self, text: str, raw: str) -> dt.datetime:
        return parse_time(raw, self.name)

    def _bbox(self, text: str, raw: str) -> tuple[float, float, float, float]:
        parts = text.split(",")
        if self.heights and len(parts) == 6:
            if not all(NUMBER.fullmatch(p.strip()) for p in parts):
                raise self.fail(f"must be four or six finite numbers, got {shown(raw)}")
            parts = [parts[0], parts[1], parts[3], parts[4]]  # heights: the data has none
        if len(parts) != 4:
            six = " (or six, with heights)" if self.heights else ""
            raise self.fail(
                f"must be four numbers minlon,minlat,maxlon,maxlat{six}, got {shown(raw)}"
            )
        if not all(NUMBER.fullmatch(p.strip()) for p in parts):
            raise self.fail(f"must be four finite numbers, got {shown(raw)}")
        west, south, east, north = (float(p) for p in parts)
        if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= north <= 90):
            raise self.fail(
                f"must have longitudes in [-180, 180] and "
                f"-90 <= minlat <= maxlat <= 90, got {shown(raw)}"
            )
        return west, south, east, north

    def _interval(self, text: str, raw: str) -> tuple[dt.datetime | None, dt.datetime | None]:
        """OGC API - Features ``datetime``: an instant (both ends the same) or an interval,
        either end open (None); RFC 3339 dates or date-times with their offset."""
        if not re.fullmatch(DATETIME_PATTERN, text, re.ASCII):
            raise self.fail(
                "must be an RFC 3339 date or date-time with its offset (2026-10-01, "
                "2026-10-01T08:30:00Z), or an interval of two with either end open "
                f"(2026-01-01/2026-12-31, ../2026-12-31, 2026-01-01/..), got {shown(raw)}"
            )
        ends: list[dt.datetime | None] = []
        for part in text.split("/"):
            if part == "..":
                ends.append(None)
                continue
            value = dt.datetime.fromisoformat(part.replace("Z", "+00:00"))
            ends.append(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
        start, end = ends[0], ends[-1]
        if start is not None and end is not None and start > end:
            raise self.fail(f"interval ends before it starts, got {shown(raw)}")
        return start, end

    def _list(self, args: MultiDict) -> list[str]:
        """Comma-separated values, also accepted as repeated parameters."""
        out: list[str] = []
        for raw in args.getlist(self.name):
            values = [v.strip() for v in raw.split(",")]
            if not all(values):
                raise self.fail(f"has an empty value in {shown(raw)}")
            out.extend(values)
        if self.choices:
            unknown = sorted(set(out) - set(self.choices))
            if unknown:
                raise InvalidQuery(
                    self.name,
                    f"unknown {self.name} {', '.join(unknown)}; "
                    f"expected any of: {', '.join(self.choices)}",
                )
        return out

    # ------------------------------------------------------------------ documenting

    def schema(self, choices: tuple[str, ...] | None = None) -> dict[str, Any]:
        """JSON Schema of the value (OpenAPI 3.0); ``choices`` overrides the declared ones
        (e.g. the layers a running server has)."""
        choices = choices if choices is not None else self.choices
        if self.kind in ("number", "integer"):
            out: dict[str, Any] = {"type": self.kind}
            if self.minimum is not None:
                out["minimum"] = self.minimum
                if self.exclusive_minimum:
                    out["exclusiveMinimum"] = True
            if self.maximum is not None and not self.clamp:
                out["maximum"] = self.maximum
        elif self.kind == "boolean":
            out = {"type": "boolean"}
        elif self.kind == "choice":
            out = {"type": "string", "enum": list(choices or ())}
        elif self.kind == "list":
            out = {"type": "string"}
            if choices:
                out["pattern"] = _list_pattern(choices)
        elif self.kind == "bbox" and self.heights:
            # OGC API - Features /req/core/fc-bbox-definition; minlat <= maxlat cannot be
            # said in a schema: the server's 400 says it
            out = {
                "type": "array",
                "minItems": 4,
                "maxItems": 6,
                "items": {"type": "number", "minimum": -180, "maximum": 180},
            }
        elif self.kind == "bbox":
            out = {"type": "string", "pattern": BBOX_PATTERN}
        elif self.kind == "datetime":
            out = {"type": "string", "pattern": TIME_PATTERN}
        elif self.kind == "interval":
            out = {"type": "string", "pattern": DATETIME_PATTERN}
        elif self.kind == "code" and choices:
            out = {"type": "string", "enum": list(choices)}
        elif self.kind == "code":
            out = {"type": "string", "pattern": rf"^\d{{{self.digits}}}$"}
        elif self.kind == "text":
            out = {"type": "string", "minLength": 1, "maxLength": self.max_length}
            if choices:
                out["enum"] = list(choices)
        else:
            raise ValueError(self.kind)
        if self.default is not None:
            out["default"] = self.default
        return out

    def openapi(self, choices: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The OpenAPI parameter object (in: query, ``style: form``, ``explode: false``:
        an array is one comma-separated value)."""
        return {
            "name": self.name,
            "in": "query",
            "required": self.required,
            "style": "form",
            "explode": False,
            "schema": self.schema(choices),
            "description": f"{self.zh} · {self.en}",
        }


# ---------------------------------------------------------------------- the declarations

#: lon and lat are required unless a town is given (see ``point`` and ``parse_nearest``)
LON = Param(
    "lon",
    "number",
    "经度(度,按 coord 坐标系);未给 town 时必填",
    "longitude, degrees, in the `coord` system; required unless `town` is given",
    -180,
    180,
    unit="decimal degrees",
)
LAT = Param(
    "lat",
    "number",
    "纬度(度,按 coord 坐标系);未给 town 时必填",
    "latitude, degrees, in the `coord` system; required unless `town` is given",
    -90,
    90,
    unit="decimal degrees",
)
COORD = Param(
    "coord",
    "choice",
    "lon/lat 的坐标系:wgs84(GPS,默认)、gcj02(高德、微信)、bd09(百度)",
    "coordinate system of lon/lat: wgs84 (GPS, default), gcj02 (AMap, WeChat), bd09 (Baidu)",
    choices=tuple(c.value for c in CoordSystem),
)
#: checked against the layers the running server has (Service.resolve_layers), which
#: also lists them in the document
LAYER = Param(
    "layer",
    "list",
    "图层,逗号分隔;默认全部",
    "layer id(s), comma-separated or repeated; default all",
)
K = Param("k", "integer", "结果数量", "number of results", 1, MAX_K, default=DEFAULT_K)
MAX_DISTANCE = Param(
    "max_distance_m",
    "number",
    "只返回此距离(米)以内的设施;有道路网络时按沿道路的距离",
    "only facilities within this many metres (along the streets for results measured "
    "along a street network, else straight-line)",
    0,
    1e8,
    exclusive_minimum=True,
    unit="metres",
)
AMENITY = Param(
    "amenity",
    "list",
    "必须具备的设施,逗号分隔时须全部具备",
    "required amenity (comma-separated for several; all must be present)",
    choices=tuple(AMENITIES),
)
OPEN_NOW = Param(
    "open_now",
    "boolean",
    "只保留到达时(按 travel 的方式)开放的设施;开放时间未登记的不算在内,答案的"
    "unknown_hours_left_out 说明去掉了几个(用 include_unknown_hours 显示它们)",
    "keep only facilities open on arrival (travelling by travel); those whose hours are "
    "not recorded are left out, and the answer's unknown_hours_left_out says how many "
    "(include_unknown_hours shows them)",
    default=False,
)
UNKNOWN_HOURS = Param(
    "include_unknown_hours",
    "boolean",
    "与 open_now 一起:也保留到达时开放时间不明的设施(hours_on_arrival.state 为 unknown)",
    "with open_now: also keep facilities whose hours on arrival are not known (marked: "
    "hours_on_arrival.state is unknown)",
    default=False,
)
TRAVEL = Param(
    "travel",
    "choice",
    "出行方式:walk(步行,默认)或 ebike(电动车);决定到达时间、导航方式和(有道路网络时)所用的道路",
    "how you travel: walk (default) or ebike; sets the arrival time "
    "for open_now, the kind of route the map apps are asked for and, with a street "
    "network, the streets the times are measured along",
    choices=("walk", "ebike"),
    default="walk",
)
PER_LAYER = Param(
    "per_layer",
    "boolean",
    "每个图层各返回 k 个",
    "k results from each requested layer instead of k in all",
    default=False,
)
TOWN = Param(
    "town",
    "code",
    "9 位镇(街)代码:未给 lon/lat 时以其驻地为位置",
    "9-digit town/street code: its seat is the position when lon/lat are absent",
    digits=9,
)
AT = Param(
    "at",
    "datetime",
    "计算开放状态的时间(ISO 8601,默认现在;无时区即北京时间)",
    "ISO 8601 time to evaluate opening hours at (default now; naive = Asia/Shanghai)",
)
BBOX = Param(
    "bbox",
    "bbox",
    "范围:最小经度,最小纬度,最大经度,最大纬度(WGS-84 度)",
    "minlon,minlat,maxlon,maxlat in WGS-84 degrees",
)
LAYER_LIMIT = Param(
    "limit", "integer", "最多返回的要素数", "maximum number of features", 1, 10_000, default=10_000
)
OGC_LIMIT = Param(
    "limit",
    "integer",
    "每页要素数(大于 10000 时按 10000)",
    "page size (a larger value is served as 10,000)",
    1,
    10_000,
    default=100,
    clamp=True,
)
OGC_BBOX = Param(
    "bbox",
    "bbox",
    "范围:最小经度,最小纬度,最大经度,最大纬度(默认 CRS84 度;可带高度共 6 个数,高度不计)",
    "minlon,minlat,maxlon,maxlat (CRS84 degrees unless bbox-crs says otherwise; six "
    "numbers with heights are taken, heights ignored); minlat must not exceed maxlat",
    heights=True,
)
DATETIME = Param(
    "datetime",
    "interval",
    "时间或时段(RFC 3339,如 2026-10-01、2026-01-01/..);集合无时间属性时返回全部要素",
    "an instant or interval (RFC 3339, e.g. 2026-10-01, 2026-01-01/..); a collection "
    "without time returns every feature",
)
OFFSET = Param("offset", "integer", "跳过的要素数", "features to skip", 0, 10**9, default=0)
FORMAT = Param("f", "choice", "返回格式", "response format", choices=("json", "geojson"))

NEAREST = (
    LON,
    LAT,
    COORD,
    LAYER,
    K,
    MAX_DISTANCE,
    AMENITY,
    OPEN_NOW,
    UNKNOWN_HOURS,
    TRAVEL,
    PER_LAYER,
    TOWN,
    AT,
)
#: a facility's details from a starting point: the trip there and the hours on arrival
FACILITY_TRIP = (LON, LAT, COORD, TRAVEL, AT)

#: the route filters (checked against the routes the server has: Service.routes)
DISTRICT = Param(
    "district",
    "code",
    "只列出经过这个县(市、区)的路线(6 位代码)",
    "only routes passing this district (6-digit code)",
    digits=6,
)
THEME = Param(
    "theme",
    "text",
    "只列出这个主题的路线(中文或英文)",
    "only routes with this theme (in Chinese or English)",
)
ROUTES = (DISTRICT, THEME)

#: the planner's parameters (coverage and site suggestions)
RADIUS = Param(
    "radius_m",
    "number",
    "覆盖半径(米);按最接近的规划档位计算:1 千米内每 50 米,5 千米内每 250 米,20 千米内每 1 千米",
    "radius of reach, metres; answered for the nearest of the planner's radii (every 50 m "
    "to 1 km, every 250 m to 5 km, every 1 km to 20 km), and the answer says so",
    *planning.RADIUS_M,
    default=planning.DEFAULT_RADIUS_M,
    unit="metres",
)
MINUTES = Param(
    "minutes",
    "number",
    "出行时间(分钟),代替 radius_m:在这个时间内能到达最近设施的范围;有路网时沿道路计算,"
    "否则为直线估算(直线距离 × 1.3 ÷ 速度);"
    "按最接近的档位计算:15 分钟内每 1 分钟,60 分钟内每 5 分钟",
    "travel time, minutes, instead of radius_m: what reaches the nearest facility within "
    "it; along the streets when the data has a street network, else the straight-line "
    "estimate (straight-line distance x 1.3 / speed), and the answer says which; "
    "answered for the nearest of the planner's steps (every minute to 15, every 5 to 60)",
    *planning.MINUTES,
    unit="minutes",
)
PLANNER_TRAVEL = Param(
    "travel",
    "choice",
    "出行方式(与 minutes 一起):walk 步行(默认)或 ebike 电动车",
    "way of travel of minutes (only with minutes): walk (default) or ebike",
    choices=planning.TRAVELS,
)
BY = Param(
    "by",
    "choice",
    "按县(市、区)或镇(街)统计",
    "figures per district or per town",
    choices=planning.BY,
    default="district",
)
CELL = Param(
    "cell_m",
    "choice",
    "网格边长(米)",
    "grid cell size, metres",
    choices=tuple(map(str, planning.CELLS_M)),
    default=str(planning.DEFAULT_CELL_M),
)
SUGGEST_N = Param(
    "n",
    "integer",
    "建议新增站点数",
    "number of new sites to suggest",
    *planning.SUGGEST_N,
    default=planning.DEFAULT_SUGGEST_N,
)
DEMAND = Param(
    "demand",
    "choice",
    "需求:census-2020 全市 2020 年人口普查(默认;鹤山按镇,其余各区按区内陆地平均分布,估算),"
    "heshan-2020 仅鹤山市,area 不加权按面积,requests 骑手“这里需要一个驿站”的请求(每条计 1)",
    "demand: census-2020, the whole city's 2020 census (the default; Heshan by town, "
    "every other district spread evenly over its land, an estimate), heshan-2020 "
    "(Heshan only), area (no weights: shares by area), or requests (riders' \"station "
    'needed here" requests, 1 each)',
    choices=DEMAND_CHOICES,
)
DEMAND_COORD = Param(
    "demand_coord",
    "choice",
    "上传文件的坐标系",
    "coordinate system of an uploaded file",
    choices=("wgs84", "gcj02", "bd09"),
)
COVERAGE = (LAYER, RADIUS, MINUTES, PLANNER_TRAVEL, BY, AT, CELL, DEMAND)

#: OGC API - Features (Parts 1-3): output and bbox CRS, property selection, sorting, CQL2
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
CRS_URIS = (CRS84, EPSG4326, CGCS2000)
OGC_CRS = Param(
    "crs", "text", "输出坐标系", "CRS of the geometries returned", max_length=100, choices=CRS_URIS
)
BBOX_CRS = Param(
    "bbox-crs", "text", "bbox 的坐标系", "CRS of bbox", max_length=100, choices=CRS_URIS
)
OGC_FORMAT = Param(
    "f", "choice", "返回格式", "response format", choices=("json", "geojson", "html")
)
PROPERTIES = Param(
    "properties",
    "text",
    "只返回这些属性(逗号分隔)",
    "only these properties (comma-separated)",
    max_length=1000,
)
SKIP_GEOMETRY = Param(
    "skipGeometry", "boolean", "不返回几何", "leave the geometry out", default=False
)
SORTBY = Param(
    "sortby",
    "text",
    "排序:属性名,前加 - 为降序,逗号分隔",
    "sort by these queryables; a leading - sorts descending",
    max_length=500,
)
FILTER = Param(
    "filter",
    "text",
    "CQL2 过滤条件(最多 200 项,嵌套最多 20 层;LIKE 模式最多 200 个字符、20 个通配符)",
    "CQL2 filter (at most 200 terms, nested at most 20 deep; LIKE patterns at most 200 "
    "characters and 20 wildcards)",
    max_length=5000,
)
FILTER_LANG = Param(
    "filter-lang", "choice", "过滤语言", "filter language", choices=("cql2-text", "cql2-json")
)
FILTER_CRS = Param(
    "filter-crs",
    "text",
    "过滤条件中几何的坐标系(仅 CRS84)",
    "CRS of geometries in the filter (CRS84 only)",
    max_length=100,
    choices=(CRS84,),
)
OGC_ITEMS = (
    OGC_BBOX,
    BBOX_CRS,
    DATETIME,
    OGC_LIMIT,
    OFFSET,
    OGC_FORMAT,
    OGC_CRS,
    PROPERTIES,
    SKIP_GEOMETRY,
    SORTBY,
    FILTER,
    FILTER_LANG,
    FILTER_CRS,
)
SUGGEST = (LAYER, RADIUS, MINUTES, PLANNER_TRAVEL, AT, CELL, DEMAND, SUGGEST_N)


def point(args: MultiDict) -> tuple[Point, CoordSystem]:
    """``lon``, ``lat`` in the ``coord`` system, converted to a WGS-84 point."""
    system = CoordSystem(COORD.parse(args) or CoordSystem.WGS84.value)
    for p in (LON, LAT):
        if p.name not in args:
            raise p.fail(f"is required ({p.unit}), unless town is given")
    lon, lat = to_wgs84(LON.parse(args), LAT.parse(args), system)
    return Point(lon, lat), system
