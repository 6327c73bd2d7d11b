"""OGC API - Features: filtered items next to plain items, in one run.

Through Flask's test client (the app's own cost), book rooms (706), pages of 100: plain
items, a queryable as a query parameter, a CQL2 text filter, a CQL2 spatial filter, and
the same with an output CRS; each the best of ``--repeats`` x ``--n`` requests, and its
ratio to plain items (target: within 2x).

Then hostile filters (issue #22: a LIKE of alternating wildcards took 20-27 s here) next
to a trivial filter, pages of 10: LIKE patterns at the bounds, the most terms, the longest
IN list, the deepest nesting and the most vertices a filter may have, and filters past a
bound (refused, 400); each the best of ``--repeats`` x ``--n``, and its ratio to the
trivial filter (target: within 20x).

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
SMALL = "/ogc/collections/book_rooms/items?limit=10&filter="
#: (name, filter, expected status)
HOSTILE = [
    ("trivial: district_code = …", "district_code = '440703'", 200),
    ("LIKE '%_%_%_%_%_%_%_%_!' (#22)", "name_en LIKE '%_%_%_%_%_%_%_%_!'", 200),
    ("LIKE, 20 wildcards", "name_en LIKE '" + "%_" * 10 + "!'", 200),
    ("LIKE, 200 chars", "name_en LIKE '" + "%a_c" * 5 + "%" + "x" * 178 + "'", 200),
    ("66 ORs (199 terms)", " OR ".join(["name = 'a'"] * 66), 200),
    ("IN, 500 values", "name IN (" + ",".join(f"'{i}'" for i in range(500)) + ")", 200),
    ("nesting 20 deep", "(name = 'a' AND (name = 'a' OR " * 9 + "name = 'a'" + "))" * 9, 200),
    (
        "LINESTRING, 500 vertices",
        "S_INTERSECTS(geometry, LINESTRING(" + ",".join(["1 2", "3 4"] * 250) + "))",
        200,
    ),
    ("refused: LIKE, 21 wildcards", "name_en LIKE '" + "%_" * 11 + "'", 400),
    ("refused: 67 ORs", " OR ".join(["name = 'a'"] * 67), 400),
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
    hostile = {}
    for name, text, status in HOSTILE:
        url = SMALL + quote(text)
        got = client.get(url).status_code
        assert got == status, (name, got)
        hostile[name] = best_of(client, url, a.n, a.repeats)
    trivial = hostile[HOSTILE[0][0]]
    for name, seconds in hostile.items():
        print(
            f"  {name:<30} {seconds * 1000:7.2f} ms/request   x{seconds / trivial:5.2f} of trivial"
        )


def best_of(client, url: str, n: int, repeats: int) -> float:
    """The best of ``repeats`` means of ``n`` requests, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            client.get(url)
        best = min(best, (time.perf_counter() - start) / n)
    return best


if __name__ == "__main__":
    main()
