"""The national county table of the 2020 census (第七次全国人口普查), derived once from the
public repository ``leiii/census`` (MIT), ``data/census/census_county_2020_v1.xlsx``.

The workbook (sheet ``七普（年鉴）``) has one row per province, prefecture and county with
the 6-digit division code (区划代码) and the total population (人口数_合计); development zones
that the yearbook lists apart carry no code (``NA``). The derived table keeps every county
(a code not ending in ``00``), every prefecture without counties (东莞, 中山, 嘉峪关, 儋州:
they stand for themselves) and every uncoded zone, with its prefecture's code, so that a
prefecture's counties and zones sum to its own total (the yearbook's uncoded subtotals of
directly administered counties, 省直辖县级行政区划, are left out: their counties are rows):

    code,city_code,province,city,county,pop_2020

Run once, by hand, on a fetched copy of the workbook (the build and the tests never need
it)::

    python -m locator.ingest.census census_county_2020_v1.xlsx geodata/census-county-2020.csv
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

#: the derived table's columns
COLUMNS = ("code", "city_code", "province", "city", "county", "pop_2020")
SHEET = "七普（年鉴）"


def county_rows(rows: Iterable[Sequence[object]]) -> list[tuple[str, str, str, str, str, int]]:
    """The counties and uncoded zones of the workbook's rows (header first), in the
    workbook's order: ``(code, city_code, province, city, county, pop_2020)``. A zone's
    ``code`` is empty and its ``city_code`` is its prefecture's, found by name."""
    it = iter(rows)
    header = [str(h) for h in next(it)]
    i_code, i_prov, i_city, i_county = (header.index(h) for h in ("区划代码", "省", "市", "区县"))
    i_pop = header.index("人口数_合计")
    body = [r for r in it if r and r[i_code] is not None]
    city_code = {}
    for r in body:
        code = str(r[i_code])
        if code.isdigit() and code.endswith("00") and not code.endswith("0000"):
            city_code[(str(r[i_prov]), str(r[i_city]))] = code
    with_counties = {
        str(r[i_code])[:4] for r in body if str(r[i_code]).isdigit() and str(r[i_code])[4:] != "00"
    }
    out = []
    for r in body:
        code, prov, city = str(r[i_code]), str(r[i_prov]), str(r[i_city])
        pop = r[i_pop]
        if not isinstance(pop, int) or pop < 0:
            raise ValueError(f"row {code} {r[i_county]}: population {pop!r} is not a count")
        if code.isdigit():
            if code.endswith("0000") or (code.endswith("00") and code[:4] in with_counties):
                continue  # a province or prefecture: the sum of its rows
            parent = code[:4] + "00"  # a county, or a prefecture with no counties (东莞)
        elif prov == "全国" or "直辖" in city:
            continue  # the national total, a subtotal of directly administered counties
        elif (prov, city) in city_code:  # an uncoded zone of a prefecture
            parent, code = city_code[(prov, city)], ""
        else:
            continue  # the parts of 三沙市 (西沙群岛 …): 三沙市 is a row
        out.append((code, parent, prov, city, str(r[i_county]), pop))
    # every province's rows sum to its own total: nothing counted twice or left out
    totals = {str(r[i_prov]): r[i_pop] for r in body if str(r[i_code]).endswith("0000")}
    summed: dict[str, int] = {}
    for row in out:
        summed[row[2]] = summed.get(row[2], 0) + row[5]
    wrong = {p: (t, summed.get(p, 0)) for p, t in totals.items() if summed.get(p, 0) != t}
    if wrong:
        raise ValueError(f"provinces whose rows do not sum to their totals: {wrong}")
    return out


def county_table_csv(rows: Iterable[Sequence[object]]) -> str:
    """The derived table as UTF-8 CSV text (LF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(county_rows(rows))
    return buf.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    import openpyxl

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m locator.ingest.census WORKBOOK.xlsx OUT.csv", file=sys.stderr)
        return 2
    book = openpyxl.load_workbook(args[0], read_only=True, data_only=True)
    try:
        text = county_table_csv(book[SHEET].iter_rows(values_only=True))
    finally:
        book.close()
    Path(args[1]).write_text(text, encoding="utf-8")
    print(f"{args[1]}: {text.count(chr(10)) - 1} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
