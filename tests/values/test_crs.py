import numpy as np
import pytest

from locator.values.geo import crs
from locator.values.geo.crs import CoordSystem
from locator.values.geo.distance import geodesic_distance_m

# Published pairs from eviltransform's test-suite (googollee/eviltransform), an
# implementation independent of prcoords: (wgs lat, wgs lon, gcj lat, gcj lon).
WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# Beijing railway station, GCJ-02 and BD-09 (5 decimals, ~1 m), from the documentation of
# the R package cst (bd2gcj example): (gcj lon, gcj lat, bd lon, bd lat)
GCJ_BD = [(116.42703, 39.90245, 116.43351, 39.90851)]


@pytest.mark.parametrize(("glon", "glat", "blon", "blat"), GCJ_BD)
def test_gcj02_bd09_known_pair(glon, glat, blon, blat):
    assert geodesic_distance_m(*crs.gcj02_to_bd09(glon, glat), blon, blat) < 2.0
    assert geodesic_distance_m(*crs.bd09_to_gcj02(blon, blat), glon, glat) < 2.0


def test_round_trips_over_jiangmen_within_a_metre():
    rng = np.random.default_rng(1)
    for lon, lat in zip(rng.uniform(111.9, 113.3, 200), rng.uniform(21.4, 22.9, 200), strict=True):
        g = crs.wgs84_to_gcj02(lon, lat)
        assert geodesic_distance_m(*crs.gcj02_to_wgs84(*g), lon, lat) < 1.0
        b = crs.wgs84_to_bd09(lon, lat)
        assert geodesic_distance_m(*crs.bd09_to_wgs84(*b), lon, lat) < 1.0
        assert geodesic_distance_m(*crs.bd09_to_gcj02(*crs.gcj02_to_bd09(*g)), *g) < 1.0


def test_offset_in_jiangmen_is_several_hundred_metres():
    lon, lat = 113.0815, 22.5787  # central Jiangmen
    d = geodesic_distance_m(*crs.wgs84_to_gcj02(lon, lat), lon, lat)
    assert 400 < d < 800


def test_outside_china_is_unchanged():
    assert crs.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert crs.to_wgs84(2.35, 48.85, CoordSystem.BD09) == (2.35, 48.85)


def test_to_and_from_dispatch():
    lon, lat = 113.0815, 22.5787
    for system in CoordSystem:
        back = crs.to_wgs84(*crs.from_wgs84(lon, lat, system), system)
        assert geodesic_distance_m(*back, lon, lat) < 1.0
