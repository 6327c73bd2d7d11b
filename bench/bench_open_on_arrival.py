"""What the open-on-arrival filter costs, next to the same nearest query unfiltered, in one
run.

In one process, on the bundled data, ``Service.nearest_by_layer`` (the phone page's call:
k=3 from each of the four facility layers, by e-bike) at random points over the city's
bounding box at 20:50 on a Monday, when most book rooms and every service center are
closed: unfiltered, with ``open_on_arrival`` and ``keep_unknown_hours`` (the filter as it
was before issue 21: unknown hours kept), and with ``open_on_arrival`` alone (known to be
open; the service asks a second time, keeping unknown hours, to count those left out).
Each figure is the best of ``--repeats`` runs over ``--n`` points; the ratios are to the
unfiltered query of the same run.

Run: .venv/bin/python bench/bench_open_on_arrival.py [--n 300] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from locator.operations.hours import TZ
from locator.operations.nearest import NearestQuery
from locator.values.models import Point
from locator.web import create_app

LAYERS = ("love_stations", "mothers_rooms", "service_centers", "book_rooms")
AT = dt.datetime(2026, 12, 7, 20, 50, tzinfo=TZ)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    svc = create_app({"WATCH_DATA": False}).extensions["locator.services"].current()
    rng = random.Random(20261205)
    points = [Point(rng.uniform(112.3, 113.3), rng.uniform(21.6, 22.9)) for _ in range(args.n)]

    def best_us(**filters) -> float:
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            for p in points:
                q = NearestQuery(p, LAYERS, k=3, at=AT, travel="ebike", **filters)
                svc.nearest_by_layer(q, AT)
            best = min(best, time.perf_counter() - start)
        return best / len(points) * 1e6

    plain = best_us()
    kept = best_us(open_on_arrival=True, keep_unknown_hours=True)
    known = best_us(open_on_arrival=True)
    print(f"per request, best of {args.repeats} x {args.n} (µs)")
    print(f"  unfiltered                                  {plain:8.0f} µs")
    print(f"  open on arrival, unknown hours kept (old)   {kept:8.0f} µs  x{kept / plain:.1f}")
    print(f"  open on arrival, known open + count (new)   {known:8.0f} µs  x{known / plain:.1f}")


if __name__ == "__main__":
    main()
