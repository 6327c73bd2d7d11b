"""Uploaded tables that would cost too much are refused before they are read through:
an XLSX "zip bomb" (from the archive's declared sizes), a sheet that declares or holds
too many rows, columns or cells, and a CSV that is too wide or too large."""

from __future__ import annotations

import gc
import io
import time
import tracemalloc
import zipfile

import pytest

from locator.formats import tables
from locator.formats.register_columns import header_score
from locator.formats.tables import RegisterTooLarge, UnreadableRegister, read_table
from tests.registers import good_rows, inflated_xlsx, write_register

MB = 2**20


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> bytes:
    """A small, valid register as Excel would save it (a merged title over the header)."""
    path = tmp_path_factory.mktemp("xlsx") / "r"
    return write_register(path, "xlsx", good_rows()).read_bytes()


def _read(data: bytes, name: str = "登记表.xlsx") -> tables.Table:
    return read_table(data, name, header_score)


def test_a_normal_workbook_is_read_with_its_merged_title(workbook):
    table = _read(workbook)
    assert table.header_row == 2 and len(table.rows) == 3
    assert table.rows[0][1][0] == "白沙测试驿站"


@pytest.fixture(scope="module")
def bomb(workbook) -> bytes:
    """The probe's workbook: under half a megabyte packed, 290 MB unpacked."""
    return inflated_xlsx(workbook, 290 * MB)


def test_a_zip_bomb_is_refused_fast_and_without_inflating(workbook, bomb):
    assert len(bomb) < MB
    # the time of reading the normal 3-row workbook, in this run, is the yardstick
    start = time.perf_counter()
    _read(workbook)
    normal_s = time.perf_counter() - start
    start = time.perf_counter()
    with pytest.raises(RegisterTooLarge) as err:
        _read(bomb)
    refused_s = time.perf_counter() - start
    gc.collect()
    tracemalloc.start()
    try:
        with pytest.raises(RegisterTooLarge):
            _read(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused_s < normal_s, (refused_s, normal_s)
    assert peak < 4 * MB  # nothing inflated (the bomb is 290 MB inside)
    assert "登记表.xlsx" in err.value.message and "290 MB" in err.value.message
    assert "登记表.xlsx" in err.value.zh and "解压后" in err.value.zh


def test_a_part_packed_far_tighter_than_excel_packs_is_refused(workbook):
    bomb = inflated_xlsx(workbook, 20 * MB)  # within the total, at ~600:1
    with pytest.raises(RegisterTooLarge, match="times its packed size"):
        _read(bomb)


def test_too_many_parts_is_refused(workbook, monkeypatch):
    monkeypatch.setattr(tables, "MAX_XLSX_MEMBERS", 5)
    with pytest.raises(RegisterTooLarge, match="parts"):
        _read(workbook)


def test_a_declared_dimension_too_large_is_refused_before_the_rows(workbook):
    huge = inflated_xlsx(workbook, 0, dimension="A1:H900000")
    with pytest.raises(RegisterTooLarge, match="900,000 rows"):
        _read(huge)
    wide = inflated_xlsx(workbook, 0, dimension="A1:XFD5")
    with pytest.raises(RegisterTooLarge, match="16,384 columns"):
        _read(wide)


def test_a_sheet_that_understates_its_rows_is_counted_as_read(workbook, monkeypatch):
    monkeypatch.setattr(tables, "MAX_ROWS", 100)
    monkeypatch.setattr(tables, "MAX_XLSX_RATIO", 10_000)  # blank rows pack tight
    # declares 5 rows, holds some 170,000 blank ones: counted, refused at the limit
    lying = inflated_xlsx(workbook, MB, dimension="A1:H5")
    with pytest.raises(RegisterTooLarge, match="more than 112 rows"):
        _read(lying)
    # and a sheet within the limits, whatever it declares, is read to its last row
    assert len(_read(inflated_xlsx(workbook, 0, dimension="A1:B2")).rows) == 3


def test_the_cells_of_a_sheet_are_counted(workbook, monkeypatch):
    monkeypatch.setattr(tables, "MAX_CELLS", 20)
    with pytest.raises(RegisterTooLarge, match="20 cells"):
        _read(workbook)


def test_csv_too_wide_or_too_many_cells_is_refused(monkeypatch):
    wide = ("名称,经度,纬度" + "," * 1500 + "\n").encode()
    with pytest.raises(RegisterTooLarge, match="1,503 columns") as err:
        _read(wide, "宽表.csv")
    assert "宽表.csv" in err.value.message and "宽表.csv" in err.value.zh
    monkeypatch.setattr(tables, "MAX_CELLS", 10)
    rows = "名称,经度,纬度\n" + "甲,113.1,22.6\n" * 5
    with pytest.raises(RegisterTooLarge, match="more than 10 cells"):
        _read(rows.encode(), "r.csv")


def test_a_refused_file_is_still_an_unreadable_register():
    assert issubclass(RegisterTooLarge, UnreadableRegister)


def test_a_damaged_sheet_part_is_unreadable_not_a_crash(workbook):
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]  # cut in the middle of a row
            zf.writestr(info.filename, body)
    with pytest.raises(UnreadableRegister) as err:
        _read(out.getvalue())
    assert not isinstance(err.value, RegisterTooLarge)


