"""Contention: the phone's nearest query alone, then while planners and hostile filters run.

Starts real servers with ``locator serve`` on free ports (the in-memory store): waitress
(one process) and ``--workers 2`` (two pre-forked waitress processes). Against each, one
client asks ``/api/v1/nearest`` (random points over Jiangmen, k=5, one request at a time
on a kept-alive connection) for ``--duration`` seconds with the server otherwise idle, then
again for ``--duration`` seconds while

- ``--planners`` clients (16) each ask ordinary planner questions that are all distinct
  (``/api/v1/coverage``: a layer, a radius among the planner's radii, district or town,
  cells of 250, 500 or 1,000 m), as fast as they are answered; a 503 is retried after
  0.1 s, ignoring Retry-After (a client that does not behave);
- ``--filters`` clients (2) ask a hostile CQL2 LIKE filter on the book rooms
  (``filter=name_en LIKE '%_%_%_%_%_%_%_%_!'``) in a loop.

It prints nearest p50 and p99 idle and under load, their ratio (target: p50 under load
≤ 2× idle, p99 < 1 s), and what the planners and filters were answered (200, 503, other).

Run: .venv/bin/python bench/bench_contention.py [--duration 20] [--planners 16]
[--filters 2] [--servers waitress,workers2]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_http import start_locator  # noqa: E402

try:
    from locator.service.planner_request import RADII_M
except ImportError:  # a checkout from before the radii grid: the same 50 radii
    RADII_M = (*range(100, 1000, 50), *range(1000, 5000, 250), *range(5000, 20_001, 1000))

HOSTILE = "name_en LIKE '%_%_%_%_%_%_%_%_!'"
LAYERS = ("love_stations", "mothers_rooms", "book_rooms", "service_centers")


def serve(workers: int) -> tuple[subprocess.Popen, int]:
    """``locator serve`` on a free port (``workers`` 0: waitress), once it answers."""
    return start_locator(
        ["--workers", str(workers)] if workers else [], {"LOCATOR_DATABASE_URL": ""}
    )


class Client:
    """One kept-alive connection; reconnects after an error."""

    def __init__(self, port: int, timeout: float = 30.0):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> int:
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(
                        "127.0.0.1", self.port, timeout=self.timeout
                    )
                self.conn.request("GET", path)
                resp = self.conn.getresponse()
                resp.read()
                return resp.status
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    return 0
        return 0


#: a nearest request not answered within this is a failure (counted at this time)
NEAREST_TIMEOUT_S = 10.0


def nearest_latencies(port: int, seconds: float, seed: int) -> tuple[list[float], int]:
    """Seconds per nearest request, one at a time, for ``seconds``; and how many were
    not answered 200 (a timeout, after NEAREST_TIMEOUT_S, included)."""
    rng = random.Random(seed)
    client, out, failed = Client(port, NEAREST_TIMEOUT_S), [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        lon, lat = 111.9 + rng.random() * 1.4, 21.4 + rng.random() * 1.5
        t = time.perf_counter()
        status = client.get(f"/api/v1/nearest?lon={lon:.5f}&lat={lat:.5f}&k=5")
        out.append(time.perf_counter() - t)
        failed += status != 200
    return out, failed


def planner_questions(seed: int):
    """Ordinary planner questions, in a random order, over and over (1,200 distinct: a
    question comes back after the cache of 32 answers has long forgotten it)."""
    every = list(itertools.product(LAYERS, RADII_M, ("district", "town"), (250, 500, 1000)))
    random.Random(seed).shuffle(every)
    for layer, radius, by, cell in itertools.cycle(every):
        yield "/api/v1/coverage?" + urlencode(
            {"layer": layer, "radius_m": radius, "by": by, "cell_m": cell}
        )


def load(port: int, planners: int, filters: int, stop: threading.Event) -> dict[str, Counter]:
    """Start the planner and filter clients; they run until ``stop`` is set."""
    counts: dict[str, Counter] = {"planner": Counter(), "filter": Counter()}
    lock = threading.Lock()
    questions = planner_questions(20261205)
    q_lock = threading.Lock()

    def planner() -> None:
        client = Client(port)
        path = None
        while not stop.is_set():
            if path is None:
                with q_lock:
                    path = next(questions)
            status = client.get(path)
            with lock:
                counts["planner"][status] += 1
            if status == 503:  # the same question again soon, whatever Retry-After says
                stop.wait(0.1)
            else:
                path = None

    def hostile() -> None:
        client = Client(port)
        path = "/ogc/collections/book_rooms/items?limit=100&filter=" + quote(HOSTILE)
        while not stop.is_set():
            status = client.get(path)
            with lock:
                counts["filter"][status] += 1

    threads = [threading.Thread(target=planner, daemon=True) for _ in range(planners)]
    threads += [threading.Thread(target=hostile, daemon=True) for _ in range(filters)]
    for t in threads:
        t.start()
    counts["_threads"] = threads  # type: ignore[assignment]
    return counts


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def run(name: str, workers: int, args: argparse.Namespace) -> dict:
    proc, port = serve(workers)
    try:
        warm = Client(port)
        for cell in (250, 500, 1000):  # the grids, built once per process and version
            for _ in range(max(1, workers)):
                warm.get(f"/api/v1/coverage?cell_m={cell}")
        nearest_latencies(port, 2, 1)  # warm-up
        idle, idle_failed = nearest_latencies(port, args.duration, 2)
        stop = threading.Event()
        counts = load(port, args.planners, args.filters, stop)
        time.sleep(1.0)  # let the load start
        busy, busy_failed = nearest_latencies(port, args.duration, 3)
        stop.set()
        for t in counts.pop("_threads"):  # type: ignore[attr-defined]
            t.join(timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    failed = idle_failed + busy_failed
    return {"name": name, "idle": idle, "busy": busy, "failed": failed, **counts}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--planners", type=int, default=16)
    ap.add_argument("--filters", type=int, default=2)
    ap.add_argument("--servers", default="waitress,workers2")
    args = ap.parse_args()
    servers = {"waitress": 0, "workers2": 2}
    results = [run(s, servers[s], args) for s in args.servers.split(",")]
    print(
        f"nearest k=5, one client, {args.duration:g} s idle then {args.duration:g} s beside "
        f"{args.planners} planner clients (distinct coverage questions) and {args.filters} "
        f"hostile LIKE filters; {os.cpu_count()} CPUs"
    )
    for r in results:
        idle50, idle99 = pct(r["idle"], 0.5), pct(r["idle"], 0.99)
        busy50, busy99 = pct(r["busy"], 0.5), pct(r["busy"], 0.99)
        label = "waitress" if r["name"] == "waitress" else "--workers 2"
        print(
            f"  {label:<12} idle p50 {idle50:6.1f} ms p99 {idle99:7.1f} ms ({len(r['idle'])} req)"
            f" | loaded p50 {busy50:6.1f} ms p99 {busy99:7.1f} ms ({len(r['busy'])} req)"
            f" | p50 ratio x{busy50 / idle50:.2f}"
            + (f" | nearest failed {r['failed']}" if r["failed"] else "")
        )
        for kind in ("planner", "filter"):
            seen = ", ".join(f"{k}: {v}" for k, v in sorted(r[kind].items())) or "none"
            print(f"  {'':<12} {kind} answers {seen}")


if __name__ == "__main__":
    main()
