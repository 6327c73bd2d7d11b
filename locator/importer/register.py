"""A register (CSV, XLSX or GeoJSON) checked row by row into a facility layer.

:func:`check_register` reads the file, maps its columns, checks every row and returns an
:class:`ImportPlan`: the features the layer would hold and every problem found. Nothing is
written here; :mod:`locator.importer.history` writes a plan that has no errors.

Towns come from a spatial join with the town areas (shapely's STRtree, nearest area in
metres in the city's metric CRS: a point on a border river bank just outside every area
still gets one). The areas are approximate (Voronoi cells of the town seats), so a stated
town that misses the point by a little is a warning and the stated town is kept; by more,
an error.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from locator.formats.cells import restore_formula
from locator.formats.register_columns import (
    ALIASES,
    COORD_MEMBER,
    ColumnMap,
    column_letter,
    header_score,
    map_columns,
    read_header,
)
from locator.formats.tables import (
    RegisterTooLarge,
    UnreadableRegister,
    cell_text,
    read_table,
)
from locator.importer import values
from locator.importer.report import ERROR, WARNING, Problem, grouped
from locator.stores.files.read import (
    CityTest,
    check_layer,
    read_city,
    read_features,
    read_references,
    reference_context,
)
from locator.values import registry
from locator.values.errors import DataError
from locator.values.geo.crs import CoordSystem, to_wgs84
from locator.values.geo.distance import geometry_to_metric, to_metric
from locator.values.models import District, Town

#: two rows with the same name closer than this are one facility entered twice (metres)
DUPLICATE_M = 30.0
#: a stated town whose (approximate) area misses the point by at most this is believed
TOWN_SLACK_M = 1500.0
#: a row without an id keeps the id of the current feature with its name within this
ID_MATCH_M = 300.0
#: coordinates are stored to 6 decimals (about 0.1 m)
DECIMALS = 6
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
NAME_CHARS = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: the foreign member our GeoJSON export writes when its coordinates are not WGS-84


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class ImportContext:
    """What a register is checked against: the reference data, the layer as it is now
    and the ids the other facility layers use."""

    layer: str
    districts: dict[str, District]
    towns: dict[str, Town]
    city: CityTest
    city_utm: Any
    area_codes: list[str]
    areas_utm: list[Any]
    current: list[dict[str, Any]]
    other_ids: dict[str, str]
    data_dir: Path | None = None
    #: what could not be read of the current layers (the import goes on: it may be the fix)
    notes: tuple[Problem, ...] = ()

    @property
    def epsg(self) -> int:
        """EPSG code of the city's metric CRS (``city_utm`` and ``areas_utm`` are in it)."""
        return self.city.epsg

    @property
    def example_town(self) -> str:
        """A town's full name to show in a hint: the city's first by code."""
        return self.towns[min(self.towns)].name if self.towns else "?"

    @property
    def example_districts(self) -> list[str]:
        """District names to show in a hint: the first by code, and the first of another
        kind (a 区 beside a 市 or 县) when there is one."""
        names = [self.districts[c].name for c in sorted(self.districts)] or ["?"]
        other = next((n for n in names if n[-1:] != names[0][-1:]), None)
        return [names[0]] + ([other] if other else [])

    def town_by_text(self, text: str) -> str | None:
        """A town's code from its code, its name (白沙街道) or its short name (白沙)."""
        t = values.plain(text)
        if t in self.towns:
            return t
        for code, town in self.towns.items():
            if t in (town.name, town.name_en):
                return code
        # 白沙 alone: only when one town has that short name (白沙街道 and 白沙镇 both do)
        short = re.sub(r"(街道|街道办事处|镇|街|办事处)$", "", t)
        found = [
            code
            for code, town in self.towns.items()
            if short and short == re.sub(r"(街道|镇|街)$", "", town.name)
        ]
        return found[0] if len(found) == 1 else None

    def district_by_text(self, text: str) -> str | None:
        t = values.plain(text)
        if t in self.districts:
            return t
        short = re.sub(r"(区|市|县)$", "", t)
        for code, d in self.districts.items():
            if t in (d.name, d.name_en) or short and short == re.sub(r"(区|市|县)$", "", d.name):
                return code
        return None