def test_the_register_file_name_is_not_a_path(bomb):
    with pytest.raises(RegisterTooLarge) as err:
        _read(bomb, "C:\\Users\\clerk\\bomb.xlsx")
    assert err.value.message.startswith("bomb.xlsx: ")


def test_the_planners_demand_csv_has_the_same_bounds():
    from locator.formats.demand import read_demand
    from locator.values.errors import InvalidQuery

    wide = ("lon,lat,weight" + ",x" * 1500 + "\n113.1,22.6,5\n").encode()
    with pytest.raises(InvalidQuery) as err:
        read_demand(wide, "demand.csv")
    assert err.value.param == "demand_file" and "1,503 columns" in str(err.value)


def test_a_merge_right_of_the_kept_columns_cannot_lower_the_count(monkeypatch, tmp_path):
    """A range starting past column 1,000 (XFD1:XFD3) is skipped, not counted with a
    negative width that would let the next ranges through."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for r in range(1, 4):
        sheet.append([f"c{r}{c}" for c in range(8)])
    sheet.merge_cells("A1:H3")  # 24 cells spread
    sheet.merge_cells("XFD1:XFD3")
    book.save(tmp_path / "m.xlsx")
    # the sheet declares the dimension of its values only, as a crafted file may
    out = io.BytesIO()
    with zipfile.ZipFile(tmp_path / "m.xlsx") as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:XFD3"', b'<dimension ref="A1:H3"')
                # the far range first: its negative width would have hidden the next one
                ranges = b'<mergeCell ref="A1:H3"/><mergeCell ref="XFD1:XFD3"/>'
                assert ranges in data and b'<dimension ref="A1:H3"' in data
                data = data.replace(ranges, b'<mergeCell ref="XFD1:XFD3"/><mergeCell ref="A1:H3"/>')
            dst.writestr(info, data)
    monkeypatch.setattr(tables, "MAX_CELLS", 20)
    with pytest.raises(RegisterTooLarge, match="merges more than 20 cells"):
        _read(out.getvalue())


def test_merged_ranges_count_as_cells(workbook, monkeypatch):
    # the title is merged over A1:H1: 8 cells more than the sheet holds (some 35)
    monkeypatch.setattr(tables, "MAX_CELLS", 40)
    with pytest.raises(RegisterTooLarge, match="merges more than 40 cells"):
        _read(workbook)
    monkeypatch.setattr(tables, "MAX_CELLS", 45)
    assert len(_read(workbook).rows) == 3
