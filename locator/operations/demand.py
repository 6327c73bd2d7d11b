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

from collections.abc import Mapping

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
#: what ``demand`` may say: an example, or ``area`` for shares by area
DEMAND_CHOICES = (*EXAMPLES, AREA)
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