def load_context(data_dir: Path | str, layer: str) -> ImportContext:
    """Read what a register for ``layer`` is checked against from ``data_dir``."""
    import shapely

    data_dir = Path(data_dir)
    decl = facility_decl(layer)
    profile = read_city(data_dir)
    epsg = profile.metric_epsg
    refs = read_references(data_dir, routes=False, profile=profile)
    districts, towns, city = reference_context(refs, profile)
    areas = refs[registry.TOWNS.id]
    area_codes = [f.id for f in areas.features]
    areas_utm = [geometry_to_metric(g, epsg) for g in areas.shapes]
    current: list[dict[str, Any]] = []
    other: dict[str, str] = {}
    notes: list[Problem] = []
    for other_decl in registry.FACILITIES:
        path = data_dir / other_decl.file
        if not path.exists():
            continue
        try:
            feats = read_features(path)
        except DataError as exc:
            # a broken current file is what an import may be meant to mend
            notes.append(
                Problem(
                    "unreadable-layer",
                    WARNING,
                    f"现有图层文件 {other_decl.file} 无法读取，"
                    + (
                        "无法沿用原有编号"
                        if other_decl.id == decl.id
                        else "未能检查与其编号是否重复"
                    ),
                    f"the current file {other_decl.file} cannot be read ({exc.problem}); "
                    + (
                        "ids cannot be carried over"
                        if other_decl.id == decl.id
                        else "ids were not checked against it"
                    ),
                )
            )
            continue
        if other_decl.id == decl.id:
            current = feats
        else:
            for f in feats:
                if isinstance(f["properties"].get("id"), str):
                    other[f["properties"]["id"]] = other_decl.id
    city_utm = geometry_to_metric(refs[registry.CITY.id].shapes[0], epsg)
    shapely.prepare(city_utm)
    return ImportContext(
        decl.id,
        districts,
        towns,
        city,
        city_utm,
        area_codes,
        areas_utm,
        current,
        other,
        data_dir,
        tuple(notes),
    )


def facility_decl(layer: str, param: str = "--layer") -> registry.Collection:
    """The declaration of a facility layer; LayerNotFound naming ``param`` otherwise."""
    from locator.values.errors import LayerNotFound

    decl = registry.BY_ID.get(layer)
    if decl is None or not decl.is_facility:
        raise LayerNotFound(layer, registry.facility_ids(), param)
    return decl


# --------------------------------------------------------------------------- rows


@dataclass
class _Row:
    """One row of the register: field -> raw cell, the header each field came from, and
    the cells of columns kept as they are."""

    number: int
    cells: dict[str, Any]
    extras: dict[str, Any]


@dataclass
class ImportPlan:
    """What importing a register would do: the layer's new features and every problem.

    ``features`` are GeoJSON Features in WGS-84; ``current`` the layer's features now."""

    layer: str
    filename: str
    description: str
    coord: CoordSystem | None
    rows: int
    features: list[dict[str, Any]]
    problems: list[Problem]
    current: list[dict[str, Any]] = field(default_factory=list)
    #: the row of the header, as Excel numbers it (None: GeoJSON)
    header_row: int | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def changes(self) -> dict[str, int]:
        """Counts of features added, removed, changed and unchanged (by id)."""
        old = {f["properties"].get("id"): f for f in self.current}
        new = {f["properties"]["id"]: f for f in self.features}
        changed = sum(
            1
            for k in new.keys() & old.keys()
            if (new[k]["properties"], new[k]["geometry"])
            != (old[k]["properties"], old[k]["geometry"])
        )
        return {
            "added": len(new.keys() - old.keys()),
            "removed": len(old.keys() - new.keys()),
            "changed": changed,
            "unchanged": len(new.keys() & old.keys()) - changed,
        }

    def ordered(self) -> list[Problem]:
        """The problems, errors first, then warnings, each in file order."""
        return sorted(self.problems, key=lambda p: (not p.is_error, p.row or 0))

    def report(self, lang: str = "zh") -> list[str]:
        """The report lines, errors first, then warnings, each in file order."""
        return [p.line(lang) for p in self.ordered()]

    def summary(self, lang: str = "zh") -> str:
        n_err, n_warn = len(self.errors), len(self.warnings)
        if lang == "zh":
            where = f"，表头在第 {self.header_row} 行" if self.header_row else ""
            kind = self.description.replace(", sheet ", "，工作表 ").replace(", ", "，")
            return (
                f"{self.filename}（{kind}{where}）：{self.rows} 行，{n_err} 个错误，{n_warn} 个提醒"
            )
        where = f", header in row {self.header_row}" if self.header_row else ""
        return (
            f"{self.filename} ({self.description}{where}): {self.rows} rows, "
            f"{n_err} error(s), {n_warn} warning(s)"
        )


def _file_problem(
    code: str, zh: str, en: str, hint_zh: str = "", hint_en: str = "", column: str | None = None
) -> Problem:
    return Problem(code, ERROR, zh, en, hint_zh, hint_en, column=column)


def _table_rows(
    table_headers: list[str], cmap: ColumnMap, rows: Iterable[tuple[int, list[Any]]]
) -> list[_Row]:
    out = []
    extra_names: dict[int, str] = {}
    used: set[str] = set()
    for i, name in list(cmap.extras.items()) + [
        (i, f"column_{column_letter(i)}") for i in cmap.unnamed
    ]:
        key, n = name, 2
        while key in used or key in ALIASES:
            key, n = f"{name} ({n})", n + 1
        used.add(key)
        extra_names[i] = key
    for number, cells in rows:
        fields = {f: cells[i] for f, i in cmap.fields.items() if i < len(cells)}
        extras = {extra_names[i]: cells[i] for i in extra_names if i < len(cells)}
        out.append(_Row(number, fields, extras))
    return out


