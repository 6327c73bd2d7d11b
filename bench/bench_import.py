"""The importer: checking registers of growing size next to merely parsing them, in one run.

Synthetic registers of N love stations spread over the city (GB18030 CSV with AMap
GCJ-02 coordinates, as the federation's Excel gives them, and XLSX), N = 1,000 / 10,000 /
50,000. For each: the baseline (decode + ``csv.reader``; ``openpyxl.load_workbook`` and
reading every cell), the whole check (``check_register``: columns, every value, GCJ-02 ->
WGS-84, the town join, duplicates, ids, the store's own layer check), and the ratio.

Run: .venv/bin/python bench/bench_import.py [--sizes 1000 10000 50000]
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from locator.importer.register import check_register, load_context
from locator.stores.files.read import read_references
from locator.values import registry
from locator.values.city import CITY_PROFILE_FILE
from locator.values.geo.crs import CoordSystem, wgs84_to_gcj02
from locator.values.paths import DEFAULT_DATA_DIR

HEADER = ["序号", "名称", "地址", "经度(高德)", "纬度(高德)", "联系电话", "开放时间", "服务设施"]


def points_in_city(n: int, seed: int = 7) -> list[tuple[float, float]]:
    refs = read_references(DEFAULT_DATA_DIR, routes=False)
    city = refs[registry.CITY.id].shapes[0]
    w, s, e, nn = city.bounds
    rng = np.random.default_rng(seed)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        lon = rng.uniform(w, e, n)
        lat = rng.uniform(s, nn, n)
        inside = shapely.contains_xy(city, lon, lat)
        out.extend(zip(lon[inside].tolist(), lat[inside].tolist(), strict=True))
    return out[:n]


def rows(n: int) -> list[list]:
    out = []
    for i, (lon, lat) in enumerate(points_in_city(n), start=1):
        x, y = wgs84_to_gcj02(lon, lat)
        out.append(
            [
                i,
                f"测试驿站{i:06d}",
                f"某路{i}号",
                round(x, 6),
                round(y, 6),
                "0750-3501234",
                "Mo-Su 08:00-20:00",
                "饮水、充电、休息",
            ]
        )
    return out


def as_csv(table: list[list]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER] + table)
    return buf.getvalue().encode("gb18030")


def as_xlsx(table: list[list]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    for r in table:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parse_only(data: bytes, kind: str) -> int:
    if kind == "csv":
        return sum(1 for _ in csv.reader(io.StringIO(data.decode("gb18030"))))
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    n = sum(1 for _ in wb.active.iter_rows(values_only=True))
    wb.close()
    return n


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ddir = Path(tmp)
        for name in [decl.file for decl in registry.BY_ID.values()] + [CITY_PROFILE_FILE]:
            (ddir / name).write_bytes((DEFAULT_DATA_DIR / name).read_bytes())
        (ddir / "love_stations.geojson").write_text(
            '{"type": "FeatureCollection", "features": []}', encoding="utf-8"
        )
        ctx = load_context(ddir, "love_stations")
        print(
            f"{'rows':>7} {'format':<6} {'parse s':>8} {'check s':>8} {'x parse':>8} {'rows/s':>8}"
        )
        for n in a.sizes:
            table = rows(n)
            for kind, data in (("csv", as_csv(table)), ("xlsx", as_xlsx(table))):
                base = best(lambda d=data, k=kind: parse_only(d, k), a.repeats)
                plans: list = []
                check = best(
                    lambda d=data, k=kind, out=plans: out.append(
                        check_register(d, f"register.{k}", ctx, CoordSystem.GCJ02)
                    ),
                    a.repeats,
                )
                plan = plans[-1]
                assert plan.ok and len(plan.features) == n, plan.report()[:3]
                print(
                    f"{n:>7} {kind:<6} {base:>8.2f} {check:>8.2f} {check / base:>8.1f} "
                    f"{n / check:>8.0f}"
                )


if __name__ == "__main__":
    main()
