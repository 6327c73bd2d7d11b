"""Load test: two app processes (``locator serve --workers 2``: pre-forked waitress) on 127.0.0.1,
64 connections for 60 s, the in-memory store next to PostGIS, in one run.

For each store it runs wrk (Debian package ``wrk``) against ``/api/v1/health`` (the
trivial endpoint: the server's own cost) and ``/api/v1/nearest`` (random points over
Jiangmen, k=5, every layer; bench/nearest.lua), and prints requests/s, p50 and p99, the
errors (socket errors, timeouts, non-2xx answers) and the share nearest / trivial.

Run: .venv/bin/python bench/bench_load.py [--duration 60] [--connections 64] [--workers 2]
(PostGIS: a throw-away cluster from Debian's postgresql and postgresql-postgis)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # tests.pgcluster: the throw-away cluster

from bench_http import free_port  # noqa: E402


def wrk(url: str, duration: int, connections: int, script: Path | None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]

    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = (sum(map(int, sock.groups())) if sock else 0) + (int(non2xx.group(1)) if non2xx else 0)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": errors,
        "requests": total,
    }


def serve(env: dict, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    locator = str(Path(sys.executable).with_name("locator"))
    proc = subprocess.Popen(
        [
            locator,
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/api/v1/health", timeout=1).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                sys.exit("locator serve did not start")
            time.sleep(0.2)
    sys.exit("locator serve did not answer")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=60)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    from locator.stores.postgis.db import database
    from locator.stores.postgis.sync import load_dir
    from locator.web import DEFAULT_DATA_DIR
    from tests.pgcluster import start_cluster

    cluster = start_cluster()
    try:
        db = database(cluster.url)
        load_dir(db, DEFAULT_DATA_DIR)
        db.close()
        results = {}
        for name, env in (
            ("memory", {"LOCATOR_DATABASE_URL": ""}),
            ("PostGIS", {"LOCATOR_DATABASE_URL": cluster.url}),
        ):
            proc, base = serve(env, args.workers, args.threads)
            try:
                wrk(base + "/api/v1/health", 3, args.connections, None)  # warm-up
                trivial = wrk(base + "/api/v1/health", args.duration, args.connections, None)
                nearest = wrk(base + "/", args.duration, args.connections, HERE / "nearest.lua")
            finally:
                proc.terminate()
                proc.wait(timeout=30)
            results[name] = (trivial, nearest)
    finally:
        cluster.stop()
    print(
        f"locator serve --workers {args.workers} --threads {args.threads} (pre-forked waitress), "
        f"wrk -t2 -c{args.connections} -d{args.duration}s, 127.0.0.1"
    )
    for name, (trivial, nearest) in results.items():
        for label, r in (("trivial /api/v1/health", trivial), ("/api/v1/nearest k=5", nearest)):
            print(
                f"  {name:<8} {label:<23} {r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  "
                f"p99 {r['p99']:7.1f} ms  errors {r['errors']} of {r['requests']:,}"
            )
        print(f"  {name:<8} share nearest / trivial  {nearest['rps'] / trivial['rps']:.0%}")
    mem, pg = results["memory"][1], results["PostGIS"][1]
    print(f"  PostGIS nearest throughput ×{pg['rps'] / mem['rps']:.2f} the in-memory store's")


if __name__ == "__main__":
    main()
