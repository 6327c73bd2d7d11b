"""What one nearest request costs, piece by piece, next to a trivial request, in one run.

In one process, on the bundled data, through Flask's test client (no sockets, so the
figures are the app's own CPU cost): the trivial ``/api/v1/health`` view, the whole
``/api/v1/nearest`` view, and the parts of the nearest view timed alone: parsing the
parameters, the domain call (``Service.nearest``: engine, opening hours, service-area
test) and the JSON serialisation. Points are random over the city's bounding box (about
40 % fall outside the city polygon, in the sea or next door, and pay for the distance to
the city). Each figure is the best of ``--repeats`` runs of ``--n`` requests.

Run: .venv/bin/python bench/bench_request.py [--n 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import random
import time

from werkzeug.datastructures import MultiDict

from locator.operations.hours import now
from locator.web import create_app
from locator.web.context import parse_nearest, service
from locator.web.serialize import nearest_json


def best_us(fn, items, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    app = create_app({"WATCH_DATA": False})
    client = app.test_client()
    rng = random.Random(20240929)
    points = [
        (f"{rng.uniform(111.9, 113.3):.5f}", f"{rng.uniform(21.4, 22.9):.5f}") for _ in range(a.n)
    ]
    urls = [f"/api/v1/nearest?lon={x}&lat={y}&k=5" for x, y in points]
    args = [MultiDict([("lon", x), ("lat", y), ("k", "5")]) for x, y in points]
    for url in urls[:200]:  # warm the caches (hours per expression and minute)
        client.get(url)
    health = best_us(lambda _: client.get("/api/v1/health"), range(a.n), a.repeats)
    view = best_us(client.get, urls, a.repeats)
    with app.test_request_context("/"):
        cat = service()
        t = now()
        parse = best_us(lambda m: parse_nearest(cat, m), args, a.repeats)
        queries = [parse_nearest(cat, m).query for m in args]
        domain = best_us(lambda q: cat.nearest(q, t), queries, a.repeats)
        answers = [cat.nearest(q, t) for q in queries]
        encode = best_us(lambda ans: nearest_json(ans, "wgs84"), answers, a.repeats)
    rows = [
        ("trivial view /api/v1/health", health),
        ("nearest view /api/v1/nearest", view),
        ("  parse parameters", parse),
        ("  domain call Service.nearest", domain),
        ("  serialise to GeoJSON dicts", encode),
        ("  rest (Flask + test client, orjson)", view - parse - domain - encode),
    ]
    print(f"per request, best of {a.repeats} x {a.n} (µs)")
    for name, us in rows:
        print(f"  {name:<34} {us:7.0f} µs")
    print(f"  ratio trivial/nearest (CPU share) : {health / view:.0%}")


if __name__ == "__main__":
    main()