def _geojson_rows(
    data: bytes, filename: str
) -> tuple[list[_Row], dict[str, str], CoordSystem | None]:
    """Rows of a GeoJSON FeatureCollection of points: properties by their keys (mapped
    like headers), the point's coordinates as lon and lat."""

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError too
        raise UnreadableRegister(
            f"not valid GeoJSON ({type(exc).__name__})",
            f"不是有效的 GeoJSON（{type(exc).__name__}）",
        ) from None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise UnreadableRegister(
            "not a GeoJSON FeatureCollection", "不是 GeoJSON FeatureCollection"
        )
    declared = doc.get(COORD_MEMBER)
    system = None
    if declared is not None:
        try:
            system = CoordSystem(str(declared).lower())
        except ValueError:
            raise UnreadableRegister(
                f"unknown {COORD_MEMBER} {declared!r}", f"未知的坐标系 {declared!r}"
            ) from None
    rows: list[_Row] = []
    headers: dict[str, str] = {}
    for i, feat in enumerate(doc["features"], start=1):
        props = feat.get("properties") if isinstance(feat, dict) else None
        props = props if isinstance(props, dict) else {}
        geom = feat.get("geometry") if isinstance(feat, dict) else None
        cells: dict[str, Any] = {}
        extras: dict[str, Any] = {}
        for key, value in props.items():
            name, _ = read_header(str(key))
            if name and name not in cells:
                cells[name] = value
                headers[name] = str(key)
            else:
                extras[str(key)] = value
        if (
            isinstance(geom, dict)
            and geom.get("type") == "Point"
            and isinstance(geom.get("coordinates"), list)
            and len(geom["coordinates"]) >= 2
        ):
            cells["lon"], cells["lat"] = geom["coordinates"][:2]
        elif geom is not None:
            cells["_geometry_type"] = geom.get("type") if isinstance(geom, dict) else str(geom)
        rows.append(_Row(i, cells, extras))
    headers.setdefault("lon", "geometry")
    headers.setdefault("lat", "geometry")
    return rows, headers, system


# --------------------------------------------------------------------------- checking


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    text = cell_text(value)
    # our export escapes a cell Excel would take for a formula with an apostrophe
    return restore_formula(text)


def _normal_name(name: str) -> str:
    return re.sub(r"\s+", "", values.plain(name)).lower()


class _Checker:
    def __init__(self, ctx: ImportContext, headers: dict[str, str], unit: str):
        self.ctx = ctx
        self.headers = headers
        self.unit = unit
        self.problems: list[Problem] = []

    def add(
        self,
        row: int,
        field_name: str | None,
        value: Any,
        exc: values.BadValue,
        severity: str = ERROR,
    ) -> None:
        self.problems.append(
            Problem(
                exc.code,
                severity,
                exc.zh,
                exc.en,
                exc.hint_zh,
                exc.hint_en,
                row,
                self.headers.get(field_name or "", field_name),
                None if value is None else _text(value),
                self.unit,
            )
        )

    def coordinates(self, row: _Row, system: CoordSystem) -> tuple[float, float] | None:
        """WGS-84 ``(lon, lat)`` of a row, or None with the problem recorded."""
        c = row.cells
        if "_geometry_type" in c:
            self.add(
                row.number,
                "lon",
                c["_geometry_type"],
                values.BadValue(
                    "not-a-point",
                    "几何不是点",
                    "the geometry is not a Point",
                    "设施须为 Point 要素",
                    "facilities are Point features",
                ),
            )
            return None
        if _text(c.get("coords")):
            try:
                x, y = values.coordinate_pair(_text(c["coords"]))
            except values.BadValue as exc:
                self.add(row.number, "coords", c["coords"], exc)
                return None
            field_x = field_y = "coords"
        else:
            raw_x, raw_y = _text(c.get("lon")), _text(c.get("lat"))
            if not raw_x or not raw_y:
                missing = "lon" if not raw_x else "lat"
                self.add(
                    row.number,
                    missing,
                    None,
                    values.BadValue(
                        "missing-coordinates",
                        "缺少经度或纬度",
                        "longitude or latitude is missing",
                        "从地图上取点并填写经纬度",
                        "pick the point on a map and fill in both",
                    ),
                )
                return None
            try:
                x = values.number(raw_x, "经度 lon")
                y = values.number(raw_y, "纬度 lat")
            except values.BadValue as exc:
                bad = "lat" if _is_number(raw_x) else "lon"
                self.add(row.number, bad, c.get(bad), exc)
                return None
            field_x, field_y = "lon", "lat"
        shown = f"{x}, {y}"
        if -180 <= x <= 180 and -90 <= y <= 90:
            lon, lat = to_wgs84(x, y, system)
            if self.ctx.city.contains(lon, lat):
                return round(lon, DECIMALS), round(lat, DECIMALS)
        if -180 <= y <= 180 and -90 <= x <= 90:
            lon, lat = to_wgs84(y, x, system)
            if self.ctx.city.contains(lon, lat):
                self.add(
                    row.number,
                    field_x,
                    shown,
                    values.BadValue(
                        "swapped-coordinates",
                        "经度和纬度填反了",
                        "longitude and latitude are swapped",
                        f"经度填 {y}，纬度填 {x}",
                        f"lon {y}, lat {x}",
                    ),
                )
                return None
        if not (-180 <= x <= 180 and -90 <= y <= 90):
            self.add(
                row.number,
                field_y if -180 <= x <= 180 else field_x,
                shown,
                values.BadValue(
                    "out-of-range",
                    "坐标超出经纬度范围",
                    "coordinates are out of range",
                    "经度在 -180 到 180 之间，纬度在 -90 到 90 之间",
                    "lon within -180..180, lat within -90..90",
                ),
            )
            return None
        lon, lat = to_wgs84(x, y, system)
        km = self.ctx.city_utm.distance(_metric_point(lon, lat, self.ctx.epsg)) / 1000
        city = self.ctx.city.profile
        self.add(
            row.number,
            field_x,
            shown,
            values.BadValue(
                "outside-city",
                f"该点在{city.name.zh}界外约 {km:.1f} 公里",
                f"the point lies about {km:.1f} km outside {city.name.en}",
                "核对坐标和坐标系（高德为 gcj02，百度为 bd09）",
                "check the coordinates and the coordinate system (AMap: gcj02, Baidu: bd09)",
            ),
        )
        return None


