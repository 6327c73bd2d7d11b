"""The nearest engine against a brute-force geodesic oracle (pyproj Geod over every point)."""

import datetime as dt

import numpy as np
import pytest

from locator.operations.hours import TZ, Calendar
from locator.operations.nearest import (
    NearestQuery,
    build_index,
    ebike_minutes,
    nearest_batch,
    nearest_facilities,
    walk_minutes,
)
from locator.values.errors import InvalidQuery
from locator.values.geo.distance import geodesic_distance_m
from locator.values.models import Point
from tests.helpers import make_layer, random_index

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TZ)  # a Tuesday, a working day
CAL = Calendar()  # the libraries' holidays alone


def oracle(indexes, layers, lon, lat, k, accept=lambda f: True, max_d=np.inf):
    rows = []
    for lid in layers:
        lay = indexes[lid].layer
        d = geodesic_distance_m(lon, lat, lay.lon, lay.lat)
        rows += [
            (float(di), f.id)
            for di, f in zip(d, lay.facilities, strict=True)
            if accept(f) and di <= max_d
        ]
    return sorted(rows)[:k]


def assert_same_ranking(got, expected):
    assert len(got) == len(expected)
    for item, (d, fid) in zip(got, expected, strict=True):
        assert item.distance_m == pytest.approx(d, abs=1e-6)
        if item.facility.id != fid:  # only a tie within 1 m may swap
            assert abs(item.distance_m - d) < 1.0
    assert [round(i.distance_m, 6) for i in got] == sorted(round(i.distance_m, 6) for i in got)


# random points over the city, on its edges and far outside it
PROBES = [
    (113.0815, 22.5787),
    (111.95, 21.45),
    (113.3, 22.9),
    (112.6, 21.5),
    (116.391, 39.907),
    (2.35, 48.85),
    (-70.0, -22.0),
    (151.2, -33.9),
    (180.0, 0.0),
]


@pytest.fixture(scope="module")
def indexes():
    return {"a": random_index("a", 3000, 1, prefix="a"), "b": random_index("b", 500, 2, prefix="b")}


@pytest.mark.parametrize("k", [1, 5, 50])
def test_ranking_equals_brute_force(indexes, k):
    rng = np.random.default_rng(k)
    probes = PROBES + list(
        zip(rng.uniform(111.8, 113.4, 40), rng.uniform(21.3, 23.0, 40), strict=True)
    )
    for lon, lat in probes:
        q = NearestQuery(Point(float(lon), float(lat)), ("a",), k=k)
        got = nearest_facilities(indexes, q, NOW, calendar=CAL)
        assert_same_ranking(got, oracle(indexes, ["a"], lon, lat, k))


def test_multi_layer_merge(indexes):
    for lon, lat in PROBES[:5]:
        q = NearestQuery(Point(lon, lat), ("a", "b"), k=20)
        got = nearest_facilities(indexes, q, NOW, calendar=CAL)
        assert_same_ranking(got, oracle(indexes, ["a", "b"], lon, lat, 20))
        assert {g.facility.layer for g in got} <= {"a", "b"}


def test_k_larger_than_layer_and_empty_layer():
    small = build_index(make_layer("s", [113.0, 113.01, 113.02], [22.5, 22.5, 22.5]))
    empty = build_index(make_layer("e", [], []))
    idx = {"s": small, "e": empty}
    got = nearest_facilities(
        idx, NearestQuery(Point(113.0, 22.5), ("s", "e"), k=50), NOW, calendar=CAL
    )
    assert [g.facility.id for g in got] == ["f000000", "f000001", "f000002"]
    assert got[0].distance_m == 0.0
    assert (
        nearest_facilities(idx, NearestQuery(Point(113.0, 22.5), ("e",), k=5), NOW, calendar=CAL)
        == []
    )


def test_distance_bearing_and_estimates():
    lay = build_index(make_layer("s", [113.0, 113.0], [22.5, 22.51]))
    got = nearest_facilities(
        {"s": lay}, NearestQuery(Point(113.0, 22.5), ("s",), k=2), NOW, calendar=CAL
    )
    north = got[1]
    assert north.distance_m == pytest.approx(1106.6, abs=1.0)  # 0.01° of latitude at 22.5°N
    assert north.bearing_deg == pytest.approx(0.0, abs=1e-6)
    assert north.walk_min == pytest.approx(walk_minutes(north.distance_m))
    assert north.walk_min == pytest.approx(1106.6 * 1.3 / 75, rel=1e-3)
    assert north.ebike_min == pytest.approx(ebike_minutes(north.distance_m))


def test_amenity_filter_requires_every_amenity(indexes):
    def props(i):
        if i % 3 == 0:
            return {"amenities": ["microwave", "charging"]}
        if i % 3 == 1:
            return {"amenities": ["microwave"]}
        return {}  # unknown amenities: never counted as present

    idx = {"m": random_index("m", 2000, 5, props)}
    for lon, lat in PROBES[:4]:
        q = NearestQuery(
            Point(lon, lat), ("m",), k=10, amenities=frozenset({"microwave", "charging"})
        )
        got = nearest_facilities(idx, q, NOW, calendar=CAL)
        want = oracle(
            idx,
            ["m"],
            lon,
            lat,
            10,
            accept=lambda f: {"microwave", "charging"} <= set(f.properties.get("amenities") or ()),
        )
        assert_same_ranking(got, want)


