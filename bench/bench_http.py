"""HTTP benchmark: the nearest endpoint against a trivial endpoint, same server, same run.

Starts ``locator serve`` (waitress) on 127.0.0.1 with the bundled data, then runs wrk
(Debian package ``wrk``) against ``/api/v1/health`` (trivial JSON) and ``/api/v1/nearest``
(random points over Jiangmen, k=5), each for the same duration and connection count, and
prints requests/s, p99 latency and the ratio nearest / trivial.

Run: .venv/bin/python bench/bench_http.py [--duration 10] [--connections 32] [--threads 8]
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_locator(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    """``locator serve --port <free> *args`` with ``env`` over this environment, once its
    health check answers: the process and its port (exits the benchmark if it never does)."""
    import os

    port = free_port()
    locator = str(Path(sys.executable).with_name("locator"))
    proc = subprocess.Popen(
        [locator, "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).read()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                sys.exit("locator serve did not start")
            time.sleep(0.2)
    proc.kill()
    sys.exit("locator serve did not answer")


def parse_wrk(out: str) -> tuple[float, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]
    return rps, float(m.group(1)) * scale


def run_wrk(url: str, duration: int, connections: int, script: Path | None) -> tuple[float, float]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    port = free_port()
    locator = str(Path(sys.executable).with_name("locator"))
    server = subprocess.Popen(
        [locator, "serve", "--port", str(port), "--threads", str(args.threads)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/api/v1/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        run_wrk(base + "/api/v1/health", 2, args.connections, None)  # warm-up
        trivial = run_wrk(base + "/api/v1/health", args.duration, args.connections, None)
        nearest = run_wrk(base + "/", args.duration, args.connections, HERE / "nearest.lua")
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"waitress threads={args.threads}, wrk -t2 -c{args.connections} -d{args.duration}s")
    print(f"  trivial /api/v1/health : {trivial[0]:8.0f} req/s   p99 {trivial[1]:7.1f} ms")
    print(f"  /api/v1/nearest k=5    : {nearest[0]:8.0f} req/s   p99 {nearest[1]:7.1f} ms")
    ratio = nearest[0] / trivial[0]
    print(
        f"  ratio nearest/trivial  : {ratio:.0%}   (target >= 70 %, p99 < 50 ms: "
        f"{'met' if ratio >= 0.7 and nearest[1] < 50 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
