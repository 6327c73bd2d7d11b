"""The catalog holder: a reload swaps in a new catalog whole, or keeps the old one."""

import pytest

from locator.service import Service
from locator.stores.files.holder import CatalogHolder
from locator.stores.files.store import load_catalog
from locator.values.errors import DataError, InvalidQuery
from locator.values.models import Point
from tests.conftest import facility, write_layer


def test_reload_swaps_the_whole_catalog(data_dir):
    holder = CatalogHolder(data_dir)
    old = holder.catalog
    write_layer(data_dir, "love_stations", [facility("n-1", 113.07, 22.57)])
    new = holder.reload()
    assert holder.catalog is new and new is not old
    assert [f.id for f in new.layers["love_stations"].facilities] == ["n-1"]
    assert new.get("n-1").id == "n-1"
    assert [f.id for f in old.layers["love_stations"].facilities] == ["t-1", "t-2"]


def test_failed_reload_keeps_the_old_catalog(data_dir):
    holder = CatalogHolder(data_dir)
    old = holder.catalog
    write_layer(data_dir, "love_stations", [facility("bad", 22.57, 113.07)])
    with pytest.raises(DataError):
        holder.reload()
    assert holder.catalog is old


def test_town_position_and_service_area(data_dir):
    cat = Service(load_catalog(data_dir))
    seat = cat.town_position("440703002")
    area = cat.store.reference.service_area
    assert area.contains(seat)
    with pytest.raises(InvalidQuery) as err:
        cat.town_position("123")
    assert err.value.param == "town"
    beijing = Point(116.391, 39.907)
    assert not area.contains(beijing)
    assert 1.5e6 < area.distance_m(beijing) < 2.5e6