def test_amenity_nobody_has():
    idx = {"m": random_index("m", 100, 5)}
    q = NearestQuery(Point(113, 22.5), ("m",), k=5, amenities=frozenset({"fridge"}))
    assert nearest_facilities(idx, q, NOW, calendar=CAL) == []


def test_max_distance(indexes):
    lon, lat = PROBES[0]
    q = NearestQuery(Point(lon, lat), ("a",), k=50, max_distance_m=5000)
    got = nearest_facilities(indexes, q, NOW, calendar=CAL)
    assert got and all(g.distance_m <= 5000 for g in got)
    assert_same_ranking(got, oracle(indexes, ["a"], lon, lat, 50, max_d=5000))


def test_open_on_arrival_filter_means_known_to_be_open():
    """Issue #21: unknown hours are not "open on arrival"; kept only when asked, marked."""
    hours = ["Mo-Fr 09:00-17:00", None, "Mo-Fr 11:00-12:00", "24/7"]
    lay = make_layer(
        "h",
        [113.0, 113.001, 113.002, 113.003],
        [22.5] * 4,
        lambda i: {"opening_hours": hours[i]} if hours[i] else {},
    )
    idx = {"h": build_index(lay)}
    q = NearestQuery(Point(113.0, 22.5), ("h",), k=4, open_on_arrival=True)
    got = nearest_facilities(idx, q, NOW, calendar=CAL)  # 10:00 on a Tuesday
    assert [g.facility.id for g in got] == ["f000000", "f000003"]
    assert [g.hours.state for g in got] == ["open", "open"]
    q = NearestQuery(Point(113.0, 22.5), ("h",), k=4, open_on_arrival=True, keep_unknown_hours=True)
    got = nearest_facilities(idx, q, NOW, calendar=CAL)
    assert [g.facility.id for g in got] == ["f000000", "f000001", "f000003"]
    assert [g.hours_on_arrival.state for g in got] == ["open", "unknown", "open"]


def test_open_on_arrival_counts_the_walk():
    # closes at 10:05; 1.1 km away is about 19 minutes' walk: closed on arrival
    lay = make_layer("h", [113.0], [22.51], lambda i: {"opening_hours": "Mo-Su 08:00-10:05"})
    idx = {"h": build_index(lay)}
    got = nearest_facilities(idx, NearestQuery(Point(113.0, 22.5), ("h",), k=1), NOW, calendar=CAL)
    assert got[0].hours.state == "open" and got[0].hours_on_arrival.state == "closed"
    q = NearestQuery(Point(113.0, 22.5), ("h",), k=1, open_on_arrival=True)
    assert nearest_facilities(idx, q, NOW, calendar=CAL) == []


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"k": 0}, "k"),
        ({"k": 51}, "k"),
        ({"max_distance_m": -1.0}, "max_distance_m"),
        ({"max_distance_m": float("nan")}, "max_distance_m"),
        ({"amenities": frozenset({"sauna"})}, "amenity"),
        ({"layers": ()}, "layer"),
    ],
)
def test_query_validation(kwargs, param):
    args = {"point": Point(113, 22.5), "layers": ("a",), **kwargs}
    with pytest.raises(InvalidQuery) as err:
        NearestQuery(**args)
    assert err.value.param == param


def test_batch_equals_brute_force(indexes):
    idx = indexes["a"]
    rng = np.random.default_rng(9)
    lon, lat = rng.uniform(111.9, 113.3, 300), rng.uniform(21.4, 22.9, 300)
    dist, pos = nearest_batch(idx, lon, lat, k=3)
    for j in range(300):
        d = geodesic_distance_m(lon[j], lat[j], idx.layer.lon, idx.layer.lat)
        best = np.sort(d)[:3]
        assert np.allclose(dist[j], best, atol=1e-3)
        assert np.allclose(d[pos[j]], best, atol=1e-3)


def test_batch_far_points_use_exact_distances(indexes):
    idx = indexes["a"]
    dist, pos = nearest_batch(idx, np.array([116.391]), np.array([39.907]), k=2)
    d = geodesic_distance_m(116.391, 39.907, idx.layer.lon, idx.layer.lat)
    assert np.allclose(dist[0], np.sort(d)[:2], atol=1.0)


def test_union_index_gives_the_same_answer(indexes):
    from locator.operations.nearest import build_union_index

    union = build_union_index([indexes["a"].layer, indexes["b"].layer])
    for lon, lat in PROBES:
        for k in (1, 7):
            q = NearestQuery(Point(lon, lat), ("a", "b"), k=k)
            got = nearest_facilities(indexes, q, NOW, union, calendar=CAL)
            assert_same_ranking(got, oracle(indexes, ["a", "b"], lon, lat, k))