def _is_number(text: str) -> bool:
    try:
        values.number(text, "")
        return True
    except values.BadValue:
        return False


def _metric_point(lon: float, lat: float, epsg: int):
    import shapely

    x, y = to_metric(lon, lat, epsg)
    return shapely.Point(float(x), float(y))


def _resolve_system(
    explicit: CoordSystem | None,
    notes: dict[str, CoordSystem],
    from_file: CoordSystem | None,
    is_geojson: bool,
) -> tuple[CoordSystem | None, Problem | None]:
    found = set(notes.values()) | ({from_file} if from_file else set())
    if len(found) > 1:
        return None, _file_problem(
            "coordinate-system-conflict",
            "各列标注的坐标系不一致",
            "the columns name different coordinate systems",
            "统一为一种坐标系",
            "use one coordinate system",
            ", ".join(notes),
        )
    named = next(iter(found)) if found else None
    if explicit and named and explicit != named:
        where = ", ".join(notes) or COORD_MEMBER
        return None, _file_problem(
            "coordinate-system-conflict",
            f"指定的坐标系 {explicit} 与文件标注的 {named} 不一致",
            f"--coord {explicit} contradicts the file, which says {named}",
            f"改用 {named}，或更正列名",
            f"use {named}, or correct the header",
            where,
        )
    system = explicit or named or (CoordSystem.WGS84 if is_geojson else None)
    if system is None:
        return None, _file_problem(
            "coordinate-system-unknown",
            "未说明坐标系",
            "the coordinate system is not given",
            "从高德取点选 gcj02，从百度取点选 bd09，GPS 选 wgs84",
            "coordinates from AMap: gcj02; from Baidu: bd09; from GPS: wgs84",
        )
    return system, None


