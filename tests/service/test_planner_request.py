"""The planner's request, built once for the web and the command line: checked values,
messages naming the input as the caller calls it, demand from an example or a file."""

from __future__ import annotations

import datetime as dt

import pytest

from locator.operations.coverage import Demand
from locator.operations.hours import TZ
from locator.service.planner_request import CLI_NAMES, Upload, planner_request
from locator.values.errors import InvalidQuery
from locator.values.geo.crs import CoordSystem, to_wgs84

LAYERS = ("love_stations", "mothers_rooms", "book_rooms")
CSV = b"lon,lat,weight\n113.0815,22.5787,5\n113.09,22.59,7\n"


class FakeStore:
    """The three things the request asks of a store."""

    def __init__(self, default: str | None = None):
        self.examples: list[str] = []
        self.default = default

    def default_demand(self) -> str | None:
        return self.default

    def resolve_layers(self, requested, param="layer"):
        for layer in requested or ():
            if layer not in LAYERS:
                raise InvalidQuery(param, f"unknown layer {layer!r}")
        return tuple(dict.fromkeys(requested or LAYERS))

    def demand_example(self, name: str) -> Demand:
        self.examples.append(name)
        return Demand(f"example {name}", ((113.0, 22.5, 1.0),))

    def check_demand_cost(self, demand: Demand, cell_m: int, param: str = "demand_file") -> None:
        pass


def test_plain_values_make_the_query():
    at = dt.datetime(2026, 10, 1, 8, 30, tzinfo=TZ)
    req = planner_request(
        FakeStore(),
        layers=["book_rooms", "love_stations", "book_rooms"],
        radius_m=2500,
        by="town",
        at=at,
        cell_m=500,
        n=3,
    )
    q = req.query
    assert (q.layers, q.radius_m, q.by, q.at, q.cell_m) == (
        ("book_rooms", "love_stations"),
        2500.0,
        "town",
        at,
        500,
    )
    assert q.demand is None and q.demand_key == ""
    assert (req.n, req.candidates, req.uploaded) == (3, None, False)


def test_without_layers_it_is_the_love_stations():
    assert planner_request(FakeStore()).query.layers == ("love_stations",)


def test_without_a_demand_it_is_the_stores_default_and_area_means_none():
    store = FakeStore(default="census-2020")
    req = planner_request(store)
    assert store.examples == ["census-2020"] and req.query.demand_key == "census-2020"
    assert req.query.demand.label == "example census-2020"
    area = planner_request(store, demand="area")
    assert area.query.demand is None and area.query.demand_key == ""
    assert store.examples == ["census-2020"]  # area asks the store for nothing
    assert planner_request(FakeStore(default=None)).query.demand is None


def test_an_example_demand_comes_from_the_store():
    store = FakeStore()
    req = planner_request(store, demand="heshan-2020")
    assert store.examples == ["heshan-2020"]
    assert req.query.demand.label == "example heshan-2020"
    assert req.query.demand_key == "heshan-2020" and not req.uploaded


def test_an_uploaded_demand_goes_before_the_example_and_is_converted():
    store = FakeStore()
    req = planner_request(
        store,
        demand="heshan-2020",
        demand_file=Upload(CSV, "需求.csv"),
        demand_coord=CoordSystem.GCJ02,
    )
    assert store.examples == [] and req.uploaded
    assert req.query.demand.label == "上传的需求文件 uploaded demand: 需求.csv"
    lon, lat, weight = req.query.demand.points[0]
    assert (lon, lat) == pytest.approx(to_wgs84(113.0815, 22.5787, CoordSystem.GCJ02))
    assert weight == 5 and abs(lon - 113.0815) > 0.003  # converted: ~500 m off
    assert req.query.demand_key.startswith("upload:")


def test_the_demand_key_tells_files_labels_and_systems_apart():
    def key(**kw):
        return planner_request(FakeStore(), **kw).query.demand_key

    one = key(demand_file=Upload(CSV, "a.csv"))
    assert one == key(demand_file=Upload(CSV, "a.csv"))
    assert one != key(demand_file=Upload(CSV, "b.csv"))
    assert one != key(demand_file=Upload(CSV + b"113.1,22.6,1\n", "a.csv"))
    assert one != key(demand_file=Upload(CSV, "a.csv"), demand_coord=CoordSystem.BD09)
    assert key(demand_file=Upload(CSV, "a.csv", label="a.csv")) != one


def test_candidates_are_read_in_the_demand_system():
    req = planner_request(FakeStore(), candidates_file=Upload(b"lon,lat\n113.08,22.58\n", "c.csv"))
    assert req.candidates == [(113.08, 22.58)] and req.uploaded


@pytest.mark.parametrize(
    ("values", "param", "message", "option"),
    [
        (
            {"radius_m": 50},
            "radius_m",
            "radius_m must be between 100 and 20000, got 50",
            "--radius-m",
        ),
        ({"radius_m": float("nan")}, "radius_m", "radius_m must be between", "--radius-m"),
        ({"by": "village"}, "by", "by must be one of district, town, got 'village'", "--by"),
        ({"cell_m": 7}, "cell_m", "cell_m must be one of 100, 250, 500, 1000, got 7", "--cell-m"),
        ({"n": 0}, "n", "n must be an integer from 1 to 50, got 0", "--suggest"),
        (
            {"demand": "elsewhere"},
            "demand",
            "demand must be one of census-2020, heshan-2020, area, requests, got 'elsewhere'",
            "--demand",
        ),
        (
            {"demand_file": Upload(b"a,b\n1,2\n", "d.csv")},
            "demand_file",
            "demand_file: no longitude column",
            "--demand",
        ),
        (
            {"candidates_file": Upload(b"lon,lat\n113,abc\n", "c.csv")},
            "candidates_file",
            "candidates_file: row 2, column lat",
            "--candidates",
        ),
    ],
)
def test_a_bad_value_is_named_as_the_caller_calls_it(values, param, message, option):
    with pytest.raises(InvalidQuery) as on_the_web:
        planner_request(FakeStore(), **values)
    assert on_the_web.value.param == param
    assert on_the_web.value.message.startswith(message)
    with pytest.raises(InvalidQuery) as on_the_command_line:
        planner_request(FakeStore(), names=CLI_NAMES, **values)
    assert on_the_command_line.value.param == option
    assert on_the_command_line.value.message.startswith(message.replace(param, option, 1))


def test_an_unknown_layer_is_named_as_the_caller_calls_it():
    for names, param in ((None, "layer"), (CLI_NAMES, "--layer")):
        with pytest.raises(InvalidQuery) as caught:
            planner_request(FakeStore(), layers=["nope"], **({"names": names} if names else {}))
        assert caught.value.param == param


def test_requests_weigh_one_each_and_their_key_follows_them():
    points = [(113.0815, 22.5787), (113.09, 22.59)]
    req = planner_request(FakeStore(), demand="requests", request_points=lambda: points)
    assert [w for *_, w in req.query.demand.points] == [1.0, 1.0]
    assert "2" in req.query.demand.label
    again = planner_request(FakeStore(), demand="requests", request_points=lambda: points[::-1])
    more = planner_request(FakeStore(), demand="requests", request_points=lambda: points[:1])
    assert req.query.demand_key == again.query.demand_key != more.query.demand_key
    with pytest.raises(InvalidQuery) as err:
        planner_request(FakeStore(), demand="requests", names=CLI_NAMES)
    assert err.value.param == "--demand"
