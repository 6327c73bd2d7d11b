"""Seats coverage of the committed national tables, per province and per city.

Reads only ``geodata/national/`` and ``geodata/census-county-2020.csv`` (for the names);
counts the towns of today (:func:`locator.ingest.national.current_towns`) and how many have
a seat: Vonng/adcode's town centre, else GeoNames, else the mean of adcode's villages, or
none. The shares printed are cumulative (adcode; adcode or GeoNames; any)::

    python -m locator.ingest.national_report            # provinces, then the summary
    python -m locator.ingest.national_report --cities   # every city as well

A "city" is a prefecture-level unit (its 4-digit code prefix), a municipality as a whole
(北京, 天津, 上海, 重庆) or a county-level city under a province directly (仙桃 429004,
海南's 469xxx, 新疆's 6590xx), which counts as a city of its own.
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from locator.ingest.national import (
    SEATS_FILE,
    TOWNS_FILE,
    current_towns,
    read_seats_table,
    read_towns_table,
)
from locator.values.paths import DEFAULT_DATA_DIR

MUNICIPALITIES = ("11", "12", "31", "50")


def city_of(county_code: str) -> str:
    """The 6-digit code of the city a county belongs to (see the module docstring)."""
    if county_code[:2] in MUNICIPALITIES:
        return county_code[:2] + "0000"
    if county_code[2:4] == "90":
        return county_code
    return county_code[:4] + "00"


@dataclass(frozen=True)
class Coverage:
    code: str
    name: str
    towns: int
    adcode: int
    geonames: int
    villages: int = 0

    @property
    def seated(self) -> int:
        return self.adcode + self.geonames + self.villages

    def share(self, n: int) -> float:
        return n / self.towns if self.towns else 0.0


def coverage(national_dir: Path, census_csv: Path) -> tuple[list[Coverage], list[Coverage]]:
    """Seats coverage ``(per province, per city)``, each sorted by code."""
    towns = current_towns(read_towns_table(national_dir / TOWNS_FILE))
    seats = read_seats_table(national_dir / SEATS_FILE)
    source = {
        (s["county_code"], s["name"]): "villages"
        if s["precision"] == "village-mean"
        else s["source"]
        for s in seats
    }
    names: dict[str, str] = {}
    with open(census_csv, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if not r["code"]:
                continue
            names[r["code"][:2] + "0000"] = r["province"]
            city = city_of(r["code"])
            names[city] = r["province"] if city.endswith("0000") else r["city"]
            if city == r["code"]:
                names[city] = r["county"]
    counts: dict[str, Counter] = defaultdict(Counter)
    for t in towns:
        src = source.get((t.county_code, t.name), "none")
        for key in (t.county_code[:2] + "0000", "c" + city_of(t.county_code)):
            counts[key][src] += 1
            counts[key]["towns"] += 1

    def row(key: str, code: str) -> Coverage:
        c = counts[key]
        name = names.get(code, "(not in the 2020 census)")
        return Coverage(code, name, c["towns"], c["adcode"], c["geonames"], c["villages"])

    provinces = [row(k, k) for k in sorted(counts) if not k.startswith("c")]
    cities = [row(k, k[1:]) for k in sorted(counts) if k.startswith("c")]
    return provinces, cities


def _line(c: Coverage) -> str:
    none = c.towns - c.seated
    return (
        f"{c.code} {c.name:<12}\t{c.towns:6d}\t{c.share(c.adcode):6.1%}"
        f"\t{c.share(c.adcode + c.geonames):6.1%}\t{c.share(c.seated):6.1%}\t{none:5d}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m locator.ingest.national_report")
    parser.add_argument("--national", type=Path, default=DEFAULT_DATA_DIR / "national")
    parser.add_argument("--census", type=Path, default=DEFAULT_DATA_DIR / "census-county-2020.csv")
    parser.add_argument("--cities", action="store_true", help="list every city too")
    args = parser.parse_args(argv)
    provinces, cities = coverage(args.national, args.census)
    head = "code   name        \ttowns\tadcode\t+GeoNames\t+villages\tnone"
    print(head)
    for c in provinces:
        print(_line(c))
    if args.cities:
        print("\n" + head)
        for c in cities:
            print(_line(c))
    total = Coverage(
        "000000",
        "全国",
        sum(c.towns for c in provinces),
        sum(c.adcode for c in provinces),
        sum(c.geonames for c in provinces),
        sum(c.villages for c in provinces),
    )
    print(f"\n{_line(total)}")
    seated = (
        ("adcode or GeoNames", lambda c: c.adcode + c.geonames),
        ("any source", lambda c: c.seated),
    )
    with_towns = [c for c in cities if c.towns]
    for label, count in seated:
        shares = [c.share(count(c)) for c in with_towns]
        worst = min(with_towns, key=lambda c: (c.share(count(c)), c.code))
        print(
            f"{label}: cities with towns {len(shares)}; median city "
            f"{statistics.median(shares):.1%}; lowest {worst.code} {worst.name} "
            f"{worst.share(count(worst)):.1%} ({count(worst)}/{worst.towns}); "
            f"cities at 100 %: {sum(s == 1.0 for s in shares)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
