"""The catalog holder: a reload swaps in a new catalog whole, or keeps the old one."""

import dataclasses
import datetime as dt
import json
import shutil
import threading

import pytest

from locator.operations.hours import TZ, day_kind
from locator.operations.nearest import NearestQuery
from locator.service import Service, Services
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


def test_two_data_versions_answer_by_their_own_holidays_at_the_same_time(data_dir, tmp_path):
    """One version knows a (made-up) holiday on Monday 13 February 2040, the other does not:
    asked the same questions in one process, in turn and from two threads at once, each
    answers by its own schedule. (A schedule installed for the whole process gave both
    the last one installed.)"""
    office = "Mo-Fr 08:30-17:30; PH off"
    write_layer(
        data_dir, "love_stations", [facility("o-1", 113.0726, 22.5761, opening_hours=office)]
    )
    other = tmp_path / "with-holiday"
    shutil.copytree(data_dir, other)
    (other / "holidays.json").write_text(
        json.dumps(
            {
                "source": "test",
                "years": {"2040": {"holidays": {"2040-02-13": "测试 test"}, "workdays": []}},
            }
        ),
        encoding="utf-8",
    )
    plain, holiday = CatalogHolder(data_dir), CatalogHolder(other)  # each reads its own
    at = dt.datetime(2040, 2, 13, 10, tzinfo=TZ)
    q = NearestQuery(Point(113.0726, 22.5761), ("love_stations",), k=1, at=at)
    if_open = dataclasses.replace(q, open_on_arrival=True)
    expected = {id(plain): ("open", ["o-1"], "workday"), id(holiday): ("closed", [], "holiday")}

    services = {id(h): Services(h) for h in (plain, holiday)}

    def answers(holder: CatalogHolder) -> tuple[str, list[str], str]:
        cat = services[id(holder)].current()
        state = cat.nearest(q, at).results[0].hours.state
        assert cat.facility_details("o-1", at).status.state == state
        pack_day = cat.offline_pack(at.date())["hours"][0][0]  # the phone's own answer
        assert any(row[2] == "o" for row in pack_day) == (state == "open")
        return (
            state,
            [r.facility.id for r in cat.nearest(if_open, at).results],
            day_kind(at.date(), cat.store.reference.calendar),
        )

    for _ in range(2):  # in turn: neither version's schedule reaches the other
        for holder in (plain, holiday, plain):
            assert answers(holder) == expected[id(holder)]
    failures: list[object] = []

    def ask(holder: CatalogHolder) -> None:
        for _ in range(200):
            got = answers(holder)
            if got != expected[id(holder)]:
                failures.append(got)

    threads = [threading.Thread(target=ask, args=(h,)) for h in (plain, holiday)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
