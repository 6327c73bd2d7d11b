"""A register file as a table: CSV (UTF-8, UTF-8 with BOM, UTF-16, GB18030/GBK) or XLSX.
The planner's uploaded demand and candidate CSV files are read with the same
:func:`decode_text` and :func:`csv_rows` (:mod:`locator.formats.demand`).

The federation keeps its registers in Excel. What comes out of Excel is a CSV in GB18030
(Chinese Windows' "CSV" save), a UTF-8 CSV with a byte-order mark ("CSV UTF-8"), a
tab-separated UTF-16 file ("Unicode text") or the workbook itself, often with a title row
merged across the sheet, two-level headers and blank rows. Each row keeps the number a
clerk sees in Excel (header rows counted), so a report can say which row to fix.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from locator.formats.cells import restore_formula
from locator.values.errors import LocatorError

#: at most this many data rows (a city register has hundreds; a province's, tens of
#: thousands)
MAX_ROWS = 200_000
MAX_COLUMNS = 200
#: the header row is looked for among the first rows that have anything in them
HEADER_SCAN_ROWS = 12
#: a sheet (or a CSV) may not be wider than this, blank cells included
MAX_SHEET_COLUMNS = 1000
#: nor hold more cells than this in all, blank cells within a row included
MAX_CELLS = 4_000_000
#: an XLSX whose parts declare more than this unpacked is refused (a "zip bomb" guard),
#: bytes; a 10 MB upload of real rows unpacks to less
MAX_XLSX_UNPACKED = 100 * 2**20
#: nor one whose part (over :data:`_RATIO_FLOOR` bytes) unpacks to more than this many
#: times its packed size (Excel's own files stay far below; Apache POI's default is 100)
MAX_XLSX_RATIO = 200
_RATIO_FLOOR = 2**20
#: nor one with more parts than this
MAX_XLSX_MEMBERS = 1000


class UnreadableRegister(LocatorError):
    """The file cannot be read as a register at all; ``zh`` says so in Chinese."""

    kind = "unreadable-register"

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.zh = zh


class RegisterTooLarge(UnreadableRegister):
    """The file is larger than a register may be (refused before it is read through)."""

    kind = "register-too-large"


@dataclass(frozen=True)
class Table:
    """Header cells and data rows of one sheet. ``rows`` pairs each row's number as Excel
    shows it (1-based) with its cells, as many as there are headers."""

    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]
    description: str


def _sniff_kind(data: bytes, filename: str) -> str:
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableRegister(
            "this is an old Excel .xls workbook: save it as .xlsx or as CSV and upload that",
            "这是旧版 Excel（.xls）文件：请另存为 .xlsx 或 CSV 后再导入",
        )
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableRegister(
            "the file is named .xlsx but is not an Excel workbook",
            "文件名是 .xlsx，但内容不是 Excel 工作簿",
        )
    return "csv"


def decode_text(
    data: bytes, accepted: tuple[str, ...] = ("CSV", "XLSX", "GeoJSON")
) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in. Tried in this order: a byte-order
    mark (UTF-8, UTF-16), strict UTF-8, GB18030 (a superset of GBK and GB2312). A binary
    file is refused, naming the ``accepted`` kinds of file."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(enc), "UTF-8 (BOM)" if enc == "utf-8-sig" else "UTF-16"
            except UnicodeDecodeError:
                break
    if b"\x00" in data:
        raise UnreadableRegister(
            f"the file is binary, not CSV text: upload {', '.join(accepted[:-1])} or "
            f"{accepted[-1]}",
            f"文件不是 CSV 文本：请上传 {'、'.join(accepted[:-1])} 或 {accepted[-1]} 文件",
        )
    for enc, label in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            return data.decode(enc), label
        except UnicodeDecodeError:
            continue
    raise UnreadableRegister(
        'the text is neither UTF-8 nor GB18030/GBK: in Excel, save as "CSV UTF-8"',
        "文本编码既不是 UTF-8 也不是 GB18030/GBK：请在 Excel 中另存为“CSV UTF-8”",
    )


def _csv_rows(data: bytes, filename: str) -> tuple[list[list[Any]], str]:
    text, encoding = decode_text(data)
    try:
        return csv_rows(text, encoding), f"CSV, {encoding}"
    except RegisterTooLarge as exc:
        raise _too_large(filename, exc.message, exc.zh) from None


def csv_rows(text: str, encoding: str = "") -> list[list[str]]:
    """The rows of a CSV text as Excel saves it (:func:`decode_text` made the text): the
    delimiter sniffed among comma, tab, semicolon and bar (tab when unsure in a UTF-16
    file, Excel's "Unicode text", else comma); at most :data:`MAX_ROWS` rows and a few
    more, so that a caller can say there were too many. A row wider than
    :data:`MAX_SHEET_COLUMNS` or more than :data:`MAX_CELLS` cells in all raise
    :class:`RegisterTooLarge`."""
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = "\t" if encoding == "UTF-16" else ","
    rows: list[list[str]] = []
    cells = 0
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            cells += len(row)
            if len(row) > MAX_SHEET_COLUMNS:
                raise RegisterTooLarge(
                    f"row {len(rows) + 1} has {len(row):,} columns, more than "
                    f"{MAX_SHEET_COLUMNS:,}",
                    f"第 {len(rows) + 1} 行有 {len(row):,} 列，超过上限 {MAX_SHEET_COLUMNS:,}",
                )
            if cells > MAX_CELLS:
                raise RegisterTooLarge(
                    f"more than {MAX_CELLS:,} cells by row {len(rows) + 1}: split the file",
                    f"到第 {len(rows) + 1} 行单元格已超过 {MAX_CELLS:,} 个：请拆分后导入",
                )
            rows.append(row)
            if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                break
    except csv.Error as exc:
        raise UnreadableRegister(
            f"not a readable CSV near row {len(rows) + 1}: {exc}",
            f"第 {len(rows) + 1} 行附近无法按 CSV 读取：{exc}",
        ) from None
    return rows


def _too_large(filename: str, en: str, zh: str) -> RegisterTooLarge:
    return RegisterTooLarge(f"{filename}: {en}", f"{filename}：{zh}")


def check_xlsx_archive(data: bytes, filename: str) -> None:
    """Refuse a workbook whose archive is damaged or would unpack too far, from the sizes
    its directory declares and before anything is inflated: the total unpacked size
    (:data:`MAX_XLSX_UNPACKED`), any part's compression ratio (:data:`MAX_XLSX_RATIO`,
    a "zip bomb") and the number of parts (:data:`MAX_XLSX_MEMBERS`). Reading a part
    never gives more than its declared size (:mod:`zipfile` checks it), so these bound
    the work."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise UnreadableRegister(
            "the workbook is damaged (not a valid XLSX file)",
            "工作簿已损坏（不是有效的 XLSX 文件）",
        ) from None
    if len(infos) > MAX_XLSX_MEMBERS:
        raise _too_large(
            filename,
            f"the workbook has {len(infos):,} parts, more than the {MAX_XLSX_MEMBERS:,} allowed",
            f"工作簿包含 {len(infos):,} 个部件，超过上限 {MAX_XLSX_MEMBERS:,}",
        )
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_XLSX_UNPACKED:
        raise _too_large(
            filename,
            f"the workbook unpacks to {unpacked / 2**20:,.0f} MB, more than the "
            f"{MAX_XLSX_UNPACKED // 2**20} MB limit: split it",
            f"工作簿解压后为 {unpacked / 2**20:,.0f} MB，超过 {MAX_XLSX_UNPACKED // 2**20} MB "
            "上限：请拆分后导入",
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > MAX_XLSX_RATIO:
            raise _too_large(
                filename,
                f"part {info.filename!r} unpacks to {ratio:,.0f} times its packed size, more "
                f"than {MAX_XLSX_RATIO}: not a workbook Excel would write",
                f"部件“{info.filename}”解压后是压缩大小的 {ratio:,.0f} 倍"
                f"（上限 {MAX_XLSX_RATIO} 倍）：不像是 Excel 保存的工作簿",
            )


def _xlsx_rows(data: bytes, sheet: str | None, filename: str) -> tuple[list[list[Any]], str]:
    import openpyxl  # only imports need it

    check_xlsx_archive(data, filename)
    try:
        # read-only: the sheet is streamed, not built as a tree of cell objects
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise UnreadableRegister(
            f"the workbook cannot be read ({type(exc).__name__})",
            f"无法读取工作簿（{type(exc).__name__}）",
        ) from None
    try:
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            raise UnreadableRegister(
                f"no sheet {sheet!r}; the workbook has: {', '.join(names)}",
                f"没有名为“{sheet}”的工作表；工作簿中有：{'、'.join(names)}",
            )
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        if not hasattr(ws, "iter_rows"):  # a chartsheet
            raise UnreadableRegister(
                f"sheet {ws.title!r} is a chart, not a table", f"工作表“{ws.title}”是图表，不是表格"
            )
        try:
            grid = _sheet_grid(ws, filename)
        except RegisterTooLarge:
            raise
        except Exception as exc:  # a damaged sheet part
            raise UnreadableRegister(
                f"sheet {ws.title!r} cannot be read ({type(exc).__name__})",
                f"无法读取工作表“{ws.title}”（{type(exc).__name__}）",
            ) from None
        return grid, f"XLSX, sheet {ws.title}"
    finally:
        wb.close()


def _sheet_grid(ws: Any, filename: str) -> list[list[Any]]:
    """The cell values of a read-only sheet, merged ranges spread over their cells. The
    sheet's declared dimension is checked first; then, since a sheet may understate it,
    rows, columns and cells are counted as they are read."""
    max_rows = MAX_ROWS + HEADER_SCAN_ROWS
    declared_rows, declared_cols = ws.max_row or 0, ws.max_column or 0
    if declared_rows > max_rows or declared_cols > MAX_SHEET_COLUMNS:
        raise _too_large(
            filename,
            f"sheet {ws.title!r} is too large ({declared_rows:,} rows, {declared_cols:,} "
            f"columns; at most {max_rows:,} rows and {MAX_SHEET_COLUMNS:,} columns)",
            f"工作表“{ws.title}”过大（{declared_rows:,} 行，{declared_cols:,} 列；"
            f"上限 {max_rows:,} 行、{MAX_SHEET_COLUMNS:,} 列）",
        )
    ws.reset_dimensions()  # read every row there is, not only those declared
    grid: list[list[Any]] = []
    cells = 0
    for row in ws.iter_rows(values_only=True):
        cells += len(row)
        if len(grid) >= max_rows or len(row) > MAX_SHEET_COLUMNS or cells > MAX_CELLS:
            raise _too_large(
                filename,
                f"sheet {ws.title!r} is too large (more than {max_rows:,} rows, "
                f"{MAX_SHEET_COLUMNS:,} columns or {MAX_CELLS:,} cells): split it",
                f"工作表“{ws.title}”过大（超过 {max_rows:,} 行、{MAX_SHEET_COLUMNS:,} 列或 "
                f"{MAX_CELLS:,} 个单元格）：请拆分后导入",
            )
        grid.append(list(row))
    # a merged cell holds its value in its top-left cell only: spread it over the range,
    # so a header merged over two columns or two rows names each of them
    spread = 0
    for min_col, min_row, max_col, max_row in _merged_ranges(ws):
        if min_row > len(grid) or min_col > MAX_SHEET_COLUMNS:
            continue  # below the rows read or right of the columns kept: nothing to spread
        # merged ranges may overlap or cover the sheet many times: they count as cells
        # (each term at least one: a range starting past the kept columns is skipped above,
        # else its negative width would lower the count)
        spread += (min(max_row, len(grid)) - min_row + 1) * (
            min(max_col, MAX_SHEET_COLUMNS) - min_col + 1
        )
        if cells + spread > MAX_CELLS:
            raise _too_large(
                filename,
                f"sheet {ws.title!r} merges more than {MAX_CELLS:,} cells: split it",
                f"工作表“{ws.title}”合并的单元格超过 {MAX_CELLS:,} 个：请拆分后导入",
            )
        top = grid[min_row - 1]
        value = top[min_col - 1] if min_col <= len(top) else None
        for r in range(min_row - 1, min(max_row, len(grid))):
            cells_r = grid[r]
            if len(cells_r) < max_col and max_col <= MAX_SHEET_COLUMNS:
                cells_r.extend([None] * (max_col - len(cells_r)))
            for c in range(min_col - 1, min(max_col, len(cells_r))):
                cells_r[c] = value
    return grid


def _merged_ranges(ws: Any) -> Iterator[tuple[int, int, int, int]]:
    """The merged ranges of a read-only sheet as (min_col, min_row, max_col, max_row),
    1-based: read-only sheets do not keep them, so the sheet's part is read again for
    its ``mergeCell`` elements (parsed only when the bytes name one: most sheets with
    many rows have none)."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import range_boundaries

    path = getattr(ws, "_worksheet_path", None)
    if path is None:  # pragma: no cover - openpyxl keeps it in every 3.x release
        return
    archive = ws.parent._archive
    with archive.open(path) as src:
        tail = b""
        while chunk := src.read(2**20):
            if b"mergeCell" in tail + chunk:
                break
            tail = chunk[-16:]
        else:
            return
    with archive.open(path) as src:
        for _, elem in iterparse(src):
            if elem.tag.endswith("}mergeCell"):
                try:
                    bounds = range_boundaries(elem.get("ref") or "")
                except (ValueError, TypeError):
                    bounds = (None, None, None, None)
                if None not in bounds:
                    yield bounds
            elem.clear()


def _is_number(value: Any) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return True
    try:
        float(str(value).strip())
        return bool(str(value).strip())
    except ValueError:
        return False


def _filled_width(row: list[Any]) -> int:
    for i in range(len(row) - 1, -1, -1):
        if not _blank(row[i]):
            return i + 1
    return 0


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(
    data: bytes, filename: str, header_score: Callable[[list[str]], int], sheet: str | None = None
) -> Table:
    """Read a CSV or XLSX register; find its header row; keep the non-blank rows below it.

    The header row is the one among the first rows whose cells name the most known
    columns, as ``header_score`` counts them (the importer's vocabulary); a blank header
    cell takes the cell above it (two-level headers). Raises :class:`UnreadableRegister`
    when there is no such row.
    """
    kind = _sniff_kind(data, filename)
    name = filename.replace("\\", "/").rsplit("/", 1)[-1] or "register"
    grid, description = _xlsx_rows(data, sheet, name) if kind == "xlsx" else _csv_rows(data, name)
    numbered = [(i + 1, row) for i, row in enumerate(grid) if not all(_blank(v) for v in row)]
    if not numbered:
        raise UnreadableRegister("the file has no rows", "文件中没有任何数据行")
    best, best_score = 0, 0
    for pos, (_, row) in enumerate(numbered[:HEADER_SCAN_ROWS]):
        score = header_score([_cell_text(v) for v in row])
        if score > best_score:
            best, best_score = pos, score
    if best_score < 2:
        raise UnreadableRegister(
            "no header row: the first rows name none of the known columns "
            "(名称/name, 经度/lon, 纬度/lat ...)",
            "找不到表头：前几行没有可识别的列名（名称、经度、纬度……）",
        )
    # a two-level header (坐标 over 经度 | 纬度): the lower row names the columns, a
    # blank cell in it takes the cell above
    if (
        best + 1 < len(numbered)
        and header_score([_cell_text(v) for v in numbered[best + 1][1]]) >= 2
        and not any(_is_number(v) for v in numbered[best + 1][1])
    ):  # data has numbers
        best += 1
    header_no, header = numbered[best]
    above = numbered[best - 1][1] if best > 0 else []
    # as wide as the last filled cell (a styled empty cell far right does not count)
    width = max(_filled_width(r) for _, r in numbered[best:])
    if width > MAX_COLUMNS:
        raise UnreadableRegister(f"more than {MAX_COLUMNS} columns", f"列数超过 {MAX_COLUMNS}")
    headers = []
    for c in range(width):
        text = _cell_text(header[c]) if c < len(header) else ""
        upper = _cell_text(above[c]) if c < len(above) else ""
        if not text:
            text = upper
        elif upper and upper != text and "(" not in text and "（" not in text:
            # a note on the upper level (坐标(高德) over 经度 | 纬度) applies below it
            note = re.search(r"[(（]([^()（）]+)[)）]", upper)
            if note:
                text = f"{text}({note[1]})"
        # our exports put an apostrophe before a header a spreadsheet would run
        headers.append(restore_formula(text))
    rows = [
        (n, [(r[c] if c < len(r) else None) for c in range(width)]) for n, r in numbered[best + 1 :]
    ]
    if len(rows) > MAX_ROWS:
        raise UnreadableRegister(
            f"more than {MAX_ROWS:,} rows: split the register",
            f"超过 {MAX_ROWS:,} 行：请拆分后导入",
        )
    return Table(headers, header_no, rows, description)


def cell_text(value: Any) -> str:
    """A cell as text: integers without ``.0``, dates as ISO 8601, stripped."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return _cell_text(value)
