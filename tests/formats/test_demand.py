"""Uploaded demand and candidate files are read as registers are (one CSV reader): every
text encoding and separator Excel saves, and messages naming the parameter."""

from __future__ import annotations

import pytest

from locator.formats.demand import read_candidates, read_demand
from locator.values.errors import InvalidQuery

ROWS = [("经度", "纬度", "人口"), ("113.0815", "22.5787", "100"), ("112.3", "22.2", "50")]
WANT = ((113.0815, 22.5787, 100.0), (112.3, 22.2, 50.0))


def text(sep: str) -> str:
    return "\r\n".join(sep.join(row) for row in ROWS) + "\r\n"


@pytest.mark.parametrize(
    "data",
    [
        text(",").encode("utf-8"),
        text(",").encode("utf-8-sig"),  # Excel's "CSV UTF-8"
        text(",").encode("gb18030"),  # Chinese Excel's "CSV"
        text("\t").encode("utf-16"),  # Excel's "Unicode text": UTF-16, tab-separated
        text(";").encode("utf-8"),  # a semicolon-separated export
    ],
    ids=["utf8", "utf8-bom", "gb18030", "utf16-tab", "semicolon"],
)
def test_demand_csv_as_excel_saves_it(data):
    demand = read_demand(data, "需求")
    assert demand.label == "需求" and demand.points == WANT


def test_candidates_csv_as_excel_saves_it():
    data = "lon\tlat\r\n113.08\t22.58\r\n".encode("utf-16")
    assert read_candidates(data) == [(113.08, 22.58)]


def test_a_binary_file_is_refused_naming_what_the_planner_takes():
    with pytest.raises(InvalidQuery) as caught:
        read_demand(b"PK\x03\x04\x00\x00 a workbook", "x", param="demand_file")
    assert caught.value.param == "demand_file"
    assert caught.value.message == (
        "demand_file: the file is binary, not CSV text: upload CSV or GeoJSON"
    )


def test_an_unreadable_csv_names_the_parameter():
    data = b"lon,lat,weight\n" + b"1" * 200_000 + b",22,1\n"  # a field over csv's limit
    with pytest.raises(InvalidQuery) as caught:
        read_candidates(data, param="--candidates")
    assert caught.value.param == "--candidates"
    assert caught.value.message.startswith("--candidates: not a readable CSV near row 2")
