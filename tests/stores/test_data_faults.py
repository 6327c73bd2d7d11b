"""Broken data: one message naming file, feature and problem, a non-zero exit, and never a
traceback — from `locator validate` and from `locator serve` alike."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from locator.cli import cli
from locator.stores.files.read import _context, check_layer, read_city, read_references
from locator.values.errors import DataError
from tests.conftest import DEFAULT_DATA_DIR, facility, small_data_dir, write_layer

LOCATOR = str(Path(sys.executable).with_name("locator"))


def _dir_instead_of_file(d: Path):
    (d / "book_rooms.geojson").unlink()
    (d / "book_rooms.geojson").mkdir()


def _list_as_district(d: Path):
    write_layer(d, "book_rooms", [facility("b-1", 113.07, 22.57, district_code=["440703"])])


def _town_without_name(d: Path):
    doc = json.loads((d / "towns.geojson").read_text(encoding="utf-8"))
    del doc["features"][3]["properties"]["name"]
    (d / "towns.geojson").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def _too_deep(d: Path):
    (d / "book_rooms.geojson").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")


def _missing_layer(d: Path):
    (d / "mothers_rooms.geojson").unlink()


def _missing_reference(d: Path):
    (d / "districts.geojson").unlink()


FAULTS = [
    # (make the fault, the one message expected)
    (_dir_instead_of_file, "book_rooms.geojson: is a directory, not a file"),
    (
        _list_as_district,
        "book_rooms.geojson: feature 'b-1': district_code must be a string, got list",
    ),
    (_town_without_name, "towns.geojson: feature '440703101': missing required property: name"),
    (_too_deep, "book_rooms.geojson: JSON nested too deeply"),
    (_missing_layer, "mothers_rooms.geojson: file not found: every declared layer needs its file"),
    (_missing_reference, "districts.geojson: file not found"),
]
IDS = [f[0].__name__.strip("_") for f in FAULTS]


@pytest.mark.parametrize(("make", "message"), FAULTS, ids=IDS)
def test_validate_names_the_fault_once(runner, data_dir, make, message):
    make(data_dir)
    result = runner.invoke(cli, ["validate", "--data-dir", str(data_dir)])
    assert result.exit_code == 1, result.output
    errors = [line.strip() for line in result.output.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("error: " + message), result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert "real:" not in "".join(line for line in result.output.splitlines() if "problem" in line)


@pytest.fixture(scope="module")
def refusals(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """`locator serve` over a directory with each fault, all started at once (each run is
    mostly Python starting and reading the data, on a core of its own where there is one)."""
    procs = {}
    for make, _ in FAULTS:
        data = small_data_dir(tmp_path_factory.mktemp(make.__name__.strip("_")))
        make(data)
        procs[make.__name__] = subprocess.Popen(
            [LOCATOR, "serve", "--port", "1", "--data-dir", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    done = {}
    for name, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        done[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


@pytest.mark.parametrize(("make", "message"), FAULTS, ids=IDS)
def test_serve_refuses_to_start_with_one_message(refusals, make, message):
    proc = refusals[make.__name__]
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: " + proc.stderr.strip().removeprefix("error: ")
    assert proc.stderr.startswith("error: " + message), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_unreadable_file(runner, data_dir, monkeypatch):
    # root reads any file whatever its mode: simulate the operating system's refusal
    real = Path.read_bytes

    def refuse(self):
        if self.name == "service_centers.geojson":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = runner.invoke(cli, ["validate", "--data-dir", str(data_dir)])
    assert result.exit_code == 1
    assert "error: service_centers.geojson: cannot be read (Permission denied)" in result.output


def test_a_broken_layer_is_not_labelled_real(runner, data_dir):
    write_layer(
        data_dir,
        "book_rooms",
        [facility("b", 113.07, 22.57, source="register.xlsx"), facility("c", 22.57, 113.07)],
    )
    result = runner.invoke(cli, ["validate", "--data-dir", str(data_dir)])
    line = next(x for x in result.output.splitlines() if x.startswith("book_rooms"))
    assert "1 problem(s)" in line and "real: register.xlsx" in line


# ------------------------------------------------------------------ property-based

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "id",
        "name",
        "layer",
        "district_code",
        "town_code",
        "source",
        "amenities",
        "opening_hours",
        "wheelchair",
        "phone",
        "name_en",
        "address",
        "verified_on",
        "x",
    ]
)


@pytest.fixture(scope="module")
def context():
    city = read_city(DEFAULT_DATA_DIR)
    return _context(read_references(DEFAULT_DATA_DIR, profile=city), city)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(props=st.dictionaries(KEYS, JSON, max_size=8), geometry=JSON)
def test_arbitrary_property_values_never_end_in_a_traceback(context, props, geometry):
    districts, towns, city = context
    base = facility("p-1", 113.07, 22.57)
    feature = {**base, "properties": {**base["properties"], **props}}
    if isinstance(geometry, dict):
        feature["geometry"] = geometry
    data = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    facilities, problems = check_layer(
        Path("book_rooms.geojson"), "book_rooms", districts, towns, city, {}, data
    )
    assert len(facilities) + len(problems) == 1
    for problem in problems:
        assert isinstance(problem, DataError)
        assert problem.message.startswith("book_rooms.geojson: feature ")
