"""Generate the sample facility layers (DATA.md: no public list of these facilities exists).

Deterministic: one seeded generator, inputs read from the committed reference layers, output
serialised with fixed key order and 6-decimal coordinates, so two runs give identical bytes.
Placement is plausible rather than real: one service center near each town seat; love
stations and mothers' rooms concentrated in urban streets (街道) and town centres; book
rooms spread over every town. Every point lies inside its own district and town area.
Every feature carries ``"source": "sample"``. No phone numbers are invented: a made-up
number could belong to a real person.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from locator.stores.files.read import (
    DISTRICTS_FILE,
    TOWN_AREAS_FILE,
    TOWNS_FILE,
    read_city,
    read_features,
    write_feature_collection,
)
from locator.values import registry
from locator.values.errors import BuildError
from locator.values.geo.distance import from_metric, geometry_to_metric, to_metric
from locator.values.models import SAMPLE_SOURCE

SEED = 20240929  # the article's date
#: the article says "700多家" (700-odd) book rooms; the other counts are exact
#: the article's city (Jiangmen) and its 73 towns: the article's counts are Jiangmen's;
#: another city's are scaled by its number of towns
ARTICLE_CITY = "440700"
JIANGMEN_TOWNS = 73
COUNTS = {"service_centers": 73, "love_stations": 133, "mothers_rooms": 234, "book_rooms": 706}
#: the article's three named service complexes: town code -> complex name
SERVICE_COMPLEXES = {
    "440704005": "江海礼乐职工服务综合体",  # 礼乐街道, 江海区
    "440781101": "台山水步职工服务综合体",  # 水步镇, 台山市
    "440785109": "恩平东城职工服务综合体",  # 东成镇, 恩平市 (the article writes 东城)
}
#: relative weight of a street (街道, urban) against a town (镇) when sharing out a layer
URBAN_WEIGHT = {"love_stations": 4.0, "mothers_rooms": 3.0, "book_rooms": 2.0}
#: spread around the seat (metres, 1 sigma) for (street, town)
SPREAD_M = {
    "service_centers": (150, 150),
    "love_stations": (1200, 500),
    "mothers_rooms": (1500, 700),
    "book_rooms": (2000, 1500),
}

HOSTS = {
    "love_stations": [
        ("中国石化加油站", "Sinopec station"),
        ("供电营业厅", "power company office"),
        ("邮政网点", "post office"),
        ("农商银行网点", "rural bank branch"),
        ("环卫工人休息室", "sanitation workers' rest room"),
        ("党群服务中心", "community service centre"),
        ("公交总站", "bus terminal"),
        ("市场管理处", "market office"),
        ("骑手驿站", "riders' hub"),
    ],
    "mothers_rooms": [
        ("人民医院", "hospital"),
        ("政务服务中心", "government service centre"),
        ("工业园", "industrial park"),
        ("商业广场", "shopping plaza"),
        ("妇幼保健院", "maternity hospital"),
        ("电子厂", "electronics factory"),
        ("食品厂", "food factory"),
        ("汽车客运站", "coach station"),
    ],
    "book_rooms": [
        ("社区", "community"),
        ("工业园", "industrial park"),
        ("企业", "company"),
        ("村委会", "village committee"),
        ("学校", "school"),
        ("医院", "hospital"),
        ("物流园", "logistics park"),
        ("商会", "chamber of commerce"),
    ],
}
HOURS = {
    "service_centers": [
        ("Mo-Fr 08:30-12:00,14:30-17:30; PH off", 0.8),
        ("Mo-Sa 08:30-17:30; PH off", 0.2),
    ],
    "love_stations": [
        ("24/7", 0.3),
        ("Mo-Su 07:00-21:00", 0.3),
        ("Mo-Su 08:00-20:00", 0.15),
        ("Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00", 0.15),
        (None, 0.1),
    ],
    "mothers_rooms": [
        ("Mo-Fr 08:30-12:00,14:30-17:30; PH off", 0.5),
        ("Mo-Su 09:00-21:00", 0.3),
        ("Mo-Fr 08:00-18:00", 0.1),
        (None, 0.1),
    ],
    "book_rooms": [
        ("Mo-Fr 09:00-17:00; PH off", 0.4),
        ("Mo-Su 09:00-21:00", 0.2),
        ("Tu-Su 09:00-17:30", 0.2),
        (None, 0.2),
    ],
}
#: (always present, {optional amenity: probability})
AMENITY_PLAN = {
    "service_centers": (
        ["seating", "drinking_water"],
        {
            "toilet": 0.9,
            "air_conditioning": 0.9,
            "wifi": 0.7,
            "books": 0.6,
            "first_aid": 0.5,
            "charging": 0.6,
        },
    ),
    "love_stations": (
        ["drinking_water", "seating"],
        {
            "microwave": 0.7,
            "charging": 0.8,
            "toilet": 0.5,
            "air_conditioning": 0.6,
            "first_aid": 0.6,
            "wifi": 0.5,
            "fridge": 0.3,
            "e_bike_battery": 0.2,
            "umbrella": 0.4,
            "hot_water": 0.6,
            "repair_kit": 0.3,
            "locker": 0.2,
        },
    ),
    "mothers_rooms": (
        ["nursing", "seating"],
        {
            "changing_table": 0.8,
            "fridge": 0.6,
            "air_conditioning": 0.8,
            "hot_water": 0.5,
            "wifi": 0.3,
            "toilet": 0.4,
        },
    ),
    "book_rooms": (
        ["books", "seating"],
        {"wifi": 0.5, "air_conditioning": 0.6, "drinking_water": 0.5, "charging": 0.3},
    ),
}
UNKNOWN_AMENITIES_P = 0.05
WHEELCHAIR = [("yes", 0.4), ("limited", 0.25), ("no", 0.1), ("unknown", 0.25)]
VERIFIED_FROM, VERIFIED_TO = dt.date(2024, 1, 2), dt.date(2024, 9, 29)


@dataclass
class _Town:
    code: str
    name: str
    name_en: str
    district_code: str
    district_name: str
    seat_xy: tuple[float, float]  # metres, the city profile's metric CRS
    area: object  # prepared shapely polygon, the same CRS
    epsg: int  # that CRS
    city_zh: str  # the city's name in addresses (the profile's, 江门市)

    @property
    def urban(self) -> bool:
        return self.name.endswith("街道")


def _choice(rng: np.random.Generator, options):
    values = [v for v, _ in options]
    p = np.array([w for _, w in options], dtype=float)
    return values[int(rng.choice(len(values), p=p / p.sum()))]


def _load_towns(data_dir: Path) -> list[_Town]:
    city = read_city(data_dir)
    epsg = city.metric_epsg
    districts = {
        f["properties"]["code"]: f["properties"]["name"]
        for f in read_features(data_dir / DISTRICTS_FILE)
    }
    areas = {
        f["properties"]["code"]: geometry_to_metric(shape(f["geometry"]), epsg)
        for f in read_features(data_dir / TOWN_AREAS_FILE)
    }
    towns = []
    for f in read_features(data_dir / TOWNS_FILE):
        p = f["properties"]
        lon, lat = f["geometry"]["coordinates"]
        area = areas[p["code"]]
        shapely.prepare(area)
        towns.append(
            _Town(
                p["code"],
                p["name"],
                p.get("name_en") or "",
                p["district_code"],
                districts[p["district_code"]],
                to_metric(lon, lat, epsg),
                area,
                epsg,
                city.name.zh,
            )
        )
    return sorted(towns, key=lambda t: t.code)


def share_out(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` over weights by largest remainder, each share at least ``minimum``."""
    w = np.asarray(weights, dtype=float)
    rest = total - minimum * len(w)
    exact = w / w.sum() * rest
    shares = np.floor(exact).astype(int)
    order = np.argsort(-(exact - shares), kind="stable")
    shares[order[: rest - shares.sum()]] += 1
    return [int(s) + minimum for s in shares]


