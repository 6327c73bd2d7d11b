"""Reports from the street as files for staff (CSV with a BOM for Excel, GeoJSON), and
the public counts of "station needed here" requests by town (JSON-ready rows, CSV).

A report is any value with the attributes of ``locator.values.reports`` 's stored report
(id, kind, status, facility_id, layer, lon, lat, fields, text, work, received_at,
decided_at, decision_note, merged_into). Positions are WGS-84 ``[lon, lat]``. The client
key and client id (used for rate limits and duplicates) are never written out.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from locator.formats.cells import neutralise_formula

#: the report export's columns: (name, Chinese title)
REPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "编号"),
    ("kind", "类型"),
    ("status", "状态"),
    ("facility_id", "设施编号"),
    ("layer", "图层"),
    ("lon", "经度"),
    ("lat", "纬度"),
    ("hours_seen", "所见开放时间"),
    ("phone_seen", "所见电话"),
    ("amenity", "设施项"),
    ("state", "设施状况"),
    ("work", "工种"),
    ("text", "说明"),
    ("received_at", "收到时间(UTC)"),
    ("decided_at", "处理时间(UTC)"),
    ("decision_note", "处理说明"),
    ("merged_into", "合并到"),
)
_FIELD_COLUMNS = ("hours_seen", "phone_seen", "amenity", "state")


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat().replace("+00:00", "Z")
    return value


def report_record(report: Any) -> dict[str, Any]:
    """One report as a flat record (the export's columns, in order)."""
    fields = getattr(report, "fields", None) or {}
    out: dict[str, Any] = {}
    for name, _ in REPORT_COLUMNS:
        value = fields.get(name) if name in _FIELD_COLUMNS else getattr(report, name, None)
        out[name] = _text(value)
    return out


def _csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([neutralise_formula(h) for h in header])
    for row in rows:
        writer.writerow([neutralise_formula(c) for c in row])
    # a BOM, so that Excel reads the Chinese as UTF-8
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def reports_csv(reports: Iterable[Any]) -> bytes:
    """The reports as CSV (UTF-8 with a BOM; headers "编号 id" ...; every text cell a
    spreadsheet would take for a formula starts with an apostrophe)."""
    header = [f"{zh} {name}" for name, zh in REPORT_COLUMNS]
    return _csv(header, ([report_record(r)[n] for n, _ in REPORT_COLUMNS] for r in reports))


def reports_geojson(reports: Iterable[Any]) -> bytes:
    """The reports as a GeoJSON FeatureCollection (WGS-84); a report without a position
    (most kinds: the facility's own) has a null geometry."""
    features = []
    for r in reports:
        rec = report_record(r)
        lon, lat = rec.pop("lon"), rec.pop("lat")
        geometry = {"type": "Point", "coordinates": [lon, lat]} if lon != "" and lat != "" else None
        features.append(
            {"type": "Feature", "id": rec["id"], "properties": rec, "geometry": geometry}
        )
    return json.dumps(
        {"type": "FeatureCollection", "name": "reports", "features": features},
        ensure_ascii=False,
    ).encode("utf-8")


def requests_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """Counts of requests by town as CSV (UTF-8 with a BOM): town_code, town, town_en,
    district_code, requests."""
    names = ("town_code", "town", "town_en", "district_code", "requests")
    zh = ("镇(街)代码", "镇(街)", "英文名", "县(市、区)代码", "请求数")
    return _csv(
        [f"{z} {n}" for z, n in zip(zh, names, strict=True)],
        ([row.get(n, "") for n in names] for row in rows),
    )
