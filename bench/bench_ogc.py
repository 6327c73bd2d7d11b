"""OGC API - Features: filtered items next to plain items, in one run.

Through Flask's test client (the app's own cost), book rooms (706), pages of 100: plain
items, a queryable as a query parameter, a CQL2 text filter, a CQL2 spatial filter, and
the same with an output CRS; each the best of ``--repeats`` x ``--n`` requests, and its
ratio to plain items (target: within 2x).

Run: .venv/bin/python bench/bench_ogc.py [--n 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
from urllib.parse import quote

from locator.web import create_app

BASE = "/ogc/collections/book_rooms/items?limit=100"
CASES = [
    ("plain items", BASE),
    ("district_code=440703", BASE + "&district_code=440703"),
    (
        "CQL2 text, AND + LIKE",
        BASE + "&filter=" + quote("district_code = '440703' AND name LIKE '%社区%'"),
    ),
    (
        "CQL2 S_INTERSECTS bbox",
        BASE + "&filter=" + quote("S_INTERSECTS(geometry, BBOX(113.0, 22.5, 113.1, 22.6))"),
    ),
    ("crs=EPSG:4490", BASE + "&crs=" + quote("http://www.opengis.net/def/crs/EPSG/0/4490")),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    client = create_app({"WATCH_DATA": False}).test_client()
    results = {}
    for name, url in CASES:
        assert client.get(url).status_code == 200, url
        best = float("inf")
        for _ in range(a.repeats):
            start = time.perf_counter()
            for _ in range(a.n):
                client.get(url)
            best = min(best, (time.perf_counter() - start) / a.n)
        results[name] = best
    plain = results["plain items"]
    for name, seconds in results.items():
        print(f"  {name:<26} {seconds * 1000:7.2f} ms/request   x{seconds / plain:4.2f} of plain")


if __name__ == "__main__":
    main()
