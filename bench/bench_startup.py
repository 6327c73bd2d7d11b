"""Start-up to the first answer, and resident memory after warm-up, of ``locator serve``.

Starts ``locator serve`` (waitress, one process) with the bundled data on a free port of
127.0.0.1, times from the start of the process until ``/api/v1/nearest`` first answers 200,
then makes a few requests of each kind a phone visitor makes (nearest in the API and on
the phone page, a facility page, a layer, the offline pack) and reads the process's VmRSS
from ``/proc``; then opens the overview map and the planner once and reads it again.
Also names the heavy libraries the server had loaded after the phone requests. Each
figure is the median of ``--runs`` fresh starts.

Run: .venv/bin/python bench/bench_startup.py [--runs 5] [--data-dir DIR]
(Linux only: it reads /proc.)
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEAREST = "/api/v1/nearest?lon=113.0815&lat=22.5787&k=5"
#: what a few phone visitors ask after start-up, before memory is read
WARM_UP = [
    NEAREST,
    "/api/v1/nearest?lon=112.79&lat=22.25&k=5&open_on_arrival=true",
    "/?lon=113.0815&lat=22.5787",
    "/api/v1/layers/love_stations?limit=50",
    "/api/v1/layers",
    "/offline/pack.json",
]
#: then the pages that draw maps (folium) and the planner, once each
MAPS = ["/map", "/planner", "/api/v1/coverage?layer=love_stations&radius_m=1000&by=town"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def status_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB (from /proc/<pid>/status)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def one_run(data_dir: str | None) -> tuple[float, float, float, list[str]]:
    """``(seconds to the first nearest answer, VmRSS MiB after the phone requests, VmRSS
    MiB after the maps and planner too, heavy modules loaded after the phone requests)``."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # report, from inside the server, which heavy libraries it has loaded (on SIGUSR1)
    code = (
        "import signal, sys\n"
        "def _report(*_):\n"
        "    heavy = ('folium', 'branca', 'pandas', 'geopandas', 'psycopg', 'openpyxl',\n"
        "             'pygeofilter', 'lark', 'scipy.optimize', 'scipy.sparse')\n"
        "    sys.stderr.write('LOADED ' + ','.join(m for m in heavy if m in sys.modules) + '\\n')\n"
        "    sys.stderr.flush()\n"
        "signal.signal(signal.SIGUSR1, _report)\n"
        "from locator.cli import main\n"
        "sys.argv = ['locator'] + sys.argv[1:]\n"
        "main()\n"
    )
    cmd = [sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(
                    f"locator serve ended: {proc.stderr.read() if proc.stderr else ''}"
                )
            try:
                if get(base + NEAREST, timeout=2.0) == 200:
                    break
            except (ConnectionError, urllib.error.URLError, TimeoutError):
                pass
            time.sleep(0.01)
        first_s = time.perf_counter() - t0
        for _ in range(5):
            for path in WARM_UP:
                status = get(base + path)
                assert status == 200, (path, status)
        phone = status_kib(proc.pid)["VmRSS"]
        proc.send_signal(10)  # SIGUSR1: report the loaded modules
        loaded = ""
        assert proc.stderr is not None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if line.startswith("LOADED "):
                loaded = line[len("LOADED ") :].strip()
                break
        for path in MAPS:
            status = get(base + path, timeout=60)
            assert status == 200, (path, status)
        maps = status_kib(proc.pid)["VmRSS"]
        return first_s, phone / 1024, maps / 1024, loaded.split(",") if loaded else []
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data-dir", default=None, help="default: the bundled geodata/")
    args = parser.parse_args()
    firsts, rss, rss_maps = [], [], []
    loaded: list[str] = []
    for i in range(args.runs):
        first_s, rss_mib, maps_mib, loaded = one_run(args.data_dir)
        firsts.append(first_s)
        rss.append(rss_mib)
        rss_maps.append(maps_mib)
        print(
            f"run {i + 1}: first nearest answer after {first_s:.2f} s; VmRSS {rss_mib:.1f} MiB "
            f"after the phone requests, {maps_mib:.1f} MiB after the maps and planner"
        )
    print(
        f"median of {args.runs}: start-up to the first answer {statistics.median(firsts):.2f} s; "
        f"VmRSS {statistics.median(rss):.1f} MiB after the phone requests, "
        f"{statistics.median(rss_maps):.1f} MiB after the maps and planner"
    )
    print(f"heavy libraries loaded by the server: {', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    main()
