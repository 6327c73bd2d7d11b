"""Registers as clerks make them, written as real files: CSV in UTF-8, UTF-8 with BOM and
GB18030, XLSX (openpyxl, merged title and header cells, blank rows) and GeoJSON."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

HEADERS = ["名称", "地址", "经度", "纬度", "电话", "开放时间", "设施", "所属镇街"]
FORMATS = ("csv-utf8", "csv-bom", "csv-gb18030", "xlsx", "geojson")


def good_rows() -> list[list[Any]]:
    """Three valid love stations in 蓬江区 (WGS-84), near real town seats."""
    return [
        [
            "白沙测试驿站",
            "白沙街道某路1号",
            113.07364,
            22.57707,
            "0750-3501234",
            "Mo-Su 08:00-20:00",
            "饮水；热饭、充电",
            "白沙街道",
        ],
        [
            "潮连测试驿站",
            "潮连街道某路2号",
            113.11116,
            22.63385,
            "13800138000",
            "24/7",
            "饮水",
            "潮连街道",
        ],
        ["环市测试驿站", "环市街道某路3号", 113.0676, 22.59457, "", "", "卫生间 休息", ""],
    ]


def first_data_row(fmt: str) -> int:
    """The number a report gives the first data row: the spreadsheet row under a header
    in row 1 (row 3 in our XLSX, under a merged title), or feature 1 in GeoJSON."""
    return {"xlsx": 3, "geojson": 1}.get(fmt, 2)


def write_register(
    path: Path, fmt: str, rows: list[list[Any]], headers: list[str] = HEADERS
) -> Path:
    """Write ``rows`` under ``headers`` as ``fmt``; returns the file written."""
    if fmt.startswith("csv"):
        buf = io.StringIO()
        csv.writer(buf).writerows([headers] + rows)
        text = buf.getvalue()
        data = {
            "csv-utf8": text.encode("utf-8"),
            "csv-bom": b"\xef\xbb\xbf" + text.encode(),
            "csv-gb18030": text.encode("gb18030"),
        }[fmt]
        out = path.with_suffix(".csv")
        out.write_bytes(data)
        return out
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "名单"
        ws.append(["江门市户外劳动者爱心驿站名单"])  # a title merged across the sheet
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        ws.append(headers)
        for row in rows:
            ws.append(row)
        out = path.with_suffix(".xlsx")
        wb.save(out)
        wb.close()
        return out
    features = []
    for row in rows:
        props = {
            h: v
            for h, v in zip(headers, row, strict=False)
            if h not in ("经度", "纬度") and v not in ("", None)
        }
        lon, lat = row[headers.index("经度")], row[headers.index("纬度")]
        geom = None if lon in ("", None) else {"type": "Point", "coordinates": [lon, lat]}
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    out = path.with_suffix(".geojson")
    out.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return out


def xlsx_as_excel_users_make_it(path: Path) -> Path:
    """A title merged across, a two-level header (坐标 merged over 经度 | 纬度, 名称
    merged down two rows), a blank row in the middle and one at the end."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "驿站"
    ws.append(["2026 年江门市爱心驿站登记表"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "名称", "地址", "坐标（高德）", None, "联系电话"])
    ws.append([None, None, None, "经度", "纬度", None])
    ws.merge_cells("A2:A3")
    ws.merge_cells("B2:B3")
    ws.merge_cells("C2:C3")
    ws.merge_cells("D2:E2")
    ws.merge_cells("F2:F3")
    ws.append([1, "白沙测试驿站", "白沙街道某路1号", 113.079, 22.574, "0750-3501234"])
    ws.append([None, None, None, None, None, None])
    ws.append([2, "潮连测试驿站", "潮连街道某路2号", 113.116, 22.631, "bad phone"])
    ws.append([])
    out = path.with_suffix(".xlsx")
    wb.save(out)
    wb.close()
    return out


def inflated_xlsx(workbook: bytes, unpacked_bytes: int, dimension: str | None = None) -> bytes:
    """``workbook`` (an XLSX) with its first sheet padded with ``unpacked_bytes`` of
    blank rows (a "zip bomb": a few MB packed, as much as asked unpacked) and, if given,
    a ``<dimension ref>`` that states another size. A valid archive any reader would
    inflate: the padding is one compressed block repeated, so it costs no time to make."""
    import re
    import struct
    import zipfile
    import zlib

    with zipfile.ZipFile(io.BytesIO(workbook)) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    if dimension is not None:
        sheet = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), sheet)
    cut = sheet.index(b"</sheetData>")
    head, tail = sheet[:cut], sheet[cut:]
    row = b"<row/>"  # a row with no cells, the cheapest thing a parser must still read
    chunk = row * (2**20 // len(row))
    repeat = max(unpacked_bytes // len(chunk), 0)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed_head = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    packed_chunk = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    packed_tail = comp.compress(tail) + comp.flush()
    crc = zlib.crc32(head)
    for _ in range(repeat):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    streams = {
        name: (
            (
                packed_head + packed_chunk * repeat + packed_tail,
                crc,
                len(head) + len(chunk) * repeat + len(tail),
            )
            if name == "xl/worksheets/sheet1.xml"
            else (_deflate(body), zlib.crc32(body), len(body))
        )
        for name, body in parts.items()
    }
    out, central = io.BytesIO(), io.BytesIO()
    for name, (packed, crc32, size) in streams.items():
        raw = name.encode()
        offset = out.tell()
        fields = (20, 0, 8, 0, 0x21, crc32, len(packed), size, len(raw), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + raw + packed)
        central.write(
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHH", *fields)
            + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            + raw
        )
    cd_offset, cd = out.tell(), central.getvalue()
    out.write(cd)
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(streams), len(streams), len(cd), cd_offset, 0
        )
    )
    return out.getvalue()


def _deflate(body: bytes) -> bytes:
    import zlib

    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    return comp.compress(body) + comp.flush()
