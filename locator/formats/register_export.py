"""A facility layer out as CSV, XLSX or GeoJSON, in WGS-84, GCJ-02 or BD-09.

What is exported imports back to the same layer: the headers are ``中文 english`` pairs
the importer knows, the coordinate columns name their system (``经度 lon (GCJ-02)``), and
ids, towns and sources are columns of their own. CSV is UTF-8 with a byte-order mark, so
Excel opens it with the Chinese intact.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from locator.formats.cells import FORMULA_START, neutralise_formula
from locator.formats.register_columns import COORD_MEMBER, coordinates_out
from locator.values import registry
from locator.values.geo.crs import CoordSystem
from locator.values.models import AMENITIES

FORMATS = ("csv", "xlsx", "geojson")
_SYSTEM_LABEL = {
    CoordSystem.WGS84: "WGS-84",
    CoordSystem.GCJ02: "GCJ-02",
    CoordSystem.BD09: "BD-09",
}

#: (property or computed column, Chinese, English)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "编号", "id"),
    ("name", "名称", "name"),
    ("name_en", "英文名称", "name_en"),
    ("address", "地址", "address"),
    ("town", "所属镇街", "town"),
    ("town_code", "镇（街）代码", "town_code"),
    ("district_code", "县（市、区）代码", "district_code"),
    ("lon", "经度", "lon"),
    ("lat", "纬度", "lat"),
    ("phone", "电话", "phone"),
    ("opening_hours", "开放时间", "opening_hours"),
    ("amenities", "设施", "amenities"),
    ("wheelchair", "无障碍", "wheelchair"),
    ("operator", "运营单位", "operator"),
    ("verified_on", "核实日期", "verified_on"),
    ("source", "来源", "source"),
)
_OWN = {c for c, _, _ in COLUMNS} | {"layer", "amenities_other"}


def _headers(system: CoordSystem, extras: list[str]) -> list[str]:
    out = []
    for key, zh, en in COLUMNS:
        note = f" ({_SYSTEM_LABEL[system]})" if key in ("lon", "lat") else ""
        out.append(f"{zh} {en}{note}")
    return out + extras


def _extras(features: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for f in features:
        for key in f["properties"]:
            if key not in _OWN:
                seen.setdefault(key, None)
    return list(seen)


__all__ = ["FORMATS", "FORMULA_START", "export_layer", "table_rows"]


def _cell(value: Any, escape: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    return neutralise_formula(value) if escape else value


def table_rows(
    features: list[dict[str, Any]],
    system: CoordSystem,
    town_names: dict[str, str],
    escape: bool = True,
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of a layer, coordinates in ``system``; ``escape`` puts an apostrophe
    before text Excel would take for a formula (CSV; XLSX marks such cells as text)."""
    extras = _extras(features)
    rows = []
    for f in features:
        p = f["properties"]
        x, y = f["geometry"]["coordinates"][:2]
        lon, lat = coordinates_out(x, y, system)
        amenity_words = [AMENITIES[a][0] for a in p.get("amenities") or [] if a in AMENITIES]
        amenity_words += [str(w) for w in p.get("amenities_other") or []]
        computed = {
            "lon": lon,
            "lat": lat,
            "town": town_names.get(p.get("town_code"), ""),
            "amenities": ";".join(amenity_words),
        }
        rows.append(
            [_cell(computed[k] if k in computed else p.get(k), escape) for k, _, _ in COLUMNS]
            + [_cell(p.get(k), escape) for k in extras]
        )
    headers = _headers(system, extras)
    # an extra column is named by a property, which came from a register too
    return [_cell(h, escape) for h in headers], rows


def export_csv(
    features: list[dict[str, Any]], system: CoordSystem, town_names: dict[str, str]
) -> bytes:
    header, rows = table_rows(features, system, town_names)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(
    features: list[dict[str, Any]], system: CoordSystem, town_names: dict[str, str], title: str
) -> bytes:
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    header, rows = table_rows(features, system, town_names, escape=False)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        if isinstance(cell.value, str):
            cell.data_type = "s"  # an extra column's name is text, never a formula
    for row in rows:
        # XLSX cannot hold control characters (the importer refuses them; a hand-edited
        # layer may still have some)
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    ws.freeze_panes = "A2"
    for i, head in enumerate(header, start=1):
        letter = openpyxl.utils.get_column_letter(i)
        ws.column_dimensions[letter].width = max(10, min(40, len(head) * 1.6))
    # phone numbers and codes are text: Excel must not turn 0750... into a number
    for col in ws.iter_cols(min_row=2):
        for cell in col:
            if isinstance(cell.value, str):
                cell.number_format = "@"
                cell.data_type = "s"  # "=HYPERLINK(...)" stays text, never a formula
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_geojson(features: list[dict[str, Any]], system: CoordSystem, layer: str) -> bytes:
    """A FeatureCollection; outside WGS-84 (which RFC 7946 requires) the converted
    coordinates are flagged in the ``coordinate_system`` member, which the importer reads."""
    out = []
    for f in features:
        x, y = f["geometry"]["coordinates"][:2]
        lon, lat = coordinates_out(x, y, system)
        out.append({**f, "geometry": {"type": "Point", "coordinates": [lon, lat]}})
    doc: dict[str, Any] = {"type": "FeatureCollection", "name": layer}
    if system is not CoordSystem.WGS84:
        doc[COORD_MEMBER] = system.value
    doc["features"] = out
    return (json.dumps(doc, ensure_ascii=False, indent=None) + "\n").encode("utf-8")


def export_layer(
    features: list[dict[str, Any]],
    layer: str,
    fmt: str,
    system: CoordSystem,
    town_names: dict[str, str],
) -> bytes:
    """The layer's features as a file of ``fmt`` (csv, xlsx, geojson)."""
    decl = registry.BY_ID[layer]
    if fmt == "csv":
        return export_csv(features, system, town_names)
    if fmt == "xlsx":
        return export_xlsx(features, system, town_names, decl.short_zh or decl.id)
    return export_geojson(features, system, layer)
