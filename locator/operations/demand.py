"""Demand for the planner: the bundled examples, by name (their files are read by
:mod:`locator.formats.demand`, as an upload is), and the whole city's 2020 census.

The city's census demand (:func:`city_census_demand`, ``demand=census-2020``, the
planner's default) puts every person of the city's districts on the grid:

- a district whose every town has a published figure (Heshan's census bulletin) gets
  them town by town, each spread evenly over its approximate town area;
- every other district's census total is spread evenly over the district's land (the
  grid's cells in it). That is an **estimate**: no town figures are public for them, so
  a mountain cell holds as many people as a cell in the district's town centre. Every
  answer says so in its label.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from locator.operations.coverage import Demand
from locator.values.errors import InvalidQuery, shown
from locator.values.models import District, Town

#: the whole city's 2020 census: the planner's default demand
CENSUS = "census-2020"
#: no demand: shares by area (every cell weighs the same)
AREA = "area"
#: the national county table (geodata/SOURCES.md)
COUNTY_TABLE = "census-county-2020.csv"
#: published town figures, by file (each a CSV with ``code`` and ``pop_2020``)
TOWN_TABLES = ("heshan-town-population-2020.csv",)

#: bundled demand examples: id -> (file in the data directory, label)
EXAMPLES = {
    CENSUS: (
        COUNTY_TABLE,
        "全市 2020 年人口普查 · the whole city's 2020 census",
    ),
    "heshan-2020": (
        "heshan-town-population-2020.csv",
        "鹤山市 2020 年人口普查各镇（街）人口，按近似镇街范围平均分布 · Heshan's 2020 "
        "census population by town, spread evenly over the approximate town areas",
    ),
}
#: "station needed here" requests from the street (received or accepted), 1 each at
#: its point: where riders asked for a station
REQUESTS = "requests"
#: what ``demand`` may say: an example, ``area`` for shares by area, or the requests
DEMAND_CHOICES = (*EXAMPLES, AREA, REQUESTS)
#: a district's town figures are used when they sum to its census total within this
TOWN_SUM_TOLERANCE = 0.005


def example_file(name: str) -> str:
    """The data directory's file of the bundled example ``name`` (InvalidQuery naming
    ``demand`` for an unknown one)."""
    if name not in EXAMPLES:
        raise InvalidQuery(
            "demand", f"demand must be one of {', '.join(EXAMPLES)}, got {shown(name)}"
        )
    return EXAMPLES[name][0]


def city_census_demand(
    city_name: str,
    districts: Mapping[str, District],
    towns: Mapping[str, Town],
    county_population: Mapping[str, int],
    town_population: Mapping[str, float],
) -> Demand:
    """The whole city's census as a demand over the grid's areas (see the module
    docstring).

    Parameters
    ----------
    city_name : the city's name, for the label
    districts : the city's districts by 6-digit code
    towns : the city's towns by 9-digit code (their ``district_code``)
    county_population : census total by 6-digit county code (the national table)
    town_population : census figure by 9-digit town code, where published
    """
    missing = sorted(set(districts) - set(county_population))
    if missing:
        raise InvalidQuery(
            "demand",
            f"demand: the census table has no figure for district(s) {', '.join(missing)}",
        )
    areas: list[tuple[str, float]] = []
    by_town: list[District] = []
    spread: list[District] = []
    for code, district in sorted(districts.items()):
        total = float(county_population[code])
        own = [t for t in sorted(towns) if towns[t].district_code == code]
        figures = {t: float(town_population[t]) for t in own if t in town_population}
        if own and len(figures) == len(own) and total > 0:
            if abs(sum(figures.values()) - total) <= TOWN_SUM_TOLERANCE * total:
                areas.extend(figures.items())
                by_town.append(district)
                continue
        areas.append((code, total))
        spread.append(district)
    people = sum(w for _, w in areas)
    zh = f"{city_name}全市 2020 年人口普查 {people:,.0f} 人"
    en = f"the whole city's 2020 census, {people:,.0f} people"
    if by_town:
        zh += f"：{'、'.join(d.name for d in by_town)}按各镇（街）普查数，在近似镇街范围内平均分布"
        en += f": {', '.join(d.name_en for d in by_town)} by its towns' census figures"
    if spread:
        zh += (
            f"；{'、'.join(d.name for d in spread)}无镇街数字，各自总数在区内陆地上平均分布（估算）"
        )
        en += (
            f"; {', '.join(d.name_en for d in spread)} have no town figures: each total "
            "is spread evenly over the district's land (an estimate)"
        )
    return Demand(f"{zh} · {en}", areas=tuple(areas))


def requests_demand(points: Sequence[tuple[float, float]]) -> Demand:
    """Requests for a station as a demand: each WGS-84 ``(lon, lat)`` point weighs 1."""
    n = len(points)
    return Demand(
        f'骑手提出的“这里需要一个驿站”请求 {n} 条（每条计 1） · {n} "station needed '
        'here" request(s) from riders (1 each)',
        points=tuple((float(lon), float(lat), 1.0) for lon, lat in points),
    )


def requests_key(points: Sequence[tuple[float, float]]) -> str:
    """A cache key for :func:`requests_demand` of ``points`` (changes when they do)."""
    digest = hashlib.sha256(
        ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in sorted(points)).encode()
    ).hexdigest()
    return f"{REQUESTS}:{digest[:16]}"


def count_in_areas(
    points: Sequence[tuple[float, float]], codes: Sequence[str], shapes: Sequence[Any]
) -> tuple[dict[str, int], int]:
    """How many WGS-84 ``(lon, lat)`` points fall in each area (``codes[i]`` names
    ``shapes[i]``, shapely polygons in WGS-84), and how many fall in none. A point on a
    border counts once, for the first area by code."""
    import shapely

    counts = dict.fromkeys(codes, 0)
    if not points:
        return counts, 0
    tree = shapely.STRtree(list(shapes))
    pts = shapely.points(np.asarray(points, dtype=float))
    hit_pt, hit_area = tree.query(pts, predicate="intersects")
    first: dict[int, str] = {}
    for p, a in zip(hit_pt.tolist(), hit_area.tolist(), strict=True):
        code = codes[a]
        if p not in first or code < first[p]:
            first[p] = code
    for code in first.values():
        counts[code] += 1
    return counts, len(points) - len(first)
