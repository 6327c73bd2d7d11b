"""Both stores answer the same: the in-memory catalog over the files and PostGIS over the
same files loaded, each checked against a brute-force geodesic oracle (pyproj Geod over
every facility) and against each other."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from locator.operations.hours import TZ
from locator.operations.nearest import NearestQuery, arrival_keeps, arrival_status
from locator.values.errors import (
    FacilityNotFound,
    FeatureNotFound,
    InvalidQuery,
    LayerNotFound,
)
from locator.values.geo.distance import geodesic_distance_m
from locator.values.models import Point
from tests.both_stores import BOTH_STORES

STORES = BOTH_STORES

AT = dt.datetime(2026, 11, 24, 17, 50, tzinfo=TZ)  # a working day, near closing time
LAYERS = ("love_stations", "mothers_rooms", "service_centers", "book_rooms")


def probes(n: int, seed: int) -> list[Point]:
    rng = np.random.default_rng(seed)
    inside = [
        Point(float(x), float(y))
        for x, y in zip(rng.uniform(112.3, 113.3, n), rng.uniform(21.5, 22.9, n), strict=True)
    ]
    # far away, across the antimeridian, at the poles' edge: ranking must stay exact
    return inside + [
        Point(116.391, 39.907),
        Point(-70.0, -22.0),
        Point(180.0, 0.0),
        Point(113.0, 89.9),
    ]


def oracle(truth, q: NearestQuery, layers) -> list[tuple[float, str]]:
    rows = []
    for lid in layers:
        lay = truth.store.layers[lid]
        d = geodesic_distance_m(q.point.lon, q.point.lat, lay.lon, lay.lat)
        for di, f in zip(d, lay.facilities, strict=True):
            amen = set(f.properties.get("amenities") or ())
            if not q.amenities <= amen:
                continue
            if q.max_distance_m is not None and di > q.max_distance_m:
                continue
            calendar = truth.store.reference.calendar
            if q.open_on_arrival and not arrival_keeps(
                arrival_status(f, float(di), q, AT, calendar), q
            ):
                continue
            rows.append((float(di), f.id))
    return sorted(rows)[: q.k]


FILTERS = [
    dict(),
    dict(k=1),
    dict(k=50),
    dict(open_on_arrival=True, travel="ebike"),
    dict(amenities=frozenset({"drinking_water", "charging"})),
    dict(max_distance_m=3000.0),
    dict(open_on_arrival=True, k=10, amenities=frozenset({"toilet"})),
    dict(open_on_arrival=True, keep_unknown_hours=True, k=10),
]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "plain")
def test_nearest_equals_the_brute_force_oracle(store, truth, filters):
    for p in probes(25, len(filters)):
        q = NearestQuery(p, LAYERS, at=AT, **filters)
        got = store.nearest(q, AT).results
        want = oracle(truth, q, LAYERS)
        assert [(round(r.distance_m, 4), r.facility.id) for r in got] == [
            (round(d, 4), fid) for d, fid in want
        ], p
        by_layer = store.nearest_by_layer(q, AT).results
        want = [row for lid in LAYERS for row in oracle(truth, q, (lid,))]
        assert [(round(r.distance_m, 4), r.facility.id) for r in by_layer] == [
            (round(d, 4), fid) for d, fid in want
        ], p


def test_answers_equal_the_file_store_whole(store, truth, store_kind):
    """Everything a result carries (facility, bearing, estimates, hours now and on
    arrival) and the service-area flag, not only ids and distances."""
    if store_kind == "files":
        pytest.skip("the file store is the reference these answers are compared with")
    for p in probes(10, 99):
        q = NearestQuery(p, LAYERS, k=7, at=AT, open_on_arrival=True)
        a, b = store.nearest(q, AT), truth.nearest(q, AT)
        assert (a.in_service_area, round(a.distance_to_service_area_m, 3)) == (
            b.in_service_area,
            round(b.distance_to_service_area_m, 3),
        )
        assert a.results == b.results  # the same distances, bearings, hours, to the bit
        assert a.unknown_hours_left_out == b.unknown_hours_left_out
        assert [r.facility.properties for r in a.results] == [
            r.facility.properties for r in b.results
        ]


@pytest.mark.parametrize(
    "bbox",
    [
        None,
        (113.0, 22.5, 113.1, 22.6),
        (112.0, 21.0, 114.0, 23.0),
        (170.0, -10.0, -170.0, 10.0),
        (113.08, 22.58, 113.08, 22.58),
        (112.9, 22.3, 113.2, 22.7),
    ],
)
@pytest.mark.parametrize(
    "collection", ["book_rooms", "districts", "towns", "town_seats", "rural_routes", "city"]
)
def test_pages_equal_an_independent_computation(store, collection, bbox):
    """The ids of the features whose geometry meets the box, in file order, worked out
    here from the raw GeoJSON with shapely (a box with no width or height is a line or a
    point; one crossing the antimeridian is two boxes)."""
    expected = independent_page(collection, bbox)
    for limit, offset in ((None, 0), (10, 0), (7, 5), (10, 10_000)):
        page = store.page(collection, bbox, limit, offset)
        end = None if limit is None else offset + limit
        assert (page.matched, page.offset) == (len(expected), offset)
        assert [f.id for f in page.features] == expected[offset:end]


def independent_page(collection: str, bbox) -> list[str]:
    import json

    import shapely

    from locator.values import registry
    from locator.web import DEFAULT_DATA_DIR

    decl = registry.BY_ID[collection]
    features = json.loads((DEFAULT_DATA_DIR / decl.file).read_text())["features"]
    if bbox is None:
        boxes = None
    else:
        w, s, e, n = bbox
        corners = [(w, s, e, n)] if w <= e else [(w, s, 180, n), (-180, s, e, n)]
        boxes = [shapely.envelope(shapely.linestrings([(a, b), (c, d)])) for a, b, c, d in corners]
    out = []
    for f in features:
        shape = shapely.from_geojson(json.dumps(f["geometry"]))
        if boxes is None or any(shapely.intersects(shape, box) for box in boxes):
            out.append(str(f["properties"][decl.id_property]))
    return out


def test_pages_equal_the_file_store(store, truth, store_kind):
    if store_kind == "files":
        pytest.skip("the file store is the reference these answers are compared with")
    for collection in ("book_rooms", "districts", "rural_routes"):
        for bbox in (None, (113.0, 22.5, 113.1, 22.6)):
            a, b = store.page(collection, bbox, 7, 3), truth.page(collection, bbox, 7, 3)
            assert a == b  # the features themselves, geometry and properties


def test_lookups_and_summaries_equal_the_file_store(store, truth, store_kind):
    if store_kind == "files":
        pytest.skip("the file store is the reference these answers are compared with")
    assert store.version == truth.version
    assert store.collection_infos() == truth.collection_infos()
    assert store.collection_infos(True) == truth.collection_infos(True)
    for cid in ("book_rooms", "districts", "rural_routes"):
        assert store.extent(cid) == truth.extent(cid)
    assert store.get("br-0007") == truth.get("br-0007")
    assert store.get("br-0007").properties == truth.get("br-0007").properties
    assert store.get("440703", "districts").geometry == truth.get("440703", "districts").geometry
    a, b = store.facility_details("ls-0003", AT), truth.facility_details("ls-0003", AT)
    assert (a.facility, a.status, a.week, a.layer) == (b.facility, b.status, b.week, b.layer)
    assert store.town_position("440703002") == truth.town_position("440703002")
    view_a = store.phone_view(NearestQuery(Point(113.08, 22.58), LAYERS, k=3), AT)
    view_b = truth.phone_view(NearestQuery(Point(113.08, 22.58), LAYERS, k=3), AT)
    assert view_a.towns_by_district == view_b.towns_by_district
    assert [r.facility.id for r in view_a.answer.results] == [
        r.facility.id for r in view_b.answer.results
    ]
    assert store.resolve_layers(None) == truth.resolve_layers(None)
    assert [r.id for r in store.routes().routes] == [r.id for r in truth.routes().routes]
    assert store.offline_pack(AT.date()) == truth.offline_pack(AT.date())


def test_errors_are_the_same(store, truth, store_kind):
    if store_kind == "files":
        pytest.skip("the file store is the reference these answers are compared with")
    for call in (
        lambda s: s.get("nope"),
        lambda s: s.get("nope", "districts"),
        lambda s: s.collection_info("nope"),
        lambda s: s.page("nope", None, 1),
        lambda s: s.town_position("123"),
        lambda s: s.resolve_layers(["x"]),
        lambda s: s.nearest(NearestQuery(Point(113, 22), ("x",)), AT),
    ):
        with pytest.raises((FacilityNotFound, FeatureNotFound, LayerNotFound, InvalidQuery)) as a:
            call(store)
        with pytest.raises(type(a.value)) as b:
            call(truth)
        assert str(a.value) == str(b.value)
        assert getattr(a.value, "param", None) == getattr(b.value, "param", None)
