"""The benchmark scripts still run (a smoke run, no timing asserted)."""

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_bench_nearest_smoke():
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_nearest.py"), "--quick", "--sizes", "1200"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert re.search(r"single k=1: engine median\s+[\d.]+ µs", out)
    assert re.search(r"single k=5: .*speed-up x[\d.,]+", out)
    assert re.search(r"batch k=1 : engine\s+[\d,]+ q/s \| brute numpy\s+[\d,]+ q/s \| ratio", out)
    assert re.search(
        r"engine k=5 vs bare cKDTree k=5 \(unit vectors\), N = 1,200: engine median\s+[\d.]+ µs"
        r" \| cKDTree median\s+[\d.]+ µs \| ratio x[\d.]+",
        out,
    )


def test_bench_startup_smoke():
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_startup.py"), "--runs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert re.search(
        r"start-up to the first answer [\d.]+ s; VmRSS [\d.]+ MiB after the phone requests, "
        r"[\d.]+ MiB after the maps and planner",
        out,
    )
    assert "heavy libraries loaded by the server: " in out


def test_bench_request_smoke():
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_request.py"), "--n", "50", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for part in ("trivial view", "nearest view", "parse parameters", "domain call", "serialise"):
        assert re.search(rf"{part}.*\s\d+ µs", out), part
    assert re.search(r"ratio trivial/nearest \(CPU share\) : \d+%", out)


def test_bench_coverage_and_ogc_smoke():
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_coverage.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert re.search(r"250 m:\s+[\d,]+ cells \| cold\s+[\d.]+ s", out)
    assert re.search(r"greedy \+ swaps\s+[\d.]+% ", out)
    ogc = subprocess.run(
        [sys.executable, str(BENCH / "bench_ogc.py"), "--n", "5", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert re.search(r"CQL2 S_INTERSECTS bbox\s+[\d.]+ ms/request\s+x[\d.]+ of plain", ogc)


def test_bench_import_smoke():
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_import.py"), "--sizes", "200", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split()[:3] == ["rows", "format", "parse"]
    assert [ln.split()[:2] for ln in lines[1:]] == [["200", "csv"], ["200", "xlsx"]]


def test_bench_map_smoke():
    out = subprocess.run(
        [sys.executable, str(BENCH / "bench_map.py"), "--n", "3", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert re.search(r"/map HTML\s+[\d.]+ KB\s+gzip\s+[\d.]+ KB", out.stdout)
    assert re.search(r"/map\s+[\d.]+ ms/request\s+x[\d.]+ of health", out.stdout)
