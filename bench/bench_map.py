"""/map: what a phone downloads and what a request costs, next to a trivial request.

Through Flask's test client (the app's own cost): the page's HTML and its points JSON, raw
and gzipped, and the best mean time of ``--repeats`` x ``--n`` requests for /map, the
points and /api/v1/health (the baseline), with their ratios to the baseline.

Run: .venv/bin/python bench/bench_map.py [--n 50] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time

from locator.web import create_app


def best_ms(client, url: str, n: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n):
            assert client.get(url).status_code == 200, url
        best = min(best, (time.perf_counter() - t) / n * 1000)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    client = create_app({"WATCH_DATA": False, "TILES": "osm"}).test_client()
    html = client.get("/map").get_data()
    config = json.loads(re.search(rb'id="map-config">(.*?)</script>', html, re.S)[1])
    points = client.get(config["points"]).get_data()
    for name, body in (("/map HTML", html), ("points JSON", points)):
        packed = len(gzip.compress(body)) / 1024
        print(f"{name:<14} {len(body) / 1024:7.1f} KB   gzip {packed:6.1f} KB")
    base = best_ms(client, "/api/v1/health", a.n, a.repeats)
    print(f"{'health':<14} {base:7.3f} ms/request   x1.0")
    for name, url in (("/map", "/map"), ("points", config["points"])):
        ms = best_ms(client, url, a.n, a.repeats)
        print(f"{name:<14} {ms:7.3f} ms/request   x{ms / base:.1f} of health")


if __name__ == "__main__":
    main()