def _place(rng: np.random.Generator, town: _Town, sigma_m: float) -> tuple[float, float]:
    """A point near the seat inside the town area (which lies inside its district)."""
    sx, sy = town.seat_xy
    for _ in range(500):
        x, y = rng.normal(sx, sigma_m), rng.normal(sy, sigma_m)
        if shapely.contains_xy(town.area, x, y):
            break
    else:  # a tiny or oddly shaped area: the seat itself is inside by construction
        x, y = sx, sy
    lon, lat = from_metric(x, y, town.epsg)
    return round(float(lon), 6), round(float(lat), 6)


def _amenities(rng: np.random.Generator, layer: str) -> list[str] | None:
    if rng.random() < UNKNOWN_AMENITIES_P:
        return None
    always, optional = AMENITY_PLAN[layer]
    draws = rng.random(len(optional))
    return always + [a for a, d in zip(optional, draws, strict=True) if d < optional[a]]


def _feature(
    rng,
    layer: str,
    n: int,
    town: _Town,
    name: str,
    name_en: str,
    address: str,
    sigma_m: float,
    extra: dict | None = None,
) -> dict:
    lon, lat = _place(rng, town, sigma_m)
    props: dict[str, Any] = {
        "id": f"{registry.BY_ID[layer].id_prefix}-{n:04d}",
        "layer": layer,
        "name": name,
        "name_en": name_en,
        "address": address,
        "district_code": town.district_code,
        "town_code": town.code,
    }
    hours = _choice(rng, HOURS[layer])
    if hours is not None:
        props["opening_hours"] = hours
    amenities = _amenities(rng, layer)
    if amenities is not None:
        props["amenities"] = amenities
    props["wheelchair"] = _choice(rng, WHEELCHAIR)
    props["operator"] = f"{town.district_name}总工会"
    span = (VERIFIED_TO - VERIFIED_FROM).days
    verified = VERIFIED_FROM + dt.timedelta(days=int(rng.integers(span + 1)))
    props["verified_on"] = verified.isoformat()
    if extra:
        props.update(extra)
    props["source"] = SAMPLE_SOURCE
    return {
        "type": "Feature",
        "id": props["id"],
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }


