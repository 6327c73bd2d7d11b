"""A facility changed through the import path (locator.importer.edit): the cases the
admin pages' tests do not reach."""

from __future__ import annotations

import json

import pytest

from locator.importer.edit import FacilityEdit, edit_facility
from locator.importer.history import rollback
from locator.values.errors import LocatorError


def test_closing_the_last_facility_empties_the_layer_and_a_rollback_brings_it_back(ddir):
    layer = ddir / "love_stations.geojson"
    before = layer.read_bytes()
    out = edit_facility(ddir, FacilityEdit("closed", "ls-0001"), {"report": "r-1"}, "staff")
    assert out.written and out.entry["removed"] == 1
    assert json.loads(layer.read_bytes())["features"] == []
    rollback(ddir, "love_stations", out.entry["previous_version"], "staff")
    assert layer.read_bytes() == before


def test_what_no_layer_holds_or_no_kind_edits_is_refused_and_nothing_written(ddir):
    before = (ddir / "love_stations.geojson").read_bytes()
    with pytest.raises(LocatorError, match="facility_id"):
        edit_facility(ddir, FacilityEdit("phone", "no-such", "0750-3222222"), {}, "staff")
    with pytest.raises(LocatorError, match="kind"):
        edit_facility(ddir, FacilityEdit("need", "ls-0001"), {}, "staff")
    out = edit_facility(ddir, FacilityEdit("confirm", "ls-0001", "31/31/2026"), {}, "staff")
    assert not out.written and out.plan.errors[0].column == "verified_on"
    assert (ddir / "love_stations.geojson").read_bytes() == before
    assert not (ddir / "history").exists()
