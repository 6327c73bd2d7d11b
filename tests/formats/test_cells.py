"""Every spreadsheet the app writes keeps hostile text as text (OWASP CSV injection):
the layer exports (CSV with BOM, XLSX) and the coverage CSV, read back as a spreadsheet
program would read them."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from locator.formats.cells import FORMULA_START, neutralise_formula, restore_formula
from locator.formats.coverage import COLUMNS as COVERAGE_COLUMNS
from locator.formats.coverage import coverage_csv
from locator.formats.register_export import export_layer
from locator.operations.coverage import AreaCoverage, CoverageReport
from locator.values.geo.crs import CoordSystem
from tests.conftest import facility

HOSTILE = (
    "=1+1",
    '=HYPERLINK("http://x.invalid","点我")',
    "+SUM(A1)",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
)


def _formula_like(text: str) -> bool:
    return text.startswith(FORMULA_START)


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_and_restore(value):
    out = neutralise_formula(value)
    assert out == "'" + value and not _formula_like(out)
    assert restore_formula(out) == value


@pytest.mark.parametrize("value", ["白沙", "0750-3501234", "'quoted", "a=b", "", "'"])
def test_plain_text_and_numbers_are_left_alone(value):
    assert neutralise_formula(value) == value and restore_formula(value) == value
    assert neutralise_formula(-1.5) == -1.5 and neutralise_formula(None) is None


def _hostile_features(n: int) -> list[dict]:
    """Facilities with a hostile value in every text property, an unknown amenity term
    and an extra property whose name is hostile too."""
    out = []
    for i in range(n):
        bad = HOSTILE[i % len(HOSTILE)]
        out.append(
            facility(
                bad + f"-{i}",
                113.0726,
                22.5761,
                name=bad,
                name_en=bad,
                address=bad,
                phone=bad,
                opening_hours=bad,
                amenities=[],
                amenities_other=[bad],
                wheelchair=bad,
                operator=bad,
                verified_on=bad,
                source=bad,
                town_code=bad,
                district_code=bad,
                **{bad: bad, "note": bad},
            )
        )
    return out


def test_layer_csv_export_has_no_formula_in_any_cell():
    features = _hostile_features(len(HOSTILE))
    data = export_layer(features, "love_stations", "csv", CoordSystem.WGS84, {})
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == 1 + len(features)
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if _formula_like(c)]
    # the values are all there, behind the apostrophe
    text_cells = {c for c in cells if c.startswith("'")}
    assert {"'" + v for v in HOSTILE} <= text_cells
    amenities = rows[0].index("设施 amenities")
    assert [r[amenities] for r in rows[1:]] == ["'" + v for v in HOSTILE]


def test_layer_xlsx_export_has_no_formula_cell():
    import openpyxl

    features = _hostile_features(len(HOSTILE))
    data = export_layer(features, "love_stations", "xlsx", CoordSystem.WGS84, {"x": "=1"})
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet_xml = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in sheet_xml and not re.search(r"<f[ >]", sheet_xml)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for row in wb.active.iter_rows() for c in row]
    wb.close()
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    # XLSX keeps the text as it is (typed as text, which Excel never runs), minus the
    # control characters XLSX cannot hold
    assert "=1+1" in values and "@SUM(A1)" in values


def _area(code: str, name: str, name_en: str, kind: str) -> AreaCoverage:
    return AreaCoverage(code, name, name_en, kind, 1.0, 1, 0.5, 10.0, 20.0, 0.5)


def test_coverage_csv_has_no_formula_in_any_cell():
    areas = tuple(_area(v, v, v, v) for v in HOSTILE)
    report = CoverageReport(
        layers=("love_stations",),
        radius_m=500.0,
        cell_m=100.0,
        at=None,
        by="town",
        weighting="area",
        demand_label="",
        city=_area("=city", "=city", "-city", "@city"),
        areas=areas,
        facilities_counted=1,
        facilities_unknown_hours=0,
        towns_without={},
    )
    text = coverage_csv(report)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert len(rows) == 1 + len(areas) + 1 and len(rows[0]) == len(COVERAGE_COLUMNS)
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if _formula_like(c)]
    assert [r[1] for r in rows[1:]] == ["'" + v for v in HOSTILE] + ["'=city"]
    # numbers stay numbers
    assert rows[1][4] == "1.0" and rows[1][6] == "0.5"