def read_rows(
    data: bytes, filename: str, sheet: str | None
) -> tuple[
    list[_Row],
    dict[str, str],
    dict[str, CoordSystem],
    CoordSystem | None,
    str,
    int | None,
    list[Problem],
    str,
]:
    """The rows of a register of any format, the header of each field, coordinate-system
    notes by header, the system the file declares, its description, header problems
    and the unit rows are counted in."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if filename.lower().endswith((".geojson", ".json")) or head == b"{":
        rows, headers, system = _geojson_rows(data, filename)
        return rows, headers, {}, system, "GeoJSON", None, [], "feature"
    table = read_table(data, filename, header_score, sheet)
    cmap = map_columns(table.headers)
    headers = {f: table.headers[i] for f, i in cmap.fields.items()}
    notes = {table.headers[i]: s for i, s in cmap.crs_notes.items()}
    problems: list[Problem] = []
    for i, name in cmap.repeated:
        problems.append(
            Problem(
                "repeated-column",
                WARNING,
                f"与列“{headers[name]}”重复，本列原样保留为属性",
                f"repeats column {headers[name]!r}; kept as an extra property",
                column=table.headers[i],
            )
        )
    for i, name in cmap.extras.items():
        if (i, read_header(name)[0]) in cmap.repeated:
            continue
        problems.append(
            Problem(
                "extra-column",
                WARNING,
                "不是设施模型中的列，原样保留为属性",
                "not a column of the facility model; kept as an extra property",
                column=name,
            )
        )
    rows = _table_rows(table.headers, cmap, table.rows)
    for i in cmap.unnamed:
        if any(i < len(r) and r[i] is not None and str(r[i]).strip() for _, r in table.rows):
            problems.append(
                Problem(
                    "unnamed-column",
                    WARNING,
                    f"没有列名，保留为属性 column_{column_letter(i)}",
                    f"has no header; kept as the property column_{column_letter(i)}",
                    column=f"{column_letter(i)}",
                )
            )
    return rows, headers, notes, None, table.description, table.header_row, problems, "row"


def check_register(
    data: bytes,
    filename: str,
    ctx: ImportContext,
    coord: CoordSystem | None = None,
    sheet: str | None = None,
) -> ImportPlan:
    """Check a register for ``ctx.layer`` and work out the features it would give.

    ``coord`` is the coordinate system of the register's coordinates; None: what the
    file says (a header note such as 经度(高德), our export's member; GeoJSON is WGS-84).
    Never raises for a bad file: every problem, the file's own included, is in the plan.
    """
    name = Path(filename).name or "register"
    try:
        rows, headers, notes, declared, description, header_row, problems, unit = read_rows(
            data, name, sheet
        )
    except UnreadableRegister as exc:
        return ImportPlan(
            ctx.layer,
            name,
            "?",
            coord,
            0,
            [],
            [
                _file_problem(
                    "too-large" if isinstance(exc, RegisterTooLarge) else "unreadable",
                    exc.zh,
                    exc.message,
                )
            ],
            ctx.current,
        )
    problems[:0] = ctx.notes
    plan = ImportPlan(
        ctx.layer, name, description, coord, len(rows), [], problems, ctx.current, header_row
    )
    system, problem = _resolve_system(coord, notes, declared, unit == "feature")
    if problem:
        problems.append(problem)
        return plan
    plan.coord = system
    missing = [f for f in ("name",) if f not in headers] + (
        []
        if unit == "feature" or "coords" in headers or {"lon", "lat"} <= headers.keys()
        else ["lon/lat"]
    )
    if missing:
        zh = {"name": "名称", "lon/lat": "经度和纬度（或坐标）"}
        problems.append(
            _file_problem(
                "missing-column",
                f"缺少必需的列：{'、'.join(zh[m] for m in missing)}",
                f"required column(s) missing: {', '.join(missing)}",
                "表头须有 名称、经度、纬度（或 坐标）",
                "the header needs 名称/name， 经度/lon and 纬度/lat (or 坐标/coordinates)",
            )
        )
        return plan
    if not rows:
        problems.append(
            _file_problem("no-rows", "表头下没有数据行", "there are no rows below the header")
        )
        return plan
    assert system is not None
    checker = _Checker(ctx, headers, unit)
    plan.features = _check_rows(rows, checker, system, name)
    # a notation understood is worth one warning for the register, not one per cell
    problems.extend(grouped(checker.problems, "hours-converted"))
    if plan.ok:
        problems.extend(_recheck(plan.features, ctx))
    if not plan.ok:
        plan.features = []
    return plan


def _check_rows(
    rows: list[_Row], ck: _Checker, system: CoordSystem, filename: str
) -> list[dict[str, Any]]:
    ctx = ck.ctx
    decl = facility_decl(ctx.layer)
    good: list[tuple[_Row, float, float, dict[str, Any]]] = []
    ids_in_file: dict[str, int] = {}
    for row in rows:
        c = row.cells
        ok = True
        props: dict[str, Any] = {}
        name = re.sub(r"\s+", " ", _text(c.get("name")))
        if not name:
            ck.add(
                row.number,
                "name",
                None,
                values.BadValue(
                    "missing-name",
                    "缺少名称",
                    "the name is missing",
                    "填写设施名称",
                    "fill in the facility's name",
                ),
            )
            ok = False
        elif _CONTROL.search(name) or len(name) > NAME_CHARS:
            ck.add(
                row.number,
                "name",
                name,
                values.BadValue(
                    "bad-name",
                    f"名称含控制字符或超过 {NAME_CHARS} 字",
                    f"the name has control characters or is over {NAME_CHARS} characters",
                ),
            )
            ok = False
        props["name"] = name
        point = ck.coordinates(row, system)
        ok = ok and point is not None
        hours = _text(c.get("opening_hours"))
        if hours:
            try:
                props["opening_hours"], converted = values.opening_hours_or_guess(hours)
                if converted:
                    ck.add(
                        row.number,
                        "opening_hours",
                        hours,
                        values.BadValue(
                            "hours-converted",
                            f"已按 OpenStreetMap 写法登记为“{props['opening_hours']}”",
                            f"recorded in OpenStreetMap syntax as {props['opening_hours']!r}",
                            "核对无误即可；若有出入，请直接改写这一格",
                            "check it; if it is not what was meant, rewrite the cell",
                        ),
                        WARNING,
                    )
            except values.BadValue as exc:
                ck.add(row.number, "opening_hours", hours, exc)
                ok = False
        for fld, reader in (
            ("phone", partial(values.phone, city=ctx.city.profile)),
            ("verified_on", values.date),
            ("wheelchair", values.wheelchair),
        ):
            raw = c.get(fld)
            if raw is None or not _text(raw):
                continue
            try:
                props[fld] = reader(raw if fld == "verified_on" else _text(raw))
            except values.BadValue as exc:
                ck.add(row.number, fld, raw, exc)
                ok = False
        for fld in ("name_en", "address", "operator", "source"):
            text = re.sub(r"\s+", " ", _text(c.get(fld)))
            if _has_control(text):
                ck.add(row.number, fld, text, _CONTROL_PROBLEM)
                ok = False
            elif text:
                props[fld] = text
        if _text(c.get("amenities")):
            known, unknown = values.amenities(_text(c["amenities"]))
            if known:
                props["amenities"] = known
            if unknown:
                props["amenities_other"] = unknown
                ck.add(
                    row.number,
                    "amenities",
                    "、".join(unknown),
                    values.BadValue(
                        "unknown-amenity",
                        "设施用语不在词表中，原样保留在 amenities_other",
                        "amenity term(s) not in the vocabulary; kept in amenities_other",
                        *_amenity_hint(unknown),
                    ),
                    WARNING,
                )
        layer_cell = _text(c.get("layer"))
        if layer_cell and layer_cell != ctx.layer:
            ck.add(
                row.number,
                "layer",
                layer_cell,
                values.BadValue(
                    "wrong-layer",
                    f"本行属于图层 {layer_cell}，不是 {ctx.layer}",
                    f"this row belongs to layer {layer_cell}, not {ctx.layer}",
                    "导入到正确的图层",
                    "import it into its own layer",
                ),
            )
            ok = False
        fid = _text(c.get("id"))
        if fid:
            if not ID_PATTERN.match(fid):
                ck.add(
                    row.number,
                    "id",
                    fid,
                    values.BadValue(
                        "bad-id",
                        "编号只能含字母、数字、点、下划线和连字符（最长 64）",
                        "an id may hold letters, digits, '.', '_' and '-' (64 at most)",
                    ),
                )
                ok = False
            elif fid in ids_in_file:
                ck.add(
                    row.number,
                    "id",
                    fid,
                    values.BadValue(
                        "duplicate-id",
                        f"编号与第 {ids_in_file[fid]} 行重复",
                        f"the id repeats row {ids_in_file[fid]}'s",
                    ),
                )
                ok = False
            elif fid in ctx.other_ids:
                ck.add(
                    row.number,
                    "id",
                    fid,
                    values.BadValue(
                        "duplicate-id",
                        f"编号已被图层 {ctx.other_ids[fid]} 使用",
                        f"the id is used in layer {ctx.other_ids[fid]}",
                        "留空编号，由系统生成",
                        "leave the id empty to have one made",
                    ),
                )
                ok = False
            ids_in_file.setdefault(fid, row.number)
            props["id"] = fid
        for key, value in row.extras.items():
            # JSON values (from GeoJSON) and numbers stay what they are; the rest is text
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, list | dict | bool | int) or (
                isinstance(value, float) and math.isfinite(value)
            ):
                props.setdefault(key, value)
            elif _text(value):
                props.setdefault(key, _text(value))
            if _has_control(props.get(key)):
                ck.problems.append(
                    Problem(
                        _CONTROL_PROBLEM.code,
                        ERROR,
                        _CONTROL_PROBLEM.zh,
                        _CONTROL_PROBLEM.en,
                        _CONTROL_PROBLEM.hint_zh,
                        _CONTROL_PROBLEM.hint_en,
                        row.number,
                        key,
                        None,
                        ck.unit,
                    )
                )
                ok = False
        if ok and point is not None:
            good.append((row, point[0], point[1], props))
    if not good:
        return []
    _assign_towns(good, ck)
    _find_duplicates(good, ck)
    _assign_ids(good, ctx, decl.id_prefix)
    features = []
    for _row, lon, lat, props in good:
        out = {"id": props["id"], "layer": ctx.layer}
        for prop in decl.properties:
            if prop.name in props and prop.name not in out:
                out[prop.name] = props[prop.name]
        out["source"] = props.get("source") or filename
        for key, value in props.items():
            if key not in out and key not in ("district_name", "town_name"):
                out[key] = value
        features.append(
            {
                "type": "Feature",
                "id": out["id"],
                "properties": out,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
        )
    return features


_CONTROL_PROBLEM = values.BadValue(
    "control-characters",
    "含有不可见的控制字符",
    "holds invisible control characters",
    "删除该单元格中从别处粘贴来的不可见字符后重新输入",
    "retype the cell without the invisible characters pasted into it",
)


def _has_control(value: Any) -> bool:
    """Whether a text, or any text inside a list or object, holds a control character
    (tab and line breaks aside)."""
    if isinstance(value, str):
        return bool(_CONTROL.search(value))
    if isinstance(value, list):
        return any(_has_control(v) for v in value)
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    return False


def _amenity_hint(unknown: list[str]) -> tuple[str, str]:
    """Close vocabulary words for unplaced amenity terms, or where the list is."""
    close = sorted(
        {
            w
            for term in unknown
            for w in difflib.get_close_matches(term, list(values.AMENITY_TERMS), 2, 0.5)
        }
    )
    if close:
        return "是否为：" + "、".join(close), "did you mean: " + ", ".join(close)
    return (
        "词表见 README“设施用语”；若确为新设施，可保留",
        "the vocabulary is in the README (amenity terms); keep it if it is a new kind of amenity",
    )


def _assign_towns(good: list, ck: _Checker) -> None:
    """Town and district codes: stated ones checked against the point, missing ones from
    the nearest town area (STRtree, the city's metric CRS)."""
    import shapely

    ctx = ck.ctx
    tree = shapely.STRtree(ctx.areas_utm)
    lon = np.array([g[1] for g in good], dtype=float)
    lat = np.array([g[2] for g in good], dtype=float)
    pts = shapely.points(np.column_stack(to_metric(lon, lat, ctx.epsg)))
    # inside an area (almost every point): a cheap containment query; the few on a
    # border or a coast between areas: the nearest area
    inside = tree.query(pts, predicate="within")
    joined = {int(i): ctx.area_codes[int(j)] for i, j in zip(inside[0], inside[1], strict=True)}
    missing = np.array([i for i in range(len(good)) if i not in joined], dtype=int)
    if len(missing):
        idx = tree.query_nearest(pts[missing], all_matches=False)
        joined.update(
            {int(missing[i]): ctx.area_codes[int(j)] for i, j in zip(idx[0], idx[1], strict=True)}
        )
    drop: set[int] = set()
    for i, (row, _lon, _lat, props) in enumerate(good):
        code = joined[i]
        stated_text = _text(row.cells.get("town_code")) or _text(row.cells.get("town"))
        field_name = "town_code" if _text(row.cells.get("town_code")) else "town"
        if stated_text:
            stated = ctx.town_by_text(stated_text)
            if stated is None:
                close = difflib.get_close_matches(
                    values.plain(stated_text), [t.name for t in ctx.towns.values()], 3, 0.4
                )
                ck.add(
                    row.number,
                    field_name,
                    stated_text,
                    values.BadValue(
                        "unknown-town",
                        f"{ctx.city.profile.short_name.zh}没有这个镇（街）",
                        f"no such town or street in {ctx.city.profile.short_name.en}",
                        ("是否为：" + "、".join(close))
                        if close
                        else f"填写镇（街）全称，如 {ctx.example_town}",
                        ("did you mean: " + ", ".join(close))
                        if close
                        else f"write the full name, e.g. {ctx.example_town}",
                    ),
                )
                drop.add(i)
                continue
            if stated != code:
                k = ctx.area_codes.index(stated)
                miss = float(ctx.areas_utm[k].distance(pts[i]))
                town, there = ctx.towns[stated].name, ctx.towns[code].name
                if miss > TOWN_SLACK_M:
                    ck.add(
                        row.number,
                        field_name,
                        stated_text,
                        values.BadValue(
                            "town-mismatch",
                            f"该点在{there}，距{town}约 {miss / 1000:.1f} 公里",
                            f"the point lies in {there}, {miss / 1000:.1f} km from {town}",
                            "核对坐标或所属镇街",
                            "check the coordinates or the town",
                        ),
                    )
                    drop.add(i)
                    continue
                ck.add(
                    row.number,
                    field_name,
                    stated_text,
                    values.BadValue(
                        "town-mismatch",
                        f"该点落在{there}的近似范围内（距{town} {miss:.0f} 米），"
                        f"按所填的{town}登记",
                        f"the point falls in {there}'s approximate area "
                        f"({miss:.0f} m from {town}); kept as {town}, as stated",
                    ),
                    WARNING,
                )
                code = stated
        district_text = _text(row.cells.get("district_code")) or _text(row.cells.get("district"))
        if district_text:
            d_field = "district_code" if _text(row.cells.get("district_code")) else "district"
            district = ctx.district_by_text(district_text)
            if district is None:
                ck.add(
                    row.number,
                    d_field,
                    district_text,
                    values.BadValue(
                        "unknown-district",
                        f"{ctx.city.profile.short_name.zh}没有这个县（市、区）",
                        f"no such district in {ctx.city.profile.short_name.en}",
                        f"填写如 {'、'.join(ctx.example_districts)}，或 6 位代码",
                        f"write e.g. {ctx.example_districts[0]} or its 6-digit code",
                    ),
                )
                drop.add(i)
                continue
            if district != ctx.towns[code].district_code:
                ck.add(
                    row.number,
                    d_field,
                    district_text,
                    values.BadValue(
                        "district-mismatch",
                        f"{ctx.towns[code].name}属于"
                        f"{ctx.districts[ctx.towns[code].district_code].name}",
                        f"{ctx.towns[code].name} lies in "
                        f"{ctx.districts[ctx.towns[code].district_code].name}",
                        "核对区县或坐标",
                        "check the district or the coordinates",
                    ),
                )
                drop.add(i)
                continue
        props["district_code"] = ctx.towns[code].district_code
        props["town_code"] = code
    good[:] = [g for i, g in enumerate(good) if i not in drop]


def _find_duplicates(good: list, ck: _Checker) -> None:
    """Same name within DUPLICATE_M, or the same coordinates: the later row is an error."""
    from scipy.spatial import cKDTree

    if len(good) < 2:
        return
    xy = np.column_stack(
        to_metric(
            np.array([g[1] for g in good], dtype=float),
            np.array([g[2] for g in good], dtype=float),
            ck.ctx.epsg,
        )
    )
    drop: set[int] = set()
    for i, j in sorted(cKDTree(xy).query_pairs(DUPLICATE_M)):
        a, b = good[i], good[j]
        same_place = (a[1], a[2]) == (b[1], b[2])
        if not same_place and _normal_name(a[3]["name"]) != _normal_name(b[3]["name"]):
            continue
        metres = float(np.hypot(*(xy[i] - xy[j])))
        zh = (
            f"与第 {a[0].number} 行坐标相同"
            if same_place
            else f"与第 {a[0].number} 行同名，相距 {metres:.0f} 米"
        )
        en = (
            f"same coordinates as {ck.unit} {a[0].number}"
            if same_place
            else f"same name as {ck.unit} {a[0].number}, {metres:.0f} m apart"
        )
        ck.add(
            b[0].number,
            "name",
            b[3]["name"],
            values.BadValue(
                "duplicate",
                zh,
                en,
                "删除重复的一行，或更正坐标",
                "delete the repeated row or correct its coordinates",
            ),
        )
        drop.add(j)
    good[:] = [g for i, g in enumerate(good) if i not in drop]


def _assign_ids(good: list, ctx: ImportContext, prefix: str) -> None:
    """Ids for rows without one: the id of the current feature of the same name within
    ID_MATCH_M, else one made from the layer, name and town (the same register imported
    again gets the same ids)."""
    taken = {p["id"] for _r, _x, _y, p in good if "id" in p} | set(ctx.other_ids)
    by_name: dict[str, list[tuple[str, float, float]]] = {}
    for f in ctx.current:
        p, g = f.get("properties") or {}, f.get("geometry") or {}
        coords = g.get("coordinates") if isinstance(g, dict) else None
        if isinstance(p.get("id"), str) and isinstance(p.get("name"), str) and coords:
            by_name.setdefault(_normal_name(p["name"]), []).append(
                (p["id"], float(coords[0]), float(coords[1]))
            )
    for _row, lon, lat, props in good:
        if "id" in props:
            continue
        x, y = to_metric(lon, lat, ctx.epsg)
        best = None
        for fid, flon, flat in by_name.get(_normal_name(props["name"]), []):
            fx, fy = to_metric(flon, flat, ctx.epsg)
            d = float(np.hypot(x - fx, y - fy))
            if fid not in taken and d <= ID_MATCH_M and (best is None or d < best[0]):
                best = (d, fid)
        if best:
            props["id"] = best[1]
        else:
            digest = hashlib.sha1(
                f"{ctx.layer}|{_normal_name(props['name'])}|{props['town_code']}".encode()
            ).hexdigest()
            fid, n = f"{prefix}-{digest[:8]}", 2
            while fid in taken:
                fid, n = f"{prefix}-{digest[:8]}-{n}", n + 1
            props["id"] = fid
        taken.add(props["id"])


def _recheck(features: list[dict[str, Any]], ctx: ImportContext) -> list[Problem]:
    """The layer file's own checks (the store's) over the result: what the server will
    read must pass them. A problem here is a gap in the row checks above."""
    if ctx.data_dir is None:
        return []
    import tempfile

    from locator.formats.geojson import dumps_feature_collection

    decl = facility_decl(ctx.layer)
    seen = dict.fromkeys(ctx.other_ids, "another layer")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / decl.file
        path.write_text(dumps_feature_collection(features, decl.id), encoding="utf-8")
        _facilities, errors = check_layer(path, decl.id, ctx.districts, ctx.towns, ctx.city, seen)
    return [
        _file_problem(
            "invalid-result",
            "导入结果未通过图层检查：" + e.message,
            "the result fails the layer check: " + e.message,
        )
        for e in errors
    ]


__all__ = ["ImportContext", "ImportPlan", "check_register", "load_context"]
