"""Reports from the street: submissions per second, and the phone's nearest beside them.

Starts ``locator serve`` (one process, waitress) on a copy of the bundled data in a
temporary folder (the reports go to its ``history/reports.sqlite``), or on a database with
``--database-url`` (migrated and loaded; its ``locator.reports`` table receives them).
Then, in one run:

1. ``--clients`` threads (8) each POST ``/api/v1/reports`` (a "confirm" of a random
   facility, a new client_id each time, a client address per 5 reports through
   X-Forwarded-For so the rate limit is checked but not reached) for ``--duration``
   seconds: submissions per second and the p50/p99 latency. Every answer must be 201.
2. One client asks ``/api/v1/nearest`` (random points, k=5, one at a time, kept-alive)
   for ``--duration`` seconds in all with nothing else running: requests per second.
3. The same again, alternating with 2. in ``--rounds`` rounds (5), while ``--clients``
   submitters (in a process of their own) send ``--rate`` reports a second in all
   (50: far more than a city's riders send): requests per second, and the ratio to 2.
   (target: the read path unchanged, ratio ≥ 0.9). With ``--rate 0`` they send as fast as
   they are answered (the write path saturating the process: a worst case, not a target).

Run: .venv/bin/python bench/bench_reports.py [--duration 10] [--clients 8]
[--rate 50] [--rounds 5] [--database-url postgresql://…]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_http import start_locator  # noqa: E402

from locator.values.paths import DEFAULT_DATA_DIR  # noqa: E402


def serve(data_dir: Path, database_url: str | None) -> tuple[subprocess.Popen, int]:
    env = {"LOCATOR_PROXY_COUNT": "1", "LOCATOR_DATABASE_URL": database_url or ""}
    return start_locator(["--data-dir", str(data_dir)], env)


def facility_ids(port: int) -> list[str]:
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/api/v1/layers/love_stations?limit=200", timeout=30
    ) as resp:
        return [f["properties"]["id"] for f in json.loads(resp.read())["features"]]


class Client:
    """One kept-alive connection."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, **headers) -> int:
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        resp.read()
        return resp.status


_ADDRESSES = itertools.count()


def submitter(
    port: int, ids: list[str], stop: threading.Event, out: list, seed: int, every_s: float
) -> None:
    """POST reports until ``stop``: as fast as answered, or one every ``every_s``."""
    rng, client = random.Random(seed), Client(port)
    address = ""
    due = time.monotonic()
    for n in itertools.count():
        if every_s:
            due += every_s
            stop.wait(max(0.0, due - time.monotonic()))
        if stop.is_set():
            return
        if n % 5 == 0:
            k = next(_ADDRESSES)
            address = f"10.{k >> 16 & 255}.{k >> 8 & 255}.{k & 255}"
        body = json.dumps(
            {"kind": "confirm", "client_id": str(uuid.uuid4()), "facility_id": rng.choice(ids)}
        ).encode()
        t = time.perf_counter()
        status = client.request(
            "POST",
            "/api/v1/reports",
            body,
            **{"Content-Type": "application/json", "X-Forwarded-For": address},
        )
        out.append((time.perf_counter() - t, status))


def submit_for(port: int, ids: list[str], clients: int, seconds: float | None, rate: float = 0.0):
    """Start ``clients`` submitters (together ``rate`` reports a second; 0: as fast as
    answered); with ``seconds``, stop them after that and return (latencies, statuses,
    elapsed), else (stop event, threads, outputs)."""
    stop = threading.Event()
    every_s = clients / rate if rate else 0.0
    outs: list[list] = [[] for _ in range(clients)]
    threads = [
        threading.Thread(target=submitter, args=(port, ids, stop, outs[i], i, every_s), daemon=True)
        for i in range(clients)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    if seconds is None:
        return stop, threads, outs
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.perf_counter() - start
    done = [x for o in outs for x in o]
    return [d for d, _ in done], [s for _, s in done], elapsed


FORK = multiprocessing.get_context("fork")


def _submit_child(port, ids, clients, seconds, rate, first_address, done) -> None:
    global _ADDRESSES
    _ADDRESSES = itertools.count(first_address)  # addresses no earlier round used
    _lat, statuses, _elapsed = submit_for(port, ids, clients, seconds, rate)
    done.put((len(statuses), sum(s != 201 for s in statuses)))


def nearest_for(port: int, seconds: float, seed: int) -> tuple[int, float, list[float]]:
    rng, client, times = random.Random(seed), Client(port), []
    start = time.perf_counter()
    end = time.monotonic() + seconds
    failed = 0
    while time.monotonic() < end:
        lon, lat = 111.9 + rng.random() * 1.4, 21.4 + rng.random() * 1.5
        t = time.perf_counter()
        failed += client.request("GET", f"/api/v1/nearest?lon={lon:.5f}&lat={lat:.5f}&k=5") != 200
        times.append(time.perf_counter() - t)
    return failed, time.perf_counter() - start, times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="locator-bench-reports-"))
    data = folder / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns("history"))
    proc, port = serve(data, args.database_url)
    try:
        ids = facility_ids(port)
        submit_for(port, ids, 2, 1.0)  # warm-up
        nearest_for(port, 1.0, 0)
        lat, statuses, elapsed = submit_for(port, ids, args.clients, args.duration)
        bad = [s for s in statuses if s != 201]
        print(
            f"submissions ({args.clients} clients, one process): {len(lat) / elapsed:,.1f}/s, "
            f"p50 {pct(lat, 0.5):.1f} ms, p99 {pct(lat, 0.99):.1f} ms, "
            f"{len(lat)} sent, {len(bad)} not 201"
        )
        # alone and beside the submitters in alternation (--rounds each), so that a
        # machine whose load drifts during the run weighs on both sides alike
        alone, busy, t_alone, t_busy, failed, during = [], [], 0.0, 0.0, 0, 0
        part = args.duration / args.rounds
        for r in range(args.rounds):
            f, t, times = nearest_for(port, part, 2 * r)
            failed, t_alone, alone = failed + f, t_alone + t, alone + times
            # the submitters in a process of their own: in this one they would take the
            # measuring client's GIL, not the server's
            done: multiprocessing.Queue = FORK.Queue()
            child = FORK.Process(
                target=_submit_child,
                args=(port, ids, args.clients, part + 0.4, args.rate, (r + 1) << 16, done),
            )
            child.start()
            time.sleep(0.2)
            f, t, times = nearest_for(port, part, 2 * r + 1)
            failed, t_busy, busy = failed + f, t_busy + t, busy + times
            sent, not_201 = done.get(timeout=120)
            child.join(timeout=60)
            during += sent
            bad += [0] * not_201
        rate_alone, rate_busy = len(alone) / t_alone, len(busy) / t_busy
        print(
            f"nearest alone: {rate_alone:,.1f}/s, p50 {pct(alone, 0.5):.1f} ms, "
            f"p99 {pct(alone, 0.99):.1f} ms"
        )
        print(
            f"nearest while reports arrive ({during} stored, {args.rate:g}/s): "
            f"{rate_busy:,.1f}/s, "
            f"p50 {pct(busy, 0.5):.1f} ms, p99 {pct(busy, 0.99):.1f} ms"
        )
        print(f"ratio (while / alone): {rate_busy / rate_alone:.2f}")
        if bad or failed:
            sys.exit(f"failures: {len(bad)} submissions, {failed} nearest")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