def _service_centers(rng, towns: list[_Town]) -> list[dict]:
    out = []
    for n, town in enumerate(towns, start=1):
        complex_name = SERVICE_COMPLEXES.get(town.code)
        name = f"{town.name}职工服务中心"
        extra = {"service_complex": complex_name} if complex_name else None
        if complex_name:
            name = f"{name}({complex_name})"
        out.append(
            _feature(
                rng,
                "service_centers",
                n,
                town,
                name,
                f"{town.name_en} worker service center".strip(),
                f"{town.city_zh}{town.district_name}{town.name}",
                SPREAD_M["service_centers"][0],
                extra,
            )
        )
    return out


def _hosted_layer(rng, layer: str, towns: list[_Town], total: int, minimum: int) -> list[dict]:
    weights = [URBAN_WEIGHT[layer] if t.urban else 1.0 for t in towns]
    shares = share_out(total, weights, minimum)
    decl = registry.BY_ID[layer]
    suffix_zh, suffix_en = decl.short_zh, decl.short_en
    hosts = HOSTS[layer]
    out = []
    n = 0
    for town, count in zip(towns, shares, strict=True):
        used: dict[str, int] = {}
        sigma = SPREAD_M[layer][0 if town.urban else 1]
        for _ in range(count):
            host_zh, host_en = hosts[int(rng.integers(len(hosts)))]
            used[host_zh] = used.get(host_zh, 0) + 1
            ordinal = used[host_zh]
            tag_zh = f"{ordinal}号" if ordinal > 1 else ""
            tag_en = f" no. {ordinal}" if ordinal > 1 else ""
            n += 1
            out.append(
                _feature(
                    rng,
                    layer,
                    n,
                    town,
                    f"{town.name}{host_zh}{suffix_zh}{tag_zh}",
                    f"{town.name_en} {host_en} {suffix_en}{tag_en}".strip(),
                    f"{town.city_zh}{town.district_name}{town.name}{host_zh}",
                    sigma,
                )
            )
    return out


#: the order the layers are generated in: one generator is drawn from in this order, so
#: changing it changes every layer (the committed files are byte-for-byte reproducible)
GENERATION_ORDER = ("service_centers", "love_stations", "mothers_rooms", "book_rooms")


def generate_sample_layers(data_dir: Path) -> dict[str, list[dict]]:
    """Return the sample facility layers as lists of GeoJSON features (no files written).

    Every facility collection of the registry needs a recipe here; a new one without
    is a BuildError, not a layer silently left out."""
    missing = sorted(set(registry.facility_ids()) - set(GENERATION_ORDER))
    if missing:
        raise BuildError(
            f"no sample recipe for {', '.join(missing)}: add one to "
            "locator/ingest/sample.py (COUNTS, HOURS, AMENITY_PLAN, ...)"
        )
    rng = np.random.default_rng(SEED)
    towns = _load_towns(Path(data_dir))
    article_city = read_city(Path(data_dir)).code == ARTICLE_CITY
    layers = {"service_centers": _service_centers(rng, towns)}
    for layer, minimum in (("love_stations", 1), ("mothers_rooms", 1), ("book_rooms", 5)):
        total = COUNTS[layer] if article_city else scaled_count(layer, len(towns), minimum)
        layers[layer] = _hosted_layer(rng, layer, towns, total, minimum)
    return layers


def scaled_count(layer: str, n_towns: int, minimum: int) -> int:
    """How many sample features ``layer`` gets in a city of ``n_towns`` towns: Jiangmen's
    count (the article's, for its 73 towns) scaled by the number of towns, at least
    ``minimum`` per town."""
    return max(round(COUNTS[layer] * n_towns / JIANGMEN_TOWNS), minimum * n_towns)


def build_sample(data_dir: Path, out_dir: Path | None = None) -> dict[str, int]:
    """Generate the sample layers from ``data_dir`` and write them to ``out_dir``.

    Returns the number of features written per layer.
    """
    out = Path(out_dir or data_dir)
    layers = generate_sample_layers(Path(data_dir))
    for layer_id, features in layers.items():
        write_feature_collection(out / registry.BY_ID[layer_id].file, features, layer_id)
    return {k: len(v) for k, v in layers.items()}
